"""SPEC 6, trust under attack and accident: the cache is data, never code, and a damaged cache
never fails a build."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import tree_digest
from test_quick import aged, cold_output, generate


class Payload:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.marker), "w"))


def edit_one(site: Path, words: str) -> None:
    target = sorted((site / "content/releases").rglob("*.md"))[2]
    target.write_text(target.read_text() + f"\n{words}\n")


def test_a_pickle_planted_in_the_release_store_never_runs(tmp_path, run):
    site = aged(generate(20, tmp_path / "site", seed=21))
    assert run("build", site).code == 0
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Payload(marker))
    with sqlite3.connect(site / ".presskit-cache/releases.sqlite") as db:
        db.execute("UPDATE releases SET model = ?", (payload,))
    for words in ("A line that makes a quick rebuild.", "A second one."):
        edit_one(site, words)
        result = run("build", site)
        assert result.code == 0, result.err
        assert not marker.exists()
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))  # a full build
    assert run("build", site).code == 0
    assert not marker.exists()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_stored_cards_are_written_when_they_change_and_never_shown_for_another_release(tmp_path, run):
    """Release cards are kept in the store, one sealed row each: a title edit writes its
    release's cards alone; a row moved to another release's place, or made by anything else,
    is never shown (the build is the same as a cold one)."""
    site = aged(generate(30, tmp_path / "site", seed=22))
    assert run("build", site).code == 0
    store = site / ".presskit-cache/releases.sqlite"

    def cards() -> dict[tuple[str, str, str], tuple[int, bytes]]:  # a row written again has a new rowid
        with sqlite3.connect(store) as db:
            return {(s, lang, o): (row, card)
                    for row, s, lang, o, _, card in db.execute("SELECT rowid, * FROM cards")}

    before = cards()
    assert len(before) >= 30
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    assert run("build", site).code == 0
    after = cards()
    changed = {slot for slot in after if after[slot] != before.get(slot)}
    assert changed and {source for source, _, _ in changed} == {str(target.resolve())}

    with sqlite3.connect(store) as db:  # two cards swap places; a third is planted
        (a, (_, a_card)), (b, (_, b_card)), (c, _) = list(after.items())[:3]
        put = "UPDATE cards SET card = ? WHERE source = ? AND language = ? AND options = ?"
        db.execute(put, (b_card, *a))
        db.execute(put, (a_card, *b))
        db.execute(put, (b"<article>planted</article>", *c))
    target.write_text(target.read_text().replace("title: Renamed ", "title: Renamed again ", 1))
    assert run("build", site).code == 0
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_build_after_an_edit_reads_only_the_kept_cards_its_changed_lists_show(tmp_path, run, monkeypatch):
    """Kept cards are read as the pages made again ask for them, not all at once; a deleted
    release's cards leave the store with it."""
    from presskit import store as store_module

    site = aged(generate(60, tmp_path / "site", seed=31))
    assert run("build", site).code == 0
    store = site / ".presskit-cache/releases.sqlite"

    def slots() -> set[tuple[str, str, str]]:
        with sqlite3.connect(store) as db:
            return {(s, lang, o) for s, lang, o in db.execute("SELECT source, language, options FROM cards")}

    kept = slots()
    asked: list[tuple[str, str, str]] = []
    found: list[tuple[str, str, str]] = []
    fetch = store_module.KeptCards.fetch

    def counted(self, slots, page=None):  # type: ignore[no-untyped-def]
        slots = list(slots)
        asked.extend(slots)
        cards = fetch(self, slots, page)
        found.extend(cards)
        return cards

    monkeypatch.setattr(store_module.KeptCards, "fetch", counted)
    target = sorted((site / "content/releases").rglob("*.md"))[5]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    assert run("build", site).code == 0
    assert found and set(found) <= kept
    assert len(set(asked)) < len(kept)  # the lists that did not change were not made, nor read
    assert slots() == kept  # the cards not read stay kept
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)

    target.unlink()
    assert run("build", site).code == 0
    gone = str(target.resolve())
    assert slots() == {slot for slot in kept if slot[0] != gone}


def test_kept_cards_are_read_many_a_query_each_under_its_own_slot_and_seal(tmp_path):
    """KeptCards.fetch reads the cards a page asks for a few hundred keys a query, by language
    and options: every kept card comes back under its own slot, past each query's limit; a slot
    with no row, or one asked for before, gives nothing; a row moved to another slot, or one
    presskit did not seal, is never read."""
    from markupsafe import Markup

    from presskit import store as store_module

    site = tmp_path / "site"
    site.mkdir()
    kinds = [("en", "[]"), ("en", "[('heading', 'h2')]"), ("vi", "[]")]
    cards = {(f"/site/content/releases/r{number:04}.md", language, options):
             (f"digest-{number}-{language}-{options}",
              Markup(f"<article>{number} {language} {options}</article>"))
             for number in range(1203) for language, options in kinds}
    kept = store_module.ReleaseStore(site)
    kept.save_cards(cards, {source for source, _, _ in cards})
    reader = kept.kept_cards()
    assert reader is not None

    wanted = [slot for number, slot in enumerate(sorted(cards)) if number % 3 != 1]  # 2,406 of 3,609
    missing = ("/site/content/releases/none.md", "en", "[]")
    found = reader.fetch([*wanted, missing])
    assert found == {slot: cards[slot] for slot in wanted}
    assert all(isinstance(card, Markup) for _, card in found.values())
    assert reader.fetch(wanted[:10]) == {}  # each slot is looked for once

    store = site / ".presskit-cache/releases.sqlite"
    first, second = sorted(cards)[1], sorted(cards)[4]  # never asked for yet (number % 3 == 1)
    with sqlite3.connect(store) as db:  # one card's row moved under another slot; one planted
        digest, row = db.execute("SELECT digest, card FROM cards WHERE source = ? AND language = ? "
                                 "AND options = ?", first).fetchone()
        db.execute("UPDATE cards SET digest = ?, card = ? WHERE source = ? AND language = ? AND options = ?",
                   (digest, row, *second))
        db.execute("UPDATE cards SET card = ? WHERE source = ? AND language = ? AND options = ?",
                   (b"<article>planted</article>", *first))
    assert reader.fetch([first, second, sorted(cards)[7]]) == {sorted(cards)[7]: cards[sorted(cards)[7]]}


def test_compiled_templates_planted_in_the_cache_never_run(tmp_path, run):
    from jinja2.bccache import bc_magic

    site = aged(generate(10, tmp_path / "site", seed=22))
    assert run("build", site).code == 0
    compiled = sorted((site / ".presskit-cache/templates").iterdir())
    assert compiled
    marker = tmp_path / "pwned"
    for file in compiled:  # Jinja reads a bucket's checksum with pickle
        file.write_bytes(bc_magic + pickle.dumps(Payload(marker)))
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    result = run("build", site)
    assert result.code == 0, result.err
    assert not marker.exists()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def _file_for_folder(cache: Path) -> None:
    shutil.rmtree(cache)
    cache.write_text("not a folder")


def _folder_for(name: str):  # type: ignore[no-untyped-def]
    def damage(cache: Path) -> None:
        path = cache / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        (path / "inside").mkdir(parents=True)
    return damage


def _file_for_templates(cache: Path) -> None:
    shutil.rmtree(cache / "templates")
    (cache / "templates").write_text("x")


def _row_of_a_class_that_is_gone(cache: Path) -> None:
    import presskit.models
    from presskit.seal import seal

    class Gone:  # a class of an older presskit, pickled then, and since removed
        pass

    Gone.__module__, Gone.__qualname__ = "presskit.models", "Gone"
    presskit.models.Gone = Gone  # type: ignore[attr-defined]
    gone = pickle.dumps(Gone())
    del presskit.models.Gone  # type: ignore[attr-defined]
    with sqlite3.connect(cache / "releases.sqlite") as db:
        db.execute("UPDATE releases SET model = ?", (seal(gone),))


@pytest.mark.parametrize("damage", [
    _file_for_folder, _folder_for("releases.sqlite"), _folder_for("record"),
    _folder_for("last-build"), _file_for_templates, _row_of_a_class_that_is_gone,
], ids=["cache-is-a-file", "store-is-a-folder", "record-is-a-folder", "stamp-is-a-folder",
        "templates-is-a-file", "row-of-a-gone-class"])
def test_a_damaged_cache_means_a_cold_build_and_is_repaired(tmp_path, run, damage):
    site = aged(generate(12, tmp_path / "site", seed=23))
    assert run("build", site).code == 0
    damage(site / ".presskit-cache")
    edit_one(site, "Words after the damage.")
    result = run("build", site)
    assert result.code == 0 and "Traceback" not in result.err, result.err
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    aged(site)
    assert run("build", site).code == 0  # the cache is made again, and used
    edit_one(site, "Words once it is repaired.")
    again = run("build", site)
    assert again.code == 0
    assert again.out.startswith("Only the text of 1 release changed"), again.out


def test_a_sealed_file_is_read_back_only_as_it_was_sealed(tmp_path):
    """What presskit keeps in the cache is read back only if its seal is right: the data as
    written, empty data too; a byte changed, a file cut short, one shorter than a seal, or the
    seal of other data, and it is nothing."""
    from presskit.seal import seal
    from presskit.store import read_cache

    cache = tmp_path / ".presskit-cache"
    cache.mkdir()
    data = bytes(range(256)) * 1000
    for name, content in [("whole", seal(data)), ("empty", seal(b""))]:
        (cache / name).write_bytes(content)
    assert read_cache(tmp_path, "whole") == data
    assert read_cache(tmp_path, "empty") == b""
    sealed = seal(data)
    for name, content in [("changed", sealed[:-1] + bytes([sealed[-1] ^ 1])), ("cut", sealed[:-100]),
                          ("short", sealed[:20]), ("nothing", b""), ("other", seal(b"x")[:32] + data)]:
        (cache / name).write_bytes(content)
        assert read_cache(tmp_path, name) is None, name


def test_cache_files_read_ahead_are_each_given_once_as_sealed_whenever_asked_for(tmp_path, monkeypatch):
    """The record and the kept graph are read on a thread of their own while the build does
    other work: a file asked for before the thread got to it is waited for; each is given
    once, as read_cache would give it (a damaged one is nothing), and again read from the
    disk; a file not read ahead is read then; forgetting waits for the thread and keeps
    nothing of what it read."""
    import threading

    from presskit import store
    from presskit.seal import seal

    cache = tmp_path / ".presskit-cache"
    cache.mkdir()
    for name in ("first", "second", "third"):
        (cache / name).write_bytes(seal(name.encode() * 1000))
    (cache / "damaged").write_bytes(b"\x00" * 100)
    gate = threading.Event()
    plain = store.read_cache

    def held(site_dir, name, part=""):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "presskit-read-ahead" and name == "second":
            assert gate.wait(10)  # (until the build has asked for it)
        return plain(site_dir, name, part)

    monkeypatch.setattr(store, "read_cache", held)
    reads = store.ReadAhead(tmp_path, ["first", "second", "damaged", "third"])
    assert reads.read("first") == b"first" * 1000
    given: list[bytes | None] = []
    asking = threading.Thread(target=lambda: given.append(reads.read("second")), daemon=True)
    asking.start()
    threading.Timer(0.2, gate.set).start()
    asking.join(10)
    assert given == [b"second" * 1000]  # (waited for)
    assert reads.read("damaged") is None
    (cache / "first").write_bytes(seal(b"written since"))
    assert reads.read("first") == b"written since"  # (given once: then from the disk)
    assert reads.read("unknown") is None
    reads.forget()
    assert reads.read("third") == b"third" * 1000  # (forgotten: from the disk)
    again = store.ReadAhead(tmp_path, ["third"])
    again.forget()
    assert not again._read and not again._ready


def test_check_writes_nothing_at_all(tmp_path, run):
    site = generate(5, tmp_path / "site", seed=24)
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    result = run("check", site)
    assert result.code == 0, result.err
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


@pytest.mark.parametrize("link", ["content/media/secret.png", "content/releases/secret.md",
                                  "content/media/outside", "templates/footer.html"])
def test_a_symbolic_link_out_of_the_site_is_an_error_never_published(tmp_path, run, link):
    from conftest import one_png, release, write_site

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:SECRET\n")
    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A"),
                                          "content/media/photo.png": one_png()})
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(outside if link.endswith("outside") else outside / "passwd")
    inside = site / "content/media/same.png"  # a link within the site is fine
    inside.symlink_to(site / "content/media/photo.png")
    result = run("build", site)
    assert result.code == 1, result.out
    assert f"{Path(link).name}: error: is a symbolic link to" in result.err, result.err
    assert "outside the site folder" in result.err and "same.png" not in result.err
    assert "Traceback" not in result.text
    assert not (site / "output").exists()
    (site / link).unlink()
    assert run("build", site).code == 0
    assert "SECRET" not in "".join(p.read_text(errors="replace")
                                   for p in (site / "output").rglob("*") if p.is_file())


def test_raw_html_is_sanitized_with_a_located_warning_for_each_removal(tmp_path, run):
    from conftest import SETTINGS, release, write_site

    body = "\n".join([
        "A first paragraph with <mark class=\"note\">marked</mark> words.",  # line 6
        "",
        "<script>document.title = 'STOLEN'</script>",  # line 8
        "",
        'A <a href="javascript:alert(1)">bad link</a> and <img src="/media/x.png" alt="x" '
        'onerror="alert(2)">.',  # line 10
        "",
        '<iframe src="https://evil.example/frame"></iframe>',  # line 12
        "",
        '<iframe src="https://www.youtube.com/embed/abc" title="Video"></iframe>',  # line 14
        "",
        '<iframe src="https://media.example.org/player/1" title="Ours"></iframe>',  # line 16
    ])
    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A", body=body)},
                      settings=SETTINGS + 'embed_hosts = ["www.youtube.com", "media.example.org"]\n')
    result = run("build", site)
    assert result.code == 0, result.err
    for expected in ("a.md:8: warning: the <script> element and its content is removed",
                     "a.md:10: warning: a javascript: address in <a href=...>",
                     "a.md:10: warning: the event handler onerror= of <img>",
                     "a.md:12: warning: an <iframe> from evil.example, which is not in embed_hosts"):
        assert expected in result.err, result.err
    assert "a.md:14" not in result.err and "a.md:16" not in result.err and "a.md:6" not in result.err
    assert "embed_hosts" in result.err  # the hint
    page = (site / "output/releases/a/index.html").read_text()
    for gone in ("STOLEN", "javascript:", "onerror", "evil.example"):
        assert gone not in page, gone
    for kept in ('<mark class="note">marked</mark>', 'src="https://www.youtube.com/embed/abc"',
                 'src="https://media.example.org/player/1"', "bad link"):
        assert kept in page, kept
    assert "STOLEN" not in (site / "output/feed.xml").read_text()


# -- failures say what is true; one build at a time; previews never in output/ -------------

@pytest.fixture
def mount(tmp_path):  # type: ignore[no-untyped-def]
    """mount(folder, options): a small tmpfs at that folder (root on Linux; skipped elsewhere)."""
    import subprocess

    mounted: list[Path] = []

    def make(folder: Path, options: str = "size=16m") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
        mounted.append(folder)
        return folder

    yield make
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def remount_read_only(folder: Path) -> None:
    import subprocess

    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def test_a_read_only_site_folder_is_named_with_what_to_do(tmp_path, run, mount):
    from conftest import release, write_site

    site = write_site(mount(tmp_path / "disk") / "site", {"content/releases/a.md": release("A")})
    remount_read_only(tmp_path / "disk")
    result = run("build", site)
    assert result.code == 1
    assert "is on a read-only disk" in result.err and "--out" in result.err, result.err
    assert "site" in result.err and "bug" not in result.err and "Traceback" not in result.text
    assert "output/ was not changed" in result.err


def test_a_read_only_output_mount_is_named_and_left_as_it_was(tmp_path, run, mount):
    from conftest import release, write_site

    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A")})
    mount(site / "output")
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    remount_read_only(site / "output")
    (site / "content/releases/a.md").write_text(release("A again"))
    result = run("build", site)
    assert result.code == 1
    assert "output" in result.err and "is on a read-only disk" in result.err, result.err
    assert "bug" not in result.err and "output/ was not changed" in result.err
    assert tree_digest(site / "output") == before


def test_a_full_disk_is_named_and_output_is_left_as_it_was(tmp_path, run, mount):
    from conftest import release, write_site

    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A")})
    mount(site / "output", "size=400k")
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    (site / "content/media").mkdir()
    (site / "content/media/big.bin").write_bytes(os.urandom(600_000))
    result = run("build", site)
    assert result.code == 1
    assert "the disk is full" in result.err and "free some space" in result.err, result.err
    assert "bug" not in result.err and "output/ was not changed" in result.err
    assert tree_digest(site / "output") == before
    assert not [p for p in (site / "output").iterdir() if p.name.startswith(".presskit-staging")]


def test_an_output_folder_that_is_a_mount_point_or_made_by_the_user_is_filled_in_place(
        tmp_path, run, mount):
    from conftest import release, write_site
    from test_quick import cold_output

    for made_by in ("mount", "user"):
        site = write_site(tmp_path / made_by, {"content/releases/a.md": release("A"),
                                               "content/releases/b.md": release("B", "2023-04-01")})
        mount(site / "output") if made_by == "mount" else (site / "output").mkdir()
        folder = os.stat(site / "output").st_ino
        for step in range(3):
            if step == 1:
                (site / "content/releases/b.md").unlink()
            if step == 2:
                (site / "content/releases/c.md").write_text(release("C", "2023-03-01"))
            result = run("build", site)
            assert result.code == 0, result.err
            assert os.stat(site / "output").st_ino == folder  # the same folder, never replaced
            made, cold = tree_digest(site / "output"), cold_output(site, tmp_path / "cold", run)
            assert "in place" in (site / "output/.presskit-output").read_text()
            del made[".presskit-output"], cold[".presskit-output"]
            assert made == cold
            assert (site / "output/releases/b").exists() == (step == 0)
        if made_by == "mount":
            assert os.path.ismount(site / "output")


def test_two_builds_at_once_wait_for_each_other_and_both_tell_the_truth(tmp_path, run):
    import queue
    import subprocess
    import sys
    import threading
    import time

    from filelock import FileLock

    from test_quick import cold_output

    site = generate(300, tmp_path / "site", seed=25)
    (site / ".presskit-cache").mkdir()
    held = FileLock(str(site / ".presskit-cache/build.lock"))
    with held:  # another build is running
        waiting = subprocess.Popen([sys.executable, "-m", "presskit", "build", str(site)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Until it says it waits (its start takes seconds on a busy machine: a fixed pause
        # could end before it reached the lock), then a while longer: it still waits.
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line) for line in waiting.stderr],  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        said: list[str] = []
        while not any("Another presskit build of this site is running; waiting" in line for line in said):
            said.append(lines.get(timeout=120))  # queue.Empty fails the test: it never said so
        time.sleep(1.0)
        assert waiting.poll() is None  # it waits
        assert not (site / "output").exists()
    waiting.wait(timeout=120)
    reader.join(timeout=10)
    while not lines.empty():
        said.append(lines.get_nowait())
    assert waiting.returncode == 0, "".join(said)
    for number in range(2):  # two at once, for real, after edits
        target = sorted((site / "content/releases").rglob("*.md"))[number]
        target.write_text(target.read_text().replace("title: ", "title: Again ", 1))
        builds = [subprocess.Popen([sys.executable, "-m", "presskit", "build", str(site)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
        for build in builds:
            _, errors = build.communicate(timeout=180)
            assert build.returncode == 0, errors
            assert "not changed" not in errors and "Traceback" not in errors
        assert not list(site.glob(".output.*"))
        assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_an_embargo_or_drafts_preview_never_touches_output(tmp_path, run):
    from conftest import release, write_site

    site = write_site(tmp_path / "site", {
        "content/releases/a.md": release("Public"),
        "content/releases/b.md": release("Under embargo", embargo="2099-01-01T09:00"),
    })
    aged(site)
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    preview = run("build", site, "--as-of", "2099-01-02T00:00")
    assert preview.code == 0 and "This is not output/" in preview.out
    assert "Under embargo" in (site / "preview/releases/b/index.html").read_text()
    assert tree_digest(site / "output") == before
    refused = run("build", site, "--drafts", "--out", site / "output")
    assert refused.code == 1 and "is the folder that gets published" in refused.err
    assert tree_digest(site / "output") == before
    elsewhere = run("build", site, "--as-of", "2099-01-02T00:00", "--out", tmp_path / "look")
    assert elsewhere.code == 0 and (tmp_path / "look/releases/b/index.html").is_file()
    assert run("build", site).out.startswith("Nothing changed")  # the cache still knows output/


@pytest.mark.parametrize("move", ["another path", "another machine"])
def test_a_cache_carried_to_another_path_or_machine_is_used_or_ignored_never_wrong(tmp_path, run, move):
    import subprocess
    import sys

    from test_quick import cold_output

    site = aged(generate(30, tmp_path / "site", seed=51))
    assert run("build", site).code == 0
    moved = tmp_path / "elsewhere" / "site"
    shutil.copytree(site, moved, symlinks=True)  # times kept, as a CI cache restores them
    target = sorted((moved / "content/releases").rglob("*.md"))[4]
    target.write_text(target.read_text() + "\nA sentence added on the other side.\n")
    environment = dict(os.environ)
    if move == "another machine":  # another user's key: every sealed file is foreign
        environment["XDG_CACHE_HOME"] = str(tmp_path / "other-home-cache")
    done = subprocess.run([sys.executable, "-m", "presskit", "build", str(moved)], env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert tree_digest(moved / "output") == cold_output(moved, tmp_path / "cold", run)


def test_a_pipeline_key_lets_a_fresh_machine_use_the_cache_it_restored(tmp_path, run):
    import secrets
    import subprocess
    import sys

    from test_quick import QUICK, cold_output

    site = aged(generate(30, tmp_path / "site", seed=52))
    key = secrets.token_hex(32)

    def build_on(machine: str) -> subprocess.CompletedProcess[str]:
        environment = dict(os.environ, PRESSKIT_CACHE_KEY=key, XDG_CACHE_HOME=str(tmp_path / machine))
        return subprocess.run([sys.executable, "-m", "presskit", "build", str(site)], env=environment,
                              capture_output=True, text=True, timeout=300)

    assert build_on("runner-1").returncode == 0
    target = sorted((site / "content/releases").rglob("*.md"))[4]
    target.write_text(target.read_text() + "\nA sentence added in the next commit.\n")
    os.utime(target, (target.stat().st_mtime - 60, target.stat().st_mtime - 60))
    second = build_on("runner-2")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(QUICK), second.stdout
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_malformed_pipeline_key_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    site = generate(3, tmp_path / "site", seed=53)
    environment = dict(os.environ, PRESSKIT_CACHE_KEY="not-hex")
    done = subprocess.run([sys.executable, "-m", "presskit", "build", str(site)], env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "PRESSKIT_CACHE_KEY must be at least 64 hexadecimal digits" in done.stderr
    assert "Traceback" not in done.stderr


def _fresh_clone(site: Path, scratch: Path) -> None:
    """What a deploy job on a new machine has: the site checked out anew (new inodes, and the
    checkout's times), then output/ and .presskit-cache/ restored from the pipeline's cache (a
    tar archive, which keeps times in whole seconds)."""
    import tarfile

    scratch.mkdir()
    with tarfile.open(scratch / "cache.tar", "w", format=tarfile.GNU_FORMAT) as archive:
        archive.add(site / "output", "output")
        archive.add(site / ".presskit-cache", ".presskit-cache")
    shutil.move(site, scratch / "last-run")
    shutil.copytree(scratch / "last-run", site, copy_function=shutil.copyfile,
                    ignore=shutil.ignore_patterns("output", ".presskit-cache"))
    checkout = time.time() - 600  # cloned ten minutes ago; a file's time is never its commit's
    for path in site.rglob("*"):
        os.utime(path, (checkout, checkout))
    with tarfile.open(scratch / "cache.tar") as archive:
        archive.extractall(site, filter="tar")


@pytest.mark.parametrize("change", ["words", "same size", "nothing", "output edited", "title"])
def test_a_cache_restored_into_a_fresh_clone_makes_a_deploy_a_rebuild_never_wrong(tmp_path, run, change,
                                                                                  monkeypatch):
    import presskit.schema as schema
    from test_quick import QUICK

    read: list[Path] = []
    reader = schema.read_document
    monkeypatch.setattr(schema, "read_document", lambda path, found: read.append(path) or reader(path, found))

    site = aged(generate(15, tmp_path / "site", seed=54))
    assert run("build", site).code == 0
    _fresh_clone(site, tmp_path / "pipeline")
    target = sorted((site / "content/releases").rglob("*.md"))[4]
    text = target.read_text()
    moment = target.stat().st_mtime
    if change == "words":  # the commit being deployed
        target.write_text(text + "\nA sentence added in the commit being deployed.\n")
    elif change == "same size":  # the same length, and a time as old as every other file's
        head, _, tail = text.rpartition("\n\n")
        target.write_text(f"{head}\n\n{tail.swapcase()}")
        assert len(target.read_bytes()) == len(text.encode())
    elif change == "title":
        target.write_text(text.replace("title: ", "title: Retitled, ", 1))
    elif change == "output edited":  # what was restored is not what the last build wrote
        page = sorted((site / "output/releases").rglob("index.html"))[3]
        page.write_text(page.read_text() + "<!-- changed by hand -->")
    os.utime(target, (moment, moment))
    read.clear()
    result = run("build", site)
    assert result.code == 0, result.err
    releases_read = [path for path in read if "releases" in path.parts]
    if change != "output edited":  # the releases the clone did not change are lent, not read
        assert set(releases_read) == (set() if change == "nothing" else {target}), releases_read
    if change in ("words", "same size"):
        assert result.out.startswith(f"{QUICK} 1 release changed"), result.out
    elif change == "nothing":
        assert result.out.startswith("Nothing changed"), result.out
    elif change == "title":  # a card edit: the graph the pipeline's last full build kept is used
        assert result.out.startswith("1 release changed in place"), result.out
    else:
        assert result.out.startswith("Built"), result.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    again = run("build", site)  # and the record left in the clone describes it
    assert again.out.startswith("Nothing changed"), again.out


def test_a_photo_removed_under_unchanged_releases_is_reported_at_each_of_their_lines(tmp_path, run):
    """Releases lent by the cache whose photo is gone are read again from their files: each
    is reported at the line of that photo, with the files that are there, by `build` and
    `check` alike (they said that the title and date were missing)."""
    site = aged(generate(20, tmp_path / "site", seed=8))
    assert run("build", site).code == 0
    photo = site / "content/media/photo-00.jpg"
    showing = sorted(path for path in (site / "content/releases").rglob("*.md")
                     if "/media/photo-00.jpg" in path.read_text())
    assert showing
    photo.unlink()
    for command in ("build", "check"):
        result = run(command, site)
        assert result.code == 1 and "Traceback" not in result.err
        assert "is missing" not in result.err
        for path in showing:
            line = next(number for number, text in enumerate(path.read_text().splitlines(), 1)
                        if "/media/photo-00.jpg" in text)
            assert f"{path.name}:{line}: error: photo file '/media/photo-00.jpg' does not exist" in result.err
        assert 'did you mean "/media/photo-' in result.err


def test_what_a_stopped_build_left_half_written_in_the_cache_is_removed(tmp_path, run):
    """A cache file is written beside its place and renamed: a process stopped in between
    (Ctrl-C while the preview keeps 60 MB of what it learned) leaves the piece behind. The
    next write of that file removes the pieces of processes that no longer run, and no other."""
    import subprocess
    import sys

    site = aged(generate(8, tmp_path / "site"))
    assert run("build", site).code == 0
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    cache = site / ".presskit-cache"
    left = cache / f"record-changes.{gone}.tmp"
    left.write_bytes(b"x" * 1000)
    running = cache / f"record-changes.{os.getppid()}.tmp"  # a build under way in another process
    running.write_bytes(b"y")
    (site / "content/releases").joinpath("added.md").write_text(
        "---\ntitle: Added later\ndate: 2024-02-02\n---\n\nWords.\n")
    aged(site)
    assert run("build", site).code == 0 and (cache / "record-changes").exists()
    assert not left.exists() and running.read_bytes() == b"y"
