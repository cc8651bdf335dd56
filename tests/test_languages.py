"""One newsroom in several languages (SPEC section 7), on the fixture site tests/sites/i18n:
English, Vietnamese and Arabic, with twins joined by name and by translation_key, a release in
one language only, and a Vietnamese version under embargo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conftest import REPO, SETTINGS, all_output_text, copy_site, read, release, tree_digest, write_site

FIXTURE = Path(__file__).parent / "sites" / "i18n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copy_site(FIXTURE, tmp_path / "site")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from presskit.cli import main

    copy = copy_site(FIXTURE, tmp_path_factory.mktemp("i18n") / "site")
    assert main(["build", str(copy)]) == 0
    return copy


def head_links(page: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page))


def switcher(page: str) -> dict[str, str]:
    nav = page.split('<nav class="languages"', 1)[1].split("</nav>", 1)[0]
    return {lang: href for href, lang in re.findall(r'<a href="([^"]+)" lang="([^"]+)"', nav)}


def test_every_language_has_its_own_pages_under_its_prefix(built):
    out = built / "output"
    for path in ("index.html", "releases/hanoi-workshop/index.html", "countries/viet-nam/index.html",
                 "partners/vwu/index.html", "topics/gender-equality/index.html", "feed.xml",
                 "archive/2026/index.html", "about/index.html"):
        assert (out / path).is_file(), path
        assert (out / "vi" / path).is_file(), f"vi/{path}"
    assert (out / "vi/releases/ky-niem-hoi-lhpn/index.html").is_file()
    assert (out / "ar/releases/beirut/index.html").is_file()
    assert not (out / "ar/releases/hanoi-workshop").exists()  # no Arabic version
    assert not (out / "vi/releases/report").exists()
    # a term page lists the releases in its language
    vi_topic = read(built, "vi/topics/gender-equality/index.html")
    assert "Các giảng viên gặp mặt tại Hà Nội" in vi_topic and "Trainers meet" not in vi_topic
    assert "<h1>Bình đẳng giới</h1>" in vi_topic
    assert "xml:lang=\"vi\"" in read(built, "vi/feed.xml")
    assert "Các giảng viên" in read(built, "vi/feed.xml") and "Trainers" not in read(built, "vi/feed.xml")


def test_html_lang_and_direction_are_right_on_every_page(built):
    out = built / "output"
    for page in out.rglob("*.html"):
        relative = page.relative_to(out).as_posix()
        lang = relative.split("/", 1)[0] if relative.startswith(("vi/", "ar/")) else "en"
        direction = "rtl" if lang == "ar" else "ltr"
        assert f'<html lang="{lang}" dir="{direction}">' in page.read_text(), relative


def test_twins_link_to_each_other_in_the_head_and_the_switcher(built):
    en = read(built, "releases/hanoi-workshop/index.html")
    vi = read(built, "vi/releases/hanoi-workshop/index.html")
    base = "https://example.org/news/"
    expected = {"en": base + "releases/hanoi-workshop/", "vi": base + "vi/releases/hanoi-workshop/",
                "x-default": base + "releases/hanoi-workshop/"}
    assert head_links(en) == expected and head_links(vi) == expected
    assert switcher(en) == {"vi": "/news/vi/releases/hanoi-workshop/", "ar": "/news/ar/"}
    assert switcher(vi) == {"en": "/news/releases/hanoi-workshop/", "ar": "/news/ar/"}
    # joined by translation_key, with different names
    key_twin = read(built, "releases/anniversary/index.html")
    assert switcher(key_twin)["vi"] == "/news/vi/releases/ky-niem-hoi-lhpn/"
    # an entity is one across languages: its page in each language
    assert switcher(read(built, "vi/partners/vwu/index.html"))["en"] == "/news/partners/vwu/"
    assert head_links(read(built, "ar/countries/lebanon/index.html")) == {
        "ar": base + "ar/countries/lebanon/", "x-default": base + "ar/countries/lebanon/"}


def test_the_sitemap_lists_each_pages_versions(built):
    sitemap = read(built, "sitemap.xml")
    entry = sitemap.split("<loc>https://example.org/news/releases/hanoi-workshop/</loc>", 1)[1]
    entry = entry.split("</url>", 1)[0]
    assert 'hreflang="vi" href="https://example.org/news/vi/releases/hanoi-workshop/"' in entry
    assert 'hreflang="en" href="https://example.org/news/releases/hanoi-workshop/"' in entry
    assert "hreflang=\"ar\"" not in entry
    parsed = ElementTree.fromstring(sitemap.encode())  # well-formed, with its namespaces
    links = parsed.findall(".//{http://www.w3.org/1999/xhtml}link")
    assert len(parsed) == sitemap.count("<url>") and len(links) == sitemap.count("<xhtml:link")


def test_theme_words_dates_numbers_and_country_names_are_in_the_pages_language(built):
    vi = read(built, "vi/releases/hanoi-workshop/index.html")
    for words in ("Thông cáo báo chí", "Chia sẻ", "Đối tác", "6 tháng 6, 2026", "Chuyển đến nội dung chính",
                  "Hội LHPN Việt Nam", "Việt Nam"):
        assert words in vi, words
    assert "Press release" not in vi and "Share" not in vi
    assert "<h1>Việt Nam</h1>" in read(built, "vi/countries/viet-nam/index.html")
    assert "<h1>Viet Nam</h1>" in read(built, "countries/viet-nam/index.html")
    # plural forms from the catalogs
    assert "4 releases" in read(built, "releases/index.html")
    assert "2 thông cáo" in read(built, "vi/releases/index.html")
    assert "بيان واحد" in read(built, "ar/releases/index.html")  # Arabic's "one" form
    assert "8 يونيو 2026" in read(built, "ar/releases/beirut/index.html")


def test_an_untranslated_entity_shows_its_words_marked_with_their_language(built):
    page = read(built, "vi/partners/ilo/index.html")
    assert '<div class="prose" lang="en">' in page
    assert '<html lang="vi"' in page


def test_an_embargoed_version_leaves_no_trace_in_any_file(built, site, run):
    text = all_output_text(built)
    for trace in ("Chương trình bí mật", "vi/releases/launch", "Chủ đề chưa công bố", "chu-de-chua-cong-bo"):
        assert trace not in text, trace
    en = read(built, "releases/launch/index.html")
    assert "vi" not in head_links(en) and switcher(en)["vi"] == "/news/vi/"
    assert run("build", site, "--as-of", "2099-01-02T00:00").code == 0
    lifted = read(site, "releases/launch/index.html", folder="preview")
    assert switcher(lifted)["vi"] == "/news/vi/releases/launch/"
    assert "Chương trình bí mật" in read(site, "vi/releases/launch/index.html", folder="preview")


def test_a_quick_rebuild_of_a_version_equals_a_cold_build(site, tmp_path, run):
    old = time.time() - 3600  # files saved a while ago: their times vouch for them
    for file in site.rglob("*"):
        os.utime(file, (old, old))
    assert run("build", site).code == 0
    vi = site / "content/releases/2026/hanoi-workshop.vi.md"
    vi.write_text(vi.read_text().replace("kéo dài ba ngày", "kéo dài bốn ngày"), encoding="utf-8")
    os.utime(vi, (old + 30, old + 30))
    result = run("build", site)
    assert "Only the text of 1 release changed" in result.out, result.out
    assert "bốn ngày" in read(site, "vi/releases/hanoi-workshop/index.html")
    cold = copy_site(site, tmp_path / "cold")
    assert run("build", cold).code == 0
    assert tree_digest(site / "output") == tree_digest(cold / "output")


def test_check_notes_releases_that_lack_a_version(site, run):
    result = run("check", site)
    assert result.code == 0
    assert ("Note: 3 published releases have no Vietnamese version: ورشة عمل للمدربين في بيروت "
            "(") in result.out
    assert "A report on social protection (" in result.out
    assert "presskit new translation FILE --lang vi" in result.out
    assert "have no Arabic version" in result.out


def test_new_release_in_another_language_gets_an_ascii_slug(site, run):
    result = run("new", "release", "Hội thảo khu vực", "--lang", "vi", "--site", site)
    assert result.code == 0, result.err
    written = next((site / "content/releases").rglob("hoi-thao-khu-vuc.vi.md"))
    assert 'title: "Hội thảo khu vực"' in written.read_text()
    written.write_text(written.read_text().replace("draft: true", "draft: false"))
    assert run("build", site).code == 0
    assert (site / "output/vi/releases/hoi-thao-khu-vuc/index.html").is_file()
    refused = run("new", "release", "X", "--lang", "de", "--site", site)
    assert refused.code == 2 and "'de' is not one of the site's languages (en, vi, ar)" in refused.err
    assert "[languages.de]" in refused.err


def test_new_translation_writes_the_twin_as_a_draft(site, run):
    source = site / "content/releases/2026/report.md"
    result = run("new", "translation", source, "--lang", "vi", "--site", site)
    assert result.code == 0, result.err
    twin = site / "content/releases/2026/report.vi.md"
    text = twin.read_text()
    assert "title: A report on social protection" in text and "draft: true" in text
    assert "The report is out." in text
    again = run("new", "translation", source, "--lang", "vi", "--site", site)
    assert again.code == 2 and "already exists" in again.err
    assert run("build", site).code == 0
    assert not (site / "output/vi/releases/report").exists()  # a draft until translated


def test_a_site_adds_a_language_with_its_own_catalog(site, run):
    settings = site / "presskit.toml"
    settings.write_text(settings.read_text() + '\n[languages.fr]\ntitle = "Salle de presse"\n')
    (site / "content/releases/2026/hanoi-workshop.fr.md").write_text(
        release("Des formateurs se réunissent à Hanoï", "2026-06-06", "Vingt-cinq formateurs."))
    first = run("build", site)
    assert first.code == 0
    assert first.err.count("no French words") == 1 and "presskit new language fr" in first.err
    assert "Press release" in read(site, "fr/releases/hanoi-workshop/index.html")
    assert run("new", "language", "fr", "--site", site).code == 0
    catalog = site / "templates/locale/fr/LC_MESSAGES/messages.po"
    text = catalog.read_text()
    catalog.write_text(text.replace('msgid "Press release"\nmsgstr ""',
                                    'msgid "Press release"\nmsgstr "Communiqué de presse"'))
    second = run("build", site)
    assert second.code == 0 and "no French words" not in second.err
    page = read(site, "fr/releases/hanoi-workshop/index.html")
    assert "Communiqué de presse" in page and "Share" in page  # untranslated words stay English
    assert "28 juin" not in page and "6 juin 2026" in page  # dates from CLDR


def test_a_sites_own_words_for_a_shipped_language_fall_back_to_presskits_build_after_build(site):
    """As in `serve`, several builds in one process: the site's catalog comes first, presskit's
    catalog fills in the rest, every time (a fallback chained to itself once looped forever)."""
    from presskit.cli import main

    own = site / "templates/locale/vi/LC_MESSAGES/messages.po"
    own.parent.mkdir(parents=True)
    own.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                   'msgid "Share"\nmsgstr "Chia sẻ ngay"\n', encoding="utf-8")
    for number in range(3):
        assert main(["build", str(site), "--out", str(site / f"out-{number}")]) == 0
        page = read(site, "vi/releases/hanoi-workshop/index.html", folder=f"out-{number}")
        assert "Chia sẻ ngay" in page and "Thông cáo báo chí" in page


def test_a_sites_own_catalog_is_compiled_once_and_again_only_when_it_changes(site, run, monkeypatch):
    """A .po catalog is compiled into .presskit-cache/ (sealed, with the digest of the .po):
    the next builds, new processes, take it from there; a changed .po is compiled again, and
    a compiled catalog that was not sealed by presskit, or `check` (which writes nothing in the
    cache), never stands in for it."""
    from babel.messages import pofile

    from presskit import languages

    own = site / "templates/locale/vi/LC_MESSAGES/messages.po"
    own.parent.mkdir(parents=True)
    own.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                   'msgid "Share"\nmsgstr "Chia sẻ ngay"\n', encoding="utf-8")
    assert run("check", site).code == 0
    assert not list((site / ".presskit-cache").glob("catalog-*.mo"))  # (check writes nothing)
    assert run("build", site).code == 0
    kept = list((site / ".presskit-cache").glob("catalog-*.mo"))
    assert len(kept) >= 1 and any(b"Chia s" in path.read_bytes() for path in kept)
    compiled = []
    read_po = pofile.read_po
    monkeypatch.setattr(pofile, "read_po", lambda *args, **kw: compiled.append(1) or read_po(*args, **kw))
    languages._load.cache_clear()  # (as a new process)
    assert run("build", site, "--out", site / "again").code == 0
    assert not compiled
    assert "Chia sẻ ngay" in read(site, "vi/releases/hanoi-workshop/index.html", folder="again")
    own.write_text(own.read_text(encoding="utf-8").replace("Chia sẻ ngay", "Chia sẻ"), encoding="utf-8")
    languages._load.cache_clear()
    assert run("build", site, "--out", site / "changed").code == 0
    assert compiled
    page = read(site, "vi/releases/hanoi-workshop/index.html", folder="changed")
    assert "Chia sẻ<" in page and "Chia sẻ ngay" not in page
    for path in (site / ".presskit-cache").glob("catalog-*.mo"):  # planted: not presskit's seal
        path.write_bytes(bytes(32) + path.read_bytes()[32:].replace("Chia sẻ".encode(), b"Planted"))
    languages._load.cache_clear()
    assert run("build", site, "--out", site / "planted").code == 0
    assert "Planted" not in read(site, "vi/releases/hanoi-workshop/index.html", folder="planted")


def test_the_catalogs_are_complete_and_match_the_templates():
    theme = REPO / "templates"
    with (theme / "locale/messages.pot").open("rb") as handle:
        template_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    extracted = {m[2] if isinstance(m[2], str) else m[2][0] for m in extract_from_dir(
        str(REPO), method_map=[("templates/**.html", "jinja2"), ("src/presskit/render.py", "python"),
                               ("src/presskit/models.py", "python")],
        options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None})}
    assert extracted == template_ids, "run pybabel extract (README, Translating the theme)"
    for code in ("vi", "ar"):
        with (theme / f"locale/{code}/LC_MESSAGES/messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=code)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert ids == template_ids, f"run pybabel update for {code}"
        empty = [m.id for m in catalog if m.id and not all(
            m.string if isinstance(m.string, tuple) else [m.string])]
        assert empty == [], code


def test_the_package_build_compiles_the_catalogs(tmp_path):
    """setup.py's step of the package build: each .po becomes the .mo the package ships."""
    result = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for code in ("vi", "ar"):
        compiled = tmp_path / f"presskit/templates/locale/{code}/LC_MESSAGES/messages.mo"
        from babel.support import Translations

        with compiled.open("rb") as handle:
            assert Translations(handle).gettext("Share") not in ("", "Share")


LANGUAGE_SETTINGS = 'title = "T"\nbase_url = "https://example.org/"\ntimezone = "UTC"\n\n[languages.vi]\n'
R = "content/releases/"

LANGUAGE_CASES = {
    "a language the site does not list": (
        {R + "a.fr.md": release()}, "a.fr.md:1",
        "the name ends in .fr.md, a French version, but presskit.toml does not list 'fr'",
        "add `[languages.fr]` to presskit.toml, or rename the file (the site's languages: en, vi)"),
    "lang: not a site language": (
        {R + "a.md": release(lang="de")}, "a.md:4", "`lang: de` is not one of the site's languages",
        "use one of: en, vi"),
    "lang: contradicts the name": (
        {R + "a.vi.md": release(lang="en")}, "a.vi.md:4",
        "`lang: en` contradicts the file's name, which ends in .vi.md", "rename the file to a.en.md"),
    "two versions in one language": (
        {R + "a.vi.md": release(), R + "a.md": release(),
         R + "b.md": release("B", lang="vi", translation_key="a-key"),
         R + "c.vi.md": release("C", translation_key="a-key")},
        "c.vi.md:1", "is a second Vietnamese version of the release in b.md", "translation_key"),
    "a translation_key that joins nothing": (
        {R + "a.md": release(translation_key="lonely")}, "a.md:1",
        "`translation_key: lonely` joins nothing: no other file has it",
        "write the same translation_key in each version"),
    "a partner's second version": (
        {"content/partners/vwu.vi.md": "---\nname: A\ntranslation_key: vwu\n---\n",
         "content/partners/hoi.md": "---\nname: B\nlang: vi\ntranslation_key: vwu\n---\n",
         "content/partners/vwu.md": "---\nname: C\ntranslation_key: vwu\n---\n"},
        "vwu.vi.md:1", "is a second Vietnamese version of the partner in hoi.md", "translation_key"),
}


@pytest.mark.parametrize("case", LANGUAGE_CASES)
def test_a_language_mistake_is_reported_with_file_line_and_hint(tmp_path, run, case):
    files, where, message, hint = LANGUAGE_CASES[case]
    site = write_site(tmp_path, files, settings=LANGUAGE_SETTINGS)
    result = run("build", site)
    assert result.code == 1
    assert where in result.err and message in result.err and hint in result.err, result.err
    assert "Traceback" not in result.text
    assert not (site / "output").exists()


SETTINGS_CASES = {
    "unknown code": ('[languages.xx-yy]\n', "presskit.toml:5: error: [languages.xx-yy]: 'xx-yy' is not a "
                     "known language code", "BCP 47"),
    "unknown key": ('[languages.vi]\ntitel = "Bản tin"\n', "presskit.toml:5: error: [languages.vi] has "
                    "an unknown key `titel`", "did you mean `title`?"),
    "the default again": ('[languages.en]\n', "presskit.toml:5: error: [languages.en] repeats the "
                          "default language", "other languages"),
}


@pytest.mark.parametrize("case", SETTINGS_CASES)
def test_a_wrong_language_setting_is_reported(tmp_path, run, case):
    table, message, hint = SETTINGS_CASES[case]
    site = write_site(tmp_path, {R + "a.md": release()},
                      settings='title = "T"\nbase_url = "https://example.org/"\nlanguage = "en"\n\n' + table)
    result = run("build", site)
    assert result.code == 1 and message in result.err and hint in result.err, result.err
    assert "Traceback" not in result.text


def test_topics_named_in_a_script_other_than_latin_are_told_apart(tmp_path, run):
    settings = SETTINGS + '\n[languages.ar]\ntitle = "المركز الإعلامي"\n'
    site = write_site(tmp_path, {
        "content/topics/public-finance.md": "---\nname: Public finance\n---\n",
        "content/topics/public-finance.ar.md": "---\nname: المالية العامة\n---\n",
        "content/topics/gender-equality.md": "---\nname: Gender equality\n---\n",
        "content/topics/gender-equality.ar.md": "---\nname: المساواة بين الجنسين\n---\n",
        "content/releases/a.ar.md": release("بيان", topics="[المالية العامة]"),
    }, settings)
    assert run("build", site).code == 0
    page = read(site, "ar/releases/a/index.html")
    assert 'href="/news/ar/topics/public-finance/"' in page
    assert "gender-equality" not in page
