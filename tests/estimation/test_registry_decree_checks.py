"""Through Dagster: a decree (SK) list with a NIK listed twice fails padu padan's blocking check, whose one-line
message names the file, row and column (never the NIK), and nothing downstream of padu padan runs; the same
list without the repeated row goes through. Small files from tests/data/bad (seconds, not the demo registry)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, asset, materialize

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
SNAPSHOT, LISTED_TWICE = "registry_p3ke_valid.csv", "registry_sk_duplicated.csv"


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decree: Path):
    """padu padan (and an asset after it) on the valid Jombang snapshot and the decree list `decree`."""
    from assets.registry import padu_padan
    from assets.resources import ProjectPaths, PseudonymKey
    from estimation.registry.ingest import ingest_extract
    from estimation.registry.pseudonym import key_from_env

    monkeypatch.setenv("P3KE_PSEUDONYM_KEY", "a-test-key-for-the-decree-list-checks-0123456789")
    key, source = key_from_env()
    folder = tmp_path / "extracts"
    folder.mkdir(parents=True)
    decree_file = decree.name
    shutil.copy(BAD / SNAPSHOT, folder / SNAPSHOT)
    shutil.copy(decree, folder / decree_file)
    ingested = tmp_path / "ingested.parquet"
    ingest_extract(folder / SNAPSHOT, ingested, key, source, "2024-06-30", kabkota_code="3517")
    extracts = pd.DataFrame({"key": ["p3ke_3517_2024", "sk_3517_2024"], "kind": ["p3ke", "sk"],
                             "file": [SNAPSHOT, decree_file], "source": ["p3ke", "sk"],
                             "kabkota_code": ["3517", "3517"], "year": [2024, 2024]})
    reports = pd.DataFrame({"key": ["p3ke_3517_2024"], "source": ["p3ke"], "kabkota_code": ["3517"], "year": [2024],
                            "path": [str(ingested)]})

    @asset(name="registry_extracts")
    def registry_extracts() -> pd.DataFrame:
        return extracts

    @asset(name="registry_ingested")
    def registry_ingested() -> pd.DataFrame:
        return reports

    @asset
    def after_padu_padan(padu_padan_summary: pd.DataFrame) -> int:
        return len(padu_padan_summary)

    paths = ProjectPaths(raw_dir=str(tmp_path / "raw"), outputs_dir=str(tmp_path / "outputs"),
                         restricted_dir=str(tmp_path / "restricted"), storage_dir=str(tmp_path / "storage"),
                         registry_extracts_dir=str(folder))
    result = materialize([registry_extracts, registry_ingested, padu_padan, after_padu_padan],
                         resources={"paths": paths, "pseudonym_key": PseudonymKey(mode="env")},
                         raise_on_error=False)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()
              if e.asset_key == AssetKey("padu_padan_summary")}
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    return checks, done


def test_a_nik_listed_twice_blocks_what_follows_padu_padan(tmp_path, monkeypatch):
    checks, done = _run(tmp_path, monkeypatch, BAD / LISTED_TWICE)
    failed = {name for name, e in checks.items() if not e.passed}
    assert failed == {"nik_once_on_list"}
    check = checks["nik_once_on_list"]
    assert check.severity.value == "ERROR"
    message = check.description
    assert "\n" not in message and "Traceback" not in message
    assert (f"file {LISTED_TWICE}, row 4, column 'NIK', region '3517' (the NIK of row 2 again (listed 2 times: "
            "rows 2, 4))") in message
    assert not re.search(r"\d{16}", message)  # the NIK itself never
    assert "padu_padan_summary" in done and "after_padu_padan" not in done


def test_the_list_without_the_repeated_row_goes_through(tmp_path, monkeypatch):
    lines = (BAD / LISTED_TWICE).read_text(encoding="utf-8").splitlines(keepends=True)
    clean = tmp_path / "registry_sk_once.csv"
    clean.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")  # file row 4 (the repeat) removed
    checks, done = _run(tmp_path / "run", monkeypatch, clean)
    assert all(e.passed for e in checks.values()) and {"nik_once_on_list", "nik_valid_on_list"} <= set(checks)
    assert {"padu_padan_summary", "after_padu_padan"} <= done
