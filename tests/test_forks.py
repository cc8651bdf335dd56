"""presskit.forks.aside: work on a forked process while this one goes on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from presskit import forks


def test_the_result_comes_back_and_the_process_works_on_what_it_inherited(tmp_path: Path) -> None:
    inherited = {"pages": ["a", "b"]}
    with forks.aside(lambda: (os.getpid(), [page.upper() for page in inherited["pages"]])) as result:
        inherited["pages"].append("c")  # this process's copy: the forked one has its own
        pid, pages = result()
    assert pid != os.getpid()
    assert pages == ["A", "B"]
    assert result() == (pid, pages)  # waited for once
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # and reaped


def test_its_error_is_raised_here_and_one_that_does_not_pickle_is_named() -> None:
    def disk_full() -> None:
        raise OSError(28, "No space left on device", "output/releases/a/index.html")

    with forks.aside(disk_full) as result, pytest.raises(OSError) as raised:
        result()
    assert raised.value.errno == 28 and raised.value.filename == "output/releases/a/index.html"

    class Unpicklable(Exception):
        def __reduce__(self):  # type: ignore[no-untyped-def]
            raise TypeError("no")

    def odd() -> None:
        raise Unpicklable("a lock in it")

    with forks.aside(odd) as result, pytest.raises(RuntimeError, match="a lock in it"):
        result()


def test_a_block_left_without_waiting_stops_the_process(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def forever() -> None:
        started.write_text(str(os.getpid()))
        while True:
            time.sleep(0.05)

    with pytest.raises(KeyError), forks.aside(forever):
        while not started.exists() or not started.read_text():
            time.sleep(0.01)
        raise KeyError("the work here failed")
    pid = int(started.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped


def test_a_process_that_dies_is_an_error_not_a_hang() -> None:
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with forks.aside(killed) as result, pytest.raises(OSError, match="ended early"):
        result()
