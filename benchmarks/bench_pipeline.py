"""Pipeline-level benchmarks: code-location load time and the wall time of `make run` on a warm venv: from
scratch (what `make run` runs, `scripts.run`, on a new Dagster instance and an empty data folder: the demo
registry extracts generated too), everything recomputed (`FULL=1`, the checkout's instance and extracts), with
the peak memory of its process tree (PSS summed over make, the run and its worker processes, sampled from
/proc like the `server_*` lines), then again on unchanged inputs (incremental: nothing to do)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_server import Measured, run_measured
from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), DAGSTER_DISABLE_TELEMETRY="1", DAGSTER_HOME=str(ROOT / ".dagster_home"))
    return env


def code_location_load_seconds(repeats: int = 3) -> float:
    """Fresh interpreter importing the Definitions (what `dagster dev` does per code location)."""
    return best_of(lambda: subprocess.run([sys.executable, "-c", "import pipelines.definitions"], cwd=ROOT,
                                          env=_env(), check=True, capture_output=True), repeats)


def make_run_seconds(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(["make", "-s", "run", *args], cwd=ROOT, env=_env(), check=True, capture_output=True)
    return time.perf_counter() - started


def make_run_measured(*args: str) -> Measured:
    """`make run` with the wall time, peak RSS / PSS and CPU seconds of its whole process tree."""
    return run_measured(["make", "-s", "run", *args], _env())


def run_from_scratch_measured() -> Measured:
    """`scripts.run` (what `make run` runs) on a new Dagster instance and an empty data folder (the shipped raw
    files read in place): nothing to reuse, the demo registry extracts generated again."""
    with tempfile.TemporaryDirectory(prefix="kemiskinan-scratch-") as scratch:
        env = {**_env(), "DAGSTER_HOME": str(Path(scratch) / "dagster_home"), "MPLBACKEND": "Agg",
               "KEMISKINAN_DATA_DIR": str(Path(scratch) / "data"), "KEMISKINAN_RAW_DIR": str(ROOT / "data" / "raw"),
               "KEMISKINAN_REGISTRY_MODE": "demo"}
        return run_measured([sys.executable, "-m", "scripts.run"], env)


def job_seconds(job: str) -> float:
    """One job alone, on the outputs of a previous `make run` (the registry job reads the estimates' storage)."""
    started = time.perf_counter()
    env = {**_env(), "KEMISKINAN_REGISTRY_MODE": "demo"}
    subprocess.run([sys.executable, "-m", "scripts.run", job, "--full"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def run() -> list[tuple[str, float, str]]:
    load = code_location_load_seconds()
    scratch = run_from_scratch_measured()
    full = make_run_measured("FULL=1")
    return [
        ("code_location_load", round(load, 3), "s"),
        ("run_from_scratch", round(scratch.wall_s, 2), "s"),
        ("run_from_scratch_cpu", round(scratch.cpu_s, 1), "s"),
        ("run_from_scratch_peak_memory", round(scratch.peak_pss_bytes / 2**20, 1), "MiB"),
        ("make_run_full", round(full.wall_s, 2), "s"),
        ("make_run_full_cpu", round(full.cpu_s, 1), "s"),
        ("make_run_full_peak_memory", round(full.peak_pss_bytes / 2**20, 1), "MiB"),
        ("make_run_full_peak_rss_sum", round(full.peak_rss_bytes / 2**20, 1), "MiB"),
        ("make_run_no_change", round(make_run_seconds(), 2), "s"),
        ("run_tables_job", round(job_seconds("annual_poverty_job"), 2), "s"),
        ("run_registry_job", round(job_seconds("registry_job"), 2), "s"),
    ]
