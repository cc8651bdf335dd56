"""`presskit check` on a built site: it makes and reads again only what changed since the
build (the build leaves the links of every page it made), and says what a check from scratch
says, byte for byte."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import release, tree_digest, write_site

BROKEN_TEMPLATE = ('{% extends "base.html" %}{% block main %}'
                   '<a href="{{ \'/no-such-page/\'|url }}">x</a>{% endblock %}')


def aged(site: Path) -> Path:
    """Files saved an hour ago, so that the build's record can vouch for them by their time."""
    moment = time.time() - 3600
    for path in site.rglob("*"):
        if ".presskit-cache" not in path.parts and "output" not in path.parts:
            os.utime(path, (moment, moment))
    return site


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return aged(write_site(tmp_path / "site", {
        "content/releases/a.md": release("A", "2023-05-01", body="Intro.\n\nSee [B](/releases/b/)."),
        "content/releases/b.md": release("B", "2023-04-01", body="Text of B."),
        "content/releases/c.md": release("C", "2023-03-01", body="See [gone](/releases/gone/)."),
        "content/releases/d.md": release("D", "2023-02-01", body="Text of D."),
        "templates/topics.html": BROKEN_TEMPLATE,
    }))


@pytest.fixture
def pages_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many pages the checks since were read for their links (one number per page)."""
    import presskit.check as checking

    read: list[int] = []
    real = checking.link_targets

    def counting(data: bytes) -> tuple[str, ...]:
        read.append(1)
        return real(data)

    monkeypatch.setattr(checking, "link_targets", counting)
    return read


def said(run, site: Path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    result = run("check", site)
    return result.code, result.out, result.err


def from_scratch(run, site: Path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """What `check` says of the site with nothing kept from a build."""
    kept = site.parent / "kept-cache"
    shutil.move(site / ".presskit-cache", kept)
    try:
        return said(run, site)
    finally:
        shutil.rmtree(site / ".presskit-cache", ignore_errors=True)
        shutil.move(kept, site / ".presskit-cache")


def edit_words(site: Path, name: str, words: str) -> None:
    path = site / "content/releases" / name
    path.write_text(path.read_text() + f"\n{words}\n")


def test_after_a_words_edit_check_reads_only_that_page_and_says_what_a_check_from_scratch_says(
        site, run, pages_read):
    assert run("build", site).code == 0
    pages_read.clear()
    code, out, err = said(run, site)
    assert code == 1
    assert "c.md:6: error: link to /releases/gone/ leads nowhere" in err
    assert "the page /topics/ links to /news/no-such-page/, which does not exist" in err
    assert not pages_read  # every page's links came from the build's index
    assert (code, out, err) == from_scratch(run, site)

    edit_words(site, "a.md", "And [the plan](/releases/plan/), which is not written yet.")
    edit_words(site, "d.md", "Words only.")
    pages_read.clear()
    before = tree_digest(site)
    code, out, err = said(run, site)
    assert len(pages_read) == 2  # the pages of a.md and d.md, made again in memory
    assert tree_digest(site) == before  # nothing written, not even a cache
    assert "a.md:10: error: link to /releases/plan/ leads nowhere" in err
    assert "c.md:6: error: link to /releases/gone/ leads nowhere" in err
    assert "Check failed: 3 errors in 2 files" in err
    assert (code, out, err) == from_scratch(run, site)


def test_words_edited_and_rebuilt_before_the_check_are_still_checked_with_their_line(site, run, pages_read):
    """A quick rebuild leaves the build's link index as it was: the check finds the pages and
    texts it changed by their fingerprints and takes them from output/ and the kept releases."""
    assert run("build", site).code == 0
    edit_words(site, "b.md", "A link to [nowhere](/releases/nowhere/).")
    rebuilt = run("build", site)
    assert rebuilt.out.startswith("Only the text of 1 release changed"), rebuilt.out
    edit_words(site, "d.md", "More words.")
    pages_read.clear()
    code, out, err = said(run, site)
    assert len(pages_read) == 2  # b's page, as the quick rebuild wrote it; d's, made again
    assert "b.md:8: error: link to /releases/nowhere/ leads nowhere" in err
    assert (code, out, err) == from_scratch(run, site)


def test_after_a_full_build_the_index_knows_every_page(site, run, pages_read):
    """A new title without the graph a full build keeps is a full build, which renders some
    pages and lends the rest: the links of both kinds are in the index it leaves."""
    assert run("build", site).code == 0
    path = site / "content/releases/b.md"
    path.write_text(path.read_text().replace('title: B', 'title: B, retitled'))
    assert "retitled" in path.read_text()
    (site / ".presskit-cache/site-graph").unlink()
    built = run("build", site)
    assert built.code == 0 and built.out.startswith("Built"), built.out
    aged(site)
    pages_read.clear()
    result = said(run, site)
    assert not pages_read
    assert result == from_scratch(run, site)


def test_pages_a_card_edit_made_in_place_are_read_from_output(site, run, pages_read):
    """A new title is a change in place (see presskit.kept): it leaves the build's link index
    as it was, and the check reads the pages it made again, and only those."""
    assert run("build", site).code == 0
    path = site / "content/releases/b.md"
    path.write_text(path.read_text().replace('title: B', 'title: B, retitled'))
    built = run("build", site)
    assert built.code == 0 and built.out.startswith("1 release changed in place"), built.out
    made = int(built.out.split("made ")[1].split(" page")[0])
    aged(site)
    pages_read.clear()
    result = said(run, site)
    assert len(pages_read) == made, (made, pages_read)
    assert result == from_scratch(run, site)


def test_a_deleted_release_is_still_reported_wherever_it_is_linked(site, run):
    assert run("build", site).code == 0
    (site / "content/releases/b.md").unlink()
    code, out, err = said(run, site)
    assert code == 1
    assert "a.md:8: error: link to /releases/b/ leads nowhere" in err
    assert (code, out, err) == from_scratch(run, site)


def test_a_renamed_release_is_reported_wherever_its_old_address_is_linked(site, run):
    """A release's file renamed gives it another address: every link to the old one, on pages
    the rename did not change, is found."""
    assert run("build", site).code == 0
    (site / "content/releases/b.md").rename(site / "content/releases/b-renamed.md")
    code, out, err = said(run, site)
    assert code == 1
    assert "a.md:8: error: link to /releases/b/ leads nowhere" in err
    assert (code, out, err) == from_scratch(run, site)


@pytest.mark.parametrize("damage", ["junk", "foreign", "truncated"])
def test_a_damaged_or_foreign_link_index_is_never_trusted(site, tmp_path, run, damage):
    assert run("build", site).code == 0
    index = site / ".presskit-cache/links"
    if damage == "junk":
        index.write_bytes(b"not an index")
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[:100])
    else:  # the index of another build of the same site, whose pages lead elsewhere
        other = aged(write_site(tmp_path / "other", {
            "content/releases/a.md": release("A", "2023-05-01", body="Intro.\n\nSee [B](/releases/b/)."),
            "content/releases/b.md": release("B", "2023-04-01", body="Text of B."),
        }))
        assert run("build", other).code == 0
        shutil.copy(other / ".presskit-cache/links", index)
    edit_words(site, "d.md", "More words.")
    before = tree_digest(site)
    result = said(run, site)
    assert "c.md:6: error: link to /releases/gone/ leads nowhere" in result[2]
    assert "no-such-page" in result[2]
    assert tree_digest(site) == before
    assert result == from_scratch(run, site)


def test_link_targets_of_a_page_are_its_site_paths_as_a_browser_reads_them() -> None:
    """The targets a page's links lead to within a site: plain paths as they are, entities
    unescaped, the tabs and line breaks a browser drops removed before deciding; other
    hosts, mail links, anchors and relative links left to the body checks."""
    from presskit.links import link_targets

    page = (b'<a href="/b/">x</a><img src=\'/media/p.jpg\'><a HREF=/c/>y</a>'
            b'<a href="/q/?a=1&amp;b=2">q</a><a href="//host/x/">h</a><a href="https://x.org/">w</a>'
            b'<a href="mailto:a@b.c">m</a><a href="#top">t</a><a href="rel/">r</a><a href="">e</a>'
            b'<a href="/&#x2F;host/">s</a><a href="\t//tab/">t</a><a href="/b/">again</a>'
            b'<link rel="icon" href="/favicon.svg"><p>href="/not-a-tag/" in text</p>')
    assert link_targets(page) == ("/b/", "/c/", "/favicon.svg", "/media/p.jpg", "/q/?a=1&b=2")


def test_the_link_index_holds_each_target_once(tmp_path, monkeypatch, run):
    """Every page links to the style sheet and the menu: the index a build leaves for `check`
    writes each target once, pages rendered on several cores and pages kept from the last
    index alike (at 10,000 releases: 6 MB, not 50)."""
    import sys

    from presskit import render, store
    from presskit.build import last_links

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generate import generate

    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)  # pages rendered by the workers too
    site = aged(generate(12, tmp_path / "site", seed=3))

    def times_written(target: str) -> int:
        data = store.read_cache(site, "links")
        assert data is not None
        return data.count(target.encode())

    assert run("build", site).code == 0
    index = last_links(site)
    assert index is not None
    shared = set.intersection(*(set(targets) for _, targets in index.pages.values()))
    stylesheet = next(target for target in shared if target.endswith("presskit.css"))
    assert len(index.pages) > 20 and times_written(stylesheet) == 1
    first = sorted((site / "content/releases").rglob("*.md"))[0]
    first.write_text(first.read_text().replace("title: ", "title: Renamed ", 1))
    assert run("build", site).code == 0  # most pages' targets from the last index
    assert times_written(stylesheet) == 1


def test_a_check_given_a_relative_path_borrows_the_build_as_one_given_the_full_path(site, run, monkeypatch):
    """From Python as from the command line: the build's record names files by their full path,
    so a relative one would lend nothing and make every page again."""
    import presskit.checking
    import presskit.render
    from presskit.checking import check
    from presskit.errors import BuildFailed

    assert run("build", site).code == 0
    (site / "content/releases/d.md").unlink()  # not a quick check: the site is made in memory
    monkeypatch.setattr(presskit.checking, "cores", lambda: 1)  # rendered here, to be counted
    made: list[str] = []
    render = presskit.render._Renderer.render
    monkeypatch.setattr(presskit.render._Renderer, "render",
                        lambda self, spec: made.append(spec.path) or render(self, spec))
    monkeypatch.chdir(site)
    with pytest.raises(BuildFailed) as relative:
        check(Path("."))
    made_relative = sorted(made)
    made.clear()
    with pytest.raises(BuildFailed) as absolute:
        check(site)
    assert made_relative == sorted(made)  # the pages that changed, not every page
    assert "/releases/" in made and "/releases/a/" not in made
    assert [p.describe() for p in relative.value.problems] == [p.describe() for p in absolute.value.problems]


@pytest.mark.parametrize("change", ["deleted", "title", "date"])
def test_a_change_in_place_is_checked_from_the_kept_graph_and_links_to_a_deleted_release_found(
        tmp_path, run, monkeypatch, change):
    """After a release was deleted (or changed in place, or moved), `check` makes the pages
    such a build would make again from the graph the full build kept (see presskit.kept), not
    the whole site: the deleted release's page is gone, and another release's link to it is
    reported with its line, as a check from scratch reports it; nothing is written."""
    import re
    import sys

    import presskit.checking

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generate import generate

    site = aged(generate(30, tmp_path / "site", seed=36))
    releases = sorted((site / "content/releases").rglob("*.md"))
    target, linking = releases[-5], releases[3]  # the first: its deletion is made in place
    linking.write_text(linking.read_text() + f"\nAs [announced](/releases/{target.stem}/).\n")
    aged(site)
    assert run("build", site).code == 0
    if change == "deleted":
        target.unlink()
    elif change == "title":
        target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    else:
        target.write_text(re.sub(r"^date: (\d{4}-\d\d)-(\d\d)",
                                 lambda m: f"date: {m[1]}-{int(m[2]) % 28 + 1:02}",
                                 target.read_text(), count=1, flags=re.M))
    aged(site)
    made_in_full: list[object] = []
    make_site = presskit.checking.make_site
    monkeypatch.setattr(presskit.checking, "make_site",
                        lambda *a, **k: made_in_full.append(1) or make_site(*a, **k))
    before = tree_digest(site)
    code, out, err = said(run, site)
    assert not made_in_full  # the kept graph was used
    assert tree_digest(site) == before  # nothing written, not even a cache
    line = len(linking.read_text().splitlines())
    if change == "deleted":
        assert code == 1
        assert f"{linking.name}:{line}: error: link to /releases/{target.stem}/ leads nowhere" in err, err
    else:
        assert code == 0, err
    monkeypatch.undo()
    assert (code, out, err) == from_scratch(run, site)
