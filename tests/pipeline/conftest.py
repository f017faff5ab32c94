import contextlib
import io
import shutil
import socket
from pathlib import Path

import pytest
from dagster import DagsterInstance

from assets.resources import ProjectPaths
from pipelines.definitions import build_definitions
from pipelines.profiles import local_profile
from scripts.run import JOBS, check_failures, run_pipeline

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


def run_graph(data_dir: Path, raw_dir: Path | None = None, jobs=JOBS, log_level: str = "ERROR") -> GraphRun:
    """Materialise the whole graph, every year, in process, into `data_dir` (storage + outputs), with a
    Dagster instance on disk under `data_dir/dagster_home` (SQLite event log, as `make run` has)."""
    paths = ProjectPaths(raw_dir=str(raw_dir or PROJECT_RAW), outputs_dir=str(data_dir / "outputs"),
                         restricted_dir=str(data_dir / "restricted"), storage_dir=str(data_dir / "storage"))
    defs = build_definitions(local_profile(paths=paths, key_mode="demo"))
    (data_dir / "dagster_home").mkdir(parents=True, exist_ok=True)
    instance = DagsterInstance.local_temp(tempdir=str(data_dir / "dagster_home"))
    results = []
    for job_name in jobs:
        result = run_pipeline(instance, job_name=job_name, defs=defs, log_level=log_level)
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


@pytest.fixture(scope="session")
def good_run(tmp_path_factory):
    """One full run on the shipped data (all log levels captured, network refused), shared by the tests that
    read its outputs."""
    data_dir = tmp_path_factory.mktemp("good_run")
    captured = io.StringIO()
    with no_network(), contextlib.redirect_stderr(captured), contextlib.redirect_stdout(captured):
        result = run_graph(data_dir, log_level="DEBUG")
    (data_dir / "run.log").write_text(captured.getvalue())
    return data_dir, result, check_failures(result)


def copy_raw(tmp: Path) -> Path:
    raw = tmp / "raw"
    shutil.copytree(PROJECT_RAW, raw)
    return raw
