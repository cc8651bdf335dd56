"""A comms officer's first week: no silent surprises, messages in plain words (issue 14)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import frontmatter
import pytest

from conftest import PARTNERS, SETTINGS, one_png, release, write_site


def test_the_scaffold_means_what_its_comments_say_and_the_build_says_where_it_is_listed(tmp_path, run):
    site = write_site(tmp_path, {**PARTNERS, "content/releases/old.md": release("Old")})
    assert run("build", site).code == 0
    assert run("new", "release", "Trainers meet in Hanoi", "--site", site).code == 0
    path = next((site / "content/releases").rglob("trainers-meet-in-hanoi.md"))
    text = path.read_text()
    assert "countries: []" in text and "empty: the country that ends `location`" in text
    text = (text.replace('location: ""', 'location: "Hanoi, Viet Nam"')
            .replace("partners: []", "partners: [UNICEF]").replace("draft: true", "draft: false"))
    path.write_text(text)
    result = run("build", site)
    assert result.code == 0, result.err
    assert 'New: "Trainers meet in Hanoi", listed on: Viet Nam, UNICEF' in result.out
    assert "trainers-meet-in-hanoi" in (site / "output/countries/viet-nam/index.html").read_text()
    again = run("build", site)
    assert "New:" not in again.out


def test_new_release_keeps_whole_words_from_the_start_of_a_long_title(tmp_path, run):
    site = write_site(tmp_path, {})
    title = ("Viet Nam Social Security and the ILO launch a nationwide social insurance awareness "
             "campaign in Nghe An")
    assert run("new", "release", title, "--site", site).code == 0
    name = next((site / "content/releases").rglob("*.md")).stem
    assert len(name) <= 80 and title.lower().replace(" ", "-").startswith(name)


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])  # always a day apart from UTC for one
def test_new_release_takes_today_in_the_sites_time_zone(tmp_path, run, zone):
    site = write_site(tmp_path, {}, settings=SETTINGS.replace("Asia/Ho_Chi_Minh", zone))
    assert run("new", "release", "Today", "--site", site).code == 0
    written = frontmatter.loads(next((site / "content/releases").rglob("*.md")).read_text())["date"]
    assert str(written) == datetime.now(ZoneInfo(zone)).date().isoformat()


def test_warnings_are_counted_in_the_summary_line(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", date="2026-12-01",
                                         embargo="2026-12-02T09:00", draft="true"),
        "content/releases/b.md": release("B", photos="\n  - src: /media/p.png\n    alt: photo"),
        "content/media/p.png": one_png(),
    })
    result = run("build", site)
    assert result.code == 0, result.err
    assert "a.md:3: warning: `date` (2026-12-01) is before `embargo` (2026-12-02T09:00)" in result.err
    assert "b.md:6: warning: photo 1 (/media/p.png): the alt text 'photo' does not say" in result.err
    assert "presskit.toml: warning: `base_url` is still the placeholder https://example.org/news/" \
        in result.err
    summary = next(line for line in result.out.splitlines() if line.startswith("Built"))
    assert summary.endswith("with 3 warnings, see above."), summary


@pytest.mark.parametrize("alt", ["image", "p.png", "p", "Photo 3", "IMG"])
def test_alt_text_that_says_nothing_is_a_warning(tmp_path, run, alt):
    site = write_site(tmp_path, {
        "content/releases/b.md": release("B", photos=f"\n  - src: /media/p.png\n    alt: {alt}"),
        "content/media/p.png": one_png()})
    assert "does not say what the photo shows" in run("build", site).err


def test_a_real_base_url_and_a_real_alt_text_give_no_warning(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/b.md": release("B", photos="\n  - src: /media/p.png\n"
                                                    "    alt: Trainers in Dong Hoi"),
        "content/media/p.png": one_png()},
        settings=SETTINGS.replace("https://example.org/news/", "https://www.ilo.org/hanoi/"))
    result = run("build", site)
    assert result.code == 0 and "warning" not in result.err, result.err


def test_the_summary_names_each_release_held_back_in_local_time(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("ILO and VSS launch", embargo="2099-12-02T09:00"),
        "content/releases/b.md": release("Unfinished", draft="true"),
        "content/releases/c.md": release("Public"),
    })
    result = run("build", site)
    assert 'Not published: Embargoed until 2 December 2099, 09:00 Ho Chi Minh City time: ' \
           '"ILO and VSS launch"' in result.out
    assert 'Not published: Draft: "Unfinished"' in result.out
    from presskit.serve import Session
    from test_serve import get

    preview = Session(site, "127.0.0.1", 0, report=lambda line: None)
    try:
        banner = get(preview, "/releases/a/").body  # type: ignore[attr-defined]
    finally:
        preview.stop()
    assert b"Embargoed until 2 December 2099, 09:00 Ho Chi Minh City time." in banner


def test_embargoes_lists_what_is_ahead_for_schedulers(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("Later", embargo="2099-12-02T09:00"),
        "content/releases/b.md": release("Sooner", embargo="2099-06-01T08:00+00:00"),
        "content/releases/c.md": release("Draft under embargo", draft="true", embargo="2099-01-01T00:00"),
        "content/releases/d.md": release("Lifted", embargo="2020-01-01T00:00"),
    })
    listed = run("embargoes", site, "--json")
    assert listed.code == 0, listed.err
    items = json.loads(listed.out)["embargoes"]
    assert [item["title"] for item in items] == ["Sooner", "Later"]
    assert items[1]["embargo"] == "2099-12-02T09:00:00+07:00"
    assert items[1]["embargo_utc"] == "2099-12-02T02:00:00Z"
    assert items[1]["url"] == "https://example.org/news/releases/a/"
    plain = run("embargoes", site)
    assert "2 December 2099, 09:00 Ho Chi Minh City time (2099-12-02 02:00 UTC): \"Later\"" in plain.out


def test_embargoes_on_a_broken_site_reports_like_build(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A", date="2023-02-30")})
    result = run("embargoes", site)
    assert result.code == 1 and "a.md:3" in result.err and "Traceback" not in result.text


def test_a_file_suggestion_is_ready_to_paste(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", photos="\n  - src: /media/nghe-an-outreach.jpeg\n"
                                                    "    alt: Outreach"),
        "content/media/nghe-an-outreach.jpg": one_png()})
    result = run("build", site)
    assert 'did you mean "/media/nghe-an-outreach.jpg"?' in result.err


def test_a_build_with_nothing_changed_says_the_warnings_again(tmp_path, run):
    from test_quick import aged

    site = aged(write_site(tmp_path, {
        "content/releases/b.md": release("B", photos="\n  - src: /media/p.png\n    alt: image"),
        "content/media/p.png": one_png()}))
    first = run("build", site)
    again = run("build", site)
    assert again.out.startswith("Nothing changed"), again.out
    assert "b.md:6: warning: photo 1 (/media/p.png): the alt text 'image'" in again.err
    assert "(2 warnings, see above)" in again.out and "with 2 warnings, see above" in first.out


def test_a_date_on_the_embargo_day_is_no_surprise(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release(
        "A", date="2099-12-02", embargo="2099-12-02T09:00")})
    assert "is before `embargo`" not in run("build", site).err


def test_a_standing_warning_does_not_cost_quick_rebuilds_and_is_said_each_time(tmp_path, run):
    from conftest import tree_digest
    from test_quick import QUICK, aged, cold_output, generate

    site = generate(20, tmp_path / "site", seed=41)
    releases = sorted((site / "content/releases").rglob("*.md"))
    noisy, other = releases[3], releases[7]
    noisy.write_text(noisy.read_text() + "\n<script>alert(1)</script>\n")
    aged(site)
    first = run("build", site)
    assert first.code == 0 and "<script> element" in first.err
    other.write_text(other.read_text() + "\nA sentence added later.\n")
    second = run("build", site)
    assert second.out.startswith(QUICK), second.out
    assert "<script> element" in second.err and "with 2 warnings, see above" in second.out
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    noisy.write_text(noisy.read_text().replace("<script>alert(1)</script>", "Fixed."))
    third = run("build", site)
    assert third.out.startswith(QUICK), third.out
    assert "<script>" not in third.err and "with 1 warning, see above" in third.out  # base_url
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
