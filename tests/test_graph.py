"""The site graph's related lists, found again only where a change can reach them, are those
found from scratch (a subtle shortcut: see graph._remembered_links)."""

from __future__ import annotations

import dataclasses
import random
import sys
from datetime import UTC, datetime, timedelta

from conftest import REPO
from presskit import graph as graphs
from presskit.config import load_settings
from presskit.errors import Problem
from presskit.graph import build_graph
from presskit.languages import site_languages
from presskit.schema import load_content

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

AS_OF = datetime(2030, 1, 1, tzinfo=UTC)


def _links(graph: graphs.SiteGraph) -> dict[str, tuple[object, ...]]:
    return {release.slug: (link.previous and link.previous.slug, link.next and link.next.slug,
                           tuple(other.slug for other in link.related),
                           tuple(topic.slug for topic in link.topics))
            for release, link in graph.links.items()}


def test_related_lists_after_random_changes_are_those_found_from_scratch(tmp_path, monkeypatch):
    site = generate(240, tmp_path / "site", seed=11)
    settings = load_settings(site)
    problems: list[Problem] = []
    content = load_content(settings, problems)
    assert not problems
    language = site_languages(settings)[0]
    rng = random.Random(3)
    memo: dict[str, object] = {}
    build_graph(content, language, AS_OF, memo=memo)
    found_again = []
    real = graphs._related

    def counted(published, wanted, terms):  # type: ignore[no-untyped-def]
        found_again.append(len(published) if wanted is None else len(wanted))
        return real(published, wanted, terms)

    monkeypatch.setattr(graphs, "_related", counted)
    partners = {p for r in content.releases for p in r.partners}
    countries = {c for r in content.releases for c in r.countries}
    for step in range(60):
        releases = list(content.releases)
        kinds = set()
        for _ in range(rng.choice((1, 1, 2, 5))):
            at = rng.randrange(len(releases))
            release = releases[at]
            kind = rng.choice(("date", "date", "partner", "country", "add", "delete", "text", "text"))
            kinds.add(kind)
            if kind == "date":
                days = rng.choice((1, 3, 40, -2, -400))
                releases[at] = dataclasses.replace(release, date=release.date + timedelta(days=days))
            elif kind == "partner":
                chosen = rng.sample(sorted(partners, key=lambda p: p.id), rng.randint(0, 3))
                releases[at] = dataclasses.replace(release, partners=tuple(chosen))
            elif kind == "country":
                chosen = rng.sample(sorted(countries, key=lambda c: c.code), rng.randint(1, 3))
                releases[at] = dataclasses.replace(release, countries=tuple(chosen))
            elif kind == "add":
                releases.append(dataclasses.replace(release, slug=f"added-{step}-{at}"))
            elif kind == "delete" and len(releases) > 20:
                del releases[at]
            else:
                releases[at] = dataclasses.replace(release, title=release.title + " again")
        content = dataclasses.replace(content, releases=tuple(releases))
        found_again.clear()
        remembered = build_graph(content, language, AS_OF, memo=memo)
        if kinds == {"text"}:  # a new title changes no related list: none is found again
            assert not found_again, step
        assert _links(remembered) == _links(build_graph(content, language, AS_OF, memo={})), step
    # A new date finds again a few lists (those near it), not all.
    release = content.releases[7]
    moved = dataclasses.replace(release, date=release.date + timedelta(days=2))
    content = dataclasses.replace(content, releases=(*content.releases[:7], moved, *content.releases[8:]))
    found_again.clear()
    build_graph(content, language, AS_OF, memo=memo)
    assert found_again and 1 <= found_again[0] < len(content.releases) // 3, found_again


def _lists(graph: graphs.SiteGraph) -> dict[str, tuple[str, ...]]:
    found = {"releases": tuple(r.slug for r in graph.releases),
             "held back": tuple(r.slug for r in graph.held_back)}
    for node in (*graph.countries, *graph.partners, *graph.programmes, *graph.topics, *graph.years):
        found[node.path] = tuple(r.slug for r in node.releases)
    for node in graph.countries:  # who works where
        found[node.path + " partners"] = tuple(p.id for p in node.partners)
    for node in graph.partners:
        found[node.path + " countries"] = tuple(c.code for c in node.countries)
    return found


def test_a_graph_with_moved_releases_is_the_graph_made_from_scratch(tmp_path):
    """graph.with_moves (the preview's new dates in the same year, or other partners): every
    list sorted again, partners' lists and who works where (a partner's countries, a country's
    partners) found again, and previous, next and related links as a graph made from scratch
    has them; the releases it says were linked again are those whose links differ, and the
    swapped ones."""
    site = generate(160, tmp_path / "site", seed=4)
    settings = load_settings(site)
    problems: list[Problem] = []
    content = load_content(settings, problems)
    assert not problems
    # Two years of 80 releases each: a new date can take a release far from its neighbours.
    content = dataclasses.replace(content, releases=tuple(
        dataclasses.replace(r, date=r.date.replace(year=2020 + n % 2, day=min(r.date.day, 28)))
        for n, r in enumerate(content.releases)))
    languages = site_languages(settings)
    newsroom = graphs.build_newsroom(content, languages, AS_OF, preview=True)
    partners = sorted(content.partners, key=lambda p: p.id)
    rng = random.Random(8)
    for step in range(60):
        releases = list(content.releases)
        swap = {}
        for at in rng.sample(range(len(releases)), rng.choice((1, 1, 1, 3))):
            old = releases[at]
            if rng.random() < 0.4:  # other partners (maybe none, maybe one that had no release)
                swap[old] = releases[at] = dataclasses.replace(
                    old, partners=tuple(rng.sample(partners, rng.randint(0, 3))))
                continue
            day = old.date.replace(month=rng.randint(1, 12), day=rng.randint(1, 28))
            if rng.random() < 0.2:  # the same day as another release of the year: by address then
                day = rng.choice([r.date for r in releases if r.date.year == old.date.year])
            swap[old] = releases[at] = dataclasses.replace(old, date=day)
        content = dataclasses.replace(content, releases=tuple(releases))
        before = newsroom.graphs[0]
        newsroom, relinked = graphs.with_moves(newsroom, swap)
        fresh = graphs.build_newsroom(content, languages, AS_OF, preview=True).graphs[0]
        moved = newsroom.graphs[0]
        assert _lists(moved) == _lists(fresh), step
        assert _links(moved) == _links(fresh), step
        old_links = _links(before)
        differ = {slug for slug, links in _links(fresh).items() if links != old_links[slug]}
        assert differ | {r.slug for r in swap.values()} == {r.slug for r in relinked}, step
        assert set(moved.links) == set(moved.releases) == set(content.releases)
        linked = {other for link in moved.links.values()
                  for other in (link.previous, link.next, *link.related) if other is not None}
        assert linked <= set(content.releases), step  # no link to a release as it was


def test_a_graph_with_an_added_or_removed_release_is_the_graph_made_from_scratch(tmp_path):
    """graph.with_release (the preview's new or deleted release file): every list takes the
    release in its place or closes up, who works where is found again, and the links are
    those of a graph made from scratch; the releases it says were linked again are those whose
    links differ, and an added one. When it declines (None), the change does more than that:
    a term or a year gains its first release or loses its last, or the release is embargoed,
    withdrawn, an event or a version of another."""
    site = generate(120, tmp_path / "site", seed=9)
    settings = load_settings(site)
    problems: list[Problem] = []
    content = load_content(settings, problems)
    assert not problems
    languages = site_languages(settings)
    newsroom = graphs.build_newsroom(content, languages, AS_OF, preview=True)
    rng = random.Random(5)
    done, declined = 0, 0
    for step in range(80):
        releases = list(content.releases)
        before = newsroom.graphs[0]
        if rng.random() < 0.5:
            release = rng.choice(releases)
            releases.remove(release)
            adding = False
        else:
            model = rng.choice(releases)
            day = model.date.replace(year=rng.choice((2015, 2020, 2026, 2009)), day=rng.randint(1, 28))
            if rng.random() < 0.2:  # the same day as another release: by address then
                day = rng.choice(releases).date
            release = dataclasses.replace(model, slug=f"added-{step}", key=f"added-{step}", date=day,
                                          source=model.source.with_name(f"added-{step}.md"),
                                          draft=rng.random() < 0.2,
                                          embargo=AS_OF + timedelta(days=1) if rng.random() < 0.05 else None,
                                          topics=(*model.topics, "A topic of its own")
                                          if rng.random() < 0.1 else model.topics)
            releases.append(release)
            adding = True
        content = dataclasses.replace(content, releases=tuple(releases))
        scratch = graphs.build_newsroom(content, languages, AS_OF, preview=True)
        fresh = scratch.graphs[0]
        changed = graphs.with_release(newsroom, content, release, adding=adding)
        if changed is None:
            declined += 1
            terms = {node.path: node.name for node in (*before.countries, *before.partners,
                                                        *before.programmes, *before.topics, *before.years)}
            now = {node.path: node.name for node in (*fresh.countries, *fresh.partners,
                                                     *fresh.programmes, *fresh.topics, *fresh.years)}
            emptied = any(not node.releases for node in (*fresh.countries, *fresh.partners,
                                                         *fresh.programmes, *fresh.topics))
            assert terms != now or emptied or release.embargo, step
            newsroom = graphs.build_newsroom(content, languages, AS_OF, preview=True)
            continue
        done += 1
        newsroom, relinked = changed
        grown = newsroom.graphs[0]
        assert _lists(grown) == _lists(fresh), step
        assert {n.path: tuple(p.id for p in n.programmes) for n in grown.countries} == \
            {n.path: tuple(p.id for p in n.programmes) for n in fresh.countries}, step
        assert _links(grown) == _links(fresh), step
        old_links = _links(before)
        differ = {slug for slug, links in _links(fresh).items() if links != old_links.get(slug)}
        assert differ == {r.slug for r in relinked}, step
        assert set(grown.links) == set(grown.releases) == set(content.releases)
        # The versions of each release, kept up to date rather than found again.
        assert {key: {r.slug for r in found} for key, found in newsroom.by_key.items()} == \
            {key: {r.slug for r in found} for key, found in scratch.by_key.items()}, step
    assert done >= 40 and declined >= 3, (done, declined)
