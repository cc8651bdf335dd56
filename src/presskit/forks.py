"""Work shared among forked processes, which inherit what they work on: nothing is pickled on
the way there, only the results on the way back. Never from a process that runs threads (the
preview): a fork copies one thread only."""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # (imported when a pool is made: a build after an edit makes none)
    import multiprocessing.pool

T = TypeVar("T")
R = TypeVar("R")

_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # for the workers (fork)


def forked_map(function: Callable[[T], R], items: Sequence[T], workers: int, *,
               at_least: int, chunksize: int) -> list[R]:
    """`function` of each item, in order: on `workers` forked processes when there are at
    least `at_least` items, else in this process."""
    if workers < 2 or len(items) < at_least:
        return [function(item) for item in items]
    global _JOB
    _JOB = (function, items)
    try:
        with pool(workers) as forked:
            return forked.map(_run, range(len(items)), chunksize=chunksize)
    finally:
        _JOB = None


def _run(index: int) -> Any:
    assert _JOB is not None
    function, items = _JOB
    return function(items[index])


def pool(workers: int) -> multiprocessing.pool.Pool:
    """A pool of `workers` processes forked from this one, once the memory its freed objects
    left in the heap is given back (see `trim`): a forked worker counts every page of its
    parent's that it inherits, and the largest process of a build is often a worker."""
    import multiprocessing

    trim()
    return multiprocessing.get_context("fork").Pool(workers)


def trim() -> None:
    """Give the free memory of the heap back to the system (glibc's malloc_trim): Python hands
    large freed objects (a text's Markdown, a page) back to the C library, which keeps them for
    later; nothing where the C library is not glibc."""
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 (glibc's)
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC: Any = None  # the C library, once looked for (False: not glibc)
