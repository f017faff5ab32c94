"""The house rules of ARCHITECTURE.md, read from the source: which layer may import which, and where files are
read with pandas. A new module that breaks a rule fails here, with the module and the import named."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# {package: packages it must never import}: the flow is pipelines -> assets -> checks -> estimation.
FORBIDDEN = {
    "estimation": {"dagster", "dagster_postgres", "dagster_k8s", "dagster_celery", "assets", "checks", "pipelines",
                   "scripts"},
    "checks": {"assets", "pipelines", "scripts"},
    "assets": {"pipelines", "scripts"},
    "pipelines": {"scripts"},
}
# pandas readers of files: raw files are read only by the parsers; the registry reads its extracts at ingestion
# and the publishing module reads back its own Indonesian CSV.
FILE_READERS = {"read_csv", "read_excel", "read_json", "read_fwf", "load_workbook"}  # Parquet (storage) aside
MAY_READ_FILES = ("estimation/parsers/", "estimation/registry/ingest.py", "estimation/publishing/")


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package: str) -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}" for path in _modules(package)
             for line, name in _imports(path) if name.split(".")[0] in FORBIDDEN[package]]
    assert not wrong, "\n".join(wrong)


def test_files_are_read_only_where_the_architecture_says() -> None:
    wrong = []
    for package in ("estimation", "checks", "assets", "pipelines"):
        for path in _modules(package):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(MAY_READ_FILES):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = (node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        else node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None)
                if name in FILE_READERS:
                    wrong.append(f"{relative}:{node.lineno} calls {name}")
    assert not wrong, "\n".join(wrong)


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The checks above are real: a module importing Dagster or reading a CSV is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("import pandas as pd\nfrom dagster import asset\nframe = pd.read_csv('x.csv')\n")
    assert (2, "dagster") in _imports(bad)
    calls = [n.func.attr for n in ast.walk(ast.parse(bad.read_text())) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute)]
    assert "read_csv" in calls


# Not years: the random seed's default happens to read like one.
NOT_YEARS = {("assets/estimates.py", 2024): "EstimationConfig.seed's default"}


def test_no_year_in_the_wiring_layers() -> None:
    """The years come from the data (`estimation.parsers.catalog.data_years`): assets, checks and pipelines hold
    no year as a number (the library's parsers, definitions and demo scenario name the years of their own
    sources)."""
    wrong = []
    for package in ("assets", "checks", "pipelines"):
        for path in _modules(package):
            relative = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Constant) and type(node.value) is int and 1990 <= node.value <= 2100
                        and (relative, node.value) not in NOT_YEARS):
                    wrong.append(f"{relative}:{node.lineno} holds {node.value}")
    assert not wrong, "\n".join(wrong)
