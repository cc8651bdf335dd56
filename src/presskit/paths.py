"""The site path of everything presskit publishes, in one place.

Paths are relative to the site's root and always start and end with "/" for pages.
Templates, feeds, the sitemap and link checking all take their paths from here.
"""

from __future__ import annotations

RELEASES = "/releases/"
COUNTRIES = "/countries/"
PARTNERS = "/partners/"
PROGRAMMES = "/programmes/"
TOPICS = "/topics/"
ARCHIVE = "/archive/"
FEED = "feed.xml"
ASSETS = "/assets/"

# First path segments that presskit uses itself; a free page may not take one.
RESERVED = {"releases", "countries", "partners", "programmes", "topics", "archive", "assets",
            "media", "feed.xml", "sitemap.xml", "robots.txt", "404.html", "page"}


def release(slug: str) -> str:
    return f"{RELEASES}{slug}/"


def releases_page(number: int) -> str:
    return RELEASES if number == 1 else f"{RELEASES}page/{number}/"


def country(slug: str) -> str:
    return f"{COUNTRIES}{slug}/"


def partner(identifier: str) -> str:
    return f"{PARTNERS}{identifier}/"


def programme(identifier: str) -> str:
    return f"{PROGRAMMES}{identifier}/"


def topic(slug: str) -> str:
    return f"{TOPICS}{slug}/"


def year(number: int) -> str:
    return f"{ARCHIVE}{number}/"


def page(slug: str) -> str:
    return f"/{slug}/"


def feed(index_path: str = "/") -> str:
    return f"{index_path}{FEED}"


def output_file(site_path: str) -> str:
    """Where a site path is written inside output/: pages become PATH/index.html."""
    relative = site_path.lstrip("/")
    if site_path.endswith("/"):
        return f"{relative}index.html"
    return relative
