"""Machine-readable outputs: Atom feeds, sitemap.xml (a sitemap index and its parts, past the
protocol's limits) and robots.txt.

Written as text, every text and attribute escaped as ElementTree's writer escapes them (`escape`,
`_attribute`), laid out as it indents a tree: a tree took milliseconds a feed, and seconds for a
newsroom's sitemap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from presskit.models import Release

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _element(indent: str, tag: str, text: str, attributes: str = "") -> str:
    """One element of text, on its line: escaped, or closed at once when it has none."""
    if not text:
        return f"{indent}<{tag}{attributes} />"
    return f"{indent}<{tag}{attributes}>{escape(text)}</{tag}>"


def feed_entry(release: Release, url: str, summary: str, content_html: str) -> str:
    """One release's <entry> in an Atom feed (`atom_feed`), its lines as the feed holds them:
    made once for every feed of a build that carries it (the newest releases are in most)."""
    lines = ["  <entry>",
             _element("    ", "title", release.title),
             _element("    ", "id", url),
             f'    <link rel="alternate" type="text/html" href={_attribute(url)} />',
             f"    <published>{_stamp(release.date)}</published>",
             f"    <updated>{_stamp(release.modified)}</updated>"]
    if summary:
        lines.append(_element("    ", "summary", summary))
    lines.append(_element("    ", "content", content_html, ' type="html"'))
    lines += [f"    <category term={_attribute(topic)} />" for topic in release.topics]
    lines.append("  </entry>")
    return "\n".join(lines)


def atom_feed(
    *,
    title: str,
    feed_url: str,
    page_url: str,
    author: str,
    entries: Sequence[str],
    updated: datetime | None,
    language: str = "",
) -> bytes:
    """An Atom 1.0 feed of the given releases' entries (`feed_entry`), newest first; `updated`:
    the latest moment any of them changed. Written as text, as ElementTree indents a tree
    (every text and attribute escaped as its writer does): a tree took 3 ms a feed."""
    lang = f" xml:lang={_attribute(language)}" if language else ""
    # The newest published release dates the feed, so the time never hints at an embargo.
    lines = [_DECLARATION,
             f'<feed xmlns="{ATOM}"{lang}>',
             _element("  ", "title", title),
             _element("  ", "id", page_url),
             f'  <link rel="self" type="application/atom+xml" href={_attribute(feed_url)} />',
             f'  <link rel="alternate" type="text/html" href={_attribute(page_url)} />',
             f"  <updated>{_stamp(updated or _EPOCH)}</updated>",
             "  <author>",
             _element("    ", "name", author),
             "  </author>",
             '  <generator uri="https://pypi.org/project/presskit/">presskit</generator>',
             *entries,
             "</feed>"]
    return ("\n".join(lines) + "\n").encode("utf-8", "xmlcharrefreplace")


# What one sitemap file may hold (sitemaps.org): a site with more pages gets a sitemap index
# (`sitemap_index`) at /sitemap.xml, which names its parts (`sitemap_parts`).
SITEMAP_URLS = 50_000
SITEMAP_BYTES = 50 * 1024 * 1024
SITEMAP_PARTS = "/sitemaps/"  # where the parts are: /sitemaps/1.xml, /sitemaps/2.xml, ...

_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>"
_URLSET_END = "</urlset>"
_ENTRY_START, _ENTRY_END = "  <url>\n    <loc>", "\n  </url>"
_VERSION = '    <xhtml:link rel="alternate" '  # how each line of `version_lines` starts


def sitemap_parts(entries: Sequence[str]) -> list[Sequence[str]]:
    """The entries (`url_entry`) cut into the sitemaps that hold them, in order, each within
    the protocol's limits (SITEMAP_URLS entries, SITEMAP_BYTES bytes): one for most sites."""
    room = SITEMAP_BYTES - 512  # (its head and end)
    # (an entry's bytes are at most four times its characters; each ends with its line's end)
    if len(entries) <= SITEMAP_URLS and 4 * sum(map(len, entries)) + 4 * len(entries) <= room:
        return [entries]
    parts: list[Sequence[str]] = []
    start, size = 0, 0
    for at, entry in enumerate(entries):
        length = len(entry.encode("utf-8")) + 1
        if at > start and (at - start == SITEMAP_URLS or size + length > room):
            parts.append(entries[start:at])
            start, size = at, 0
        size += length
    parts.append(entries[start:])
    return parts


def sitemap_index(parts: Sequence[tuple[str, str | None]]) -> bytes:
    """A sitemap index (sitemaps.org) of these sitemaps: each one's address and the latest
    day any of its pages changed (None: not known)."""
    lines = [_DECLARATION, f'<sitemapindex xmlns="{SITEMAP}">']
    for url, day in parts:
        lines += ["  <sitemap>", f"    <loc>{escape(url)}</loc>",
                  *([f"    <lastmod>{day}</lastmod>"] if day is not None else []), "  </sitemap>"]
    return ("\n".join([*lines, "</sitemapindex>"]) + "\n").encode("utf-8")


def sitemap(entries: Sequence[str], versions: bool = False) -> bytes:
    """sitemap.xml of these <url> elements (`url_entry`), with the namespace of `xhtml:link` if
    any lists its page's versions (a site of several languages, as Google reads them)."""
    if not entries:
        return f"{_DECLARATION}\n{_urlset(False)} />\n".encode()  # (no entry lists versions)
    # written as text, as ElementTree indents it: ElementTree took seconds for a newsroom
    return ("\n".join([_DECLARATION, _urlset(versions) + ">", *entries, _URLSET_END]) + "\n").encode("utf-8")


def _urlset(versions: bool) -> str:
    """A sitemap's <urlset> tag, unclosed: with the namespace of `xhtml:link` if `versions`."""
    return f'<urlset xmlns="{SITEMAP}"' + (f' xmlns:xhtml="{XHTML}"' if versions else "")


def sitemap_entries(data: bytes) -> list[str] | None:
    """The <url> elements of a sitemap that `sitemap` wrote, each as `url_entry` made it, in
    order; None for a file it did not write so (a sitemap index, an empty sitemap, a file
    changed by hand into another shape)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    start = text.find(">\n", len(_DECLARATION)) + 2  # (past the <urlset> line)
    end = len(text) - len(_URLSET_END) - 1  # (the last entry's line end kept: each is split at its own)
    if not text.startswith(_DECLARATION + "\n<urlset ") or start < 2 or not text.endswith(_URLSET_END + "\n"):
        return None
    pieces = text[start:end].split(_ENTRY_END + "\n")
    if pieces.pop() or not all(piece.startswith(_ENTRY_START) for piece in pieces):
        return None
    return [piece + _ENTRY_END for piece in pieces]


def sitemap_spliced(data: bytes, before: Sequence[str], now: Sequence[str], remade: Collection[str],
                    entry: Callable[[str], str], address: Callable[[str], str]) -> bytes | None:
    """The sitemap `sitemap` makes of the pages `now` (site paths, in order), from `data`, the
    one it made of the pages `before`, when every page but those `remade` has the entry it had:
    their entries kept as the bytes they are, those of the pages remade or new made (`entry`)
    and put in their place, those of the pages gone left out. `address`: a page's address as
    its entry writes it. A move changes a few dozen entries of 22,000 (at 10,000 releases in two
    languages): the file was cut into its entries, each read by its address, in 0.04 s, and
    the new one joined from them in 0.03 s. None when it cannot be made so (the caller makes it
    from entries): `data` is not a sitemap of `before` as `sitemap` writes it, a page not
    remade moved among the others, or the pages now need a sitemap index."""
    heads = [f"{_DECLARATION}\n{_urlset(versions)}>\n".encode() for versions in (False, True)]
    head = next((head for head in heads if data.startswith(head)), None)
    end = f"{_URLSET_END}\n".encode()
    entry_end = f"{_ENTRY_END}\n".encode()
    if (head is None or not data.endswith(end) or not now or len(now) > SITEMAP_URLS
            or data.count(entry_end) != len(before)):
        return None
    at = {path: number for number, path in enumerate(before)}
    if len(at) != len(before):
        return None
    inserted: dict[int, list[str]] = {}  # after the entry of which page before (-1: first)
    last = -1
    for path in now:
        number = at.get(path)
        if number is None or path in remade:
            inserted.setdefault(last, []).append(path)
        elif number < last:
            return None
        else:
            last = number
    dropped = {at[path] for path in at.keys() - set(now)}
    dropped.update(at[path] for path in remade if path in at)
    pieces = [head, *[(entry(path) + "\n").encode() for path in inserted.get(-1, ())]]
    cursor = len(head)
    for number in sorted(dropped | inserted.keys() - {-1}):
        found = data.find(f"{_ENTRY_START}{address(before[number])}</loc>".encode(), cursor)
        stop = data.find(entry_end, found) + len(entry_end) if found >= 0 else -1
        if found < 0 or stop < len(entry_end):
            return None
        pieces.append(data[cursor:found] if number in dropped else data[cursor:stop])
        pieces += [(entry(path) + "\n").encode() for path in inserted.get(number, ())]
        cursor = stop
    pieces.append(data[cursor:])  # (its end)
    made = b"".join(pieces)
    if 4 * (len(made) - len(head) - len(end)) > SITEMAP_BYTES - 512:  # (as sitemap_parts counts)
        return None
    versions = heads[_VERSION.encode() in made]
    return made if versions == head else versions + made[len(head):]


def sitemap_index_size(data: bytes) -> int | None:
    """How many sitemaps a sitemap index that `sitemap_index` wrote names; None for a sitemap."""
    if not data.startswith(f"{_DECLARATION}\n<sitemapindex ".encode()):
        return None
    return data.count(b"\n  <sitemap>\n")


def entry_address(entry: str) -> str:
    """The address of a sitemap's entry (`url_entry`), as written (escaped)."""
    return entry[len(_ENTRY_START):entry.find("</loc>", len(_ENTRY_START))]


def entry_day(entry: str) -> str | None:
    """The day a sitemap's entry (`url_entry`) says its page last changed, if it says one."""
    at = entry.find("<lastmod>")
    return entry[at + len("<lastmod>"):entry.find("</lastmod>", at)] if at >= 0 else None


def entry_has_versions(entry: str) -> bool:
    return _VERSION in entry


@lru_cache(maxsize=1 << 17)  # a newsroom of 50,000 releases in two languages has 80,000 pages
def url_entry(url: str, day: str | None, versions: str = "") -> str:
    """One page's <url> element, its lines as the sitemap holds them: its address, the day it
    last changed (as written, not the moment: two equal moments in other time zones can fall
    on different days) and its `versions` (`version_lines`). Kept: a preview makes the sitemap
    again after each save that moves a release, and nearly every entry is the same as the
    time before."""
    entry = f"  <url>\n    <loc>{escape(url)}</loc>"
    if day is not None:
        entry += f"\n    <lastmod>{day}</lastmod>"
    if versions:
        entry += "\n" + versions
    return entry + "\n  </url>"


@lru_cache(maxsize=1 << 16)
def version_lines(versions: tuple[tuple[str, str], ...]) -> str:
    """A page's versions (hreflang, URL), itself included, as the lines of its <url>: the same
    for each version (made once for all of them)."""
    return "\n".join(f"{_VERSION}hreflang={_attribute(hreflang)} href={_attribute(href)} />"
                     for hreflang, href in versions)


_SPECIAL = re.compile('[&<>"\n\r\t]')  # what an attribute's value escapes


def escape(text: str) -> str:
    """Text as XML writes it (what xml.sax.saxutils.escape does; importing that module costs
    every build's start the whole of urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    if _SPECIAL.search(value) is None:  # (most: an address, a language)
        return f'"{value}"'
    value = escape(value).replace('"', "&quot;")
    return '"' + value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;") + '"'


def robots_txt(sitemap_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n".encode()
