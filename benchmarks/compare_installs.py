"""Two installs of presskit on one site, run in turn so that a busy machine slows both alike:
cold build, nothing changed, one body edited, one title edited (three in a row, their median);
medians and ratios. The photo
work of a cold build, as its summary reports it, is shown apart ("of it, photos").

    python -m venv /tmp/venv-a && /tmp/venv-a/bin/pip install ./worktree-a   # and b
    python benchmarks/compare_installs.py SITE /tmp/venv-a/bin/presskit /tmp/venv-b/bin/presskit --rounds 3

SITE is a site folder (benchmarks/generate.py makes one); it is copied for every run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("cold", "of it, photos", "nothing changed", "one body", "one title")
TITLES = 3  # title edits in a row, each on another release: "one title" is their median
_PHOTOS = re.compile(r"Made \d+ photo files? .* in ([\d.]+) s")


def timed(command: list[str], site: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=site, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(done.stdout + done.stderr)
    return seconds, done.stdout


def one_round(source: Path, presskit: str, scratch: Path) -> dict[str, float]:
    site = scratch / "site"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(source, site, ignore=shutil.ignore_patterns("output", "preview", ".presskit-cache"))
    an_hour_ago = time.time() - 3600  # files older than the racy window, as a real site's
    for path in site.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    cold, said = timed([presskit, "build"], site)
    photos = _PHOTOS.search(said)
    times = {"cold": cold, "of it, photos": float(photos.group(1)) if photos else 0.0,
             "nothing changed": timed([presskit, "build"], site)[0]}
    releases = sorted((site / "content/releases").rglob("*.md"))
    edited = releases[len(releases) // 2]
    edited.write_text(edited.read_text() + "\nOne more sentence for the record.\n")
    times["one body"], said = timed([presskit, "build"], site)
    if "Only the text" not in said:
        print("  (the body edit took a full build)")
    titles = []
    for step in range(TITLES):  # each a full build on the site the one before left
        retitled = releases[len(releases) * (step + 1) // (TITLES + 2)]
        retitled.write_text(retitled.read_text().replace("title: ", f"title: Changed {step} ", 1))
        titles.append(timed([presskit, "build"], site)[0])
    times["one title"] = statistics.median(titles)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    found: dict[str, dict[str, list[float]]] = {args.first: {}, args.second: {}}
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(args.rounds):
            for presskit in (args.first, args.second):
                times = one_round(args.site, presskit, Path(scratch))
                for step, seconds in times.items():
                    found[presskit].setdefault(step, []).append(seconds)
                print(number, presskit, {step: round(s, 2) for step, s in times.items()}, flush=True)
    for step in STEPS:
        first, second = (statistics.median(found[p][step]) for p in (args.first, args.second))
        ratio = f" ({second / first:.2f}x)" if first else ""
        print(f"{step}: {first:.2f} s -> {second:.2f} s{ratio}")


if __name__ == "__main__":
    main()
