"""What the preview learned of a site, kept for its next start (`serve`).

A preview that starts on a site it kept (nothing changed since) serves the kept files at once,
but a save is a quick rebuild only once the preview holds the site in memory: the releases
and their texts, the graph, the pages that show each release, the fingerprints of what pages
show and the checked models of every file. Learning that again (every stored release read,
the graph made, every page fingerprinted) took 2.2-2.7 s at 10,000 releases, and the first
save waited for it. The preview now keeps what it learned in one sealed file beside the kept
site, taken back in about a quarter of that.

It is taken back only with the record it was kept with (the digest of that record's file): a
preview kept again since, by a start that rebuilt what changed or by quick rebuilds after
edits, leaves it unused, as do another presskit and a damaged or foreign file (sealed: never
unpickled unless this user's presskit wrote it). Everything else in it is checked as in any
build: a file whose size or time changed is read again.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from presskit import __version__, pickled, quick, retouch, store
from presskit.cache import BuildMemory
from presskit.graph import Newsroom
from presskit.markdown import RenderedBody
from presskit.models import Content, Release
from presskit.render import RenderedSite

_FILE = "learned"
_FORMAT = 3

# What a build's memory holds that the next rebuild reuses, each entry checked as it is used
# (a file's size and time, a text's key, a card's fingerprint). Not kept: the pages'
# fingerprints (the record has them), Jinja's environments (made again when first asked), what
# belongs to one build (progress, the spill folder, the kept cards' reader), and the search
# entries: each holds its release's text and words again (76 of 166 MB at 10,000 releases, a
# quarter of a second more to take back, in the wait of the first save after a start): the
# started preview makes them again while saves pause (Preview.make_search_entries_when_quiet),
# before the only rebuild that asks for them all, an index made anew (many releases changed or
# moved, or a day given more releases than any had: see search.index_from), needs them.
_MEMORY = ("files", "bodies", "body_options", "fragments", "models", "copies", "graph", "media",
           "search_cards")


@dataclass(frozen=True)
class Learned:
    """A preview's site in memory: the site served (for card edits and moves), the releases
    the next quick rebuild lends, the sources of the releases shown, the next embargo, and
    the reusable part of its build memory."""

    kept: retouch.KeptSite
    releases: quick.MemoryStore
    shown: frozenset[str]
    next_embargo: datetime | None
    memory: dict[str, Any]

    @classmethod
    def of(cls, kept: retouch.KeptSite, releases: quick.MemoryStore, shown: set[str],
           next_embargo: datetime | None, memory: BuildMemory) -> Learned:
        return cls(kept, releases, frozenset(shown), next_embargo,
                   {name: getattr(memory, name) for name in _MEMORY})

    def into(self, memory: BuildMemory) -> None:
        """Give `memory` what this preview's memory held."""
        for name, value in self.memory.items():
            setattr(memory, name, value)


def memory_store(environment_key: str, content: Content, newsroom: Newsroom,
                 bodies: Mapping[Release, RenderedBody]) -> quick.MemoryStore:
    """The releases of a site built in memory, for the quick rebuilds that follow it."""
    kept = quick.MemoryStore()
    key = quick.store_key(environment_key, content.partners, content.programmes)
    kept.keep((key(release.digest), release, bodies[release]) for release in newsroom.releases)
    return kept


def of_build(record: quick.Record, content: Content, newsroom: Newsroom, site: RenderedSite,
             memory: BuildMemory) -> Learned | None:
    """What a preview's full build (the start's own process) learned of the site, as the
    preview would hold it had it made that build in memory; None if its memory did not note
    the releases each page shows."""
    if memory.shows is None:
        return None
    kept = retouch.KeptSite.built(content, newsroom, site, memory.shows)
    kept.shown_on.turned()
    releases = memory_store(record.environment, content, newsroom, site.bodies)
    return Learned.of(kept, releases, {str(release.source) for release in newsroom.releases},
                      newsroom.next_embargo, memory)


def record_digest(record_data: bytes) -> str:
    """What a learned state is kept under: the digest of its record's file."""
    return hashlib.sha256(record_data).hexdigest()


def keep(site_dir: Path, part: str, record_data: bytes, learned: Learned) -> bool:
    """Keep what the preview learned, under the record it matches (its file's bytes, as on
    disk); False if it could not be (the next start learns the site again)."""
    try:
        data = (pickle.dumps((_FORMAT, __version__, record_digest(record_data)))
                + pickled.dumps(learned))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        forget(site_dir, part)
        return False
    store.write_cache(site_dir, _FILE, data, part)
    return True


def recall(site_dir: Path, part: str, record_data: bytes) -> Learned | None:
    """What the preview learned when it kept the site this record (its file's bytes)
    describes, or None."""
    data = store.read_cache(site_dir, _FILE, part)
    if data is None:
        return None
    stream = io.BytesIO(data)  # two pickles: what it was kept with, then what was learned
    gc.disable()  # hundreds of thousands of objects, none of them garbage
    try:
        if pickle.load(stream) != (_FORMAT, __version__, record_digest(record_data)):
            return None  # kept with another record, or by another presskit
        learned = pickled.load(stream)
    except Exception:  # sealed, so ours; but one that does not fit is just not used
        return None
    finally:
        # What was taken back lives as long as the preview: kept out of the collector's
        # young generations (whose first pass over it took 0.2 s at 10,000 releases, in the
        # first save's wait) until the preview lets it in, once saves pause (`settle`).
        gc.freeze()
        gc.enable()
    return learned if isinstance(learned, Learned) else None


def settle() -> None:
    """Let the collector see what `recall` took back (and anything made since), as the
    oldest generation: it is collected with the rest of the preview from then on."""
    gc.unfreeze()


def forget(site_dir: Path, part: str) -> None:
    with contextlib.suppress(OSError):
        store.forget(site_dir, _FILE, part)
