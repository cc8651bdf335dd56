"""How long `presskit serve` takes to show an edit made while no preview ran (the morning
after a `git pull`), and then the first save, on a built site whose preview was kept.

Each round: a preview runs until saves have paused long enough for it to keep the site and
what it learned of it (--quiet), and stops; a release is retitled, its file dated a while
ago as a pull leaves it; the preview starts, and the time until its page shows the new title
is taken; then another title is saved and the time until its page shows it. The release is
put back after each round.

    python benchmarks/offline_start.py SITE --rounds 3
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import as_installed
from serve_latency import free_port, stop


def serve(site: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "presskit", "serve", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def shows(page: str, word: str, since: float, timeout: float = 300) -> float:
    """Seconds from `since` until the page served holds `word`."""
    while time.perf_counter() - since < timeout:
        try:
            with urllib.request.urlopen(page, timeout=60) as answer:
                if word.encode() in answer.read():
                    return time.perf_counter() - since
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{page} never showed {word}")


def round_trip(site: Path, port: int, quiet: float, unlearned: bool) -> tuple[float, float]:
    release = sorted((site / "content/releases").rglob("*.md"))[7]
    original = release.read_text()
    page = f"http://127.0.0.1:{port}/releases/{release.stem}/"
    kept = serve(site, port)  # the day before: serving, then kept once saves paused
    assert kept.stdout is not None
    kept.stdout.readline()  # "Previewing ... at ...": serving
    time.sleep(quiet)
    stop(kept)
    try:
        word = f"Pulled{int(time.time())}"
        release.write_text(re.sub(r"(?m)^title: ", f"title: {word} ", original, count=1))
        moment = time.time() - 1800
        os.utime(release, (moment, moment))
        if unlearned:  # as when it belongs to another kept preview: the start's own process builds
            (site / ".presskit-cache/preview/learned").unlink(missing_ok=True)
        started = time.perf_counter()
        process = serve(site, port)
        try:
            first = shows(page, word, started)
            time.sleep(0.5)
            later = f"Saved{int(time.time())}"
            release.write_text(re.sub(r"(?m)^title: ", f"title: {later} ", original, count=1))
            saved = time.perf_counter()
            return first, shows(page, later, saved)
        finally:
            stop(process)
    finally:
        release.write_text(original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="the same as a run before: no first build")
    # The preview of the day before may build what the last round changed, then learn the
    # site, keep it once saves pause 3 s and what it learned once they pause 10 s: 25 s.
    parser.add_argument("--quiet", type=float, default=25.0,
                        help="seconds the preview of the day before runs without a save")
    parser.add_argument("--unlearned", action="store_true",
                        help="remove what the last preview learned before each start")
    args = parser.parse_args()
    as_installed.compiled()  # presskit's bytecode, as a pip install has it
    port = args.port or free_port()  # one port for every round: the kept preview is per address
    firsts, saves = [], []
    for number in range(args.rounds + 1):
        first, save = round_trip(args.site.resolve(), port, args.quiet, args.unlearned)
        label = "(the first: not counted)" if number == 0 else ""
        print(f"edit made while no preview ran shown after {first:6.2f} s; first save after {save:5.2f} s "
              f"{label}", flush=True)
        if number:
            firsts.append(first)
            saves.append(save)
    print(f"median: shown after {statistics.median(firsts):.2f} s, first save "
          f"{statistics.median(saves):.2f} s ({args.rounds} rounds)")


if __name__ == "__main__":
    main()
