"""New files for writers: a release, a translation of a file, a language's catalog of the
theme's words. Each returns the file it wrote, or raises Refused with what to do instead."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from presskit.config import Settings, known_language, load_settings
from presskit.errors import BuildFailed
from presskit.languages import catalog_file, catalog_names, language_name, split_language
from presskit.render import builtin_theme
from presskit.text import make_slug


class Refused(Exception):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def site_settings(site: Path) -> Settings:
    if not (site / "presskit.toml").is_file():
        raise Refused(f"{site} has no presskit.toml", "run this in your site's folder, or add "
                      "--site path/to/site")
    try:
        return load_settings(site.resolve())
    except BuildFailed as failure:
        first = failure.problems[0]
        raise Refused(f"presskit.toml: {first.message}", first.hint or "fix presskit.toml first") from None


def _checked_language(settings: Settings, lang: str | None) -> str:
    code = lang or settings.language
    if code not in settings.language_codes:
        raise Refused(f"{code!r} is not one of the site's languages ({', '.join(settings.language_codes)})",
                      f"add `[languages.{code}]` to presskit.toml first" if known_language(code)
                      else 'use a language code such as "vi", "fr" or "ar"')
    return code


def _suffix(settings: Settings, code: str) -> str:
    return "" if code == settings.language else f".{code}"


def new_release(site: Path, title: str, lang: str | None = None) -> Path:
    """content/releases/YEAR/SLUG.md (SLUG.vi.md in another language) with every key."""
    settings = site_settings(site)
    code = _checked_language(settings, lang)
    if not title.strip():
        raise Refused("the title is empty", 'presskit new release "Your headline"')
    today = _today(settings)
    slug = make_slug(title)  # ASCII and readable: "Hội thảo khu vực" -> hoi-thao-khu-vuc
    path = site / "content" / "releases" / str(today.year) / f"{slug}{_suffix(settings, code)}.md"
    if path.exists():
        raise Refused(f"{path} already exists", "choose another title, or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RELEASE_TEMPLATE.format(title=json.dumps(title.strip(), ensure_ascii=False),
                                            date=today.isoformat()), encoding="utf-8")
    return path


def new_translation(site: Path, file: Path, lang: str) -> Path:
    """The twin of a content file in another language, beside it: the front matter copied
    (a release's as a draft), the text left to translate."""
    settings = site_settings(site)
    code = _checked_language(settings, lang)
    if not file.is_file() or file.suffix != ".md":
        raise Refused(f"{file} is not a content file", "name a .md file under content/, e.g. "
                      "content/releases/2026/hanoi-workshop.md")
    stem, own = split_language(file.stem)
    if (own or settings.language) == code:
        raise Refused(f"{file.name} is already the {language_name(code)} version",
                      "name the language of the new version with --lang")
    twin = file.with_name(f"{stem}{_suffix(settings, code)}.md")
    if twin.exists():
        raise Refused(f"{twin} already exists", "edit that file, it is the translation")
    text = file.read_text(encoding="utf-8")
    found = re.match(r"\A(---\s*\n)(.*?\n)(---\s*\n?)(.*)\Z", text, re.DOTALL)
    if found is None:
        raise Refused(f"{file} has no front matter between --- lines", "translate a release, "
                      "partner, programme, country, topic or page file")
    front = re.sub(r"(?m)^lang:.*\n", "", found[2])
    if "releases" in file.parts:
        note = f"draft: true             # set to false when the {language_name(code)} text is ready\n"
        front = re.sub(r"(?m)^draft:.*\n", "", front) + note
    twin.write_text(found[1] + front + found[3] + found[4], encoding="utf-8")
    return twin


def new_language(site: Path, code: str) -> Path:
    """templates/locale/CODE/LC_MESSAGES/messages.po: the theme's words to translate, started
    from presskit's own catalog of that language if it has one."""
    settings = site_settings(site)
    if not known_language(code):
        raise Refused(f"{code!r} is not a language code CLDR knows", 'use a BCP 47 code such as '
                      '"fr", "vi", "ar" or "zh-Hans"')
    target = site / "templates" / "locale" / catalog_names(code)[0] / "LC_MESSAGES" / "messages.po"
    if target.exists():
        raise Refused(f"{target} already exists", "translate the words in that file")
    theme = builtin_theme()
    template = theme / "locale" / "messages.pot"
    with template.open("rb") as handle:
        words = read_po(handle)
    existing = catalog_file(theme, code)
    known: Catalog | None = None
    if existing is not None and existing.suffix == ".po":
        with existing.open("rb") as handle:
            known = read_po(handle, locale=code.replace("-", "_"))
    catalog = Catalog(locale=Locale.parse(code.replace("-", "_")), project=settings.title,
                      fuzzy=False)
    for message in words:
        if message.id:
            found = known.get(message.id) if known is not None else None
            catalog.add(message.id, found.string if found is not None else "")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return target


def _today(settings: Settings) -> date:
    """Today where the newsroom is (its `timezone`), not where the computer's clock is set."""
    zone = settings.timezone
    return datetime.now(zone).date() if zone else date.today()


RELEASE_TEMPLATE = """\
---
title: {title}
subtitle: ""             # the standfirst under the headline
date: {date}
type: press-release      # press-release, news, statement, feature or media-advisory
location: ""             # the dateline, e.g. Dong Hoi, Quang Binh, Viet Nam
countries: []            # e.g. [Viet Nam] or [VN, KH]; empty: the country that ends `location`
partners: []             # ids, short names or names from content/partners/
programmes: []           # ids, short names or titles from content/programmes/
topics: []               # e.g. [Social protection, Gender equality]
photos: []
#  - src: /media/photo.jpg        # or a file next to this one
#    alt: What the photo shows    # required
#    caption: Who and what, where
#    credit: © Name/Organisation
contacts: []             # media contacts from content/contacts/; empty: default_contacts
#event:                  # for a media advisory: when and where (remove the # of these lines)
#  start: {date}T09:00
#  end: {date}T11:00
#  venue: Name of the place
#  address: Street, city
#  accreditation: How journalists register
summary: ""              # for lists and link previews; default: the first paragraph
slug: ""                 # the address: /releases/SLUG/; default: from the file name
embargo:                 # e.g. {date}T09:00 (the site's time zone): hidden until then
draft: true              # set to false when the release is ready
---

Write the first paragraph here: who, what, where and when.
"""
