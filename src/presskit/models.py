"""What a newsroom is made of: releases, partners, programmes, countries, pages.

Plain frozen dataclasses, compared by identity. They are built and checked in `schema`
and never changed afterwards.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from presskit import paths
from presskit.countries import Country
from presskit.languages import N_

RELEASE_TYPES = {  # the English labels are catalog keys: templates show _(release.type_label)
    "press-release": N_("Press release"),
    "news": N_("News"),
    "statement": N_("Statement"),
    "feature": N_("Feature"),
    "media-advisory": N_("Media advisory"),
}


@dataclass(frozen=True, eq=False)
class Asset:
    """A file from content/ that a page shows or links to, and where it is published."""

    source: Path
    path: str  # site path, e.g. /media/lead.jpg or /releases/slug/photo.jpg


@functools.lru_cache(maxsize=1 << 14)
def shared_asset(source: Path, path: str) -> Asset:
    """The Asset of a file at an address, one object for all that show it: a newsroom's
    releases show the same few hundred photos twenty thousand times, and its kept graph
    pickles each object once (at 10,000 releases in two languages, its content took
    0.14-0.19 s to take back, 0.12-0.15 s with one Asset a photo file)."""
    return Asset(source, path)


@dataclass(frozen=True, eq=False)
class Photo:
    asset: Asset
    alt: str
    caption: str = ""
    credit: str = ""
    line: int = 0


@dataclass(frozen=True, eq=False)
class Correction:
    """One change made to a release after it was published, shown in its change history."""

    date: datetime
    note: str
    line: int = 0


@dataclass(frozen=True, eq=False)
class Event:
    """What a media advisory invites to: when, where, and how to attend."""

    start: datetime  # aware
    end: datetime | None = None
    has_time: bool = True  # False: a day (or days) without a time
    venue: str = ""
    address: str = ""
    online: str = ""  # a web address to follow it online
    accreditation: str = ""  # how journalists register
    line: int = 0

    @property
    def last_moment(self) -> datetime:
        """Until when the event is upcoming: its end, else its start (a whole day: its end)."""
        moment = self.end or self.start
        return moment if self.has_time else moment + timedelta(days=1)


@dataclass(frozen=True, eq=False)
class Partner:
    id: str
    name: str
    source: Path
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    website: str = ""
    logo: Asset | None = None
    type: str = ""
    country: Country | None = None
    boilerplate: str = ""  # "About the ILO": closes every release that names the partner
    body: str = ""
    body_line: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file it was read from
    lang: str = ""  # the language whose pages show it ("" before languages are known)
    text_lang: str = ""  # the language its words are in: another one's when not translated
    root: str = "/"  # where that language's pages start: "/" or "/vi/"
    key: str = ""  # what its versions in other languages share (see presskit.versions)

    @property
    def label(self) -> str:
        """How the partner is named in lists and links: its short name if it has one."""
        return self.short_name or self.name

    @property
    def path(self) -> str:
        return paths.partner(self.id, self.root)


@dataclass(frozen=True, eq=False)
class Programme:
    id: str
    title: str
    source: Path
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    partners: tuple[Partner, ...] = ()
    funders: tuple[Partner, ...] = ()
    countries: tuple[Country, ...] = ()
    start: str = ""
    end: str = ""
    website: str = ""
    summary: str = ""
    body: str = ""
    body_line: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file it was read from
    lang: str = ""  # the language whose pages show it ("" before languages are known)
    text_lang: str = ""  # the language its words are in: another one's when not translated
    root: str = "/"  # where that language's pages start: "/" or "/vi/"
    key: str = ""  # what its versions in other languages share (see presskit.versions)

    @property
    def label(self) -> str:
        return self.short_name or self.title

    @property
    def period(self) -> str:
        if self.start and self.end:
            return f"{self.start}–{self.end}"
        if self.start:
            return f"since {self.start}"
        return f"until {self.end}" if self.end else ""

    @property
    def path(self) -> str:
        return paths.programme(self.id, self.root)


@dataclass(frozen=True, eq=False)
class Contact:
    """A person journalists may call (content/contacts/ID.md)."""

    id: str
    name: str
    source: Path
    role: str = ""
    organisation: Partner | None = None
    email: str = ""
    phone: str = ""
    languages: tuple[str, ...] = ()  # language codes (en, vi) or names, as written
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file it was read from
    lang: str = ""
    text_lang: str = ""
    root: str = "/"
    key: str = ""

    @property
    def card_path(self) -> str:
        """Where its vCard is published."""
        return paths.contact_card(self.id, self.root)

    @property
    def phone_link(self) -> str:
        """The number as a tel: address: + and digits only."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


@dataclass(frozen=True, eq=False)
class CountryText:
    """The optional words of a country page (content/countries/CODE.md)."""

    country: Country
    source: Path
    summary: str = ""
    body: str = ""
    body_line: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file it was read from
    lang: str = ""  # the language whose pages show it ("" before languages are known)
    text_lang: str = ""  # the language its words are in: another one's when not translated
    root: str = "/"  # where that language's pages start: "/" or "/vi/"
    key: str = ""  # what its versions in other languages share (see presskit.versions)


# A release field marked OWN_PAGE is shown on the release's own page only; every other field
# may show on other pages too (lists, feeds, the events page), so changing it rebuilds them.
OWN_PAGE = {"own_page": True}
# A field marked CARD shows wherever the release does (its cards, feeds, search entry) but
# does not place it: changing it changes those pages, not which pages list the release or
# in which order (see placed_alike).
CARD = {"card": True}


_MEDIA_PATH = re.compile(r"""(?<![\w/])(/media/[^\s)"'<>]+)""")


def markdown_digest(text: str) -> str:
    """A digest of a release's Markdown (see Text.key)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def media_links(body: str) -> list[str]:
    """The files of content/media/ a body mentions (a photo shown only by an unpublished
    release must stay unpublished too)."""
    return _MEDIA_PATH.findall(body) if "/media/" in body else []


class Text:
    """A release's Markdown. Read with its file, it is held (until `forget`); a release lent
    by the cache (see presskit.store) holds none and reads it again from its file if asked:
    its rendered text is lent with it, so only a template that shows `release.body`, or
    settings that render texts differently, ask. What the rest of the site needs of the text
    is kept either way: the files of content/media/ it mentions, and whether it has HTML (whose
    removals the build warns of). A file changed since it was read gives its new text: the
    change makes the next build read it again."""

    __slots__ = ("_value", "digest", "html", "line", "marked", "media", "source")

    def __init__(self, value: str | None, source: Path, digest: str, line: int,
                 media: tuple[str, ...] | None = None, html: bool | None = None,
                 marked: str | None = None) -> None:
        self._value = value
        self.source, self.digest, self.line = source, digest, line
        self.media = tuple(media_links(value or "")) if media is None else media
        self.html = "<" in (value or "") if html is None else html
        # The digest of the Markdown itself ("" when not known: a text lent without it)
        self.marked = marked if marked is not None else markdown_digest(value) if value is not None else ""

    @property
    def key(self) -> tuple[str, str, int]:
        """What its rendered text is kept under (see BuildMemory.body): its Markdown and the
        line it starts on decide it, not the rest of its file (a new title, date or photo
        renders no text again), else its file's bytes."""
        return ("release", self.marked, self.line) if self.marked else ("file", self.digest, self.line)

    def read(self) -> str:
        if self._value is not None:
            return self._value
        from presskit.source import body_of  # (source reads files; models only describe them)
        return body_of(self.source)

    def forget(self) -> None:
        """Hold the text no more (its rendered text is kept): read again if asked."""
        if self.digest:
            self._value = None


@dataclass(frozen=True, eq=False)
class Release:
    source: Path = field(metadata=OWN_PAGE)
    slug: str
    title: str = field(metadata=CARD)
    date: datetime  # aware; midnight in the site's time zone when only a day was given
    date_has_time: bool
    subtitle: str = field(default="", metadata=CARD)
    type: str = "press-release"
    location: str = field(default="", metadata=CARD)
    countries: tuple[Country, ...] = ()
    partners: tuple[Partner, ...] = ()
    programmes: tuple[Programme, ...] = ()
    topics: tuple[str, ...] = ()
    photos: tuple[Photo, ...] = ()
    embargo: datetime | None = None
    draft: bool = False
    summary: str = field(default="", metadata=CARD)  # as written; else the first paragraph
    text: Text | None = field(default=None, metadata=OWN_PAGE)  # what others show of it: `summary`
    body_line: int = field(default=1, metadata=OWN_PAGE)
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = field(default="", metadata=OWN_PAGE)  # of the file it was read from
    # Others show `modified`, which these make.
    updated: datetime | None = field(default=None, metadata=OWN_PAGE)
    corrections: tuple[Correction, ...] = field(default=(), metadata=OWN_PAGE)  # oldest first
    lang: str = ""  # the language it is written in
    root: str = field(default="/", metadata=OWN_PAGE)  # where its language's pages start
    key: str = ""  # what its versions in other languages share (see presskit.versions)
    contacts: tuple[str, ...] = field(default=(), metadata=OWN_PAGE)  # ids; none: default_contacts
    event: Event | None = None
    withdrawn: str = ""  # why it was withdrawn: its page becomes a notice, out of every list

    @property
    def body(self) -> str:
        """Its Markdown (see Text)."""
        return self.text.read() if self.text is not None else ""

    @functools.cached_property
    def modified(self) -> datetime:  # asked for by the sitemap, made again after many saves
        """When the release last changed: `updated`, its latest correction, or its date."""
        return max([self.date, *([self.updated] if self.updated else []),
                    *(c.date for c in self.corrections)])

    @property
    def type_label(self) -> str:
        return RELEASE_TYPES[self.type]

    @functools.cached_property
    def path(self) -> str:  # asked for by every page that links to it: made once
        return paths.release(self.slug, self.root)

    @property
    def event_file(self) -> str:
        """Where its event's calendar entry is published ("" without an event)."""
        return paths.event_file(self.slug, self.root) if self.event else ""

    @property
    def lead_photo(self) -> Photo | None:
        return self.photos[0] if self.photos else None

    @property
    def files(self) -> tuple[Asset, ...]:
        """The files its page publishes (a withdrawn release's notice shows none)."""
        return () if self.withdrawn else tuple(photo.asset for photo in self.photos)

    def is_published(self, as_of: datetime, drafts: bool = False) -> bool:
        """Whether `build` may show this release at that instant."""
        if self.draft and not drafts:
            return False
        return self.embargo is None or self.embargo <= as_of


def body_key(item: Any) -> tuple[Any, ...]:
    """What a rendered text is kept under: a release's, its file's bytes (see Text); any
    other's, its Markdown and first line."""
    if isinstance(item, Release) and item.text is not None:
        return item.text.key
    return (item.body, item.body_line)


_RELEASE_FIELDS = tuple(f.name for f in fields(Release))
_SOURCE, _PHOTOS = _RELEASE_FIELDS.index("source"), _RELEASE_FIELDS.index("photos")
_PARTNERS, _PROGRAMMES = _RELEASE_FIELDS.index("partners"), _RELEASE_FIELDS.index("programmes")
_COUNTRIES, _TEXT = _RELEASE_FIELDS.index("countries"), _RELEASE_FIELDS.index("text")


def detached(release: Release, text: bool = True) -> tuple[Any, ...]:
    """A release as plain values (partners and programmes by id, paths as text): what
    crosses to another process or into the cache, where those objects must not be copied.
    Without its `text`, what is kept of its Markdown is what the site needs of it (see Text):
    the cache keeps its rendered text, and its file keeps the Markdown."""
    values = [getattr(release, name) for name in _RELEASE_FIELDS]
    kept = release.text
    values[_TEXT] = None if kept is None else (kept.read() if text else None, kept.media, kept.html,
                                               kept.marked)
    values[_SOURCE] = str(release.source)
    values[_PARTNERS] = tuple(p.id for p in release.partners)
    values[_PROGRAMMES] = tuple(p.id for p in release.programmes)
    # As plain tuples: unpickling a dataclass costs ten times more (a fifth of loading a
    # release from the cache), and equal countries become one object again when attached.
    values[_COUNTRIES] = tuple((c.code, c.name, c.alpha3, c.slug, c.root) for c in release.countries)
    values[_PHOTOS] = tuple((str(p.asset.source), p.asset.path, p.alt, p.caption, p.credit, p.line)
                            for p in release.photos)
    return tuple(values)


def attached(values: tuple[Any, ...], partners: dict[tuple[str, str], Partner],
             programmes: dict[tuple[str, str], Programme],
             known_paths: dict[str, Path] | None = None) -> Release:
    """The release `detached` gave, pointing at these partners and programmes, found by
    (language, id) (KeyError if one of them is gone). `known_paths` shares the Path of a file
    many releases show, and of each folder of releases (a Path made from its folder's is made
    in a third of the time)."""
    shared = known_paths if known_paths is not None else {}
    named = dict(zip(_RELEASE_FIELDS, values, strict=True))
    # The words many releases share, one object each (sys.intern): each crossed from another
    # process or came out of the store on its own, and a kept graph pickles each object once
    # (at 10,000 releases, 90,000 strings fewer: a quarter of its bytes, 15 % of its loading).
    for name in _SHARED_WORDS:
        named[name] = sys.intern(named[name])
    named["topics"] = tuple(map(sys.intern, named["topics"]))
    lang = named["lang"]
    folder, slash, name = named["source"].rpartition("/")
    if slash:
        parent = shared.get(folder) or shared.setdefault(folder, Path(folder or "/"))
        named["source"] = parent / name
    else:
        named["source"] = Path(name)
    named["countries"] = tuple(_country(*country) for country in named["countries"])
    named["partners"] = tuple(partners[lang, id] for id in named["partners"])
    named["programmes"] = tuple(programmes[lang, id] for id in named["programmes"])
    photos = []
    for source, path, alt, caption, credit, line in named["photos"]:
        file = shared.get(source) or shared.setdefault(source, Path(source))
        photos.append(Photo(shared_asset(file, path), alt, caption, sys.intern(credit), line))
    named["photos"] = tuple(photos)
    if named["text"] is not None:
        value, media, html, marked = named["text"]
        named["text"] = Text(value, named["source"], named["digest"], named["body_line"], media, html, marked)
    # Its fields set at once, as the dataclass's __init__ would set them one by one (it has no
    # __post_init__, and every field is given): a sixth of the time of attaching a release.
    release = object.__new__(Release)
    release.__dict__.update(named)
    return release


_SHARED_WORDS = ("lang", "root", "type", "location")


@functools.lru_cache(maxsize=4096)
def _country(code: str, name: str, alpha3: str, slug: str, root: str) -> Country:
    return Country(code, name, alpha3, slug, root)


_SHOWN_ELSEWHERE = tuple(item.name for item in fields(Release) if not item.metadata.get("own_page"))
_PLAIN_AS_IS = (str, bool, int, type(None))


def placing(shown: list[Any]) -> list[Any]:
    """Of a release's values as `shown_elsewhere` gives them, those that place it (see
    placed_alike), but its photos: other photos alone are a card edit (pictured_anew)."""
    return [shown[at] for at in _PLACED_BY]


def shown_elsewhere(release: Release) -> list[Any]:
    """The values of a release's fields that pages other than its own may show, as plain data."""
    values = [getattr(release, name) for name in _SHOWN_ELSEWHERE]
    return [value if isinstance(value, _PLAIN_AS_IS) else _plain(value) for value in values]


_PLACING = tuple(item.name for item in fields(Release) if not item.metadata)
_PLACED_BY = tuple(at for at, name in enumerate(_SHOWN_ELSEWHERE) if name in _PLACING and name != "photos")


def placed_alike(one: Release, other: Release) -> bool:
    """Whether two releases (a file before and after an edit) stand in the same places: the
    same address, date, terms, photos, publication, versions and event, which decide what
    pages there are, which of them list a release and in which order. Only fields marked CARD
    or OWN_PAGE may differ, and those only if the time it was last modified is the same."""
    return one.modified == other.modified and all(
        _plain(getattr(one, name)) == _plain(getattr(other, name)) for name in _PLACING)


_DATING = ("date", "date_has_time")


def moved_alike(one: Release, other: Release) -> bool:
    """Whether a release (a file before and after an edit) moved among its neighbours and
    nothing more: a new date or time, every other field that decides its places the same. It
    stays on the same pages, in a new order, but its year's: dated into another year, it
    leaves that year's page for the other's (graph.with_moves says whether both have one)."""
    return all(_plain(getattr(one, name)) == _plain(getattr(other, name))
               for name in _PLACING if name not in _DATING)


def partnered_anew(one: Release, other: Release) -> bool:
    """Whether a release (a file before and after an edit) names other partners and changed
    nothing else that places it: it joins or leaves partners' pages, in its place."""
    return one.modified == other.modified and all(
        _plain(getattr(one, name)) == _plain(getattr(other, name)) for name in _PLACING if name != "partners")


def pictured_anew(one: Release, other: Release) -> bool:
    """Whether a release (a file before and after an edit) changed its photos (which, in what
    order, with what words) and nothing else that places it: the same pages list it, in the
    same order."""
    return one.modified == other.modified and all(
        _plain(getattr(one, name)) == _plain(getattr(other, name)) for name in _PLACING if name != "photos")


def _plain(value: Any) -> Any:
    if isinstance(value, _PLAIN_AS_IS):
        return value
    if isinstance(value, (Partner, Programme)):
        return (value.id, value.digest)
    if isinstance(value, Country):
        return value.code
    if isinstance(value, Photo):
        return (str(value.asset.source), value.asset.path, value.alt, value.caption, value.credit)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Event):
        return [_plain(getattr(value, item.name)) for item in fields(Event)]
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return repr(value) if isinstance(value, dict) else value


@dataclass(frozen=True, eq=False)
class Page:
    """A free page such as About or Media contacts (content/pages/*.md)."""

    source: Path
    slug: str
    title: str
    summary: str = ""
    body: str = ""
    body_line: int = 1
    weight: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file it was read from
    lang: str = ""  # the language whose pages show it ("" before languages are known)
    text_lang: str = ""  # the language its words are in: another one's when not translated
    root: str = "/"  # where that language's pages start: "/" or "/vi/"
    key: str = ""  # what its versions in other languages share (see presskit.versions)

    @property
    def path(self) -> str:
        return paths.page(self.slug, self.root)


@dataclass(frozen=True, eq=False)
class TopicText:
    """A topic's name in one language, and its words (content/topics/SLUG.md and versions):
    every name of every version finds the topic, whichever language a release is in."""

    slug: str
    name: str
    source: Path
    aliases: tuple[str, ...] = ()
    summary: str = ""
    body: str = ""
    body_line: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    digest: str = ""  # of the file it was read from
    lang: str = ""
    text_lang: str = ""
    root: str = "/"
    key: str = ""


@dataclass(frozen=True)
class Content:
    """Everything in content/, checked and with every reference resolved."""

    releases: tuple[Release, ...]
    partners: tuple[Partner, ...]
    programmes: tuple[Programme, ...]
    country_texts: dict[str, CountryText]  # by "LANG:CODE" (vi:VN); in one language, by code
    pages: tuple[Page, ...]
    media: tuple[Asset, ...]  # every file under content/media/
    topics: tuple[TopicText, ...] = ()  # named topics (content/topics/), in every language
    topic_names: dict[str, str] = field(default_factory=dict)  # any name, normalised -> slug
    contacts: tuple[Contact, ...] = ()  # media contacts, in every language
    default_contacts: tuple[str, ...] = ()  # ids of the contacts of a release that names none
    organisation: str = ""  # id of the partner that is the site's own organisation

    def in_language(self, code: str) -> Content:
        """What the pages of one language show: its releases, and its version (or a copy) of
        every partner, programme, country text and page."""
        return Content(
            releases=tuple(r for r in self.releases if r.lang == code),
            partners=tuple(p for p in self.partners if p.lang == code),
            programmes=tuple(p for p in self.programmes if p.lang == code),
            country_texts={t.country.code: t for t in self.country_texts.values() if t.lang == code},
            pages=tuple(p for p in self.pages if p.lang == code),
            media=self.media,
            topics=tuple(t for t in self.topics if t.lang == code),
            topic_names=self.topic_names,
            contacts=tuple(c for c in self.contacts if c.lang == code),
            default_contacts=self.default_contacts,
            organisation=self.organisation,
        )
