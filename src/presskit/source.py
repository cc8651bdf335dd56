"""Reading content files: split front matter from body and keep the line of every value.

YAML is read with the YAML 1.2 core schema rules, so `NO` stays the text "NO" (Norway),
`yes` and `on` stay text, and dates stay text until the schema checks them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from presskit.errors import Problem


@dataclass(frozen=True)
class Node:
    """A YAML value with the line it was written on (1-based, in the content file)."""

    value: Any  # str | int | float | bool | None | list[Node] | dict[str, Node]
    line: int
    kind: str  # "str", "int", "float", "bool", "null", "seq" or "map"
    text: str = ""  # the scalar as written, for fields that want text
    quoted: bool = False

    def plain(self) -> Any:
        """The value as ordinary Python data, for templates."""
        if self.kind == "seq":
            return [item.plain() for item in self.value]
        if self.kind == "map":
            return {key: item.plain() for key, item in self.value.items()}
        return self.value


@dataclass(frozen=True)
class Document:
    """A content file: its front matter (a map of located values) and its Markdown body."""

    path: Path
    front: dict[str, Node]
    body: str
    body_line: int  # line of the file on which the body starts
    digest: str = ""  # of the file's bytes: what incremental builds compare
    # A release's text as a model lent by the cache has it (models.Text: read again if asked),
    # in place of `body`, for a document put into memory from that model.
    text: Any = None


class _CoreResolver(yaml.resolver.BaseResolver):
    """Implicit types of the YAML 1.2 core schema: no yes/no/on/off booleans, no timestamps."""


_CoreResolver.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    _CoreResolver.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first)
    )

try:
    from yaml.cyaml import CParser as _CParser  # libyaml: the same events, ten times faster
except ImportError:
    _CParser = None

if _CParser is not None:

    class _Loader(_CParser, _CoreResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _CoreResolver.__init__(self)

else:  # PyYAML built without libyaml

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
        yaml.composer.Composer, _CoreResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _CoreResolver.__init__(self)


_BOOL = {"true": True, "false": False}

MAX_FILE_BYTES = 512_000  # a content file is text: a long release is 50 KB
MAX_PARAGRAPH = 10_000  # characters; markdown-it's time on some patterns grows with the square
MAX_NESTING = 40  # levels of lists and maps in front matter; a real one has 3
MAX_VALUES = 10_000  # values in front matter once aliases (*name) are expanded


class _TooMuch(Exception):
    """Front matter that would take unbounded time or memory to read: a Problem, not a crash."""

    def __init__(self, line: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.message, self.hint = line, message, hint


def _overlong_paragraph(body: str) -> tuple[int, int] | None:
    """The first paragraph (or line) too long to parse in bounded time: its 0-based line in the
    body and its length. Some inline patterns (thousands of `[`) take markdown-it time that
    grows with the square of a paragraph's length; real paragraphs have under 2,000 characters.
    Table rows count one by one (each cell is parsed on its own), fenced code not at all."""
    start, length, fenced = 0, 0, False
    for number, line in enumerate(body.split("\n")):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced, length = not fenced, 0
            continue
        if fenced:
            continue
        if not stripped:
            length = 0
            continue
        if length == 0:
            start = number
        if len(line) > MAX_PARAGRAPH:
            return number, len(line)
        if not stripped.startswith("|"):
            length += len(line) + 1
            if length > MAX_PARAGRAPH:
                return start, length
    return None


def _too_long(path: Path, body: str, body_line: int, problems: list[Problem]) -> bool:
    overlong = _overlong_paragraph(body)
    if overlong is not None:
        problems.append(Problem(path, body_line + overlong[0],
                                f"this paragraph is {overlong[1]:,} characters long; presskit reads "
                                f"paragraphs of up to {MAX_PARAGRAPH:,}",
                                "split it with blank lines into paragraphs of normal length"))
    return overlong is not None


def _bracket_depth(text: str) -> tuple[int, int]:
    """How deep [ and { nest (ignoring quotes: real front matter never comes near the limit),
    and the 0-based line where the limit is passed. libyaml itself would crash on thousands."""
    depth = deepest = 0
    line = 0
    for number, row in enumerate(text.split("\n")):
        for character in row:
            if character in "[{":
                depth += 1
                if depth > deepest:
                    deepest, line = depth, number
            elif character in "]}":
                depth = max(0, depth - 1)
    return deepest, line


class _Converter:
    """Turns a composed YAML node graph into Nodes, reporting duplicate keys on the way.
    Aliases share nodes, so the graph may be far larger expanded than written, or a cycle:
    both are bounded (depth, ancestors, count) and end in _TooMuch."""

    def __init__(self, path: Path, first_line: int, problems: list[Problem]) -> None:
        self.path = path
        self.first_line = first_line
        self.problems = problems
        self.values = 0
        self.open: list[yaml.Node] = []

    def line(self, node: yaml.Node) -> int:
        return self.first_line + node.start_mark.line

    def convert(self, node: yaml.Node) -> Node:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooMuch(self.line(node), "front matter grows beyond 10,000 values when its "
                           "aliases (*name) are expanded", "write the values out instead of "
                           "repeating them through &name and *name")
        if any(node is ancestor for ancestor in self.open):
            raise _TooMuch(self.line(node), "front matter has an alias (*name) that contains "
                           "itself", "write the value out; an alias cannot refer to the list or "
                           "map it stands in")
        if len(self.open) >= MAX_NESTING:
            raise _TooMuch(self.line(node), f"front matter nests lists and maps more than "
                           f"{MAX_NESTING} levels deep", "keep front matter flat: a key, a value "
                           "or a list, a list of small maps at most")
        self.open.append(node)
        try:
            return self._convert(node)
        finally:
            self.open.pop()

    def _convert(self, node: yaml.Node) -> Node:
        line = self.line(node)
        if isinstance(node, yaml.MappingNode):
            items: dict[str, Node] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(Problem(
                        self.path, self.line(key_node), "a key must be a plain word",
                        "write `key: value`, one key per line",
                    ))
                    continue
                key = key_node.value
                if key in items:
                    self.problems.append(Problem(
                        self.path, self.line(key_node),
                        f"`{key}` is written twice (first on line {items[key].line})",
                        "keep one of them; the second would silently replace the first",
                    ))
                    continue
                items[key] = self.convert(value_node)
            return Node(items, line, "map")
        if isinstance(node, yaml.SequenceNode):
            return Node([self.convert(item) for item in node.value], line, "seq")
        text = node.value
        quoted = node.style in ("'", '"', "|", ">")
        kind = node.tag.rsplit(":", 1)[-1]
        if kind == "bool":
            return Node(_BOOL[text.lower()], line, "bool", text)
        if kind == "int":
            return Node(int(text, 0) if text[:2] in ("0o", "0x") else int(text), line, "int", text)
        if kind == "float":
            return Node(float(text.replace(".inf", "inf").replace(".nan", "nan")), line, "float", text)
        if kind == "null":
            return Node(None, line, "null", text)
        return Node(text, line, "str", text, quoted)


def body_of(path: Path) -> str:
    """The Markdown of a content file as `read_document` finds it ("" if it cannot be read)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    handler = frontmatter.YAMLHandler()
    if not handler.FM_BOUNDARY.match(text):
        return text
    try:
        return handler.split(text)[1]
    except ValueError:
        return ""


def read_document(path: Path, problems: list[Problem], *, needs_front: bool = True) -> Document | None:
    """Read one Markdown content file; report what is wrong with it instead of raising."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(Problem(
                path, 1, f"is {size / 1_000_000:.1f} MB; a content file may be at most 500 KB of text",
                "put photos and downloads in content/media/ and link to them; split very long "
                "text into several pages"))
            return None
        raw = path.read_bytes()
    except OSError as error:
        problems.append(Problem(path, None, f"cannot be read: {error.strerror}"))
        return None
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problems.append(Problem(
            path, line, "is not UTF-8 text",
            "save the file as UTF-8 (in most editors: Save As, Encoding: UTF-8)",
        ))
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    handler = frontmatter.YAMLHandler()
    opening = handler.FM_BOUNDARY.match(text)
    if not opening:
        if needs_front:
            problems.append(Problem(
                path, 1, "has no front matter",
                "start the file with a line `---`, then `title: ...`, `date: ...`, "
                "then a closing `---` line",
            ))
            return None
        if _too_long(path, text, 1, problems):
            return None
        return Document(path, {}, text, 1, digest)
    try:
        front_text, body = handler.split(text)
    except ValueError:
        problems.append(Problem(
            path, 1, "front matter is not closed",
            "add a line `---` after the last front matter key, before the text",
        ))
        return None
    first_line = text.count("\n", 0, opening.end()) + 1
    body_line = text.count("\n", 0, len(text) - len(body)) + 1

    depth, deepest_line = _bracket_depth(front_text)
    if depth > MAX_NESTING:
        problems.append(Problem(path, first_line + deepest_line,
                                f"front matter nests brackets more than {MAX_NESTING} levels deep",
                                "close each [ with ] and each { with }; keep front matter flat"))
        return None
    try:
        loader = _Loader(front_text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        line_index, message, hint = _yaml_fault(error, front_text.split("\n"), first_line)
        problems.append(Problem(path, first_line + line_index,
                                f"{message} (the front matter is not valid YAML here)", hint))
        return None
    except yaml.YAMLError as error:
        problems.append(Problem(path, first_line, f"front matter is not valid YAML: {error}",
                                "check quotes, colons and indentation"))
        return None

    if _too_long(path, body, body_line, problems):
        return None
    if root is None:
        return Document(path, {}, body, body_line, digest)
    try:
        converted = _Converter(path, first_line, problems).convert(root)
    except _TooMuch as too_much:
        problems.append(Problem(path, too_much.line, too_much.message, too_much.hint))
        return None
    if converted.kind != "map":
        problems.append(Problem(
            path, converted.line, "front matter must be a list of `key: value` lines",
            "for example `title: Viet Nam Women's Union trains trainers`",
        ))
        return None
    return Document(path, converted.value, body, body_line, digest)


_KEY_LINE = re.compile(r"^[\w-]+\s*:(\s|$)")


def _yaml_fault(error: yaml.MarkedYAMLError, lines: list[str], first_line: int) -> tuple[int, str, str]:
    """The line (0-based, in the front matter) a YAML fault is really on, what to do about it
    in plain words, and an example of the fix; the parser's own words stay out of it."""
    problem = (error.problem or "").lower()
    context = (error.context or "").lower()
    here = error.problem_mark.line if error.problem_mark else 0
    opened = error.context_mark.line if error.context_mark else here
    text = lines[here] if here < len(lines) else ""
    tabs = [number for number, line in enumerate(lines) if line.startswith("\t")]
    if tabs:
        listed = ", ".join(str(first_line + number) for number in tabs[:10])
        starts = "lines {} start" if len(tabs) > 1 else "line {} starts"
        return (tabs[0], f"{starts.format(listed)} with a tab",
                "replace each tab at the start of a line with 2 spaces")
    unclosed = _runs_into_text(lines)
    if unclosed is not None and here > unclosed:
        return (unclosed, "the front matter seems to run into the text: there is no `---` line "
                "after its last key", f"add a line `---` after this line ({first_line + unclosed}), "
                "before the text")
    key, _, value = text.partition(":")
    quoted = f'{key.strip()}: "{value.strip()}"' if value.strip() else 'title: "Hanoi: the workshop opens"'
    if "flow sequence" in context or "flow mapping" in context:
        return (opened, "close the bracket [ or { opened on this line",
                "e.g. `topics: [Gender, Social protection]`")
    if "quoted scalar" in context or "end of stream" in problem or "<stream end>" in problem:
        return opened, "close the quote (or bracket) opened on this line", f"e.g. {quoted}"
    if "mapping values are not allowed" in problem:
        return here, "put this value in double quotes: it contains a colon and a space", f"write {quoted}"
    if "cannot start any token" in problem:
        return (here, "put this value in double quotes: it starts with a sign YAML keeps for "
                "itself (such as @, ` or %)", f"write {quoted}")
    if "expected key" in problem and "'" in text:
        return (here, "use double quotes around text with an apostrophe",
                "single quotes end at the apostrophe: \"Women's Union\", not 'Women's Union'")
    if "simple key" in context or "expected ':'" in problem:
        return opened, "write this line as `key: value`: it has no colon", "e.g. `date: 2023-05-22`"
    return here, "check this line and the one above it", "indentation, quotes and colons"


def _runs_into_text(lines: list[str]) -> int | None:
    """Where front matter whose closing `---` is missing seems to end: the last key line
    before a blank line that is followed by a sentence rather than a key; None if not so."""
    last_key = None
    for number, line in enumerate(lines):
        if _KEY_LINE.match(line):
            last_key = number
        elif (not line.strip() and last_key is not None and number + 1 < len(lines)
              and lines[number + 1].strip() and not lines[number + 1].startswith((" ", "-", "#"))
              and not _KEY_LINE.match(lines[number + 1])):
            return last_key
    return None
