"""Pages a full build has made, kept in files until they are written into output/.

A full build renders every file before it changes output/ (see presskit.write). Held in
memory until then, the pages of a 10,000-release newsroom took more than half a gigabyte; held
here, in a folder beside output/ (on the same disk, so that writing a page into output/ is a
hard link, not a copy), memory keeps only their names. The processes that render pages write
them here themselves. A build in place after a release was added or deleted does the same
with the ~525 pages it shifts at 10,000 releases: sent back to the build's own process and
written from there, they took 0.3-0.65 s to write; written by the workers as they are made
and linked into output/, 0.14-0.23 s. The folder is removed when the build ends, and a folder
left by a build that was killed is removed by the next.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

PREFIX = ".output.pages-"


@dataclass(frozen=True, slots=True)
class Spilled:
    """A page kept in the spill folder: the file that holds its bytes."""

    file: str

    def read(self) -> bytes:
        with open(self.file, "rb") as kept:
            return kept.read()


class Spill:
    """The folder of one build's pages. Each process names its files by its own id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._names = itertools.count()

    @classmethod
    def beside(cls, output_dir: Path) -> Spill | None:
        """A new folder beside output/, after removing any that a killed build left (one
        build of a site at a time: see presskit.lock); None where none can be made (the
        pages are then kept in memory)."""
        parent = output_dir.parent
        for leftover in parent.glob(f"{PREFIX}{output_dir.name}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        try:
            return cls(Path(tempfile.mkdtemp(prefix=f"{PREFIX}{output_dir.name}-", dir=parent)))
        except OSError:
            return None

    def put(self, data: bytes) -> Spilled:
        while True:  # a new file, never one made before (a later worker may get a used id)
            file = f"{self.folder}/{os.getpid()}-{next(self._names)}"
            try:
                descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            with os.fdopen(descriptor, "wb") as kept:
                kept.write(data)
            return Spilled(file)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
