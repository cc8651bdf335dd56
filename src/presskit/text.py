"""Small text helpers shared by every stage: slugs and forgiving name matching."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from slugify import slugify

# "People's" becomes "peoples", not "people-s"; "d'Ivoire" keeps its hyphen.
_POSSESSIVE = [["'s", "s"], ["\u2019s", "s"]]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@lru_cache(maxsize=65536)
def make_slug(text: str, fallback_seed: str = "") -> str:
    """A URL slug for any text; never empty, even for text with no Latin letters."""
    slug = slugify(text, max_length=80, word_boundary=True, replacements=_POSSESSIVE)
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
    return re.sub(r"[^0-9a-z]+", " ", bare).strip()
