"""Work shared among forked processes, which inherit what they work on: nothing is pickled on
the way there, only the results on the way back. Never from a process that runs threads (the
preview): a fork copies one thread only."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

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
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_run, range(len(items)), chunksize=chunksize)
    finally:
        _JOB = None


def _run(index: int) -> Any:
    assert _JOB is not None
    function, items = _JOB
    return function(items[index])
