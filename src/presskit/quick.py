"""Quick rebuilds: when only the words of releases changed, make only what shows them.

A build leaves a `Record`: the state of every file under content/, and for every release its
*shape*, which is everything that any page other than its own shows of it or depends on
(address, title, date, terms, card, photos, publication state, the files its body points
at), its neighbours (previous, next, related) and the feeds that carry its text. When every
changed file is a release with the same shape, nothing else in the site can have changed: its
page and those feeds are all that is made again. Anything else (a file added, removed or
renamed, a new title or date, a partner, a template, the settings, an embargo that lifted, a
warning) is left to the full build, which is always right.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import marshal
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, repeat
from operator import ne
from pathlib import Path
from typing import Any, Protocol

from presskit import __version__, paths
from presskit.cache import (
    IN_OUTPUT,
    BuildMemory,
    Stat,
    Written,
    fingerprint,
    just_changed,
    newest,
    stat_key,
    trusted_before,
    walk,
)
from presskit.config import Settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.graph import Newsroom, ReleaseLinks, SiteGraph, Topic
from presskit.languages import site_languages
from presskit.markdown import BodyRenderer, RenderedBody, is_site_path
from presskit.models import Content, Partner, Programme, Release, body_key, placing, shown_elsewhere
from presskit.render import Alternate, OutputFile, SearchEdit, feed_indexes, render_releases
from presskit.schema import load_releases, organisations, remember_releases
from presskit.search import ENTRY_KEY_SIZE, numbered
from presskit.store import KeptCards, SavedModels, lend_models

_FORMAT = 20  # 16: releases stored without their Markdown (models.Text); 17: texts kept by it;
# 18: search places in the order of the index's numbers (see search.index_numbers); 19: the
# list of output/ as data, the file's token, and the changes since (see Record.changes_since);
# 20: a release's shape ends with what places it (see placed_as)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)

# topics (name, slug), previous, next, related, and versions (language, path, published)
Links = tuple[tuple[tuple[str, str], ...], str | None, str | None, tuple[str, ...],
              tuple[tuple[str, str, bool], ...]]


# The fields of a record whose changes since its file was written are kept by entry (see
# Record.changes_since), and those kept whole.
_ENTRIES = ("files", "releases", "links", "feeds", "pages", "graph_memo", "warnings", "searched", "digests",
            "written", "cards")
_VALUES = ("environment", "output", "next_embargo", "walked_at", "output_files", "next_change", "built",
           "models")
_GONE = object()


def _entries(value: Mapping[str, Any]) -> dict[str, Any]:
    """A record's field as the dict of its entries (a Packed one's, packed)."""
    return value.packed if isinstance(value, Packed) else value  # type: ignore[return-value]


# What a template would use to show more of a release than its shape: its text or its file.
_BEYOND_SHAPE = re.compile(
    r"""\.(?:body|body_line|digest|source)\b|\[\s*["'](?:body|body_line|digest|source)["']""")


def environment(settings: Settings, themes: list[dict[str, Stat]], options: object) -> str:
    """Everything besides content/ that a page depends on: presskit, settings, templates.
    Empty (never equal to a recorded one, so no quick rebuild) while a template or the settings
    just changed, or when a template shows a release's text or file, which a quick rebuild
    assumes only the release's own page and its feed entries do."""
    try:
        settings_bytes = settings.settings_file.read_bytes()
        settings_time = settings.settings_file.stat().st_mtime_ns
    except OSError:
        return ""
    if just_changed(max(settings_time, newest(*themes))):
        return ""
    for theme in themes:
        for path in theme:
            if path.endswith((".html", ".xml", ".txt")) and _shows_beyond_shape(path):
                return ""
    # By their bytes, not their times: a fresh clone of the same site (a deploy pipeline that
    # restores .presskit-cache/) has the same environment.
    contents = [sorted((path, file_digest(path)) for path in theme) for theme in themes]
    return fingerprint(__version__, _FORMAT, options, settings_bytes, contents)


def file_digest(path: str) -> str | None:
    """The digest of a file's bytes, as documents have it (source.Document.digest)."""
    try:
        with open(path, "rb") as file:
            return hashlib.blake2b(file.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def _shows_beyond_shape(template: str) -> bool:
    try:
        return bool(_BEYOND_SHAPE.search(Path(template).read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return True


def release_shape(release: Release, body: RenderedBody, published: bool) -> str:
    """A digest of all that pages other than a release's own show of it or depend on, then
    one of what places it alone (see `placed_as`)."""
    shown = shown_elsewhere(release)
    modified = release.modified.isoformat()  # (feeds' and the sitemap's times)
    return (fingerprint(published, shown, modified, release.summary or body.first_paragraph,
                        *body_files(release, body))
            + _PLACE + _place(modified, shown))


_PLACE = ":"  # (between a shape's two digests)


def placed_as(shape: str) -> str:
    """What places a release (models.placing, and the time it was last modified), as its
    shape has it: a release read again that has the same moved nowhere (see
    build.in_place_made)."""
    return shape.rpartition(_PLACE)[2]


def release_place(release: Release) -> str:
    """What places this release, as `placed_as` has it."""
    return _place(release.modified.isoformat(), shown_elsewhere(release))


def _place(modified: str, shown: list[Any]) -> str:
    return fingerprint(modified, placing(shown))


def body_files(release: Release, body: RenderedBody) -> tuple[list[str], list[str]]:
    """The files a release's text points at, which the site publishes with it: in /media/,
    and beside its file."""
    local_links = sorted({link.target for link in body.links
                          if not _SCHEME.match(link.target) and not link.target.startswith("#")
                          and not is_site_path(link.target)})
    return list(release.text.media) if release.text else [], local_links


def store_key(environment_key: str, partners: Iterable[Partner],
              programmes: Iterable[Programme]) -> Callable[[str], str]:
    """What a stored release was made from: its file (by digest), and what its model refers
    to; a function of the file's digest."""
    base = fingerprint(environment_key, [p.digest for p in partners], [p.digest for p in programmes])
    return lambda digest: f"{base}:{digest}"


class Packed(Mapping[str, Any]):
    """A record's values kept as marshal bytes until one is asked for: a quick rebuild needs
    the links of a few releases out of thousands, and passes the rest on as they are (reading
    and writing them all was a fifth of a quick rebuild at 15,000 release files)."""

    def __init__(self, packed: dict[str, bytes]) -> None:
        self.packed = packed
        self._opened: dict[str, Any] = {}

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Packed:
        return cls({key: marshal.dumps(value) for key, value in values.items()})

    def __getitem__(self, key: str) -> Any:
        found = self._opened.get(key)
        if found is None:
            found = self._opened[key] = marshal.loads(self.packed[key])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


@dataclass
class Record:
    """What the last complete build was made from, and how its releases are linked."""

    environment: str
    output: tuple[int, int] | None  # which output/ it wrote (see cache.output_state)
    next_embargo: float | None
    walked_at: float
    files: dict[str, Stat]  # every file under content/
    releases: dict[str, tuple[str, str, bool]]  # source -> file digest, shape, published
    links: Packed  # published source -> its Links: topics, previous, next, related, versions
    feeds: dict[str, tuple[str, str, tuple[str, ...], str]]  # path -> index, title, entries, language
    pages: dict[str, str]  # site path -> fingerprint of every page, feed and sitemap written
    graph_memo: Packed  # what the graph stage keeps, by language (for full builds)
    output_files: int
    # The build's warnings by file (line, message, hint), said again after a quick rebuild,
    # whose own files' warnings replace theirs.
    warnings: dict[str, list[tuple[int | None, str, str | None]]]
    searched: dict[str, int]  # published source -> its place in its language's search index (by number)
    next_change: float | None  # when an embargo lifts or an event passes: a full build is due
    built: str = ""  # names the full build this record stems from (kept by quick rebuilds)
    # The digest of each file under content/ whose bytes were known when it was looked at:
    # a file whose time changed (a fresh clone) is the same file if its bytes have this digest.
    digests: dict[str, str] = field(default_factory=dict)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # each file of output/: size, time (s)
    # What the releases' models were made with besides their files (see `store_key`): a
    # release whose file and this are the same has the same shape.
    models: str = ""
    # The keys of each language's search index entries as output/ has them (see
    # search.ENTRY_KEY_SIZE); an entry a quick rebuild made again has none (zeros).
    cards: dict[str, bytes] = field(default_factory=dict)
    # Names the record file this record was read from or written as, and the changes since that
    # file was written (see `changes_since`) that it was read with: a field's entries changed
    # (by key) and those gone.
    token: str = ""
    changes: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return marshal.dumps((_FORMAT, __version__, self.environment, self.output, self.next_embargo,
                              self.walked_at, self.files, self.releases, self.links.packed, self.feeds,
                              self.pages, self.graph_memo.packed, self.output_files, self.warnings,
                              self.searched, self.next_change, self.built, self.digests, self.written,
                              self.models, self.cards, self.token))

    def changes_since(self, before: Record, most: int) -> tuple[bytes, dict[str, Any]] | None:
        """This record as what changed since the record file `before` was read from (the
        changes it was read with, and those since), marshalled, with those changes; None when
        `before` was not read from a file, or more than `most` entries changed. A build after
        an edit changes a few dozen entries of the record's 200,000 at 10,000 releases in two
        languages (15 MB), which it wrote whole in 0.04-0.1 s."""
        if not before.token:
            return None
        changes: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}
        count = 0
        for name in _ENTRIES:
            then, now = _entries(getattr(before, name)), _entries(getattr(self, name))
            done, gone = before.changes.get(name, ({}, ()))
            if now is not then:
                # (the entries whose values differ, compared in C: 0.015 s for the 200,000, against 0.023)
                differ = map(ne, map(then.get, now, repeat(_GONE)), now.values())
                changed = dict(compress(now.items(), differ))
                removed = then.keys() - now.keys()
                if changed or removed:
                    done = {key: value for key, value in done.items() if key not in removed} | changed
                    gone = tuple(sorted(set(gone).difference(changed).union(removed)))
            if done or gone:
                changes[name] = (done, gone)
                count += len(done) + len(gone)
                if count > most:
                    return None
        values = tuple(getattr(self, name) for name in _VALUES)
        return marshal.dumps((_FORMAT, __version__, before.token, values, changes)), changes

    def with_changes(self, data: bytes | None) -> Record | None:
        """This record, read from its file, with the changes since (`changes_since`) if they
        were made to that file (its token); as it is if they were made to another (written
        whole since); None if they do not fit (half applied: no record, a full build)."""
        try:
            found = marshal.loads(data) if data else None
            if found is None or found[:3] != (_FORMAT, __version__, self.token) or not self.token:
                return self
            _, _, _, values, changes = found
            for name, value in zip(_VALUES, values, strict=True):
                setattr(self, name, value)
            for name, (done, gone) in changes.items():
                entries = _entries(getattr(self, name))
                entries.update(done)
                for key in gone:
                    entries.pop(key, None)
            self.changes = changes
        except Exception:  # sealed, so ours; but changes that do not fit are no record at all
            return None
        return self

    def problems(self) -> list[Problem]:
        """The warnings of the build this record describes, as Problems."""
        return _problems(self.warnings)

    @classmethod
    def from_bytes(cls, data: bytes) -> Record | None:
        try:
            fields = marshal.loads(data)
            if fields[:2] != (_FORMAT, __version__):
                return None
            record = cls(*fields[2:])  # the packed parts as to_bytes wrote them
            record.links, record.graph_memo = Packed(record.links), Packed(record.graph_memo)  # type: ignore[arg-type]
            return record
        except Exception:  # sealed, so ours; but a record that does not fit is just not used
            return None


def make_record(environment_key: str, output: tuple[int, int] | None, walked: dict[str, Stat],
                walked_at: float, content: Content, newsroom: Newsroom, settings: Settings,
                bodies: dict[Release, RenderedBody], pages: dict[str, str],
                graph_memo: dict[str, dict[str, object]], output_files: int,
                warnings: list[Problem] | None = None,
                alternates: dict[str, tuple[Alternate, ...]] | None = None, built: str = "",
                digests: dict[str, str] | None = None, written: dict[str, tuple[int, int]] | None = None,
                before: Record | None = None, cards: dict[str, bytes] | None = None) -> Record:
    published = set(newsroom.releases)
    versions = alternates or {}
    models = store_key(environment_key, content.partners, content.programmes)("")
    # A release made from the same file, settings, templates, partners and programmes as in
    # the last record has the shape it had there (making every shape was a tenth of a full
    # build after one edit, at 10,000 releases).
    known = (before.releases if before is not None and environment_key
             and before.environment == environment_key and before.models == models else {})
    renderer = None
    releases = {}
    for release in content.releases:
        shown = release in published
        last = known.get(str(release.source))
        if last is not None and last[0] == release.digest and last[2] == shown:
            releases[str(release.source)] = last
            continue
        body = bodies.get(release)
        if body is None:  # unpublished: its shape still needs its first paragraph and links
            renderer = renderer or BodyRenderer(settings.base_path, settings.embed_hosts)
            body = renderer.render(release.body, release.body_line)
        releases[str(release.source)] = (release.digest, release_shape(release, body, shown), shown)
    links = Packed.of({str(release.source): _linked_as_kept(release, link, versions)
                       for graph in newsroom.graphs for release, link in graph.links.items()})
    embargo = newsroom.next_embargo
    return Record(environment_key, output, embargo.timestamp() if embargo else None, walked_at,
                  walked, releases, links, _feeds(newsroom, settings), pages,
                  Packed.of({lang: {key: memo[key] for key in ("rows", "links") if key in memo}
                             for lang, memo in graph_memo.items()}),
                  output_files, _by_file(warnings or []), _searched(newsroom),
                  newsroom.next_change.timestamp() if newsroom.next_change else None, built,
                  digests or {}, written or {}, models, dict(cards or {}))


def after_move(record: Record, quick: Quick, newsroom: Newsroom, settings: Settings, walked: dict[str, Stat],
               walked_at: float, alternates: Mapping[str, tuple[Alternate, ...]], pages: dict[str, str],
               cards: dict[str, bytes], output_files: int) -> Record:
    """The record after a move (see presskit.retouch), or a release added or removed, in a
    site built in memory (of no folder until it is kept), from the one before: the files read
    as `updated` has them, the links of the releases linked anew, and every feed's entries and
    search number found again."""
    now = updated(record, quick, walked, walked_at)
    links = dict(now.links.packed)
    for source in quick.deleted:
        links.pop(source, None)
    links.update(Packed.of({
        str(release.source): _linked_as_kept(release, newsroom.graph_of(release).links[release], alternates)
        for release in quick.relinked}).packed)
    return dataclasses.replace(now, output=None, written={}, links=Packed(links),
                               feeds=_feeds(newsroom, settings),
                               searched=_searched(newsroom, record, quick.moved),
                               pages=pages, output_files=output_files, cards=now.cards | cards)


def _linked_as_kept(release: Release, link: ReleaseLinks,
                    versions: Mapping[str, tuple[Alternate, ...]]) -> Links:
    return (tuple((topic.name, topic.slug) for topic in link.topics),
            str(link.previous.source) if link.previous else None,
            str(link.next.source) if link.next else None,
            tuple(str(other.source) for other in link.related),
            tuple((a.language.code, a.path, a.exists) for a in versions.get(release.path, ())))


def _feeds(newsroom: Newsroom, settings: Settings) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    limit = settings.feed_entries
    return {paths.feed(index_path): (index_path, title, tuple(str(r.source) for r in entries[:limit]),
                                     graph.language.code)
            for graph in newsroom.graphs for index_path, title, entries in feed_indexes(graph)}


def _searched(newsroom: Newsroom, record: Record | None = None,
              moved: Collection[str] = ()) -> dict[str, int]:
    """Each published release's place in its language's search index (see search.numbered);
    with `record`, those of a language where no release `moved` as it has them (a language's
    releases are numbered by their years and addresses alone: 0.02 s at 10,000 releases)."""
    found: dict[str, int] = {}
    for graph in newsroom.graphs:
        kept = _searched_as_kept(graph.releases, record) if graph.language.code not in moved else None
        if kept is None:
            kept = {str(release.source): place
                    for place, release in enumerate(numbered(graph.releases).releases)}
        found.update(kept)
    return found


def _searched_as_kept(releases: Sequence[Release], record: Record | None) -> dict[str, int] | None:
    """The places of these releases in the record (in their order there), if it has them all,
    each once."""
    if record is None:
        return None
    places: list[str | None] = [None] * len(releases)
    for release in releases:
        source = str(release.source)
        place = record.searched.get(source)
        if place is None or not 0 <= place < len(places) or places[place] is not None:
            return None
        places[place] = source
    return {source: place for place, source in enumerate(places)}  # type: ignore[misc]


def as_kept(warnings: Iterable[Problem]) -> list[Problem]:
    """Warnings as a record keeps and says them: by file, in the order files first have one."""
    return _problems(_by_file(warnings))


def _problems(kept: dict[str, list[tuple[int | None, str, str | None]]]) -> list[Problem]:
    return [Problem(Path(source) if source else None, line, message, hint, warning=True)
            for source, found in kept.items() for line, message, hint in found]


def _by_file(warnings: Iterable[Problem]) -> dict[str, list[tuple[int | None, str, str | None]]]:
    found: dict[str, list[tuple[int | None, str, str | None]]] = {}
    for warning in warnings:
        found.setdefault(str(warning.file or ""), []).append((warning.line, warning.message, warning.hint))
    return found


class Store(Protocol):
    """Where a quick rebuild finds the releases it shows besides the changed ones."""

    def load(self, keys: dict[str, str], partners: Iterable[Partner], programmes: Iterable[Programme],
             *, partial: bool = False) -> dict[str, tuple[Release, RenderedBody]] | None: ...

    def kept_cards(self, output: Path | None = None) -> KeptCards | None: ...

    def models(self, environment_key: str) -> SavedModels: ...


class MemoryStore:
    """The published releases of the last build, kept in memory by `serve`."""

    def __init__(self) -> None:
        self.releases: dict[str, tuple[str, Release, RenderedBody]] = {}

    def keep(self, items: Iterable[tuple[str, Release, RenderedBody]]) -> None:
        for key, release, body in items:
            self.releases[str(release.source)] = (key, release, body)

    def kept_cards(self, output: Path | None = None) -> KeptCards | None:
        return None  # serve keeps its build's memory, cards included

    def models(self, environment_key: str) -> SavedModels:
        return SavedModels({}, {}, {})  # and its models

    def load(self, keys: dict[str, str], partners: Iterable[Partner], programmes: Iterable[Programme],
             *, partial: bool = False) -> dict[str, tuple[Release, RenderedBody]] | None:
        found = {}
        for source, key in keys.items():
            known = self.releases.get(source)
            if known is not None and known[0] == key:
                found[source] = (known[1], known[2])
            elif not partial:
                return None
        return found


def changed_files(record: Record, walked: dict[str, Stat]) -> list[str] | None:
    """Files whose state differs from the record's (or that changed too recently to tell by
    their state); None when a file was added or removed, which a quick rebuild cannot do."""
    if walked.keys() != record.files.keys():
        return None
    return touched_files(record, walked)


def touched_files(record: Record, walked: dict[str, Stat]) -> list[str]:
    """The files both the record and `walked` know whose state differs, or that were saved
    too lately before the record's build to tell by their state and whose bytes are not the
    ones it read (each such file's digest compared: a site cloned or generated just before it
    was built has thousands, which were each read and checked again, 1.4 s at 10,000
    releases, in every build and check until the next full build), sorted."""
    racy = trusted_before(record.walked_at)
    known = record.files
    return sorted(path for path, stat in walked.items() if path in known and (
        stat != known[path] or (stat[0] >= racy and not _as_read(record, path, stat))))


def _as_read(record: Record, path: str, stat: Stat) -> bool:
    """Whether a file has the bytes the record's build read (a release's digest is always
    recorded; another file's only if it was already old then), read once in this state."""
    recorded = record.releases.get(path)
    digest = recorded[0] if recorded is not None else record.digests.get(path)
    return digest is not None and _digest_at(path, stat) == digest


@dataclass(frozen=True)
class Quick:
    """The files a quick rebuild made, and what the record and store need to know of it."""

    files: list[OutputFile]
    changed: list[Release]  # releases whose words changed
    bodies: dict[Release, RenderedBody]
    partners: tuple[Partner, ...]
    programmes: tuple[Programme, ...]
    pages: int  # how many HTML pages were made
    digests: dict[str, str]  # fingerprints of the pages and feeds made, by site path
    read: list[str]  # the files it read (releases), whose warnings replace the record's
    warnings: list[Problem]  # of those files
    shapes: dict[str, str] = field(default_factory=dict)  # new shapes by source (a card edit)
    removed: list[str] = field(default_factory=list)  # files of output/ to remove (emptied shards)
    # The languages where a release moved (see presskit.retouch): their search indexes are
    # still to be made (retouch.finish_move), and the record's links, feeds and search numbers
    # to be found again.
    moved: frozenset[str] = frozenset()
    relinked: tuple[Release, ...] = ()  # after a move, the releases whose links changed
    deleted: tuple[str, ...] = ()  # release files removed (see retouch.file_added_or_removed)
    # Pages still to make once the rest is served, with the search index (retouch.finish_move):
    # after a release added or removed, the pages of the list of releases after its first (each
    # shifted by it) and those of the other years.
    later: frozenset[str] = frozenset()
    # A card edit's photo files still to make (see retouch._photos_again), by their paths in
    # output/, and what makes them (their files, or None if one cannot be made): the preview
    # serves the pages first, a request for one of these waiting for it.
    photos_later: tuple[tuple[str, ...], Callable[[], list[OutputFile] | None]] | None = None
    # After a move finished (retouch.finish_move), the keys of the entries of the search
    # indexes it made whole, by language.
    search_cards: dict[str, bytes] = field(default_factory=dict)

    @property
    def media_alone(self) -> bool:
        """Whether it publishes or removes a file of content/media/ that nothing shows, and
        nothing else (see retouch): files, but no file read (a release touched, not changed,
        is read and makes none)."""
        return not self.read and bool(self.files or self.removed)


def quick_rebuild(settings: Settings, record: Record, changed: list[str], store: Store, *,
                  as_of: datetime, drafts: bool = False, preview: bool = False,
                  memory: BuildMemory | None = None,
                  read: Callable[[str], bytes | None] | None = None) -> Quick | None:
    """The files that the edits of `changed` make different, or None when the full build
    must run. Raises nothing a full build would not report better: any fault means None.

    Four steps: read the changed files and keep those whose words alone changed; load the
    releases their pages and feeds also show; link them as the record says; render each
    language's pages and feeds, and update its search index (`read` gives the files of the
    site as written, by their path inside output/; by default from output/)."""
    if not all(path in record.releases for path in changed):
        return None  # a partner, programme, page, country text or media file changed
    edit = _words_only(settings, record, changed, as_of, drafts, preview, memory, store)
    if edit is None:
        return None
    shown = [release for release in edit.releases if record.releases[str(release.source)][2]]
    sources = {str(release.source) for release in shown}
    feeds = [entry for entry in record.feeds.values() if sources & set(entry[2])]
    by_source = _with_neighbours(record, shown, feeds, edit, store)
    if by_source is None:
        return None
    links, alternates = _linked(record, shown, by_source, settings)
    memory = memory or BuildMemory()
    lend_bodies(memory, settings, edit.bodies.items())
    made = _render_each_language(settings, record, shown, feeds, by_source, links, alternates,
                                 edit.content, memory, as_of, preview,
                                 read or functools.partial(written_file, settings.output_dir))
    if made is None:
        return None
    files, paths_made, removed = made
    digests = {path: memory.pages[path][0] for path in paths_made if path in memory.pages}
    return Quick(files, edit.releases, {r: edit.bodies[r] for r in edit.releases},
                 edit.content.partners, edit.content.programmes, len(shown), digests, changed,
                 edit.warnings, removed=removed)


@dataclass(frozen=True)
class _Edit:
    content: Content  # the changed releases, with the site's partners, programmes and pages
    releases: list[Release]  # those whose words changed
    bodies: dict[Release, RenderedBody]
    warnings: list[Problem]


def _words_only(settings: Settings, record: Record, changed: list[str], as_of: datetime,
                drafts: bool, preview: bool, memory: BuildMemory | None, store: Store) -> _Edit | None:
    """The changed releases, if each kept its shape (and publication) and only its words
    changed. A text whose Markdown is the one rendered before (a new title, date, photo) is
    not rendered again: it is found in `memory`, or as `store` keeps it."""
    problems: list[Problem] = []
    content = load_releases(settings, [Path(path) for path in changed], problems, memory)
    if errors_in(problems) or len(content.releases) != len(changed):
        return None
    markdown = BodyRenderer(settings.base_path, settings.embed_hosts)
    rendered = _rendered_before(settings, record, content, memory, store)
    edited: list[Release] = []
    bodies: dict[Release, RenderedBody] = {}
    for release in content.releases:
        digest, shape, published = record.releases[str(release.source)]
        if release.digest == digest:
            continue  # touched, not changed
        body = rendered.get(body_key(release))
        if body is None:
            body = markdown.render(release.body, release.body_line)
        is_published = preview or release.is_published(as_of, drafts)
        if is_published != published or release_shape(release, body, published) != shape:
            return None
        bodies[release] = body
        edited.append(release)
    warnings = [problem for problem in problems if str(problem.file) in changed]
    return _Edit(content, edited, bodies, warnings)


def _rendered_before(settings: Settings, record: Record, content: Content, memory: BuildMemory | None,
                     store: Store) -> dict[tuple[Any, ...], RenderedBody]:
    """The texts of these releases as rendered before, by models.body_key: those in memory
    (rendered with these settings), and those the store keeps with the releases as they were."""
    found: dict[tuple[Any, ...], RenderedBody] = {}
    if memory is not None and memory.body_options == (settings.base_path, settings.embed_hosts):
        found.update((key, memory.bodies[key]) for release in content.releases
                     if (key := body_key(release)) in memory.bodies)
    wanted = {str(release.source) for release in content.releases if body_key(release) not in found}
    if wanted:
        key = store_key(record.environment, content.partners, content.programmes)
        keys = {source: key(record.releases[source][0]) for source in wanted if source in record.releases}
        stored = store.load(keys, content.partners, content.programmes, partial=True) or {}
        found.update((body_key(release), body) for release, body in stored.values())
    return found


def _with_neighbours(record: Record, shown: list[Release], feeds: list[tuple[str, str, tuple[str, ...], str]],
                     edit: _Edit, store: Store) -> dict[str, Release] | None:
    """The edited releases and every release their pages and feeds show, by source (the
    others from the store, with their rendered text put into `edit.bodies`)."""
    sources = {str(release.source) for release in shown}
    needed = {other for source in sources for other in (*record.links[source][1:3],
                                                        *record.links[source][3]) if other}
    needed |= {source for _, _, entries, _ in feeds for source in entries}
    needed -= sources
    key = store_key(record.environment, edit.content.partners, edit.content.programmes)
    keys = {source: key(record.releases[source][0]) for source in needed}
    stored = store.load(keys, edit.content.partners, edit.content.programmes) if keys else {}
    if stored is None:
        return None
    by_source = {source: release for source, (release, _) in stored.items()}
    by_source.update({str(release.source): release for release in shown})
    for release, body in stored.values():
        edit.bodies[release] = body
    return by_source


def _linked(record: Record, shown: list[Release], by_source: dict[str, Release],
            settings: Settings) -> tuple[dict[Release, ReleaseLinks], dict[Release, tuple[Alternate, ...]]]:
    """The edited releases' links and versions in other languages, as the record has them."""
    languages = {language.code: language for language in site_languages(settings)}
    links = {}
    alternates: dict[Release, tuple[Alternate, ...]] = {}
    for release in shown:
        topics, previous, following, related, versions = record.links[str(release.source)]
        links[release] = ReleaseLinks(
            topics=tuple(Topic(name, slug, release.root) for name, slug in topics),
            previous=by_source[previous] if previous else None,
            next=by_source[following] if following else None,
            related=tuple(by_source[source] for source in related),
        )
        alternates[release] = tuple(Alternate(languages[code], path, exists, code == release.lang)
                                    for code, path, exists in versions)
    return links, alternates


def _render_each_language(settings: Settings, record: Record, shown: list[Release],
                          feeds: list[tuple[str, str, tuple[str, ...], str]],
                          by_source: dict[str, Release], links: dict[Release, ReleaseLinks],
                          alternates: dict[Release, tuple[Alternate, ...]], content: Content,
                          memory: BuildMemory, as_of: datetime, preview: bool,
                          read: Callable[[str], bytes | None],
                          ) -> tuple[list[OutputFile], list[str], list[str]] | None:
    """The edited pages, the feeds that carry them and the search index's changed files,
    each language with its own words, with the files to remove (search shards left with no
    word)."""
    files: list[OutputFile] = []
    made: list[str] = []
    removed: list[str] = []
    for language in site_languages(settings):
        code = language.code
        own = [release for release in shown if release.lang == code]
        feed_jobs = [(index_path, title, [by_source[source] for source in entries])
                     for index_path, title, entries, lang in feeds if lang == code]
        if not own and not feed_jobs:
            continue
        graph = SiteGraph(language=language, as_of=as_of,
                          releases=tuple(r for r in by_source.values() if r.lang == code),
                          countries=(), partners=(), programmes=(), topics=(), years=(),
                          pages=tuple(p for p in content.pages if p.lang == code), links=links,
                          assets=(), next_embargo=None, held_back=(),
                          contacts=tuple(c for c in content.contacts if c.lang == code),
                          default_contacts=content.default_contacts,
                          organisation=next((p for p in content.partners if p.lang == code
                                             and p.id == content.organisation), None),
                          events_page=paths.under(language.root, paths.EVENTS) in record.pages)
        places = {release: record.searched[str(release.source)] for release in own
                  if str(release.source) in record.searched}
        try:
            files += render_releases(settings, graph, memory, preview, own, feed_jobs, alternates,
                                     SearchEdit(places, read), removed)
        except (BuildFailed, LookupError):
            return None  # the full build reports it, with every other problem, or makes the index
        made += [release.path for release in own] + [paths.feed(index) for index, _, _ in feed_jobs]
    return files, made, removed


def updated(record: Record, quick: Quick, walked: dict[str, Stat], walked_at: float) -> Record:
    """The record after a quick rebuild: new file states and digests, the same shapes
    (`walked` as the files are)."""
    releases = dict(record.releases)
    for source in quick.deleted:
        del releases[source]
    for release in quick.changed:
        source = str(release.source)
        known = releases.get(source)
        if known is None:  # a new file, shown (see retouch.file_added_or_removed)
            releases[source] = (release.digest, quick.shapes[source], True)
            continue
        _, shape, published = known
        releases[source] = (release.digest, quick.shapes.get(source, shape), published)
    warnings = {source: found for source, found in record.warnings.items() if source not in quick.read}
    warnings.update(_by_file(quick.warnings))
    return Record(record.environment, record.output, record.next_embargo, walked_at, walked,
                  releases, record.links, record.feeds, record.pages | quick.digests,
                  record.graph_memo, record.output_files, warnings, record.searched, record.next_change,
                  record.built, content_digests(walked, walked_at, record),
                  record.written, record.models, _cards_made_again(record, quick.changed))


def _cards_made_again(record: Record, changed: Iterable[Release]) -> dict[str, bytes]:
    """The record's search entry keys, without those of releases whose entry may have
    changed (their cards are read again by the next full build)."""
    cards = {code: bytearray(digests) for code, digests in record.cards.items()}
    for release in changed:
        number = record.searched.get(str(release.source))
        digests = cards.get(release.lang)
        if number is not None and digests is not None:
            digests[number * ENTRY_KEY_SIZE:(number + 1) * ENTRY_KEY_SIZE] = bytes(ENTRY_KEY_SIZE)
    return {code: bytes(digests) for code, digests in cards.items()}


def content_digests(walked: dict[str, Stat], walked_at: float, before: Record | None) -> dict[str, str]:
    """The digest of each file under content/ that was already old when it was looked at (so
    its bytes then are its bytes now, if its state is the same): the last record's while its
    state is the same, else read now."""
    racy = trusted_before(walked_at)
    known = before.files if before is not None else {}
    digests = before.digests if before is not None else {}
    found = {}
    for path, stat in walked.items():
        if stat[0] >= racy:
            continue
        if known.get(path) == stat and path in digests:
            found[path] = digests[path]
            continue
        digest = _digest_at(path, stat)
        if digest is not None and stat_key(path) == stat:  # and it was not changed while read
            found[path] = digest
    return found


@functools.lru_cache(maxsize=200_000)
def _digest_at(path: str, stat: Stat) -> str | None:
    """A file's digest, read once for each state it is seen in (a fresh clone's files are
    compared with the record, then recorded anew: read once)."""
    return file_digest(path)



def verified(record: Record, walked: dict[str, Stat]) -> dict[str, Stat]:
    """The files of content/ as the record would see them: each whose time or inode differs
    from the record's but whose bytes are the ones it recorded (a fresh clone of the site,
    restored from a deploy pipeline's cache) under its recorded state."""
    seen = walked
    for path, stat in walked.items():
        known = record.files.get(path)
        if known is None or known == stat or known[1] != stat[1] or path not in record.digests:
            continue
        if _digest_at(path, stat) == record.digests[path]:
            if seen is walked:
                seen = dict(walked)
            seen[path] = known
    return seen


def output_listing(output_dir: Path) -> dict[str, tuple[int, int]]:
    """Each file of output/ with its size and time in whole seconds (what an archive keeps)."""
    root = len(str(output_dir)) + 1
    return {path[root:]: (stat[1], stat[0] // 1_000_000_000) for path, stat in walk(output_dir).items()}


def listing_updated(listing: dict[str, tuple[int, int]], output_dir: Path,
                    paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The list of output/ after these files of it were written."""
    files = dict(listing)
    for path in paths:
        state = stat_key(output_dir / path)
        if state is None:
            files.pop(path, None)
        else:
            files[path] = (state[1], state[0] // 1_000_000_000)
    return files


def same_listing(listing: dict[str, tuple[int, int]], output_dir: Path) -> bool:
    """Whether output/ holds the files of this list, each with its size and time."""
    return bool(listing) and listing == output_listing(output_dir)


def lend_bodies(memory: BuildMemory, settings: Settings,
                bodies: Iterable[tuple[Release, RenderedBody]]) -> None:
    """Put rendered texts kept from the last build into memory, as rendered with these settings
    (the record they come from was made with the same ones); without saying so, the renderer
    would take them for another site's and render every text again."""
    if memory.body_options != (settings.base_path, settings.embed_hosts):
        memory.bodies.clear()
        memory.body_options = (settings.base_path, settings.embed_hosts)
    for release, body in bodies:
        memory.bodies[body_key(release)] = body


def written_file(output_dir: Path, path: str) -> bytes | None:
    """A file of output/ (by its path inside it), or None."""
    try:
        return (output_dir / path).read_bytes()
    except OSError:
        return None


def pages_left(settings: Settings, record: Record) -> Callable[[str], str | None]:
    """The fingerprint of a page as the record's build wrote it into output/ (None when output/
    lacks its file), for a build after an edit (BuildMemory.left): a page it would make again
    whose fingerprint is the same is that file (the pages of the other years after a release
    was added: 12 of 30 pages made, at 10,000 releases in two languages)."""
    output, known = f"{settings.output_dir}{os.sep}", record.pages

    def left(site_path: str) -> str | None:
        digest = known.get(site_path)
        if digest is None or not os.path.isfile(output + paths.output_file(site_path)):
            return None
        return digest

    return left


def restore(settings: Settings, memory: BuildMemory, record: Record, walked: dict[str, Stat],
            store: Store, environment_key: str, actual: dict[str, Stat] | None = None,
            looked_at: float | None = None) -> int:
    """Lend a full build what the last one left: the fingerprints of the pages in output/ (a
    page whose fingerprint is unchanged is not made again) and, when settings and templates
    are the same, the checked releases that did not change, with their rendered text (they are
    not read again), and the release cards it rendered. Says how many releases it restored."""
    output = f"{settings.output_dir}{os.sep}"  # a string: 10,000 Paths made took 0.07 s more
    for site_path, digest in record.pages.items():
        if os.path.isfile(output + paths.output_file(site_path)):
            memory.pages[site_path] = (digest, IN_OUTPUT)
    # The search index is updated there (its cards known by their digests)
    memory.written = Written.in_folder(settings.output_dir, record.cards)
    if not environment_key or record.environment != environment_key:
        return 0
    memory.graph.update(record.graph_memo)
    # Each under the fingerprint of all it shows; where they lie in the pages of output/, when
    # this build notes that for the next (see presskit.placed)
    memory.kept_fragments = store.kept_cards(settings.output_dir if memory.layouts is not None else None)
    lend_models(memory, store.models(environment_key))  # partners, programmes, pages... as checked
    return lend_releases(settings, memory, record, walked, store, actual=actual, looked_at=looked_at)


def lend_releases(settings: Settings, memory: BuildMemory, record: Record, walked: dict[str, Stat],
                  store: Store, texts: bool = True, actual: dict[str, Stat] | None = None,
                  looked_at: float | None = None) -> int:
    """Lend a full build the checked releases of a build with the same settings, templates and
    presskit that did not change since, with their rendered text if `texts` (`settings` must
    then render texts as that build did). Says how many releases it lent. `walked` are the
    files as the record sees them (see `verified`); `actual` their states now, under which
    they are lent, as known at `looked_at` (when the files were walked)."""
    problems: list[Problem] = []
    partners, programmes, context = organisations(settings, memory, problems)
    if problems:
        return 0
    key = store_key(record.environment, partners, programmes)
    racy = trusted_before(record.walked_at)
    wanted = {source: key(digest) for source, (digest, _, published) in record.releases.items()
              if published and source in walked and walked[source] == record.files.get(source)
              and walked[source][0] < racy}
    stored = store.load(wanted, partners, programmes, partial=True) if wanted else {}
    if not stored or len(stored) < len(record.releases) / 2:
        return 0  # mostly changed: reading all of them on every core is quicker
    states = actual or walked
    remember_releases(memory, ((release, states.get(source, walked[source]))
                               for source, (release, _) in stored.items()),
                      context, looked_at or record.walked_at)
    if texts:
        lend_bodies(memory, settings, stored.values())
    return len(stored)
