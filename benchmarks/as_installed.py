"""Run presskit in the benchmarks as `pip install` leaves it: with its bytecode compiled.

A wheel installed by pip has every module compiled; an editable install (a checkout, `pip
install -e .`) compiles each module the first time it is imported and keeps it in
`__pycache__/`, unless the environment sets PYTHONDONTWRITEBYTECODE (this benchmark machine
does, as many container images do): every command then compiles presskit's modules again,
about 0.15 s of each start, which a user's install never pays. The benchmarks measure the
user's: presskit compiled once, and the processes they start allowed to use it.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import presskit


def compiled() -> None:
    """Compile presskit's modules where Python looks for them, and let the processes started
    from here read (and write) bytecode."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(Path(presskit.__file__).parent, quiet=1)
