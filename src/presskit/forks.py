"""Work shared among forked processes, which inherit what they work on: nothing is pickled on
the way there, only the results on the way back. Never from a process that runs threads (the
preview): a fork copies one thread only."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

if TYPE_CHECKING:  # (imported when a pool is made: a build after an edit makes none)
    import multiprocessing.pool

T = TypeVar("T")
R = TypeVar("R")

_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # for the workers (fork)
_PIPE_SIZE = 1 << 20  # (what Linux lets any process ask for: /proc/sys/fs/pipe-max-size)


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


@contextlib.contextmanager
def aside(function: Callable[[], R]) -> Iterator[Callable[[], R]]:
    """`function()` on a process forked from this one, while this one goes on; what is
    yielded waits for it and gives its result, or raises its error (one that does not pickle
    is named in a RuntimeError). A block left without waiting for it stops the process. The
    process inherits what it works on, as the workers do; its result comes back pickled."""
    trim()
    read, write = os.pipe()
    with contextlib.suppress(AttributeError, OSError):  # (Linux: its outcome sent in fewer turns)
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    pid = os.fork()
    if pid == 0:
        _aside(function, read, write)
    os.close(write)
    forked = _Forked[R](pid, read)
    try:
        yield forked.result
    finally:
        forked.stop()


class EndedEarly(OSError):
    """The process of `aside` ended without its outcome (killed: by the system, short of memory)."""


class _Forked(Generic[R]):
    """The process of `aside`, seen from the one that forked it."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid, self.pipe = pid, pipe
        self.outcome: tuple[bool, Any] | None = None  # once waited for

    def result(self) -> R:
        if self.outcome is None:
            with os.fdopen(self.pipe, "rb") as pipe:
                data = pipe.read()  # (until the process closes its end, before it ends: see _aside)
            self.outcome = pickle.loads(data) if data else (False, EndedEarly("a forked process ended early"))
        done, value = self.outcome
        if not done:
            raise value
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop the process if its outcome was not waited for; wait for its end (a process that
        held a large heap takes a while to give it back: not waited for before its outcome is
        used)."""
        if self.outcome is None:
            os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(self.pipe)
            self.outcome = (False, OSError("stopped"))
        if self.pid:
            os.waitpid(self.pid, 0)
            self.pid = 0


def _aside(function: Callable[[], Any], read: int, write: int) -> NoReturn:
    """The forked process of `aside`: runs, sends its outcome, and ends without the exit of
    the process it was forked from (its files, its handlers)."""
    code = 1
    try:
        os.close(read)
        try:
            outcome: tuple[bool, Any] = (True, function())
        except BaseException as error:  # (given to the process that waits, as it is)
            outcome = (False, error)
        try:
            data = pickle.dumps(outcome)
        except Exception:
            data = pickle.dumps((False, RuntimeError(repr(outcome[1]))))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        os._exit(code)


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
