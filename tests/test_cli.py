"""The command line: help, version, `new release`, `check`, and running as a real process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import yaml

from conftest import SETTINGS, one_png, release, tree_digest, write_site
from presskit import __version__

REPO = Path(__file__).resolve().parent.parent


def test_version(run, capsys):
    try:
        run("--version")
    except SystemExit as stop:
        assert stop.code == 0
    assert f"presskit {__version__}" in capsys.readouterr().out


def test_help_describes_every_command(capsys):
    from presskit.cli import main

    with contextlib.suppress(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("build", "check", "new"):
        assert command in text
    assert "build the site into output/" in text


def test_python_dash_m_runs_without_a_traceback_on_bad_input(tmp_path):
    site = write_site(tmp_path, {"content/releases/a.md": "---\ntitle: [x\n---\n"})
    result = subprocess.run([sys.executable, "-m", "presskit", "build", str(site)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "a.md:2" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_new_release_writes_a_file_that_builds(tmp_path, run):
    site = write_site(tmp_path, {})
    result = run("new", "release", "Ministers meet in Hanoi: what's next?", "--site", site)
    assert result.code == 0, result.err
    path = site / "content/releases" / str(date.today().year) / "ministers-meet-in-hanoi-whats-next.md"
    assert path.is_file()
    text = path.read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["title"] == "Ministers meet in Hanoi: what's next?"
    for key in ("title", "subtitle", "date", "type", "location", "countries", "partners",
                "programmes", "topics", "photos", "summary", "embargo", "draft", "slug", "contacts"):
        assert f"{key}:" in text, key
    assert "#event:" in text and "#  start:" in text  # an advisory's event, ready to switch on
    assert front["draft"] is True
    assert run("build", site).code == 0
    assert "1 not published" in run("build", site).out
    assert run("build", site, "--drafts").code == 0
    assert "Ministers meet in Hanoi: what&#39;s next?" in (
        site / "preview/releases/ministers-meet-in-hanoi-whats-next/index.html").read_text()


def test_new_release_with_a_non_latin_title_gets_a_slug(tmp_path, run):
    site = write_site(tmp_path, {})
    assert run("new", "release", "Hội Liên hiệp Phụ nữ Việt Nam", "--site", site).code == 0
    assert run("new", "release", "社会保护", "--site", site).code == 0
    names = sorted(p.name for p in (site / "content/releases").rglob("*.md"))
    assert names == ["hoi-lien-hiep-phu-nu-viet-nam.md", "she-hui-bao-hu.md"]


def test_new_release_refuses_to_overwrite(tmp_path, run):
    site = write_site(tmp_path, {})
    assert run("new", "release", "Same title", "--site", site).code == 0
    result = run("new", "release", "Same title", "--site", site)
    assert result.code == 2
    assert "already exists" in result.err


def test_new_release_outside_a_site_says_where_to_run_it(tmp_path, run):
    result = run("new", "release", "Title", "--site", tmp_path)
    assert result.code == 2
    assert "has no presskit.toml" in result.err and "--site" in result.err


def test_check_passes_on_a_good_site_and_writes_nothing(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", body="See [B](/releases/b/) and [about](/about/)."),
        "content/releases/b.md": release("B", body="![Chart](/media/chart.png) [home](/)"),
        "content/pages/about.md": "---\ntitle: About\n---\nAbout us.\n",
        "content/media/chart.png": one_png(),
    })
    result = run("check", site)
    assert result.code == 0, result.err
    assert "no problems" in result.out
    assert not (site / "output").exists()


def test_check_reports_broken_links_and_images_with_their_line(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release(
            "A", body="Intro.\n\nSee [the workshop](/releases/workshp/) for more\n"
                      "and the ![chart](/media/chart.png).\n\n[ok](/releases/b/)"),
        "content/releases/b.md": release("B", body="[next door](sibling.pdf)"),
        "content/releases/c.md": release("C", embargo="2099-01-01T09:00"),
        "content/releases/d.md": release("D", body="Coming: [the launch](/releases/c/)."),
    })
    result = run("check", site)
    assert result.code == 1
    assert "a.md:8: error: link to /releases/workshp/ leads nowhere" in result.err
    assert "a.md:9: error: image to /media/chart.png leads nowhere" in result.err
    assert "b.md:6: error: link to sibling.pdf leads nowhere" in result.err
    assert "d.md:6: error: link to /releases/c/ leads nowhere" in result.err
    assert "under embargo" in result.err
    assert "Check failed: 4 errors" in result.err
    assert not (site / "output").exists()


def test_files_next_to_a_release_that_its_body_links_are_published(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/b/index.md": release("B", body="[Report](report.pdf) ![x](chart.png)"),
        "content/releases/b/report.pdf": b"%PDF-1.4",
        "content/releases/b/chart.png": one_png(),
    })
    assert run("check", site).code == 0
    assert run("build", site).code == 0
    assert (site / "output/releases/b/report.pdf").read_bytes() == b"%PDF-1.4"
    assert 'href="report.pdf"' in (site / "output/releases/b/index.html").read_text()


def test_the_repository_demo_newsroom_checks_clean(run):
    result = run("check", REPO)
    assert result.code == 0, result.err
    assert "Next embargo lifts" in result.out


def test_settings_are_read_from_the_site_folder_not_the_current_one(tmp_path, run, monkeypatch):
    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A")})
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "presskit.toml").write_text(SETTINGS.replace("Test Newsroom", "Wrong"))
    monkeypatch.chdir(other)
    assert run("build", site).code == 0
    assert "Test Newsroom" in (site / "output/index.html").read_text()
    assert not (other / "output").exists()


def test_check_reports_a_broken_link_made_by_a_template(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A"),
        "templates/page.html": "x",
        "templates/topics.html": '{% extends "base.html" %}{% block main %}'
                                 '<a href="{{ \'/no-such-page/\'|url }}">x</a>{% endblock %}',
    })
    result = run("check", site)
    assert result.code == 1
    assert "the page /topics/ links to /news/no-such-page/, which does not exist" in result.err
    assert "templates/" in result.err


def test_check_finds_template_links_in_any_quoting_and_never_in_text(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", body='Write `<a href="/not-a-link/">` in HTML.'),
        "templates/page.html": "x",
        "templates/topics.html": '{% extends "base.html" %}{% block main %}'
                                 "<a href='/news/single/'>1</a><a href=/news/bare/>2</a>"
                                 '<a class="x" HREF="/news/topics/?a=1&amp;b=2">3</a>'
                                 '<img srcset="/news/nothing-here.png 2x" src="/news/img.png" alt="">'
                                 "{% endblock %}",
    })
    result = run("check", site)
    assert result.code == 1
    for target in ("/news/single/", "/news/bare/", "/news/img.png"):
        assert f"links to {target}, which does not exist" in result.err, result.err
    assert "topics/?a=1" not in result.err and "nothing-here" not in result.err
    assert "not-a-link" not in result.err


def test_a_long_build_on_a_terminal_shows_its_progress(tmp_path, run, monkeypatch):
    from rich.console import Console

    from presskit import cli

    screen = Console(force_terminal=True, record=True, width=100)
    monkeypatch.setattr(cli, "err", screen)
    site = write_site(tmp_path, {"content/releases/a.md": release("A")})
    assert run("build", site).code == 0
    shown = screen.export_text()
    stages = ("Reading settings", "Reading content", "Linking releases", "Rendering pages",
              "Writing output")
    assert any(stage in shown for stage in stages), shown


def _aged(site: Path) -> None:
    """File times of a site saved a while ago, so that the build's cache can trust them."""
    moment = time.time() - 3600
    for path in site.rglob("*"):
        if ".presskit-cache" not in path.parts and "output" not in path.parts:
            os.utime(path, (moment, moment))


def test_check_on_a_built_site_reads_its_unchanged_pages_and_writes_nothing(tmp_path, run):
    """check borrows what `build` kept and the pages it left in output/, and still finds every
    broken link: in a page it did not make again, and one that a removed release broke."""
    site = write_site(tmp_path, {
        "content/releases/a.md": release(
            "A", body="Intro.\n\nSee [B](/releases/b/) and [gone](/releases/gone/)."),
        "content/releases/b.md": release("B", "2023-04-01", body="Text of B."),
        "content/releases/c.md": release("C", "2023-03-01", body="Text of C."),
        "templates/page.html": "x",
        "templates/topics.html": '{% extends "base.html" %}{% block main %}'
                                 '<a href="{{ \'/no-such-page/\'|url }}">x</a>{% endblock %}',
    })
    _aged(site)
    assert run("build", site).code == 0
    before = tree_digest(site)
    result = run("check", site)
    assert result.code == 1
    assert "a.md:8: error: link to /releases/gone/ leads nowhere" in result.err
    assert "the page /topics/ links to /news/no-such-page/, which does not exist" in result.err
    assert tree_digest(site) == before  # not even a cache

    (site / "content/releases/b.md").unlink()  # a.md did not change, and now links nowhere
    (site / "templates/topics.html").unlink()
    edited = tree_digest(site)
    result = run("check", site)
    assert result.code == 1
    assert "a.md:8: error: link to /releases/b/ leads nowhere" in result.err
    assert "a.md:8: error: link to /releases/gone/ leads nowhere" in result.err
    assert "no-such-page" not in result.err
    assert tree_digest(site) == edited


def test_check_reads_pages_on_every_core_as_it_does_on_one(tmp_path, monkeypatch):
    import presskit.check as checking
    import presskit.checking as command
    from presskit.build import build
    from presskit.checking import check
    from presskit.errors import BuildFailed

    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", body="[C](/releases/c/)"),
        **{f"content/releases/r{n}.md": release(f"R{n}", f"2022-02-{n + 1:02}") for n in range(20)},
        "templates/page.html": "x",
        "templates/topics.html": '{% extends "base.html" %}{% block main %}'
                                 '<a href="/news/missing/">x</a>{% endblock %}',
    })
    _aged(site)
    build(site)
    (site / ".presskit-cache/links").unlink()  # no index of the pages' links: every page is read

    def problems() -> list[str]:
        try:
            check(site)
        except BuildFailed as failure:
            return sorted(problem.describe() for problem in failure.problems)
        return []

    one = problems()
    monkeypatch.setattr(checking, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(command, "cores", lambda: 2)
    assert problems() == one
    assert any("/releases/c/ leads nowhere" in line for line in one)
    assert any("links to /news/missing/" in line for line in one)
