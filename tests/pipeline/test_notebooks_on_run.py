"""The analysts' notebooks that load materialised assets through Dagster (not by recomputing the panels) run
top to bottom on the session's whole-graph run: its Dagster instance and its storage."""

import pytest

from tests.notebooks.test_notebooks import NOTEBOOKS, READ_A_RUN, execute
from tests.pipeline.conftest import PROJECT_RAW

pytestmark = pytest.mark.xdist_group("good_run")


@pytest.mark.parametrize("name", sorted(READ_A_RUN))
def test_notebook_reads_the_materialised_run(name, good_run, monkeypatch):
    data_dir, _, _ = good_run
    monkeypatch.setenv("DAGSTER_HOME", str(data_dir / "dagster_home"))
    monkeypatch.setenv("KEMISKINAN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KEMISKINAN_RAW_DIR", str(PROJECT_RAW))
    path = next(p for p in NOTEBOOKS if p.stem == name)
    errors = execute(path)
    assert not errors, [f"{e['ename']}: {e['evalue']}" for e in errors]
