"""The site graph a full build of output/ leaves for the builds after it: a card edit in place.

`serve` makes a changed title, summary, lead or photo a change of the pages that show it
(presskit.retouch), because it holds the site graph in memory and knows which pages show each
release. A new `presskit build` process knows neither: it made the whole site again (4-5 s at
10,000 releases). A full build of output/ now leaves both beside its record: its content and
graph (pickled, the releases without their Markdown: about 14 MB at 10,000 releases, a
quarter of a second to take back) and, for each release, the pages that show it (noted as the
build listed its pages: `BuildMemory.shows`). A build after a card edit takes them back and
makes what `serve` would make, with the rendered texts of just the pages it makes from the
release store.

What is kept is taken back only with the record of the full build that kept it (its `built`
name: the quick rebuilds since keep that name). Each release changed since by a quick rebuild
(its digest in the record is not the kept one's) is taken from the release store and swapped
in, as it was then, when it kept its place; anything else means a full build. The file is
sealed (see presskit.seal): what this user's presskit did not write is never unpickled.
"""

from __future__ import annotations

import contextlib
import gc
import io
import marshal
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path

from presskit import __version__, pickled, store
from presskit.cache import BuildMemory
from presskit.config import Settings
from presskit.graph import Newsroom
from presskit.models import Content, Release, pictured_anew, placed_alike
from presskit.quick import Record, lend_bodies, store_key
from presskit.render import Alternate
from presskit.retouch import KeptSite, ShownOn
from presskit.seal import Sealing

_FILE = "site-graph"
_FORMAT = 7


def keep(site_dir: Path, part: str, built: str, content: Content, newsroom: Newsroom,
         alternates: dict[str, tuple[Alternate, ...]], shows: dict[str, tuple[Release, ...]],
         pages: tuple[str, ...], prints: tuple[dict[object, str], ...]) -> None:
    """Keep a full build's graph, under the name of its record (`built`), with the pages that
    show each release (`shows`: the releases each page shows, as the build noted them) and
    each language's fingerprints of what pages show (RenderedSite.prints: a term page's
    thousand cards are found by them)."""
    sources: dict[Release, str] = {}  # each release's once: 925,000 pairs at 50,000 releases
    by_page = {path: [sources.get(release) or sources.setdefault(release, str(release.source))
                      for release in releases] for path, releases in shows.items()}
    shown = _Shown(_turned(by_page), by_page)
    _write(site_dir, part, built, content, newsroom, alternates, pages, prints, shown)


def keep_site(site_dir: Path, part: str, built: str, site: KeptSite,
              written: Callable[[], bytes | None] | None = None) -> None:
    """Keep the site as a build in place left it (after a move, or a release added or
    removed: its graph, lists and the pages that show each release changed), under the same
    name: the record it matches is still of that full build. With `written` (see
    forks.beside: the graph is pickled while the build goes on), it is put in place only
    once `written()` says the build wrote the rest, with the pages made since (`keeping`
    and `made_since`), and left as it was otherwise."""
    if not isinstance(site.shown_on, _Shown):
        if written is None or written() is not None:
            forget(site_dir, part)
        return
    _write(site_dir, part, built, site.content, site.newsroom, site.alternates, site.pages, site.prints,
           site.shown_on, written)


def keeping(site: KeptSite) -> None:
    """Note, from now on, the releases that the pages the build makes show (for `made_since`)."""
    if isinstance(site.shown_on, _Shown):
        site.shown_on.since = {}


def made_since(site: KeptSite) -> bytes:
    """The releases that the pages made since `keeping` show, by page: what keep_site, forked
    then, is told."""
    return marshal.dumps(site.shown_on.since) if isinstance(site.shown_on, _Shown) else b""


class _NotWritten(Exception):
    """The build did not write what the graph describes: the graph kept before stays."""


def _write(site_dir: Path, part: str, built: str, content: Content, newsroom: Newsroom,
           alternates: dict[str, tuple[Alternate, ...]], pages: tuple[str, ...],
           prints: tuple[dict[object, str], ...], shown: _Shown,
           written: Callable[[], bytes | None] | None = None) -> None:
    # Each language's name in itself, as its switcher shows it, kept with the graph: the workers
    # that made the pages looked it up, not this process, and a build after an edit in a site
    # of two languages looked it up again in Babel's locale data (0.03 s).
    for graph in newsroom.graphs:
        graph.language.name  # noqa: B018

    def write(file: Sealing) -> None:  # as it is pickled, never held whole (80 MB at 50,000)
        file.write(pickle.dumps((_FORMAT, __version__, built)))
        pickled.dump((content, newsroom, alternates, pages, prints), file)
        made = shown.pickled()  # while the build goes on: after a move, its word is mostly "nothing"
        since = written() if written is not None else b""
        if since is None:
            raise _NotWritten  # (the file half made is removed)
        changes = marshal.loads(since) if since else {}
        if changes:
            shown.put(changes)
            made = shown.pickled()
        file.write(made)

    try:
        store.write_sealed(site_dir, _FILE, write, part)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
        forget(site_dir, part)


def _turned(by_page: dict[str, list[str]]) -> dict[str, list[str]]:
    by_source: dict[str, list[str]] = {}
    for path, sources in by_page.items():
        for source in sources:
            by_source.setdefault(source, []).append(path)
    return by_source


def forget(site_dir: Path, part: str = "") -> None:
    with contextlib.suppress(OSError):
        store.forget(site_dir, _FILE, part)


class _Shown(ShownOn):
    """The pages that show each release (by source) as kept, and the releases each page shows
    (by source), the second taken back only if a move changes what pages show."""

    def __init__(self, by_source: dict[str, list[str]], by_page: dict[str, list[str]] | bytes) -> None:
        super().__init__({})
        self.by_source = by_source
        self._by_page = by_page
        self.since: dict[str, list[str]] = {}  # what `put` changed, by page (see kept.keeping)

    def by_page(self) -> dict[str, list[str]]:
        if isinstance(self._by_page, bytes):
            self._by_page = marshal.loads(self._by_page)
        return self._by_page

    def pickled(self) -> bytes:
        """Both ways round, as the kept graph's file ends (see `recall`); the releases by page
        as they were read, if nothing asked for them."""
        by_page = self._by_page if isinstance(self._by_page, bytes) else marshal.dumps(self._by_page)
        return pickle.dumps((marshal.dumps(self.by_source), by_page), protocol=pickle.HIGHEST_PROTOCOL)

    def pages(self, source: str) -> set[str]:
        return set(self.by_source.get(source, ()))

    def update(self, shows: dict[str, tuple[Release, ...]]) -> None:
        self.put({path: [str(release.source) for release in releases] for path, releases in shows.items()})

    def put(self, shows: dict[str, list[str]]) -> None:
        """The releases (by source) that these pages show now."""
        by_page = self.by_page()
        for path, now in shows.items():
            before = by_page.get(path, [])
            if now == before:
                continue
            for source in set(before).difference(now):
                self.by_source[source] = [other for other in self.by_source.get(source, ()) if other != path]
            for source in set(now).difference(before):
                self.by_source.setdefault(source, []).append(path)
            by_page[path] = self.since[path] = now

    def turned(self) -> dict[str, set[str]]:
        return {source: set(paths) for source, paths in self.by_source.items()}


def recall(site_dir: Path, part: str, record: Record, releases: store.ReleaseStore) -> KeptSite | None:
    """The site as the record describes it now, if the full build it stems from kept its graph
    and every release changed since kept its place (see module doc); else None."""
    data = store.read_cache(site_dir, _FILE, part)
    if data is None or not record.built:
        return None
    gc.disable()  # a million objects, none of them garbage
    try:
        site = _taken_back(data, record.built)
        if site is not None:
            gc.freeze()  # see settle
    finally:
        gc.enable()
    if site is None:
        return None
    site = _fitting(site, record, releases)
    if site is None:
        settle()
    return site


def settle() -> None:
    """Let the collector see again what `recall` took back, once the change in place is made
    (or found not to be one: the full build that follows must be able to free it). Until
    then, it is kept out of the collector's generations (its first pass over them took a
    quarter of a second, in the wait of a build in place)."""
    gc.unfreeze()


def _taken_back(data: bytes, built: str) -> KeptSite | None:
    stream = io.BytesIO(data)  # two pickles: what it was kept with, then what was kept
    try:
        if pickle.load(stream) != (_FORMAT, __version__, built):
            return None
        content, newsroom, alternates, pages, prints = pickled.load(stream)
        by_source, by_page = pickle.load(stream)  # (pickled once the build's word came)
        shown = _Shown(marshal.loads(by_source), by_page)
    except Exception:  # sealed, so ours; but one that does not fit is just not used
        return None
    return KeptSite(content, newsroom, {}, alternates, shown, prints, pages=pages)


def _fitting(site: KeptSite, record: Record, releases: store.ReleaseStore) -> KeptSite | None:
    """The kept site with the releases changed since it was kept swapped in, if it can be."""
    content = site.content
    if len(content.releases) != len(record.releases):
        return None
    stale = {}
    for release in content.releases:
        known = record.releases.get(str(release.source))
        if known is None:
            return None
        if known[0] != release.digest and known[2]:  # (an unpublished one is shown nowhere)
            stale[str(release.source)] = known[0]
    if not stale:
        return site
    key = store_key(record.environment, content.partners, content.programmes)
    found = releases.load({source: key(digest) for source, digest in stale.items()},
                          content.partners, content.programmes)
    if found is None:
        return None
    for source, (release, _) in found.items():
        old = site.release(source)
        if old is None or not (placed_alike(old, release) or pictured_anew(old, release)):
            return None
    return site.with_edits([release for release, _ in found.values()],
                           {release: body for release, body in found.values()})


def lend(site: KeptSite, record: Record, changed: Iterable[str], releases: store.ReleaseStore,
         memory: BuildMemory, settings: Settings) -> KeptSite:
    """The site with the rendered texts a card edit of these files needs (the old text of
    each, which it compares with the new), and `memory` with those of the releases whose pages
    or feed entries it makes again (the others would be rendered from their files again)."""
    sources = {source for source in changed if source in record.releases}
    wanted = set(sources)
    paths = set().union(*(site.shown_on.pages(source) for source in sources)) if sources else set()
    wanted |= {str(release.source) for release in site.newsroom.releases if release.path in paths}
    wanted |= {entry for _, _, entries, _ in record.feeds.values() if not sources.isdisjoint(entries)
               for entry in entries}
    key = store_key(record.environment, site.content.partners, site.content.programmes)
    keys = {source: key(record.releases[source][0]) for source in wanted
            if source in record.releases and record.releases[source][2]}
    found = releases.load(keys, site.content.partners, site.content.programmes, partial=True) or {}
    lend_bodies(memory, settings, found.values())
    bodies = dict(site.bodies)
    for source in sources:
        old = site.release(source)
        if old is not None and source in found:
            bodies[old] = found[source][1]
    return KeptSite(site.content, site.newsroom, bodies, site.alternates, site.shown_on, site.prints,
                    site.card_keys, site.places, site.pages)
