"""What one build leaves for the next, so that a rebuild redoes only what changed.

A `BuildMemory` keeps parsed content files (by their size and modification time), rendered
Markdown bodies (by their text), and every output page's fingerprint with its bytes. `serve`
keeps one in memory between rebuilds. Nothing in here decides what a page depends on: the
renderer computes fingerprints; this module only remembers them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from presskit import __version__
from presskit.spill import Spill, Spilled


def fingerprint(*parts: object) -> str:
    """A short, stable digest of strings, numbers, None and nested tuples or lists of them."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_RACY_SECONDS = 2.0

# The bytes of a page that the last build wrote and that output/ still holds: a page whose
# fingerprint is unchanged is not rendered again, and output/'s file is kept (by identity).
IN_OUTPUT = b"\0presskit: the page in output/"


def stat_key(path: str | Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


Slot = tuple[str, str, str]  # a piece of a page: release source, language, options


@dataclass(frozen=True)
class Written:
    """The files of the site as the last build left them (by their path inside output/):
    in a folder (output/, or serve's kept preview) or only in serve's memory."""

    folder: Path | None
    read: Callable[[str], bytes | None]
    # The keys of the search index's entries as written, by language (see
    # search.ENTRY_KEY_SIZE), when the build that wrote them said.
    cards: Mapping[str, bytes] = field(default_factory=dict)
    # The files as served (serve's snapshot: render.OutputFile by path), each served again as
    # it is where it stays the same, rather than read (from the kept preview on disk: 10,000
    # search cards took 1.5 s to read at a start).
    served: Mapping[str, Any] | None = None
    # Whether the files of the index left as they are in `folder` go unnamed: a change in
    # place writes the files it is given and leaves the others (10,000 search cards named
    # only to be passed over took 0.03-0.05 s of a move's build); a full build names them all.
    unnamed_kept: bool = False

    @classmethod
    def in_folder(cls, folder: Path, cards: Mapping[str, bytes] | None = None) -> Written:
        def read(path: str) -> bytes | None:
            try:
                return (folder / path).read_bytes()
            except OSError:
                return None
        return cls(folder, read, cards or {})


@dataclass
class BuildMemory:
    """Reusable results of earlier builds of one site with one presskit version."""

    version: str = __version__
    files: dict[Path, tuple[tuple[int, int, int], Any, list[Any], float]] = field(default_factory=dict)
    bodies: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # by models.body_key
    body_options: Any = None  # the settings the kept bodies were rendered with
    pages: dict[str, tuple[str, bytes | Spilled]] = field(default_factory=dict)
    # Where a one-shot build keeps the pages it makes until they are written, instead of
    # this memory (see presskit.spill); None in `serve` and `check`, which keep them here.
    spill: Spill | None = None
    # Rendered pieces (release cards) by slot (release source, language, options): the
    # fingerprint of all the piece shows, and the piece.
    fragments: dict[Slot, tuple[str, Any]] = field(default_factory=dict)
    made_fragments: list[Slot] = field(default_factory=list)  # slots rendered in this build, not yet stored
    # Where the pieces the last build kept are read from as pages ask for them (the store in
    # .presskit-cache/: see store.KeptCards), when not in `fragments`; None when none are.
    kept_fragments: Any = None
    # Where the rendered texts the last builds kept are read from when a page or feed asks for
    # one that `bodies` lacks (the store: see store.KeptBodies); None: they are rendered.
    kept_bodies: Any = None
    # Where a build that keeps its cards has its rendering workers put those they make, as
    # they make them (the store: see store.CardSink), rather than hold them; None: held.
    fragment_sink: Callable[[list[tuple[Slot, tuple[str, Any]]], dict[str, Any]], None] | None = None
    # Where the cards lie in the pages rendered, by site path (see presskit.placed), when the
    # build keeps them for the next (with the cards, through the sink when it has one).
    layouts: dict[str, Any] | None = None
    models: dict[Path, tuple[Any, ...]] = field(default_factory=dict)  # checked models by file
    copies: dict[tuple[Path, str], tuple[Any, Any]] = field(default_factory=dict)  # see versions
    graph: dict[str, Any] = field(default_factory=dict)  # what the graph stage keeps for itself
    environments: dict[str, Any] = field(default_factory=dict)  # Jinja's, by language and themes
    media: dict[str, tuple[object, ...]] = field(default_factory=dict)  # image facts (see media)
    photos_made: int = 0  # photo files made by the last build (the rest came from the cache)
    photo_seconds: float = 0.0
    writes_cache: bool = True  # False for `check`, which writes nothing in the site
    files_seen: int = 0  # content files read (or found unchanged) by the build under way
    files_total: int = 0  # content files of the site, when the caller knows (for progress)
    step: str = ""  # what the build under way is doing, with how far it got (for progress)
    done: int = 0
    total: int = 0
    on_progress: Callable[[], None] | None = None  # told of every step forward
    written: Written | None = None  # the site the last build left, when this one follows it
    search_cards: dict[str, bytes] = field(default_factory=dict)  # of the index made, by language
    # Search entries by (release source, language), with their keys, when kept from one build
    # for the next (the preview's memory); None when they are not.
    search_entries: dict[tuple[str, str], tuple[bytes, Any]] | None = None
    # The link targets of the pages rendered, by site path, with their fingerprints, when
    # the build notes them (for `check`: see presskit.links); None when it does not.
    links: dict[str, tuple[str, tuple[str, ...]]] | None = None
    # The releases each page shows, by the page's site path, when the build notes them (for
    # `serve`: see presskit.retouch); None when it does not.
    shows: dict[str, tuple[Any, ...]] | None = None
    rendered: int = 0  # pages rendered by the last build (the rest were reused)
    reused: int = 0
    # The fingerprint of a page as output/ has it, when the last build's pages are there and
    # `pages` does not hold them (a build after an edit): one whose fingerprint is the same
    # is that file, not made again (see `page`); None for a page that output/ lacks.
    left: Callable[[str], str | None] | None = None
    _used_pages: set[str] = field(default_factory=set)
    _used_files: set[Path] = field(default_factory=set)

    def saw(self, paths: Iterable[str]) -> None:
        """Files this build read elsewhere (on other cores), so that what is kept for them
        (their cards) is not forgotten when it ends."""
        self._used_files.update(map(Path, paths))

    def read(self, path: Path, reader: Callable[[Path, list[Any]], Any], problems: list[Any]) -> Any:
        """A file read through `reader`, or its earlier result if the file has not changed."""
        self._used_files.add(path)
        self.files_seen += 1
        if self.on_progress is not None and self.files_total:
            self.progress("Reading content", self.files_seen, self.files_total)
        key = stat_key(path)
        known = self.files.get(path)
        # Like git's "racy" check: a file changed within the clock's resolution of being read
        # can keep its size and time, so only a time well before the reading is trusted.
        if (key is not None and known is not None and known[0] == key
                and known[3] - key[0] / 1e9 > _RACY_SECONDS):
            problems.extend(known[2])
            return known[1]
        found: list[Any] = []
        read_at = time.time()
        value = reader(path, found)
        problems.extend(found)
        if key is not None:
            self.files[path] = (key, value, found, read_at)
        return value

    def body(self, key: tuple[Any, ...], text: Callable[[], str], first_line: int,
             render: Callable[[str, int], Any]) -> Any:
        """A text rendered once for every build that shows it, kept under `key` (see
        models.body_key): `text()` is read only to render it."""
        rendered = self.bodies.get(key)
        if rendered is None:
            rendered = self.bodies[key] = render(text(), first_line)
        return rendered

    def knows(self, path: str, digest: str) -> bool:
        known = self._page(path)
        return known is not None and known[0] == digest

    def _page(self, path: str) -> tuple[str, bytes | Spilled] | None:
        known = self.pages.get(path)
        if known is None and self.left is not None:
            digest = self.left(path)
            if digest is not None:
                known = self.pages[path] = (digest, IN_OUTPUT)
        return known

    def page(self, path: str, digest: str,
             render: Callable[[], bytes | Spilled | None]) -> bytes | Spilled | None:
        """A page's bytes: the earlier ones when its fingerprint is unchanged, else freshly made
        (in the spill folder, when the build has one)."""
        self._used_pages.add(path)
        known = self._page(path)
        if known is not None and known[0] == digest:
            self.reused += 1
            return known[1]
        data = render()
        if data is not None:
            self.rendered += 1
            if self.spill is not None and isinstance(data, bytes) and data is not IN_OUTPUT:
                data = self.spill.put(data)
            self.pages[path] = (digest, data)
        return data

    def fragment(self, slot: Slot, digest: str, render: Callable[..., Any], *args: Any) -> Any:
        """A piece of a page rendered once for all the pages that show it (`render(*args)`),
        and again only when its fingerprint (`digest`) changes."""
        found = self.fragments.get(slot)
        if found is None and self.kept_fragments is not None:
            found = self.kept_fragments.fetch((slot,)).get(slot)
            if found is not None:
                self.fragments[slot] = found
        if found is not None and found[0] == digest:
            return found[1]
        made = render(*args)
        self.fragments[slot] = (digest, made)
        self.made_fragments.append(slot)
        return made

    def fetch_fragments(self, slots: Iterable[Slot], page: str | None = None) -> None:
        """Read at once, from what the last build kept, the pieces of these slots that are not
        in memory (a list page shows hundreds: from the `page` as it wrote it, or one pass
        over the store, in its keys' order)."""
        if self.kept_fragments is None:
            return
        missing = [slot for slot in slots if slot not in self.fragments]
        if missing:
            self.fragments.update(self.kept_fragments.fetch(missing, page))

    def add_fragments(self, made: Iterable[tuple[Slot, tuple[str, Any]]]) -> None:
        """Pieces rendered by a worker process, for the rest of this build and the next (kept
        with those this process made: a build after an edit puts them in the store)."""
        for slot, value in made:
            self.fragments[slot] = value
            self.made_fragments.append(slot)

    def progress(self, step: str, done: int, total: int) -> None:
        """Say how far a step of the build got (shown by `serve` while it starts)."""
        self.step, self.done, self.total = step, min(done, total), total
        if self.on_progress is not None:
            self.on_progress()

    def start_build(self) -> None:
        self.rendered = self.reused = self.files_seen = self.photos_made = 0
        self.photo_seconds = 0.0
        self._used_pages, self._used_files = set(), set()

    def keep_page(self, path: str) -> None:
        """Keep what is known of a page that this build makes after it ends (the preview's
        sitemap, made once the pages are served), as of those it made."""
        self._used_pages.add(path)

    def finish_build(self) -> None:
        """Forget what this build no longer made or read, so that memory does not grow."""
        self.pages = {p: v for p, v in self.pages.items() if p in self._used_pages}
        self.files = {p: v for p, v in self.files.items() if p in self._used_files}
        self.models = {p: v for p, v in self.models.items() if p in self._used_files}
        self.copies = {k: v for k, v in self.copies.items() if k[0] in self._used_files}
        # A release's pieces are kept while it is read, though no page rendered now showed
        # them: the next build's lists may.
        sources = {str(path) for path in self._used_files}
        self.fragments = {k: v for k, v in self.fragments.items() if k[0] in sources}
        if self.search_entries is not None:
            self.search_entries = {k: v for k, v in self.search_entries.items() if k[0] in sources}
        self.made_fragments = []
        if len(self.bodies) > 4 * max(len(self._used_files), 100):
            self.bodies.clear()


# -- the up-to-date check of `presskit build` ------------------------------------------------

CACHE_DIR = ".presskit-cache"
_STAMP = "last-build"


def cache_folder(site_dir: Path, part: str = "") -> Path:
    """.presskit-cache/ beside the site, made if needed and ignored by git (OSError if it
    cannot be made: a cache that cannot be kept only costs time). A `part` is a folder of its
    own inside it (PREVIEW: what `serve` keeps, drafts and embargoed releases included)."""
    folder = site_dir / CACHE_DIR
    for level in (folder, folder / part) if part else (folder,):
        if level.is_symlink() or (level.exists() and not level.is_dir()):
            level.unlink()  # not what presskit makes there: replaced by a real cache folder
        level.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return folder / part if part else folder


def part_dir(site_dir: Path, part: str = "") -> Path:
    """Where a part of the cache is (not made)."""
    return site_dir / CACHE_DIR / part if part else site_dir / CACHE_DIR


def keep_file(site_dir: Path, name: str, data: bytes, part: str = "", *, after: bytes = b"") -> None:
    """Replace one file of the cache at once, whatever stood in its place (a folder, a link),
    with `data` and then `after` (two pieces written in turn, rather than joined in memory:
    a record of 50,000 releases is 40 MB); failing to only costs the next build time. What a
    process stopped half-way left (its pid gone) is removed first."""

    def write(file: BinaryIO) -> None:
        file.write(data)
        file.write(after)
    keep_written(site_dir, name, write, part)


def keep_written(site_dir: Path, name: str, write: Callable[[BinaryIO], None], part: str = "") -> None:
    """`keep_file` for a file that `write` writes into the open file as it makes it (the
    kept site graph: 80 MB at 50,000 releases, never held whole); an exception `write`
    raises leaves the file as it was and is raised again (OSError only costs time)."""
    temporary = None
    try:
        folder = cache_folder(site_dir, part)
        target = folder / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        for left in folder.glob(f"{name}.*.tmp"):
            if not _running(left.name[len(name) + 1:-4]):
                left.unlink(missing_ok=True)
        temporary = folder / f"{name}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as file:
                write(file)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, target)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def _running(pid: str) -> bool:
    """Whether a process of this id runs (a file named after one that does not is left over)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except OSError:  # another user's: running
        return True
    return True


def just_changed(newest_ns: int) -> bool:
    """Whether a file time is so recent that a later change could keep it (git's "racy" rule)."""
    return time.time() - newest_ns / 1e9 <= _RACY_SECONDS


def trusted_before(looked_at: float) -> int:
    """File times (ns) older than this were already old when the files were looked at, at
    `looked_at`: an unchanged size and time then means unchanged bytes."""
    return int((looked_at - _RACY_SECONDS) * 1e9)


Stat = tuple[int, int, int]  # modification time (ns), size, inode


def walk(folder: Path, links: list[str] | None = None) -> dict[str, Stat]:
    """Every file below a folder (hidden ones and Python caches left out) with its time, size and inode;
    folders that are symbolic links are not followed. Every symbolic link met goes to `links`."""
    found: dict[str, Stat] = {}
    for entry in entries_below(folder, _hidden):
        try:
            if links is not None and entry.is_symlink():
                links.append(entry.path)
            stat = entry.stat()
        except OSError:
            continue
        found[entry.path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return found


def files_below(folder: Path) -> list[str]:
    """The files `walk` finds below a folder, without looking at their states (a search index
    holds 10,000 files and more: a stat each was a tenth of a second)."""
    return [entry.path for entry in entries_below(folder, _hidden)]


REWALK_AT_MOST = 200  # paths; beyond, walking the folder again is quicker


def rewalk(before: dict[str, Stat], folder: Path, paths: Iterable[Path],
           links: set[str]) -> dict[str, Stat]:
    """What `walk(folder)` gives now, from what it gave `before`, when only these paths (files
    or folders, added, changed or removed) changed since: each is looked at again, a folder
    with all below it (the folder itself: all of it). A preview told of each save need not
    stat every file of the site (a tenth of a second at 10,000 releases) for each. `links`:
    the symbolic links below the folder (as walk lists them), looked at again every time,
    since what they point at changes without an event below the folder; kept up to date."""
    paths = [*paths, *(Path(link) for link in links)]
    if len(paths) > REWALK_AT_MOST:
        found_links: list[str] = []
        walked = walk(folder, found_links)
        links.clear()
        links.update(found_links)
        return walked
    found = dict(before)
    root, resolved = str(folder), folder.resolve()
    for path in paths:
        try:
            relative = path.relative_to(folder)
        except ValueError:
            try:
                relative = path.relative_to(resolved)
            except ValueError:
                continue  # not below the folder
        parts = relative.parts
        if any(part.startswith(".") or part == "__pycache__" for part in parts):
            continue  # walk leaves it out
        name = os.path.join(root, *parts)
        if found.pop(name, None) is None:  # not a file walked before: maybe a folder
            below = name + os.sep
            for gone in [known for known in found if known.startswith(below)]:
                del found[gone]
        try:
            if os.path.islink(name):
                links.add(name)
            elif name in links:
                links.discard(name)  # a link no more
            if os.path.isdir(name) and name not in links:
                found_links = []
                found.update(walk(Path(name), found_links))
                links.update(found_links)
                continue
            stat = os.stat(name)  # a symbolic link, as walk, by what it points at
        except OSError:
            continue  # removed
        found[name] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return found


def entries_below(folder: Path, skip: Callable[[os.DirEntry[str]], bool] | None = None
                  ) -> Iterator[os.DirEntry[str]]:
    """Every entry below a folder that is not a folder, one scandir per folder (a third of
    os.walk's time on a site of 10,000 releases, each in its own folder). A symbolic link to a
    folder is given, never followed (as rglob: no loops, no escapes); an entry `skip` names is
    left out, with all below it."""
    pending = [str(folder)]
    while pending:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                if skip is not None and skip(entry):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                        continue
                except OSError:
                    continue
                yield entry


def _hidden(entry: os.DirEntry[str]) -> bool:
    return entry.name.startswith(".") or entry.name == "__pycache__"  # or Python's (the theme is a package)


def newest(*trees: dict[str, Stat]) -> int:
    return max((stat[0] for tree in trees for stat in tree.values()), default=0)


def source_state(settings_file: Path, content: dict[str, Stat], themes: list[dict[str, Stat]],
                 options: object) -> str:
    """A fingerprint of everything a build reads: settings, content, templates, presskit.

    Empty when a file changed so recently that a later change could keep its size and time
    (see _RACY_SECONDS): such a state is never trusted."""
    try:
        stat = settings_file.stat()
    except OSError:
        return ""
    if just_changed(max(stat.st_mtime_ns, newest(content, *themes))):
        return ""
    state = (__version__, repr(options), (stat.st_size, stat.st_mtime_ns),
             [sorted(tree.items()) for tree in (content, *themes)])
    return hashlib.blake2b(marshal.dumps(state), digest_size=16).hexdigest()  # repr: 3x slower


def output_state(output_dir: Path) -> tuple[int, int] | None:
    try:
        marker = (output_dir / ".presskit-output").stat()
        return (os.stat(output_dir).st_ino, marker.st_ino)
    except OSError:
        return None


def up_to_date(site_dir: Path, state: str, output: tuple[int, int] | None,
               now: float, part: str = "") -> tuple[str, list[Any], Any] | None:
    """The summary of the last build, its warnings and its next event (as `remember_build`
    kept them) if it
    was made from exactly this state and nothing has happened since (no embargo lifted,
    output/ not replaced); None if a build is needed."""
    if not state:
        return None
    try:
        stamp = json.loads((part_dir(site_dir, part) / _STAMP).read_text())
        if not isinstance(stamp, dict):
            return None
    except (OSError, ValueError):
        return None
    if (stamp.get("state") != state or stamp.get("output") != list(output or ())
            or (stamp.get("next_embargo") is not None and now >= stamp["next_embargo"])):
        return None
    warnings = stamp.get("warnings", [])
    return (str(stamp.get("summary", "")), warnings if isinstance(warnings, list) else [],
            stamp.get("next_event"))


def forget_build(site_dir: Path, part: str = "") -> None:
    """Remove the up-to-date stamp: what it describes is about to change."""
    with contextlib.suppress(OSError):  # a folder in its place: up_to_date cannot read it either
        (part_dir(site_dir, part) / _STAMP).unlink(missing_ok=True)


def last_next_event(site_dir: Path, part: str = "") -> Any:
    """The next event the last build noted, whatever its state (None if there is none)."""
    try:
        return json.loads((part_dir(site_dir, part) / _STAMP).read_text()).get("next_event")
    except (OSError, ValueError, AttributeError):
        return None


def remember_build(site_dir: Path, state: str, output: tuple[int, int] | None,
                   next_embargo: float | None, summary: str, warnings: list[Any] | None = None,
                   next_event: list[Any] | None = None, part: str = "") -> None:
    """Note what the last successful build was made from, and the warnings it gave (said
    again while nothing changes); losing this only costs time."""
    if not state:
        return
    keep_file(site_dir, _STAMP, json.dumps({"state": state, "output": list(output or ()),
                                            "next_embargo": next_embargo, "summary": summary,
                                            "warnings": warnings or [],
                                            "next_event": next_event}).encode(), part)
