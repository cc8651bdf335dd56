"""The site graph a full build of output/ leaves for the builds after it: a card edit in place.

`serve` makes a changed title, summary, lead or photo a change of the pages that show it
(presskit.retouch), because it holds the site graph in memory and knows which pages show each
release. A new `presskit build` process knows neither: it made the whole site again (4-5 s at
10,000 releases). A full build of output/ now leaves both beside its record, pickled (the
releases without their Markdown, asleep: see presskit.asleep), in two files: its content
(`site-graph-content`, 11 MB at 10,000 releases), and its graph with, for each release, the
pages that show it (noted as the build listed its pages: `BuildMemory.shows`), which refers
to the models of that content by their place in it (`site-graph`, 6 MB). Both take a tenth
of a second to take back. A build after a card edit takes them back and makes what `serve`
would make, with the rendered texts of just the pages it makes from the release store; after
a move, a release added or deleted, it writes the graph again, not the content.

What is kept is taken back only with the record of the full build that kept it (its `built`
name: the quick rebuilds since keep that name). Each release changed since by a quick rebuild
(its digest in the record is not the kept one's) is taken from the release store and swapped
in, as it was then, when it kept its place; anything else means a full build. The files are
sealed (see presskit.seal): what this user's presskit did not write is never unpickled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io
import marshal
import os
import pickle
import secrets
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

from presskit import __version__, asleep, pickled, store
from presskit.cache import BuildMemory
from presskit.config import Settings
from presskit.graph import Newsroom
from presskit.models import (
    Asset,
    Contact,
    Content,
    CountryText,
    Page,
    Partner,
    Programme,
    Release,
    TopicText,
    pictured_anew,
    placed_alike,
)
from presskit.quick import Record, lend_bodies, store_key
from presskit.render import Alternate, Alternates, PlainVersions, plain_versions
from presskit.retouch import KeptSite, ShownOn
from presskit.seal import Sealing

_FILE = "site-graph"
_CONTENT = "site-graph-content"  # the full build's content, whose models _FILE refers to
_VERSIONS = "site-graph-versions"  # each page's versions in other languages: see `keep_site`
_FORMAT = 14  # 8: the full build's content kept apart (see `keep_site`); 9: the versions as plain
# data; 10: the content's releases asleep (see presskit.asleep); 11: their photos too; 12: what
# they share with the content referred to through its shelf's dispatch table; 13: the pages
# that show each release marshalled entry by entry (see _Shown); 14: the versions kept apart
# (_VERSIONS), marshalled
# How _Shown packs its numbers (this machine's): a graph kept on another machine, whose cache
# went with a deploy, is taken back only if it packs them the same way.
_PACKING = (sys.byteorder, array("I").itemsize)
# The models of content/ kept apart, each named by its field of Content and its place there;
# they are compared by identity (eq=False), so the graph must refer to the very objects.
_APART = (Release, asleep.Asleep, Partner, Programme, Page, Asset, TopicText, Contact, CountryText)


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
    shown = _Shown.of(by_page)
    try:
        store.write_sealed(site_dir, _CONTENT, partial(_write_content, built=built, content=content), part)
    except _UNPICKLABLE:
        forget(site_dir, part)
        return
    token = _write_versions(site_dir, part, built, plain_versions(alternates))  # (see render.Alternates)
    if token is None:
        forget(site_dir, part)
        return
    _write(site_dir, part, built, token, content, newsroom, pages, prints, shown, content)


def _write_content(file: Sealing, built: str, content: Content) -> None:
    file.write(pickle.dumps((_FORMAT, _PACKING, __version__, built)))
    # each release asleep: taken back, what only its pages and card show waits (presskit.asleep)
    pickled.dump(content, file, kinds=(Release, asleep.Asleep), reduced=asleep.put_to_sleep(content.releases))


def keep_site(site_dir: Path, part: str, built: str, site: KeptSite) -> Staged:
    """Keep the site as a build in place left it (after a move, or a release added or
    removed: its graph, lists and the pages that show each release changed), under the same
    name: the record it matches is still of that full build. Its files are staged, and take
    the place of the kept ones once output/ and the record are written (`commit`): a build
    that fails before leaves the kept site as it was, and the next build makes the change in
    place again. The content of that build (`site.apart`, kept in a file of its own) is
    referred to, its models not pickled again (a release edited or moved since is pickled as
    it is now): 0.05 s at 10,000 releases, where the whole graph took 0.3 s."""
    drop(Staged(site_dir, part, (_FILE, _VERSIONS)))  # (what a build that failed left)
    if not isinstance(site.shown_on, _Shown):
        return Staged(site_dir, part, (), forgets=True)
    versions = plain_versions(site.alternates)
    was = site.versions_kept
    names = [_FILE]
    if isinstance(was, _VersionsKept) and versions == was.versions:
        token = was.token  # (a move that no list gained or lost a page by: most)
    else:
        token = _write_versions(site_dir, part, built, versions, _STAGED)
        if token is None:
            return Staged(site_dir, part, (), forgets=True)
        names.append(_VERSIONS)
    if not _write(site_dir, part, built, token, site.content, site.newsroom, site.pages, site.prints,
                  site.shown_on, site.apart, _STAGED):
        return Staged(site_dir, part, tuple(names), forgets=True)
    return Staged(site_dir, part, tuple(names))


_STAGED = ".staged"  # (the end of the name of a file of the kept site staged: see keep_site)


@dataclass(frozen=True)
class Staged:
    """The files of a kept site staged (see keep_site), by the names they take; with
    `forgets`, the site could not be kept: the kept one is forgotten when the build is done."""

    site_dir: Path
    part: str
    names: tuple[str, ...]
    forgets: bool = False


def commit(staged: Staged) -> None:
    """The staged files of a kept site put in the place of the kept ones (output/ and the
    record written), the graph last: one kept with the versions of another is not taken back
    (see _write_versions)."""
    if staged.forgets:
        drop(staged)
        forget(staged.site_dir, staged.part)
        return
    folder = store.part_dir(staged.site_dir, staged.part)
    try:
        for name in sorted(staged.names, key=lambda name: name == _FILE):
            os.replace(folder / f"{name}{_STAGED}", folder / name)
    except OSError:  # (it costs the next build a full one)
        forget(staged.site_dir, staged.part)


def drop(staged: Staged) -> None:
    """Remove the staged files (the build failed: the kept site stays as it was)."""
    for name in staged.names:
        store.forget(staged.site_dir, f"{name}{_STAGED}", staged.part)


@dataclass(frozen=True)
class _VersionsKept:
    """What the file of versions (_VERSIONS) holds, as a build took it back: the graph kept
    after a move refers to it by its token while the versions are those (the same objects:
    compared in a millisecond), and a move need not write them again (0.015 s and 1.3 MB at
    10,000 releases in two languages)."""

    token: str
    versions: dict[str, PlainVersions]


def _write_versions(site_dir: Path, part: str, built: str, versions: dict[str, PlainVersions],
                    staged: str = "") -> str | None:
    """Keep each page's versions, under a new token, which the graph kept next names: a graph
    and a file of versions of two builds (one stopped between the two files) are never taken
    back together. `staged`: the end of the name of a file staged (see keep_site)."""
    token = secrets.token_hex(8)
    try:
        data = marshal.dumps((_FORMAT, _PACKING, __version__, built, token, versions))
    except ValueError:  # (not plain data: no graph kept, a full build next)
        return None
    store.write_cache(site_dir, _VERSIONS + staged, data, part)
    return token


def _write(site_dir: Path, part: str, built: str, token: str, content: Content, newsroom: Newsroom,
           pages: tuple[str, ...], prints: tuple[dict[object, str], ...], shown: _Shown,
           apart: Content | None, staged: str = "") -> bool:
    # Each language's name in itself, as its switcher shows it, kept with the graph: the workers
    # that made the pages looked it up, not this process, and a build after an edit in a site
    # of two languages looked it up again in Babel's locale data (0.03 s).
    for graph in newsroom.graphs:
        graph.language.name  # noqa: B018

    def write(file: Sealing) -> None:  # as it is pickled, never held whole (80 MB at 50,000)
        file.write(pickle.dumps((_FORMAT, _PACKING, __version__, built, token)))
        pickled.dump((content, newsroom, pages, prints), file, kinds=_APART, apart=_names(apart))
        file.write(shown.pickled())

    try:
        store.write_sealed(site_dir, _FILE + staged, write, part)
    except _UNPICKLABLE:
        if not staged:
            forget(site_dir, part)
        return False
    return True


_UNPICKLABLE = (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError)


def _names(content: Content | None) -> dict[int, tuple[str, object]]:
    """The models of content/ that the full build kept apart (see _APART), by id: the field of
    Content each is in (a tuple, or a dict), and its place or key there."""
    names: dict[int, tuple[str, object]] = {}
    for item in fields(content) if content is not None else ():
        value = getattr(content, item.name)
        places = (value.items() if isinstance(value, dict)
                  else enumerate(value) if isinstance(value, tuple) else ())
        names.update((id(model), (item.name, at)) for at, model in places if isinstance(model, _APART))
    return names


class _Named:
    """The models of a content kept apart, by their names (see `_names`)."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def __getitem__(self, name: tuple[str, object]) -> object:
        field, at = name
        return getattr(self.content, field)[at]


def _turned(by_page: dict[str, list[str]]) -> dict[str, list[str]]:
    by_source: dict[str, list[str]] = {}
    for path, sources in by_page.items():
        for source in sources:
            by_source.setdefault(source, []).append(path)
    return by_source


def forget(site_dir: Path, part: str = "") -> None:
    with contextlib.suppress(OSError):
        store.forget(site_dir, _FILE, part)
        store.forget(site_dir, _CONTENT, part)
        store.forget(site_dir, _VERSIONS, part)


class _Shown(ShownOn):
    """The pages that show each release (by source) as kept, and the releases each page shows,
    each entry kept packed until asked for: the places of the pages (in `by_page`'s order) or
    of the releases (in `by_source`'s), as an array of numbers. A move reads and changes those
    of a few dozen pages and releases, of 22,000 and 15,000 at 10,000 releases in two languages
    (both ways round as lists of names, whole, took 0.03 s to take back and keep again). A key
    once there stays, in its place (a page gone shows nothing)."""

    def __init__(self, by_source: dict[str, bytes], by_page: dict[str, bytes]) -> None:
        super().__init__({})
        self.by_source, self.by_page = by_source, by_page
        self._places: tuple[dict[str, int], dict[str, int]] | None = None  # (made when changed)

    @classmethod
    def of(cls, by_page: dict[str, list[str]]) -> _Shown:
        """As a full build noted it: the releases (by source) each page shows."""
        by_source = _turned(by_page)
        page_at = {path: at for at, path in enumerate(by_page)}
        source_at = {source: at for at, source in enumerate(by_source)}
        return cls({source: _packed([page_at[path] for path in paths])
                    for source, paths in by_source.items()},
                   {path: _packed([source_at[source] for source in sources])
                    for path, sources in by_page.items()})

    @classmethod
    def loads(cls, data: bytes) -> _Shown:
        by_source, by_page = marshal.loads(data)
        return cls(by_source, by_page)

    def pickled(self) -> bytes:
        """Both ways round, as the kept graph's file ends (see `recall`)."""
        return marshal.dumps((self.by_source, self.by_page))

    def pages(self, source: str) -> set[str]:
        found = self.by_source.get(source)
        if not found:
            return set()
        pages = list(self.by_page)
        return {pages[at] for at in _unpacked(found)}

    def update(self, shows: dict[str, tuple[Release, ...]]) -> None:
        self.put({path: [str(release.source) for release in releases] for path, releases in shows.items()})

    def put(self, shows: Mapping[str, list[str]]) -> None:
        """The releases (by source) that these pages show now."""
        by_page, by_source = self.by_page, self.by_source
        if self._places is None:
            self._places = ({source: at for at, source in enumerate(by_source)},
                            {path: at for at, path in enumerate(by_page)})
        source_at, page_at = self._places
        sources = list(by_source)
        for path, now in shows.items():
            page = page_at.get(path)
            if page is None:
                page = page_at[path] = len(page_at)
                by_page[path] = _packed([])
            before = [sources[at] for at in _unpacked(by_page[path])]
            if now == before:
                continue
            for source in set(before).difference(now):
                by_source[source] = _packed([at for at in _unpacked(by_source[source]) if at != page])
            for source in set(now).difference(before):
                if source not in source_at:  # (its key comes last in by_source, as in sources)
                    source_at[source] = len(sources)
                    sources.append(source)
                by_source[source] = _packed([*_unpacked(by_source.get(source, b"")), page])
            by_page[path] = _packed([source_at[source] for source in now])

    def turned(self) -> dict[str, set[str]]:
        pages = list(self.by_page)
        return {source: {pages[at] for at in _unpacked(found)} for source, found in self.by_source.items()}


def _packed(places: list[int]) -> bytes:
    return array("I", places).tobytes()


def _unpacked(data: bytes) -> list[int]:
    places = array("I")
    places.frombytes(data)
    return places.tolist()


# The files of a kept graph, in the order `recall` reads them (see store.ReadAhead).
FILES = (_FILE, _CONTENT, _VERSIONS)


def recall(record: Record, releases: store.ReleaseStore,
           read: Callable[[str], bytes | None]) -> KeptSite | None:
    """The site as the record describes it now, if the full build it stems from kept its graph
    and every release changed since kept its place (see module doc); else None. `read`: the
    cache's files (FILES), by name."""
    data = read(_FILE)
    apart = read(_CONTENT) if data is not None else None
    versions = read(_VERSIONS) if apart is not None else None
    if data is None or apart is None or versions is None or not record.built:
        return None
    gc.disable()  # a million objects, none of them garbage
    try:
        site = _taken_back(data, apart, versions, record.built)
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


def _taken_back(data: bytes, kept_content: bytes, kept_versions: bytes, built: str) -> KeptSite | None:
    kept = (_FORMAT, _PACKING, __version__, built)
    try:  # each file: what it was kept with, then what was kept
        *header, token, versions = marshal.loads(kept_versions)
        stream = io.BytesIO(data)
        if tuple(header) != kept or pickle.load(stream) != (*kept, token):
            return None
        kept_stream = io.BytesIO(kept_content)
        if pickle.load(kept_stream) != kept:
            return None
        paths: dict[str, Path] = {}
        apart = pickled.load(kept_stream, paths=paths)
        content, newsroom, pages, prints = pickled.load(stream, apart=_Named(apart), paths=paths)
        shown = _Shown.loads(stream.read())  # (marshalled, see _Shown.pickled)
        alternates = Alternates(versions, {graph.language.code: graph.language for graph in newsroom.graphs})
    except Exception:  # sealed, so ours; but one that does not fit is just not used
        return None
    return KeptSite(content, newsroom, {}, alternates, shown, prints, pages=pages, apart=apart,
                    versions_kept=_VersionsKept(token, dict(versions)))  # (its own: never changed)


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
    return dataclasses.replace(site, bodies=bodies)
