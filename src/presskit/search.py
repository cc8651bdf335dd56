"""The search index of one language: presskit's own records, read by assets/search.js.

Pagefind was measured against this (README, Search): indexing the built pages of 10,000
releases took as long as the whole build and cannot be updated for one edit, so presskit
writes a small index of its own that the build updates piece by piece.

Under `{root}search/data/`:
- `meta.jsonz`: how many releases, the shard names, the filters (each value with the releases
  it holds) and the names of partners, programmes, countries, topics and pages. Loaded first.
- `s/KEY.jsonz`: one shard of the inverted index: every word starting with KEY (two letters,
  or three where two would make a shard too large), each with its releases and weights.
- `f/NAME.jsonz`: a release's card and text, for the result and its excerpt; loaded only for
  the results shown. NAME is a digest of the release's address (`card_names`), and
  meta.jsonz's `cards` gives the name of each number.

Words are folded (lower case, no accents, đ as d) the same way here and in search.js, so
`Quang Binh` finds `Quảng Bình`. A release is a number, its place oldest first (see
`in_index_order`): a new release takes the next number and no other release moves, so its
build changes only the files that hold its words. A release added or removed among older ones
renumbers those after it: their cards stay as they are (named by release, not by number) and
each word's list changes only where the numbers shift (see `index_from`). A list of releases
is written as the gaps
between them in base-64 digits (five bits each, the sixth says another digit follows), which
keeps a filter of 10,000 releases near 10 KB.

Only published releases are given to `build_index`, so nothing unpublished is ever written.
"""

from __future__ import annotations

import base64
import bisect
import difflib
import functools
import gzip
import hashlib
import html
import itertools
import json
import operator
import re
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Container, Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar, overload

from presskit.forks import forked_map
from presskit.markdown import RenderedBody

DATA = "search/data/"  # under a language's root
FORMAT = 5  # 3: files gzipped (.jsonz); 4: shards at _SHARD_LEVEL; 5: cards named by release
# (meta.jsonz's "cards"), not by number. A change to what a card
# holds or how must change it: an index of another format is made anew (the keys a build keeps
# describe releases, not cards)
_LEVEL = 6  # gzip's default, for the cards and meta.jsonz (read first, by every search)
# The shards: a release that moves a few places (a new date) changes the numbers of every word
# of the releases between, so a move writes nearly every shard again. At 10,000 releases (1.1 MB
# of shards) level 3 takes 0.02 s where 6 took 0.08 s, for 3.5 % more bytes (level 1: 0.012 s,
# 9.5 % more); a search downloads a few shards of a few KB.
_SHARD_LEVEL = 3
_SHARD_LIMIT = 24_000  # bytes: a two-letter shard larger than this is split by the third letter
_TEXT_LIMIT = 20_000  # characters of a release's text kept for its excerpt
_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_DIGIT_VALUES = {digit: value for value, digit in enumerate(_DIGITS)}
_DIGIT_BYTES = _DIGITS.encode("ascii")
_VALUES = bytes.maketrans(_DIGITS.encode("ascii"), bytes(range(64)))  # digit -> its value
_DIGITS_OF = bytes.maketrans(bytes(range(64)), _DIGITS.encode("ascii"))  # value -> its digit
_LAST_DIGITS = str.maketrans("", "", _DIGITS[:32])  # removes the digits that end a value
_T = TypeVar("_T")
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as search.js's [\p{L}\p{N}]+
# A word as written: letters, digits (and _, split off after folding), with the combining
# marks of the scripts that put them inside words (Latin, Greek, Cyrillic, Hebrew, Arabic,
# Devanagari to Malayalam, Thai), so that "اختُتم" stays one word until folding removes them.
_RAW_WORD = re.compile(r"[\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f"
                       r"\u0670\u06d6-\u06ed\u0900-\u0d7f\u0e31-\u0e4e]+")
_TAG = re.compile(r"<[^>]+>")
# ASCII bytes -> the same lower-cased, anything but a letter or digit -> a space.
_ASCII_WORDS = bytes(c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32
                     for c in range(256))
_TITLE = 16  # weight bit: the word is in the title or subtitle
_MOST = 15  # a word's count in the text is capped here
# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe",
                          "ı": "i", "ħ": "h", "ŧ": "t"})


def in_index_order(newest_first: Sequence[_T]) -> list[_T]:
    """Releases (listed newest first, as a site lists them) in the order of their numbers in
    the index: oldest first, so that publishing a new release moves no other."""
    return list(reversed(newest_first))


def fold(text: str) -> str:
    """Lower case, without accents: what is indexed and what is searched for."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text.lower().translate(_LETTERS)).translate(_unmarked())


_fold_word = lru_cache(maxsize=1 << 18)(fold)  # a language has fewer words than that


class _Unmarked(dict[int, "str | int | None"]):
    """A str.translate table: every combining mark removed, the letters of _LETTERS replaced;
    each character looked up once, when first met (a table of all of Unicode took a second
    to make, in every build)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code))[0] == "M" else code
        self[code] = kept
        return kept


@lru_cache(maxsize=1)
def _unmarked() -> _Unmarked:
    table = _Unmarked()
    table.update(_LETTERS)
    return table


def word_counts(text: str) -> Counter[str]:
    """How often each folded word is in a text. The words are counted as written and each
    different one folded once: several times quicker than folding the whole text. ASCII text
    (most of an English newsroom) is cut into words as bytes, a third quicker: its words are
    the runs of letters and digits, lower-cased, as the general way finds them."""
    if text.isascii():
        found = Counter(text.encode("ascii").translate(_ASCII_WORDS).split())
        return Counter({word.decode("ascii"): count for word, count in found.items()})
    written = Counter(_RAW_WORD.findall(unicodedata.normalize("NFC", text).lower()))
    counts: Counter[str] = Counter()
    for raw, count in written.items():
        folded = _fold_word(raw)
        if folded.isalnum():
            counts[folded] += count
        else:
            for word in _WORD.findall(folded):
                counts[word] += count
    return counts


def plain_text(body_html: str) -> str:
    """The words of rendered HTML, without tags."""
    return " ".join(html.unescape(_TAG.sub(" ", body_html)).split())  # (3 times as quick as a regex)


def text_and_words(body_html: str) -> tuple[str, dict[str, int]]:
    """Rendered HTML's plain text and how often each folded word is in it (at most 15 times:
    all the index keeps)."""
    text = plain_text(body_html)
    return text, _capped(word_counts(text))


def _capped(counts: Mapping[str, int]) -> dict[str, int]:
    return {word: count if count < _MOST else _MOST for word, count in counts.items()}


def body_words(body: RenderedBody) -> tuple[str, dict[str, int]]:
    """A body's plain text and word counts, made once per rendered body (a large build makes
    them on every core: render._render_body, _Renderer.count_words_in_parallel)."""
    if body.counted:
        words = body.words
        assert words is not None
        return words
    body.words = counted = text_and_words(body.html)  # not opened again from a packed body
    return counted


@dataclass(frozen=True)
class Entry:
    """What the index holds of one published release."""

    path: str
    title: str
    subtitle: str
    kind: str  # its type, in the page's language
    dateline: str
    date: str  # as the page's language writes it
    body: tuple[str, dict[str, int]]  # its text and word counts (body_words)
    captions: str = ""  # of its photos, with their credits

    @property
    def text(self) -> str:
        return f"{self.body[0]} {self.captions}".strip()

    def weights(self) -> dict[str, int]:
        """Each word's weight: how often the text has it (at most 15), plus 16 if the title
        or subtitle has it."""
        found = dict(self.body[1])  # counted at most 15 (text_and_words)
        for word, count in word_counts(f"{self.dateline} {self.captions}").items():
            found[word] = min(found.get(word, 0) + count, _MOST)
        for word in word_counts(f"{self.title} {self.subtitle}"):
            found[word] = found.get(word, 0) | _TITLE
        return found

    @classmethod
    def from_card(cls, data: bytes) -> Entry | None:
        """The entry a card was made from, as far as the index is concerned (its weights are
        the same); None if the card is not one, or its text was cut (see _TEXT_LIMIT)."""
        try:
            card = _load(data)
            text = card["x"]
            if len(text) >= _TEXT_LIMIT:
                return None
            return cls(card["u"], card["t"], card["s"], card["k"], card["d"], card["w"],
                       (text, _capped(word_counts(text))))
        except (ValueError, KeyError, TypeError):
            return None

    def card(self) -> bytes:
        return self._card

    @functools.cached_property
    def _card(self) -> bytes:
        """Kept with the entry: the preview keeps its entries, and an index made anew (a
        release added or removed among older ones renumbers the rest) gzips no card again.
        The JSON it was made of is let go (made again if asked for): the preview held 71 MB
        of them at 10,000 releases."""
        card = _zipped(self.card_json())
        self.__dict__.pop("_card_json", None)
        return card

    def packed(self) -> tuple[bytes, str, bytes]:
        """Its card, its words (one per line) and their weights (one byte each, below 32), as
        an index is made of them; kept with the entry, as its card is."""
        return self._packed

    @functools.cached_property
    def _packed(self) -> tuple[bytes, str, bytes]:
        weights = self.weights()
        return self.card(), "\n".join(weights), bytes(weights.values())

    def __getstate__(self) -> dict[str, Any]:
        """What is pickled (the preview's learned state): the entry, not what is made of it."""
        return {name: value for name, value in self.__dict__.items() if name not in _MADE_OF_IT}

    def card_json(self) -> bytes:
        """The card before it is gzipped: what a full build compares with the card written
        (opening one costs a fifth of making one, at 10,000 releases a second saved)."""
        return self._card_json

    @functools.cached_property
    def _card_json(self) -> bytes:  # made once: compared, then gzipped
        return _plain_json({"u": self.path, "t": self.title, "s": self.subtitle, "k": self.kind,
                            "d": self.dateline, "w": self.date, "x": self.text[:_TEXT_LIMIT]})


# What an Entry makes of itself and keeps (its cached properties): not pickled.
_MADE_OF_IT = frozenset(name for name, value in vars(Entry).items()
                        if isinstance(value, functools.cached_property))


@dataclass(frozen=True)
class Filter:
    """One filter (country, partner, ...): each value's key, label and releases (numbers)."""

    key: str
    values: Sequence[tuple[str, str, Sequence[int]]]


@dataclass(frozen=True)
class Name:
    """A partner, programme, country, topic or page, found by its name or any alias."""

    kind: str  # in the page's language
    name: str
    aliases: tuple[str, ...]
    path: str


PARALLEL_AT_LEAST = 1000  # entries; fewer are made in this process
CARD_NAME_SIZE = 7  # letters of a card's file name: 35 bits of a digest of its release's address


def card_names(paths: Sequence[str], size: int = CARD_NAME_SIZE) -> list[str]:
    """The name of each release's card (`f/NAME.jsonz`), given the releases' addresses in
    index order: a digest of the address, so that a release added or removed among older
    ones, which renumbers every release after it, leaves their cards as they are (named by
    number, deleting a release of 2014 from 10,000 wrote 10,000 cards again: 9 s). Lower-case
    letters and digits (base 32), as a file system that ignores case (macOS's, Windows') needs.
    Two addresses with one digest (a chance in 700 at 10,000 releases) are told apart in the
    order of the addresses: the first keeps it, the next takes the digest of its address and a
    count (`_card_name`). The names depend on the releases indexed alone, as a cold build's
    must."""
    chunk = 8 * ((size + 7) // 8)  # letters of each digest: a whole number of bytes (5 a chunk)
    blake = hashlib.blake2b
    digests = b"".join([blake(path.encode(), digest_size=chunk * 5 // 8).digest() for path in paths])
    letters = base64.b32encode(digests).decode("ascii").lower()  # all at once: 20 -> 8.5 ms
    names = [letters[at:at + size] for at in range(0, len(letters), chunk)]  # at 10,000 releases
    if len(set(names)) == len(names):
        return names
    taken: set[str] = set()
    chosen = dict(zip(paths, names, strict=True))
    for path in sorted(chosen):
        name, tries = chosen[path], 0
        while name in taken:
            tries += 1
            name = _card_name(f"{path}\n{tries}", size)
        taken.add(name)
        chosen[path] = name
    return [chosen[path] for path in paths]


def _card_name(path: str, size: int) -> str:
    """One name, as card_names makes them all at once."""
    digest = hashlib.blake2b(path.encode(), digest_size=5 * ((size + 7) // 8)).digest()
    return base64.b32encode(digest).decode("ascii")[:size].lower()


def build_index(entries: Sequence[Entry], filters: Iterable[Filter], names: Iterable[Name],
                workers: int = 1, cards: Sequence[str] | None = None) -> dict[str, bytes]:
    """Every file of the index, by its path under search/data/ (a large index made in blocks
    of releases on `workers` processes, see `_block`). `cards`: the names of their cards
    (`card_names` of their paths), given where entries are made as they are asked for."""
    count = len(entries)
    made = forked_map(functools.partial(_block, entries), _blocks(count, workers), workers,
                      at_least=2, chunksize=1)
    if cards is None:
        cards = card_names([entry.path for entry in entries])
    lists: dict[str, list[_Part]] = {}
    for _, parts in made:
        for word, part in parts.items():
            lists.setdefault(word, []).append(part)
    shards = _shards({word: range(sum(part.count for part in parts)) for word, parts in lists.items()})
    files = {f"s/{key}.jsonz": _shard_json({word: _joined(lists[word]) for word in shard})
             for key, shard in shards.items()}
    files["meta.jsonz"] = _meta(count, sorted(shards), cards, filters, names)
    numbered = zip(cards, itertools.chain.from_iterable(block_cards for block_cards, _ in made), strict=True)
    files.update((f"f/{name}.jsonz", card) for name, card in numbered)
    return files


def _blocks(count: int, workers: int) -> list[range]:
    """Releases' numbers in blocks, two for each worker (one finishing early takes another)."""
    if workers < 2 or count < PARALLEL_AT_LEAST:
        return [range(count)]
    parts = 2 * workers
    return [range(count * part // parts, count * (part + 1) // parts) for part in range(parts)]


class _Part(NamedTuple):
    """A word's list of pairs in one block of releases (see `_block`)."""

    pairs: str  # as `encode_pairs` writes them, the first gap counted from -1
    last: int  # the number of its last release
    count: int  # of pairs


def _block(entries: Sequence[Entry], numbers: range) -> tuple[list[bytes], dict[str, _Part]]:
    """The cards of these releases, and each of their words' list of pairs, made in a forked
    worker for its block of releases (the lists of 10,000 releases with a newsroom's vocabulary
    hold millions of pairs: inverted in one process, they took 3-4 s). Each release's number
    and weight are one value in an array (weights are below 32), appended at C speed."""
    cards: list[bytes] = []
    lists: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
    value_list, append = lists.__getitem__, array.append
    for number in numbers:
        card, words, weights = entries[number].packed()
        cards.append(card)
        if words:
            values = map((number << 5).__or__, weights)
            deque(map(append, map(value_list, words.split("\n")), values), maxlen=0)  # (no loop)
    parts = {}
    for word, values in lists.items():
        numbers_of = list(map(operator.rshift, values, itertools.repeat(5)))
        weights_of = bytes(map(operator.and_, values, itertools.repeat(31)))
        parts[word] = _Part(_encoded_pairs(numbers_of, weights_of), numbers_of[-1], len(values))
    return cards, parts


def _joined(parts: Sequence[_Part]) -> str:
    """A word's whole list from its blocks' lists, in order: each block's first gap counted
    again from the last release of the block before."""
    texts, last = [parts[0].pairs], parts[0].last
    for part in parts[1:]:
        first, length = _first_value(part.pairs)  # the gap from -1: the release's number
        out: list[str] = []
        _digits(first - last - 1, out)
        texts += (*out, part.pairs[length:])
        last = part.last
    return "".join(texts)


def _first_value(text: str) -> tuple[int, int]:
    """The first value of a list (see `decode`) and how many digits it takes."""
    value = shift = 0
    for length, char in enumerate(text, 1):
        digit = _DIGIT_VALUES[char]
        value |= (digit & 31) << shift
        if not digit & 32:
            return value, length
        shift += 5
    raise ValueError("a list that ends inside a value")


def edited_index(read: Callable[[str], bytes | None], edited: Mapping[int, Entry]) -> dict[str, bytes] | None:
    """The files of an index that change when some releases keep their numbers and their
    entries change (a title or a caption edited; `edited` by number): their cards, the shards
    of the words whose weights changed, and meta.jsonz when its list of shards changed. None
    when the index as written (`read` by path under search/data/) cannot be read, or a number
    holds another release: the index must be made again."""
    try:
        meta = _meta_of(read("meta.jsonz"))
        if meta is None:
            return None
        written = _card_names_in(meta)
        changed: dict[int, tuple[Entry | None, Entry | None]] = {}
        for number, entry in edited.items():
            if not 0 <= number < len(written):
                return None
            old = Entry.from_card(read(f"f/{written[number]}.jsonz") or b"")
            if old is None or old.path != entry.path:
                return None
            changed[number] = (old, entry)
        keys = list(meta["shards"])
        files = _updated_shards(read, keys, changed)
        if files is None:
            return None
        if keys != meta["shards"]:
            files["meta.jsonz"] = _json({**meta, "shards": keys})
        for number, entry in edited.items():
            files[f"f/{written[number]}.jsonz"] = entry.card()
        return files
    except (ValueError, KeyError, TypeError):
        return None


def _updated_shards(read: Callable[[str], bytes | None], keys: list[str],
                    changed: Mapping[int, tuple[Entry | None, Entry | None]]) -> dict[str, bytes] | None:
    """The shards that change when the words of some releases change (their number, old and
    new entry), read from the index as written; `keys`, its list of shards, is brought up to
    date (sorted). None when a group of words grew past the limit of a shard, or shrank below
    it: its shards must be grouped anew (index_from splices every shard instead; the quick
    path leaves it to the full build)."""
    split = {key[:2] for key in keys if len(key) == 3}  # groups split by their third letter
    edits: dict[str, dict[str, dict[int, int | None]]] = {}
    for number, (old, new) in changed.items():
        before = old.weights() if old is not None else {}
        after = new.weights() if new is not None else {}
        for word in before.keys() | after.keys():
            if before.get(word) != after.get(word):
                key = shard_of(word, keys, split)
                edits.setdefault(key, {}).setdefault(word, {})[number] = after.get(word)
    files: dict[str, bytes] = {}
    for key, words_changed in edits.items():
        data = read(f"s/{key}.jsonz")
        shard = _load(data) if data is not None else {}
        for word, numbers in words_changed.items():
            pairs = updated_pairs(shard.get(word, ""), numbers)
            if pairs:
                shard[word] = pairs
            else:
                shard.pop(word, None)
        files[f"s/{key}.jsonz"] = _shard_json(dict(sorted(shard.items())))
        if shard and key not in keys:
            keys.append(key)
        elif not shard and key in keys:
            keys.remove(key)  # left with no word: see emptied_shards
    keys.sort()
    if not _split_as_made(keys, {key[:2] for key in edits}, files, read):
        return None
    return files


# Bytes of each entry's key: a digest of all it is made of (the release and the settings), which
# a build keeps for the index it wrote, in index order, so that the next one need not make the
# entries, nor read the cards, of the releases that did not change.
ENTRY_KEY_SIZE = 8
_NO_KEY = bytes(ENTRY_KEY_SIZE)  # an entry whose key is not known (made again by a quick rebuild)
_MOST_MOVED = 32  # places whose release changed that an update takes on (or a 40th of the index)


def index_from(read: Callable[[str], bytes | None], entries: Sequence[Entry], filters: Iterable[Filter],
               names: Iterable[Name], known: bytes = b"", keys: Sequence[bytes] = (),
               cards: Sequence[str] | None = None) -> dict[str, bytes | None] | None:
    """Every file of the index of these entries (in index order), made from the index as
    written (`read` by path under search/data/): only the cards that changed, the shards of
    the words whose releases or weights changed and meta.jsonz are new bytes; None stands for
    a file that stays as it is. The same files as `build_index` makes.

    The releases of both are matched (`_aligned`). Where few numbers hold another release or
    the same one changed (an edit; a new date that moves a release a few places, and those
    between by one; the newest added or removed), only the words of those numbers change.
    Where releases were added or removed among older ones, those after them are renumbered:
    their cards stay as written, and every word's list is spliced where the numbers shift
    (`_spliced_shards`, also where a group of words must be split into shards anew).
    None when many releases changed (more than a 40th: made anew, as quickly) or the index
    cannot be read.

    `known`, the keys of the entries of the index written (ENTRY_KEY_SIZE bytes each), and
    `keys`, those of these entries: an entry whose key is the same is not asked for (`entries`
    may make them as they are asked for), nor is its card read; without them, every card is
    read and every entry made. `cards`: their names (`card_names` of their paths), given where
    entries are made as they are asked for."""
    if cards is None:
        cards = card_names([entry.path for entry in entries])
    # A changed release's card and entry are asked for when matched, then again when used.
    read, entries = functools.lru_cache(maxsize=1024)(read), _Kept(entries)
    try:
        meta = _meta_of(read("meta.jsonz"))
        if meta is None:
            return None
        written = _card_names_in(meta)
        if len(known) != len(written) * ENTRY_KEY_SIZE:
            known = b""  # not of this index
        spans = _aligned(read, written, entries, known, keys)
        most = max(_MOST_MOVED, len(written) // 40)
        if sum(max(s.old_end - s.old, s.new_end - s.new) for s in spans if not s.same) > most:
            return None
        shards = list(meta["shards"])
        places = _in_other_places(spans, len(written), len(entries))
        files = None
        if sum(map(len, places)) <= most:  # an edit, a move, the newest added or removed
            files = _updated_shards(read, shards, _renumbered(read, written, entries, places))
        if files is None:  # releases added or removed among older ones, or groups split anew
            files, shards = _spliced_shards(read, meta["shards"], entries, spans)
        files.update(_changed_cards(read, written, entries, cards, spans))
    except (ValueError, KeyError, TypeError):
        return None
    index: dict[str, bytes | None] = {f"s/{key}.jsonz": None for key in shards}
    index.update({f"f/{name}.jsonz": None for name in cards})
    index.update((name, data) for name, data in files.items() if name in index)  # no emptied shard
    index["meta.jsonz"] = _meta(len(entries), shards, cards, filters, names)
    return index


class _Kept(Sequence[Entry]):
    """Entries, the last 1,024 asked for kept (an entry may be made as it is asked for)."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = entries
        self.made: dict[int, Entry] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, number: int) -> Entry: ...

    @overload
    def __getitem__(self, number: slice) -> Sequence[Entry]: ...

    def __getitem__(self, number: int | slice) -> Entry | Sequence[Entry]:
        if isinstance(number, slice):
            return [self[at] for at in range(*number.indices(len(self)))]
        found = self.made.get(number)
        if found is None:
            if len(self.made) >= 1024:
                del self.made[next(iter(self.made))]
            found = self.made[number] = self.entries[number]
        return found


class _Span(NamedTuple):
    """Releases numbered old..old_end in the index written and new..new_end in the new one."""

    same: bool  # the same releases, unchanged, in both (else removed, added or changed)
    old: int
    old_end: int
    new: int
    new_end: int


def _aligned(read: Callable[[str], bytes | None], written: Sequence[str], entries: Sequence[Entry],
             known: bytes, keys: Sequence[bytes]) -> list[_Span]:
    """The index written (its cards' names) and these entries as spans of releases, in order.
    Releases are matched by their keys where both are known, and a release in the place of
    another whose key differs (or is not known) by its card; without `known`, every card is
    read and matched, by a digest (the cards of 10,000 releases held whole were 100 MB).
    ValueError where a card is missing, or cut short (its words are then not known)."""
    before: list[object]
    after: list[object]
    if known:
        before = [key if key != _NO_KEY else object() for key in
                  (known[n * ENTRY_KEY_SIZE:(n + 1) * ENTRY_KEY_SIZE] for n in range(len(written)))]
        after = [keys[n] if n < len(keys) else object() for n in range(len(entries))]
    else:
        before = [hashlib.blake2b(_written_card(read, name), digest_size=16).digest() for name in written]
        after = [hashlib.blake2b(_card_of(entries[number]), digest_size=16).digest()
                 for number in range(len(entries))]
    start, top = 0, min(len(before), len(after))
    while start < top and before[start] == after[start]:
        start += 1
    end = 0  # releases at the end, the same in both
    while end < top - start and before[-1 - end] == after[-1 - end]:
        end += 1
    spans = [_Span(True, 0, start, 0, start)] if start else []
    matcher = difflib.SequenceMatcher(None, before[start:len(before) - end], after[start:len(after) - end],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or not known or i2 - i1 != j2 - j1:
            spans.append(_Span(tag == "equal", start + i1, start + i2, start + j1, start + j2))
            continue
        for at in range(i2 - i1):  # releases in each other's place, their keys unlike: their cards
            old, new = start + i1 + at, start + j1 + at
            same = _written_card(read, written[old]) == _card_of(entries[new])
            spans.append(_Span(same, old, old + 1, new, new + 1))
    if end:
        spans.append(_Span(True, len(before) - end, len(before), len(after) - end, len(after)))
    merged: list[_Span] = []  # releases matched one by one, side by side: one span
    for span in spans:
        last = merged[-1] if merged else None
        if last and last.same and span.same and last.old_end == span.old and last.new_end == span.new:
            merged[-1] = last._replace(old_end=span.old_end, new_end=span.new_end)
        else:
            merged.append(span)
    return merged


def _written_card(read: Callable[[str], bytes | None], name: str) -> bytes:
    opened = _unzipped(read(f"f/{name}.jsonz") or b"")
    if opened is None:
        raise ValueError(f"no card {name}")
    return opened


def _card_of(entry: Entry) -> bytes:
    """An entry's card, as compared with one written: ValueError for a card cut short (the
    words beyond the cut may differ)."""
    if len(entry.text) >= _TEXT_LIMIT:
        raise ValueError("a card cut short")
    return entry.card_json()


def _in_other_places(spans: Sequence[_Span], count: int, new_count: int) -> list[range]:
    """The numbers that hold another release, or the same one changed: from each change to
    the next span of releases left in their places. A release that moved a few places puts
    the few between in other numbers; one added or removed among older ones, every one after
    it."""
    found = []
    start: int | None = None
    for span in spans:
        if span.same and span.old == span.new:
            if start is not None:
                found.append(range(start, span.old))
                start = None
        elif start is None:
            start = span.old  # the same as span.new: every release before is in its place
    if start is not None:
        found.append(range(start, max(count, new_count)))
    return found


def _renumbered(read: Callable[[str], bytes | None], written: Sequence[str], entries: Sequence[Entry],
                places: Iterable[range]) -> dict[int, tuple[Entry | None, Entry | None]]:
    """Each of these numbers with its release as written (from its card) and as now; None
    for a number that was not, or is no more."""
    changed: dict[int, tuple[Entry | None, Entry | None]] = {}
    for number in itertools.chain.from_iterable(places):
        old = None
        if number < len(written):
            old = Entry.from_card(read(f"f/{written[number]}.jsonz") or b"")
            if old is None:
                raise ValueError(f"card {written[number]} cut short or unreadable")
        changed[number] = (old, entries[number] if number < len(entries) else None)
    return changed


def _spliced_shards(read: Callable[[str], bytes | None], keys: Sequence[str], entries: Sequence[Entry],
                    spans: Sequence[_Span]) -> tuple[dict[str, bytes], list[str]]:
    """Every shard, its words' releases renumbered as `spans` say: those of the releases
    removed or changed left out, those of the releases added or changed put in; with the list
    of shards. A release added or removed among older ones shifts the numbers of every word
    found after it, but a list of gaps changes only where the numbers shift: each word's list
    is decoded and encoded at C speed (see _pairs, _encoded_pairs), and grouped into shards as
    a cold build groups it. The shards whose bytes are the same are not given."""
    same = [span for span in spans if span.same]
    first = min(span.old for span in spans if not span.same)  # the numbers before it stay
    written: dict[str, bytes] = {}
    as_written: dict[str, str] = {}  # a list of pairs that stays as it is
    postings: dict[str, tuple[list[int], bytearray]] = {}
    for key in keys:
        data = read(f"s/{key}.jsonz")
        if data is None:
            raise ValueError(f"no shard {key}")
        written[key] = data
        for word, text in _load(data).items():
            numbers, weights = _pairs(text)
            if numbers and numbers[-1] < first:
                as_written[word] = text
                postings[word] = (numbers, bytearray(weights))
                continue
            moved: list[int] = []
            moved_weights = bytearray()
            lo = 0
            for span in same:
                lo = bisect.bisect_left(numbers, span.old, lo)
                hi = bisect.bisect_left(numbers, span.old_end, lo)
                if lo < hi:
                    moved += map(operator.add, numbers[lo:hi], itertools.repeat(span.new - span.old))
                    moved_weights += weights[lo:hi]
                lo = hi
            if moved:
                postings[word] = (moved, moved_weights)
    for span in spans:
        for number in range(span.new, span.new_end) if not span.same else ():
            for word, weight in entries[number].weights().items():
                found = postings.get(word)
                if found is None:
                    found = postings[word] = ([], bytearray())
                at = bisect.bisect_left(found[0], number)
                found[0].insert(at, number)
                found[1].insert(at, weight)
                as_written.pop(word, None)
    files: dict[str, bytes] = {}
    grouped = _shards({word: numbers for word, (numbers, _) in postings.items()})
    for key, words in grouped.items():
        data = _shard_json({word: as_written[word] if word in as_written else _encoded_pairs(*postings[word])
                            for word in words})
        if data != written.get(key):
            files[f"s/{key}.jsonz"] = data
    return files, sorted(grouped)


def _changed_cards(read: Callable[[str], bytes | None], written: Sequence[str], entries: Sequence[Entry],
                   cards: Sequence[str], spans: Sequence[_Span]) -> dict[str, bytes]:
    """The cards to write: those of the releases added or changed, unless the same card is
    written under its name, and a card whose name is now another's (two releases with one
    digest, see card_names) under its new name."""
    files: dict[str, bytes] = {}
    for span in spans:
        if span.same:
            if written[span.old:span.old_end] != cards[span.new:span.new_end]:
                for old in range(span.old, span.old_end):
                    new = old + span.new - span.old
                    if written[old] != cards[new]:
                        files[f"f/{cards[new]}.jsonz"] = read(f"f/{written[old]}.jsonz") or b""
            continue
        for number in range(span.new, span.new_end):
            entry, name = entries[number], cards[number]
            data = read(f"f/{name}.jsonz")
            if data is None or _unzipped(data) != entry.card_json():
                files[f"f/{name}.jsonz"] = entry.card()
    if any(not data for data in files.values()):
        raise ValueError("a card is missing")
    return files


def _meta_of(data: bytes | None) -> dict[str, Any] | None:
    """An index's meta.jsonz, if it is one of this format."""
    meta = _load(data)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    count, cards, shards = meta.get("count"), meta.get("cards"), meta.get("shards")
    if (not isinstance(count, int) or not isinstance(cards, str) or len(cards) != count * CARD_NAME_SIZE
            or not isinstance(shards, list) or not all(isinstance(key, str) for key in shards)):
        return None
    return meta


def _card_names_in(meta: Mapping[str, Any]) -> list[str]:
    cards = meta["cards"]
    return [cards[at:at + CARD_NAME_SIZE] for at in range(0, len(cards), CARD_NAME_SIZE)]


def index_names(meta: bytes | None) -> set[str] | None:
    """The names of every file of the index whose meta.jsonz this is (under search/data/);
    None if it is not one."""
    try:
        found = _meta_of(meta)
    except (ValueError, KeyError, TypeError):
        return None
    if found is None:
        return None
    return {"meta.jsonz", *(f"s/{key}.jsonz" for key in found["shards"]),
            *(f"f/{name}.jsonz" for name in _card_names_in(found))}


def emptied_shards(files: Mapping[str, bytes]) -> list[str]:
    """The shards of an update (see `edited_index`) left with no word, which a cold build
    would not write at all."""
    if "meta.jsonz" not in files:
        return []  # the list of shards did not change
    kept = set(_load(files["meta.jsonz"])["shards"])
    return [name for name in files if name.startswith("s/") and name[2:-len(".jsonz")] not in kept]


def _split_as_made(keys: Sequence[str], groups: Iterable[str], files: Mapping[str, bytes],
                   read: Callable[[str], bytes | None]) -> bool:
    """Whether each of these two-letter groups of words is split into shards as `_shards`
    would split it now (the shards given in `files`, the others as written)."""
    for group in groups:
        postings: dict[str, Sized] = {}
        parts = [key for key in keys if key[:2] == group]
        for key in parts:
            data = files.get(f"s/{key}.jsonz") or read(f"s/{key}.jsonz")
            postings.update((word, range(count_values(pairs) // 2))
                            for word, pairs in (_load(data) if data else {}).items())
        if sorted(_shards(postings)) != sorted(parts):
            return False
    return True


def shard_of(word: str, keys: Sequence[str], split: Container[str] = ()) -> str:
    """The shard a word is in: the longest shard name it starts with, else a new shard: its
    first three letters in a group of words that is `split` by the third letter (see _shards),
    else its first two."""
    if len(word) > 2 and (word[:3] in keys or word[:2] in split):
        return word[:3]
    return word[:2]


def _shards(postings: Mapping[str, Sized]) -> dict[str, list[str]]:
    """Words by shard: by their first two letters, and a large two-letter shard by three
    (its one- and two-letter words keep the two-letter shard)."""
    by_two: dict[str, list[str]] = {}
    for word in sorted(postings):
        by_two.setdefault(word[:2], []).append(word)
    shards: dict[str, list[str]] = {}
    for key, found in by_two.items():
        size = sum(len(word) + 2 * len(postings[word]) + 4 for word in found)
        if size <= _SHARD_LIMIT:
            shards[key] = found
            continue
        for word in found:
            shards.setdefault(word[:3], []).append(word)
    return shards


def _meta(count: int, shards: list[str], cards: Sequence[str], filters: Iterable[Filter],
          names: Iterable[Name]) -> bytes:
    return _json({
        "format": FORMAT,
        "count": count,
        "shards": shards,
        "cards": "".join(cards),  # each number's card, CARD_NAME_SIZE letters each
        "filters": {f.key: [[key, label, encode(sorted(numbers))] for key, label, numbers in f.values]
                    for f in filters},
        "names": [[n.kind, n.name, sorted({fold(a) for a in (n.name, *n.aliases)}), n.path]
                  for n in names],
    })


def encode(numbers: Iterable[int]) -> str:
    """Ascending numbers as the gaps between them, in base-64 digits."""
    out: list[str] = []
    last = -1
    for number in numbers:
        gap = number - last - 1
        if gap < 32:  # most are: one digit (the filters of every term, made again after a move)
            out.append(_DIGITS[gap])
        else:
            _digits(gap, out)
        last = number
    return "".join(out)


def encode_pairs(postings: Iterable[tuple[int, int]]) -> str:
    """Releases (ascending) and their weights: gap, weight, gap, weight..."""
    out: list[str] = []
    last = -1
    for number, weight in postings:
        gap = number - last - 1
        if gap < 32 and weight < 32:  # most are: two digits
            out.append(_DIGITS[gap] + _DIGITS[weight])
        else:
            _digits(gap, out)
            _digits(weight, out)
        last = number
    return "".join(out)


def _encoded_pairs(numbers: Sequence[int], weights: Sequence[int]) -> str:
    """`encode_pairs` of releases (ascending) and their weights, made at C speed (a cold build
    encodes millions of pairs): as bytes when every gap and weight is one digit (the lists of
    words in most releases), else each value's digits looked up and joined (a newsroom's
    vocabulary is mostly words found in a few releases each, far apart)."""
    steps = list(map(operator.sub, numbers, itertools.chain((-1,), numbers)))  # each gap + 1
    if (steps and max(steps) > 32) or (weights and max(weights) >= 32):
        gaps = map(_ENCODED.__getitem__, map(operator.sub, steps, itertools.repeat(1)))
        pairs = zip(gaps, map(_ENCODED.__getitem__, weights), strict=True)
        return "".join(itertools.chain.from_iterable(pairs))
    digits = bytearray(2 * len(steps))
    digits[0::2] = bytes(map(operator.sub, steps, itertools.repeat(1)))
    digits[1::2] = weights
    return digits.translate(_DIGITS_OF).decode("ascii")


def _pairs(text: str) -> tuple[list[int], bytes]:
    """A list of pairs decoded: its releases (ascending) and their weights, at C speed when
    every value is one digit. ValueError for a damaged list."""
    digits = text.encode("ascii").translate(_VALUES)
    if digits and max(digits) >= 32:
        values = decode(text)
        if len(values) % 2:
            raise ValueError("a list of pairs with an odd number of values")
        gaps = values[0::2]
        return list(map(operator.add, itertools.accumulate(gaps), range(len(gaps)))), bytes(values[1::2])
    if len(digits) % 2:
        raise ValueError("a list of pairs with an odd number of values")
    gaps = digits[0::2]
    return list(map(operator.add, itertools.accumulate(gaps), range(len(gaps)))), digits[1::2]


def updated_pairs(text: str, changes: Mapping[int, int | None]) -> str:
    """A list of pairs (see `encode_pairs`) with these releases' weights set (None: the
    release removed): what decoding, changing and encoding it again gives. A word found in
    most releases has thousands of pairs, and a release that moves a few places changes the
    weights of most such words: when every value is one digit (most lists), the digits are
    edited where they stand, at C speed, rather than every pair decoded and encoded."""
    digits = bytearray(text.encode("ascii").translate(_VALUES))
    if (digits and max(digits) >= 32) or any(w is not None and w >= 32 for w in changes.values()):
        return _updated_slowly(text, changes)
    if len(digits) % 2:  # every digit a value: a damaged list (as decode_pairs says)
        raise ValueError("a list of pairs with an odd number of values")
    # The pair at i is release number sums[i] + i: each gap is the numbers skipped before it.
    sums = list(itertools.accumulate(digits[0::2]))
    count = len(sums)
    number_at = sums.__getitem__
    for number, weight in sorted(changes.items(), reverse=True):  # the pairs before stay put
        at = bisect.bisect_left(range(count), number, key=lambda i: number_at(i) + i)
        if at < count and number_at(at) + at == number:  # the release has a pair: at its place
            if weight is not None:
                digits[2 * at + 1] = weight
                continue
            if 2 * at + 2 < len(digits):  # the next pair now counts from the one before
                gap = digits[2 * at + 2] + digits[2 * at] + 1
                if gap >= 32:
                    return _updated_slowly(text, changes)
                digits[2 * at + 2] = gap
            del digits[2 * at:2 * at + 2]
        elif weight is not None:  # a new pair between `before` and the pair now at `at`
            before = number_at(at - 1) + at - 1 if at else -1
            gap = number - before - 1
            if gap >= 32:
                return _updated_slowly(text, changes)
            if 2 * at < len(digits):
                digits[2 * at] -= gap + 1
            digits[2 * at:2 * at] = bytes((gap, weight))
    return digits.translate(_DIGITS_OF).decode("ascii")


def _updated_slowly(text: str, changes: Mapping[int, int | None]) -> str:
    postings = dict(zip(*_pairs(text), strict=True))
    for number, weight in changes.items():
        if weight is None:
            postings.pop(number, None)
        else:
            postings[number] = weight
    numbers = sorted(postings)
    return _encoded_pairs(numbers, list(map(postings.__getitem__, numbers)))


def decode(text: str) -> list[int]:
    """A list's values, read at C speed: as bytes when each is one digit (most lists), else
    cut into values (digits of 32 and up say another follows), each looked up. ValueError
    for a list that is not one."""
    data = text.encode("ascii")
    digits = data.translate(_VALUES)
    if not digits or max(digits) < 32:  # (a byte that is no digit is one of 32 and up)
        return list(digits)
    if data.translate(None, _DIGIT_BYTES) or digits[-1] >= 32:
        raise ValueError("a list with a character that is not a digit, or ending inside a value")
    return list(map(_DECODED.__getitem__, _VALUE.findall(digits)))


class _Encoded(dict[int, str]):
    """Each value's digits (see `_digits`), made when first asked for, then looked up."""

    def __missing__(self, value: int) -> str:
        out: list[str] = []
        _digits(value, out)
        self[value] = digits = "".join(out)
        return digits


class _Decoded(dict[bytes, int]):
    """Each value's digits (as values, see `decode`) -> the value, made when first asked for."""

    def __missing__(self, digits: bytes) -> int:
        self[digits] = value = sum((digit & 31) << (5 * at) for at, digit in enumerate(digits))
        return value


_ENCODED, _DECODED = _Encoded(), _Decoded()  # (as many as the values met: gaps below the count)
_VALUE = re.compile(rb"[\x20-\x3f]*[\x00-\x1f]")  # a value's digits, translated by _VALUES


def decode_pairs(text: str) -> dict[int, int]:
    values = decode(text)
    if len(values) % 2:
        raise ValueError("a list of pairs with an odd number of values")
    numbers = itertools.accumulate(values[::2], lambda last, gap: last + gap + 1, initial=-1)
    next(numbers)  # the initial -1
    return dict(zip(numbers, values[1::2], strict=True))


def count_values(text: str) -> int:
    """How many values a list holds (each ends with a digit below 32), without reading them."""
    return len(text) - len(text.translate(_LAST_DIGITS))


def _digits(value: int, out: list[str]) -> None:
    while value >= 32:
        out.append(_DIGITS[32 | (value & 31)])
        value >>= 5
    out.append(_DIGITS[value])


def _json(value: object) -> bytes:
    """Compact JSON, gzipped (search.js opens it with the browser's DecompressionStream, as
    Pagefind does its files: a third of the bytes whatever the server does; named .jsonz so
    that no server takes it for a .gz file and sends it with Content-Encoding). <, > and &
    (only ever inside strings) escaped, as data that no page could mistake for markup. The
    same value gives the same bytes (no time in the gzip header), as a rebuild must."""
    return _zipped(_plain_json(value))


def _shard_json(words: dict[str, str]) -> bytes:
    return _zipped(_plain_json(words), _SHARD_LEVEL)


def _plain_json(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")


def _zipped(data: bytes, level: int = _LEVEL) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def _unzipped(data: bytes) -> bytes | None:
    """A file of the index as `_json` wrote it, opened; None if it is not one."""
    try:
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    except zlib.error:
        return None


def _load(data: bytes | None) -> Any:
    """A file of the index as `_json` wrote it, decoded; None for no file. ValueError if it
    is not one."""
    if data is None:
        return None
    opened = _unzipped(data)
    if opened is None:
        raise ValueError("not a file of the index")
    return json.loads(opened)
