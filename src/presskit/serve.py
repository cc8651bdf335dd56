"""`presskit serve`: build, watch, rebuild what changed, and reload the open tab.

The preview builds through the same pipeline as `build` (with drafts and embargoed releases
shown and marked) and never writes output/. It keeps what it made in its own part of the
cache, .presskit-cache/preview/ (see build.build_preview), as `build` keeps output/: the
start builds there in a process of its own, on every core, and finds an unchanged site
already built; rebuilds after saves run here, with what this process keeps in memory, and
leave the cache as they leave the pages served.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchdog.observers import Observer

from presskit import learned, paths, quick, retouch, store
from presskit.build import (
    PREVIEW,
    RECORD,
    Made,
    NextEvent,
    cache_options,
    keep_site,
    last_record,
    make_site,
    preview_folder,
    preview_unchanged,
    record_data,
    stamp_quick,
    write_quick,
)
from presskit.cache import IN_OUTPUT, BuildMemory, Stat, Written, cache_folder, rewalk, source_state, walk
from presskit.config import SETTINGS_FILE, Settings, load_settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.lock import one_build
from presskit.preview_build import problem_from
from presskit.render import OutputFile, builtin_theme, made_later_paths, make_search_entries, theme_dirs
from presskit.server import PreviewServer, Snapshot
from presskit.text import new_release_line
from presskit.watch import Changes, Watcher

WATCH_CHECK_SECONDS = 1.0
# A notice stays over the page at least this long: the saves that follow lost events at once (the
# rest of a checkout, say) would otherwise take it away before anyone could read it.
NOTICE_SECONDS = 5.0
TELL_TABS_SECONDS = 0.25  # how long a move's search index and sitemap wait for the tabs' reload
KEEP_AFTER_QUIET_SECONDS = 3.0  # saves paused this long: the site served is kept for the next start
# Saves paused this long: what the preview learned of the site is kept for the next start too
# (see presskit.learned: 57 MB at 10,000 releases, not written at every pause).
LEARN_AFTER_QUIET_SECONDS = 10.0
FIXED = "Fixed: the site is up to date again."

Report = Callable[[str], None]


class Preview:
    """The site as served: the last complete build, and the error of the last try, if any."""

    def __init__(self, site_dir: Path, host: str, report: Report) -> None:
        self.site_dir = site_dir
        self.host = host
        self.port = 0
        self.report = report
        self.memory = BuildMemory(search_entries={})
        self.changed = threading.Condition()
        self._snapshot = Snapshot(files={}, build=0)
        self.rebuilds = 0
        self.next_embargo: datetime | None = None
        self.last_seconds = 0.0
        self.quick_state: tuple[quick.Record, quick.Store] | None = None
        self.kept: retouch.KeptSite | None = None  # the site served, for card edits
        self.built_from: dict[str, Stat] = {}  # the files as the last rebuild found them
        self.walked: dict[str, Stat] | None = None  # those of content/
        self.links: set[str] = set()  # the symbolic links among them (see cache.rewalk)
        self.notice = ""  # said over the page, e.g. that file events were lost
        self.noticed_at = 0.0  # time.monotonic() when it was said
        self.shown: set[str] | None = None  # the releases of the last build, to name new ones
        self.stage = ""  # what the build under way is doing, while no build has succeeded yet
        self.done = self.total = 0  # how far that stage got
        self.child: subprocess.Popen[str] | None = None  # the start's own process, while it runs
        self.stopping = False
        self.warm = False  # memory holds the site (an in-process build was made)
        # The next event of a site served but not yet kept (see keep_when_quiet).
        self.unkept: tuple[Any] | None = None
        self.rebuilt_at = 0.0  # time.monotonic() of the last rebuild
        # A quick rebuild was kept while a save was too recent to trust: stamped at the next pause.
        self.unstamped = False
        self.tabs: dict[int, int] = {}  # each open tab's event stream: the last build it told of
        # The quick state whose site was kept with what the preview learned of it (see
        # keep_learned_when_quiet), taken back at the start or kept since.
        self.learned_for: object = None
        self.quick_last = False  # whether the last rebuild was a quick one (see _quick)
        self.catching_up = False  # a start makes again what changed: the kept site is not served
        self.entries_made = False  # every search entry of the site served is in memory

    # -- what the server asks -----------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The site as served: nothing yet while a start catches up (see _caught_up)."""
        return _NOTHING if self.catching_up else self._snapshot

    def wait_for_change(self, build: int, error: str, notice: str, timeout: float) -> Snapshot:
        with self.changed:
            self.changed.wait_for(lambda: (self.snapshot().build, self.snapshot().error,
                                           self.snapshot().notice) != (build, error, notice), timeout)
            return self.snapshot()

    def whole(self, build: int, timeout: float) -> Snapshot:
        """The site once the files this build makes after its pages are made (see
        _pages_first), or a later build; as it is after the timeout."""
        with self.changed:
            self.changed.wait_for(lambda: (not self.snapshot().later or self.snapshot().build != build
                                           or self.stopping), timeout)
            return self.snapshot()

    def told(self, stream: int, build: int | None) -> None:
        """An open tab's event stream told it of this build (None: the tab went)."""
        with self.changed:
            if build is None:
                self.tabs.pop(stream, None)
            else:
                self.tabs[stream] = build
            self.changed.notify_all()

    def wait_until_told(self, build: int, timeout: float) -> None:
        """Until every open tab has been told of this build (its reload under way), or the
        timeout: what runs next in this process would otherwise keep the event from going."""
        with self.changed:
            self.changed.wait_for(lambda: all(told >= build for told in self.tabs.values()), timeout)

    def progress(self) -> str:
        """While the first build runs: what it is doing, e.g. "Rendering pages: 1,204 of
        10,512"; empty once the site is served."""
        if self.snapshot().files or not self.stage:
            return ""
        if self.total:
            return f"{self.stage}: {self.done:,} of {self.total:,}"
        return self.stage

    def fraction(self) -> tuple[str, int, int]:
        """The stage under way, with how far it got (for the terminal's progress bar)."""
        return self.stage, self.done, self.total

    def allowed_roots(self) -> tuple[Path, ...]:
        return (self.site_dir.resolve(), builtin_theme().resolve(), preview_folder(self.site_dir).resolve())

    def status(self) -> dict[str, object]:
        snapshot = self.snapshot()
        return {"build": snapshot.build, "rebuilds": self.rebuilds, "error": snapshot.error,
                "rendered": self.memory.rendered, "reused": self.memory.reused,
                "seconds": round(self.last_seconds, 4), "files": len(snapshot.files),
                "notice": snapshot.notice}

    # -- building -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}/"

    def settings(self) -> Settings:
        """The site's settings, with base_url pointing at this preview, and its output in the
        preview's part of the cache."""
        settings = load_settings(self.site_dir)
        return dataclasses.replace(settings, base_url=self.base_url, output=preview_folder(self.site_dir))

    # -- the start ------------------------------------------------------------------

    def start(self) -> None:
        """The first build: in a process of its own, from what the last preview kept; in this
        one if that process gives no site (its failure is reported as any build's)."""
        if not self._start_elsewhere():
            self.rebuild(set())

    def _start_elsewhere(self) -> bool:
        started = time.perf_counter()
        walked = self._walk(None)
        self.built_from = self._other_files() | walked
        try:
            unchanged = preview_unchanged(self.site_dir, self.settings(), walked)
        except BuildFailed:
            unchanged = None
        if unchanged is not None:  # as the last preview left it: serve that at once
            self.report("Started from the last preview, kept in .presskit-cache/preview/: "
                        "nothing has changed since.")
            self._served_from_cache(unchanged.next_embargo, unchanged.warnings, started)
            return True
        if self._caught_up(walked):
            return True
        end: dict[str, Any] | None = None
        with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
            try:
                self.child = subprocess.Popen(
                    [sys.executable, "-m", "presskit.preview_build", str(self.site_dir), self.base_url],
                    stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL,
                    text=True, encoding="utf-8")
            except OSError:
                return False
            assert self.child.stdout is not None
            for line in self.child.stdout:
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if isinstance(data, dict) and "step" in data:
                    self.stage, self.done, self.total = str(data["step"]), data["done"], data["total"]
                elif isinstance(data, dict):
                    end = data
                    if "built" in data:
                        break  # served now; it goes on to keep what it learned (see recall)
            said: list[str] = []
            if end is None or "built" not in end:
                self.child.wait()
                self.child = None
                errors.seek(0)
                said = errors.read().strip().splitlines()
        if self.stopping:
            return True
        if end is None or not ("built" in end or "failed" in end):
            last = said[-1] if said else "it ended without a word"
            self.report(f"presskit failed unexpectedly while starting the preview ({last}); "
                        "building it in this process instead.")
            return False
        if "failed" in end:
            self._failed([problem_from(problem) for problem in end["failed"]], self._snapshot)
            return True
        built = end["built"]
        embargo = datetime.fromisoformat(built["next_embargo"]) if built["next_embargo"] else None
        self._served_from_cache(embargo, [problem_from(warning) for warning in built["warnings"]], started)
        return True

    def _caught_up(self, walked: dict[str, Stat]) -> bool:
        """A start on a site changed since the last preview kept it: take back what that
        preview learned (see `recall`) and make again here what changed since, as a save
        would (a card edit, a move, or the site rendered again in memory), before anything is
        served. False when nothing was learned for the kept preview, or when its settings or
        templates changed: the start's own process builds what changed."""
        kept = _files_in(preview_folder(self.site_dir))
        if not kept:
            return False
        self.catching_up = True
        try:
            self._snapshot = Snapshot(files=kept, build=1)  # what the rebuild starts from
            if not self.recall():
                self._forget()
                return False
            record = self.quick_state[0] if self.quick_state is not None else None
            assert record is not None
            changed = _differing(walked, record.files)
            count = len(changed)
            self.report(f"Started from the last preview, kept in .presskit-cache/preview/: {count} "
                        f"file{'s' if count != 1 else ''} changed since, made again.")
            self.rebuild({Path(path) for path in changed})
        except Exception as error:  # a bug: the start's own process builds it, as before
            self.report(f"presskit failed unexpectedly while catching up ({type(error).__name__}: "
                        f"{error}); building the preview in full instead.")
            self._forget()
            return False
        finally:
            self.catching_up = False
        with self.changed:
            self.changed.notify_all()  # the site, caught up (or its error), to any tab waiting
        if self.quick_last and not self._snapshot.error:
            # Said for the files that changed; the others' as the last preview found them.
            for warning in record.problems():
                if warning.file is None or str(warning.file) not in changed:
                    self.report(warning.describe())
        return True

    def _forget(self) -> None:
        """Back to what a start knows before it has built or learned anything."""
        self._snapshot = Snapshot(files={}, build=0)
        self.memory = BuildMemory(search_entries={})
        self.kept, self.quick_state, self.shown, self.learned_for = None, None, None, None
        self.entries_made = False
        self.warm, self.unkept, self.unstamped = False, None, False

    def _served_from_cache(self, next_embargo: datetime | None, warnings: list[Problem],
                           started: float) -> None:
        self.next_embargo = next_embargo
        for warning in warnings:
            self.report(warning.describe())
        self.last_seconds = time.perf_counter() - started
        self._publish(Snapshot(files=_files_in(preview_folder(self.site_dir)), build=1))

    def rebuild(self, changed: set[Path], warming: bool = False, seen: set[Path] | None = None) -> None:
        """Build through the same pipeline as `build`; swap in the result only if it is whole.
        When only the words of releases changed, only their pages and feeds are made again.
        `warming`: the first build in this process after the start's own process made the
        site; the tab reloads only if it finds something new. `seen`: every path that events
        named since the last rebuild (temporary files too), when those are all that can have
        changed: only they are looked at again (None: every file is)."""
        started = time.perf_counter()
        current = self._snapshot
        before = self.quick_state[0] if self.quick_state is not None else None
        walked_at = time.time()  # files are looked at before they are read
        walked = self._walk(seen)
        self.built_from = self._other_files() | walked
        try:
            settings = self.settings()
            themes = [walk(folder) for folder in theme_dirs(settings)]
            options = cache_options(settings, preview=True)
            environment_key = quick.environment(settings, themes, options)
            state = source_state(settings.settings_file, walked, themes, options)
            self.quick_last = bool(changed) and self._quick(settings, environment_key, state, walked,
                                                            walked_at, started)
            if self.quick_last:
                return
            record = None
            if not self.warm:  # lend what the last preview kept
                record = last_record(self.site_dir, settings, PREVIEW)
                if record is not None:
                    quick.restore(settings, self.memory, record, walked,
                                  store.ReleaseStore(self.site_dir, PREVIEW), environment_key)
            elif self.quick_state is not None:
                self._lend_held(settings, walked)
            self.memory.files_total = len(walked)
            self.memory.on_progress = self._progressed
            if current.files:  # the search index is updated from the one served, whose
                # entries its record knows by their keys (those a quick rebuild made again, by
                # none): the last rebuild's, or at the start the kept preview's (served as is)
                known = before if before is not None else record
                self.memory.written = Written(None, current.made, known.cards if known is not None else {},
                                              current.files)
            self.memory.shows = {}  # the releases each page shows, for card edits
            made = make_site(self.site_dir, as_of=datetime.now(UTC), memory=self.memory, preview=True,
                             settings=settings, stage=self._at_stage,
                             later=self._pages_served_first(current, warming))
        except BuildFailed as failure:  # the quick state still describes the pages served
            self.memory.shows = None
            self._failed(failure.problems, current)
            return
        shows, self.memory.shows = self.memory.shows or {}, None
        self.kept = retouch.KeptSite.built(made.content, made.graph, made.site, shows)
        self.warm = True
        self.last_seconds = time.perf_counter() - started
        self.next_embargo = made.graph.next_embargo
        if made.site.later is not None:
            made = self._pages_first(made, changed, current)
        files = {file.path: file for file in made.site.files}
        shown = {str(release.source) for release in made.graph.releases}
        if (warming and record is not None and not current.error and self.memory.rendered == 0
                and files.keys() == current.files.keys()):
            # The site the start's process made and kept, page for page: serve it from there.
            self.quick_state = (record, learned.memory_store(environment_key, made.content, made.graph,
                                                      made.site.bodies))
            self.shown = shown
            self.kept.shown_on.turned()
            return
        self._published(made, files, changed, current)
        self.shown = shown
        self.quick_state = None
        if environment_key:  # after the tab has its pages: not in the wait
            self.quick_state = _quick_state(environment_key, walked, walked_at, made, self.memory, before)
            self.kept.shown_on.turned()  # for the card edits to come
            event = NextEvent.of(made.graph)
            self.unkept = (event.as_data() if event else None,)

    def _pages_served_first(self, current: Snapshot, warming: bool) -> bool:
        """Whether a full rebuild serves its pages before its search index and sitemap: when
        a site is served and a tab may show it (not while a start catches up, serving
        nothing; nor a warming rebuild or one after an error, which serve it whole)."""
        return bool(current.files) and not current.error and not warming and not self.catching_up

    def _pages_first(self, made: Made, changed: set[Path], current: Snapshot) -> Made:
        """Serve a full rebuild's pages at once, with the search index and sitemap served
        until then (the tab reloads), then make those (0.25 s at 10,000 releases, more when
        the index is made whole): the whole site, served as the same build."""
        assert made.site.later is not None
        later = made_later_paths(made.graph)
        files = {file.path: file for file in made.site.files}
        files |= {path: file for path, file in current.files.items()
                  if path not in files and path.startswith(later)}
        self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build,
                               css_only=_css_only(changed), later=later))
        self.wait_until_told(current.build + 1, TELL_TABS_SECONDS)
        try:
            return made._replace(site=made.site.later())
        except Exception:  # a bug: said by the rebuild loop; the pages served are this
            self.quick_state = None  # rebuild's, the rest not: the next save builds in full
            self._publish(dataclasses.replace(self._snapshot, later=()))  # no request waits on
            raise

    def _lend_held(self, settings: Settings, walked: dict[str, Stat]) -> None:
        """Lend a full rebuild the checked releases held for quick rebuilds when the memory
        does not know the files they were read from: what a start took back (see `recall`)
        when the build that learned the site read the releases on every core. Otherwise this
        rebuild would read and check every release again (4 s at 10,000 releases, in the wait
        of the first new release after a start)."""
        assert self.quick_state is not None
        record, held = self.quick_state
        files = self.memory.files
        # It knows them all or none: a few are asked (looking for 10,000 took 0.05 s).
        if any(Path(source) not in files for source in itertools.islice(record.releases, 3)):
            quick.lend_releases(settings, self.memory, record, walked, held)

    def _published(self, made: Made, files: dict[str, OutputFile], changed: set[Path],
                   current: Snapshot) -> None:
        """Serve a full rebuild's files, and say what it did."""
        self.rebuilds += 1
        for warning in made.warnings:
            self.report(warning.describe())
        self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build,
                               css_only=_css_only(changed)))
        if self.shown is not None:
            for release in made.graph.releases:
                if str(release.source) not in self.shown:
                    self.report(new_release_line(release, made.graph))
        if current.error:
            self.report(FIXED)
        elif current.build:
            self.report(f"Rebuilt in {self.last_seconds:.2f} s: {self.memory.rendered} "
                        f"page{'s' if self.memory.rendered != 1 else ''} made again, "
                        f"{self.memory.reused} unchanged.")

    def keep_when_quiet(self) -> None:
        """Once saves have paused (KEEP_AFTER_QUIET_SECONDS), leave the site served in the
        preview's part of the cache for the next start, and serve it from there rather than
        from memory. Not in the wait of any save: writing 10,000 pages takes seconds. A site
        kept already by quick rebuilds while a save was too recent to trust is stamped as up to
        date for the files as they are now."""
        if ((self.unkept is None and not self.unstamped) or self.quick_state is None
                or self._snapshot.error or time.monotonic() - self.rebuilt_at < KEEP_AFTER_QUIET_SECONDS):
            return
        record, kept = self.quick_state
        if self.unkept is not None and not isinstance(kept, quick.MemoryStore):
            return
        settings = self.settings()
        walked = walk(settings.content_dir)
        if self._other_files() | walked != self.built_from:
            return  # a save is on its way: its rebuild comes first
        themes = [walk(folder) for folder in theme_dirs(settings)]
        state = source_state(settings.settings_file, walked, themes, cache_options(settings, preview=True))
        if not state:
            return  # saved too recently to be told apart from a later save: kept at the next pause
        if self.unkept is None:
            try:
                with one_build(self.site_dir, lambda: None, PREVIEW):
                    stamp_quick(self.site_dir, state, record, PREVIEW)
            except OSError:
                return  # the next start builds what changed
            self.unstamped = False
            return
        (event,), folder = self.unkept, settings.output_dir
        assert isinstance(kept, quick.MemoryStore)
        try:
            try:
                with one_build(self.site_dir, lambda: None, PREVIEW):
                    cache_folder(self.site_dir, PREVIEW)
                    record = keep_site(self.site_dir, state, record, self._snapshot.files.values(),
                                       kept.releases.values(), event, folder, PREVIEW)
            except (OSError, BuildFailed) as error:  # not kept: the next start builds again
                self.report(f"The preview could not be kept for the next start: {error}")
                return
            on_disk = {path: OutputFile(path, source=folder / path) for path in self._snapshot.files}
            self.memory.pages = {path: (digest, IN_OUTPUT) for path, (digest, _) in self.memory.pages.items()}
            self._publish(dataclasses.replace(self._snapshot, files=on_disk))
            self.quick_state = (record, kept)
        finally:
            # Said kept once it is (or once it failed, not to be tried again): a start that
            # follows a stop, once the last preview said so, finds all of it kept.
            self.unkept, self.unstamped = None, False

    def keep_learned_when_quiet(self) -> None:
        """Once saves have paused (LEARN_AFTER_QUIET_SECONDS) and the site served is kept,
        keep what this preview learned of it (see presskit.learned), so that the next start
        on the same files need not learn it again. Kept under the record on disk, and only
        when that record is the one this preview holds."""
        state = self.quick_state
        if (state is None or state is self.learned_for or self.kept is None or self.unkept is not None
                or self.unstamped or self._snapshot.error
                or time.monotonic() - self.rebuilt_at < LEARN_AFTER_QUIET_SECONDS):
            return
        record, releases = state
        data = record_data(self.site_dir, PREVIEW)
        on_disk = quick.Record.from_bytes(data) if data is not None else None
        if (on_disk is not None and isinstance(releases, quick.MemoryStore)
                and (on_disk.releases, on_disk.pages, on_disk.files)
                == (record.releases, record.pages, record.files)):
            assert data is not None
            learned.keep(self.site_dir, PREVIEW, data, learned.Learned.of(
                self.kept, releases, self.shown or set(), self.next_embargo, self.memory))
        self.learned_for = state  # tried once for this state, kept or not

    def make_search_entries_when_quiet(self, busy: Callable[[], bool]) -> None:
        """While saves pause, make the search entries that a start which took back what the
        last preview learned left out (see presskit.learned), a release at a time, stopping as
        soon as `busy` says a save came (it is made first; the rest waits for the next pause).
        Without them, the first search index made anew (many releases changed or moved, see
        search.index_from) made them all after the tab's reload: about 3.5 s at 10,000 releases in
        two languages, which a save made then waited for."""
        if self.entries_made or not self.warm or self.kept is None or self._snapshot.error:
            return
        self.entries_made = make_search_entries(self.settings(), self.kept.newsroom, self.memory,
                                                self.kept.prints, busy)

    def recall(self) -> bool:
        """At a start served from the kept preview: take back what the preview learned of that
        site when it kept it (see presskit.learned) rather than learn it again, as the warming
        rebuild would, from the same record. False if it was not kept for this record."""
        if self.child is not None:  # the start's own process, keeping what it learned
            self.child.wait()
            self.child = None
        current = self._snapshot
        if self.warm or current.error or not current.files:
            return False
        settings = self.settings()
        data = record_data(self.site_dir, PREVIEW)
        record = last_record(self.site_dir, settings, PREVIEW, data) if data is not None else None
        if record is None or data is None:
            return False
        themes = [walk(folder) for folder in theme_dirs(settings)]
        environment_key = quick.environment(settings, themes, cache_options(settings, preview=True))
        if not environment_key or record.environment != environment_key:
            return False
        state = learned.recall(self.site_dir, PREVIEW, data)
        if state is None:
            return False
        state.into(self.memory)
        # As quick.restore lends them: the pages' fingerprints, the kept cards, the search
        # index served (its entries known by their keys).
        self.memory.pages = {path: (digest, IN_OUTPUT) for path, digest in record.pages.items()
                             if paths.output_file(path) in current.files}
        self.memory.kept_fragments = store.ReleaseStore(self.site_dir, PREVIEW).kept_cards()
        self.memory.written = Written(None, current.made, record.cards, current.files)
        self.kept, self.shown = state.kept, set(state.shown)
        self.next_embargo = state.next_embargo
        self.quick_state = self.learned_for = (record, state.releases)
        self.kept.shown_on.turned()
        self.warm = True
        return True

    def _progressed(self) -> None:
        self.stage, self.done, self.total = self.memory.step, self.memory.done, self.memory.total

    def _failed(self, problems: list[Problem], current: Snapshot) -> None:
        errors = errors_in(problems)
        text = "\n".join(problem.describe() for problem in problems)
        self.report(_failure_line(errors))
        for problem in problems:
            self.report(problem.describe())
        self._publish(dataclasses.replace(current, error=text or "The build failed."))

    def _quick(self, settings: Settings, environment_key: str, state: str, walked: dict[str, Stat],
               walked_at: float, started: float) -> bool:
        """A quick rebuild (see presskit.quick) if the changes allow one; False otherwise."""
        if self.quick_state is None or not environment_key:
            return False
        record, kept = self.quick_state
        now = datetime.now(UTC)
        if (record.environment != environment_key
                or (record.next_change is not None and now.timestamp() >= record.next_change)):
            return False
        changed = quick.changed_files(record, walked)
        if changed is None:  # a file added or removed: a release written or deleted?
            edited = retouch.file_added_or_removed(settings, record, walked, self.kept, preview=True,
                                                   memory=self.memory) if self.kept is not None else None
            if edited is None:
                return False
            made, self.kept = edited
        else:
            made = quick.quick_rebuild(settings, record, changed, kept, as_of=now, preview=True,
                                       memory=self.memory, read=self._snapshot.made)
            if made is not None and made.changed and self.kept is not None:
                self.kept = self.kept.with_edits(made.changed, made.bodies)
            elif made is None and self.kept is not None:  # titles or summaries changed, in place?
                edited = retouch.card_edit(settings, record, changed, self.kept, preview=True,
                                           memory=self.memory, read=self._snapshot.made,
                                           served=self._snapshot.files)
                if edited is not None:
                    made, self.kept = edited
        if made is None:
            return False
        if isinstance(kept, quick.MemoryStore):
            key = quick.store_key(record.environment, made.partners, made.programmes)
            kept.keep((key(release.digest), release, made.bodies[release]) for release in made.changed)
        if made.moved:
            return self._moved(settings, record, kept, made, environment_key, walked, walked_at, started)
        current = self._snapshot
        if made.photos_later is not None:  # the pages first (the tab reloads), then the photo's
            # files, which a request for one waits for: the same build
            pending, make = made.photos_later
            self._publish(Snapshot(files=_served_after(current, made), build=current.build + 1,
                                   previous=current.build, later=pending))
            self.wait_until_told(current.build + 1, TELL_TABS_SECONDS)
            photos = make()
            if photos is None:
                self._publish(dataclasses.replace(self._snapshot, later=()))  # no request waits on
                return False  # the full rebuild follows, and says why
            made = dataclasses.replace(made, files=[*made.files, *photos], photos_later=None)
        now_record = quick.updated(record, made, walked, walked_at)
        self.quick_state = (now_record, kept)
        if made.changed or made.media_alone or current.error:
            files = _served_after(current, made)
            self.last_seconds = time.perf_counter() - started
            self.rebuilds += 1
            self.memory.rendered, self.memory.reused = len(made.files), len(files) - len(made.files)
            self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build))
            for warning in made.warnings:  # of the files saved; the others' were said before
                self.report(warning.describe())
            if current.error:
                self.report(FIXED)
            elif made.media_alone:  # a file of content/media/ that nothing shows yet
                self.report(f"Rebuilt in {self.last_seconds:.2f} s: a file of content/media/ "
                            + ("added, which no release shows yet" if made.files
                               else "removed, which no release showed")
                            + "; nothing else changed.")
            elif made.shapes:
                self.report(f"Rebuilt in {self.last_seconds:.2f} s: {_releases(len(made.changed))} "
                            f"changed in place (title, summary, text or photos); {len(made.files)} "
                            f"page{'s' if len(made.files) != 1 else ''}, feeds and search files "
                            "made again.")
            else:
                self.report(f"Rebuilt in {self.last_seconds:.2f} s: only the text of "
                            f"{_releases(len(made.changed))} changed; {len(made.files)} "
                            f"page{'s' if len(made.files) != 1 else ''} and feeds made again.")
        if self.unkept is None and record.output is not None:
            # The preview's part of the cache holds the site: it keeps up with this edit.
            # Said before the pages are written: whoever sees them kept sees the stamp owed.
            self.unstamped = not state
            try:
                with one_build(self.site_dir, lambda: None, PREVIEW):
                    write_quick(self.site_dir, settings, record, now_record, made, state,
                                store.ReleaseStore(self.site_dir, PREVIEW), PREVIEW)
            except (OSError, BuildFailed):
                self.unstamped = False
                store.forget(self.site_dir, RECORD, PREVIEW)  # the next start builds in full
        return True

    def _moved(self, settings: Settings, record: quick.Record, kept: quick.Store, made: quick.Quick,
               environment_key: str, walked: dict[str, Stat], walked_at: float, started: float) -> bool:
        """Serve a move, or a release added or removed (see presskit.retouch): its pages and
        feeds at once (the tab reloads), then the pages it left for later, its search indexes
        and the sitemap (the same build: no second reload; a request for one of those waits for
        them), then what the next edits need: the record found again, and the site kept at the
        next pause."""
        assert self.kept is not None
        current = self._snapshot
        files = _served_after(current, made)
        self.last_seconds = time.perf_counter() - started
        later = (*made_later_paths(self.kept.newsroom), *sorted(paths.output_file(p) for p in made.later))
        self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build, later=later))
        self.wait_until_told(current.build + 1, TELL_TABS_SECONDS)
        try:
            rest, cards, emptied = retouch.finish_move(settings, record, self.kept, self.memory,
                                                       moved=made.moved, remade=made.digests,
                                                       later=made.later, preview=True,
                                                       read=self._snapshot.made, served=files)
        except Exception as error:
            self._publish(dataclasses.replace(self._snapshot, later=()))  # no request waits on
            if isinstance(error, (BuildFailed, LookupError)):
                return False  # the full rebuild follows
            self.quick_state = None  # a bug, said by the rebuild loop: the next save builds in full
            raise
        files = files | {file.path: file for file in rest}
        for path in emptied:
            del files[path]
        self._publish(Snapshot(files=files, build=current.build + 1, previous=current.build))
        self.rebuilds += 1
        self.memory.rendered = len(made.files) + len(rest)
        self.memory.reused = len(files) - self.memory.rendered
        for warning in made.warnings:  # of the files saved; the others' were said before
            self.report(warning.describe())
        written = [release for release in made.changed if str(release.source) not in record.releases]
        if self.shown is not None:
            self.shown -= set(made.deleted)
            for release in written:
                self.shown.add(str(release.source))
                self.report(new_release_line(release, self.kept.newsroom.graph_of(release)))
        if current.error:
            self.report(FIXED)
        else:
            what = ("a new release" if written else "a release deleted" if made.deleted else
                    f"{_releases(len(made.changed))} moved in the site (a new date or other partners)")
            then = "list, search and sitemap files" if made.later else "search and sitemap files"
            self.report(f"Rebuilt in {self.last_seconds:.2f} s: {what}; {len(made.files)} pages and feeds "
                        f"made again, then {len(rest)} {then} "
                        f"({time.perf_counter() - started:.2f} s in all).")
        # Not in the wait of the tab: links, feeds and search numbers found again for the next
        # edits, and the site kept at the next pause, as after a full rebuild.
        store = kept if isinstance(kept, quick.MemoryStore) else learned.memory_store(
            environment_key, self.kept.content, self.kept.newsroom, self.kept.bodies)
        pages = {path: digest for path, (digest, _) in self.memory.pages.items()}
        self.quick_state = (quick.after_move(record, made, self.kept.newsroom, settings, walked, walked_at,
                                             self.kept.alternates, pages, cards, len(files)), store)
        self.kept.shown_on.turned()
        event = NextEvent.of(self.kept.newsroom)
        self.unkept, self.unstamped = (event.as_data() if event else None,), False
        return True

    def _at_stage(self, name: str) -> None:
        self.stage = name

    def _walk(self, seen: set[Path] | None) -> dict[str, Stat]:
        """The files of content/ now: those the last walk found, with `seen` looked at again,
        or (None) every one."""
        content = self.site_dir / "content"
        if seen is not None and self.walked is not None:
            self.walked = rewalk(self.walked, content, seen, self.links)
        else:
            links: list[str] = []
            self.walked = walk(content, links)
            self.links = set(links)
        return self.walked

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
        return {Path(path) for path in _differing(now, self.built_from)}

    def announce(self, notice: str) -> None:
        """Say something in the terminal and over the open tab, until a save made at least
        NOTICE_SECONDS later."""
        self.notice = notice
        self.noticed_at = time.monotonic()
        self.report(notice)
        self._publish(self._snapshot)

    def _publish(self, snapshot: Snapshot) -> None:
        self.rebuilt_at = time.monotonic()
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
            self.preview.start()
            if not self.preview.warm and not self.stop_event.is_set() and not self.preview.recall():
                # Learn the site in this process, for quick rebuilds (the tab has it already).
                self.preview.rebuild(set(), warming=True)
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
                if burst is None:
                    learned.settle()  # after a start that took back what it learned: saves paused
                    self.preview.keep_when_quiet()
                    self.preview.keep_learned_when_quiet()
                    self.preview.make_search_entries_when_quiet(
                        lambda: self.stop_event.is_set() or self.changes.pending())
            except Exception as error:  # a bug must not end the preview; say it and go on
                self.preview.report(f"presskit failed unexpectedly while rebuilding: "
                                    f"{type(error).__name__}: {error}")

    def _catch_up(self, burst: set[Path] | None) -> None:
        """Rebuild for a burst of saves, for an embargo that lifted, or after lost events."""
        # A watched folder that appeared, went or was replaced is watched anew first: its old
        # watch ending is no loss of events.
        replaced = self.watcher.ensure()
        trouble = self.watcher.trouble()
        seen: set[Path] | None = burst or set()
        if trouble is not None:
            self.preview.announce(f"Some changes to your files may not have been seen: {trouble}. "
                                  "presskit is watching again and has compared your files with its "
                                  "last build, so the preview shows them all.")
            self.watcher.restart()
            burst, seen = (burst or set()) | self.preview.changed_since_build(), None
        elif replaced:
            burst, seen = (burst or set()) | self.preview.changed_since_build(), None
        elif burst and time.monotonic() - self.preview.noticed_at >= NOTICE_SECONDS:
            self.preview.notice = ""
        embargo = self.preview.next_embargo
        if burst or (embargo is not None and embargo <= datetime.now(UTC)):
            if seen is not None:
                seen = seen | self.changes.take_temporary()
            self.preview.rebuild(burst or set(), seen=seen)

    def stop(self) -> None:
        self.stop_event.set()
        self.preview.stopping = True
        child = self.preview.child
        if child is not None:  # the start's own process: ours, by its pid
            child.terminate()
        self.changes.wake()
        self.watcher.stop()
        self.server.shutdown()
        self.server.server_close()
        with self.preview.changed:
            self.preview.changed.notify_all()


_NOTHING = Snapshot(files={}, build=0)  # what is served before the first build


def _quick_state(environment_key: str, walked: dict[str, Stat], walked_at: float,
                 made: Made, memory: BuildMemory,
                 before: quick.Record | None) -> tuple[quick.Record, quick.MemoryStore]:
    """What the next rebuild needs to be a quick one: the record (of no folder until the site
    is kept) and the releases shown. `before`, the record of the site this build replaces,
    lends the shapes of the releases that did not change."""
    pages = {path: digest for path, (digest, _) in memory.pages.items()}
    record = quick.make_record(environment_key, None, walked, walked_at, made.content, made.graph,
                               made.settings, made.site.bodies, pages, memory.graph,
                               len(made.site.files), made.warnings, made.site.alternates,
                               before=before, cards=memory.search_cards)
    return record, learned.memory_store(environment_key, made.content, made.graph, made.site.bodies)


def _css_only(changed: set[Path]) -> bool:
    """Whether the files saved are style sheets alone (the tab swaps them in, no reload)."""
    files_changed = [p for p in changed if p.suffix]  # folders have none
    return bool(files_changed) and all(p.suffix == ".css" for p in files_changed)


def _differing(now: dict[str, Stat], before: dict[str, Stat]) -> set[str]:
    """The files added, removed or changed (by their state) between two walks."""
    return {path for path in now.keys() | before.keys() if now.get(path) != before.get(path)}


def _served_after(current: Snapshot, made: quick.Quick) -> dict[str, OutputFile]:
    """The files served, with those a quick rebuild made in place of theirs and those it
    removed gone."""
    files = dict(current.files)
    files.update((file.path, file) for file in made.files)
    for path in made.removed:
        files.pop(path, None)
    return files


def _files_in(folder: Path) -> dict[str, OutputFile]:
    """The files of a site written into a folder, served from there."""
    start = len(str(folder)) + 1
    return {path[start:].replace("\\", "/"): OutputFile(path[start:].replace("\\", "/"), source=Path(path))
            for path in walk(folder)}


def _releases(count: int) -> str:
    return f"{count} release{'s' if count != 1 else ''}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _failure_line(errors: list[Problem]) -> str:
    count = len(errors)
    return (f"The site could not be rebuilt ({count} error{'s' if count != 1 else ''}); "
            "the browser shows the last good version with the message.")
