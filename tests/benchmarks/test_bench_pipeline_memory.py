"""The peak memory of `make run` (bench_pipeline) is that of the whole process tree: a child's memory counts."""

import os
import sys

from benchmarks.bench_pipeline import make_run_measured
from benchmarks.bench_server import run_measured

CHILD = "import time; block = bytearray(200 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.0)"
PARENT = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {CHILD!r}], check=True)"


def test_peak_memory_counts_the_child_processes():
    measured = run_measured([sys.executable, "-c", PARENT], dict(os.environ))
    assert measured.peak_pss_bytes >= 200 * 2**20, measured  # the parent alone holds ~10 MiB
    assert measured.peak_rss_bytes >= measured.peak_pss_bytes
    assert measured.wall_s >= 1.0


def test_make_run_is_measured_through_the_tree_sampler(monkeypatch):
    calls = []
    monkeypatch.setattr("benchmarks.bench_pipeline.run_measured", lambda command, env: calls.append((command, env)))
    make_run_measured("FULL=1")
    (command, env), = calls
    assert command == ["make", "-s", "run", "FULL=1"]
    assert env["DAGSTER_DISABLE_TELEMETRY"] == "1" and env["DAGSTER_HOME"].endswith(".dagster_home")
