"""The languages of a site: where each one's pages start, how it writes dates and which way
it reads, and the theme's words in it (gettext catalogs, read with Babel).

A language is a dimension the build loops over: every stage gets one `Language` at a time.
"""

from __future__ import annotations

import contextlib
import gettext
import hashlib
import io
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from babel import Locale
from babel.support import Translations

from presskit import paths
from presskit.cache import keep_file, part_dir
from presskit.config import Settings, known_language
from presskit.errors import Problem
from presskit.seal import seal, unseal

CATALOG_DOMAIN = "messages"


def N_(text: str) -> str:
    """Marks a text for the catalogs (Babel extracts it); it is translated where shown."""
    return text


@dataclass(frozen=True)
class Language:
    """One language of the site, with what its pages say differently."""

    code: str  # BCP 47: en, vi, ar, zh-Hans
    root: str  # where its pages start: "/" for the default language, "/vi/" for another
    title: str
    description: str
    organisation: str
    footer: str
    default: bool

    @property
    def locale(self) -> str:
        """Babel's locale for dates and numbers. Plain "en" dates read "22 May 2023", as in
        international (and UN) usage, rather than America's "May 22, 2023"."""
        return "en_001" if self.code == "en" else self.code.replace("-", "_")

    @cached_property
    def name(self) -> str:
        """The language's name in itself, as a switcher shows it: "Tiếng Việt", "العربية"."""
        locale = Locale.parse(self.code.replace("-", "_"))
        name = locale.get_display_name(locale) or self.code
        return name[:1].upper() + name[1:]

    @property
    def comma(self) -> str:
        """How the language separates the parts of a dateline: Arabic script's own comma."""
        return "، " if self.code.split("-")[0] in ("ar", "fa", "ur", "ps") else ", "

    @cached_property
    def direction(self) -> str:
        return Locale.parse(self.code.replace("-", "_")).text_direction


def site_languages(settings: Settings) -> tuple[Language, ...]:
    """Every language of the site, the default one first."""
    default = Language(settings.language, "/", settings.title, settings.description,
                       settings.organisation, settings.footer, True)
    return (default, *(Language(
        other.code, paths.language_root(other.code, settings.language),
        other.title or settings.title, other.description or settings.description,
        other.organisation or settings.organisation, other.footer or settings.footer, False)
        for other in settings.languages))


_SUFFIX = re.compile(r"^(?P<name>.+)\.(?P<code>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)$")


def language_name(code: str) -> str:
    """A language's English name, for messages: "Vietnamese"."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except ValueError:
        return code


def split_language(stem: str) -> tuple[str, str | None]:
    """A file name's stem and its language suffix: "hanoi.vi" -> ("hanoi", "vi"); a suffix
    that is not a language code CLDR knows is part of the name ("plan.v2")."""
    found = _SUFFIX.match(stem)
    if found and known_language(found["code"]):
        return found["name"], found["code"]
    return stem, None


# -- the theme's words ---------------------------------------------------------------------

def catalog_names(code: str) -> list[str]:
    """The catalog folders that serve a language, most specific first: pt-BR -> pt_BR, pt."""
    name = code.replace("-", "_")
    return [name, name.split("_")[0]] if "_" in name else [name]


def needs_catalog(code: str) -> bool:
    """The theme is written in English: only other languages need a catalog."""
    return code.split("-")[0] != "en"


def catalog_file(theme_dir: Path, code: str) -> Path | None:
    """A theme folder's catalog for a language: the compiled .mo, else the .po it comes from."""
    for name in catalog_names(code):
        folder = theme_dir / "locale" / name / "LC_MESSAGES"
        for suffix in (".mo", ".po"):
            file = folder / (CATALOG_DOMAIN + suffix)
            if file.is_file():
                return file
    return None


def translations(theme_dirs: list[Path], code: str,
                 kept: tuple[Path, bool] | None = None) -> tuple[gettext.NullTranslations, list[object]]:
    """The theme's words in a language, the site's own catalog first, then the built-in
    theme's (none: the words stay English); and what they were read from (file, time, size),
    so that a changed catalog changes every page's fingerprint. `kept`: the site whose
    .presskit-cache/ keeps each .po catalog compiled, and whether it may be written there."""
    found: gettext.NullTranslations | None = None
    sources: list[object] = []
    for theme_dir in theme_dirs:
        file = catalog_file(theme_dir, code) if needs_catalog(code) else None
        if file is None:
            continue
        stat = file.stat()
        sources.append((str(file), stat.st_mtime_ns, stat.st_size))
        # A fresh object each time: a fallback added here must not stick to the cached
        # catalog, or each build in one process (serve) would chain it to itself again.
        loaded = _copy(_load(str(file), stat.st_mtime_ns, stat.st_size, kept))
        if found is None:
            found = loaded
        else:
            found.add_fallback(loaded)
    return found or gettext.NullTranslations(), sources


def missing_catalogs(settings: Settings, theme_dirs: list[Path]) -> list[Problem]:
    """A warning for each language of the site whose theme words have no catalog yet: its
    pages build, with English labels."""
    warnings = []
    for code in settings.language_codes:
        if needs_catalog(code) and not any(catalog_file(d, code) for d in theme_dirs):
            name = language_name(code)
            warnings.append(Problem(
                settings.settings_file,
                _table_line(settings.settings_file, code, code == settings.language),
                f"presskit has no {name} words for its pages yet: their labels (Releases, Share, "
                f"...) stay in English", f"run `presskit new language {code}` and translate the "
                f"file it writes, templates/locale/{catalog_names(code)[0]}/LC_MESSAGES/messages.po",
                warning=True))
    return warnings


def _table_line(settings_file: Path, code: str, default: bool) -> int | None:
    try:
        text = settings_file.read_text(encoding="utf-8")
    except OSError:
        return None
    pattern = r"^[ \t]*language[ \t]*=" if default else rf"^[ \t]*\[languages\.{re.escape(code)}\]"
    found = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else None


@lru_cache(maxsize=32)
def _load(file: str, _mtime: int, _size: int, kept: tuple[Path, bool] | None = None) -> Translations:
    """A catalog, compiled in memory when it is a .po (a site's own, or a checkout's), and
    kept compiled in the site's cache (`kept`, see `translations`), sealed, with the digest of
    the .po it was compiled from: each build, a new process, compiled it again (0.02 s of a
    build after an edit, for each language a .po gives words)."""
    with open(file, "rb") as handle:
        data = handle.read()
    if file.endswith(".mo"):
        return Translations(io.BytesIO(data), domain=CATALOG_DOMAIN)
    digest = hashlib.blake2b(data, digest_size=16).digest()
    name = f"catalog-{hashlib.blake2b(file.encode(), digest_size=8).hexdigest()}.mo"
    found = None
    if kept is not None:
        with contextlib.suppress(OSError):
            found = unseal((part_dir(kept[0]) / name).read_bytes())
    if found is not None and found[:len(digest)] == digest:
        compiled = found[len(digest):]
    else:
        from babel.messages.mofile import write_mo  # a .po: a site's own catalog, or a checkout's
        from babel.messages.pofile import read_po

        made = io.BytesIO()
        write_mo(made, read_po(io.BytesIO(data)), use_fuzzy=False)
        compiled = made.getvalue()
        if kept is not None and kept[1]:
            keep_file(kept[0], name, seal(digest + compiled))
    return Translations(io.BytesIO(compiled), domain=CATALOG_DOMAIN)


def _copy(loaded: Translations) -> gettext.NullTranslations:
    """A fresh object around a loaded catalog (its messages shared, not copied)."""
    fresh = gettext.GNUTranslations()
    fresh._catalog = loaded._catalog  # type: ignore[attr-defined]
    fresh.plural = loaded.plural  # type: ignore[attr-defined,method-assign]
    fresh._info = getattr(loaded, "_info", {})  # type: ignore[attr-defined]
    fresh._charset = "utf-8"  # type: ignore[attr-defined]
    return fresh
