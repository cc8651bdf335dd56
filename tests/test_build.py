"""`presskit build` on small sites: URL layout, cross-links, references and outputs."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

from conftest import PARTNERS, SETTINGS, all_output_text, one_png, read, release, write_site

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def newsroom(tmp_path: Path) -> Path:
    return write_site(tmp_path, {
        **PARTNERS,
        "content/releases/2023/training.md": release(
            "Women's Union trains trainers", "2023-05-22",
            location="Dong Hoi, Quang Binh, Viet Nam", partners="[women's union, unicef]",
            programmes="[sp&pfm]", topics="[Social protection, Gender equality]",
            body="Trainers met in Dong Hoi.\n\nSee [the workshop](/releases/workshop/)."),
        "content/releases/2023/workshop.md": release(
            "Six countries meet in Hanoi", "2023-06-06",
            countries="[BD, KHM, Lao People's Democratic Republic, Nepal, Sri Lanka, Vietnam]",
            partners="[United Nations Children's Fund]", programmes="[SP&PFM]",
            topics="[social protection, Public finance]"),
        "content/releases/2022/older.md": release(
            "An older release", "2022-10-14", countries="[VN]", topics="[Gender equality]"),
    })


def test_every_url_of_the_layout_is_written(tmp_path, run):
    site = newsroom(tmp_path)
    result = run("build", site)
    assert result.code == 0, result.err
    assert "__presskit__" not in all_output_text(site)  # the preview's reload script stays out
    output = site / "output"
    for path in ["index.html", "releases/index.html", "releases/training/index.html",
                 "releases/workshop/index.html", "archive/2023/index.html",
                 "archive/2022/index.html", "countries/index.html",
                 "countries/viet-nam/index.html", "countries/lao-peoples-democratic-republic/index.html",
                 "partners/index.html", "partners/unicef/index.html", "partners/vwu/index.html",
                 "programmes/index.html", "programmes/sp-pfm/index.html", "topics/index.html",
                 "topics/social-protection/index.html", "feed.xml", "countries/viet-nam/feed.xml",
                 "partners/unicef/feed.xml", "programmes/sp-pfm/feed.xml",
                 "topics/gender-equality/feed.xml", "sitemap.xml", "robots.txt", "404.html"]:
        assert (output / path).is_file(), path
    assert "Built 3 releases" in result.out


def test_release_links_to_its_terms_and_they_list_it(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    page = read(site, "releases/training/index.html")
    for link in ["/news/countries/viet-nam/", "/news/partners/vwu/", "/news/partners/unicef/",
                 "/news/programmes/sp-pfm/", "/news/topics/social-protection/",
                 "/news/topics/gender-equality/"]:
        assert f'href="{link}"' in page, link
    for listing in ["countries/viet-nam/index.html", "partners/vwu/index.html",
                    "programmes/sp-pfm/index.html", "topics/gender-equality/index.html"]:
        assert 'href="/news/releases/training/"' in read(site, listing), listing


def test_country_comes_from_the_dateline_when_countries_is_absent(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    assert 'href="/news/releases/training/"' in read(site, "countries/viet-nam/index.html")


def test_countries_by_code_name_or_variant_are_one_country(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", countries="[VN]"),
        "content/releases/b.md": release("B", countries="[VNM]"),
        "content/releases/c.md": release("C", countries="[Vietnam]"),
        "content/releases/d.md": release("D", countries="[viet nam]"),
        "content/releases/e.md": release("E", countries="[NO]"),
        "content/releases/f.md": release("F", countries="[Turkey, Cote d'Ivoire]"),
    })
    assert run("build", site).code == 0
    countries = (site / "output/countries")
    assert sorted(p.name for p in countries.iterdir() if p.is_dir()) == [
        "cote-d-ivoire", "norway", "turkiye", "viet-nam"]
    assert "4 releases" in read(site, "countries/index.html")
    assert "Côte d&#39;Ivoire" in read(site, "countries/index.html")


def test_partners_and_programmes_are_found_by_any_name_in_any_case(tmp_path, run):
    site = write_site(tmp_path, {
        **PARTNERS,
        "content/releases/a.md": release("A", partners="[unicef]"),
        "content/releases/b.md": release("B", partners="[UNITED NATIONS CHILDREN'S FUND]"),
        "content/releases/c.md": release("C", partners="[women's union]", programmes="[sp-pfm]"),
        "content/releases/d.md": release("D", partners="[VWU]",
                                         programmes="[improving synergies between social "
                                                    "protection and public finance management]"),
    })
    assert run("build", site).code == 0
    assert read(site, "partners/unicef/index.html").count('class="card-title"') == 2
    assert read(site, "partners/vwu/index.html").count('class="card-title"') == 2
    assert read(site, "programmes/sp-pfm/index.html").count('class="card-title"') == 2


def test_programmes_are_found_by_their_aliases(tmp_path, run):
    site = write_site(tmp_path, {
        "content/programmes/p.md": "---\ntitle: A Long Programme Title\naliases: [The Programme]\n---\n",
        "content/releases/a.md": release("A", programmes="[the programme]"),
    })
    assert run("build", site).code == 0
    assert 'href="/news/releases/a/"' in read(site, "programmes/p/index.html")


def test_entity_pages_cross_link(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    programme = read(site, "programmes/sp-pfm/index.html")
    assert 'href="/news/partners/unicef/"' in programme
    assert 'href="/news/countries/cambodia/"' in programme
    partner = read(site, "partners/unicef/index.html")
    assert 'href="/news/programmes/sp-pfm/"' in partner
    assert 'href="/news/countries/bangladesh/"' in partner
    country = read(site, "countries/cambodia/index.html")
    assert 'href="/news/programmes/sp-pfm/"' in country
    assert 'href="/news/partners/unicef/"' in country
    vwu = read(site, "partners/vwu/index.html")
    assert 'href="/news/countries/viet-nam/"' in vwu


def test_previous_next_and_related(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    middle = read(site, "releases/training/index.html")
    assert re.search(r'href="/news/releases/older/" rel="prev"', middle)
    assert re.search(r'href="/news/releases/workshop/" rel="next"', middle)
    related = middle.split('id="related-title"')[1]
    assert "/news/releases/workshop/" in related


def test_topics_are_one_page_whatever_the_case(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    topic = read(site, "topics/social-protection/index.html")
    assert topic.count('class="card-title"') == 2
    assert "<h1>Social protection</h1>" in topic


def test_links_work_under_a_sub_path_and_at_a_root(tmp_path, run):
    sub = newsroom(tmp_path / "sub")
    root = newsroom(tmp_path / "root")
    (root / "presskit.toml").write_text(SETTINGS.replace("https://example.org/news/",
                                                         "https://news.example.org"))
    for site, prefix in ((sub, "/news/"), (root, "/")):
        assert run("build", site).code == 0
        for page in (site / "output").rglob("*.html"):
            for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
                if target.startswith(("http", "#", "mailto:")):
                    continue
                assert target.startswith(prefix), (page, target)
                relative = target[len(prefix):]
                file = site / "output" / relative
                assert (file / "index.html").is_file() or file.is_file(), (page, target)
        assert f'href="{prefix}releases/workshop/"' in read(site, "releases/training/index.html")


def test_site_templates_override_the_theme_file_by_file(tmp_path, run):
    site = newsroom(tmp_path)
    (site / "templates").mkdir()
    (site / "templates/topic.html").write_text(
        '{% extends "base.html" %}{% block main %}<p class="mine">{{ topic.name }}: '
        '{{ topic.releases|length }}</p>{% endblock %}')
    assert run("build", site).code == 0
    assert '<p class="mine">Social protection: 2</p>' in read(site, "topics/social-protection/index.html")
    assert 'class="mine"' not in read(site, "countries/viet-nam/index.html")
    assert 'class="site-nav"' in read(site, "topics/social-protection/index.html")


def test_unknown_front_matter_keys_reach_templates(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", hashtag="SocialProtection"),
        "templates/release.html": '{% extends "base.html" %}{% block main %}'
                                  '<p id="hashtag">{{ release.extra.hashtag }}</p>{% endblock %}',
    })
    assert run("build", site).code == 0
    assert '<p id="hashtag">SocialProtection</p>' in read(site, "releases/a/index.html")


def test_photos_are_figures_with_caption_and_credit_and_are_copied(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/2023/bundle/index.md": release(
            "Bundle", photos="\n  - src: lead.png\n    alt: Trainees at a table\n"
                             "    caption: The training room\n    credit: © Photographer/Org\n"
                             "  - src: /media/second.png\n    alt: A speaker"),
        "content/releases/2023/bundle/lead.png": one_png(),
        "content/media/second.png": one_png(),
    })
    assert run("build", site).code == 0
    page = read(site, "releases/bundle/index.html")
    lead = page[page.index('<figure class="photo lead"'):page.index("</figure>")]
    assert re.search(r'<img src="/news/releases/bundle/lead-1w\.\w+\.png" srcset="[^"]+" sizes="[^"]+" '
                     r'width="1" height="1" alt="Trainees at a table"', lead), lead
    assert ('<span class="caption">The training room</span> '
            '<span class="credit">© Photographer/Org</span>') in lead
    assert 'href="/news/releases/bundle/lead.png" download' in lead  # the photo itself, to download
    assert 'href="/news/media/second.png" download' in page
    assert (site / "output/releases/bundle/lead.png").is_file()
    assert (site / "output/media/second.png").read_bytes() == one_png()  # nothing to change in it
    assert re.search(r'<meta property="og:image" content="https://example.org/news/releases/bundle/'
                     r'lead-share\.\w+\.jpg">', page)


def test_body_site_paths_get_the_base_path(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", body="See [B](/releases/b/) and ![chart](/media/c.png)."),
        "content/releases/b.md": release("B"),
        "content/media/c.png": one_png(),
    })
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    assert 'href="/news/releases/b/"' in page
    assert 'src="/news/media/c.png"' in page


def test_markdown_tables_footnotes_and_heading_anchors(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release(
        "A", body="Intro[^1].\n\n## Key features\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[^1]: A note.")})
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    assert '<h2 id="key-features">Key features</h2>' in page
    assert "<table>" in page and "<td>1</td>" in page
    assert 'class="footnotes"' in page


def test_feeds_are_valid_atom_with_the_published_releases(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    feed = ET.parse(site / "output/feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Six countries meet in Hanoi", "Women's Union trains trainers", "An older release"]
    assert entries[0].find(f"{ATOM}link").get("href") == "https://example.org/news/releases/workshop/"
    assert feed.find(f"{ATOM}updated").text == "2023-06-05T17:00:00Z"  # midnight in Hanoi
    country = ET.parse(site / "output/countries/viet-nam/feed.xml").getroot()
    assert len(country.findall(f"{ATOM}entry")) == 3
    topic = ET.parse(site / "output/topics/public-finance/feed.xml").getroot()
    assert [e.find(f"{ATOM}title").text for e in topic.findall(f"{ATOM}entry")] == [
        "Six countries meet in Hanoi"]


def test_sitemap_lists_every_page_and_robots_points_to_it(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    urls = {u.find(f"{SITEMAP}loc").text
            for u in ET.parse(site / "output/sitemap.xml").getroot().findall(f"{SITEMAP}url")}
    pages = {"https://example.org/news/" + str(p.relative_to(site / "output")).removesuffix(
        "index.html") for p in (site / "output").rglob("index.html")}
    assert urls == pages
    assert "Sitemap: https://example.org/news/sitemap.xml" in read(site, "robots.txt")


def test_a_sitemap_dates_a_page_by_the_day_its_moment_falls_on_as_written(tmp_path, run):
    """The same moment written in another time zone can fall on another day: the sitemap's
    lastmod follows the day as written, build after build in one process (entries are kept
    between builds), as a build from scratch writes it."""
    site = write_site(tmp_path / "site", {
        "content/releases/moment.md": release("A moment", date="2026-03-02T06:00:00+07:00"),
        "content/releases/other.md": release("Another", date="2026-02-01"),
    })

    def lastmod() -> str:
        for url in ET.parse(site / "output/sitemap.xml").getroot().findall(f"{SITEMAP}url"):
            if url.find(f"{SITEMAP}loc").text.endswith("/releases/moment/"):
                return url.find(f"{SITEMAP}lastmod").text
        raise AssertionError("no entry for the release")

    assert run("build", site).code == 0
    assert lastmod() == "2026-03-02"
    moment = site / "content/releases/moment.md"
    moment.write_text(moment.read_text().replace("2026-03-02T06:00:00+07:00", "2026-03-01T23:00:00+00:00"))
    assert run("build", site).code == 0
    assert lastmod() == "2026-03-01"


def test_release_page_has_canonical_open_graph_and_news_article(tmp_path, run):
    site = newsroom(tmp_path)
    assert run("build", site).code == 0
    page = read(site, "releases/workshop/index.html")
    assert '<link rel="canonical" href="https://example.org/news/releases/workshop/">' in page
    assert '<meta property="og:title" content="Six countries meet in Hanoi">' in page
    assert '<meta property="og:type" content="article">' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Six countries meet in Hanoi"
    assert data["datePublished"] == "2023-06-06T00:00:00+07:00"
    assert data["publisher"]["name"] == "Test Organisation"


def test_text_is_escaped_in_html_attributes_json_ld_feeds_and_sitemap(tmp_path, run):
    title = "\"Quotes\" & <script>alert('x')</script> </script>"
    site = write_site(tmp_path, {
        "content/releases/a.md": release(json.dumps(title), topics='["R&D <b>"]',
                                         summary=json.dumps("Less < more & 'so'")),
    })
    assert run("build", site).code == 0
    everything = all_output_text(site)
    assert "<script>alert" not in everything
    page = read(site, "releases/a/index.html")
    assert "&#34;Quotes&#34; &amp; &lt;script&gt;" in page
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1]
    assert json.loads(script)["headline"] == title
    feed = ET.parse(site / "output/feed.xml").getroot()
    assert feed.find(f"{ATOM}entry/{ATOM}title").text == title
    assert feed.find(f"{ATOM}entry/{ATOM}category").get("term") == "R&D <b>"
    ET.parse(site / "output/sitemap.xml")


def test_slugs_from_non_latin_file_names_are_never_empty(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/社会保护.md": release("社会保护"),
        "content/releases/🙂.md": release("Smile", topics="[🙂]"),
    })
    assert run("build", site).code == 0
    folders = {p.name for p in (site / "output/releases").iterdir() if p.is_dir()}
    assert "she-hui-bao-hu" in folders
    assert len(folders) == 2 and all(folders)
    assert any(p.is_dir() and p.name for p in (site / "output/topics").iterdir())


def _titles(site: Path, relative: str) -> list[str]:
    return re.findall(r'class="card-title"><a href="[^"]*">([^<]*)<', read(site, relative))


def test_term_and_year_pages_are_paged_from_the_oldest_too(tmp_path, run):
    """A country's, topic's and year's own page shows its newest 20 to 39 releases with their
    count and a link to the older ones; its numbered pages hold 20 each from the oldest, say
    the dates they span and link back, and keep their bytes as new releases come."""
    def day(n: int) -> str:
        return (date(2023, 1, 1) + timedelta(days=n)).isoformat()

    def write(n: int) -> None:
        (site / f"content/releases/r{n:02}.md").write_text(
            release(f"Release {n}", day(n), countries="[VN]", topics="[Social protection]"))

    site = write_site(tmp_path, {})
    (site / "content/releases").mkdir(parents=True)
    for n in range(1, 46):
        write(n)
    assert run("build", site).code == 0
    for first in ("countries/viet-nam", "topics/social-protection", "archive/2023"):
        assert _titles(site, f"{first}/index.html") == [f"Release {n}" for n in range(45, 20, -1)], first
        assert _titles(site, f"{first}/page/1/index.html") == [f"Release {n}" for n in range(20, 0, -1)]
        assert not (site / f"output/{first}/page/2").exists()
        own, oldest = read(site, f"{first}/index.html"), read(site, f"{first}/page/1/index.html")
        assert f'href="/news/{first}/page/1/" rel="next"' in own and 'rel="prev"' not in own
        assert "45 releases" in own
        assert f'href="/news/{first}/" rel="prev"' in oldest and 'rel="next"' not in oldest
        assert "From 2 January 2023 to 21 January 2023, newest first." in oldest
        assert f'<p class="kicker"><a href="/news/{first}/">' in oldest
    assert "<title>Viet Nam, page 1" in read(site, "countries/viet-nam/page/1/index.html")
    assert "<title>Releases of 2023, page 1" in read(site, "archive/2023/page/1/index.html")
    assert "/news/countries/viet-nam/page/1/" in read(site, "sitemap.xml")

    for n in range(46, 61):  # 60 releases: the newest 20 make a page of their own
        write(n)
    assert run("build", site).code == 0
    middle = _titles(site, "countries/viet-nam/page/2/index.html")
    assert middle == [f"Release {n}" for n in range(40, 20, -1)]
    numbered = {page: (site / "output/countries/viet-nam" / page / "index.html").read_bytes()
                for page in ("page/1", "page/2")}
    write(61)
    assert run("build", site).code == 0
    assert _titles(site, "countries/viet-nam/index.html")[:2] == ["Release 61", "Release 60"]
    assert {page: (site / "output/countries/viet-nam" / page / "index.html").read_bytes()
            for page in numbered} == numbered
    # The sitemap dates each page of a list by the newest release it shows: an old numbered
    # page keeps its date as new releases come.
    dated = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
             for url in ET.parse(site / "output/sitemap.xml").getroot().findall(f"{SITEMAP}url")}
    base = "https://example.org/news/"
    assert dated[base] == dated[f"{base}releases/"] == dated[f"{base}countries/viet-nam/"] == day(61)
    for first in ("releases", "countries/viet-nam", "topics/social-protection", "archive/2023"):
        assert dated[f"{base}{first}/page/1/"] == day(20), first
        assert dated[f"{base}{first}/page/2/"] == day(40), first


def test_pagination_of_the_release_index_counts_from_the_oldest(tmp_path, run):
    """/releases/ shows the newest 20 to 39; the numbered pages hold 20 each from the oldest,
    so a new release changes /releases/ alone and a numbered page keeps its address."""
    def day(n: int) -> str:
        return (date(2023, 1, 1) + timedelta(days=n)).isoformat()

    files = {f"content/releases/r{n:02}.md": release(f"Release {n}", day(n)) for n in range(1, 46)}
    site = write_site(tmp_path, files)
    assert run("build", site).code == 0
    assert _titles(site, "releases/index.html") == [f"Release {n}" for n in range(45, 20, -1)]
    assert _titles(site, "releases/page/1/index.html") == [f"Release {n}" for n in range(20, 0, -1)]
    assert not (site / "output/releases/page/2").exists()
    first, oldest = read(site, "releases/index.html"), read(site, "releases/page/1/index.html")
    assert 'href="/news/releases/page/1/" rel="next"' in first and 'rel="prev"' not in first
    assert "45 releases, newest first." in first and '<span class="count">45</span>' in first
    assert 'href="/news/releases/" rel="prev"' in oldest and 'rel="next"' not in oldest
    assert "From 2 January 2023 to 21 January 2023, newest first." in oldest
    assert 'class="count"' not in oldest and "<title>Releases, page 1" in oldest

    for n in range(46, 61):  # 60 releases: the newest 20 make a page of their own
        (site / f"content/releases/r{n:02}.md").write_text(release(f"Release {n}", day(n)))
    assert run("build", site).code == 0
    assert _titles(site, "releases/index.html") == [f"Release {n}" for n in range(60, 40, -1)]
    assert _titles(site, "releases/page/2/index.html") == [f"Release {n}" for n in range(40, 20, -1)]
    assert _titles(site, "releases/page/1/index.html") == [f"Release {n}" for n in range(20, 0, -1)]
    middle = read(site, "releases/page/2/index.html")
    assert 'href="/news/releases/" rel="prev"' in middle
    assert 'href="/news/releases/page/1/" rel="next"' in middle
    assert 'href="/news/releases/page/2/" rel="prev"' in read(site, "releases/page/1/index.html")
    assert 'href="/news/releases/">Newest releases</a>' in read(site, "releases/page/1/index.html")

    numbered = {page: (site / "output/releases" / page / "index.html").read_bytes()
                for page in ("page/1", "page/2")}
    (site / "content/releases/r61.md").write_text(release("Release 61", day(61)))
    result = run("build", site)
    assert result.code == 0, result.err
    assert _titles(site, "releases/index.html")[:2] == ["Release 61", "Release 60"]
    assert {page: (site / "output/releases" / page / "index.html").read_bytes()
            for page in numbered} == numbered
    (site / "content/releases/r61.md").unlink()
    (site / "content/releases/r50.md").unlink()  # 59: back to two pages, the newest 39 first
    assert run("build", site).code == 0
    assert len(_titles(site, "releases/index.html")) == 39
    assert not (site / "output/releases/page/2").exists()


def test_free_pages_are_built_and_linked_from_the_footer(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A"),
        "content/pages/about.md": "---\ntitle: About us\n---\nWe publish releases.\n",
    })
    assert run("build", site).code == 0
    assert "We publish releases." in read(site, "about/index.html")
    assert 'href="/news/about/">About us</a>' in read(site, "index.html")


def test_a_site_without_a_templates_folder_uses_the_built_in_theme(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")})
    assert not (site / "templates").exists()
    assert run("build", site).code == 0
    assert (site / "output/assets/presskit.css").is_file()
    assert 'href="/news/assets/presskit.css"' in read(site, "index.html")


def test_build_works_on_the_current_folder(tmp_path, run, monkeypatch):
    site = newsroom(tmp_path)
    monkeypatch.chdir(site)
    assert run("build").code == 0
    assert (site / "output/index.html").is_file()


def test_file_names_with_spaces_and_accents_make_working_links(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", photos="\n  - src: /media/lễ khai mạc.png\n    alt: Opening"),
        "content/media/lễ khai mạc.png": one_png(),
    })
    assert run("build", site).code == 0
    page = read(site, "releases/a/index.html")
    assert 'href="/news/media/l%E1%BB%85%20khai%20m%E1%BA%A1c.png" download' in page
    assert 'src="/news/media/l%E1%BB%85%20khai%20m%E1%BA%A1c-1w.' in page
    assert (site / "output/media/lễ khai mạc.png").is_file()
    assert run("check", site).code == 0
