"""Machine-readable outputs: Atom feeds, sitemap.xml and robots.txt.

Written with ElementTree so that every text is escaped by the XML writer, not by hand.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from presskit.models import Release

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedEntry:
    release: Release
    summary: str
    content_html: str


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def atom_feed(
    *,
    title: str,
    feed_url: str,
    page_url: str,
    author: str,
    entries: Sequence[FeedEntry],
    absolute: Callable[[str], str],
    language: str = "",
) -> bytes:
    """An Atom 1.0 feed of the given releases, newest first."""
    feed = ET.Element("feed", xmlns=ATOM)
    if language:
        feed.set("xml:lang", language)
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "id").text = page_url
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=page_url)
    # The newest published release dates the feed, so the time never hints at an embargo.
    updated = max((entry.release.modified for entry in entries), default=_EPOCH)
    ET.SubElement(feed, "updated").text = _stamp(updated)
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = author
    ET.SubElement(feed, "generator", uri="https://pypi.org/project/presskit/").text = "presskit"
    for entry in entries:
        release = entry.release
        url = absolute(release.path)
        item = ET.SubElement(feed, "entry")
        ET.SubElement(item, "title").text = release.title
        ET.SubElement(item, "id").text = url
        ET.SubElement(item, "link", rel="alternate", type="text/html", href=url)
        ET.SubElement(item, "published").text = _stamp(release.date)
        ET.SubElement(item, "updated").text = _stamp(release.modified)
        if entry.summary:
            ET.SubElement(item, "summary").text = entry.summary
        ET.SubElement(item, "content", type="html").text = entry.content_html
        for topic in release.topics:
            ET.SubElement(item, "category", term=topic)
    return _xml(feed)


SitemapUrl = tuple[str, datetime | None, Sequence[tuple[str, str]]]


def sitemap(urls: Sequence[SitemapUrl]) -> bytes:
    """sitemap.xml for the given absolute URLs, their last change and, in a site of several
    languages, each page's versions (hreflang, URL), itself included, as Google reads them."""
    if urls:  # written as text: ElementTree takes seconds for a newsroom in several languages
        return _sitemap_text(urls)
    root = ET.Element("urlset", xmlns=SITEMAP)
    for url, modified, alternates in urls:
        item = ET.SubElement(root, "url")
        ET.SubElement(item, "loc").text = url
        if modified is not None:
            ET.SubElement(item, "lastmod").text = modified.date().isoformat()
        for hreflang, href in alternates:
            ET.SubElement(item, "xhtml:link", rel="alternate", hreflang=hreflang, href=href)
    return _xml(root)


def _sitemap_text(urls: Sequence[SitemapUrl]) -> bytes:
    """The same bytes as ElementTree's indented output, made as text."""
    head = f'<urlset xmlns="{SITEMAP}"'
    if any(alternates for _, _, alternates in urls):
        head += f' xmlns:xhtml="{XHTML}"'
    lines = ["<?xml version='1.0' encoding='utf-8'?>", head + ">"]
    days: dict[datetime, str] = {}  # (a newsroom's pages share a few thousand days)
    for url, modified, alternates in urls:
        day = None if modified is None else days.get(modified)
        if day is None and modified is not None:
            day = days[modified] = modified.date().isoformat()
        lines.append(_url_entry(url, day, tuple(alternates)))
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


@lru_cache(maxsize=1 << 17)  # a newsroom of 50,000 releases in two languages has 80,000 pages
def _url_entry(url: str, day: str | None, alternates: tuple[tuple[str, str], ...]) -> str:
    """One page's <url> element, its lines as the sitemap holds them. Kept: a preview makes
    the sitemap again after each save that moves a release, and nearly every entry is the
    same as the time before. By the day it was last changed, as written, not the moment: two
    equal moments in other time zones can fall on different days."""
    lines = ["  <url>", f"    <loc>{escape(url)}</loc>"]
    if day is not None:
        lines.append(f"    <lastmod>{day}</lastmod>")
    if alternates:
        lines.append(_links(alternates))
    lines.append("  </url>")
    return "\n".join(lines)


@lru_cache(maxsize=1 << 16)
def _links(alternates: tuple[tuple[str, str], ...]) -> str:
    """A page's versions as the lines of its <url>: the same for each version (made once for
    all of them: in a newsroom of two languages, half the sitemap's time was these lines)."""
    return "\n".join(f'    <xhtml:link rel="alternate" hreflang={_attribute(hreflang)} '
                     f'href={_attribute(href)} />' for hreflang, href in alternates)


def escape(text: str) -> str:
    """Text as XML writes it (what xml.sax.saxutils.escape does; importing that module costs
    every build's start the whole of urllib)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    value = escape(value).replace('"', "&quot;")
    return '"' + value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;") + '"'


def robots_txt(sitemap_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n".encode()


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
