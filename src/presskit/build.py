"""The pipeline: settings -> content -> site graph -> rendered files -> output/.

`build` and `check` call these functions; `serve` will too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from presskit import forks, kept, paths, quick, retouch, search, store
from presskit.cache import (
    BuildMemory,
    Stat,
    cache_folder,
    files_below,
    forget_build,
    keep_file,
    last_next_event,
    output_state,
    part_dir,
    remember_build,
    source_state,
    up_to_date,
    walk,
)
from presskit.config import Settings, load_settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.graph import Newsroom, build_newsroom
from presskit.languages import missing_catalogs, site_languages
from presskit.links import LinkIndex, Summary
from presskit.lock import one_build
from presskit.markdown import RenderedBody
from presskit.models import Content, Release
from presskit.render import OutputFile, RenderedSite, render_site, search_folder, theme_dirs
from presskit.schema import load_content, load_releases
from presskit.spill import Spill
from presskit.text import new_release_line
from presskit.versions import missing_versions
from presskit.write import Published, publish, publish_changed, publish_in_place

Stage = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    settings: Settings
    graph: Newsroom
    site: RenderedSite
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    files: int = 0
    files_written: int = 0
    new_releases: tuple[Release, ...] = ()  # published by this build and not by the last one
    photos_made: int = 0  # photo files made (sizes, downloads, previews); the rest were cached
    photo_seconds: float = 0.0
    content: Content | None = None  # what the site was made of (a preview keeps it: see presskit.learned)

    @property
    def page_count(self) -> int:
        return sum(1 for file in self.site.files if file.path.endswith(".html"))


def quiet(_: str) -> None:
    """A stage that is not said (the default of `build`, `make_site` and `check`)."""


class Made(NamedTuple):
    settings: Settings
    graph: Newsroom
    site: RenderedSite
    warnings: list[Problem]
    content: Content

    def whole(self) -> Made:
        """With what its site makes `later` (the search index and sitemap) made."""
        return self if self.site.later is None else self._replace(site=self.site.later())


def make_site(site_dir: Path, *, as_of: datetime | None = None, drafts: bool = False,
              stage: Stage = quiet, memory: BuildMemory | None = None, preview: bool = False,
              settings: Settings | None = None, workers: int = 1, readers: int | None = None,
              search: bool = True, sitemap: bool = True, later: bool = False) -> Made:
    """Everything up to the files of the site, in memory; raises BuildFailed on any error.

    `memory` carries what an earlier build of the same site can lend this one; `preview`
    shows drafts and embargoed releases, marked, for `serve` (never for output/); with
    `later`, the site's search index and sitemap are made when its `later()` is called.
    """
    if readers is None:  # what is read on many cores is not remembered
        readers = workers if memory is None else 1
    memory = memory or BuildMemory()
    memory.start_build()
    stage("Reading settings")
    settings = settings or load_settings(site_dir)
    stage("Reading content")
    problems: list[Problem] = missing_catalogs(settings, theme_dirs(settings))
    content = load_content(settings, problems, memory, readers)
    if errors_in(problems):
        raise BuildFailed(problems)
    stage("Linking releases")
    graph = build_newsroom(content, site_languages(settings), _aware(as_of, settings), drafts,
                           preview=preview, memo=memory.graph)
    stage("Rendering pages")
    site = render_site(settings, graph, memory, preview, workers, search, sitemap, later)
    if site.media is not None and site.media.jobs:
        stage("Making photo sizes")
        started = time.perf_counter()
        memory.photos_made = site.media.make(workers)
        memory.photo_seconds = time.perf_counter() - started
    memory.finish_build()
    return Made(settings, graph, site, problems, content)


def _aware(as_of: datetime | None, settings: Settings) -> datetime:
    """The moment to build for; one written without an offset is in the site's time zone."""
    if as_of is None:
        return datetime.now(UTC)
    if as_of.tzinfo is not None:
        return as_of
    if settings.timezone is None:
        raise BuildFailed([Problem(
            settings.settings_file, None,
            "--as-of has no time zone offset, and presskit.toml sets no `timezone`",
            "write the offset (--as-of 2026-12-01T09:00+07:00) or set `timezone` in presskit.toml",
        )])
    return as_of.replace(tzinfo=settings.timezone)


def cores() -> int:
    """How many processes may render: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class NextEvent(NamedTuple):
    """The soonest event still ahead, as the last full build found it (said again by the
    builds that follow it until the next full one)."""

    title: str
    start: datetime
    has_time: bool

    @classmethod
    def of(cls, newsroom: Newsroom) -> NextEvent | None:
        release = newsroom.next_event
        if release is None or release.event is None:
            return None
        return cls(release.title, release.event.start, release.event.has_time)

    def as_data(self) -> list[object]:
        zone = self.start.tzinfo
        return [self.title, self.start.isoformat(), self.has_time, getattr(zone, "key", None)]

    @classmethod
    def from_data(cls, data: object) -> NextEvent | None:
        try:
            title, start, has_time, zone = data  # type: ignore[misc]
            moment = datetime.fromisoformat(start)
            return cls(str(title), moment.astimezone(ZoneInfo(zone)) if zone else moment, bool(has_time))
        except (TypeError, ValueError, KeyError, ZoneInfoNotFoundError):
            return None


@dataclass(frozen=True)
class UpToDate:
    """What `build` says when nothing it reads has changed since the last build."""

    settings: Settings
    seconds: float
    next_embargo: datetime | None
    warnings: list[Problem] = field(default_factory=list)  # of the build it stands for
    next_event: NextEvent | None = None


@dataclass(frozen=True)
class Rebuilt:
    """What `build` says after a quick rebuild: only the words of some releases changed."""

    settings: Settings
    seconds: float
    releases: int  # releases whose words changed
    pages: int  # pages made again
    feeds: int  # feeds made again
    files: int  # files in output/
    files_written: int
    next_embargo: datetime | None
    warnings: list[Problem] = field(default_factory=list)  # of the whole site, as of now
    next_event: NextEvent | None = None
    # What changed: "words" (a quick rebuild); "in place" (a title, summary, lead or photos),
    # "moved" (a new date, other partners), "added" or "deleted" (see presskit.kept).
    kind: str = "words"
    announced: tuple[str, ...] = ()  # how each release published for the first time is announced


def build(site_dir: Path, *, as_of: datetime | None = None, drafts: bool = False,
          stage: Stage = quiet, out: Path | None = None,
          waiting: Callable[[], None] = lambda: None) -> BuildResult | UpToDate | Rebuilt:
    """Build the site into output/, or into `out`. A preview (`as_of`, `drafts`) goes to
    preview/ unless `out` says where, and never into output/. One build of a site at a time:
    `waiting` is called if another one is running."""
    settings = output_settings(load_settings(site_dir), out, preview=as_of is not None or drafts)
    with one_build(site_dir, waiting):
        return _build(site_dir, settings, as_of, drafts, stage)


def build_preview(site_dir: Path, settings: Settings, stage: Stage = quiet,
                  memory_used: Callable[[BuildMemory], None] | None = None,
                  ) -> BuildResult | UpToDate | Rebuilt:
    """The site as `serve` shows it (drafts and embargoed releases included and marked, as of
    now), built like `build` builds output/ but into .presskit-cache/preview/site/, with its
    own record: unchanged since the last preview, it is not built again; after edits, only
    what changed is."""
    cache_folder(site_dir, PREVIEW)
    settings = dataclasses.replace(settings, output=preview_folder(site_dir))
    with one_build(site_dir, lambda: None, PREVIEW):
        return _build(site_dir, settings, None, False, stage, preview=True, memory_used=memory_used)


def preview_folder(site_dir: Path) -> Path:
    return part_dir(site_dir, PREVIEW) / "site"


def output_settings(settings: Settings, out: Path | None, preview: bool) -> Settings:
    """The settings with the folder this build writes; a preview is refused output/."""
    folder = out.resolve() if out is not None else settings.preview_dir if preview else None
    if preview and folder is not None and folder == settings.publishable_dir.resolve():
        raise BuildFailed([Problem(
            folder, None, "is the folder that gets published; a preview of embargoed releases or "
            "drafts is never written there", "leave out --out (the preview goes to preview/) or "
            "name another folder")])
    return dataclasses.replace(settings, output=folder) if folder is not None else settings


def _build(site_dir: Path, settings: Settings, as_of: datetime | None,
           drafts: bool, stage: Stage, preview: bool = False,
           memory_used: Callable[[BuildMemory], None] | None = None) -> BuildResult | UpToDate | Rebuilt:
    """The build: nothing if nothing changed, a quick rebuild if it can be one, else a full
    build that lends what the last one kept. A `preview` (for `serve`: drafts and embargoed
    releases shown, as of now) keeps its own part of the cache (PREVIEW) and writes into the
    folder its settings name; one `--as-of` or `--drafts` is made in full, every time."""
    started = time.perf_counter()
    incremental = preview or (as_of is None and not drafts)
    part = PREVIEW if preview else ""
    # The record and the kept graph, read while content/ is looked at (see store.ReadAhead)
    reads = (store.ReadAhead(site_dir, (RECORD, RECORD_CHANGES, *kept.FILES))
             if incremental and not part else None)
    options = cache_options(settings, preview=preview, drafts=drafts)
    walked_at = time.time()  # files are looked at before they are read (see cache._RACY_SECONDS)
    walked = walk(settings.content_dir)
    themes = [walk(folder) for folder in theme_dirs(settings)]
    environment_key = quick.environment(settings, themes, options) if incremental else ""
    state = source_state(settings.settings_file, walked, themes, options)
    if incremental:
        unchanged = _unchanged(site_dir, settings, state, part, started)
        if unchanged is not None:
            return unchanged
    record = last_record(site_dir, settings, part, reads=reads) if incremental else None
    seen = quick.verified(record, walked) if record is not None else walked  # a fresh clone's files
    if record is not None:
        stage("Looking for changes")
        rebuilt = _quick_build(site_dir, settings, drafts, record, environment_key, walked, walked_at,
                               state, started, part, seen, reads)
        if rebuilt is not None:
            return rebuilt
    if reads is not None:
        reads.forget()  # (what a full build did not need: room for it)
    memory = BuildMemory(files_total=len(walked))
    keeps_cards = incremental and bool(environment_key) and not preview  # (serve holds its own)
    if incremental and not preview:
        memory.links = {}  # for `check` (see presskit.links)
    if keeps_cards:  # the releases each page shows, kept with the graph (see presskit.kept),
        memory.shows, memory.layouts = {}, {}  # and where the cards lie in them (presskit.placed)
    if preview:  # what the preview keeps of this build for its quick rebuilds (presskit.learned):
        memory.shows, memory.search_entries = {}, {}  # the releases each page shows, search entries
    if memory_used is not None:  # to follow its progress
        memory_used(memory)
    restored = 0
    if record is not None:
        restored = quick.restore(settings, memory, record, seen, store.ReleaseStore(site_dir, part),
                                 environment_key, walked, walked_at)
    elif preview:  # a first preview: what the last `build` kept is the same releases, mostly
        restored = _lend_from_build(site_dir, settings, memory, walked, themes)
    memory.spill = Spill.beside(settings.output_dir)  # the pages, until they are written
    releases = store.ReleaseStore(site_dir, part)
    sink = releases.card_sink() if keeps_cards else None
    try:
        if sink is not None:
            memory.fragment_sink = sink
            memory.kept_fragments = memory.kept_fragments or releases.kept_cards(settings.output_dir)
        workers = cores()
        made = make_site(site_dir, as_of=as_of, drafts=drafts, stage=stage, memory=memory,
                         workers=workers, readers=1 if restored else workers, settings=settings,
                         preview=preview, later=not preview and workers > 1)
        if sink is not None and memory.layouts:  # of the pages rendered here (workers put theirs)
            sink([], memory.layouts)
        stage("Writing output")
        if incremental:
            published, _, made = write_full(site_dir, state, environment_key, walked, walked_at, made, memory,
                                            part, in_place=record is not None, before=record)
        else:
            published, made = publish_made(made)
    finally:
        memory.fragment_sink = None
        if sink is not None:
            sink.close()
        if memory.spill is not None:
            memory.spill.remove()
    new = _newly_published(site_dir, made.graph) if incremental and not preview else ()
    return BuildResult(settings, made.graph, made.site, time.perf_counter() - started, made.warnings,
                       published.files, published.written, new, memory.photos_made, memory.photo_seconds,
                       made.content)


PREVIEW = "preview"  # the part of .presskit-cache/ that `serve` keeps


def cache_options(settings: Settings, *, preview: bool = False, drafts: bool = False) -> tuple[object, ...]:
    """What, besides content, templates and settings, the pages of a build depend on, as its
    stamp and record are keyed: a preview's pages carry its address; `--drafts` shows drafts;
    the format of the search index it writes (the same version of presskit may write another,
    as an editable install does when its code changes: its index is then made anew, not left
    as "nothing changed")."""
    kind = ("preview", settings.base_url) if preview else ("drafts", drafts)
    return (*kind, "search", search.FORMAT)


def _unchanged(site_dir: Path, settings: Settings, state: str, part: str,
               started: float) -> UpToDate | None:
    """What the last build said, if it was made from exactly this state and its output is
    still there as it left it (see cache.up_to_date)."""
    last = up_to_date(site_dir, state, output_state(settings.output_dir), time.time(), part)
    if last is None:
        return None
    summary, kept, event = last
    embargo = datetime.fromisoformat(summary) if summary else None
    warnings = [Problem(Path(w[0]) if w[0] else None, w[1], w[2], w[3], warning=True)
                for w in kept if isinstance(w, list) and len(w) == 4]
    return UpToDate(settings, time.perf_counter() - started, embargo, warnings, NextEvent.from_data(event))


def _lend_from_build(site_dir: Path, settings: Settings, memory: BuildMemory,
                     walked: dict[str, Stat], themes: list[dict[str, Stat]]) -> int:
    """The published releases that the last `build` checked, lent to a preview that has none
    of its own kept, when they were made from the same settings and templates; with their
    rendered texts when those link as the preview's do (same base path). Pages are not lent:
    a preview's differ from the published site's."""
    published = load_settings(site_dir)
    environment_key = quick.environment(published, themes, cache_options(published))
    record = last_record(site_dir, published) if environment_key else None
    if record is None or record.environment != environment_key:
        return 0
    texts = (published.base_path, published.embed_hosts) == (settings.base_path, settings.embed_hosts)
    return quick.lend_releases(settings, memory, record, walked, store.ReleaseStore(site_dir), texts)


def preview_unchanged(site_dir: Path, settings: Settings, walked: dict[str, Stat]) -> UpToDate | None:
    """What the last preview said, if nothing it was made from has changed since (`settings`
    as `serve` has them, `walked` the files of content/ now): `serve` then starts at once."""
    themes = [walk(folder) for folder in theme_dirs(settings)]
    state = source_state(settings.settings_file, walked, themes, cache_options(settings, preview=True))
    return _unchanged(site_dir, settings, state, PREVIEW, time.perf_counter()) if state else None


def write_full(site_dir: Path, state: str, environment_key: str, walked: dict[str, Stat],
               walked_at: float, made: Made, memory: BuildMemory, part: str = "",
               in_place: bool = False, before: quick.Record | None = None,
               ) -> tuple[Published, quick.Record | None, Made]:
    """Write a full build into the folder its settings name, then what the next build needs
    (see `remember`), which the record of the folder replaced no longer describes. `in_place`
    when the last build's record describes that folder as it is: only the files that changed
    are written (see write.publish_in_place), else the whole folder is replaced. The build is
    returned whole (see `publish_made`)."""
    forget_record(site_dir, part)
    published = None
    if in_place:  # output/ is as the record describes it: write only what changed
        forget_build(site_dir, part)
        made = made.whole()
        published = publish_in_place(made.site.files, made.settings.output_dir)
    if published is None:
        published, made = publish_made(made)
    return published, remember(site_dir, state, environment_key, walked, walked_at, made, memory,
                               published.files, part, before, published.changed), made


def publish_made(made: Made) -> tuple[Published, Made]:
    """Write a build into the folder its settings name, and return it whole: what its site
    makes `later` (the search index and sitemap) is made while the rest is written, by a
    process forked for it (write.publish). Writing a 10,000-release newsroom's 27,000 files
    is 5-9 s of the kernel's work on one core; made before it, the index took 4 s of both."""
    if made.site.later is None:
        return publish(made.site.files, made.settings.output_dir), made
    first = {file.path for file in made.site.files}
    whole: list[Made] = []

    def more() -> list[OutputFile]:
        whole.append(made.whole())
        return [file for file in whole[0].site.files if file.path not in first]

    return publish(made.site.files, made.settings.output_dir, more), whole[0]


def keep_site(site_dir: Path, state: str, record: quick.Record, files: Iterable[OutputFile],
              releases: Iterable[tuple[str, Release, RenderedBody]], event: Any, folder: Path,
              part: str) -> quick.Record:
    """Write a site built and served in memory (`serve`) into `folder`, with what the next
    build needs: its record (made for no folder: it now describes this one), its releases
    under their keys and the up-to-date stamp. The record is returned."""
    forget_record(site_dir, part)
    listed = list(files)
    published = None
    if output_state(folder) is not None:  # a kept site: only what changed is written
        forget_build(site_dir, part)
        published = publish_in_place(listed, folder, most=True)
    count = (published or publish(listed, folder)).files
    output = output_state(folder)
    record = dataclasses.replace(record, output=output, output_files=count)
    store.ReleaseStore(site_dir, part).save(releases, complete=True)
    save_record(site_dir, record, part)
    embargo = datetime.fromtimestamp(record.next_embargo, UTC).isoformat() if record.next_embargo else ""
    remember_build(site_dir, state, output, record.next_change, embargo, _as_data(record.problems()),
                   event, part)
    return record


def remember(site_dir: Path, state: str, environment_key: str, walked: dict[str, Stat],
             walked_at: float, made: Made, memory: BuildMemory, files: int,
             part: str = "", before: quick.Record | None = None,
             changed: tuple[str, ...] | None = None) -> quick.Record | None:
    """After a full build was written: the up-to-date stamp, and (when settings and templates
    allow quick rebuilds) the record and the releases the next build can lend (the record is
    returned). `changed`: the files of output/ written or removed, when only those were."""
    embargo, change = made.graph.next_embargo, made.graph.next_change
    output = output_state(made.settings.output_dir)
    event = NextEvent.of(made.graph)
    remember_build(site_dir, state, output, change.timestamp() if change else None,
                   embargo.isoformat() if embargo else "",
                   _as_data(made.warnings), event.as_data() if event else None, part)
    if not environment_key:
        return None
    return _remember(site_dir, environment_key, output, walked, walked_at, made, memory, files, part, before,
                     changed)


RECORD = "record"
RECORD_CHANGES = "record-changes"  # what changed in the record since its file was written
# A record's changes are kept apart up to this many entries (a hundred or so each build after an
# edit), then the record is written whole again.
_CHANGES_KEPT = 20_000


def save_record(site_dir: Path, record: quick.Record, part: str = "",
                before: quick.Record | None = None) -> None:
    """Keep the record of a build: after a build that started from the record `before`
    (read from its file), as what changed since that file was written (0.02 s for the 40
    entries or so an edit changes, where the whole record of 10,000 releases in two languages
    took 0.04-0.1 s to write: 15 MB), while those changes are few; else whole, under a new
    token that the changes kept before do not name. The preview's record is always written
    whole (what it learned is kept under the digest of its file)."""
    found = record.changes_since(before, _CHANGES_KEPT) if before is not None and not part else None
    if found is not None:
        data, record.changes = found
        record.token = before.token  # type: ignore[union-attr]
        store.write_cache(site_dir, RECORD_CHANGES, data, part)
        return
    record.token, record.changes = os.urandom(8).hex(), {}
    store.write_cache(site_dir, RECORD, record.to_bytes(), part)
    store.forget(site_dir, RECORD_CHANGES, part)


def forget_record(site_dir: Path, part: str = "") -> None:
    store.forget(site_dir, RECORD, part)
    store.forget(site_dir, RECORD_CHANGES, part)


def _as_data(warnings: list[Problem]) -> list[list[object]]:
    """Warnings as the up-to-date stamp keeps them (file, line, message, hint)."""
    return [[str(w.file or ""), w.line, w.message, w.hint] for w in warnings]
PUBLISHED = "published.json"


def _newly_published(site_dir: Path, graph: Newsroom) -> tuple[Release, ...]:
    """The releases this build publishes that the last one did not (none on a first build),
    remembering this build's for the next."""
    try:
        before = set(json.loads((part_dir(site_dir) / PUBLISHED).read_text()))
    except (OSError, ValueError, TypeError):
        before = None
    now = [str(release.source) for release in graph.releases]
    keep_file(site_dir, PUBLISHED, json.dumps(now).encode())
    return tuple(r for r in graph.releases if str(r.source) not in before) if before is not None else ()


def last_record(site_dir: Path, settings: Settings, part: str = "",
                data: bytes | None = None, reads: store.ReadAhead | None = None) -> quick.Record | None:
    """The record of the last build, if there is one and it describes output/ as it is: the
    folder it wrote, or a copy of it that holds the same files with the same sizes and times
    (a deploy pipeline that restores output/ and .presskit-cache/ into a fresh clone). `data`:
    the record's file as read already (see `record_data`); `reads`: the cache's files, read
    ahead."""
    if data is None:
        data = reads.read(RECORD) if reads is not None else record_data(site_dir, part)
    record = quick.Record.from_bytes(data) if data else None
    if record is not None and not part:
        record = record.with_changes(reads.read(RECORD_CHANGES) if reads is not None
                                     else store.read_cache(site_dir, RECORD_CHANGES, part))
    output = output_state(settings.output_dir)
    if record is None or output is None:
        return None
    if tuple(output) != tuple(record.output or ()):
        if not quick.same_listing(record.written, settings.output_dir):
            return None
        record = dataclasses.replace(record, output=output)
    return record


def record_data(site_dir: Path, part: str = "") -> bytes | None:
    """The last build's record as its file holds it (unsealed), if there is one (without the
    changes since: see `save_record`)."""
    return store.read_cache(site_dir, RECORD, part)


def _remember(site_dir: Path, environment_key: str, output: tuple[int, int] | None,
              walked: dict[str, Stat], walked_at: float, made: Made, memory: BuildMemory,
              files: int, part: str = "", before: quick.Record | None = None,
              changed: tuple[str, ...] | None = None) -> quick.Record:
    """Leave what the next build needs: the record, and the published releases."""
    forks.trim()  # what rendering freed, given back before the record is made (see forks.trim)
    content, graph = made.content, made.graph
    pages = {path: digest for path, (digest, _) in memory.pages.items()}
    built = os.urandom(8).hex()
    record = quick.make_record(environment_key, output, walked, walked_at, content, graph,
                               made.settings, made.site.bodies, pages, memory.graph, files,
                               made.warnings, made.site.alternates, built,
                               quick.content_digests(walked, walked_at, before),
                               {} if part else _listing(made.settings.output_dir, before, changed),
                               before, memory.search_cards)
    key = quick.store_key(environment_key, content.partners, content.programmes)
    store.ReleaseStore(site_dir, part).save(
        ((key(release.digest), release, made.site.bodies[release]) for release in graph.releases),
        complete=True)
    store.save_texts(site_dir, environment_key, memory.bodies, part)  # (the pages' own)
    if not part:  # a one-shot build: its texts are stored, and the graph it keeps is its peak
        made.site.let_go_of_bodies()
        memory.bodies.clear()
        forks.trim()
    store.ReleaseStore(site_dir, part).save_cards(
        memory.fragments, {str(release.source) for release in content.releases},
        set(memory.pages) if memory.layouts is not None else None)
    store.save_models(site_dir, environment_key, memory, part)
    if memory.links is not None:
        store.write_cache(site_dir, LINKS, _link_index(site_dir, made, memory, built).to_bytes(), part)
    if memory.shows is not None and not part:  # (the preview keeps what it learned instead)
        kept.keep(site_dir, part, built, content, graph, made.site.alternates, memory.shows, made.site.pages,
                  made.site.prints)
    save_record(site_dir, record, part)
    return record


def _listing(output_dir: Path, before: quick.Record | None,
             changed: tuple[str, ...] | None) -> dict[str, tuple[int, int]]:
    """The list of output/ (see quick.output_listing): the last one with the files written or
    removed since, when output/ was kept and only those were (walking 20,000 files is half a
    second); else made anew."""
    if changed is not None and before is not None and before.written:
        return quick.listing_updated(before.written, output_dir, changed)
    return quick.output_listing(output_dir)


LINKS = "links"


def last_links(site_dir: Path) -> LinkIndex | None:
    """The link index the last full build of output/ left (see presskit.links)."""
    data = store.read_cache(site_dir, LINKS)
    return LinkIndex.from_bytes(data) if data else None


def _link_index(site_dir: Path, made: Made, memory: BuildMemory, built: str) -> LinkIndex:
    """The links of the site just built: of the pages it rendered, as noted while rendering;
    of the pages it did not, as the last index has them under the same fingerprint."""
    before = last_links(site_dir)
    kept = before.pages if before is not None else {}
    noted = memory.links or {}
    pages = {}
    for path, (digest, _) in memory.pages.items():
        found = noted.get(path) or kept.get(path)
        if found is not None and found[0] == digest:
            pages[path] = found
    content = made.content
    digests = {model.source: model.digest for model in (
        *content.releases, *content.partners, *content.programmes, *content.country_texts.values(),
        *content.pages, *content.topics)}
    bodies = tuple((str(page.source), digests.get(page.source, ""), page.page_path,
                    tuple((link.target, link.line, link.image) for link in page.links))
                   for page in made.site.body_links)
    index_files = tuple(search_folder(language.root) for language in site_languages(made.settings))
    listing = tuple(file.path for file in made.site.files if not file.path.startswith(index_files))
    return LinkIndex(built, listing, pages, bodies, check_summary(made.graph, made.settings.language_codes))


def check_summary(graph: Newsroom, codes: tuple[str, ...]) -> Summary:
    """What `check` says of a site besides its problems."""
    lacking: dict[str, list[Release]] = {}
    for release, languages in missing_versions(graph.releases, codes).items() if len(codes) > 1 else ():
        for code in languages:
            lacking.setdefault(code, []).append(release)
    missing = []
    for code in codes:
        releases = sorted(lacking.get(code, []), key=lambda r: r.date, reverse=True)
        if releases:
            missing.append((code, len(releases), tuple((r.title, str(r.source)) for r in releases[:5])))
    held = tuple((r.title, r.draft, r.embargo.isoformat() if r.embargo else None) for r in graph.held_back)
    return Summary(len(graph.releases), graph.withheld, held, tuple(missing))


def _quick_build(site_dir: Path, settings: Settings, drafts: bool, record: quick.Record,
                 environment_key: str, walked: dict[str, Stat], walked_at: float, state: str,
                 started: float, part: str = "", seen: dict[str, Stat] | None = None,
                 reads: store.ReadAhead | None = None) -> Rebuilt | UpToDate | None:
    """The quick rebuild, if the changes since the last build allow one (see presskit.quick),
    or the change in place (see presskit.kept); `seen` are the files as the record would see
    them (see quick.verified)."""
    releases = store.ReleaseStore(site_dir, part)
    memory = BuildMemory()
    made = quick_made(settings, record, environment_key, seen or walked, releases, memory, drafts)
    moved = spill = staged = None
    if made is None and not part and not drafts:
        in_place = in_place_made(settings, record, environment_key, seen or walked, releases, reads=reads,
                                 read_before=memory)
        if in_place is not None:
            made, spill, staged = in_place.made, in_place.spill, in_place.staged
            moved = in_place.site if in_place.regrouped else None
    if made is None:
        return None
    try:
        now_record = record_after(record, made, moved, settings, walked, walked_at)
        written, event_data = write_quick(site_dir, settings, record, now_record, made, state, releases, part)
        if staged is not None:  # what pages show, and their order, changed: kept for the next edits
            kept.commit(staged)
            staged = None
    finally:
        if staged is not None:
            kept.drop(staged)
        if spill is not None:
            spill.remove()
    embargo = datetime.fromtimestamp(record.next_embargo, UTC) if record.next_embargo else None
    event = NextEvent.from_data(event_data)
    warnings = now_record.problems()
    seconds = time.perf_counter() - started
    if not made.changed and not made.deleted:  # files were touched or saved unchanged
        return UpToDate(settings, seconds, embargo, warnings, event)
    kind = ("added" if made.changed and str(made.changed[0].source) not in record.releases
            else "deleted" if made.deleted else "moved" if made.moved
            else "in place" if made.shapes else "words")
    announced = _announced(site_dir, made, moved) if kind in ("added", "deleted") else ()
    return Rebuilt(settings, seconds, len(made.changed) or len(made.deleted), made.pages,
                   len(made.files) - made.pages, now_record.output_files, written, embargo, warnings,
                   event, kind, announced)


def record_after(record: quick.Record, made: quick.Quick, moved: retouch.KeptSite | None, settings: Settings,
                 walked: dict[str, Stat], walked_at: float) -> quick.Record:
    """The record after a quick rebuild or a change in place; after a move in place, or a
    release added or deleted, the site after it is `moved` (see presskit.kept): the links,
    feeds and search numbers found again, the pages made with their fingerprints, those gone
    forgotten, and how many files output/ holds (its list is updated as they are written)."""
    if moved is None:
        return quick.updated(record, made, walked, walked_at)
    site = moved
    removed = set(made.removed)
    pages = dict(record.pages)
    for file in removed:  # each page, feed or file at a site path whose file is gone (see paths.output_file)
        pages.pop(f"/{file}", None)
        if file.endswith(paths.INDEX):
            pages.pop(f"/{file.removesuffix(paths.INDEX)}", None)
    pages |= made.digests
    listing = set(record.written) if record.written else None
    files = (record.output_files if listing is None else
             len((listing | {file.path for file in made.files}) - removed))
    now = quick.after_move(record, made, site.newsroom, settings, walked, walked_at, site.alternates, pages,
                           made.search_cards, files)
    return dataclasses.replace(now, output=record.output, written=record.written)


def _announced(site_dir: Path, made: quick.Quick, site: retouch.KeptSite | None) -> tuple[str, ...]:
    """What a release added or deleted in place changes in the list of releases published
    (see _newly_published), and how a release published for the first time is announced."""
    try:
        before = json.loads((part_dir(site_dir) / PUBLISHED).read_text())
    except (OSError, ValueError, TypeError):
        return ()
    now = [source for source in before if source not in made.deleted]
    lines = []
    for release in made.changed:
        if str(release.source) not in now:
            now.append(str(release.source))
            if site is not None:
                lines.append(new_release_line(release, site.newsroom.graph_of(release)))
    keep_file(site_dir, PUBLISHED, json.dumps(now).encode())
    return tuple(lines)


def write_quick(site_dir: Path, settings: Settings, record: quick.Record, now_record: quick.Record,
                made: quick.Quick, state: str, releases: store.ReleaseStore,
                part: str = "") -> tuple[int, Any]:
    """Write a quick rebuild's files into the folder its settings name, then the releases it
    changed, the record as it is now and the up-to-date stamp, with the full build's next
    event (a quick rebuild changes none). Says how many files had new bytes, and that event."""
    changed = bool(made.changed or made.deleted) or made.media_alone
    written = publish_changed(made.files, settings.output_dir, made.removed) if changed else 0
    if changed and now_record.written:
        now_record = dataclasses.replace(now_record, written=quick.listing_updated(
            now_record.written, settings.output_dir, [*(file.path for file in made.files), *made.removed]))
    releases.forget_releases(made.deleted)
    if made.changed:
        key = quick.store_key(record.environment, made.partners, made.programmes)
        releases.save(((key(release.digest), release, made.bodies[release])
                       for release in made.changed if now_record.releases[str(release.source)][2]),
                      complete=False)
    save_record(site_dir, now_record, part, before=record)
    return written, stamp_quick(site_dir, state, now_record, part)


def stamp_quick(site_dir: Path, state: str, record: quick.Record, part: str = "") -> Any:
    """The up-to-date stamp after a quick rebuild (`record`, as it is now) was written, with
    the full build's next event (a quick rebuild changes none), which is returned. An empty
    `state` (a file saved too recently to be told apart from a later save) stamps nothing the
    next build trusts."""
    embargo = datetime.fromtimestamp(record.next_embargo, UTC).isoformat() if record.next_embargo else ""
    event = last_next_event(site_dir, part)
    remember_build(site_dir, state, record.output, record.next_change, embargo,
                   _as_data(record.problems()), event, part)
    return event


def upcoming_embargoes(site_dir: Path, now: datetime | None = None) -> tuple[Settings, list[Release]]:
    """The releases whose embargo is still ahead (drafts left out), soonest first, for whoever
    schedules the rebuild that publishes them; raises BuildFailed like `build`."""
    settings = load_settings(site_dir)
    problems: list[Problem] = []
    content = load_content(settings, problems, BuildMemory(writes_cache=False))
    if errors_in(problems):
        raise BuildFailed(problems)
    moment = now or datetime.now(UTC)
    ahead = [release for release in content.releases
             if not release.draft and release.embargo is not None and release.embargo > moment]
    return settings, sorted(ahead, key=lambda release: (release.embargo, release.title))


def quick_made(settings: Settings, record: quick.Record, environment_key: str,
               walked: dict[str, Stat], releases: store.ReleaseStore, memory: BuildMemory,
               drafts: bool = False) -> quick.Quick | None:
    """What a quick rebuild makes of the changes since the record's build, in memory, if
    they allow one: same settings and templates, no embargo lifted since, words alone changed."""
    if not environment_key or record.environment != environment_key:
        return None
    now = datetime.now(UTC)
    if record.next_change is not None and now.timestamp() >= record.next_change:
        return None
    changed = quick.changed_files(record, walked)
    if changed is None:
        return None
    lent = store.lend_models(memory, store.saved_models(releases.site_dir, environment_key, releases.part))
    made = quick.quick_rebuild(settings, record, changed, releases, as_of=now, drafts=drafts,
                               preview=releases.part == PREVIEW, memory=memory)
    if made is not None:
        store.keep_models_read(releases.site_dir, environment_key, memory, lent, releases.part)
    return made


class InPlace(NamedTuple):
    """A change in place (see in_place_made): what it made, the site after it, whether what
    pages show or their order changed (a move, a release added or deleted: the kept graph is
    written again once output/ is), the link targets of the pages it made when it was asked to
    note them, and the spill folder its pages wait in (a release added or deleted), to remove
    once written."""

    made: quick.Quick
    site: retouch.KeptSite
    regrouped: bool
    links: dict[str, tuple[str, tuple[str, ...]]] | None
    spill: Spill | None = None  # where its pages wait to be written (removed once they are)
    staged: kept.Staged | None = None  # the site after it, kept once output/ is written


def in_place_made(settings: Settings, record: quick.Record, environment_key: str,
                  walked: dict[str, Stat], releases: store.ReleaseStore, *,
                  checking: bool = False, reads: store.ReadAhead | None = None,
                  read_before: BuildMemory | None = None) -> InPlace | None:
    """What a change in place makes of the changes since the record's build (see
    presskit.kept and presskit.retouch), if they are one: releases that changed what other
    pages show of them (a title, summary, lead, photos), moved among their neighbours (a new
    date in the same year, other partners), or a release file written or deleted; the graph
    the full build kept, and the pages that show each release, taken back. `checking` (for
    `check`): nothing is written (no photo file made, no card kept), the link targets of the
    pages made are noted, and a move makes its later pages but neither the search index nor
    the sitemap (no page links into them). `reads`: the kept graph's files, read ahead;
    `read_before`: what the quick rebuild tried first read (the changed files, the models)."""
    if not environment_key or record.environment != environment_key:
        return None
    if record.next_change is not None and datetime.now(UTC).timestamp() >= record.next_change:
        return None
    changed = quick.changed_files(record, walked)
    if changed == []:
        return None
    read = reads.read if reads is not None else functools.partial(store.read_cache, releases.site_dir,
                                                                   part=releases.part)
    files = {name: read(name) for name in kept.FILES}  # (read ahead: its thread is done, none is forked)
    with contextlib.ExitStack() as stack:
        ahead = None
        if (not checking and cores() > 1 and all(data is not None for data in files.values())
                and (changed is None or _may_move(settings, record, changed, read_before))):
            ahead = stack.enter_context(_Ahead.forked(settings, record, environment_key, walked, releases,
                                                      changed, files))
        site = kept.recall(record, releases, files.get)
        files.clear()  # (the bytes let go of: the forked process has its own)
        if site is None:
            return None
        # A release written or deleted makes ~525 pages at 10,000 releases, on every core: each
        # process writes its pages into a spill folder as it makes them, and output/ links them
        # (0.14-0.23 s to write, from 0.3-0.65 s with every page's bytes sent to this process).
        spill = Spill.beside(settings.output_dir) if changed is None and not checking else None
        try:
            found = _made_in_place(settings, record, environment_key, walked, releases, changed, site,
                                   checking, spill, ahead)
        except BaseException:
            if spill is not None:
                spill.remove()
            raise
    if found is None and spill is not None:
        spill.remove()
    kept.settle()  # made: what is left writes files (and a full build that follows frees the graph)
    return found


def _may_move(settings: Settings, record: quick.Record, changed: list[str],
              memory: BuildMemory | None) -> bool:
    """Whether an edit of these files may be a move (see retouch.card_edit), which _Ahead is
    forked for: a release whose place, read again (`memory`: the files and models as the quick
    rebuild read them, 0.002 s), is not the one its shape in the record was made with. A
    process forked in vain took 0.04-0.06 s from a bilingual card edit's 0.5-0.6 s."""
    if memory is None or not all(source in record.releases for source in changed):
        return True  # (a photo of content/media/ among them: card_edit says)
    problems: list[Problem] = []
    loaded = load_releases(settings, [Path(source) for source in changed], problems, memory)
    if errors_in(problems) or len(loaded.releases) != len(changed):
        return True
    return any(quick.placed_as(record.releases[str(release.source)][1]) != quick.release_place(release)
               for release in loaded.releases)


def _made_in_place(settings: Settings, record: quick.Record, environment_key: str, walked: dict[str, Stat],
                   releases: store.ReleaseStore, changed: list[str] | None, site: retouch.KeptSite,
                   checking: bool, spill: Spill | None, ahead: _Ahead | None = None) -> InPlace | None:
    memory = BuildMemory(writes_cache=not checking, spill=spill, left=quick.pages_left(settings, record))
    lent, texts_kept, site = _lent(settings, record, environment_key, walked, releases, changed, site, memory)
    if checking:
        memory.links = {}
    else:
        memory.layouts = {}
    started = ahead.start if ahead is not None else None
    edited = _edited(settings, record, walked, changed, site, memory, started)
    if edited is None:
        return None
    made, now = edited
    staged = None
    if made.moved and not checking:  # what pages show changed: the search index and sitemap too
        # (what pages show, and their order, staged to be kept while `ahead` makes the rest)
        staged = kept.keep_site(releases.site_dir, releases.part, record.built, now)
        finished = _finished_move(settings, record, made, now, memory, site.pages, ahead)
        if finished is None:
            kept.drop(staged)
            return None
        made = finished
    if not checking and store.has_new_texts(memory.bodies, texts_kept):  # a description rendered:
        store.save_texts(releases.site_dir, environment_key, memory.bodies, releases.part)  # once
    store.keep_models_read(releases.site_dir, environment_key, memory, lent, releases.part)
    sink = releases.card_sink() if (memory.made_fragments or memory.layouts) and not checking else None
    if sink is not None:  # the cards made anew, and where they lie, for the lists of the next builds
        sink([(slot, memory.fragments[slot]) for slot in memory.made_fragments], memory.layouts)
        sink.close()
    return InPlace(made, now, bool(made.moved), memory.links, spill, staged)


def _lent(settings: Settings, record: quick.Record, environment_key: str, walked: dict[str, Stat],
          releases: store.ReleaseStore, changed: list[str] | None, site: retouch.KeptSite,
          memory: BuildMemory) -> tuple[store.SavedModels, int, retouch.KeptSite]:
    """What a change in place reads besides the kept graph, lent to `memory`: the models of the
    other files, the cards and texts kept, and the releases it changes (see kept.lend). Says
    what was lent of the models, how many texts were kept, and the site with those releases."""
    lent = store.lend_models(memory, store.saved_models(releases.site_dir, environment_key, releases.part))
    memory.kept_fragments = releases.kept_cards(settings.output_dir)
    memory.kept_bodies = releases.kept_bodies(
        quick.store_key(environment_key, site.content.partners, site.content.programmes))
    memory.bodies.update(store.saved_texts(releases.site_dir, environment_key, releases.part))
    memory.body_options = (settings.base_path, settings.embed_hosts)  # (as the full build's)
    texts_kept = len(memory.bodies)
    site = kept.lend(site, record, changed if changed is not None else walked.keys() ^ record.files.keys(),
                     releases, memory, settings)
    return lent, texts_kept, site


def _edited(settings: Settings, record: quick.Record, walked: dict[str, Stat], changed: list[str] | None,
            site: retouch.KeptSite, memory: BuildMemory,
            started: retouch.MoveStarted | None) -> tuple[quick.Quick, retouch.KeptSite] | None:
    """The change in place of a release file written or deleted (`changed` None), or of the
    files changed (see retouch)."""
    if changed is None:  # a file added or removed: a release written or deleted?
        return retouch.file_added_or_removed(settings, record, walked, site, preview=False, memory=memory,
                                             workers=cores(), started=started)
    return retouch.card_edit(settings, record, changed, site, preview=False, memory=memory,
                             read=_OutputRead(settings.output_dir), photos_later=False, started=started)


def _finished_move(settings: Settings, record: quick.Record, made: quick.Quick, now: retouch.KeptSite,
                   memory: BuildMemory, pages: tuple[str, ...],
                   ahead: _Ahead | None = None) -> quick.Quick | None:
    """A move's search index and sitemap, and the pages it left for later, made (see
    retouch.finish_move; `pages`: the site's before the move, of which the sitemap in output/
    was made), or as `ahead` made them meanwhile; None if the full build must run."""
    finished = ahead.result(made, now) if ahead is not None else None
    if finished is None:
        finished = _finish(settings, record, now, memory, pages, made.moved, made.digests.keys(), made.later)
    if not finished:
        return None
    return dataclasses.replace(
        made, files=[*made.files, *finished.files], removed=[*made.removed, *finished.removed],
        pages=made.pages + finished.pages,
        digests={path: digest for path, (digest, _) in memory.pages.items()} | finished.digests,
        search_cards=finished.search_cards)


@dataclass(frozen=True)
class _Finished:
    """What finishing a move made (see _finish): the files to write (not those output/ has as
    they are), the files to remove, how many pages, the fingerprints of the files it made (by
    site path), and the keys of the search entries of each language it made whole."""

    files: list[OutputFile]
    removed: list[str]
    pages: int
    digests: dict[str, str]
    search_cards: dict[str, bytes]
    # Each moved language's numbering (search.numbering), which its record needs again
    numbering: dict[str, search.Numbering]


def _finish(settings: Settings, record: quick.Record, now: retouch.KeptSite, memory: BuildMemory,
            pages: tuple[str, ...], moved: frozenset[str], remade: Collection[str],
            later: Collection[str] = ()) -> _Finished | Literal[False]:
    """The rest of a move (retouch.finish_move), output/ read as it is; False if the full build
    must run."""
    read = _OutputRead(settings.output_dir)
    before = dict(memory.pages)
    try:
        rest, cards, emptied = retouch.finish_move(
            settings, record, now, memory, moved=moved, remade=remade, later=later, preview=False, read=read,
            served=None, folder=settings.output_dir, workers=cores(), sitemap_of=pages)
        emptied += _search_files_gone(settings, now.newsroom, moved, rest, read)
    except (BuildFailed, LookupError):
        return False
    html = sum(1 for file in rest if file.path.endswith(".html"))
    rest = [file for file in rest if (read.seen.get(file.path) != file.data if file.data is not None
                                      else not file.left_in(settings.output_dir))]
    made = {path: entry[0] for path, entry in memory.pages.items() if before.get(path) is not entry}
    numbering = {graph.language.code: search.numbering(graph.releases) for graph in now.newsroom.graphs
                 if graph.language.code in moved}
    return _Finished(rest, emptied, html, made, cards, numbering)


class _Ahead:
    """A move's search indexes and sitemap (see _finish), made on a process forked before the
    kept graph is taken back, while this one makes the move's pages: 0.13 s of a build after a
    move at 10,000 releases in two languages, on the other core. The forked process takes the
    graph back too, from the same bytes, and makes the same change (writing nothing: see
    _ahead), up to the moment the site after it is known (retouch.MoveStarted); there it makes
    the rest of the move, and ends. A process forked later, once the graph is taken back,
    shares its memory: each page of it that either process then wrote was copied, and the
    build took as long as before. What it made is used if its move is this one: the same
    languages moved, the same pages made (the sitemap's entries of those are made again), the
    same releases read; else (a file saved again meanwhile) this process makes it."""

    def __init__(self, result: Callable[[], _Made | None]) -> None:
        self._result = result
        self.started: tuple[frozenset[str], frozenset[str], dict[str, str]] | None = None  # (see `start`)

    @classmethod
    @contextlib.contextmanager
    def forked(cls, settings: Settings, record: quick.Record, environment_key: str, walked: dict[str, Stat],
               releases: store.ReleaseStore, changed: list[str] | None,
               files: dict[str, bytes | None]) -> Iterator[_Ahead]:
        """The process forked, stopped when the block is left if it still runs."""
        with forks.aside(functools.partial(_ahead, settings, record, environment_key, walked, releases,
                                           changed, files)) as result:
            yield cls(result)

    def start(self, now: retouch.KeptSite, moved: frozenset[str], pages: frozenset[str],
              read: dict[str, str]) -> None:
        """The move this process makes (see retouch.MoveStarted)."""
        self.started = moved, pages, read

    def result(self, made: quick.Quick, now: retouch.KeptSite) -> _Finished | Literal[False] | None:
        """What the forked process made of this move, if it is this one; None if not (or if it
        could not make it): the caller makes it."""
        if self.started is None or made.later:
            return None
        try:
            found = self._result()
        except Exception:  # (its error is this process's too: met again as it makes the move)
            return None
        if found is None or (found.moved, found.pages, found.read) != self.started:
            return None
        if found.finished:
            for graph in now.newsroom.graphs:  # (as if numbered here: its record numbers them again)
                if graph.language.code in found.finished.numbering:
                    search.remember(graph.releases, found.finished.numbering[graph.language.code])
        return found.finished


@dataclass(frozen=True)
class _Made:
    """What the process of _Ahead made, and of which move: the languages moved, the pages made
    and the releases read (their digests by source)."""

    moved: frozenset[str]
    pages: frozenset[str]
    read: dict[str, str]
    finished: _Finished | Literal[False]


class _Started(Exception):
    """Not an error: the site after the move is known (see _ahead)."""

    def __init__(self, now: retouch.KeptSite, moved: frozenset[str], pages: frozenset[str],
                 read: dict[str, str]) -> None:
        super().__init__()
        self.now, self.moved, self.pages, self.read = now, moved, pages, read


def _ahead(settings: Settings, record: quick.Record, environment_key: str, walked: dict[str, Stat],
           releases: store.ReleaseStore, changed: list[str] | None, files: dict[str, bytes | None],
           ) -> _Made | None:
    """The forked process of _Ahead: the change in place taken as far as the site after it
    (nothing written: as `check` takes it), then the rest of the move made; None if the change
    is not a move, or not one made in place."""
    site = kept.recall(record, releases, files.get)
    if site is None:
        return None
    memory = BuildMemory(writes_cache=False, left=quick.pages_left(settings, record))
    memory.layouts = {}
    _, _, site = _lent(settings, record, environment_key, walked, releases, changed, site, memory)

    def started(now: retouch.KeptSite, moved: frozenset[str], pages: frozenset[str],
                read: dict[str, str]) -> None:
        raise _Started(now, moved, pages, read)

    try:
        _edited(settings, record, walked, changed, site, memory, started)
    except _Started as move:
        finished = _finish(settings, record, move.now, memory, site.pages, move.moved, move.pages)
        return _Made(move.moved, move.pages, move.read, finished)
    return None


class _OutputRead:
    """The files of output/ by their path inside it, each kept as it was read: a search index
    made after a move from the one there reads its names and shards, and writes again only
    those whose bytes changed (the entries that keep their numbers are left there unread)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: dict[str, bytes | None] = {}

    def __call__(self, path: str) -> bytes | None:
        data = self.seen[path] = quick.written_file(self.folder, path)
        return data


def _search_files_gone(settings: Settings, newsroom: Newsroom, languages: Iterable[str],
                       files: list[OutputFile], read: _OutputRead) -> list[str]:
    """The files of output/ in the search indexes of these languages, made again (their
    new meta.jsonz among `files`, the files that stay as they are unnamed), that they no
    longer have (a release deleted: its card, the shards of its words): the index's
    files as its last meta.jsonz (`read`) names them, less those of the new one; where the last
    one is unreadable, every file in its folder less those."""
    made = {file.path: file.data for file in files}
    gone = []
    for graph in newsroom.graphs:
        if graph.language.code in languages:
            folder = search_folder(graph.language.root)
            found = search.files_gone(read.seen.get(folder + "meta.jsonz"), made.get(folder + "meta.jsonz"))
            if found is not None:
                gone += [folder + name for name in found]
                continue
            names = search.index_names(made.get(folder + "meta.jsonz"))
            if names is None:  # (no index made: every file of its folder is gone)
                names = {path[len(folder):] for path in made if path.startswith(folder)}
            before = search.index_names(read.seen.get(folder + "meta.jsonz"))
            if before is None:
                before = {path[len(str(settings.output_dir)) + len(folder) + 1:]
                          for path in files_below(settings.output_dir / folder)}
            gone += [folder + name for name in sorted(before - names)]
    return gone
