"""Sealing what presskit keeps in a site's .presskit-cache/, so that it stays data.

The cache holds things that would run code if loaded blindly (stored releases, compiled
templates). Each is sealed with a keyed BLAKE3 hash (a MAC) made with a key that lives outside
every site, in the user's own cache folder; anything whose seal does not match (planted,
damaged, made on another machine or by another user) is ignored, and the build is a cold one.
Without a key file that can be kept, the key lives for this process only: the cache still
works within a run. A deploy pipeline, whose machines are new each time, gives its key in
PRESSKIT_CACHE_KEY.

BLAKE3 rather than HMAC-SHA256: a build after a move at 10,000 releases in two languages reads
40 MB of the cache and writes 23 MB, whose seals took 0.057 s with HMAC-SHA256 (in hardware)
and take 0.012 s.
"""

from __future__ import annotations

import hmac
import os
import secrets
from functools import cache
from pathlib import Path
from typing import BinaryIO

from blake3 import blake3

_SEAL_BYTES = 32
_KEY_BYTES = 32


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "presskit" / "cache-key"


KEY_VARIABLE = "PRESSKIT_CACHE_KEY"  # a deploy pipeline's key, from its secrets (64 hex digits)


@cache
def _seal_key() -> bytes:
    """The key of the seals: derived from the user's (or pipeline's) key, of any length."""
    return blake3(_key(), derive_key_context="presskit 2026-12-05 cache seal").digest()


@cache
def _key() -> bytes:
    """The key from PRESSKIT_CACHE_KEY, else this user's: read, or made once and kept readable
    by the user only."""
    given = os.environ.get(KEY_VARIABLE, "").strip()
    if given:
        try:
            key = bytes.fromhex(given)
            if len(key) >= _KEY_BYTES:
                return key
        except ValueError:
            pass
        raise SystemExit(f"presskit: {KEY_VARIABLE} must be at least 64 hexadecimal digits "
                         "(make one with: python -c \"import secrets; print(secrets.token_hex(32))\")")
    path = _key_file()
    try:
        key = path.read_bytes()
        if len(key) == _KEY_BYTES:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".cache-key.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
        try:
            os.link(temporary, path)  # the first process to make a key wins; others read it
        except FileExistsError:
            kept = path.read_bytes()
            if len(kept) == _KEY_BYTES:
                key = kept
        finally:
            temporary.unlink(missing_ok=True)
    except OSError:
        pass  # a key for this process only
    return key


def seal(data: bytes) -> bytes:
    """The data with its seal in front."""
    return mark(data) + data


def mark(data: bytes | memoryview) -> bytes:
    """The seal of the data alone, to write in front of it (see `seal`)."""
    return blake3(data, key=_seal_key()).digest()


class Sealing:
    """A file written through this is sealed as `seal` seals its bytes: room for the seal is
    left in front, and the seal written there once the rest is (see `close`)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.marking = blake3(key=_seal_key())
        file.write(bytes(_SEAL_BYTES))

    def write(self, data: bytes | memoryview) -> int:
        self.marking.update(data)
        return self.file.write(data)

    def close(self) -> None:
        self.file.seek(0)
        self.file.write(self.marking.digest())


def unseal(sealed: bytes | None) -> bytes | None:
    """The data if its seal is right; None for anything else."""
    if not sealed or len(sealed) < _SEAL_BYTES:
        return None
    return checked(sealed[:_SEAL_BYTES], sealed[_SEAL_BYTES:])


def read_sealed(path: Path) -> bytes | None:
    """The data of a sealed file if its seal is right (None for anything else), read as two
    pieces: the data is not copied out of the file's bytes (15 MB, the record of 10,000
    releases in two languages), which holds Python's lock as `unseal` does it."""
    with open(path, "rb", buffering=0) as file:
        found = file.read(_SEAL_BYTES)
        return checked(found, file.readall()) if len(found) == _SEAL_BYTES else None


def checked(found: bytes, data: bytes) -> bytes | None:
    """The data if `found` is its seal."""
    return data if hmac.compare_digest(found, mark(data)) else None
