"""Published extreme-poverty targets from the parsed cells, and the line definition of each round."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from estimation.parsers.catalog import parse_source
from estimation.sources import extreme_targets as targets_of
from estimation.synthetic.targets import (
    TARGET_COLUMNS,
    extreme_targets,
    first_target_year,
    line_definition_for,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


@pytest.fixture(scope="module")
def cells():
    return parse_source("extreme_national", RAW).cells, parse_source("extreme_province_2023", RAW).cells


@pytest.fixture(scope="module")
def targets(cells):
    return extreme_targets(*cells)


def test_national_march_rates_in_file_order(targets):
    assert list(targets.columns) == TARGET_COLUMNS
    nat = targets[targets["level"] == "national"]
    # September rounds left out; March 2024 on both lines (first published, then revised)
    assert nat[["year", "definition", "group", "target_pct"]].values.tolist() == [
        [2022, "usd190_2011ppp", 0, 2.04], [2023, "usd190_2011ppp", 0, 1.12], [2024, "usd190_2011ppp", 0, 0.83],
        [2024, "usd215_2017ppp", 0, 1.26], [2025, "usd215_2017ppp", 0, 0.85]]
    assert nat.index.tolist() == list(range(5))  # national rows first


def test_province_rates_on_the_line_of_their_round(targets):
    prov = targets[targets["level"] == "province"]
    assert len(prov) == 23 and len(targets) == 28  # Indonesia row ("00") left out
    assert (prov["definition"] == "usd190_2011ppp").all()
    first = prov.iloc[:5][["year", "group", "target_pct"]].values.tolist()
    assert first == [[2023, 94, 7.67], [2022, 94, 10.92], [2023, 91, 6.43], [2023, 75, 2.44], [2022, 75, 4.28]]
    assert prov.iloc[-1][["year", "group", "target_pct"]].tolist() == [2023, 64, 0.10]
    assert targets.dtypes.astype(str).tolist() == ["int64", "object", "object", "int64", "float64"]


def test_sources_path_gives_the_same_frame(targets):
    pd.testing.assert_frame_equal(targets_of(RAW), targets, check_exact=True)


def test_unknown_line_label_and_province_without_round(cells):
    national, province = cells
    renamed = national.assign(detail=national["detail"].str.replace("USD 1.90 2011 PPP", "USD 3.00"))
    with pytest.raises(ValueError, match="unknown extreme line label"):
        extreme_targets(renamed, province)
    with pytest.raises(ValueError, match="without a national rate"):
        extreme_targets(national[national["year"] != 2022], province)


def test_line_definition_per_round(targets):
    auto = {year: line_definition_for(year, targets) for year in range(2022, 2027)}
    # the revised USD 2.15 series from 2024 (a year with both lines takes the newer), in force after 2025
    assert auto == {2022: "usd190_2011ppp", 2023: "usd190_2011ppp", 2024: "usd215_2017ppp",
                    2025: "usd215_2017ppp", 2026: "usd215_2017ppp"}
    assert line_definition_for(2024, targets, "usd190_2011ppp") == "usd190_2011ppp"
    with pytest.raises(KeyError, match="unknown"):
        line_definition_for(2024, targets, "usd3")
    with pytest.raises(ValueError, match="in or before 2021"):
        line_definition_for(2021, targets)


def test_first_target_year(targets):
    assert first_target_year(targets) == 2022
    assert first_target_year(targets[targets["year"] >= 2024]) == 2024
    with pytest.raises(ValueError, match="no national"):
        first_target_year(targets[targets["level"] == "province"])
