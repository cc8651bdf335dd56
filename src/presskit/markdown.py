"""Markdown bodies to HTML: markdown-it-py with tables, footnotes and heading anchors.

Links and images written as site paths (`/releases/other/`, `/media/chart.png`) get the
path of `base_url` put in front, and every link is recorded with its line for `check`.
"""

from __future__ import annotations

import functools
import marshal
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from presskit.config import DEFAULT_EMBED_HOSTS

if TYPE_CHECKING:  # (imported when a text is first rendered: a build after a card edit renders none)
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token


@dataclass(frozen=True)
class BodyLink:
    """A link or image target written in a body, and the line of the file it is on."""

    target: str
    line: int
    image: bool


@dataclass
class RenderedBody:
    html: str
    first_paragraph: str
    links: list[BodyLink] = field(default_factory=list)
    # Its plain text and how often each folded word is in it, made once for the search
    # index (presskit.search.body_words); stored with the body when made.
    words: tuple[str, dict[str, int]] | None = field(default=None, compare=False, repr=False)

    @property
    def counted(self) -> bool:
        """Whether its words were counted (without opening a packed body)."""
        return self.words is not None


class PackedBody(RenderedBody):
    """A rendered body whose HTML and words are kept compressed, and opened each time they are
    asked for. A large build holds every release's body to its end (for its lists, feeds,
    search index and cache) but reads few of them again in the process that holds them: at
    10,000 releases, packed bodies take about a third of the memory (and of the cache's disk)
    that open ones do. Its first paragraph and links stay open: every build reads them."""

    def __init__(self, first_paragraph: str, links: list[BodyLink], packed: bytes, counted: bool) -> None:
        self.first_paragraph = first_paragraph
        self.links = links
        self.packed = packed  # see _pack
        self._counted = counted

    @classmethod
    def of(cls, body: RenderedBody) -> PackedBody:
        if isinstance(body, PackedBody):
            return body
        return cls(body.first_paragraph, body.links, _pack(body.html, body.words), body.words is not None)

    @property  # type: ignore[override]
    def html(self) -> str:
        packed = self.packed
        if packed[:1] != _WORDS_FIRST:  # packed by an older presskit: (html, words)
            html: str = marshal.loads(zlib.decompress(packed))[0]
            return html
        length = int.from_bytes(packed[1:5], "big")
        return marshal.loads(memoryview(zlib.decompress(packed[5:]))[length:])  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def words(self) -> tuple[str, dict[str, int]] | None:
        packed = self.packed
        if packed[:1] != _WORDS_FIRST:
            words: tuple[str, dict[str, int]] | None = marshal.loads(zlib.decompress(packed))[1]
            return words
        length = int.from_bytes(packed[1:5], "big")  # (its words alone opened: the search index's)
        return marshal.loads(zlib.decompressobj().decompress(packed[5:], length))  # type: ignore[no-any-return]

    @words.setter
    def words(self, words: tuple[str, dict[str, int]] | None) -> None:
        self.packed, self._counted = _pack(self.html, words), words is not None

    @property
    def counted(self) -> bool:
        return self._counted

    def __eq__(self, other: object) -> bool:  # as a RenderedBody: by HTML, first paragraph, links
        if not isinstance(other, RenderedBody):
            return NotImplemented
        return ((self.html, self.first_paragraph, self.links)
                == (other.html, other.first_paragraph, other.links))

    __hash__ = None  # type: ignore[assignment]  # mutable, as RenderedBody

    def __repr__(self) -> str:
        return f"PackedBody(first_paragraph={self.first_paragraph!r}, links={self.links!r})"


_WORDS_FIRST = b"\x01"  # how a pack of words, then HTML starts (a zlib stream starts with 0x78)


def _pack(html: str, words: tuple[str, dict[str, int]] | None) -> bytes:
    """A body's HTML and words, compressed at once (level 1: most of the gain, quickly), the
    words first: the search index opens the words of every release, and their bytes alone are
    then opened, not the HTML after them. The length of the words' bytes comes first."""
    head = marshal.dumps(words)
    return _WORDS_FIRST + len(head).to_bytes(4, "big") + zlib.compress(head + marshal.dumps(html), 1)


def is_site_path(target: str) -> bool:
    return target.startswith("/") and not target.startswith("//")


class BodyRenderer:
    """A configured Markdown renderer for one site (its base path)."""

    def __init__(self, base_path: str, embed_hosts: tuple[str, ...] = DEFAULT_EMBED_HOSTS) -> None:
        self.prefix = base_path.rstrip("/")
        self.embed_hosts = embed_hosts

    @functools.cached_property
    def md(self) -> MarkdownIt:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.anchors import anchors_plugin
        from mdit_py_plugins.footnote import footnote_plugin

        md = (
            MarkdownIt("commonmark", {"typographer": True})
            .enable(["table", "strikethrough", "replacements", "smartquotes"])
            .use(footnote_plugin)
            .use(anchors_plugin, min_level=2, max_level=4)
        )
        md.core.ruler.push("presskit_links", self._links)
        return md

    def render(self, text: str, first_line: int = 1) -> RenderedBody:
        env: dict = {"first_line": first_line, "links": [], "first_paragraph": None}
        tokens = self.md.parse(text, env)
        html = self.md.renderer.render(tokens, self.md.options, env)
        if "<" in text and _raw_html(tokens, first_line):  # written HTML: made safe
            from presskit import sanitize

            html = sanitize.clean(html, self.embed_hosts)
        return RenderedBody(html, env["first_paragraph"] or "", env["links"])

    def raw_html(self, text: str, first_line: int = 1) -> list[tuple[int, str]]:
        """Each piece of HTML written in the text, with the line of the file it is on."""
        if "<" not in text:
            return []
        return _raw_html(self.md.parse(text, {"first_line": first_line, "links": [],
                                              "first_paragraph": None}), first_line)

    def removals(self, text: str, first_line: int = 1) -> list[tuple[int, str]]:
        """What the sanitizer takes out of this text's HTML, by line."""
        from presskit import sanitize

        return [(line, what) for line, fragment in self.raw_html(text, first_line)
                for what in sanitize.removals(fragment, self.embed_hosts)]

    def _links(self, state: StateCore) -> None:
        first_line: int = state.env["first_line"]
        links: list[BodyLink] = state.env["links"]
        previous: Token | None = None
        for token in state.tokens:
            if token.type == "inline" and token.children is not None:
                line = first_line + (token.map[0] if token.map else 0)
                if (state.env["first_paragraph"] is None and previous is not None
                        and previous.type == "paragraph_open" and previous.level == 0):
                    state.env["first_paragraph"] = _plain_text(token.children)
                for child in token.children:
                    if child.type in ("softbreak", "hardbreak"):
                        line += 1
                    elif child.type in ("link_open", "image"):
                        attribute = "src" if child.type == "image" else "href"
                        target = str(child.attrs.get(attribute, ""))
                        links.append(BodyLink(target, line, child.type == "image"))
                        if is_site_path(target):
                            child.attrs[attribute] = self.prefix + target
            previous = token


def _raw_html(tokens: list[Token], first_line: int) -> list[tuple[int, str]]:
    found = []
    for token in tokens:
        line = first_line + (token.map[0] if token.map else 0)
        if token.type == "html_block":
            found.append((line, token.content))
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "html_inline":
                found.append((line, child.content))
    return found


def _plain_text(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            continue
        elif child.children:
            parts.append(_plain_text(child.children))
    return " ".join("".join(parts).split())
