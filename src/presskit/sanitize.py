"""Raw HTML in bodies: allowed for formatting, never for scripts (SPEC 6).

One policy, used twice: `clean` (nh3, the binding to Rust's ammonia) makes what is published
safe; `removals` says, in a writer's words, what `clean` will take out of a fragment, so that
each removal is a warning with its file and line. Bodies without raw HTML are not touched:
markdown-it escapes text and refuses `javascript:` links by itself.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

TAGS = nh3.ALLOWED_TAGS | {"figure", "figcaption", "iframe", "section", "details", "summary",
                           "mark", "picture", "source", "video", "audio", "track", "caption"}
_EVERYWHERE = {"id", "class", "title", "lang", "dir", "role", "aria-label", "aria-hidden"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": _EVERYWHERE,
    "a": {"href", "hreflang", "target"},
    "img": {"src", "alt", "width", "height", "loading", "srcset", "sizes"},
    "iframe": {"src", "width", "height", "allow", "allowfullscreen", "frameborder", "loading",
               "referrerpolicy"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "video": {"src", "controls", "width", "height", "poster", "preload", "muted", "loop"},
    "audio": {"src", "controls", "preload"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "th": {"style", "colspan", "rowspan", "scope", "align"},
    "td": {"style", "colspan", "rowspan", "align"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_URL_ATTRIBUTES = {"href", "src", "poster"}
_DROPPED_WITH_CONTENT = {"script", "style"}


def clean(html: str, embed_hosts: tuple[str, ...]) -> str:
    """The HTML with everything outside the policy removed."""

    def only_embeds(tag: str, attribute: str, value: str) -> str | None:
        if tag == "iframe" and attribute == "src" and _host(value) not in embed_hosts:
            return None
        return value

    return nh3.clean(html, tags=TAGS, clean_content_tags=_DROPPED_WITH_CONTENT,
                     attributes=ATTRIBUTES, attribute_filter=only_embeds, url_schemes=URL_SCHEMES,
                     link_rel=None, strip_comments=False, filter_style_properties={"text-align"})


def removals(fragment: str, embed_hosts: tuple[str, ...]) -> list[str]:
    """What `clean` takes out of this fragment, each said as a writer would understand it."""
    finder = _Removals(embed_hosts)
    finder.feed(fragment)
    finder.close()
    return finder.found


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


class _Removals(HTMLParser):
    def __init__(self, embed_hosts: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.embed_hosts = embed_hosts
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            what = "and its content" if tag in _DROPPED_WITH_CONTENT else "(its text is kept)"
            self.found.append(f"the <{tag}> element {what}")
            return
        allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                kind = "event handler" if name.startswith("on") else "attribute"
                self.found.append(f"the {kind} {name}= of <{tag}>")
            elif name in _URL_ATTRIBUTES and value and ":" in value.split("/")[0]:
                scheme = value.split(":", 1)[0].strip().lower()
                if scheme not in URL_SCHEMES:
                    self.found.append(f"a {scheme}: address in <{tag} {name}=...>")
            if tag == "iframe" and name == "src" and _host(value or "") not in self.embed_hosts:
                host = _host(value or "") or "an unnamed host"
                self.found.append(f"an <iframe> from {host}, which is not in embed_hosts")

    handle_startendtag = handle_starttag
