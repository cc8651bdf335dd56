"""Release cards read back from the pages output/ holds.

A build after an edit renders the lists that show the release again: a term page lists a
thousand cards or more, and those it did not change were read one by one from the store
(.presskit-cache/releases.sqlite, each row sealed: 0.17 s of a title edit's 1.1 s at 10,000
releases, a second when the store had left the page cache). The page the last build wrote
holds them all, in a row. So when a page is rendered, where each of its lists of cards lies in
its bytes is noted (its `Layout`: the list's byte range and digest, and each card's source,
fingerprint and length), and the next build that renders the page reads the list from the
file. A card is taken from it only if the list's bytes are still the ones noted (a page
changed by hand, or not written after all, lends nothing) and its fingerprint is the one the
page asks for (BuildMemory.fragment compares it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from presskit.cache import Slot

OPEN, JOIN, CLOSE = "<li>", "</li>\n<li>", "</li>\n"  # how render._Renderer.cards joins a list

Card = tuple[str, str, int]  # a card of a list: its release's source, its fingerprint, its length
# A list of cards in a page's file: its bytes' start and end, their digest, the language and
# options of its cards (see cache.Slot), and its cards in order.
Block = tuple[int, int, bytes, str, str, tuple[Card, ...]]
Layout = tuple[Block, ...]


@dataclass(frozen=True)
class Listed:
    """A list of cards as the renderer joined it (`text`), to be found in the page."""

    text: str
    language: str
    options: str
    cards: tuple[Card, ...]


def layout(html: str, data: bytes, lists: list[Listed]) -> Layout:
    """Where the lists a page was rendered with lie in its bytes (`data`: `html` encoded); a
    list the template did not show as it was joined (through a filter) is left out."""
    blocks = []
    for listed in lists:
        at = html.find(listed.text)
        if at < 0:
            continue
        if html.isascii():  # (a flag of the string: no need to look at it)
            start, end = at, at + len(listed.text)
        else:
            start = len(html[:at].encode("utf-8"))
            end = len(data) - len(html[at + len(listed.text):].encode("utf-8"))
        blocks.append((start, end, _digest(memoryview(data)[start:end]), listed.language, listed.options,
                       listed.cards))
    return tuple(blocks)


def cards_in(data: bytes, layout: Layout, wanted: set[Slot]) -> dict[Slot, tuple[str, str]]:
    """The cards of `wanted` that the page's bytes (`data`) hold where its layout says, each
    with the fingerprint it was rendered under; nothing from a list whose bytes changed."""
    found: dict[Slot, tuple[str, str]] = {}
    for start, end, digest, language, options, cards in layout:
        if not any((source, language, options) in wanted for source, _, _ in cards):
            continue
        block = memoryview(data)[start:end]
        if len(block) != end - start or _digest(block) != digest:
            continue
        text = str(block, "utf-8")
        joins = len(JOIN) * (len(cards) - 1) + len(OPEN + CLOSE)
        if sum(length for _, _, length in cards) + joins != len(text):
            continue
        at = len(OPEN)
        for source, fingerprint, length in cards:
            slot = (source, language, options)
            if slot in wanted:
                found[slot] = (fingerprint, text[at:at + length])
            at += length + len(JOIN)
    return found


def _digest(data: memoryview) -> bytes:
    return hashlib.sha256(data).digest()[:16]  # (SHA-256 is the fastest of hashlib's, in hardware)
