"""The release page a journalist needs (SPEC 9): media contacts and their vCards, notes to
editors, events with calendar files and an events page, withdrawn releases."""

from __future__ import annotations

import gzip
import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from conftest import (
    PARTNERS,
    SETTINGS,
    all_output_text,
    read,
    release,
    static_server,
    tree_digest,
    write_site,
)
from test_guarantees import _FrozenDatetime

CONTACTS = {
    "content/contacts/lan.md": """\
        ---
        name: Nguyen Thi Lan
        role: Communications officer
        organisation: UNICEF
        email: lan@example.org
        phone: +84 24 3850 0100
        languages: [English, Vietnamese]
        ---
        """,
    "content/contacts/minh.md": """\
        ---
        name: Tran Van Minh
        role: Press office
        organisation: Women's Union
        email: minh@example.org
        ---
        """,
}
BOILERPLATES = {
    "content/partners/unicef.md": """\
        ---
        name: United Nations Children's Fund
        short_name: UNICEF
        boilerplate: UNICEF works for the rights of every child.
        ---
        """,
    "content/partners/vwu.md": """\
        ---
        name: Viet Nam Women's Union
        short_name: VWU
        aliases: [Women's Union]
        boilerplate: The Women's Union represents the women of Viet Nam.
        ---
        """,
    "content/partners/own.md": """\
        ---
        name: Test Organisation
        boilerplate: The Test Organisation publishes this newsroom.
        ---
        """,
    "content/partners/quiet.md": "---\nname: Quiet Partner\n---\n",
}
EVENT = ("\n  start: 2030-06-06T09:00\n  end: 2030-06-06T11:30\n  venue: Melia Hotel\n"
         "  address: 44B Ly Thuong Kiet, Hanoi\n  online: https://example.org/live\n"
         "  accreditation: Register by 4 June.")


def contact_site(tmp_path, **extra_settings: str):
    settings = SETTINGS + "".join(f"{key} = {value}\n" for key, value in extra_settings.items())
    return write_site(tmp_path, {
        **PARTNERS, **CONTACTS,
        "content/releases/named.md": release("Named", contacts="[minh, Nguyen Thi Lan]"),
        "content/releases/unnamed.md": release("Unnamed"),
    }, settings)


def test_a_release_shows_its_contacts_with_mail_and_phone_links(tmp_path, run):
    site = contact_site(tmp_path)
    assert run("build", site).code == 0
    page = read(site, "releases/named/index.html")
    start = page.index('id="contacts-title"')
    block = page[start:page.index("</section>", start)]
    assert block.index("Tran Van Minh") < block.index("Nguyen Thi Lan")  # as the release lists them
    assert 'href="mailto:minh@example.org"' in block
    assert 'href="tel:+842438500100" dir="ltr">+84 24 3850 0100</a>' in block
    assert "Communications officer, UNICEF" in block
    assert 'href="/news/contacts/lan.vcf" download' in block
    assert 'href="/news/contacts/"' in block  # every contact, one click away


def test_default_contacts_stand_in_for_a_release_that_names_none(tmp_path, run):
    site = contact_site(tmp_path, default_contacts='["lan"]')
    assert run("build", site).code == 0
    unnamed = read(site, "releases/unnamed/index.html")
    assert "Nguyen Thi Lan" in unnamed and "Tran Van Minh" not in unnamed
    named = read(site, "releases/named/index.html")
    assert "Tran Van Minh" in named  # its own list wins


def test_without_contacts_there_is_no_contact_block_and_no_contacts_page(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")})
    assert run("build", site).code == 0
    assert 'id="contacts-title"' not in read(site, "releases/a/index.html")
    assert not (site / "output/contacts").exists()


def test_each_contact_has_a_vcard_an_address_book_reads(tmp_path, run):
    site = contact_site(tmp_path)
    assert run("build", site).code == 0
    card = vobject.readOne((site / "output/contacts/lan.vcf").read_text(encoding="utf-8"))
    assert card.fn.value == "Nguyen Thi Lan"
    assert card.email.value == "lan@example.org"
    assert card.tel.value == "+84 24 3850 0100"
    assert card.org.value == ["United Nations Children's Fund"]
    assert card.title.value == "Communications officer"


def test_the_media_contacts_page_lists_everyone_by_organisation(tmp_path, run):
    site = contact_site(tmp_path)
    assert run("build", site).code == 0
    page = read(site, "contacts/index.html")
    assert page.index("United Nations Children") < page.index("Nguyen Thi Lan")
    assert page.index("Viet Nam Women") < page.index("Tran Van Minh")
    assert page.index("Nguyen Thi Lan") < page.index("Viet Nam Women")  # organisations A to Z
    assert 'href="/news/contacts/"' in read(site, "index.html")  # linked from every footer
    sitemap = read(site, "sitemap.xml")
    assert "https://example.org/news/contacts/" in sitemap


def test_notes_to_editors_close_a_release_the_site_organisation_first(tmp_path, run):
    site = write_site(tmp_path, {
        **PARTNERS, **BOILERPLATES,
        "content/releases/a.md": release("A", partners="[Women's Union, Quiet Partner, UNICEF]"),
        "content/releases/b.md": release("B"),
    }, SETTINGS + 'organisation_partner = "own"\n')
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    start = page.index('id="notes-title"')
    notes = page[start:page.index("</section>", start)]
    assert (notes.index("publishes this newsroom") < notes.index("represents the women")
            < notes.index("rights of every child"))
    assert "Quiet Partner" not in notes  # no boilerplate, nothing to say
    only_own = read(site, "releases/b/index.html")
    assert "publishes this newsroom" in only_own and "every child" not in only_own


def test_an_edited_boilerplate_reaches_every_release_that_names_the_partner(tmp_path, run):
    site = write_site(tmp_path, {**PARTNERS, **BOILERPLATES,
                                 "content/releases/a.md": release("A", partners="[UNICEF]")})
    assert run("build", site).code == 0
    partner = site / "content/partners/unicef.md"
    partner.write_text(partner.read_text().replace("every child", "each and every child"))
    assert run("build", site).code == 0
    assert "each and every child" in read(site, "releases/a/index.html")


def event_site(tmp_path, event: str = EVENT, **keys: str):
    return write_site(tmp_path, {**PARTNERS, "content/releases/advisory.md": release(
        "Launch of the report", date="2030-05-30", type="media-advisory", event=event, **keys),
        "content/releases/other.md": release("Other")})


def test_an_event_gives_a_calendar_file_in_its_own_time_zone(tmp_path, run):
    site = event_site(tmp_path)
    result = run("build", site)
    assert result.code == 0
    calendar = icalendar.Calendar.from_ical((site / "output/releases/advisory/advisory.ics").read_bytes())
    event = next(iter(calendar.walk("VEVENT")))
    start = event.decoded("dtstart")
    assert start == datetime(2030, 6, 6, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert str(start.tzinfo) == "Asia/Ho_Chi_Minh"
    assert event.decoded("dtend") - start == timedelta(hours=2, minutes=30)
    assert str(event["summary"]) == "Launch of the report"
    assert str(event["location"]) == "Melia Hotel, 44B Ly Thuong Kiet, Hanoi"
    assert "https://example.org/news/releases/advisory/" in str(event["description"])
    assert calendar.walk("VTIMEZONE"), "the zone's rules travel with the entry"
    uid = str(event["uid"])
    page = read(site, "releases/advisory/index.html")
    assert 'href="/news/releases/advisory/advisory.ics" download' in page
    assert "6 June 2030, 09:00–11:30 (GMT+07:00)" in page
    (site / "content/releases/other.md").write_text(release("Other, edited"))
    assert run("build", site).code == 0
    again = icalendar.Calendar.from_ical((site / "output/releases/advisory/advisory.ics").read_bytes())
    assert str(next(iter(again.walk("VEVENT")))["uid"]) == uid  # the same entry, not a second one


def test_an_event_elsewhere_keeps_its_own_clock(tmp_path, run):
    site = event_site(tmp_path, "\n  start: 2030-06-27T09:00\n  timezone: Europe/Zurich\n  venue: Geneva")
    assert run("build", site).code == 0
    event = next(iter(icalendar.Calendar.from_ical(
        (site / "output/releases/advisory/advisory.ics").read_bytes()).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(2030, 6, 27, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))
    assert "27 June 2030, 09:00 (GMT+02:00)" in read(site, "releases/advisory/index.html")


def test_an_event_of_whole_days_is_an_all_day_entry(tmp_path, run):
    site = event_site(tmp_path, "\n  start: 2030-06-27\n  end: 2030-06-28\n  venue: Geneva")
    assert run("build", site).code == 0
    event = next(iter(icalendar.Calendar.from_ical(
        (site / "output/releases/advisory/advisory.ics").read_bytes()).walk("VEVENT")))
    assert str(event.decoded("dtstart")) == "2030-06-27"
    assert str(event.decoded("dtend")) == "2030-06-29"  # the day after the last, as RFC 5545 says


def test_an_event_is_structured_data_and_listed_on_the_events_page(tmp_path, run):
    site = event_site(tmp_path)
    result = run("build", site)
    assert "Next event: Launch of the report, 6 June 2030, 09:00 Ho Chi Minh City time" in result.out
    page = read(site, "releases/advisory/index.html")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1))
    event = data["about"]
    assert event["@type"] == "Event"
    assert event["startDate"] == "2030-06-06T09:00:00+07:00"
    assert event["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    events = read(site, "events/index.html")
    upcoming = events[events.index('id="upcoming-title"'):]
    assert "Launch of the report" in upcoming and 'id="past-title"' not in events
    assert "Register by 4 June." in upcoming
    assert "Launch of the report" in read(site, "index.html").split('id="home-events"')[1]


def test_an_event_that_ended_since_the_last_build_moves_to_past(tmp_path, run, monkeypatch):
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)
    site = event_site(tmp_path)
    assert run("build", site).code == 0
    assert "Nothing changed" in run("build", site).out
    later = datetime(2030, 6, 7, tzinfo=ZoneInfo("UTC")).timestamp()
    monkeypatch.setattr("presskit.build.time.time", lambda: later)
    monkeypatch.setattr("presskit.build.datetime", _FrozenDatetime(later))
    result = run("build", site)
    assert "Built" in result.out and "Next event" not in result.out
    events = read(site, "events/index.html")
    assert "No upcoming events." in events
    assert "Launch of the report" in events[events.index('id="past-title"'):]


WITHDRAWN = "The figures were wrong; see the corrected release."


def test_a_withdrawn_release_is_a_notice_and_gone_from_every_list(tmp_path, run):
    site = write_site(tmp_path, {
        **PARTNERS,
        "content/media/only-here.png": b"\x89PNG",
        "content/releases/gone.md": release(
            "Vanishing headline", partners="[UNICEF]", topics="[Zebra topic]", withdrawn=WITHDRAWN,
            body="Secret body words.\n\n![chart](/media/only-here.png)"),
        "content/releases/kept.md": release("Kept", partners="[UNICEF]"),
    })
    assert run("build", site).code == 0
    notice = read(site, "releases/gone/index.html")
    assert "Vanishing headline" in notice and WITHDRAWN in notice
    assert '<meta name="robots" content="noindex">' in notice
    assert "Secret body words" not in notice
    others = all_output_text(site).replace(notice, "")
    assert "Vanishing headline" not in others  # not in lists, feeds, the sitemap or the index
    assert "Secret body words" not in others
    assert "releases/gone/" not in read(site, "sitemap.xml")
    assert not (site / "output/topics/zebra-topic").exists()
    assert not (site / "output/media/only-here.png").exists()  # its photos go with its text


def test_withdrawing_a_release_after_a_build_takes_it_out_of_the_lists(tmp_path, run, monkeypatch):
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)
    site = write_site(tmp_path, {"content/releases/a.md": release("Headline to withdraw"),
                                 "content/releases/b.md": release("B")})
    assert run("build", site).code == 0
    assert "Headline to withdraw" in read(site, "feed.xml")
    (site / "content/releases/a.md").write_text(release("Headline to withdraw", withdrawn=WITHDRAWN))
    assert run("build", site).code == 0
    assert "Headline to withdraw" not in read(site, "feed.xml")
    assert "Headline to withdraw" not in read(site, "releases/index.html")
    assert WITHDRAWN in read(site, "releases/a/index.html")


def test_contacts_and_events_need_nothing_from_a_quick_rebuild_that_a_cold_build_would_not_make(
        tmp_path, run, monkeypatch):
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)
    site = write_site(tmp_path, {
        **PARTNERS, **CONTACTS,
        "content/releases/advisory.md": release("Advisory", date="2030-05-30", event=EVENT,
                                                contacts="[lan]", body="Lead.\n\nMore words."),
        "content/releases/b.md": release("B")})
    assert run("build", site).code == 0
    source = site / "content/releases/advisory.md"
    source.write_text(source.read_text().replace("More words.", "More words, edited."))
    assert "Only the text" in run("build", site).out
    quick = tree_digest(site / "output")
    import shutil

    shutil.rmtree(site / ".presskit-cache")
    shutil.rmtree(site / "output")
    assert run("build", site).code == 0
    assert tree_digest(site / "output") == quick


@pytest.mark.parametrize(("file", "where", "says", "hint"), [
    ("---\nname: A\nemail: not-an-address\n---\n", "c.md:3", "`email` 'not-an-address' is not an e-mail",
     "name@example.org"),
    ("---\nname: A\nphone: call me\n---\n", "c.md:3", "`phone` 'call me' is not a telephone number",
     "+84"),
    ("---\nname: A\n---\n", "c.md:2", "a contact needs an `email` or a `phone`", "email:"),
    ("---\nname: A\nemail: a@example.org\norganisation: Nobody\n---\n", "c.md:4",
     "unknown partner 'Nobody' in `organisation`", "content/partners/"),
])
def test_a_wrong_contact_file_is_a_located_error(tmp_path, run, file, where, says, hint):
    site = write_site(tmp_path, {**PARTNERS, "content/contacts/c.md": file,
                                 "content/releases/r.md": release()})
    result = run("build", site)
    assert result.code == 1
    assert where in result.err and says in result.err, result.err
    assert hint in result.err, result.err


@pytest.mark.parametrize(("setting", "says"), [
    ('default_contacts = ["nobody"]', "unknown contact 'nobody' in `default_contacts`"),
    ('organisation_partner = "nobody"', "unknown partner 'nobody' in `organisation_partner`"),
    ('default_contacts = "lan"', None),  # one name is a list of one
])
def test_site_settings_that_name_contacts_or_partners_are_checked(tmp_path, run, setting, says):
    site = write_site(tmp_path, {**PARTNERS, **CONTACTS, "content/releases/r.md": release()},
                      SETTINGS + setting + "\n")
    result = run("build", site)
    if says is None:
        assert result.code == 0, result.err
        assert "Nguyen Thi Lan" in read(site, "releases/r/index.html")
        return
    assert result.code == 1
    assert "presskit.toml:6" in result.err and says in result.err, result.err


def test_a_contact_in_another_language_shows_its_own_words(tmp_path, run):
    settings = SETTINGS + '\n[languages.vi]\ntitle = "Bản tin"\n'
    site = write_site(tmp_path, {
        **PARTNERS, **CONTACTS,
        "content/contacts/lan.vi.md": "---\nname: Nguyễn Thị Lan\nrole: Cán bộ truyền thông\n"
                                      "organisation: UNICEF\nemail: lan@example.org\n---\n",
        "content/releases/a.md": release("A", contacts="[lan]"),
        "content/releases/a.vi.md": release("A vi", contacts="[lan]"),
    }, settings)
    assert run("build", site).code == 0
    assert "Cán bộ truyền thông" in read(site, "vi/releases/a/index.html")
    assert "Communications officer" in read(site, "releases/a/index.html")
    card = vobject.readOne((site / "output/vi/contacts/lan.vcf").read_text(encoding="utf-8"))
    assert card.fn.value == "Nguyễn Thị Lan"
    assert "Liên hệ báo chí" in read(site, "vi/contacts/index.html")
    assert "Tran Van Minh" in read(site, "vi/contacts/index.html")  # no version: the original's words


# -- in a browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def journalist_site(tmp_path_factory):
    site = write_site(tmp_path_factory.mktemp("journalist"), {
        **PARTNERS, **CONTACTS,
        "content/releases/advisory.md": release(
            "Launch of the report", date="2030-05-30", type="media-advisory", event=EVENT,
            contacts="[lan]"),
        "content/releases/gone.md": release("Withdrawn headline", withdrawn=WITHDRAWN),
        "content/releases/kept.md": release("Kept release"),
    })
    from presskit.cli import main

    assert main(["build", str(site)]) == 0
    return site


@pytest.fixture(scope="module")
def served_journalist(journalist_site, tmp_path_factory):
    with static_server(journalist_site / "output", tmp_path_factory.mktemp("serve"), "/news/") as url:
        yield url


def test_a_journalist_saves_a_contact_and_adds_the_event_to_a_calendar(browser, served_journalist):
    page = browser.new_page()
    page.goto(served_journalist + "releases/advisory/")
    block = page.locator("section.contacts")
    assert block.get_by_role("link", name="lan@example.org").get_attribute("href") == "mailto:lan@example.org"
    assert block.get_by_role("link", name="+84 24 3850 0100").get_attribute("href") == "tel:+842438500100"
    with page.expect_download() as download:
        block.get_by_role("link", name=re.compile("Save contact")).click()
    card = vobject.readOne(download.value.path().read_text(encoding="utf-8"))
    assert card.fn.value == "Nguyen Thi Lan"
    assert download.value.suggested_filename == "lan.vcf"
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar").click()
    calendar = icalendar.Calendar.from_ical(download.value.path().read_bytes())
    assert str(next(iter(calendar.walk("VEVENT")))["summary"]) == "Launch of the report"
    assert download.value.suggested_filename == "advisory.ics"
    page.get_by_role("link", name="All media contacts").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Media contacts"
    page.close()


def test_a_withdrawn_release_shows_its_notice_and_is_gone_from_the_lists(browser, served_journalist):
    page = browser.new_page()
    page.goto(served_journalist + "releases/")
    assert page.get_by_text("Kept release").count() == 1
    assert page.get_by_text("Withdrawn headline").count() == 0
    page.goto(served_journalist + "feed.xml")
    assert "Withdrawn headline" not in page.content()
    page.goto(served_journalist + "releases/gone/")
    assert page.get_by_role("heading", level=1).inner_text() == "Withdrawn headline"
    assert page.get_by_role("note").inner_text().endswith(WITHDRAWN)
    page.close()


def test_printed_a_release_shows_its_address_and_contacts(browser, served_journalist):
    page = browser.new_page()
    page.goto(served_journalist + "releases/advisory/")
    address = page.locator(".print-address")
    assert not address.is_visible()
    page.emulate_media(media="print")
    assert address.is_visible()
    assert address.inner_text() == "https://example.org/news/releases/advisory/"
    assert page.locator("section.contacts").get_by_text("lan@example.org").is_visible()
    assert not page.locator(".share").is_visible()
    page.close()


def test_nothing_of_a_withdrawn_release_is_in_the_search_index(journalist_site):
    folder = journalist_site / "output/search"
    index = "".join(gzip.decompress(p.read_bytes()).decode() for p in folder.rglob("*.jsonz"))
    assert "Kept release" in index
    assert "Withdrawn headline" not in index and "withdrawn headline" not in index.lower()


def test_nothing_changes_between_two_builds_of_the_same_content(tmp_path, run):
    site = event_site(tmp_path)
    assert run("build", site).code == 0
    first = tree_digest(site / "output")
    import shutil

    shutil.rmtree(site / "output")
    shutil.rmtree(site / ".presskit-cache")
    time.sleep(0.01)
    assert run("build", site).code == 0
    assert tree_digest(site / "output") == first


# -- the demo newsroom's journalist pages, in a browser ------------------------------------

DEMO_PAGES = ["releases/results-launch-advisory/", "releases/vwu-training-of-trainers/", "contacts/",
              "events/", "releases/cambodia-training-postponed/", "vi/contacts/",
              "vi/releases/vwu-training-of-trainers/", "ar/releases/geneva-symposium-closes/", "ar/contacts/"]


@pytest.fixture(scope="module")
def served_demo(demo_site, tmp_path_factory):
    with static_server(demo_site / "output", tmp_path_factory.mktemp("www"), "/newsroom/") as url:
        yield url


@pytest.mark.parametrize("width", [360, 1280])
def test_the_journalist_pages_have_no_accessibility_violation_and_fit_a_phone(browser, served_demo, tmp_path,
                                                                              width):
    from conftest import require_tool
    from test_browser_languages import AXE

    require_tool(str(AXE), "axe-core (npm), for accessibility checks")
    page = browser.new_page(viewport={"width": width, "height": 900})
    found = {}
    for path in DEMO_PAGES:
        page.goto(served_demo + path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        if violations:
            found[path] = violations
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path
        page.screenshot(path=str(tmp_path / f"{path.replace('/', '_')}-{width}.png"), full_page=True)
    page.goto(served_demo + "releases/vwu-training-of-trainers/")
    page.locator("#photo-1 a.photo-open").click()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found["gallery open"] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    if not found["gallery open"]:
        del found["gallery open"]
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
    page.close()


def test_in_arabic_the_contacts_and_notes_read_right_to_left(browser, served_demo, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served_demo + "ar/contacts/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "جهات الاتصال الإعلامية"
    grid = page.locator(".contact-grid").first.bounding_box()
    first = page.locator(".contact-grid .contact").first.bounding_box()
    assert first["x"] + first["width"] > grid["x"] + grid["width"] / 2  # the first card on the right
    page.screenshot(path=str(tmp_path / "ar-contacts.png"), full_page=True)
    page.goto(served_demo + "ar/releases/geneva-symposium-closes/")
    assert page.locator("#notes-title").inner_text() == "ملاحظات للمحررين"
    page.close()


def test_every_build_names_the_next_event_not_only_a_full_one(tmp_path, run, monkeypatch):
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)
    site = event_site(tmp_path, body="Lead.\n\nMore words.")
    said = "Next event: Launch of the report, 6 June 2030, 09:00 Ho Chi Minh City time"
    assert said in run("build", site).out
    again = run("build", site)
    assert "Nothing changed" in again.out and said in again.out
    source = site / "content/releases/advisory.md"
    source.write_text(source.read_text().replace("More words.", "More words, edited."))
    quick = run("build", site)
    assert "Only the text" in quick.out and said in quick.out
