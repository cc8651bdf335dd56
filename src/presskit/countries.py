"""Countries: ISO 3166 codes with the names the United Nations use, and the names people write."""

from __future__ import annotations

import difflib
import importlib.util
import os
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError

from presskit import paths
from presskit.text import make_slug, normalise

# Where the United Nations' short name differs from ISO 3166's.
UN_NAMES = {
    "BO": "Bolivia (Plurinational State of)",
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia (Federated States of)",
    "GB": "United Kingdom of Great Britain and Northern Ireland",
    "IR": "Iran (Islamic Republic of)",
    "KP": "Democratic People's Republic of Korea",
    "KR": "Republic of Korea",
    "MD": "Republic of Moldova",
    "PS": "State of Palestine",
    "TZ": "United Republic of Tanzania",
    "US": "United States of America",
    "VA": "Holy See",
    "VE": "Venezuela (Bolivarian Republic of)",
    "VG": "British Virgin Islands",
    "VI": "United States Virgin Islands",
}

# Names people commonly write that neither ISO nor the UN use.
VARIANTS = {
    "Vietnam": "VN", "Viet-Nam": "VN", "Laos": "LA", "Lao PDR": "LA", "Turkey": "TR",
    "Ivory Coast": "CI", "South Korea": "KR", "Korea": "KR", "North Korea": "KP",
    "DPRK": "KP", "Russia": "RU", "Iran": "IR", "Syria": "SY", "Tanzania": "TZ",
    "Moldova": "MD", "Venezuela": "VE", "Bolivia": "BO", "DR Congo": "CD", "DRC": "CD",
    "Congo-Kinshasa": "CD", "Democratic Republic of Congo": "CD", "Congo-Brazzaville": "CG",
    "Republic of the Congo": "CG", "UK": "GB", "Great Britain": "GB", "Britain": "GB",
    "United Kingdom": "GB", "USA": "US", "United States": "US", "Czech Republic": "CZ",
    "Swaziland": "SZ", "Cape Verde": "CV", "Burma": "MM", "East Timor": "TL",
    "Timor Leste": "TL", "Macedonia": "MK", "Brunei": "BN", "Vatican": "VA",
    "Vatican City": "VA", "Micronesia": "FM", "Palestine": "PS", "The Gambia": "GM",
    "The Bahamas": "BS", "Holland": "NL", "The Netherlands": "NL", "Kyrgyzstan": "KG",
    "Taiwan": "TW", "Hong Kong": "HK", "Macau": "MO", "Macao": "MO", "Sao Tome": "ST",
    "Saint Kitts": "KN", "Saint Lucia": "LC", "St Lucia": "LC", "Saint Vincent": "VC",
    "Trinidad": "TT", "UAE": "AE", "Emirates": "AE",
}


@dataclass(frozen=True)
class Country:
    """A country as one language of the newsroom shows it: code, name and the address of
    its page (the slug is the same in every language: /vi/countries/viet-nam/)."""

    code: str  # ISO 3166-1 alpha-2
    name: str  # the UN's English short name, or CLDR's name in another language
    alpha3: str
    slug: str
    root: str = "/"  # of the language it is shown in

    @property
    def path(self) -> str:
        return paths.country(self.slug, self.root)


@cache
def in_language(country: Country, language: str, root: str) -> Country:
    """The country as pages in that language name it: CLDR's name ("Việt Nam", "Campuchia");
    English keeps the UN's names, which CLDR's English differs from ("Vietnam")."""
    if language.split("-")[0] == "en":
        return Country(country.code, country.name, country.alpha3, country.slug, root)
    try:
        name = Locale.parse(language.replace("-", "_")).territories.get(country.code, country.name)
    except (UnknownLocaleError, ValueError):
        name = country.name
    return Country(country.code, name, country.alpha3, country.slug, root)


Table = tuple[dict[str, tuple[str, str]], dict[str, str]]
_TABLE: Table | None = None


def _table() -> Table:
    global _TABLE
    if _TABLE is None:
        _TABLE = _made_table()
    return _TABLE


def table_state() -> tuple[tuple[int, int], Table] | None:
    """The table as made in this process, with the state of the ISO file it was made from,
    for `adopt_table` in the next process (presskit.store keeps it with the checked models:
    making it costs a quick rebuild pycountry's import, about 50 ms); None if not made."""
    source = _database()
    if _TABLE is None or source is None:
        return None
    return source, _TABLE


def adopt_table(state: object) -> None:
    """Use a table kept by `table_state` if pycountry's ISO file is still the same."""
    global _TABLE
    if (_TABLE is None and isinstance(state, tuple) and len(state) == 2
            and state[0] == _database() and isinstance(state[1], tuple)):
        _TABLE = state[1]


def _database() -> tuple[int, int] | None:
    """The time and size of pycountry's ISO 3166-1 file, found without importing pycountry."""
    try:
        spec = importlib.util.find_spec("pycountry")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return None
        stat = os.stat(os.path.join(os.path.dirname(origin), "databases", "iso3166-1.json"))
    except (OSError, ImportError, ValueError):
        return None
    return stat.st_mtime_ns, stat.st_size


def _made_table() -> Table:
    """Countries' names and alpha-3 codes by code, and every name, code and variant
    (normalised) to a code."""
    import pycountry  # here, not at start: a quick rebuild often meets no country name

    by_code: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}
    for record in pycountry.countries:
        code = record.alpha_2
        name = UN_NAMES.get(code, record.name)
        by_code[code] = (name, record.alpha_3)
        for written in (code, record.alpha_3, name, record.name,
                        getattr(record, "common_name", None), getattr(record, "official_name", None)):
            if written:
                names.setdefault(normalise(written), code)
    for written, code in VARIANTS.items():
        names.setdefault(normalise(written), code)
    return by_code, names


@cache
def _country(code: str) -> Country:
    name, alpha3 = _table()[0][code]
    return Country(code, name, alpha3, make_slug(name))  # slugs made as countries are met


def find_country(written: str) -> Country | None:
    """The country meant by a code (VN, VNM) or a name (Viet Nam, Vietnam), or None."""
    code = _table()[1].get(normalise(written))
    return _country(code) if code else None


def country_by_code(code: str) -> Country | None:
    code = code.upper()
    return _country(code) if code in _table()[0] else None


def suggest_countries(written: str) -> list[str]:
    """Up to three country names close to what was written, for "did you mean" hints."""
    by_code, names = _table()
    close = difflib.get_close_matches(normalise(written), list(names), n=6, cutoff=0.72)
    suggestions: list[str] = []
    for key in close:
        name = by_code[names[key]][0]
        if name not in suggestions:
            suggestions.append(name)
    return suggestions[:3]
