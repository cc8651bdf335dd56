"""SPEC 6, trust under attack and accident: the cache is data, never code, and a damaged cache
never fails a build."""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import tree_digest
from test_quick import aged, cold_output, generate


class Payload:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.marker), "w"))


def edit_one(site: Path, words: str) -> None:
    target = sorted((site / "content/releases").rglob("*.md"))[2]
    target.write_text(target.read_text() + f"\n{words}\n")


def test_a_pickle_planted_in_the_release_store_never_runs(tmp_path, run):
    site = aged(generate(20, tmp_path / "site", seed=21))
    assert run("build", site).code == 0
    marker = tmp_path / "pwned"
    payload = pickle.dumps(Payload(marker))
    with sqlite3.connect(site / ".presskit-cache/releases.sqlite") as db:
        db.execute("UPDATE releases SET model = ?", (payload,))
    for words in ("A line that makes a quick rebuild.", "A second one."):
        edit_one(site, words)
        result = run("build", site)
        assert result.code == 0, result.err
        assert not marker.exists()
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))  # a full build
    assert run("build", site).code == 0
    assert not marker.exists()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def test_compiled_templates_planted_in_the_cache_never_run(tmp_path, run):
    from jinja2.bccache import bc_magic

    site = aged(generate(10, tmp_path / "site", seed=22))
    assert run("build", site).code == 0
    compiled = sorted((site / ".presskit-cache/templates").iterdir())
    assert compiled
    marker = tmp_path / "pwned"
    for file in compiled:  # Jinja reads a bucket's checksum with pickle
        file.write_bytes(bc_magic + pickle.dumps(Payload(marker)))
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    result = run("build", site)
    assert result.code == 0, result.err
    assert not marker.exists()
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)


def _file_for_folder(cache: Path) -> None:
    shutil.rmtree(cache)
    cache.write_text("not a folder")


def _folder_for(name: str):  # type: ignore[no-untyped-def]
    def damage(cache: Path) -> None:
        path = cache / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        (path / "inside").mkdir(parents=True)
    return damage


def _file_for_templates(cache: Path) -> None:
    shutil.rmtree(cache / "templates")
    (cache / "templates").write_text("x")


def _row_of_a_class_that_is_gone(cache: Path) -> None:
    import presskit.models
    from presskit.seal import seal

    class Gone:  # a class of an older presskit, pickled then, and since removed
        pass

    Gone.__module__, Gone.__qualname__ = "presskit.models", "Gone"
    presskit.models.Gone = Gone  # type: ignore[attr-defined]
    gone = pickle.dumps(Gone())
    del presskit.models.Gone  # type: ignore[attr-defined]
    with sqlite3.connect(cache / "releases.sqlite") as db:
        db.execute("UPDATE releases SET model = ?", (seal(gone),))


@pytest.mark.parametrize("damage", [
    _file_for_folder, _folder_for("releases.sqlite"), _folder_for("record"),
    _folder_for("last-build"), _file_for_templates, _row_of_a_class_that_is_gone,
], ids=["cache-is-a-file", "store-is-a-folder", "record-is-a-folder", "stamp-is-a-folder",
        "templates-is-a-file", "row-of-a-gone-class"])
def test_a_damaged_cache_means_a_cold_build_and_is_repaired(tmp_path, run, damage):
    site = aged(generate(12, tmp_path / "site", seed=23))
    assert run("build", site).code == 0
    damage(site / ".presskit-cache")
    edit_one(site, "Words after the damage.")
    result = run("build", site)
    assert result.code == 0 and "Traceback" not in result.err, result.err
    assert tree_digest(site / "output") == cold_output(site, tmp_path / "cold", run)
    aged(site)
    assert run("build", site).code == 0  # the cache is made again, and used
    edit_one(site, "Words once it is repaired.")
    again = run("build", site)
    assert again.code == 0
    assert again.out.startswith("Only the text of 1 release changed"), again.out


def test_check_writes_nothing_at_all(tmp_path, run):
    site = generate(5, tmp_path / "site", seed=24)
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    result = run("check", site)
    assert result.code == 0, result.err
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


@pytest.mark.parametrize("link", ["content/media/secret.png", "content/releases/secret.md",
                                  "content/media/outside", "templates/footer.html"])
def test_a_symbolic_link_out_of_the_site_is_an_error_never_published(tmp_path, run, link):
    from conftest import one_png, release, write_site

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:SECRET\n")
    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A"),
                                          "content/media/photo.png": one_png()})
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(outside if link.endswith("outside") else outside / "passwd")
    inside = site / "content/media/same.png"  # a link within the site is fine
    inside.symlink_to(site / "content/media/photo.png")
    result = run("build", site)
    assert result.code == 1, result.out
    assert f"{Path(link).name}: error: is a symbolic link to" in result.err, result.err
    assert "outside the site folder" in result.err and "same.png" not in result.err
    assert "Traceback" not in result.text
    assert not (site / "output").exists()
    (site / link).unlink()
    assert run("build", site).code == 0
    assert "SECRET" not in "".join(p.read_text(errors="replace")
                                   for p in (site / "output").rglob("*") if p.is_file())


def test_raw_html_is_sanitized_with_a_located_warning_for_each_removal(tmp_path, run):
    from conftest import SETTINGS, release, write_site

    body = "\n".join([
        "A first paragraph with <mark class=\"note\">marked</mark> words.",  # line 6
        "",
        "<script>document.title = 'STOLEN'</script>",  # line 8
        "",
        'A <a href="javascript:alert(1)">bad link</a> and <img src="/media/x.png" alt="x" '
        'onerror="alert(2)">.',  # line 10
        "",
        '<iframe src="https://evil.example/frame"></iframe>',  # line 12
        "",
        '<iframe src="https://www.youtube.com/embed/abc" title="Video"></iframe>',  # line 14
        "",
        '<iframe src="https://media.example.org/player/1" title="Ours"></iframe>',  # line 16
    ])
    site = write_site(tmp_path / "site", {"content/releases/a.md": release("A", body=body)},
                      settings=SETTINGS + 'embed_hosts = ["www.youtube.com", "media.example.org"]\n')
    result = run("build", site)
    assert result.code == 0, result.err
    for expected in ("a.md:8: warning: the <script> element and its content is removed",
                     "a.md:10: warning: a javascript: address in <a href=...>",
                     "a.md:10: warning: the event handler onerror= of <img>",
                     "a.md:12: warning: an <iframe> from evil.example, which is not in embed_hosts"):
        assert expected in result.err, result.err
    assert "a.md:14" not in result.err and "a.md:16" not in result.err and "a.md:6" not in result.err
    assert "embed_hosts" in result.err  # the hint
    page = (site / "output/releases/a/index.html").read_text()
    for gone in ("STOLEN", "javascript:", "onerror", "evil.example"):
        assert gone not in page, gone
    for kept in ('<mark class="note">marked</mark>', 'src="https://www.youtube.com/embed/abc"',
                 'src="https://media.example.org/player/1"', "bad link"):
        assert kept in page, kept
    assert "STOLEN" not in (site / "output/feed.xml").read_text()
