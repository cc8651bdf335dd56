"""Releases kept asleep with a kept graph's content (presskit.asleep): taken back, they are the
releases that were kept, with the very partners, programmes and files of the content, and
what only their own pages show is unpickled when first asked for."""

from __future__ import annotations

import dataclasses
import io
import pickle
from datetime import datetime
from pathlib import Path

from presskit import asleep, pickled
from presskit.countries import Country
from presskit.models import Asset, Partner, Photo, Release, Text, detached


def kept_and_taken_back(releases: list[Release],
                        partners: tuple[Partner, ...]) -> tuple[list[Release], tuple[Partner, ...]]:
    buffer = io.BytesIO()
    pickled.dump((releases, partners), buffer, kinds=(Release, asleep.Asleep),
                 reduced=asleep.put_to_sleep(releases))
    return pickled.load(io.BytesIO(buffer.getvalue()))  # type: ignore[no-any-return]


def made(tmp_path: Path) -> tuple[list[Release], tuple[Partner, ...]]:
    partner = Partner("vwu", "Viet Nam Women's Union", tmp_path / "content/partners/vwu.md")
    viet_nam = Country("VN", "Viet Nam", "VNM", "viet-nam", "/")
    photo = Asset(tmp_path / "content/media/market.jpg", "/media/market.jpg")
    releases = []
    for number in range(3):
        source = tmp_path / f"content/releases/release-{number}.md"
        releases.append(Release(
            source, f"release-{number}", f"Title {number}", datetime(2024, 3, number + 1),
            False, subtitle=f"Subtitle {number}", location="Ha Noi", countries=(viet_nam,),
            partners=(partner,),
            topics=("Gender equality",), photos=(Photo(photo, "A market", "Caption", "Credit"),),
            summary=f"Summary {number}", text=Text(None, source, f"digest-{number}", 5, (), False, "marked"),
            body_line=5, extra={"note": number}, digest=f"digest-{number}", lang="en"))
    return releases, (partner,)


def test_a_release_taken_back_asleep_is_the_one_kept_once_a_sleeping_field_is_read(tmp_path: Path) -> None:
    releases, partners = made(tmp_path)
    back, partners_back = kept_and_taken_back(releases, partners)
    first = back[0]
    assert type(first) is asleep.Asleep and isinstance(first, Release)
    assert (first.date, first.slug, first.digest, first.path) == (releases[0].date, "release-0", "digest-0",
                                                                   releases[0].path)
    assert asleep.photo_paths(first) == ("/media/market.jpg",)
    assert type(first) is asleep.Asleep  # what places it is awake: asking for it wakes nothing
    assert first.title == "Title 0"
    assert type(first) is Release and set(vars(first)) >= {f.name for f in dataclasses.fields(Release)}
    assert not {name for name in vars(first) if name.startswith("_")}  # nothing of its sleep left
    assert asleep.photo_paths(first) == ("/media/market.jpg",)
    for kept, taken in zip(releases, back, strict=True):
        assert detached(taken, text=False) == detached(kept, text=False)  # every field, as plain values
        assert taken.text is not None and kept.text is not None
        assert (taken.text.digest, taken.text.line, taken.text.marked) == (
            kept.text.digest, kept.text.line, kept.text.marked)
        # the objects the content shares are the same objects, awake or asleep
        assert taken.partners[0] is partners_back[0]
        assert taken.text.source is taken.source
    assert back[1].photos[0].asset is back[2].photos[0].asset


def test_a_release_asleep_pickles_copies_and_is_replaced_as_a_plain_release(tmp_path: Path) -> None:
    releases, partners = made(tmp_path)
    back, _ = kept_and_taken_back(releases, partners)
    copied = pickle.loads(pickle.dumps(back[0]))
    assert type(copied) is Release and copied.title == "Title 0" and copied.extra == {"note": 0}
    replaced = dataclasses.replace(back[1], summary="New summary")
    assert type(replaced) is Release and (replaced.title, replaced.summary) == ("Title 1", "New summary")
    assert type(back[1]) is Release  # (woken by being read whole)
    assert repr(back[2]).startswith("Release(") and "Subtitle 2" in repr(back[2])
