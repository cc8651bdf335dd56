"""Finding partners and programmes by any of their names, and suggesting the near misses."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

from presskit.errors import Problem
from presskit.text import normalise

T = TypeVar("T")


class Directory(Generic[T]):
    """Entities of one kind by every name they answer to: id, short name, full name, aliases."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._by_name: dict[str, tuple[T, str, Path]] = {}  # name -> (entity, label, file)

    def add(self, entity: T, label: str, names: Iterable[str], source: Path, line: int,
            problems: list[Problem]) -> None:
        for name in names:
            key = normalise(name)
            if not key:
                continue
            owner = self._by_name.get(key)
            if owner is None:
                self._by_name[key] = (entity, label, source)
            elif owner[0] is not entity:
                problems.append(Problem(
                    source, line,
                    f"the name {name!r} is already used by the {self.kind} in {owner[2].name}",
                    f"give each {self.kind} its own names, so that a release can say which it means",
                ))

    def entities(self) -> list[T]:
        """Each entity once, in the order they were added."""
        return list({id(entity): entity for entity, _, _ in self._by_name.values()}.values())

    def find(self, written: str) -> T | None:
        found = self._by_name.get(normalise(written))
        return found[0] if found else None

    def suggest(self, written: str) -> list[str]:
        """Labels of up to three entities whose names are close to what was written."""
        close = difflib.get_close_matches(normalise(written), list(self._by_name), n=8, cutoff=0.7)
        labels: list[str] = []
        for key in close:
            label = self._by_name[key][1]
            if label not in labels:
                labels.append(label)
        return labels[:3]

    def labels(self) -> list[str]:
        return sorted({label for _, label, _ in self._by_name.values()})


def did_you_mean(suggestions: list[str], fallback: str, also: str = "") -> str:
    """"did you mean X or Y?" when something is close, else the fallback advice."""
    if not suggestions:
        return fallback
    quoted = " or ".join(f'"{name}"' for name in suggestions)
    return f"did you mean {quoted}?" + (f" ({also})" if also else "")
