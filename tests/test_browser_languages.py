"""The multilingual fixture newsroom in headless Chromium: the switcher from an English release
to its Vietnamese version and back, Vietnamese words and dates, an Arabic page laid out right
to left, and no accessibility violation (axe-core) on any page of any language. Its HTML is
checked by the Nu Html Checker too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, copy_site, require_tool, static_server
from test_html import nu_errors

FIXTURE = Path(__file__).parent / "sites" / "i18n"
AXE = REPO / ".ci/vnu/node_modules/axe-core/axe.min.js"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from presskit.cli import main

    copy = copy_site(FIXTURE, tmp_path_factory.mktemp("i18n-browser") / "site")
    assert main(["build", str(copy)]) == 0
    return copy


@pytest.fixture(scope="module")
def served(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with static_server(site / "output", tmp_path_factory.mktemp("www-i18n"), "/news/") as url:
        yield url


def test_every_page_of_every_language_is_valid_html(site):
    assert len(list((site / "output").rglob("*.html"))) > 40
    assert nu_errors(site / "output") == []


@pytest.mark.browser
def test_the_switcher_leads_to_the_vietnamese_version_and_back(browser, served, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served + "releases/hanoi-workshop/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("navigation", name="Languages").get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_url(served + "vi/releases/hanoi-workshop/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Các giảng viên gặp mặt tại Hà Nội"
    assert page.locator(".kicker .label").text_content() == "Thông cáo báo chí"
    assert page.locator(".dateline time").first.inner_text() == "6 tháng 6, 2026"
    assert page.get_by_role("heading", name="Chia sẻ").count() == 1
    assert page.get_by_role("navigation", name="Mục chính").get_by_role("link", name="Đối tác").count() == 1
    page.screenshot(path=str(tmp_path / "vi-release.png"), full_page=True)
    page.get_by_role("navigation", name="Ngôn ngữ").get_by_role("link", name="English").click()
    page.wait_for_url(served + "releases/hanoi-workshop/")
    assert page.locator("h1").inner_text() == "Trainers meet in Hanoi"


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_the_arabic_page_is_laid_out_right_to_left(browser, served, tmp_path, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(served + "ar/releases/beirut/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.locator(".kicker .label").text_content() == "بيان صحفي"
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0
    # Mirrored: the headline's words end at the right edge of its box, the site's name is
    # on the right.
    gap = page.evaluate("""() => {
        const heading = document.querySelector("h1"), words = document.createRange();
        words.selectNodeContents(heading);
        return heading.getBoundingClientRect().right - words.getBoundingClientRect().right;
    }""")
    assert abs(gap) < 2
    brand = page.locator(".brand").bounding_box()
    assert brand and brand["x"] + brand["width"] > width / 2
    if width > 1000:  # the aside beside the text is on its left
        aside = page.locator(".release-aside").bounding_box()
        body = page.locator(".release-body").bounding_box()
        assert aside and body and aside["x"] < body["x"]
    page.screenshot(path=str(tmp_path / f"ar-{width}.png"), full_page=True)


@pytest.mark.browser
def test_no_page_of_any_language_has_an_accessibility_violation(browser, served, site):
    require_tool(str(AXE), "axe-core (npm), for accessibility checks")
    output = site / "output"
    pages = sorted(str(file.relative_to(output)).removesuffix("index.html")
                   for file in output.rglob("*.html"))
    assert len(pages) > 40 and {"", "vi/", "ar/releases/beirut/", "vi/search/"} <= set(pages)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(path=str(AXE))  # in every page as it opens
    found = {}
    for path in pages:  # every page of every language
        page.goto(served + path)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
        if violations:
            found[path] = violations
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.browser
def test_the_preview_reloads_a_versions_tab_and_its_switcher_works(browser, tmp_path):
    from presskit.serve import Session

    copy = copy_site(FIXTURE, tmp_path / "site")
    lines: list[str] = []
    running = Session(copy, "127.0.0.1", 0, report=lines.append)
    try:
        page = browser.new_page()
        page.goto(f"{running.url}vi/releases/hanoi-workshop/")
        assert "Các giảng viên gặp mặt tại Hà Nội" in page.inner_text("h1")
        version = copy / "content/releases/2026/hanoi-workshop.vi.md"
        version.write_text(version.read_text().replace("kéo dài ba ngày", "kéo dài bốn ngày"),
                           encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('kéo dài bốn ngày')", timeout=15000)
        assert page.url == f"{running.url}vi/releases/hanoi-workshop/"
        page.get_by_role("navigation", name="Ngôn ngữ").get_by_role("link", name="English").click()
        page.wait_for_url(f"{running.url}releases/hanoi-workshop/")
        assert page.locator("h1").inner_text() == "Trainers meet in Hanoi"
        # The preview shows the embargoed version, marked, and links to it.
        page.goto(f"{running.url}releases/launch/")
        page.get_by_role("navigation", name="Languages").get_by_role("link", name="Tiếng Việt").click()
        page.wait_for_url(f"{running.url}vi/releases/launch/")
        assert "Chưa được đăng trước" in page.inner_text(".preview-banner")
        page.close()
    finally:
        running.stop()
