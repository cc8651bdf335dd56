"""Turning the site graph into files: HTML pages through Jinja, feeds, sitemap, assets.

Templates in the site's `templates/` folder override the built-in theme file by file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import functools
import hashlib
import os
import re
import sys
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote

import jinja2
import markupsafe
from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time
from babel.numbers import format_decimal

from presskit import __version__, feeds, forks, paths, pickled, placed, search
from presskit.cache import IN_OUTPUT, BuildMemory, Slot, Written, cache_folder, fingerprint, part_dir
from presskit.config import Settings
from presskit.errors import BuildFailed, Problem
from presskit.graph import CountryNode, Newsroom, PartnerNode, ProgrammeNode, SiteGraph, TopicNode, YearNode
from presskit.languages import N_, Language, translations
from presskit.links import link_targets
from presskit.markdown import BodyLink, BodyRenderer, PackedBody, RenderedBody
from presskit.media import Media, PhotoSizes
from presskit.models import (
    RELEASE_TYPES,
    Asset,
    Contact,
    Event,
    Partner,
    Photo,
    Programme,
    Release,
    body_key,
)
from presskit.seal import seal, unseal
from presskit.spill import Spilled
from presskit.text import local_time

_TEMPLATE_NAME = re.compile(r"""["']([\w./-]+\.(?:html|xml|txt))["']""")
NAV = ((N_("Releases"), paths.RELEASES), (N_("Countries"), paths.COUNTRIES),
       (N_("Partners"), paths.PARTNERS), (N_("Programmes"), paths.PROGRAMMES),
       (N_("Topics"), paths.TOPICS))
HOME_LATEST = 7


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: bytes made by presskit, or a file copied as it is."""

    path: str  # inside output/, with "/" separators
    data: bytes | None = None
    source: Path | None = None
    spilled: bool = False  # source holds bytes this build made (see presskit.spill)

    def left_in(self, output_dir: Path) -> bool:
        """Whether this is the file output/ has, left as it is (a page whose fingerprint is
        the one output/'s file has: see BuildMemory.left)."""
        return self.data is None and not self.spilled and self.source == output_dir / self.path


@dataclass(frozen=True)
class SourceLinks:
    """The links written in one content file's body, for `check`."""

    source: Path
    page_path: str
    links: tuple[BodyLink, ...]


# A card's slot and fingerprint by release, then options: made once per renderer, or kept.
CardKeys = dict[Release, dict[tuple[tuple[str, Any], ...], tuple[Slot, str]]]


@dataclass(frozen=True)
class RenderedSite:
    files: tuple[OutputFile, ...]
    body_links: tuple[SourceLinks, ...]
    bodies: dict[Release, RenderedBody]  # of the published releases
    alternates: dict[str, tuple[Alternate, ...]]  # of each page, in a site of several languages
    media: Media | None = None  # the photo files to make before the site is written
    # What each language's pages show of each release, partner, programme and contact, by
    # object (see _Fingerprints): a card edit in the preview reuses those of unchanged ones.
    prints: tuple[dict[object, str], ...] = ()
    card_keys: tuple[CardKeys, ...] = ()  # each language's (see _Renderer.card); card edits reuse them
    pages: tuple[str, ...] = ()  # the files of the pages in output/, in order (for the sitemap)
    # A site made `later` (see render_site): the whole site, its search index and sitemap made.
    later: Callable[[], RenderedSite] | None = None
    # The rendered texts as each language's renderer holds them (for `let_go_of_bodies`).
    held_bodies: tuple[dict[Release, RenderedBody], ...] = field(default=(), compare=False, repr=False)

    def let_go_of_bodies(self) -> None:
        """Hold no rendered text any more, here or in the renderers (whose templates' globals
        stay with the build's memory): once they are in the release store, a build that ends
        has no use for them, and at 50,000 releases they are a fifth of its memory when it
        keeps its graph (see build._remember)."""
        for bodies in (self.bodies, *self.held_bodies):
            bodies.clear()


def builtin_theme() -> Path:
    return Path(str(resources.files("presskit.templates")))


def theme_dirs(settings: Settings) -> list[Path]:
    """The site's own templates folder, if it has one, then the built-in theme."""
    own = settings.templates_dir
    return ([own] if own.is_dir() else []) + [builtin_theme()]


@dataclass(frozen=True)
class Alternate:
    """A page's version in one language, for the switcher and `hreflang`: the same page
    where a published version exists, else that language's home."""

    language: Language
    path: str
    exists: bool
    current: bool


# A page's versions as plain data: each Alternate's language (by its code), path, exists and current
PlainVersions = tuple[tuple[str, str, bool, bool], ...]


class Alternates(MutableMapping[str, tuple[Alternate, ...]]):
    """Each page's versions (by its site path), as a build after an edit takes them back from
    the last (see presskit.kept) and changes them: kept as plain data, each Alternate made when
    a page asks for it (a move makes a few hundred pages; 45,000 Alternates unpickled and
    pickled again were 0.08 s of its build at 10,000 releases in two languages). `copy` is
    quick: the plain data is shared until changed."""

    def __init__(self, plain: dict[str, PlainVersions], languages: Mapping[str, Language],
                 made: dict[str, tuple[Alternate, ...]] | None = None) -> None:
        self._plain, self._languages, self._made = plain, dict(languages), made if made is not None else {}

    @classmethod
    def of(cls, alternates: Mapping[str, tuple[Alternate, ...]]) -> Alternates:
        if isinstance(alternates, Alternates):
            return alternates
        languages = {a.language.code: a.language for found in alternates.values() for a in found}
        return cls({path: _plain(found) for path, found in alternates.items()}, languages, dict(alternates))

    def plain(self) -> dict[str, PlainVersions]:
        return self._plain

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as plain data alone (a preview's learned site): the Alternates made are a cache
        return Alternates, (self._plain, self._languages)

    def copy(self) -> Alternates:
        return Alternates(dict(self._plain), self._languages, dict(self._made))

    def __getitem__(self, path: str) -> tuple[Alternate, ...]:
        found = self._made.get(path)
        if found is None:
            languages = self._languages
            found = self._made[path] = tuple([Alternate(languages[code], there, exists, current)
                                              for code, there, exists, current in self._plain[path]])
        return found

    def __setitem__(self, path: str, found: tuple[Alternate, ...]) -> None:
        self._languages.update((a.language.code, a.language) for a in found)
        self._plain[path] = _plain(found)
        self._made[path] = found

    def __delitem__(self, path: str) -> None:
        del self._plain[path]
        self._made.pop(path, None)

    def __contains__(self, path: object) -> bool:
        return path in self._plain

    def __iter__(self) -> Iterator[str]:
        return iter(self._plain)

    def __len__(self) -> int:
        return len(self._plain)


def plain_versions(alternates: Mapping[str, tuple[Alternate, ...]]) -> dict[str, PlainVersions]:
    """Each page's versions as plain data (see Alternates), as the kept graph holds them."""
    if isinstance(alternates, Alternates):
        return alternates.plain()
    return {path: _plain(found) for path, found in alternates.items()}


def _plain(found: tuple[Alternate, ...]) -> PlainVersions:
    return tuple([(a.language.code, a.path, a.exists, a.current) for a in found])


class Site:
    """What every template can use: the settings of the page's language, navigation, and URL
    and date helpers."""

    def __init__(self, settings: Settings, graph: SiteGraph, words: Any) -> None:
        self.refresh(settings, graph, words)

    def refresh(self, settings: Settings, graph: SiteGraph, words: Any) -> None:
        """Point at this build's settings and graph (the object lives as long as the theme)."""
        language = graph.language
        self.settings = settings
        self.title = language.title
        self.organisation = language.organisation
        self.logo = settings.logo
        self.description = language.description
        self.language = language.code
        self.direction = language.direction
        self.root = language.root
        self.footer = language.footer
        self.extra = settings.extra
        self.nav = [(words.gettext(label), paths.under(language.root, path)) for label, path in NAV]
        self.pages = graph.pages
        self.contacts_path = paths.under(language.root, paths.CONTACTS) if graph.contacts else ""
        self.events_path = paths.under(language.root, paths.EVENTS) if graph.events_page else ""
        self.feed_path = paths.feed(language.root)
        self.generator = f"presskit {__version__}"
        self.locale = language.locale
        self.summary_of: Callable[[Release], str] = lambda release: release.summary
        self.status_of: Callable[[Release], str] = lambda release: ""
        self.card_of: Callable[..., Any] = lambda release, **options: ""
        self.cards_of: Callable[..., Any] = lambda releases, **options: ""
        self.photo_of: Callable[[Any], Any] = lambda photo: None

    def at(self, path: str) -> str:
        """A path of the default language's layout in this page's language: /vi/releases/."""
        return paths.under(self.root, path)

    def url(self, path: str) -> str:
        """A site path as a link that works under base_url's own path."""
        return self.settings.base_path + _quote(path.lstrip("/"))

    def absolute_url(self, path: str) -> str:
        return self.settings.base_url + _quote(path.lstrip("/"))

    def local(self, moment: datetime) -> datetime:
        zone = self.settings.timezone
        return moment.astimezone(zone) if zone else moment

    def date(self, moment: datetime, form: str = "long") -> str:
        return _format_date(self.local(moment).date(), form, self.locale)

    def event_when(self, event: Event) -> str:
        """When an event takes place, in the page's language: "6 June 2026, 09:00–11:30 (GMT+07:00)"."""
        start, end = event.start, event.end  # in the event's own time zone
        locale = self.locale
        if not event.has_time:
            if end is None or end.date() == start.date():
                return _format_date(start.date(), "long", locale)
            return format_interval(start.date(), end.date(), "yMMMMd", locale=locale)
        zone = format_datetime(start, "ZZZZ", tzinfo=start.tzinfo, locale=locale)
        if end is None:
            times = format_time(start.time(), "HH:mm", locale=locale)
        elif end.date() == start.date():
            times = format_interval(start.time(), end.time(), "Hm", locale=locale)
        else:
            return (f"{_format_date(start.date(), 'long', locale)}, "
                    f"{format_time(start.time(), 'HH:mm', locale=locale)} – "
                    f"{_format_date(end.date(), 'long', locale)}, "
                    f"{format_time(end.time(), 'HH:mm', locale=locale)} ({zone})")
        return f"{_format_date(start.date(), 'long', locale)}, {times} ({zone})"

    def datetime(self, moment: datetime, form: str = "long") -> str:
        return format_datetime(self.local(moment), "d MMMM y, HH:mm zzz" if form == "long" else form,
                               tzinfo=self.local(moment).tzinfo, locale=self.locale)


def _environment(settings: Settings, graph: SiteGraph,
                 memory: BuildMemory) -> tuple[jinja2.Environment, Site, Any, list[object]]:
    """A language's Jinja environment, its `site`, its words and the catalogs they were read
    from (a changed catalog changes every page's fingerprint), kept between builds of a
    preview: templates are compiled once, and again only when their file changes (Jinja
    checks). Compiled macro modules keep the objects they were made with, so those objects
    stay and are refreshed."""
    themes = theme_dirs(settings)
    dirs = [str(d) for d in themes]
    words, sources = translations(themes, graph.language.code, (settings.site_dir, memory.writes_cache))
    key = repr((dirs, graph.language.code))
    known = memory.environments.get(key)
    if known is not None:
        env, site = known
        site.refresh(settings, graph, words)
        _install_words(env, words)
        return env, site, words, sources
    site = Site(settings, graph, words)
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader(dirs),
        # Compiled templates are kept in .presskit-cache/templates/, the preview's too: it
        # keeps them in memory as well, but a start would compile each again in the first
        # save's wait (0.13 s for the built-in theme).
        bytecode_cache=_bytecode_cache(settings.site_dir, memory.writes_cache),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters.update({name: _at_render_time(function) for name, function in {
        "url": site.url,
        "absolute_url": site.absolute_url,
        "date": site.date,
        "datetime": site.datetime,
        "number": lambda number: _format_number(number, site.locale),
        "summary": lambda release: site.summary_of(release),
        "status": lambda release: site.status_of(release),
    }.items()})
    env.globals["site"] = site
    env.globals["card"] = lambda release, **options: site.card_of(release, **options)
    env.globals["cards"] = lambda releases, **options: site.cards_of(releases, **options)
    env.globals["photo_sizes"] = lambda photo: site.photo_of(photo)
    _install_words(env, words)
    memory.environments[key] = (env, site)
    return env, site, words, sources


def _install_words(env: jinja2.Environment, words: Any) -> None:
    """A language's words for `_()`, `gettext()`, `ngettext()` and `{% trans %}`, as Jinja's
    "newstyle" gettext has them (the translation is markup, the values filled in are escaped),
    called directly: Jinja's own wrappers cost more than the lookup on every label of every page."""
    env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    lookup, plural = words.gettext, words.ngettext

    def gettext(text: str, **variables: Any) -> str:
        return markupsafe.Markup(lookup(text)) % variables

    def ngettext(singular: str, several: str, number: int, **variables: Any) -> str:
        variables.setdefault("num", number)
        return markupsafe.Markup(plural(singular, several, number)) % variables

    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def _at_render_time(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter applied as each page is rendered. Jinja applies a filter whose arguments are
    constants (`'/assets/presskit.css' | url`) once, as it compiles the template, and keeps
    the result in the compiled code; but these filters depend on the settings (the base
    address, the language, the time zone), which compiled templates outlive: kept in
    .presskit-cache/templates/ for the next run, and in the preview's memory while it runs.
    A filter that asks for the context is never applied at compile time."""

    @jinja2.pass_context
    def applied(context: Any, *args: Any, **options: Any) -> Any:
        return function(*args, **options)

    return applied


# Compiled templates depend on their source, kept with them, and on how presskit compiles
# them (the Environment's options, which filters may be applied at compile time): a change
# there is a new name for the files, and the files of other names are removed.
_COMPILED = "__presskit2_%s.cache"


def _bytecode_cache(site_dir: Path, writes: bool = True) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (Jinja checks each against its source); read
    only, if there, when the run `writes` nothing (`check`)."""
    if not writes:
        folder = part_dir(site_dir) / "templates"
        if folder.is_symlink() or not folder.is_dir():
            return None
        return _ReadOnlyBytecodeCache(str(folder), _COMPILED)
    try:
        folder = cache_folder(site_dir) / "templates"
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()
        folder.mkdir(exist_ok=True)
        for other in folder.iterdir():  # compiled by another presskit
            if not fnmatch.fnmatch(other.name, _COMPILED % "*"):
                with contextlib.suppress(OSError):
                    other.unlink()
    except OSError:
        return None
    return _SealedBytecodeCache(str(folder), _COMPILED)


class _SealedBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, loading only what this user's presskit
    sealed (see presskit.seal): compiled code planted in a site folder is never run."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self._get_cache_filename(bucket), "rb") as file:
                data = unseal(file.read())
        except OSError:
            return
        if data is not None:
            try:
                bucket.bytecode_from_string(data)
            except Exception:  # sealed but unusable (another Python): compiled again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self._get_cache_filename(bucket)
        temporary = f"{name}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as file:
                file.write(seal(bucket.bytecode_to_string()))
            os.replace(temporary, name)
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(temporary)


class _ReadOnlyBytecodeCache(_SealedBytecodeCache):
    """The compiled templates a build kept, used and never written."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        pass


class _Lazy:
    """A context value made only if the page is rendered (most pages of a rebuild are not)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def __call__(self) -> Any:
        return self.make()


class _Bodies(dict[Release, RenderedBody]):
    """A renderer's rendered texts by release: those it did not render up front (a card
    edit renders only some pages) are rendered, or found in memory, when first asked for."""

    def __init__(self, renderer: _Renderer) -> None:
        super().__init__()
        self.renderer = renderer

    def __missing__(self, release: Release) -> RenderedBody:
        body = self[release] = self.renderer.release_body(release)
        return body


@dataclass(frozen=True)
class PageSpec:
    """One HTML page to make: where, from which template, with what, and its fingerprint."""

    path: str
    template: str
    title: str
    digest: str  # changes whenever anything the page shows changes
    context: dict[str, Any]


class _Fingerprints:
    """Digests of what pages show, computed once per object and build."""

    def __init__(self, status: Callable[[Release], str], photos: Callable[[Release], list[object]]) -> None:
        self.status = status
        self.photos = photos  # what the release's photos are made from
        self.seen: dict[object, str] = {}  # partners, programmes and releases compare by identity
        # The releases fingerprinted since the last page's spec, while pages are listed: what
        # that page shows (a page that shows a release fingerprints it, or is never made again).
        self.touched: list[Release] | None = None

    def partner(self, partner: Partner) -> str:
        found = self.seen.get(partner)
        if found is None:
            found = self.seen[partner] = fingerprint(
                "partner", partner.digest, partner.id, partner.country and partner.country.code)
        return found

    def programme(self, programme: Programme) -> str:
        found = self.seen.get(programme)
        if found is None:
            found = self.seen[programme] = fingerprint(
                "programme", programme.digest, programme.id,
                [self.partner(p) for p in (*programme.partners, *programme.funders)],
                [c.code for c in programme.countries])
        return found

    def release(self, release: Release) -> str:
        if self.touched is not None:
            self.touched.append(release)
        found = self.seen.get(release)
        if found is None:
            found = self.seen[release] = fingerprint(
                "release", release.digest, release.slug, [self.partner(p) for p in release.partners],
                [self.programme(p) for p in release.programmes], [c.code for c in release.countries],
                self.status(release), self.photos(release))
        return found

    def contact(self, contact: Contact) -> str:
        found = self.seen.get(contact)
        if found is None:
            found = self.seen[contact] = fingerprint(
                "contact", contact.digest, contact.id,
                self.partner(contact.organisation) if contact.organisation else None)
        return found

    def releases(self, releases: Sequence[Release]) -> str:
        if self.touched is not None:
            self.touched.extend(releases)
        seen = self.seen
        digests = [seen.get(r) or self.release(r) for r in releases]
        return hashlib.blake2b("".join(digests).encode(), digest_size=16).hexdigest()


class _Renderer:
    """One language's pages. `only`: the site paths of the pages to make (a card edit, see
    presskit.retouch); then texts are rendered as pages ask for them, not all up front."""

    def __init__(self, settings: Settings, graph: SiteGraph, memory: BuildMemory,
                 preview: bool, workers: int = 1, media: Media | None = None,
                 only: set[str] | None = None) -> None:
        self.settings = settings
        self.media = media or Media(settings.site_dir, settings.keep_photo_location, memory.media,
                                    memory.writes_cache)
        self.graph = graph
        self.memory = memory
        self.preview = preview
        self.workers = workers
        self.language = graph.language
        self.env, self.site, self.words, self.catalog_sources = _environment(
            settings, graph, memory)
        self._ = self.words.gettext
        self.markdown = BodyRenderer(settings.base_path, settings.embed_hosts)
        if memory.body_options != (settings.base_path, settings.embed_hosts):
            memory.bodies.clear()  # rendered with other settings (serve keeps memory across edits)
            memory.body_options = (settings.base_path, settings.embed_hosts)
        self.problems: list[Problem] = []
        self.targets: dict[str, tuple[str, ...]] = {}  # of pages rendered on other cores
        self.body_links: list[SourceLinks] = []
        self.only = only
        # The first pages of the lists whose pages it makes, if not all (see `paged`).
        self._lists_made = None if only is None else {
            (paths.numbered_page(path) or (path,))[0] for path in only}
        self.bodies: dict[Release, RenderedBody] = _Bodies(self)
        self._feed_entries: dict[Release, str] = {}  # (see feed_entry)
        if workers > 1 and only is None:
            self.render_bodies_in_parallel()
        for release in graph.releases if only is None else ():
            self.bodies[release] = self.release_body(release)
            if release.text is not None:
                release.text.forget()  # its rendered text is all the pages need (see models.Text)
        self.site.summary_of = self.summary
        self.site.status_of = self.status
        self.site.card_of = self.card
        self.site.cards_of = self.cards
        self.site.photo_of = self.photo
        self.photo_sizes: dict[object, PhotoSizes | None] = {}
        self._lists: dict[str, Sequence[Release]] | None = None  # (see list_modified)
        # Here, not in a forked worker, whose queue would be lost. (A card edit's photo files
        # are made by presskit.retouch.)
        for release in graph.releases if only is None else ():
            for photo in release.photos:
                if self.photo(photo) is None:
                    self.problems.append(Problem(
                        release.source, photo.line, f"photo {photo.asset.source.name!r} cannot be read "
                        "as an image", "the file is damaged or not what its name says: save it again "
                        "as a .jpg or .png from a photo program"))
        self.prints = _Fingerprints(self.status, lambda release: [
            (sizes.src, sizes.width, sizes.height) if sizes else None
            for sizes in (self.photo(photo) for photo in release.photos)])
        self.card_keys: CardKeys = {}
        self.card_kinds: dict[tuple[tuple[str, Any], ...], tuple[str, str]] = {}
        self._card_macro: Any = None
        self.page: str | None = None  # the page being rendered, and the lists of cards it shows
        self.listed: list[placed.Listed] | None = None
        self.templates: dict[str, str] = {}
        self.default_preview = self.link_preview()
        self.common = fingerprint(
            __version__, repr(settings), self.default_preview, self.language, self.catalog_sources,
            [(p.title, p.path, p.digest) for p in graph.pages], preview,
            self.site.contacts_path, self.site.events_path)

    def body(self, text: str, line: int, source: Path, page_path: str) -> RenderedBody:
        """The rendered text of a page's Markdown (a partner's, a programme's...)."""
        return self._noted(self.memory.body((text, line), lambda: text, line, self.markdown.render),
                           source, page_path)

    def release_body(self, release: Release) -> RenderedBody:
        self.kept_texts((release,))
        return self._noted(self.memory.body(body_key(release), lambda: release.body, release.body_line,
                                            self.markdown.render), release.source, release.path)

    def kept_texts(self, releases: Iterable[Release]) -> None:
        """Put in memory the rendered texts of these releases that it lacks and the last builds
        kept (see store.KeptBodies), read at once, rather than render them again."""
        memory = self.memory
        if memory.kept_bodies is None:
            return
        missing = [release for release in releases if body_key(release) not in memory.bodies]
        for release, body in memory.kept_bodies.fetch(missing).items():
            memory.bodies[body_key(release)] = body

    def _noted(self, rendered: RenderedBody, source: Path, page_path: str) -> RenderedBody:
        self.body_links.append(SourceLinks(source, page_path, tuple(rendered.links)))
        return rendered

    def summary(self, release: Release) -> str:
        return release.summary or self.bodies[release].first_paragraph

    def status(self, release: Release) -> str:
        """In a preview, why `build` would leave a release out; otherwise nothing."""
        if not self.preview:
            return ""
        _ = self._
        if release.draft:
            return _("Draft: not published. presskit build leaves this release out.")
        if release.embargo and release.embargo > self.graph.as_of:
            return _("Embargoed until %(time)s. presskit build leaves this release out until "
                     "then.") % {"time": local_time(release.embargo, self.settings.timezone)}
        return ""

    def photo(self, photo: Photo) -> PhotoSizes | None:
        """A photo's sizes and download (None: shown as it is, e.g. an SVG)."""
        if photo not in self.photo_sizes:
            self.photo_sizes[photo] = self.media.photo(photo.asset.source, photo.asset.path,
                                                       photo.credit, photo.caption)
        return self.photo_sizes[photo]

    def link_preview(self, release: Release | None = None) -> str | None:
        """The 1200x630 image link previews show: the lead photo's, else `default_image`'s."""
        lead = release.lead_photo if release else None
        if lead is not None:
            made = self.media.preview(lead.asset.source, lead.asset.path)
            if made:
                return made
        image = self.settings.default_image
        if image:
            return self.media.preview(self.settings.content_dir / image.lstrip("/"), image)
        return None

    def card(self, release: Release, **options: Any) -> Any:
        """A release card (the `release_card` macro of macros.html), made once per build and
        release for every list that shows it, and kept while nothing it shows changes."""
        return self._card(release, tuple(sorted(options.items())), options)

    def _card(self, release: Release, chosen: tuple[tuple[str, Any], ...], options: dict[str, Any]) -> Any:
        return self.memory.fragment(*self._card_key(release, chosen), self._make_card, release, options)

    def _card_key(self, release: Release, chosen: tuple[tuple[str, Any], ...]) -> tuple[Slot, str]:
        """A card's slot and the fingerprint of all it shows."""
        kinds = self.card_keys.get(release)  # a list page asks for hundreds: keep the keys at hand
        if kinds is None:
            kinds = self.card_keys[release] = {}
        known = kinds.get(chosen)
        if known is None:
            kind = self.card_kinds.get(chosen)
            if kind is None:  # what the cards of these options share: their slot's options, and
                # the digest of the site's fingerprint, macros.html's and the options
                start = fingerprint(self.common, self.template_digest("macros.html"), list(chosen))
                kind = self.card_kinds[chosen] = (repr(list(chosen)), start[:16])
            options, start = kind
            # Its fingerprint: theirs, then the release's (joined, not digested again: a list
            # page asks for a thousand keys, which were a sixth of its time)
            known = kinds[chosen] = ((str(release.source), self.language.code, options),
                                     start + self.prints.release(release))
        return known

    def _make_card(self, release: Release, options: dict[str, Any]) -> Any:
        return self.card_macro()(release, **options)

    def cards(self, releases: Iterable[Release], **options: Any) -> markupsafe.Markup:
        """The cards of a list, each in its list item (`<li>`), joined at once: a term page
        lists a thousand, and a template loop that asks for each card took three times as
        long as the rest of the page. Those kept by the last build are read at once, from the
        page it wrote when they lie there as they were (see presskit.placed), else the store."""
        chosen, memory = tuple(sorted(options.items())), self.memory
        releases = list(releases)
        keys = [self._card_key(release, chosen) for release in releases]  # found once each
        memory.fetch_fragments((slot for slot, _ in keys), page=self.page)
        items = [memory.fragment(slot, digest, self._make_card, release, options)
                 for release, (slot, digest) in zip(releases, keys, strict=True)]
        if not items:
            return markupsafe.Markup("")
        text = placed.OPEN + placed.JOIN.join(items) + placed.CLOSE
        if self.listed is not None:  # where each card lies in the page, for the next build
            (_, language, chosen_text), _ = keys[0]
            self.listed.append(placed.Listed(text, language, chosen_text, tuple(
                (slot[0], digest, len(item)) for (slot, digest), item in zip(keys, items, strict=True))))
        return markupsafe.Markup(text)

    def card_macro(self) -> Any:
        if self._card_macro is None:
            self._card_macro = self.env.get_template("macros.html").module.release_card  # type: ignore[attr-defined]
        return self._card_macro

    def template_digest(self, name: str) -> str:
        """The fingerprint of a template and every template it extends, includes or imports."""
        if name not in self.templates:
            self.templates[name] = ""  # guards against a template that refers to itself
            try:
                source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
                # Every quoted template name in the text: a superset of what it extends,
                # includes or imports (names made at run time are not followed, as in Jinja's
                # own meta.find_referenced_templates), and much faster than parsing.
                referenced = sorted(set(_TEMPLATE_NAME.findall(source)) - {name})
            except jinja2.TemplateNotFound:
                source, referenced = "", []  # rendering reports it, with the file and line
            self.templates[name] = fingerprint(source, [self.template_digest(n) for n in referenced])
        return self.templates[name]

    def spec(self, path: str, template: str, title: str, shows: object, **context: Any) -> PageSpec:
        digest = fingerprint(self.common, path, title, self.template_digest(template), shows)
        touched, shows = self.prints.touched, self.memory.shows
        if touched is not None:
            if shows is not None:
                shows[path] = tuple(touched)  # turned round when a card edit needs it (retouch)
            touched.clear()
        return PageSpec(path, template, title, digest, context)

    def makes(self, path: str) -> bool:
        """Whether this renderer makes the page at `path` (all, but in a card edit)."""
        return self.only is None or path in self.only

    def chosen(self, nodes: Sequence[Any]) -> Sequence[Any]:
        """The nodes (countries, years, ...) whose pages this renderer makes."""
        return nodes if self.only is None else [node for node in nodes if node.path in self.only]

    def index_page(self, folder: str, template: str, title: str, shows: object,
                   **context: Any) -> Iterator[PageSpec]:
        """The page that lists every country (partner, programme, topic), if this renderer
        makes it."""
        path = paths.under(self.language.root, folder)
        if self.makes(path):
            yield self.spec(path, template, title, shows, **context)

    def render(self, spec: PageSpec) -> bytes | None:
        context = {key: value() if isinstance(value, _Lazy) else value
                   for key, value in spec.context.items()}
        context.setdefault("description", self.language.description)
        context.setdefault("alternates", ())
        context.setdefault("og_type", "website")
        context.setdefault("og_image", self.default_preview)
        context.setdefault("preview_notice", "")
        self.page, self.listed = spec.path, [] if self.memory.layouts is not None else None
        try:
            html = self.env.get_template(spec.template).render(
                page_path=spec.path, page_title=spec.title, **context)
        except jinja2.TemplateSyntaxError as error:
            self.problems.append(Problem(
                Path(error.filename) if error.filename else None, error.lineno,
                f"template error: {error.message}", "check the {% %} and {{ }} tags on that line"))
            return None
        except jinja2.TemplateNotFound as error:
            self.problems.append(Problem(None, None, f"template {error.name!r} not found",
                                         "copy it from presskit's built-in theme into templates/"))
            return None
        except Exception as error:  # a template bug must still end in a readable message
            file, line = _template_frame(error)
            self.problems.append(Problem(
                file, line, f"template error while making {spec.path}: {error}",
                "check what this line of the template uses; an unknown name or key fails here"))
            return None
        finally:
            listed, self.page, self.listed = self.listed, None, None
        data = html.encode("utf-8")
        if listed and self.memory.layouts is not None:
            self.memory.layouts[spec.path] = placed.layout(html, data, listed)
        return data

    def specs(self) -> Iterator[PageSpec]:
        """Every page of the site (or those `only` names), kind by kind (see PAGE_KINDS); with
        `memory.shows`, noting there the releases each page shows."""
        self.prints.touched = [] if self.memory.shows is not None else None
        for kind in PAGE_KINDS:
            yield from kind(self)
        self.prints.touched = None

    def home(self) -> Iterator[PageSpec]:
        graph, prints = self.graph, self.prints
        if not self.makes(self.language.root):
            return
        everything = fingerprint(prints.releases(graph.releases),
                                 [(n.path, len(n.releases)) for n in graph.programmes],
                                 [prints.programme(n.programme) for n in graph.programmes],
                                 len(graph.countries), len(graph.partners), len(graph.topics),
                                 [y.year for y in graph.years],
                                 prints.releases(graph.upcoming_events[:3]))
        yield self.spec(self.language.root, "home.html", self.language.title, everything,
                        latest=graph.releases[:HOME_LATEST], graph=graph,
                        upcoming=graph.upcoming_events[:3],
                        json_ld=_Lazy(self.website_data))

    def paged(self, first: str, releases: Sequence[Release],
              ) -> Iterator[tuple[str, Sequence[Release], dict[str, Any]]]:
        """The pages of a list of releases (see paged_count) that this renderer makes, the
        newest first, as a reader goes: each one's address, releases and pagination."""
        if self._lists_made is not None and first not in self._lists_made:
            return  # (a card edit: most lists make no page, and their pages were named in vain)
        per_page = self.settings.releases_per_page
        count = paged_count(len(releases), per_page)
        for number in range(count, 0, -1):
            path = paged_path(first, number, count)
            if self.makes(path):
                yield path, paged_chunk(releases, number, count, per_page), _pagination(number, count, first)

    def numbered_page(self, path: str, name: str, releases: Sequence[Release],
                      pagination: dict[str, Any]) -> PageSpec:
        """A numbered page of a year's, country's, partner's, programme's or topic's list of
        releases (whose first page is named `name`): nothing that changes as releases come."""
        title = self._("%(name)s, page %(number)s") % {"name": name, "number": pagination["number"]}
        return self.spec(path, "releases_page.html", title,
                         (self.prints.releases(releases), sorted(pagination.items()), name),
                         name=name, releases=releases, pagination=pagination)

    def release_lists(self) -> Iterator[PageSpec]:
        graph, _ = self.graph, self._
        years = year_links(graph)
        for path, chunk, pagination in self.paged(paths.under(self.language.root, paths.RELEASES),
                                                  graph.releases):
            if pagination["first"]:
                yield self.spec(path, "releases.html", _("Releases"),
                                (self.prints.releases(chunk), sorted(pagination.items()),
                                 [(y.year, len(y.releases)) for y in graph.years], len(graph.releases)),
                                releases=chunk, pagination=pagination, total=len(graph.releases),
                                years=graph.years)
            else:  # nothing that changes as releases come: the page keeps its bytes
                yield self.spec(path, "releases.html",
                                _("Releases, page %(number)s") % {"number": pagination["number"]},
                                (self.prints.releases(chunk), sorted(pagination.items()), years),
                                releases=chunk, pagination=pagination, years=years)

    def releases(self) -> Iterator[PageSpec]:
        for release in self.chosen(self.graph.releases):
            yield self.release_spec(release)

    def list_pages(self, first: str, name: str, releases: Sequence[Release],
                   first_page: Callable[[Sequence[Release], dict[str, Any]], PageSpec]) -> Iterator[PageSpec]:
        """The pages of a year's or a term's list of releases that this renderer makes: its own
        (`first_page` of its newest releases and their pagination), then its numbered pages
        (see paged_count), named after it (`name`)."""
        for path, chunk, pagination in self.paged(first, releases):
            yield (first_page(chunk, pagination) if pagination["first"]
                   else self.numbered_page(path, name, chunk, pagination))

    def archives(self) -> Iterator[PageSpec]:
        years = year_links(self.graph)
        for year in self.graph.years:
            name = self._("Releases of %(year)s") % {"year": year.year}
            yield from self.list_pages(year.path, name, year.releases,
                                       functools.partial(self.year_page, year, name, years))

    def year_page(self, year: YearNode, name: str, years: list[YearLink], releases: Sequence[Release],
                  pagination: dict[str, Any]) -> PageSpec:
        return self.spec(year.path, "archive.html", name,
                         (self.prints.releases(releases), sorted(pagination.items()), len(year.releases),
                          years),
                         year=year, years=years, releases=releases, total=len(year.releases),
                         pagination=pagination)

    def countries(self) -> Iterator[PageSpec]:
        graph, _ = self.graph, self._
        yield from self.index_page(paths.COUNTRIES, "countries.html", _("Countries"),
                                   [(n.path, n.name, len(n.releases)) for n in graph.countries],
                                   countries=graph.countries)
        for country in graph.countries:
            yield from self.list_pages(country.path, country.name, country.releases,
                                       functools.partial(self.country_page, country))

    def country_page(self, country: CountryNode, releases: Sequence[Release],
                     pagination: dict[str, Any]) -> PageSpec:
        prints, text = self.prints, country.text
        body = self.body(text.body, text.body_line, text.source, country.path) if text else None
        return self.spec(country.path, "country.html", country.name,
                         (text.digest if text else None, prints.releases(releases),
                          sorted(pagination.items()), len(country.releases),
                          [prints.programme(p) for p in country.programmes],
                          [prints.partner(p) for p in country.partners]),
                         country=country, body_html=body.html if body else "",
                         releases=releases, total=len(country.releases), pagination=pagination,
                         description=(text.summary if text else "") or
                         self._("Press releases about %(name)s") % {"name": country.name},
                         feed_path=paths.feed(country.path))

    def partners(self) -> Iterator[PageSpec]:
        graph, prints = self.graph, self.prints
        yield from self.index_page(paths.PARTNERS, "partners.html", self._("Partners"),
                                   [(prints.partner(n.partner), len(n.releases)) for n in graph.partners],
                                   partners=graph.partners)
        for node in graph.partners:
            yield from self.list_pages(node.partner.path, node.partner.name, node.releases,
                                       functools.partial(self.partner_page, node))

    def partner_page(self, node: PartnerNode, releases: Sequence[Release],
                     pagination: dict[str, Any]) -> PageSpec:
        prints, partner = self.prints, node.partner
        body = self.body(partner.body, partner.body_line, partner.source, partner.path)
        return self.spec(partner.path, "partner.html", partner.name,
                         (prints.partner(partner), prints.releases(releases), sorted(pagination.items()),
                          len(node.releases), [prints.programme(p) for p in node.programmes],
                          [c.code for c in node.countries]),
                         node=node, partner=partner, body_html=body.html,
                         releases=releases, total=len(node.releases), pagination=pagination,
                         description=body.first_paragraph, feed_path=paths.feed(partner.path))

    def programmes(self) -> Iterator[PageSpec]:
        graph, prints = self.graph, self.prints
        yield from self.index_page(paths.PROGRAMMES, "programmes.html", self._("Programmes"),
                                   [(prints.programme(n.programme), len(n.releases))
                                    for n in graph.programmes], programmes=graph.programmes)
        for node in graph.programmes:
            yield from self.list_pages(node.programme.path, node.programme.title, node.releases,
                                       functools.partial(self.programme_page, node))

    def programme_page(self, node: ProgrammeNode, releases: Sequence[Release],
                       pagination: dict[str, Any]) -> PageSpec:
        programme = node.programme
        body = self.body(programme.body, programme.body_line, programme.source, programme.path)
        return self.spec(programme.path, "programme.html", programme.title,
                         (self.prints.programme(programme), self.prints.releases(releases),
                          sorted(pagination.items()), len(node.releases)),
                         node=node, programme=programme, body_html=body.html,
                         releases=releases, total=len(node.releases), pagination=pagination,
                         description=programme.summary or body.first_paragraph,
                         feed_path=paths.feed(programme.path))

    def topics(self) -> Iterator[PageSpec]:
        graph = self.graph
        yield from self.index_page(paths.TOPICS, "topics.html", self._("Topics"),
                                   [(t.path, t.name, len(t.releases)) for t in graph.topics],
                                   topics=graph.topics)
        for topic in graph.topics:
            yield from self.list_pages(topic.path, topic.name, topic.releases,
                                       functools.partial(self.topic_page, topic))

    def topic_page(self, topic: TopicNode, releases: Sequence[Release],
                   pagination: dict[str, Any]) -> PageSpec:
        text = topic.text
        body = self.body(text.body, text.body_line, text.source, topic.path) if text else None
        return self.spec(topic.path, "topic.html", topic.name,
                         (text.digest if text else None, self.prints.releases(releases),
                          sorted(pagination.items()), len(topic.releases)),
                         topic=topic, body_html=body.html if body else "",
                         releases=releases, total=len(topic.releases), pagination=pagination,
                         description=(text.summary if text else "") or
                         self._("Press releases on %(name)s") % {"name": topic.name},
                         feed_path=paths.feed(topic.path))

    def free_pages(self) -> Iterator[PageSpec]:
        for free_page in self.chosen(self.graph.pages):
            body = self.body(free_page.body, free_page.body_line, free_page.source, free_page.path)
            yield self.spec(free_page.path, "page.html", free_page.title, free_page.digest,
                            page=free_page, body_html=body.html,
                            description=free_page.summary or body.first_paragraph)

    def search_page(self) -> Iterator[PageSpec]:
        """The search page; its results come from the index (`search_index`) in the browser."""
        _ = self._
        if not self.makes(paths.under(self.language.root, paths.SEARCH)):
            return
        filters = [(key, _(label)) for key, label in SEARCH_FILTERS]
        yield self.spec(paths.under(self.language.root, paths.SEARCH), "search.html", _("Search"),
                        filters, filters=filters, plural_samples=_plural_samples(self.language.locale),
                        index_path=paths.under(self.language.root, "/" + search.DATA))

    def not_found(self) -> Iterator[PageSpec]:
        if not self.makes(paths.under(self.language.root, "/404.html")):
            return
        yield self.spec(paths.under(self.language.root, "/404.html"), "404.html",
                        self._("Page not found"), None)

    def release_spec(self, release: Release, alternates: tuple[Alternate, ...] = ()) -> PageSpec:
        prints, graph = self.prints, self.graph
        links = graph.links[release]
        contacts, notes = graph.contacts_of(release), graph.notes_for(release)
        shows = (prints.release(release), [(topic.name, topic.slug) for topic in links.topics],
                 [prints.release(r) if r else None for r in (links.previous, links.next)],
                 prints.releases(links.related), [prints.contact(c) for c in contacts],
                 [prints.partner(p) for p in notes])
        spec = self.spec(
            release.path, "release.html", release.title, shows,
            # Made only for a page rendered (most of a large site's are kept from the last build)
            release=release, body_html=_Lazy(lambda: _with_dateline(
                self.bodies[release].html, release.location, self.site.date(release.date),
                self.language.comma)), links=links,
            contacts=contacts, notes=notes,
            description=self.summary(release), og_type="article",
            og_image=self.link_preview(release),
            json_ld=_Lazy(lambda: self.news_article(release)), preview_notice=self.status(release),
        )
        return _with_alternates(spec, alternates) if alternates else spec

    def withdrawn_notices(self) -> Iterator[PageSpec]:
        """A withdrawn release keeps its address, as a notice: title, date and reason only."""
        for release in self.chosen(self.graph.withdrawn):
            yield self.spec(release.path, "withdrawn.html", release.title,
                            (release.digest, release.title, release.withdrawn),
                            release=release, description=release.withdrawn)

    def contacts_page(self) -> Iterator[PageSpec]:
        """Every media contact, grouped by organisation (none: no page)."""
        graph = self.graph
        if not graph.contacts or not self.makes(paths.under(self.language.root, paths.CONTACTS)):
            return
        groups: dict[str, list[Contact]] = {}
        for contact in graph.contacts:
            groups.setdefault(contact.organisation.name if contact.organisation else "", []).append(contact)
        yield self.spec(paths.under(self.language.root, paths.CONTACTS), "contacts.html",
                        self._("Media contacts"), [self.prints.contact(c) for c in graph.contacts],
                        groups=list(groups.items()))

    def events_page(self) -> Iterator[PageSpec]:
        """Upcoming and past events of media advisories (none: no page)."""
        graph, prints = self.graph, self.prints
        if not graph.events_page or not self.makes(paths.under(self.language.root, paths.EVENTS)):
            return
        yield self.spec(paths.under(self.language.root, paths.EVENTS), "events.html", self._("Events"),
                        (prints.releases(graph.upcoming_events), prints.releases(graph.past_events)),
                        upcoming=graph.upcoming_events, past=graph.past_events)

    def downloads(self) -> Iterator[OutputFile]:
        """Contacts' vCards and events' calendar files."""
        graph = self.graph
        if not graph.contacts and not graph.upcoming_events and not graph.past_events:
            return
        from presskit import cards  # icalendar and vobject take a tenth of a second to import
        for contact in graph.contacts:
            organisation = contact.organisation.name if contact.organisation else self.language.organisation
            yield OutputFile(paths.output_file(contact.card_path), cards.vcard(contact, organisation))
        for release in (*graph.upcoming_events, *graph.past_events):
            file = self.calendar_entry(release)
            if file is not None:
                yield file

    def calendar_entry(self, release: Release) -> OutputFile | None:
        """The calendar file (.ics) of a release's event."""
        from presskit import cards
        path = release.event_file
        data = self.memory.page(path, fingerprint(self.common, self.prints.release(release)),
                                lambda: cards.calendar_entry(release, self.site.absolute_url(release.path),
                                                             self.summary(release), self.language.title))
        return self.output(path, data)

    def pages(self, specs: list[PageSpec], before: int = 0, total: int = 0) -> Iterator[OutputFile]:
        """The files of these pages; `before` pages of `total` were made already (progress)."""
        made: dict[str, bytes | Spilled | None] = {}
        total = total or len(specs)
        if self.workers > 1:
            made = self.render_in_parallel([s for s in specs if not self.memory.knows(s.path, s.digest)],
                                           before, total)
        links = self.memory.links
        for number, spec in enumerate(specs, before + 1):
            if spec.path not in made and number % 32 == 0:
                self.memory.progress("Rendering pages", number, total)
            fresh = links is not None and not self.memory.knows(spec.path, spec.digest)
            data = self.memory.page(spec.path, spec.digest, lambda spec=spec: (
                made[spec.path] if spec.path in made else self.render_noted(spec)))
            if fresh and links is not None and data and _is_page(spec.path):
                targets = self.targets.pop(spec.path, None)
                links[spec.path] = (spec.digest, targets if targets is not None else link_targets(
                    data.read() if isinstance(data, Spilled) else data))
            file = self.output(spec.path, data)
            if file is not None:
                yield file

    def render_noted(self, spec: PageSpec) -> bytes | None:
        """A page rendered here, its link targets noted when the build notes them (before
        the page goes to the spill folder)."""
        data = self.render(spec)
        if data and self.memory.links is not None and _is_page(spec.path):
            self.targets[spec.path] = link_targets(data)
        return data

    def output(self, site_path: str, data: bytes | Spilled | None) -> OutputFile | None:
        """The file of a page: new bytes (in memory or in the spill folder), or the file the
        last build left in output/."""
        if data is None:
            return None
        file = paths.output_file(site_path)
        if isinstance(data, Spilled):
            return OutputFile(file, source=Path(data.file), spilled=True)
        if data is IN_OUTPUT:
            return OutputFile(file, source=self.settings.output_dir / file)
        return OutputFile(file, data)

    def render_bodies_in_parallel(self) -> None:
        """Markdown of every release not yet in memory, on all cores (a cold build)."""
        missing = {key: release for release in self.graph.releases
                   if (key := body_key(release)) not in self.memory.bodies}
        if len(missing) < PARALLEL_AT_LEAST:
            return
        global _WORKER, _WORKER_TEXTS
        _WORKER = self
        jobs = sorted(missing)
        _WORKER_TEXTS = [missing[key] for key in jobs]  # read in the workers, where not held
        with forks.pool(self.workers) as pool:
            bodies = pool.imap(_render_body, range(len(jobs)), chunksize=64)
            for done, (key, body) in enumerate(zip(jobs, bodies, strict=True), 1):
                self.memory.bodies[key] = body
                text = missing[key].text
                if text is not None:
                    text.forget()  # as each comes back, to make room for the next (see models.Text)
                if done % 64 == 0 or done == len(jobs):
                    self.memory.progress("Rendering texts", done, len(jobs))
        _WORKER, _WORKER_TEXTS = None, []

    def count_words_in_parallel(self) -> None:
        """The words of every body that has not had them counted (bodies rendered in an
        earlier build, read back from .presskit-cache), on all cores."""
        missing = [body for body in self.bodies.values() if not body.counted]
        if len(missing) < PARALLEL_AT_LEAST:
            return
        global _WORKER_BODIES
        _WORKER_BODIES = missing
        with forks.pool(self.workers) as pool:
            counted = pool.map(_count_words, range(len(missing)), chunksize=64)
        _WORKER_BODIES = []
        for body, words in zip(missing, counted, strict=True):
            body.words = words

    def render_in_parallel(self, specs: list[PageSpec], before: int = 0,
                           total: int = 0) -> dict[str, bytes | Spilled | None]:
        """Pages rendered on all cores; the same bytes as one by one, in a fraction of the time."""
        if len(specs) < PARALLEL_AT_LEAST:
            return {}
        global _WORKER, _WORKER_SPECS
        _WORKER, _WORKER_SPECS = self, specs
        chunks = _guided_chunks(len(specs), self.workers)
        made: dict[str, bytes | Spilled | None] = {}
        with forks.pool(self.workers) as pool:
            for results, problems, cards, layouts in pool.imap_unordered(_render_pages, chunks):
                for index, data, targets in results:
                    made[specs[index].path] = data
                    if targets is not None:  # shared again in this process (see link_targets)
                        self.targets[specs[index].path] = tuple(map(sys.intern, targets))
                self.problems.extend(problems)
                self.memory.add_fragments(cards)  # none when the workers put them in the store
                if layouts and self.memory.layouts is not None:
                    self.memory.layouts.update(layouts)
                self.memory.progress("Rendering pages", before + len(made), total or len(specs))
        _WORKER, _WORKER_SPECS = None, []
        return made

    def news_article(self, release: Release) -> dict[str, Any]:
        site = self.site
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": release.title,
            "datePublished": release.date.isoformat(),
            "dateModified": release.modified.isoformat(),
            "url": site.absolute_url(release.path),
            "mainEntityOfPage": site.absolute_url(release.path),
            "inLanguage": release.lang or self.language.code,
            "description": self.summary(release),
            "publisher": self.organisation_data(),
            "author": self.organisation_data(),
        }
        if release.photos:
            data["image"] = [site.absolute_url(photo.asset.path) for photo in release.photos]
        if release.location:
            data["dateline"] = release.location
        if release.countries:
            data["contentLocation"] = [{"@type": "Country", "name": c.name}
                                       for c in release.countries]
        if release.topics:
            data["keywords"] = list(release.topics)
        if release.event:
            data["about"] = self.event_data(release)
        return data

    def event_data(self, release: Release) -> dict[str, Any]:
        """A media advisory's event as schema.org has it."""
        event = release.event
        assert event is not None
        moment = (lambda when: when.isoformat()) if event.has_time else (lambda when: when.date().isoformat())
        data: dict[str, Any] = {"@type": "Event", "name": release.title,
                                "startDate": moment(event.start),
                                "eventStatus": "https://schema.org/EventScheduled",
                                "url": self.site.absolute_url(release.path),
                                "organizer": self.organisation_data()}
        if event.end:
            data["endDate"] = moment(event.end)
        places: list[dict[str, Any]] = []
        if event.venue or event.address:
            places.append({"@type": "Place", "name": event.venue or event.address,
                           **({"address": event.address} if event.address else {})})
        if event.online:
            places.append({"@type": "VirtualLocation", "url": event.online})
        if places:
            data["location"] = places[0] if len(places) == 1 else places
            data["eventAttendanceMode"] = (
                "https://schema.org/MixedEventAttendanceMode" if len(places) > 1 else
                "https://schema.org/OnlineEventAttendanceMode" if event.online else
                "https://schema.org/OfflineEventAttendanceMode")
        return data

    def website_data(self) -> list[dict[str, Any]]:
        """The home page's structured data: the site, with its search, and its organisation."""
        site = self.site
        return [{"@context": "https://schema.org", "@type": "WebSite",
                 "name": self.language.title, "url": site.absolute_url(self.language.root),
                 "inLanguage": self.language.code,
                 "publisher": self.organisation_data(),
                 "potentialAction": {
                     "@type": "SearchAction",
                     "target": site.absolute_url(paths.under(self.language.root, paths.SEARCH)) + "?q={q}",
                     "query-input": "required name=q"}},
                {"@context": "https://schema.org", **self.organisation_data()}]

    def organisation_data(self) -> dict[str, Any]:
        """The site's organisation as schema.org has it: publisher and author of its releases."""
        data: dict[str, Any] = {"@type": "Organization",
                                "name": self.language.organisation or self.language.title,
                                "url": self.settings.base_url}
        if self.settings.logo:
            data["logo"] = {"@type": "ImageObject", "url": self.site.absolute_url(self.settings.logo)}
        return data

    def search_index(self) -> Iterator[OutputFile]:
        """This language's search index (see presskit.search): its published releases only."""
        graph = self.graph
        if self.workers > 1:
            self.count_words_in_parallel()
        numbers, releases, order, newest = search.numbered(graph.releases)
        entries = _Entries(releases, self.search_entry)
        keys = [self.search_key(release) for release in releases]
        folder = search_folder(self.language.root)
        filters = self.search_filters()
        names = self.search_names()
        written = self.memory.written
        index: dict[str, bytes | Spilled | None] | None = None
        if written is not None:  # update the index the last build wrote: quicker, the same bytes
            index = search.index_from(lambda name: written.read(folder + name), entries, filters, names,
                                      written.cards.get(self.language.code, b""), keys, numbers, order,
                                      newest)
        if index is None:  # made by the workers, which put the cards into the spill folder if any
            spill = self.memory.spill
            index = dict(search.build_index(entries, filters, names, self.workers, numbers, order, newest,
                                            spill.put if spill is not None else None))
        self.memory.search_cards[self.language.code] = b"".join(keys)
        kept_in = f"{written.folder}/" if written is not None and written.folder is not None else None
        for name, data in index.items():
            path = folder + name
            if isinstance(data, Spilled):
                yield OutputFile(path, source=Path(data.file), spilled=True)
            elif data is not None:
                yield OutputFile(path, data)
            elif kept_in is not None:  # left as it is
                if not written.unnamed_kept:
                    yield OutputFile(path, source=pickled.made_path(kept_in + path))
            elif written is not None and written.served is not None and path in written.served:
                yield written.served[path]  # as served, in memory or in the kept preview
            elif written is not None:
                yield OutputFile(path, written.read(path))

    def search_filters(self) -> list[search.Filter]:
        """Each filter's values, with the releases of each (their places by date, 0 the oldest)."""
        graph, _ = self.graph, self._
        place = {release: at for at, release in enumerate(reversed(graph.releases))}

        def of(releases: Iterable[Release]) -> list[int]:
            return [place[r] for r in releases]

        types: dict[str, list[int]] = {}
        for release in graph.releases:
            types.setdefault(release.type, []).append(place[release])
        return [
            search.Filter("country", [(n.country.code.lower(), n.name, of(n.releases))
                                      for n in graph.countries]),
            search.Filter("partner", [(n.partner.id, n.name, of(n.releases)) for n in graph.partners]),
            search.Filter("programme", [(n.programme.id, n.name, of(n.releases)) for n in graph.programmes]),
            search.Filter("topic", [(n.slug, n.name, of(n.releases)) for n in graph.topics]),
            search.Filter("type", [(kind, _(RELEASE_TYPES[kind]), found) for kind, found in types.items()]),
            search.Filter("year", [(str(y.year), str(y.year), of(y.releases)) for y in graph.years]),
        ]

    def search_names(self) -> list[search.Name]:
        """What the search finds by name besides releases, each with its other names."""
        graph, _, url = self.graph, self._, self.site.url
        return [
            *(search.Name(_("Country"), n.name, (), url(n.path)) for n in graph.countries),
            *(search.Name(_("Partner"), n.partner.name, (n.partner.short_name, *n.partner.aliases),
                          url(n.path)) for n in graph.partners),
            *(search.Name(_("Programme"), n.programme.title,
                          (n.programme.short_name, *n.programme.aliases), url(n.path))
              for n in graph.programmes),
            *(search.Name(_("Topic"), n.name, n.text.aliases if n.text else (), url(n.path))
              for n in graph.topics),
            *(search.Name(_("Page"), p.title, (), url(p.path)) for p in graph.pages),
        ]

    def search_key(self, release: Release) -> bytes:
        """A digest of all a release's search entry is made of (see search.ENTRY_KEY_SIZE): its
        fingerprint and the site's settings and templates."""
        return hashlib.blake2b(f"{search.FORMAT} {self.common} {self.prints.release(release)}".encode(),
                               digest_size=search.ENTRY_KEY_SIZE).digest()

    def search_entry(self, release: Release) -> search.Entry:
        """Its entry in the search index; in a preview, the one made for it before while its
        key is the same (the entry keeps its card and words)."""
        kept = self.memory.search_entries
        if kept is None:
            return self._search_entry(release)
        slot, key = (str(release.source), self.language.code), self.search_key(release)
        found = kept.get(slot)
        if found is None or found[0] != key:
            found = kept[slot] = (key, self._search_entry(release))
        return found[1]

    def _search_entry(self, release: Release) -> search.Entry:
        return search.Entry(
            self.site.url(release.path), release.title, release.subtitle, self._(release.type_label),
            release.location, self.site.date(release.date), search.body_words(self.bodies[release]),
            " ".join(f"{p.caption} {p.credit}" for p in release.photos))

    def feeds(self) -> Iterator[OutputFile]:
        limit = self.settings.feed_entries
        for index_path, title, releases in feed_indexes(self.graph):
            file = self.feed(index_path, title, releases[:limit])
            if file is not None:
                yield file
        self._feed_entries.clear()  # (each its release's whole text: not held past the feeds)

    def feed(self, index_path: str, title: str, latest: Sequence[Release]) -> OutputFile | None:
        """The Atom feed of one page, with its latest releases."""

        def make() -> bytes:
            self.kept_texts([release for release in latest if release not in self._feed_entries])
            return feeds.atom_feed(
                title=title,
                feed_url=self.site.absolute_url(paths.feed(index_path)),
                page_url=self.site.absolute_url(index_path),
                author=self.language.organisation or self.language.title,
                entries=[self.feed_entry(release) for release in latest],
                updated=max((release.modified for release in latest), default=None),
                language=self.language.code,
            )

        feed_path = paths.feed(index_path)
        digest = fingerprint(self.common, feed_path, title, self.prints.releases(latest))
        return self.output(feed_path, self.memory.page(feed_path, digest, make))

    def feed_entry(self, release: Release) -> str:
        """A release's entry in the feeds (the same in each that carries it: made once)."""
        found = self._feed_entries.get(release)
        if found is None:
            url = self.site.absolute_url(release.path)
            found = self._feed_entries[release] = feeds.feed_entry(
                release, url, self.summary(release), self.bodies[release].html)
        return found

    def list_modified(self, path: str) -> datetime | None:
        """When a page of a list (the home page, a term's, a year's, each numbered page) last
        changed, for the sitemap: on the date of the newest release it shows (a release's page
        changed when the release did: its `modified`); None for a page that is not one. A
        numbered page keeps its releases as new ones come (see paged_count), and its date with
        them: a crawler sees that an archive's old pages have not changed. (Each page's date
        alone: a move makes the entries of a few dozen pages of 22,000.)"""
        graph = self.graph
        if path == graph.language.root:
            return graph.releases[0].date if graph.releases else None
        if self._lists is None:
            self._lists = {first: releases for first, releases, _ in paged_lists(graph)}
        per_page = self.settings.releases_per_page
        releases = self._lists.get(path)
        if releases is not None:
            return releases[0].date if releases else None
        numbered = paths.numbered_page(path)
        releases = self._lists.get(numbered[0]) if numbered is not None else None
        if numbered is None or releases is None:
            return None
        number = numbered[1]
        count = paged_count(len(releases), per_page)
        shown = paged_chunk(releases, number, count, per_page) if number < count else ()
        return shown[0].date if shown else None

    def theme_assets(self) -> Iterator[OutputFile]:
        """Theme files: assets/ of the theme folders, the site's own first."""
        seen: set[str] = set()
        for theme_dir in theme_dirs(self.settings):
            folder = theme_dir / "assets"
            if not folder.is_dir():
                continue
            for file in sorted(folder.rglob("*")):
                relative = "assets/" + file.relative_to(folder).as_posix()
                if file.is_file() and relative not in seen and not file.name.startswith("."):
                    seen.add(relative)
                    yield OutputFile(relative, source=file)

    def assets(self) -> Iterator[OutputFile]:
        """The files this language's pages publish: media, photos, logos, files beside a text.
        A photo or raster image whose published copy is made (see presskit.media) is left to it."""
        for asset in self.graph.assets:
            if asset.path in self.media.files or self.media.published(asset.source, asset.path):
                continue
            yield OutputFile(paths.output_file(asset.path), source=asset.source)
        for asset in self.body_files():
            if not self.media.published(asset.source, asset.path):
                yield OutputFile(paths.output_file(asset.path), source=asset.source)

    def body_files(self) -> Iterator[Asset]:
        """Files that a body links to by a relative path and that sit next to its .md file."""
        for page in self.body_links:
            folder = page.source.parent
            for link in page.links:
                target = link.target.split("#", 1)[0].split("?", 1)[0]
                if not target or ":" in target or target.startswith(("/", "../")):
                    continue
                file = folder / target
                if file.is_file() and file.suffix != ".md":
                    yield Asset(file, page.page_path + target)


# Parallel rendering: a forked worker process finds the renderer here (fork copies it).
PARALLEL_AT_LEAST = 200
_WORKER: _Renderer | None = None
_WORKER_SPECS: list[PageSpec] = []
_WORKER_BODIES: list[RenderedBody] = []
_WORKER_TEXTS: list[Release] = []  # whose texts the workers render (see render_bodies_in_parallel)


def _render_body(index: int) -> RenderedBody:
    assert _WORKER is not None
    release = _WORKER_TEXTS[index]
    body = _WORKER.markdown.render(release.body, release.body_line)
    search.body_words(body)  # here, on every core, rather than one by one for the index
    return PackedBody.of(body)  # held packed to the build's end (see PackedBody)


def _count_words(index: int) -> tuple[str, dict[str, int]]:
    return search.text_and_words(_WORKER_BODIES[index].html)


def _is_page(site_path: str) -> bool:
    """Whether a site path is written as an HTML page (whose links `check` looks at)."""
    return site_path.endswith(("/", ".html"))


_Made = tuple[int, bytes | Spilled | None, tuple[str, ...] | None]  # a page's index, bytes, targets


def _guided_chunks(count: int, workers: int, largest: int = 32) -> list[list[int]]:
    """The numbers of `count` pages in order, in chunks for `workers` processes: up to
    `largest` pages each, then fewer as fewer are left (a chunk is at most an eighth of a
    worker's share of what is left), so that no process ends long after the others. The pages
    that list many releases (archives, countries, topics) come last in a site's order: after
    an edit, a process given two of those chunks whole took twice as long as the other."""
    chunks, start = [], 0
    while start < count:
        size = max(1, min(largest, (count - start) // (workers * 8)))
        chunks.append(list(range(start, min(start + size, count))))
        start += size
    return chunks


def _render_pages(indices: list[int]) -> tuple[list[_Made], list[Problem],
                                               list[tuple[Slot, tuple[str, Any]]], dict[str, placed.Layout]]:
    """Pages rendered in a worker (written into the spill folder when the build has one:
    their file names cross back, not their bytes), with their link targets when the build
    notes them, the problems met, the cards it rendered (for the lists the parent renders,
    and for the next build) and where they lie in the pages (see presskit.placed)."""
    assert _WORKER is not None
    before = len(_WORKER.problems)
    memory = _WORKER.memory
    memory.made_fragments = []
    if memory.layouts is not None:
        memory.layouts = {}
    results = []
    for index in indices:
        spec = _WORKER_SPECS[index]
        data = _WORKER.render(spec)
        noted = memory.links is not None and data and _is_page(spec.path)
        targets = link_targets(data) if noted and data else None
        if targets is not None and not memory.writes_cache:
            data = b" "  # `check`: its links are all it needs of a page (30 MB not sent back)
        results.append((index, memory.spill.put(data) if memory.spill and data else data, targets))
    cards = [(slot, memory.fragments[slot]) for slot in memory.made_fragments]
    layouts = memory.layouts or {}
    if memory.fragment_sink is not None:  # the worker puts its cards in the store itself
        memory.fragment_sink(cards, layouts)
        cards, layouts = [], {}
        if len(memory.fragments) > WORKER_CARDS:  # and keeps the latest: others are read again
            memory.fragments = dict(list(memory.fragments.items())[-WORKER_CARDS // 2:])
            if memory.kept_fragments is not None:
                memory.kept_fragments.ask_again()
    return results, _WORKER.problems[before:], cards, layouts


WORKER_CARDS = 20_000  # cards a rendering worker holds at most, when they go to the store


def feed_indexes(graph: SiteGraph) -> list[tuple[str, str, Sequence[Release]]]:
    """Every page of a language that has a feed: its path, the feed's title, its releases
    (newest first)."""
    title = graph.language.title
    return [
        (graph.language.root, title, graph.releases),
        *((n.path, f"{title}: {n.name}", n.releases) for n in graph.countries),
        *((n.path, f"{title}: {n.name}", n.releases) for n in graph.partners),
        *((n.path, f"{title}: {n.name}", n.releases) for n in graph.programmes),
        *((n.path, f"{title}: {n.name}", n.releases) for n in graph.topics),
    ]



def _with_dateline(body_html: str, location: str, date: str, comma: str = ", ") -> str:
    """The body with its dateline run into the first paragraph, as wire copy has it:
    "HANOI, Viet Nam, 6 June 2023 – The first sentence..." (the place's first part in capitals;
    Arabic script's comma where the language writes it)."""
    place, _, rest = location.replace("،", ",").partition(",")
    where = comma.join(part for part in (place.strip().upper(), rest.strip()) if part)
    lead = markupsafe.escape(f"{where}{comma}{date}" if where else date)
    dateline = f'<span class="dateline-lead">{lead} –</span> '
    if body_html.startswith("<p>"):
        return f"<p>{dateline}{body_html[3:]}"
    return f'<p class="dateline-lead-alone">{dateline.strip()}</p>\n{body_html}'

# One producer per kind of page, in the order the site is made: a new kind (search, events)
# is one more method and one more entry here.
PAGE_KINDS = (_Renderer.home, _Renderer.release_lists, _Renderer.releases, _Renderer.withdrawn_notices,
              _Renderer.archives, _Renderer.countries, _Renderer.partners, _Renderer.programmes,
              _Renderer.topics, _Renderer.contacts_page, _Renderer.events_page, _Renderer.free_pages,
              _Renderer.search_page, _Renderer.not_found)

# The search page's filters: the key in its address and the label, a catalog key.
SEARCH_FILTERS = (("country", N_("Country")), ("partner", N_("Partner")),
                  ("programme", N_("Programme")), ("topic", N_("Topic")), ("type", N_("Type")),
                  ("year", N_("Year")))


def render_releases(settings: Settings, graph: SiteGraph, memory: BuildMemory, preview: bool,
                    releases: Sequence[Release],
                    feeds: Sequence[tuple[str, str, Sequence[Release]]],
                    alternates: dict[Release, tuple[Alternate, ...]] | None = None,
                    searched: SearchEdit | None = None, removed: list[str] | None = None) -> list[OutputFile]:
    """Only the pages of these releases and these feeds (index path, title, latest releases),
    all of one language, from a graph that holds just what they show, and the files of the
    search index that change with their words (`searched`; the shards left with no word are
    added to `removed`); BuildFailed on a template problem, LookupError when the search index
    cannot be updated."""
    renderer = _Renderer(settings, graph, memory, preview)
    files = []
    for release in releases:
        spec = renderer.release_spec(release, (alternates or {}).get(release, ()))
        file = renderer.output(spec.path, memory.page(spec.path, spec.digest,
                                                      lambda spec=spec: renderer.render(spec)))
        if file is not None:
            files.append(file)
    for index_path, title, latest in feeds:
        feed = renderer.feed(index_path, title, latest)
        if feed is not None:
            files.append(feed)
    if renderer.problems:
        raise BuildFailed(_once_per_line(renderer.problems))
    if searched is not None:
        files += _search_updated(renderer, releases, searched, removed)
    return files


def make_search_entries(settings: Settings, newsroom: Newsroom, memory: BuildMemory,
                        prints: Sequence[dict[object, str]], busy: Callable[[], bool]) -> bool:
    """Make the search entry of every published release that memory does not hold under its
    key, with its card and weights, one release at a time until `busy` says to stop; True
    once every entry is made. For a preview after a start that took back what the last one
    learned (which leaves the entries out): the first index it makes whole (many releases
    changed at once, or a year given more releases than its width has room for) then makes none in a save's
    wake. `prints`: each language's fingerprints of what did not change
    (RenderedSite.prints), used and added to."""
    if memory.search_entries is None:
        return True
    for number, graph in enumerate(newsroom.graphs):
        renderer = _Renderer(settings, graph, memory, preview=True, only=set())
        if number < len(prints):
            renderer.prints.seen = prints[number]
        for release in graph.releases:
            if busy():
                return False
            renderer.search_entry(release).packed()
    return True


def render_shown(settings: Settings, newsroom: Newsroom, memory: BuildMemory, preview: bool,
                 pages: set[str], releases: Sequence[Release],
                 alternates: Mapping[str, tuple[Alternate, ...]], searched: dict[str, SearchEdit],
                 prints: Sequence[dict[object, str]] = (), card_keys: Sequence[CardKeys] = (), *,
                 feeds_too: frozenset[str] = frozenset(), whole_search: frozenset[str] = frozenset(),
                 sitemap: Sequence[str] | None = None, sitemap_kept: KeptSitemap | None = None,
                 workers: int = 1) -> tuple[list[OutputFile], list[str], list[str]]:
    """What a card edit makes again (see presskit.retouch), in every language: the pages at
    `pages` (those that show the edited `releases`), the feeds and calendar files that carry
    those releases, and the files of the search index that change with them (`searched`, by
    language). `alternates`: each page's versions, as the full build linked them. Says the
    files, the site paths of the pages, feeds and calendar files made, and the files to remove
    (search shards left with no word or entry). BuildFailed on a template problem, LookupError when the
    search index cannot be updated. `prints` and `card_keys`: each language's fingerprints of
    what did not change and the keys of its cards (RenderedSite.prints, .card_keys), used and
    added to.

    A release that moved among its neighbours (a new date) also changes the feeds it left
    (`feeds_too`, by the path of the page each is the feed of), the order of its language's
    search index (`whole_search`, by language: made whole, from the one `memory.written`
    holds) and the sitemap (`sitemap`: the files of every page of the site, in order; with
    `sitemap_kept`, the entries of the pages not made again are those of the last one).

    With `workers`, many pages (a list of all releases shifted by one added or deleted) are
    rendered on that many processes (forked: never from the preview, which runs threads)."""
    edited = set(releases)
    limit = settings.feed_entries
    files: list[OutputFile] = []
    made: list[str] = []
    removed: list[str] = []
    renderers = []
    for number, graph in enumerate(newsroom.graphs):
        renderer = _Renderer(settings, graph, memory, preview, workers, only=pages)
        renderers.append(renderer)
        if number < len(prints):
            renderer.prints.seen = prints[number]
        if number < len(card_keys):
            renderer.card_keys = card_keys[number]
        specs = [_with_alternates(spec, alternates[spec.path]) if spec.path in alternates else spec
                 for spec in renderer.specs()]
        files += [file for file in renderer.pages(specs) if not file.left_in(settings.output_dir)]
        made += [spec.path for spec in specs]
        for index_path, title, latest in feed_indexes(graph):
            if index_path in feeds_too or not edited.isdisjoint(latest[:limit]):
                made.append(paths.feed(index_path))
                feed = renderer.feed(index_path, title, latest[:limit])
                if feed is not None:
                    files.append(feed)
        own = [release for release in releases if release.lang == graph.language.code]
        for release in own:
            entry = renderer.calendar_entry(release) if release.event else None
            if entry is not None:
                made.append(release.event_file)
                files.append(entry)
        if renderer.problems:
            raise BuildFailed(_once_per_line(renderer.problems))
        if graph.language.code in whole_search:
            served = memory.written.served if memory.written is not None else None
            whole = list(renderer.search_index())
            files += [file for file in whole  # not those kept
                      if served is None or file is not served.get(file.path)]
            if served is not None:  # and those it no longer has (a release deleted: its words)
                folder = search_folder(graph.language.root)
                now = {file.path for file in whole}
                removed += [path for path in served if path.startswith(folder) and path not in now]
        elif own and graph.language.code in searched:
            files += _search_updated(renderer, own, searched[graph.language.code], removed)
    if sitemap is not None:
        maps, named = _sitemap(renderers, sitemap, alternates, sitemap_kept)
        files += maps
        made += named
        removed += _sitemap_parts_gone(memory.written, named)
    return files, made, removed


class _Entries(Sequence[search.Entry]):
    """The search entries of releases (in index order), each made when asked for, and not
    kept: an index updated from the last one asks for those of the releases that changed; a
    cold build's workers make each once (holding them all, each its text and words, took a
    worker to the largest memory of the build)."""

    def __init__(self, releases: Sequence[Release], make: Callable[[Release], search.Entry]) -> None:
        self.releases, self.make = releases, make

    def __len__(self) -> int:
        return len(self.releases)

    @overload
    def __getitem__(self, number: int) -> search.Entry: ...

    @overload
    def __getitem__(self, number: slice) -> Sequence[search.Entry]: ...

    def __getitem__(self, number: int | slice) -> search.Entry | Sequence[search.Entry]:
        if isinstance(number, slice):
            return [self[at] for at in range(*number.indices(len(self)))]
        return self.make(self.releases[number])


@dataclass(frozen=True)
class SearchEdit:
    """What updating a language's search index needs: each edited release's place in it (in
    the order of its numbers, see search.numbered), and the files of the site as written (a
    path inside output/ -> its bytes, or None)."""

    places: dict[Release, int]
    read: Callable[[str], bytes | None]


def _search_updated(renderer: _Renderer, releases: Sequence[Release], searched: SearchEdit,
                    removed: list[str] | None = None) -> list[OutputFile]:
    """The files of the search index that change with these releases; the shards left with no
    word are added to `removed` (without it, LookupError: the full build removes them)."""
    folder = search_folder(renderer.language.root)
    edited = {}
    for release in releases:
        place = searched.places.get(release)
        if place is None:
            raise LookupError(release.path)
        edited[place] = renderer.search_entry(release)
    files = search.edited_index(lambda name: searched.read(folder + name), edited)
    if files is None:  # not readable, or a place holds another release
        raise LookupError(folder)
    emptied = search.emptied_shards(files)
    if emptied and removed is None:
        raise LookupError(folder)
    if removed is not None:
        removed += [folder + name for name in emptied]
    return [OutputFile(folder + name, data) for name, data in files.items() if name not in emptied]


def render_site(settings: Settings, newsroom: Newsroom, memory: BuildMemory | None = None,
                preview: bool = False, workers: int = 1, search: bool = True,
                sitemap: bool = True, later: bool = False) -> RenderedSite:
    """Every file of the built site, in every language, or BuildFailed with every template
    problem.

    With the memory of an earlier build, a page whose fingerprint has not changed is not
    rendered again. A preview (for `serve`) marks drafts and embargoed releases. With more
    than one worker, a large build renders on that many processes (forked: never from a
    process that runs threads, such as the preview). Without `search`, the search index is
    not made (`check`: no page links to its files); without `sitemap`, the sitemap is named
    but not made (`check` looks for its name alone: 0.14 s at 10,000 releases). With
    `later`, the site returned lacks its search index and sitemap, and its `later()` makes
    them and gives the whole site, the same files in the same order (the preview serves the
    pages first: see made_later_paths).
    """
    memory = memory or BuildMemory()
    if search:
        memory.search_cards = {}  # each language's, as made below
    media = Media(settings.site_dir, settings.keep_photo_location, memory.media, memory.writes_cache)
    renderers = [_Renderer(settings, graph, memory, preview, workers, media) for graph in newsroom.graphs]
    specs = [list(renderer.specs()) for renderer in renderers]
    alternates: dict[str, tuple[Alternate, ...]] = {}
    if len(renderers) > 1:
        specs, alternates = _languages_linked(newsroom, specs)
    total = sum(len(own) for own in specs)
    starts = [sum(len(own) for own in specs[:number]) for number in range(len(specs))]
    pages = [file for renderer, own, before in zip(renderers, specs, starts, strict=True)
             for file in renderer.pages(own, before, total)]
    del specs  # each page's context, let go before the search index's workers fork: 0.1 GB at 50,000 releases
    problems = [problem for renderer in renderers for problem in renderer.problems]
    if problems:
        raise BuildFailed(_once_per_line(problems))
    first = [*pages, *(file for renderer in renderers for file in renderer.feeds()),
             *(file for renderer in renderers for file in renderer.downloads())]

    def made_last() -> list[OutputFile]:
        return [*(file for renderer in renderers if search for file in renderer.search_index()),
                *(_sitemap(renderers, [file.path for file in pages], alternates)[0] if sitemap
                  else _sitemap_named(renderers[0]))]

    last = [] if later else made_last()
    rest = [*renderers[0].theme_assets(), *(file for renderer in renderers for file in renderer.assets())]
    rest += [OutputFile(path, source=made) for path, made in media.outputs()]

    # One dict for the site and the whole site `later` makes of it: its let_go_of_bodies lets
    # go of them all (a second dict held 0.1 GB of texts at 50,000 releases past it).
    bodies = {r: body for renderer in renderers for r, body in renderer.bodies.items()}

    def site(files: Iterable[OutputFile], then: Callable[[], RenderedSite] | None = None) -> RenderedSite:
        unique: dict[str, OutputFile] = {}
        for file in files:
            unique.setdefault(file.path, file)
        return RenderedSite(tuple(unique.values()),
                            tuple(links for renderer in renderers for links in renderer.body_links),
                            bodies, alternates, media, tuple(renderer.prints.seen for renderer in renderers),
                            tuple(renderer.card_keys for renderer in renderers),
                            tuple(file.path for file in pages), then,
                            tuple(renderer.bodies for renderer in renderers))

    if later:
        memory.keep_page("/sitemap.xml")  # its last bytes are kept for it, though this build ends first
        return site([*first, *rest], lambda: site([*first, *made_last(), *rest]))
    return site([*first, *last, *rest])


def made_later_paths(newsroom: Newsroom) -> tuple[str, ...]:
    """The files `later` makes and the folders they are in (paths in output/)."""
    return ("sitemap.xml", feeds.SITEMAP_PARTS.lstrip("/"), "robots.txt",
            *(search_folder(graph.language.root) for graph in newsroom.graphs))


def search_folder(root: str) -> str:
    """Where the search index of the language whose pages start at `root` is, in output/."""
    return paths.under(root, "/" + search.DATA).lstrip("/")


# A list of releases, newest first (a language's list of all releases, a year's, a country's,
# partner's, programme's or topic's), is paged from its oldest release: page 1
# (/releases/page/1/, /countries/viet-nam/page/1/) holds the first `per_page` ever published,
# page 2 the next, and the first page (/releases/, /countries/viet-nam/) the newest: `per_page`
# to 2 × `per_page` - 1 of them (all, when there are fewer). So a numbered page keeps its
# address and its releases as new ones come: a release added or deleted changes the first
# pages of its lists alone, and every `per_page` releases a list's newest numbered page comes
# or goes, not every page of the list (and every file a deploy uploads).


def paged_count(length: int, per_page: int) -> int:
    """How many pages a list of `length` releases has, its first page included (one, when it
    has none): the first page is the last of them, the numbered pages come before it."""
    return max(1, length // per_page)


def paged_path(first: str, number: int, count: int) -> str:
    """The address of page `number` of a list of `count` pages whose first page is `first`."""
    return first if number == count else paths.page_of(first, number)


def paged_chunk(releases: Sequence[Release], number: int, count: int, per_page: int) -> Sequence[Release]:
    """The releases (newest first) that page `number` of a list of `count` pages shows."""
    end = len(releases) - (number - 1) * per_page
    return releases[:end] if number == count else releases[end - per_page:end]


def paged_lists(graph: SiteGraph) -> Iterator[tuple[str, Sequence[Release], tuple[object, ...]]]:
    """Every paged list of a language's releases: its first page's address, its releases and
    what else its first page shows that changes with them (/releases/ counts each year's)."""
    yield (paths.under(graph.language.root, paths.RELEASES), graph.releases,
           tuple((y.year, len(y.releases)) for y in graph.years))
    for nodes in (graph.years, graph.countries, graph.partners, graph.programmes, graph.topics):
        for node in nodes:
            yield node.path, node.releases, ()


def paged_shown(first: str, releases: Sequence[Release], per_page: int,
                also: tuple[object, ...] = ()) -> dict[str, tuple[object, ...]]:
    """What each page of a list of releases shows, by address: its releases, its links to the
    pages beside it and, on its first page, how many releases it has and `also`. Two of these,
    before and after an edit, differ at the pages it changes."""
    count = paged_count(len(releases), per_page)
    shown: dict[str, tuple[object, ...]] = {}
    for number in range(1, count + 1):
        shown[paged_path(first, number, count)] = (tuple(paged_chunk(releases, number, count, per_page)),
                                                    tuple(_pagination(number, count, first).items()))
    shown[first] += (len(releases), also)
    return shown


@dataclass(frozen=True)
class YearLink:
    """A year as the pages that link it, but do not count its releases, see it."""

    year: int
    path: str

    @property
    def name(self) -> str:
        return str(self.year)


def year_links(graph: SiteGraph) -> list[YearLink]:
    return [YearLink(year.year, year.path) for year in graph.years]


def _languages_linked(newsroom: Newsroom, spec_lists: list[list[PageSpec]]) -> tuple[
        list[list[PageSpec]], dict[str, tuple[Alternate, ...]]]:
    """Every page with its versions in the other languages: a release's published twin, else
    the page at the same place in that language's layout, if that language has it."""
    languages = [graph.language for graph in newsroom.graphs]
    existing = [{spec.path for spec in specs} for specs in spec_lists]
    versions = newsroom.versions()
    linked: list[list[PageSpec]] = []
    by_path: dict[str, tuple[Alternate, ...]] = {}
    for language, specs in zip(languages, spec_lists, strict=True):
        made = []
        for spec in specs:
            release = spec.context.get("release") if spec.template == "release.html" else None
            alternates = _alternates(spec.path, release, language, languages, existing, versions)
            by_path[spec.path] = alternates
            made.append(_with_alternates(spec, alternates))
        linked.append(made)
    return linked, by_path


def list_page_alternates(newsroom: Newsroom, place: str, number: int, per_page: int,
                         ) -> dict[str, tuple[Alternate, ...]]:
    """Numbered page `number` of a list of releases (its first page's address under a
    language's root, `place`: /releases/, /countries/viet-nam/) in each language that has it,
    with its versions, as a build links them (see _languages_linked)."""
    languages = [graph.language for graph in newsroom.graphs]
    existing = []
    for graph in newsroom.graphs:
        first = paths.under(graph.language.root, place)
        releases = next((releases for path, releases, _ in paged_lists(graph) if path == first), ())
        has = number < paged_count(len(releases), per_page)
        existing.append({paths.page_of(first, number)} if has else set())
    return {path: _alternates(path, None, language, languages, existing, {})
            for language, found in zip(languages, existing, strict=True) for path in found}


def release_alternates(newsroom: Newsroom, release: Release) -> tuple[Alternate, ...]:
    """A release page's versions in each language of a site of several, as a build links
    them (see _languages_linked)."""
    languages = [graph.language for graph in newsroom.graphs]
    versions = {release.key: {other.lang: other for other in newsroom.by_key.get(release.key, ())}}
    return _alternates(release.path, release, newsroom.graph_of(release).language, languages,
                       [set() for _ in languages], versions)


def _alternates(path: str, release: Release | None, language: Language, languages: list[Language],
                existing: list[set[str]], versions: dict[str, dict[str, Release]]) -> tuple[Alternate, ...]:
    """A page's versions: a release's published twin in each other language, else the page at
    the same place in that language's layout, if that language has it (`existing`)."""
    found = []
    for other, paths_there in zip(languages, existing, strict=True):
        if other is language:
            found.append(Alternate(other, path, True, True))
            continue
        if release is not None:
            twin = versions.get(release.key, {}).get(other.code)
            there = twin.path if twin is not None else None
        else:
            moved = paths.moved(path, language.root, other.root)
            there = moved if moved in paths_there else None
        found.append(Alternate(other, there or other.root, there is not None, False))
    return tuple(found)


def _with_alternates(spec: PageSpec, alternates: tuple[Alternate, ...]) -> PageSpec:
    shown = [(a.language.code, a.path, a.exists) for a in alternates]
    x_default = next((a.path for a in alternates if a.exists and a.language.default), spec.path)
    return PageSpec(spec.path, spec.template, spec.title, fingerprint(spec.digest, shown),
                    {**spec.context, "alternates": alternates, "x_default": x_default})


def _sitemap(renderers: list[_Renderer], pages: Iterable[str],
             alternates: Mapping[str, tuple[Alternate, ...]],
             kept: KeptSitemap | None = None) -> tuple[list[OutputFile], list[str]]:
    """One sitemap.xml for every language, each page (by its file in output/, in the order
    a build makes them) with its versions (`hreflang`); past the protocol's limits (50,000
    pages: about 33,000 releases in one language), a sitemap index of parts that hold them
    in that order (see feeds.sitemap_parts). Says the files (robots.txt too) and the site paths of
    the sitemaps, the index first. A move, a release added or deleted makes it again, in a
    new process after each build: a page's lines are made at once, and the lines of its
    versions once for all of them (0.28 -> 0.13 s at 10,000 releases in two languages:
    34,000 pages). With `kept` (the last sitemap's entries, and the pages made since), the
    entry of every other page is taken from it as it is."""
    first = renderers[0]
    absolute_url = first.site.absolute_url
    absolutes: dict[str, str] = {}  # (each page's address is also among its versions')

    def absolute(path: str) -> str:
        found = absolutes.get(path)
        if found is None:
            found = absolutes[path] = absolute_url(path)
        return found

    days: dict[datetime, str] = {}  # (a newsroom's pages share a few thousand days)
    links: dict[tuple[str, ...], str] = {}  # the versions' lines, by their addresses
    releases: dict[str, Release] = {}  # (each asked its `modified` only if its entry is made)

    def entry(path: str) -> str:
        if not releases:
            for renderer in renderers:
                releases.update((release.path, release) for release in renderer.graph.releases)
        release = releases.get(path)
        moment = release.modified if release is not None else next(
            (found for renderer in renderers if (found := renderer.list_modified(path)) is not None), None)
        day = None
        if moment is not None:
            day = days.get(moment)
            if day is None:  # by the day it was last changed, as written, not the moment
                day = days[moment] = moment.date().isoformat()
        versions = ""
        found = alternates.get(path, ())
        if len(found) > 1:
            key = tuple([a.path for a in found if a.exists])
            if len(key) > 1:
                versions = links.get(key, "")
                if not versions:
                    versions = links[key] = feeds.version_lines(
                        tuple([(a.language.code, absolute(a.path)) for a in found if a.exists]))
        return feeds.url_entry(absolute(path), day, versions)

    notices = {release.path for renderer in renderers for release in renderer.graph.withdrawn}
    now = _sitemap_paths(pages, notices)
    files: list[OutputFile] = []

    def write(path: str, made: bytes) -> None:  # known by its bytes (quicker than by its addresses)
        file = first.output(path, first.memory.page(path, _sitemap_print(made), lambda: made))
        if file is not None:
            files.append(file)

    if kept is not None and kept.pages is not None and len(kept.files) == 1:
        spliced = feeds.sitemap_spliced(kept.files[0], _sitemap_paths(kept.pages, notices), now, kept.remade,
                                        entry, lambda path: feeds.escape(absolute(path)))
        if spliced is not None:
            write("/sitemap.xml", spliced)
            files.append(OutputFile("robots.txt", feeds.robots_txt(absolute("/sitemap.xml"))))
            return files, ["/sitemap.xml"]
    before, remade = (kept.entries, kept.remade) if kept is not None else ({}, frozenset())
    entries = [(path not in remade and before.get(path)) or entry(path) for path in now]
    versions = bool(links) or (kept is not None and any(map(feeds.entry_has_versions, entries)))
    parts = feeds.sitemap_parts(entries)
    named = ["/sitemap.xml"]
    if len(parts) == 1:
        write("/sitemap.xml", feeds.sitemap(entries, versions))
    else:
        listed = []
        for number, part in enumerate(parts, 1):
            named.append(f"{feeds.SITEMAP_PARTS}{number}.xml")
            write(named[-1], feeds.sitemap(part, versions))
            # (a part is dated by the latest day among its pages: a day is written as ISO, in order)
            listed.append((absolute(named[-1]), max(filter(None, map(feeds.entry_day, part)), default=None)))
        write("/sitemap.xml", feeds.sitemap_index(listed))
    files.append(OutputFile("robots.txt", feeds.robots_txt(absolute("/sitemap.xml"))))
    return files, named


def _sitemap_paths(pages: Iterable[str], notices: Collection[str]) -> list[str]:
    """The site paths of the pages the sitemap lists, in its order (of their files, `pages`):
    every page but a withdrawn release's notice."""
    found = ["/" + page.removesuffix("index.html") for page in pages if page.endswith("index.html")]
    return [path for path in found if path not in notices] if notices else found


@dataclass(frozen=True)
class KeptSitemap:
    """The sitemap a build left (`files`: the bytes of sitemap.xml, or of each part a sitemap
    index names), and the pages made since, whose entries may have changed: a page that is not
    made again shows the same releases, versions and dates, and keeps its entry. With `pages`
    (the files of every page the sitemap was made of, in order), it is made again from those
    bytes, each entry kept where it was (see feeds.sitemap_spliced); else from its `entries`."""

    files: tuple[bytes, ...]
    prefix: str  # the site's address, as the sitemap writes it
    remade: frozenset[str]
    pages: Sequence[str] | None = None

    @cached_property
    def entries(self) -> dict[str, str]:
        """The <url> element of each page, by its site path (one whose address was written
        percent-encoded or escaped is left out: its entry is made again); empty if a file is
        not one `feeds.sitemap` wrote."""
        entries: dict[str, str] = {}
        for data in self.files:
            found = feeds.sitemap_entries(data)
            if found is None:
                return {}
            for entry in found:
                address = feeds.entry_address(entry)
                rest = address[len(self.prefix):]
                if address.startswith(self.prefix) and "%" not in rest and "&" not in rest:
                    entries["/" + rest] = entry  # ("/" + rest: its page)
        return entries


def kept_sitemap(settings: Settings, fingerprints: Mapping[str, str], read: Callable[[str], bytes | None],
                 remade: Iterable[str], pages: Sequence[str] | None = None) -> KeptSitemap | None:
    """The sitemap the last build wrote (`read`: a path inside output/ -> its bytes), if each of
    its files is as the build wrote it (its fingerprint in the build's record: `fingerprints`),
    with the pages made since (`remade`) and, if known, the files of the pages it was made of
    (`pages`, in order); None if not."""
    def as_written(path: str) -> bytes | None:
        data = read(paths.output_file(path))
        known = fingerprints.get(path)
        if data is None or known is None or _sitemap_print(data) != known:
            return None
        return data

    index = as_written("/sitemap.xml")
    if index is None:
        return None
    size = feeds.sitemap_index_size(index)
    files = [index] if size is None else [as_written(f"{feeds.SITEMAP_PARTS}{number}.xml")
                                          for number in range(1, size + 1)]
    if any(data is None for data in files):
        return None
    return KeptSitemap(tuple(filter(None, files)), feeds.escape(settings.base_url), frozenset(remade), pages)


def _sitemap_print(data: bytes) -> str:
    """A sitemap file's fingerprint, as the record keeps it: of its bytes, by SHA-256, which
    processors compute in hardware (the sitemap of 10,000 releases in two languages, 6 MB, is
    read and made at each move: 3.5 ms each, where BLAKE2 took 7)."""
    return hashlib.sha256(data).hexdigest()[:32]


def _sitemap_parts_gone(written: Written | None, named: Sequence[str]) -> list[str]:
    """The parts of the last sitemap (files in output/) that the one made now (its sitemaps'
    site paths: `named`) no longer has."""
    folder = feeds.SITEMAP_PARTS.strip("/")
    before: list[str] = []
    if written is not None and written.served is not None:  # (the preview's)
        before = [path for path in written.served if path.startswith(folder + "/")]
    elif written is not None and written.folder is not None:
        with contextlib.suppress(OSError):  # (none)
            before = [f"{folder}/{name}" for name in os.listdir(written.folder / folder)]
    now = {paths.output_file(path) for path in named}
    return sorted(path for path in before if path not in now)


def _sitemap_named(first: _Renderer) -> Iterator[OutputFile]:
    """The files `_sitemap` makes, the sitemap by its name alone (no bytes, nothing to write)."""
    yield OutputFile(paths.output_file("/sitemap.xml"))
    yield OutputFile("robots.txt", feeds.robots_txt(first.site.absolute_url("/sitemap.xml")))


def _once_per_line(problems: list[Problem]) -> list[Problem]:
    """A template fault breaks every page made from it: say it once, with how many pages."""
    first: dict[tuple[object, object], Problem] = {}
    count: dict[tuple[object, object], int] = {}
    for problem in problems:
        key = (problem.file, problem.line) if problem.file else (problem.message, None)
        first.setdefault(key, problem)
        count[key] = count.get(key, 0) + 1
    return [dataclasses.replace(problem, message=problem.message + (
        f" (and {count[key] - 1} more page{'s' if count[key] > 2 else ''})" if count[key] > 1 else ""))
        for key, problem in first.items()]


@lru_cache(maxsize=1 << 16)
def _quote(path: str) -> str:
    """A path as a URL: spaces and other characters that need it are percent-encoded. Kept:
    every page links the same menus and lists, and the sitemap, made again after each save in
    a preview that moves a release, quotes every page's address (16,000 at 10,000 releases in
    two languages: a third of its time)."""
    if _UNQUOTED.fullmatch(path):  # (most paths: quote would give them back as they are, slower)
        return path
    return quote(path, safe="/%:@!$&'()*+,;=~")


_UNQUOTED = re.compile(r"[A-Za-z0-9_.~/%:@!$&'()*+,;=-]*")  # what quote never changes, with its `safe`


@lru_cache(maxsize=16)
def _plural_samples(locale: str) -> tuple[tuple[str, int], ...]:
    """A number for each plural form of a language (CLDR's names: one, few, other...), for
    a script that picks the form with Intl.PluralRules."""
    rule = Locale.parse(locale).plural_form
    samples: dict[str, int] = {}
    for number in range(200):
        samples.setdefault(rule(number), number)
    return tuple(samples.items())


@lru_cache(maxsize=4096)
def _format_number(number: int, locale: str) -> str:
    return format_decimal(number, locale=_locale(locale))


@lru_cache(maxsize=65536)
def _format_date(day: date, form: str, locale: str) -> str:
    return format_date(day, form, locale=_locale(locale))


@lru_cache(maxsize=64)
def _locale(code: str) -> Locale:
    """Babel's locale, parsed once (format_date parses a code on every call)."""
    return Locale.parse(code)


def _pagination(number: int, count: int, first: str) -> dict[str, Any]:
    """Page `number` of a list of `count` pages whose first page is `first` (see paged_count):
    whether it is the first (its number None), and the addresses of the newer page
    (`previous`), the older (`next`) and the first (`newest`)."""
    return {
        "first": number == count,
        "number": number if number < count else None,
        "previous": paged_path(first, number + 1, count) if number < count else None,
        "next": paths.page_of(first, number - 1) if number > 1 else None,
        "newest": first,
    }


def _template_frame(error: BaseException) -> tuple[Path | None, int | None]:
    """The template file and line a rendering error came from, from Jinja's traceback."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return Path(frame.filename), frame.lineno
    return None, None
