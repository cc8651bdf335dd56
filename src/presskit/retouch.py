"""Card edits and moves in a site kept in memory (`serve`): a release whose title, summary or
text changed, but not its place in the site; or one that moved among its neighbours.

A release's place is its address, date, terms, photos, publication, versions and event
(models.placed_alike): what decides which pages there are, which of them list it and in which
order. When every release saved keeps its place, the site has the same pages with the same
lists; only the pages that show one of those releases change. The full build notes them as it
lists its pages (each page fingerprints the releases it shows: `BuildMemory.shows`), so a
card edit swaps the new releases into the graph kept in memory and makes those pages, the
feeds and calendar files that carry the releases, and their search index entries, nothing
else. Other photos (models.pictured_anew) are such an edit too: the files of the photos that
came or went are made or removed as the full build would have them (_photos_again).

A new date (models.moved_alike) keeps a release on the same pages, but its year's, in a new
order: every list that holds it is sorted again and the links it changes are found again
(graph.with_moves); the pages made again are those that showed it, those of the releases
whose neighbours or related lists changed, the pages of each paged list (of all releases, of
its year, of its terms: see _relisted) between its old and new place, the home page, the
feeds it joined or left, its language's search index (its card, and meta.jsonz, which lists
releases by date; see search.index_numbers) and the sitemap; dated into another year, it
leaves that year's list for the other's, and the pages of both that change and /releases/
(which counts each year's releases) are made again. Anything else (a
year's first release or its last, a partner added, a file added or removed) is left to the
full build, which is always right.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from presskit import paths
from presskit.asleep import photo_paths
from presskit.cache import IN_OUTPUT, BuildMemory, Stat, Written
from presskit.config import Settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.graph import Newsroom, SiteGraph, with_moves, with_release, with_releases
from presskit.markdown import BodyRenderer, RenderedBody
from presskit.media import Media
from presskit.models import (
    Asset,
    Content,
    Release,
    body_key,
    moved_alike,
    partnered_anew,
    pictured_anew,
    placed_alike,
)
from presskit.quick import Quick, Record, body_files, lend_bodies, release_shape, touched_files
from presskit.render import (
    Alternates,
    CardKeys,
    OutputFile,
    RenderedSite,
    SearchEdit,
    feed_indexes,
    kept_sitemap,
    list_page_alternates,
    paged_lists,
    paged_shown,
    release_alternates,
    render_shown,
)
from presskit.schema import load_releases


class ShownOn:
    """The site paths of the pages that show each release (by source), turned round, when
    first asked, from the releases each page showed as the full build noted them
    (`BuildMemory.shows`: one tuple a page is quicker to note than 185,000 pairs at 10,000
    releases). The preview turns it round once the pages are served, not in a save's wait."""

    def __init__(self, shows: dict[str, tuple[Release, ...]]) -> None:
        self.shows = shows
        self._pages: dict[str, set[str]] | None = None

    def pages(self, source: str) -> set[str]:
        return self.turned().get(source, set())

    def update(self, shows: dict[str, tuple[Release, ...]]) -> None:
        """Note what these pages show now (made again after a move), turned round at once if
        the rest was (a move's few pages, not the site's every page again)."""
        if self._pages is not None:
            for path, releases in shows.items():
                before = self.shows.get(path, ())
                if before == releases:
                    continue
                now = set(releases)  # a term page shows a thousand: only those that came or went
                for release in set(before) - now:
                    self._pages.get(str(release.source), set()).discard(path)
                for release in now.difference(before):
                    self._pages.setdefault(str(release.source), set()).add(path)
        self.shows.update(shows)

    def turned(self) -> dict[str, set[str]]:
        if self._pages is None:
            pages: dict[str, set[str]] = {}
            for path, releases in self.shows.items():
                for release in releases:
                    pages.setdefault(str(release.source), set()).add(path)
            self._pages = pages
        return self._pages


@dataclass(frozen=True)
class KeptSite:
    """A site built in memory, as card edits change it: its content and graph, the rendered
    text of each release shown, each page's versions in other languages, the site paths of the
    pages that show each release (by source), and each language's fingerprints of what pages
    show (RenderedSite.prints, which card edits use and add to)."""

    content: Content
    newsroom: Newsroom
    bodies: dict[Release, RenderedBody]
    alternates: Alternates
    shown_on: ShownOn
    prints: tuple[dict[object, str], ...] = ()
    card_keys: tuple[CardKeys, ...] = ()  # RenderedSite.card_keys, also used and added to
    # Where each release is in content.releases, by source (made at the first edit, then
    # kept: an edit puts a release in the place of the one it replaces).
    places: dict[str, int] = field(default_factory=dict)
    pages: tuple[str, ...] = ()  # RenderedSite.pages: the files of every page, in order
    # The content of the full build whose graph a build after an edit took back (presskit.kept
    # keeps it apart, and the site after the edit refers to the models it still has).
    apart: Content | None = None
    # What presskit.kept took back of the pages' versions (kept apart, as they were).
    versions_kept: object = None

    @classmethod
    def built(cls, content: Content, newsroom: Newsroom, site: RenderedSite,
              shows: dict[str, tuple[Release, ...]]) -> KeptSite:
        """The site a full build made, with the releases each of its pages shows (as the
        build noted them in `BuildMemory.shows`)."""
        return cls(content, newsroom, dict(site.bodies), Alternates.of(site.alternates), ShownOn(shows),
                   site.prints, site.card_keys, pages=site.pages)

    def release(self, source: str) -> Release | None:
        """The release of a source file, if the site has it."""
        if not self.places:
            self.places.update((str(release.source), number)
                               for number, release in enumerate(self.content.releases))
        place = self.places.get(source)
        return self.content.releases[place] if place is not None else None

    def with_edits(self, releases: Iterable[Release], bodies: dict[Release, RenderedBody]) -> KeptSite:
        """The site with these releases (each in the place of the one of its file) and texts."""
        swap, kept = self._swapped(releases, bodies)
        return self._with(swap, kept, with_releases(self.newsroom, swap))

    def with_moves(self, releases: Iterable[Release],
                   bodies: dict[Release, RenderedBody]) -> tuple[KeptSite, set[Release]] | None:
        """The site with these releases, some of them moved among their neighbours (see
        graph.with_moves), and the releases whose links changed; None if pages would come or go."""
        swap, kept = self._swapped(releases, bodies)
        moved = with_moves(self.newsroom, swap)
        if moved is None:
            return None
        newsroom, relinked = moved
        return self._with(swap, kept, newsroom), relinked

    def _swapped(self, releases: Iterable[Release], bodies: dict[Release, RenderedBody],
                 ) -> tuple[dict[Release, Release], dict[Release, RenderedBody]]:
        swap = {}
        for release in releases:
            old = self.release(str(release.source))
            if old is not None:
                swap[old] = release
        kept = dict(self.bodies)
        for old, new in swap.items():
            kept.pop(old, None)
            kept[new] = bodies[new]
            for known in (*self.prints, *self.card_keys):
                known.pop(old, None)
        return swap, kept

    def _with(self, swap: dict[Release, Release], bodies: dict[Release, RenderedBody],
              newsroom: Newsroom) -> KeptSite:
        now = list(self.content.releases)
        for new in swap.values():
            now[self.places[str(new.source)]] = new
        return dataclasses.replace(self, content=dataclasses.replace(self.content, releases=tuple(now)),
                                   newsroom=newsroom, bodies=bodies)


# What a build is told once the site after a move, or a release added or removed, is known,
# before the pages it makes are (and the files of photos): that site, the languages whose
# releases moved, the site paths of the pages it makes (every one, none left for later), and
# each release file read or gone, with the digest of what was read ("" for one gone). The
# search indexes and the sitemap (finish_move, whose sitemap entries of those pages are made
# again) depend on nothing else: a build makes them on another core meanwhile (build._Ahead).
MoveStarted = Callable[[KeptSite, frozenset[str], frozenset[str], dict[str, str]], None]


def card_edit(settings: Settings, record: Record, changed: list[str], kept: KeptSite, *,
              preview: bool, memory: BuildMemory, read: Callable[[str], bytes | None],
              served: Mapping[str, OutputFile] | None = None,
              photos_later: bool = True, started: MoveStarted | None = None) -> tuple[Quick, KeptSite] | None:
    """The files that the edits of `changed` make different, and the site after them, when
    each changed file is a release that kept its place or moved among its neighbours (None:
    the full build must run). `read` gives the files of the site as served, by their path
    inside output/ (`served`: those files). The kept graph's moment stands: the caller makes
    sure that no embargo lifted and no event passed since (the record's `next_change`).
    Without `photos_later`, the files of photos new to the site are made before it returns
    (see Quick.photos_later). A move tells `started` of the site after it before its pages
    are made (see MoveStarted)."""
    seen = _photos_seen_aside(settings, record, changed, memory)
    if not seen:
        return None  # a partner, programme, page, country text or media file changed
    changed = seen
    problems: list[Problem] = []
    loaded = load_releases(settings, [Path(path) for path in changed], problems, memory)
    if errors_in(problems) or len(loaded.releases) != len(changed):
        return None
    markdown = BodyRenderer(settings.base_path, settings.embed_hosts)
    edited: list[Release] = []
    moved: dict[Release, Release] = {}
    pictured: dict[Release, Release] = {}  # with other photos: a card edit, if their files are made
    bodies: dict[Release, RenderedBody] = {}
    shapes: dict[str, str] = {}
    for release in loaded.releases:
        source = str(release.source)
        old = kept.release(source)
        if old is None or old not in kept.bodies or not record.releases[source][2]:
            return None  # not shown: the full build decides what its edit changes
        release = _with_kept_organisations(release, kept)
        if release is None:
            return None
        if release.digest == old.digest:
            continue  # touched, not changed
        body = memory.body(body_key(release), lambda release=release: release.body,  # type: ignore[misc]
                           release.body_line, markdown.render)
        if body_files(release, body) != body_files(old, kept.bodies[old]):
            return None
        if not placed_alike(old, release):
            if moved_alike(old, release) or partnered_anew(old, release):
                moved[old] = release
            elif pictured_anew(old, release):
                pictured[old] = release
            else:
                return None
        bodies[release] = body
        shapes[source] = release_shape(release, body, True)
        edited.append(release)
    if not edited:
        return None
    lend_bodies(memory, settings, bodies.items())
    pages = {release.path for release in edited}
    for release in edited:
        pages |= kept.shown_on.pages(str(release.source))
    searched = {code: SearchEdit({release: record.searched[str(release.source)] for release in edited
                                  if release.lang == code and str(release.source) in record.searched}, read)
                for code in {release.lang for release in edited}}
    try:
        if moved:
            done = _moves(settings, kept, edited, bodies, moved, pages, searched, memory, preview,
                          _photo_paths(moved | pictured), started)
            if done is None:
                return None
            now, files, made, removed, relinked = done
            later = None
        else:
            now, relinked = kept.with_edits(edited, bodies), set()
            photos = _photos_again(settings, memory, kept.newsroom, now.newsroom, _photo_paths(pictured),
                                   later=photos_later)
            if photos is None:
                return None
            files, made, removed = render_shown(settings, now.newsroom, memory, preview, pages, edited,
                                                kept.alternates, searched, now.prints, now.card_keys)
            files, removed, later = [*files, *photos[0]], [*removed, *photos[1]], photos[2]
    except (BuildFailed, LookupError):
        return None  # the full build reports it, with every other problem, or makes the index
    digests = {path: memory.pages[path][0] for path in made if path in memory.pages}
    warnings = [problem for problem in problems if str(problem.file) in changed]
    html = _pages_made(memory, made)
    return Quick(files, edited, bodies, loaded.partners, loaded.programmes, html, digests, changed,
                 warnings, shapes, removed, moved=frozenset(release.lang for release in moved.values()),
                 relinked=tuple(relinked), photos_later=later), now


def file_added_or_removed(settings: Settings, record: Record, walked: dict[str, Stat], kept: KeptSite, *,
                          preview: bool, memory: BuildMemory, workers: int = 0,
                          started: MoveStarted | None = None) -> tuple[Quick, KeptSite] | None:
    """A release file written anew or deleted, and nothing else changed since the record (files
    saved lately, their bytes the same, aside): the pages, feeds and files to remove that it
    makes different, and the site after it (None: the full build must run). Its language's
    search index and the sitemap are left to finish_move, as a move's are. The release joins or
    leaves the lists it belongs on (graph.with_release: never a term or a year of its own, an
    embargo, an event or a version of another) and shows no file beside its own; the files of
    its photos are made or removed as they come or go (see _photos_again). Its versions in
    other languages link it anew. With `workers` (a build or a check: no tab waits for the first
    pages), the pages left for later are made at once with the others, on that many processes,
    and `started` is told of the site after it before they are (see MoveStarted)."""
    added = walked.keys() - record.files.keys()
    gone = record.files.keys() - walked.keys()
    if len(added) + len(gone) != 1 or not _same_bytes(settings, record, walked, kept, memory):
        return None
    if next(iter(added | gone)).startswith(_media_folder(settings)):
        return _media_file_added_or_removed(settings, record, kept, memory, next(iter(added)) if added
                                            else None, next(iter(gone)) if gone else None)
    problems: list[Problem] = []
    if added:
        source = next(iter(added))
        release = _read_anew(settings, source, kept, problems, memory)
        if release is None or (release.draft and not preview):
            return None  # (a build publishes no draft: the full build says it holds one back)
        markdown = BodyRenderer(settings.base_path, settings.embed_hosts)
        body = memory.body(body_key(release), lambda: release.body, release.body_line, markdown.render)
    else:
        source = next(iter(gone))
        found = kept.release(source)
        if found is None or found not in kept.bodies:
            return None  # not shown: the full build decides what its going changes
        release, body = found, kept.bodies[found]
    if body_files(release, body)[1]:
        return None
    changed = with_release(kept.newsroom, kept.content, release, adding=bool(added))
    if changed is None:
        return None
    newsroom, relinked = changed
    before, after = kept.newsroom.graph_of(release), newsroom.graph_of(release)
    limit = settings.feed_entries
    bodies, alternates = dict(kept.bodies), kept.alternates.copy()
    # The pages of its lists that shift: those newer than it (the first pages alone, for the
    # newest). The numbered pages are made once the rest is served (a tab's request for one
    # waits for them), as the search index is.
    relisted = _relisted(newsroom, before, after, settings.releases_per_page, alternates)
    gone_pages = sorted(relisted.gone)
    if gone:
        gone_pages.append(release.path)
    pages = ({release.path} | {other.path for other in relinked} | kept.shown_on.pages(source)
             | _regrouped_pages(kept.newsroom, newsroom) | _lists_of(after) | relisted.pages)
    later = set(relisted.numbered)
    if workers:
        pages, later = pages | later, set()
    left = frozenset() if added else frozenset(
        index_path for index_path, _, latest in feed_indexes(before) if release in latest[:limit])
    if added:
        bodies[release] = body
        lend_bodies(memory, settings, [(release, body)])
    else:
        del bodies[release]
        alternates.pop(release.path, None)
    # Its versions in other languages link it, or no longer: their pages, and their links as
    # the record keeps them.
    twins = {other for other in newsroom.by_key.get(release.key, ()) if other is not release}
    if len(newsroom.graphs) > 1:
        for linked in (*twins, *([release] if added else [])):
            alternates[linked.path] = release_alternates(newsroom, linked)
    pages |= {twin.path for twin in twins}
    relinked |= twins
    now = _site_after(kept, source, release, added, newsroom, bodies, alternates,
                      _with_pages_of(kept.pages, after, release, relisted.counts))
    if started is not None and not later:
        started(now, frozenset({release.lang}), frozenset(pages), {source: release.digest if added else ""})
    photos = _photos_again(settings, memory, kept.newsroom, newsroom,
                           {photo.asset.path for photo in release.photos})
    if photos is None:
        return None
    shows, memory.shows = memory.shows, {}
    try:
        files, made, _ = render_shown(settings, newsroom, memory, preview, pages - later,
                                      [release] if added else [], alternates, {}, kept.prints,
                                      kept.card_keys, feeds_too=left, workers=max(workers, 1))
        kept.shown_on.update({**(memory.shows or {}), **{path: () for path in gone_pages}})
    except (BuildFailed, LookupError):
        return None  # the full build reports it, with every other problem
    finally:
        memory.shows = shows
    for path in gone_pages:
        memory.pages.pop(path, None)
    digests = {path: memory.pages[path][0] for path in made if path in memory.pages}
    html = _pages_made(memory, made)
    return Quick([*files, *photos[0]], [release] if added else [], {release: body} if added else {},
                 kept.content.partners,
                 kept.content.programmes, html, digests, [source],
                 [problem for problem in problems if problem.warning],
                 {source: release_shape(release, body, True)} if added else {},
                 [*(paths.output_file(path) for path in gone_pages), *photos[1]],
                 moved=frozenset({release.lang}),
                 relinked=tuple(relinked), deleted=() if added else (source,), later=frozenset(later)), now


def _site_after(kept: KeptSite, source: str, release: Release, added: bool, newsroom: Newsroom,
                bodies: dict[Release, RenderedBody], alternates: Alternates,
                pages: tuple[str, ...]) -> KeptSite:
    """The kept site after the release of this file was added or removed (see
    file_added_or_removed), with its `pages` (their files, in order)."""
    in_order = list(kept.content.releases)
    if added:
        at = bisect.bisect(in_order, source, key=lambda other: str(other.source))
        in_order.insert(at, release)
    else:
        at = in_order.index(release)
        del in_order[at]
    # Each release's place, if found already: those after the one that came or went move by one.
    shift = 1 if added else -1
    places = {other: number + shift if number >= at else number
              for other, number in kept.places.items() if other != source}
    if added and kept.places:
        places[source] = at
    return dataclasses.replace(kept, content=dataclasses.replace(kept.content, releases=tuple(in_order)),
                               newsroom=newsroom, bodies=bodies, alternates=alternates, places=places,
                               pages=pages)


def _pages_made(memory: BuildMemory, made: Iterable[str]) -> int:
    """How many of these pages, feeds and files are pages made again (not those left as output/
    has them: see BuildMemory.left)."""
    return sum(1 for path in made if paths.output_file(path).endswith(".html")
               and memory.pages.get(path, ("", b""))[1] is not IN_OUTPUT)


def _media_file_added_or_removed(settings: Settings, record: Record, kept: KeptSite, memory: BuildMemory,
                                 added: str | None, gone: str | None) -> tuple[Quick, KeptSite] | None:
    """A file put into content/media/ or taken out of it that nothing shows or links to (a
    photo copied there before a release shows it): it alone is published, as it is (or
    without its location, upright: see media.Media.published), or removed. None (the full
    build must run) if a release, partner, text or setting names it: a photo's sizes, a
    link that led nowhere (the last build's warning), the default image."""
    source = Path(added or gone or "")
    inside = source.relative_to(settings.content_dir)
    site_path = "/" + inside.as_posix()
    if (any(part.startswith(".") for part in inside.parts)
            or site_path == settings.default_image or _named(kept, record, site_path)):
        return None
    asset = Asset(source, site_path)
    media = [other for other in kept.content.media if other.path != site_path]
    if added:
        bisect.insort(media, asset, key=lambda other: other.source)
    graphs = []
    for graph in kept.newsroom.graphs:
        assets = [other for other in graph.assets if other.path != site_path]
        if added:
            bisect.insort(assets, asset, key=lambda other: other.path)
        graphs.append(dataclasses.replace(graph, assets=tuple(assets)))
    newsroom = Newsroom(tuple(graphs))
    photos = _photos_again(settings, memory, kept.newsroom, newsroom, {site_path})
    if photos is None:
        return None
    now = dataclasses.replace(kept, content=dataclasses.replace(kept.content, media=tuple(media)),
                              newsroom=newsroom)
    return Quick(photos[0], [], {}, kept.content.partners, kept.content.programmes, 0, {}, [], [],
                 removed=photos[1]), now


def _named(kept: KeptSite, record: Record, site_path: str) -> bool:
    """Whether a release shows this file or its text names it (a file only an unpublished
    release names is not published), a partner has it as its logo, or the last build warned
    of it (a link that led nowhere then). Other texts that link to it are the same pages
    whether it is there or not."""
    for release in kept.content.releases:
        if any(photo.asset.path == site_path for photo in release.photos) or (
                release.text is not None and site_path in release.text.media):
            return True
    for partner in kept.content.partners:
        if partner.logo is not None and partner.logo.path == site_path:
            return True
    return any(site_path in message for found in record.warnings.values() for _, message, _ in found)


def _photos_again(settings: Settings, memory: BuildMemory, before: Newsroom, after: Newsroom,
                  wanted: set[str], later: bool = False,
                  ) -> tuple[list[OutputFile], list[str],
                             tuple[tuple[str, ...], Callable[[], list[OutputFile] | None]] | None] | None:
    """The files of these photos (by site path) that an edit changes, as the full build
    publishes them before and after it: those to serve (made now, or taken from
    .presskit-cache/media/) and those to remove. A photo new to the site gets its sizes, its
    link preview if a release leads with it, and its download with the credit and caption of
    the first release that shows it; one no release shows any more loses them (the file itself
    stays published, as it is, while no unpublished release alone shows it). None if a file
    cannot be made. With `later`, the files not in the cache yet are left out, named with what
    makes them (see Quick.photos_later); else they are made now (and the third part is None)."""
    if not wanted:
        return [], [], None
    was, _ = _photo_files(settings, memory, before, wanted)
    now, media = _photo_files(settings, memory, after, wanted)  # what makes the files after
    if was is None or now is None:
        return None  # a photo that cannot be read: the full build says where
    made = {path for path, source in now.items() if source.parent == media.folder}
    changed = sorted(path for path, source in now.items() if was.get(path) != source)
    missing = [path for path in changed if path in made and not media.kept(now[path].name)]
    if missing and not memory.writes_cache:
        return None  # (`check` makes no file)

    def make() -> list[OutputFile] | None:
        media.make()
        if not all(media.kept(now[path].name) for path in missing):
            return None  # not made (a full disk): the full build says why
        return [OutputFile(path, source=now[path]) for path in missing]

    pending = None
    if missing and later:
        pending = (tuple(missing), make)
    elif missing and make() is None:
        return None
    files = [OutputFile(path, source=now[path]) for path in changed if pending is None or path not in missing]
    return files, sorted(was.keys() - now.keys()), pending


def _photo_files(settings: Settings, memory: BuildMemory, newsroom: Newsroom,
                 wanted: set[str]) -> tuple[dict[str, Path] | None, Media]:
    """The files of output/ that a full build of this site makes of these photos (by site
    path), each with the file it copies, in the order the build asks for them (see
    render._Renderer and render_site): each shown photo's sizes and download, as the first
    release that shows it has them; the link preview of each that a release leads with (or
    that is the default image); then each published file that is not made into another.
    None if a shown photo cannot be read as an image (the full build's error)."""
    media = Media(settings.site_dir, settings.keep_photo_location, memory.media, memory.writes_cache)
    sources: dict[str, Path] = {}
    first: dict[str, tuple[str, str]] = {}  # the credit and caption of the first release that shows each
    leads: list[str] = []
    # One pass over the site paths of every release's photos (20,000 at 10,000 releases, twice
    # an edit), which a release asleep has awake (see presskit.asleep); only the first release
    # that shows a photo is read further (its credit and caption), a photo's site path naming
    # its file.
    for release in newsroom.releases:
        shown = photo_paths(release)
        if wanted.isdisjoint(shown):
            continue
        if any(path in wanted and path not in first for path in shown):
            for photo in release.photos:
                path = photo.asset.path
                if path in wanted and path not in first:
                    sources[path] = photo.asset.source
                    first[path] = (photo.credit, photo.caption)
        if shown[0] in wanted:  # its lead photo: the link preview
            leads.append(shown[0])
    for path, (credit, caption) in first.items():
        if media.photo(sources[path], path, credit, caption) is None:
            return None, media
    default = settings.default_image
    if default in wanted:
        media.preview(settings.content_dir / default.lstrip("/"), default)
    for lead in leads:
        media.preview(sources[lead], lead)
    files = {}
    for graph in newsroom.graphs:
        for asset in graph.assets:
            if (asset.path in wanted and asset.path not in media.files
                    and not media.published(asset.source, asset.path)):
                files.setdefault(paths.output_file(asset.path), asset.source)
    files.update(media.outputs())
    return files, media


def _photos_seen_aside(settings: Settings, record: Record, changed: list[str],
                       memory: BuildMemory) -> list[str] | None:
    """The releases among files whose state changed or that were saved too lately to tell by
    it, once the photos of content/media/ among them whose bytes are those the last build saw
    (a photo copied there just before a release was saved to show it) are set aside; None if
    any other file is among them (a partner, programme, page, country text, another file)."""
    if all(path in record.releases for path in changed):
        return changed
    media = Media(settings.site_dir, settings.keep_photo_location, memory.media, memory.writes_cache)
    folder = _media_folder(settings)
    releases = []
    for path in changed:
        if path in record.releases:
            releases.append(path)
        elif not (path.startswith(folder) and media.unchanged(Path(path))):
            return None
    return releases


def _media_folder(settings: Settings) -> str:
    """Where the files of content/media/ are, as a walk of content/ names them (a prefix)."""
    return str(settings.content_dir / "media") + os.sep


def _same_bytes(settings: Settings, record: Record, walked: dict[str, Stat], kept: KeptSite,
                memory: BuildMemory) -> bool:
    """Whether every file both the record and `walked` know has the bytes the record knew:
    by its state, or, if saved too lately to tell by it, a release read again."""
    lately = _photos_seen_aside(settings, record, touched_files(record, walked), memory)
    if not lately:
        return lately is not None
    problems: list[Problem] = []
    loaded = load_releases(settings, [Path(path) for path in lately], problems, memory)
    if errors_in(problems) or len(loaded.releases) != len(lately):
        return False
    return all((old := kept.release(str(release.source))) is not None and old.digest == release.digest
               for release in loaded.releases)


def _read_anew(settings: Settings, source: str, kept: KeptSite, problems: list[Problem],
               memory: BuildMemory) -> Release | None:
    """A new release file, read and checked, naming the partners and programmes the site
    holds; None if it is not a release (a partial, a hidden file), has an error, or takes an
    address another release has (the full build says so)."""
    folder = settings.content_dir / "releases"
    try:
        parts = Path(source).relative_to(folder).parts
    except ValueError:
        return None
    if not source.endswith(".md") or any(part.startswith(("_", ".")) for part in parts):
        return None
    loaded = load_releases(settings, [Path(source)], problems, memory)
    if errors_in(problems) or len(loaded.releases) != 1:
        return None
    release = _with_kept_organisations(loaded.releases[0], kept)
    if release is None or any(other.path == release.path for other in kept.content.releases):
        return None
    return release


def _with_kept_organisations(release: Release, kept: KeptSite) -> Release | None:
    """A release read anew, naming the partners and programmes the kept site holds (the same
    objects, which its graph finds by identity: a build's kept graph is taken back from a file,
    its checked models from another); None if it names one the site does not have."""
    partners = {(p.lang, p.id): p for p in kept.content.partners}
    programmes = {(p.lang, p.id): p for p in kept.content.programmes}
    try:
        now = (tuple(partners[p.lang, p.id] for p in release.partners),
               tuple(programmes[p.lang, p.id] for p in release.programmes))
    except KeyError:
        return None
    if all(a is b for a, b in zip((*now[0], *now[1]), (*release.partners, *release.programmes), strict=True)):
        return release
    return dataclasses.replace(release, partners=now[0], programmes=now[1])


def _lists_of(graph: SiteGraph) -> set[str]:
    """The pages of a language that count or list releases: its home page, /releases/, the
    pages of each year, and its lists of countries, partners, programmes and topics (those
    whose fingerprint is the same are not made again). The numbered pages of its lists: see
    _relisted."""
    root = graph.language.root
    return ({root, paths.under(root, paths.RELEASES), *(year.path for year in graph.years)}
            | {paths.under(root, folder) for folder in (paths.COUNTRIES, paths.PARTNERS, paths.PROGRAMMES,
                                                        paths.TOPICS)})


@dataclass(frozen=True)
class _Relisted:
    """What an edit changes in a language's paged lists of releases (see render.paged_lists):
    the pages made again (the other languages' pages whose versions it changes among them),
    those of them that are numbered pages, the numbered pages gone, and for each list whose
    number of pages changed, its first page's address -> both numbers."""

    pages: set[str]
    numbered: set[str]
    gone: set[str]
    counts: dict[str, tuple[int, int]]


def _relisted(newsroom: Newsroom, before: SiteGraph, after: SiteGraph, per_page: int,
              alternates: Alternates) -> _Relisted:
    """The pages of a language's paged lists that show other releases after an edit, link
    other pages or count otherwise (each list compared page by page, before and after: a list
    whose releases are the same is passed over), as _Relisted tells them. `alternates` (each
    page's versions) is brought up to date: a numbered page gained or lost is linked, or no
    longer, from the other languages' pages at its place (their switchers, their hreflang and
    the sitemap's), which are made again."""
    was = {first: (releases, also) for first, releases, also in paged_lists(before)}
    pages: set[str] = set()
    gone: set[str] = set()
    counts: dict[str, tuple[int, int]] = {}
    firsts = set()
    for first, releases, also in paged_lists(after):
        firsts.add(first)
        old_releases, old_also = was.get(first, ((), ()))
        if old_releases == releases and old_also == also:  # (the same releases: compared by identity first)
            continue
        then = paged_shown(first, old_releases, per_page, old_also) if first in was else {}
        now = paged_shown(first, releases, per_page, also)
        pages |= {path for path, shown in now.items() if then.get(path) != shown}
        gone |= then.keys() - now.keys()
        if then and len(then) != len(now):
            counts[first] = (len(then), len(now))
    numbered = pages - firsts
    if counts and len(newsroom.graphs) > 1:
        root = after.language.root
        for first, both in counts.items():
            place = paths.moved(first, root, "/")
            for number in range(min(both), max(both)):
                linked = list_page_alternates(newsroom, place, number, per_page)
                alternates.update(linked)
                pages |= linked.keys() - {paths.page_of(first, number)}
    for path in gone:
        alternates.pop(path, None)
    return _Relisted(pages, numbered, gone, counts)


def _with_pages_of(pages: tuple[str, ...], after: SiteGraph, release: Release,
                   counts: dict[str, tuple[int, int]]) -> tuple[str, ...]:
    """The files of the site's pages in the order a build makes them after a release was added
    to a language or removed from it: its page among those of the releases, in its place, and
    the pages of its lists as many as each has now (`counts`, see _Relisted)."""
    found = list(pages)
    if release in after.links:  # after the one next older, or before the one next newer
        at = after.releases.index(release)
        older = at + 1 < len(after.releases)
        beside = found.index(paths.output_file(after.releases[at + 1 if older else at - 1].path))
        found.insert(beside if older else beside + 1, paths.output_file(release.path))
    else:
        found.remove(paths.output_file(release.path))
    return _with_list_pages(found, counts)


def _with_list_pages(found: list[str], counts: dict[str, tuple[int, int]]) -> tuple[str, ...]:
    """The files of the site's pages (`found`, in the order a build makes them) with as many
    numbered pages of each list as `counts` says it has now: they follow its first page, the
    newest first."""
    for first, (was, now) in counts.items():
        at = found.index(paths.output_file(first))
        if now > was:
            found[at + 1:at + 1] = [paths.output_file(paths.page_of(first, number))
                                    for number in range(now - 1, was - 1, -1)]
        for number in range(now, was):
            found.remove(paths.output_file(paths.page_of(first, number)))
    return tuple(found)


def finish_move(settings: Settings, record: Record, kept: KeptSite, memory: BuildMemory, *,
                moved: frozenset[str], remade: Collection[str], later: Collection[str] = (),
                preview: bool, read: Callable[[str], bytes | None],
                served: Mapping[str, OutputFile] | None, folder: Path | None = None, workers: int = 1,
                sitemap_of: Sequence[str] | None = None,
                ) -> tuple[list[OutputFile], dict[str, bytes], list[str]]:
    """The rest of a move, or of a release added or removed (after which the site is `kept`),
    once its pages are served: the pages it left for later (`later`), the search index of
    each language where a release `moved`, made from the one served (`read`, `served`: a
    release keeps its number in its year), and the sitemap, whose entries of the pages made
    in the move (`remade`: those made, or more) are made again; with
    the keys of those indexes' entries, and the files of the index served that it no longer
    has. The files of the index that stay the same are those served or, in
    `folder` (output/, for a build), left there as they are (the entry of each release: a
    build read 10,000 of them to find them unchanged). With `workers`, an index made anew
    (many releases changed or moved, see search.index_from) makes its entries on that many
    processes. `sitemap_of`: the files of the pages the sitemap in output/ was made of, in order
    (the site's before the move), if known. BuildFailed or LookupError: the full build must run."""
    before = memory.written, memory.search_cards, memory.shows
    memory.written, memory.search_cards, memory.shows = (
        Written(folder, read, record.cards, served, unnamed_kept=True), {}, {})
    try:
        # (the sitemap's entries of the pages made in the move, or now, are made again; the
        # others' are read from the last one: 0.17 s of a build after a move, at 10,000
        # releases in two languages, was the whole sitemap made again)
        sitemap = kept_sitemap(settings, record.pages, read, {*remade, *later}, sitemap_of)
        files, _, removed = render_shown(settings, kept.newsroom, memory, preview, set(later), [],
                                         kept.alternates, {}, kept.prints, kept.card_keys,
                                         whole_search=moved, sitemap=kept.pages, sitemap_kept=sitemap,
                                         workers=workers)
        kept.shown_on.update(memory.shows)
        return files, dict(memory.search_cards), removed
    finally:
        memory.written, memory.search_cards, memory.shows = before


def _moves(settings: Settings, kept: KeptSite, edited: list[Release], bodies: dict[Release, RenderedBody],
           moved: dict[Release, Release], pages: set[str], searched: dict[str, SearchEdit],
           memory: BuildMemory, preview: bool, photos: set[str], started: MoveStarted | None,
           ) -> tuple[KeptSite, list[OutputFile], list[str], list[str], set[Release]] | None:
    """The site after edits of which some moved releases, with the files of the pages and
    feeds made, their site paths, the files to remove and the releases whose links changed;
    None when the edit changes what the download of one of `photos` (those the swapped releases
    showed or show) carries. The pages that show each release are noted again for the card
    edits to come; the search indexes and the sitemap are left to finish_move (`started` is
    told of the site after the move before its pages are made)."""
    moves = kept.with_moves(edited, bodies)
    if moves is None:
        return None
    now, relinked = moves
    alternates = kept.alternates.copy()
    relisted = _moved_lists(settings, kept.newsroom, now.newsroom, moved, alternates)
    pages = (pages | {release.path for release in relinked} | relisted.pages
             | _regrouped_pages(kept.newsroom, now.newsroom))
    limit = settings.feed_entries
    left = frozenset(index_path for graph in kept.newsroom.graphs
                     for index_path, _, latest in feed_indexes(graph)
                     if not moved.keys().isdisjoint(latest[:limit]))
    whole = frozenset(release.lang for release in moved.values())
    order = _with_list_pages(list(_in_new_order(kept.pages, kept.newsroom, now.newsroom)), relisted.counts)
    now = dataclasses.replace(now, pages=order, alternates=alternates)
    if started is not None:
        started(now, whole, frozenset(pages), {str(release.source): release.digest for release in edited})
    photo_files = _photos_again(settings, memory, kept.newsroom, now.newsroom, photos)
    if photo_files is None:
        return None
    shows, memory.shows = memory.shows, {}
    try:
        files, made, removed = render_shown(
            settings, now.newsroom, memory, preview, pages, edited, alternates,
            {code: edit for code, edit in searched.items() if code not in whole}, now.prints,
            now.card_keys, feeds_too=left)
        # (the site before is not served again)
        kept.shown_on.update({**(memory.shows or {}), **{path: () for path in relisted.gone}})
        for path in relisted.gone:
            memory.pages.pop(path, None)
        gone = [paths.output_file(path) for path in sorted(relisted.gone)]
        return now, [*files, *photo_files[0]], made, [*removed, *gone, *photo_files[1]], relinked
    finally:
        memory.shows = shows


def _photo_paths(swap: dict[Release, Release]) -> set[str]:
    """The site paths of the photos that swapped releases show, before and after."""
    return {photo.asset.path for pair in swap.items() for release in pair for photo in release.photos}


def _regrouped_pages(before: Newsroom, after: Newsroom) -> set[str]:
    """The pages of the partners that releases joined or left, of the countries whose partners
    changed with them, and each such language's list of partners (it counts their releases)."""
    found = set()
    for old_graph, new_graph in zip(before.graphs, after.graphs, strict=True):
        pages = {new.path for old, new in zip(old_graph.partners, new_graph.partners, strict=True)
                 if len(old.releases) != len(new.releases)}
        pages |= {new.path for old, new in zip(old_graph.countries, new_graph.countries, strict=True)
                  if old.partners != new.partners}
        if pages:
            found |= pages | {paths.under(new_graph.language.root, paths.PARTNERS)}
    return found


def _moved_lists(settings: Settings, before: Newsroom, after: Newsroom, moved: dict[Release, Release],
                 alternates: Alternates) -> _Relisted:
    """The pages of the paged lists that moved releases shift (see _relisted: the lists of all
    releases, of their years, both for a release dated into another year, and of their terms,
    those of partners they joined or left among them), and the home page of each language that
    has one."""
    found = _Relisted(set(), set(), set(), {})
    for old_graph, new_graph in zip(before.graphs, after.graphs, strict=True):
        if any(new in new_graph.links for new in moved.values()):
            mine = _relisted(after, old_graph, new_graph, settings.releases_per_page, alternates)
            found.pages.update(mine.pages, {new_graph.language.root})
            found.numbered.update(mine.numbered)
            found.gone.update(mine.gone)
            found.counts.update(mine.counts)
    return found


def _in_new_order(pages: tuple[str, ...], before: Newsroom, after: Newsroom) -> tuple[str, ...]:
    """The files of the site's pages in the order a build makes them after a move: each
    language's release pages, in the places they had, follow the new order of its releases."""
    following: dict[str, Iterator[str]] = {}
    for old_graph, new_graph in zip(before.graphs, after.graphs, strict=True):
        if old_graph.releases is not new_graph.releases:
            files = [paths.output_file(release.path) for release in new_graph.releases]
            in_order = iter(files)
            following.update((file, in_order) for file in files)
    return tuple(next(following[page]) if page in following else page for page in pages)
