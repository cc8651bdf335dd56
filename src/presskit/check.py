"""Link checking: every internal link and image of a rendered site points at something."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from presskit.errors import Problem
from presskit.forks import forked_map
from presskit.links import BodyLinks, link_targets
from presskit.markdown import is_site_path
from presskit.render import OutputFile, RenderedSite

# What a check knows of a page's links: its fingerprint and targets, by site path.
Known = Mapping[str, tuple[str, tuple[str, ...]]]


_PLAIN_PATH = re.compile(r"/(?!/)[^?#\s\x00-\x1f]*")  # a site path with no query or #anchor


def _exists(path: str, files: set[str]) -> bool:
    """Whether a site path (no base path, starting with /) is served by the built files."""
    relative = unquote(path).lstrip("/")
    if relative == "" or relative.endswith("/"):
        return relative + "index.html" in files
    return relative in files or relative + "/index.html" in files


def page_path(file: str) -> str:
    """The site path of a page inside output/ (releases/a/index.html -> /releases/a/)."""
    if file == "index.html" or file.endswith("/index.html"):
        return "/" + file.removesuffix("index.html")
    return "/" + file


def check_links(site: RenderedSite, base_path: str, workers: int = 1, output_dir: Path | None = None,
                made: Known | None = None, kept: Known | None = None,
                digests: Mapping[str, str] | None = None) -> tuple[list[Problem], int]:
    """Problems for body links that lead nowhere, then for theme links that do, and how many
    pages were read for them. A page's targets come from `made` (noted as it was rendered),
    else from `kept` (a build's link index) when its fingerprint there is the one in
    `digests`, else from its bytes: made in memory, or left unchanged in `output_dir` by the
    last build (read on `workers` processes)."""
    bodies = [(page.source, page.page_path,
               tuple((link.target, link.line, link.image) for link in page.links))
              for page in site.body_links]
    left = f"{output_dir}/" if output_dir else "\0"  # where unchanged pages lie (no file is under "\0")
    pages = [file for file in site.files if file.path.endswith(".html")
             and (file.data is not None or file.spilled or str(file.source) == left + file.path)]
    targets, read = page_targets(pages, workers, made or {}, kept or {}, digests or {})
    problems = link_problems(bodies, zip((file.path for file in pages), targets, strict=True),
                             {file.path for file in site.files}, base_path)
    return problems, read


def page_targets(pages: Sequence[OutputFile | str], workers: int, made: Known, kept: Known,
                 digests: Mapping[str, str], folder: Path | None = None) -> tuple[list[tuple[str, ...]], int]:
    """The link targets of each page, in order (see check_links), and how many were read (a
    page named by its path alone lies in `folder`)."""
    found: list[tuple[str, ...] | None] = []
    unknown: list[OutputFile] = []
    for file in pages:
        name = file if isinstance(file, str) else file.path
        path = page_path(name)
        noted = made.get(path)
        if noted is None:
            noted = kept.get(path)
            if noted is not None and ((not isinstance(file, str) and file.data is not None)
                                      or noted[0] != digests.get(path)):
                noted = None
        found.append(noted[1] if noted is not None else None)
        if noted is None:
            if isinstance(file, str):
                file = OutputFile(file, source=(folder or Path(".")) / file)
            unknown.append(file)
    read = iter(forked_map(_page_targets, unknown, workers, at_least=PARALLEL_AT_LEAST, chunksize=64))
    return [targets if targets is not None else next(read) for targets in found], len(unknown)


def link_problems(bodies: Iterable[tuple[Path | str, str, BodyLinks]],
                  pages: Iterable[tuple[str, Sequence[str]]], files: set[str],
                  base_path: str) -> list[Problem]:
    """Problems for body links that lead nowhere (each with its line), then for links that
    templates made: each broken target once, with the first page that has it. `bodies` are
    (source, page path, links), `pages` (file inside output/, link targets), `files` every
    file of the site."""
    problems: list[Problem] = []
    from_bodies: set[str] = set()
    fine: set[str] = set()  # site paths that exist, each looked for once
    for source, page, links in bodies:
        for target, line, image in links:
            if target in fine:
                continue
            if is_site_path(target):
                from_bodies.add(base_path.rstrip("/") + target)
            if _PLAIN_PATH.fullmatch(target):
                path = target  # most links: what urlsplit would say, without its cost
                if _exists(path, files):
                    fine.add(target)
                    continue
            else:
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not parts.path:
                    continue  # web addresses, mail links and #anchors are not checked here
                path = parts.path if parts.path.startswith("/") else posixpath.normpath(
                    posixpath.join(page, parts.path)) + ("/" if parts.path.endswith("/") else "")
            if not _exists(path, files):
                what = "image" if image else "link"
                problems.append(Problem(Path(source), line, f"{what} to {target} leads nowhere",
                                        _hint(target, image)))
    # Body links were checked above, with their line; what is left was made by templates.
    seen = set(from_bodies)  # each target is looked at once, on the first page that has it
    reported: set[str] = set()
    for file, targets in pages:
        if seen.issuperset(targets):
            continue
        for target in sorted(set(targets) - seen):
            seen.add(target)
            path = _broken(target, base_path, files)
            if path is not None and path not in reported:
                reported.add(path)
                problems.append(Problem(
                    None, None, f"the page {page_path(file)} links to {target}, which does not exist",
                    "a template in templates/ makes this link; check its url() calls"))
    return problems


def _broken(target: str, base_path: str, files: set[str]) -> str | None:
    """The site path a template's link leads to, if this site should serve it and does not."""
    if _PLAIN_PATH.fullmatch(target):
        path = target
    else:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path:
            return None
        path = parts.path
    if not path.startswith("/"):
        return None  # relative links in bodies are checked with their source line above
    if not path.startswith(base_path):
        return None  # outside this site (another site on the same server)
    path = "/" + path[len(base_path):]
    return None if _exists(path, files) else path


def _hint(target: str, image: bool) -> str:
    if target.startswith("/releases/"):
        return ("check the release's slug; a release that is a draft or under embargo has no page "
                "yet, so a published release must not link to it")
    if image or target.startswith("/media/"):
        return "check the file name; /media/NAME is content/media/NAME"
    return "check the address; site paths start with / and end with / (e.g. /partners/unicef/)"


PARALLEL_AT_LEAST = 500  # pages; fewer are read at once in this process


def _page_targets(file: OutputFile) -> tuple[str, ...]:
    data = file.data
    if data is None and file.source is not None:
        try:
            data = file.source.read_bytes()
        except OSError:
            data = None
    return link_targets(data) if data else ()
