"""Every rule of every suite: passes on good data and fails, naming where, on a broken input."""

import pandas as pd
import pytest

from checks.gx_bridge import run_suite
from checks.suites.deltas import deltas_suite
from checks.suites.raw import raw_cells_suite
from checks.suites.reports import manifest_suite
from checks.suites.validated import (
    KABKOTA_SOURCES,
    PROVINCE_SOURCES,
    complete_years,
    kabkota_panel_suite,
    province_panel_suite,
    region_reference_suite,
)
from estimation.cells import as_cells, empty_cells


def outcome(suite, frame, *only, related=None):
    """{rule: result}. Rules named in `only` are evaluated alone: each rule derives its own frame, so its result
    does not depend on the others, and an assertion on one rule need not pay a GX validation per frame of the
    whole suite. An assertion on the exact set of failing rules evaluates every rule (no `only`)."""
    rules = None
    if only:
        rules = [r for r in suite.rules if r.name in only]
        assert {r.name for r in rules} == set(only), f"{set(only)} are not all rules of {suite.name}"
    result = run_suite(suite, frame, rules=rules, related=related)
    return {r.rule: r for r in result.results}


def failing(suite, frame, *only, related=None):
    return {name for name, r in outcome(suite, frame, *only, related=related).items() if not r.passed}


# --- raw cells -------------------------------------------------------------------------------------------
def cells(rows):
    base = {"source_file": "bps/x.csv", "region_name": "Jombang", "province_name": "JAWA TIMUR",
            "variable": "p0", "status": "ok", "value": 1.0, "value_text": "1", "bps_code": "3517",
            "detail": "header row 2; column 2"}
    return pd.DataFrame([{**base, **row} for row in rows])


GOOD_CELLS = cells([{"source_row": 3, "source_column": str(y), "year": y} for y in (2022, 2023, 2024)])
STATISTICS_TABLE = "p0_kabkota"  # a yearly export with region names: every raw rule applies


def test_raw_suite_passes_on_good_cells():
    assert failing(raw_cells_suite(STATISTICS_TABLE), GOOD_CELLS) == set()
    assert [r.name for r in raw_cells_suite("extreme_national").rules] == [
        "has_figures", "values_are_numbers", "file_readable", "numbers_unambiguous", "values_in_range"]


def test_invalid_figure_named_by_file_row_column():
    broken = GOOD_CELLS.copy()
    broken.loc[1, ["status", "value_text"]] = ["invalid", "9.l5"]
    result = outcome(raw_cells_suite(STATISTICS_TABLE), broken, "values_are_numbers")["values_are_numbers"]
    assert not result.passed and "file bps/x.csv" in result.message and "row 3" in result.message
    assert "column '2023'" in result.message


def test_missing_year_column_named():
    broken = GOOD_CELLS[GOOD_CELLS["year"] != 2023]
    result = outcome(raw_cells_suite(STATISTICS_TABLE), broken, "year_columns_valid")["year_columns_valid"]
    assert not result.passed and "column '2023'" in result.message and "row 2" in result.message
    assert "missing between 2022 and 2024" in result.message


def test_duplicated_year_column_named():
    broken = cells([{"source_row": 3, "source_column": "2023", "year": y} for y in (2022, 2023, 2023)])
    result = outcome(raw_cells_suite(STATISTICS_TABLE), broken, "year_columns_valid")["year_columns_valid"]
    assert not result.passed and "year 2023 appears in 2 columns" in result.message


def test_header_that_is_not_a_year_named():
    broken = GOOD_CELLS.copy()
    broken.loc[2, ["source_column", "year"]] = ["2024*", None]
    result = outcome(raw_cells_suite(STATISTICS_TABLE), broken, "year_columns_valid")["year_columns_valid"]
    assert not result.passed and "'2024*' is not a year" in result.message


def test_unknown_region_named_with_row():
    broken = GOOD_CELLS.assign(region_name="Jombangg", bps_code=None)
    result = outcome(raw_cells_suite(STATISTICS_TABLE), broken, "region_names_known")["region_names_known"]
    assert not result.passed and "Jombangg" in result.message and "row 3" in result.message


def test_empty_file_fails():
    assert "has_figures" in failing(raw_cells_suite(STATISTICS_TABLE), GOOD_CELLS.iloc[0:0], "has_figures")


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
    assert "codes_unique" in failing(suite, dup, "codes_unique")
    bad = reference()
    bad.loc[40, "bps_code"] = "35A1"
    assert {"codes_four_digits", "code_in_province"} <= failing(suite, bad, "codes_four_digits", "code_in_province")


# --- kab/kota panel --------------------------------------------------------------------------------------
CODES = sorted(f"{3501 + i}" for i in range(514))
YEARS = range(2020, 2026)


PANEL = pd.DataFrame([{"bps_code": code, "name": f"K{code}", "year": year, "p0": 10.0, "p1": 2.0, "p2": 0.5,
                       "poor_thousand": 50.0, "poverty_line_rp": 500000.0, "prov_code": "35"}
                      for code in CODES for year in YEARS])


def panel():
    return PANEL.copy()  # a fresh copy: tests break it in place


def kab_reference():
    return pd.DataFrame({"bps_code": ["3500", *CODES], "name": ["JAWA TIMUR", *CODES],
                         "level": ["provinsi"] + ["kabupaten"] * len(CODES), "prov_code": "35",
                         "prov_name": "JAWA TIMUR", "bps_code_pre2022": ["3500", *CODES], "dapoer_loc_id": None})


def province(poor=50.0 * 514):
    return pd.DataFrame({"bps_code": "3500", "name": "JAWA TIMUR", "level": "provinsi", "prov_code": "35",
                         "prov_name": "JAWA TIMUR", "year": list(YEARS), "p0": 10.0, "poor_thousand": poor})


def news(quoted_p0="10.00"):
    return pd.DataFrame({"source_file": "crosscheck/news.csv", "source_row": [2], "bps_code": ["3524"],
                         "name": ["Lamongan"], "year": ["2021"], "p0": [quoted_p0], "n_poor_thousand": [""],
                         "source_url_or_repo_path": ["u"]})


def kab_related(**changes):
    empty = empty_cells().assign(bps_code=pd.Series(dtype="string"))
    related = {"region_reference": kab_reference(), "p0_province_validated": province(),
               "raw_news_quoted_figures": news(), **{name: empty for name in KABKOTA_SOURCES if name.startswith("raw")}}
    return {**related, **changes}


KABKOTA_SUITE = kabkota_panel_suite()


def kab_outcome(frame, *only, **changes):
    return outcome(KABKOTA_SUITE, frame, *only, related=kab_related(**changes))


def kab_failing(frame, *only, **changes):
    return {name for name, r in kab_outcome(frame, *only, **changes).items() if not r.passed}


def test_kabkota_panel_passes_on_good_panel():
    assert kab_failing(panel()) == set()


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
    assert rule in kab_failing(broken, rule)


def test_missing_kabkota_in_a_year_and_duplicates():
    broken = panel()
    broken = broken[~((broken["bps_code"] == "3517") & (broken["year"] == 2023))]
    p0_cells = _cells_of(panel(), "p0", "bps/p0.csv")
    gap = (p0_cells["bps_code"] == "3517") & (p0_cells["year"] == 2023)  # published as "-"
    p0_cells.loc[gap, ["status", "value_text", "value"]] = ["missing", "-", float("nan")]
    result = kab_outcome(broken, "all_kabkota_every_year", raw_p0_kabkota=p0_cells)["all_kabkota_every_year"]
    row = int(p0_cells.loc[gap, "source_row"].iloc[0])
    assert not result.passed and (f"file bps/p0.csv, row {row}, column '2023', region '3517', found '-' (513 of 514 "
                                  "kab/kota have a P0 for 2023; without: 3517)") in result.message
    # no cell in the table: the column and region
    unlocated = kab_outcome(broken, "all_kabkota_every_year")["all_kabkota_every_year"]
    assert "column '2023', region '3517', nothing found (513 of 514" in unlocated.message
    missing_everywhere = panel()[lambda f: f["bps_code"] != "3517"]
    assert "all_kabkota_every_year" in kab_failing(missing_everywhere, "all_kabkota_every_year")
    duplicated = pd.concat([panel(), panel().iloc[:1]])
    assert "code_year_unique" in kab_failing(duplicated, "code_year_unique")


def test_complete_years_start_where_the_data_are_complete():
    early = pd.DataFrame({"bps_code": ["3501"], "year": [2015], "p0": [10.0]})  # 2015: one kab/kota only
    assert complete_years(pd.concat([early, panel()]), 514) == list(YEARS)


def test_province_sum_and_quotes():
    assert kab_failing(panel(), p0_province_validated=province(poor=25000.0)) == {"kabkota_add_up_to_province"}
    prov_cells = _cells_of(province(poor=25000.0).assign(name="JAWA TIMUR"), "poor_thousand", "bps/poor.csv")
    message = kab_outcome(panel(), "kabkota_add_up_to_province", p0_province_validated=province(poor=25000.0),
                          raw_poor_kabkota=prov_cells)["kabkota_add_up_to_province"].message
    assert ("file bps/poor.csv, row 3, column '2020', region 'JAWA TIMUR', found '25000' (poor (thousand) 2020: the "
            "514 kab/kota add up to 25,700.00, difference +700.00") in message
    quoted = news(quoted_p0="13.38")
    lamongan = panel().assign(p0=lambda f: f["p0"].where(f["bps_code"] != "3524", 13.86))
    result = kab_outcome(lamongan.assign(year=lamongan["year"] - 4), "quoted_figures_agree",
                         raw_news_quoted_figures=quoted)["quoted_figures_agree"]
    assert not result.passed and result.severity == "WARN" and "13.38" in result.message


def test_sources_that_disagree_are_a_warning():
    def table(value):
        return as_cells(pd.DataFrame({"source_file": ["bps/a.csv"], "source_row": [9], "source_column": ["2023"],
                                      "region_name": ["K3517"], "year": [2023], "variable": ["p0"],
                                      "value": [value], "value_text": [f"{value}"], "status": ["ok"]})
                        ).assign(bps_code="3517")

    result = kab_outcome(panel(), "sources_agree", raw_p0_kabkota=table(10.0), raw_klasifikasi_2021=table(10.5))[
        "sources_agree"]
    assert not result.passed and result.severity == "WARN"
    assert ("file bps/a.csv, row 9, column '2023', region 'K3517', found '10.5' (P0 2023 differs from '10.0' (file "
            "bps/a.csv, row 9, column '2023'), which is kept)") in result.message
    assert "sources_agree" not in kab_failing(panel(), "sources_agree", raw_p0_kabkota=table(10.0),
                                              raw_klasifikasi_2021=table(10.0))


# --- province panel --------------------------------------------------------------------------------------
def prov_panel():
    return pd.DataFrame([{"bps_code": code, "name": code, "year": y, "p0": 9.0}
                         for code in ("0000", "3500") for y in range(2020, 2026)])


def prov_failing(frame, *only):
    empty = empty_cells().assign(bps_code=pd.Series(dtype="string"))
    related = {name: empty for name in PROVINCE_SOURCES} | {"region_reference": kab_reference()}
    return failing(province_panel_suite(), frame, *only, related=related)


def test_province_panel_rules():
    assert prov_failing(prov_panel()) == set()
    broken = prov_panel()
    broken.loc[0, "p0"] = 120.0
    assert prov_failing(broken) == {"p0_in_range"}
    no_indonesia = prov_panel()[lambda f: ~((f["bps_code"] == "0000") & (f["year"] == 2022))]
    assert prov_failing(no_indonesia) == {"indonesia_every_year"}
    assert "code_year_unique" in prov_failing(pd.concat([prov_panel(), prov_panel().iloc[:1]]), "code_year_unique")


# --- deltas ----------------------------------------------------------------------------------------------
def deltas():
    return pd.DataFrame({"bps_code": ["3517", "3518"], "name": ["Jombang", "Nganjuk"], "year": [2024, 2024],
                         "p0_prev": [9.15, 10.0], "p0": [8.6, 9.5], "delta_p0_pp": [-0.55, -0.5],
                         "prov_p0": [9.79, 9.79], "indonesia_p0": [9.03, 9.03],
                         "indonesia_p0_prev": [9.36, 9.36]})


def test_deltas_rules():
    suite = deltas_suite("d", kabkota=True)

    def deltas_failing(suite, frame, *only):
        return failing(suite, frame, *only, related={"p0_province_validated": prov_panel()})

    assert deltas_failing(suite, deltas()) == set()
    wrong = deltas().assign(delta_p0_pp=[-0.56, -0.5])
    assert deltas_failing(suite, wrong) == {"delta_is_difference"}
    jump = deltas().assign(p0=[2.0, 9.5], delta_p0_pp=[-7.15, -0.5])
    result = outcome(suite, jump, "large_p0_change")["large_p0_change"]
    assert not result.passed and result.severity == "WARN" and "Jombang" in result.message
    assert deltas_failing(suite, deltas().assign(prov_p0=[None, 9.79])) == {"province_beside_each_row"}
    assert deltas_failing(suite, deltas().assign(indonesia_p0=[None, 9.03])) == {"indonesia_beside_each_row"}
    assert "code_year_unique" in deltas_failing(suite, pd.concat([deltas(), deltas()]), "code_year_unique")


# --- published outputs ----------------------------------------------------------------------------------
def test_manifest_rules():
    suite = manifest_suite("m")
    good = pd.DataFrame({"path": ["a.csv"], "bytes": [10], "has_identity_column": [False]})
    assert failing(suite, good) == set()
    assert failing(suite, good.assign(bytes=[0])) == {"files_written"}
    assert failing(suite, good.assign(has_identity_column=[True])) == {"no_identity_columns"}


def test_underivable_frame_is_a_named_failure():
    result = kab_outcome(panel(), "quoted_figures_agree", raw_news_quoted_figures=news().drop(columns="p0"))[
        "quoted_figures_agree"]
    assert not result.passed and "could not be evaluated" in result.message
    missing = outcome(KABKOTA_SUITE, panel(), "codes_valid", related={})
    assert not missing["codes_valid"].passed


# --- panel figures named by where they stand in their source --------------------------------------------
def _cells_of(panel_frame: pd.DataFrame, variable: str, file: str) -> pd.DataFrame:
    """Raw cells that give `variable` of every row of a test panel: row = position + 3, column = year."""
    frame = panel_frame.reset_index(drop=True)
    return as_cells(pd.DataFrame({
        "source_file": file, "source_row": frame.index + 3, "source_column": frame["year"].astype(str),
        "region_name": frame["name"], "year": frame["year"], "variable": variable,
        "value": frame[variable], "value_text": [f"{v:g}" for v in frame[variable]], "status": "ok",
    })).assign(bps_code=frame["bps_code"].to_numpy())


@pytest.mark.parametrize("column, value, rule, file", [
    ("p0", 101.0, "p0_in_range", "bps/p0.csv"),
    ("poor_thousand", -1.0, "poor_nonnegative", "bps/poor.csv"),
    ("poverty_line_rp", 5.0, "poverty_line_positive", "bps/p0.csv"),
])
def test_panel_figure_rules_name_file_row_column_and_quote_the_text(column, value, rule, file):
    broken = panel()
    broken.loc[7, column] = value
    p0_cells = pd.concat([_cells_of(broken, "p0", "bps/p0.csv"),
                          _cells_of(broken, "poverty_line_rp", "bps/p0.csv")], ignore_index=True)
    result = kab_outcome(broken, rule, raw_p0_kabkota=p0_cells,
                         raw_poor_kabkota=_cells_of(broken, "poor_thousand", "bps/poor.csv"))[rule]
    year = int(broken.loc[7, "year"])
    message = result.message
    assert not result.passed and "\n" not in message
    assert f"file {file}, row 10, column '{year}', region 'K{broken.loc[7, 'bps_code']}', found '{value:g}'" in message


def test_a_panel_figure_no_cell_gave_is_shown_as_the_panel_holds_it():
    broken = panel()
    broken.loc[7, "p0"] = 101.0
    message = kab_outcome(broken, "p0_in_range")["p0_in_range"].message
    assert f"found '101.00' (P0 {int(broken.loc[7, 'year'])}, not traced to a source cell)" in message


def test_a_repeated_panel_row_is_named_by_its_source_cell():
    duplicated = pd.concat([panel(), panel().iloc[:1]], ignore_index=True)
    result = kab_outcome(duplicated, "code_year_unique", raw_p0_kabkota=_cells_of(panel(), "p0", "bps/p0.csv"))[
        "code_year_unique"]
    assert not result.passed
    assert "file bps/p0.csv, row 3, column '2020', region 'K3501', found '10' (P0 2020)" in result.message
