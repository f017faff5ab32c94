"""The data dictionary (`estimation/dictionary.py`) covers every column of every published table.

The columns are collected from what the code writes, not from a list: tests/pipeline/test_published_dictionary.py
reads the headers of every CSV the whole-graph run publishes. Here: the dictionary's own rules.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from estimation.dictionary import (
    COLUMNS,
    TABLE_COLUMNS,
    column_descriptions,
    column_info,
    dictionary_frame,
    undocumented,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
# Tests that share a fixture carry one xdist_group each (`make test` runs --dist loadgroup): the report
# assets' run on one worker, the registry layer's run with the registry tests (a module-level mark would add a
# second group to the registry test and move it away from them).
REGISTRY_TABLES = ("registry_aggregates", "registry_year_over_year", "registry_desil1_share", "padu_padan_summary",
                   "padu_padan_progress")


def _csv_columns(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_a_new_column_without_an_entry_is_reported():
    assert undocumented(["p0", "p0_new_indicator", "individuals_desil_7"]) == ["p0_new_indicator"]
    with pytest.raises(KeyError, match="p0_new_indicator"):
        column_info("p0_new_indicator")


def test_entries_have_label_meaning_and_source():
    for name, entry in [*COLUMNS.items(), *((f"{t}.{c}", e) for (t, c), e in TABLE_COLUMNS.items())]:
        assert entry.label and entry.meaning and entry.source, name
        assert entry.percent_factor in (1.0, 100.0), name
    # rates readers see are in percent: proportions carry the factor, percentages do not
    assert column_info("eblup").percent_factor == 100.0 and column_info("eblup").display_unit == "persen"
    assert column_info("p0").percent_factor == 1.0 and column_info("p0").unit == "persen"
    assert column_info("poverty_line_rp").decimals == 0 and column_info("poor_thousand").unit == "ribu jiwa"


def test_table_specific_meanings():
    assert column_info("persons", "padu_padan_summary").meaning != column_info("persons", "estimates_sae").meaning
    assert column_info("persons").source == column_info("persons", "estimates_direct").source


def test_column_descriptions_for_dagster_schemas():
    described = column_descriptions(["bps_code", "p0", "families_desil_3"])
    assert list(described) == ["bps_code", "p0", "families_desil_3"]
    assert "Persentase penduduk miskin (P0)" in described["p0"] and "persen" in described["p0"]
    assert "decile 3" in described["families_desil_3"]
    assert set(column_descriptions()) == set(COLUMNS)
    assert {row["column"] for row in dictionary_frame()} >= set(COLUMNS)


