"""Versions of one release or entity in several languages: which language a file is in, which
files are versions of the same thing, and each language's set of entities.

A file's language is the suffix before `.md` (`hanoi.vi.md`), else `lang:` in its front matter,
else the site's default language. Files with the same name apart from that suffix, in the same
folder, are versions of one thing; `translation_key` joins files with different names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from presskit import paths
from presskit.config import Settings
from presskit.errors import Problem
from presskit.languages import language_name, split_language
from presskit.source import Document, Node

KEYS = {"lang", "translation_key"}  # front matter keys every kind of file may have
_KEYED = "key:"  # how a key from `translation_key` starts (a key from a file name is its path)


def written_key(key: str) -> str | None:
    """The `translation_key` a version's key was written as, if it was one."""
    return key.removeprefix(_KEYED) if key.startswith(_KEYED) else None


@dataclass(frozen=True)
class Version:
    """What a file's name and front matter say about the version it is."""

    lang: str
    root: str  # where that language's pages start
    name: str  # the file's name without its language suffix (the folder's for index.md)
    key: str  # shared by every version of the same thing


def version_of(doc: Document, settings: Settings, problems: list[Problem]) -> Version:
    """The language and translation key of a file; a language the site does not have is an
    error (and the file is taken as the default language's, so the run reports on)."""
    codes = settings.language_codes
    stem, suffix = split_language(doc.path.stem)
    listed = ", ".join(codes)
    lang = suffix or settings.language
    if suffix and suffix not in codes:
        problems.append(Problem(
            doc.path, 1, f"the name ends in .{suffix}.md, a {language_name(suffix)} version, but "
            f"presskit.toml does not list {suffix!r}",
            f"add `[languages.{suffix}]` to presskit.toml, or rename the file (the site's "
            f"languages: {listed})"))
        lang = settings.language
    written = _text(doc.front.get("lang"))
    if written is not None:
        line = doc.front["lang"].line
        if written not in codes:
            problems.append(Problem(doc.path, line, f"`lang: {written}` is not one of the site's "
                                    f"languages", f"use one of: {listed} (or add "
                                    f"`[languages.{written}]` to presskit.toml)"))
        elif suffix and written != suffix:
            problems.append(Problem(doc.path, line, f"`lang: {written}` contradicts the file's "
                                    f"name, which ends in .{suffix}.md",
                                    f"rename the file to {stem}.{written}.md, or remove `lang:`"))
        else:
            lang = written
    name = doc.path.parent.name if stem == "index" else stem
    written_as = _text(doc.front.get("translation_key"))
    key = _KEYED + written_as if written_as else str(doc.path.parent if stem == "index"
                                                      else doc.path.parent / stem)
    return Version(lang, paths.language_root(lang, settings.language), name, key)


def _text(node: Node | None) -> str | None:
    if node is None or node.kind in ("null", "seq", "map"):
        return None
    return str(node.value).strip() or None


class Versioned(Protocol):
    source: Path
    lang: str
    key: str


V = TypeVar("V", bound=Versioned)


def check_versions(items: Iterable[V], what: str, problems: list[Problem]) -> dict[str, dict[str, V]]:
    """The versions of each thing by language, grouped by key; an error for a second version
    in one language and for a `translation_key` that joins nothing."""
    groups: dict[str, dict[str, V]] = {}
    for item in items:
        group = groups.setdefault(item.key, {})
        other = group.get(item.lang)
        if other is not None:
            problems.append(Problem(
                item.source, 1, f"is a second {language_name(item.lang)} version of the {what} "
                f"in {other.source.name}", "each language has one version of a "
                f"{what}: remove one, or give it a `translation_key:` of its own"))
            continue
        group[item.lang] = item
    for key, group in groups.items():
        if written_key(key) and len(group) == 1:
            item = next(iter(group.values()))
            problems.append(Problem(
                item.source, 1, f"`translation_key: {written_key(key)}` joins nothing: no "
                f"other file has it", "write the same translation_key in each version of the "
                f"{what}, or remove it"))
    return groups


def in_each_language(groups: dict[str, dict[str, V]], settings: Settings,
                     copy: Callable[[V, str, str], V]) -> dict[str, list[V]]:
    """Each language's set of a kind of entity (partners, programmes, pages): its own version
    of each one, else a copy of the default language's (or another) version, shown under that
    language's address with the words it has."""
    codes = settings.language_codes
    found: dict[str, list[V]] = {code: [] for code in codes}
    for group in groups.values():
        original = group.get(settings.language) or next(iter(group.values()))
        for code in codes:
            own = group.get(code)
            found[code].append(own if own is not None else
                               copy(original, code, paths.language_root(code, settings.language)))
    return found


def remembered_copy(memo: dict[tuple[Path, str], tuple[Any, Any]], original: V, lang: str,
                    make: Callable[[], V]) -> V:
    """The same copy of an unchanged original as the last build made: releases kept from an
    earlier build refer to partners and programmes by identity."""
    known = memo.get((original.source, lang))
    if known is not None and known[0] is original:
        return known[1]  # type: ignore[no-any-return]
    made = make()
    memo[(original.source, lang)] = (original, made)
    return made


def relabel(model: V, lang: str, root: str, **changes: Any) -> V:
    """A model shown in another language: its words stay in their own (`text_lang`)."""
    return dataclasses.replace(model, lang=lang, root=root, **changes)  # type: ignore[type-var]


def missing_versions(releases: Sequence[Any], codes: Sequence[str]) -> dict[Any, list[str]]:
    """Published releases and the site's languages they have no version in."""
    have: dict[str, set[str]] = {}
    for release in releases:
        have.setdefault(release.key, set()).add(release.lang)
    return {release: [code for code in codes if code not in have[release.key]]
            for release in releases if len(have[release.key]) < len(codes)
            and release.lang == min(have[release.key], key=codes.index)}
