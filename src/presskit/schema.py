"""Checking front matter against the schema and turning documents into models.

Every fault is reported as a `Problem` at the line it is on; a file with faults still
yields as much of a model as can be made, so that one run reports every fault at once.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from presskit import forks, paths
from presskit.cache import BuildMemory, fingerprint, walk
from presskit.config import Settings
from presskit.countries import Country, country_by_code, find_country, in_language, suggest_countries
from presskit.errors import Problem
from presskit.markdown import BodyRenderer
from presskit.models import (
    RELEASE_TYPES,
    Asset,
    Contact,
    Content,
    Correction,
    CountryText,
    Event,
    Page,
    Partner,
    Photo,
    Programme,
    Release,
    Text,
    TopicText,
    attached,
    detached,
    shared_asset,
)
from presskit.resolve import Directory, did_you_mean
from presskit.source import Document, Node, read_document
from presskit.text import SLUG, make_slug, normalise
from presskit.versions import KEYS as VERSION_KEYS
from presskit.versions import (
    Version,
    check_versions,
    in_each_language,
    relabel,
    remembered_copy,
    version_of,
    written_key,
)

RELEASE_KEYS = {"title", "date", "subtitle", "type", "location", "countries", "partners",
                "programmes", "topics", "photos", "embargo", "draft", "slug", "summary", "updated",
                "corrections", "contacts", "event", "withdrawn", *VERSION_KEYS}
CORRECTION_KEYS = {"date", "note"}
PARTNER_KEYS = {"name", "short_name", "aliases", "website", "logo", "type", "country", "boilerplate",
                *VERSION_KEYS}
CONTACT_KEYS = {"name", "role", "organisation", "email", "phone", "languages", *VERSION_KEYS}
EVENT_KEYS = {"start", "end", "timezone", "venue", "address", "online", "accreditation"}
PROGRAMME_KEYS = {"title", "short_name", "aliases", "partners", "funders", "countries", "start",
                  "end", "website", "summary", *VERSION_KEYS}
COUNTRY_KEYS = {"summary", *VERSION_KEYS}
PAGE_KEYS = {"title", "slug", "summary", "weight", *VERSION_KEYS}
TOPIC_KEYS = {"name", "aliases", "summary", *VERSION_KEYS}
PHOTO_KEYS = {"src", "alt", "caption", "credit"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"}

# Keys people write out of habit from other tools, and the key presskit reads instead.
SYNONYMS = {"tags": "topics", "categories": "topics", "category": "topics", "tag": "topics",
            "image": "photos", "images": "photos", "photo": "photos", "country": "countries",
            "partner": "partners", "programme": "programmes", "program": "programmes",
            "programs": "programmes", "headline": "title", "description": "summary",
            "standfirst": "subtitle", "dateline": "location", "published": "date"}

T = TypeVar("T")
Directories = dict[str, Directory[T]]  # by language

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]{5,}$")


class Fields:
    """Reads the front matter of one document, reporting each wrong value at its line."""

    def __init__(self, doc: Document, problems: list[Problem], known: set[str]) -> None:
        self.doc = doc
        self.problems = problems
        self.known = known

    def line(self, key: str) -> int:
        node = self.doc.front.get(key)
        return node.line if node else self.top_line

    @property
    def top_line(self) -> int:
        return _top_line(self.doc)

    def fault(self, line: int, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.doc.path, line, message, hint))

    def text(self, key: str, required: bool = False) -> str:
        node = self.doc.front.get(key)
        if node is None or node.kind == "null" or (node.kind == "str" and not node.value.strip()):
            if required:
                self.fault(self.line(key), f"`{key}` is missing" if node is None else f"`{key}` is empty",
                           f"add a line `{key}: ...` between the --- lines")
            return ""
        return scalar_text(node, key, self.doc.path, self.problems)

    def text_list(self, key: str) -> list[tuple[str, int]]:
        """A list of short texts; a single text is taken as a list of one."""
        node = self.doc.front.get(key)
        if node is None or node.kind == "null":
            return []
        items = node.value if node.kind == "seq" else [node]
        found = []
        for item in items:
            text = scalar_text(item, key, self.doc.path, self.problems)
            if text:
                found.append((text, item.line))
        return found

    def boolean(self, key: str) -> bool:
        node = self.doc.front.get(key)
        if node is None or node.kind == "null":
            return False
        if node.kind != "bool":
            self.fault(node.line, f"`{key}` must be true or false, not {node.text or 'a list'!r}",
                       f"write `{key}: true` or `{key}: false`")
            return False
        return bool(node.value)

    def integer(self, key: str, default: int = 0) -> int:
        node = self.doc.front.get(key)
        if node is None or node.kind == "null":
            return default
        if node.kind != "int":
            self.fault(node.line, f"`{key}` must be a whole number", f"for example `{key}: 10`")
            return default
        return int(node.value)

    def when(self, key: str, zone: ZoneInfo | None, *, required: bool = False,
             offset_needed: bool = False) -> tuple[datetime | None, bool]:
        """A day or a date-time, as an aware datetime, and whether a time was given."""
        node = self.doc.front.get(key)
        if node is None or node.kind == "null":
            if required:
                self.fault(self.line(key), f"`{key}` is missing",
                           f"add a line `{key}: {date.today().isoformat()}` (year-month-day)")
            return None, False
        try:
            moment, has_time, naive = parse_when(node)
        except ValueError as error:
            message, hint = error.args
            self.fault(node.line, f"`{key}`: {message}", hint)
            return None, False
        if naive:
            if zone is None and offset_needed:
                self.fault(
                    node.line,
                    f"`{key}` {node.text!r} has no time zone, and presskit.toml sets no `timezone`",
                    'add `timezone = "Asia/Ho_Chi_Minh"` (your own) to presskit.toml, '
                    f"or write the offset: `{key}: {moment.strftime('%Y-%m-%dT%H:%M')}+07:00`",
                )
                return None, False
            moment = moment.replace(tzinfo=zone or ZoneInfo("UTC"))
        return moment, has_time

    def extra(self) -> dict[str, Any]:
        """Keys the schema does not know: kept for templates; a near miss of a known key is an
        error, since the release would otherwise be published without what it meant to say."""
        extra = {}
        for key, node in self.doc.front.items():
            if key in self.known:
                continue
            extra[key] = node.plain()
            meant = SYNONYMS.get(key.lower())
            if meant not in self.known:
                close = difflib.get_close_matches(key.lower(), sorted(self.known), n=1, cutoff=0.75)
                meant = close[0] if close else None
            if meant:
                self.problems.append(Problem(
                    self.doc.path, node.line, f"`{key}` is not a key presskit knows",
                    f"did you mean `{meant}`? Rename it to `{meant}`. (A key of your own, for "
                    "templates, needs a name less like one of presskit's.)",
                ))
        return extra


def scalar_text(node: Node, key: str, path: Path, problems: list[Problem]) -> str:
    """The text of a scalar value; numbers keep the digits as written."""
    if node.kind in ("str", "int", "float"):
        return node.text.strip() if node.kind != "str" else node.value.strip()
    if node.kind == "bool":
        problems.append(Problem(path, node.line, f"`{key}`: {node.text!r} was read as yes/no, not text",
                                f'put it in quotes: "{node.text}"'))
    elif node.kind == "null":
        return ""
    else:
        problems.append(Problem(path, node.line, f"`{key}` must be text, not a {_shape(node)}",
                                f"write it on one line: `{key}: ...`"))
    return ""


def _shape(node: Node) -> str:
    return {"seq": "list", "map": "group of keys"}.get(node.kind, node.kind)


def parse_when(node: Node) -> tuple[datetime, bool, bool]:
    """A date or date-time as written in front matter: (moment, has time, lacks offset)."""
    text = node.text.strip() if node.kind != "str" else node.value.strip()
    example = "write it as year-month-day, e.g. 2023-05-22, or with a time: 2023-05-22T09:00"
    if node.kind not in ("str", "int", "float") or not text:
        raise ValueError(f"{text or 'this'!r} is not a date", example)
    day = _DATE.match(text)
    if day:
        year, month, dom = (int(part) for part in day.groups())
        try:
            moment = datetime.combine(date(year, month, dom), time())
        except ValueError:
            raise ValueError(f"{text} is not a date that exists",
                             "check the day and the month (year-month-day)") from None
        if text != moment.strftime("%Y-%m-%d"):
            raise ValueError(f"{text!r} is not written year-month-day with two-digit month and day",
                             f"write {moment.strftime('%Y-%m-%d')}")
        return moment, False, True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text) and _DATE.match(text[:10]):
            try:
                date.fromisoformat(text[:10])
            except ValueError:
                raise ValueError(f"{text[:10]} is not a date that exists",
                                 "check the day and the month (year-month-day)") from None
        raise ValueError(f"{text!r} is not a date presskit can read", example) from None
    return moment, True, moment.tzinfo is None


@dataclass
class _Loader:
    """Turns the documents of one site into checked models, collecting problems."""

    settings: Settings
    problems: list[Problem]
    memory: BuildMemory
    site_files: dict[str, Asset] = field(default_factory=dict)  # by "/media/..." path, this build
    contact_directories: Directories[Contact] = field(default_factory=dict)  # once read
    contacts_read: list[Contact] = field(default_factory=list)
    top_lines: dict[Path, int] = field(default_factory=dict)  # of entities' files, for messages

    @property
    def content_dir(self) -> Path:
        return self.settings.content_dir

    def document_paths(self, folder: str, *, recursive: bool = False) -> list[str]:
        """The .md files of a folder, sorted; hidden files and folders, editor backups and
        partials (names starting with "_") are left out."""
        root = self.content_dir / folder
        if not root.is_dir():
            return []
        start = len(str(root)) + 1
        return sorted(name for name in walk(root)  # strings sort much faster than Paths
                      if name.endswith(".md") and (recursive or os.sep not in name[start:])
                      and not any(part.startswith("_") for part in name[start:].split(os.sep)))

    def documents(self, folder: str, *, recursive: bool = False,
                  names: list[str] | None = None) -> list[Document]:
        docs = []
        for name in self.document_paths(folder, recursive=recursive) if names is None else names:
            doc = self.memory.read(Path(name), read_document, self.problems)
            if doc is not None:
                docs.append(doc)
                if folder != "releases":
                    self.top_lines[doc.path] = _top_line(doc)
        return docs

    def asset(self, fields: Fields, src: str, line: int, owner_path: str, what: str) -> Asset | None:
        """A file a page shows (a photo, a logo): found, inside content/, given a site path."""
        if src.startswith("/") and not src.startswith("//"):  # the same for every page
            found = self.site_files.get(src)
            if found is None:
                found = self._asset(fields, src, line, owner_path, what)
                if found is not None:
                    self.site_files[src] = found
            return found
        return self._asset(fields, src, line, owner_path, what)

    def _asset(self, fields: Fields, src: str, line: int, owner_path: str, what: str) -> Asset | None:
        doc_dir = fields.doc.path.parent
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE) or src.startswith("//"):
            fields.fault(line, f"{what} {src!r} is a web address; presskit publishes its own copy",
                         "save the file in content/media/ and write `/media/NAME`")
            return None
        base = self.content_dir if src.startswith("/") else doc_dir
        source = Path(os.path.normpath(base / src.lstrip("/")))
        try:
            inside = source.relative_to(self.content_dir)
        except ValueError:
            fields.fault(line, f"{what} {src!r} is outside the content folder",
                         "keep photos in content/media/ or next to the release")
            return None
        if not source.is_file():
            folder = src.rsplit("/", 1)[0] + "/" if "/" in src else ""
            near = [folder + name for name in _near_files(source)]  # as written, ready to paste
            fields.fault(line, f"{what} file {src!r} does not exist",
                         did_you_mean(near, "the path is relative to this file, or starts with / "
                                            "for content/ (e.g. /media/photo.jpg)"))
            return None
        if source.suffix.lower() not in IMAGE_SUFFIXES:
            fields.fault(line, f"{what} {src!r} is not an image presskit can publish",
                         "use a .jpg, .png, .webp, .gif, .avif or .svg file")
            return None
        try:
            beside = source.relative_to(doc_dir)
        except ValueError:
            beside = None
        if src.startswith("/") or beside is None or inside.parts[0] == "media":
            return shared_asset(source, "/" + inside.as_posix())
        return shared_asset(source, owner_path + beside.as_posix())

    # -- partners and programmes -------------------------------------------------

    def remembered(self, doc: Document, context: str, make: Callable[[Document], T]) -> T:
        """The model an unchanged file made in an earlier build, with that build's problems,
        or a newly checked one. Files it points at (photos, logos) must still exist."""
        key = (doc.path, context)
        known = self.memory.models.get(doc.path)
        # Same bytes, same context: the same model. Keeping the very object matters, since
        # releases and programmes refer to partners and programmes by identity.
        if (known is not None and known[0].digest == doc.digest and known[1] == key
                and all(path.is_file() for path in known[3])):
            self.problems.extend(known[2])
            return known[4]  # type: ignore[no-any-return]
        if doc.text is not None:  # stands for a release the cache lent (a photo of it is gone):
            self.memory.files.pop(doc.path, None)  # its file is read and checked again
            read = self.memory.read(doc.path, read_document, self.problems)
            if read is None:
                return None  # type: ignore[return-value]  # (the problem that says why is reported)
            doc = read
        before = len(self.problems)
        model = make(doc)
        self.memory.models[doc.path] = (doc, key, self.problems[before:], _needed_files(model), model)
        return model

    def version(self, doc: Document) -> Version:
        return version_of(doc, self.settings, self.problems)

    def versioned(self, folder: str, kind: str, context: str, make: Callable[[Document], T],
                  copy: Callable[[T, str, str], T]) -> tuple[dict[str, dict[str, T]], dict[str, list[T]]]:
        """The files of a folder read as one kind of entity (each remembered while unchanged):
        their versions grouped, and each language's set, with a copy (made by `copy`, kept
        while its original is the same) where a language has no version of its own."""
        read = [self.remembered(doc, context, make)
                for doc in self.documents(folder)]
        groups = check_versions(read, kind, self.problems)
        return groups, in_each_language(groups, self.settings, lambda item, lang, root: remembered_copy(
            self.memory.copies, item, lang, lambda: copy(item, lang, root)))

    def partners(self) -> tuple[dict[str, list[Partner]], Directories[Partner]]:
        """Each language's partners, and a directory per language that finds them by any name
        of any of their versions."""
        groups, partners = self.versioned(
            "partners", "partner", "", self.partner, lambda partner, lang, root: relabel(
                partner, lang, root,
                country=in_language(partner.country, lang, root) if partner.country else None))
        return partners, self.directories("partner", partners, groups, lambda p: (
            p.label, [p.source.stem.split(".")[0], p.id, p.name, p.short_name, *p.aliases]))

    def directories(self, kind: str, entities: dict[str, list[T]], groups: dict[str, dict[str, Any]],
                    names: Callable[[Any], tuple[str, list[str]]]) -> Directories[T]:
        """One directory per language; every version's names find that language's entity."""
        found: Directories[T] = {}
        for lang, items in entities.items():
            directory: Directory[T] = Directory(kind)
            # A name used twice is reported once, in the default language's directory.
            problems = self.problems if lang == self.settings.language else []
            for entity in items:
                label = names(entity)[0]
                for version in groups[entity.key].values():  # type: ignore[attr-defined]
                    directory.add(entity, label, dict.fromkeys(names(version)[1]), version.source,
                                  self.top_lines.get(version.source, 1), problems)
            found[lang] = directory
        return found

    def partner(self, doc: Document) -> Partner:
        fields = Fields(doc, self.problems, PARTNER_KEYS)
        version = self.version(doc)
        identifier = _identifier(version)
        logo_src = fields.text("logo")
        return Partner(
            id=identifier,
            name=fields.text("name", required=True) or doc.path.stem,
            source=doc.path,
            short_name=fields.text("short_name"),
            aliases=tuple(text for text, _ in fields.text_list("aliases")),
            website=self.website(fields),
            logo=self.asset(fields, logo_src, fields.line("logo"), paths.partner(identifier),
                            "logo") if logo_src else None,
            type=fields.text("type"),
            country=self.one_country(fields, "country", version),
            boilerplate=fields.text("boilerplate"),
            body=doc.body,
            body_line=doc.body_line,
            extra=fields.extra(),
            digest=doc.digest,
            **_of(version),
        )

    def programmes(self, partners: Directories[Partner], context: str,
                   partner_sets: dict[str, list[Partner]]) -> tuple[dict[str, list[Programme]],
                                                                    Directories[Programme]]:
        by_id = {lang: {p.id: p for p in items} for lang, items in partner_sets.items()}
        groups, programmes = self.versioned(
            "programmes", "programme", context, lambda doc: self.programme(doc, partners),
            lambda programme, lang, root: relabel(
                programme, lang, root,
                partners=tuple(by_id[lang][p.id] for p in programme.partners),
                funders=tuple(by_id[lang][p.id] for p in programme.funders),
                countries=tuple(in_language(c, lang, root) for c in programme.countries)))
        return programmes, self.directories("programme", programmes, groups, lambda p: (
            p.label, [p.source.stem.split(".")[0], p.id, p.title, p.short_name, *p.aliases]))

    def programme(self, doc: Document, partners: Directories[Partner]) -> Programme:
        fields = Fields(doc, self.problems, PROGRAMME_KEYS)
        version = self.version(doc)
        return Programme(
            id=_identifier(version),
            title=fields.text("title", required=True) or doc.path.stem,
            source=doc.path,
            short_name=fields.text("short_name"),
            aliases=tuple(text for text, _ in fields.text_list("aliases")),
            partners=self.references(fields, "partners", partners[version.lang]),
            funders=self.references(fields, "funders", partners[version.lang]),
            countries=self.countries(fields, version),
            start=self.year_or_date(fields, "start"),
            end=self.year_or_date(fields, "end"),
            website=self.website(fields),
            summary=fields.text("summary"),
            body=doc.body,
            body_line=doc.body_line,
            extra=fields.extra(),
            digest=doc.digest,
            **_of(version),
        )

    def contacts(self, partners: Directories[Partner], context: str,
                 partner_sets: dict[str, list[Partner]]) -> list[Contact]:
        """Media contacts in every language (their directories kept for releases to find them)."""
        by_id = {lang: {p.id: p for p in items} for lang, items in partner_sets.items()}
        groups, contacts = self.versioned(
            "contacts", "contact", context, lambda doc: self.contact(doc, partners),
            lambda contact, lang, root: relabel(contact, lang, root, organisation=(
                by_id[lang][contact.organisation.id] if contact.organisation else None)))
        self.contact_directories = self.directories(
            "contact", contacts, groups, lambda c: (c.name, [c.source.stem.split(".")[0], c.id, c.name]))
        return [contact for items in contacts.values() for contact in items]

    def contact(self, doc: Document, partners: Directories[Partner]) -> Contact:
        fields = Fields(doc, self.problems, CONTACT_KEYS)
        version = self.version(doc)
        email, phone = fields.text("email"), fields.text("phone")
        if email and not _EMAIL.match(email):
            fields.fault(fields.line("email"), f"`email` {email!r} is not an e-mail address",
                         "write it as name@example.org")
            email = ""
        if phone and not _PHONE.match(phone):
            fields.fault(fields.line("phone"), f"`phone` {phone!r} is not a telephone number",
                         "write it with the country code, digits and spaces: +84 24 3850 0100")
            phone = ""
        if not email and not phone and "email" not in doc.front and "phone" not in doc.front:
            fields.fault(fields.top_line, "a contact needs an `email` or a `phone`",
                         "add `email: name@example.org` or `phone: +84 24 3850 0100`")
        organisation = self.references(fields, "organisation", partners[version.lang])
        return Contact(
            id=_identifier(version),
            name=fields.text("name", required=True) or doc.path.stem,
            source=doc.path,
            role=fields.text("role"),
            organisation=organisation[0] if organisation else None,
            email=email,
            phone=phone,
            languages=tuple(text for text, _ in fields.text_list("languages")),
            extra=fields.extra(),
            digest=doc.digest,
            **_of(version),
        )

    def references(self, fields: Fields, key: str, directory: Directory[Any]) -> tuple[Any, ...]:
        found: list[Any] = []
        for written, line in fields.text_list(key):
            entity = directory.find(written)
            if entity is None:
                folder = f"content/{directory.kind}s/"
                fields.fault(line, f"unknown {directory.kind} {written!r} in `{key}`",
                             did_you_mean(directory.suggest(written),
                                          f"each {directory.kind} is a file in {folder}; "
                                          f"add one, or use the name of an existing one",
                                          also=f"{directory.kind}s are the files in {folder}"))
            elif entity not in found:
                found.append(entity)
        return tuple(found)

    def website(self, fields: Fields) -> str:
        website = fields.text("website")
        if website and urlsplit(website).scheme not in ("http", "https"):
            fields.fault(fields.line("website"), f"`website` {website!r} is not a web address",
                         f"write it in full: https://{website.removeprefix('//')}")
            return ""
        return website

    def year_or_date(self, fields: Fields, key: str) -> str:
        text = fields.text(key)
        if text and not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", text):
            fields.fault(fields.line(key), f"`{key}` {text!r} is not a year or a date",
                         f"write a year (`{key}: 2020`) or a date (`{key}: 2020-01-31`)")
            return ""
        return text[:4]

    # -- countries ----------------------------------------------------------------

    def country(self, fields: Fields, written: str, line: int, key: str,
                version: Version) -> Country | None:
        country = find_country(written)
        if country is None:
            fields.fault(line, f"unknown country {written!r} in `{key}`",
                         did_you_mean(suggest_countries(written),
                                      "write the country's name (Viet Nam) or its ISO code (VN or VNM)"))
            return None
        return in_language(country, version.lang, version.root)

    def one_country(self, fields: Fields, key: str, version: Version) -> Country | None:
        written = fields.text(key)
        return self.country(fields, written, fields.line(key), key, version) if written else None

    def countries(self, fields: Fields, version: Version, key: str = "countries") -> tuple[Country, ...]:
        found: list[Country] = []
        for written, line in fields.text_list(key):
            country = self.country(fields, written, line, key, version)
            if country and country not in found:
                found.append(country)
        return tuple(found)

    def country_texts(self) -> dict[str, CountryText]:
        """The words of country pages, by "LANG:CODE", in every language."""
        read: list[CountryText] = []
        for doc in self.documents("countries"):
            fields = Fields(doc, self.problems, COUNTRY_KEYS)
            version = self.version(doc)
            code = version.name
            country = country_by_code(code) if len(code) == 2 else None
            if country is None:
                guess = find_country(code)
                fields.fault(1, f"{doc.path.name!r} is not named by a two-letter country code",
                             f"rename it {guess.code.lower()}.md" if guess else
                             "name the file by the ISO 3166 code, e.g. vn.md for Viet Nam")
                continue
            read.append(CountryText(
                country=in_language(country, version.lang, version.root), source=doc.path,
                summary=fields.text("summary"), body=doc.body, body_line=doc.body_line,
                extra=fields.extra(), digest=doc.digest, **_of(version),
            ))
        groups = check_versions(read, "country page", self.problems)
        texts = in_each_language(groups, self.settings, lambda text, lang, root: relabel(
            text, lang, root, country=in_language(text.country, lang, root)))
        return {f"{text.lang}:{text.country.code}": text for items in texts.values() for text in items}

    # -- releases and pages --------------------------------------------------------

    def releases(self, partners: Directories[Partner], programmes: Directories[Programme],
                 context: str, workers: int = 1) -> list[Release]:
        paths = self.document_paths("releases", recursive=True)
        if workers > 1 and len(paths) >= PARALLEL_AT_LEAST:
            return self.releases_in_parallel(paths, partners, programmes, workers)
        releases = []
        for doc in self.documents("releases", names=paths):
            release = self.remembered(doc, context, lambda doc: self.release(doc, partners, programmes))
            if release is not None:
                releases.append(release)
        return releases

    def releases_in_parallel(self, paths: list[str], partners: Directories[Partner],
                             programmes: Directories[Programme], workers: int) -> list[Release]:
        """Releases read and checked on all cores (a cold `build`; nothing is remembered):
        the same models, in the same order, with the same problems, as one by one."""
        global _WORKER
        _WORKER = (self, partners, programmes)
        partner_by_id = {(p.lang, p.id): p for d in partners.values() for p in d.entities()}
        programme_by_id = {(p.lang, p.id): p for d in programmes.values() for p in d.entities()}
        releases = []
        chunks = [paths[start:start + 50] for start in range(0, len(paths), 50)]
        self.memory.saw(paths)
        try:
            with forks.pool(workers) as pool:
                for results in pool.imap(_check_releases, chunks):
                    for problems, values in results:
                        self.problems.extend(problems)
                        if values is not None:
                            releases.append(attached(values, partner_by_id, programme_by_id))
        finally:
            _WORKER = None
        return releases

    def release(self, doc: Document, partners: Directories[Partner],
                programmes: Directories[Programme]) -> Release | None:
        """A release, or None when it lacks a title or a date (every fault is reported)."""
        zone = self.settings.timezone
        fields = Fields(doc, self.problems, RELEASE_KEYS)
        version = self.version(doc)
        slug = self.slug(fields, doc, version)
        moment, has_time = fields.when("date", zone, required=True)
        embargo, _ = fields.when("embargo", zone, offset_needed=True)
        location = fields.text("location")
        countries = self.countries(fields, version)
        if not countries and "," in location:  # none given (or `countries: []`): the dateline's
            from_location = find_country(location.rsplit(",", 1)[1])
            countries = (in_language(from_location, version.lang, version.root),) if from_location else ()
        title = fields.text("title", required=True)
        release = Release(
            source=doc.path,
            slug=slug,
            title=title,
            date=moment or datetime.min,
            date_has_time=has_time,
            subtitle=fields.text("subtitle"),
            type=self.release_type(fields),
            location=location,
            countries=countries,
            partners=self.references(fields, "partners", partners[version.lang]),
            programmes=self.references(fields, "programmes", programmes[version.lang]),
            topics=self.topics(fields),
            photos=self.photos(fields, paths.release(slug, version.root)),
            embargo=embargo,
            draft=fields.boolean("draft"),
            summary=fields.text("summary"),
            text=doc.text or Text(doc.body, doc.path, doc.digest, doc.body_line),
            body_line=doc.body_line,
            extra=fields.extra(),
            digest=doc.digest,
            updated=fields.when("updated", zone)[0],
            corrections=self.corrections(fields, zone),
            lang=version.lang,
            root=version.root,
            key=version.key,
            contacts=tuple(contact.id for contact in self.references(
                fields, "contacts", self.contact_directories.get(version.lang) or Directory("contact"))),
            event=self.event(fields, zone),
            withdrawn=self.withdrawn(fields),
        )
        if moment is not None and embargo is not None and (
                moment < embargo if has_time else moment.date() < embargo.astimezone(moment.tzinfo).date()):
            self.problems.append(Problem(
                doc.path, fields.line("date"), f"`date` ({fields.text('date')}) is before `embargo` "
                f"({fields.text('embargo')}): the page will show a date before the release appeared",
                "set `date` to the day the embargo lifts, or leave the date if that is meant",
                warning=True))
        # Every field is checked first, so that one run reports all faults.
        return release if title and moment is not None else None

    def slug(self, fields: Fields, doc: Document, version: Version) -> str:
        written = fields.text("slug")
        if written and not SLUG.match(written):
            fields.fault(fields.line("slug"), f"`slug` {written!r} may only have a-z, 0-9 and -",
                         f"write `slug: {make_slug(written, str(doc.path))}`")
            written = ""
        return written or make_slug(version.name, str(doc.path))

    def corrections(self, fields: Fields, zone: ZoneInfo | None) -> tuple[Correction, ...]:
        """`corrections: [{date, note}, ...]`, oldest first; each fault at its line."""
        node = fields.doc.front.get("corrections")
        if node is None or node.kind == "null":
            return ()
        example = "`corrections:` then `  - date: 2023-06-02` and `    note: The figure was corrected.`"
        if node.kind != "seq":
            fields.fault(node.line, "`corrections` must be a list", f"write {example}")
            return ()
        found = []
        for number, item in enumerate(node.value, start=1):
            if item.kind != "map":
                fields.fault(item.line, f"correction {number} must have `date:` and `note:` lines",
                             f"write {example}")
                continue
            for key, value in item.value.items():
                if key not in CORRECTION_KEYS:
                    fields.fault(value.line, f"correction {number} has an unknown key `{key}`",
                                 "a correction has `date` and `note`")
            note = item.value.get("note")
            text = scalar_text(note, "note", fields.doc.path, self.problems) if note else ""
            if not text:
                fields.fault(item.line, f"correction {number} has no `note`",
                             "say in a sentence what was changed, e.g. `note: The number of trainers "
                             "was 25, not 52.`")
            moment = Fields(Document(fields.doc.path, item.value, "", 0), self.problems,
                            CORRECTION_KEYS).when("date", zone, required=True)[0]
            if text and moment is not None:
                found.append(Correction(moment, text, item.line))
        return tuple(sorted(found, key=lambda correction: correction.date))

    def event(self, fields: Fields, zone: ZoneInfo | None) -> Event | None:
        """`event: {start, end, venue, address, online, accreditation}`; each fault at its line."""
        node = fields.doc.front.get("event")
        if node is None or node.kind == "null":
            return None
        example = "`event:` then `  start: 2026-06-06T09:00` and `  venue: Melia Hotel, Hanoi`"
        if node.kind != "map":
            fields.fault(node.line, "`event` must have `start:` and `venue:` lines under it",
                         f"write {example}")
            return None
        inner = Fields(Document(fields.doc.path, node.value, "", 0), self.problems, EVENT_KEYS)
        for key, value in node.value.items():
            if key not in EVENT_KEYS:
                close = difflib.get_close_matches(key, sorted(EVENT_KEYS), n=1, cutoff=0.6)
                inner.fault(value.line, f"`event` has an unknown key `{key}`",
                            f"did you mean `{close[0]}`?" if close else
                            "an event has " + ", ".join(f"`{k}`" for k in sorted(EVENT_KEYS)))
        if "start" not in node.value:
            fields.fault(node.line, "`event` has no `start`",
                         "add `  start: 2026-06-06T09:00` (when it begins, in the site's time zone)")
            return None
        zone_name = inner.text("timezone")
        if zone_name:
            try:
                zone = ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                inner.fault(inner.line("timezone"), f"`timezone` {zone_name!r} is not a known time zone",
                            "use a name from the tz database, e.g. Europe/Zurich or Asia/Ho_Chi_Minh")
        start, has_time = inner.when("start", zone)
        end, end_has_time = inner.when("end", zone)
        if end is not None and start is not None and end < start:
            inner.fault(inner.line("end"), "the event's `end` is before its `start`",
                        "check the day and time of both")
            end = None
        online = inner.text("online")
        if online and urlsplit(online).scheme not in ("http", "https"):
            inner.fault(inner.line("online"), f"`online` {online!r} is not a web address",
                        f"write it in full: https://{online.removeprefix('//')}")
            online = ""
        if start is None:
            return None
        return Event(start=start, end=end, has_time=has_time or end_has_time, venue=inner.text("venue"),
                     address=inner.text("address"), online=online,
                     accreditation=inner.text("accreditation"), line=node.line)

    def withdrawn(self, fields: Fields) -> str:
        node = fields.doc.front.get("withdrawn")
        if node is None or node.kind == "null" or (node.kind == "bool" and not node.value):
            return ""
        if node.kind in ("bool", "seq", "map") or not str(node.value).strip():
            fields.fault(node.line, "`withdrawn` must say why the release was withdrawn",
                         "write the reason readers will see, e.g. `withdrawn: The figures in this "
                         "release were wrong; see the corrected release of 8 June.`")
            return ""
        return fields.text("withdrawn")

    def release_type(self, fields: Fields) -> str:
        written = fields.text("type")
        if not written:
            return "press-release"
        kind = make_slug(written)
        if kind not in RELEASE_TYPES:
            fields.fault(fields.line("type"), f"`type` {written!r} is not a release type",
                         "use one of: " + ", ".join(RELEASE_TYPES))
            return "press-release"
        return kind

    def topics(self, fields: Fields) -> tuple[str, ...]:
        topics: list[str] = []
        for text, _ in fields.text_list("topics"):
            if text not in topics:
                topics.append(text)
        return tuple(topics)

    def photos(self, fields: Fields, owner_path: str) -> tuple[Photo, ...]:
        node = fields.doc.front.get("photos")
        if node is None or node.kind == "null":
            return ()
        if node.kind != "seq":
            fields.fault(node.line, "`photos` must be a list of photos",
                         "write each photo as `- src: lead.jpg` with `alt:`, `caption:` and "
                         "`credit:` lines under it")
            return ()
        photos = []
        for number, item in enumerate(node.value, start=1):
            if item.kind != "map":
                fields.fault(item.line, f"photo {number} must have `src:` and `alt:` lines",
                             f"write `- src: {item.text or 'photo.jpg'}` and on the next line "
                             "`  alt: what the photo shows`")
                continue
            keys: dict[str, Node] = item.value

            def text(key: str, keys: dict[str, Node] = keys) -> str:
                return scalar_text(keys[key], key, fields.doc.path, self.problems) if key in keys else ""

            src, alt = text("src"), text("alt")
            for key, value in keys.items():
                if key not in PHOTO_KEYS:
                    fields.fault(value.line, f"photo {number} has an unknown key `{key}`",
                                 "a photo has `src`, `alt`, `caption` and `credit`")
            if not src:
                fields.fault(item.line, f"photo {number} has no `src`",
                             "add `src: photo.jpg` (next to the release) or `src: /media/photo.jpg`")
                continue
            asset = self.asset(fields, src, keys["src"].line, owner_path, "photo")
            if not alt:
                fields.fault(keys["alt"].line if "alt" in keys else item.line,
                             f"photo {number} ({src}) has no alt text",
                             "add `alt:` describing what the photo shows, for readers who cannot see it")
                continue
            if _says_nothing(alt, src):
                self.problems.append(Problem(
                    fields.doc.path, keys["alt"].line, f"photo {number} ({src}): the alt text "
                    f"{alt!r} does not say what the photo shows",
                    "describe it for a reader who cannot see it, e.g. `alt: Trainers of the "
                    "Women's Union in a workshop in Dong Hoi`", warning=True))
            if asset is not None:
                photos.append(Photo(asset, alt, text("caption"), text("credit"), item.line))
        return tuple(photos)

    def pages(self) -> list[Page]:
        """Free pages in every language: each language's version, else a copy."""
        read = []
        for doc in self.documents("pages"):
            fields = Fields(doc, self.problems, PAGE_KEYS)
            version = self.version(doc)
            slug = self.slug(fields, doc, version)
            if slug in paths.RESERVED or slug in self.settings.language_codes:
                fields.fault(fields.line("slug"), f"a page cannot have the address /{slug}/",
                             f"presskit uses /{slug}/ itself; choose another `slug:`")
                continue
            read.append(Page(
                source=doc.path, slug=slug, title=fields.text("title", required=True) or slug,
                summary=fields.text("summary"), body=doc.body, body_line=doc.body_line,
                weight=fields.integer("weight"), extra=fields.extra(), digest=doc.digest,
                **_of(version),
            ))
        groups = check_versions(read, "page", self.problems)
        pages = in_each_language(groups, self.settings, relabel)
        return [page for items in pages.values() for page in items]

    def named_topics(self) -> tuple[list[TopicText], dict[str, str]]:
        """Named topics in every language, and every name of every version -> its slug."""
        read = []
        for doc in self.documents("topics"):
            fields = Fields(doc, self.problems, TOPIC_KEYS)
            version = self.version(doc)
            slug = _identifier(version)
            read.append(TopicText(
                slug=slug, name=fields.text("name", required=True) or version.name, source=doc.path,
                aliases=tuple(text for text, _ in fields.text_list("aliases")),
                summary=fields.text("summary"), body=doc.body, body_line=doc.body_line,
                extra=fields.extra(), digest=doc.digest, **_of(version)))
        groups = check_versions(read, "topic", self.problems)
        names: dict[str, str] = {}
        for topic in read:
            for name in (topic.slug, topic.name, *topic.aliases):
                names.setdefault(normalise(name), topic.slug)
        topics = in_each_language(groups, self.settings, relabel)
        return [topic for items in topics.values() for topic in items], names

    def media(self) -> list[Asset]:
        root = self.content_dir / "media"
        if not root.is_dir():
            return []
        return [Asset(path, "/" + path.relative_to(self.content_dir).as_posix())
                for path in sorted(root.rglob("*"))
                if path.is_file() and not any(part.startswith(".")
                                              for part in path.relative_to(root).parts)]


PARALLEL_AT_LEAST = 400  # releases; fewer are read faster than processes start
_WORKER: tuple[_Loader, Directories[Partner], Directories[Programme]] | None = None


def _check_releases(paths: list[str]) -> list[tuple[list[Problem], tuple[Any, ...] | None]]:
    """In a forked worker: read and check release files; each one's problems and model."""
    assert _WORKER is not None
    loader, partners, programmes = _WORKER
    results = []
    for path in paths:
        problems: list[Problem] = []
        doc = read_document(Path(path), problems)
        loader.problems = problems
        release = loader.release(doc, partners, programmes) if doc else None
        results.append((problems, detached(release) if release is not None else None))
    return results


def load_content(settings: Settings, problems: list[Problem],
                 memory: BuildMemory | None = None, workers: int = 1) -> Content:
    """Read every content file of the site; faults go to `problems`. With more than one
    worker, a large site's releases are read on that many processes (forked: never from a
    process that runs threads), and are not remembered in `memory`."""
    loader = _Loader(settings, problems, memory or BuildMemory())
    if not settings.content_dir.is_dir():
        problems.append(Problem(settings.content_dir, None, "there is no content folder",
                                "create content/releases/ and put your releases there"))
    problems.extend(links_out_of_site(settings.site_dir,
                                      [settings.content_dir, settings.templates_dir]))
    partners, programmes, directories, context = _organisations(loader)
    country_texts = loader.country_texts()
    releases = loader.releases(*directories, context, workers)
    return _content(loader, releases, partners, programmes, country_texts, loader.media())


def load_releases(settings: Settings, files: list[Path], problems: list[Problem],
                  memory: BuildMemory | None = None) -> Content:
    """Only these release files, with the partners, programmes and pages of the site (what a
    quick rebuild needs); no country texts and no media list."""
    loader = _Loader(settings, problems, memory or BuildMemory())
    partners, programmes, directories, context = _organisations(loader)
    releases = []
    outside = [_link_out(settings.site_dir.resolve(), path) for path in files if path.is_symlink()]
    problems.extend(problem for problem in outside if problem is not None)
    for path in files:
        doc = loader.memory.read(path, read_document, problems)
        release = loader.remembered(doc, context, lambda doc: loader.release(doc, *directories)
                                    ) if doc else None
        if release is not None:
            releases.append(release)
    return _content(loader, releases, partners, programmes, {}, [])


def links_out_of_site(site_dir: Path, folders: list[Path]) -> list[Problem]:
    """Every symbolic link below these folders that leads outside the site folder: an error
    naming the link, so that nothing from elsewhere on the computer is ever published."""
    root = site_dir.resolve()
    links: list[str] = []
    for folder in folders:
        walk(folder, links)
    outside = [_link_out(root, Path(link)) for link in sorted(links)]
    return [problem for problem in outside if problem is not None]


def _link_out(root: Path, link: Path) -> Problem | None:
    target = link.resolve()
    if target.is_relative_to(root):
        return None
    return Problem(link, None, f"is a symbolic link to {target}, outside the site folder",
                   "copy the file into the site instead; presskit publishes nothing from outside "
                   "the site folder")


def organisations(settings: Settings, memory: BuildMemory,
                  problems: list[Problem]) -> tuple[list[Partner], list[Programme], str]:
    """The partners and programmes (remembered in `memory`), and the context releases are
    checked in: a release checked in another context is not reused."""
    partners, programmes, _, context = _organisations(_Loader(settings, problems, memory))
    return partners, programmes, context


def remember_releases(memory: BuildMemory, releases: Iterable[tuple[Release, tuple[int, int, int]]],
                      context: str, read_at: float) -> None:
    """Releases checked by an earlier build, put into memory as if read and checked by this
    one (with the state their files had then): they are not read again while unchanged."""
    for release, state in releases:
        doc = Document(release.source, {}, "", release.body_line, release.digest, release.text)
        memory.files[release.source] = (state, doc, [], read_at)
        memory.models[release.source] = (doc, (release.source, context), [], _needed_files(release),
                                         release)


def _organisations(loader: _Loader) -> tuple[list[Partner], list[Programme],
                                             tuple[Directories[Partner], Directories[Programme]], str]:
    """Partners and programmes in every language, their directories, and the context a
    release is checked in."""
    partner_sets, partner_directories = loader.partners()
    partners = [p for items in partner_sets.values() for p in items]
    # A model made in an earlier build is reused only if what it refers to is the same too.
    context = fingerprint(repr(loader.settings.timezone), str(loader.settings.content_dir),
                          loader.settings.language_codes, [p.digest for p in partners])
    programme_sets, programme_directories = loader.programmes(partner_directories, context,
                                                              partner_sets)
    programmes = [p for items in programme_sets.values() for p in items]
    loader.contacts_read = loader.contacts(partner_directories, context, partner_sets)
    context = fingerprint(context, [p.digest for p in programmes],
                          [c.digest for c in loader.contacts_read])
    return partners, programmes, (partner_directories, programme_directories), context


def _content(loader: _Loader, releases: list[Release], partners: list[Partner],
             programmes: list[Programme], country_texts: dict[str, CountryText],
             media: list[Asset]) -> Content:
    problems = loader.problems
    pages = loader.pages()
    topics, topic_names = loader.named_topics()
    check_versions(releases, "release", problems)
    _check_site_references(loader, partners)
    for code in loader.settings.language_codes:
        _check_unique_slugs([r for r in releases if r.lang == code],
                            [p for p in pages if p.lang == code and p.text_lang == code], problems)
    _check_raw_html(loader.settings, [item for item in (*releases, *partners, *programmes,
                                                         *country_texts.values(), *pages, *topics)
                                       if item.lang == getattr(item, "text_lang", item.lang)],
                    problems)
    return Content(
        releases=tuple(releases),
        partners=tuple(partners),
        programmes=tuple(programmes),
        country_texts=country_texts,
        pages=tuple(sorted(pages, key=lambda page: (page.weight, page.title.casefold()))),
        media=tuple(media),
        topics=tuple(topics),
        topic_names=topic_names,
        contacts=tuple(loader.contacts_read),
        default_contacts=tuple(found.id for found in (
            (loader.contact_directories.get(loader.settings.language) or Directory("contact")).find(name)
            for name in loader.settings.default_contacts) if found is not None),
        organisation=make_slug(loader.settings.organisation_partner),
    )


def _check_site_references(loader: _Loader, partners: list[Partner]) -> None:
    """`default_contacts` and `organisation_partner` in presskit.toml name what exists."""
    settings = loader.settings
    file = settings.settings_file
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""

    def line_of(key: str) -> int | None:
        found = re.search(rf"^[ \t]*{key}[ \t]*=", text, re.MULTILINE)
        return text.count("\n", 0, found.start()) + 1 if found else None

    contacts = loader.contact_directories.get(settings.language) or Directory("contact")
    for written in settings.default_contacts:
        if contacts.find(written) is None:
            loader.problems.append(Problem(
                file, line_of("default_contacts"), f"unknown contact {written!r} in `default_contacts`",
                did_you_mean(contacts.suggest(written), "each contact is a file in content/contacts/; "
                             "write its file name without .md")))
    own = settings.organisation_partner
    if own and not any(p.id == make_slug(own) for p in partners):
        loader.problems.append(Problem(
            file, line_of("organisation_partner"), f"unknown partner {own!r} in `organisation_partner`",
            "write the file name (without .md) of the site's own organisation in content/partners/"))


def _check_raw_html(settings: Settings, items: list[Any], problems: list[Problem]) -> None:
    """A warning for each thing the sanitizer will take out of HTML written in a body."""
    renderer = None
    for item in items:
        if not (item.text.html if isinstance(item, Release) and item.text else "<" in item.body):
            continue  # (a release lent by the cache holds no Markdown: it keeps whether it has HTML)
        renderer = renderer or BodyRenderer(settings.base_path, settings.embed_hosts)
        for line, what in renderer.removals(item.body, item.body_line):
            problems.append(Problem(
                item.source, line, f"{what} is removed from the published page",
                "HTML in the text may format it; scripts, event handlers (onclick=...) and "
                "javascript: links are never published. Embed videos from the hosts in "
                f"`embed_hosts` in presskit.toml ({', '.join(settings.embed_hosts)})",
                warning=True))


def _check_unique_slugs(releases: list[Release], pages: list[Page], problems: list[Problem]) -> None:
    for items in (releases, pages):
        first: dict[str, Release | Page] = {}
        for item in items:
            if item.slug in first:
                other = first[item.slug]
                problems.append(Problem(
                    item.source, 1,
                    f"has the same address ({item.path}) as {other.source.name}",
                    "give one of them another file name, or a `slug:` of its own",
                ))
            else:
                first[item.slug] = item


_EMPTY_ALT = {"photo", "image", "picture", "img", "pic", "alt", "alt text", "untitled", "foto",
              "photograph", "graphic", "figure", "lead", "lead photo", "todo", "tbd", "xxx"}


def _says_nothing(alt: str, src: str) -> bool:
    """Alt text a screen reader reads out in vain: a placeholder word or the file's own name."""
    words = normalise(alt)
    name = Path(src).name
    return (words in _EMPTY_ALT or words.rstrip("0123456789 ") in _EMPTY_ALT or words.isdigit()
            or words in (normalise(name), normalise(Path(name).stem)))


def _near_files(missing: Path) -> list[str]:
    folder = missing.parent
    if not folder.is_dir():
        return []
    names = [entry.name for entry in folder.iterdir() if entry.is_file()]
    return difflib.get_close_matches(missing.name, names, n=2, cutoff=0.6)


def _identifier(version: Version) -> str:
    """An entity's id, the same in each version: its file's name, or its translation_key."""
    return make_slug(written_key(version.key) or version.name)


def _of(version: Version) -> dict[str, str]:
    """The fields a model takes from its version."""
    return {"lang": version.lang, "text_lang": version.lang, "root": version.root, "key": version.key}


def _top_line(doc: Document) -> int:
    return min((node.line for node in doc.front.values()), default=1)


def _needed_files(model: object) -> list[Path]:
    """The files a model points at, which must still be there when it is reused."""
    if isinstance(model, Release):
        return [photo.asset.source for photo in model.photos]
    if isinstance(model, Partner) and model.logo:
        return [model.logo.source]
    return []
