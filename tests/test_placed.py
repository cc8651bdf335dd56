"""A build after an edit reads the cards its lists keep from the pages output/ holds (see
presskit.placed), never a card whose bytes there are not the ones it wrote."""

from __future__ import annotations

import marshal
import re
import sqlite3
from pathlib import Path

from conftest import tree_digest
from presskit import placed
from test_quick import aged, cold_output, generate


def _listed(cards: list[tuple[str, str, str]], language: str = "en", options: str = "[]") -> placed.Listed:
    """A list as render._Renderer.cards joins it: (source, fingerprint, text) of each card."""
    text = placed.OPEN + placed.JOIN.join(card for _, _, card in cards) + placed.CLOSE
    return placed.Listed(text, language, options,
                         tuple((source, digest, len(card)) for source, digest, card in cards))


def test_cards_are_read_back_from_where_the_page_holds_them():
    first = _listed([("a.md", "1", "<h3>Ánh</h3>"), ("b.md", "2", "<h3>B</h3>\n<ul><li>x</li></ul>")])
    second = _listed([("a.md", "3", "<h2>Ánh</h2>")], options="[('heading', 'h2')]")
    shown_twice = _listed([("c.md", "4", "<p>C</p>")])
    html = (f"<title>Tin tức – ☃</title><ul>{first.text}</ul><p>ở giữa</p><ol>{second.text}</ol>"
            f"<ul>{shown_twice.text}</ul><ul>{shown_twice.text}</ul>")
    data = html.encode("utf-8")
    hidden = _listed([("d.md", "5", "<p>D</p>")])  # shown through a filter: not as joined
    layout = placed.layout(html, data, [first, second, shown_twice, hidden])
    assert len(layout) == 3

    wanted = {("a.md", "en", "[]"), ("b.md", "en", "[]"), ("a.md", "en", "[('heading', 'h2')]"),
              ("c.md", "en", "[]"), ("d.md", "en", "[]"), ("e.md", "en", "[]")}
    assert placed.cards_in(data, layout, wanted) == {
        ("a.md", "en", "[]"): ("1", "<h3>Ánh</h3>"),
        ("b.md", "en", "[]"): ("2", "<h3>B</h3>\n<ul><li>x</li></ul>"),
        ("a.md", "en", "[('heading', 'h2')]"): ("3", "<h2>Ánh</h2>"),
        ("c.md", "en", "[]"): ("4", "<p>C</p>"),
    }
    assert placed.cards_in(data, layout, {("a.md", "vi", "[]")}) == {}

    changed = data.replace("<h3>Ánh</h3>".encode(), "<h3>Áng</h3>".encode())  # by hand, or not written
    assert placed.cards_in(changed, layout, wanted) == {
        ("a.md", "en", "[('heading', 'h2')]"): ("3", "<h2>Ánh</h2>"), ("c.md", "en", "[]"): ("4", "<p>C</p>")}
    shifted = b"<!-- a line more -->" + data
    assert placed.cards_in(shifted, layout, wanted) == {}
    assert placed.cards_in(data[:40], layout, wanted) == {}


def _cards_asked(monkeypatch):  # type: ignore[no-untyped-def]
    """Each list's fetch of kept cards: the slots asked for, those found on its page."""
    from presskit import store as store_module

    asked: list[tuple[str | None, set[tuple[str, str, str]], set[tuple[str, str, str]]]] = []
    fetch, on_page = store_module.KeptCards.fetch, store_module.KeptCards._on_page

    def counted(self, slots, page=None):  # type: ignore[no-untyped-def]
        slots = set(slots)
        found: set[tuple[str, str, str]] = set()

        def seen(connection, path, wanted):  # type: ignore[no-untyped-def]
            cards = on_page(self, connection, path, wanted)
            found.update(cards)
            return cards

        monkeypatch.setattr(self, "_on_page", seen, raising=False)
        cards = fetch(self, slots, page)
        asked.append((page, slots, found))
        return cards

    monkeypatch.setattr(store_module.KeptCards, "fetch", counted)
    return asked


def test_a_title_edit_reads_the_cards_its_lists_keep_from_their_pages(tmp_path, run, monkeypatch):
    """Every card a changed list shows but the edited one's is read from the page output/
    holds, none from the store; the result is a cold build's."""
    site = aged(generate(80, tmp_path / "site", seed=41))
    assert run("build", site).code == 0
    with sqlite3.connect(site / ".presskit-cache/releases.sqlite") as db:
        assert db.execute("SELECT count(*) FROM layouts").fetchone()[0] > 20
    asked = _cards_asked(monkeypatch)
    target = sorted((site / "content/releases").rglob("*.md"))[7]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    assert run("build", site).code == 0

    lists = [(page, slots, found) for page, slots, found in asked if page is not None and len(slots) > 1]
    assert len(lists) >= 4  # its country's, partner's, programme's, topic's, year's... pages
    edited = str(target.resolve())
    assert all({source for source, _, _ in slots - found} <= {edited} for _, slots, found in lists)
    assert sum(len(found) for _, _, found in lists) > 50
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_card_changed_by_hand_in_output_is_never_read_back(tmp_path, run):
    """A term page changed in output/ (its list of cards) lends none of its cards: the next
    build that makes the page makes it as a cold build would."""
    site = aged(generate(60, tmp_path / "site", seed=43))
    assert run("build", site).code == 0
    pages = sorted((site / "output/countries").glob("*/index.html"), key=lambda page: -page.stat().st_size)
    page = pages[0]
    text = page.read_text()
    titles = re.findall(r'<h[23] class="card-title"><a href="[^"]+">([^<]+)</a>', text)
    assert len(titles) > 3
    page.write_text(text.replace(titles[-1], "Planted", 1))  # the last card: the list's end

    shown = [release for release in sorted((site / "content/releases").rglob("*.md"))
             if _title(release) == titles[0]]
    assert shown
    shown[0].write_text(shown[0].read_text().replace("title: ", "title: Renamed ", 1))
    assert run("build", site).code == 0
    assert "Planted" not in page.read_text()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def _title(release: Path) -> str:
    found = re.search(r"^title: (.*)$", release.read_text(), re.M)
    assert found is not None
    return found.group(1).strip().strip("\"'")


def test_a_layout_planted_in_the_store_is_never_read(tmp_path, run):
    """Where cards lie is read only from rows presskit sealed: a row changed in the store (each
    list's first two cards swapped, their lengths left where they were: every digest still
    holds) lends nothing, and the build after an edit is a cold build's."""
    site = aged(generate(60, tmp_path / "site", seed=47))
    assert run("build", site).code == 0
    store = site / ".presskit-cache/releases.sqlite"
    swapped = 0
    with sqlite3.connect(store) as db:
        for path, row in db.execute("SELECT path, layout FROM layouts").fetchall():
            kept_path, layout = marshal.loads(row[32:])  # (after its seal)
            blocks = []
            for start, end, digest, language, options, cards in layout:
                if len(cards) > 1 and cards[0][2] != cards[1][2]:
                    (a, a_print, a_length), (b, b_print, b_length) = cards[:2]
                    cards = ((b, b_print, a_length), (a, a_print, b_length), *cards[2:])
                    swapped += 1
                blocks.append((start, end, digest, language, options, cards))
            db.execute("UPDATE layouts SET layout = ? WHERE path = ?",
                       (marshal.dumps((kept_path, tuple(blocks))), path))
    assert swapped > 10
    target = sorted((site / "content/releases").rglob("*.md"))[9]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    assert run("build", site).code == 0
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_cards_made_on_other_cores_after_an_edit_are_kept(tmp_path, run, monkeypatch):
    """A release added renders its lists on every core: the cards the workers make reach the
    store with the fingerprint they were made under (else every later build that lists them
    where the last one did not makes them again), and the build is a cold build's."""
    from presskit import build, render

    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(build, "cores", lambda: 2)
    site = aged(generate(40, tmp_path / "site", seed=53))
    assert run("build", site).code == 0
    release = sorted((site / "content/releases").rglob("*.md"))[12]
    added = release.with_name("added.md")
    added.write_text(release.read_text().replace("title: ", "title: Added ", 1))
    result = run("build", site)
    assert result.code == 0 and "1 release added: made" in result.out, result.out

    layouts = site / ".presskit-cache/releases.sqlite"
    with sqlite3.connect(layouts) as db:
        shown: dict[tuple[str, str, str], str] = {}  # each card the pages show, by where they lie
        for (row,) in db.execute("SELECT layout FROM layouts"):
            _, layout = marshal.loads(row[32:])  # (after its seal)
            for _, _, _, language, options, cards in layout:
                shown.update(((source, language, options), digest) for source, digest, _ in cards)
        kept = {(source, language, options): digest for source, language, options, digest
                in db.execute("SELECT source, language, options, digest FROM cards")}
    source = str(added.resolve())
    assert any(slot[0] == source for slot in shown)
    assert {slot: digest for slot, digest in shown.items() if kept.get(slot) != digest} == {}
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def _markdown_rendered(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Each Markdown text rendered from now on, in this process."""
    from presskit.markdown import BodyRenderer

    rendered: list[str] = []
    render_text = BodyRenderer.render

    def counted(self, text, first_line):  # type: ignore[no-untyped-def]
        rendered.append(text)
        return render_text(self, text, first_line)

    monkeypatch.setattr(BodyRenderer, "render", counted)
    return rendered


def test_a_release_added_renders_no_text_but_its_own(tmp_path, run, monkeypatch):
    """The feeds a release added joins carry its neighbours' texts, and its term pages their
    descriptions: those are read as the last build kept them, not rendered from Markdown
    again; the build is a cold build's."""
    site = aged(generate(40, tmp_path / "site", seed=59))
    assert run("build", site).code == 0
    rendered = _markdown_rendered(monkeypatch)
    release = sorted((site / "content/releases").rglob("*.md"))[12]
    added = release.with_name("added.md")
    added.write_text(release.read_text().replace("title: ", "title: Added ", 1))
    result = run("build", site)
    assert result.code == 0 and "1 release added: made" in result.out, result.out
    releases = {path: path.read_text() for path in (site / "content/releases").rglob("*.md")}
    texts_of = [sorted(path.name for path, text in releases.items() if body.strip() in text)
                for body in rendered]
    assert [names for names in texts_of if names] == [sorted([release.name, added.name])]  # (the same words)
    assert len(rendered) == 1
    monkeypatch.undo()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_description_a_build_after_an_edit_renders_is_kept_for_the_next(tmp_path, run, monkeypatch):
    """The descriptions of the pages a title edit makes are read as the store keeps them;
    where the store lacks them (a cache from before they were kept, here removed), the build
    renders them once and keeps them: the next edit renders none."""
    site = aged(generate(30, tmp_path / "site", seed=67))
    assert run("build", site).code == 0
    (site / ".presskit-cache/texts").unlink()
    rendered = _markdown_rendered(monkeypatch)
    target = sorted((site / "content/releases").rglob("*.md"))[9]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    result = run("build", site)
    assert result.code == 0 and "changed in place" in result.out, result.out
    releases = [path.read_text() for path in (site / "content/releases").rglob("*.md")]
    assert rendered and not [text for text in rendered if any(text.strip() in r for r in releases)]
    rendered.clear()
    target.write_text(target.read_text().replace("title: Renamed ", "title: Named again ", 1))
    result = run("build", site)
    assert result.code == 0 and "changed in place" in result.out, result.out
    assert rendered == []
    monkeypatch.undo()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_title_edit_renders_no_markdown_and_a_lead_edit_its_own(tmp_path, run, monkeypatch):
    """A release's rendered text is kept under its Markdown, not its whole file, and the
    descriptions of the partner and programme pages that show it are kept too: a new title
    renders no Markdown at all; a new first paragraph renders that release's text; both
    builds are cold builds'."""
    site = aged(generate(30, tmp_path / "site", seed=61))
    assert run("build", site).code == 0
    rendered = _markdown_rendered(monkeypatch)
    target = sorted((site / "content/releases").rglob("*.md"))[11]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    result = run("build", site)
    assert result.code == 0 and "changed in place" in result.out, result.out
    assert rendered == []
    target.write_text(target.read_text().replace("\n---\n", "\n---\nA new first paragraph.\n\n", 1))
    result = run("build", site)
    assert result.code == 0 and "changed in place" in result.out, result.out
    releases = [path.read_text() for path in (site / "content/releases").rglob("*.md")]
    assert [text for text in rendered if any(text.strip() in release for release in releases)] == [
        text for text in rendered if text.startswith("\nA new first paragraph.")]
    assert len(rendered) <= 2  # (read as words, then as a card edit's)
    monkeypatch.undo()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_a_title_edit_in_a_site_of_two_languages_looks_up_no_language_name(tmp_path, run, monkeypatch):
    """Each language's name in itself (its switcher's "Tiếng Việt") is kept with the graph:
    a build after an edit does not look it up in Babel's locale data again (0.03 s), even
    where the full build's workers made every page; the output is a cold build's."""
    from babel import Locale

    from presskit import build, render

    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)  # the pages made on two processes
    monkeypatch.setattr(build, "cores", lambda: 2)
    site = aged(generate(30, tmp_path / "site", seed=5, bilingual=True))
    assert run("build", site).code == 0
    looked_up: list[object] = []
    display_name = Locale.get_display_name

    def counted(self, locale=None):  # type: ignore[no-untyped-def]
        looked_up.append(self)
        return display_name(self, locale)

    monkeypatch.setattr(Locale, "get_display_name", counted)
    target = sorted((site / "content/releases").rglob("*.md"))[6]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    result = run("build", site)
    assert result.code == 0 and "changed in place" in result.out, result.out
    assert looked_up == []
    assert "Tiếng Việt" in (site / "output" / "index.html").read_text()
    monkeypatch.undo()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
