"""The site's objects pickled for .presskit-cache/ (the kept graph, what the preview learned):
paths as their text, each made once when taken back.

A path pickled as pathlib pickles it (its parts) is made again from them, and each path object
apart: the releases of a newsroom name the same few hundred photo files twenty thousand times.
As their text, with the unpickler's own memo of them, the graph of 10,000 releases that a cold
build kept is taken back in two thirds of the time (30,000 paths made one by one were a third
of it), and holds one path for each file.
"""

from __future__ import annotations

import copyreg
import gc
import io
import os
import pickle
import sys
from collections.abc import Hashable, Mapping
from functools import partial
from pathlib import Path, PosixPath, WindowsPath
from typing import IO, Any, Protocol


class Named(Protocol):
    """Objects kept apart, by their names (see `dump`)."""

    def __getitem__(self, name: Any, /) -> Any: ...


class Pickler(pickle.Pickler):
    """Paths pickled as their text, through `_path` (which `load` answers with its memo)."""

    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[PosixPath] = lambda path: (_path, (str(path),))
    dispatch_table[WindowsPath] = lambda path: (_path, (str(path),))

    def __init__(self, file: IO[bytes], protocol: int, table: dict[type, Any] | None = None) -> None:
        if table is not None:
            self.dispatch_table = table  # (read as the pickler is made)
        super().__init__(file, protocol=protocol)


def dump(value: Any, file: IO[bytes], apart: Mapping[int, Hashable] | None = None,
         kinds: tuple[type, ...] = (), reduced: Mapping[int, Any] | None = None) -> None:
    """`value` pickled into `file`, with the collector off: the tuples the pickler makes for
    each object set off a pass over the million objects of a kept graph now and then (one
    dump in six took 0.56 s instead of 0.25 s at 10,000 releases). With `apart` (by id, the
    name of each object kept in another file, of one of these `kinds`), those objects are
    pickled as their name alone, once each: `load` is given them by name. With `reduced`
    (by id, how each object of these `kinds` is pickled: a reduction), those objects are
    pickled so."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        table = None
        if apart:
            table = {**Pickler.dispatch_table, **dict.fromkeys(kinds, partial(_named, apart))}
        elif reduced:
            table = {**Pickler.dispatch_table, **dict.fromkeys(kinds, partial(_reduced, reduced))}
        Pickler(file, protocol=pickle.HIGHEST_PROTOCOL, table=table).dump(value)
    finally:
        if collecting:
            gc.enable()


def _named(apart: Mapping[int, Hashable], value: Any) -> Any:
    name = apart.get(id(value))
    if name is None:
        return value.__reduce_ex__(pickle.HIGHEST_PROTOCOL)  # (not kept apart: pickled whole)
    return _apart, (name,)


def _reduced(reduced: Mapping[int, Any], value: Any) -> Any:
    found = reduced.get(id(value))
    return found if found is not None else value.__reduce_ex__(pickle.HIGHEST_PROTOCOL)


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    dump(value, buffer)
    return buffer.getvalue()


def load(file: IO[bytes], apart: Named | None = None,
         paths: dict[str, Path] | None = None) -> Any:
    """What `dump` wrote (anything else pickled, too), each path made once (`paths`: those
    made already, by their text), each object kept apart found by its name in `apart`
    (whose lookup fails for a name it does not have)."""
    return _Unpickler(file, {} if apart is None else apart, paths).load()


def _path(text: str) -> Path:  # (what an unpickler other than load's makes of a kept path)
    return Path(text)


def _apart(name: object) -> Any:  # (an object kept apart, for an unpickler other than load's)
    raise pickle.UnpicklingError(f"{name} is kept apart: pickled.load finds it")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], apart: Named, paths: dict[str, Path] | None) -> None:
        super().__init__(file)
        self.paths: dict[str, Path] = {} if paths is None else paths
        self.apart = apart

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_path":
            return self.path
        if module == __name__ and name == "_apart":
            return self.apart.__getitem__
        return super().find_class(module, name)

    def path(self, text: str) -> Path:
        found = self.paths.get(text)
        if found is None:
            found = self.paths[text] = made_path(text)
        return found


def made_path(text: str) -> Path:
    """`Path(text)` for the text of a path (`str(path)`), made from its parts as they stand
    on Python 3.11, whose paths parse their text again, part by part (3.12 parses it only when
    asked): a kept graph's 10,000 release files took 45 ms to make, 15 ms this way."""
    if (_PARTS_KNOWN and text[:1] == "/" and "//" not in text and "/./" not in text
            and not text.endswith(("/", "/."))):
        path = PosixPath._from_parsed_parts("", "/", ["/", *text[1:].split("/")])  # type: ignore[attr-defined]
        path._str = text
        return path
    return Path(text)


# A path's text is its parts joined by "/" (no "." part, no empty one: see PurePath's parsing),
# so splitting it gives them back, on POSIX with Python 3.11's paths (any other text is parsed).
_PARTS_KNOWN = os.name == "posix" and sys.version_info[:2] == (3, 11)
