"""Site settings: `presskit.toml` read into a frozen, typed `Settings`."""

from __future__ import annotations

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

_KNOWN = {"title", "base_url", "language", "timezone", "organisation", "description",
          "releases_per_page", "feed_entries", "footer", "embed_hosts"}

# Hosts whose players a body may embed in an <iframe> (`embed_hosts` in presskit.toml).
DEFAULT_EMBED_HOSTS = ("www.youtube.com", "www.youtube-nocookie.com", "youtube.com",
                       "player.vimeo.com")


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
    extra: dict[str, Any] = field(default_factory=dict)
    output: Path | None = None  # where `build` writes, when not output/ (--out, previews)

    @property
    def base_path(self) -> str:
        """The path part of base_url: "/" or "/newsroom/"."""
        return urlsplit(self.base_url).path or "/"

    @property
    def content_dir(self) -> Path:
        return self.site_dir / "content"

    @property
    def templates_dir(self) -> Path:
        return self.site_dir / "templates"

    @property
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

    problems: list[Problem] = []

    def line_of(key: str) -> int | None:
        match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
        return text.count("\n", 0, match.start()) + 1 if match else None

    def text_setting(key: str, required: bool = False, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or (required and not value.strip()):
            hint = f'add a line `{key} = "..."` at the top of presskit.toml'
            what = "is missing" if key not in data else "must be text in double quotes"
            problems.append(Problem(path, line_of(key), f"`{key}` {what}", hint))
            return default
        return value.strip()

    title = text_setting("title", required=True)
    base_url = text_setting("base_url", required=True)
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(Problem(
                path, line_of("base_url"), f"`base_url` {base_url!r} is not a web address",
                'write the full address where the site will be published, e.g. '
                '"https://example.org/newsroom/"',
            ))
        elif parts.query or parts.fragment:
            problems.append(Problem(path, line_of("base_url"), "`base_url` must not have ? or #"))
        base_url = base_url if base_url.endswith("/") else base_url + "/"

    language = text_setting("language", default="en") or "en"
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        problems.append(Problem(
            path, line_of("language"), f"`language` {language!r} is not a known language code",
            'use a code such as "en", "fr", "vi" or "pt-BR"',
        ))
        language = "en"

    timezone = None
    zone_name = text_setting("timezone")
    if zone_name:
        try:
            timezone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(Problem(
                path, line_of("timezone"), f"`timezone` {zone_name!r} is not a known time zone",
                'use a name from the tz database, e.g. "Asia/Ho_Chi_Minh" or "Europe/Geneva"',
            ))

    numbers = {}
    for key, default in (("releases_per_page", 20), ("feed_entries", 20)):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(Problem(path, line_of(key), f"`{key}` must be a whole number above 0"))
            value = default
        numbers[key] = value

    embed_hosts = data.get("embed_hosts", list(DEFAULT_EMBED_HOSTS))
    if not isinstance(embed_hosts, list) or not all(
            isinstance(host, str) and re.fullmatch(r"[a-z0-9.-]+", host.strip().lower())
            for host in embed_hosts):
        problems.append(Problem(path, line_of("embed_hosts"),
                                "`embed_hosts` must be a list of host names in double quotes",
                                'e.g. embed_hosts = ["www.youtube.com", "player.vimeo.com"]'))
        embed_hosts = list(DEFAULT_EMBED_HOSTS)

    if problems:
        raise BuildFailed(problems)
    return Settings(
        site_dir=site_dir,
        title=title,
        base_url=base_url,
        language=language,
        timezone=timezone,
        organisation=text_setting("organisation"),
        description=text_setting("description"),
        footer=text_setting("footer"),
        releases_per_page=numbers["releases_per_page"],
        feed_entries=numbers["feed_entries"],
        embed_hosts=tuple(host.strip().lower() for host in embed_hosts),
        extra={key: value for key, value in data.items() if key not in _KNOWN},
    )
