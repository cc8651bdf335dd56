"""How long the first save after `presskit serve` starts waits: the preview serves the site at
once from what the last one kept, then learns it in its own process before a save can be a
quick rebuild. Starts the preview on a built site, saves a new title half a second after it
printed its address, and times the save until the page served shows it; the release is put
back after each start, and the preview stopped once saves paused --quiet seconds (it keeps the
site, and what it learned of it, for the next start).

    python benchmarks/first_save.py SITE --starts 3
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import as_installed
from serve_latency import free_port, stop


def first_save(site: Path, port: int, quiet: float) -> tuple[float, float]:
    """Seconds to the address printed, and from the save to the page served showing it."""
    release = sorted((site / "content/releases").rglob("*.md"))[5]
    original = release.read_text()
    process = subprocess.Popen([sys.executable, "-m", "presskit", "serve", str(site), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        begun = time.perf_counter()
        process.stdout.readline()  # type: ignore[union-attr]  # "Previewing ... at ..."
        started = time.perf_counter() - begun
        time.sleep(0.5)
        word = f"Firstsave{int(time.time())}"
        release.write_text(re.sub(r"(?m)^title: ", f"title: {word} ", original, count=1))
        saved = time.perf_counter()
        page = f"http://127.0.0.1:{port}/releases/{release.stem}/"
        while True:
            try:
                with urllib.request.urlopen(page, timeout=60) as answer:
                    if word.encode() in answer.read():
                        return started, time.perf_counter() - saved
            except OSError:
                pass
            time.sleep(0.05)
    finally:
        release.write_text(original)
        # Saves pause before the preview stops, as at the end of a day's work: it keeps the
        # site and what it learned of it for the next start (see presskit.learned).
        time.sleep(quiet)
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="the same as a run before: no first start")
    # A preview that rebuilt what changed, learned the site and kept it needs up to 3 + 10 s
    # of quiet after its last rebuild to keep what it learned too (see presskit.learned).
    parser.add_argument("--quiet", type=float, default=25.0,
                        help="seconds without a save before each preview stops (0: stopped at once)")
    args = parser.parse_args()
    as_installed.compiled()  # presskit's bytecode, as a pip install has it
    port = args.port or free_port()  # one port for every start: the kept preview is per address
    waits = []
    for number in range(args.starts + 1):
        started, wait = first_save(args.site.resolve(), port, args.quiet)
        label = "(the first: not counted)" if number == 0 else ""
        print(f"start {started:6.2f} s   first save served after {wait:5.2f} s {label}", flush=True)
        if number:
            waits.append(wait)
        time.sleep(3)
    print(f"median first save: {statistics.median(waits):.2f} s of {len(waits)} starts")


if __name__ == "__main__":
    main()
