"""How long a comms officer waits for `presskit serve` to show its first page and for
`presskit check`, on a generated newsroom that has been built, as it is used every morning.

    python benchmarks/start_and_check.py --size 10000 --runs 3

Scenarios, each in a new process (start-up included), medians of --runs:
  build (cold)            presskit build on a fresh copy: the reference for the ratios
  serve, first start      after that build, no preview kept yet: time to the first page
  serve, second start     nothing changed since the last preview
  check, built site       right after a build
  check, one body edit    a release's words changed since the build
  check, release deleted  a release other releases link to was deleted since the build
  check, deleted + body edit  that, and another release's words changed, neither built yet
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import as_installed
from generate import generate


def timed(command: list[str], ok: tuple[int, ...] = (0,)) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_page(site: Path, port: int) -> float:
    """Seconds from `presskit serve` to the first page of the site (not the progress page)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "presskit", "serve", str(site), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                status = f"http://127.0.0.1:{port}/__presskit__/status"
                with urllib.request.urlopen(status, timeout=5) as answer:
                    if json.load(answer)["files"]:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                        return time.perf_counter() - started
            except OSError:
                pass
            if process.poll() is not None:
                raise SystemExit("presskit serve ended before serving")
            time.sleep(0.05)
    finally:
        process.terminate()  # ours, by its pid
        process.wait()


def aged(site: Path) -> None:
    """Files saved a while ago, as a newsroom's are (times within 2 s of a build are not trusted)."""
    moment = time.time() - 3600
    for path in site.rglob("*"):
        if ".presskit-cache" not in path.parts and "output" not in path.parts:
            os.utime(path, (moment, moment))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    as_installed.compiled()  # presskit's bytecode, as a pip install has it
    presskit = [sys.executable, "-m", "presskit"]
    with tempfile.TemporaryDirectory(prefix="presskit-start-") as scratch:
        source = generate(args.size, Path(scratch) / "source", seed=7)
        aged(source)
        times: dict[str, list[float]] = {}
        port = free_port()
        for _ in range(args.runs):
            site = Path(scratch) / "site"
            shutil.rmtree(site, ignore_errors=True)
            shutil.copytree(source, site, symlinks=True)
            aged(site)
            times.setdefault("build (cold)", []).append(timed([*presskit, "build", str(site)]))
            times.setdefault("serve, first start", []).append(first_page(site, port))
            times.setdefault("serve, second start", []).append(first_page(site, port))
            times.setdefault("check, built site", []).append(timed([*presskit, "check", str(site)]))
            releases = sorted((site / "content/releases").rglob("*.md"))
            edited = releases[len(releases) // 2]
            edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
            moment = time.time() - 60  # saved a minute ago; the other files keep their times
            os.utime(edited, (moment, moment))
            times.setdefault("check, one body edit", []).append(timed([*presskit, "check", str(site)]))
            timed([*presskit, "build", str(site)])  # that edit published (a quick rebuild)
            time.sleep(2.1)  # (so that the build's record can vouch for every file by its time)
            releases[len(releases) // 3].unlink()
            deleted = timed([*presskit, "check", str(site)], (0, 1))  # its links now lead nowhere
            times.setdefault("check, release deleted", []).append(deleted)
            again = releases[len(releases) // 4]
            again.write_text(again.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
            os.utime(again, (moment, moment))
            both = timed([*presskit, "check", str(site)], (0, 1))  # not a change in place: in full
            times.setdefault("check, deleted + body edit", []).append(both)
        reference = statistics.median(times["build (cold)"])
        print(f"{args.size:,} releases, medians of {args.runs} runs")
        for name, found in times.items():
            median = statistics.median(found)
            print(f"  {name:28} {median:7.2f} s  {median / reference:5.2f} x build (cold)")


if __name__ == "__main__":
    main()
