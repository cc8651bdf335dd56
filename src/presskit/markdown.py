"""Markdown bodies to HTML: markdown-it-py with tables, footnotes and heading anchors.

Links and images written as site paths (`/releases/other/`, `/media/chart.png`) get the
path of `base_url` put in front, and every link is recorded with its line for `check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from presskit import sanitize
from presskit.config import DEFAULT_EMBED_HOSTS


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


def is_site_path(target: str) -> bool:
    return target.startswith("/") and not target.startswith("//")


class BodyRenderer:
    """A configured Markdown renderer for one site (its base path)."""

    def __init__(self, base_path: str, embed_hosts: tuple[str, ...] = DEFAULT_EMBED_HOSTS) -> None:
        self.prefix = base_path.rstrip("/")
        self.embed_hosts = embed_hosts
        self.md = (
            MarkdownIt("commonmark", {"typographer": True})
            .enable(["table", "strikethrough", "replacements", "smartquotes"])
            .use(footnote_plugin)
            .use(anchors_plugin, min_level=2, max_level=4)
        )
        self.md.core.ruler.push("presskit_links", self._links)

    def render(self, text: str, first_line: int = 1) -> RenderedBody:
        env: dict = {"first_line": first_line, "links": [], "first_paragraph": None}
        tokens = self.md.parse(text, env)
        html = self.md.renderer.render(tokens, self.md.options, env)
        if "<" in text and _raw_html(tokens, first_line):  # written HTML: made safe
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
