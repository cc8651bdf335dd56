"""`presskit serve` starts from what the last preview kept in .presskit-cache/preview/: at once
when nothing changed, rebuilding only what did otherwise, and always serving exactly what a
preview started from scratch serves (drafts and embargoed releases included)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

from conftest import REPO, release
from presskit import schema
from presskit.serve import Session

KEPT = "Started from the last preview"


def _old(site: Path) -> None:
    """File times of a site saved a while ago, so that they can be trusted (see cache)."""
    moment = time.time() - 3600
    for path in site.rglob("*"):
        if ".presskit-cache" not in path.parts:
            os.utime(path, (moment, moment))


def _site(root: Path) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(40, root, seed=5)
    folder = site / "content/releases"
    (folder / "draft.md").write_text(release("Unfinished draft", "2024-03-01", draft="true"))
    embargoed = release("Embargoed news", "2024-03-02", embargo="2099-01-01T09:00+07:00")
    (folder / "later.md").write_text(embargoed)
    _old(site)
    return site


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _served(site: Path, port: int) -> tuple[dict[str, bytes], list[str]]:
    """Every file a preview started on this site serves, and what it said."""
    lines: list[str] = []
    running = Session(site, "127.0.0.1", port, report=lines.append)
    try:
        snapshot = running.preview.snapshot()
        served = {path: snapshot.made(path) for path in snapshot.files}
        assert all(data is not None for data in served.values())
        return served, lines  # type: ignore[return-value]
    finally:
        running.stop()


def when_kept(running: Session, lines: list[str]) -> dict[str, bytes | None]:
    """Every file a running preview serves, once it has kept them for the next start (saves
    paused, see Preview.keep_when_quiet)."""
    deadline = time.monotonic() + 30
    while running.preview.unkept is not None or running.preview.unstamped:
        assert time.monotonic() < deadline, lines
        time.sleep(0.1)
    served = running.preview.snapshot()
    return {path: served.made(path) for path in served.files}


def _started_from_what_was_kept(site: Path, port: int, during: dict[str, bytes | None]) -> dict[str, bytes]:
    """What the next start serves, at once from what the last preview kept: what that preview
    served, and what a cold start serves."""
    again, said = _served(site, port)
    assert any(KEPT in line for line in said), said
    assert again == during
    assert again == _cold(site, port)
    return again


def _builds_counted(monkeypatch) -> list[Path]:  # type: ignore[no-untyped-def]
    """The site of every build the preview makes in its own process (learning the site), as
    they are made."""
    import presskit.serve as serving

    builds: list[Path] = []
    make_site = serving.make_site

    def counted(site_dir, **options):  # type: ignore[no-untyped-def]
        builds.append(site_dir)
        return make_site(site_dir, **options)

    monkeypatch.setattr(serving, "make_site", counted)
    return builds


def _cold(site: Path, port: int) -> dict[str, bytes]:
    shutil.rmtree(site / ".presskit-cache", ignore_errors=True)
    return _served(site, port)[0]


def test_a_start_from_the_kept_preview_serves_what_a_cold_start_does(tmp_path):
    site, port = _site(tmp_path / "site"), _port()
    first, said = _served(site, port)
    assert not any(KEPT in line for line in said)
    assert b"Unfinished draft" in first["releases/draft/index.html"]
    assert b"Embargoed until" in first["releases/later/index.html"]
    again, said = _served(site, port)
    assert any(KEPT in line for line in said), said
    assert again == first

    # Edited while no preview ran: words, a title, a new release, a deleted one.
    releases = sorted(path for path in (site / "content/releases").rglob("*.md")
                      if path.parent.name != "releases")
    releases[3].write_text(releases[3].read_text() + "\nWords added overnight.\n")
    releases[8].write_text(releases[8].read_text().replace("title: ", "title: Retitled ", 1))
    releases[12].unlink()
    (site / "content/releases/new.md").write_text(release("Written overnight", "2024-05-01"))
    _old(site)
    after_edits, said = _served(site, port)
    # What the first start's own process learned is taken back, and what changed made again.
    assert any("changed since, made again" in line for line in said), said
    assert b"Words added overnight." in b"".join(after_edits.values())
    assert after_edits == _cold(site, port)


def test_learning_the_kept_preview_makes_no_search_entry_again(tmp_path, monkeypatch):
    """At a start from the kept preview, the preview learns the site in its own process (for
    quick rebuilds) and updates the search index it serves from the one kept: it knows each
    entry by the key the kept record holds, so that with nothing changed it makes none (it
    made and compared all of them: 2 s of the first save's wait at 10,000 releases), nor reads
    the files of the index it serves again (they are served as they are: reading 10,000 cards
    from the kept preview took 1.5 s)."""
    import presskit.serve as serving
    from presskit.render import _Renderer
    from presskit.server import Snapshot

    # Not the entries a preview makes once saves pause (see the next test): the start's.
    monkeypatch.setattr(serving.Preview, "make_search_entries_when_quiet", lambda self, busy: None)
    site, port = _site(tmp_path / "site"), _port()
    first, _ = _served(site, port)
    made: list[str] = []
    make = _Renderer._search_entry

    def counted(renderer, release):  # type: ignore[no-untyped-def]
        made.append(release.slug)
        return make(renderer, release)

    monkeypatch.setattr(_Renderer, "_search_entry", counted)
    read: list[str] = []
    made_of = Snapshot.made

    def read_counted(snapshot, path):  # type: ignore[no-untyped-def]
        if "search/data/f/" in path:  # a release's card
            read.append(path)
        return made_of(snapshot, path)

    monkeypatch.setattr(Snapshot, "made", read_counted)
    again, said = _served(site, port)
    assert any(KEPT in line for line in said), said
    assert again == first
    assert made == []
    cards = [path for path in again if "search/data/f/" in path]
    assert cards and sorted(read) == sorted(cards)  # once each, by _served, after the start


def test_a_start_that_took_back_what_was_learned_makes_the_search_entries_once_saves_pause(
        tmp_path, monkeypatch):
    """What a preview keeps for its next start leaves the search entries out (presskit.learned).
    The start that takes it back makes them while saves pause, one release at a time, so that
    the first search index made whole (an older release deleted renumbers the rest) makes
    none after the tab's reload, and the preview serves what a fresh build makes."""
    import presskit.serve as serving
    from presskit.render import _Renderer
    from test_retouch import _assert_served_equals_a_fresh_build
    from test_serve import wait_for

    monkeypatch.setattr(serving, "KEEP_AFTER_QUIET_SECONDS", 0.5)
    monkeypatch.setattr(serving, "LEARN_AFTER_QUIET_SECONDS", 0.5)
    site, port = _site(tmp_path / "site"), _port()
    lines: list[str] = []
    running = Session(site, "127.0.0.1", port, report=lines.append)
    try:
        when_kept(running, lines)
        wait_for(lambda: running.preview.learned_for is running.preview.quick_state, timeout=30)
    finally:
        running.stop()

    made: list[str] = []
    make = _Renderer._search_entry

    def counted(renderer, release):  # type: ignore[no-untyped-def]
        made.append(str(release.source))
        return make(renderer, release)

    monkeypatch.setattr(_Renderer, "_search_entry", counted)
    lines = []
    running = Session(site, "127.0.0.1", port, report=lines.append)
    try:
        assert any(KEPT in line for line in lines), lines
        assert running.preview.warm  # what the last preview learned, taken back
        wait_for(lambda: running.preview.entries_made, timeout=30)
        published = [release for graph in running.preview.kept.newsroom.graphs for release in graph.releases]
        assert sorted(made) == sorted(str(release.source) for release in published)  # each once
        made.clear()
        older = sorted(release.source for release in published if release.lang == "en")[2]
        build = running.preview.snapshot().build
        older.unlink()
        wait_for(lambda: running.preview.snapshot().build > build and not running.preview.snapshot().later,
                 timeout=60)
        assert not running.preview.snapshot().error, lines
        assert made == []  # the index made whole: every entry was made while saves paused
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def test_a_damaged_or_foreign_kept_preview_is_never_trusted(tmp_path):
    site, port = _site(tmp_path / "site"), _port()
    expected, _ = _served(site, port)
    kept = site / ".presskit-cache/preview"
    for name in ("record", "last-build", "releases.sqlite"):
        (kept / name).write_bytes(b"\x80\x04garbage" * 100)
    served, said = _served(site, port)
    assert served == expected and not any(KEPT in line for line in said)

    # A page of the kept preview edited by hand, the record and stamp kept: the page is served
    # as the content says once anything is built again, and a stamp that does not describe
    # the folder is not believed.
    shutil.rmtree(kept / "site")
    (kept / "site").write_text("a file where the folder was")
    served, said = _served(site, port)
    assert served == expected and not any(KEPT in line for line in said)

    # The whole site with its cache copied elsewhere (another machine, another path): its
    # kept preview describes other folders and is not used as it is.
    copy = tmp_path / "copy"
    shutil.copytree(site, copy, symlinks=True)
    served, said = _served(copy, port)
    assert not any(KEPT in line for line in said)
    assert served == _cold(copy, port)


def test_another_port_is_another_preview(tmp_path):
    """A preview's pages carry its address (feeds, canonical links), so a start on another
    port builds for that one rather than serve another address's pages."""
    site = _site(tmp_path / "site")
    first_port, second_port = _port(), _port()
    _served(site, first_port)
    served, said = _served(site, second_port)
    assert not any(KEPT in line for line in said)
    assert f"http://127.0.0.1:{second_port}/".encode() in served["feed.xml"]
    assert f"http://127.0.0.1:{first_port}/".encode() not in b"".join(served.values())


def test_a_first_preview_after_a_build_serves_what_a_cold_start_does(tmp_path, monkeypatch):
    """The first preview borrows the releases `build` checked (not its pages). The start's own
    process, which builds it, keeps what it learned of the site (see presskit.learned), and
    the preview takes that back rather than learn the site again: no build in its own process,
    and a title saved then is a card edit that equals a fresh build."""
    from presskit.build import build
    from test_retouch import IN_PLACE, _assert_served_equals_a_fresh_build, _save

    builds = _builds_counted(monkeypatch)
    site, port = _site(tmp_path / "site"), _port()
    build(site)
    lines: list[str] = []
    running = Session(site, "127.0.0.1", port, report=lines.append)
    release = sorted((site / "content/releases").rglob("*.md"))[2]
    original = release.read_text()
    try:
        shown = running.preview.snapshot()
        borrowed = {path: shown.made(path) for path in shown.files}
        assert builds == [] and running.preview.warm, lines
        assert IN_PLACE in _save(running, lines, release, original.replace("title: ", "title: Soon ", 1))
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()
    release.write_text(original)
    assert b"Unfinished draft" in borrowed["releases/draft/index.html"]
    assert borrowed == _cold(site, port)


def test_what_a_preview_rebuilt_after_saves_is_kept_once_they_pause(tmp_path, monkeypatch):
    """A new title and date (a full rebuild in the running preview) and then words are kept
    once saves pause, not in the wait of the save; then a new title alone (a card edit, whose
    few files are kept at once) is said to be up to date once saves pause. The next start
    serves it all at once."""
    import presskit.serve as serving

    monkeypatch.setattr(serving, "KEEP_AFTER_QUIET_SECONDS", 0.5)
    write_quick = serving.write_quick

    def slow_disk(*args: object) -> None:  # the pages are on disk a while before it returns
        write_quick(*args)
        time.sleep(0.5)

    monkeypatch.setattr(serving, "write_quick", slow_disk)
    site, port = _site(tmp_path / "site"), _port()
    releases = sorted(path for path in (site / "content/releases").rglob("*.md")
                      if path.parent.name != "releases")
    kept_page = site / ".presskit-cache/preview/site/releases" / releases[4].stem / "index.html"
    lines: list[str] = []
    running = Session(site, "127.0.0.1", port, report=lines.append)

    def kept(words: bytes) -> None:
        deadline = time.monotonic() + 30
        while words not in (kept_page.read_bytes() if kept_page.exists() else b""):
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)

    try:
        text = re.sub(r"(?m)^date: (\d{4})", lambda found: f"date: {int(found[1]) - 1}",
                      releases[4].read_text(), count=1)
        releases[4].write_text(text.replace("title: ", "title: Renamed ", 1))
        releases[9].write_text(releases[9].read_text() + "\nWords of the afternoon.\n")
        kept(b"Renamed ")
        time.sleep(1.0)
        assert running.preview.unkept is None and not any("in place" in line for line in lines), lines
        releases[4].write_text(releases[4].read_text().replace("title: Renamed ", "title: Retitled ", 1))
        kept(b"Retitled ")  # at once
        assert "in place" in lines[-1], lines
        during = when_kept(running, lines)
    finally:
        running.stop()
    again = _started_from_what_was_kept(site, port, during)
    assert b"Words of the afternoon." in b"".join(again.values())


def test_a_move_in_the_preview_is_kept_once_saves_pause(tmp_path, monkeypatch):
    """A new date in the same year and another partner (moves in the running preview, see
    presskit.retouch) are kept once saves pause; the next start serves them at once, as a cold
    start does. The preview says it kept them only once they are kept: here keeping takes a
    second (a busy machine), and the start that follows the stop still finds them all."""
    import presskit.serve as serving

    monkeypatch.setattr(serving, "KEEP_AFTER_QUIET_SECONDS", 0.5)
    keep_site = serving.keep_site

    def slow_keep(*args, **options):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return keep_site(*args, **options)

    monkeypatch.setattr(serving, "keep_site", slow_keep)
    site, port = _site(tmp_path / "site"), _port()
    releases = sorted(path for path in (site / "content/releases").rglob("*.md")
                      if path.parent.name != "releases")
    lines: list[str] = []
    running = Session(site, "127.0.0.1", port, report=lines.append)
    try:
        for edit in (lambda text: re.sub(r"(?m)^date: (\d{4})-\d\d-\d\d", r"date: \1-12-30", text, count=1),
                     lambda text: re.sub(r"(?m)^partners: \[", "partners: [partner-02, ", text, count=1)):
            said = len(lines)
            releases[6].write_text(edit(releases[6].read_text()))
            deadline = time.monotonic() + 30
            while not any("moved in the site" in line for line in lines[said:]):
                assert time.monotonic() < deadline, lines
                time.sleep(0.1)
            during = when_kept(running, lines)
    finally:
        running.stop()
    _started_from_what_was_kept(site, port, during)


def test_a_start_takes_back_what_the_last_preview_learned(tmp_path, monkeypatch):
    """Once saves pause a while, the preview keeps what it learned of the site it kept (see
    presskit.learned); the next start on the same files takes it back instead of learning the
    site again (no build in its process), and every kind of save that follows (a new title,
    words, a new date, a new release) serves what a fresh build makes. A start after an edit
    made while no preview ran takes it back too and makes again what changed, as a save would;
    but not when the kept preview changed after it learned (the start's own process builds
    what changed and keeps what it learned, which is taken back), nor when its learned file is
    damaged (the site is learned again)."""
    import presskit.serve as serving
    from test_retouch import IN_PLACE, MOVED, _assert_served_equals_a_fresh_build, _save

    monkeypatch.setattr(serving, "KEEP_AFTER_QUIET_SECONDS", 0.5)
    monkeypatch.setattr(serving, "LEARN_AFTER_QUIET_SECONDS", 0.5)
    builds = _builds_counted(monkeypatch)
    site, port = _site(tmp_path / "site"), _port()
    learned = site / ".presskit-cache/preview/learned"
    releases = sorted(path for path in (site / "content/releases").rglob("*.md")
                      if path.parent.name != "releases")

    def moved(text: str) -> str:
        return re.sub(r"(?m)^date: (\d{4})-\d\d-\d\d", r"date: \1-12-30", text, count=1)

    def learned_once_quiet(running: Session, lines: list[str]) -> None:
        when_kept(running, lines)
        deadline = time.monotonic() + 30
        while running.preview.learned_for is not running.preview.quick_state:
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        assert learned.exists()

    def start() -> tuple[Session, list[str], int]:
        lines: list[str] = []
        before = len(builds)
        return Session(site, "127.0.0.1", port, report=lines.append), lines, len(builds) - before

    running, lines, _ = start()
    try:
        assert IN_PLACE in _save(running, lines, releases[4],
                                 releases[4].read_text().replace("title: ", "title: Renamed ", 1))
        assert MOVED in _save(running, lines, releases[6], moved(releases[6].read_text()))
        learned_once_quiet(running, lines)
    finally:
        running.stop()

    running, lines, learning = start()
    try:
        assert any(KEPT in line for line in lines), lines
        assert learning == 0 and running.preview.warm  # taken back: no build in this process
        monkeypatch.setattr(serving, "LEARN_AFTER_QUIET_SECONDS", 3600.0)  # stopped before learning
        _assert_served_equals_a_fresh_build(running, site)
        assert IN_PLACE in _save(running, lines, releases[4],
                                 releases[4].read_text().replace("title: Renamed ", "title: Retitled ", 1))
        _assert_served_equals_a_fresh_build(running, site)
        _save(running, lines, releases[9], releases[9].read_text() + "\nWords of the morning.\n")
        _assert_served_equals_a_fresh_build(running, site)
        assert MOVED in _save(running, lines, releases[11], moved(releases[11].read_text()))
        _assert_served_equals_a_fresh_build(running, site)
        before = len(builds)
        read: list[Path] = []
        read_document = schema.read_document

        def counted(path: Path, problems: list) -> object:  # type: ignore[type-arg]
            read.append(path)
            return read_document(path, problems)

        monkeypatch.setattr(schema, "read_document", counted)
        # As what a start takes back holds it when the build that learned the site read the
        # releases on every core (400 or more): the releases, not the files they came from.
        memory = running.preview.memory
        for path in [path for path in memory.files if "releases" in path.parts]:
            del memory.files[path]
            memory.models.pop(path, None)
        _save(running, lines, site / "content/releases/morning.md",
              release("Written this morning", "2024-06-01", topics="[A topic of its own]"))
        assert len(builds) == before + 1  # a new release on a new topic: a full rebuild, in memory
        # that reads the new file and those saved since the start (too recently to trust by
        # their time), not the releases taken back: they are not read and checked again
        saved = {site / "content/releases/morning.md", *(releases[n] for n in (4, 9, 11))}
        assert site / "content/releases/morning.md" in read
        assert {path for path in read if "releases" in path.parts} <= saved
        monkeypatch.setattr(schema, "read_document", read_document)
        _assert_served_equals_a_fresh_build(running, site)
        when_kept(running, lines)
    finally:
        running.stop()
    monkeypatch.setattr(serving, "LEARN_AFTER_QUIET_SECONDS", 0.5)

    def topics(path: Path) -> set[str]:
        found = re.search(r"(?m)^topics: \[(.*)\]", path.read_text())
        return set(found[1].split(", ")) if found else set()

    def overnight(number: int, word: str) -> None:
        """Retitled while no preview ran, a while ago (as a `git pull` leaves the file)."""
        releases[number].write_text(releases[number].read_text().replace("title: ", f"title: {word} ", 1))
        moment = time.time() - 1800
        os.utime(releases[number], (moment, moment))

    def on_its_topic_page(number: int) -> Path:
        """A release on a topic page with this one: that page shows both."""
        return next(path for path in releases
                    if path != releases[number] and topics(path) & topics(releases[number]))

    def retitle_beside(running: Session, lines: list[str], number: int, word: str) -> None:
        """Retitle a release on a topic page with this one: that page, made again, shows this
        one as a fresh build does."""
        other = on_its_topic_page(number)
        retitled = other.read_text().replace("title: ", f"title: {word} ", 1)
        assert IN_PLACE in _save(running, lines, other, retitled)
        _assert_served_equals_a_fresh_build(running, site)

    # What was learned is of a kept preview that rebuilds have changed since: not used (a
    # release on a topic page with one retitled since would show its old title there).
    pulled = releases.index(on_its_topic_page(4))
    overnight(pulled, "Overnight")
    running, lines, learning = start()
    try:
        # Built by the start's own process, which keeps what it learned: taken back here.
        assert learning == 0 and not any("changed since, made again" in line for line in lines), lines
        _assert_served_equals_a_fresh_build(running, site)
        retitle_beside(running, lines, pulled, "Later")
        learned_once_quiet(running, lines)
    finally:
        running.stop()

    # What was learned is of the kept preview: taken back, and what changed since made again
    # before anything is served (the kept page, without the change, never is).
    overnight(5, "Pulled")
    page = f"releases/{releases[5].stem}/index.html"
    served_meanwhile: list[bytes | None] = []
    rebuild = serving.Preview.rebuild

    def slow(preview, *args, **options):  # type: ignore[no-untyped-def]
        time.sleep(0.5)  # as on a large site
        return rebuild(preview, *args, **options)

    monkeypatch.setattr(serving.Preview, "rebuild", slow)
    before, lines = len(builds), []
    running = Session(site, "127.0.0.1", port, report=lines.append, start=False)
    starting = threading.Thread(target=running.start)
    starting.start()
    while starting.is_alive():
        shown = running.preview.snapshot()
        if page in shown.files:
            served_meanwhile.append(shown.made(page))
        time.sleep(0.02)
    monkeypatch.setattr(serving.Preview, "rebuild", rebuild)
    learning = len(builds) - before
    try:
        assert all(b"Pulled" in (data or b"") for data in served_meanwhile)
        assert learning == 0 and any("1 file changed since, made again" in line for line in lines), lines
        assert IN_PLACE in lines[-1], lines
        _assert_served_equals_a_fresh_build(running, site)
        retitle_beside(running, lines, 5, "Afterwards")
        learned_once_quiet(running, lines)
    finally:
        running.stop()

    # A bug while catching up: said, and the start's own process builds the preview instead.
    overnight(7, "Again")
    failures: list[int] = []

    def failing_once(preview, *args, **options):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(1)
            raise RuntimeError("a bug")
        return rebuild(preview, *args, **options)

    monkeypatch.setattr(serving.Preview, "rebuild", failing_once)
    running, lines, learning = start()
    monkeypatch.setattr(serving.Preview, "rebuild", rebuild)
    try:
        assert any("failed unexpectedly while catching up (RuntimeError: a bug)" in line for line in lines)
        _assert_served_equals_a_fresh_build(running, site)
        learned_once_quiet(running, lines)
    finally:
        running.stop()

    data = bytearray(learned.read_bytes())
    data[len(data) // 2] ^= 0xFF
    learned.write_bytes(bytes(data))
    running, lines, learning = start()  # damaged: never unpickled
    try:
        assert any(KEPT in line for line in lines), lines
        assert learning == 1
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()
