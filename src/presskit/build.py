"""The pipeline: settings -> content -> site graph -> rendered files -> output/.

`build` and `check` call these functions; `serve` will too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from presskit.cache import BuildMemory, output_state, remember_build, source_state, up_to_date
from presskit.check import check_links
from presskit.config import Settings, load_settings
from presskit.errors import BuildFailed, Problem, errors_in
from presskit.graph import SiteGraph, build_graph
from presskit.render import RenderedSite, render_site, theme_dirs
from presskit.schema import load_content
from presskit.write import publish

Stage = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    settings: Settings
    graph: SiteGraph
    site: RenderedSite
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    files: int = 0
    files_written: int = 0

    @property
    def page_count(self) -> int:
        return sum(1 for file in self.site.files if file.path.endswith(".html"))


def _quiet(_: str) -> None:
    pass


def make_site(site_dir: Path, *, as_of: datetime | None = None, drafts: bool = False,
              stage: Stage = _quiet, memory: BuildMemory | None = None, preview: bool = False,
              settings: Settings | None = None, workers: int = 1,
              ) -> tuple[Settings, SiteGraph, RenderedSite, list[Problem]]:
    """Everything up to the files of the site, in memory; raises BuildFailed on any error.

    `memory` carries what an earlier build of the same site can lend this one; `preview`
    shows drafts and embargoed releases, marked, for `serve` (never for output/).
    """
    memory = memory or BuildMemory()
    memory.start_build()
    stage("Reading settings")
    settings = settings or load_settings(site_dir)
    stage("Reading content")
    problems: list[Problem] = []
    content = load_content(settings, problems, memory)
    if errors_in(problems):
        raise BuildFailed(problems)
    stage("Linking releases")
    graph = build_graph(content, _aware(as_of, settings), drafts, preview=preview,
                        memo=memory.graph)
    stage("Rendering pages")
    site = render_site(settings, graph, memory, preview, workers)
    memory.finish_build()
    return settings, graph, site, problems


def _aware(as_of: datetime | None, settings: Settings) -> datetime:
    """The moment to build for; one written without an offset is in the site's time zone."""
    if as_of is None:
        return datetime.now(UTC)
    if as_of.tzinfo is not None:
        return as_of
    if settings.timezone is None:
        raise BuildFailed([Problem(
            settings.settings_file, None,
            "--as-of has no time zone offset, and presskit.toml sets no `timezone`",
            "write the offset (--as-of 2026-12-01T09:00+07:00) or set `timezone` in presskit.toml",
        )])
    return as_of.replace(tzinfo=settings.timezone)


def _cores() -> int:
    """How many processes may render: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class UpToDate:
    """What `build` says when nothing it reads has changed since the last build."""

    settings: Settings
    seconds: float
    next_embargo: datetime | None


def build(site_dir: Path, *, as_of: datetime | None = None, drafts: bool = False,
          stage: Stage = _quiet) -> BuildResult | UpToDate:
    started = time.perf_counter()
    settings = load_settings(site_dir)
    check_time = as_of is None  # a build "as of" another moment is always made in full
    state = source_state(site_dir, theme_dirs(settings), ("drafts", drafts))
    if check_time:
        last = up_to_date(site_dir, state, output_state(settings.output_dir), time.time())
        if last is not None:
            embargo = datetime.fromisoformat(last) if last else None
            return UpToDate(settings, time.perf_counter() - started, embargo)
    _, graph, site, warnings = make_site(site_dir, as_of=as_of, drafts=drafts, stage=stage,
                                         workers=_cores(), settings=settings)
    stage("Writing output")
    published = publish(site.files, settings.output_dir)
    if check_time and not warnings:
        embargo = graph.next_embargo
        remember_build(site_dir, state, output_state(settings.output_dir),
                       embargo.timestamp() if embargo else None,
                       embargo.isoformat() if embargo else "")
    return BuildResult(settings, graph, site, time.perf_counter() - started, warnings,
                       published.files, published.written)


def check(site_dir: Path, *, as_of: datetime | None = None, stage: Stage = _quiet) -> BuildResult:
    """What `build` validates, plus every internal link and image; writes nothing."""
    started = time.perf_counter()
    settings, graph, site, warnings = make_site(site_dir, as_of=as_of, stage=stage)
    stage("Checking links")
    problems = check_links(site, settings.base_path)
    if problems:
        raise BuildFailed([*warnings, *problems])
    return BuildResult(settings, graph, site, time.perf_counter() - started, warnings)
