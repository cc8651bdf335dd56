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
  the results shown. NAME is the release's number in base 36 (`card_name`).

Words are folded (lower case, no accents, đ as d) the same way here and in search.js, so
`Quang Binh` finds `Quảng Bình`. A release is a number: its year times a width, plus a slot
in the year found from its address (see `index_numbers`). A release given another date in
its year keeps its number, and one added or removed changes no other's (but rarely a
neighbour's slot), so its build changes only its card, the files that hold its words, and
meta.jsonz, which lists the releases by date for search.js to rank them (see `index_from`).
A list of releases is written as the gaps between them in base-64 digits (five
bits each, the sixth says another digit follows), which keeps a filter of 10,000 releases
near 10 KB.

Only published releases are given to `build_index`, so nothing unpublished is ever written.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import hashlib
import html
import itertools
import json
import math
import operator
import re
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from presskit.forks import forked_map
from presskit.markdown import RenderedBody

DATA = "search/data/"  # under a language's root
FORMAT = 12  # 3: files gzipped (.jsonz); 4: shards at level 3; 5: cards named by release;
# 6: releases numbered by day (meta.jsonz's "numbers"), cards by number; 7: numbered by year and
# address, listed by date in meta.jsonz's "order"; 8: groups split by the length of their lists
# (_size); 9: shards coded by Huffman alone (_shard_json); 10: cards too; 11: cards at level 3;
# 12: the newest year's lists apart, in r/ (see build_index). A
# change to what a card holds or how must change it: an index of another format is made anew
# (the keys a build keeps describe releases, not cards)
_LEVEL = 6  # gzip's default, for meta.jsonz (read first, by every search)
# For the cards: a cold build gzips 10,000 of them, 2.1 s of work at level 6, 1.0 s at level 3
# for cards 2 % larger. (By Huffman alone, as the shards, 0.5 s, but 11 % larger with a
# newsroom's vocabulary and three times as large for text that repeats itself: the index holds
# every card until it is written, 0.09 GB more at 50,000 releases.)
_CARD_LEVEL = 3
_SHARD_LIMIT = 24_000  # characters: a two-letter shard larger than this is split by the third letter


class _Years(NamedTuple):
    """One of the two parts of an index's lists (see `build_index`): where its shards are, by
    how many first letters of their words they are named, and how large a group of words
    may grow (in _SHARD_LIMITs) before it is split by one letter more."""

    folder: str  # under search/data/
    letters: int
    limits: int

    def limit(self) -> int:
        return self.limits * _SHARD_LIMIT

    def file(self, key: str) -> str:
        """The file of one of its shards, under search/data/."""
        return f"{self.folder}{key}.jsonz"


_OLDER = _Years("s/", 2, 1)  # the releases of every year but the newest
# The newest year's: by their first letter, at most four times as large (a group of 96,000
# characters is ~30 KB gzipped): a release added, deleted or edited in the newest year, as most
# are, rewrites the ~25 shards of its words' first letters instead of ~400 of two letters.
_NEWEST = _Years("r/", 1, 4)
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
    """How often each folded word is in a text. ASCII letters and digits are cut into words as
    bytes, at C speed: their words are the runs of letters and digits, lower-cased, as the
    general way (`_words_of`) finds them. A run of characters between ASCII spaces and
    punctuation that holds any other character (an accent, a curly apostrophe, another
    script) is cut the general way, each different one once: an English body of 3,000 words
    with a few such took 0.6-0.8 ms when the whole text was cut the general way, 0.2 ms now."""
    if text.isascii():  # (decoded whole, then cut: each word decoded alone took a third longer)
        return Counter(text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split())
    if "\u03a3" in text:  # Σ lowers to ς or σ by what follows it, ASCII punctuation included
        return _counted_whole(text)
    cut = text.encode("utf-8", "surrogatepass").translate(_ASCII_WORDS_KEPT).decode("utf-8", "surrogatepass")
    counts = Counter(cut.split())
    runs = {run: count for run, count in counts.items() if not run.isascii()}
    for run in runs:
        del counts[run]
    for run, count in runs.items():  # (after: a run may fold to a word another run is)
        for word in _words_of(run):
            counts[word] += count
    return counts


_ASCII_WORDS_KEPT = _ASCII_WORDS[:128] + bytes(range(128, 256))  # (UTF-8's other bytes kept)


def _written(text: str) -> list[str]:
    """A text's words as written (in Unicode's composed form, lower-cased), for _folded."""
    return _RAW_WORD.findall(unicodedata.normalize("NFC", text).lower())


def _folded(raw: str) -> list[str]:
    """The folded words of a word as written: itself folded, split where folding leaves
    something other than letters and digits."""
    folded = _fold_word(raw)
    return [folded] if folded.isalnum() else _WORD.findall(folded)


def _counted_whole(text: str) -> Counter[str]:
    """`word_counts` of a text cut the general way as a whole: its words as written counted,
    then each different one folded once."""
    counts: Counter[str] = Counter()
    for raw, count in Counter(_written(text)).items():
        for word in _folded(raw):
            counts[word] += count
    return counts


@lru_cache(maxsize=1 << 16)
def _words_of(text: str) -> tuple[str, ...]:
    """The folded words of a text, in order, cut the general way."""
    return tuple(word for raw in _written(text) for word in _folded(raw))


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
        """Kept with the entry: the preview keeps its entries, and an index made anew (many
        releases changed, or a year given more releases than its width has room for) gzips no
        card again.
        The JSON it was made of is let go (made again if asked for): the preview held 71 MB
        of them at 10,000 releases."""
        card = gzip.compress(self.card_json(), compresslevel=_CARD_LEVEL, mtime=0)
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
    """One filter (country, partner, ...): each value's key, label and releases (their places
    by date, 0 the oldest: a list as short as one of numbers can be, and that stays the same
    when a release is added whose number another one had)."""

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
_FIRST_YEAR = 1900  # where numbers start (or the first release's year)
_LEAST_WIDTH = 64  # numbers a year has at least
_ROOM = 4  # a year has at least this many numbers for each of the most releases a year has


def index_numbers(releases: Sequence[tuple[int, str]]) -> list[int]:
    """Each release's number, given each release's year and address: its year, counted from
    1900, times the width of a year, plus a slot in the year found from its address alone
    (its digest, or the next free slot after it: linear probing, in the order of those
    slots). The width is the least power of two, at least 64, with 4 slots for each of the
    most releases a year has (a year given more renumbers them all, once: the index is made
    anew).

    A number depends on the release's address, and the addresses of its year's releases
    whose slots come near it, and on nothing else: a release given a new date in its year
    keeps its number, so that its words stay where they are in the index (numbered by day,
    every word of a release given a new date moved: 2-3 s after a date edit with a
    newsroom's vocabulary), and a release added or removed changes the number of no other,
    unless one had probed past its slot (with a quarter of the slots taken at most, 0.2-0.4
    others on average, in a simulation of years of 300-1,000 releases). Releases of a year
    stay together, as its words are. Numbers do not follow the
    dates within a year: meta.jsonz lists the releases by date (see `_meta`)."""
    return _numbers_and_newest(releases)[0]


def _numbers_and_newest(releases: Sequence[tuple[int, str]]) -> tuple[list[int], int | None]:
    """`index_numbers`, and the first number of the newest year (None for no release)."""
    if not releases:
        return [], None
    per_year: dict[int, list[int]] = {}  # each year's releases, by their places in `releases`
    for at, (year, _) in enumerate(releases):
        per_year.setdefault(year, []).append(at)
    base = min(_FIRST_YEAR, min(per_year))
    width = max(_LEAST_WIDTH, 1 << (_ROOM * max(map(len, per_year.values())) - 1).bit_length())
    numbers = [0] * len(releases)
    for year, places in per_year.items():
        start = (year - base) * width  # the year's first number
        for at, slot in zip(places, _slots(width, tuple([releases[at][1] for at in places])), strict=True):
            numbers[at] = start + slot
    return numbers, (max(per_year) - base) * width


@lru_cache(maxsize=256)
def _slots(width: int, addresses: tuple[str, ...]) -> tuple[int, ...]:
    """The slots of a year's releases (by their addresses) in a year `width` wide: each one's
    home (its digest), or the next free slot after it, from the year's first after its last,
    in the order of their homes (then addresses). Kept for each year's releases: a release
    added, removed or moved changes one year, and the others are numbered as before (a
    language of 10,000 releases was numbered in 0.015 s)."""
    homes = sorted([(_digest(address) % width, address, at) for at, address in enumerate(addresses)])
    slots = [0] * len(addresses)
    taken: set[int] = set()
    for home, _, at in homes:
        slot = home
        while slot in taken:
            slot = slot + 1 if slot + 1 < width else 0
        taken.add(slot)
        slots[at] = slot
    return tuple(slots)


@lru_cache(maxsize=1 << 17)
def _digest(address: str) -> int:
    """Kept: a preview numbers a language's releases again after each save that moves, adds
    or removes one (0.04 s of digests each time at 10,000 releases)."""
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big")


class Numbered(NamedTuple, Generic[_T]):
    """A language's releases as its index holds them: in the order of their `numbers`
    (ascending), and the `order` of their dates: each one's place in that list, oldest first;
    and the first number of the newest year (`newest`, None for no release), whose releases'
    words are apart (see `build_index`)."""

    numbers: list[int]
    releases: list[_T]
    order: list[int]
    newest: int | None


class _Dated(Protocol):
    @property
    def date(self) -> datetime: ...

    @property
    def path(self) -> str: ...


_D = TypeVar("_D", bound=_Dated)


def numbered(newest_first: Sequence[_D]) -> Numbered[_D]:
    """Releases (newest first, as a site lists them) as the index holds them: in the order of
    their numbers, with their order by date. The numbering of the last few tuples of releases
    is kept, by the tuple itself (a language's releases, which a build after a move numbers
    for its search index, then again for its record: 0.02-0.03 s at 10,000 releases)."""
    known = next((found for seen, found in _NUMBERED if seen is newest_first), None)
    if known is None:
        oldest_first = list(reversed(newest_first))
        numbers, places, order, newest = _numbering(tuple([(release.date.year, release.path)
                                                           for release in oldest_first]))
        known = Numbered(numbers, [oldest_first[at] for at in places], order, newest)
        if isinstance(newest_first, tuple):  # (a tuple of frozen releases: numbered the same for good)
            _NUMBERED.insert(0, (newest_first, known))
            del _NUMBERED[4:]
    return Numbered(list(known.numbers), list(known.releases), list(known.order), known.newest)


# The tuples of releases numbered last, each with its numbering (held: compared by identity).
_NUMBERED: list[tuple[Sequence[Any], Numbered[Any]]] = []

Numbering = tuple[list[int], list[int], list[int], int | None]  # (see `numbering`)


def numbering(newest_first: Sequence[_D]) -> Numbering:
    """`numbered` of these releases as plain numbers, for another process that has the same
    releases (see `remember`): the numbers, the place of each release (oldest first), their
    order by date, the newest year's first number."""
    found = numbered(newest_first)
    at = {id(release): place for place, release in enumerate(reversed(newest_first))}
    return found.numbers, [at[id(release)] for release in found.releases], found.order, found.newest


def remember(newest_first: tuple[_D, ...], made: Numbering) -> None:
    """Keep the numbering of these releases that `numbering` gave, made by another process."""
    numbers, places, order, newest = made
    oldest_first = list(reversed(newest_first))
    _NUMBERED.insert(0, (newest_first, Numbered(numbers, [oldest_first[at] for at in places], order, newest)))
    del _NUMBERED[4:]


@lru_cache(maxsize=4)
def _numbering(oldest_first: tuple[tuple[int, str], ...],
               ) -> tuple[list[int], list[int], list[int], int | None]:
    """`numbered`'s numbers (ascending), the place by date of each in index order, their
    order by date, and the newest year's first number. Kept for the releases' years and
    addresses, oldest first: a build after a move numbers each language's releases for its
    index and again for its record (0.03-0.06 s each time at 10,000 releases). Callers copy
    the lists they are given."""
    numbers, newest = _numbers_and_newest(oldest_first)
    places = sorted(range(len(numbers)), key=numbers.__getitem__)  # by date -> in index order
    order = [0] * len(places)
    for place, at in enumerate(places):
        order[at] = place
    return [numbers[at] for at in places], places, order, newest


@lru_cache(maxsize=1 << 17)  # a build after a release is added names every card three times
def card_name(number: int) -> str:
    """The name of a release's card (`f/NAME.jsonz`): its number in base 36, lower case, as
    search.js's `n.toString(36)` writes it (and as file systems that ignore case need).
    Two digits at a time: a build names every card of an index, twice after a release is
    added or removed."""
    if number < 1296:
        return _TWO_DIGITS[number].lstrip("0") or "0"
    high, low = divmod(number, 1296)
    return card_name(high) + _TWO_DIGITS[low]


_BASE_36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_TWO_DIGITS = [a + b for a in _BASE_36 for b in _BASE_36]


def build_index(entries: Sequence[Entry], filters: Iterable[Filter], names: Iterable[Name],
                workers: int = 1, numbers: Sequence[int] | None = None,
                order: Sequence[int] | None = None, newest: int | None = None,
                put: Callable[[bytes], _T] | None = None) -> dict[str, bytes | _T]:
    """Every file of the index, by its path under search/data/ (a large index made in blocks
    of releases on `workers` processes, see `_block`). `numbers`: the releases' numbers
    (`index_numbers`), ascending, and `order`: their places by date (see `Numbered`); their
    places by default. With `put`, each card is given to it where it is made (a full build's
    workers write them into the spill folder: see presskit.spill) and the index holds what
    it returns instead of the card's bytes.

    Each word's list is in two parts: its releases numbered before `newest` (the first number
    of the newest year, see `Numbered`) in a shard of `s/`, the others in a shard of `r/`,
    named by fewer letters (see _NEWEST); search.js reads both. Without `newest`, every
    release is in `s/`."""
    count = len(entries)
    numbers = list(range(count)) if numbers is None else list(numbers)
    cut = count if newest is None else bisect.bisect_left(numbers, newest)
    workers = workers if count >= PARALLEL_AT_LEAST else 1
    blocks = [*_blocks(range(cut), workers), *_blocks(range(cut, count), workers)]
    block = functools.partial(_block, entries, numbers, put)
    made = forked_map(block, blocks, workers, at_least=2, chunksize=1)
    files: dict[str, bytes | _T] = {}
    keys: list[list[str]] = []
    for years in (_OLDER, _NEWEST):
        lists: dict[str, list[_Part]] = {}
        for places, (_, parts) in zip(blocks, made, strict=True):
            if (places.start < cut) == (years is _OLDER):
                for word, part in parts.items():
                    lists.setdefault(word, []).append(part)
        joined = {word: _joined(parts) for word, parts in lists.items()}
        shards = _shards(joined, years)
        files.update((years.file(key), _shard_json({word: joined[word] for word in shard}))
                     for key, shard in shards.items())
        keys.append(sorted(shards))
    files["meta.jsonz"] = _meta(numbers, order, keys[0], filters, names, keys[1], newest)
    numbered_cards = zip(numbers, itertools.chain.from_iterable(cards for cards, _ in made), strict=True)
    files.update((f"f/{card_name(number)}.jsonz", card) for number, card in numbered_cards)
    return files


def _blocks(places: range, workers: int) -> list[range]:
    """Releases' places in blocks, two for each worker (one finishing early takes another);
    none for no place."""
    if not places:
        return []
    if workers < 2:
        return [places]
    parts, start, count = 2 * workers, places.start, len(places)
    return [range(start + count * part // parts, start + count * (part + 1) // parts) for part in range(parts)
            if count * part // parts < count * (part + 1) // parts]


class _Part(NamedTuple):
    """A word's list of pairs in one block of releases (see `_block`)."""

    pairs: str  # as `encode_pairs` writes them, the first gap counted from -1
    last: int  # the number of its last release


def _block(entries: Sequence[Entry], numbers: Sequence[int], put: Callable[[bytes], _T] | None,
           places: range) -> tuple[list[bytes | _T], dict[str, _Part]]:
    """The cards of these releases, and each of their words' list of pairs, made in a forked
    worker for its block of releases (the lists of 10,000 releases with a newsroom's vocabulary
    hold millions of pairs: inverted in one process, they took 3-4 s). Each release's number
    and weight are one value in an array (weights are below 32), appended at C speed."""
    cards: list[bytes | _T] = []
    lists: defaultdict[str, array[int]] = defaultdict(lambda: array("Q"))  # (numbers of 59 bits)
    value_list, append = lists.__getitem__, array.append
    for place in places:
        number, (card, words, weights) = numbers[place], entries[place].packed()
        cards.append(card if put is None else put(card))
        if words:
            values = map((number << 5).__or__, weights)
            deque(map(append, map(value_list, words.split("\n")), values), maxlen=0)  # (no loop)
    parts = {}
    for word, values in lists.items():
        numbers_of = list(map(operator.rshift, values, itertools.repeat(5)))
        weights_of = bytes(map(operator.and_, values, itertools.repeat(31)))
        parts[word] = _Part(_encoded_pairs(numbers_of, weights_of), numbers_of[-1])
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
    """The files of an index that change when some releases keep their places and their
    entries change (a title or a caption edited; `edited` by place in the index, in the order
    of its numbers): their cards, the shards
    of the words whose weights changed, and meta.jsonz when its list of shards changed. None
    when the index as written (`read` by path under search/data/) cannot be read, a number
    holds another release, or a group of words must be split into shards anew: the index is
    then made by the full build."""
    try:
        meta = _meta_of(read("meta.jsonz"))
        if meta is None:
            return None
        written = decode_list(meta["numbers"])
        changed: dict[int, tuple[Entry | None, Entry | None]] = {}
        for place, entry in edited.items():
            if not 0 <= place < len(written):
                return None
            number = written[place]
            old = Entry.from_card(read(f"f/{card_name(number)}.jsonz") or b"")
            if old is None or old.path != entry.path:
                return None
            changed[number] = (old, entry)
        updated = _updated_parts(read, meta, changed)
        if updated is None:
            return None
        files, older, newest = updated
        if older != meta["shards"] or newest != meta["newest_shards"]:
            files["meta.jsonz"] = _json({**meta, "shards": older, "newest_shards": newest})
        for number, (_, entry) in changed.items():
            files[f"f/{card_name(number)}.jsonz"] = entry.card()
        return files
    except (ValueError, KeyError, TypeError):
        return None


def _updated_parts(read: Callable[[str], bytes | None], meta: Mapping[str, Any],
                   changed: Mapping[int, tuple[Entry | None, Entry | None]],
                   regroup: bool = False) -> tuple[dict[str, bytes], list[str], list[str]] | None:
    """`_updated_shards` of both parts of an index whose meta.jsonz is `meta` (see
    `build_index`), each release's words in the part its number is in: the files that change,
    and both lists of shards as they are now."""
    newest = meta["newest"]
    files: dict[str, bytes] = {}
    keys = [list(meta["shards"]), list(meta["newest_shards"])]
    for years, shards in zip((_OLDER, _NEWEST), keys, strict=True):
        mine = {number: entries for number, entries in changed.items()
                if (newest is not None and number >= newest) == (years is _NEWEST)}
        found = _updated_shards(read, shards, mine, regroup, years) if mine else {}
        if found is None:
            return None
        files.update(found)
    return files, keys[0], keys[1]


def _updated_shards(read: Callable[[str], bytes | None], keys: list[str],
                    changed: Mapping[int, tuple[Entry | None, Entry | None]],
                    regroup: bool, years: _Years) -> dict[str, bytes] | None:
    """The shards of one part of an index (`years`) that change when the words of some
    releases change (their number, old and new entry), read from the index as written;
    `keys`, its list of shards, is brought up to date (sorted). A group of words that grew
    past the limit of a shard, or shrank below it, is split into shards anew if `regroup`
    (the others of the group are then not given, nor in `keys`), else None."""
    letters = years.letters
    split = {key[:letters] for key in keys if len(key) == letters + 1}  # groups split by one letter more
    edits: dict[str, dict[str, dict[int, int | None]]] = {}
    for number, (old, new) in changed.items():
        before = old.weights() if old is not None else {}
        after = new.weights() if new is not None else {}
        for word in before.keys() | after.keys():
            if before.get(word) != after.get(word):
                key = shard_of(word, keys, split, letters)
                edits.setdefault(key, {}).setdefault(word, {})[number] = after.get(word)
    files: dict[str, bytes] = {}
    opened: dict[str, dict[str, str]] = {}  # the shards changed, as they are now
    for key, words_changed in edits.items():
        data = read(years.file(key))
        shard = opened[key] = _load(data) if data is not None else {}
        for word, numbers in words_changed.items():
            pairs = updated_pairs(shard.get(word, ""), numbers)
            if pairs:
                shard[word] = pairs
            else:
                shard.pop(word, None)
        shard = opened[key] = dict(sorted(shard.items()))
        files[years.file(key)] = _shard_json(shard)
        if shard and key not in keys:
            keys.append(key)
        elif not shard and key in keys:
            keys.remove(key)  # left with no word: see emptied_shards
    keys.sort()
    groups = _split_otherwise(keys, {key[:letters] for key in edits}, opened, read, years)
    if groups and not regroup:
        return None
    for group in groups:
        words: dict[str, str] = {}
        for key in [key for key in keys if key[:letters] == group]:
            files.pop(years.file(key), None)
            words.update(opened[key] if key in opened else _load(read(years.file(key))) or {})
            keys.remove(key)
        for key, found in _shards(words, years).items():
            files[years.file(key)] = _shard_json({word: words[word] for word in found})
            keys.append(key)
    keys.sort()
    return files


# Bytes of each entry's key: a digest of all it is made of (the release and the settings), which
# a build keeps for the index it wrote, in index order, so that the next one need not make the
# entries, nor read the cards, of the releases that did not change.
ENTRY_KEY_SIZE = 8
_NO_KEY = bytes(ENTRY_KEY_SIZE)  # an entry whose key is not known (made again by a quick rebuild)
_MOST_CHANGED = 32  # releases changed that an update takes on (or a 40th of the index)


def index_from(read: Callable[[str], bytes | None], entries: Sequence[Entry], filters: Iterable[Filter],
               names: Iterable[Name], known: bytes = b"", keys: Sequence[bytes] = (),
               numbers: Sequence[int] | None = None, order: Sequence[int] | None = None,
               newest: int | None = None) -> dict[str, bytes | None] | None:
    """Every file of the index of these entries (in index order, with these `numbers` and
    `order` by date, as `build_index` takes them), made from the index as written (`read` by
    path under search/data/): only the cards that changed, the shards of the words whose
    releases or weights changed and meta.jsonz are new bytes; None stands for a file that
    stays as it is. The same files as `build_index` makes. A number that holds another
    release or the same one changed, or that is new or gone, changes the words of that number
    alone: an edit, a release added or removed (a new date in its year changes its card
    alone: it keeps its number and words). None when many releases changed (more than a
    40th: made anew, as quickly), the newest year is another (`newest`: its words move to
    the other part, see `build_index`) or the index cannot be read.

    `known`, the keys of the entries of the index written (ENTRY_KEY_SIZE bytes each, in
    index order), and `keys`, those of these entries: an entry whose key is the same is not
    asked for (`entries` may make them as they are asked for), nor is its card read; without
    them, every card is read, and its entry made."""
    numbers = list(range(len(entries))) if numbers is None else list(numbers)
    read = functools.lru_cache(maxsize=1024)(read)  # (a changed shard is read again to regroup it)
    try:
        meta = _meta_of(read("meta.jsonz"))
        if meta is None or meta["newest"] != newest:
            return None
        written = decode_list(meta["numbers"])
        if len(known) != len(written) * ENTRY_KEY_SIZE:
            known = b""  # not of this index
        was = {number: known[at * ENTRY_KEY_SIZE:(at + 1) * ENTRY_KEY_SIZE] if known else _NO_KEY
               for at, number in enumerate(written)}
        place = {number: at for at, number in enumerate(numbers)}
        most = max(_MOST_CHANGED, len(entries) // 40)
        changed: dict[int, tuple[Entry | None, Entry | None]] = {}
        for number in sorted(was.keys() | place.keys()):
            key, at = was.get(number), place.get(number)
            if key is not None and at is not None and key != _NO_KEY and at < len(keys) and keys[at] == key:
                continue  # the same entry
            old, new = None, entries[at] if at is not None else None  # (an entry may be made when asked for)
            if key is not None:
                name = f"f/{card_name(number)}.jsonz"
                if new is not None and _written_card(read, name) == _card_of(new):
                    continue  # the same card: the same words
                old = Entry.from_card(read(name) or b"")
                if old is None:
                    raise ValueError(f"card {name} cut short or unreadable")
            changed[number] = (old, new)
            if len(changed) > most:
                return None
        updated = _updated_parts(read, meta, changed, regroup=True)
        assert updated is not None
        files, shards, newest_shards = updated
        files.update((f"f/{card_name(number)}.jsonz", new.card())
                     for number, (_, new) in changed.items() if new is not None)
    except (ValueError, KeyError, TypeError):
        return None
    index: dict[str, bytes | None] = dict.fromkeys(_shard_files(shards, newest_shards))
    index.update({f"f/{card_name(number)}.jsonz": None for number in numbers})
    index.update((name, data) for name, data in files.items() if name in index)  # no emptied shard
    index["meta.jsonz"] = _meta(numbers, order, shards, filters, names, newest_shards, newest)
    return index


def _written_card(read: Callable[[str], bytes | None], name: str) -> bytes:
    opened = _unzipped(read(name) or b"")
    if opened is None:
        raise ValueError(f"no card {name}")
    return opened


def _card_of(entry: Entry) -> bytes:
    """An entry's card, as compared with one written: ValueError for a card cut short (the
    words beyond the cut may differ)."""
    if len(entry.text) >= _TEXT_LIMIT:
        raise ValueError("a card cut short")
    return entry.card_json()


def _meta_of(data: bytes | None) -> dict[str, Any] | None:
    """An index's meta.jsonz, if it is one of this format."""
    meta = _load(data)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    count, numbers, order = meta.get("count"), meta.get("numbers"), meta.get("order")
    newest = meta.get("newest")
    if (not isinstance(count, int) or not isinstance(numbers, str) or count_values(numbers) != count
            or not isinstance(order, str) or count_values(order) != count
            or not (newest is None or isinstance(newest, int))
            or not all(isinstance(shards, list) and all(isinstance(key, str) for key in shards)
                       for shards in (meta.get("shards"), meta.get("newest_shards")))):
        return None
    return meta


def index_names(meta: bytes | None) -> set[str] | None:
    """The names of every file of the index whose meta.jsonz this is (under search/data/);
    None if it is not one."""
    try:
        found = _meta_of(meta)
        if found is None:
            return None
        return {"meta.jsonz", *_shard_files(found["shards"], found["newest_shards"]),
                *(f"f/{card_name(number)}.jsonz" for number in decode_list(found["numbers"]))}
    except (ValueError, KeyError, TypeError):
        return None


def files_gone(before: bytes | None, after: bytes | None) -> list[str] | None:
    """The files of the index whose meta.jsonz is `before` that the one whose meta.jsonz is
    `after` does not have (under search/data/, sorted): the cards of the releases gone, the
    shards no longer there. None if either is not an index of this format. (Both indexes'
    names were made whole and compared: 10,000 cards each, 0.01 s after a release added.)"""
    try:
        old, new = _meta_of(before), _meta_of(after)
        if old is None or new is None:
            return None
        gone = set(_shard_files(old["shards"], old["newest_shards"]))
        gone.difference_update(_shard_files(new["shards"], new["newest_shards"]))
        if old["numbers"] != new["numbers"]:
            numbers = set(decode_list(old["numbers"])).difference(decode_list(new["numbers"]))
            gone.update(f"f/{card_name(number)}.jsonz" for number in numbers)
    except (ValueError, KeyError, TypeError):
        return None
    return sorted(gone)


def _shard_files(shards: Iterable[str], newest_shards: Iterable[str]) -> list[str]:
    """The files of an index's word lists, in both its parts (meta.jsonz's "shards" and
    "newest_shards")."""
    return [*map(_OLDER.file, shards), *map(_NEWEST.file, newest_shards)]


def emptied_shards(files: Mapping[str, bytes]) -> list[str]:
    """The shards of an update (see `edited_index`) left with no word, which a cold build
    would not write at all."""
    if "meta.jsonz" not in files:
        return []  # the list of shards did not change
    meta = _load(files["meta.jsonz"])
    kept = set(_shard_files(meta["shards"], meta["newest_shards"]))
    return [name for name in files if name.startswith((_OLDER.folder, _NEWEST.folder)) and name not in kept]


def _split_otherwise(keys: Sequence[str], groups: Iterable[str], opened: Mapping[str, dict[str, str]],
                     read: Callable[[str], bytes | None], years: _Years) -> list[str]:
    """Those of these two-letter groups of words that are not split into shards as `_shards`
    would split them now (the shards `opened` as they are now, the others as written): a
    group split by the third letter that is no longer larger than a shard may be, or one
    that is not and has grown larger. (The words of a split group go to their three-letter
    shards as they come, see `shard_of`.) A split group's other shards are read only while
    the ones opened are not larger than a shard on their own. (One-letter groups split by
    the second, in the newest year's part.)"""
    letters, limit = years.letters, years.limit()
    by_group: dict[str, list[str]] = {}
    for key in keys:
        by_group.setdefault(key[:letters], []).append(key)
    found = []
    for group in sorted(groups):
        shards = sorted(by_group.get(group, ()), key=lambda key: key not in opened)  # those opened first
        size = 0
        for key in shards:
            size += _size(opened[key] if key in opened else _load(read(years.file(key))) or {})
            if size > limit:
                break
        if any(len(key) == letters + 1 for key in shards) != (size > limit):
            found.append(group)
    return found


def shard_of(word: str, keys: Sequence[str], split: Container[str] = (), letters: int = 2) -> str:
    """The shard a word is in: the longest shard name it starts with, else a new shard: its
    first three letters in a group of words that is `split` by the third letter (see _shards),
    else its first two (one and two for the newest year's shards: `letters`)."""
    if len(word) > letters and (word[:letters + 1] in keys or word[:letters] in split):
        return word[:letters + 1]
    return word[:letters]


def _shards(lists: Mapping[str, str], years: _Years) -> dict[str, list[str]]:
    """Words (with their lists) by shard: by their first two letters, and a group larger than
    _SHARD_LIMIT by three (its one- and two-letter words keep the two-letter shard); in the
    newest year's part, by one letter, and two for a group larger than its limit."""
    letters, limit = years.letters, years.limit()
    groups: dict[str, dict[str, str]] = {}
    for word in sorted(lists):
        groups.setdefault(word[:letters], {})[word] = lists[word]
    shards: dict[str, list[str]] = {}
    for key, found in groups.items():
        if _size(found) <= limit:
            shards[key] = list(found)
            continue
        for word in found:
            shards.setdefault(word[:letters + 1], []).append(word)
    return shards


def _size(words: Mapping[str, str]) -> int:
    """The size of a shard of these words and their lists, about as its JSON has them."""
    return sum(map(len, words)) + sum(map(len, words.values())) + 4 * len(words)


def _meta(numbers: Sequence[int], order: Sequence[int] | None, shards: list[str], filters: Iterable[Filter],
          names: Iterable[Name], newest_shards: list[str], newest: int | None) -> bytes:
    return _json({
        "format": FORMAT,
        "count": len(numbers),
        "numbers": encode(numbers),  # every release's number, ascending (a card is named by it)
        "order": encode_order(range(len(numbers)) if order is None else order),  # by date, oldest first
        "shards": shards,  # s/: the lists of every year but the newest
        "newest": newest,  # the first number of the newest year (null: none apart)
        "newest_shards": newest_shards,  # r/: the newest year's lists
        "filters": {f.key: [[key, label, encode(sorted(places))] for key, label, places in f.values]
                    for f in filters},
        "names": [[n.kind, n.name, sorted({fold(a) for a in (n.name, *n.aliases)}), n.path]
                  for n in names],
    })


def encode(numbers: Iterable[int]) -> str:
    """Ascending numbers as the gaps between them, in base-64 digits (each value's digits
    looked up, at C speed: a build encodes the filters' 100,000 places at 10,000 releases)."""
    numbers = list(numbers)
    steps = map(operator.sub, numbers, itertools.chain((-1,), numbers))  # each gap + 1
    return "".join(map(_ENCODED.__getitem__, map(operator.sub, steps, itertools.repeat(1))))


def encode_order(places: Iterable[int]) -> str:
    """Places in a list (each release's place among the numbers, by date) as the steps
    between them, each step folded to a value (0, -1, 1, -2...: 0, 1, 2, 3...) in base-64
    digits: within a year, a step is at most as long as the year."""
    out: list[str] = []
    last = -1
    for place in places:
        step = place - last - 1
        _digits(2 * step if step >= 0 else -2 * step - 1, out)
        last = place
    return "".join(out)


def decode_order(text: str) -> list[int]:
    places, last = [], -1
    for value in decode(text):
        last += 1 + (value >> 1 if not value & 1 else -(value >> 1) - 1)
        places.append(last)
    return places


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
    values = _values(text)
    if len(values) % 2:
        raise ValueError("a list of pairs with an odd number of values")
    return _ascending(values[0::2]), bytes(values[1::2])


def updated_pairs(text: str, changes: Mapping[int, int | None]) -> str:
    """A list of pairs (see `encode_pairs`) with these releases' weights set (None: the
    release removed): what decoding, changing and encoding it again gives. A word found in
    most releases has thousands of pairs: the list is edited where its digits stand where it
    can be (see `_edited_in_place`), else decoded, changed and encoded, at C speed.
    ValueError for a damaged list."""
    edited = _edited_in_place(text, changes)
    if edited is not None:
        return edited
    numbers, weights = _pairs(text)
    found = list(weights)
    for number, weight in sorted(changes.items()):
        at = bisect.bisect_left(numbers, number)
        if at < len(numbers) and numbers[at] == number:
            if weight is None:
                del numbers[at], found[at]
            else:
                found[at] = weight
        elif weight is not None:
            numbers.insert(at, number)
            found.insert(at, weight)
    return _encoded_pairs(numbers, found)


def _edited_in_place(text: str, changes: Mapping[int, int | None]) -> str | None:
    """A list of pairs whose weights are each one digit (as in every index presskit writes),
    with these changes made where its digits stand: each value is read at C speed from its
    last digit, those of several digits (few, in a long list) looked up; each run of pairs a
    change touches (its own, and the next, whose gap it changes) is written again. None for
    another list."""
    data = text.encode("ascii")
    digits = data.translate(_VALUES)
    if (not digits or digits[-1] >= 32 or data.translate(None, _DIGIT_BYTES)
            or any(weight is not None and weight >= 32 for weight in changes.values())):
        return None
    values = list(digits.translate(None, _CONTINUED))  # each value's last digit
    if len(values) % 2:
        return None
    longer: list[int] = []  # the values of several digits, by their place among the values
    beyond = [0]  # the digits of those values beyond one each, up to each of them
    for first, end in _longer(digits):
        at = first - beyond[-1]
        if at % 2:
            return None  # a weight of several digits
        values[at] = _DECODED[digits[first:end]]
        longer.append(at)
        beyond.append(beyond[-1] + end - first - 1)

    def start(value: int) -> int:  # where a value's digits start in the text
        return value + beyond[bisect.bisect_left(longer, value)]

    gaps, weights = values[0::2], values[1::2]
    count = len(gaps)
    sums = list(itertools.accumulate(gaps))  # the pair at i is release number sums[i] + i

    def number(at: int) -> int:
        return sums[at] + at

    runs: list[list[int]] = []  # [first, end) of the pairs written again, ascending
    for at in sorted(bisect.bisect_left(range(count), changed, key=number) for changed in changes):
        if runs and at <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], min(at + 2, count))
        else:
            runs.append([at, min(at + 2, count)])
    for first, end in reversed(runs):  # the text before each run stays where it was
        pairs = {number(at): weights[at] for at in range(first, end)}
        low, high = number(first - 1) if first else -1, number(end) if end < count else math.inf
        for changed, weight in changes.items():
            if low < changed < high:
                if weight is None:
                    pairs.pop(changed, None)
                else:
                    pairs[changed] = weight
        out: list[str] = []
        last = low
        for found in sorted(pairs):
            _digits(found - last - 1, out)
            out.append(_DIGITS[pairs[found]])
            last = found
        text = f"{text[:start(2 * first)]}{''.join(out)}{text[start(2 * end):]}"
    return text


def decode(text: str) -> list[int]:
    """A list's values. ValueError for a list that is not one."""
    return list(_values(text))


def _values(text: str) -> bytes | list[int]:
    """A list's values, read at C speed: as bytes when each is one digit (most lists), else
    cut into values (digits of 32 and up say another follows), each looked up. ValueError
    for a list that is not one."""
    data = text.encode("ascii")
    digits = data.translate(_VALUES)
    if not digits or max(digits) < 32:  # (a byte that is no digit is one of 32 and up)
        return digits
    if data.translate(None, _DIGIT_BYTES) or digits[-1] >= 32:
        raise ValueError("a list with a character that is not a digit, or ending inside a value")
    values: list[int] = []  # the values of one digit as they are, those of several looked up
    start = 0
    for first, end in _longer(digits):
        values += digits[start:first]
        values.append(_DECODED[digits[first:end]])
        start = end
    values += digits[start:]
    return values


def _longer(digits: bytes) -> Iterator[tuple[int, int]]:
    """Where each value of several digits lies in a list's digits (translated by _VALUES, the
    last one not continued): [first, end), found at C speed."""
    continued = digits.translate(_IS_CONTINUED)  # b"\1" for a digit another follows
    first = continued.find(1)
    while first >= 0:
        end = continued.find(0, first) + 1  # (the last digit of a value is never continued)
        yield first, end
        first = continued.find(1, end)


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
_CONTINUED = bytes(range(32, 64))  # digits (translated) that another of the same value follows
_IS_CONTINUED = bytes(1 if value >= 32 else 0 for value in range(256))  # (translated) -> 1 if continued


def decode_list(text: str) -> list[int]:
    """Ascending numbers, from their gaps (see `encode`)."""
    return _ascending(_values(text))


def _ascending(gaps: Sequence[int]) -> list[int]:
    """The numbers that these gaps (the numbers skipped before each) leave, from 0."""
    return list(map(operator.add, itertools.accumulate(gaps), range(len(gaps))))


def decode_pairs(text: str) -> dict[int, int]:
    values = _values(text)
    if len(values) % 2:
        raise ValueError("a list of pairs with an odd number of values")
    return dict(zip(_ascending(values[0::2]), values[1::2], strict=True))


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
    """A shard as `_json` makes a file, its bytes coded by Huffman alone (zlib's
    Z_HUFFMAN_ONLY: gzip all the same). A release added, removed or moved changes the shards of
    all its words (~400 of 1,850 at 10,000 releases with a newsroom's vocabulary, 2.5 MB):
    lists of digits repeat little that deflate's search for repeats finds, and at level 3 it
    took 0.17 s of the build for 7.29 MB of shards (of 12.5 MB), where Huffman alone takes a
    third of that time for 6.95 MB."""
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 8,
                              zlib.Z_HUFFMAN_ONLY)
    return packer.compress(_plain_json(words)) + packer.flush()


def _plain_json(value: object) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")


def _zipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=_LEVEL, mtime=0)


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
