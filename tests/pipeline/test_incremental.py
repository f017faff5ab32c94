"""Incremental `make run` (scripts/incremental.py): on unchanged inputs nothing runs; a changed raw file re-runs
what reads it and what depends on it, nothing else; changed code re-runs everything. Planned against the
session's whole-graph run and its Dagster instance on disk."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

from assets.estimates import OUTPUTS
from assets.resources import ProjectPaths
from pipelines.definitions import build_definitions
from pipelines.profiles import local_profile
from scripts import incremental
from tests.pipeline.conftest import GOOD_RUN_JOBS, PROJECT_RAW, copy_raw

pytestmark = pytest.mark.xdist_group("good_run")
ROOT = Path(__file__).resolve().parents[2]
POVERTY_LINE_2025 = "bps/webapi_var624_garis_kemiskinan_kabkota_2025.json"


def _setup(data_dir: Path):
    paths = ProjectPaths(raw_dir=str(PROJECT_RAW), outputs_dir=str(data_dir / "outputs"),
                         restricted_dir=str(data_dir / "restricted"), storage_dir=str(data_dir / "storage"))
    defs = build_definitions(local_profile(paths=paths, key_mode="demo"))
    return defs, DagsterInstance.from_config(str(data_dir / "dagster_home"))


def _plans(good_run, raw_dir=PROJECT_RAW):
    data_dir, _, _ = good_run
    defs, instance = _setup(data_dir)
    plans, inputs = incremental.plan(defs, instance, GOOD_RUN_JOBS, raw_dir)
    return {p.job: p for p in plans}, inputs


def _names(keys) -> set[str]:
    return {key.to_user_string() for key in keys}


def test_unchanged_inputs_run_nothing_and_missing_years_run(good_run):
    plans, inputs = _plans(good_run)
    assert plans["annual_poverty_job"].keys == [], plans["annual_poverty_job"]
    # The shared run estimated two rounds only: the others were never materialised, so the job has work.
    estimation = plans["annual_estimation_job"]
    assert estimation.keys is None or "sae_estimates" in _names(estimation.keys)
    assert "never materialised" in estimation.reason
    assert set(inputs["files"]) >= {POVERTY_LINE_2025, "bps/p0_kabkota_2004_2025.csv"}


def test_a_changed_file_reruns_what_reads_it_and_downstream_only(good_run, tmp_path):
    raw = copy_raw(tmp_path)
    answer = json.loads((raw / POVERTY_LINE_2025).read_text())
    answer["status"] = answer.get("status", "OK")  # same content, re-serialised: a different file all the same
    (raw / POVERTY_LINE_2025).write_text(json.dumps(answer, indent=1))
    plans, _ = _plans(good_run, raw)
    poverty = plans["annual_poverty_job"]
    assert poverty.keys, poverty
    chosen = _names(poverty.keys)
    assert {"raw_poverty_line_2025_webapi", "p0_kabkota_validated", "p0_deltas_kabkota", "published_tables"} <= chosen
    assert not {"raw_p0_kabkota", "raw_poor_kabkota", "raw_kabkota_geometry", "raw_region_reference"} & chosen
    assert POVERTY_LINE_2025 in poverty.reason


def test_changed_code_reruns_every_job(good_run, monkeypatch):
    monkeypatch.setattr(incremental, "code_fingerprint", lambda root=None: "another version of the code")
    plans, _ = _plans(good_run)
    assert all(p.keys is None and "code changed" in p.reason for p in plans.values())


ESTIMATES = set(OUTPUTS)  # the outputs of the one step `poverty_estimates`


def test_one_output_of_a_multi_asset_runs_with_its_whole_step(good_run, monkeypatch):
    """`poverty_estimates` writes seven outputs in one step and cannot run a part of them: a stale output, or
    `--select susenas_sample`, plans all seven (Dagster refuses a subset: DagsterInvalidSubsetError)."""
    from dagster import AssetKey

    from scripts.run import _downstream_keys

    data_dir, _, _ = good_run
    defs, instance = _setup(data_dir)
    selected = _names(_downstream_keys(defs, "annual_estimation_job", ["susenas_sample"], instance))
    # all seven, and what reads any of them: the published estimates, charts, maps, workbook, the change
    assert ESTIMATES | {"published_estimates", "sae_charts", "poverty_maps", "published_workbook",
                        "poverty_change_kabkota"} <= selected
    stale = {AssetKey("synthetic_household_expenditure"): "its path is gone"}
    monkeypatch.setattr(incremental, "_stale_outputs",
                        lambda instance, defs, job: stale if job == "annual_estimation_job" else {})
    plans, _ = incremental.plan(defs, instance, GOOD_RUN_JOBS, PROJECT_RAW)
    estimation = next(p for p in plans if p.job == "annual_estimation_job")
    assert estimation.keys is None or ESTIMATES | {"published_estimates"} <= _names(estimation.keys)


def test_make_run_on_unchanged_inputs_does_nothing(good_run):
    """`python -m scripts.run annual_poverty_job` (what `make run` calls) on the shared run's folder and instance:
    it materialises nothing, leaves every output untouched and exits 0."""
    data_dir, _, _ = good_run
    home = data_dir / "dagster_home"
    before = {p: p.stat().st_mtime_ns for p in (data_dir / "outputs" / "tables").iterdir()}
    runs_before = len(DagsterInstance.from_config(str(home)).get_run_records())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEMISKINAN_DATA_DIR": str(data_dir),
           "KEMISKINAN_RAW_DIR": str(PROJECT_RAW), "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1",
           "KEMISKINAN_REGISTRY_MODE": "demo", "KEMISKINAN_PROFILE": "local"}
    done = subprocess.run([sys.executable, "-m", "scripts.run", "annual_poverty_job"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "annual_poverty_job: up to date" in done.stdout, done.stdout
    assert {p: p.stat().st_mtime_ns for p in (data_dir / "outputs" / "tables").iterdir()} == before
    assert len(DagsterInstance.from_config(str(home)).get_run_records()) == runs_before


def test_every_raw_asset_names_the_files_it_reads():
    """A raw asset without its files in `raw_asset_files` would never re-run when its file changes."""
    from assets.partitions import DataCalendar
    from assets.raw import build_raw_assets, raw_asset_files

    defined = {key.to_user_string() for a in build_raw_assets(DataCalendar.from_raw(PROJECT_RAW)) for key in a.keys}
    files = raw_asset_files(PROJECT_RAW)
    assert set(files) == defined
    assert all(files[name] and all((PROJECT_RAW / f).is_file() for f in files[name]) for name in files)
