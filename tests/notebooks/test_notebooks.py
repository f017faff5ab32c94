"""Every analyst notebook runs top to bottom (its own asserts included). The notebooks that read materialised
assets through Dagster run in tests/pipeline/test_notebooks_on_run.py, on the session's whole-graph run."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
# Read the instance and storage of a materialised run (DAGSTER_HOME, KEMISKINAN_DATA_DIR).
READ_A_RUN = {"profil_kabkota"}
STANDALONE = [p for p in NOTEBOOKS if p.stem not in READ_A_RUN]


def execute(path: Path) -> list[dict]:
    """Run the notebook in a fresh kernel (this process's environment); the error outputs of its cells."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


@pytest.mark.parametrize("path", STANDALONE, ids=[p.stem for p in STANDALONE])
def test_notebook_executes(path):
    assert not execute(path)


def test_there_are_notebooks():
    assert STANDALONE and READ_A_RUN <= {p.stem for p in NOTEBOOKS}
