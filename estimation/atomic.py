"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Write to a temporary file in the same directory, fsync, then os.replace (atomic on POSIX).
A failure midway leaves the previous good file untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

DEFAULT_MODE = 0o644  # mkstemp creates 0600; published files are meant to be read


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], mode: int | None = DEFAULT_MODE) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success move it over `target` atomically.

    `mode` is applied to the file (0o600 for restricted outputs); None keeps mkstemp's 0600."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes, mode: int | None = DEFAULT_MODE) -> Path:
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text_atomic(target: str | os.PathLike[str], text: str, mode: int | None = DEFAULT_MODE) -> Path:
    return write_bytes_atomic(target, text.encode("utf-8"), mode)


def write_with_atomic(
    target: str | os.PathLike[str], writer: Callable[[Path], None], mode: int | None = DEFAULT_MODE
) -> Path:
    """Call `writer(tmp_path)` (e.g. a DataFrame's to_parquet) and publish the result atomically."""
    with atomic_path(target, mode) as tmp:
        writer(tmp)
    return Path(target)
