"""Every mistake a writer can make gets a message with the file, the line and a fix,
never a traceback, and leaves output/ untouched."""

from __future__ import annotations

import pytest

from conftest import PARTNERS, SETTINGS, one_png, release, tree_digest, write_site

R = "content/releases/r.md"

# Nine times nine times ... nine values from a few lines of front matter ("billion laughs").
BILLION_LAUGHS = "\n".join([
    "---", "title: A", "date: 2023-05-22", "a: &a [x, x, x, x, x, x, x, x, x]",
    *(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)),
    "---", "Text", ""])

# (files, where "file:line", what the message says, what the hint says)
CASES = {
    "invalid yaml": (
        {R: "---\ntitle: Hanoi: the workshop opens\ndate: 2023-05-22\n---\nText\n"},
        "r.md:2", "not valid YAML", "quotes"),
    "unclosed quote": (
        {R: '---\ntitle: "Hanoi\ndate: 2023-05-22\n---\nText\n'},
        "r.md:", "not valid YAML", "quote"),
    "tab indentation": (
        {R: "---\ntitle: A\ndate: 2023-05-22\nphotos:\n\t- src: a.png\n---\nText\n"},
        "r.md:5", "not valid YAML", "spaces"),
    "apostrophe inside single quotes": (
        {R: "---\ntitle: 'Women's Union'\ndate: 2023-05-22\n---\nText\n"},
        "r.md:2", "not valid YAML", "double quotes"),
    "line without a colon": (
        {R: "---\ntitle: A\ndate 2023-05-22\nlocation: Hanoi\n---\nText\n"},
        "r.md:3", "not valid YAML", "no colon"),
    "duplicate key": (
        {R: "---\ntitle: A\ndate: 2023-05-22\ntitle: B\n---\nText\n"},
        "r.md:4", "`title` is written twice (first on line 2)", "keep one"),
    "missing title": (
        {R: "---\ndate: 2023-05-22\n---\nText\n"},
        "r.md:2", "`title` is missing", "title: ..."),
    "empty title": (
        {R: "---\ntitle:\ndate: 2023-05-22\n---\nText\n"},
        "r.md:2", "`title` is empty", "title: ..."),
    "missing date": (
        {R: "---\ntitle: A\n---\nText\n"},
        "r.md:2", "`date` is missing", "year-month-day"),
    "no front matter": (
        {R: "Just text, no front matter.\n"},
        "r.md:1", "has no front matter", "---"),
    "front matter not closed": (
        {R: "---\ntitle: A\ndate: 2023-05-22\nText without a closing line\n"},
        "r.md:1", "not closed", "---"),
    "front matter is a list": (
        {R: "---\n- title\n- date\n---\nText\n"},
        "r.md:2", "must be a list of `key: value` lines", "title:"),
    "date that does not exist": (
        {R: release(date="2023-02-30")},
        "r.md:3", "2023-02-30 is not a date that exists", "day and the month"),
    "date in another form": (
        {R: release(date="22 May 2023")},
        "r.md:3", "is not a date presskit can read", "2023-05-22"),
    "date without leading zeros": (
        {R: release(date="2023-5-2")},
        "r.md:3", "two-digit month and day", "2023-05-02"),
    "datetime that does not exist": (
        {R: release(date="2023-13-01T09:00")},
        "r.md:3", "2023-13-01 is not a date that exists", "day and the month"),
    "draft yes": (
        {R: release(draft="yes")},
        "r.md:4", "`draft` must be true or false, not 'yes'", "draft: true"),
    "title read as boolean": (
        {R: release(title="true")},
        "r.md:2", "was read as yes/no", 'quotes: "true"'),
    "title as a list": (
        {R: release(title="[a, b]")},
        "r.md:2", "`title` must be text, not a list", "one line"),
    "unknown type": (
        {R: release(type="press")},
        "r.md:4", "`type` 'press' is not a release type", "media-advisory"),
    "bad slug": (
        {R: release(slug="'Hello World!'")},
        "r.md:4", "`slug` 'Hello World!' may only have a-z, 0-9 and -", "slug: hello-world"),
    "unknown country": (
        {R: release(countries="[Vietnamm]")},
        "r.md:4", "unknown country 'Vietnamm'", 'did you mean "Viet Nam"?'),
    "unknown country without suggestion": (
        {R: release(countries="[Atlantis]")},
        "r.md:4", "unknown country 'Atlantis'", "ISO code"),
    "unknown partner": (
        {**PARTNERS, R: release(partners="[UNICF]")},
        "r.md:4", "unknown partner 'UNICF' in `partners`",
        'did you mean "UNICEF"? (partners are the files in content/partners/)'),
    "unknown partner without any partners": (
        {R: release(partners="[Someone]")},
        "r.md:4", "unknown partner 'Someone'", "content/partners/"),
    "unknown programme": (
        {**PARTNERS, R: release(programmes="[SP-PFN]")},
        "r.md:4", "unknown programme 'SP-PFN'", 'did you mean "SP&PFM"?'),
    "unknown partner in a programme": (
        {**PARTNERS, "content/programmes/p.md": "---\ntitle: P\nfunders: [Europe Union]\n---\n",
         R: release()},
        "p.md:3", "unknown partner 'Europe Union' in `funders`", "content/partners/"),
    "photo file missing": (
        {R: release(photos="\n  - src: /media/lead.jpg\n    alt: A photo"),
         "content/media/lead.jpeg": one_png()},
        "r.md:5", "photo file '/media/lead.jpg' does not exist", 'did you mean "/media/lead.jpeg"?'),
    "photo without alt": (
        {R: release(photos="\n  - src: /media/a.png\n    caption: A caption"),
         "content/media/a.png": one_png()},
        "r.md:5", "photo 1 (/media/a.png) has no alt text", "alt:"),
    "photo with empty alt": (
        {R: release(photos="\n  - src: /media/a.png\n    alt: ''"),
         "content/media/a.png": one_png()},
        "r.md:6", "has no alt text", "alt:"),
    "photo without src": (
        {R: release(photos="\n  - alt: A photo")},
        "r.md:5", "photo 1 has no `src`", "src:"),
    "photo as a plain string": (
        {R: release(photos="\n  - lead.jpg")},
        "r.md:5", "photo 1 must have `src:` and `alt:` lines", "alt:"),
    "photos not a list": (
        {R: release(photos="lead.jpg")},
        "r.md:4", "`photos` must be a list", "src:"),
    "photo with unknown key": (
        {R: release(photos="\n  - src: /media/a.png\n    alt: x\n    credits: me"),
         "content/media/a.png": one_png()},
        "r.md:7", "unknown key `credits`", "`credit`"),
    "photo is not an image": (
        {R: release(photos="\n  - src: /media/a.pdf\n    alt: x"), "content/media/a.pdf": "%PDF"},
        "r.md:5", "is not an image", ".jpg"),
    "photo from the web": (
        {R: release(photos="\n  - src: https://example.org/a.jpg\n    alt: x")},
        "r.md:5", "is a web address", "content/media/"),
    "two releases with one slug": (
        {R: release("A"), "content/releases/2024/r.md": release("B")},
        "r.md:1", "has the same address (/releases/r/) as r.md", "slug:"),
    "not utf-8": (
        {R: "---\ntitle: Caf\xe9\ndate: 2023-05-22\n---\n".encode("latin-1")},
        "r.md:2", "is not UTF-8 text", "UTF-8"),
    "partner without name": (
        {"content/partners/p.md": "---\nshort_name: P\n---\n", R: release()},
        "p.md:2", "`name` is missing", "name: ..."),
    "partner website": (
        {"content/partners/p.md": "---\nname: P\nwebsite: www.p.org\n---\n", R: release()},
        "p.md:3", "`website` 'www.p.org' is not a web address", "https://www.p.org"),
    "two partners with one name": (
        {"content/partners/a.md": "---\nname: Alpha\nshort_name: AP\n---\n",
         "content/partners/b.md": "---\nname: Beta\nshort_name: ap\n---\n", R: release()},
        "b.md:2", "the name 'ap' is already used by the partner in a.md", "own names"),
    "programme start": (
        {"content/programmes/p.md": "---\ntitle: P\nstart: soon\n---\n", R: release()},
        "p.md:3", "`start` 'soon' is not a year or a date", "2020"),
    "country file name": (
        {"content/countries/vietnam.md": "---\nsummary: x\n---\n", R: release()},
        "vietnam.md:1", "is not named by a two-letter country code", "rename it vn.md"),
    "page with a reserved address": (
        {"content/pages/releases.md": "---\ntitle: Our releases\n---\n", R: release()},
        "releases.md:", "a page cannot have the address /releases/", "slug:"),
    "page at the sitemap's parts": (  # /sitemaps/N.xml, past 50,000 pages
        {"content/pages/s.md": "---\ntitle: Site map\nslug: sitemaps\n---\n", R: release()},
        "s.md:3", "a page cannot have the address /sitemaps/", "choose another `slug:`"),
    "page weight": (
        {"content/pages/a.md": "---\ntitle: A\nweight: first\n---\n", R: release()},
        "a.md:3", "`weight` must be a whole number", "weight: 10"),
    "front matter runs into the text": (
        {R: "---\ntitle: A\ndate: 2023-05-22\n\nThe first sentence of the text.\n\n---\n\nMore.\n"},
        "r.md:3", "the front matter seems to run into the text", "add a line `---` after this line"),
    "every line that starts with a tab": (
        {R: "---\ntitle: A\ndate: 2023-05-22\nphotos:\n\t- src: a.png\n\t  alt: A\n---\nText\n"},
        "r.md:5", "lines 5, 6 start with a tab", "replace each tab"),
    "a value that starts with a reserved sign": (
        {R: "---\ntitle: @ILO launches\ndate: 2023-05-22\n---\nText\n"},
        "r.md:2", "put this value in double quotes", 'write title: "@ILO launches"'),
    "aliases that expand without bound": (
        {R: BILLION_LAUGHS},
        "r.md:", "grows beyond 10,000 values", "write the values out"),
    "alias that contains itself": (
        {R: "---\ntitle: A\ndate: 2023-05-22\nloop: &me [a, *me]\n---\nText\n"},
        "r.md:4", "contains itself", "write the value out"),
    "brackets nested thousands deep": (
        {R: "---\ntitle: A\ndate: 2023-05-22\ndeep: " + "[" * 100_000 + "]" * 100_000 + "\n---\nText\n"},
        "r.md:4", "nests brackets more than 40 levels deep", "close each ["),
    "lists nested deeper than a person writes": (
        {R: "---\ntitle: A\ndate: 2023-05-22\ndeep:\n" + "".join(" " * i + "-\n" for i in range(1, 300))
            + "---\nText\n"},
        "r.md:", "more than 40 levels deep", "keep front matter flat"),
    "a huge file": (
        {R: release(body="Words and more words. " * 40_000)},
        "r.md:1", "a content file may be at most 500 KB", "content/media/"),
    "pathological markdown": (
        {R: release(body="A first paragraph.\n\n" + "[" * 60_000)},
        "r.md:8", "this paragraph is 60,000 characters long", "split it with blank lines"),
    "unknown contact": (
        {R: release(contacts="[nobody]"),
         "content/contacts/lan.md": "---\nname: Lan\nemail: l@example.org\n---\n"},
        "r.md:4", "unknown contact 'nobody' in `contacts`", "content/contacts/"),
    "event that is not a map": (
        {R: release(event="tomorrow")}, "r.md:4", "`event` must have `start:`", "start: 2026"),
    "event without a start": (
        {R: release(event="\n  venue: Hanoi")}, "r.md:5", "`event` has no `start`", "start:"),
    "event key misspelt": (
        {R: release(event="\n  start: 2030-01-01T09:00\n  venu: Hanoi")}, "r.md:6",
        "`event` has an unknown key `venu`", "did you mean `venue`?"),
    "event ends before it starts": (
        {R: release(event="\n  start: 2030-01-01T09:00\n  end: 2029-01-01")}, "r.md:6",
        "`end` is before its `start`", "check"),
    "event in an unknown time zone": (
        {R: release(event="\n  start: 2030-01-01T09:00\n  timezone: Hanoi")}, "r.md:6",
        "'Hanoi' is not a known time zone", "Asia/Ho_Chi_Minh"),
    "event online not an address": (
        {R: release(event="\n  start: 2030-01-01T09:00\n  online: example.org/live")}, "r.md:6",
        "`online` 'example.org/live' is not a web address", "https://example.org/live"),
    "photo that is not an image": (
        {R: release(photos="\n  - src: /media/hall.jpg\n    alt: A hall"),
         "content/media/hall.jpg": "This is not a photo."},
        "r.md:5", "photo 'hall.jpg' cannot be read as an image", "save it again"),
    "withdrawn without a reason": (
        {R: release(withdrawn="true")}, "r.md:4", "`withdrawn` must say why", "withdrawn: The figures"),
    "template syntax error": (
        {R: release(), "templates/release.html": "{% extends 'base.html' %}\n{% block main %}\n"
                                                 "{% if %}\n{% endblock %}"},
        "release.html:3", "template error", "{% %}"),
    "template missing a variable": (
        {R: release(), "templates/page.html": "x", "templates/release.html":
            "{% extends 'base.html' %}\n{% block main %}\n{{ release.nothing_here }}\n{% endblock %}"},
        "release.html:3", "nothing_here", "unknown name"),
}


@pytest.mark.parametrize("case", CASES)
def test_mistake_is_reported_with_file_line_and_hint(tmp_path, run, case):
    files, where, message, hint = CASES[case]
    site = write_site(tmp_path, files)
    result = run("build", site)
    assert result.code == 1
    assert where in result.err, result.err
    assert message in result.err, result.err
    assert "hint:" in result.err and hint in result.err, result.err
    assert "Traceback" not in result.text
    assert "Build failed" in result.err
    assert not (site / "output").exists()


SETTINGS_CASES = {
    "no settings file": (None, "no presskit.toml here", "presskit build path/to/site"),
    "invalid toml": ('title = "A\nbase_url = "x"\n', "presskit.toml:1: error: is not valid TOML",
                     "double quotes"),
    "missing title": ('base_url = "https://example.org/"\n', "`title` is missing", 'title = "..."'),
    "base url not an address": ('title = "T"\nbase_url = "example.org"\n',
                                "presskit.toml:2: error: `base_url` 'example.org' is not a web address",
                                "https://example.org/newsroom/"),
    "unknown time zone": (SETTINGS.replace("Asia/Ho_Chi_Minh", "Asia/Hanoi City"),
                          "presskit.toml:4: error: `timezone` 'Asia/Hanoi City' is not a known",
                          "Asia/Ho_Chi_Minh"),
    "unknown language": (SETTINGS.replace('"en"', '"english"'),
                         "presskit.toml:3: error: `language` 'english' is not a known language",
                         '"vi"'),
    "per page": (SETTINGS + "releases_per_page = 0\n", "`releases_per_page` must be a whole number",
                 None),
    "near miss of a setting": (SETTINGS.replace("timezone", "timezon"),
                               "presskit.toml:4: error: `timezon` is not a setting presskit knows",
                               "did you mean `timezone`?"),
    "embed hosts not a list": (SETTINGS + 'embed_hosts = "youtube"\n',
                               "`embed_hosts` must be a list of host names", "embed_hosts = ["),
}


@pytest.mark.parametrize("case", SETTINGS_CASES)
def test_settings_mistakes_are_reported(tmp_path, run, case):
    settings, message, hint = SETTINGS_CASES[case]
    site = write_site(tmp_path, {R: release()})
    if settings is None:
        (site / "presskit.toml").unlink()
    else:
        (site / "presskit.toml").write_text(settings)
    result = run("build", site)
    assert result.code == 1
    assert message in result.err, result.err
    if hint:
        assert hint in result.err, result.err
    assert "Traceback" not in result.text


def test_all_mistakes_of_a_build_are_reported_together(tmp_path, run):
    site = write_site(tmp_path, {
        **PARTNERS,
        "content/releases/a.md": release(partners="[UNICF]", date="2023-02-30"),
        "content/releases/b.md": release(countries="[Narnia]"),
        "content/releases/c.md": "---\ntitle: [unclosed\n---\n",
        "content/partners/x.md": "---\nshort_name: X\n---\n",
    })
    result = run("build", site)
    assert result.code == 1
    for where in ("a.md:3", "a.md:4", "b.md:4", "c.md:2", "x.md:2"):
        assert where in result.err, where
    assert "5 errors in 4 files" in result.err


def test_input_that_would_exhaust_the_machine_ends_fast_among_the_other_errors(tmp_path, run):
    import time

    files = {name: text for name, (text_files, *_) in CASES.items()
             if name in ("aliases that expand without bound", "alias that contains itself",
                         "brackets nested thousands deep", "pathological markdown")
             for text in text_files.values()}
    site = write_site(tmp_path, {f"content/releases/{number}.md": text
                                 for number, text in enumerate(files.values())}
                      | {"content/releases/plain.md": release(date="2023-02-30")})
    started = time.monotonic()
    result = run("build", site)
    assert time.monotonic() - started < 30
    assert result.code == 1 and "Traceback" not in result.text
    assert "5 errors in 5 files" in result.err, result.err
    assert "plain.md:3" in result.err


def test_errors_leave_an_existing_output_untouched(tmp_path, run):
    site = write_site(tmp_path, {R: release()})
    assert run("build", site).code == 0
    before = tree_digest(site / "output")
    for case in ("duplicate key", "photo without alt", "not utf-8", "unknown country"):
        files = CASES[case][0]
        write_site(site, {R: files[R]})
        assert run("build", site).code == 1
        assert tree_digest(site / "output") == before


def test_a_near_miss_of_a_known_key_is_an_error_and_other_keys_are_kept(tmp_path, run):
    site = write_site(tmp_path, {R: release(partner="[UNICEF]", tags="[x]")})
    result = run("build", site)
    assert result.code == 1 and not (site / "output").exists()
    assert "r.md:4: error: `partner` is not a key presskit knows" in result.err
    assert "did you mean `partners`?" in result.err
    assert "r.md:5" in result.err and "did you mean `topics`?" in result.err
    (site / R).write_text(release(press_contact="Lan"))  # far from every key: kept, no noise
    kept = run("build", site)
    assert kept.code == 0 and "press_contact" not in kept.err


def test_yaml_means_what_the_writer_meant(tmp_path, run):
    site = write_site(tmp_path, {R: release(title="yes", countries="[NO]", subtitle="2023-05-22",
                                            location="on")})
    assert run("build", site).code == 0
    page = (site / "output/releases/r/index.html").read_text()
    assert "<h1>yes</h1>" in page
    assert "2023-05-22</p>" in page.replace('class="standfirst">', "")
    assert 'href="/news/countries/norway/"' in page
    assert 'href="/news/countries/canada/"' not in page  # ON is not a country code


def test_bad_as_of_is_a_usage_error(tmp_path, run):
    site = write_site(tmp_path, {R: release()})
    result = run("build", site, "--as-of", "next tuesday")
    assert result.code == 2
    assert "--as-of 'next tuesday' is not a date-time" in result.err
