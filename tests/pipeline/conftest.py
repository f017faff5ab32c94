import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance

from pipelines.definitions import build_definitions
from pipelines.resources import ProjectPaths
from scripts.run import check_failures, partition_range

PROJECT_RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


def run_graph(data_dir: Path, raw_dir: Path | None = None):
    """Materialise the whole graph, every year, in process, into `data_dir` (storage + outputs)."""
    paths = ProjectPaths(raw_dir=str(raw_dir or PROJECT_RAW), outputs_dir=str(data_dir / "outputs"),
                         restricted_dir=str(data_dir / "restricted"))
    defs = build_definitions(storage_dir=str(data_dir / "storage"), paths=paths)
    start, end = partition_range()
    job = defs.resolve_job_def("annual_poverty_job")
    return job.execute_in_process(
        instance=DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
        raise_on_error=False,
    )


def materialised(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="session")
def good_run(tmp_path_factory):
    """One full run on the shipped data, shared by the tests that read its outputs."""
    data_dir = tmp_path_factory.mktemp("good_run")
    result = run_graph(data_dir)
    return data_dir, result, check_failures(result)


def copy_raw(tmp: Path) -> Path:
    raw = tmp / "raw"
    shutil.copytree(PROJECT_RAW, raw)
    return raw
