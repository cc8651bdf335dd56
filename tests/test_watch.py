"""`presskit serve` keeps hearing saves: it watches only what a build reads, with the real
watcher, and catches up when the system loses events (overflow, limits, a dead thread)."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import release
from presskit.serve import Session
from presskit.watch import _watched_inodes
from test_serve import get, small_site, status, wait_for

NOTICE = "may not have been seen"


@contextlib.contextmanager
def kernel_setting(name: str, value: int) -> Iterator[None]:
    """Set /proc/sys/fs/inotify/NAME for the duration (root only; skipped elsewhere)."""
    path = Path("/proc/sys/fs/inotify") / name
    try:
        old = path.read_text()
        path.write_text(str(value))
    except OSError:
        pytest.skip(f"cannot set fs.inotify.{name} here (needs root on Linux)")
    try:
        yield
    finally:
        path.write_text(old)


@contextlib.contextmanager
def holding_every_thread(seconds: float) -> Iterator[None]:
    """Run the body, then keep every other thread of this process from running until `seconds`
    have passed since the start: this thread keeps Python's lock, asking for no syscall."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(seconds * 10)  # no thread waiting for the lock takes it meanwhile
    try:
        end = time.monotonic() + seconds
        yield
        while time.monotonic() < end:
            pass
    finally:
        sys.setswitchinterval(interval)


def serve(site: Path) -> Session:
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    running.lines = lines  # type: ignore[attr-defined]
    return running


def retitle(site: Path, title: str) -> None:
    (site / "content/releases/story.md").write_text(release(title, body="Original text of the story."))


def shows(running: Session, text: str) -> bool:
    return text.encode() in get(running, "/releases/story/").body


def test_no_watch_below_output_the_cache_or_git_and_a_save_shows(tmp_path):
    site = small_site(tmp_path / "site")
    folders = []
    for name in ("output", ".presskit-cache", ".git"):
        for number in range(7000 if name == "output" else 50):  # output/: more than the queue holds
            folder = site / name / f"f{number // 100}" / f"g{number}"
            folder.mkdir(parents=True)
            folders.append(folder)
    running = serve(site)
    try:
        held = _watched_inodes()
        assert held is not None
        below_output = {os.stat(f).st_ino for f in folders} | {os.stat(site / "output").st_ino}
        assert not held & below_output
        assert os.stat(site / "content/releases").st_ino in held
        retitle(site, "Seen at once")
        wait_for(lambda: shows(running, "Seen at once"), 5)
        assert not any(NOTICE in line for line in running.lines)  # type: ignore[attr-defined]
    finally:
        running.stop()


def test_an_overflowing_event_queue_is_said_once_and_no_save_is_lost(tmp_path):
    site = small_site(tmp_path / "site")
    with kernel_setting("max_queued_events", 16):  # this preview's queue holds 16 events
        running = serve(site)
    try:
        # Far more events than the queue holds, then a save, from a process of its own while
        # this one keeps the watcher's thread from reading: the save's event is lost for sure.
        burst = [str(site / "content/media" / f"burst{number}.txt") for number in range(1000)]
        saved = tmp_path / "saved.md"
        saved.write_text(release("After the flood", body="Original text of the story."))
        script = 'saved=$0 story=$1; shift; sleep 0.2; touch "$@" && cp "$saved" "$story"'
        story = site / "content/releases/story.md"
        with holding_every_thread(1.5):
            flood = subprocess.Popen(["sh", "-c", script, str(saved), str(story), *burst])
        assert flood.wait() == 0
        wait_for(lambda: shows(running, "After the flood"), 5)
        notices = [line for line in running.lines if NOTICE in line]  # type: ignore[attr-defined]
        assert notices and "overflowed" in notices[0]
        assert NOTICE in status(running)["notice"]
        retitle(site, "Saved at once after")  # stays to be read: the rest of a checkout, say
        wait_for(lambda: shows(running, "Saved at once after"), 5)
        assert NOTICE in status(running)["notice"]
        time.sleep(2.5)  # no loop: quiet files give no further notices
        count = len([line for line in running.lines if NOTICE in line])  # type: ignore[attr-defined]
        time.sleep(2.5)
        assert len([line for line in running.lines if NOTICE in line]) == count  # type: ignore[attr-defined]
        retitle(site, "Ordinary save")  # the watcher works again, and the notice goes
        wait_for(lambda: shows(running, "Ordinary save"), 5)
        wait_for(lambda: status(running)["notice"] == "", 5)
    finally:
        running.stop()


def test_a_watcher_that_dies_is_replaced_and_the_save_made_meanwhile_shows(tmp_path):
    running = serve(small_site(tmp_path / "site"))
    try:
        running.watcher.observer.stop()  # its threads end, as if they had crashed
        running.watcher.observer.join()
        retitle(running.preview.site_dir, "Saved while deaf")
        wait_for(lambda: shows(running, "Saved while deaf"), 5)
        assert any("the file watcher stopped" in line for line in running.lines)  # type: ignore[attr-defined]
        retitle(running.preview.site_dir, "Heard again")
        wait_for(lambda: shows(running, "Heard again"), 5)
    finally:
        running.stop()


def test_the_watch_limit_reached_below_the_top_folder_means_polling(tmp_path):
    site = small_site(tmp_path / "site")
    (site / "content/releases/2023").mkdir()
    used = _watches_of_this_user()
    with kernel_setting("max_user_watches", used + 2):  # the site folder and content/ only
        running = serve(site)
    try:
        assert running.watcher.polling
        assert any("polling" in line for line in running.lines)  # type: ignore[attr-defined]
        (site / "content/releases/2023/deep.md").write_text(release("Deep down", "2023-02-01"))
        wait_for(lambda: b"Deep down" in get(running, "/releases/deep/").body, 5)
    finally:
        running.stop()


def test_a_build_beside_the_preview_leaves_it_listening(tmp_path, capfd):
    site = small_site(tmp_path / "site")
    running = serve(site)
    try:
        for title in ("First publish", "Second publish"):  # the second swaps output/
            retitle(site, title)
            wait_for(lambda title=title: shows(running, title), 5)
            done = subprocess.run([sys.executable, "-m", "presskit", "build", str(site)],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        retitle(site, "After the builds")
        wait_for(lambda: shows(running, "After the builds"), 2)
        assert not any(NOTICE in line for line in running.lines)  # type: ignore[attr-defined]
    finally:
        running.stop()
    captured = capfd.readouterr()
    assert "Inotify" not in captured.err and "Callback with id" not in captured.err
    assert "Traceback" not in captured.err


def test_a_templates_folder_made_while_serving_is_watched(tmp_path):
    from presskit.render import builtin_theme

    site = small_site(tmp_path / "site")
    running = serve(site)
    try:
        page = (builtin_theme() / "404.html").read_text()
        (site / "templates").mkdir()
        (site / "templates/404.html").write_text(page.replace("{% block main %}",
                                                              "{% block main %}<p>Lost one</p>"))
        wait_for(lambda: b"Lost one" in get(running, "/nowhere/").body, 5)
        (site / "templates/404.html").write_text(page.replace("{% block main %}",
                                                              "{% block main %}<p>Lost two</p>"))
        wait_for(lambda: b"Lost two" in get(running, "/nowhere/").body, 5)
    finally:
        running.stop()


def _watches_of_this_user() -> int:
    count = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid != os.getuid():
                continue
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == "anon_inode:inotify":
                    count += (proc / "fdinfo" / fd.name).read_text().count("inotify wd:")
        except OSError:
            continue
    return count


def test_a_content_folder_replaced_while_serving_is_watched_again(tmp_path):
    import shutil

    site = small_site(tmp_path / "site")
    running = serve(site)
    try:
        shutil.copytree(site / "content", tmp_path / "new-content")
        (tmp_path / "new-content/releases/story.md").write_text(
            release("Replaced", body="Original text of the story."))
        shutil.rmtree(site / "content")  # as a tool that rewrites the whole folder does
        (tmp_path / "new-content").rename(site / "content")
        wait_for(lambda: shows(running, "Replaced"), 5)
        retitle(site, "Heard in the new folder")
        wait_for(lambda: shows(running, "Heard in the new folder"), 5)
        assert not any(NOTICE in line for line in running.lines)  # type: ignore[attr-defined]
    finally:
        running.stop()


def test_a_walk_told_what_changed_is_the_walk_of_the_folder(tmp_path):
    """`rewalk`, from the paths events name, gives what walking the whole folder again gives:
    files added, changed and removed, folders made, moved and removed with all below them, a
    file replaced by a folder and back, hidden files and symbolic links as walk has them."""
    from presskit.cache import rewalk, walk

    folder = tmp_path / "content"
    (folder / "a/b").mkdir(parents=True)
    for name in ("a/one.md", "a/b/two.md", "three.md"):
        (folder / name).write_text(name)
    links: set[str] = set()
    walked = walk(folder)
    steps = [
        ("write", "a/one.md"), ("write", "new.md"), ("remove", "three.md"), ("mkdir", "c/d"),
        ("write", "c/d/four.md"), ("move", "a", "e"), ("write", ".hidden.md"), ("write", "c/.x/y.md"),
        ("link", "c", "l"), ("rmtree", "c"), ("remove", "new.md"), ("mkdir", "new.md"),
        ("write", "new.md/inside.md"), ("rmtree", "new.md"), ("write", "new.md"), ("move", "e/b", "b"),
        ("rmtree", ""), ("write", "again.md"),
    ]
    randomly = random.Random(5)
    for _ in range(40):  # and random ones
        kind = randomly.choice(["write", "remove", "mkdir", "move", "rmtree"])
        steps.append((kind, randomly.choice(["p", "q", "r/s"]) + randomly.choice(["", ".md"]),
                      randomly.choice(["t", "r/u", "v.md"])))
    for kind, name, *other in steps:
        path = folder / name
        touched = [path]
        try:
            if kind == "write":
                path.parent.mkdir(parents=True, exist_ok=True)
                touched += [path.parent]
                path.write_text(f"{kind} {name} {time.monotonic()}")
            elif kind == "remove":
                path.unlink()
            elif kind == "mkdir":
                path.mkdir(parents=True)
                touched += list(path.parents)
            elif kind == "move":
                target = folder / other[0]
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
                touched += [target, target.parent]
            elif kind == "rmtree":
                shutil.rmtree(path)
            elif kind == "link":
                (folder / other[0]).symlink_to(path, target_is_directory=True)
                touched = [folder / other[0]]
        except OSError:
            continue  # not possible now (random steps): nothing changed
        walked = rewalk(walked, folder, touched, links)
        assert walked == walk(folder), (kind, name, other)


def test_temporary_files_are_looked_at_as_a_walk_would_and_the_preview_kept(tmp_path, monkeypatch):
    """A preview told of each save looks again at the files events named, an editor's
    temporary files too (which start no rebuild): what it kept for the next start is the site
    as a walk of every file sees it, so the next start serves it at once."""
    import presskit.serve as serving
    from presskit.cache import walk
    from test_serve_start import KEPT, _cold, _old, _port, _served, when_kept

    monkeypatch.setattr(serving, "KEEP_AFTER_QUIET_SECONDS", 0.5)
    site, port = small_site(tmp_path), _port()
    _old(site)  # saved a while ago: a preview is kept only of files whose times can be trusted
    lines: list[str] = []
    running = Session(site, "127.0.0.1", port, report=lines.append)
    try:
        content = site / "content"
        (content / "releases/#story.md#").write_text("an editor's autosave")
        (content / "releases/more").mkdir()
        (content / "releases/more/extra.md").write_text(release("Extra news", body="Extra words."))
        wait_for(lambda: b"Extra news" in get(running, "/").body)
        retitle(site, "Story renamed")
        wait_for(lambda: shows(running, "Story renamed"))
        assert running.preview.walked == walk(content)
        during = when_kept(running, lines)
    finally:
        running.stop()
    again, said = _served(site, port)
    assert any(KEPT in line for line in said), (said, lines)
    assert again == during == _cold(site, port)
