"""The link targets of rendered pages, and the index of them a build leaves for `check`.

`check` must look at every link of every page, but a page whose fingerprint has not changed
holds the same links as when it was made: a build notes each page's targets as it renders it
(`BuildMemory.links`) and leaves a `LinkIndex` beside its record, so that `check` reads again
only the pages made since (`check` itself writes nothing: SPEC 6).
"""

from __future__ import annotations

import html
import marshal
import re
import sys
from dataclasses import dataclass
from typing import Any

from presskit import __version__

_FORMAT = 1

# An href or src attribute in a tag, in any quoting. Text and JSON never match: the theme's
# autoescaping writes quotes in text as &quot;, and JSON-LD has no `href=`.
_LINK = re.compile(rb"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)


def link_targets(data: bytes) -> tuple[str, ...]:
    """The link and image targets of a page that lead into a site (an absolute path, as
    templates write them), sorted; web addresses, mail links, anchors and relative links are
    not checked on pages (bodies' are, with their line). A regular expression: an HTML parser
    took 40 s on 10,000 release pages. Interned: pages share most of their targets (the menu,
    the lists), which a build of 10,000 holds for its link index."""
    found = {quoted or single or bare for quoted, single, bare in _LINK.findall(data)}
    found.discard(b"")
    targets = []
    for raw in found:
        if raw[:1] == b"/" and raw[1:2] != b"/" and not _UNUSUAL.search(raw):
            targets.append(sys.intern(raw.decode("utf-8", "replace")))  # most: a plain site path
        else:
            target = html.unescape(raw.decode("utf-8", "replace"))
            if _in_site(target):
                targets.append(sys.intern(target))
    return tuple(sorted(targets))


_UNUSUAL = re.compile(rb"[&\t\r\n]")  # an entity to unescape, or what urllib.parse removes


_IGNORED = str.maketrans("", "", "\t\r\n")  # removed from addresses, as urllib.parse does


def _in_site(target: str) -> bool:
    """Whether an address is a path on a site: /..., not //host/... (after the spaces and
    control characters that urllib.parse ignores)."""
    address = target.translate(_IGNORED).lstrip("".join(map(chr, range(33))))
    return address.startswith("/") and not address.startswith("//")


# A body's links as a check needs them: target, line, image.
BodyLinks = tuple[tuple[str, int, bool], ...]


@dataclass(frozen=True)
class Summary:
    """What `check` says of a site besides its problems, as the build found it."""

    releases: int  # published, in the first language
    withheld: int  # drafts and embargoed releases
    held_back: tuple[tuple[str, bool, str | None], ...]  # title, draft, embargo (ISO)
    # By language: how many published releases have no version in it, and the first five
    # of them, newest first (title, source file).
    missing: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...]


@dataclass(frozen=True)
class LinkIndex:
    """The links of a built site: each page's targets under its fingerprint, each body's links
    under its file's digest, the files of the site and what `check` says of it. Made by a full
    build (`built` names it, as the record does); the quick rebuilds that follow leave it as it
    is, and `check` reads again what they changed."""

    built: str
    listing: tuple[str, ...]  # every file inside output/, as `check` knows the site (no search index)
    pages: dict[str, tuple[str, tuple[str, ...]]]  # site path -> fingerprint, link targets
    bodies: tuple[tuple[str, str, str, BodyLinks], ...]  # source, its digest, page path, links
    summary: Summary

    def to_bytes(self) -> bytes:
        # Each target is written once: marshal refers back to an object it has written, and
        # every target is one interned string (link_targets interns them, the build process
        # interns those its workers found, and marshal interns what it reads back).
        summary = self.summary
        return marshal.dumps((_FORMAT, __version__, self.built, self.listing, self.pages, self.bodies,
                              (summary.releases, summary.withheld, summary.held_back, summary.missing)))

    @classmethod
    def from_bytes(cls, data: bytes) -> LinkIndex | None:
        try:
            fields: Any = marshal.loads(data)
            if fields[:2] != (_FORMAT, __version__):
                return None
            built, listing, pages, bodies, summary = fields[2:]
            return cls(built, listing, pages, bodies, Summary(*summary))
        except Exception:  # sealed, so ours; but one that does not fit is just not used
            return None
