"""The releases of a kept graph's content with the fields that only their own pages and cards
show still pickled, each release's apart, until one of them is asked for.

A build after an edit takes back the graph the last full build kept (presskit.kept): at
10,000 releases in two languages, 15,000 releases, 450,000 objects, 0.15 s of unpickling,
most of it their titles, texts, summaries, subtitles and photos. A move reads, of every
release, what places it (its address, date, terms, its photos' addresses, publication), and
of a few dozen what their pages, feeds and search entries show. So each release is kept as
those fields, and the rest pickled on its own: taken back, it is an `Asleep` release, which
becomes a plain Release (its class and all its fields) the first time one of the rest is
read (0.075 s where it was 0.15). The objects that the rest shares with the content
(partners, programmes, photos' files, countries, paths) are pickled once, with it, and the
rest refers to them by their place: woken, a release points at the very objects the graph
does. Only a build's own process takes a kept graph back (never the preview's threads), so
a release is woken by one thread.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from collections.abc import Iterable
from functools import partial
from pathlib import PosixPath, WindowsPath
from typing import Any

from presskit.countries import Country
from presskit.models import Asset, Partner, Programme, Release

# What a release keeps pickled until asked: what only its own page and its card show (and
# what only those of the releases an edit touches are asked for). Everything else is read
# of every release by a build after an edit that moves one (its place in each list, its
# neighbours', its terms' and photos' pages).
SLEEPING = ("title", "subtitle", "location", "summary", "text", "body_line", "extra", "corrections",
            "contacts", "photos")
# What a release asleep keeps awake of its photos: their site paths (see `photo_paths`).
_PICTURED = "_pictured"

# Pickled with the content, referred to by their place on its shelf (by their exact types).
_SHARED = (Partner, Programme, Asset, Country, PosixPath, WindowsPath)


class Shelf:
    """The objects of a content that its releases' sleeping fields refer to, by place."""

    def __init__(self, shared: list[Any]) -> None:
        self.shared = shared

    def load(self, data: bytes) -> tuple[Any, ...]:
        return _Unpickler(io.BytesIO(data), self.shared).load()  # type: ignore[no-any-return]


def on_shelf(place: int) -> Any:  # (what an unpickler other than a shelf's makes of a reference)
    raise pickle.UnpicklingError(f"object {place} is on a content's shelf: Shelf.load finds it")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: list[Any]) -> None:
        super().__init__(file)
        self.shared = shared

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "on_shelf":
            return self.shared.__getitem__
        return super().find_class(module, name)


class Asleep(Release):
    """A release whose SLEEPING fields are still pickled (see module doc)."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: Any) -> Any:
        wake(self)
        return self.__reduce_ex__(protocol)  # (a Release's, now)

    def __repr__(self) -> str:
        wake(self)
        return repr(self)


def wake(release: Release) -> None:
    """Give a release asleep its sleeping fields: a plain Release from then on."""
    state = release.__dict__
    sleeping = state.pop("_sleeping", None)
    if sleeping is None:
        return
    shelf, data = sleeping
    state.update(zip(SLEEPING, shelf.load(data), strict=True))
    state.pop(_PICTURED, None)
    object.__setattr__(release, "__class__", Release)


def photo_paths(release: Release) -> tuple[str, ...]:
    """The site paths of a release's photos, in order, without waking it (a build after an edit
    looks for the releases that show a photo among every release)."""
    pictured = release.__dict__.get(_PICTURED)
    if pictured is not None:
        return pictured  # type: ignore[no-any-return]
    return tuple([photo.asset.path for photo in release.photos])


def _sleeping_field(name: str) -> property:
    def get(release: Release) -> Any:
        wake(release)
        return release.__dict__[name]

    return property(get, doc=f"The release's {name}, taken back when first asked for.")


for _name in SLEEPING:
    setattr(Asleep, _name, _sleeping_field(_name))


def asleep(shelf: Shelf, names: tuple[str, ...], values: tuple[Any, ...], data: bytes) -> Release:
    """A release taken back asleep (see `put_to_sleep`), its fields awake by their names."""
    release = object.__new__(Asleep)
    state = release.__dict__
    state.update(zip(names, values, strict=True))
    state["_sleeping"] = (shelf, data)
    return release


def _referred(shared: list[Any], places: dict[int, int], obj: Any) -> tuple[Any, ...]:
    """An object the content shares, as its place on the shelf (put there when first met)."""
    place = places.get(id(obj))
    if place is None:
        place = places[id(obj)] = len(shared)
        shared.append(obj)
    return on_shelf, (place,)


def put_to_sleep(releases: Iterable[Release]) -> dict[int, tuple[Any, ...]]:
    """How each of these releases is pickled asleep, by its id (a reduction, for a pickler's
    dispatch table): its fields that are not SLEEPING, the rest pickled, and the shelf that
    all of them share."""
    shelf = Shelf([])
    places: dict[int, int] = {}
    reduced = {}
    named: dict[tuple[str, ...], tuple[str, ...]] = {}  # (one tuple of names, pickled once)
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)  # (one, its memo cleared)
    pickler.dispatch_table = {**copyreg.dispatch_table,
                              **dict.fromkeys(_SHARED, partial(_referred, shelf.shared, places))}
    for release in releases:
        wake(release)
        state = release.__dict__
        buffer.seek(0)
        buffer.truncate()
        pickler.clear_memo()
        pickler.dump(tuple([state[name] for name in SLEEPING]))
        names = (*[name for name in state if name not in SLEEPING], _PICTURED)
        names = named.setdefault(names, names)
        awake = [state[name] for name in names[:-1]]
        awake.append(tuple([photo.asset.path for photo in release.photos]))
        reduced[id(release)] = (asleep, (shelf, names, tuple(awake), buffer.getvalue()))
    return reduced
