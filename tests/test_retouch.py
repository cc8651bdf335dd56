"""Card edits in `presskit serve`: a release's title, summary, place line or first paragraph
changed, and only the pages that show it made again, in memory, each served exactly as a
preview built from scratch would be (see presskit.retouch)."""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from conftest import REPO
from presskit import paths
from presskit.build import make_site
from presskit.serve import Session
from test_serve import status, wait_for

IN_PLACE = "changed in place"
MOVED = "moved in the site"


def _bytes(file) -> bytes:  # type: ignore[no-untyped-def]
    return file.data if file.data is not None else file.source.read_bytes()


def _aged(site: Path) -> Path:
    moment = time.time() - 3600  # a site saved a while ago: file times can be trusted
    for path in site.rglob("*"):
        os.utime(path, (moment, moment))
    return site


def _served(running: Session) -> dict[str, bytes]:
    snapshot = running.preview.snapshot()
    return {path: snapshot.made(path) for path in snapshot.files}


def _assert_served_equals_a_fresh_build(running: Session, site: Path) -> None:
    settings = running.preview.settings()
    fresh = make_site(site, as_of=datetime.now(UTC), preview=True, settings=settings).site
    served = _served(running)
    made = {f.path for f in fresh.files}
    assert served.keys() == made, (sorted(served.keys() - made), sorted(made - served.keys()))
    assert [f.path for f in fresh.files if served[f.path] != _bytes(f)] == []


def _save(running: Session, lines: list[str], path: Path, text: str) -> str:
    """Save a file; once the preview serves the rebuild and said so, what it said."""
    build, said = running.preview.snapshot().build, len(lines)
    path.write_text(text)
    wait_for(lambda: (running.preview.snapshot().build > build or running.preview.snapshot().error)
             and len(lines) > said, timeout=60)
    assert not running.preview.snapshot().error, lines[said:]
    return lines[-1]


def test_a_card_edit_makes_only_the_pages_that_show_the_release(tmp_path):
    """On the demo newsroom (two languages, events, a draft): a new title, first paragraph or
    place line makes again the pages that show the release and nothing else (counted:
    every file made is one whose bytes changed, but for a few that show the release and not
    what changed), and the preview equals a cold one; a new date moves the release among its
    neighbours, into another year that has releases too; a year of its own is a full rebuild."""
    shutil.copy(REPO / "presskit.toml", tmp_path)
    shutil.copytree(REPO / "content", tmp_path / "content")
    _aged(tmp_path)
    lines: list[str] = []
    running = Session(tmp_path, "127.0.0.1", 0, report=lines.append)
    releases = tmp_path / "content/releases"
    edits = [
        ("2024/cambodia-budget-training.md", "title: Cambodian officials", "title: Cambodian civil servants"),
        ("2024/cambodia-budget-training.md", "A three-day course", "A four-day course"),  # its lead
        ("2024/cambodia-budget-training.md", "location: Phnom Penh, Cambodia", "location: Kampot, Cambodia"),
        ("2023/district-trainings-quang-binh.vi.md", "title: ", "title: Tin mới - "),
        ("2026/results-launch-advisory.md", 'title: "', 'title: "Updated - '),  # an event's
        ("2026/nationwide-scale-up-draft.md", "title: ", "title: Draft - "),  # shown in the preview only
    ]
    shown_on: dict[str, int] = {}
    try:
        for name, old, new in edits:
            path = releases / name
            text = path.read_text()
            assert old in text, name
            before = _served(running)
            line = _save(running, lines, path, text.replace(old, new, 1))
            assert IN_PLACE in line, (name, line)
            after = _served(running)
            changed = {p for p in after if after[p] != before.get(p)}  # written (some may be removed)
            made = status(running)["rendered"]
            assert changed and len(changed) <= made < len(after) / 5, (name, made, sorted(changed))
            if old.startswith("title: "):  # a title shows wherever the release does: every file
                # made changed, but the home page (made after any edit, it counts every release)
                assert made <= len(changed) + 1, (name, made, sorted(changed))
                shown_on[name] = made
            else:  # the pages that show the release, some without what changed (a neighbour's
                assert made <= shown_on[name]  # page shows its title, not its place line)
            _assert_served_equals_a_fresh_build(running, tmp_path)

        path = releases / "2024/cambodia-budget-training.md"
        line = _save(running, lines, path, re.sub(r"(?m)^date: .*$", "date: 2024-05-20", path.read_text()))
        assert MOVED in line, line
        _assert_served_equals_a_fresh_build(running, tmp_path)
        line = _save(running, lines, path, re.sub(r"(?m)^date: .*$", "date: 2023-05-20", path.read_text()))
        assert MOVED in line, line  # into another year that has releases: it leaves 2024's page for 2023's
        _assert_served_equals_a_fresh_build(running, tmp_path)
        line = _save(running, lines, path, re.sub(r"(?m)^date: .*$", "date: 2019-05-20", path.read_text()))
        assert MOVED not in line and IN_PLACE not in line and "only the text" not in line, line  # a new year
        _assert_served_equals_a_fresh_build(running, tmp_path)
    finally:
        running.stop()


def _partner_02_toggled(text: str) -> str:
    """A release's partners with partner-02 added, or taken out if it was there."""
    found = re.search(r"(?m)^partners: \[(.*)\]$", text)
    if found is None:
        return text
    named = [name.strip() for name in found[1].split(",") if name.strip()]
    named = [name for name in named if name != "partner-02"] if "partner-02" in named else \
        [*named, "partner-02"]
    return f"{text[:found.start()]}partners: [{', '.join(named)}]{text[found.end():]}"


def test_random_edits_in_the_preview_equal_a_cold_preview(tmp_path, monkeypatch):
    """A generated bilingual newsroom, edited at random (titles, summaries, first paragraphs,
    words, dates in the same year and in another, topics, partners, a lead photo (some new to
    the site), releases written and
    deleted, versions in the other language written and deleted): after each save, the served
    site is the one a cold preview makes. Three releases a page: every list (of all releases,
    a year's, a term's) has numbered pages, which edits shift and which come and go; and
    its sitemap is an index of parts of one page each (as one of more than 50,000 is), which
    come and go too (the start is made in this process, which has that limit)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    import presskit.serve as serving
    from presskit import feeds

    monkeypatch.setattr(feeds, "SITEMAP_URLS", 1)
    monkeypatch.setattr(serving.Preview, "_start_elsewhere", lambda preview: False)

    site = generate(30, tmp_path / "site", seed=5, bilingual=True)
    toml = site / "presskit.toml"  # every list paged: its pages come and go
    toml.write_text(f"releases_per_page = 3\n{toml.read_text()}")
    for number in range(2):  # photos no release shows yet
        shutil.copy(site / f"content/media/photo-0{number}.jpg", site / f"content/media/fresh-{number}.jpg")
    _aged(site)
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    rng = random.Random(12)
    files = sorted((site / "content/releases").rglob("*.md"))
    def month(found: re.Match[str]) -> str:
        return f"date: {found[1]}-0{rng.randint(1, 9)}-{rng.randint(1, 28):02}"

    kinds = {
        "title": lambda text, n: re.sub(r"(?m)^title: .*$",
                                       f"title: Headline {n} {rng.choice(['jobs', 'wages'])}", text, count=1),
        "lead": lambda text, n: text.replace("\n---\n", f"\n---\n\nA first paragraph, edit {n}.\n", 1),
        "words": lambda text, n: text.rstrip("\n") + f" More words, edit {n}.\n",
        "date": lambda text, n: re.sub(r"(?m)^date: (\d{4})-\d\d-\d\d", month, text, count=1),
        "year": lambda text, n: re.sub(r"(?m)^date: \d{4}", f"date: {rng.choice([2015, 2019])}", text,
                                       count=1),
        "topic": lambda text, n: re.sub(r"(?m)^topics: \[", "topics: [Youth employment, ", text, count=1),
        "partner": lambda text, n: _partner_02_toggled(text),
        "photo": lambda text, n: re.sub(r"(?m)^  - src: /media/.*$", "  - src: /media/" + rng.choice(
            ["photo-00.jpg", "photo-03.jpg", "fresh-0.jpg", "fresh-1.jpg"]), text, count=1),
    }
    seen: set[str] = set()
    try:
        for number in range(40):
            path = rng.choice(files)
            kind = rng.choice([*sorted(kinds), "photo", "photo", "add", "delete", "translate"])
            text = path.read_text()
            if kind in ("add", "translate"):  # a copy under a name of its own, or its version
                added = path.with_name(path.name.replace("release-", f"added-{number}-", 1)
                                       if kind == "add" else path.name.replace(".md", ".vi.md"))
                if added.name.endswith(".vi.vi.md") or added.exists():
                    continue  # a version already
                files.append(added)
                copy = kinds["title"](text, number)
                line = _then(running, lines, lambda added=added, copy=copy: added.write_text(copy))
            elif kind == "delete":
                files.remove(path)
                line = _then(running, lines, path.unlink)
            else:
                edited = kinds[kind](text, number)
                if edited == text:
                    continue
                line = _save(running, lines, path, edited)
            seen.add("in place" if IN_PLACE in line else "words" if "only the text" in line
                     else "moved" if MOVED in line else "added" if "a new release" in line
                     else "deleted" if "a release deleted" in line else "full")
            _assert_served_equals_a_fresh_build(running, site)
        assert {"in place", "moved", "added", "deleted", "full"} <= seen, seen
    finally:
        running.stop()


def _dated(site: Path) -> list[Path]:
    """The releases of a generated site, each dated again in 2023 or 2024 (about 30 a year: a
    new date can take one far among its neighbours), their photos without captions."""
    files = sorted((site / "content/releases").rglob("*.md"))
    for number, path in enumerate(files):
        day = f"{2023 + number % 2}-{1 + number // 2 % 12:02}-{1 + number % 28:02}"
        text = re.sub(r"(?m)^date: .*$", f"date: {day}", path.read_text(), count=1)
        path.write_text(re.sub(r"(?m)^    caption: .*\n", "", text))  # every download alike
    return files


def _dated_site(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A generated site of 60 releases in 2023 and 2024 (see _dated), five a page of the list
    and three entries a feed, saved a while ago; and its release files."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(60, tmp_path / "site", seed=2)
    with (site / "presskit.toml").open("a") as settings:
        settings.write("releases_per_page = 5\nfeed_entries = 3\n")
    files = _dated(site)
    _aged(site)
    return site, files


def test_a_new_date_moves_a_release_and_makes_only_the_pages_that_change(tmp_path):
    """A release moved from the newest of the site to the oldest of its year, its words and
    its title changed there, then moved back: each save makes again only the pages, feeds and
    search files that change (counted) and the preview equals a cold one: the feeds it left
    (three entries each) and the pages of the list of releases (five a page) that it crossed,
    then its page with its new neighbours, a partner's page it joins and the pages that show
    it in its new place. With a
    caption of its own on a photo that older releases show too, the photo's download (which
    carries the first one's in the site's order) is made again, in place and with a move."""
    site, files = _dated_site(tmp_path)
    dates = {path: re.search(r"(?m)^date: (.*)$", path.read_text())[1] for path in files}  # type: ignore[index]
    newest = max(files, key=dates.__getitem__)
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    saves = [(f"date: {dates[newest]}", "date: 2024-01-01", MOVED),
             ("", "More words at the end.\n", "only the text"),  # its page with its new neighbours
             ("partners: [", "partners: [partner-02, ", MOVED),  # (if not there) onto its page
             ("title: ", "title: Moved - ", IN_PLACE),
             ("date: 2024-01-01", f"date: {dates[newest]}", MOVED),
             # A caption of its own: the downloads of its photos carry the newest one's.
             ("\n    alt: ", "\n    caption: Only here\n    alt: ", IN_PLACE),
             (f"date: {dates[newest]}", "date: 2024-01-01", MOVED)]
    try:
        for old, new, said in saves:
            before_files = dict(running.preview.snapshot().files)
            before = _served(running)
            text = newest.read_text()
            assert old in text
            line = _save(running, lines, newest, text.replace(old, new, 1) if old else text + new)
            assert said in line and (said != "Rebuilt" or "made again," in line), line  # or full
            after = _served(running)
            now_files = running.preview.snapshot().files
            changed = {path for path in after if after[path] != before.get(path)}
            made = {path for path in now_files if now_files[path] is not before_files.get(path)}
            if old.startswith("partners"):  # onto partner-02's page and feed, counted there; the
                # pages that show its card are looked at again (their bytes the same: no partner)
                assert {"partners/partner-02/index.html", "partners/partner-02/feed.xml",
                        "partners/index.html"} <= changed <= made, sorted(changed)
            elif "caption" in new:  # shown on its own page alone (and in its download)
                assert {path for path in changed if path.endswith(".html")} == {
                    paths.output_file(path) for path in (f"/releases/{newest.stem}/",)}, sorted(changed)
            elif said != "Rebuilt":
                assert changed <= made and len(made - changed) <= 8, sorted(made - changed)
            if said == MOVED and old.startswith("date"):
                assert "feed.xml" in {path.rsplit("/", 1)[-1] for path in changed}
                assert len({path for path in changed if path.startswith("releases/page/")}) >= 3
            if "caption" in new + old:  # the download of its lead photo, with the caption or not
                assert [path for path in changed if path.startswith("media/")], sorted(changed)
            _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def _then(running: Session, lines: list[str], action) -> str:  # type: ignore[no-untyped-def]
    """Do something to the site's files; once the preview serves the rebuild and said so,
    what it said of it."""
    said = len(lines)
    action()
    wait_for(lambda: running.preview.snapshot().error or any("Rebuilt in" in line for line in lines[said:]),
             timeout=60)
    assert not running.preview.snapshot().error, lines[said:]
    return next(line for line in lines[said:] if "Rebuilt in" in line)


def test_a_release_written_or_deleted_makes_only_the_pages_that_change(tmp_path):
    """A release file written anew (the newest, and an older draft) or deleted joins or leaves
    the lists it belongs on in the site kept in memory: each save makes again the pages, feeds
    and search files that change, and few others (counted), the preview equals a cold one, and
    the new release is announced. The list of releases gains and loses its newest numbered page
    (five a page: 60 releases, then 61, 60, 61, 60, 59, 60, 61, 60, 61); a release newer than
    all changes none of its numbered pages. A photo's download carries the
    caption of the newest release that shows it: made again as one comes and goes. A photo
    new to the site gets its files with the release that shows it, and loses them with it.
    A release on a topic of its own gets a page no list had: a full rebuild."""
    site, files = _dated_site(tmp_path)
    shutil.copy(site / "content/media/photo-00.jpg", site / "content/media/new-photo.jpg")
    _aged(site)
    pictured = site / "content/releases/pictured.md"
    newest = "2024-12-30"  # of the site: its years are 2023 and 2024
    model = files[7].read_text()
    written = site / "content/releases/written-today.md"
    draft = site / "content/releases/2023/a-draft.md"
    topical = site / "content/releases/topical.md"
    captioned = site / "content/releases/captioned.md"

    def write(path: Path, title: str, date: str, more: str = "", topics: str = "",
              caption: str = "", photo: str = "") -> Callable[[], None]:
        text = re.sub(r"(?m)^title: .*$", f"title: {title}", model, count=1)
        if photo:
            text = _one_photo(text, photo)
        if caption:  # on the photo the model leads with
            lead = re.search(r"(?m)^  - src: (.*)$", model)[1]  # type: ignore[index]
            text = _one_photo(text, lead, caption)
        text = re.sub(r"(?m)^date: .*$", f"date: {date}{more}", text, count=1)
        if topics:
            text = re.sub(r"(?m)^topics: .*$", f"topics: {topics}", text, count=1)
        return lambda: path.write_text(text)

    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    saves = [(write(written, "Written today", newest), "a new release"),
             (files[30].unlink, "a release deleted"),  # from the middle of the lists
             (write(draft, "Not yet", "2023-03-03", "\ndraft: true"), "a new release"),
             (written.unlink, "a release deleted"),  # the newest
             (files[31].unlink, "a release deleted"),
             (write(written, "Written again", newest), "a new release"),
             # The newest to show its photo, with a caption of its own: the photo's download
             # carries it, and the caption before once it is deleted.
             (write(captioned, "Captioned", "2024-12-31", caption="Its own words"), "a new release"),
             (captioned.unlink, "a release deleted"),
             (write(pictured, "Pictured", "2024-06-06", photo="/media/new-photo.jpg"), "a new release"),
             (pictured.unlink, "a release deleted"),
             (write(topical, "On its own", newest, topics="[A topic of its own]"), "made again,")]
    counted: list[int] = []
    try:
        for number, (action, said) in enumerate(saves):
            before_files = dict(running.preview.snapshot().files)
            before = _served(running)
            line = _then(running, lines, action)
            assert said in line, (number, line)
            after = _served(running)
            now_files = running.preview.snapshot().files
            changed = {path for path in after if after[path] != before.get(path)}
            made = {path for path in now_files if now_files[path] is not before_files.get(path)}
            if said != "made again,":  # (the search index is made whole: its entries are numbered anew)
                pages = {path for path in made - changed if not path.startswith("search/")}
                assert changed <= made and len(pages) <= 8, (number, sorted(pages))
                html = [path for path in now_files if path.endswith(".html")]
                assert len([path for path in made if path.endswith(".html")]) < len(html) / 3, number
            if number in (8, 9):  # the photo new to the site: its sizes, link preview and download
                photo = {path for path in after.keys() ^ before.keys() if "new-photo" in path}
                assert len(photo) == 5, sorted(photo)  # 480 and 640 wide, WebP and JPEG; its preview
                assert after["media/new-photo.jpg"] != before["media/new-photo.jpg"]  # with the credit
            if number in (0, 3):  # the newest came or went: /releases/ changed, no numbered page
                assert "releases/index.html" in made, number
                assert not {path for path in made if path.startswith("releases/page/")}, number
            _assert_served_equals_a_fresh_build(running, site)
            counted.append(sum(path.startswith("releases/page/") for path in now_files))
        assert 'New: "Written today", listed on: ' in "\n".join(lines)
        assert counted == [11, 11, 11, 11, 10, 11, 11, 11, 11, 11, 11], counted  # numbered pages
    finally:
        running.stop()


def test_a_page_the_list_gains_or_loses_relinks_the_other_languages_page_at_its_place(tmp_path):
    """A bilingual newsroom, four releases a page (30 in English, 15 in Vietnamese): a
    Vietnamese release written gives its list a third numbered page, which the English third
    page now links (its switcher and hreflang, and the sitemap's); deleted, the English page
    links the Vietnamese home again. Two English releases written give a seventh numbered
    page, which no Vietnamese page has; deleted, they take it. Each is a release written or
    deleted in memory, making few pages, and the preview equals a cold one."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(30, tmp_path / "site", seed=5, bilingual=True)
    toml = site / "presskit.toml"
    toml.write_text(toml.read_text().replace("[languages.vi]", "releases_per_page = 4\n\n[languages.vi]"))
    _aged(site)
    folder = site / "content/releases/2014"
    vietnamese = folder / "ban-tin-moi.vi.md"  # no English version
    english, another = folder / "a-new-release.md", folder / "another-release.md"
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)

    def write(path: Path, model: str, title: str) -> Callable[[], None]:
        text = re.sub(r"(?m)^title: .*$", f"title: {title}", (folder / model).read_text(), count=1)
        return lambda: path.write_text(text)

    def page_3_links_vietnamese() -> bool:
        return b"vi/releases/page/3/" in _served(running)["releases/page/3/index.html"]

    saves = [(write(vietnamese, "release-00000.vi.md", "Bản tin mới"), "a new release", True, False),
             (vietnamese.unlink, "a release deleted", False, False),
             (write(english, "release-00001.md", "A new release"), "a new release", False, False),
             (write(another, "release-00001.md", "Another release"), "a new release", False, True),
             (another.unlink, "a release deleted", False, False),
             (english.unlink, "a release deleted", False, False)]
    try:
        served = _served(running)
        assert "vi/releases/page/2/index.html" in served and "vi/releases/page/3/index.html" not in served
        assert "releases/page/6/index.html" in served and not page_3_links_vietnamese()
        for number, (action, said, linked, seventh) in enumerate(saves):
            before_files = dict(running.preview.snapshot().files)
            line = _then(running, lines, action)
            assert said in line, (number, line)
            now_files = running.preview.snapshot().files
            made = [path for path in now_files if path.endswith(".html")
                    and now_files[path] is not before_files.get(path)]
            assert len(made) < len([path for path in now_files if path.endswith(".html")]) / 3, number
            assert page_3_links_vietnamese() == linked, number
            assert ("vi/releases/page/3/index.html" in now_files) == linked, number
            assert ("releases/page/7/index.html" in now_files) == seventh, number
            _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def _one_photo(text: str, src: str, caption: str = "") -> str:
    block = (f"photos:\n  - src: {src}\n    alt: A hall.\n    credit: © Benchmark photographer\n"
             + (f"    caption: {caption}\n" if caption else ""))
    return re.sub(r"(?m)^photos:\n(?:  .*\n)+", block, text, count=1)


def test_another_photo_is_a_card_edit_that_makes_or_removes_the_photos_files(tmp_path):
    """A release that shows another photo is a card edit: only the pages that show it are made
    again, and the preview equals a cold one. A photo other releases lead with changes no
    file of media/; one new to the site gets its sizes, link preview and download (with the
    credit of the release), one that no release shows any more loses them, one that no
    release led with gets its link preview, and a caption that the photo's download carries
    (the first release in the site's order that shows it gives it) makes that download again.
    In one burst with a release that moved, it is part of the move."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(40, tmp_path / "site", seed=3)
    with (site / "presskit.toml").open("a") as settings:
        settings.write("releases_per_page = 5\n")
    files = _dated(site)
    for number, path in enumerate(files):  # three photos, each the lead photo of many releases
        path.write_text(_one_photo(path.read_text(), f"/media/photo-0{number % 3}.jpg"))
    shutil.copy(site / "content/media/photo-00.jpg", site / "content/media/only-here.jpg")
    shutil.copy(site / "content/media/photo-00.jpg", site / "content/media/second.jpg")
    dates = {path: re.search(r"(?m)^date: (.*)$", path.read_text())[1] for path in files}  # type: ignore[index]
    newest = max(files, key=dates.__getitem__)
    newest.write_text(newest.read_text().replace(  # second.jpg: shown (sizes made), no one's lead
        "credit: © Benchmark photographer\n", "credit: © Benchmark photographer\n"
        "  - src: /media/second.jpg\n    alt: A desk.\n    credit: © Benchmark photographer\n", 1))
    _aged(site)
    old = files[3] if files[3] is not newest else files[6]  # shows photo-00
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    # Each save, and the files of media/ it adds, changes or removes (by the photo's name).
    saves = [(old, "/media/photo-01.jpg", "", set()),
             (old, "/media/only-here.jpg", "", {"only-here"}),  # sizes, preview, download made
             (old, "/media/photo-02.jpg", "", {"only-here"}),  # and removed: shown by none
             (old, "/media/second.jpg", "", {"second"}),  # its link preview is made
             (old, "/media/photo-00.jpg", "", {"second"}),  # and removed; the sizes stay
             # The newest release shows a photo with a caption: the photo's download carries it.
             # (And no release shows second.jpg any more: its sizes go.)
             (newest, "/media/photo-01.jpg", "Only here", {"photo-01", "second"})]
    try:
        for release, src, caption, photos in saves:
            before_files = dict(running.preview.snapshot().files)
            before = _served(running)
            line = _save(running, lines, release, _one_photo(release.read_text(), src, caption))
            assert IN_PLACE in line, line
            after = _served(running)
            now_files = running.preview.snapshot().files
            changed = {path for path in after.keys() | before.keys() if after.get(path) != before.get(path)}
            made = {path for path in now_files if now_files[path] is not before_files.get(path)}
            unchanged = {path for path in made - changed if not path.endswith("feed.xml")}
            assert changed - before.keys() <= made and len(unchanged) <= 8, sorted(unchanged)  # (feeds
            media = {path for path in changed if path.startswith("media/")}  # carry no photo)
            assert {re.sub(r"(-\d+w|-share)?\..*$", "", path[6:]) for path in media} == photos, sorted(media)
            pages = {path for path in changed if path.endswith(".html")}
            link = f"releases/{release.stem}/".encode()  # each page made shows it, or is its own
            assert pages and all(link in after[path] or path == link.decode() + "index.html"
                                 for path in pages), sorted(pages)
            _assert_served_equals_a_fresh_build(running, site)
        shown = {path for path in _served(running) if "only-here" in path}
        assert shown == {"media/only-here.jpg"}, shown  # published as it is, as every media file
        # In one burst, an older release moved and the newest given another photo with a
        # caption of its own (which that photo's download carries): one move.
        moving = files[9] if files[9] is not newest else files[12]
        moving.write_text(re.sub(r"(?m)^date: (\d{4})-\d\d-\d\d", r"date: \1-06-15", moving.read_text(),
                                 count=1))
        line = _save(running, lines, newest, _one_photo(newest.read_text(), "/media/photo-02.jpg", "Mine"))
        assert MOVED in line, line
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def test_a_photo_copied_into_media_is_published_alone_until_a_release_shows_it(tmp_path):
    """A writer's new photo: copied into content/media/, it alone is published (as it is),
    with no page made again; a release that then shows it gets its files made in place; taken
    out of the release and deleted, it goes. A file that a release's text names already (a
    link that led nowhere) makes the full build run. The preview equals a cold one each time."""
    site, files = _dated_site(tmp_path)
    release = files[5]
    named = files[8]
    named.write_text(named.read_text().rstrip("\n") + " See [the chart](/media/chart.png).\n")
    _aged(site)
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    photo = site / "content/media/new-photo.jpg"
    steps = [(lambda: shutil.copy(site / "content/media/photo-01.jpg", photo),
              "content/media/ added, which no release shows yet",
              {"media/new-photo.jpg"}),
             (lambda: release.write_text(_one_photo(release.read_text(), "/media/new-photo.jpg")), IN_PLACE,
              None),
             (lambda: release.write_text(_one_photo(release.read_text(), "/media/photo-00.jpg")), IN_PLACE,
              None),
             (photo.unlink, "content/media/ removed, which no release showed", {"media/new-photo.jpg"}),
             (lambda: shutil.copy(site / "content/media/photo-01.jpg", site / "content/media/chart.png"),
              "made again,", None)]
    try:
        for action, said, changed_only in steps:
            before = _served(running)
            line = _then(running, lines, action)
            assert said in line, line
            after = _served(running)
            changed = {path for path in after.keys() | before.keys() if after.get(path) != before.get(path)}
            if changed_only is not None:
                assert changed == changed_only, sorted(changed)
            elif said == IN_PLACE:  # its sizes and link preview come and go, its download (the
                # file itself, with the release's credit, or as it is) changes; and its pages
                assert len({path for path in changed if "new-photo" in path}) == 6, sorted(changed)
            _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def test_a_full_rebuild_serves_its_pages_then_its_search_index_and_sitemap(tmp_path, monkeypatch):
    """A save that renders the site again in memory (here a new release on a new topic) serves the new pages
    at once, with the search index and sitemap as they were served, then those made again
    (0.25 s at 10,000 releases): both as one build, so the tab reloads once, and the site
    served at last is the one a fresh build makes."""
    import presskit.serve as serving
    from conftest import release

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = _aged(generate(12, tmp_path / "site", seed=2))
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    published: list = []  # type: ignore[type-arg]
    publish = serving.Preview._publish

    def noted(preview, snapshot) -> None:  # type: ignore[no-untyped-def]
        published.append(snapshot)
        publish(preview, snapshot)

    monkeypatch.setattr(serving.Preview, "_publish", noted)
    try:
        before = running.preview.snapshot()
        index = next(path for path in before.files if path.startswith("search/data/meta"))
        _save(running, lines, site / "content/releases/written-today.md",
              release("Written today", datetime.now(UTC).date().isoformat(),
                      topics="[A topic of its own]"))  # a new topic page: not a release added
        first, last = published[:2]  # (a later event for the same save publishes nothing new)
        assert first.build == last.build == before.build + 1  # one reload
        assert "releases/written-today/index.html" in first.files
        assert first.made("sitemap.xml") == before.made("sitemap.xml")  # as it was served
        assert first.made(index) == before.made(index)
        assert b"/releases/written-today/" in (last.made("sitemap.xml") or b"")
        assert last.made(index) != before.made(index)
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def _asked_once_told(monkeypatch, running: Session, paths: list[str]) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """What a tab gets for each of `paths`, asked for as soon as a rebuild's pages are served
    and the tab told, while the sitemap (made after them) takes a second, as a large site's
    does."""
    import presskit.render as rendering
    import presskit.serve as serving
    from test_serve import get

    sitemap, told = rendering._sitemap, serving.Preview.wait_until_told
    asked: dict[str, bytes] = {}

    def slow(*args, **options):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return sitemap(*args, **options)

    def then_ask(preview, build, timeout) -> None:  # type: ignore[no-untyped-def]
        told(preview, build, timeout)
        for path in paths:
            threading.Thread(target=lambda path=path: asked.update(
                {path: get(running, "/" + path).body}), daemon=True).start()  # type: ignore[attr-defined]

    monkeypatch.setattr(rendering, "_sitemap", slow)
    monkeypatch.setattr(serving.Preview, "wait_until_told", then_ask)
    return asked


def test_a_damaged_photo_new_to_the_site_is_reported_not_served_in_place(tmp_path):
    """A release that shows a photo new to the site that cannot be read as an image is not a
    change in place: the preview says which file and line, and how to mend it, as a build
    does, and keeps the last good version."""
    site, files = _dated_site(tmp_path)
    (site / "content/media/broken.jpg").write_bytes(b"not a photo at all")
    _aged(site)
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    try:
        said = len(lines)
        release = files[4]
        release.write_text(_one_photo(release.read_text(), "/media/broken.jpg"))
        wait_for(lambda: running.preview.snapshot().error, timeout=30)
        error = running.preview.snapshot().error
        assert f"{release.name}:12: error: photo 'broken.jpg' cannot be read as an image" in error, error
        assert "save it again as a .jpg or .png" in error
        assert not any(IN_PLACE in line for line in lines[said:]), lines[said:]
        assert "Traceback" not in "\n".join(lines)
    finally:
        running.stop()


def test_a_new_photos_files_asked_for_before_they_are_made_wait_for_them(tmp_path, monkeypatch):
    """A release that shows a photo new to the site is served (and the tab told to reload)
    before the photo's files are made; a tab that asks for one of them meanwhile waits for it
    and gets it, never a "not found"."""
    import hashlib

    import presskit.media as media
    import presskit.serve as serving
    from test_serve import get

    site, files = _dated_site(tmp_path)
    photo = site / "content/media/new-photo.jpg"
    photo.write_bytes((site / "content/media/photo-01.jpg").read_bytes() + b"new")  # never made
    _aged(site)
    digest = hashlib.blake2b(photo.read_bytes(), digest_size=16).hexdigest()[:10]
    wanted = [f"media/new-photo-480w.{digest}.webp", f"media/new-photo-share.{digest}.jpg"]
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    make, told = media.Media.make, serving.Preview.wait_until_told
    asked: dict[str, tuple[int, bytes]] = {}
    made_at: list[float] = []
    told_at: list[float] = []

    def slow(*args, **options):  # type: ignore[no-untyped-def]
        time.sleep(1.0)  # as a camera's photo takes
        made_at.append(time.monotonic())
        return make(*args, **options)

    def then_ask(preview, build, timeout) -> None:  # type: ignore[no-untyped-def]
        told(preview, build, timeout)
        told_at.append(time.monotonic())
        for path in wanted:
            threading.Thread(target=lambda path=path: asked.update(
                {path: (get(running, "/" + path).status, get(running, "/" + path).body)}),  # type: ignore[attr-defined]
                daemon=True).start()

    try:
        monkeypatch.setattr(media.Media, "make", slow)
        monkeypatch.setattr(serving.Preview, "wait_until_told", then_ask)
        release = files[4]
        line = _save(running, lines, release, _one_photo(release.read_text(), "/media/new-photo.jpg"))
        assert IN_PLACE in line, line
        wait_for(lambda: len(asked) == 2, timeout=20)
        assert told_at and made_at and told_at[0] < made_at[0], "the tab was told first"
        served = running.preview.snapshot()
        for path in wanted:
            status, body = asked[path]
            assert status == 200 and body == served.made(path) and body, path
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def test_a_search_file_asked_for_between_the_pages_and_the_index_is_the_new_builds(tmp_path, monkeypatch):
    """A tab that reloads after a full rebuild's pages were served (the search page, say) and
    asks for the search index or sitemap before they are made again waits for them: it never
    joins the old index's numbers to the new pages, nor keeps an index without the release."""
    from conftest import release

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = _aged(generate(12, tmp_path / "site", seed=2))
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    try:
        before = running.preview.snapshot()
        index = next(path for path in before.files if path.startswith("search/data/meta"))
        asked = _asked_once_told(monkeypatch, running, [index, "sitemap.xml"])
        _save(running, lines, site / "content/releases/written-today.md",
              release("Written today", datetime.now(UTC).date().isoformat(),
                      topics="[A topic of its own]"))  # a new topic page: not a release added
        wait_for(lambda: len(asked) == 2, timeout=20)
        last = running.preview.snapshot()
        assert asked[index] == last.made(index) != before.made(index)
        assert b"/releases/written-today/" in asked["sitemap.xml"]
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def test_a_list_page_or_search_file_asked_for_before_a_written_release_is_whole_waits(tmp_path, monkeypatch):
    """A release written (kept in memory) serves its page, the home page, the first page of
    the list and the term pages at once; the numbered pages of the list it shifts (all: it is
    the oldest), the search index and the sitemap follow. A tab that asks for one of those in
    between waits for it: it never gets a page of the list as it was (a release twice, or one
    missing) nor the old index. So too after a move, whose search index is made after its
    pages."""
    from conftest import release

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = generate(12, tmp_path / "site", seed=2)
    with (site / "presskit.toml").open("a") as settings:
        settings.write("releases_per_page = 3\n")
    _aged(site)
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    try:
        before = running.preview.snapshot()
        index = next(path for path in before.files if path.startswith("search/data/meta"))
        years = sorted(path.split("/")[1] for path in before.files if path.startswith("archive/2"))
        asked = _asked_once_told(monkeypatch, running, [index, "sitemap.xml", "releases/page/2/"])
        line = _then(running, lines, lambda: (site / "content/releases/written-today.md").write_text(
            release("Written today", f"{years[0]}-12-31")))  # the second oldest
        assert "a new release" in line, line
        wait_for(lambda: len(asked) == 3, timeout=20)
        last = running.preview.snapshot()
        assert asked[index] == last.made(index) != before.made(index)
        assert b"/releases/written-today/" in asked["sitemap.xml"]
        page = "releases/page/2/index.html"
        served = re.sub(rb'<script src="/__presskit__/live.js"[^>]*></script>', b"",
                        asked["releases/page/2/"])
        assert served == last.made(page) != before.made(page)  # (without the script the tab is given)
        _assert_served_equals_a_fresh_build(running, site)
        # A move (to the newest of the site) renumbers the search index too.
        asked.clear()
        before = running.preview.snapshot()
        moved = site / "content/releases/written-today.md"
        line = _then(running, lines, lambda: moved.write_text(release("Written today", f"{years[-1]}-12-31")))
        assert MOVED in line, line
        wait_for(lambda: len(asked) == 3, timeout=20)
        assert asked[index] == running.preview.snapshot().made(index) != before.made(index)
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()


def test_a_bug_after_a_full_rebuilds_pages_were_served_leaves_the_next_save_right(tmp_path, monkeypatch):
    """Should making the search index or sitemap fail after the pages were served (a bug),
    it is said, and the next save (a new title, else a card edit) rebuilds in full: the
    preview serves what a fresh build makes, the sitemap with the year that save did not make."""
    import presskit.render as rendering

    sys.path.insert(0, str(REPO / "benchmarks"))
    from generate import generate

    site = _aged(generate(12, tmp_path / "site", seed=2))
    lines: list[str] = []
    running = Session(site, "127.0.0.1", 0, report=lines.append)
    sitemap = rendering._sitemap
    failing = [True]

    def once(*args, **options):  # type: ignore[no-untyped-def]
        if failing.pop() if failing else False:
            raise RuntimeError("a bug")
        return sitemap(*args, **options)

    monkeypatch.setattr(rendering, "_sitemap", once)
    try:
        before = running.preview.snapshot().build
        first, second = sorted((site / "content/releases").rglob("release-*.md"))[:2]
        first.write_text(re.sub(r"(?m)^date: \d{4}", "date: 2010", first.read_text(), count=1))
        wait_for(lambda: any("failed unexpectedly" in line for line in lines), timeout=60)
        assert running.preview.snapshot().build > before  # its pages were served
        assert "archive/2010/index.html" in running.preview.snapshot().files
        from test_serve import get
        assert get(running, "/sitemap.xml").status == 200  # as served before: no request waits on
        _save(running, lines, second, second.read_text().replace("title: ", "title: Renamed ", 1))
        _assert_served_equals_a_fresh_build(running, site)
    finally:
        running.stop()
