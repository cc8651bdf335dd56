"""The `check` command: everything `build` validates, plus every link and image, written nowhere.

On a site that was built it borrows what the build kept in .presskit-cache/ (read only: SPEC
6): the record, the stored releases, and the index of every page's links (see presskit.links).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from presskit import quick, store
from presskit.build import (
    NextEvent,
    Stage,
    cache_options,
    check_summary,
    cores,
    in_place_made,
    last_links,
    last_record,
    make_site,
    quick_made,
    quiet,
    record_after,
)
from presskit.cache import BuildMemory, Stat, last_next_event, walk
from presskit.check import check_links, link_problems, page_targets
from presskit.config import Settings, load_settings
from presskit.errors import BuildFailed, Problem
from presskit.languages import site_languages
from presskit.links import BodyLinks, LinkIndex, Summary
from presskit.markdown import RenderedBody
from presskit.render import search_folder, theme_dirs


@dataclass(frozen=True)
class Checked:
    """What `check` says of a site that has no problems (warnings aside)."""

    settings: Settings
    seconds: float
    summary: Summary
    pages: int  # HTML pages of the site
    read: int  # pages whose links were looked for (those of the others were known)
    next_embargo: datetime | None
    next_event: NextEvent | None
    warnings: list[Problem] = field(default_factory=list)


def check(site_dir: Path, *, as_of: datetime | None = None, stage: Stage = quiet) -> Checked:
    """What `build` validates, plus every internal link and image; writes nothing (SPEC 6).

    On a site that was built, it borrows what the build kept (read-only). When only the words
    of releases changed since (or nothing did), it makes just their pages, as a quick rebuild
    would, and takes every other page's links from the index the build left. Otherwise it makes
    the site in memory, lending the checked releases and texts that did not change, and reads
    the links of only the pages that were made again or that the index does not know. Pages are
    read on every core."""
    started = time.perf_counter()
    site_dir = site_dir.resolve()  # as the build's record names every file
    settings = load_settings(site_dir)
    memory = BuildMemory(writes_cache=False)
    readers = cores()
    index = None
    digests: dict[str, str] = {}
    if as_of is None:
        walked_at = time.time()
        walked = walk(settings.content_dir)
        themes = [walk(folder) for folder in theme_dirs(settings)]
        environment_key = quick.environment(settings, themes, cache_options(settings))
        record = last_record(site_dir, settings)
        seen = quick.verified(record, walked) if record is not None else walked
        index = last_links(site_dir) if record is not None else None
        if record is not None and index is not None and index.built == record.built:
            stage("Looking for changes")
            checked = _quick_check(site_dir, settings, record, index, walked, walked_at,
                                   environment_key, started, seen)
            if checked is None:
                checked = _in_place_check(site_dir, settings, record, index, walked, walked_at,
                                          environment_key, started, seen)
            if checked is not None:
                return checked
        if record is not None and quick.restore(settings, memory, record, seen, store.ReleaseStore(site_dir),
                                                environment_key, walked, walked_at):
            readers = 1
        digests = {path: digest for path, (digest, _) in memory.pages.items()}
    memory.links = {}
    made = make_site(site_dir, as_of=as_of, stage=stage, memory=memory, workers=cores(),
                     readers=readers, settings=settings, search=False,  # no page links into them
                     sitemap=False)
    stage("Checking links")
    warnings = quick.as_kept(made.warnings)
    problems, read = check_links(made.site, made.settings.base_path, cores(), made.settings.output_dir,
                                 memory.links, index.pages if index is not None else None, digests)
    if problems:
        raise BuildFailed([*warnings, *problems])
    graph = made.graph
    pages = sum(1 for file in made.site.files if file.path.endswith(".html"))
    return Checked(made.settings, time.perf_counter() - started,
                   check_summary(graph, made.settings.language_codes), pages, read,
                   graph.next_embargo, NextEvent.of(graph), warnings)


def _quick_check(site_dir: Path, settings: Settings, record: quick.Record, index: LinkIndex,
                 walked: dict[str, Stat], walked_at: float, environment_key: str,
                 started: float, seen: dict[str, Stat]) -> Checked | None:
    """The check of a built site whose releases' words alone changed since (or nothing did):
    their pages made in memory as a quick rebuild makes them, every other page's links and
    every other body's as the build's link index has them (None: a full check is needed)."""
    releases = store.ReleaseStore(site_dir)
    made = quick_made(settings, record, environment_key, seen, releases,
                      BuildMemory(writes_cache=False))
    if made is None:
        return None
    now_record = quick.updated(record, made, walked, walked_at)
    bodies = _bodies_now(now_record, index, made, releases)
    if bodies is None:
        return None
    fresh = {file.path: file for file in made.files}
    pages = [fresh.get(path) or path for path in index.listing if path.endswith(".html")]
    targets, read = page_targets(pages, cores(), {}, index.pages, now_record.pages, settings.output_dir)
    warnings = now_record.problems()
    problems = link_problems(bodies, zip((f if isinstance(f, str) else f.path for f in pages), targets,
                                         strict=True),
                             set(index.listing), settings.base_path)
    if problems:
        raise BuildFailed([*warnings, *problems])
    embargo = datetime.fromtimestamp(record.next_embargo, UTC) if record.next_embargo else None
    return Checked(settings, time.perf_counter() - started, index.summary, len(pages), read, embargo,
                   NextEvent.from_data(last_next_event(site_dir)), warnings)


def _in_place_check(site_dir: Path, settings: Settings, record: quick.Record, index: LinkIndex,
                    walked: dict[str, Stat], walked_at: float, environment_key: str,
                    started: float, seen: dict[str, Stat]) -> Checked | None:
    """The check of a built site where releases changed in place, moved, or were written or
    deleted since (see presskit.kept): the pages such a build would make again made in
    memory (nothing written), every other page's links and every other body's as the build's
    link index has them; a deleted release's page is gone from the site, so every link to it
    is found. None: a full check is needed."""
    releases = store.ReleaseStore(site_dir)
    found = in_place_made(settings, record, environment_key, seen, releases, checking=True)
    if found is None:
        return None
    made = found.made
    now_record = record_after(record, made, found.site if found.regrouped else None, settings, walked,
                              walked_at)
    bodies = _bodies_now(now_record, index, made, releases)
    if bodies is None:
        return None
    gone = set(made.deleted)
    bodies = [body for body in bodies if body[0] not in gone]
    listed = {source for source, _, _, _ in index.bodies}
    bodies += [(str(release.source), release.path, tuple((link.target, link.line, link.image)
                                                         for link in made.bodies[release].links))
               for release in made.changed if str(release.source) not in listed]
    searched = tuple(search_folder(language.root) for language in site_languages(settings))
    fresh = {file.path: file for file in made.files if not file.path.startswith(searched)}
    removed = set(made.removed)
    listing = [path for path in index.listing if path not in removed]
    listing += sorted(fresh.keys() - set(listing))
    pages = [fresh.get(path) or path for path in listing if path.endswith(".html")]
    targets, read = page_targets(pages, cores(), found.links or {}, index.pages, now_record.pages,
                                 settings.output_dir)
    warnings = now_record.problems()
    problems = link_problems(bodies, zip((f if isinstance(f, str) else f.path for f in pages), targets,
                                         strict=True),
                             set(listing), settings.base_path)
    if problems:
        raise BuildFailed([*warnings, *problems])
    graph = found.site.newsroom
    return Checked(settings, time.perf_counter() - started, check_summary(graph, settings.language_codes),
                   len(pages), read, graph.next_embargo, NextEvent.from_data(last_next_event(site_dir)),
                   warnings)


def _bodies_now(now_record: quick.Record, index: LinkIndex, made: quick.Quick,
                releases: store.ReleaseStore) -> list[tuple[str, str, BodyLinks]] | None:
    """Every body's links as they are now: the index's, but for the releases whose words
    changed since it was made (from the quick rebuild under way, or as the rebuilds that
    followed the index stored them); None if one of those is not stored."""
    edited = {str(release.source): body for release, body in made.bodies.items()}
    stale = {}
    for source, digest, _, _ in index.bodies:
        known = now_record.releases.get(source)
        if source not in edited and known is not None and known[0] != digest:
            stale[source] = known[0]
    stored: dict[str, RenderedBody] = {}
    if stale:
        key = quick.store_key(now_record.environment, made.partners, made.programmes)
        found = releases.load({source: key(digest) for source, digest in stale.items()},
                              made.partners, made.programmes)
        if found is None:
            return None
        stored = {source: body for source, (_, body) in found.items()}
    bodies = []
    for source, _, page, links in index.bodies:
        body = edited.get(source) or stored.get(source)
        if body is not None:
            links = tuple((link.target, link.line, link.image) for link in body.links)
        bodies.append((source, page, links))
    return bodies
