"""Card edits in a site kept in memory (`serve`): a release whose title, summary or text changed,
but not its place in the site.

A release's place is its address, date, terms, photos, publication, versions and event
(models.placed_alike): what decides which pages there are, which of them list it and in which
order. When every release saved keeps its place, the site has the same pages with the same
lists; only the pages that show one of those releases change. The full build notes them as it
lists its pages (each page fingerprints the releases it shows: `BuildMemory.shows`), so a
card edit swaps the new releases into the graph kept in memory and makes those pages, the
feeds and calendar files that carry the releases, and their search index entries, nothing
else. Anything else (a new date, a partner added, a file added or removed) is left to the full
build, which is always right.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from presskit import paths
from presskit.cache import BuildMemory
from presskit.config import Settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.graph import Newsroom, with_releases
from presskit.markdown import BodyRenderer, RenderedBody
from presskit.models import Content, Release, body_key, placed_alike
from presskit.quick import Quick, Record, body_files, lend_bodies, release_shape
from presskit.render import Alternate, CardKeys, SearchEdit, render_shown
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
    alternates: dict[str, tuple[Alternate, ...]]
    shown_on: ShownOn
    prints: tuple[dict[object, str], ...] = ()
    card_keys: tuple[CardKeys, ...] = ()  # RenderedSite.card_keys, also used and added to
    # Where each release is in content.releases, by source (made at the first edit, then
    # kept: an edit puts a release in the place of the one it replaces).
    places: dict[str, int] = field(default_factory=dict)

    def release(self, source: str) -> Release | None:
        """The release of a source file, if the site has it."""
        if not self.places:
            self.places.update((str(release.source), number)
                               for number, release in enumerate(self.content.releases))
        place = self.places.get(source)
        return self.content.releases[place] if place is not None else None

    def with_edits(self, releases: Iterable[Release], bodies: dict[Release, RenderedBody]) -> KeptSite:
        """The site with these releases (each in the place of the one of its file) and texts."""
        now = list(self.content.releases)
        swap = {}
        for release in releases:
            old = self.release(str(release.source))
            if old is not None:
                swap[old] = now[self.places[str(release.source)]] = release
        kept = dict(self.bodies)
        for old, new in swap.items():
            kept.pop(old, None)
            kept[new] = bodies[new]
            for known in (*self.prints, *self.card_keys):
                known.pop(old, None)
        return KeptSite(
            dataclasses.replace(self.content, releases=tuple(now)),
            with_releases(self.newsroom, swap), kept, self.alternates, self.shown_on, self.prints,
            self.card_keys, self.places)


def card_edit(settings: Settings, record: Record, changed: list[str], kept: KeptSite, *,
              preview: bool, memory: BuildMemory,
              read: Callable[[str], bytes | None]) -> tuple[Quick, KeptSite] | None:
    """The files that the edits of `changed` make different, and the site after them, when
    each changed file is a release that kept its place (None: the full build must run).
    `read` gives the files of the site as served, by their path inside output/. The kept
    graph's moment stands: the caller makes sure that no embargo lifted and no event passed
    since (the record's `next_change`)."""
    if not all(path in record.releases for path in changed):
        return None  # a partner, programme, page, country text or media file changed
    problems: list[Problem] = []
    loaded = load_releases(settings, [Path(path) for path in changed], problems, memory)
    if errors_in(problems) or len(loaded.releases) != len(changed):
        return None
    markdown = BodyRenderer(settings.base_path, settings.embed_hosts)
    edited: list[Release] = []
    bodies: dict[Release, RenderedBody] = {}
    shapes: dict[str, str] = {}
    for release in loaded.releases:
        source = str(release.source)
        old = kept.release(source)
        if old is None or old not in kept.bodies or not record.releases[source][2]:
            return None  # not shown: the full build decides what its edit changes
        if release.digest == old.digest:
            continue  # touched, not changed
        body = memory.body(body_key(release), lambda release=release: release.body,  # type: ignore[misc]
                           release.body_line, markdown.render)
        if not placed_alike(old, release) or body_files(release, body) != body_files(old, kept.bodies[old]):
            return None
        bodies[release] = body
        shapes[source] = release_shape(release, body, True)
        edited.append(release)
    if not edited:
        return None
    now = kept.with_edits(edited, bodies)
    lend_bodies(memory, settings, bodies.items())
    pages = {release.path for release in edited}
    for release in edited:
        pages |= kept.shown_on.pages(str(release.source))
    searched = {code: SearchEdit({release: record.searched[str(release.source)] for release in edited
                                  if release.lang == code and str(release.source) in record.searched}, read)
                for code in {release.lang for release in edited}}
    try:
        files, made, removed = render_shown(settings, now.newsroom, memory, preview, pages, edited,
                                            kept.alternates, searched, now.prints, now.card_keys)
    except (BuildFailed, LookupError):
        return None  # the full build reports it, with every other problem, or makes the index
    digests = {path: memory.pages[path][0] for path in made if path in memory.pages}
    warnings = [problem for problem in problems if str(problem.file) in changed]
    html = sum(1 for path in made if paths.output_file(path).endswith(".html"))
    return Quick(files, edited, bodies, loaded.partners, loaded.programmes, html, digests, changed,
                 warnings, shapes, removed), now
