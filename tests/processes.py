"""What /proc says about the machine's processes, for the tests that kill a parent and look for what it left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


def processes() -> Iterator[tuple[int, list[str], bytes]]:
    """(pid, the fields of /proc/<pid>/stat after the command name: state, ppid, pgid, ..., command line)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        yield int(stat.parent.name), fields, cmdline


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie has exited (only its parent, init here, has not reaped it yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(parent: int) -> list[int]:
    return [pid for pid, fields, _ in processes() if int(fields[1]) == parent]


def group_alive(pgid: int) -> list[int]:
    return [pid for pid, fields, _ in processes() if int(fields[2]) == pgid and fields[0] != "Z"]
