"""The releases of a kept graph's content with the fields that only their own pages and cards
show still pickled, each release's apart, until one of them is asked for.

A build after an edit takes back the graph the last full build kept (presskit.kept): at
10,000 releases in two languages, 15,000 releases, 450,000 objects, 0.15 s of unpickling,
most of it their titles, texts, summaries and subtitles. A move reads, of every release,
what places it (its address, date, terms, photos, publication) and of a few hundred what
they show. So each release is kept as those fields, and the rest pickled on its own: taken
back, it is an `Asleep` release, which becomes a plain Release (its class and all its fields)
the first time one of the rest is asked for. The objects that the rest shares with the
content (partners, programmes, photos' files, countries, paths) are pickled once, with it,
and the rest refers to them by their place: woken, a release points at the very objects the
graph does.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from pathlib import PurePath
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

_SHARED = (Partner, Programme, Asset, Country, PurePath)  # pickled with the content, referred to


class Shelf:
    """The objects of a content that its releases' sleeping fields refer to, by place."""

    def __init__(self, shared: list[Any]) -> None:
        self.shared = shared

    def load(self, data: bytes) -> tuple[Any, ...]:
        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = self.shared.__getitem__  # type: ignore[assignment]
        return unpickler.load()  # type: ignore[no-any-return]


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


class _Pickler(pickle.Pickler):
    """The sleeping fields of releases, each release's alone, the objects they share with the
    content by their place on a shelf (filled as they are met)."""

    def __init__(self, file: io.BytesIO, shared: list[Any], places: dict[int, int]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared, self.places = shared, places

    def persistent_id(self, obj: Any) -> int | None:
        if not isinstance(obj, _SHARED):
            return None
        place = self.places.get(id(obj))
        if place is None:
            place = self.places[id(obj)] = len(self.shared)
            self.shared.append(obj)
        return place


def put_to_sleep(releases: Iterable[Release]) -> dict[int, tuple[Any, ...]]:
    """How each of these releases is pickled asleep, by its id (a reduction, for a pickler's
    dispatch table): its fields that are not SLEEPING, the rest pickled, and the shelf that
    all of them share."""
    shelf = Shelf([])
    places: dict[int, int] = {}
    reduced = {}
    named: dict[tuple[str, ...], tuple[str, ...]] = {}  # (one tuple of names, pickled once)
    for release in releases:
        wake(release)
        state = release.__dict__
        buffer = io.BytesIO()
        _Pickler(buffer, shelf.shared, places).dump(tuple([state[name] for name in SLEEPING]))
        names = (*[name for name in state if name not in SLEEPING], _PICTURED)
        names = named.setdefault(names, names)
        awake = [state[name] for name in names[:-1]]
        awake.append(tuple([photo.asset.path for photo in release.photos]))
        reduced[id(release)] = (asleep, (shelf, names, tuple(awake), buffer.getvalue()))
    return reduced
