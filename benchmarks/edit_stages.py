"""Where a build after one edit spends its time, stage by stage, without a profiler.

    python benchmarks/edit_stages.py SITE --edit "one date" --builds 3

Each build: the edit (run.py's `make_edit`, on the release in the middle of the list), a wait
for file times to settle, then `presskit build` in a new process that times its imports and
the stages of a build after an edit with a clock around each (a profiler's own cost falls on
code that makes many small calls, Jinja above all, and moves the shares). A stage that holds
another is counted in both (`in place` holds the graph taken back, the pages, the graph kept
and the search index; `pages` holds the photos looked at). With two cores, a move's search
index and sitemap are made on a process forked for them (build._Ahead), whose clocks are its
own: "search index, sitemap" is then what this process waited for them. The SITE must have
been built by this code. A release added is deleted again after each build, and one deleted
is added first, each of those builds untimed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from run import EDITS, make_edit

# (module, attribute, label): a function, or a class's method as "Class.method"
STAGES = (
    ("presskit.build", "walk", "walk content/ and themes"),
    ("presskit.build", "last_record", "read the record"),
    ("presskit.kept", "recall", "graph taken back"),
    ("presskit.build", "in_place_made", "in place"),
    ("presskit.retouch", "card_edit", "pages"),
    ("presskit.retouch", "file_added_or_removed", "pages"),
    ("presskit.retouch", "_photos_again", "photos looked at"),
    ("presskit.build", "_finished_move", "search index, sitemap (waited for)"),
    ("presskit.build", "record_after", "record"),
    ("presskit.build", "write_quick", "write output/"),
    ("presskit.kept", "keep_site", "graph kept"),
    ("presskit.kept", "commit", "graph kept"),
)

_TIMED = '''
import functools, importlib, sys, time
started = time.perf_counter()
import presskit.cli
imported = time.perf_counter() - started
spent = {}
for module, name, label in STAGES:
    owner = importlib.import_module(module)
    if not hasattr(owner, name):
        continue
    function = getattr(owner, name)
    def timed(*args, _function=function, _label=label, **named):
        begun = time.perf_counter()
        try:
            return _function(*args, **named)
        finally:
            spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - begun
    setattr(owner, name, functools.wraps(function)(timed))
begun = time.perf_counter()
code = presskit.cli.main(["build", sys.argv[1]])
spent["build"] = time.perf_counter() - begun
spent["imports"] = imported
print("STAGES", repr(spent))
sys.exit(code)
'''


def timed_build(site: Path) -> dict[str, float]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled, as an installed presskit is
    done = subprocess.run([sys.executable, "-c", f"STAGES = {STAGES!r}\n{_TIMED}", str(site)],
                          env=environment, capture_output=True, text=True, check=False)
    found = [line for line in done.stdout.splitlines() if line.startswith("STAGES ")]
    if done.returncode or not found:
        sys.exit(f"the build failed:\n{done.stdout}{done.stderr}")
    return eval(found[-1][len("STAGES "):])  # (a dict of floats this script printed)


def _edited(site: Path, edit: str, release: Path, number: int) -> dict[str, float]:
    make_edit(edit, release, number)
    time.sleep(2.2)  # (a file saved within the clock's resolution is read again: see README)
    return timed_build(site)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edit", choices=EDITS, default="one date")
    parser.add_argument("--builds", type=int, default=3)
    arguments = parser.parse_args()
    releases = sorted((arguments.site / "content" / "releases").rglob("*.md"))
    middle = [r for r in releases if not r.name.startswith(("added-", "old-"))]
    release = middle[len(middle) // 2]
    undo = {"added": "deleted", "added old": "deleted old"}
    undo |= {later: first for first, later in undo.items()}  # (a deletion: added back first)
    rows = []
    for number in range(arguments.builds):
        if arguments.edit.startswith("deleted"):
            _edited(arguments.site, undo[arguments.edit], release, number)
        rows.append(_edited(arguments.site, arguments.edit, release, number))
        if arguments.edit.startswith("added"):
            _edited(arguments.site, undo[arguments.edit], release, number)
    labels = ["imports", *dict.fromkeys(label for _, _, label in STAGES), "build"]
    print(f"{arguments.edit}, {arguments.builds} builds, seconds (each build in turn):")
    for label in labels:
        times = [row[label] for row in rows if label in row]
        if times:
            print(f"  {label:24} {' '.join(f'{t:5.2f}' for t in times)}")


if __name__ == "__main__":
    main()
