"""`presskit serve`: build, watch, rebuild what changed, and reload the open tab.

The preview builds through the same pipeline as `build` (with drafts and embargoed releases
shown and marked), keeps the last complete build in memory and never writes output/.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchdog.observers import Observer

from presskit import quick
from presskit.build import Made, make_site
from presskit.cache import BuildMemory, Stat, walk
from presskit.config import SETTINGS_FILE, Settings, load_settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.render import builtin_theme, theme_dirs
from presskit.server import PreviewServer, Snapshot
from presskit.text import new_release_line
from presskit.watch import Changes, Watcher

WATCH_CHECK_SECONDS = 1.0
FIXED = "Fixed: the site is up to date again."

Report = Callable[[str], None]


class Preview:
    """The site as served: the last complete build, and the error of the last try, if any."""

    def __init__(self, site_dir: Path, host: str, report: Report) -> None:
        self.site_dir = site_dir
        self.host = host
        self.port = 0
        self.report = report
        self.memory = BuildMemory()
        self.changed = threading.Condition()
        self._snapshot = Snapshot(files={}, build=0)
        self.rebuilds = 0
        self.next_embargo: datetime | None = None
        self.last_seconds = 0.0
        self.quick_state: tuple[quick.Record, quick.MemoryStore] | None = None
        self.built_from: dict[str, Stat] = {}  # the files as the last rebuild found them
        self.notice = ""  # said over the page, e.g. that file events were lost
        self.shown: set[str] | None = None  # the releases of the last build, to name new ones
        self.stage = ""  # what the build under way is doing, while no build has succeeded yet
        self.files_total = 0

    # -- what the server asks -----------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def wait_for_change(self, build: int, error: str, notice: str, timeout: float) -> Snapshot:
        with self.changed:
            self.changed.wait_for(lambda: (self._snapshot.build, self._snapshot.error,
                                           self._snapshot.notice) != (build, error, notice), timeout)
            return self._snapshot

    def progress(self) -> str:
        """While the first build runs: what it is doing, e.g. "Reading content: 1,204 of 10,512
        files"; empty once the site is served."""
        if self._snapshot.files or not self.stage:
            return ""
        if self.stage == "Reading content" and self.files_total:
            seen = min(self.memory.files_seen, self.files_total)
            return f"{self.stage}: {seen:,} of {self.files_total:,} files"
        if self.stage == "Rendering pages":
            return f"{self.stage}: {self.memory.rendered:,} made"
        return self.stage

    def allowed_roots(self) -> tuple[Path, ...]:
        return (self.site_dir.resolve(), builtin_theme().resolve())

    def status(self) -> dict[str, object]:
        snapshot = self._snapshot
        return {"build": snapshot.build, "rebuilds": self.rebuilds, "error": snapshot.error,
                "rendered": self.memory.rendered, "reused": self.memory.reused,
                "seconds": round(self.last_seconds, 4), "files": len(snapshot.files),
                "notice": snapshot.notice}

    # -- building -----------------------------------------------------------------

    def settings(self) -> Settings:
        """The site's settings, with base_url pointing at this preview."""
        settings = load_settings(self.site_dir)
        return dataclasses.replace(settings, base_url=f"http://{_url_host(self.host)}:{self.port}/")

    def rebuild(self, changed: set[Path]) -> None:
        """Build through the same pipeline as `build`; swap in the result only if it is whole.
        When only the words of releases changed, only their pages and feeds are made again."""
        started = time.perf_counter()
        current = self._snapshot
        walked_at = time.time()  # files are looked at before they are read
        walked = walk(self.site_dir / "content")
        self.built_from = self._other_files() | walked
        try:
            settings = self.settings()
            themes = [walk(folder) for folder in theme_dirs(settings)]
            environment_key = quick.environment(settings, themes, "preview")
            if changed and self._quick(settings, environment_key, walked, walked_at, started):
                return
            self.files_total = len(walked)
            made = make_site(self.site_dir, as_of=datetime.now(UTC), memory=self.memory, preview=True,
                             settings=settings, stage=self._at_stage)
        except BuildFailed as failure:  # the quick state still describes the pages served
            errors = errors_in(failure.problems)
            text = "\n".join(problem.describe() for problem in failure.problems)
            self.report(_failure_line(errors))
            for problem in failure.problems:
                self.report(problem.describe())
            self._publish(dataclasses.replace(current, error=text or "The build failed."))
            return
        self.last_seconds = time.perf_counter() - started
        self.rebuilds += 1
        self.next_embargo = made.graph.next_embargo
        for warning in made.warnings:
            self.report(warning.describe())
        files_changed = [p for p in changed if p.suffix]  # folders have none
        css_only = bool(files_changed) and all(p.suffix == ".css" for p in files_changed)
        files = {file.path: file for file in made.site.files}
        self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build,
                               css_only=css_only))
        shown = {str(release.source) for release in made.graph.releases}
        if self.shown is not None:
            for release in made.graph.releases:
                if str(release.source) not in self.shown:
                    self.report(new_release_line(release, made.graph))
        self.shown = shown
        if current.error:
            self.report(FIXED)
        elif current.build:
            self.report(f"Rebuilt in {self.last_seconds:.2f} s: {self.memory.rendered} "
                        f"page{'s' if self.memory.rendered != 1 else ''} made again, "
                        f"{self.memory.reused} unchanged.")
        self.quick_state = None
        if environment_key:  # after the tab has its pages: not in the wait
            self.quick_state = _quick_state(environment_key, walked, walked_at, made)

    def _quick(self, settings: Settings, environment_key: str, walked: dict[str, Stat],
               walked_at: float, started: float) -> bool:
        """A quick rebuild (see presskit.quick) if the changes allow one; False otherwise."""
        if self.quick_state is None or not environment_key:
            return False
        record, store = self.quick_state
        now = datetime.now(UTC)
        if (record.environment != environment_key
                or (record.next_change is not None and now.timestamp() >= record.next_change)):
            return False
        changed = quick.changed_files(record, walked)
        if changed is None:
            return False
        made = quick.quick_rebuild(settings, record, changed, store, as_of=now, preview=True,
                                   memory=self.memory, read=self._snapshot.made)
        if made is None:
            return False
        key = quick.store_key(record.environment, made.partners, made.programmes)
        store.keep((key(release.digest), release, made.bodies[release]) for release in made.changed)
        self.quick_state = (quick.updated(record, made, walked, walked_at), store)
        current = self._snapshot
        if not made.changed and not current.error:
            return True  # saved without a change: nothing to reload
        files = dict(current.files)
        files.update((file.path, file) for file in made.files)
        self.last_seconds = time.perf_counter() - started
        self.rebuilds += 1
        self.memory.rendered, self.memory.reused = len(made.files), len(files) - len(made.files)
        self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build))
        for warning in made.warnings:  # of the files saved; the others' were said before
            self.report(warning.describe())
        if current.error:
            self.report(FIXED)
            return True
        self.report(f"Rebuilt in {self.last_seconds:.2f} s: only the text of "
                    f"{len(made.changed)} release{'s' if len(made.changed) != 1 else ''} changed; "
                    f"{len(made.files)} page{'s' if len(made.files) != 1 else ''} and feeds made again.")
        return True

    def _at_stage(self, name: str) -> None:
        self.stage = name

    def _other_files(self) -> dict[str, Stat]:
        """What a build reads besides content/: the settings and the site's own templates."""
        found = walk(self.site_dir / "templates")
        settings = self.site_dir / SETTINGS_FILE
        try:
            stat = settings.stat()
            found[str(settings)] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            pass
        return found

    def changed_since_build(self) -> set[Path]:
        """The files that differ from what the last rebuild read: added, removed or changed."""
        now = self._other_files() | walk(self.site_dir / "content")
        before = self.built_from
        return {Path(path) for path in now.keys() | before.keys() if now.get(path) != before.get(path)}

    def announce(self, notice: str) -> None:
        """Say something in the terminal and over the open tab, until the next save."""
        self.notice = notice
        self.report(notice)
        self._publish(self._snapshot)

    def _publish(self, snapshot: Snapshot) -> None:
        snapshot = dataclasses.replace(snapshot, notice=self.notice)
        with self.changed:
            self._snapshot = snapshot
            self.changed.notify_all()


class Session:
    """A running preview: server, watcher and rebuild loop. `stop()` ends all three."""

    def __init__(self, site_dir: Path, host: str, port: int, report: Report,
                 observer_class: Callable[[], Any] = Observer, start: bool = True) -> None:
        """Listen at once (a tab opened during the first build sees its progress); with
        `start`, also make the first build before returning (else call `start()`)."""
        self.preview = Preview(site_dir, host, report)
        self.server = PreviewServer((host, port), self.preview)
        self.preview.port = self.server.server_address[1]
        self.preview.stage = "Starting"
        self.stop_event = threading.Event()
        self.changes = Changes(site_dir.resolve())
        self.watcher = Watcher(site_dir.resolve(), self.changes, report, observer_class)
        self.threads = [threading.Thread(target=self.server.serve_forever, daemon=True,
                                         kwargs={"poll_interval": 0.2})]
        self.threads[0].start()
        if start:
            self.start()

    def start(self) -> None:
        """The first build, then the loop that rebuilds on every save."""
        # Watch first: a save during the first build (long for a large site) is not lost.
        self.watcher.start()
        try:
            self.preview.rebuild(set())
        except Exception as error:  # a bug must not leave a preview that never rebuilds
            self.preview.report(f"presskit failed unexpectedly while building: "
                                f"{type(error).__name__}: {error}")
        loop = threading.Thread(target=self._rebuild_loop, daemon=True)
        self.threads.append(loop)
        loop.start()

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.preview.host)}:{self.preview.port}/"

    def _rebuild_loop(self) -> None:
        while not self.stop_event.is_set():
            embargo = self.preview.next_embargo
            timeout = WATCH_CHECK_SECONDS  # also how soon a watcher in trouble is noticed
            if embargo is not None:  # wake up when an embargo lifts, to show it as published
                timeout = min(timeout, max(0.0, (embargo - datetime.now(UTC)).total_seconds()) + 0.5)
            burst = self.changes.next_burst(timeout, self.stop_event)
            if self.stop_event.is_set():
                break
            try:
                self._catch_up(burst)
            except Exception as error:  # a bug must not end the preview; say it and go on
                self.preview.report(f"presskit failed unexpectedly while rebuilding: "
                                    f"{type(error).__name__}: {error}")

    def _catch_up(self, burst: set[Path] | None) -> None:
        """Rebuild for a burst of saves, for an embargo that lifted, or after lost events."""
        # A watched folder that appeared, went or was replaced is watched anew first: its old
        # watch ending is no loss of events.
        replaced = self.watcher.ensure()
        trouble = self.watcher.trouble()
        if trouble is not None:
            self.preview.announce(f"Some changes to your files may not have been seen: {trouble}. "
                                  "presskit is watching again and has compared your files with its "
                                  "last build, so the preview shows them all.")
            self.watcher.restart()
            burst = (burst or set()) | self.preview.changed_since_build()
        elif replaced:
            burst = (burst or set()) | self.preview.changed_since_build()
        elif burst:
            self.preview.notice = ""
        embargo = self.preview.next_embargo
        if burst or (embargo is not None and embargo <= datetime.now(UTC)):
            self.preview.rebuild(burst or set())

    def stop(self) -> None:
        self.stop_event.set()
        self.changes.wake()
        self.watcher.stop()
        self.server.shutdown()
        self.server.server_close()
        with self.preview.changed:
            self.preview.changed.notify_all()


def _quick_state(environment_key: str, walked: dict[str, Stat], walked_at: float,
                 made: Made) -> tuple[quick.Record, quick.MemoryStore]:
    """What the next rebuild needs to be a quick one: the record and the releases shown."""
    content, graph, bodies = made.content, made.graph, made.site.bodies
    record = quick.make_record(environment_key, None, walked, walked_at, content, graph,
                               made.settings, bodies, {}, {}, len(made.site.files), made.warnings,
                               made.site.alternates)
    store = quick.MemoryStore()
    key = quick.store_key(environment_key, content.partners, content.programmes)
    store.keep((key(release.digest), release, bodies[release]) for release in graph.releases)
    return record, store


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _failure_line(errors: list[Problem]) -> str:
    count = len(errors)
    return (f"The site could not be rebuilt ({count} error{'s' if count != 1 else ''}); "
            "the browser shows the last good version with the message.")
