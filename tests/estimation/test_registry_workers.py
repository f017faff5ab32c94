"""Ingestion workers die with their parent: a run killed by SIGKILL leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tests.processes import alive, processes

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import sys
from pathlib import Path
import pandas as pd
from estimation.registry.ingest_folder import ingest_extracts
from estimation.registry.pseudonym import key_from_env
folder = Path(sys.argv[1])
entries = pd.read_json(folder / "entries.json")
key, source = key_from_env(demo=True)
print("ingesting", flush=True)
ingest_extracts(entries, folder, folder / "out", key, source, workers=2)
"""


def _extract(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    nik = rng.integers(10**15, 10**16, rows).astype(str)
    pd.DataFrame({"NIK": nik, "No KK": nik, "Kode Kab/Kota": "3517", "Desil": rng.integers(1, 5, rows)}).to_csv(
        path, index=False)


def _workers(parent: int) -> list[int]:
    return [pid for pid, fields, cmdline in processes() if int(fields[1]) == parent and b"spawn_main" in cmdline]


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    entries = []
    for i in range(2):
        _extract(tmp_path / f"p3ke_3517_{2023 + i}.csv", 400_000, i)
        entries.append({"key": f"p3ke_3517_{2023 + i}", "kind": "p3ke", "source": "p3ke", "kabkota_code": "3517",
                        "year": 2023 + i, "snapshot_date": f"{2023 + i}-06-30", "file": f"p3ke_3517_{2023 + i}.csv",
                        "bytes": (tmp_path / f"p3ke_3517_{2023 + i}.csv").stat().st_size})
    pd.DataFrame(entries).to_json(tmp_path / "entries.json")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.stdout is not None and parent.stdout.readline().strip() == "ingesting"
    deadline = time.monotonic() + 60
    while len(workers := _workers(parent.pid)) < 2:
        assert time.monotonic() < deadline and parent.poll() is None, "the pool never started two workers"
        time.sleep(0.05)
    while len(list((tmp_path / "out").glob(".*.tmp"))) < 2:  # both inside a file that takes seconds
        assert time.monotonic() < deadline and parent.poll() is None, "the workers never started a file"
        time.sleep(0.05)
    assert all(alive(pid) for pid in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 1.5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [pid for pid in workers if alive(pid)], "ingestion workers outlived their killed parent"
    assert not list((tmp_path / "out").glob("*.parquet"))  # no half-written output either (atomic per file)
