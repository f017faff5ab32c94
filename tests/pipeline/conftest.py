import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance

from assets.resources import ProjectPaths
from pipelines.definitions import build_definitions
from pipelines.profiles import local_profile
from scripts.incremental import INPUTS_TAG, fingerprint
from scripts.run import JOBS, check_failures, run_pipeline
from tests.session_once import claim

PROJECT_RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


class GraphRun:
    """The results of the jobs of one `make run`-like run (stops after a failing job, as `make run` does)."""

    def __init__(self, results):
        self.results = results

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def get_asset_materialization_events(self):
        return [e for r in self.results for e in r.get_asset_materialization_events()]

    def get_asset_check_evaluations(self):
        return [e for r in self.results for e in r.get_asset_check_evaluations()]


def run_graph(data_dir: Path, raw_dir: Path | None = None, jobs=JOBS, log_level: str = "ERROR",
              selection: list[str] | None = None, estimation_years: tuple[str, str] | None = None,
              asset_config: dict | None = None, exclude: tuple[str, ...] = ()) -> GraphRun:
    """Materialise the whole graph, every year, in process, into `data_dir` (storage + outputs), with a
    Dagster instance on disk under `data_dir/dagster_home` (SQLite event log, as `make run` has).

    `selection`: only these assets and everything downstream of them but `exclude` (the others are read from
    the storage already in `data_dir`); `estimation_years`: the first and last partition of the estimation job;
    `asset_config`: {asset name: config}, given to the job that holds the asset."""
    paths = ProjectPaths(raw_dir=str(raw_dir or PROJECT_RAW), outputs_dir=str(data_dir / "outputs"),
                         restricted_dir=str(data_dir / "restricted"), storage_dir=str(data_dir / "storage"))
    defs = build_definitions(local_profile(paths=paths, key_mode="demo"))
    (data_dir / "dagster_home").mkdir(parents=True, exist_ok=True)
    instance = DagsterInstance.local_temp(tempdir=str(data_dir / "dagster_home"))
    results = []
    for job_name in jobs:
        keys = None
        if selection is not None:
            job_keys = defs.resolve_job_def(job_name).asset_layer.executable_asset_keys
            downstream = AssetSelection.assets(*selection).downstream().resolve(defs.resolve_asset_graph())
            keys = [key for key in downstream if key in job_keys and key.to_user_string() not in exclude]
        tags = {}
        if selection is None:  # a complete run of the job records its inputs, as `make run` does
            tags[INPUTS_TAG] = json.dumps(fingerprint(raw_dir or PROJECT_RAW), sort_keys=True)
        if estimation_years and job_name == "annual_estimation_job":
            tags.update({"dagster/asset_partition_range_start": estimation_years[0],
                         "dagster/asset_partition_range_end": estimation_years[1]})
        job_assets = {key.to_user_string() for key in defs.resolve_job_def(job_name).asset_layer.executable_asset_keys}
        config = {name: c for name, c in (asset_config or {}).items() if name in job_assets}
        result = run_pipeline(instance, job_name=job_name, defs=defs, log_level=log_level, asset_selection=keys,
                              tags=tags, asset_config=config)
        results.append(result)
        if not result.success:
            break
    return GraphRun(results)


def materialised(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


NETWORK_ATTEMPTS: list[str] = []


@contextlib.contextmanager
def no_network():
    """Refuse (and record) any connection that leaves the machine: the pipeline runs offline."""
    original = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not (
                host.startswith("127.") or host in ("::1", "localhost")):
            NETWORK_ATTEMPTS.append(str(address))
            raise OSError(f"network access attempted during the run: {address}")
        return original(sock, address)

    socket.socket.connect = guarded
    try:
        yield
    finally:
        socket.socket.connect = original


# The whole graph, every asset; the estimates for the two rounds either side of the change of extreme line
# (USD 1.90 2011 PPP until 2023, USD 2.15 2017 PPP from 2024, which is also the registry demo's year): every
# estimation round costs ~12 s, and each is computed by the same code.
GOOD_RUN_ESTIMATION_YEARS = ("2023", "2024")
# The maps of one province (4 of the 16 `make run` draws, ~3 s of CPU instead of ~14): the drawing code is the same.
GOOD_RUN_CONFIG = {"poverty_maps": {"provinces": ["35"], "include_indonesia": False}}


# The registry job is left out: the registry layer is materialised once per session on the same generated
# extracts by `registry_layer` (tests/conftest.py), whose tests, identity scan included, cover it.
GOOD_RUN_JOBS = tuple(job for job in JOBS if job != "registry_job")


@pytest.fixture(scope="session")
def good_run(tmp_path_factory):
    """One run of the tables and estimation jobs on the shipped data (all log levels captured, network
    refused), shared by the tests that read its outputs."""
    claim(tmp_path_factory, "good_run")
    data_dir = tmp_path_factory.mktemp("good_run")
    captured = io.StringIO()
    with no_network(), contextlib.redirect_stderr(captured), contextlib.redirect_stdout(captured):
        result = run_graph(data_dir, jobs=GOOD_RUN_JOBS, log_level="DEBUG",
                           estimation_years=GOOD_RUN_ESTIMATION_YEARS, asset_config=GOOD_RUN_CONFIG)
    (data_dir / "run.log").write_text(captured.getvalue())
    return data_dir, result, check_failures(result)


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a process started with `start_new_session=True` and every process it started (its group): SIGTERM,
    then SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def copy_raw(tmp: Path) -> Path:
    raw = tmp / "raw"
    shutil.copytree(PROJECT_RAW, raw)
    return raw
