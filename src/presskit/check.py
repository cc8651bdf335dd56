"""Link checking: every internal link and image of a rendered site points at something."""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from presskit.errors import Problem
from presskit.forks import forked_map
from presskit.markdown import is_site_path
from presskit.render import OutputFile, RenderedSite

# An href or src attribute in a tag, in any quoting. Text and JSON never match: the theme's
# autoescaping writes quotes in text as &quot;, and JSON-LD has no `href=`.
_LINK = re.compile(rb"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)


def _link_targets(data: bytes) -> set[str]:
    """The link and image targets of a page (a regular expression: an HTML parser took 40 s
    on 10,000 release pages)."""
    found = set()
    for match in _LINK.finditer(data):
        raw = match.group(1) or match.group(2) or match.group(3) or b""
        if raw:
            found.add(html.unescape(raw.decode("utf-8", "replace")))
    return found


def _exists(path: str, files: set[str]) -> bool:
    """Whether a site path (no base path, starting with /) is served by the built files."""
    relative = unquote(path).lstrip("/")
    if relative == "" or relative.endswith("/"):
        return relative + "index.html" in files
    return relative in files or relative + "/index.html" in files


def check_links(site: RenderedSite, base_path: str, workers: int = 1,
                output_dir: Path | None = None) -> list[Problem]:
    """Problems for body links that lead nowhere, then for theme links that do (pages read
    on `workers` processes; a page left unchanged in `output_dir` by the last build is read
    from there)."""
    files = {file.path for file in site.files}
    problems: list[Problem] = []
    for page in site.body_links:
        for link in page.links:
            parts = urlsplit(link.target)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # web addresses, mail links and #anchors are not checked here
            target = parts.path if parts.path.startswith("/") else posixpath.normpath(
                posixpath.join(page.page_path, parts.path)) + ("/" if parts.path.endswith("/") else "")
            if _exists(target, files):
                continue
            what = "image" if link.image else "link"
            problems.append(Problem(
                page.source, link.line, f"{what} to {link.target} leads nowhere",
                _hint(link.target, link.image)))
    # Body links were checked above, with their line; what is left was made by templates.
    from_bodies = {base_path.rstrip("/") + link.target for page in site.body_links
                   for link in page.links if is_site_path(link.target)}
    problems.extend(_theme_links(site, base_path, files, from_bodies, workers, output_dir))
    return problems


def _hint(target: str, image: bool) -> str:
    if target.startswith("/releases/"):
        return ("check the release's slug; a release that is a draft or under embargo has no page "
                "yet, so a published release must not link to it")
    if image or target.startswith("/media/"):
        return "check the file name; /media/NAME is content/media/NAME"
    return "check the address; site paths start with / and end with / (e.g. /partners/unicef/)"


def _theme_links(site: RenderedSite, base_path: str, files: set[str], skip: set[str],
                 workers: int, output_dir: Path | None) -> Iterable[Problem]:
    """Links that templates made: each broken target once, with the first page that has it."""
    left = output_dir or Path("\0")  # where unchanged pages lie (no file is under "\0")
    pages = [file for file in site.files if file.path.endswith(".html")
             and (file.data is not None or file.source == left / file.path)]
    reported: set[str] = set()
    for file, targets in zip(pages, _targets_of(pages, workers), strict=True):
        page = "/" + file.path.removesuffix("index.html")
        for target in sorted(targets):
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path or target in skip:
                continue
            path = parts.path
            if path.startswith("/"):
                if not path.startswith(base_path):
                    continue  # outside this site (another site on the same server)
                path = "/" + path[len(base_path):]
            else:
                continue  # relative links in bodies are checked with their source line above
            if not _exists(path, files) and path not in reported:
                reported.add(path)
                yield Problem(None, None, f"the page {page} links to {target}, which does not exist",
                              "a template in templates/ makes this link; check its url() calls")


PARALLEL_AT_LEAST = 500  # pages; fewer are read at once in this process


def _targets_of(pages: list[OutputFile], workers: int) -> list[set[str]]:
    """The link targets of each page, in order: made in memory, or read from output/ (a page
    a build left there unchanged)."""
    return forked_map(_page_targets, pages, workers, at_least=PARALLEL_AT_LEAST, chunksize=64)


def _page_targets(file: OutputFile) -> set[str]:
    data = file.data
    if data is None and file.source is not None:
        try:
            data = file.source.read_bytes()
        except OSError:
            data = None
    return _link_targets(data) if data else set()
