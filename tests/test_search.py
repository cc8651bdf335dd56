"""Search: the index a build writes (only what is published, kept up to date by quick rebuilds
and the preview) and the search page in headless Chromium: words, filters, a shared address,
the keyboard, screen readers, no script."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    PARTNERS,
    REPO,
    all_output_text,
    copy_site,
    one_png,
    release,
    require_tool,
    static_server,
    tree_digest,
    write_site,
)
from presskit import search
from test_html import nu_errors
from test_quick import aged

AXE = REPO / ".ci/vnu/node_modules/axe-core/axe.min.js"


def newsroom(root: Path) -> Path:
    """Releases of two years and two partners, and three that must never be found: an
    embargoed one with a photo, a draft, and one embargoed in its Vietnamese version only."""
    return write_site(root, {
        **PARTNERS,
        "content/releases/2023/cambodia-budget.md": release(
            "Cambodia's budget hearings open", "2023-03-02", partners="[UNICEF]", countries="[KH]",
            location="Phnom Penh, Cambodia", topics="[Public finance]",
            body="Ministries defended their plans before the assembly.\n\n"
                 "Later, the hearings turned to the zanzibar question of child grants."),
        "content/releases/2023/quang-binh.md": release(
            "Trainers meet in Quảng Bình", "2023-05-22", partners="[VWU, UNICEF]", countries="[VN]",
            location="Dong Hoi, Viet Nam", topics="[Social protection]", type="feature",
            body="Trainers of the Women's Union met in Đồng Hới for five days."),
        "content/releases/2024/grants.md": release(
            "Child grants reach more families", "2024-02-10", partners="[UNICEF]", countries="[KH]",
            body="A budget line for child grants grew, and the hearings of 2023 are why."),
        "content/releases/2024/unicef-vn.md": release(
            "A budget for social protection in Viet Nam", "2024-07-01", partners="[UNICEF]",
            countries="[VN]", body="The budget of the social protection programme was agreed."),
        "content/releases/2099/future.md": release(
            "Secretembargo launch", "2024-08-01", embargo="2099-01-01T09:00",
            partners="[UNICEF]", countries="[KH]",
            photos="\n  - src: /media/secretphoto.png\n    alt: A hall\n    caption: Captionsecret words",
            body="Embargoonlyword is in this text."),
        "content/media/secretphoto.png": one_png(),
        "content/releases/2024/draft.md": release(
            "Draftonlyword plans", "2024-09-01", draft="true", body="Draftbodyword."),
        "content/releases/2024/recalled.md": release(
            "Recalledtitleword notice", "2024-03-01", partners="[UNICEF]", withdrawn="Wrong figures.",
            photos="\n  - src: /media/withdrawnphoto.png\n    alt: A room\n    caption: Withdrawncaption",
            body="Withdrawnbodyword is in this text."),
        "content/media/withdrawnphoto.png": one_png(),
    })


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from presskit.cli import main

    built = newsroom(tmp_path_factory.mktemp("search") / "site")
    assert main(["build", str(built)]) == 0
    return built


def unzipped(path: Path) -> Any:
    """A file of the index (gzipped JSON), decoded."""
    return json.loads(gzip.decompress(path.read_bytes()))


def by_date(folder: Path) -> list[int]:
    """The numbers of an index's releases, oldest first, as meta.jsonz lists them."""
    meta = unzipped(folder / "meta.jsonz")
    numbers = search.decode_list(meta["numbers"])
    return [numbers[place] for place in search.decode_order(meta["order"])]


def places(folder: Path) -> dict[int, int]:
    """Each release's number in an index -> its place by date (0 the oldest)."""
    return {number: place for place, number in enumerate(by_date(folder))}


def card_file(folder: Path, place: int) -> Path:
    """Where an index keeps the card of the release at this place by date (0 the oldest):
    named by its number."""
    return folder / f"f/{search.card_name(by_date(folder)[place])}.jsonz"


def index_words(folder: Path) -> dict[str, dict[int, int]]:
    """Every word of an index, with its releases (by place, 0 the oldest) and weights, decoded
    from its shards: those of the newest year's releases (r/) and the others' (s/)."""
    found: dict[str, dict[int, int]] = {}
    place = places(folder)
    for part in ("s", "r"):
        seen: set[str] = set()
        for shard in sorted((folder / part).glob("*.jsonz")):
            for word, postings in unzipped(shard).items():
                assert word not in seen, f"{word} in two shards of {part}/"
                seen.add(word)
                found.setdefault(word, {}).update(
                    (place[number], weight) for number, weight in search.decode_pairs(postings).items())
    return found


def words(text: str) -> list[str]:
    """The different folded words of a text, in order, as the index counts them."""
    return list(search.word_counts(text))


@pytest.mark.parametrize("seed", range(3))
def test_words_cut_at_ascii_punctuation_first_are_the_words_cut_the_general_way(seed):
    """word_counts cuts a text at ASCII spaces and punctuation at C speed and each run with
    another character the general way: the same counts as the general way on the whole text,
    whatever the scripts, marks, spaces, apostrophes and capital sigmas (which lower by what
    follows them)."""
    alphabet = [*"aZ9_ -'.,:", "’", "\u00a0", "\u2014", "é", "e\u0301", "Đ", "ß", "İ", "Σ", "ΟΔΟΣ",
                "\u212a", "ا", "ُ", "ت", "\u0e31", "ก", "١", "½", "ﬁ", "\ufe4d", "\u200b", "\u3000",
                "\x1c", "\U0001f600", "ǅ", "ŉ", "Quảng", "Bình"]
    rng = random.Random(seed)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert search.word_counts(text) == search._counted_whole(text), repr(text)


def test_folding_lets_quang_binh_find_quang_binh():
    assert words("Quảng Bình, Đồng Hới") == ["quang", "binh", "dong", "hoi"]
    assert words("QUẢNG BÌNH") == words("quang binh")
    assert words("اختُتم اليوم") == ["اختتم", "اليوم"]  # the mark inside the word goes
    assert words("Straße, Łódź, Ørsted") == ["strasse", "lodz", "orsted"]
    assert words("snake_case") == ["snake", "case"]


def test_lists_of_releases_round_trip_through_their_encoding():
    numbers = [0, 1, 2, 40, 41, 1000, 1031, 99_999]
    assert search.decode(search.encode(numbers)) == [0, 0, 0, 37, 0, 958, 30, 98_967]
    postings = {0: 1, 5: 17, 6: 31, 3000: 15}
    assert search.decode_pairs(search.encode_pairs(sorted(postings.items()))) == postings
    assert len(search.encode(range(10_000))) == 10_000  # one digit per release when dense


def _pairs_one_by_one(postings: list[tuple[int, int]]) -> str:
    """The encoding of pairs as the index's reader (search.js) spells it out."""
    digits, out, last = search._DIGITS, [], -1
    for number, weight in postings:
        for value in (number - last - 1, weight):
            while value >= 32:
                out.append(digits[32 | (value & 31)])
                value >>= 5
            out.append(digits[value])
        last = number
    return "".join(out)


def test_lists_of_pairs_of_any_length_and_spread_encode_as_spelled_out():
    rng = random.Random(5)
    for _ in range(400):
        size = rng.choice((1, 3, 9, 10, 40, 2000))
        spread = rng.choice((1, 2, 33, 5000))
        numbers = sorted(rng.sample(range(size * spread), size))
        postings = [(number, rng.choice((1, 15, 31, rng.randrange(32)))) for number in numbers]
        encoded = search.encode_pairs(postings)
        assert encoded == _pairs_one_by_one(postings)
        assert search.decode_pairs(encoded) == dict(postings)


def test_every_language_has_a_search_page_and_every_page_a_search_box(site):
    output = site / "output"
    page = (output / "search/index.html").read_text()
    assert '<label for="search-q">' in page and "<noscript>" in page
    for html in output.rglob("*.html"):
        text = html.read_text()
        if html.name != "404.html":
            assert ('role="search" aria-label="Search releases" action="/news/search/" '
                    'method="get"') in text, html
            assert '<label class="visually-hidden" for="site-search-q">Search releases</label>' in text


def test_the_index_holds_published_releases_ranked_and_filterable(site):
    data = site / "output/search/data"
    meta = unzipped(data / "meta.jsonz")
    assert meta["count"] == 4
    cards = [unzipped(card_file(data, n)) for n in range(4)]
    assert [c["t"] for c in cards] == [  # oldest first: a new release takes the next number
        "Cambodia's budget hearings open", "Trainers meet in Quảng Bình",
        "Child grants reach more families", "A budget for social protection in Viet Nam"]
    assert cards[0]["u"] == "/news/releases/cambodia-budget/"
    assert cards[0]["d"] == "Phnom Penh, Cambodia" and cards[0]["w"] == "2 March 2023"
    assert cards[1]["k"] == "Feature"
    words = index_words(data)
    assert words["zanzibar"] == {0: 1}  # only in one body
    assert words["quang"][1] & 16  # in a title
    assert words["budget"][0] & 16 and not words["budget"][2] & 16
    filters = {key: {value: (label, search.decode_list(found))  # by their places by date
                     for value, label, found in values}
               for key, values in meta["filters"].items()}
    assert filters["partner"]["unicef"][0] == "UNICEF"
    assert len(filters["partner"]["unicef"][1]) == 4 and len(filters["partner"]["vwu"][1]) == 1
    assert sorted(filters["year"]) == ["2023", "2024"]
    assert filters["type"]["feature"] == ("Feature", [1])
    names = {name[1]: name for name in meta["names"]}
    assert names["Viet Nam Women's Union"][2] == ["viet nam women's union", "vwu", "women's union"]
    assert names["Cambodia"][3] == "/news/countries/cambodia/"


def test_no_index_file_holds_a_word_of_an_embargoed_draft_or_withdrawn_release(site):
    output = site / "output"
    files = output.rglob("search/data/**/*.jsonz")
    index = "\n".join(gzip.decompress(p.read_bytes()).decode() for p in files)
    index += "\n" + "\n".join(index_words(output / "search/data"))
    assert "zanzibar" in index and "Cambodia's budget hearings open" in index  # the index is there
    for secret in ("secretembargo", "embargoonlyword", "captionsecret", "secretphoto",
                   "draftonlyword", "draftbodyword"):
        assert secret not in index.lower(), secret
        assert secret not in all_output_text(site).lower(), secret
    for gone in ("recalledtitleword", "withdrawnbodyword", "withdrawncaption", "withdrawnphoto"):
        assert gone not in index.lower(), gone
    notice = (output / "releases/recalled/index.html").read_text(encoding="utf-8")
    assert "Recalledtitleword notice" in notice  # the address stays, as a notice
    for gone in ("withdrawnbodyword", "withdrawncaption", "withdrawnphoto"):
        assert gone not in all_output_text(site).lower(), gone

def test_lifting_the_embargo_adds_the_release_to_the_index(site, run, tmp_path):

    copy = copy_site(site, tmp_path / "site")
    assert run("build", copy, "--as-of", "2099-01-02T00:00+07:00").code == 0
    words = index_words(copy / "preview/search/data")
    assert "embargoonlyword" in words and "captionsecret" in words


@pytest.mark.parametrize(("new_words", "gone"), [
    ("zanzibar quokka question", None),  # a word gained: the quick rebuild updates two shards
    ("quokka question", "za"),  # the only word of its shard lost: the quick rebuild removes it
])
def test_a_body_edit_updates_the_index_as_a_cold_build_makes_it(site, run, tmp_path, new_words, gone):
    import shutil

    copy = aged(shutil.copytree(site, tmp_path / "site", ignore=shutil.ignore_patterns(".presskit-cache")))
    assert run("build", copy).code == 0
    time.sleep(0.01)
    edited = copy / "content/releases/2023/cambodia-budget.md"
    edited.write_text(edited.read_text().replace("zanzibar question", new_words))
    result = run("build", copy)
    assert "Only the text of 1 release changed" in result.out, result.out
    updated = index_words(copy / "output/search/data")
    assert "quokka" in updated and ("zanzibar" in updated) == (gone is None)
    cold = copy_site(copy, tmp_path / "cold")
    assert run("build", cold).code == 0
    assert updated == index_words(cold / "output/search/data")
    assert tree_digest(copy / "output") == tree_digest(cold / "output")  # every file, none left over
    if gone:
        assert not (copy / f"output/search/data/s/{gone}.jsonz").exists()


def test_a_full_build_reads_only_the_search_cards_that_may_have_changed(site, run, tmp_path, monkeypatch):
    # A build keeps the digest of each search card it wrote; a card a quick rebuild made again
    # has none. The full build that follows reads that card (and finds its words put back) and
    # the card of the release it retitled, and no other.
    import shutil

    from presskit import cache

    copy = aged(shutil.copytree(site, tmp_path / "site", ignore=shutil.ignore_patterns(".presskit-cache")))
    assert run("build", copy).code == 0
    edited = copy / "content/releases/2023/cambodia-budget.md"
    words = edited.read_text()
    edited.write_text(words.replace("zanzibar question", "zanzibar quokka question"))
    assert "Only the text of 1 release changed" in run("build", copy).out
    edited.write_text(words)  # the words put back...
    retitled = copy / "content/releases/2024/grants.md"  # ...and another release retitled
    retitled.write_text(retitled.read_text().replace("title: ", "title: Renamed ", 1))
    aged(copy)
    cards_read: list[str] = []
    in_folder = cache.Written.in_folder

    def counting(cls, folder, cards=None):  # type: ignore[no-untyped-def]
        written = in_folder(folder, cards)

        def read(path: str) -> bytes | None:
            if "/data/f/" in path:
                cards_read.append(path)
            return written.read(path)
        return cache.Written(written.folder, read, written.cards)

    monkeypatch.setattr(cache.Written, "in_folder", classmethod(counting))
    (copy / ".presskit-cache/site-graph").unlink()  # a full build, not a change in place
    assert "Built" in run("build", copy).out
    assert len(cards_read) == 2, cards_read
    monkeypatch.undo()
    cold = copy_site(copy, tmp_path / "cold")
    assert run("build", cold).code == 0
    assert tree_digest(copy / "output") == tree_digest(cold / "output")


def test_each_language_has_its_own_index(run, tmp_path):
    site = copy_site(Path(__file__).parent / "sites/i18n", tmp_path / "site")
    assert run("build", site).code == 0
    output = site / "output"
    english = index_words(output / "search/data")
    vietnamese = index_words(output / "vi/search/data")
    assert "trainers" in english and "trainers" not in vietnamese
    assert "giang" in vietnamese  # giảng, folded
    assert "Tìm kiếm" in (output / "vi/search/index.html").read_text()
    arabic = (output / "ar/search/index.html").read_text()
    assert 'data-found-two="' in arabic and 'data-found-few="' in arabic  # Arabic's plural forms


# In a browser

@pytest.fixture(scope="module")
def served(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with static_server(site / "output", tmp_path_factory.mktemp("www-search"), "/news/") as url:
        yield url


def results(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".search-result h2").all_inner_texts()


def shows(page, count: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page shows `count` results, all of them drawn, for the words typed."""
    page.wait_for_function(
        """count => document.querySelectorAll('.search-result').length === count &&
                   new URLSearchParams(location.search).get('q') ===
                   (document.getElementById('search-q').value.trim() || null)""", arg=count)


@pytest.mark.browser
def test_a_word_in_one_body_finds_that_release_with_it_highlighted(browser, served, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served)
    page.get_by_role("search", name="Search releases").get_by_label("Search releases").fill("zanzibar")
    page.get_by_role("search", name="Search releases").get_by_role("button", name="Search").click()
    page.wait_for_url(served + "search/?q=zanzibar")
    page.wait_for_selector(".search-result")
    assert results(page) == ["Cambodia's budget hearings open"]
    assert page.locator(".search-status").inner_text() == "1 release found"
    assert page.locator(".search-status").get_attribute("aria-live") == "polite"
    assert page.locator(".search-excerpt mark").all_inner_texts() == ["zanzibar"]
    assert "Phnom Penh, Cambodia, 2 March 2023" in page.locator(".search-result .meta").inner_text()
    # typing: title matches first, accents folded
    page.get_by_label("Words to find").fill("quang binh")
    page.wait_for_function("document.querySelector('.search-result h2')?.innerText.includes('Trainers')")
    assert page.locator(".search-status").inner_text() == "1 release found"
    assert results(page) == ["Trainers meet in Quảng Bình"]
    assert page.locator(".search-result h2 mark").all_inner_texts() == ["Quảng", "Bình"]
    page.get_by_label("Words to find").fill("budget")
    shows(page, 3)
    ranked = results(page)
    assert set(ranked[:2]) == {"A budget for social protection in Viet Nam",
                               "Cambodia's budget hearings open"}
    assert ranked[2] == "Child grants reach more families"  # only in its text
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)


@pytest.mark.browser
def test_filters_combine_count_and_live_in_the_address(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served + "search/?q=budget")
    page.wait_for_selector(".search-result")
    partner = page.get_by_role("group", name="Partner")
    assert partner.get_by_role("checkbox", name="UNICEF (3)").count() == 1
    partner.get_by_role("checkbox", name="UNICEF (3)").check()
    page.get_by_role("group", name="Year").get_by_role("checkbox", name="2024 (2)").check()
    page.wait_for_function("location.search.includes('year=2024')")
    shows(page, 2)
    assert page.locator(".search-status").inner_text() == "2 releases found"
    assert page.url == served + "search/?q=budget&partner=unicef&year=2024"
    assert sorted(results(page)) == ["A budget for social protection in Viet Nam",
                                     "Child grants reach more families"]
    # The counts of other values say what choosing them would give.
    assert page.get_by_role("group", name="Year").get_by_role("checkbox", name="2023 (1)").count() == 1
    shared = browser.new_page()
    shared.goto(page.url)
    shows(shared, 2)
    assert sorted(results(shared)) == sorted(results(page))
    assert shared.get_by_role("checkbox", name="2024 (2)").is_checked()
    # filters alone list releases, newest first
    shared.goto(served + "search/?country=vn")
    shows(shared, 2)
    assert results(shared) == ["A budget for social protection in Viet Nam", "Trainers meet in Quảng Bình"]


@pytest.mark.browser
def test_releases_that_score_alike_show_the_newest_first(browser, tmp_path):
    """Numbers do not follow the dates within a year (see search.index_numbers): search.js
    ranks equals by meta.jsonz's order by date, for words and for filters alone."""
    from presskit.cli import main

    site = write_site(tmp_path / "site", {**PARTNERS, **{
        f"content/releases/2024/harvest-{day}.md": release(
            f"Harvest note {day}", f"2024-03-{day:02d}", countries="[KH]", body="The harvest report is out.")
        for day in range(1, 8)}})
    assert main(["build", str(site)]) == 0
    data = site / "output/search/data"
    numbers = search.decode_list(unzipped(data / "meta.jsonz")["numbers"])
    assert by_date(data) != numbers  # (else this would not tell numbers from dates)
    newest_first = [f"Harvest note {day}" for day in range(7, 0, -1)]
    with static_server(site / "output", tmp_path, "/news/") as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "search/?q=harvest")
        shows(page, 7)
        assert results(page) == newest_first
        page.goto(url + "search/?country=kh")
        shows(page, 7)
        assert results(page) == newest_first


@pytest.mark.browser
def test_filters_work_by_keyboard_with_visible_focus(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served + "search/?q=budget")
    page.wait_for_selector(".search-result")
    page.get_by_label("Words to find").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "partner":
            break
    assert page.evaluate("document.activeElement.type") == "checkbox"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Space")
    page.wait_for_function("location.search.includes('partner=')")


@pytest.mark.browser
def test_an_embargoed_releases_words_find_nothing(browser, served):
    page = browser.new_page()
    for word in ("embargoonlyword", "Secretembargo", "captionsecret", "draftonlyword"):
        page.goto(served + "search/?q=" + word)
        page.wait_for_function("document.querySelector('.search-status').innerText.startsWith('No release')")
        assert results(page) == []


@pytest.mark.browser
def test_names_of_partners_and_countries_are_found_too(browser, served):
    page = browser.new_page()
    page.goto(served + "search/?q=women%27s+union")
    page.wait_for_selector(".search-names li")
    link = page.locator(".search-names a").first
    assert link.inner_text() == "Viet Nam Women's Union"
    assert link.get_attribute("href") == "/news/partners/vwu/"


@pytest.mark.browser
def test_without_javascript_the_page_says_so_and_links_the_lists(browser, served):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served + "search/?q=budget")
    assert "Search needs JavaScript" in page.inner_text("main")
    assert page.get_by_role("link", name="All releases").first.get_attribute("href") == "/news/releases/"
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_the_search_page_has_no_accessibility_violation(browser, served, width, tmp_path):
    require_tool(str(AXE), "axe-core (npm), for accessibility checks")
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(served + "search/?q=budget")
    page.wait_for_selector(".search-result")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert [v["id"] for v in result["violations"]] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"search-{width}.png"), full_page=True)


def test_the_search_page_is_valid_html(site):
    assert nu_errors(site / "output" / "search") == []


@pytest.mark.browser
def test_the_preview_keeps_search_up_to_date_after_a_save(browser, tmp_path):
    from playwright.sync_api import Error as PlaywrightError

    from presskit.serve import Session

    copy = newsroom(tmp_path / "site")
    running = Session(copy, "127.0.0.1", 0, report=lambda _: None)
    try:
        page = browser.new_page()
        page.goto(f"{running.url}search/?q=pangolin")
        page.wait_for_function("document.querySelector('.search-status').innerText.startsWith('No release')")
        edited = copy / "content/releases/2024/grants.md"
        edited.write_text(edited.read_text().replace("grew, and", "grew like a pangolin, and"))
        deadline = time.monotonic() + 15
        found: list[str] = []
        while time.monotonic() < deadline and not found:
            try:
                page.goto(f"{running.url}search/?q=pangolin")
                # Until it finds none, or draws what it found (it says how many before it
                # has fetched their cards).
                page.wait_for_function("""() => document.querySelector('.search-status').innerText
                                            .startsWith('No release')
                                        || document.querySelector('.search-result h2') !== null""")
                found = results(page)
            except PlaywrightError:  # the preview reloaded the tab as its rebuild ended: again
                found = []
            time.sleep(0 if found else 0.2)
        assert found == ["Child grants reach more families"]
    finally:
        running.stop()


def _entry(number: int, words: str) -> search.Entry:
    text = f"Release {number} {words}"
    return search.Entry(f"/news/releases/r{number}/", f"Title {number} {words.split()[0]}", "",
                        "Press release", "Hanoi", "1 May 2024", search.text_and_words(text))


def test_an_index_made_on_several_processes_is_the_one_made_on_one(monkeypatch):
    rng = random.Random(5)
    vocabulary = ["budget", "province", "women", "quảng", "bình", "training", "grants", "2024"]
    entries = [_entry(number, " ".join(rng.choices(vocabulary, k=40))) for number in range(60)]
    one = search.build_index(entries, [], [])
    monkeypatch.setattr(search, "PARALLEL_AT_LEAST", 2)
    assert search.build_index(entries, [], [], workers=2) == one
    assert len(one) > 60 and all(search._load(data) for data in one.values())


def test_entries_kept_from_index_to_index_make_what_fresh_ones_make():
    """The preview keeps its entries: an index made anew from them (a release added among
    older ones renumbers the rest) uses the cards and words each made once, and is the index
    fresh entries make. What is pickled of an entry (the preview's learned state) is the entry
    alone, not what was made of it."""
    import pickle

    rng = random.Random(8)
    vocabulary = ["budget", "province", "women", "quảng", "bình", "training", "grants", "2024"]
    texts = [" ".join(rng.choices(vocabulary, k=30)) for _ in range(40)]
    kept = [_entry(number, text) for number, text in enumerate(texts)]
    first = search.build_index(kept, [], [])
    renumbered = [_entry(99, "inserted words"), *kept]
    again = search.build_index(renumbered, [], [])
    fresh = search.build_index([_entry(99, "inserted words"),
                                *(_entry(number, text) for number, text in enumerate(texts))], [], [])
    assert again == fresh and first != fresh
    back = pickle.loads(pickle.dumps(kept[0]))
    assert back == kept[0] and not {"_card", "_card_json", "_packed"} & vars(back).keys()
    assert back.packed() == kept[0].packed()


def _materialised(index: dict[str, bytes | None], written: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data if data is not None else written[name] for name, data in index.items()}


def _key(entry: search.Entry) -> bytes:
    """A key for an entry, as a build makes one of all it is made of."""
    return hashlib.blake2b(entry.card_json(), digest_size=search.ENTRY_KEY_SIZE).digest()


@dataclass(frozen=True)
class _Dated:
    """A release as search.numbered takes one: its date and address (and its entry)."""

    date: datetime
    path: str
    entry: search.Entry


def _numbered(dated: list[tuple[int, search.Entry]]) -> search.Numbered[_Dated]:
    """Releases on these days (days since 2023-01-01, oldest first) as the index numbers them."""
    first = datetime(2023, 1, 1, 9, tzinfo=UTC)
    releases = [_Dated(first + timedelta(days=day), entry.path, entry) for day, entry in dated]
    return search.numbered(list(reversed(releases)))


def _index(dated: list[tuple[int, search.Entry]], filters: list[search.Filter]) -> dict[str, bytes]:
    numbers, releases, order, newest = _numbered(dated)
    return search.build_index([r.entry for r in releases], filters, [], numbers=numbers, order=order,
                              newest=newest)


@pytest.mark.parametrize("seed", range(8))
def test_an_index_updated_from_the_last_one_is_the_index_made_anew(seed, monkeypatch):
    """Whatever the edits between two builds (one or several), an index updated from the one
    written is the index made anew, with and without the keys of the entries written (a key
    lost, as a quick rebuild loses the one of the entry it made again). A release added,
    removed or given another date, even among older ones, is an update; the only cards it
    writes are those of releases whose card or number changed."""
    # Near the groups' sizes, in both parts of the index (each year's releases): they split and merge
    monkeypatch.setattr("presskit.search._SHARD_LIMIT", 700)
    monkeypatch.setattr("presskit.search._NEWEST", search._Years("r/", 1, 3))
    rng = random.Random(seed)
    keyed = seed % 2 == 0  # with the keys of the entries written, or reading every card
    vocabulary = [f"{a}{b}{c}" for a in "cdp" for b in "aeo" for c in "lmnrst"] + ["coverage", "co"]
    # (day, entry), oldest first, over two years: two releases a day at most, some days none
    dated = sorted(((rng.randrange(700), _entry(n, " ".join(rng.choices(vocabulary, k=rng.randint(5, 400)))))
                    for n in range(120)), key=lambda found: (found[0], found[1].path))
    dated = [found for at, found in enumerate(dated) if at < 2 or found[0] != dated[at - 2][0]]

    def filters(dated: list[tuple[int, search.Entry]]) -> list[search.Filter]:
        return [search.Filter("year", [("2024", "2024", [0, 1, 2])])]

    written = _index(dated, filters(dated))
    known = b"".join(_key(release.entry) for release in _numbered(dated).releases)
    updated = 0
    kinds = ["append", "remove newest", "words", "title", "insert", "delete", "move"]
    for step in range(14):
        edits = rng.sample(kinds, rng.choice([1, 1, 1, 2, 3]))  # one edit, or several in one build
        before = _numbered(dated)
        for kind in edits:
            at = rng.randrange(len(dated))
            day, entry = dated[at]
            if kind == "append":  # a new release: the newest
                words = " ".join(rng.choices(vocabulary, k=600))
                dated.append((dated[-1][0] + 1, _entry(1000 + step, words)))
            elif kind == "remove newest" and len(dated) > 1:
                dated.pop()
            elif kind == "words":
                dated[at] = (day, _entry(int(entry.path[16:-1]), " ".join(rng.choices(vocabulary, k=500))))
            elif kind == "title":
                dated[at] = (day, search.Entry(entry.path, entry.title + " renamed", entry.subtitle,
                                               entry.kind, entry.dateline, entry.date, entry.body))
            elif kind == "move":  # a new date, a few days before or after (into another year, at times)
                dated[at] = (max(0, day + rng.choice([-5, -2, -1, 1, 3, 6])), entry)
            elif kind == "delete" and len(dated) > 1:  # among older ones
                del dated[rng.randrange(len(dated) - 1)]
            elif kind == "insert":  # among older ones, on a day that may have others
                dated.append((rng.randrange(700), _entry(2000 + step, "inserted words co")))
            dated.sort(key=lambda found: (found[0], found[1].path))
        now = _numbered(dated)
        entries = [r.entry for r in now.releases]
        keys = [_key(entry) for entry in entries]
        if keyed and rng.random() < 0.3:  # one key not known
            lost = rng.randrange(len(known) // search.ENTRY_KEY_SIZE) * search.ENTRY_KEY_SIZE
            known = known[:lost] + bytes(search.ENTRY_KEY_SIZE) + known[lost + search.ENTRY_KEY_SIZE:]
        made = search.index_from(written.get, entries, filters(dated), [], known if keyed else b"",
                                 keys if keyed else (), now.numbers, now.order, now.newest)
        cold = _index(dated, filters(dated))
        was = {r.entry.card_json(): number for number, r in zip(before.numbers, before.releases, strict=True)}
        changed = {number for number, r in zip(now.numbers, now.releases, strict=True)
                   if was.get(r.entry.card_json()) != number}  # a new card, or a card with a new number
        if len(edits) == 1 and edits[0] != "words" and len(changed) < 30:
            assert made is not None, (step, edits)  # not made anew
        if made is not None:
            updated += 1
            assert _materialised(made, written) == cold, (step, edits)
            written_cards = {int(name[2:-len(".jsonz")], 36) for name, data in made.items()
                             if name.startswith("f/") and data is not None}
            assert written_cards == changed, (step, edits)
        written, known = cold, b"".join(keys)
    assert updated >= 10  # most edits are updates, not whole new indexes


def test_a_release_removed_among_older_ones_changes_the_shards_of_its_words_alone():
    """Removing the oldest release of 60 (30 in 2023, 30 in 2024) writes no card and no
    shard but those of its words: the numbers of the others stay as they are."""
    dated = [(day, _entry(day, f"budget province words{day}")) for day in [*range(1, 31), *range(400, 430)]]
    numbers, releases, order, _ = _numbered(dated)
    written = _index(dated, [])
    keys = [_key(release.entry) for release in releases]
    now = _numbered(dated[1:])
    assert set(now.numbers) == set(numbers) - {numbers[order[0]]}  # (no other had probed past its slot)
    index = search.index_from(written.get, [r.entry for r in now.releases], [], [], b"".join(keys),
                              [_key(r.entry) for r in now.releases], now.numbers, now.order, now.newest)
    assert index is not None
    assert _materialised(index, written) == _index(dated[1:], [])
    its_shards = {f"s/{word[:2]}.jsonz" for word in dated[0][1].weights()}  # (none split at this size)
    new = {name for name, data in index.items() if data is not None}
    assert new == {"meta.jsonz", *its_shards} - {"s/1.jsonz"}
    gone = {f"f/{search.card_name(numbers[order[0]])}.jsonz", "s/1.jsonz"}  # its card, and "1" was its alone
    assert set(written) - set(index) == gone


def test_the_newest_years_words_are_apart_and_a_new_year_makes_the_index_anew():
    """The lists of the newest year's releases are in r/, by their words' first letter, the
    others' in s/, by two; a release added in the newest year changes r/ alone (and its card
    and meta.jsonz). The first release of a new year moves the year before into s/: the index
    is then made anew, never updated into one that still has that year apart."""
    dated = [(day, _entry(day, f"budget province words{day}")) for day in [*range(1, 31), *range(400, 430)]]
    written = _index(dated, [])
    meta = json.loads(gzip.decompress(written["meta.jsonz"]))
    numbers = _numbered(dated).numbers
    assert meta["newest"] == (2024 - 1900) * 128 == _numbered(dated).newest  # (128 numbers a year)
    assert sum(number >= meta["newest"] for number in numbers) == 30  # the releases of 2024
    assert "bu" in meta["shards"] and "b" in meta["newest_shards"]
    assert all(len(key) <= 2 for key in meta["shards"])
    assert all(len(key) == 1 for key in meta["newest_shards"])
    assert set(search.decode_pairs(json.loads(gzip.decompress(written["s/bu.jsonz"]))["budget"])) == {
        number for number in numbers if number < meta["newest"]}
    assert set(search.decode_pairs(json.loads(gzip.decompress(written["r/b.jsonz"]))["budget"])) == {
        number for number in numbers if number >= meta["newest"]}
    keys = [_key(r.entry) for r in _numbered(dated).releases]

    def updated(now_dated: list[tuple[int, search.Entry]]) -> dict[str, bytes | None] | None:
        now = _numbered(now_dated)
        return search.index_from(written.get, [r.entry for r in now.releases], [], [], b"".join(keys),
                                 [_key(r.entry) for r in now.releases], now.numbers, now.order, now.newest)

    in_2024 = [*dated, (500, _entry(500, "budget grants"))]
    index = updated(in_2024)
    assert index is not None and _materialised(index, written) == _index(in_2024, [])
    new = {name for name, data in index.items() if data is not None}
    assert {name[:2] for name in new} == {"r/", "f/", "me"}  # r/b, r/g, r/r, r/t, its card, meta.jsonz
    in_2025 = [*dated, (800, _entry(800, "budget grants"))]
    assert updated(in_2025) is None  # made anew
    anew = json.loads(gzip.decompress(_index(in_2025, [])["meta.jsonz"]))
    assert anew["newest"] == (2025 - 1900) * 128 and anew["newest_shards"] == ["8", "b", "g", "h", "r", "t"]


def test_a_release_keeps_its_number_when_its_date_changes_within_its_year():
    """A release's number is its year (from 1900) times a width, plus a slot found from its
    address: a new date in the same year, or releases added and removed, leave it as it is
    (but for a release whose slot was taken, which probes to the next); the width (four slots
    for each release of the busiest year, to a power of two, at least 64) changes them all."""
    addresses = [f"/news/releases/r{n}/" for n in range(300)]
    numbers = search.index_numbers([(2024, address) for address in addresses])
    assert len(set(numbers)) == 300 and all((2024 - 1900) * 2048 <= n < (2025 - 1900) * 2048 for n in numbers)
    shuffled = list(zip(addresses, numbers, strict=True))
    random.Random(3).shuffle(shuffled)  # a new order of dates within the year: the same numbers
    assert search.index_numbers([(2024, address) for address, _ in shuffled]) == [n for _, n in shuffled]
    fewer = search.index_numbers([(2024, address) for address in addresses[1:]])
    moved = sum(a != b for a, b in zip(numbers[1:], fewer, strict=True))
    assert moved <= 3  # one removed: at most the few that had probed past its slot move back
    more = search.index_numbers([(2024, address) for address in [*addresses, "/news/releases/new/"]])
    assert sum(a != b for a, b in zip(numbers, more, strict=False)) <= 3
    years = [2024] * 299 + [2023]  # the last one a year earlier
    other_year = search.index_numbers(list(zip(years, addresses, strict=True)))
    assert sum(a != b for a, b in zip(numbers, other_year[:299], strict=False)) <= 3
    assert other_year[299] < (2024 - 1900) * 2048
    twice = [*addresses, *(f"/x{n}/" for n in range(300))]
    wider = search.index_numbers([(2024, address) for address in twice])
    assert set(wider[:300]) != set(numbers)  # 600 in a year: 4096 slots, every number anew
    assert search.index_numbers([(2024, "/a/")]) == [(2024 - 1900) * 64 + search._digest("/a/") % 64]
    assert search.index_numbers([(1850, "/a/"), (1851, "/b/")])[0] < 64  # from the first year, before 1900
    assert search.index_numbers([]) == []


def test_releases_are_listed_by_date_in_meta():
    """meta.jsonz lists the releases' numbers ascending and, apart, their places by date,
    which search.js ranks equal results by: every order of places round-trips."""
    rng = random.Random(4)
    for length in (0, 1, 2, 50, 900):
        places = list(range(length))
        rng.shuffle(places)
        assert search.decode_order(search.encode_order(places)) == places
    dated = [(day % 9, _entry(day, f"words{day}")) for day in range(40)]
    dated.sort(key=lambda found: (found[0], found[1].path))
    numbers, releases, order, _ = _numbered(dated)
    assert numbers == sorted(numbers)
    assert [releases[place].entry for place in order] == [entry for _, entry in dated]
    meta = json.loads(gzip.decompress(_index(dated, [])["meta.jsonz"]))
    assert search.decode_list(meta["numbers"]) == numbers and search.decode_order(meta["order"]) == order


def test_a_card_is_named_by_its_number_as_search_js_names_it():
    assert [search.card_name(n) for n in (0, 9, 10, 35, 36, 183_962)] == ["0", "9", "a", "z", "10", "3xy2"]
    script = (REPO / "templates/assets/search.js").read_text()
    assert '"f/" + n.toString(36) + ".jsonz"' in script


def test_the_files_an_index_no_longer_has_are_its_cards_and_shards_gone():
    """A build after a move removes the files the last index had that the new one does not
    (search.files_gone): none when the releases and shards are the same, the card of a
    release gone, the shards of words gone; as the whole lists of both indexes' names say."""
    entries = [_entry(n, f"budget province words{n}") for n in range(20)]
    written = search.build_index(entries, [], [])
    meta = written["meta.jsonz"]
    moved = search.build_index(entries, [], [], order=[*range(1, 20), 0])["meta.jsonz"]
    assert moved != meta and search.files_gone(meta, moved) == []  # another order by date
    fewer = search.build_index(entries[:19], [], [])["meta.jsonz"]
    other = search.build_index([*entries[:19], _entry(19, "quite other words entirely")], [],
                               [])["meta.jsonz"]
    for before, after in ((meta, fewer), (meta, other), (other, meta), (fewer, meta)):
        expected = sorted(search.index_names(before) - search.index_names(after))  # type: ignore[operator]
        assert search.files_gone(before, after) == expected
    assert "f/j.jsonz" in search.files_gone(meta, fewer)  # type: ignore[operator]  # a release gone: its card
    assert search.files_gone(other, meta)  # the same releases, shards of words gone
    assert search.files_gone(fewer, meta) == []  # a release added: nothing gone
    assert search.files_gone(meta, None) is None and search.files_gone(None, meta) is None
    assert search.files_gone(b"not an index", meta) is None


def test_an_update_makes_and_reads_only_the_entries_whose_key_changed():
    """With the keys of the index written (what each entry was made of), an update asks for
    no entry and reads no card of a release whose key is the same: a build after one edit
    makes one entry, not 10,000."""
    entries = [_entry(n, f"budget province words{n}") for n in range(50)]
    filters = [search.Filter("year", [("2024", "2024", [0, 1])])]
    written = search.build_index(entries, filters, [])
    keys = [bytes([n + 1]) * search.ENTRY_KEY_SIZE for n in range(50)]  # none all zeros (not known)
    edited = list(entries)
    edited[7] = _entry(7, "budget grants")
    asked: list[int] = []
    read: list[str] = []

    class Entries(list):  # type: ignore[type-arg]
        def __getitem__(self, number):  # type: ignore[no-untyped-def]
            asked.append(number)
            return super().__getitem__(number)

    def reading(name: str) -> bytes | None:
        read.append(name)
        return written.get(name)

    now = [*keys[:7], b"\xff" * search.ENTRY_KEY_SIZE, *keys[8:]]
    index = search.index_from(reading, Entries(edited), filters, [], b"".join(keys), now)
    assert index is not None
    assert _materialised(index, written) == search.build_index(edited, filters, [])
    assert asked == [7], asked
    assert [name for name in read if name.startswith("f/")] == [f"f/{search.card_name(7)}.jsonz"]


def test_a_word_that_opens_a_new_shard_in_a_split_group_is_an_update(monkeypatch):
    """A group of words too large for one shard is split by their third letter; a new word
    whose three letters no word had yet gets a new shard of that group, as a cold build gives
    it (it went to the two-letter shard, which the check against a cold build's split then
    refused: every words edit of a 20,000-release site was a full build)."""
    monkeypatch.setattr("presskit.search._SHARD_LIMIT", 300)
    words = [f"se{c}{d}" for c in "abcdefghijklm" for d in "abcdefghij"]  # no word starts with "sen"
    entries = [_entry(n, " ".join(words[n * 10:(n + 1) * 10])) for n in range(13)]
    filters = [search.Filter("year", [("2024", "2024", [0, 1])])]
    written = search.build_index(entries, filters, [])
    shards = json.loads(gzip.decompress(written["meta.jsonz"]))["shards"]
    assert "sea" in shards and "sen" not in shards  # the group is split
    entries[5] = _entry(5, " ".join(words[50:60]) + " sentence")
    index = search.index_from(written.get, entries, filters, [])
    assert index is not None
    assert _materialised(index, written) == search.build_index(entries, filters, [])


@pytest.mark.parametrize("seed", range(6))
def test_a_list_of_pairs_updated_in_place_is_the_list_decoded_changed_and_encoded(seed):
    """search.updated_pairs edits the digits where they stand when it can: the same text as
    changing the decoded pairs and encoding them again, whatever the gaps and weights."""
    rng = random.Random(seed)
    for _ in range(300):
        spread = rng.choice([1, 3, 40, 200, 5000])  # a word in most releases, or in few (far apart)
        numbers = sorted(rng.sample(range(spread * 60), rng.randint(0, 50)))
        weights = [1, 2, 3, 15, 16, 31] + ([33, 40] if rng.random() < 0.2 else [])  # one digit, mostly
        pairs = {number: rng.choice(weights) for number in numbers}
        text = search.encode_pairs(sorted(pairs.items()))
        changes = {}
        for _ in range(rng.randint(1, 6)):
            number = rng.choice(numbers) if numbers and rng.random() < 0.6 else rng.randrange(spread * 70)
            changes[number] = rng.choice([None, None, 1, 7, 17, 31, 32])
        expected = dict(pairs)
        for number, weight in changes.items():
            if weight is None:
                expected.pop(number, None)
            else:
                expected[number] = weight
        assert search.updated_pairs(text, changes) == search.encode_pairs(sorted(expected.items()))
    with pytest.raises(ValueError):  # a damaged list: the update gives up, the index is made anew
        search.updated_pairs("AAB", {1: 1})


def test_an_index_names_its_files_by_its_meta():
    """The files of an index, as its meta.jsonz names them: what a change in place compares,
    before and after, to remove those it no longer has; nothing for a file that is not one."""
    index = search.build_index([_entry(n, f"word{n} shared") for n in range(7)], [], [])
    assert search.index_names(index["meta.jsonz"]) == set(index)
    fewer = search.build_index([_entry(n, f"word{n} shared") for n in range(5)], [], [])
    assert search.index_names(index["meta.jsonz"]) - search.index_names(fewer["meta.jsonz"]) == {
        "f/5.jsonz", "f/6.jsonz", *(set(index) - set(fewer))}
    for damaged in (None, b"", b"not gzip", gzip.compress(b"[1, 2]"), gzip.compress(b'{"count": 3}')):
        assert search.index_names(damaged) is None
