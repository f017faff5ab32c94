"""Publication sets: the files of one publication switch together or not at all.

A published folder (`outputs/tables`, `outputs/charts`, ...) is a symbolic link to a version directory
under `outputs/.versions/<folder>/`. A publisher stages a new version (a copy of the current files: not
hard links, which a writer that opens a file in place would change in the live version too), writes its
files into it, and switches the link with one `rename`: a reader
(or a run killed at any point) sees the previous complete set or the new complete set, never a mix of a
killed run's Parquet beside the previous run's CSV. Publishers of the same folder take turns (an exclusive
`flock`), so two runs at once cannot drop each other's files. The version before the current one is kept
for a reader that opened the folder just before the switch; older ones are removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

VERSIONS = ".versions"
KEEP_VERSIONS = 2  # the current one and the one before it


def _versions_dir(folder: Path) -> Path:
    return folder.parent / VERSIONS / folder.name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(folder: Path, version: Path) -> None:
    """Point `folder` at `version` atomically (a new link renamed over the old one)."""
    link = folder.parent / f".{folder.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(os.path.relpath(version, folder.parent), link)
    os.replace(link, folder)
    _fsync_dir(folder.parent)


def _adopt_plain_folder(folder: Path) -> None:
    """A folder written before publication sets existed becomes the first version (once)."""
    if folder.is_symlink() or not folder.exists():
        return
    first = _versions_dir(folder) / f"v{time.time_ns():020d}-adopted"
    first.parent.mkdir(parents=True, exist_ok=True)
    os.rename(folder, first)
    _switch(folder, first)


def current_version(folder: str | os.PathLike[str]) -> Path | None:
    """The version directory `folder` points at (None before the first publication)."""
    folder = Path(folder)
    return folder.resolve() if folder.is_symlink() else None


def _stage(folder: Path) -> Path:
    versions = _versions_dir(folder)
    versions.mkdir(parents=True, exist_ok=True)
    staged = versions / f"v{time.time_ns():020d}-{os.getpid()}.staging"
    staged.mkdir()
    current = current_version(folder)
    if current is not None and current.is_dir():
        for entry in current.rglob("*"):
            target = staged / entry.relative_to(current)
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(entry, target)
    return staged


def _prune(folder: Path, keep: Path) -> None:
    versions = sorted(p for p in _versions_dir(folder).iterdir() if p.is_dir())
    finished = [p for p in versions if not p.name.endswith(".staging")]
    for old in finished[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in (p for p in versions if p.name.endswith(".staging")):
        # a staging directory of a killed publisher (we hold the lock, so no live publisher owns one)
        shutil.rmtree(leftover, ignore_errors=True)
    for link in folder.parent.glob(f".{folder.name}.link-*"):  # a link a killed publisher never renamed
        link.unlink(missing_ok=True)


@contextlib.contextmanager
def publication(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a staging directory holding the current files of `folder`; write the publication's files
    there (new names are added, existing names replaced). On a normal exit the whole set becomes `folder`
    at once; on an exception (or a kill) `folder` keeps the previous set."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.publish.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _adopt_plain_folder(folder)
        staged = _stage(folder)
        try:
            yield staged
            _fsync_dir(staged)
            version = staged.with_name(staged.name.removesuffix(".staging"))
            os.rename(staged, version)
            _switch(folder, version)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        _prune(folder, version)


def public_path(path: str | os.PathLike[str], staged: Path, folder: str | os.PathLike[str]) -> Path:
    """Where a file written into the staging directory is read once the set is published."""
    return Path(folder) / Path(path).relative_to(staged)
