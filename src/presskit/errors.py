"""Problems found in a site's files: values with a location, collected and reported together."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, with where it is and how to fix it."""

    file: Path | None
    line: int | None
    message: str
    hint: str | None = None
    warning: bool = False

    def location(self) -> str:
        if self.file is None:
            return ""
        where = display_path(self.file)
        return f"{where}:{self.line}" if self.line else where

    def describe(self) -> str:
        """The problem as plain text, as printed by `build` and shown by `serve`."""
        label = "warning" if self.warning else "error"
        head = f"{self.location()}: {label}: {self.message}" if self.file else f"{label}: {self.message}"
        return head + (f"\n  hint: {self.hint}" if self.hint else "")


class BuildFailed(Exception):
    """Raised to stop a build; carries every problem found so far."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__(f"{len(self.problems)} problem(s)")


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if not p.warning]


def display_path(path: Path) -> str:
    """A path as the user will recognise it: relative to where they ran the command if possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """File by file, top to bottom, so a report reads like the files."""
    return sorted(problems, key=lambda p: (str(p.file or ""), p.line or 0, p.message))
