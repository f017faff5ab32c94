"""Suites of the raw layer: each published file, as typed cells (see `estimation.cells`).

Blocking: every figure is a number or published as missing; year columns have no gap, no repeat and no
header that is not a year; every region name matches the reference (a name that matches nothing is named
with its file and row, never dropped).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from checks.gx_bridge import Rule, Suite
from estimation.parsers.bps_table import structure_problems
from estimation.parsers.catalog import RAW_SOURCES

# Sources without kab/kota or province names to match (national / pre-split province rows, daerah rows).
UNMATCHED_SOURCES = frozenset({"extreme_national", "extreme_province_2023", "p0_daerah_rows", "poor_daerah_rows"})
MATCHED_SOURCES = frozenset(RAW_SOURCES) - UNMATCHED_SOURCES
# Statistics-table exports whose columns are years (a missing or repeated year column is a structural fault).
YEARLY_COLUMN_SOURCES = frozenset({"p0_kabkota", "poor_kabkota"})


def header_problems(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per faulty year column of a statistics-table export: not a year, repeated, or missing between
    two others (`estimation.parsers.bps_table.structure_problems`; invalid cells are `values_are_numbers`)."""
    problems = structure_problems(cells)
    problems = problems[~problems["problem"].str.startswith("not a number")
                        & ~problems["problem"].str.contains("ragged row", regex=False)]
    return problems.assign(ok=False).reset_index(drop=True)


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


def year_columns_rule() -> Rule:
    return Rule(
        name="year_columns_valid",
        expected="one column per year, every year between the first and the last, each header a year",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]),
        frame=header_problems,
        locate=("source_file", "source_row", "source_column", "problem"),
    )


def region_names_rule() -> Rule:
    """The raw asset matched each name once (`estimation.regions.match_region_names`): its `bps_code`."""

    def matched(cells: pd.DataFrame) -> pd.DataFrame:
        named = cells[cells["region_name"].notna()]
        first = named.drop_duplicates(subset=["source_file", "source_row"])
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


def raw_cells_suite(source: str) -> Suite:
    """The suite of the raw asset of catalog source `source` (asset `raw_<source>`)."""
    rules = [not_empty_rule(), status_rule()]
    if source in YEARLY_COLUMN_SOURCES:
        rules.append(year_columns_rule())
    if source in MATCHED_SOURCES:
        rules.append(region_names_rule())
    return Suite(name=f"raw_{source}", rules=rules)


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


def _quoted_numbers(quotes: pd.DataFrame) -> pd.DataFrame:
    """The quotes (kept as text) with year and P0 as numbers; text that is not a number becomes -1, so the
    range rules name it (GX skips missing values)."""
    return quotes.assign(year_number=pd.to_numeric(quotes["year"], errors="coerce").fillna(-1),
                         p0_number=pd.to_numeric(quotes["p0"], errors="coerce").fillna(-1),
                         p0_given=quotes["p0"].str.strip() != "")


def quoted_figures_suite(data_years: Sequence[int]) -> Suite:
    """`data_years`: the years of the P0 export (`assets.partitions.DataCalendar.years`)."""
    loc = ("source_file", "source_row", "bps_code", "name", "year")
    first, last = min(data_years), max(data_years)
    return Suite("raw_news_quoted_figures", [
        Rule("codes_four_digits", "BPS codes of 4 digits", lambda E: E.ExpectColumnValuesToMatchRegex(
            column="bps_code", regex=r"^\d{4}$"), locate=loc),
        Rule("years_in_data", f"a year the BPS tables cover ({first}-{last})",
             lambda E: E.ExpectColumnValuesToBeBetween(column="year_number", min_value=first, max_value=last),
             frame=_quoted_numbers, locate=loc),
        Rule("p0_in_range", "a quoted P0 is a number between 0 and 100",
             lambda E: E.ExpectColumnValuesToBeBetween(column="p0_number", min_value=0, max_value=100),
             frame=lambda q: _quoted_numbers(q)[lambda f: f["p0_given"]], locate=loc),
        Rule("source_given", "every quoted figure has its URL or source", lambda E: E.ExpectColumnValuesToMatchRegex(
            column="source_url_or_repo_path", regex=r"\S"), locate=loc),
    ])
