"""Every rule of every suite: passes on good data and fails, naming where, on a broken input."""

import pandas as pd
import pytest

from checks.gx_bridge import run_suite
from checks.suites.deltas import deltas_suite
from checks.suites.raw import raw_cells_suite
from checks.suites.reports import manifest_suite
from checks.suites.validated import kabkota_panel_suite, province_panel_suite, region_reference_suite


def outcome(suite, frame):
    result = run_suite(suite, frame)
    return {r.rule: r for r in result.results}


def failing(suite, frame):
    return {name for name, r in outcome(suite, frame).items() if not r.passed}


# --- raw cells -------------------------------------------------------------------------------------------
def cells(rows):
    base = {"source_file": "bps/x.csv", "region_name": "Jombang", "province_name": "JAWA TIMUR",
            "variable": "p0", "status": "ok", "value": 1.0, "value_text": "1"}
    return pd.DataFrame([{**base, **row} for row in rows])


def known(frame):
    return frame.assign(bps_code=frame["region_name"].map({"Jombang": "3517"}))


GOOD_CELLS = cells([{"source_row": 3, "source_column": str(y), "year": y} for y in (2022, 2023, 2024)])


def test_raw_suite_passes_on_good_cells():
    assert failing(raw_cells_suite("raw", match=known, yearly_columns=True), GOOD_CELLS) == set()


def test_invalid_figure_named_by_file_row_column():
    broken = GOOD_CELLS.copy()
    broken.loc[1, ["status", "value_text"]] = ["invalid", "9.l5"]
    result = outcome(raw_cells_suite("raw", match=known, yearly_columns=True), broken)["values_are_numbers"]
    assert not result.passed and "file bps/x.csv" in result.message and "row 3" in result.message
    assert "column '2023'" in result.message


def test_missing_year_column_named():
    broken = GOOD_CELLS[GOOD_CELLS["year"] != 2023]
    result = outcome(raw_cells_suite("raw", yearly_columns=True), broken)["year_columns_contiguous"]
    assert not result.passed and "column '2023'" in result.message


def test_unknown_region_named_with_row():
    broken = GOOD_CELLS.copy()
    broken.loc[:, "region_name"] = "Jombangg"
    result = outcome(raw_cells_suite("raw", match=known), broken)["region_names_known"]
    assert not result.passed and "Jombangg" in result.message and "row 3" in result.message


def test_empty_file_fails():
    assert "has_figures" in failing(raw_cells_suite("raw"), GOOD_CELLS.iloc[0:0])


# --- region reference ------------------------------------------------------------------------------------
def reference(n_prov=38, n_kab=514):
    provs = [{"bps_code": f"{11 + i:02d}00", "level": "provinsi", "prov_code": f"{11 + i:02d}", "name": f"P{i}"}
             for i in range(n_prov)]
    kabs = [{"bps_code": f"{11 + i % n_prov:02d}{i // n_prov + 1:02d}", "level": "kabupaten",
             "prov_code": f"{11 + i % n_prov:02d}", "name": f"K{i}"} for i in range(n_kab)]
    return pd.DataFrame(provs + kabs)


def test_region_reference_rules():
    suite = region_reference_suite()
    assert failing(suite, reference()) == set()
    assert failing(suite, reference(n_kab=513)) == {"region_counts"}
    dup = reference()
    dup.loc[len(dup) - 1, "bps_code"] = dup.loc[len(dup) - 2, "bps_code"]
    assert "codes_unique" in failing(suite, dup)
    bad = reference()
    bad.loc[40, "bps_code"] = "35A1"
    assert {"codes_four_digits", "code_in_province"} <= failing(suite, bad)


# --- kab/kota panel --------------------------------------------------------------------------------------
CODES = {f"{3501 + i}" for i in range(514)}


def panel():
    rows = [{"bps_code": code, "name": f"K{code}", "year": year, "p0": 10.0, "p1": 2.0, "p2": 0.5,
             "poor_thousand": 50.0, "poverty_line_rp": 500000.0, "prov_code": "35"}
            for code in sorted(CODES) for year in range(2020, 2026)]
    return pd.DataFrame(rows)


def sums(ok=True):
    return lambda kab: pd.DataFrame({"prov_code": ["35", "94"], "prov_name": ["JAWA TIMUR", "PAPUA"],
                                     "year": [2024, 2020], "kab_sum": [1.0, 2.0], "prov_value": [1.0, 9.0],
                                     "difference": [0.0, -7.0], "within_tolerance": [ok, False],
                                     "exempt": [False, True]})


def quotes(agree=True):
    return lambda kab: pd.DataFrame({"bps_code": ["3524"], "name": ["Lamongan"], "year": [2021], "variable": ["p0"],
                                     "quoted": [13.38], "published": [13.86], "source_url": ["u"],
                                     "agrees": [agree]})


def kab_suite(ok=True, agree=True):
    return kabkota_panel_suite(CODES, quoted=quotes(agree), sum_comparison=sums(ok))


def test_kabkota_panel_passes_on_good_panel():
    assert failing(kab_suite(), panel()) == set()


@pytest.mark.parametrize("column, value, rule", [
    ("p0", 101.0, "p0_in_range"),
    ("p0", -0.1, "p0_in_range"),
    ("p1", 11.0, "p1_le_p0"),
    ("p2", 2.5, "p2_le_p1"),
    ("poor_thousand", -1.0, "poor_nonnegative"),
    ("poverty_line_rp", 5.0, "poverty_line_positive"),
    ("bps_code", "9999", "codes_valid"),
])
def test_kabkota_panel_rule_fails(column, value, rule):
    broken = panel()
    broken.loc[7, column] = value
    assert rule in failing(kab_suite(), broken)


def test_missing_kabkota_in_a_year_and_duplicates():
    broken = panel()
    broken = broken[~((broken["bps_code"] == "3517") & (broken["year"] == 2023))]
    assert "all_kabkota_2020_2025" in failing(kab_suite(), broken)
    duplicated = pd.concat([panel(), panel().iloc[:1]])
    assert "code_year_unique" in failing(kab_suite(), duplicated)


def test_province_sum_and_quotes():
    assert failing(kab_suite(ok=False), panel()) == {"kabkota_add_up_to_province"}
    result = outcome(kab_suite(agree=False), panel())["quoted_figures_agree"]
    assert not result.passed and result.severity == "WARN" and "13.38" in result.message


# --- province panel --------------------------------------------------------------------------------------
def prov_panel():
    return pd.DataFrame([{"bps_code": code, "name": code, "year": y, "p0": 9.0}
                         for code in ("0000", "3500") for y in range(2020, 2026)])


def test_province_panel_rules():
    suite = province_panel_suite()
    assert failing(suite, prov_panel()) == set()
    broken = prov_panel()
    broken.loc[0, "p0"] = 120.0
    assert failing(suite, broken) == {"p0_in_range"}
    no_indonesia = prov_panel()[lambda f: ~((f["bps_code"] == "0000") & (f["year"] == 2022))]
    assert failing(suite, no_indonesia) == {"indonesia_present"}
    assert "code_year_unique" in failing(suite, pd.concat([prov_panel(), prov_panel().iloc[:1]]))


# --- deltas ----------------------------------------------------------------------------------------------
def deltas():
    return pd.DataFrame({"bps_code": ["3517", "3518"], "name": ["Jombang", "Nganjuk"], "year": [2024, 2024],
                         "p0_prev": [9.15, 10.0], "p0": [8.6, 9.5], "delta_p0_pp": [-0.55, -0.5],
                         "prov_p0": [9.79, 9.79], "indonesia_p0": [9.03, 9.03],
                         "indonesia_p0_prev": [9.36, 9.36]})


def test_deltas_rules():
    suite = deltas_suite("d", kabkota=True)
    assert failing(suite, deltas()) == set()
    wrong = deltas().assign(delta_p0_pp=[-0.56, -0.5])
    assert failing(suite, wrong) == {"delta_is_difference"}
    jump = deltas().assign(p0=[2.0, 9.5], delta_p0_pp=[-7.15, -0.5])
    result = outcome(suite, jump)["large_p0_change"]
    assert not result.passed and result.severity == "WARN" and "Jombang" in result.message
    assert failing(suite, deltas().assign(prov_p0=[None, 9.79])) == {"province_beside_each_row"}
    assert failing(suite, deltas().assign(indonesia_p0=[None, 9.03])) == {"indonesia_beside_each_row"}
    assert "code_year_unique" in failing(suite, pd.concat([deltas(), deltas()]))


# --- published outputs ----------------------------------------------------------------------------------
def test_manifest_rules():
    suite = manifest_suite("m")
    good = pd.DataFrame({"path": ["a.csv"], "bytes": [10], "has_identity_column": [False]})
    assert failing(suite, good) == set()
    assert failing(suite, good.assign(bytes=[0])) == {"files_written"}
    assert failing(suite, good.assign(has_identity_column=[True])) == {"no_identity_columns"}


def test_underivable_frame_is_a_named_failure():
    suite = kabkota_panel_suite(CODES, quoted=lambda kab: kab["no_such_column"], sum_comparison=sums())
    result = outcome(suite, panel())["quoted_figures_agree"]
    assert not result.passed and "KeyError" in result.message
