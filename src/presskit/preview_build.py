"""The start of `presskit serve`, in a process of its own: `python -m presskit.preview_build
SITE BASE_URL`.

`serve` runs threads (the web server, the watcher), and a process with threads must not fork
workers; this process has none, so it builds the preview on every core, like `build`. It
builds incrementally into .presskit-cache/preview/ (see build.build_preview): a start on an
unchanged site finds the last preview there and builds nothing. It says how far it got, and
how it ended, in JSON lines on its standard output:

    {"step": "Rendering pages", "done": 1200, "total": 10632}
    {"built": {"next_embargo": "2027-01-15T02:00:00+00:00", "warnings": [problem, ...]}}
    {"failed": [problem, ...]}

A problem is [file, line, message, hint, warning]. Any other end (a bug, a kill) is seen by
`serve` as the process ending without a last line, and `serve` then builds in its own process.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from presskit import learned, quick
from presskit.build import PREVIEW, BuildResult, build_preview, record_data
from presskit.cache import BuildMemory
from presskit.config import load_settings
from presskit.errors import BuildFailed, Problem

PROGRESS_SECONDS = 0.2  # how often progress is said


def problem_data(problem: Problem) -> list[Any]:
    return [str(problem.file) if problem.file else None, problem.line, problem.message,
            problem.hint, problem.warning]


def problem_from(data: list[Any]) -> Problem:
    file, line, message, hint, warning = data
    return Problem(Path(file) if file else None, line, message, hint, warning=bool(warning))


class _Reporter:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.memory: BuildMemory | None = None
        self.said = 0.0

    def line(self, data: dict[str, Any]) -> None:
        self.out.write(json.dumps(data) + "\n")
        self.out.flush()

    def stage(self, name: str) -> None:
        self.line({"step": name, "done": 0, "total": 0})

    def follow(self, memory: BuildMemory) -> None:
        self.memory = memory
        memory.on_progress = self.progress

    def progress(self) -> None:
        now = time.monotonic()
        if self.memory is None or now - self.said < PROGRESS_SECONDS:
            return
        self.said = now
        self.line({"step": self.memory.step, "done": self.memory.done, "total": self.memory.total})


def main(argv: list[str]) -> int:
    site_dir, base_url = Path(argv[0]), argv[1]
    reporter = _Reporter(sys.stdout)
    try:
        settings = dataclasses.replace(load_settings(site_dir), base_url=base_url)
        result = build_preview(site_dir, settings, reporter.stage, reporter.follow)
    except BuildFailed as failure:
        reporter.line({"failed": [problem_data(problem) for problem in failure.problems]})
        return 1
    embargo = result.graph.next_embargo if isinstance(result, BuildResult) else result.next_embargo
    reporter.line({"built": {
        "next_embargo": embargo.isoformat() if embargo else None,
        "warnings": [problem_data(problem) for problem in result.warnings]}})
    if isinstance(result, BuildResult) and reporter.memory is not None:
        _keep_learned(site_dir, result, reporter.memory)  # `serve` serves meanwhile
    return 0


def _keep_learned(site_dir: Path, result: BuildResult, memory: BuildMemory) -> None:
    """Keep what this full build learned of the site, as the preview would hold it (see
    presskit.learned), under the record it wrote: `serve` then takes it back rather than
    learn the site again in its own process."""
    data = record_data(site_dir, PREVIEW)
    record = quick.Record.from_bytes(data) if data is not None else None
    if record is None or result.content is None:
        return  # settings that allow no quick rebuild keep no record
    try:
        state = learned.of_build(record, result.content, result.graph, result.site, memory)
    except Exception:  # what could not be put together is learned again by `serve`
        return
    if state is not None:
        assert data is not None
        learned.keep(site_dir, PREVIEW, data, state)


if __name__ == "__main__":
    from presskit.cli import leave  # out at once: `serve` waits for this process to end

    leave(main(sys.argv[1:]))
