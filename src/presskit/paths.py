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
SEARCH = "/search/"
CONTACTS = "/contacts/"
EVENTS = "/events/"

# First path segments that presskit uses itself; a free page may not take one.
RESERVED = {"releases", "countries", "partners", "programmes", "topics", "archive", "assets",
            "media", "search", "contacts", "events", "feed.xml", "sitemap.xml", "sitemaps",
            "robots.txt", "404.html", "page"}


def language_root(language: str, default: str) -> str:
    """Where a language's pages start: "/" for the default language, "/vi/" for another."""
    return "/" if language == default else f"/{language}/"


def under(root: str, path: str) -> str:
    """A path of the default language's layout, in the language whose pages start at root."""
    return path if root == "/" else root + path.lstrip("/")


def moved(path: str, root: str, other_root: str) -> str:
    """The same page in another language's layout: /vi/countries/ -> /countries/."""
    return under(other_root, "/" + path.removeprefix(root))


def release(slug: str, root: str = "/") -> str:
    return under(root, f"{RELEASES}{slug}/")


def event_file(slug: str, root: str = "/") -> str:
    """A release's calendar entry: /releases/SLUG/SLUG.ics (downloads under a telling name)."""
    return f"{release(slug, root)}{slug}.ics"


def contact_card(identifier: str, root: str = "/") -> str:
    """A media contact's vCard: /contacts/ID.vcf."""
    return under(root, f"{CONTACTS}{identifier}.vcf")


def page_of(first: str, number: int) -> str:
    """A numbered page of a list of releases whose first page is `first` (the list of all
    releases, a year's, a country's, partner's, programme's or topic's), counted from the
    oldest (see render.paged_count): FIRST/page/NUMBER/."""
    return f"{first}page/{number}/"


def numbered_page(path: str) -> tuple[str, int] | None:
    """The first page of the list and the number of a numbered page (`page_of`); None for any
    other path."""
    first, _, number = path.removesuffix("/").rpartition("/page/")
    if not number.isdigit() or page_of(first + "/", int(number)) != path:
        return None
    return first + "/", int(number)


def country(slug: str, root: str = "/") -> str:
    return under(root, f"{COUNTRIES}{slug}/")


def partner(identifier: str, root: str = "/") -> str:
    return under(root, f"{PARTNERS}{identifier}/")


def programme(identifier: str, root: str = "/") -> str:
    return under(root, f"{PROGRAMMES}{identifier}/")


def topic(slug: str, root: str = "/") -> str:
    return under(root, f"{TOPICS}{slug}/")


def year(number: int, root: str = "/") -> str:
    return under(root, f"{ARCHIVE}{number}/")


def page(slug: str, root: str = "/") -> str:
    return under(root, f"/{slug}/")


def feed(index_path: str = "/") -> str:
    return f"{index_path}{FEED}"


INDEX = "index.html"  # a page's file in its folder


def output_file(site_path: str) -> str:
    """Where a site path is written inside output/: pages become PATH/index.html."""
    relative = site_path.lstrip("/")
    if site_path.endswith("/"):
        return f"{relative}{INDEX}"
    return relative
