"""The site graph: the published set of releases and who links to whom.

Unpublished releases (drafts, embargoed) are dropped first, so nothing downstream of this
module can leak them: not a page, not a count, not a feed entry, not a photo.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from presskit import paths
from presskit.countries import Country
from presskit.languages import Language
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
)
from presskit.text import make_slug, normalise
from presskit.versions import written_key

RELATED_COUNT = 3
RELATED_WINDOW = 8  # releases looked at on each side, per shared term: keeps related lists linear


@dataclass(frozen=True, eq=False)
class CountryNode:
    country: Country
    text: CountryText | None
    releases: tuple[Release, ...]
    programmes: tuple[Programme, ...]
    partners: tuple[Partner, ...]

    @property
    def name(self) -> str:
        return self.country.name

    @property
    def path(self) -> str:
        return self.country.path


@dataclass(frozen=True, eq=False)
class PartnerNode:
    partner: Partner
    releases: tuple[Release, ...]
    programmes: tuple[Programme, ...]
    countries: tuple[Country, ...]

    @property
    def name(self) -> str:
        return self.partner.label

    @property
    def path(self) -> str:
        return self.partner.path


@dataclass(frozen=True, eq=False)
class ProgrammeNode:
    programme: Programme
    releases: tuple[Release, ...]
    partners: tuple[Partner, ...]
    funders: tuple[Partner, ...]
    countries: tuple[Country, ...]

    @property
    def name(self) -> str:
        return self.programme.label

    @property
    def path(self) -> str:
        return self.programme.path


@dataclass(frozen=True)
class Topic:
    """A topic as a release page links to it: its name and address, not its releases."""

    name: str
    slug: str
    root: str = "/"

    @property
    def path(self) -> str:
        return paths.topic(self.slug, self.root)


@dataclass(frozen=True, eq=False)
class TopicNode:
    topic: Topic
    releases: tuple[Release, ...]
    text: TopicText | None = None  # its file in content/topics/, if it has one

    @property
    def name(self) -> str:
        return self.topic.name

    @property
    def slug(self) -> str:
        return self.topic.slug

    @property
    def path(self) -> str:
        return self.topic.path


@dataclass(frozen=True, eq=False)
class YearNode:
    year: int
    releases: tuple[Release, ...]
    root: str = "/"

    @property
    def name(self) -> str:
        return str(self.year)

    @property
    def path(self) -> str:
        return paths.year(self.year, self.root)


@dataclass(frozen=True, eq=False)
class ReleaseLinks:
    """Everything a release page links to besides its own content."""

    topics: tuple[Topic, ...]
    previous: Release | None  # the next older release
    next: Release | None  # the next newer release
    related: tuple[Release, ...]


@dataclass(frozen=True)
class SiteGraph:
    """One language's part of the site: its published releases and every index of them."""

    language: Language
    as_of: datetime
    releases: tuple[Release, ...]  # published, newest first
    countries: tuple[CountryNode, ...]
    partners: tuple[PartnerNode, ...]
    programmes: tuple[ProgrammeNode, ...]
    topics: tuple[TopicNode, ...]
    years: tuple[YearNode, ...]  # newest first
    pages: tuple[Page, ...]
    links: dict[Release, ReleaseLinks]
    assets: tuple[Asset, ...]  # files to publish: media, photos and logos of what is shown
    next_embargo: datetime | None  # the next instant at which a rebuild publishes more
    held_back: tuple[Release, ...]  # drafts and embargoed releases left out (in preview: shown)
    contacts: tuple[Contact, ...] = ()  # by organisation, then name
    default_contacts: tuple[str, ...] = ()  # ids: the contacts of a release that names none
    organisation: Partner | None = None  # the site's own, whose boilerplate closes every release
    withdrawn: tuple[Release, ...] = ()  # published once, now a notice; in no list
    upcoming_events: tuple[Release, ...] = ()  # releases with an event still ahead, soonest first
    past_events: tuple[Release, ...] = ()  # latest first
    events_page: bool = False  # whether the site has an events page (every footer links it)

    @property
    def withheld(self) -> int:
        return len(self.held_back)

    @property
    def events_change(self) -> datetime | None:
        """When the next upcoming event passes (the events page must be made again)."""
        return min((r.event.last_moment for r in self.upcoming_events if r.event), default=None)

    @functools.cached_property
    def _contacts_by_id(self) -> dict[str, Contact]:  # asked for once per release page
        return {contact.id: contact for contact in self.contacts}

    def contacts_of(self, release: Release) -> tuple[Contact, ...]:
        """The media contacts a release names, else the site's default contacts."""
        by_id = self._contacts_by_id
        return tuple(by_id[i] for i in release.contacts or self.default_contacts if i in by_id)

    def notes_for(self, release: Release) -> tuple[Partner, ...]:
        """The partners whose boilerplate closes a release: the site's organisation first, then
        the partners it names."""
        named = [self.organisation] if self.organisation else []
        named += [p for p in release.partners if not self.organisation or p.id != self.organisation.id]
        return tuple(p for p in named if p.boilerplate)

    def listed_on(self, release: Release) -> list[str]:
        """The names of the pages besides its own that list a release: its countries,
        partners, programmes and topics."""
        links = self.links.get(release)
        topics = [topic.name for topic in links.topics] if links else list(release.topics)
        return [*(c.name for c in release.countries), *(p.label for p in release.partners),
                *(p.short_name or p.title for p in release.programmes), *topics]


def _newest_first(releases: Iterable[Release]) -> list[Release]:
    return sorted(releases, key=lambda release: (release.date, release.slug), reverse=True)


def _by_name(items: Iterable, name) -> list:  # type: ignore[no-untyped-def]
    return sorted(items, key=lambda item: name(item).casefold())


@dataclass(frozen=True)
class Newsroom:
    """The site graph of each language, and which releases are versions of one another."""

    graphs: tuple[SiteGraph, ...]  # the default language's first

    @functools.cached_property
    def releases(self) -> tuple[Release, ...]:
        """Every published release, in every language (joined once: a save in the preview asks
        for them several times)."""
        if len(self.graphs) == 1:
            return self.graphs[0].releases
        return tuple(r for graph in self.graphs for r in graph.releases)

    @functools.cached_property
    def by_key(self) -> dict[str, tuple[Release, ...]]:
        """The releases of each translation key, in every language, in no set order (found
        once: a release written or deleted in the preview asks for its versions three times,
        and with_release keeps them up to date for the newsroom it makes)."""
        found: dict[str, tuple[Release, ...]] = {}
        for release in self.releases:
            found[release.key] = (*found.get(release.key, ()), release)
        return found

    @property
    def held_back(self) -> tuple[Release, ...]:
        return tuple(r for graph in self.graphs for r in graph.held_back)

    @property
    def withheld(self) -> int:
        return len(self.held_back)

    @property
    def next_embargo(self) -> datetime | None:
        return min((g.next_embargo for g in self.graphs if g.next_embargo), default=None)

    @property
    def next_event(self) -> Release | None:
        """The release of the soonest event still ahead, in any language."""
        ahead = [r for g in self.graphs for r in g.upcoming_events if r.event]
        return min(ahead, key=lambda r: (r.event.start, r.lang != self.graphs[0].language.code),  # type: ignore[union-attr]
                   default=None)

    @property
    def next_change(self) -> datetime | None:
        """The next instant at which a rebuild changes the site by itself: an embargo lifts or
        an event passes (from upcoming to past)."""
        return min((moment for g in self.graphs for moment in (g.next_embargo, g.events_change)
                    if moment is not None), default=None)

    def graph_of(self, release: Release) -> SiteGraph:
        return next((g for g in self.graphs if g.language.code == release.lang), self.graphs[0])

    def listed_on(self, release: Release) -> list[str]:
        return self.graph_of(release).listed_on(release)

    def versions(self) -> dict[str, dict[str, Release]]:
        """The published versions of each release, by translation key and language."""
        return {key: {release.lang: release for release in found} for key, found in self.by_key.items()}


def with_releases(newsroom: Newsroom, swap: Mapping[Release, Release]) -> Newsroom:
    """The newsroom with releases swapped for others in the same places (the same dates,
    terms and publication: see models.placed_alike): every list and link that held one holds
    the other."""

    swapped = swap.keys()

    def each(releases: tuple[Release, ...]) -> tuple[Release, ...]:
        if swapped.isdisjoint(releases):
            return releases
        return tuple(swap.get(release, release) for release in releases)

    def nodes(found: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(node if swapped.isdisjoint(node.releases)
                     else dataclasses.replace(node, releases=each(node.releases)) for node in found)

    def linked(links: dict[Release, ReleaseLinks]) -> dict[Release, ReleaseLinks]:
        patched = {release: ReleaseLinks(link.topics,
                                         link.previous and swap.get(link.previous, link.previous),
                                         link.next and swap.get(link.next, link.next), each(link.related))
                   for release, link in links.items()
                   if (release in swap or link.previous in swap or link.next in swap
                       or not swapped.isdisjoint(link.related))}
        if not patched:
            return links
        now = dict(links)  # (lists follow the releases, not this dict's order: only looked up)
        for release, link in patched.items():
            if release in swap:
                del now[release]
            now[swap.get(release, release)] = link
        return now

    return Newsroom(tuple(dataclasses.replace(
        graph, releases=each(graph.releases), countries=nodes(graph.countries),
        partners=nodes(graph.partners), programmes=nodes(graph.programmes), topics=nodes(graph.topics),
        years=nodes(graph.years), held_back=each(graph.held_back), withdrawn=each(graph.withdrawn),
        upcoming_events=each(graph.upcoming_events), past_events=each(graph.past_events),
        links=linked(graph.links),
    ) for graph in newsroom.graphs))


def with_moves(newsroom: Newsroom, swap: Mapping[Release, Release]) -> tuple[Newsroom, set[Release]] | None:
    """The newsroom with releases swapped for others that moved among their neighbours (new
    dates, in their years or into others: see models.moved_alike), that name other partners
    (models.partnered_anew) or that kept their places: every list that holds one is sorted
    again, partners' lists take or lose them (with who works where: a partner's countries, a
    country's partners), and the links of the releases whose neighbours or related lists change
    are found again, as a build would find them (see _remembered_links). Also says those
    releases. None when a release dated into another year would give that year its first
    release or take the last of its own (a page would come or go). For the preview, which
    shows every release."""
    graphs, relinked = [], set()
    for graph in newsroom.graphs:
        mine = {old: new for old, new in swap.items() if old in graph.links}
        if mine:
            moved = _moved(graph, mine)
            if moved is None:
                return None
            graph, found = moved
            relinked |= found
        graphs.append(graph)
    return Newsroom(tuple(graphs)), relinked


def _moved(graph: SiteGraph, swap: Mapping[Release, Release]) -> tuple[SiteGraph, set[Release]] | None:
    swapped, moved = swap.keys(), {new: old for old, new in swap.items()}
    years = _years(graph.years, swap)
    if years is None:
        return None

    def each(releases: tuple[Release, ...]) -> tuple[Release, ...]:
        if swapped.isdisjoint(releases):
            return releases
        return _resorted(releases, swap)

    def nodes(found: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(node if swapped.isdisjoint(node.releases)
                     else dataclasses.replace(node, releases=each(node.releases)) for node in found)

    releases = each(graph.releases)
    partners = _partnered(graph.partners, swap)
    countries, programmes = nodes(graph.countries), nodes(graph.programmes)
    if any({p.id for p in old.partners} != {p.id for p in new.partners} for old, new in swap.items()):
        # a release joined or left a partner: who works where (a new date only sorts the
        # partners' lists again: the releases of each country, and their partners, stay)
        countries = _partners_of_countries(countries, partners, graph.programmes, swap)
    # Related lists a move can reach: of the releases near a swapped one on a country's,
    # partner's or programme's list, before or after (as _near finds them for a build).
    near: set[Release] = set(moved)
    for before, after in ((graph.countries, countries), (graph.partners, partners),
                          (graph.programmes, programmes)):
        for old, new in zip(before, after, strict=True):
            if old is new:
                continue
            for listed, changed in ((old.releases, swapped), (new.releases, moved.keys())):
                for at, release in enumerate(listed):
                    if release in changed:
                        window = listed[max(0, at - RELATED_WINDOW): at + RELATED_WINDOW + 1]
                        near.update(swap.get(other, other) for other in window)
    terms = _Terms({n.country: list(n.releases) for n in countries},
                   {n.partner: list(n.releases) for n in partners},
                   {n.programme: list(n.releases) for n in programmes}, {}, {}, {})
    fresh = _related(releases, list(near), terms)
    # The links that can change: of the releases near a swapped one (a related list that
    # held one is near it: candidates come from the same windows) and of those between each
    # one's old and new places, with their neighbours; every other link stays as it was.
    position = {release: at for at, release in enumerate(releases)}
    touched = set(near)
    for old, new in swap.items():
        first, last = sorted((graph.releases.index(old), position[new]))
        touched.update(releases[max(0, first - 1): last + 2])
    links = dict(graph.links)
    for old in swapped:
        del links[old]
    relinked: set[Release] = set()
    final = len(releases) - 1
    for release in touched:
        index = position[release]
        link = graph.links[moved.get(release, release)]
        related = tuple(swap.get(other, other) for other in link.related)
        was = (swap.get(link.previous, link.previous) if link.previous else None,  # type: ignore[arg-type]
               swap.get(link.next, link.next) if link.next else None, related)  # type: ignore[arg-type]
        now = (releases[index + 1] if index < final else None, releases[index - 1] if index > 0 else None,
               fresh.get(release, related))
        if now != was or release in moved:
            relinked.add(release)  # its page shows other neighbours or related releases
        if now != (link.previous, link.next, link.related):
            link = ReleaseLinks(link.topics, *now)
        links[release] = link
    return dataclasses.replace(
        graph, releases=releases, countries=countries, partners=partners, programmes=programmes,
        topics=nodes(graph.topics), years=years, links=links,
        held_back=tuple(sorted((swap.get(r, r) for r in graph.held_back),
                               key=lambda r: (r.embargo is not None, r.embargo or r.date, r.title))),
        withdrawn=each(graph.withdrawn), upcoming_events=_swapped(graph.upcoming_events, swap),
        past_events=_swapped(graph.past_events, swap)), relinked


def _years(nodes: tuple[YearNode, ...], swap: Mapping[Release, Release]) -> tuple[YearNode, ...] | None:
    """Each year's releases with the swapped ones in their places: one dated into another
    year leaves its year's list and joins that year's. None if that year has no list yet, or
    the year it leaves would be left with none (its page would come or go)."""
    joining: dict[int, list[Release]] = {}
    for new in swap.values():
        joining.setdefault(new.date.year, []).append(new)
    if not joining.keys() <= {node.year for node in nodes}:
        return None
    found = []
    for node in nodes:
        mine = joining.get(node.year, [])
        if mine or not swap.keys().isdisjoint(node.releases):
            node = dataclasses.replace(node, releases=_resorted(node.releases, swap, joining=mine))
            if not node.releases:
                return None
        found.append(node)
    return tuple(found)


def with_release(newsroom: Newsroom, content: Content, release: Release, *,
                 adding: bool) -> tuple[Newsroom, set[Release]] | None:
    """The preview's newsroom (every release shown) with a release added, from a new file, or
    removed, its file deleted (`release` is then the one the newsroom holds): every list it
    joins or leaves takes it in its place or closes up, who works where is found again for its
    countries and partners, and the links of the releases near it (see _near) are found again,
    as a build would find them; also says the releases whose links changed. Its partners and
    programmes must be the newsroom's own; its versions in other languages stay as they are
    (only the pages that link them change). None when it changes more than lists and links: a
    country, partner, programme, topic or year that would get its first release or lose its
    last, a topic spelt otherwise by most releases, an embargo, a withdrawal, an event, a
    second version in its language or a `translation_key` (which must join two files: the
    full build decides those)."""
    if release.embargo or release.withdrawn or release.event or written_key(release.key):
        return None
    versions = newsroom.by_key.get(release.key, ())
    if any(other.lang == release.lang for other in versions if other is not release):
        return None
    graph = newsroom.graph_of(release)
    if graph.language.code != release.lang or adding == (release in graph.links):
        return None
    regrown = _regrown(graph, _topic_slugs(content), release, adding)
    if regrown is None:
        return None
    now, relinked = regrown
    after = Newsroom(tuple(now if other is graph else other for other in newsroom.graphs))
    # Its versions as the new newsroom would find them (the others are the same objects).
    by_key, others = dict(newsroom.by_key), tuple(other for other in versions if other is not release)
    if adding or others:
        by_key[release.key] = (*others, release) if adding else others
    else:
        del by_key[release.key]
    after.__dict__["by_key"] = by_key  # (what functools.cached_property would keep)
    return after, relinked


def _regrown(graph: SiteGraph, slug_of: Callable[[str], str], release: Release,
             adding: bool) -> tuple[SiteGraph, set[Release]] | None:
    """One language's graph with a release added or removed (see with_release)."""

    def each(releases: tuple[Release, ...]) -> tuple[Release, ...]:
        if adding:
            return _resorted(releases, {}, (release,))
        return tuple(other for other in releases if other is not release)

    def listed(nodes: tuple[Any, ...], on: Callable[[Any], bool], wanted: int) -> tuple[Any, ...] | None:
        """The nodes with the release taken in or out of the lists of those it is on; None if
        one of its terms has no node, or a node would be left with no release."""
        found, seen = [], 0
        for node in nodes:
            if on(node):
                seen += 1
                releases = each(node.releases)
                if not releases:
                    return None
                node = dataclasses.replace(node, releases=releases)
            found.append(node)
        return tuple(found) if seen == wanted else None

    partner_ids = {p.id for p in release.partners}
    programme_ids = {p.id for p in release.programmes}
    slugs = {slug_of(topic) for topic in release.topics}
    countries = listed(graph.countries, lambda n: n.country in release.countries, len(set(release.countries)))
    partners = listed(graph.partners, lambda n: n.partner.id in partner_ids, len(partner_ids))
    programmes = listed(graph.programmes, lambda n: n.programme.id in programme_ids, len(programme_ids))
    topics = listed(graph.topics, lambda n: n.slug in slugs, len(slugs))
    years = listed(graph.years, lambda n: n.year == release.date.year, 1)
    if countries is None or partners is None or programmes is None or topics is None or years is None:
        return None
    for node in topics:
        if node.slug in slugs and node.text is None and node.name != _spelling(Counter(
                topic for other in node.releases for topic in other.topics if slug_of(topic) == node.slug)):
            return None  # most releases now write it otherwise: its name changes everywhere
    partners = tuple(_countries_found(node) if node.partner.id in partner_ids else node for node in partners)
    countries = tuple(_working_found(node, partners, programmes) if node.country in release.countries
                      else node for node in countries)
    releases = each(graph.releases)
    # The releases whose related lists can change: near it on a list it joins or leaves.
    near: set[Release] = set()
    for before, after in ((graph.countries, countries), (graph.partners, partners),
                          (graph.programmes, programmes)):
        for old, new in zip(before, after, strict=True):
            if old.releases is not new.releases:
                on = new.releases if adding else old.releases
                at = on.index(release)
                near.update(on[max(0, at - RELATED_WINDOW): at + RELATED_WINDOW + 1])
    place = (releases if adding else graph.releases).index(release)
    touched = set(near) | set((releases if adding else graph.releases)[max(0, place - 1): place + 2])
    if not adding:
        near.discard(release)
        touched.discard(release)
    terms = _Terms({n.country: list(n.releases) for n in countries},
                   {n.partner: list(n.releases) for n in partners},
                   {n.programme: list(n.releases) for n in programmes}, {}, {}, {})
    fresh = _related(releases, list(near), terms)
    position = {other: at for at, other in enumerate(releases)}
    links = dict(graph.links)
    relinked: set[Release] = set()
    if adding:
        topic_of = {node.slug: node.topic for node in topics}
        links[release] = ReleaseLinks(tuple(topic_of[slug_of(topic)] for topic in release.topics),
                                      None, None, ())
    else:
        del links[release]
    final = len(releases) - 1
    for other in touched:
        at, link = position[other], links[other]
        now = (releases[at + 1] if at < final else None, releases[at - 1] if at > 0 else None,
               fresh.get(other, link.related))
        if other is release or now != (link.previous, link.next, link.related):
            links[other] = ReleaseLinks(link.topics, *now)
            relinked.add(other)
    held_back = tuple(r for r in graph.held_back if r is not release)
    if adding and release.draft:
        held_back = tuple(sorted((*held_back, release),
                                 key=lambda r: (r.embargo is not None, r.embargo or r.date, r.title)))
    return dataclasses.replace(
        graph, releases=releases, countries=countries, partners=partners, programmes=programmes,
        topics=topics, years=years, links=links, held_back=held_back), relinked


def _countries_found(node: PartnerNode) -> PartnerNode:
    """A partner's node with the countries it works in found again (as _Neighbours finds them:
    those of its releases, and its own)."""
    countries = {country for release in node.releases for country in release.countries}
    if node.partner.country:
        countries.add(node.partner.country)
    return dataclasses.replace(node, countries=tuple(_by_name(countries, lambda c: c.name)))


def _working_found(node: CountryNode, partners: tuple[PartnerNode, ...],
                   programmes: tuple[ProgrammeNode, ...]) -> CountryNode:
    """A country's node with the programmes and partners that work there found again (as
    _Neighbours finds them: its programmes' members, its releases' programmes and partners,
    partners based there; each shown)."""
    shown_programmes = {n.programme for n in programmes}
    shown_partners = {n.partner for n in partners}
    working = {p for p in shown_programmes if node.country in p.countries}
    working |= {p for release in node.releases for p in release.programmes}
    members = {member for programme in shown_programmes if node.country in programme.countries
               for member in (*programme.partners, *programme.funders)}
    members |= {p for release in node.releases for p in release.partners}
    members |= {p for p in shown_partners if p.country == node.country}
    return dataclasses.replace(
        node, programmes=tuple(_by_name(working & shown_programmes, lambda p: p.label)),
        partners=tuple(_by_name(members & shown_partners, lambda p: p.label)))


def _partnered(nodes: tuple[PartnerNode, ...], swap: Mapping[Release, Release]) -> tuple[PartnerNode, ...]:
    """Each partner's node after releases were swapped for others that may name other
    partners: its releases, and the countries they are about (with the partner's own)."""
    found = []
    for node in nodes:
        joining = [new for new in swap.values() if any(p.id == node.partner.id for p in new.partners)]
        if not joining and swap.keys().isdisjoint(node.releases):
            found.append(node)
            continue
        releases = _resorted(node.releases, swap, joining)
        if {r.source for r in releases} == {r.source for r in node.releases}:
            found.append(dataclasses.replace(node, releases=releases))
            continue
        countries = {country for release in releases for country in release.countries}
        if node.partner.country:
            countries.add(node.partner.country)
        found.append(dataclasses.replace(node, releases=releases,
                                         countries=tuple(_by_name(countries, lambda c: c.name))))
    return tuple(found)


def _partners_of_countries(countries: tuple[CountryNode, ...], partners: tuple[PartnerNode, ...],
                           programmes: tuple[ProgrammeNode, ...],
                           swap: Mapping[Release, Release]) -> tuple[CountryNode, ...]:
    """The country nodes of the swapped releases' countries with their partners found again
    (as _Neighbours finds them: members of the country's programmes, partners of its
    releases, partners based there; each shown)."""
    shown = {node.partner for node in partners}
    wanted = {country for new in swap.values() for country in new.countries}
    found = []
    for node in countries:
        if node.country not in wanted:
            found.append(node)
            continue
        working = {member for programme in (n.programme for n in programmes)
                   if node.country in programme.countries
                   for member in (*programme.partners, *programme.funders)}
        working |= {partner for release in node.releases for partner in release.partners}
        working |= {partner for partner in shown if partner.country == node.country}
        found.append(dataclasses.replace(node, partners=tuple(_by_name(working & shown, lambda p: p.label))))
    return tuple(found)


def _resorted(releases: tuple[Release, ...], swap: Mapping[Release, Release],
              joining: Sequence[Release] | None = None) -> tuple[Release, ...]:
    """A list of releases, newest first, with some swapped for others put in their places
    (as _newest_first sorts them: by date, then address; the rest keep their order).
    `joining`: the swapped releases that belong on the list now (default: those that did)."""
    kept = [release for release in releases if release not in swap]
    for new in [swap[release] for release in releases if release in swap] if joining is None else joining:
        key, low, high = (new.date, new.slug), 0, len(kept)
        while low < high:  # the first place whose release is older
            middle = (low + high) // 2
            if (kept[middle].date, kept[middle].slug) > key:
                low = middle + 1
            else:
                high = middle
        kept.insert(low, new)
    return tuple(kept)


def _swapped(releases: tuple[Release, ...], swap: Mapping[Release, Release]) -> tuple[Release, ...]:
    return tuple(swap.get(release, release) for release in releases)


def build_newsroom(content: Content, languages: Sequence[Language], as_of: datetime,
                   drafts: bool = False, preview: bool = False,
                   memo: dict[str, dict[str, object]] | None = None) -> Newsroom:
    """Each language's graph, from its releases and its versions of everything else. What
    an unpublished release in any language refers to, or shows, stays hidden in all of them."""
    memo = memo if memo is not None else {}
    unpublished = [] if preview else [r for r in content.releases
                                      if r.withdrawn or not r.is_published(as_of, drafts)]
    if len(languages) == 1:
        return Newsroom((build_graph(content, languages[0], as_of, drafts, preview,
                                     memo.setdefault(languages[0].code, {}), unpublished),))
    return Newsroom(tuple(
        build_graph(content.in_language(language.code), language, as_of, drafts, preview,
                    memo.setdefault(language.code, {}), unpublished)
        for language in languages))


def build_graph(content: Content, language: Language, as_of: datetime, drafts: bool = False,
                preview: bool = False, memo: dict[str, object] | None = None,
                unpublished_anywhere: Sequence[Release] | None = None) -> SiteGraph:
    """Compute one language's published set and every index of its pages from it.

    A preview (for `serve`) shows every release, drafts and embargoed ones included; it is
    never written to output/. `unpublished_anywhere` are the releases held back in every
    language: what they alone refer to gets no page in any language.
    """
    memo = memo if memo is not None else {}
    state = _publication(content.releases, as_of, drafts, preview, unpublished_anywhere)
    slug_of = _topic_slugs(content)
    terms = _Terms.of(state.published, slug_of)
    shown = _shown(content, terms, state.unpublished)
    neighbours = _Neighbours.of(shown, state.published)
    topics = _topic_nodes(content, terms, language.root)
    return SiteGraph(
        language=language,
        as_of=as_of,
        releases=tuple(state.published),
        countries=_country_nodes(content, terms, shown, neighbours),
        partners=_partner_nodes(shown, terms, neighbours),
        programmes=_programme_nodes(shown, terms),
        topics=tuple(_by_name(topics.values(), lambda t: t.name)),
        years=tuple(YearNode(year, tuple(terms.by_year[year]), language.root)
                    for year in sorted(terms.by_year, reverse=True)),
        pages=content.pages,
        links=_remembered_links(memo, state.published, topics, slug_of, terms),
        assets=_published_assets(content, state.published, state.unpublished, shown.partners),
        next_embargo=state.next_embargo,
        held_back=state.held_back,
        contacts=tuple(sorted(content.contacts, key=lambda c: (
            c.organisation is None, c.organisation.label.casefold() if c.organisation else "",
            c.name.casefold()))),
        default_contacts=content.default_contacts,
        organisation=next((p for p in content.partners if p.id == content.organisation), None),
        withdrawn=state.withdrawn,
        upcoming_events=tuple(sorted((r for r in state.published if r.event and r.event.last_moment >= as_of),
                                     key=lambda r: (r.event.start, r.slug))),  # type: ignore[union-attr]
        past_events=tuple(sorted((r for r in state.published if r.event and r.event.last_moment < as_of),
                                 key=lambda r: (r.event.start, r.slug), reverse=True)),  # type: ignore[union-attr]
        events_page=any(r.event for r in state.published),
    )


@dataclass(frozen=True)
class _Publication:
    published: list[Release]  # newest first
    unpublished: Sequence[Release]  # in every language: what they alone show stays hidden
    held_back: tuple[Release, ...]  # of this language, for the report
    next_embargo: datetime | None
    withdrawn: tuple[Release, ...]  # would be published: their pages are notices


def _publication(releases: Sequence[Release], as_of: datetime, drafts: bool, preview: bool,
                 unpublished_anywhere: Sequence[Release] | None) -> _Publication:
    """The one place that decides what is published: everything downstream reads this."""
    held_back = [r for r in releases if not r.is_published(as_of, drafts)]
    upcoming = [r.embargo for r in held_back
                if r.embargo and r.embargo > as_of and (drafts or not r.draft)]
    if preview:
        shown = _newest_first(releases)
        unpublished: list[Release] = []
    else:
        shown = _newest_first(r for r in releases if r.is_published(as_of, drafts))
        unpublished = [*held_back, *(r for r in shown if r.withdrawn)] \
            if unpublished_anywhere is None else list(unpublished_anywhere)
    published = [r for r in shown if not r.withdrawn]
    withdrawn = tuple(r for r in shown if r.withdrawn)
    ordered = sorted(held_back, key=lambda r: (r.embargo is not None, r.embargo or r.date, r.title))
    return _Publication(published, unpublished, tuple(ordered), min(upcoming, default=None), withdrawn)


@dataclass(frozen=True)
class _Terms:
    """The published releases of each country, partner, programme, topic and year, newest first."""

    by_country: dict[Country, list[Release]]
    by_partner: dict[Partner, list[Release]]
    by_programme: dict[Programme, list[Release]]
    by_topic: dict[str, list[Release]]
    spellings: dict[str, Counter[str]]  # how releases write each topic
    by_year: dict[int, list[Release]]

    @classmethod
    def of(cls, published: Sequence[Release], slug_of: Callable[[str], str]) -> _Terms:
        terms = cls(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list),
                    defaultdict(Counter), defaultdict(list))
        for release in published:  # newest first, so every list is too
            for country in release.countries:
                terms.by_country[country].append(release)
            for partner in release.partners:
                terms.by_partner[partner].append(release)
            for programme in release.programmes:
                terms.by_programme[programme].append(release)
            for topic in release.topics:
                slug = slug_of(topic)
                terms.by_topic[slug].append(release)
                terms.spellings[slug][topic] += 1
            terms.by_year[release.date.year].append(release)
        return terms


@dataclass(frozen=True)
class _Shown:
    """The entities that get a page: those published releases refer to, and those with a file
    that no unpublished release alone refers to."""

    programmes: list[Programme]
    partners: list[Partner]
    countries: set[Country]


def _shown(content: Content, terms: _Terms, unpublished: Sequence[Release]) -> _Shown:
    hidden = {_identity(ref) for r in unpublished for ref in (*r.countries, *r.partners, *r.programmes)}
    programmes = [p for p in content.programmes if p in terms.by_programme or _identity(p) not in hidden]
    partner_refs = {partner for p in programmes for partner in (*p.partners, *p.funders)}
    partners = [p for p in content.partners
                if p in terms.by_partner or p in partner_refs or _identity(p) not in hidden]
    countries = {c for p in programmes for c in p.countries}
    countries |= {p.country for p in partners if p.country}
    countries |= set(terms.by_country)
    countries |= {t.country for t in content.country_texts.values() if _identity(t.country) not in hidden}
    return _Shown(programmes, partners, countries)


@dataclass(frozen=True)
class _Neighbours:
    """Who works where: programmes and partners of each country, and a partner's programmes
    and countries, from programme files, partner files and published releases."""

    programmes_of_country: dict[Country, set[Programme]]
    partners_of_country: dict[Country, set[Partner]]
    programmes_of_partner: dict[Partner, set[Programme]]
    countries_of_partner: dict[Partner, set[Country]]

    @classmethod
    def of(cls, shown: _Shown, published: Sequence[Release]) -> _Neighbours:
        found = cls(defaultdict(set), defaultdict(set), defaultdict(set), defaultdict(set))
        for programme in shown.programmes:
            members = (*programme.partners, *programme.funders)
            for country in programme.countries:
                found.programmes_of_country[country].add(programme)
                found.partners_of_country[country].update(members)
            for partner in members:
                found.programmes_of_partner[partner].add(programme)
        for release in published:
            for country in release.countries:
                found.programmes_of_country[country].update(release.programmes)
                found.partners_of_country[country].update(release.partners)
            for partner in release.partners:
                found.countries_of_partner[partner].update(release.countries)
        for partner in shown.partners:
            if partner.country:
                found.partners_of_country[partner.country].add(partner)
                found.countries_of_partner[partner].add(partner.country)
        return found


def _country_nodes(content: Content, terms: _Terms, shown: _Shown,
                   neighbours: _Neighbours) -> tuple[CountryNode, ...]:
    texts = {text.country.code: text for text in content.country_texts.values()}
    programmes, partners = set(shown.programmes), set(shown.partners)
    return tuple(CountryNode(
        country=country,
        text=texts.get(country.code),
        releases=tuple(terms.by_country.get(country, ())),
        programmes=tuple(_by_name(neighbours.programmes_of_country[country] & programmes,
                                  lambda p: p.label)),
        partners=tuple(_by_name(neighbours.partners_of_country[country] & partners,
                                lambda p: p.label)),
    ) for country in _by_name(shown.countries, lambda c: c.name))


def _partner_nodes(shown: _Shown, terms: _Terms, neighbours: _Neighbours) -> tuple[PartnerNode, ...]:
    return tuple(PartnerNode(
        partner=partner,
        releases=tuple(terms.by_partner.get(partner, ())),
        programmes=tuple(_by_name(neighbours.programmes_of_partner[partner], lambda p: p.label)),
        countries=tuple(_by_name(neighbours.countries_of_partner[partner], lambda c: c.name)),
    ) for partner in _by_name(shown.partners, lambda p: p.label))


def _programme_nodes(shown: _Shown, terms: _Terms) -> tuple[ProgrammeNode, ...]:
    return tuple(ProgrammeNode(
        programme=programme,
        releases=tuple(terms.by_programme.get(programme, ())),
        partners=programme.partners,
        funders=programme.funders,
        countries=tuple(_by_name(programme.countries, lambda c: c.name)),
    ) for programme in _by_name(shown.programmes, lambda p: p.label))


def _topic_nodes(content: Content, terms: _Terms, root: str) -> dict[str, TopicNode]:
    """Each topic of the published releases, named by its file in this language, else as
    most releases write it."""
    texts = {text.slug: text for text in content.topics}
    return {slug: TopicNode(Topic(texts[slug].name if slug in texts else _spelling(terms.spellings[slug]),
                                  slug, root), tuple(releases), texts.get(slug))
            for slug, releases in terms.by_topic.items()}


def _topic_slugs(content: Content) -> Callable[[str], str]:
    """A release's topic as written -> the topic's slug: a named topic's (content/topics/) by
    any of its names in any language, else the slug of the words."""
    names = content.topic_names
    known: dict[str, str] = {}

    def slug_of(written: str) -> str:
        slug = known.get(written)
        if slug is None:
            slug = known[written] = (names.get(normalise(written)) if names else None) or make_slug(written)
        return slug

    return slug_of


def _spelling(counts: Counter[str]) -> str:
    """The way most releases write a topic; ties go to the alphabetically first."""
    return min(counts, key=lambda spelling: (-counts[spelling], spelling))


def _identity(entity: object) -> tuple[str, str]:
    """What a country, partner or programme is in every language."""
    if isinstance(entity, Country):
        return ("country", entity.code)
    return (type(entity).__name__, entity.id)  # type: ignore[attr-defined]


# Releases added, removed, re-dated or re-tagged beyond which every related list is found again.
RELINKED_AT_MOST = 64

_Row = tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _remembered_links(memo: dict[str, object], published: Sequence[Release],
                      topics: dict[str, TopicNode], slug_of: Callable[[str], str],
                      terms: _Terms) -> dict[Release, ReleaseLinks]:
    """Release links. Related lists are the last build's, except those a change can reach:
    of the releases added, re-dated or re-tagged, and of those near one of them (before or
    after the change) on the list of a country, partner or programme (see _near). A text edit
    changes none of them; a new date, one list's worth."""
    rows: list[_Row] = [
        (r.slug, r.date.isoformat(), tuple(slug_of(t) for t in r.topics), tuple(c.code for c in r.countries),
         tuple(p.id for p in r.partners), tuple(p.id for p in r.programmes)) for r in published]
    before: list[_Row] | None = memo.get("rows")  # type: ignore[assignment]
    known: dict[str, tuple[str, ...]] = memo.get("links") or {}  # type: ignore[assignment]
    if before == rows:
        fresh: dict[Release, tuple[Release, ...]] = {}
    else:
        changed = None
        if before is not None:
            old, new = dict((row[0], row) for row in before), dict((row[0], row) for row in rows)
            changed = {slug for slug in old.keys() | new.keys() if old.get(slug) != new.get(slug)}
        if changed is None or len(changed) > RELINKED_AT_MOST:
            fresh = _related(published, None, terms)
        else:
            near = _near(changed, before) | _near(changed, rows)  # type: ignore[arg-type]
            fresh = _related(published, [r for r in published if r.slug in near], terms)
    by_slug = {r.slug: r for r in published}
    topic_of = {slug: node.topic for slug, node in topics.items()}
    links = {}
    last = len(published) - 1
    for index, (release, row) in enumerate(zip(published, rows, strict=True)):
        related = fresh.get(release)
        links[release] = ReleaseLinks(
            topics=tuple(topic_of[slug] for slug in row[2]),
            previous=published[index + 1] if index < last else None,
            next=published[index - 1] if index > 0 else None,
            related=related if related is not None else tuple(by_slug[slug] for slug in known[release.slug]),
        )
    memo["rows"] = rows
    memo["links"] = {release.slug: tuple(other.slug for other in fresh[release]) if release in fresh
                     else known[release.slug] for release in published}
    return links


def _near(changed: set[str], rows: Sequence[_Row]) -> set[str]:
    """The releases (by slug) within RELATED_WINDOW of a changed one on the list of a country,
    partner or programme it has, in `rows` (newest first), the changed ones among them. Any
    other release sees the same neighbours on each of its lists before and after the change,
    with the same dates: the same related list."""
    wanted = {(kind, term) for row in rows if row[0] in changed
              for kind, terms in enumerate(row[3:]) for term in terms}
    lists: dict[tuple[int, str], list[str]] = defaultdict(list)
    for row in rows:
        for kind, terms in enumerate(row[3:]):
            for term in terms:
                if (kind, term) in wanted:
                    lists[kind, term].append(row[0])
    near = {row[0] for row in rows if row[0] in changed}
    window = RELATED_WINDOW
    for slugs in lists.values():
        for at, slug in enumerate(slugs):
            if slug in changed:
                near.update(slugs[max(0, at - window): at + window + 1])
    return near


def _related(published: Sequence[Release], wanted: Sequence[Release] | None,
             terms: _Terms) -> dict[Release, tuple[Release, ...]]:
    """The related releases of each of `wanted` (None: of every one), without comparing every
    release with every other: candidates are the releases near it on the lists of its
    countries, partners and programmes; the more of those lists a candidate shares with it,
    the more related it is; between equals, the nearer in time, then by address."""
    where: dict[Release, list[tuple[Sequence[Release], int]]] = defaultdict(list)
    indexes = (terms.by_country, terms.by_partner, terms.by_programme)
    moment: dict[Release, float]
    if wanted is None:
        wanted = published
        for term_index in indexes:
            for releases in term_index.values():
                for at, release in enumerate(releases):
                    where[release].append((releases, at))
        moment = {release: release.date.timestamp() for release in published}
    else:
        places: dict[int, dict[Release, int]] = {}
        few = len(wanted) <= 100  # a few are found on their lists quicker than every list is indexed
        for release in wanted:
            for term_index, keys in zip(indexes, (release.countries, release.partners, release.programmes),
                                        strict=True):
                for key in keys:
                    releases = term_index[key]  # type: ignore[index]
                    if few:
                        where[release].append((releases, releases.index(release)))  # type: ignore[attr-defined]
                        continue
                    place = places.get(id(releases))
                    if place is None:
                        place = places[id(releases)] = {other: at for at, other in enumerate(releases)}
                    where[release].append((releases, place[release]))
        moment = _Moments()  # of the candidates only
    window = RELATED_WINDOW
    related = {}
    for release in wanted:
        shared: dict[Release, int] = {}
        for releases, at in where[release]:
            for other in releases[max(0, at - window): at + window + 1]:
                shared[other] = shared.get(other, 0) + 1
        shared.pop(release, None)
        now = moment[release]
        related[release] = tuple(sorted(shared, key=lambda other: (
            -shared[other], abs(moment[other] - now), other.slug))[:RELATED_COUNT])
    return related


class _Moments(dict[Release, float]):
    """Each release's date as a number, found when first asked for."""

    def __missing__(self, release: Release) -> float:
        self[release] = moment = release.date.timestamp()
        return moment


def _published_assets(content: Content, published: Sequence[Release],
                      unpublished: Sequence[Release], partners: Sequence[Partner]) -> tuple[Asset, ...]:
    """Media files, and the photos and logos of what is shown; nothing only an unpublished
    release uses."""
    public_paths: set[str] = set()
    secret_paths: set[str] = set()
    assets: dict[str, Asset] = {}
    for releases, found in ((published, public_paths), (unpublished, secret_paths)):
        for release in releases:
            for photo in release.photos:
                found.add(photo.asset.path)
                if releases is published:
                    assets[photo.asset.path] = photo.asset
            if release.text is not None:
                found.update(release.text.media)
    for partner in partners:
        if partner.logo:
            assets[partner.logo.path] = partner.logo
            public_paths.add(partner.logo.path)
    for asset in content.media:
        if asset.path in public_paths or asset.path not in secret_paths:
            assets.setdefault(asset.path, asset)
    return tuple(assets[path] for path in sorted(assets))
