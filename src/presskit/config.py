"""Site settings: `presskit.toml` read into a frozen, typed `Settings`."""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from presskit.errors import BuildFailed, Problem

SETTINGS_FILE = "presskit.toml"

# Hosts whose players a body may embed in an <iframe> (`embed_hosts` in presskit.toml).
DEFAULT_EMBED_HOSTS = ("www.youtube.com", "www.youtube-nocookie.com", "youtube.com",
                       "player.vimeo.com")


@dataclass(frozen=True)
class LanguageSettings:
    """One further language of the site (`[languages.vi]`): what it says differently."""

    code: str
    title: str = ""
    description: str = ""
    organisation: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Settings:
    """What a site says about itself in presskit.toml."""

    site_dir: Path
    title: str
    base_url: str  # always ends with "/"
    language: str = "en"
    timezone: ZoneInfo | None = None
    organisation: str = ""
    description: str = ""
    footer: str = ""
    releases_per_page: int = 20
    feed_entries: int = 20
    embed_hosts: tuple[str, ...] = DEFAULT_EMBED_HOSTS
    logo: str = ""  # site path of the organisation's logo, e.g. /media/logo.png
    organisation_partner: str = ""  # the partner file that is the site's own organisation
    default_contacts: tuple[str, ...] = ()  # contacts of a release that names none
    default_image: str = ""  # site path of the link-preview image of pages without a photo
    keep_photo_location: bool = False  # publish photos' GPS data (never, unless asked)
    languages: tuple[LanguageSettings, ...] = ()  # besides `language`, in the file's order
    extra: dict[str, Any] = field(default_factory=dict)
    output: Path | None = None  # where `build` writes, when not output/ (--out, previews)

    @property
    def language_codes(self) -> tuple[str, ...]:
        """Every language of the site, the default one first."""
        return (self.language, *(language.code for language in self.languages))

    @functools.cached_property  # asked for once per file of a build
    def base_path(self) -> str:
        """The path part of base_url: "/" or "/newsroom/"."""
        return urlsplit(self.base_url).path or "/"

    @functools.cached_property  # asked for once per file of a build
    def content_dir(self) -> Path:
        return self.site_dir / "content"

    @property
    def templates_dir(self) -> Path:
        return self.site_dir / "templates"

    @functools.cached_property  # asked for once per file of a build
    def output_dir(self) -> Path:
        return self.output or self.site_dir / "output"

    @property
    def publishable_dir(self) -> Path:
        """output/: what is deployed; an embargo or drafts preview never goes there."""
        return self.site_dir / "output"

    @property
    def preview_dir(self) -> Path:
        """Where `build --as-of` and `build --drafts` write unless told otherwise."""
        return self.site_dir / "preview"

    @property
    def settings_file(self) -> Path:
        return self.site_dir / SETTINGS_FILE


class Option:
    """One key of presskit.toml: its default, and how a value is checked. `read` returns the
    value to keep, or raises _Bad with what is wrong and how to write it instead."""

    def __init__(self, default: Any = None, required: bool = False) -> None:
        self.default = default
        self.required = required

    def read(self, value: Any) -> Any:
        return value


class _Bad(Exception):
    """A wrong value: what is wrong, how to write it, and (in a table) the key it is at."""

    def __init__(self, message: str, hint: str | None = None, at: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.at = message, hint, at


class Text(Option):
    def __init__(self, default: str = "", required: bool = False, example: str = "...") -> None:
        super().__init__(default, required)
        self.example = example

    def read(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _Bad("must be text in double quotes", f'e.g. "{self.example}"')
        if self.required and not value.strip():
            raise _Bad("is empty", f'e.g. "{self.example}"')
        return value.strip()


class WebAddress(Text):
    def read(self, value: Any) -> str:
        text = super().read(value)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _Bad(f"{text!r} is not a web address", "write the full address where the site "
                       'will be published, e.g. "https://example.org/newsroom/"')
        if parts.query or parts.fragment:
            raise _Bad("must not have ? or #")
        return text if text.endswith("/") else text + "/"


def known_language(code: str) -> bool:
    """Whether a BCP 47 code names a language CLDR knows: en, vi, ar, zh-Hans, pt-BR."""
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", code):
        return False
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


class LanguageCode(Text):
    def read(self, value: Any) -> str:
        code = super().read(value) or self.default
        if not known_language(code):
            raise _Bad(f"{code!r} is not a known language code",
                       'use a code such as "en", "fr", "vi", "ar" or "pt-BR"')
        return code


LANGUAGE_KEYS = ("title", "description", "organisation", "footer")


class Languages(Option):
    """`[languages.vi]` tables: each further language, with optional overrides of the site's
    title, description, organisation and footer."""

    def __init__(self) -> None:
        super().__init__(default=())

    def read(self, value: Any) -> tuple[LanguageSettings, ...]:
        if not isinstance(value, dict):
            raise _Bad("must be tables such as [languages.vi]",
                       'write `[languages.vi]` on a line of its own, then e.g. `title = "Bản tin"`')
        found = []
        for code, table in value.items():
            if not known_language(code):
                raise _Bad(f"[languages.{code}]: {code!r} is not a known language code",
                           'use a BCP 47 code such as "fr", "vi", "ar" or "zh-Hans"',
                           at=f"languages.{code}")
            if not isinstance(table, dict):
                raise _Bad(f"languages.{code} must be a table",
                           f'write `[languages.{code}]` on a line of its own', at=f"languages.{code}")
            for key, text in table.items():
                if key not in LANGUAGE_KEYS:
                    close = difflib.get_close_matches(key, LANGUAGE_KEYS, n=1, cutoff=0.6)
                    raise _Bad(f"[languages.{code}] has an unknown key `{key}`",
                               f"did you mean `{close[0]}`?" if close else
                               "a language may set " + ", ".join(LANGUAGE_KEYS), at=f"languages.{code}")
                if not isinstance(text, str):
                    raise _Bad(f"`{key}` of [languages.{code}] must be text in double quotes",
                               f'e.g. {key} = "..."', at=f"languages.{code}")
            found.append(LanguageSettings(code, **{k: v.strip() for k, v in table.items()}))
        return tuple(found)


class TimeZone(Text):
    def __init__(self, example: str = "") -> None:
        super().__init__(example=example)
        self.default = None  # no zone: an embargo without an offset is an error, never a guess

    def read(self, value: Any) -> ZoneInfo | None:
        name = super().read(value)
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _Bad(f"{name!r} is not a known time zone", 'use a name from the tz database, '
                       'e.g. "Asia/Ho_Chi_Minh" or "Europe/Zurich"') from None


class MediaFile(Text):
    """A file in content/media/, written as its site path: `/media/logo.png`."""

    def __init__(self, site_dir: Path | None = None, example: str = "/media/logo.png") -> None:
        super().__init__(example=example)
        self.site_dir = site_dir

    def read(self, value: Any) -> str:
        path = super().read(value)
        if path and not path.startswith("/media/"):
            raise _Bad(f"{path!r} is not in content/media/", f'put the file in content/media/ and '
                       f'write e.g. "{self.example}"')
        if path and self.site_dir is not None:
            file = self.site_dir / "content" / path.lstrip("/")
            if not file.is_file():
                raise _Bad(f"{path!r}: there is no file content{path}",
                           "check the file's name, or put it in content/media/")
        return path


class WholeNumber(Option):
    def read(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _Bad("must be a whole number above 0", f"e.g. {self.default}")
        return value


class HostList(Option):
    def read(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(
                isinstance(host, str) and re.fullmatch(r"[a-z0-9.-]+", host.strip().lower())
                for host in value):
            raise _Bad("must be a list of host names in double quotes",
                       'e.g. embed_hosts = ["www.youtube.com", "player.vimeo.com"]')
        return tuple(host.strip().lower() for host in value)


class YesNo(Option):
    def read(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise _Bad("must be true or false, without quotes", "e.g. keep_photo_location = false")
        return value


class RasterImage(MediaFile):
    """A photo for link previews: social networks show no SVG."""

    def read(self, value: Any) -> str:
        path = super().read(value)
        if path and not path.lower().endswith((".jpg", ".jpeg", ".png", ".webp")):
            raise _Bad(f"{path!r} is not a photo that link previews show",
                       'use a .jpg, .png or .webp file, e.g. "/media/newsroom.jpg" (an SVG is never shown)')
        return path


class TextList(Option):
    def __init__(self, example: str) -> None:
        super().__init__(default=())
        self.example = example

    def read(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip()
                                                  for item in value):
            raise _Bad("must be a list of names in double quotes", f"e.g. {self.example}")
        return tuple(item.strip() for item in value)


# Every key presskit reads, with its check: the list of known keys, in one place.
OPTIONS: dict[str, Option] = {
    "title": Text(required=True, example="ILO Country Office for Viet Nam"),
    "base_url": WebAddress(required=True, example="https://example.org/newsroom/"),
    "language": LanguageCode(default="en", example="en"),
    "timezone": TimeZone(example="Asia/Ho_Chi_Minh"),
    "organisation": Text(example="International Labour Organization"),
    "description": Text(),
    "footer": Text(),
    "releases_per_page": WholeNumber(default=20),
    "feed_entries": WholeNumber(default=20),
    "embed_hosts": HostList(default=DEFAULT_EMBED_HOSTS),
    "logo": MediaFile(),
    "organisation_partner": Text(example="ilo"),
    "default_contacts": TextList(example='default_contacts = ["nguyen-thu-ha"]'),
    "default_image": RasterImage(example="/media/newsroom.jpg"),
    "keep_photo_location": YesNo(default=False),
    "languages": Languages(),
}


def load_settings(site_dir: Path) -> Settings:
    """Read and check presskit.toml; raise BuildFailed listing every problem in it."""
    path = site_dir / SETTINGS_FILE
    if not path.is_file():
        raise BuildFailed([Problem(
            path, None, "no presskit.toml here: this folder is not a presskit site",
            "run presskit in the site's folder, or name it: `presskit build path/to/site`",
        )])
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        raise BuildFailed([Problem(
            path, int(found.group(1)) if found else None,
            f"is not valid TOML: {re.sub(r' [(]at line.*', '', str(error))}",
            'write each setting as `key = "value"`, with text in double quotes',
        )]) from None

    def line_of(key: str) -> int | None:
        match = re.search(rf"^[ \t]*(?:{re.escape(key)}[ \t]*=|\[{re.escape(key)}[.\]])", text, re.MULTILINE)
        return text.count("\n", 0, match.start()) + 1 if match else None

    problems: list[Problem] = []
    values: dict[str, Any] = {}
    options = OPTIONS | {"logo": MediaFile(site_dir),  # a file is checked in this site
                         "default_image": RasterImage(site_dir, example="/media/newsroom.jpg")}
    for key, option in options.items():
        if key not in data:
            if option.required:
                problems.append(Problem(path, None, f"`{key}` is missing",
                                        f'add a line `{key} = "..."` at the top of presskit.toml'))
            values[key] = option.default
            continue
        try:
            values[key] = option.read(data[key])
        except _Bad as bad:
            problems.append(Problem(path, line_of(bad.at or key),
                                    bad.message if bad.at else f"`{key}` {bad.message}", bad.hint))
            values[key] = option.default
    for key in data:
        close = difflib.get_close_matches(key.lower(), list(OPTIONS), n=1, cutoff=0.8)
        if key not in OPTIONS and close:  # a near miss would silently keep the default
            problems.append(Problem(path, line_of(key), f"`{key}` is not a setting presskit knows",
                                    f"did you mean `{close[0]}`? Rename it to `{close[0]}`."))
    default = values["language"]
    if any(language.code == default for language in values["languages"]):
        problems.append(Problem(path, line_of(f"languages.{default}"),
                                f"[languages.{default}] repeats the default language",
                                "set the default language's title with `title` at the top; "
                                "[languages.*] tables are for the other languages"))
    if problems:
        raise BuildFailed(problems)
    return Settings(site_dir=site_dir, **values,
                    extra={key: value for key, value in data.items() if key not in OPTIONS})
