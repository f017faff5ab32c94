"""Publication sets: the files of one publication switch together, also when the publisher is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from estimation.publication import current_version, public_path, publication
from estimation.publish import publish_tables

ROOT = Path(__file__).resolve().parents[2]


def _contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_set_replaces_and_adds_files_together(tmp_path: Path) -> None:
    folder = tmp_path / "outputs" / "tables"
    with publication(folder) as staged:
        (staged / "a.csv").write_text("a1")
        (staged / "b.csv").write_text("b1")
    assert folder.is_symlink() and _contents(folder) == {"a.csv": "a1", "b.csv": "b1"}
    first = current_version(folder)
    with publication(folder) as staged:
        assert _contents(staged) == {"a.csv": "a1", "b.csv": "b1"}  # staged from the current set
        (staged / "a.csv").write_text("a2")
        (staged / "c.csv").write_text("c2")
    assert _contents(folder) == {"a.csv": "a2", "b.csv": "b1", "c.csv": "c2"}
    assert current_version(folder) != first
    assert _contents(first) == {"a.csv": "a1", "b.csv": "b1"}  # a reader of the old version is not disturbed
    assert public_path(staged / "c.csv", staged, folder) == folder / "c.csv"


def test_an_error_keeps_the_previous_set(tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    with publication(folder) as staged:
        (staged / "a.csv").write_text("good")
    with pytest.raises(RuntimeError), publication(folder) as staged:
        (staged / "a.csv").write_text("half")
        raise RuntimeError("rendering failed")
    assert _contents(folder) == {"a.csv": "good"}
    assert not any(p.name.endswith(".staging") for p in (tmp_path / ".versions" / "tables").iterdir())


def test_a_folder_from_before_sets_is_adopted(tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "old.csv").write_text("old")
    with publication(folder) as staged:
        (staged / "new.csv").write_text("new")
    assert folder.is_symlink() and _contents(folder) == {"new.csv": "new", "old.csv": "old"}


def test_old_versions_are_pruned(tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    for i in range(5):
        with publication(folder) as staged:
            (staged / "a.csv").write_text(str(i))
    assert len(list((tmp_path / ".versions" / "tables").iterdir())) == 2
    assert _contents(folder) == {"a.csv": "4"}


def test_tables_publish_byte_identical_on_the_same_input(tmp_path: Path) -> None:
    frame = pd.DataFrame({"bps_code": ["0000", "3517"], "p0": [9.03, 8.6]})
    first = publish_tables({"t": frame}, tmp_path / "tables", provenance={"run_id": "r1", "sources_sha256": {}})
    data = {p.name: p.read_bytes() for p in first if not p.name.endswith(".provenance.json")}
    second = publish_tables({"t": frame}, tmp_path / "tables", provenance={"run_id": "r2", "sources_sha256": {}})
    assert {p.name: p.read_bytes() for p in second if not p.name.endswith(".provenance.json")} == data
    assert b"r2" in (tmp_path / "tables" / "t.provenance.json").read_bytes()
    assert b"run_id" not in pq.read_schema(tmp_path / "tables" / "t.parquet").metadata[b"provenance"]


# A publisher that writes a set of three files, printing after each and waiting for a line on stdin before
# going on (when told to), so the test can kill it exactly there.
PUBLISHER = """
import sys
from pathlib import Path
from estimation.publication import publication
folder, tag, wait = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "wait"
with publication(folder) as staged:
    for name in ("p0.parquet", "p0.csv", "p0.provenance.json"):
        (staged / name).write_text(tag)
        print(name, flush=True)
        if wait:
            sys.stdin.readline()
print("switched", flush=True)
"""


def _publisher(folder: Path, tag: str, wait: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PUBLISHER, str(folder), tag, "wait" if wait else "go"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("killed_after", ["p0.parquet", "p0.csv", "p0.provenance.json"])
def test_a_killed_publisher_leaves_the_previous_set(tmp_path: Path, killed_after: str) -> None:
    folder = tmp_path / "tables"
    assert _publisher(folder, "good", wait=False).wait(timeout=60) == 0
    killed = _publisher(folder, "killed", wait=True)
    assert killed.stdout is not None and killed.stdin is not None
    while (line := killed.stdout.readline().strip()) != killed_after:
        assert line, "the publisher ended early"
        killed.stdin.write("\n")
        killed.stdin.flush()
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert set(_contents(folder).values()) == {"good"} and len(_contents(folder)) == 3  # one complete set
    # the lock died with the publisher: the next publication runs and clears the killed one's staging
    assert _publisher(folder, "next", wait=False).wait(timeout=60) == 0
    assert set(_contents(folder).values()) == {"next"}
    assert not any(p.name.endswith(".staging") for p in (tmp_path / ".versions" / "tables").iterdir())


def test_two_publishers_at_once_lose_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    script = ("import sys\nfrom pathlib import Path\nfrom estimation.publication import publication\n"
              "for i in range(15):\n"
              "    with publication(Path(sys.argv[1])) as staged:\n"
              "        (staged / f'{sys.argv[2]}{i}.csv').write_text(str(i))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, "-c", script, str(folder), tag], env=env) for tag in ("a", "b")]
    started = time.monotonic()
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    assert time.monotonic() - started < 120
    assert set(_contents(folder)) == {f"{tag}{i}.csv" for tag in "ab" for i in range(15)}
