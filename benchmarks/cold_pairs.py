"""Two kinds of cold build side by side, alternating, for the ratio targets of the issues:

    python benchmarks/cold_pairs.py search --size 10000 --runs 3     # issue #10: at most 1.25
    python benchmarks/cold_pairs.py bilingual --size 10000 --runs 3  # issue #9: at most 1.6
    python benchmarks/cold_pairs.py extras --size 10000 --runs 3     # issue #15: at most 1.2

- search: one generated site built cold "with" the search index (`presskit build` as shipped)
  and "without" it (the same build with the index left out and the body words it is made from
  not counted: what a presskit without search would do);
- bilingual: a generated English-only site ("without") and the same site with half its
  releases in Vietnamese too ("with"; benchmarks/generate.py --bilingual), both built as
  shipped;
- extras: one generated site built cold as shipped ("with": the search index and the photo
  files, sizes, print copies and link previews, made) and "without" both (the index left out
  as above, and no photo file made: the pages are the same, pointing at files never made).

Each build is cold (no output/, no .presskit-cache/) and runs in a new process; the two
kinds alternate so that the machine's noise falls on both alike. Prints each run, the medians
and their ratio (with / without). With `extras --photos-kept`, the "with" builds keep the photo
files a first, untimed build made (`.presskit-cache/media/` and `media-index`, named by their
source's content), as a deploy that keeps them between runs has them (see README, Deploying),
and are otherwise cold.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import as_installed
from generate import generate

_DRIVER = """
import functools, sys
from presskit import build, search
if sys.argv[1] == "no-search":
    build.make_site = functools.partial(build.make_site, search=False)
    search.body_words = lambda body: None
if sys.argv[1] == "bare":
    from presskit import media
    build.make_site = functools.partial(build.make_site, search=False)
    search.body_words = lambda body: None
    media.Media.make = lambda self, workers=1: 0
    media.Media.outputs = lambda self: iter(())
from presskit.cli import main
sys.exit(main(["build", sys.argv[2]]))
"""


_PHOTO_FILES = ("media", "media-index")  # in .presskit-cache/


def cold(site: Path, how: str, photos: Path | None = None) -> float:
    """One cold build: `photos`, a folder outside the site that keeps the photo files of the
    first build that made them (untimed copies), put back into the cache first."""
    cache = site / ".presskit-cache"
    if photos is not None and not photos.exists() and (cache / "media").is_dir():
        photos.mkdir()
        shutil.copytree(cache / "media", photos / "media")
        shutil.copy2(cache / "media-index", photos / "media-index")
    for folder in (site / "output", cache):
        shutil.rmtree(folder, ignore_errors=True)
    if photos is not None and photos.exists():
        cache.mkdir()
        shutil.copytree(photos / "media", cache / "media")
        shutil.copy2(photos / "media-index", cache / "media-index")
    time.sleep(2.1)  # presskit trusts file times only once they are 2 s old
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _DRIVER, how, str(site)], capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{site} ({how}): the build failed\n{done.stderr}")
    has_index = (site / "output" / "search" / "data" / "meta.jsonz").exists()
    if has_index != (how == "as-shipped"):
        sys.exit(f"{site} ({how}): the search index is {'there' if has_index else 'missing'}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("compare", choices=["search", "bilingual", "extras"])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--vocabulary", type=int, default=0, metavar="N",
                        help="English drawn from N words, as a newsroom writes (default: 51 words)")
    parser.add_argument("--site", type=Path, help="a generated English-only site to use (default: make one)")
    parser.add_argument("--photos-kept", action="store_true",
                        help="extras: the builds with them keep the photo files made before (see above)")
    args = parser.parse_args()
    as_installed.compiled()  # presskit's bytecode, as a pip install has it
    scratch = Path(tempfile.mkdtemp(prefix="presskit-cold-pairs-"))
    try:
        site = args.site or generate(args.size, scratch / "site", vocabulary=args.vocabulary)
        if args.compare == "search":
            kinds = {"with": (site, "as-shipped"), "without": (site, "no-search")}
        elif args.compare == "extras":
            kinds = {"with": (site, "as-shipped"), "without": (site, "bare")}
        else:
            bilingual = generate(args.size, scratch / "bilingual", bilingual=True, vocabulary=args.vocabulary)
            kinds = {"with": (bilingual, "as-shipped"), "without": (site, "as-shipped")}
        photos = scratch / "photo-files" if args.photos_kept and args.compare == "extras" else None
        if photos is not None:
            cold(*kinds["with"])  # the photo files, made once, untimed
        times: dict[str, list[float]] = {"with": [], "without": []}
        for number in range(args.runs):
            for kind in ("with", "without") if number % 2 == 0 else ("without", "with"):
                times[kind].append(cold(*kinds[kind], photos if kind == "with" else None))
                print(f"run {number + 1}, {kind}: {times[kind][-1]:.2f} s", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with_, without = statistics.median(times["with"]), statistics.median(times["without"])
    what = f"{args.compare} (photo files kept)" if args.photos_kept else args.compare
    print(f"{what}: cold builds of {args.size} releases, medians of {args.runs}: "
          f"with {with_:.2f} s, without {without:.2f} s, ratio {with_ / without:.2f}")


if __name__ == "__main__":
    main()
