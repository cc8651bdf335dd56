"""Details of the pages that validators, crawlers and readers meet."""

from __future__ import annotations

import pytest

from conftest import one_png, release, static_server, write_site

SETTINGS = 'title = "T"\nbase_url = "{}"\nlanguage = "en"\ntimezone = "UTC"\n'


def test_robots_under_a_base_path_is_explained_and_names_the_sitemap(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")},
                      settings=SETTINGS.format("https://example.org/newsroom/"))
    result = run("build", site)
    assert result.code == 0
    assert "crawlers read robots.txt only at https://example.org/robots.txt" in result.out
    assert "Sitemap: https://example.org/newsroom/sitemap.xml" in result.out
    robots = (site / "output/robots.txt").read_text()
    assert "Sitemap: https://example.org/newsroom/sitemap.xml" in robots


def test_robots_at_the_root_needs_no_note(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")},
                      settings=SETTINGS.format("https://example.org/"))
    result = run("build", site)
    assert result.code == 0 and "crawlers read" not in result.out


def test_the_404_page_claims_no_address_of_its_own(tmp_path, run):
    site = write_site(tmp_path, {"content/releases/a.md": release("A")},
                      settings=SETTINGS.format("https://example.org/"))
    assert run("build", site).code == 0
    missing = (site / "output/404.html").read_text()
    assert 'rel="canonical"' not in missing and "og:url" not in missing
    assert 'rel="canonical"' in (site / "output/releases/a/index.html").read_text()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_gallery_credits_stay_inside_their_photo_s_column(browser, tmp_path, run, width):
    long_credit = "© A photographer with a long name/International Labour Organization Viet Nam"
    photos = "\n".join(f"  - src: /media/p{n}.png\n    alt: Photo {n}\n    caption: Caption {n}\n"
                       f"    credit: {long_credit}" for n in range(4))
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", photos="\n" + photos),
        **{f"content/media/p{n}.png": one_png() for n in range(4)},
    }, settings=SETTINGS.format("https://example.org/"))
    assert run("build", site).code == 0
    with static_server(site / "output", tmp_path) as url:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{url}releases/a/")
        assert page.evaluate("getComputedStyle(document.querySelector('.gallery-grid')).display") == "grid"
        page.screenshot(path=str(tmp_path / f"gallery-{width}.png"), full_page=True)
        overflow = page.evaluate("""[...document.querySelectorAll('.gallery-grid figure')].map(f => {
            const box = f.getBoundingClientRect();
            return [...f.querySelectorAll('.credit')].some(c => {
                const r = c.getBoundingClientRect();
                return r.right > box.right + 0.5 || r.left < box.left - 0.5;
            });
        })""")
        page.close()
    assert overflow == [False, False, False]


def test_the_dateline_runs_into_the_first_paragraph(tmp_path, run):
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", location="Hanoi, Viet Nam", body="The minister said."),
        "content/releases/b.md": release("B", body="No place given."),
        "content/releases/c.md": release("C", location="<Dong Hoi> & co, Viet Nam",
                                         body="## A heading first\n\nThen text."),
    }, settings=SETTINGS.format("https://example.org/"))
    assert run("build", site).code == 0
    page = (site / "output/releases/a/index.html").read_text()
    assert '<p><span class="dateline-lead">HANOI, Viet Nam, 22 May 2023 –</span> The minister said.' in page
    assert '<p><span class="dateline-lead">22 May 2023 –</span> No place given.' in \
        (site / "output/releases/b/index.html").read_text()
    third = (site / "output/releases/c/index.html").read_text()
    assert "&lt;DONG HOI&gt; &amp; CO, Viet Nam, 22 May 2023 –" in third
    assert third.index("dateline-lead") < third.index("A heading first")
    assert "The minister said." in (site / "output/feed.xml").read_text()
    assert "HANOI, Viet Nam, 22 May" not in (site / "output/feed.xml").read_text()


def test_a_release_has_plain_share_links_and_no_third_party_script(tmp_path, run):
    import re

    site = write_site(tmp_path, {"content/releases/a.md": release('"Rice & <fish>: a plan"')},
                      settings=SETTINGS.format("https://example.org/news/"))
    assert run("build", site).code == 0
    page = (site / "output/releases/a/index.html").read_text()
    address = "https%3A//example.org/news/releases/a/"
    title = "Rice%20%26%20%3Cfish%3E%3A%20a%20plan"
    for link in (f"mailto:?subject={title}&amp;body={address}",
                 f"https://x.com/intent/post?text={title}&amp;url={address}",
                 f"https://www.facebook.com/sharer/sharer.php?u={address}",
                 f"https://www.linkedin.com/sharing/share-offsite/?url={address}",
                 f"https://wa.me/?text={title}%20{address}"):
        assert f'href="{link}"' in page, link
    assert 'data-url="https://example.org/news/releases/a/"' in page and 'hidden>Copy link</button>' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/news/assets/share.js"]  # our own, and no other
    assert (site / "output/assets/share.js").is_file()


def test_the_logo_is_in_the_header_and_names_the_publisher_and_author(tmp_path, run):
    import json
    import re

    settings = SETTINGS.format("https://example.org/") + 'organisation = "ILO"\nlogo = "/media/logo.png"\n'
    site = write_site(tmp_path, {"content/releases/a.md": release("A"),
                                 "content/media/logo.png": one_png()}, settings=settings)
    assert run("build", site).code == 0
    page = (site / "output/releases/a/index.html").read_text()
    assert '<img class="brand-logo" src="/media/logo.png" alt="">' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1))
    organisation = {"@type": "Organization", "name": "ILO", "url": "https://example.org/",
                    "logo": {"@type": "ImageObject", "url": "https://example.org/media/logo.png"}}
    assert data["publisher"] == organisation and data["author"] == organisation
    assert (site / "output/media/logo.png").is_file()


@pytest.mark.parametrize(("logo", "says"), [
    ("/media/missing.png", "there is no file content/media/missing.png"),
    ("logo.png", "is not in content/media/"),
])
def test_a_logo_that_cannot_be_published_is_a_located_error(tmp_path, run, logo, says):
    settings = SETTINGS.format("https://example.org/") + f'logo = "{logo}"\n'
    site = write_site(tmp_path, {"content/releases/a.md": release("A")}, settings=settings)
    result = run("build", site)
    assert result.code == 1 and f"presskit.toml:5: error: `logo` '{logo}'" in result.err, result.err
    assert says in result.err and "Traceback" not in result.text


def test_corrections_and_updated_show_a_history_and_date_the_feeds(tmp_path, run):
    import json
    import re

    corrections = ("\n  - date: 2023-05-25\n    note: The number of trainers was 25, not 52."
                   "\n  - date: 2023-05-23\n    note: A name was misspelt.")
    site = write_site(tmp_path, {
        "content/releases/a.md": release("A", corrections=corrections),
        "content/releases/b.md": release("B", "2023-05-01", updated="2023-05-10"),
    }, settings=SETTINGS.format("https://example.org/"))
    assert run("build", site).code == 0
    page = (site / "output/releases/a/index.html").read_text()
    history = page[page.index('id="corrections-title"'):]
    assert history.index("23 May 2023") < history.index("25 May 2023")  # oldest first
    assert "The number of trainers was 25, not 52." in history
    assert 'Updated <time datetime="2023-05-25T00:00:00+00:00">25 May 2023</time>' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1))
    assert data["datePublished"].startswith("2023-05-22") and data["dateModified"].startswith("2023-05-25")
    feed = (site / "output/feed.xml").read_text()
    assert "<updated>2023-05-25T00:00:00Z</updated>" in feed
    assert "<lastmod>2023-05-10</lastmod>" in (site / "output/sitemap.xml").read_text()
    assert "Updated" in (site / "output/releases/b/index.html").read_text()


@pytest.mark.parametrize(("corrections", "where", "says"), [
    ("[fixed a typo]", "a.md:4", "correction 1 must have `date:` and `note:` lines"),
    ("\n  - date: 2023-05-25", "a.md:5", "correction 1 has no `note`"),
    ("\n  - date: 2023-02-30\n    note: x", "a.md:5", "2023-02-30 is not a date that exists"),
    ("\n  - date: 2023-05-25\n    notes: x", "a.md:6", "correction 1 has an unknown key `notes`"),
    ("yes please", "a.md:4", "`corrections` must be a list"),
])
def test_a_wrong_correction_is_a_located_error(tmp_path, run, corrections, where, says):
    site = write_site(tmp_path, {"content/releases/a.md": release("A", corrections=corrections)},
                      settings=SETTINGS.format("https://example.org/"))
    result = run("build", site)
    assert result.code == 1 and where in result.err and says in result.err, result.err
    assert "Traceback" not in result.text


def test_a_path_is_quoted_as_urllib_quotes_it():
    """Links and the sitemap quote each site path; the quick way for one that needs no
    quoting gives what urllib.parse.quote gives, on every kind of character."""
    import random
    import string
    from urllib.parse import quote

    from presskit.render import _quote

    rng = random.Random(7)
    alphabet = string.printable + "éủ☃\u00a0"
    texts = ["/releases/page/2/", "/vi/tin-tức/", "/a b/", "/100%/", "/x?y#z", "", "/~user/(1)"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    for text in texts:
        assert _quote.__wrapped__(text) == quote(text, safe="/%:@!$&'()*+,;=~"), text


def test_the_sitemap_written_as_text_is_what_elementtree_writes():
    """feeds.sitemap writes its lines as text (ElementTree took seconds for a newsroom): the
    same bytes as ElementTree's indented output, escaping included, with and without a
    page's versions and its last change."""
    import xml.etree.ElementTree as ET
    from datetime import date

    from presskit import feeds

    pages = [("https://example.org/news/", None, ()),
             ("https://example.org/news/a&b/<c>/", date(2024, 5, 1), ()),
             ("https://example.org/news/d/", date(2024, 5, 2),
              (("en", "https://example.org/news/d/"), ("vi", 'https://example.org/news/vi/"d"&\t/')))]
    for listed in (pages[:2], pages):
        root = ET.Element("urlset", xmlns=feeds.SITEMAP)
        entries = []
        for url, day, versions in listed:
            item = ET.SubElement(root, "url")
            ET.SubElement(item, "loc").text = url
            if day is not None:
                ET.SubElement(item, "lastmod").text = day.isoformat()
            for hreflang, href in versions:
                ET.SubElement(item, "xhtml:link", rel="alternate", hreflang=hreflang, href=href)
            entries.append(feeds.url_entry(url, day.isoformat() if day else None,
                                           feeds.version_lines(versions) if versions else ""))
        if any(versions for _, _, versions in listed):
            root.set("xmlns:xhtml", feeds.XHTML)
        ET.indent(root)
        expected = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
        assert feeds.sitemap(entries, any(versions for _, _, versions in listed)) == expected
    assert feeds.sitemap([]) == b"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"" + \
        feeds.SITEMAP.encode() + b'" />\n'


def test_a_feed_written_as_text_is_what_elementtree_writes():
    """feeds.atom_feed writes its lines as text, each release's entry made once for all the
    feeds that carry it (a tree took 3 ms a feed): the same bytes as the ElementTree feed it
    replaced, escaping included: quotes, ampersands, brackets, tabs and line ends in texts and
    attributes, no summary, no text, no topic, no language, no entry, letters beyond ASCII and
    a lone surrogate (written as a character reference)."""
    import xml.etree.ElementTree as ET
    from datetime import UTC, datetime, timedelta, timezone
    from types import SimpleNamespace

    from presskit import feeds

    def elementtree_feed(title, feed_url, page_url, author, entries, language):
        feed = ET.Element("feed", xmlns=feeds.ATOM)
        if language:
            feed.set("xml:lang", language)
        ET.SubElement(feed, "title").text = title
        ET.SubElement(feed, "id").text = page_url
        ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
        ET.SubElement(feed, "link", rel="alternate", type="text/html", href=page_url)
        updated = max((item.modified for item, _, _ in entries), default=datetime(1970, 1, 1, tzinfo=UTC))
        ET.SubElement(feed, "updated").text = updated.astimezone(UTC).isoformat().replace("+00:00", "Z")
        ET.SubElement(ET.SubElement(feed, "author"), "name").text = author
        ET.SubElement(feed, "generator", uri="https://pypi.org/project/presskit/").text = "presskit"
        for model, summary, content in entries:
            url = "https://example.org/news" + model.path
            item = ET.SubElement(feed, "entry")
            ET.SubElement(item, "title").text = model.title
            ET.SubElement(item, "id").text = url
            ET.SubElement(item, "link", rel="alternate", type="text/html", href=url)
            for tag, moment in (("published", model.date), ("updated", model.modified)):
                ET.SubElement(item, tag).text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if summary:
                ET.SubElement(item, "summary").text = summary
            ET.SubElement(item, "content", type="html").text = content
            for topic in model.topics:
                ET.SubElement(item, "category", term=topic)
        ET.indent(feed)
        return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"

    hanoi = timezone(timedelta(hours=7))
    releases = [
        SimpleNamespace(title='"Quotes" & <tags> in Quảng Bình', path="/releases/a&b/",
                        date=datetime(2026, 3, 2, 6, 0, tzinfo=hanoi),
                        modified=datetime(2026, 3, 4, tzinfo=UTC),
                        topics=("R&D <b>", 'say "so"\tand\nmore\r')),
        SimpleNamespace(title="Plain", path="/releases/plain/", date=datetime(2025, 1, 1, tzinfo=UTC),
                        modified=datetime(2025, 1, 1, tzinfo=UTC), topics=()),
        SimpleNamespace(title="Odd \ud800 one", path="/vi/tin-tức/", date=datetime(2024, 1, 1, tzinfo=UTC),
                        modified=datetime(2024, 2, 1, tzinfo=UTC), topics=("Đổi mới",)),
    ]
    texts = [("Less < more & 'so'", "<p>A &amp; B</p>\n<p>Line\ttwo</p>"), ("", ""), ("Tóm tắt", "<p>x</p>")]
    entries = [(release, *text) for release, text in zip(releases, texts, strict=True)]
    for language, listed in (("en", entries), ("", entries[1:]), ("vi", [])):
        made = feeds.atom_feed(
            title="Women's Union & partners", feed_url="https://example.org/news/feed.xml",
            page_url="https://example.org/news/", author="UN <Viet Nam>",
            entries=[feeds.feed_entry(release, "https://example.org/news" + release.path, summary, content)
                     for release, summary, content in listed],
            updated=max((release.modified for release, _, _ in listed), default=None), language=language)
        assert made == elementtree_feed("Women's Union & partners", "https://example.org/news/feed.xml",
                                        "https://example.org/news/", "UN <Viet Nam>", listed, language)
    assert b"&#55296;" in feeds.atom_feed(title="t", feed_url="f", page_url="p", author="a", updated=None,
                                          entries=[feeds.feed_entry(releases[2], "u", "", "")])


def test_a_sitemap_past_the_protocols_limits_is_cut_into_parts_each_within_them(monkeypatch):
    """sitemaps.org: at most 50,000 addresses and 50 MB a file. The entries are cut in order,
    by count and by their bytes (an address in Vietnamese takes more bytes than letters), and
    the index names each part with the latest day of its pages."""
    import xml.etree.ElementTree as ET

    from presskit import feeds

    entries = [feeds.url_entry(f"https://example.org/tầng-{n}/", f"2024-05-{n + 1:02}") for n in range(10)]
    assert feeds.sitemap_parts(entries) == [entries]  # within both: one sitemap
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 4)
    assert feeds.sitemap_parts(entries) == [entries[:4], entries[4:8], entries[8:]]
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 50_000)
    size = len(entries[0].encode()) + 1  # (each the same size, its line's end included)
    assert size > len(entries[0]) + 1
    monkeypatch.setattr(feeds, "SITEMAP_BYTES", 512 + 3 * size)
    parts = feeds.sitemap_parts(entries)
    assert parts == [entries[:3], entries[3:6], entries[6:9], entries[9:]]
    assert all(len(feeds.sitemap(part)) <= feeds.SITEMAP_BYTES for part in parts)
    monkeypatch.setattr(feeds, "SITEMAP_BYTES", 512 + 3 * size - 1)  # a byte short of three
    assert [len(part) for part in feeds.sitemap_parts(entries)] == [2, 2, 2, 2, 2]
    index = feeds.sitemap_index([("https://example.org/sitemaps/1.xml?a&b", "2024-05-03"),
                                 ("https://example.org/sitemaps/2.xml", None)])
    root, ns = ET.fromstring(index), f"{{{feeds.SITEMAP}}}"
    assert root.tag == f"{ns}sitemapindex"
    assert [(s.findtext(f"{ns}loc"), s.findtext(f"{ns}lastmod")) for s in root] == [
        ("https://example.org/sitemaps/1.xml?a&b", "2024-05-03"),
        ("https://example.org/sitemaps/2.xml", None)]


def test_a_sitemap_is_read_back_entry_by_entry_as_it_was_written():
    """A build after a move takes the entries of the pages it did not make again from the
    sitemap the last one wrote: each entry read back is the one written, with its address and
    day; a file of another shape (an index, an empty sitemap, one cut short) gives nothing."""
    from presskit import feeds

    entries = [feeds.url_entry("https://example.org/a&amp;b/", "2024-05-01"),
               feeds.url_entry("https://example.org/c/", None, feeds.version_lines(
                   (("en", "https://example.org/c/"), ("vi", "https://example.org/vi/c/")))),
               feeds.url_entry("https://example.org/</url>/", "2024-05-03")]
    for versions in (False, True):
        written = feeds.sitemap(entries, versions)
        assert feeds.sitemap_entries(written) == entries
        assert feeds.sitemap_index_size(written) is None
        assert feeds.sitemap_entries(written[:-12]) is None  # (cut short)
    assert [feeds.entry_address(entry) for entry in entries] == [
        "https://example.org/a&amp;amp;b/", "https://example.org/c/", "https://example.org/&lt;/url&gt;/"]
    assert [feeds.entry_day(entry) for entry in entries] == ["2024-05-01", None, "2024-05-03"]
    assert [feeds.entry_has_versions(entry) for entry in entries] == [False, True, False]
    index = feeds.sitemap_index([("https://example.org/sitemaps/1.xml", None),
                                 ("https://example.org/sitemaps/2.xml", "2024-05-03")])
    assert feeds.sitemap_index_size(index) == 2 and feeds.sitemap_entries(index) is None
    assert feeds.sitemap_entries(feeds.sitemap([])) is None
    assert feeds.sitemap_entries(b"\xff") is None


def test_a_sitemap_is_spliced_from_the_last_one_as_a_new_one_would_be_made(monkeypatch):
    """A build after a move makes the sitemap from the bytes of the last one: the entries of
    the pages remade or new made and put in their places (a remade page may have moved), those
    of pages gone left out, the rest kept, the namespace of versions there when an entry has
    them: the bytes `feeds.sitemap` makes of the new entries. A page not remade that moved
    among the others, a file that is not the sitemap of the pages it is said to be of, or
    pages past one sitemap's limit, and it says it cannot (the caller makes it whole)."""
    from presskit import feeds

    def address(path: str) -> str:
        return feeds.escape(f"https://example.org{path}")

    def entries(days: dict[str, str], versioned: set[str]) -> dict[str, str]:
        return {path: feeds.url_entry(f"https://example.org{path}", day, feeds.version_lines(
            (("en", f"https://example.org{path}"), ("vi", f"https://example.org/vi{path}")))
            if path in versioned else "") for path, day in days.items()}

    before = ["/", "/a&b/", "/c/", "/d/", "/e/", "/f/"]
    old = entries(dict.fromkeys(before, "2024-05-01"), set())
    data = feeds.sitemap(list(old.values()))
    cases = [  # the pages now, in order; those remade; their days; those with versions
        (["/", "/a&b/", "/c/", "/d/", "/e/", "/f/"], {"/c/"}, {"/c/": "2024-06-01"}, set()),
        (["/new/", "/", "/e/", "/a&b/", "/c/", "/x/", "/f/"], {"/e/", "/c/"}, {"/x/": "2024-07-01"}, set()),
        (["/", "/c/", "/d/", "/f/", "/g/"], set(), {}, {"/g/"}),  # the first entry with versions
        (["/a&b/", "/e/"], {"/a&b/"}, {"/a&b/": None}, set()),
    ]
    for now, remade, days, versioned in cases:
        new = {**old, **entries({path: days.get(path, "2024-05-01") for path in now
                                 if path in remade or path not in old or path in days}, versioned)}
        made = feeds.sitemap_spliced(data, before, now, remade, lambda path, new=new: new[path], address)
        assert made == feeds.sitemap([new[path] for path in now], bool(versioned)), now
    with_versions = entries(dict.fromkeys(before, "2024-05-01"), {"/d/"})
    rest = [path for path in before if path != "/d/"]
    spliced = feeds.sitemap_spliced(feeds.sitemap(list(with_versions.values()), True), before, rest, set(),
                                    with_versions.__getitem__, address)
    assert spliced == feeds.sitemap([with_versions[path] for path in rest], False)
    # a page not remade moved; the file of other pages; a sitemap index; too many pages
    assert feeds.sitemap_spliced(data, before, ["/", "/c/", "/a&b/", "/d/"], set(), old.get, address) is None
    assert feeds.sitemap_spliced(data, before[:-1], before[:-1], {"/c/"}, old.get, address) is None
    assert feeds.sitemap_spliced(data, ["/z/", *before[1:]], ["/z/", *before[1:]], {"/z/"},
                                 lambda path: feeds.url_entry(address(path), None), address) is None
    index = feeds.sitemap_index([("https://example.org/sitemaps/1.xml", None)])
    assert feeds.sitemap_spliced(index, before, before, set(), old.get, address) is None
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 5)
    assert feeds.sitemap_spliced(data, before, before, set(), old.get, address) is None


def test_versions_kept_as_plain_data_are_the_alternates_they_were_and_a_copy_changes_alone():
    """A build after an edit takes each page's versions back as plain data (render.Alternates):
    each page's are the Alternates it had, of the same languages, and a copy changed (as a
    release added or deleted changes it) leaves the one it was made from as it was; pickled (a
    preview keeps what it learned), they are the same versions."""
    import pickle

    from presskit.languages import Language
    from presskit.render import Alternate, Alternates

    en = Language("en", "/", "News", "", "", "", True)
    vi = Language("vi", "/vi/", "Tin tức", "", "", "", False)
    given = {"/a/": (Alternate(en, "/a/", True, True), Alternate(vi, "/vi/a/", True, False)),
             "/b/": (Alternate(en, "/b/", True, True), Alternate(vi, "/vi/", False, False))}
    kept = Alternates(dict(Alternates.of(given).plain()), {"en": en, "vi": vi})
    assert dict(kept) == given and len(kept) == 2 and "/a/" in kept and "/c/" not in kept
    assert kept["/b/"][1].language is vi
    changed = kept.copy()
    changed["/c/"] = (Alternate(en, "/c/", True, True),)
    del changed["/a/"]
    assert changed.pop("/b/") == given["/b/"]
    assert dict(changed) == {"/c/": (Alternate(en, "/c/", True, True),)}
    assert dict(kept) == given
    assert Alternates(dict(changed.plain()), {"en": en})["/c/"] == changed["/c/"]
    assert dict(pickle.loads(pickle.dumps(Alternates.of(given)))) == given
