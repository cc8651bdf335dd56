"""One build of a site at a time: a second `presskit build` of the same site waits for the
first (saying so), so that two builds never remove each other's staging folders.

The lock is a file in .presskit-cache/, held with the system's file locks (filelock), which
the system releases when a build ends in any way, killed included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from presskit.cache import cache_folder

LOCK_FILE = "build.lock"


@contextmanager
def one_build(site_dir: Path, waiting: Callable[[], None], part: str = "") -> Iterator[None]:
    """Hold the site's build lock (of a part of the cache: the preview's builds do not wait
    for `build`'s); call `waiting` first if another build holds it."""
    lock = FileLock(str(cache_folder(site_dir, part) / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        waiting()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
