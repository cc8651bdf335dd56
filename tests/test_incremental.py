"""A rebuild that reuses an earlier build's memory makes exactly what a cold build makes."""

from __future__ import annotations

import random
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from presskit.build import make_site
from presskit.cache import BuildMemory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def files_of(site: Path, memory: BuildMemory | None, preview: bool = False) -> dict[str, object]:
    rendered = make_site(site, as_of=AS_OF, memory=memory, preview=preview).site
    return {f.path: f.data if f.data is not None else str(f.source) for f in rendered.files}


def with_field(text: str, key: str, value: str) -> str:
    """A release's text with `key: value` at the end of its front matter, in place of the
    key's lines if it has it already (written twice, the release would not build)."""
    front, end, body = text.partition("\n---\n")
    kept: list[str] = []
    for line in front.split("\n"):
        if line.startswith(f"{key}:") or (line.startswith(" ") and kept and kept[-1] is _DROPPED):
            kept.append(_DROPPED)  # the key's line, and the lines indented below it
        else:
            kept.append(line)
    lines = [line for line in kept if line is not _DROPPED]
    return "\n".join(lines) + f"\n{key}: {value}" + end + body


_DROPPED = "\0"


def edit(site: Path, rng: random.Random, step: int) -> str:
    releases = sorted((site / "content/releases").rglob("*.md"))
    target = rng.choice(releases)
    text = target.read_text()
    action = rng.choice(["body", "title", "add", "delete", "rename", "embargo", "lift",
                         "partner", "topic", "template", "draft", "withdraw", "event"])
    if action == "body":
        target.write_text(text + f"\nAn added paragraph number {step}.\n")
    elif action == "title":
        target.write_text(text.replace("title: ", f"title: Changed {step} ", 1))
    elif action == "add":
        (target.parent / f"added-{step}.md").write_text(
            text.replace("title: ", f"title: Added {step} ", 1))
    elif action == "delete":
        target.unlink()
    elif action == "rename":
        target.rename(target.with_name(f"renamed-{step}.md"))
    elif action == "embargo":
        target.write_text(with_field(text, "embargo", "2030-01-01T09:00"))
    elif action == "lift":
        target.write_text(with_field(text, "embargo", "2020-01-01T09:00"))
    elif action == "draft":
        target.write_text(with_field(text, "draft", "true"))
    elif action == "withdraw":
        target.write_text(with_field(text, "withdrawn", "The figures were wrong."))
    elif action == "event":
        target.write_text(with_field(text, "event", f"\n  start: 202{step % 10}-03-0{step % 9 + 1}"
                                                    "T09:00\n  venue: Hanoi"))
    elif action == "partner":
        partner = rng.choice(sorted((site / "content/partners").glob("*.md")))
        partner.write_text(partner.read_text().replace("short_name: ", f"short_name: N{step}", 1))
    elif action == "topic":
        target.write_text(text.replace("topics: [", f"topics: [Fresh topic {step % 3}, ", 1))
    elif action == "template":
        templates = site / "templates"
        templates.mkdir(exist_ok=True)
        (templates / "macros.html").write_text(
            (Path(__file__).resolve().parent.parent / "templates/macros.html").read_text()
            + f"\n{{# edit {step} #}}\n")
    return action


@pytest.mark.parametrize(("seed", "preview", "trust_times"), [(1, False, False), (2, True, True),
                                                              (3, False, True)])
def test_rebuild_with_memory_equals_a_cold_build_after_random_edits(tmp_path, monkeypatch, seed,
                                                                    preview, trust_times):
    if trust_times:  # reuse every file whose size and time are unchanged, however recent
        monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)
    site = generate(40, tmp_path / "site", seed=seed)
    rng = random.Random(seed)
    memory = BuildMemory()
    assert files_of(site, memory, preview) == files_of(site, None, preview)
    for step in range(10):
        action = edit(site, rng, step)
        warm = files_of(site, memory, preview)
        cold = files_of(site, None, preview)
        assert warm.keys() == cold.keys(), action
        changed = [path for path in cold if warm[path] != cold[path]]
        assert changed == [], (action, changed[:5])


def test_a_body_edit_renders_only_the_pages_that_show_it(tmp_path):
    site = generate(60, tmp_path / "site", seed=3)
    memory = BuildMemory()
    files_of(site, memory)
    total = memory.rendered
    target = sorted((site / "content/releases").rglob("*.md"))[10]
    target.write_text(target.read_text() + "\nOne more sentence.\n")
    files_of(site, memory)
    assert 0 < memory.rendered < total / 4
    assert memory.reused > total / 2


def test_parallel_rendering_makes_the_same_files_as_serial(tmp_path):
    site = generate(220, tmp_path / "site", seed=4)

    def made(workers: int) -> dict[str, object]:
        rendered = make_site(site, as_of=AS_OF, workers=workers).site
        return {f.path: f.data if f.data is not None else str(f.source) for f in rendered.files}

    serial, parallel = made(1), made(2)
    assert len(serial) > 400
    assert parallel == serial


def test_a_full_build_keeps_its_pages_in_files_until_it_writes_them(tmp_path, run, monkeypatch):
    """The pages of a full build go to a folder beside output/ as they are rendered, written
    there by the processes that render them (the build holds their names, not their bytes:
    see presskit.spill); output/ is the same as a build that keeps them in memory makes, and
    the folder is gone after the build, after a failed one and after one that was killed."""
    import os
    import shutil

    from conftest import tree_digest
    from presskit import build, spill

    site = generate(220, tmp_path / "site", seed=7)
    in_memory = shutil.copytree(site, tmp_path / "in-memory")
    puts = tmp_path / "puts"
    put = spill.Spill.put

    def noted(self: spill.Spill, data: bytes) -> spill.Spilled:
        with open(puts, "a") as log:  # from every process, forked ones too
            log.write(f"{os.getpid()}\n")
        return put(self, data)

    monkeypatch.setattr(spill.Spill, "put", noted)
    monkeypatch.setattr(build, "cores", lambda: 2)
    killed = site / f"{spill.PREFIX}output-left-by-a-killed-build"
    killed.mkdir()
    (killed / "1-0").write_bytes(b"<html>")
    assert run("build", site).code == 0
    pids = puts.read_text().split()
    pages = list((site / "output").rglob("*.html"))
    assert len(pids) >= len(pages) > 300
    assert len(set(pids) - {str(os.getpid())}) >= 1  # the workers wrote their pages
    assert not list(site.glob(f"{spill.PREFIX}*"))

    monkeypatch.setattr(spill.Spill, "beside", classmethod(lambda cls, output_dir: None))
    assert run("build", in_memory).code == 0
    assert tree_digest(site / "output") == tree_digest(in_memory / "output")

    monkeypatch.undo()
    before = tree_digest(site / "output")
    (site / "templates").mkdir()
    (site / "templates/release.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ 1 / 0 }}{% endblock %}")
    assert run("build", site).code == 1
    assert tree_digest(site / "output") == before
    assert not list(site.glob(f"{spill.PREFIX}*"))


def test_a_page_kept_in_files_never_takes_the_place_of_another(tmp_path):
    """Two spills of one folder named alike (a worker of a later pool may get the id of an
    earlier one, and the count it started from) make new files, never overwrite."""
    from presskit.spill import Spill

    first, second = Spill(tmp_path), Spill(tmp_path)
    pages = [first.put(b"page one"), second.put(b"page two"), second.put(b"page three")]
    assert len({page.file for page in pages}) == 3
    assert [page.read() for page in pages] == [b"page one", b"page two", b"page three"]


def test_template_errors_found_by_a_parallel_build_are_reported(tmp_path, run):
    site = generate(220, tmp_path / "site", seed=5)
    (site / "templates").mkdir()
    (site / "templates/release.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n{{ release.missing_key }}\n{% endblock %}")
    result = run("build", site)
    assert result.code == 1
    assert "release.html:3" in result.err and "missing_key" in result.err
    assert "(and 219 more pages)" in result.err
    assert result.err.count("release.html:3") == 1
    assert "Traceback" not in result.err


def test_parallel_reading_finds_the_same_releases_and_faults_as_serial(tmp_path):
    from presskit.errors import BuildFailed
    from presskit.schema import PARALLEL_AT_LEAST

    site = generate(PARALLEL_AT_LEAST + 10, tmp_path / "site", seed=6)

    def made(workers: int) -> dict[str, object]:
        rendered = make_site(site, as_of=AS_OF, workers=workers).site
        return {f.path: f.data if f.data is not None else str(f.source) for f in rendered.files}

    assert made(2) == made(1)
    releases = sorted((site / "content/releases").rglob("*.md"))
    releases[3].write_text(releases[3].read_text().replace("countries: [", "countries: [Atlantis, ", 1))
    releases[200].write_text(releases[200].read_text().replace("title: ", "title: [unclosed ", 1))
    releases[-1].write_text(releases[-1].read_text().replace("partners: [", "partners: [Nobody, ", 1))

    def faults(workers: int) -> list[str]:
        with pytest.raises(BuildFailed) as failure:
            make_site(site, as_of=AS_OF, workers=workers)
        return [problem.describe() for problem in failure.value.problems]

    serial = faults(1)
    assert len(serial) == 3 and "Atlantis" in serial[0] and "Nobody" in serial[2]
    assert faults(2) == serial


def test_a_new_base_address_reaches_every_link_the_templates_make(tmp_path, run):
    """Jinja applies a filter of constants (`'/assets/presskit.css' | url`) once, as it
    compiles a template, and compiled templates are kept for the next build: a build after
    `base_url` changed must not link the stylesheet (or anything else) at the old address.
    Nor may a preview started after it, which compiles the same templates for its own."""
    from conftest import SETTINGS, release, tree_digest, write_site
    from presskit.serve import Session

    site = write_site(tmp_path / "site", {"content/releases/one.md": release("One")})
    assert run("build", site).code == 0
    assert 'href="/news/assets/presskit.css"' in (site / "output/index.html").read_text()
    (site / "presskit.toml").write_text(SETTINGS.replace("https://example.org/news/",
                                                         "https://press.example.org/room/"))
    assert run("build", site).code == 0
    again = tree_digest(site / "output")
    page = (site / "output/index.html").read_text()
    assert 'href="/room/assets/presskit.css"' in page and "/news/" not in page

    running = Session(site, "127.0.0.1", 0, report=lambda line: None)
    try:
        served = running.preview.snapshot()
        home = served.made("index.html") or b""
    finally:
        running.stop()
    assert b'href="/assets/presskit.css"' in home and b"/room/" not in home

    cold = tmp_path / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns(".presskit-cache", "output"))
    assert run("build", cold).code == 0
    assert tree_digest(cold / "output") == again
