"""Pipeline-level benchmarks: code-location load time and the wall time of `make run` on a warm venv: everything
recomputed (`FULL=1`), then again on unchanged inputs (incremental: nothing to do)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


def job_seconds(job: str) -> float:
    """One job alone, on the outputs of a previous `make run` (the registry job reads the estimates' storage)."""
    started = time.perf_counter()
    env = {**_env(), "KEMISKINAN_REGISTRY_MODE": "demo"}
    subprocess.run([sys.executable, "-m", "scripts.run", job, "--full"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def run() -> list[tuple[str, float, str]]:
    return [
        ("code_location_load", round(code_location_load_seconds(), 3), "s"),
        ("make_run_full", round(make_run_seconds("FULL=1"), 2), "s"),
        ("make_run_no_change", round(make_run_seconds(), 2), "s"),
        ("run_tables_job", round(job_seconds("annual_poverty_job"), 2), "s"),
        ("run_registry_job", round(job_seconds("registry_job"), 2), "s"),
    ]
