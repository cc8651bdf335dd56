"""Small text helpers shared by every stage: slugs and forgiving name matching."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from babel.dates import format_datetime, get_timezone_location
from slugify import slugify

# "People's" becomes "peoples", not "people-s"; "d'Ivoire" keeps its hyphen.
_POSSESSIVE = [["'s", "s"], ["\u2019s", "s"]]

MAX_SLUG = 80
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@lru_cache(maxsize=65536)
def make_slug(text: str, fallback_seed: str = "") -> str:
    """A URL slug for any text; never empty, even for text with no Latin letters."""
    slug = slugify(text, replacements=_POSSESSIVE)
    if len(slug) > MAX_SLUG:  # whole words from the start (slugify's own cut drops middle ones)
        cut = slug[:MAX_SLUG + 1].rsplit("-", 1)[0] if "-" in slug[:MAX_SLUG + 1] else slug[:MAX_SLUG]
        slug = cut.strip("-")
    if slug:
        return slug
    digest = hashlib.sha1((fallback_seed or text).encode("utf-8")).hexdigest()[:8]
    return f"item-{digest}"


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """How names are compared: any case, any accents, any punctuation."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("\u2019", "'").replace("&", " and ").casefold()
    return re.sub(r"[\W_]+", " ", bare).strip()  # letters of every script, not only a-z


def local_time(moment: datetime, zone: tzinfo | None, locale: str = "en") -> str:
    """A moment as people say it where the newsroom is: "2 December 2026, 09:00 Ho Chi Minh
    City time" (the city is CLDR's name for the time zone's), or in UTC without a zone."""
    if zone is None or getattr(zone, "key", "UTC") in ("UTC", "Etc/UTC"):
        local, place = moment.astimezone(UTC), "UTC"
    else:
        local = moment.astimezone(zone)
        place = f"{get_timezone_location(zone, locale=locale, return_city=True)} time"
    return f"{format_datetime(local, 'd MMMM y, HH:mm', tzinfo=local.tzinfo, locale=locale)} {place}"


def held_back_line(title: str, draft: bool, embargo: datetime | None, zone: tzinfo | None) -> str:
    """How a release left out of a build is named, in the build's summary and the preview."""
    if draft:
        return f'Draft: "{title}"'
    assert embargo is not None
    return f'Embargoed until {local_time(embargo, zone)}: "{title}"'


def new_release_line(release: Any, graph: Any) -> str:
    """How a release published for the first time is announced, in `build` and `serve`."""
    names = graph.listed_on(release)
    where = ", ".join(names) if names else "the home page and the list of releases only"
    return f'New: "{release.title}", listed on: {where}'
