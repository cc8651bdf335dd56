"""Work shared among forked processes, which inherit what they work on: nothing is pickled on
the way there, only the results on the way back. Never from a process that runs threads (the
preview): a fork copies one thread only."""

from __future__ import annotations

import ctypes
import os
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


class Beside:
    """Work running in a process forked from this one (see `beside`), until it is told
    whether to keep what it made (`tell`) and waited for (`wait`)."""

    def __init__(self, work: Callable[[Callable[[], bytes | None]], object], child: int = 0,
                 pipe: int | None = None) -> None:
        self.work = work  # run here when told, if no process was forked (`child` 0)
        self.child = child
        self.pipe = pipe  # the end of the pipe the work hears its word from
        self.told = False

    def tell(self, word: bytes = b"") -> None:
        """Let the work keep what it made, and give it `word` (what changed since the fork)."""
        if self.told:
            return
        self.told = True
        if not self.child:
            self.work(lambda: word)
            return
        data = memoryview(b"1" + word)
        try:
            while data:
                data = data[os.write(self.pipe, data):]  # type: ignore[arg-type]
        except BrokenPipeError:
            pass  # the work ended without asking (it found nothing to keep)
        self._close()

    def wait(self) -> None:
        """The end: the work hears the pipe's end if it was not told (and keeps nothing), and
        this process waits for it."""
        self.told = True
        if self.child:
            self._close()
            os.waitpid(self.child, 0)
            self.child = 0

    def _close(self) -> None:
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None


def beside(work: Callable[[Callable[[], bytes | None]], object], workers: int) -> Beside:
    """Start `work` in a process forked from this one, on another core, while this one goes on
    (a build's graph is pickled while it makes the search index and writes output/). `work` is
    given a function that waits for this process's word: the bytes given to Beside.tell (what
    `work` made may be kept, brought up to date with them), None if Beside.wait came first (the
    build failed). On one core, or where processes cannot be forked, `work` runs here when
    told. Beside.wait must follow, whatever happens."""
    if workers < 2 or not hasattr(os, "fork"):
        return Beside(work)
    trim()
    told, hear = os.pipe()
    try:
        child = os.fork()
    except OSError:
        os.close(told)
        os.close(hear)
        return Beside(work)
    if child == 0:
        os.close(hear)
        done = 1
        try:
            work(lambda: _heard(told))
            done = 0
        finally:
            os._exit(done)  # never the parent's cleanup, buffers or exit handlers
    os.close(told)
    return Beside(work, child, hear)


def _heard(told: int) -> bytes | None:
    chunks = []
    while chunk := os.read(told, 1 << 16):
        chunks.append(chunk)
    data = b"".join(chunks)
    return data[1:] if data[:1] == b"1" else None


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
