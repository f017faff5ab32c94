"""Suites of the raw layer: each published file, as typed cells (see `estimation.cells`).

Blocking: the file can be read as its format (present, not empty, UTF-8, complete, the layout the parser
knows, a WebAPI status OK); every figure is a number or published as missing, read without ambiguity and in
its range (percentages 0-100, counts >= 0); year columns have no gap, no repeat and no header that is not a
year; every region name matches the reference (a name that matches nothing is named with its file and row,
never dropped) and stands once per year in a file (a repeated kab/kota row never lets one copy win
silently); every province row of a statistics table has its kab/kota rows. Each failure names the file, the
row, the column, the region and the text found (`checks.gx_bridge`: "found '...'").
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from checks.gx_bridge import Rule, Suite
from estimation.parsers.bps_table import structure_problems
from estimation.parsers.catalog import RAW_SOURCES
from estimation.parsers.problems import UNREADABLE

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


# Where a failing figure stands and what was found there (rendered by checks.gx_bridge).
FIGURE_LOCATION = ("source_file", "source_row", "source_column", "region_name", "found", "problem")
PERCENT_VARIABLES = frozenset({"p0", "p1", "p2", "extreme_rate_pct"})  # and every variable named *_pct
NONNEGATIVE_VARIABLES = frozenset({"poor_thousand", "poverty_line_rp", "extreme_poor_million", "extreme_line_rp"})


def _column(cells: pd.DataFrame, name: str) -> pd.Series:
    return cells[name] if name in cells.columns else pd.Series(pd.NA, index=cells.index, dtype="object")


def _problem_text(cells: pd.DataFrame) -> pd.Series:
    """What is wrong with a figure, in words: the parser's note, a ragged row's shift, else "not a number"."""
    detail = _column(cells, "detail").astype("object")
    note = _column(cells, "note").astype("object")
    out = []
    for d, n in zip(detail, note, strict=True):
        if isinstance(d, str) and "ragged row" in d:
            out.append(d[d.index("ragged row"):])
        elif isinstance(n, str) and n:
            out.append(n)
        else:
            out.append(None)
    return pd.Series(out, index=cells.index, dtype="object")


def located(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells with `found` (the text as published) and `problem` columns for the messages."""
    return cells.assign(found=_column(cells, "value_text").astype("object"), problem=_problem_text(cells))


def _figures(cells: pd.DataFrame) -> pd.DataFrame:
    """Figure cells (not the file-level fault of an unreadable file), located, invalid ones explained."""
    figures = located(cells[_column(cells, "status") != UNREADABLE])
    invalid = figures["status"] == "invalid"
    figures.loc[invalid & figures["problem"].isna(), "problem"] = "not a number"
    return figures


def checked_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Every cell, located, with the flags of the per-cell rules (one GX batch for all of them): `readable`
    (not a file-level fault), `unambiguous`, `in_range`; `problem` says what is wrong with a failing cell."""
    out = located(cells)
    status = _column(cells, "status")
    out.loc[(status == "invalid") & out["problem"].isna(), "problem"] = "not a number"
    ambiguous = _column(cells, "note").astype("string").str.contains("ambiguous", regex=False)
    ambiguous = ambiguous.fillna(False).astype(bool)
    variable = _column(cells, "variable").astype("string")
    percent = (variable.isin(PERCENT_VARIABLES) | variable.str.endswith("_pct")).fillna(False).astype(bool)
    count = variable.isin(NONNEGATIVE_VARIABLES).fillna(False).astype(bool)
    value = pd.to_numeric(_column(cells, "value"), errors="coerce").astype(float)
    is_ok = (status == "ok").fillna(False).astype(bool)
    wrong_percent = is_ok & percent & ~value.between(0, 100)
    wrong_count = is_ok & count & ~(value >= 0)
    out.loc[wrong_percent, "problem"] = "a percentage outside 0-100"
    out.loc[wrong_count, "problem"] = "a negative count"
    return out.assign(readable=(status != UNREADABLE).fillna(True).astype(bool), unambiguous=~ambiguous,
                      in_range=~(wrong_percent | wrong_count))


def file_readable_rule() -> Rule:
    return Rule(
        name="file_readable",
        expected="the published file, present, not empty, UTF-8, complete, in the layout its parser reads "
                 "(a WebAPI answer with status OK)",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="readable", value_set=[True]),
        frame=checked_cells,
        locate=FIGURE_LOCATION,
    )


def status_rule() -> Rule:
    return Rule(
        name="values_are_numbers",
        expected="every figure a number (as the file writes decimals), or '-' where BPS publishes no figure",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="status", value_set=["ok", "missing"]),
        frame=checked_cells,
        locate=FIGURE_LOCATION,
    )


def unambiguous_rule() -> Rule:
    """A lone point before three digits in a decimal-comma file ("11.394") is 11.394 or 11394: never guessed."""
    return Rule(
        name="numbers_unambiguous",
        expected="every figure read one way only: in a decimal-comma file a thousands point is written with its "
                 "decimals ('11.394,00') or not at all ('11394')",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="unambiguous", value_set=[True]),
        frame=checked_cells,
        locate=FIGURE_LOCATION,
    )


def range_rule() -> Rule:
    return Rule(
        name="values_in_range",
        expected="percentages (P0, P1, P2, rates, *_pct) between 0 and 100; numbers of poor and poverty lines >= 0",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="in_range", value_set=[True]),
        frame=checked_cells,
        locate=FIGURE_LOCATION,
    )


def not_empty_rule() -> Rule:
    return Rule(
        name="has_figures",
        expected="the file yields at least one figure",
        expectation=lambda E: E.ExpectTableRowCountToBeBetween(min_value=1),
        frame=checked_cells,
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
        first = first[["source_file", "source_row", "region_name", "province_name", "bps_code"]].astype(
            {"bps_code": "object"})
        return first.assign(found=first["region_name"].astype("object"),
                            problem=first["province_name"].astype("object").map(
                                lambda p: f"no 2025 BPS kab/kota or province of this name in {p}"
                                if isinstance(p, str) else "no 2025 BPS kab/kota or province of this name"))

    return Rule(
        name="region_names_known",
        expected="every published region name matches a 2025 BPS code (names, known variants, pre-2022 Papua)",
        expectation=lambda E: E.ExpectColumnValuesToNotBeNull(column="bps_code"),
        frame=matched,
        locate=("source_file", "source_row", "region_name", "province_name", "found", "problem"),
    )


def _repeated_regions(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per figure cell; `unique` is False on one cell per region that stands in more than one row of a
    file for the same year and variable (and detail, for sources that publish a figure twice under two
    definitions): the first year where the copies differ (else the first year), with every copy quoted."""
    figures = _figures(cells)
    figures = figures[figures["bps_code"].notna() & figures["status"].isin(["ok", "missing"])]
    detail = _column(figures, "detail").astype("string")  # statistics tables: "header row 2; column 21"
    keyed = figures.assign(_detail=detail.fillna(""), unique=True,
                           _definition=detail.str.replace(r"header row \d+; column \d+", "", regex=True).fillna(""))
    # the column position is in `detail` of a statistics table: a repeated year column is year_columns_valid's
    # finding, not a repeated region
    key = ["source_file", "source_column", "bps_code", "year", "variable", "_detail"]
    repeated = keyed.duplicated(key, keep=False) & keyed["year"].notna()
    if repeated.any():
        per_region = ["source_file", "bps_code", "_definition"]
        for _, group in keyed[repeated].groupby(per_region, dropna=False, sort=False):
            figures_of = list(group.groupby(["variable", "year"], sort=False))
            differing = [k for k, g in figures_of if g["value_text"].nunique(dropna=False) > 1]
            variable, year = differing[0] if differing else figures_of[0][0]
            copies = group[(group["variable"] == variable) & (group["year"] == year)]
            listed = "; ".join(f"row {r}: {t!r}" for r, t in zip(copies["source_row"], copies["value_text"],
                                                                  strict=True))
            rows = sorted({int(r) for r in group["source_row"]})
            first = copies.index[0]
            keyed.loc[first, "unique"] = False
            keyed.loc[first, "problem"] = (
                f"{group['bps_code'].iloc[0]} stands in rows {', '.join(map(str, rows))}; {variable} {int(year)} "
                f"{'differs' if differing else 'repeats'} ({listed}): no copy may win")
    return keyed.drop(columns=["_detail", "_definition"])


def regions_unique_rule() -> Rule:
    return Rule(
        name="regions_unique",
        expected="each kab/kota (and province) once per year and variable in a file",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="unique", value_set=[True]),
        frame=_repeated_regions,
        locate=FIGURE_LOCATION,
    )


def _province_blocks(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per province row of a statistics table; `has_kabkota` False when the next named row is
    another province (or the end of the table): the province's kab/kota rows are missing."""
    figures = cells[_column(cells, "status") != UNREADABLE]
    rows = figures.drop_duplicates(["source_file", "source_row"]).sort_values(["source_file", "source_row"])
    rows = rows[rows["region_name"].notna()]
    is_province = _column(rows, "is_province_row").astype("boolean").fillna(False).astype(bool)
    following = is_province.groupby(rows["source_file"]).shift(-1).astype("boolean").fillna(True).astype(bool)
    out = rows[is_province].assign(has_kabkota=~following[is_province], found=rows.loc[is_province, "region_name"])
    return out.assign(problem="a province row with no kab/kota rows under it (rows deleted or cut off?)")


def province_blocks_rule() -> Rule:
    return Rule(
        name="province_blocks_complete",
        expected="every province row of the statistics table followed by its kab/kota rows",
        expectation=lambda E: E.ExpectColumnValuesToBeInSet(column="has_kabkota", value_set=[True]),
        frame=_province_blocks,
        locate=("source_file", "source_row", "region_name", "found", "problem"),
    )


def raw_cells_suite(source: str) -> Suite:
    """The suite of the raw asset of catalog source `source` (asset `raw_<source>`)."""
    rules = [not_empty_rule(), status_rule(), file_readable_rule(), unambiguous_rule(), range_rule()]
    if source in YEARLY_COLUMN_SOURCES:
        rules += [year_columns_rule(), province_blocks_rule()]
    if source in MATCHED_SOURCES:
        rules += [region_names_rule(), regions_unique_rule()]
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
