"""The demo newsroom in a real headless Chromium, at phone and desktop widths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import static_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(demo_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built demo served on loopback under its base path, /newsroom/."""
    with static_server(demo_site / "output", tmp_path_factory.mktemp("www"), "/newsroom/") as url:
        yield url


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", ["", "releases/vwu-training-of-trainers/",
                                  "releases/regional-pfm-workshop-hanoi/", "partners/ilo/"])
def test_page_renders_without_errors_or_sideways_scroll(browser, served, tmp_path, path, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("response", lambda response: problems.append(f"{response.status}: {response.url}")
            if response.status >= 400 else None)
    page.goto(served + path, wait_until="load")
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    page.screenshot(path=str(tmp_path / f"page-{width}.png"), full_page=True)
    assert problems == []
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0
    broken = page.evaluate("[...document.images].filter(i => !i.complete || !i.naturalWidth)"
                           ".map(i => i.src)")
    assert broken == []
    assert page.locator("header").count() >= 1
    assert page.locator("main#main").count() == 1
    assert page.locator("footer").count() >= 1
    assert page.locator("nav[aria-label='Main']").count() == 1
    assert page.evaluate("[...document.images].every(i => i.hasAttribute('alt'))")
    page.close()


def test_skip_link_is_the_first_stop_and_visibly_focused(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + "releases/vwu-training-of-trainers/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0  # moved on screen when focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.close()


def test_release_page_shows_photos_with_captions_and_the_cross_links(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + "releases/vwu-training-of-trainers/")
    assert page.locator("h1").inner_text().startswith("Viet Nam Women's Union trainers")
    assert page.locator("figure.photo").count() == 3
    assert "Illustration drawn for the presskit demo" in page.locator("figure.lead figcaption").inner_text()
    page.get_by_role("link", name="VWU").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/newsroom/partners/vwu/")
    assert page.locator("h1").inner_text().startswith("Viet Nam Women's Union")
    page.close()


def test_the_copy_link_button_copies_the_release_address(browser, served):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(served + "releases/vwu-training-of-trainers/")
    button = page.get_by_role("button", name="Copy link")
    assert button.is_visible()
    button.click()
    page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
    assert page.locator(".copy-status").inner_text() == "Link copied."
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "https://example.org/newsroom/releases/vwu-training-of-trainers/"
    context.close()


def test_without_javascript_the_share_links_remain_and_no_dead_button(browser, served):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served + "releases/vwu-training-of-trainers/")
    assert page.get_by_role("link", name="LinkedIn").is_visible()
    assert not page.locator("button.copy-link").is_visible()
    context.close()
