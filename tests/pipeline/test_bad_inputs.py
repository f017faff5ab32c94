"""A malformed raw file stops the run at a blocking check that names file, row and column; nothing
downstream is materialised and the outputs of the last good run are untouched."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.run import check_failures
from tests.pipeline.conftest import copy_raw, materialised, run_graph

P0_FILE = "bps/p0_kabkota_2004_2025.csv"
ROOT = Path(__file__).resolve().parents[2]


def _line_of(path: Path, prefix: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(prefix))


def letter_in_number(raw: Path) -> tuple[int, str]:
    path = raw / P0_FILE
    lines = path.read_text().splitlines(keepends=True)
    row = _line_of(path, "Jombang,")
    cells = lines[row - 1].split(",")
    cells[20] = "9.l5"  # 2023 column: a letter l for a one
    lines[row - 1] = ",".join(cells)
    path.write_text("".join(lines))
    return row, "2023"


def duplicated_year_column(raw: Path) -> tuple[int, str]:
    """The 2024 header relabelled 2023: two 2023 columns (BPS exports have had this), no 2024."""
    path = raw / P0_FILE
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",2024,", ",2023,", 1)
    path.write_text("".join(lines))
    return 2, "2023"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*")) if p.is_file()}


# Shares the session's whole-graph run: one xdist worker runs these (`make test`); the CLI test below does not
# need that run and goes to the other worker. Two runs through Dagster, a broken cell and a broken header: the
# blocking and the untouched outputs do not depend on which rule fails. Every case's message (an unknown kab/kota, a
# missing year column, ...) is pinned by tests/checks/test_bad_corpus.py
# (tests/data/bad/cases.csv).
@pytest.mark.xdist_group("good_run")
@pytest.mark.parametrize("breaker, check", [
    (letter_in_number, "values_are_numbers"),
    (duplicated_year_column, "year_columns_valid"),
])
def test_malformed_p0_file_blocks_downstream(tmp_path, good_run, breaker, check):
    good_dir, _, _ = good_run
    data_dir = tmp_path / "data"
    shutil.copytree(good_dir / "outputs", data_dir / "outputs")  # the last good run's outputs
    # ... and its stored raw assets: only the broken file's asset and what is downstream of it run again
    shutil.copytree(good_dir / "storage", data_dir / "storage", ignore=lambda _, names: [
        n for n in names if not n.startswith("raw_")])
    before = _digest(data_dir / "outputs" / "tables")
    raw = copy_raw(tmp_path)
    row, where = breaker(raw)
    result = run_graph(data_dir, raw_dir=raw, jobs=("annual_poverty_job",), selection=["raw_p0_kabkota"])
    errors, _ = check_failures(result)
    failing = [(asset, name, text) for asset, name, text in errors if asset == "raw_p0_kabkota"]
    assert [name for _, name, _ in failing] == [check]
    message = failing[0][2]
    assert P0_FILE in message and where in message
    assert f"row {row}" in message
    done = materialised(result)
    assert not {"p0_kabkota_validated", "p0_deltas_kabkota", "published_tables", "p0_charts",
                "sae_estimates", "published_estimates"} & done
    assert _digest(data_dir / "outputs" / "tables") == before


def test_make_run_exits_non_zero_and_says_why(tmp_path):
    raw = copy_raw(tmp_path)
    row, _ = letter_in_number(raw)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEMISKINAN_DATA_DIR": str(tmp_path / "data"),
           "KEMISKINAN_RAW_DIR": str(raw), "DAGSTER_HOME": str(tmp_path / "home"), "DAGSTER_DISABLE_TELEMETRY": "1"}
    (tmp_path / "home").mkdir()
    shutil.copy(ROOT / "deploy" / "local" / "dagster.yaml", tmp_path / "home" / "dagster.yaml")
    # --select: the broken file's raw asset and what depends on it (the CLI an analyst uses after fixing a file)
    done = subprocess.run([sys.executable, "-m", "scripts.run", "--select", "raw_p0_kabkota"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]  # the line that says why comes last, whole
    assert last.startswith("FAILED  raw_p0_kabkota: values_are_numbers")
    assert P0_FILE in last and f"row {row}" in last and "'9.l5'" in last
    assert "Traceback" not in done.stderr and "raw_p0_kabkota" in done.stdout


def test_an_unreadable_p0_export_is_one_line_before_dagster_starts(tmp_path):
    """The partitions are built from the P0 export's years: an empty export cannot give them. `make run` says
    so in one line naming the file, without a traceback, and writes nothing (issue 10: it used to crash with
    `IndexError` in pipelines/jobs.py)."""
    raw = copy_raw(tmp_path)
    (raw / P0_FILE).write_bytes(b"")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEMISKINAN_DATA_DIR": str(tmp_path / "data"),
           "KEMISKINAN_RAW_DIR": str(raw), "DAGSTER_HOME": str(tmp_path / "home"), "DAGSTER_DISABLE_TELEMETRY": "1"}
    done = subprocess.run([sys.executable, "-m", "scripts.run"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("FAILED  definitions:") and P0_FILE in last and "year columns" in last
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "outputs").exists()
