"""Save-to-reload latency of `presskit serve`: from a file's save to the reload event reaching
a client listening like the browser tab does (Server-Sent Events on /__presskit__/events).

    python benchmarks/serve_latency.py                 # the demo newsroom and 5,000 releases
    python benchmarks/serve_latency.py --sizes 0 10000 # 0 means the demo newsroom

Each site is copied or generated into a temporary folder, built once with `presskit build` (as a
newsroom that publishes has an output/ beside its content; --unbuilt skips that), served by
`presskit serve` in its own process on loopback, and edited --saves times; the median and 90th
percentile are printed, with the slowest save.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import as_installed
from generate import generate

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EventListener:
    """Reads the preview's event stream and notes when each new build is announced."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrivals: list[tuple[float, int]] = []
        self.lock = threading.Condition()
        threading.Thread(target=self.listen, daemon=True).start()

    def listen(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port)
        connection.request("GET", "/__presskit__/events")
        stream = connection.getresponse()
        while True:
            line = stream.fp.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                state = json.loads(line[6:])
                with self.lock:
                    self.arrivals.append((time.perf_counter(), state["build"]))
                    self.lock.notify_all()

    def wait_for_build_after(self, build: int, timeout: float = 120) -> tuple[float, int]:
        with self.lock:
            self.lock.wait_for(lambda: any(b > build for _, b in self.arrivals), timeout)
            return next((t, b) for t, b in self.arrivals if b > build)


def _other_photo(text: str, number: int) -> str:
    """The release's first photo replaced by another of the generated site's (which other
    releases show already), a different one at each save."""
    found = re.search(r"(?m)^  - src: /media/photo-(\d\d)\.jpg", text)
    if found is None:
        return text
    others = [n for n in (1, 2, 3) if n != int(found[1])]
    return f"{text[:found.start(1)]}{others[number % 2]:02d}{text[found.end(1):]}"


def _partner_02(text: str, number: int) -> str:
    """partner-02 added to the release's partners, or taken out if it was there (as
    benchmarks/run.py's partner edit): it joins or leaves that partner's page."""
    found = re.search(r"(?m)^partners: \[(.*)\]$", text)
    if found is None:
        return text
    if number % 2:
        return text
    named = [name.strip() for name in found[1].split(",") if name.strip()]
    had = "partner-02" in named
    named = [name for name in named if name != "partner-02"] + ([] if had else ["partner-02"])
    return f"{text[:found.start()]}partners: [{', '.join(named)}]{text[found.end():]}"


EDITS = {
    # A sentence added at the end of the text: only the release's page and its feeds change.
    "words": lambda text, number: text.rstrip("\n") + f" Edit number {number}.\n",
    # A new first paragraph: the summary on every card of the release changes too.
    "lead": lambda text, number: text.replace("\n---\n", f"\n---\n\nEdit number {number}.\n", 1),
    # A new headline: every list, card and feed that shows the release changes.
    "title": lambda text, number: re.sub(r"(?m)^title: .*$", f"title: Retitled number {number}", text,
                                         count=1),
    # A new day in the same month: the release moves among its neighbours (not a card edit:
    # the site is rendered again in memory, pages whose fingerprint did not change excepted).
    # partner-02 added (or taken out), then put back: the partner's page and feed change.
    "partner": _partner_02,
    # Another photo (shown by other releases already): the pages that show its card change.
    "photo": _other_photo,
    "date": lambda text, number: re.sub(r"(?m)^date: (\d{4}-\d\d)-\d\d",
                                        rf"date: \g<1>-{10 + number % 18:02d}", text, count=1),
}


Act = Callable[[], None]


def _new_release(site: Path, release: Path, text: str, number: int) -> tuple[Act, Act]:
    """A new release saved beside `release`, dated today (the newest, as a new release is);
    undone by removing it."""
    added = release.parent / f"new-release-bench-{number}.md"
    dated = re.sub(r"(?m)^date: .*$", f"date: {datetime.date.today().isoformat()}", text, count=1)
    written = re.sub(r"(?m)^title: .*$", f"title: New release number {number}", dated, count=1)
    return lambda: added.write_text(written), lambda: added.unlink(missing_ok=True)


def _drafted_release(site: Path, release: Path, text: str, number: int) -> tuple[Act, Act]:
    """A release as `presskit new` writes it (a draft, today's, with every key and no term
    yet); undone by removing it."""
    from presskit.scaffold import RELEASE_TEMPLATE
    from presskit.text import make_slug

    title, today = f"Drafted release number {number}", datetime.date.today()
    added = site / "content/releases" / str(today.year) / f"{make_slug(title)}.md"
    written = RELEASE_TEMPLATE.format(title=json.dumps(title), date=today.isoformat())
    return lambda: added.write_text(written), lambda: added.unlink(missing_ok=True)


def _deleted_release(site: Path, release: Path, text: str, number: int) -> tuple[Act, Act]:
    """Another release deleted (the site's releases in file order from the 10th: most are
    older than the newest lists' pages); undone by saving it back."""
    gone = sorted((site / "content/releases").rglob("*.md"))[10 + number]
    kept = gone.read_bytes()
    return gone.unlink, lambda: gone.write_bytes(kept)


# Saves that add or remove a file rather than edit one: each gives the save, made ready
# before the clock starts (finding the 10th release is a walk of the site), and how to undo it.
FILE_EDITS: dict[str, Callable[[Path, Path, str, int], tuple[Act, Act]]] = {
    # A release written today: it joins the top of every list it belongs to; the pages of the
    # list of all releases shift by one, and the counts on them change.
    "new": _new_release,
    # A release removed: the same, from its place down.
    "delete": _deleted_release,
    # A release as `presskit new` writes it: a draft, shown in the preview, at the top.
    "drafted": _drafted_release,
}


def measure(site: Path, saves: int, edit: str, pause: float = 0.4) -> list[float]:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as said:  # its reports (never a full pipe)
        timings = _saves(site, saves, edit, said, pause)
        # What the preview said of each rebuild ("Rebuilt in 0.21 s: ..."): its own time, from
        # the start of the rebuild to the files served, without the watcher's pause for more
        # events and the event's way to the tab.
        said.seek(0)
        own = [float(found[1]) for found in re.finditer(r"Rebuilt in ([0-9.]+) s", said.read())]
    if own:
        print(f"{'':>22} {edit:>6} the preview's own times: median "
              f"{statistics.median(own) * 1000:.0f} ms of {len(own)}", flush=True)
    return timings


def _saves(site: Path, saves: int, edit: str, said: IO[str], pause: float) -> list[float]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "presskit", "serve", str(site), "--port",
                                str(port)], stdout=subprocess.PIPE, stderr=said, text=True)
    try:
        process.stdout.readline()  # "Previewing ... at ..." once the first build is served
        listener = EventListener(port)
        time.sleep(0.5)
        build = max((b for _, b in listener.arrivals), default=1)
        release = sorted((site / "content/releases").rglob("*.md"))[len(site.name) % 7]
        original = release.read_text()
        timings = []
        undo: list[Callable[[], None]] = []
        try:
            copied: list[float] = []
            for number in range(saves):
                if edit == "newphoto":  # a photo copied into content/media/ (timed on its own),
                    # then shown by the release: its sizes, link preview and download are made
                    photo = site / "content/media" / f"bench-new-{number}.jpg"
                    data = (site / "content/media/photo-00.jpg").read_bytes() + f"{time.time_ns()}".encode()
                    undo.append(lambda photo=photo: photo.unlink(missing_ok=True))
                    saved = time.perf_counter()
                    photo.write_bytes(data)  # the same pixels, other bytes: a photo never made
                    arrived, build = listener.wait_for_build_after(build)
                    copied.append((arrived - saved) * 1000)
                    time.sleep(pause)
                    edited = re.sub(r"(?m)^  - src: /media/.*$", f"  - src: /media/{photo.name}", original,
                                    count=1)
                    act = lambda edited=edited: release.write_text(edited)  # noqa: E731
                elif edit in FILE_EDITS:
                    act, back = FILE_EDITS[edit](site, release, original, number)
                    undo.append(back)
                else:
                    edited = EDITS[edit](original, number)
                    act = lambda edited=edited: release.write_text(edited)  # noqa: E731
                saved = time.perf_counter()
                act()
                arrived, build = listener.wait_for_build_after(build)
                timings.append((arrived - saved) * 1000)
                time.sleep(pause)
            if copied:
                print(f"{'':>22} {'copied':>6} a photo copied into content/media/: median "
                      f"{statistics.median(copied):.0f} ms of {len(copied)} "
                      f"({', '.join(f'{t:.0f}' for t in copied)})", flush=True)
        finally:
            release.write_text(original)
            for step in undo:
                step()
        return timings
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    """End a preview as Ctrl-C does (it says all it has to say and keeps what it made), or
    at last as a signal to terminate does."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 5000],
                        help="numbers of releases to generate; 0 is the demo newsroom")
    parser.add_argument("--saves", type=int, default=15)
    parser.add_argument("--edits", nargs="+", choices=sorted([*EDITS, *FILE_EDITS, "newphoto"]),
                        default=["words", "lead", "title"])
    parser.add_argument("--pause", type=float, default=0.4,
                        help="seconds between a reload and the next save (a new release's build goes "
                             "on after the reload: 1.5 lets it end, as a writer's pause does)")
    parser.add_argument("--unbuilt", action="store_true",
                        help="serve sites that were never built (no output/ beside them)")
    parser.add_argument("--site", type=Path,
                        help="a site to serve instead of generated ones (edited, then put back)")
    arguments = parser.parse_args()
    as_installed.compiled()  # presskit's bytecode, as a pip install has it
    print(f"{'site':>22} {'edit':>6} {'saves':>6} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}")
    with tempfile.TemporaryDirectory() as scratch:
        for size in [None] if arguments.site else arguments.sizes:
            if size is None:
                site, name = arguments.site, arguments.site.name
            elif size == 0:
                site = Path(scratch) / "demo"
                shutil.copytree(REPO / "content", site / "content")
                shutil.copy(REPO / "presskit.toml", site)
                name = "demo newsroom"
            else:
                site = generate(size, Path(scratch) / f"site-{size}")
                name = f"{size:,} releases"
            moment = time.time() - 3600  # as if saved a while ago (see README, "racy" files)
            for path in [site / "presskit.toml", *(site / "content").rglob("*")]:
                os.utime(path, (moment, moment))
            if not arguments.unbuilt:
                subprocess.run([sys.executable, "-m", "presskit", "build", str(site)], check=True,
                               stdout=subprocess.DEVNULL)
            for edit in arguments.edits:
                timings = measure(site, arguments.saves, edit, arguments.pause)
                p90 = statistics.quantiles(timings, n=10, method="inclusive")[-1]  # never past the largest
                print(f"{name:>22} {edit:>6} {len(timings):>6} {statistics.median(timings):>10.0f} "
                      f"{p90:>8.0f} {max(timings):>8.0f}", flush=True)
                print(f"{'':>22} {edit:>6} each save, in turn: {' '.join(f'{t:.0f}' for t in timings)} ms",
                      flush=True)


if __name__ == "__main__":
    main()
