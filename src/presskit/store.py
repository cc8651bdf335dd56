"""What `presskit build` keeps in .presskit-cache/ for the next build: a record of the last
build and the checked releases with their rendered bodies.

Everything here is a cache: deleting it, or finding it unreadable, only makes the next build
a full one. Every file and stored row is sealed (see presskit.seal): what this user's presskit
did not write is never unpickled or unmarshalled. Releases are stored without the partners and
programmes they refer to (those are read again and put back by id), so that a stored release
never carries a stale partner.
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import os
import pickle
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from markupsafe import Markup

from presskit import countries, paths, placed
from presskit.cache import BuildMemory, Slot, cache_folder, keep_file, keep_written, part_dir
from presskit.markdown import BodyLink, PackedBody, RenderedBody
from presskit.models import Partner, Programme, Release, attached, detached
from presskit.seal import Sealing, mark, read_sealed, seal, unseal

_RELEASES = "releases.sqlite"
_CARDS = "cards"
_MODELS = "models"
_TEXTS = "texts"


def read_cache(site_dir: Path, name: str, part: str = "") -> bytes | None:
    try:
        return read_sealed(part_dir(site_dir, part) / name)
    except OSError:
        return None


class ReadAhead:
    """Cache files read, and their seals checked, in turn on a thread of their own, while the
    build does other work: a build after an edit needs its record and the kept graph (40 MB at
    10,000 releases in two languages, 0.03-0.05 s to read and check), and looks at content/
    and unmarshals the record first. Reading from the disk and hashing let go of Python's lock,
    so the thread's work is done on the other core. Each file is given once (`read`); again,
    or one not read ahead, is read then."""

    def __init__(self, site_dir: Path, names: Sequence[str], part: str = "") -> None:
        self.site_dir, self.part = site_dir, part
        self._read: dict[str, bytes | None] = {}
        self._ready = {name: threading.Event() for name in names}  # those not asked for yet
        self._all = list(self._ready.items())
        self._thread = threading.Thread(target=self._read_all, name="presskit-read-ahead", daemon=True)
        self._thread.start()

    def _read_all(self) -> None:
        for name, ready in self._all:
            try:
                self._read[name] = read_cache(self.site_dir, name, self.part)
            finally:  # (never waited for in vain)
                ready.set()

    def read(self, name: str) -> bytes | None:
        ready = self._ready.pop(name, None)
        if ready is None:
            return read_cache(self.site_dir, name, self.part)
        ready.wait()
        if not self._ready:
            self._thread.join()  # (done: no thread left when the build forks its workers)
        return self._read.pop(name, None)

    def forget(self) -> None:
        """Let go of what was read and not asked for (a full build follows: room for it)."""
        self._thread.join()
        self._ready.clear()
        self._read.clear()


def write_sealed(site_dir: Path, name: str, write: Callable[[Sealing], None], part: str = "") -> None:
    """`write_cache` for data that `write` writes as it makes it (see cache.keep_written)."""

    def sealed(file: BinaryIO) -> None:
        sealing = Sealing(file)
        write(sealing)
        sealing.close()
    keep_written(site_dir, name, sealed, part)


def write_cache(site_dir: Path, name: str, data: bytes, part: str = "") -> None:
    """Replace one cache file at once, sealed (its seal written in front of it, not joined
    to a copy); failing to only costs the next build time."""
    keep_file(site_dir, name, mark(data), part, after=data)


class SavedModels(NamedTuple):
    """What `save_models` kept: the checked models, their copies in other languages, and how
    each of their files was read (BuildMemory.files: its state, document, problems, when)."""

    models: dict[Path, tuple[Any, ...]]
    copies: dict[tuple[Path, str], tuple[Any, Any]]
    files: dict[Path, tuple[Any, ...]]


def save_models(site_dir: Path, environment_key: str, memory: BuildMemory, part: str = "") -> None:
    """Keep the checked models of every file but releases (partners, programmes, contacts,
    pages, topics, country texts) and their copies in other languages, for the next build in
    another process, with how each file was read: a build after an edit reads none of those
    files again while its state is the one it was read in (checked as for any file read, see
    BuildMemory.read: the 72 files of partners and programmes of the benchmark's site were
    read and their YAML parsed again by every build, 0.01 s), and need not check them again
    (a programme's countries alone cost a tenth of a second). Each is reused only while its
    file's bytes and the context it was checked in are the same (schema._Loader.remembered);
    a build with other settings, templates or presskit ignores them all."""
    models, copies = memory.models, memory.copies
    kept = {path: entry for path, entry in models.items() if not isinstance(entry[4], Release)}
    originals = {id(entry[4]) for entry in kept.values()}
    # Copies are found by the identity of their original, which one pickle keeps.
    copied = {key: pair for key, pair in copies.items() if id(pair[0]) in originals}
    read = {path: memory.files[path] for path in kept if path in memory.files}
    try:
        data = pickle.dumps((environment_key, kept, copied, read, countries.table_state()),
                            protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        forget(site_dir, _MODELS, part)
        return
    write_cache(site_dir, _MODELS, data, part)


def saved_models(site_dir: Path, environment_key: str, part: str = "") -> SavedModels:
    """What `save_models` kept, if made with these settings, templates and presskit (sealed:
    only presskit's own are unpickled); nothing otherwise. The country table kept with them
    is lent to presskit.countries (if pycountry's data is the same)."""
    data = read_cache(site_dir, _MODELS, part)
    if not data or not environment_key:
        return SavedModels({}, {}, {})
    try:
        key, models, copies, read, table = pickle.loads(data)
    except Exception:  # sealed, so ours; but one that does not fit is just not used
        return SavedModels({}, {}, {})
    if key != environment_key or not all(isinstance(found, dict) for found in (models, copies, read)):
        return SavedModels({}, {}, {})
    countries.adopt_table(table)
    return SavedModels(models, copies, read)


def lend_models(memory: BuildMemory, saved: SavedModels) -> SavedModels:
    """Put the models `save_models` kept into `memory` (what it holds already stays), and how
    their files were read: a file whose state is still that is not read again. Returns them
    (see `keep_models_read`)."""
    for path, entry in saved.models.items():
        memory.models.setdefault(path, entry)
    for key, pair in saved.copies.items():
        memory.copies.setdefault(key, pair)
    for path, entry in saved.files.items():
        memory.files.setdefault(path, entry)
    return saved


def keep_models_read(site_dir: Path, environment_key: str, memory: BuildMemory, lent: SavedModels,
                     part: str = "") -> None:
    """Keep the models again if a build after an edit read again a file they were lent for
    (its state changed, not its bytes: a checkout, a copy or `touch` gave it a new time), so
    that the builds after it do not read it again too, until the next full build."""
    if memory.writes_cache and any(memory.files.get(path, entry)[0] != entry[0]
                                   for path, entry in lent.files.items()):
        save_models(site_dir, environment_key, memory, part)


def save_texts(site_dir: Path, environment_key: str, bodies: dict[tuple[Any, ...], RenderedBody],
               part: str = "") -> None:
    """Keep the rendered texts of the pages that are not releases (a partner's, a programme's,
    a topic's or a country's description, by their Markdown and first line: see
    models.body_key), for the builds after an edit that make those pages again (they
    rendered them, and imported markdown-it-py, for a new title of one of their releases).
    A build with other settings, templates or presskit ignores them all."""
    texts = {key: _body_bytes(body) for key, body in bodies.items() if _is_description(key)}
    write_cache(site_dir, _TEXTS, marshal.dumps((environment_key, texts)), part)


def has_new_texts(bodies: dict[tuple[Any, ...], RenderedBody], kept: int) -> bool:
    """Whether `bodies`, which held `kept` texts when `saved_texts` had filled it, now holds
    a description more (a build after an edit made a page whose text the store lacked: a new
    partner's, or one written since the last full build): to be saved, or every later build
    renders it again."""
    return any(_is_description(key) for key in itertools.islice(bodies, kept, None))


def _is_description(key: tuple[Any, ...]) -> bool:
    return len(key) == 2 and isinstance(key[0], str) and isinstance(key[1], int)


def saved_texts(site_dir: Path, environment_key: str, part: str = "") -> dict[tuple[Any, ...], RenderedBody]:
    """The texts `save_texts` kept, if made with these settings, templates and presskit."""
    data = read_cache(site_dir, _TEXTS, part)
    if not data or not environment_key:
        return {}
    try:
        key, texts = marshal.loads(data)
        if key != environment_key or not isinstance(texts, dict):
            return {}
        return {(text, line): _body_from(body) for (text, line), body in texts.items()}
    except (ValueError, EOFError, TypeError):  # sealed, so ours; but one that does not fit is not used
        return {}


def forget(site_dir: Path, name: str, part: str = "") -> None:
    with contextlib.suppress(OSError):  # a folder in its place, or a read-only cache
        (part_dir(site_dir, part) / name).unlink(missing_ok=True)


def _body_bytes(body: RenderedBody) -> bytes:
    """A rendered body, packed (see markdown.PackedBody), with its words for the search index
    when they were counted (the next build's index then need not count them again)."""
    packed = PackedBody.of(body)
    links = [(link.target, link.line, link.image) for link in packed.links]
    return marshal.dumps((packed.first_paragraph, links, packed.packed, packed.counted))


def _body_from(data: bytes) -> RenderedBody:
    first, links, packed, counted = marshal.loads(data)
    return PackedBody(first, [BodyLink(*link) for link in links], packed, counted)


class ReleaseStore:
    """Checked releases and their rendered bodies by source file, each under the key it was
    made with (the file's digest and everything else its model depends on)."""

    def __init__(self, site_dir: Path, part: str = "") -> None:
        self.path = part_dir(site_dir, part) / _RELEASES
        self.site_dir = site_dir
        self.part = part

    def _connect(self, create: bool = False, again: bool = True) -> sqlite3.Connection | None:
        if not create and not self.path.is_file():
            return None
        connection = None
        try:
            if create:
                cache_folder(self.site_dir, self.part)
            connection = sqlite3.connect(self.path)
            # A cache: a commit stays whole if presskit is stopped half-way (rollback journal),
            # but is not forced to disk, so it need not survive a power cut.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("CREATE TABLE IF NOT EXISTS releases "
                               "(source TEXT PRIMARY KEY, key TEXT, model BLOB, body BLOB)")
            connection.execute("CREATE TABLE IF NOT EXISTS cards (source TEXT, language TEXT, options TEXT, "
                               "digest TEXT, card BLOB, PRIMARY KEY (source, language, options))")
            connection.execute("CREATE TABLE IF NOT EXISTS layouts (path TEXT PRIMARY KEY, layout BLOB)")
            return connection
        except (sqlite3.Error, OSError):
            if connection is not None:
                connection.close()
            if not create or not again:
                return None
            _remove(self.path)  # a broken store is dropped and made anew
            return self._connect(create=True, again=False)

    def save(self, items: Iterable[tuple[str, Release, RenderedBody]], *, complete: bool) -> None:
        """Store these releases under their keys (rows already stored so stay as they are);
        `complete` means that these are all the releases to keep."""
        connection = self._connect(create=True)
        if connection is None:
            return
        try:
            items = list(items)
            with connection:
                if complete or len(items) > 500:  # (SQLite limits the values of one query)
                    stored = dict(connection.execute("SELECT source, key FROM releases"))
                else:  # a few releases: no need to read the keys of the other thousands
                    sources = [str(release.source) for _, release, _ in items]
                    stored = dict(connection.execute(
                        f"SELECT source, key FROM releases WHERE source IN ({','.join('?' * len(sources))})",
                        sources)) if sources else {}
                keep: set[str] = set()

                def rows() -> Iterator[tuple[str, str, bytes, bytes]]:  # made as SQLite takes them
                    for key, release, body in items:
                        source = str(release.source)
                        keep.add(source)
                        if stored.get(source) != key:
                            model = detached(release, text=False)  # its file keeps the Markdown
                            yield (source, key, seal(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
                                   seal(_body_bytes(body)))

                connection.executemany("INSERT OR REPLACE INTO releases VALUES (?, ?, ?, ?)", rows())
                gone = [(source,) for source in stored if complete and source not in keep]
                connection.executemany("DELETE FROM releases WHERE source = ?", gone)
        except sqlite3.Error:
            _remove(self.path)  # a broken cache is dropped, never trusted
        finally:
            connection.close()

    def save_cards(self, cards: dict[Slot, tuple[str, Any]], releases: set[str],
                   pages: set[str] | None = None) -> None:
        """Keep the release cards of a build (see render._Renderer.card), each with the
        fingerprint of all it shows, for the next build's lists: the cards that changed are
        written (a build after one edit writes a few rows, not every card of the site), and
        those of files that are no longer `releases` (by source) removed; the others stay,
        read again only under the fingerprint they were kept with. Each row is sealed with its
        slot and fingerprint. With `pages` (the site paths of the site's pages), where cards
        lie in pages no longer among them is forgotten."""
        connection = self._connect(create=True)
        if connection is None:
            return
        try:
            with connection:
                stored = {(source, language, options): digest for source, language, options, digest
                          in connection.execute("SELECT source, language, options, digest FROM cards")}

                connection.executemany(_PUT_CARD, _card_rows(
                    (slot, kept) for slot, kept in cards.items() if stored.get(slot) != kept[0]))
                connection.executemany("DELETE FROM cards WHERE source = ?",
                                       [(source,) for source in {slot[0] for slot in stored} - releases])
                if pages is not None:
                    gone = [(path,) for (path,) in connection.execute("SELECT path FROM layouts")
                            if path not in pages]
                    connection.executemany("DELETE FROM layouts WHERE path = ?", gone)
        except sqlite3.Error:
            _remove(self.path)  # a broken cache is dropped, never trusted
        finally:
            connection.close()
        forget(self.site_dir, _CARDS, self.part)  # where cards were kept until 2 December

    def forget_releases(self, sources: Iterable[str]) -> None:
        """Forget these releases and their cards (their files were deleted)."""
        rows = [(source,) for source in sources]
        connection = self._connect() if rows else None
        if connection is None:
            return
        try:
            with connection:
                connection.executemany("DELETE FROM releases WHERE source = ?", rows)
                connection.executemany("DELETE FROM cards WHERE source = ?", rows)
        except sqlite3.Error:
            _remove(self.path)  # a broken cache is dropped, never trusted
        finally:
            connection.close()

    def models(self, environment_key: str) -> SavedModels:
        return saved_models(self.site_dir, environment_key, self.part)

    def card_sink(self) -> CardSink | None:
        """Where the processes of a build put the cards they make (see CardSink); None if
        the store cannot be made."""
        connection = self._connect(create=True)
        if connection is None:
            return None
        connection.close()
        return CardSink(self.path)

    def kept_cards(self, output: Path | None = None) -> KeptCards | None:
        """The cards the last build kept, read as the lists of this one ask for them (see
        KeptCards), from the pages it wrote in `output` where they lie there as it wrote
        them; None when there is no store."""
        return KeptCards(self.path, output) if self.path.is_file() else None

    def kept_bodies(self, key: Callable[[str], str]) -> KeptBodies | None:
        """The rendered texts the last builds kept, read as pages ask for them (see
        KeptBodies); `key`: what a stored release is made from, by its file's digest (see
        quick.store_key). None when there is no store."""
        return KeptBodies(self.path, key) if self.path.is_file() else None

    def load(self, keys: dict[str, str], partners: Iterable[Partner],
             programmes: Iterable[Programme], *,
             partial: bool = False) -> dict[str, tuple[Release, RenderedBody]] | None:
        """The stored releases with these sources and keys; None if any is missing or stale
        (with `partial`, those that are there and up to date)."""
        connection = self._connect()
        if connection is None:
            return None
        by_id = {(p.lang, p.id): p for p in partners}
        programme_by_id = {(p.lang, p.id): p for p in programmes}
        found: dict[str, tuple[Release, RenderedBody]] = {}
        try:
            sources = list(keys)
            if len(sources) > 500:  # most of them: one pass over the table is quicker
                rows = connection.execute("SELECT source, key, model, body FROM releases")
                self._found(rows, keys, by_id, programme_by_id, found)
                sources = []
            for marks, chunk in _in_chunks(sources):
                rows = connection.execute(
                    f"SELECT source, key, model, body FROM releases WHERE source IN ({marks})", chunk)
                self._found(rows, keys, by_id, programme_by_id, found)
        except Exception:  # a cache never fails a build: whatever it holds, the build is a full one
            connection.close()
            _remove(self.path)  # and the next save makes it anew, rather than keeping bad rows
            return None
        finally:
            connection.close()
        return found if partial or len(found) == len(keys) else None

    @staticmethod
    def _found(rows: Iterable[tuple[str, str, bytes, bytes]], keys: dict[str, str],
               partners: dict[tuple[str, str], Partner], programmes: dict[tuple[str, str], Programme],
               found: dict[str, tuple[Release, RenderedBody]]) -> None:
        files: dict[str, Path] = {}
        for source, key, sealed_model, sealed_body in rows:
            if keys.get(source) != key:
                continue
            model, body = unseal(sealed_model), unseal(sealed_body)
            if model is None or body is None:
                raise ValueError("a stored release that presskit did not write")
            release = attached(pickle.loads(model), partners, programmes, files)
            found[source] = (release, _body_from(body))


_PUT_CARD = "INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?)"
_PUT_LAYOUT = "INSERT OR REPLACE INTO layouts VALUES (?, ?)"


def _card_rows(cards: Iterable[tuple[Slot, tuple[str, Any]]]) -> Iterator[tuple[str, str, str, str, bytes]]:
    """Rows of the cards table: each card sealed with its slot and fingerprint (see KeptCards)."""
    for slot, (digest, card) in cards:
        if isinstance(card, Markup):
            yield (*slot, digest, seal(marshal.dumps((slot, digest, str(card)))))


def _layout_rows(layouts: dict[str, placed.Layout]) -> Iterator[tuple[str, bytes]]:
    """Rows of the layouts table: where cards lie in each page, sealed with its path."""
    for path, layout in layouts.items():
        yield path, seal(marshal.dumps((path, layout)))


class _OwnConnection:
    """A connection to the store for the process that asks: a rendering worker is forked,
    and a connection must not cross a fork, so each process opens its own (with `connect`)
    and leaves its parent's alone. None where it cannot be opened, or once `lost`."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self.connect = connect
        self._connection: sqlite3.Connection | None = None
        self._process = 0

    def get(self) -> sqlite3.Connection | None:
        if self._process != os.getpid():
            self._connection, self._process = None, os.getpid()
            try:
                self._connection = self.connect()
            except (sqlite3.Error, OSError, ValueError):
                self._connection = None
        return self._connection

    def lost(self) -> None:
        """Close this process's connection, and open none again."""
        if self._connection is not None and self._process == os.getpid():
            self._connection.close()
        self._connection = None


class CardSink:
    """Where the processes of a build put the cards they make, as they make them: each is
    written at once (a row per card, sealed with its slot and fingerprint, as `save_cards`
    writes it), so that no process holds them to the build's end (about 4 KB a release; the
    pages that list a term's releases make tens of thousands at a time at 50,000 releases).
    A card is content: written by a build that then fails, it is still right under its
    fingerprint. Each process writes through its own connection, waiting for another's write
    to end; a write that fails leaves those cards to be made again by the next build."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = _OwnConnection(self._connect)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=60)
        connection.execute("PRAGMA synchronous=OFF")
        return connection

    def __call__(self, cards: Iterable[tuple[Slot, tuple[str, Any]]],
                 layouts: dict[str, placed.Layout] | None = None) -> None:
        """Write these cards, and where cards lie in these pages (see presskit.placed)."""
        connection = self._connection.get()
        if connection is None:
            return
        try:
            with connection:
                connection.executemany(_PUT_CARD, _card_rows(cards))
                connection.executemany(_PUT_LAYOUT, _layout_rows(layouts or {}))
        except sqlite3.Error:
            self._connection.lost()

    def close(self) -> None:
        self._connection.lost()


_KEPT_CARDS = "SELECT source, digest, card FROM cards WHERE language = ? AND options = ? AND source IN ({})"
_KEYS_A_QUERY = 500  # below SQLite's oldest limit of 999 parameters a query


def _in_chunks(keys: Sequence[str]) -> Iterator[tuple[str, Sequence[str]]]:
    """These keys a few hundred at a time, each chunk with the marks of its `IN (...)`."""
    for start in range(0, len(keys), _KEYS_A_QUERY):
        chunk = keys[start:start + _KEYS_A_QUERY]
        yield ",".join("?" * len(chunk)), chunk


def _read_only(path: Path) -> _OwnConnection:
    """A connection to the store at `path` that only reads, each process its own."""
    return _OwnConnection(lambda: sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))


class KeptCards:
    """The release cards a build kept (see ReleaseStore.save_cards), read when a page asks
    for them: a build after an edit renders the lists that changed, which show a few thousand
    of the site's cards (reading all of them was a third of a second at 10,000 releases, and
    holding them a few hundred megabytes at 50,000). A card is used only under the fingerprint
    it was kept with (BuildMemory.fragment compares it), and a row whose seal does not hold its
    slot and fingerprint is never read. With `output` (the folder the last build wrote), the
    cards of a list are read first from the page it is for, where they lie as that build wrote
    them (see presskit.placed). Each process reads through its own connection."""

    def __init__(self, path: Path, output: Path | None = None) -> None:
        self.path = path
        self.output = output
        self._connection = _read_only(path)
        self._asked: set[Slot] = set()
        self._page: tuple[str, placed.Layout, bytes] | None = None  # the last page read

    def fetch(self, slots: Iterable[Slot], page: str | None = None) -> dict[Slot, tuple[str, Markup]]:
        """The kept cards of these slots that the store has (each slot is looked for once):
        those that lie in `page` (a site path) as the last build wrote it in output/ read
        from there (see presskit.placed), the others from the store."""
        wanted = {slot for slot in slots if slot not in self._asked}
        if not wanted:
            return {}
        self._asked |= wanted
        connection = self._connection.get()
        if connection is None:
            return {}
        found: dict[Slot, tuple[str, Markup]] = {}
        if page is not None and self.output is not None:
            found = self._on_page(connection, page, wanted)
            wanted.difference_update(found)
        by_kind: dict[tuple[str, str], list[str]] = {}
        for source, language, options in sorted(wanted):
            by_kind.setdefault((language, options), []).append(source)
        try:
            # A few hundred keys a query, in key order: half the time of a query per card
            # (the 10,000 cards a worker reads after a deletion: 0.11 s against 0.22-0.28 s).
            for (language, options), sources in by_kind.items():
                for marks, chunk in _in_chunks(sources):
                    rows = connection.execute(_KEPT_CARDS.format(marks), (language, options, *chunk))
                    for source, digest, sealed in rows:
                        slot = (source, language, options)
                        data = unseal(sealed)
                        kept = marshal.loads(data) if data is not None else None
                        if (isinstance(kept, tuple) and len(kept) == 3 and kept[0] == slot
                                and kept[1] == digest and isinstance(kept[2], str)):
                            found[slot] = (digest, Markup(kept[2]))
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}  # a store that cannot be read lends nothing: the cards are made
        return found

    def _on_page(self, connection: sqlite3.Connection, page: str,
                 wanted: set[Slot]) -> dict[Slot, tuple[str, Markup]]:
        if self._page is None or self._page[0] != page:  # (a page's lists ask one after the other)
            self._page = (page, *self._written(connection, page))
        _, layout, written = self._page
        return {slot: (digest, Markup(card)) for slot, (digest, card)
                in placed.cards_in(written, layout, wanted).items()}

    def _written(self, connection: sqlite3.Connection, page: str) -> tuple[placed.Layout, bytes]:
        """Where cards lie in a page of output/, and its bytes (nothing, if either is missing)."""
        assert self.output is not None
        try:
            row = connection.execute("SELECT layout FROM layouts WHERE path = ?", (page,)).fetchone()
            data = unseal(row[0]) if row is not None else None
            kept = marshal.loads(data) if data is not None else None
            if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == page:
                return kept[1], (self.output / paths.output_file(page)).read_bytes()
        except (sqlite3.Error, OSError, ValueError, EOFError, TypeError):
            pass  # (a layout presskit sealed has the shape it wrote)
        return (), b""

    def ask_again(self) -> None:
        """Look again for every slot: the store has gained rows since, and a worker that
        dropped cards from memory finds them there."""
        self._asked = set()


class KeptBodies:
    """The rendered texts of releases, as the builds that rendered them kept them (see
    ReleaseStore.save), read when a page or feed asks for one that memory lacks: a build after
    a release is added renders the feeds that now carry it, and their other entries' texts
    were rendered from Markdown again (0.2 s at 10,000 releases). A text is read only under
    the key its release's file and settings make now. Each process reads through its own
    connection."""

    def __init__(self, path: Path, key: Callable[[str], str]) -> None:
        self.key = key
        self._connection = _read_only(path)

    def fetch(self, releases: Iterable[Release]) -> dict[Release, RenderedBody]:
        """The kept texts of these releases that the store has under their current key."""
        keys = {str(release.source): (self.key(release.digest), release) for release in releases
                if release.digest}
        connection = self._connection.get() if keys else None
        if connection is None:
            return {}
        found: dict[Release, RenderedBody] = {}
        try:
            for marks, chunk in _in_chunks(sorted(keys)):
                for source, key, sealed in connection.execute(
                        f"SELECT source, key, body FROM releases WHERE source IN ({marks})", chunk):
                    wanted, release = keys[source]
                    data = unseal(sealed) if key == wanted else None
                    if data is not None:
                        found[release] = _body_from(data)
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}  # a store that cannot be read lends nothing: the texts are rendered
        return found


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
