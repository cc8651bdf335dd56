"""The search index of one language: presskit's own records, read by assets/search.js.

Pagefind was measured against this (README, Search): indexing the built pages of 10,000
releases took as long as the whole build and cannot be updated for one edit, so presskit
writes a small index of its own that the build updates piece by piece.

Under `{root}search/data/`:
- `meta.jsonz`: how many releases, the shard names, the filters (each value with the releases
  it holds) and the names of partners, programmes, countries, topics and pages. Loaded first.
- `s/KEY.jsonz`: one shard of the inverted index: every word starting with KEY (two letters,
  or three where two would make a shard too large), each with its releases and weights.
- `f/N.jsonz`: release N's card and text, for the result and its excerpt; loaded only for the
  results shown.

Words are folded (lower case, no accents, đ as d) the same way here and in search.js, so
`Quang Binh` finds `Quảng Bình`. A release is a number, its place oldest first (see
`in_index_order`): a new release takes the next number and no other release moves, so its
build changes only the files that hold its words. A list of releases is written as the gaps
between them in base-64 digits (five bits each, the sixth says another digit follows), which
keeps a filter of 10,000 releases near 10 KB.

Only published releases are given to `build_index`, so nothing unpublished is ever written.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import html
import itertools
import json
import re
import unicodedata
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from presskit.forks import forked_map
from presskit.markdown import RenderedBody

DATA = "search/data/"  # under a language's root
FORMAT = 4  # 3: files gzipped (.jsonz); 4: shards at _SHARD_LEVEL. A change to what a card
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
_SPACE = re.compile(r"\s+")
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
    different one folded once: several times quicker than folding the whole text."""
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
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body_html))).strip()


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


def build_index(entries: Sequence[Entry], filters: Iterable[Filter],
                names: Iterable[Name], workers: int = 1) -> dict[str, bytes]:
    """Every file of the index, by its path under search/data/ (each release's card and
    weights made on `workers` processes for a large index)."""
    made = _cards_and_weights(entries, workers)
    # Each word's releases and weights, in arrays (millions of pairs at 10,000 releases: as
    # tuples in lists, they took more memory than anything else in a build).
    postings: dict[str, tuple[array[int], bytearray]] = {}
    for number, (_, words, weights) in enumerate(made):
        for word, weight in zip(words.split("\n") if words else (), weights, strict=True):
            found = postings.get(word)
            if found is None:
                found = postings[word] = (array("I"), bytearray())
            found[0].append(number)  # numbers ascend
            found[1].append(weight)
    shards = _shards({word: numbers for word, (numbers, _) in postings.items()})
    files = {f"s/{key}.jsonz": _shard_json({word: encode_pairs(zip(*postings[word], strict=True))
                                            for word in shard}) for key, shard in shards.items()}
    files["meta.jsonz"] = _meta(len(entries), sorted(shards), filters, names)
    for number, (card, _, _) in enumerate(made):
        files[f"f/{number}.jsonz"] = card
    return files


def _cards_and_weights(entries: Sequence[Entry], workers: int) -> list[tuple[bytes, str, bytes]]:
    """Each entry's card (gzipped JSON) and word weights: a third of a cold build's indexing,
    shared among forked workers. The weights come packed, as the words (one per line) and
    their weights (one byte each): a dictionary per release, 10,000 of them held at once,
    took a sixth of a cold build's memory."""
    return forked_map(Entry.packed, entries, workers, at_least=PARALLEL_AT_LEAST, chunksize=250)


def update_index(read: Callable[[str], bytes | None],
                 changed: Mapping[int, tuple[Entry | None, Entry | None]]) -> dict[str, bytes] | None:
    """The files of an index that change when the words of some releases change (their
    number, old and new entry; no old one for a number added, no new one for a number
    removed), read from the index as written; None when it cannot be read, and the whole
    index must be made again. meta.jsonz is only given when its list of shards changed."""
    try:
        meta = _load(read("meta.jsonz"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            return None
        keys = list(meta["shards"])
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
        if not _split_as_made(keys, {key[:2] for key in edits}, files, read):
            return None  # a group of words grew past the limit of a shard, or shrank below it
        if sorted(keys) != meta["shards"]:
            files["meta.jsonz"] = _json({**meta, "shards": sorted(keys)})
        for number, (_, new) in changed.items():
            if new is not None:
                files[f"f/{number}.jsonz"] = new.card()
        return files
    except (ValueError, KeyError, TypeError):
        return None


# Bytes of each entry's key: a digest of all it is made of (the release and the settings), which
# a build keeps for the index it wrote, in index order, so that the next one need not make the
# entries, nor read the cards, of the releases that did not change.
ENTRY_KEY_SIZE = 8
_MOST_MOVED = 32  # places whose release changed that an update takes on (or a 40th of the index)


def index_from(read: Callable[[str], bytes | None], entries: Sequence[Entry], filters: Iterable[Filter],
               names: Iterable[Name], known: bytes = b"",
               keys: Sequence[bytes] = ()) -> dict[str, bytes | None] | None:
    """Every file of the index of these entries (in index order), made from the index as
    written (`read` by path under search/data/) when every release it holds keeps its number,
    releases published since coming after them and the newest ones removed: only the cards
    that changed, the shards of the words whose weights changed and meta.jsonz are new bytes;
    None stands for a file that stays as it is. The same files as `build_index` makes. A
    release that moved a few places (a new date) is an update of the numbers between (each
    holds another release's card and words); None when many releases moved (one added or
    removed among older ones, a date moved far: the index is then made anew, which is as
    quick), or the index cannot be read. `known`, the keys of the entries of the index written
    (ENTRY_KEY_SIZE bytes each), and `keys`, those of these entries: an entry whose key is the same
    at its number is not asked for (`entries` may make them as they are asked for), nor is its
    card read."""
    try:
        meta = _load(read("meta.jsonz"))
        count = meta.get("count") if isinstance(meta, dict) and meta.get("format") == FORMAT else None
        if not isinstance(count, int):
            return None
        if len(known) != count * ENTRY_KEY_SIZE:
            known = b""  # not of this index
        changed: dict[int, tuple[Entry | None, Entry | None]] = {}
        moved, most = 0, max(_MOST_MOVED, count // 40)
        for number in range(max(len(entries), count)):
            if (known and number < count and number < len(keys)
                    and known[number * ENTRY_KEY_SIZE:(number + 1) * ENTRY_KEY_SIZE] == keys[number]):
                continue  # made of the same: the same card and words
            entry = entries[number] if number < len(entries) else None
            written = None
            if number < count:  # the card as written
                written = read(f"f/{number}.jsonz")
                if entry is not None and written is not None and _unzipped(written) == entry.card_json():
                    if len(entry.text) >= _TEXT_LIMIT:
                        return None  # its card is cut: the words beyond the cut may differ
                    continue
            if number < count and written is None:
                return None  # the index written lacks a card
            old = Entry.from_card(written) if written is not None else None
            if written is not None and old is None:
                return None  # a card cut or unreadable
            if old and entry and old.path != entry.path:
                moved += 1  # another release in this place
                if moved > most:
                    return None
            changed[number] = (old, entry)
        files = update_index(read, changed)
        if files is None:
            return None
        shards = _load(files["meta.jsonz"])["shards"] if "meta.jsonz" in files else meta["shards"]
    except (ValueError, KeyError, TypeError):
        return None
    index: dict[str, bytes | None] = {f"s/{key}.jsonz": None for key in shards}
    index.update({f"f/{number}.jsonz": None for number in range(len(entries))})
    index.update((name, data) for name, data in files.items() if name in index)  # no emptied shard
    index["meta.jsonz"] = _meta(len(entries), shards, filters, names)
    return index


def index_names(meta: bytes | None) -> set[str] | None:
    """The names of every file of the index whose meta.jsonz this is (under search/data/);
    None if it is not one."""
    try:
        found = _load(meta)
        count, shards = found["count"], found["shards"]
        if not isinstance(count, int) or not all(isinstance(key, str) for key in shards):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return {"meta.jsonz", *(f"s/{key}.jsonz" for key in shards), *(f"f/{n}.jsonz" for n in range(count))}


def emptied_shards(files: Mapping[str, bytes]) -> list[str]:
    """The shards of an update (see `update_index`) left with no word, which a cold build
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


def _meta(count: int, shards: list[str], filters: Iterable[Filter], names: Iterable[Name]) -> bytes:
    return _json({
        "format": FORMAT,
        "count": count,
        "shards": shards,
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
    postings = decode_pairs(text)
    for number, weight in changes.items():
        if weight is None:
            postings.pop(number, None)
        else:
            postings[number] = weight
    return encode_pairs(sorted(postings.items()))


def decode(text: str) -> list[int]:
    digits = text.encode("ascii").translate(_VALUES)
    if not digits or max(digits) < 32:  # most lists: every value one digit, read at C speed
        return list(digits)
    values: list[int] = []
    value = shift = 0
    for char in text:
        digit = _DIGIT_VALUES[char]
        value |= (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(value)
            value = shift = 0
    return values


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
