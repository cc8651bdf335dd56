"""The promises of SPEC section 6: embargo and drafts leave no trace, all or nothing, no
writes outside output/."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import PARTNERS, SETTINGS, all_output_text, one_png, read, release, tree_digest, write_site

ATOM = "{http://www.w3.org/2005/Atom}"

SECRET_TITLE = "Minister announces secret pension reform"
SECRET_SUMMARY = "Confidential summary about pensions"


def embargoed_site(tmp_path: Path, **extra: str) -> Path:
    return write_site(tmp_path, {
        **PARTNERS,
        "content/partners/newpartner.md": "---\nname: Brand New Partner Organisation\n---\n",
        "content/programmes/newprog.md": "---\ntitle: Hidden Programme\nshort_name: HIDPROG\n---\n",
        "content/releases/public.md": release(
            "Public release", "2023-05-22", partners="[UNICEF]", countries="[VN]",
            topics="[Social protection]"),
        "content/releases/secret-pension-reform.md": release(
            SECRET_TITLE, "2023-06-01", embargo=extra.get("embargo", "2099-01-15T09:00"),
            summary=SECRET_SUMMARY, countries="[Mongolia]", partners="[newpartner, UNICEF]",
            programmes="[HIDPROG]", topics="[Pension reform, Social protection]",
            photos="\n  - src: /media/secret-photo.png\n    alt: A hidden photo",
            body="Text of the secret release."),
        "content/media/secret-photo.png": one_png(),
    })


def assert_no_trace(site: Path) -> None:
    everything = all_output_text(site)
    for trace in (SECRET_TITLE, "secret-pension-reform", SECRET_SUMMARY, "secret-photo",
                  "Mongolia", "mongolia", "Pension reform", "pension-reform",
                  "Brand New Partner", "newpartner", "Hidden Programme", "HIDPROG", "newprog",
                  "Text of the secret release"):
        assert trace not in everything, trace
    names = [str(p.relative_to(site / "output")) for p in (site / "output").rglob("*")]
    assert not [n for n in names if "secret" in n or "mongolia" in n or "newpartner" in n]


def test_embargoed_release_leaves_no_trace(tmp_path, run):
    site = embargoed_site(tmp_path)
    result = run("build", site)
    assert result.code == 0, result.err
    assert_no_trace(site)
    assert "1 release" in read(site, "countries/viet-nam/index.html")
    assert "1 release" in read(site, "partners/index.html")
    assert "1 release" in read(site, "topics/social-protection/index.html")


def test_feed_updated_time_does_not_hint_at_an_embargoed_release(tmp_path, run):
    site = embargoed_site(tmp_path)
    assert run("build", site).code == 0
    for feed in ("feed.xml", "partners/unicef/feed.xml", "topics/social-protection/feed.xml"):
        root = ET.parse(site / "output" / feed).getroot()
        assert root.find(f"{ATOM}updated").text == "2023-05-21T17:00:00Z", feed
        assert len(root.findall(f"{ATOM}entry")) == 1


def test_embargo_lifts_at_its_instant_in_the_site_time_zone(tmp_path, run):
    site = embargoed_site(tmp_path, embargo="2023-06-01T09:00")
    before = run("build", site, "--as-of", "2023-06-01T08:59")  # Hanoi time
    assert before.code == 0
    assert SECRET_TITLE not in all_output_text(site, "preview")
    assert "Next embargo lifts 1 June 2023, 09:00 Ho Chi Minh City time" in before.out
    assert "02:00 UTC" in before.out
    after = run("build", site, "--as-of", "2023-06-01T02:00:00+00:00")
    assert after.code == 0
    assert SECRET_TITLE in read(site, "releases/secret-pension-reform/index.html", "preview")
    assert (site / "preview/topics/pension-reform/index.html").is_file()
    assert (site / "preview/media/secret-photo.png").is_file()
    assert "Next embargo" not in after.out
    assert not (site / "output").exists()  # a preview never goes where the site is published


def test_embargo_with_an_offset_does_not_need_a_time_zone(tmp_path, run):
    site = embargoed_site(tmp_path, embargo="2023-06-01T09:00:00+07:00")
    (site / "presskit.toml").write_text(
        'title = "T"\nbase_url = "https://example.org/"\nlanguage = "en"\n')
    assert run("build", site, "--as-of", "2023-06-01T01:59:00Z").code == 0
    assert SECRET_TITLE not in all_output_text(site, "preview")
    assert run("build", site, "--as-of", "2023-06-01T02:00:00Z").code == 0
    assert SECRET_TITLE in all_output_text(site, "preview")


def test_embargo_without_offset_and_without_time_zone_is_an_error(tmp_path, run):
    site = embargoed_site(tmp_path)
    (site / "presskit.toml").write_text(
        'title = "T"\nbase_url = "https://example.org/"\nlanguage = "en"\n')
    result = run("build", site)
    assert result.code == 1
    assert "secret-pension-reform.md:4" in result.err
    assert "no time zone" in result.err
    assert "timezone" in result.err and "+07:00" in result.err
    assert not (site / "output").exists()


def test_draft_is_never_published_unless_asked(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/public.md": release("Public release", topics="[Gender]"),
        "content/releases/draft-one.md": release(SECRET_TITLE, draft="true",
                                                 topics="[Pension reform]", countries="[Mongolia]"),
    })
    assert run("build", site).code == 0
    everything = all_output_text(site)
    for trace in (SECRET_TITLE, "draft-one", "Pension reform", "Mongolia"):
        assert trace not in everything
    drafts = run("build", site, "--drafts")
    assert drafts.code == 0 and "preview/" in drafts.out and "This is not output/" in drafts.out
    assert SECRET_TITLE in read(site, "releases/draft-one/index.html", "preview")
    assert SECRET_TITLE not in all_output_text(site)


def test_a_failed_build_leaves_output_exactly_as_it_was(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A"),
                                 "content/releases/b.md": release("B")})
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    (site / "content/releases/b.md").write_text(release("B", partners="[Nobody]"))
    (site / "content/releases/c.md").write_text(release("C"))
    result = run("build", site)
    assert result.code == 1
    assert "output/ was not changed" in result.err
    assert tree_digest(site / "output") == before
    assert not list(site.glob(".output.*"))


def test_a_template_error_also_leaves_output_as_it_was(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")})
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    (site / "templates").mkdir()
    (site / "templates/release.html").write_text("{% extends 'base.html' %}\n{% block main %}\n"
                                                 "{{ release.no_such_thing.deeper }}\n{% endblock %}")
    result = run("build", site)
    assert result.code == 1
    assert "templates/release.html:3" in result.err
    assert "no_such_thing" in result.err
    assert "Traceback" not in result.err
    assert tree_digest(site / "output") == before


def test_a_successful_build_removes_what_content_no_longer_has(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/keep.md": release("Keep me", topics="[Kept]"),
        "content/releases/remove-me.md": release("Remove me", topics="[Gone topic]",
                                                 countries="[Mongolia]"),
    })
    assert run("build", site).code == 0
    assert (site / "output/releases/remove-me/index.html").is_file()
    (site / "output/stray.txt").write_text("left by hand")
    (site / "content/releases/remove-me.md").unlink()
    assert run("build", site).code == 0
    everything = all_output_text(site)
    assert "Remove me" not in everything and "remove-me" not in everything
    assert not (site / "output/topics/gone-topic").exists()
    assert not (site / "output/countries/mongolia").exists()
    assert not (site / "output/stray.txt").exists()


def test_presskit_will_not_replace_a_folder_it_did_not_create(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")})
    (site / "output").mkdir()
    (site / "output/precious.txt").write_text("not presskit's")
    result = run("build", site)
    assert result.code == 1
    assert "presskit did not write" in result.err
    assert (site / "output/precious.txt").read_text() == "not presskit's"


@pytest.mark.parametrize("slug", ["../../x", "a/b", "UPPER", "../escape"])
def test_front_matter_cannot_steer_a_write_outside_output(tmp_path, run, slug):
    site = write_site(tmp_path, {"content/releases/a.md": release("A", slug=f'"{slug}"')})
    result = run("build", site)
    assert result.code == 1
    assert "a.md:4" in result.err and "`slug`" in result.err
    assert not (site / "output").exists()
    # Nothing but the cache (which holds the build's lock) beside content/ and the settings.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".presskit-cache", "content", "presskit.toml"]


def test_photo_paths_cannot_leave_the_content_folder(tmp_path, run):
    (tmp_path / "outside.png").write_bytes(one_png())
    site = write_site(tmp_path / "site", {"content/releases/a.md": release(
        "A", photos="\n  - src: ../../../outside.png\n    alt: x")})
    result = run("build", site)
    assert result.code == 1
    assert "outside the content folder" in result.err


def test_a_rebuild_writes_only_the_files_whose_bytes_changed(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", body="Text of A."),
        "content/releases/b.md": release("B", "2023-01-01", body="Text of B."),
        "content/media/photo.png": one_png(),
    })
    assert run("build", site).code == 0
    untouched = (site / "output/releases/b/index.html").stat()
    photo = (site / "output/media/photo.png").stat()
    again = run("build", site)
    assert "0 of" in again.out
    (site / "content/releases/a.md").write_text(release("A", body="New text of A."))
    result = run("build", site)
    assert result.code == 0
    assert "New text of A." in read(site, "releases/a/index.html")
    assert (site / "output/releases/b/index.html").stat().st_ino == untouched.st_ino
    assert (site / "output/media/photo.png").stat().st_mtime_ns == photo.st_mtime_ns
    changed = int(result.out.split(" of ")[0].rsplit(" ", 1)[-1])
    assert 0 < changed < 10


@pytest.fixture
def trust_times(monkeypatch):  # type: ignore[no-untyped-def]
    """Let files written a moment ago count as settled (real edits are seconds apart)."""
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)


def test_a_build_with_nothing_changed_leaves_output_alone(tmp_path, run, trust_times):
    site = write_site(tmp_path, {"content/releases/a.md": release("A"),
                                 "content/releases/b.md": release("B", embargo="2099-01-01T09:00")})
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    again = run("build", site)
    assert again.code == 0
    assert "Nothing changed since the last build" in again.out
    assert "Next embargo lifts 1 January 2099, 09:00 Ho Chi Minh City time" in again.out
    assert tree_digest(site / "output") == before
    assert (site / ".presskit-cache/.gitignore").read_text() == "*\n"


@pytest.mark.parametrize("change", ["content", "settings", "template", "output", "drafts", "cache"])
def test_any_change_makes_the_next_build_a_real_one(tmp_path, run, trust_times, change):
    site = write_site(tmp_path, {"content/releases/a.md": release("A"),
                                 "content/releases/d.md": release("D", draft="true")})
    assert run("build", site).code == 0
    args: list[object] = ["build", site]
    if change == "content":
        (site / "content/releases/a.md").write_text(release("A changed"))
    elif change == "settings":
        (site / "presskit.toml").write_text(SETTINGS.replace("Test Newsroom", "Other Newsroom"))
    elif change == "template":
        (site / "templates").mkdir()
        (site / "templates/page.html").write_text("x")
    elif change == "output":
        shutil.rmtree(site / "output")
    elif change == "drafts":
        args.append("--drafts")
    else:
        shutil.rmtree(site / ".presskit-cache")
    result = run(*args)
    assert result.code == 0
    # (a new title, when the last full build kept its graph, is a change in place: see presskit.kept)
    assert "Built" in result.out or (change == "content" and "changed in place" in result.out), result.out
    assert (site / "output/index.html").is_file()


def test_an_embargo_that_lifted_since_the_last_build_is_published(tmp_path, run, trust_times,
                                                                  monkeypatch):
    import time

    site = write_site(tmp_path, {"content/releases/a.md": release("A"),
                                 "content/releases/b.md": release("Bee", embargo="2030-01-01T09:00")})
    assert run("build", site).code == 0
    assert "Nothing changed" in run("build", site).out
    later = time.time() + 10 * 365 * 86400  # after the embargo
    monkeypatch.setattr("presskit.build.time.time", lambda: later)
    monkeypatch.setattr("presskit.build.datetime", _FrozenDatetime(later))
    result = run("build", site)
    assert "Built 2 releases" in result.out
    assert "Bee" in read(site, "releases/b/index.html")


class _FrozenDatetime:
    """datetime, but now() is a given moment."""

    def __init__(self, moment: float) -> None:
        self.moment = moment

    def __getattr__(self, name: str) -> object:
        from datetime import datetime

        return getattr(datetime, name)

    def now(self, zone=None):  # type: ignore[no-untyped-def]
        from datetime import datetime

        return datetime.fromtimestamp(self.moment, zone)
