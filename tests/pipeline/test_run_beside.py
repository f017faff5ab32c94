"""`make run` runs the registry job in a child process beside the estimation job's reports (`scripts.run`):
which assets go first, and the child's report back (or its absence)."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import AssetKey

from assets.estimates import OUTPUTS
from scripts.run import _overlap, started_child

ROOT = Path(__file__).resolve().parents[2]
PROJECT_RAW = ROOT / "data" / "raw"
ESTIMATES = set(OUTPUTS)  # the outputs of the one step `poverty_estimates`


def _names(keys) -> set[str]:
    return {key.to_user_string() for key in keys}


def test_the_registry_starts_once_the_estimates_are_stored():
    """First the step the registry reads (every output of `poverty_estimates`), then the reports beside it."""
    from pipelines.definitions import defs

    first, rest = _overlap(defs, "annual_estimation_job", None, ("registry_job", None, "why"))
    assert _names(first) == ESTIMATES
    assert _names(rest) == {"poverty_change_kabkota", "poverty_maps", "sae_charts", "published_workbook",
                            "published_estimates"}
    # nothing to overlap: only reports to redo, or a pair of jobs that does not run side by side
    reports = [AssetKey("sae_charts"), AssetKey("published_estimates")]
    assert _overlap(defs, "annual_estimation_job", reports, ("registry_job", None, "why")) is None
    assert _overlap(defs, "annual_poverty_job", None, ("annual_estimation_job", None, "why")) is None


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "KEMISKINAN_DATA_DIR": str(tmp_path / "data"),
            "KEMISKINAN_RAW_DIR": str(PROJECT_RAW), "DAGSTER_HOME": str(tmp_path / "home"),
            "DAGSTER_DISABLE_TELEMETRY": "1", "KEMISKINAN_REGISTRY_MODE": "demo", "KEMISKINAN_PROFILE": "local"}


def test_the_child_reports_what_it_materialised_and_its_checks(tmp_path, monkeypatch):
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((ROOT / "deploy" / "local" / "dagster.yaml").read_text())
    with started_child() as child:
        child.run("annual_poverty_job", [AssetKey("raw_region_reference")], {"kemiskinan/test": "1"})
        outcome = child.outcome()
    assert outcome.ok and outcome.failures == [] and outcome.errors == []
    assert outcome.materialised == {"raw_region_reference"}
    assert (tmp_path / "data" / "storage" / "raw_region_reference.parquet").exists()


def test_a_child_told_nothing_ends_without_running(tmp_path, monkeypatch):
    """A run stopped before the child's turn (a blocking check in the tables job) closes it: it runs nothing."""
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    with started_child() as child:
        pass
    assert child.process.returncode == 0 and not child.folder.exists()
    assert not (tmp_path / "data" / "storage").exists() and not (tmp_path / "home").exists()


def test_a_child_that_ends_without_reporting_fails_the_run(tmp_path, monkeypatch):
    """A child that dies (here: it sees another parent and ends at once, as when `make run` is killed) is a
    failed step of its job, never a silent success."""
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(os, "getpid", lambda: 1)  # the child is told its parent is pid 1: not its parent
    with started_child() as child:
        child.run("annual_poverty_job", [AssetKey("raw_region_reference")], None)
        outcome = child.outcome()
    assert not outcome.ok
    assert outcome.failures == [("annual_poverty_job",
                                 "the process running annual_poverty_job exited with code 1 before reporting")]
    assert not (tmp_path / "data" / "storage").exists()
