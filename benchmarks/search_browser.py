"""The search page of a built site in headless Chromium: what a first search downloads and how
long results take to appear after typing (median of several words), for README's figures.

    python benchmarks/search_browser.py SITE_FOLDER [WORD ...]

The site must be built; it is served on loopback under its base path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import CHROMIUM, CHROMIUM_FLAGS, static_server

WORDS = ["treasury", "informal district", "budg", "employment policy 2019", "zzzznothing"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("words", nargs="*", default=WORDS)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    settings = tomllib.loads((args.site / "presskit.toml").read_text())
    base = urlsplit(settings["base_url"]).path or "/"
    with tempfile.TemporaryDirectory() as scratch, \
            static_server(args.site.resolve() / "output", Path(scratch), base) as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        latencies = []
        for word in args.words:
            page = browser.new_page()
            sizes: dict[str, int] = {}
            page.on("requestfinished", lambda request, sizes=sizes: sizes.__setitem__(
                request.url, request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
            page.goto(url + "search/")
            page.wait_for_function("document.querySelector('.search-filters') && "
                                   "!document.querySelector('.search-filters').hidden")
            # From the last key's input event to the results drawn (or "no release" said),
            # as the page sees it, not counting the driver's own round trips.
            page.evaluate("""() => {
                document.getElementById('search-q').addEventListener('input',
                    () => { window.typedAt = performance.now(); }, {capture: true});
                new MutationObserver(() => { window.shownAt = performance.now(); })
                    .observe(document.querySelector('.search-results-area'),
                             {childList: true, subtree: true, characterData: true});
            }""")
            page.get_by_label("Words to find").press_sequentially(word, delay=30)
            page.wait_for_function(
                """() => new URLSearchParams(location.search).get('q')
                         === document.getElementById('search-q').value
                   && document.querySelector('.search-status').innerText !== ''
                   && (document.querySelectorAll('.search-result').length > 0
                       || document.querySelector('.search-status').innerText.startsWith('No'))""")
            page.wait_for_timeout(300)  # anything still being drawn moves shownAt
            elapsed = page.evaluate("window.shownAt - window.typedAt")
            latencies.append(elapsed)
            total = sum(sizes.values())
            index = sum(size for address, size in sizes.items() if "/search/data/" in address)
            print(f"{word!r}: {page.locator('.search-status').inner_text()}; results in {elapsed:.0f} ms "
                  f"(40 ms of it the pause after typing); downloaded {total / 1000:.0f} KB in all, "
                  f"{index / 1000:.0f} KB of index, {len(sizes)} files")
            page.close()
        print(f"median {statistics.median(latencies):.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
