"""Suites of the raw layer: each published file, as typed cells (see `estimation.cells`).

Blocking: every figure is a number or published as missing; year columns have no gap; every region name
matches the reference (a name that matches nothing is named with its file and row, never dropped).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from checks.gx_bridge import Rule, Suite


def year_columns(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per year between a file's first and last year column, with whether the column is there."""
    rows = []
    for source_file, group in cells.dropna(subset=["year"]).groupby("source_file"):
        years = sorted({int(y) for y in group["year"]})
        for year in range(years[0], years[-1] + 1):
            rows.append({"source_file": source_file, "source_column": str(year), "present": year in years})
    return pd.DataFrame(rows, columns=["source_file", "source_column", "present"])


def status_rule() -> Rule:
    return Rule(
        name="values_are_numbers",
        expected="every figure is a number, or '-' / empty where the source has none",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="status", value_set=["ok", "missing"]),
    )


def not_empty_rule() -> Rule:
    return Rule(
        name="has_figures",
        expected="the file yields at least one figure",
        expectation=lambda E: E.ExpectTableRowCountToBeBetween(min_value=1),
        locate=(),
    )


def year_gap_rule() -> Rule:
    return Rule(
        name="year_columns_contiguous",
        expected="a column for every year between the first and the last year of the table",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="present", value_set=[True]),
        frame=year_columns,
        locate=("source_file", "source_column"),
    )


def region_names_rule(match: Callable[[pd.DataFrame], pd.DataFrame]) -> Rule:
    """`match` adds `bps_code` to the cells (`estimation.regions.match_region_names` with the reference)."""

    def matched(cells: pd.DataFrame) -> pd.DataFrame:
        named = cells[cells["region_name"].notna()]
        out = match(named)
        first = out.drop_duplicates(subset=["source_file", "source_row"])
        return first[["source_file", "source_row", "region_name", "province_name", "bps_code"]].astype(
            {"bps_code": "object"}
        )

    return Rule(
        name="region_names_known",
        expected="every published region name matches a 2025 BPS code (names, known variants, pre-2022 Papua)",
        expectation=lambda E: E.ExpectColumnValuesToNotBeNull(column="bps_code"),
        frame=matched,
        locate=("source_file", "source_row", "region_name", "province_name"),
    )


def raw_cells_suite(
    name: str,
    *,
    match: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    yearly_columns: bool = False,
) -> Suite:
    rules = [not_empty_rule(), status_rule()]
    if yearly_columns:
        rules.append(year_gap_rule())
    if match is not None:
        rules.append(region_names_rule(match))
    return Suite(name=name, rules=rules)


def region_list_suite() -> Suite:
    """The region list file as read (the validated `region_reference` checks counts and codes)."""
    loc = ("bps_code", "name")
    return Suite("raw_region_reference", [
        Rule("has_rows", "the region list is not empty", lambda E: E.ExpectTableRowCountToBeBetween(min_value=1),
             locate=()),
        Rule("codes_present", "every row has a 2025 BPS code", lambda E: E.ExpectColumnValuesToNotBeNull(
            column="bps_code"), locate=loc),
        Rule("names_present", "every row has a name", lambda E: E.ExpectColumnValuesToNotBeNull(column="name"),
             locate=loc),
        Rule("levels_known", "level is provinsi, kabupaten or kota", lambda E: E.ExpectColumnValuesToBeInSet(
            column="level", value_set=["provinsi", "kabupaten", "kota"]), locate=loc),
    ])


def quoted_figures_suite() -> Suite:
    loc = ("source_row", "bps_code", "name", "year")
    return Suite("raw_news_quoted_figures", [
        Rule("codes_four_digits", "BPS codes of 4 digits", lambda E: E.ExpectColumnValuesToMatchRegex(
            column="bps_code", regex=r"^\d{4}$"), locate=loc),
        Rule("years_plausible", "years 2004-2030", lambda E: E.ExpectColumnValuesToBeBetween(
            column="year", min_value=2004, max_value=2030), locate=loc),
        Rule("p0_in_range", "0 <= quoted P0 <= 100", lambda E: E.ExpectColumnValuesToBeBetween(
            column="p0", min_value=0, max_value=100), locate=loc),
        Rule("source_given", "every quoted figure has its URL or source", lambda E: E.ExpectColumnValuesToNotBeNull(
            column="source_url_or_repo_path"), locate=loc),
    ])
