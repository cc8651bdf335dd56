"""Rendered bodies held packed (markdown.PackedBody): the same text, links and words as the
open body, in the build, the cache and across processes."""

from __future__ import annotations

import pickle
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from presskit import render, search, store
from presskit.build import BuildResult, build, make_site
from presskit.markdown import BodyRenderer, PackedBody, RenderedBody

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate

from conftest import tree_digest

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)

TEXT = """\
Hà Nội hosts the *first* training on [gender budgeting](/releases/other/).

![A chart](/media/chart.png)

| Province | Trained |
|---|---|
| Quảng Bình | 40 |
"""


def _open() -> RenderedBody:
    body = BodyRenderer("/news/").render(TEXT, 7)
    search.body_words(body)
    return body


def test_a_packed_body_reads_as_the_open_one():
    body = _open()
    packed = PackedBody.of(body)
    assert packed.counted and packed.html == body.html and packed.words == body.words
    assert packed.first_paragraph == body.first_paragraph and packed.links == body.links
    assert packed == body and body == packed and PackedBody.of(packed) is packed
    assert len(packed.packed) < len(body.html) + len(body.words[0])
    moved = pickle.loads(pickle.dumps(packed))  # as a worker sends it back
    assert isinstance(moved, PackedBody) and moved == body and moved.words == body.words


def test_a_body_packed_by_an_older_presskit_reads_as_it_was_and_words_open_alone(monkeypatch):
    """A store or kept graph from before packs (HTML, words) as one zlib stream: still read.
    A body packed now holds its words first, and opening them opens none of its HTML."""
    import marshal
    import zlib

    body = _open()
    pack = zlib.compress(marshal.dumps((body.html, body.words)), 1)
    older = PackedBody(body.first_paragraph, body.links, pack, True)
    assert older.html == body.html and older.words == body.words and older == body
    packed = PackedBody.of(body)
    opened: list[int] = []
    real = marshal.loads
    monkeypatch.setattr(marshal, "loads", lambda data: opened.append(len(data)) or real(data))
    assert packed.words == body.words
    assert opened == [len(marshal.dumps(body.words))]  # the words' bytes, not the HTML's


def test_words_counted_later_are_packed_with_the_text():
    body = BodyRenderer("/").render(TEXT, 1)
    packed = PackedBody.of(body)
    assert not packed.counted and packed.words is None
    assert search.body_words(packed) == search.body_words(body)
    assert packed.counted and packed.words == body.words and packed.html == body.html


def test_the_cache_gives_back_stored_bodies_packed_and_whole(tmp_path, monkeypatch):
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)  # files just written are trusted
    site = generate(12, tmp_path / "site", seed=3)
    result = build(site)
    releases = store.ReleaseStore(site)
    connection = releases._connect()
    assert connection is not None
    with connection:
        keys = dict(connection.execute("SELECT source, key FROM releases"))
    connection.close()
    assert not result.site.bodies  # let go of once stored (a build's memory at its end)
    made = make_site(site)  # for the partners and programmes put back, and the bodies
    content = made.content
    found = releases.load(keys, content.partners, content.programmes)
    assert found is not None and len(found) == 12
    by_source = {str(release.source): body for release, body in made.site.bodies.items()}
    for source, (_, body) in found.items():
        assert isinstance(body, PackedBody)
        assert body == by_source[source] and body.words == by_source[source].words


def test_a_build_on_several_cores_holds_its_bodies_packed_and_makes_the_same_files(tmp_path, monkeypatch):
    site = generate(30, tmp_path / "site", seed=5)
    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(search, "PARALLEL_AT_LEAST", 2)

    def made(workers: int):
        rendered = make_site(site, as_of=AS_OF, workers=workers).site
        files = {f.path: f.data if f.data is not None else str(f.source) for f in rendered.files}
        return files, rendered.bodies

    parallel, bodies = made(2)
    assert bodies and all(isinstance(body, PackedBody) for body in bodies.values())
    one, open_bodies = made(1)
    assert parallel == one
    assert not any(isinstance(body, PackedBody) for body in open_bodies.values())


def test_pages_go_to_the_workers_in_order_in_chunks_that_shrink_as_fewer_are_left():
    """The pages of a site, in order, each once: 32 at a time while many are left, then fewer,
    so that the heavy pages at the end of a site's order (archives, countries, topics) are
    shared among the workers rather than left in one chunk to one of them."""
    for count, workers in ((536, 2), (16_000, 2), (40, 4), (1, 2)):
        chunks = render._guided_chunks(count, workers)
        assert [index for chunk in chunks for index in chunk] == list(range(count))
        sizes = [len(chunk) for chunk in chunks]
        assert max(sizes) <= 32 and sizes == sorted(sizes, reverse=True)
        assert sizes[-min(count, 2 * workers):] == [1] * min(count, 2 * workers)
    assert render._guided_chunks(536, 2)[0] == list(range(32))


def test_the_cache_keeps_no_markdown_and_a_template_that_shows_it_still_gets_it(tmp_path, monkeypatch):
    """A release lent by the cache holds its rendered text, not its Markdown (its file keeps
    that); one rendered in this build lets go of its Markdown once rendered. A template that
    shows `release.body` gets the Markdown all the same, read again from the file."""
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)  # files just written are trusted
    site = generate(12, tmp_path / "site", seed=4)
    target = sorted((site / "content/releases").rglob("*.md"))[3]
    phrase = "Quảng Bình trains forty budget officers"
    target.write_text(target.read_text() + f"\n{phrase}.\n")
    build(site)
    with store.ReleaseStore(site)._connect() as connection:  # type: ignore[union-attr]
        models = [model for (model,) in connection.execute("SELECT model FROM releases")]
    assert len(models) == 12 and not any(phrase.encode() in model for model in models)

    theme = render.builtin_theme() / "release.html"
    (site / "templates").mkdir()
    (site / "templates/release.html").write_text(theme.read_text().replace(
        '<div class="release-body prose">', '<pre class="markdown">{{ release.body }}</pre>\n'
        '    <div class="release-body prose">'))
    result = build(site)
    assert isinstance(result, BuildResult)  # a full build: a template changed
    shown = next(release for release in result.graph.releases if release.source == target.resolve())
    assert shown.text is not None and shown.text._value is None  # let go of, once rendered
    page = site / "output" / shown.path.strip("/") / "index.html"
    assert f"{phrase}.\n</pre>" in page.read_text()


def test_cards_made_on_other_cores_go_to_the_store_as_they_come(tmp_path, monkeypatch):
    """A build that keeps its cards writes those its rendering workers made as they come,
    rather than holding them to its end (a worker keeps a few, and reads the others back);
    the next build after an edit reads them back too."""
    monkeypatch.setattr("presskit.cache._RACY_SECONDS", -1e9)  # files just written are trusted
    monkeypatch.setattr("presskit.build.cores", lambda: 2)
    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(render, "WORKER_CARDS", 4)
    site = generate(30, tmp_path / "site", seed=6)
    held: list[int] = []
    save_cards = store.ReleaseStore.save_cards

    def saving(self, cards, releases, pages=None):  # type: ignore[no-untyped-def]
        held.append(len(cards))
        save_cards(self, cards, releases, pages)

    monkeypatch.setattr(store.ReleaseStore, "save_cards", saving)
    build(site)
    with store.ReleaseStore(site)._connect() as connection:  # type: ignore[union-attr]
        rows = connection.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    assert rows >= 30 and held[-1] < rows / 2
    first = tree_digest(site / "output")
    cold = tmp_path / "cold"
    shutil.copytree(site / "content", cold / "content")
    shutil.copy(site / "presskit.toml", cold / "presskit.toml")

    target = sorted((site / "content/releases").rglob("*.md"))[4]
    target.write_text(target.read_text().replace("title: ", "title: Renamed ", 1))
    (site / ".presskit-cache/site-graph").unlink()  # a full build, not a change in place
    assert isinstance(build(site), BuildResult)
    edited = tree_digest(site / "output")

    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 10**9)  # on one core: the reference
    build(cold)
    assert first == tree_digest(cold / "output")
    shutil.copy(target, cold / "content" / target.relative_to(site / "content"))
    build(cold)
    assert edited == tree_digest(cold / "output")


def test_workers_fork_from_a_trimmed_heap_and_without_glibc_all_the_same(tmp_path, monkeypatch):
    """Before a pool of workers is forked, the heap's free memory is given back (glibc's
    malloc_trim); where the C library is not glibc, the pool is forked as it is."""
    import ctypes

    from presskit import forks

    site = generate(30, tmp_path / "site", seed=7)
    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
    trimmed: list[int] = []
    monkeypatch.setattr(forks, "trim", lambda: trimmed.append(1))
    files = {f.path: f.data for f in make_site(site, as_of=AS_OF, workers=2).site.files}
    assert trimmed

    def no_glibc(name: str) -> None:
        raise OSError(name)

    monkeypatch.undo()
    monkeypatch.setattr(render, "PARALLEL_AT_LEAST", 2)
    monkeypatch.setattr(forks, "_LIBC", None)
    monkeypatch.setattr(ctypes, "CDLL", no_glibc)
    again = {f.path: f.data for f in make_site(site, as_of=AS_OF, workers=2).site.files}
    assert forks._LIBC is False and again == files


def test_the_site_made_later_lets_go_of_the_texts_of_the_site_it_was_made_from(tmp_path):
    """A full build writes its pages while it makes the rest `later` (build.publish_made), then
    lets go of its texts through the whole site: the first one, still held while the build
    ends, must not hold them (at 50,000 releases, 0.1 GB past the peak)."""
    site = generate(12, tmp_path / "site", seed=3)
    first = make_site(site, as_of=AS_OF, later=True).site
    assert first.later is not None and not any(f.path.startswith("search/data/") for f in first.files)
    whole = first.later()
    assert any(f.path.startswith("search/data/") for f in whole.files)
    assert len(first.bodies) == len(whole.bodies) == 12
    whole.let_go_of_bodies()
    assert not first.bodies
