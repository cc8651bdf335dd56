"""Two versions of presskit side by side, each on its own copy of a built site, the same edits
on both and each copy built in turn: the fair comparison of a change on a noisy machine (the
same code's "nothing changed" moves by a third from one hour to the next here).

    git archive OLD src | tar -x -C /tmp/old     # the code to compare with, as a tree
    python benchmarks/generate.py 10000 /tmp/ab/A && cp -r /tmp/ab/A /tmp/ab/B
    PYTHONPATH=/tmp/old/src python -m presskit build /tmp/ab/A    # each copy built by its code
    PYTHONPATH=src python -m presskit build /tmp/ab/B
    python benchmarks/side_by_side.py /tmp/old/src src /tmp/ab/A /tmp/ab/B --rounds 5 \
        --edits added deleted date partner title

Each round makes every edit on both copies (a release added as the newest, the same one
deleted, or a change to the release in the middle of the list: see run.py's `edited`), waits
for file times to settle, then builds both, A first in even rounds and B first in odd ones.
Prints the first round's builds, then per edit the medians, the ratio B / A and every time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from run import make_edit


def build(code: str, site: Path) -> tuple[float, str]:
    """`presskit build` of a site with the code under `code`, in a new process: seconds, and
    its last line."""
    environment = dict(os.environ, PYTHONPATH=code)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled, as an installed presskit is
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "presskit", "build", str(site)], env=environment,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        print(done.stderr[-800:], file=sys.stderr)
    lines = done.stdout.strip().splitlines()
    return seconds, lines[-1] if lines else ""


def edit(site: Path, kind: str, number: int) -> None:
    """One edit of the kind named (run.py's EDITS without "one ") to the release in the middle
    of the list, as run.py makes it."""
    releases = sorted(path for path in (site / "content/releases").rglob("*.md")
                      if not path.name.startswith(("added-", "old-")))
    name = kind.replace("-", " ") if kind.startswith(("added", "deleted")) else f"one {kind}"
    make_edit(name, releases[len(releases) // 2], number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code_a", help="the src/ folder of version A")
    parser.add_argument("code_b", help="the src/ folder of version B")
    parser.add_argument("site_a", type=Path, help="a site built by version A")
    parser.add_argument("site_b", type=Path, help="a copy of it built by version B")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--edits", nargs="+", default=["added", "deleted", "date", "partner", "title"],
                        help="added, deleted (after added), added-old, deleted-old (after added-old), "
                             "body, title, date, lead, partner, photo")
    arguments = parser.parse_args()
    versions = {"A": (arguments.code_a, arguments.site_a), "B": (arguments.code_b, arguments.site_b)}
    times: dict[tuple[str, str], list[float]] = {(kind, name): [] for kind in arguments.edits
                                                 for name in versions}
    for number in range(arguments.rounds):
        for kind in arguments.edits:
            for _, site in versions.values():
                edit(site, kind, number)
            time.sleep(2.1)  # a file saved within the last two seconds is read again anyway
            for name in (["A", "B"] if number % 2 == 0 else ["B", "A"]):
                seconds, line = build(*versions[name])
                times[(kind, name)].append(seconds)
                if number == 0:
                    print(f"{kind:10} {name} {seconds:.2f} s  {line[:90]}")
    for kind in arguments.edits:
        a, b = statistics.median(times[(kind, "A")]), statistics.median(times[(kind, "B")])
        print(f"{kind:10} A {a:.2f} s  B {b:.2f} s  B/A {b / a:.2f}   "
              f"A: {' '.join(f'{t:.2f}' for t in times[(kind, 'A')])}  "
              f"B: {' '.join(f'{t:.2f}' for t in times[(kind, 'B')])}")


if __name__ == "__main__":
    main()
