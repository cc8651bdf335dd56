"""`presskit build` after an edit: quick when only words changed, always what a cold build makes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import random
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import copy_site, release, tree_digest, write_site
from presskit import build, search, write
from test_incremental import edit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate

QUICK = "Only the text of"


class Noted:
    """What a test notes as a build runs, a line each, in a file: the build may make part of
    it on a process it forks (see build._Ahead), whose lists the test would never see."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def add(self, line: str) -> None:
        with self.file.open("a") as kept:
            kept.write(line + "\n")

    @property
    def lines(self) -> list[str]:
        return self.file.read_text().splitlines() if self.file.exists() else []

    def clear(self) -> None:
        self.file.unlink(missing_ok=True)


def settle(site: Path, step: int = 0) -> None:
    """Make settings and templates look saved a while ago, as they are on a real site (a file
    changed in the last two seconds is never trusted by its time, so no record is kept)."""
    moment = time.time() - 3600 + step
    for path in [site / "presskit.toml", *(site / "templates").glob("*")]:
        os.utime(path, (moment, moment))


def aged(site: Path) -> Path:
    """A generated site as if written an hour ago. Right after a file is written, its time
    cannot tell a later change apart, so the record does not vouch for it and the next build
    is a full one (git's "racy" rule); real sites are rarely that fresh."""
    moment = time.time() - 3600
    for path in site.rglob("*"):
        os.utime(path, (moment, moment))
    return site


def cold_output(site: Path, scratch: Path, run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    shutil.rmtree(scratch, ignore_errors=True)
    copy_site(site, scratch)
    result = run("build", scratch)
    assert result.code == 0, result.err
    assert QUICK not in result.out
    return tree_digest(scratch / "output")


def body_edit(site: Path, rng: random.Random, step: int) -> None:
    target = rng.choice(sorted((site / "content/releases").rglob("*.md")))
    text = target.read_text()
    where = rng.choice(["end", "middle"])
    if where == "end":
        target.write_text(text + f"\nA sentence added at step {step}, with a [link](https://example.org).\n")
    else:
        head, _, tail = text.rpartition("\n\n")
        target.write_text(f"{head}\n\nA paragraph slipped in at step {step}.\n\n{tail}")


def next_day(release: Path) -> None:
    """A release dated the next day of its month (the 28th's the 1st): a move in its year."""
    release.write_text(dated_a_day_later(release.read_text()))


def dated_a_day_later(text: str) -> str:
    """A release's text dated the next day of its month (see next_day)."""
    day = re.search(r"^date: \d{4}-\d\d-(\d\d)", text, flags=re.M)
    assert day is not None
    return text[:day.start(1)] + f"{int(day[1]) % 28 + 1:02}" + text[day.end(1):]


def test_rebuilds_equal_cold_builds_after_random_edits(tmp_path, run):
    site = aged(generate(40, tmp_path / "site", seed=11))
    assert run("build", site).code == 0
    rng = random.Random(11)
    quick = full = 0
    for step in range(11):
        if rng.random() < 0.5:
            body_edit(site, rng, step)
            action = "body"
        else:
            action = edit(site, rng, step)
        settle(site, step)
        result = run("build", site)
        assert result.code == 0, (action, result.err)
        assert "Traceback" not in result.err
        if QUICK in result.out:
            quick += 1
            assert action == "body", action  # nothing else may take the quick path
        else:
            full += 1
        assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run), action
    assert quick >= 3 and full >= 3


def test_a_body_edit_writes_only_its_page_and_the_feeds_that_carry_it(tmp_path, run):
    site = aged(generate(30, tmp_path / "site", seed=12))
    assert run("build", site).code == 0
    newest = max((site / "content/releases").rglob("*.md"), key=lambda p: p.name)  # in every feed
    output = site / "output"
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    time.sleep(0.01)
    newest.write_text(newest.read_text() + "\nOne more sentence for the record.\n")
    result = run("build", site)
    assert QUICK in result.out, result.out
    changed = sorted(str(p.relative_to(output)) for p, t in before.items() if p.stat().st_mtime_ns != t)
    page = f"releases/{newest.stem}/index.html"
    assert page in changed and "feed.xml" in changed
    others = [p for p in changed if p != page and not p.endswith("feed.xml")]
    # and in the search index, the release's card (the newest: the last by date) and the shards
    # of the words it gained, those of the newest year's releases (r/)
    meta = json.loads(gzip.decompress((output / "search/data/meta.jsonz").read_bytes()))
    newest_number = search.decode_list(meta["numbers"])[search.decode_order(meta["order"])[-1]]
    card = f"search/data/f/{search.card_name(newest_number)}.jsonz"
    assert card in others and len(others) > 1, others
    assert all(p.startswith("search/data/r/") for p in set(others) - {card, "search/data/meta.jsonz"}), others
    assert "One more sentence for the record." in (output / page).read_text()
    assert "One more sentence for the record." in (output / "feed.xml").read_text()
    assert run("build", site).out.startswith("Nothing changed")


def test_a_search_index_of_another_format_is_made_anew_not_nothing_changed(tmp_path, run, monkeypatch):
    """The same version of presskit with another search index format (an editable install
    upgraded in place) does not say that nothing changed over the old index: it makes the
    index anew, in its format."""
    site = aged(generate(12, tmp_path / "site", seed=15))
    assert run("build", site).code == 0
    assert run("build", site).out.startswith("Nothing changed")
    monkeypatch.setattr(search, "FORMAT", search.FORMAT + 100)
    result = run("build", site)
    assert result.code == 0 and not result.out.startswith("Nothing changed"), result.out
    meta = json.loads(gzip.decompress((site / "output/search/data/meta.jsonz").read_bytes()))
    assert meta["format"] == search.FORMAT


def test_a_new_title_takes_the_full_build_without_the_kept_graph(tmp_path, run):
    site = aged(generate(20, tmp_path / "site", seed=13))
    run("build", site)
    target = sorted((site / "content/releases").rglob("*.md"))[5]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    without_kept_graph(site)
    result = run("build", site)
    assert result.out.startswith("Built"), result.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_an_edit_to_a_draft_changes_nothing_published(tmp_path, run):
    site = generate(20, tmp_path / "site", seed=14)
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    target.write_text(target.read_text().replace("\n---\n", "\ndraft: true\n---\n", 1))
    aged(site)
    run("build", site)
    target.write_text(target.read_text() + "\nSecret words of a draft.\n")
    result = run("build", site)
    assert QUICK in result.out and "nothing published shows them" in result.out
    assert "Secret words" not in "".join(
        p.read_text() for p in (site / "output").rglob("*") if p.suffix in (".html", ".xml"))


def test_a_damaged_or_deleted_cache_only_costs_a_full_build(tmp_path, run):
    site = aged(generate(20, tmp_path / "site", seed=15))
    run("build", site)
    cache = site / ".presskit-cache"
    target = sorted((site / "content/releases").rglob("*.md"))[2]
    for damage in ("garbage", "truncate", "delete"):
        for file in (cache / "record", cache / "releases.sqlite"):
            if damage == "garbage":
                file.write_bytes(b"\x00not a cache\xff" * 10)
            elif damage == "truncate":
                file.write_bytes(file.read_bytes()[:50])
            else:
                file.unlink(missing_ok=True)
        target.write_text(target.read_text() + f"\nWords after the cache was hit by {damage}.\n")
        result = run("build", site)
        assert result.code == 0 and "Traceback" not in result.err, result.err
        assert result.out.startswith("Built"), (damage, result.out)
        assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_stored_release_that_went_missing_means_a_full_build(tmp_path, run):
    """The record says a neighbour is stored, but the store lost it: no guessing."""
    import sqlite3

    site = aged(generate(20, tmp_path / "site", seed=16))
    run("build", site)
    with sqlite3.connect(site / ".presskit-cache/releases.sqlite") as db:
        db.execute("DELETE FROM releases")
    newest = max((site / "content/releases").rglob("*.md"), key=lambda p: p.name)
    newest.write_text(newest.read_text() + "\nAnother line.\n")
    result = run("build", site)
    assert result.out.startswith("Built"), result.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_theme_that_shows_release_text_on_other_pages_gets_full_builds(tmp_path, run):
    """The quick path trusts that only a release's own page and feeds show its text."""
    site = generate(20, tmp_path / "site", seed=17)
    (site / "templates").mkdir()
    builtin = Path(__file__).resolve().parent.parent / "templates/topic.html"
    lengths = "{% for r in topic.releases %}<p>{{ r.body|length }}</p>{% endfor %}"
    (site / "templates/topic.html").write_text(builtin.read_text().replace(
        "{% block main %}", "{% block main %}\n" + lengths, 1))
    aged(site)
    run("build", site)
    target = sorted((site / "content/releases").rglob("*.md"))[4]
    target.write_text(target.read_text() + "\nA sentence that changes a length on a topic page.\n")
    result = run("build", site)
    assert result.out.startswith("Built"), result.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def without_kept_graph(site: Path) -> None:
    """Forget the graph the last full build kept (see presskit.kept): a card edit is then a
    full build, as it was before builds kept one."""
    (site / ".presskit-cache/site-graph").unlink()


def retitled(site: Path) -> Path:
    """The sixth release, given a new headline (saved as if a while ago); its path."""
    target = sorted((site / "content/releases").rglob("*.md"))[5]
    target.write_text(target.read_text().replace("title: ", "title: A new headline, ", 1))
    settle(site)
    moment = time.time() - 3600
    os.utime(target, (moment, moment))
    return target


def test_a_full_build_after_a_new_title_renders_only_the_text_that_changed(tmp_path, run, monkeypatch):
    from presskit.markdown import BodyRenderer

    site = aged(generate(40, tmp_path / "site", seed=14))
    assert run("build", site).code == 0
    rendered: list[int] = []
    original = BodyRenderer.render

    def counting(self, text, first_line=1):  # type: ignore[no-untyped-def]
        if len(text) > 1000:  # a release's text (500-900 words); partners' are a sentence or two
            rendered.append(first_line)
        return original(self, text, first_line)

    monkeypatch.setattr(BodyRenderer, "render", counting)
    retitled(site)
    without_kept_graph(site)
    result = run("build", site)
    assert "Built" in result.out  # a new title takes the full build...
    assert len(rendered) <= 2, len(rendered)  # ...which reuses every text that did not change


def test_a_full_build_makes_again_only_the_shapes_of_releases_that_changed(tmp_path, run, monkeypatch):
    # The record keeps each release's shape (what other pages show of it); a full build
    # carries the shapes of releases made from the same file, partners and programmes.
    from presskit import quick

    site = aged(generate(30, tmp_path / "site", seed=16))
    assert run("build", site).code == 0
    shaped: list[str] = []
    original = quick.release_shape

    def counting(release, body, published):  # type: ignore[no-untyped-def]
        shaped.append(release.source.name)
        return original(release, body, published)

    monkeypatch.setattr(quick, "release_shape", counting)
    target = retitled(site)
    without_kept_graph(site)
    assert "Built" in run("build", site).out
    assert set(shaped) == {target.name}, shaped  # (the quick rebuild it tried first makes it too)
    # A partner's new name is shown by the cards of its releases: after a partner's edit the
    # shapes are made again (as the releases are: the store's key names every partner), so a
    # words edit of one of its releases afterwards is still a quick rebuild, and right.
    partner = site / "content/partners/partner-03.md"
    partner.write_text(partner.read_text().replace("name: ", "name: Renamed ", 1))
    releases = sorted((site / "content/releases").rglob("*.md"))
    naming = [path for path in releases if "partner-03" in path.read_text().partition("\n---\n")[0]]
    shaped.clear()
    settle(site)
    aged(site)
    assert "Built" in run("build", site).out
    assert naming and set(shaped) == {path.name for path in releases}, shaped
    naming[0].write_text(naming[0].read_text() + "\nOne more sentence.\n")
    assert QUICK in run("build", site).out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_the_list_of_output_kept_after_a_full_build_in_place_is_the_folder_as_it_is(tmp_path, run):
    # The record lists output/ with each file's size and time (a deploy pipeline's restored
    # output/ is recognised by it); a full build that writes only what changed updates the
    # list with the files it wrote and removed, rather than walking output/ again.
    from presskit import quick, store

    site = aged(generate(20, tmp_path / "site", seed=17))
    assert run("build", site).code == 0
    retitled(site)
    sorted((site / "content/releases").rglob("*.md"))[9].unlink()  # its page and folder go
    result = run("build", site)
    assert "Built" in result.out and "files changed" in result.out, result.out
    record = quick.Record.from_bytes(store.read_cache(site, "record") or b"")
    assert record is not None and record.written
    assert record.written == quick.output_listing(site / "output")


def test_a_record_is_kept_as_its_changes_since_its_file_until_they_are_many(tmp_path, run, monkeypatch):
    """After a build that started from a record file, the record is kept as what changed
    since that file was written: taken back, it is the record that was kept, entry by entry
    (entries changed, added, removed, added again, in plain and packed fields, and its other
    values); changes of another record file are not applied; past the limit, the record is
    written whole again and the changes go."""
    import dataclasses

    from presskit import build, quick, store

    site = aged(generate(12, tmp_path / "site", seed=53))
    assert run("build", site).code == 0
    cache = site / ".presskit-cache"

    def read() -> quick.Record:
        record = quick.Record.from_bytes(store.read_cache(site, "record") or b"")
        assert record is not None
        record = record.with_changes(store.read_cache(site, "record-changes"))
        assert record is not None
        return record

    def same(one: quick.Record, other: quick.Record) -> None:
        for field in dataclasses.fields(quick.Record):
            if field.name != "changes":
                mine, theirs = getattr(one, field.name), getattr(other, field.name)
                mine, theirs = getattr(mine, "packed", mine), getattr(theirs, "packed", theirs)
                assert mine == theirs, field.name

    base = (cache / "record").read_bytes()
    before = read()
    first, second, *_ = sorted(before.releases)
    now = dataclasses.replace(before, walked_at=before.walked_at + 1, built="another",
                              releases={**before.releases, first: ("new digest", "shape", True)},
                              pages={path: digest for path, digest in before.pages.items() if path != "/"},
                              links=quick.Packed({**before.links.packed, "added.md": b"links"}),
                              written={**before.written, "new.html": (1, 2)})
    del now.releases[second]
    build.save_record(site, now, before=before)
    assert (cache / "record").read_bytes() == base and (cache / "record-changes").exists()
    again = read()
    same(again, now)
    later = dataclasses.replace(again, releases={**again.releases, second: before.releases[second]},
                                links=quick.Packed({key: value for key, value in again.links.packed.items()
                                                    if key != "added.md"}),
                                searched={**again.searched, "x.md": 7})
    build.save_record(site, later, before=again)
    assert (cache / "record").read_bytes() == base
    same(read(), later)
    other = quick.Record.from_bytes(store.read_cache(site, "record") or b"")
    assert other is not None
    other.token = "another file's"
    assert other.with_changes(store.read_cache(site, "record-changes")).releases == before.releases
    # changes of this file that do not fit (their values cut short): no record, not half of one
    import marshal

    *head, values, changes = marshal.loads(store.read_cache(site, "record-changes") or b"")
    unfit = marshal.dumps((*head, values[:-1], changes))
    fresh = quick.Record.from_bytes(store.read_cache(site, "record") or b"")
    assert fresh is not None and fresh.with_changes(unfit) is None
    monkeypatch.setattr(build, "_CHANGES_KEPT", 2)  # more than that: written whole
    last = read()
    more = dataclasses.replace(last, walked_at=last.walked_at + 1,
                               pages={**last.pages, "/a/": "1", "/b/": "2"})
    build.save_record(site, more, before=last)
    assert (cache / "record").read_bytes() != base and not (cache / "record-changes").exists()
    assert read().pages["/b/"] == "2" and read().token != last.token


def test_a_full_build_after_a_cold_one_renders_only_the_cards_that_changed(tmp_path, run, monkeypatch):
    # A cold build reads releases on every core; the cards it rendered must still be kept for
    # the next build (they were forgotten, as if no release had been read, before 1 December).
    from presskit import build, schema
    from presskit.cache import BuildMemory

    monkeypatch.setattr(schema, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(build, "cores", lambda: 2)
    site = aged(generate(40, tmp_path / "site", seed=15))
    assert run("build", site).code == 0
    made: list[object] = []
    original = BuildMemory.fragment

    def counting(self, slot, digest, render, *args):  # type: ignore[no-untyped-def]
        def counted():  # type: ignore[no-untyped-def]
            made.append(slot)
            return render(*args)
        return original(self, slot, digest, counted)

    monkeypatch.setattr(BuildMemory, "fragment", counting)
    target = retitled(site)
    without_kept_graph(site)
    result = run("build", site)
    assert "Built" in result.out, result.out
    assert made and {slot[0] for slot in made} == {str(target)}, made  # type: ignore[index]


def test_partners_and_programmes_are_checked_again_only_when_their_files_change(tmp_path, run, monkeypatch):
    # The build keeps their checked models (sealed, in .presskit-cache/models) with the state
    # each file was read in: the next build, in another process, reads none of those files
    # again while that state is theirs, and reads and checks only those that changed.
    from presskit import countries, schema
    from presskit.schema import _Loader

    site = aged(generate(40, tmp_path / "site", seed=16))
    assert run("build", site).code == 0
    checked: list[str] = []
    for kind in ("partner", "programme"):
        original = getattr(_Loader, kind)

        def counting(self, doc, *args, original=original):  # type: ignore[no-untyped-def]
            checked.append(doc.path.name)
            return original(self, doc, *args)
        monkeypatch.setattr(_Loader, kind, counting)
    read: list[str] = []
    original_read = schema.read_document

    def reading(path, problems):  # type: ignore[no-untyped-def]
        if path.parent.name in ("partners", "programmes"):
            read.append(path.name)
        return original_read(path, problems)
    monkeypatch.setattr(schema, "read_document", reading)

    # The country table too (a new process would import pycountry to make it again).
    made_tables: list[object] = []
    monkeypatch.setattr(countries, "_TABLE", None)
    original_table = countries._made_table
    monkeypatch.setattr(countries, "_made_table", lambda: made_tables.append(1) or original_table())
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    assert "countries: [" in target.read_text()
    target.write_text(target.read_text() + "\nOne more sentence.\n")
    settle(site)
    assert QUICK in run("build", site).out
    assert checked == [] and read == []  # a quick rebuild: nothing but the release read and checked again
    assert made_tables == [] and countries._TABLE is not None
    # The partners' files touched (a checkout: new times, the same bytes): the next build reads
    # them again, and keeps that, so that the one after it reads none.
    partners = sorted((site / "content/partners").glob("*.md"))
    for partner in partners:
        os.utime(partner, (time.time() - 1800, time.time() - 1800))
    for number in range(2):
        target.write_text(target.read_text() + f"\nAnd another, {number}.\n")
        settle(site)
        assert QUICK in run("build", site).out
        assert checked == [] and sorted(read) == ([p.name for p in partners] if number == 0 else [])
        read.clear()
    programme = sorted((site / "content/programmes").glob("*.md"))[0]
    programme.write_text(programme.read_text().replace("title: ", "title: Renamed ", 1))
    settle(site, 1)
    result = run("build", site)
    assert "Built" in result.out, result.out
    assert checked == [programme.name]  # the full build checks the changed programme alone
    assert set(read) == {programme.name}  # and reads no other (the change in place tried first read it too)
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_full_rebuild_writes_only_the_files_that_changed_and_removes_what_is_gone(tmp_path, run):
    site = aged(generate(30, tmp_path / "site", seed=16))
    assert run("build", site).code == 0
    output = site / "output"
    folder = output.stat().st_ino  # a server started inside output/ keeps serving the new build
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
    releases = sorted((site / "content/releases").rglob("*.md"))
    retitled, deleted = releases[4], releases[9]
    retitled.write_text(retitled.read_text().replace("title: ", "title: Renamed ", 1))
    deleted.unlink()
    result = run("build", site)
    assert result.out.startswith("Built"), result.out
    rewritten = sorted(str(p.relative_to(output)) for p, state in before.items()
                       if not p.exists() or (p.stat().st_ino, p.stat().st_mtime_ns) != state)
    assert f"releases/{retitled.stem}/index.html" in rewritten
    assert f"releases/{deleted.stem}/index.html" in rewritten
    assert 0 < len(rewritten) < len(before) / 2, len(rewritten)  # the rest kept as they were
    assert not (output / "releases" / deleted.stem).exists()  # its folder too
    assert output.stat().st_ino == folder
    assert not [p for p in output.rglob("*") if ".presskit-" in p.name and p.name != ".presskit-output"]
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)


def disk_full_at(monkeypatch, nth: int, pages_of: Path | None = None) -> list[object]:  # type: ignore[no-untyped-def]
    """Make the `nth` rename presskit.write makes (of a page of `pages_of`, if given) fail as on
    a full disk; the renames are listed in what is returned."""
    replace, calls = os.replace, []

    def disk_full(source, target):  # type: ignore[no-untyped-def]
        if pages_of is None or (str(target).startswith(str(pages_of)) and str(target).endswith(".html")):
            calls.append(target)
            if len(calls) == nth:
                raise OSError(28, "No space left on device", str(target))
        return replace(source, target)

    monkeypatch.setattr("presskit.write.os.replace", disk_full)
    return calls


def left_as_it_was(result, output: Path, published: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """A build that failed while writing said so, and left output/ as it was."""
    assert result.code == 1 and "Traceback" not in result.err
    assert "the disk is full" in result.err and "output/ was not changed" in result.err, result.err
    assert tree_digest(output) == published
    assert not [p for p in output.rglob("*") if ".presskit-" in p.name and p.name != ".presskit-output"]


def test_a_full_build_writes_its_pages_on_another_process_while_the_index_is_made(tmp_path, run, monkeypatch):
    """On several cores, a full build's pages, feeds and photo files are written by a process
    forked for them while this one makes the search index, then writes it: the same files as
    on one core. A failure on either side leaves output/ as it was."""
    site = aged(generate(60, tmp_path / "site", seed=5))
    one_core = copy_site(site, tmp_path / "one-core")
    here, puts, put = str(os.getpid()), tmp_path / "puts", write._put

    def noted(file, target):  # type: ignore[no-untyped-def]
        with open(puts, "a") as log:  # from every process, forked ones too
            log.write(f"{os.getpid()} {file.spilled:d} {file.path}\n")
        return put(file, target)

    monkeypatch.setattr(write, "_put", noted)
    monkeypatch.setattr(build, "cores", lambda: 2)
    assert run("build", site).code == 0
    writers: dict[bool, set[str]] = {}
    cards = []
    for line in puts.read_text().splitlines():
        pid, spilled, path = line.split(" ", 2)
        made_later = path.startswith("search/data/") or path in ("sitemap.xml", "robots.txt")
        writers.setdefault(made_later, set()).add(pid)
        if path.startswith("search/data/f/"):
            cards.append(spilled)
    assert writers[True] == {here}
    assert here not in writers[False] and len(writers[False]) == 1
    assert cards == ["1"] * 60  # written where they were made, then linked (see presskit.spill)
    monkeypatch.setattr(build, "cores", lambda: 1)
    assert run("build", one_core).code == 0
    assert tree_digest(site / "output") == tree_digest(one_core / "output")

    monkeypatch.setattr(build, "cores", lambda: 2)
    output = site / "output"
    published = tree_digest(output)
    retitled = sorted((site / "content/releases").rglob("*.md"))[7]
    retitled.write_text(retitled.read_text().replace("title: ", "title: Renamed ", 1))
    shutil.rmtree(site / ".presskit-cache")  # a full build over output/

    def page_disk_full(file, target):  # type: ignore[no-untyped-def]
        if file.path.endswith(".html") and str(os.getpid()) != here:
            raise OSError(28, "No space left on device", str(target))
        return put(file, target)

    monkeypatch.setattr(write, "_put", page_disk_full)
    left_as_it_was(run("build", site), output, published)
    assert not list(site.glob(".output.*"))  # nor its staging folder

    def index_disk_full(*args, **options):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device", "search")

    monkeypatch.setattr(write, "_put", put)
    monkeypatch.setattr(search, "build_index", index_disk_full)
    left_as_it_was(run("build", site), output, published)
    assert not list(site.glob(".output.*"))
    monkeypatch.undo()
    assert run("build", site).code == 0
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)


def test_a_rebuild_that_fails_while_writing_leaves_output_as_it_was(tmp_path, run, monkeypatch):
    site = aged(generate(30, tmp_path / "site", seed=17))
    assert run("build", site).code == 0
    output = site / "output"
    published = tree_digest(output)
    releases = sorted((site / "content/releases").rglob("*.md"))
    releases[3].write_text(releases[3].read_text().replace("title: ", "title: Renamed ", 1))
    releases[8].unlink()
    disk_full_at(monkeypatch, 5)
    left_as_it_was(run("build", site), output, published)
    monkeypatch.undo()
    assert run("build", site).code == 0  # and the next build makes the whole change
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)


def test_each_kind_of_edit_rewrites_only_the_files_it_changes(tmp_path, run):
    site = aged(generate(24, tmp_path / "site", seed=18))
    assert run("build", site).code == 0
    output = site / "output"
    release = sorted((site / "content/releases").rglob("*.md"))[12]
    original = release.read_text()
    edits = {
        "title": lambda: release.write_text(original.replace("title: ", "title: Retitled ", 1)),
        "date": lambda: release.write_text(original.replace("date: 20", "date: 19", 1)),
        "lead": lambda: release.write_text(original.replace("\n---\n", "\n---\nA new lead.\n\n", 1)),
        "partner": lambda: release.write_text(original.replace("partners: [", "partners: [partner-02, ", 1)),
        "photo": lambda: release.write_text(re.sub(  # another photo of the site's four
            r"/media/photo-(\d\d)", lambda m: f"/media/photo-{(int(m[1]) + 1) % 4:02}", original, count=1)),
        "added": lambda: release.with_name("added.md").write_text(
            original.replace("title: ", "title: Added ", 1)),
        "deleted": lambda: release.with_name("added.md").unlink(),
    }
    for kind, make in edits.items():
        before = tree_digest(output)
        states = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in output.rglob("*") if p.is_file()}
        time.sleep(0.01)
        make()
        settle(site)
        result = run("build", site)
        assert result.code == 0, (kind, result.err)
        after = tree_digest(output)
        changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
        rewritten = {str(p.relative_to(output)) for p in output.rglob("*") if p.is_file()
                     and states.get(p) != (p.stat().st_ino, p.stat().st_mtime_ns)}
        rewritten |= {str(p.relative_to(output)) for p in states if not p.exists()}
        assert changed and rewritten == changed, (kind, sorted(rewritten ^ changed)[:5])
        assert len(changed) < len(after) / 3, (kind, len(changed))
        assert after == cold_output(site, tmp_path / "cold", run), kind


IN_PLACE = "changed in place (title, summary, lead or photos)"
MOVED = "moved among the others (a new date or other partners)"
ADDED = "1 release added: made"


CARD_EDITS = ("title", "subtitle", "lead", "photo", "caption", "body", "date", "partner", "added", "year")


def card_edit(site: Path, rng: random.Random, step: int, kind: str) -> tuple[str, Path]:
    """One edit a writer makes to a release: what other pages show of it (a card edit), its
    words alone, or something that moves it (a full build); the kind and the file."""
    releases = sorted((site / "content/releases").rglob("*.md"))
    target = rng.choice(releases)
    text = original = target.read_text()
    if kind == "title":
        text = re.sub(r"^title: ", f"title: Edit {step}, ", text, count=1, flags=re.M)
    elif kind == "subtitle":
        text = re.sub(r"^subtitle: ", f"subtitle: Edit {step}. ", text, count=1, flags=re.M)
    elif kind == "lead":
        text = text.replace("\n---\n\n", f"\n---\n\nA new first paragraph at step {step}.\n\n", 1)
    elif kind == "photo":  # another of the site's photos, or the same ones in another order
        text = re.sub(r"/media/photo-(\d\d)", lambda m: f"/media/photo-{(int(m[1]) + 1) % 4:02}",
                      text, count=1)
    elif kind == "caption":
        text = re.sub(r"caption: ", f"caption: Step {step}, ", text, count=1)
    elif kind == "body":
        text += f"\nA sentence added at step {step}.\n"
    elif kind == "date":  # another day of the same month
        text = dated_a_day_later(text)
    elif kind == "year":
        text = re.sub(r"^date: 20", "date: 19", text, count=1, flags=re.M)
    elif kind == "partner":
        text = text.replace("partners: [", "partners: [partner-01, ", 1)
    else:
        target = target.with_name(f"added-{step}.md")
        text = re.sub(r"^title: ", f"title: Added {step}, ", text, count=1, flags=re.M)
    target.write_text(text)
    return (kind if text != original else "nothing"), target  # (a partner it names already)


@pytest.mark.parametrize("bilingual", [False, True], ids=["english", "bilingual"])
def test_card_edits_are_made_in_place_and_equal_cold_builds(tmp_path, run, bilingual):
    """A new title, subtitle, lead, photo or caption is a change of the pages that show the
    release (see presskit.kept), after full builds, quick rebuilds and other changes in place
    alike, in every language, and the result is always what a cold build makes."""
    site = generate(40, tmp_path / "site", seed=31, bilingual=bilingual)
    toml = site / "presskit.toml"  # every list paged: its pages come and go
    toml.write_text(f"releases_per_page = 4\n{toml.read_text()}")
    site = aged(site)
    assert run("build", site).code == 0
    rng = random.Random(31 + bilingual)
    seen: dict[str, int] = {}
    kinds = [*CARD_EDITS, *CARD_EDITS, "title", "title"]
    rng.shuffle(kinds)
    for step, kind in enumerate(kinds):
        kind, _ = card_edit(site, rng, step, kind)
        settle(site, step)
        result = run("build", site)
        assert result.code == 0 and "Traceback" not in result.err, (kind, result.err)
        if IN_PLACE in result.out:
            path = "in place"
            assert kind in ("title", "subtitle", "lead", "photo", "caption"), kind
        elif MOVED in result.out or ADDED in result.out:
            path = "moved"
            assert kind in ("date", "partner", "added"), kind
        elif QUICK in result.out:
            path = "quick"
            assert kind in ("body", "caption"), kind  # (a caption no page but its own shows)
        elif kind == "nothing":
            path = kind
            assert result.out.startswith("Nothing changed"), result.out
        else:
            path = "full"
            assert "Built" in result.out, result.out
            assert kind in ("year", "date", "partner"), kind  # another year (a date may move a
            # release across years), or a partner's first release
        seen[path] = seen.get(path, 0) + 1
        assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run), (step, kind)
    assert seen.get("in place", 0) >= 6 and seen.get("moved", 0) >= 3 and seen.get("quick", 0) >= 1, seen
    assert seen.get("full", 0) >= 1, seen


def test_a_title_made_in_place_remakes_exactly_the_pages_that_show_the_release(tmp_path, run):
    site = aged(generate(40, tmp_path / "site", seed=32))
    assert run("build", site).code == 0
    output = site / "output"
    target = sorted((site / "content/releases").rglob("*.md"))[-3]  # among the newest: on the home page
    old_title = re.search(r"^title: (.*)$", target.read_text(), flags=re.M)[1]  # type: ignore[index]
    states = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    time.sleep(0.01)
    target.write_text(target.read_text().replace(f"title: {old_title}", "title: A headline nobody had", 1))
    settle(site)
    result = run("build", site)
    assert IN_PLACE in result.out, result.out
    rewritten = {p for p, t in states.items() if p.stat().st_mtime_ns != t}
    showing = {p for p in states if "A headline nobody had" in p.read_text()}
    assert rewritten == showing, sorted(str(p.relative_to(output)) for p in rewritten ^ showing)
    assert output / "index.html" in showing and len(showing) >= 8, len(showing)  # lists, terms, neighbours
    made = int(result.out.split("made ")[1].split(" page")[0])
    assert made == len(showing)
    assert not any(old_title in p.read_text() for p in showing)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "deleted", "an older build's"])
# the graph, and what it refers to: the content, the pages' versions
@pytest.mark.parametrize("name", ["site-graph", "site-graph-content", "site-graph-versions"])
def test_a_kept_graph_damaged_or_of_another_build_only_costs_a_full_build(tmp_path, run, damage, name):
    site = aged(generate(20, tmp_path / "site", seed=33))
    assert run("build", site).code == 0
    kept = site / ".presskit-cache" / name
    older = kept.read_bytes()
    releases = sorted((site / "content/releases").rglob("*.md"))
    if damage == "an older build's":  # a full build since (a date moved a release) kept another
        releases[2].write_text(re.sub(r"^date: 20", "date: 19", releases[2].read_text(), count=1, flags=re.M))
        settle(site)
        assert run("build", site).out.startswith("Built")
        kept.write_bytes(older)
    elif damage == "garbage":
        kept.write_bytes(b"\x00not a graph\xff" * 100)
    elif damage == "truncated":
        kept.write_bytes(older[: len(older) // 2])
    else:
        kept.unlink()
    releases[7].write_text(releases[7].read_text().replace("title: ", "title: Retitled, ", 1))
    settle(site, 1)
    result = run("build", site)
    assert result.code == 0 and "Traceback" not in result.err, result.err
    assert result.out.startswith("Built"), result.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    releases[7].write_text(releases[7].read_text().replace("title: ", "title: Again, ", 1))
    settle(site, 2)
    assert IN_PLACE in run("build", site).out  # the full build kept its graph
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


@pytest.mark.parametrize("kind", ["title", "deleted"])
def test_a_change_in_place_that_fails_while_writing_leaves_output_as_it_was(tmp_path, run, monkeypatch, kind):
    site = aged(generate(30, tmp_path / "site", seed=36))
    assert run("build", site).code == 0
    output = site / "output"
    published = tree_digest(output)
    target = sorted((site / "content/releases").rglob("*.md"))[-5]  # its deletion is made in place
    if kind == "title":
        target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    else:
        target.unlink()
    settle(site)
    calls = disk_full_at(monkeypatch, 3, pages_of=output)
    left_as_it_was(run("build", site), output, published)
    assert len(calls) >= 3  # (the change in place was under way; the rest put the files back)
    assert not list(site.glob(".output.pages-*"))  # (a deletion's pages wait in a spill folder)
    assert not list((site / ".presskit-cache").glob("*.staged"))  # (the site after it: not kept)
    monkeypatch.undo()
    again = run("build", site)
    assert again.code == 0 and (IN_PLACE in again.out or "1 release deleted" in again.out), again.out
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)


@pytest.mark.parametrize("held", ["draft: true", "embargo: 2099-01-01T09:00"])
def test_a_release_written_as_a_draft_or_under_embargo_is_never_published_in_place(tmp_path, run, held):
    site = aged(generate(30, tmp_path / "site", seed=35))
    assert run("build", site).code == 0
    model = sorted((site / "content/releases").rglob("*.md"))[4]
    written = model.with_name("held-back.md")
    written.write_text(model.read_text().replace("title: ", f"{held}\ntitle: Held back, ", 1))
    settle(site)
    result = run("build", site)
    assert result.code == 0 and "Built" in result.out, result.out  # the full build holds it back
    assert "Not published" in result.out
    assert not (site / "output/releases/held-back").exists()
    assert not any("Held back" in p.read_text() for p in (site / "output").rglob("*.html"))
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_release_deleted_in_place_leaves_no_page_card_or_word_behind(tmp_path, run, monkeypatch, processes):
    """...and the pages it shifts are written by the processes that make them, into a spill
    folder that output/ links them from and that is gone after the build."""
    from presskit import build, render, spill

    if processes > 1:  # the pages it shifts are rendered on two processes, as at newsroom size
        monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
        monkeypatch.setattr(build, "cores", lambda: processes)
    site = aged(generate(30, tmp_path / "site", seed=36))
    assert run("build", site).code == 0
    puts, put = tmp_path / "puts", spill.Spill.put

    def noted(self: spill.Spill, data: bytes) -> spill.Spilled:
        with open(puts, "a") as log:  # from every process, forked ones too
            log.write(f"{os.getpid()}\n")
        return put(self, data)

    monkeypatch.setattr(spill.Spill, "put", noted)
    target = sorted((site / "content/releases").rglob("*.md"))[-5]  # among the newest
    title = re.search(r"^title: (.*)$", target.read_text(), flags=re.M)[1]  # type: ignore[index]
    assert any(title in p.read_text() for p in (site / "output").rglob("*.html") if target.stem not in str(p))
    target.unlink()
    settle(site)
    result = run("build", site)
    assert "1 release deleted: made" in result.out, result.out
    assert not (site / "output/releases" / target.stem).exists()
    writers = set(puts.read_text().split())
    assert bool(writers - {str(os.getpid())}) == (processes > 1), writers  # the workers wrote theirs
    assert not list(site.glob(f"{spill.PREFIX}*"))
    assert not any(title in p.read_text() for p in (site / "output").rglob("*")
                   if p.suffix in (".html", ".xml"))
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    assert run("build", site).out.startswith("Nothing changed")


def test_the_cache_takes_each_path_back_once() -> None:
    """The kept graph and what the preview learned name the same photo file thousands of
    times: taken back, it is one path (equal to each one kept), made once."""
    from presskit import pickled

    photo = "/site/content/media/lead.jpg"
    kept = [Path(photo), {"file": Path(photo)}, (Path("/site/content/releases/one.md"), Path(photo)),
            Path("relative/name.md")]
    back = pickled.load(io.BytesIO(pickled.dumps(kept)))
    assert back == kept
    assert back[0] is back[1]["file"] is back[2][1]
    assert type(back[0]) is type(Path(photo))
    # what pathlib pickles by itself (a cache kept before) still comes back as it was
    assert pickled.load(io.BytesIO(pickle.dumps(kept))) == kept


@pytest.mark.parametrize("text", [
    "/site/content/releases/2023/one.md", "/a", "/", "/tầng 2/ảnh chụp.jpg", "/a/../b", "/..", "/a/.hidden",
    "relative/name.md", "//host/share/x", "/a//b", "/a/./b", "/a/", "/a/.", "/a/b.",
])
def test_a_path_made_from_its_text_is_the_path_of_that_text(text: str) -> None:
    """pickled.made_path makes a kept path from its parts (faster on Python 3.11): the same
    path, text, parts, hash and parent as pathlib's; a text pathlib would tidy is parsed."""
    from presskit import pickled

    made, parsed = pickled.made_path(text), Path(text)
    assert made == parsed and type(made) is type(parsed)
    assert (str(made), made.parts, hash(made), made.parent, made.name, made.suffix) == (
        str(parsed), parsed.parts, hash(parsed), parsed.parent, parsed.name, parsed.suffix)
    if parsed.is_absolute():
        assert made.as_uri() == parsed.as_uri()


def test_files_saved_just_before_a_build_are_compared_by_their_bytes(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    """A file saved in the seconds before a build cannot be vouched for by its time and size
    (git's "racy" rule): the builds and checks after it compare its bytes with those the build
    read, rather than read and check it again (a site cloned or generated just before its build
    has thousands), and a change that kept its time and size is still found."""
    from presskit import build, quick
    from presskit.cache import walk
    from presskit.config import load_settings

    site = write_site(tmp_path / "site", {"content/releases/kept.md": release("Kept"),
                                          "content/releases/edited.md": release("Edited")})
    settle(site)  # the settings as a real site has them; the releases saved just now
    assert run("build", site).code == 0
    settings = load_settings(site)
    record = build.last_record(site, settings)
    assert record is not None
    edited = site / "content/releases/edited.md"
    before = edited.stat()
    edited.write_text(edited.read_text().replace("Edited", "Eddied"))  # the same size
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    walked = walk(settings.content_dir)
    assert walked == record.files  # nothing to tell by the files' states
    assert quick.touched_files(record, walked) == [str(edited)]
    assert run("build", site).code == 0
    assert "Eddied" in (site / "output/releases/edited/index.html").read_text()


@pytest.mark.parametrize("where", ["a year with releases", "a year without"])
def test_a_date_moved_into_another_year_is_made_in_place_if_that_year_has_releases(tmp_path, run, where):
    """A release dated into another year leaves its year's page for the other's: both years'
    pages, /releases/ (it counts each year's releases) and the pages of the list it crosses are
    made again with the rest of a move (its search number changes with its year); the other
    years' pages stay as they are. Into a year with no release yet, a page would come: the
    full build."""
    site = aged(generate(40, tmp_path / "site", seed=35))
    assert run("build", site).code == 0
    releases = sorted((site / "content/releases").rglob("*.md"))
    years = sorted({int(re.search(r"^date: (\d{4})", path.read_text(), flags=re.M)[1])  # type: ignore[index]
                    for path in releases})
    assert len(years) >= 3, years
    target = next(path for path in releases
                  if re.search(r"^date: (\d{4})", path.read_text(), flags=re.M)[1] == str(years[-1]))  # type: ignore[index]
    text = target.read_text()
    year = years[0] if where == "a year with releases" else years[0] - 3
    target.write_text(re.sub(r"^date: \d{4}", f"date: {year}", text, count=1, flags=re.M))
    settle(site)
    output = site / "output"
    states = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    result = run("build", site)
    assert result.code == 0, result.err
    if where == "a year without":
        assert result.out.startswith("Built"), result.out
    else:
        assert MOVED in result.out, result.out
        rewritten = {p.relative_to(output).as_posix() for p, t in states.items() if p.stat().st_mtime_ns != t}
        assert {f"archive/{years[0]}/index.html", f"archive/{years[-1]}/index.html",
                "releases/index.html", "releases/page/1/index.html"} <= rewritten, sorted(rewritten)
        assert not {f"archive/{other}/index.html" for other in years[1:-1]} & rewritten, sorted(rewritten)
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)
    target.write_text(target.read_text().replace("title: ", "title: Retitled in its new year, ", 1))
    settle(site, 1)
    assert IN_PLACE in run("build", site).out  # the graph kept after it takes the next edit
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)


def test_a_move_in_place_reads_only_the_search_entries_it_numbers_anew(tmp_path, run, monkeypatch):
    """A new date moves a release a few places: the search index is made from the one in
    output/, and the entries of the releases that kept their numbers stay there unread (a
    build read all 10,000 to find them unchanged). A new date in the same year keeps the
    release's number: its card and meta.jsonz change, no shard of its words (numbered by
    day, all its words moved: a thousand shards with a newsroom's vocabulary)."""
    from presskit import quick

    site = aged(generate(40, tmp_path / "site", seed=34))
    assert run("build", site).code == 0
    target = sorted((site / "content/releases").rglob("*.md"))[20]
    text = target.read_text()
    day = re.search(r"^date: \d{4}-\d\d-(\d\d)", text, flags=re.M)
    assert day is not None
    moved = f"{int(day[1]) % 28 + 1:02}"
    target.write_text(text[:day.start(1)] + moved + text[day.end(1):])
    settle(site)
    index = site / "output/search/data"
    before = {path.relative_to(index).as_posix(): path.read_bytes() for path in index.rglob("*.jsonz")}
    noted = Noted(tmp_path / "read")  # (the index may be made on a forked process, see build._Ahead)
    written_file = quick.written_file
    monkeypatch.setattr(quick, "written_file",
                        lambda folder, path: noted.add(path) or written_file(folder, path))
    result = run("build", site)
    assert MOVED in result.out, result.out
    read = noted.lines
    assert "search/data/meta.jsonz" in read, read  # the index is made from the one in output/
    entries = [path for path in read if path.startswith("search/data/f/")]
    assert len(entries) < 10, entries  # at most those between its two places, not the forty
    after = {path.relative_to(index).as_posix(): path.read_bytes() for path in index.rglob("*.jsonz")}
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    cards = [name for name in changed if name.startswith("f/")]
    assert len(cards) == 1 and set(changed) <= {*cards, "meta.jsonz"}, changed  # its card (a date), no shard
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_graph_kept_after_a_move_refers_to_the_full_builds_content(tmp_path, run):
    """After a move, the kept graph is written again without the full build's content, which
    it refers to (presskit.kept._CONTENT): taken back, the releases that did not change are
    the very objects of that content, the one moved is as it is now, and each release's
    partners are the content's own (models are compared by identity)."""
    from presskit import build, kept, store
    from presskit.config import load_settings

    site = aged(generate(30, tmp_path / "site", seed=7))
    assert run("build", site).code == 0
    cache = site / ".presskit-cache"
    content_file = (cache / "site-graph-content").read_bytes()
    target = sorted((site / "content/releases").rglob("*.md"))[12]
    next_day(target)
    settle(site)
    assert MOVED in run("build", site).out
    assert (cache / "site-graph-content").read_bytes() == content_file  # the full build's, as it was
    record = build.last_record(site, load_settings(site))
    assert record is not None
    recalled = kept.recall(record, store.ReleaseStore(site), lambda name: store.read_cache(site, name))
    kept.settle()
    assert recalled is not None and recalled.apart is not None
    full = {str(release.source): release for release in recalled.apart.releases}
    now = {str(release.source): release for release in recalled.content.releases}
    assert [source for source in now if now[source] is not full[source]] == [str(target)]
    assert now[str(target)].date != full[str(target)].date
    partners = {id(partner) for partner in recalled.content.partners}
    assert all(id(partner) in partners for release in now.values() for partner in release.partners)
    assert any(release.partners for release in now.values())
    shown = [release for graph in recalled.newsroom.graphs for release in graph.releases]
    assert shown and all(release is now[str(release.source)] for release in shown)
    target.write_text(target.read_text().replace("title: ", "title: Retitled after the move, ", 1))
    settle(site, 1)
    assert IN_PLACE in run("build", site).out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_the_pages_that_show_each_release_are_kept_and_changed_entry_by_entry():
    """kept._Shown: the releases each page shows, and the pages that show each release, kept
    marshalled entry by entry; what a move changes is changed both ways round, and taken back
    as it was kept."""
    from presskit import kept

    shown = kept._Shown.of({"/": ["a.md", "b.md"], "/partners/vwu/": ["b.md", "c.md"], "/a/": ["a.md"]})
    assert shown.pages("b.md") == {"/", "/partners/vwu/"} and shown.pages("z.md") == set()
    shown.put({"/partners/vwu/": ["c.md", "d.md"], "/": ["a.md", "b.md"], "/new/": ["a.md"]})
    again = kept._Shown.loads(shown.pickled())
    assert again.turned() == {"a.md": {"/", "/a/", "/new/"}, "b.md": {"/"}, "c.md": {"/partners/vwu/"},
                              "d.md": {"/partners/vwu/"}}
    assert again.pages("d.md") == {"/partners/vwu/"}
    again.put({"/new/": []})
    assert again.pages("a.md") == {"/", "/a/"}


def test_a_graph_kept_by_a_machine_that_packs_numbers_otherwise_is_not_taken_back(tmp_path, run, monkeypatch):
    """The kept graph's numbers are packed as this machine packs them (kept._PACKING): a cache
    that came from a machine of the other byte order (a deploy's) costs a full build, and the
    output is a cold build's."""
    from presskit import kept

    site = aged(generate(30, tmp_path / "site", seed=17))
    monkeypatch.setattr(kept, "_PACKING", ("big" if sys.byteorder == "little" else "little", 4))
    assert run("build", site).code == 0
    monkeypatch.undo()
    next_day(sorted((site / "content/releases").rglob("*.md"))[10])
    settle(site)
    rebuilt = run("build", site)
    assert rebuilt.code == 0 and MOVED not in rebuilt.out and rebuilt.out.startswith("Built"), rebuilt.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    next_day(sorted((site / "content/releases").rglob("*.md"))[11])
    settle(site, 1)
    assert MOVED in run("build", site).out  # kept by this machine: taken back


def test_a_move_wakes_only_the_releases_whose_words_the_pages_it_makes_show(tmp_path, run, monkeypatch):
    """The full build's content is kept with its releases asleep (presskit.asleep): a build
    after a move reads what places each of them, and wakes (unpickles the title, text and the
    rest of) only those that the pages and feeds it makes show. The output is a cold build's."""
    from presskit import asleep

    site = generate(150, tmp_path / "site", seed=11)
    with open(site / "presskit.toml", "a") as settings:
        settings.write("feed_entries = 3\n")  # (a feed made again shows its releases' words)
    site = aged(site)
    assert run("build", site).code == 0
    woken: list[str] = []
    wake = asleep.wake

    def noted(release: object) -> None:
        if "_sleeping" in vars(release):
            woken.append(str(release.source))  # type: ignore[attr-defined]
        wake(release)  # type: ignore[arg-type]

    monkeypatch.setattr(asleep, "wake", noted)
    target = sorted((site / "content/releases").rglob("*.md"))[75]
    next_day(target)
    settle(site)
    assert MOVED in run("build", site).out
    # its own page and its neighbours', its search entry, the feeds' entries (15 when written)
    assert 0 < len(set(woken)) < 30, len(set(woken))  # of 150
    monkeypatch.setattr(asleep, "wake", wake)
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_after_a_move_the_record_has_every_releases_search_place_as_a_cold_builds(tmp_path, run, monkeypatch):
    """A move numbers again the search index of its language alone: the record after it has
    the place of every release of each language (the other language's taken from the record
    before), as the record of a cold build has them."""
    from presskit import quick
    from presskit.config import load_settings

    site = aged(generate(40, tmp_path / "site", seed=43, bilingual=True))
    assert run("build", site).code == 0
    numbered = quick.numbered
    languages: list[int] = []

    def counted(releases):  # type: ignore[no-untyped-def]
        languages.append(len(releases))
        return numbered(releases)

    monkeypatch.setattr(quick, "numbered", counted)
    english = [file for file in sorted((site / "content/releases").rglob("*.md")) if ".vi." not in file.name]
    next_day(english[20])
    settle(site)
    assert MOVED in run("build", site).out
    assert len(languages) == 1  # the moved release's language's, not the other's
    monkeypatch.setattr(quick, "numbered", numbered)
    after = build.last_record(site, load_settings(site))
    cold_output(site, tmp_path / "cold", run)
    cold = build.last_record(tmp_path / "cold", load_settings(tmp_path / "cold"))
    assert after is not None and cold is not None and len(after.searched) > 40
    assert after.searched == {source.replace(str(tmp_path / "cold"), str(site)): place
                              for source, place in cold.searched.items()}


def test_a_move_that_remakes_the_index_makes_it_on_every_core(tmp_path, run, monkeypatch):
    """A move whose index cannot be updated (the moved release's card is cut short, so its
    words are not known from it) makes the index whole again: a build in place makes its
    entries on every core, as a full build does; the output is a cold build's."""
    from presskit import build, render, search

    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(search, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(build, "cores", lambda: 2)
    site = aged(generate(120, tmp_path / "site", seed=36))  # (no term or year left empty)
    target = sorted((site / "content/releases").rglob("*.md"))[60]
    words = "\n\n".join(" ".join(f"word{n}" for n in range(at, at + 100))  # past the 20,000
                         for at in range(0, 4000, 100))  # characters a card keeps
    target.write_text(target.read_text() + f"\n{words}\n")
    assert run("build", site).code == 0
    makers, packed = tmp_path / "makers", search.Entry.packed

    def noted(self: search.Entry) -> object:
        with open(makers, "a") as log:  # from every process, forked ones too
            log.write(f"{os.getpid()}\n")
        return packed(self)

    monkeypatch.setattr(search.Entry, "packed", noted)
    next_day(target)
    settle(site)
    result = run("build", site)
    assert MOVED in result.out, result.out
    assert set(makers.read_text().split()) - {str(os.getpid())}  # the workers made entries
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


@pytest.mark.parametrize("change", ["deleted", "added"])
def test_an_old_release_deleted_or_added_in_place_writes_no_other_card(tmp_path, run, change):
    """A release deleted or added among older ones renumbers every release after it in the
    search index: their cards are left as written (named by release), and only meta.jsonz and
    the shards are new, with the card of a release added; the output is a cold build's."""
    site = aged(generate(60, tmp_path / "site", seed=36))  # (no term or year left empty)
    target = sorted((site / "content/releases").rglob("*.md"), key=lambda path: re.search(
        r"^date: (.*)$", path.read_text(), flags=re.M)[1])[10]  # type: ignore[index]  # among the oldest
    text = target.read_text()
    if change == "added":
        target.unlink()
    assert run("build", site).code == 0
    cards = site / "output/search/data/f"
    before = {path.name: path.stat().st_mtime_ns for path in cards.iterdir()}
    if change == "added":
        target.write_text(text)
    else:
        target.unlink()
    settle(site)
    result = run("build", site)
    assert f"1 release {change}: made" in result.out, result.out
    after = {path.name: path.stat().st_mtime_ns for path in cards.iterdir()}
    assert len(after) == len(before) + (1 if change == "added" else -1)
    assert [name for name in after if before.get(name) != after[name]] == ([] if change == "deleted" else
                                                                          list(set(after) - set(before)))
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def _sitemaps(output: Path) -> tuple[ET.Element, list[list[ET.Element]]]:
    """The sitemap index of output/ and the <url> elements of each of its parts, in order."""
    index = ET.parse(output / "sitemap.xml").getroot()
    parts = []
    for entry in index.findall(f"{_SITEMAP}sitemap"):
        loc = entry.findtext(f"{_SITEMAP}loc") or ""
        assert loc.startswith("https://example.org/news/sitemaps/"), loc
        parts.append(ET.parse(output / loc.removeprefix("https://example.org/news/")).getroot()
                     .findall(f"{_SITEMAP}url"))
    return index, parts


_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_a_site_past_the_sitemaps_limit_has_a_sitemap_index_of_parts_kept_in_step(tmp_path, run, monkeypatch):
    """A sitemap may list 50,000 pages (sitemaps.org): past that, /sitemap.xml is a sitemap
    index of parts that list the pages in order, each dated by its latest page, and a release
    added or deleted in place makes the parts it needs, and removes those it no longer has."""
    from presskit import feeds

    site = generate(40, tmp_path / "site", seed=41, bilingual=True)
    toml = site / "presskit.toml"
    toml.write_text(toml.read_text().replace("https://example.org/newsroom/", "https://example.org/news/"))
    site = aged(site)
    assert run("build", site).code == 0
    whole = ET.parse(site / "output/sitemap.xml").getroot()
    assert whole.tag == f"{_SITEMAP}urlset"  # a sitemap of a few hundred pages is one file
    # parts of a size that leaves a few pages in the last one: deletions take it away
    limit = next(limit for limit in range(20, 60) if 0 < len(whole) % limit <= 3)
    monkeypatch.setattr(feeds, "SITEMAP_URLS", limit)
    shutil.rmtree(site / "output")
    assert run("build", site).out.startswith("Built")
    index, parts = _sitemaps(site / "output")
    assert index.tag == f"{_SITEMAP}sitemapindex"
    assert len(whole) > 100
    assert [len(part) for part in parts] == [limit] * (len(whole) // limit) + [len(whole) % limit]
    for url in [*whole, *(url for part in parts for url in part)]:
        url.tail = None  # (the last of a file ends it)
    assert [ET.tostring(url) for part in parts for url in part] == [ET.tostring(url) for url in whole]
    for entry, part in zip(index.findall(f"{_SITEMAP}sitemap"), parts, strict=True):
        days = [day for url in part if (day := url.findtext(f"{_SITEMAP}lastmod"))]
        assert entry.findtext(f"{_SITEMAP}lastmod") == max(days, default=None)  # (pages with no date: none)
    assert sum(entry.find(f"{_SITEMAP}lastmod") is not None for entry in index) > len(parts) / 2
    assert any(url.find("{http://www.w3.org/1999/xhtml}link") is not None for part in parts for url in part)
    assert "Sitemap: https://example.org/news/sitemap.xml" in (site / "output/robots.txt").read_text()
    releases = sorted((site / "content/releases").rglob("*.md"))
    removed = [file for file in releases[8:30]  # of one language, none the newest
               if not file.with_suffix(".vi.md").exists() and not file.name.endswith(".vi.md")][:6]
    texts = [file.read_text() for file in removed]
    in_place = {"deleted": 0, "added": 0, "parts gone": 0}
    for step, file in enumerate(removed):  # each deleted, in turn (in place, mostly): parts go
        before = len(_sitemaps(site / "output")[1])
        file.unlink()
        settle(site, step + 1)
        result = run("build", site)
        assert result.code == 0 and "Traceback" not in result.err, result.err
        if "1 release deleted: made" in result.out:
            in_place["deleted"] += 1
            in_place["parts gone"] += before > len(_sitemaps(site / "output")[1])
        assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run), step
    fewer = _sitemaps(site / "output")[1]
    assert len(fewer) < len(parts)
    assert sorted(path.name for path in (site / "output/sitemaps").iterdir()) == sorted(
        f"{number}.xml" for number in range(1, len(fewer) + 1))
    for step, (file, text) in enumerate(zip(removed, texts, strict=True)):  # and added back: they come again
        file.write_text(text)
        settle(site, step + 10)
        result = run("build", site)
        assert result.code == 0 and "Traceback" not in result.err, result.err
        in_place["added"] += "1 release added: made" in result.out
        assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run), step
    assert [len(part) for part in _sitemaps(site / "output")[1]] == [len(part) for part in parts]
    assert in_place["deleted"] >= 3 and in_place["added"] >= 3 and in_place["parts gone"] >= 1, in_place


def test_the_versions_of_pages_are_kept_again_only_when_a_move_changes_them(tmp_path, run):
    """The graph a move keeps refers to the file of versions of the build before (each page's
    versions in other languages) while they are the same: a new date leaves the file as it
    was; a release added (its page's versions) writes it again, and the graph names the new one.
    Each build after is still in place, and its output a cold build's."""
    site = aged(generate(30, tmp_path / "site", seed=47, bilingual=True))
    assert run("build", site).code == 0
    cache = site / ".presskit-cache"

    def kept() -> tuple[int, bytes]:
        return (cache / "site-graph-versions").stat().st_ino, (cache / "site-graph").read_bytes()

    releases = sorted((site / "content/releases").rglob("*.md"))
    release = next(r for r in releases if "." not in r.stem)  # (a release of the default language)
    before = kept()
    next_day(release)
    settle(site, 1)
    assert MOVED in run("build", site).out
    after = kept()
    assert after[0] == before[0] and after[1] != before[1]  # the versions left as they were
    added = release.with_name("added-now.md")
    added.write_text(re.sub(r"^title: .*$", "title: Added today", release.read_text(), count=1, flags=re.M))
    settle(site, 2)
    result = run("build", site)
    assert ADDED in result.out, result.out
    assert kept()[0] != after[0]  # written again: the release's page is new
    next_day(releases[len(releases) // 2])
    settle(site, 3)
    assert MOVED in run("build", site).out  # the graph and the versions of that build, together
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def calls_noted(monkeypatch, tmp_path: Path, name: str) -> Noted:  # type: ignore[no-untyped-def]
    """The id of each process that calls build's function of this name, noted, with two cores
    to build on (see build._Ahead)."""
    monkeypatch.setattr(build, "cores", lambda: 2)
    noted = Noted(tmp_path / name)
    function = getattr(build, name)
    monkeypatch.setattr(build, name, lambda *given: noted.add(str(os.getpid())) or function(*given))
    return noted


@pytest.mark.parametrize("kind", ["a new date", "added", "deleted"])
def test_a_moves_search_index_and_sitemap_are_made_on_another_process_meanwhile(tmp_path, run, monkeypatch,
                                                                                 kind):
    """With two cores, a move's search indexes and sitemap are made by a process forked before
    the kept graph is taken back, which takes it back too and makes the same change, while
    this one makes the move's pages; what it made is written, the same as a cold build."""
    site = aged(generate(30, tmp_path / "site", seed=44, bilingual=True))
    assert run("build", site).code == 0
    finished = calls_noted(monkeypatch, tmp_path, "_finish")
    target = sorted((site / "content/releases").rglob("*.md"))[-4]  # (its deletion is made in place)
    if kind == "a new date":
        next_day(target)
    elif kind == "added":
        shutil.copy(target, target.with_name("a-new-one.md"))
    else:
        target.unlink()
    settle(site)
    result = run("build", site)
    assert (MOVED if kind == "a new date" else f"1 release {kind}") in result.out, result.out
    assert finished.lines and str(os.getpid()) not in finished.lines, finished.lines  # (made there alone)
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


@pytest.mark.parametrize("edit", ["title", "photo caption", "a new date"])
def test_a_process_is_forked_for_an_edit_only_if_it_may_move_a_release(tmp_path, run, monkeypatch, edit):
    """A card edit's release, read again before the graph is taken back, has the place its
    shape in the record was made with: no process is forked for a move it is not (one forked
    in vain slowed the edit by a tenth). A new date is another place: one is."""
    site = aged(generate(30, tmp_path / "site", seed=46, bilingual=True))
    assert run("build", site).code == 0
    forked = calls_noted(monkeypatch, tmp_path, "_ahead")
    target = sorted((site / "content/releases").rglob("*.md"))[-4]
    text = target.read_text()
    if edit == "title":
        text = text.replace("title: ", "title: Renamed ", 1)
    elif edit == "photo caption":
        assert "caption: " in text
        text = text.replace("caption: ", "caption: Seen again, ", 1)
    else:
        text = dated_a_day_later(text)
    target.write_text(text)
    settle(site)
    result = run("build", site)
    assert (MOVED if edit == "a new date" else IN_PLACE) in result.out, result.out
    assert len(forked.lines) == (1 if edit == "a new date" else 0), forked.lines
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


@pytest.mark.parametrize("failure", ["ended", "another move"])
def test_a_move_made_on_another_process_that_ended_or_made_another_is_made_here(tmp_path, run, monkeypatch,
                                                                              failure):
    """The forked process that makes a move's search indexes and sitemap ended without them (the
    system killed it), or made them of another move (a file saved again between the two reads):
    this process makes them, and the output is a cold build's."""
    monkeypatch.setattr(build, "cores", lambda: 2)
    site = aged(generate(30, tmp_path / "site", seed=45, bilingual=True))
    assert run("build", site).code == 0
    parent = os.getpid()
    finished = Noted(tmp_path / "finished")
    finish = build._finish

    def forked_fails(*given):  # type: ignore[no-untyped-def]
        finished.add(str(os.getpid()))
        if os.getpid() != parent and failure == "ended":
            os._exit(1)
        return finish(*given)

    monkeypatch.setattr(build, "_finish", forked_fails)
    if failure == "another move":
        started = build._Started.__init__

        def other(self, now, moved, pages, read):  # type: ignore[no-untyped-def]
            started(self, now, moved, pages, {source: "saved again" for source in read})
        monkeypatch.setattr(build._Started, "__init__", other)
    target = sorted((site / "content/releases").rglob("*.md"))[15]
    next_day(target)
    settle(site)
    result = run("build", site)
    assert MOVED in result.out and "Traceback" not in result.err, result.out + result.err
    assert str(parent) in finished.lines and len(set(finished.lines)) == 2, finished.lines  # (both made it)
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_move_takes_the_sitemap_entries_it_leaves_from_the_sitemap_as_written(tmp_path, run, monkeypatch):
    """After a move, the sitemap entry of each page it did not make again is read from the
    sitemap in output/ (a new date makes a handful of entries, not the site's), and only if
    its bytes are those the last build wrote: one changed by hand, its size and time kept,
    is made again whole. Either way the output is a cold build's."""
    from presskit import feeds

    site = aged(generate(30, tmp_path / "site", seed=43, bilingual=True))
    assert run("build", site).code == 0
    # (noted in files: the sitemap may be made on a forked process, see build._Ahead)
    made, spliced = Noted(tmp_path / "made"), Noted(tmp_path / "spliced")
    url_entry = feeds.url_entry
    monkeypatch.setattr(feeds, "url_entry", lambda url, *rest: made.add(url) or url_entry(url, *rest))
    sitemap_spliced = feeds.sitemap_spliced

    def splice(*given: object) -> bytes | None:  # (the last sitemap's entries are kept as its bytes)
        found = sitemap_spliced(*given)  # type: ignore[arg-type]
        spliced.add(repr(found and hashlib.sha256(found).hexdigest()))
        return found

    monkeypatch.setattr(feeds, "sitemap_spliced", splice)
    sitemap = site / "output/sitemap.xml"
    entries = sitemap.read_text().count("<url>")
    releases = sorted((site / "content/releases").rglob("*.md"))

    def moved(target: Path, step: int) -> None:  # a new day of its month
        made.clear()
        text = target.read_text()
        target.write_text(dated_a_day_later(text))
        settle(site, step)
        result = run("build", site)
        assert MOVED in result.out, result.out

    moved(releases[len(releases) // 2], 1)
    assert 0 < len(made.lines) < entries / 4, (len(made.lines), entries)
    assert spliced.lines == [repr(hashlib.sha256(sitemap.read_bytes()).hexdigest())]
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    text = sitemap.read_text()
    untouched = text.index("<lastmod>2", text.index("<loc>https://example.org/newsroom/vi/"))
    stat = sitemap.stat()
    sitemap.write_text(text[:untouched] + "<lastmod>1" + text[untouched + len("<lastmod>2"):])
    os.utime(sitemap, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    moved(releases[len(releases) // 3], 2)
    assert len(made.lines) == sitemap.read_text().count("<url>") > entries / 2
    assert len(spliced.lines) == 1  # (the sitemap by hand was not read)
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_release_added_in_place_makes_no_page_whose_fingerprint_output_has(tmp_path, run, monkeypatch):
    """The pages of the other years list the same releases after one is added as the newest:
    their fingerprints are those the record has of output/'s files, which stay as they are,
    not made again (nor counted as made); a page that output/ lacks is made again."""
    from presskit import render

    site = aged(generate(60, tmp_path / "site", seed=37))
    assert run("build", site).code == 0
    output = site / "output"
    years = sorted(path.parent for path in output.glob("archive/*/index.html"))
    assert len(years) >= 3, years
    newest = max((site / "content/releases").rglob("*.md"), key=lambda path: re.search(
        r"^date: (.*)$", path.read_text(), flags=re.M)[1])  # type: ignore[index]
    newest.with_name("added-newest.md").write_text(
        newest.read_text().replace("title: ", "title: Added last, ", 1))
    (years[0] / "index.html").unlink()  # (the oldest year's page, which output/ lacks now)
    states = {path: path.stat().st_mtime_ns for path in output.rglob("*.html")}
    rendered: list[str] = []
    plain = render._Renderer.render

    def noted(self, spec):  # type: ignore[no-untyped-def]
        rendered.append(spec.path)
        return plain(self, spec)

    monkeypatch.setattr(render._Renderer, "render", noted)
    settle(site)
    result = run("build", site)
    assert "1 release added: made" in result.out, result.out
    made = int(result.out.split("made ")[1].split(" page")[0])
    assert made == len(rendered), (made, rendered)
    middle = years[1:-1]  # (neither the year of the release added nor the one output/ lacks)
    others = {f"/archive/{year.name}/" for year in middle}
    assert others and others.isdisjoint(rendered), rendered
    assert f"/archive/{years[0].name}/" in rendered and (years[0] / "index.html").is_file()
    assert all(states[year / "index.html"] == (year / "index.html").stat().st_mtime_ns for year in middle)
    assert tree_digest(output) == cold_output(site, tmp_path / "cold", run)
