"""Publishing a build: everything goes to a staging folder, which then takes output/'s place.

A build that fails leaves output/ as it was; one that succeeds leaves only what it made.
presskit only ever replaces an output folder it created itself (it leaves a marker file).
An output/ that cannot be replaced (a mount point) or that the user made (empty, no marker)
is kept and filled in place: staged inside, then each top-level entry swapped in.

An exception that escapes after output/ was changed carries the note OUTPUT_CHANGED, so
that the command never says "output/ was not changed" when it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from presskit import forks
from presskit.cache import entries_below
from presskit.errors import BuildFailed, Problem
from presskit.render import OutputFile

MARKER = ".presskit-output"
STAGING_PREFIX = ".output.staging-"
RETIRED_PREFIX = ".output.old-"
INSIDE_PREFIX = ".presskit-staging-"  # staging inside an output/ filled in place
IN_PLACE = "in place"  # in the marker: this folder is not presskit's to replace
OUTPUT_CHANGED = "presskit: output/ was changed before this error"


@dataclass(frozen=True)
class Published:
    files: int  # files in the new output/
    written: int  # of which were written because their bytes are new or changed
    # The files written or removed (paths inside output/) when output/ was kept and only
    # those were; None when the whole folder was replaced.
    changed: tuple[str, ...] | None = None


def publish(files: Iterable[OutputFile], output_dir: Path,
            more: Callable[[], Iterable[OutputFile]] | None = None) -> Published:
    """Write the files as the new content of output_dir, all at once.

    A file whose bytes are the same as in the current output/ is not written again: the
    staging folder gets a hard link to it, so its time stays and deploy tools skip it.

    With `more`, these files are written by a process forked from this one, while this one
    calls `more()` for the rest of the site (other paths) and writes those: writing tens of
    thousands of files is the kernel's work on one core, which leaves the other free for it
    (see build.publish_made).
    """
    _check_ours(output_dir)
    previous = output_dir if (output_dir / MARKER).is_file() else None
    in_place = _in_place(output_dir)
    if in_place:
        _remove_leftovers(output_dir, "", (INSIDE_PREFIX,))
        staging = Path(tempfile.mkdtemp(prefix=INSIDE_PREFIX, dir=output_dir))
    else:
        _remove_leftovers(output_dir.parent, f"{output_dir.name}-", (STAGING_PREFIX, RETIRED_PREFIX))
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{output_dir.name}-",
                                        dir=output_dir.parent))
    try:
        if more is None:
            count, written = _stage(files, staging, previous)
        else:
            with forks.aside(functools.partial(_stage, files, staging, previous)) as first:
                count, written = _stage(more(), staging, previous)
                counted, staged = first()
            count, written = count + counted, written + staged
        note = f"{IN_PLACE}\n" if in_place else ""
        (staging / MARKER).write_text("This folder is written by presskit build; edits are lost.\n" + note)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a web server must read it
        if in_place:
            _fill_in_place(staging, output_dir)
        else:
            _swap_in(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Published(count, written)


def _stage(files: Iterable[OutputFile], staging: Path, previous: Path | None) -> tuple[int, int]:
    """Put the files into the staging folder, each linked to the file of the current output/
    (`previous`) where its bytes are the same; how many files, and how many were written."""
    count = written = 0
    made: set[Path] = set()
    for file in files:
        parts = _safe_parts(file.path)
        target = staging.joinpath(*parts)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        old = previous.joinpath(*parts) if previous else None
        if old is None or not _same(file, old) or not _link(old, target):
            _put(file, target)
            written += 1
        count += 1
    return count, written


def _in_place(output_dir: Path) -> bool:
    """Whether output/ is to be filled rather than replaced: a mount point, a folder the user
    made (empty, without presskit's marker), or one that was filled so before."""
    if not output_dir.is_dir():
        return False
    if os.path.ismount(output_dir):
        return True
    try:
        return IN_PLACE in (output_dir / MARKER).read_text()
    except OSError:
        return True  # an empty folder the user made (_check_ours refused any other)


def _fill_in_place(staging: Path, output_dir: Path) -> None:
    """Move each top-level entry of the staging folder (inside output/) into output/, each in
    one step, then remove what the new build no longer has."""
    keep = set(os.listdir(staging))
    changed = False
    try:
        for name in sorted(keep, key=lambda n: n == MARKER):  # the marker last
            source, target = staging / name, output_dir / name
            if target.is_dir() and not target.is_symlink() and source.is_dir() and _exchange(source, target):
                shutil.rmtree(source)  # now holds the previous version
            elif target.is_file() and os.path.samefile(source, target):
                source.unlink()  # unchanged, hard-linked: rename() would leave both names
            else:
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                os.replace(source, target)
            changed = True
        for name in os.listdir(output_dir):
            path = output_dir / name
            if name not in keep and path != staging:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        staging.rmdir()
    except BaseException as error:
        if changed:
            error.add_note(OUTPUT_CHANGED)
        raise


OLD_SUFFIX = ".presskit-old"
NEW_SUFFIX = ".presskit-new"


def publish_in_place(files: Iterable[OutputFile], output_dir: Path, *,
                     most: bool = False) -> Published | None:
    """Make output/ (as presskit left it) hold exactly these files by writing only those whose
    bytes changed and removing those no longer made, all or nothing: each replaced or removed
    file is kept aside until the last step, and put back if any step fails. None, with
    nothing done, when output/ is not presskit's, a folder in it is a link out of it, or most
    files would be written anyway (`publish` is then as quick) unless `most` (serve's kept
    preview: a folder that its pages are served from stays in place).

    For a rebuild after an edit, whose few changed pages are all made before the first is
    written; a file the last build left in place (its source is its own path) is not touched.
    A build killed half-way leaves a mix of the two builds, which the next build replaces
    whole: the caller forgets its record and stamp first (see build.write_full)."""
    _check_ours(output_dir)
    if not (output_dir / MARKER).is_file():
        return None
    listed = list(files)
    made: set[str] = set()
    writes: list[tuple[OutputFile, Path]] = []
    root = str(output_dir)
    for file in listed:  # tens of thousands: strings, not Path objects, where it can be
        if not _is_safe(file.path):
            _safe_parts(file.path)  # raises
        made.add(file.path)
        target = f"{root}/{file.path}"
        if file.data is None and file.source is not None and str(file.source) == target:
            continue  # the file the last build left there
        if not _same(file, Path(target)):
            writes.append((file, Path(target)))
    if len(writes) > len(listed) // 2 and not most:
        return None
    start = len(root) + 1
    gone = sorted({path[start:] for path in _walk_files(output_dir)} - made)
    if not _all_inside({target.parent for _, target in writes}, output_dir):
        return None  # a folder inside output/ was replaced by a link out of it: never write through
    _replace_all(writes, [output_dir / name for name in gone], output_dir)
    return Published(len(listed), len(writes), (*(file.path for file, _ in writes), *gone))


def _replace_all(writes: list[tuple[OutputFile, Path]], gone: list[Path], output_dir: Path) -> None:
    """Write these files and remove those, all or nothing: each replaced or removed file is
    kept aside until the last step, and put back if any step fails; the folders a removal
    empties go too."""
    undo: list[tuple[Path, Path | None]] = []  # what was done: a path, and where its old file waits
    folders: list[Path] = []  # made by this write
    present: set[Path] = set()  # folders known to be there
    try:
        for file, target in writes:
            if target.parent not in present:
                folders += _make_folders(target.parent)
                present.add(target.parent)
            temporary = target.parent / f".{target.name}{NEW_SUFFIX}"
            _put(file, temporary)
            undo.append((target, _set_aside(target, move=False)))
            os.replace(temporary, target)
        for target in gone:  # after the files that no longer refer to them
            undo.append((target, _set_aside(target, move=True)))
    except BaseException as error:
        _undo(undo, folders, writes, error)
        raise
    for _, kept in undo:
        if kept is not None:
            kept.unlink(missing_ok=True)
    _remove_empty({target.parent for target in gone}, output_dir)


def _all_inside(folders: Iterable[Path], output_dir: Path) -> bool:
    """Whether each of these folders is inside output/ once links are followed (each looked
    at once: the 10,000 search cards of an index made anew share one)."""
    real = os.path.realpath(output_dir)
    return all(_inside(folder, real) for folder in folders)


def _inside(folder: Path, root: str) -> bool:
    """Whether a folder (or, if it does not exist yet, its nearest existing parent) is inside
    root once links are followed."""
    while not folder.exists():
        folder = folder.parent
    real = os.path.realpath(folder)
    return real == root or real.startswith(root + os.sep)


def _make_folders(folder: Path) -> list[Path]:
    """Make a folder and its missing parents; the ones made, outermost first."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir()
    return list(reversed(missing))


def _set_aside(target: Path, *, move: bool) -> Path | None:
    """Keep the current file at `target` under a hidden name beside it, until the write is
    done: linked (the page stays served meanwhile) or moved (a file the build no longer makes).
    None if there is no such file."""
    if not os.path.lexists(target):
        return None
    kept = target.parent / f".{target.name}{OLD_SUFFIX}"
    if move:
        os.replace(target, kept)
        return kept
    with contextlib.suppress(FileNotFoundError):
        kept.unlink()
    try:
        os.link(target, kept, follow_symlinks=False)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        shutil.copy2(target, kept, follow_symlinks=False)  # a file system without hard links
    return kept


def _undo(undo: list[tuple[Path, Path | None]], folders: list[Path],
          writes: list[tuple[OutputFile, Path]], error: BaseException) -> None:
    """Put output/ back as it was; if even that fails, say that output/ was changed."""
    try:
        for target, kept in reversed(undo):
            if kept is not None:
                os.replace(kept, target)
                kept.unlink(missing_ok=True)  # still there if both were one file: rename did nothing
            else:
                target.unlink(missing_ok=True)
        for _, target in writes:
            (target.parent / f".{target.name}{NEW_SUFFIX}").unlink(missing_ok=True)
        for folder in reversed(folders):
            with contextlib.suppress(OSError):
                folder.rmdir()
    except OSError:
        error.add_note(OUTPUT_CHANGED)


def _remove_empty(folders: Iterable[Path], output_dir: Path) -> None:
    """Remove these folders, and then their parents, where a removal left them empty."""
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        while folder != output_dir and output_dir in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break  # not empty, or gone
            folder = folder.parent


def publish_changed(files: Iterable[OutputFile], output_dir: Path, removed: Iterable[str] = ()) -> int:
    """Put these files into the current output/ in place, each in one step (a rename), then
    remove the `removed` ones, and say how many files changed, all or nothing as
    `publish_in_place` does: each replaced or removed file is kept aside until the last step,
    and put back if any step fails. For a quick rebuild or a change in place, whose files are
    all made before the first is written (pages and feeds, and the files of a photo made in
    .presskit-cache/media/, copied); every other file of output/ stays as it is."""
    _check_ours(output_dir)
    writes: list[tuple[OutputFile, Path]] = []
    for file in files:
        target = output_dir.joinpath(*_safe_parts(file.path))
        if not _same(file, target):
            writes.append((file, target))
    gone = [target for target in (output_dir.joinpath(*_safe_parts(path)) for path in removed)
            if os.path.lexists(target)]
    if not _all_inside({target.parent for _, target in writes}, output_dir):
        raise OSError(errno.ELOOP, "a folder inside it is a link out of it", str(output_dir))
    _replace_all(writes, gone, output_dir)
    return len(writes) + len(gone)


def _walk_files(folder: Path) -> Iterable[str]:
    """Every file below a folder but the marker, as os.walk finds them (a link to a folder is
    not followed, nor listed)."""
    for entry in entries_below(folder):
        try:
            if entry.is_dir():  # a link to a folder
                continue
        except OSError:
            continue
        if entry.name != MARKER:
            yield entry.path


def _put(file: OutputFile, target: Path) -> None:
    """Write one file at `target`, where nothing is yet."""
    if file.data is not None:
        target.write_bytes(file.data)
    elif file.spilled and file.source is not None:
        if not _link(file.source, target):  # a page made by this build (see presskit.spill)
            shutil.copyfile(file.source, target)
    elif file.source is not None:
        shutil.copy2(file.source, target)  # keeps the time, to compare next build


def _same(file: OutputFile, old: Path) -> bool:
    """Whether the file in the current output/ already has these bytes."""
    try:
        stat = old.stat()
        if file.data is not None:
            return stat.st_size == len(file.data) and old.read_bytes() == file.data
        if file.spilled and file.source is not None:  # new bytes, in a file
            return stat.st_size == file.source.stat().st_size and old.read_bytes() == file.source.read_bytes()
        if file.source is not None:
            source = file.source.stat()
            return stat.st_size == source.st_size and stat.st_mtime_ns == source.st_mtime_ns
    except OSError:
        pass
    return False


def _link(old: Path, target: Path) -> bool:
    try:
        os.link(old, target)
        return True
    except OSError:  # a file system without hard links: write it instead
        return False


def _is_safe(path: str) -> bool:
    """`_safe_parts`'s rule, quickly, for a path that keeps it (the others go there to fail)."""
    return (bool(path) and not path.startswith("/") and "//" not in path and not path.endswith("/")
            and "/." not in path and not path.startswith(".") and "\\" not in path)


def _safe_parts(path: str) -> tuple[str, ...]:
    """The parts of a path inside output/; nothing may climb out of it."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(part in ("..", ".", "") for part in parts):
        raise ValueError(f"refusing to write outside output/: {path!r}")
    return parts


def _check_ours(output_dir: Path) -> None:
    if output_dir.is_symlink() or (output_dir.exists() and not output_dir.is_dir()):
        raise BuildFailed([Problem(output_dir, None, "is not a folder presskit can write into",
                                   "move it away; presskit writes the built site to output/")])
    if output_dir.is_dir() and not (output_dir / MARKER).exists() and any(output_dir.iterdir()):
        raise BuildFailed([Problem(
            output_dir, None, "has files that presskit did not write, so it will not replace them",
            "move those files elsewhere (or delete the folder) and build again",
        )])


def _remove_leftovers(parent: Path, name: str, prefixes: tuple[str, ...]) -> None:
    """Staging folders of a build that was killed half-way: presskit's own, safe to remove
    (one build of a site at a time: see presskit.lock)."""
    for prefix in prefixes:
        for leftover in parent.glob(f"{prefix}{name}*"):
            shutil.rmtree(leftover, ignore_errors=True)


_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100
    result = renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), _RENAME_EXCHANGE)
    return result == 0


def _swap_in(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        os.rename(staging, output_dir)
        return
    if _exchange(staging, output_dir):
        _retire(staging)  # now holds the previous build
        return
    retired = Path(tempfile.mkdtemp(prefix=f"{RETIRED_PREFIX}{output_dir.name}-", dir=output_dir.parent))
    os.rmdir(retired)
    os.rename(output_dir, retired)
    try:
        os.rename(staging, output_dir)
    except BaseException:
        os.rename(retired, output_dir)  # put the last build back
        raise
    _retire(retired)


def _retire(previous: Path) -> None:
    """Remove the previous build, now swapped out; output/ is already the new one."""
    try:
        shutil.rmtree(previous)
    except BaseException as error:
        error.add_note(OUTPUT_CHANGED)
        raise
