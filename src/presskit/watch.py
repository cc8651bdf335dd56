"""Watching what a build reads, so that `presskit serve` sees every save and never goes deaf.

Only `content/`, `templates/` and `presskit.toml` are watched (never output/, the cache or
version control folders), and the system is asked only for the events a rebuild uses. When
events are lost anyway (the system's queue of them overflowed, a folder could not be watched,
the watcher's thread died), `trouble()` says so once; the caller watches again with `restart()`
and compares the files with its last build, which is what decides what a rebuild redoes.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from presskit.config import SETTINGS_FILE

WATCHED_FOLDERS = ("content", "templates")
# The kernel is asked for these only: no "opened" or "closed without writing" events, which
# every read of a file (a build's own included) would otherwise queue.
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]
POLL_SECONDS = 0.5

# Files that editors and tools write beside the real one while saving.
_TEMPORARY_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".temp", ".part", ".crdownload",
                       ".bak", ".orig", "___jb_tmp___", "___jb_old___", ".kate-swp")
_TEMPORARY_NAMES = {"4913", ".DS_Store", "Thumbs.db"}

QUIET_SECONDS = 0.05  # a burst of events ends after this long without one
LONGEST_WAIT = 1.0  # a rebuild starts after this long even if events keep coming

Report = Callable[[str], None]

WATCH_LIMIT = ("The system's limit on watched folders (fs.inotify.max_user_watches) is reached; "
               "watching by polling instead, which notices saves a little later.")


def is_temporary(path: Path) -> bool:
    name = path.name
    return (name in _TEMPORARY_NAMES or name.endswith(_TEMPORARY_SUFFIXES)
            or name.startswith((".#", "#", "~$")) or (name.startswith(".") and name.endswith(".tmp")))


class Changes(FileSystemEventHandler):
    """Collects the paths of relevant events; a burst of them becomes one rebuild."""

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        self.paths: set[Path] = set()
        # Editors' temporary files: no rebuild for them, but the next one looks at them
        # (a walk of the site's files, kept up to date from events, has them as a walk would).
        self.temporary: set[Path] = set()
        self.last_event = 0.0
        self.first_event = 0.0
        self.arrived = threading.Condition()

    def relevant(self, path: Path) -> bool:
        return self.watched(path) and not is_temporary(path)

    def pending(self) -> bool:
        """Whether events have come that the next burst will give (work done while saves
        pause stops for them)."""
        return bool(self.paths)

    def watched(self, path: Path) -> bool:
        """Whether a path is in what a build reads (temporary files included)."""
        try:
            relative = path.relative_to(self.site_dir)
        except ValueError:
            return False
        parts = relative.parts
        if not parts or any(part.startswith(".") and part != "." for part in parts[:-1]):
            return False
        return parts == (SETTINGS_FILE,) or parts[0] in WATCHED_FOLDERS

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type == "modified":
            return  # a folder "changes" whenever a file in it does, temporary ones included
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        found = {Path(os.fsdecode(p)) for p in paths if p}
        with self.arrived:
            self.temporary |= {p for p in found if is_temporary(p) and self.watched(p)}
        self.add({p for p in found if self.relevant(p)})

    def take_temporary(self) -> set[Path]:
        """The temporary files events named since the last call."""
        with self.arrived:
            taken, self.temporary = self.temporary, set()
            return taken

    def add(self, paths: set[Path]) -> None:
        if not paths:
            return
        with self.arrived:
            now = time.monotonic()
            if not self.paths:
                self.first_event = now
            self.paths |= paths
            self.last_event = now
            self.arrived.notify_all()

    def wake(self) -> None:
        with self.arrived:
            self.arrived.notify_all()

    def next_burst(self, timeout: float | None, stop: threading.Event) -> set[Path] | None:
        """Wait for events, then for quiet; the paths of the burst, or None on timeout."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: bool(self.paths) or stop.is_set(), timeout):
                return None
            while not stop.is_set():
                now = time.monotonic()
                quiet_left = self.last_event + QUIET_SECONDS - now
                if quiet_left <= 0 or now - self.first_event >= LONGEST_WAIT:
                    break
                self.arrived.wait(quiet_left)
            burst, self.paths = self.paths, set()
            return burst


class _LostEvents(logging.Handler):
    """watchdog reports lost events only in its log (an overflowed queue, watches it could not
    add again): each such line becomes a flag for the watcher, and nothing is printed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.watchers: set[Watcher] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lower()
        if "overflow" in message or "unable to" in message:
            for watcher in list(self.watchers):
                watcher.lost.set()


_lost_events = _LostEvents()


class Watcher:
    """A watchdog observer on what a build reads, with polling where the system's limit on
    watched folders is reached (at the top or anywhere below)."""

    def __init__(self, site_dir: Path, changes: Changes, report: Report,
                 observer_class: Callable[[], Any] = Observer) -> None:
        self.site_dir = site_dir
        self.changes = changes
        self.report = report
        self.observer_class = observer_class
        self.polling = False
        self.lost = threading.Event()
        self.observer: Any = None
        self.watched: dict[Path, int] = {}  # folder -> its inode when the watch was made

    def folders(self) -> list[Path]:
        """The folders a build reads that exist now."""
        return [folder for name in WATCHED_FOLDERS
                if (folder := self.site_dir / name).is_dir() and not folder.is_symlink()]

    def start(self) -> None:
        logger = logging.getLogger("watchdog")
        logger.addHandler(_lost_events)
        logger.propagate = False  # its warnings become one message of ours, not a flood
        _lost_events.watchers.add(self)
        self.observer = self._observe()

    def _observe(self) -> Any:
        if not self.polling:
            observer = self.observer_class()
            try:
                self._schedule(observer)
                if self.all_watched():
                    return observer
            except OSError as error:
                if error.errno not in (errno.ENOSPC, errno.EMFILE, errno.ENFILE):
                    _stop(observer)
                    raise
            _stop(observer)
            self.report(WATCH_LIMIT)
            self.polling = True
        observer = PollingObserver(timeout=POLL_SECONDS)
        self._schedule(observer)
        return observer

    def _schedule(self, observer: Any) -> None:
        """The site folder itself first (for presskit.toml and folders that appear), then each
        folder a build reads, recursively; each watch starts as it is scheduled."""
        self.watched = {}
        observer.schedule(self.changes, str(self.site_dir), recursive=False, event_filter=WATCHED_EVENTS)
        observer.start()
        for folder in self.folders():
            inode = _inode(folder)  # 0 if it went meanwhile: ensure() then watches again
            observer.schedule(self.changes, str(folder), recursive=True, event_filter=WATCHED_EVENTS)
            self.watched[folder] = inode

    def all_watched(self) -> bool:
        """Whether the system holds a watch on every folder a build reads. watchdog skips a
        folder below the top in silence when the limit is reached, so ask the system."""
        held = _watched_inodes()
        if held is None:  # not Linux, or the system does not tell: trust the observer
            return True
        for folder in [self.site_dir, *self.watched]:
            for root, dirs, _ in os.walk(folder):
                dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
                try:
                    if os.stat(root).st_ino not in held:
                        return False
                except OSError:
                    continue  # removed since: nothing to watch
                if folder == self.site_dir:
                    break
        return True

    def ensure(self) -> bool:
        """Watch a folder that appeared since (templates/ made while serving) or was replaced
        (content/ removed and made again, as some tools do); True if so: its files may have
        been written before the watch, so compare them with the last build."""
        now = {folder: _inode(folder) for folder in self.folders()}
        if now == self.watched:
            return False
        self.restart()
        return True

    def trouble(self) -> str | None:
        """Why events may have been lost since the last call, or None."""
        if self.lost.is_set():
            self.lost.clear()
            return "the system dropped file events (its queue of them overflowed)"
        observer = self.observer
        if observer is not None and not (observer.is_alive()
                                         and all(e.is_alive() for e in getattr(observer, "emitters", ()))):
            return "the file watcher stopped"
        return None

    def restart(self) -> None:
        """Watch anew; the caller compares the files with the last build, so what the old
        watcher lost meanwhile (said while it stopped) is no further trouble."""
        _stop(self.observer)
        self.lost.clear()
        self.observer = self._observe()

    def stop(self) -> None:
        _lost_events.watchers.discard(self)
        _stop(self.observer)
        self.observer = None


def _inode(folder: Path) -> int:
    try:
        return folder.stat().st_ino
    except OSError:
        return 0


def _stop(observer: Any) -> None:
    if observer is None:
        return
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except (OSError, RuntimeError, KeyError, AttributeError):
        pass  # a watcher that broke is replaced; how it ends does not matter


def _watched_inodes() -> set[int] | None:
    """The inode of every folder this process holds an inotify watch on (Linux), or None."""
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return None
    inodes: set[int] = set()
    try:
        descriptors = os.listdir(fd_dir)
    except OSError:
        return None
    for descriptor in descriptors:
        try:
            if os.readlink(fd_dir / descriptor) != "anon_inode:inotify":
                continue
            info = Path(f"/proc/self/fdinfo/{descriptor}").read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("inotify wd:"):
                for field in line.split():
                    if field.startswith("ino:"):
                        inodes.add(int(field[4:], 16))
    return inodes
