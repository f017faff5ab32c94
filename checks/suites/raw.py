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
    problems = structure_problems(cells[cells["status"] != UNREADABLE])  # a file-level fault: file_readable
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
    """What the parser says about a cell: a ragged row's shift (statistics tables), else its note."""
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


def _add_problem(frame: pd.DataFrame, index: pd.Index, text: str | list[str]) -> None:
    texts = [text] * len(index) if isinstance(text, str) else text
    old = frame.loc[index, "problem"]
    frame.loc[index, "problem"] = [t if not isinstance(o, str) else f"{o}; {t}" for o, t in zip(old, texts,
                                                                                                 strict=True)]


def _repeated_regions(cells: pd.DataFrame) -> dict[object, str]:
    """Cell index -> problem, one cell per region that stands in more than one row of a file for the same year
    and variable (and definition, for sources that publish a figure twice): the first year where the copies
    differ (else the first year), with every copy quoted. The column position is part of a statistics
    table's `detail`, so a repeated year column is year_columns_valid's finding, not a repeated region."""
    status = _column(cells, "status")
    figures = cells[_column(cells, "bps_code").notna() & status.isin(["ok", "missing"]) & cells["year"].notna()]
    detail = _column(figures, "detail").astype("string")
    keyed = figures.assign(_detail=detail.fillna(""))
    key = ["source_file", "source_column", "bps_code", "year", "variable", "_detail"]
    repeated = keyed[keyed.duplicated(key, keep=False)]
    repeated = repeated.assign(_definition=repeated["_detail"].str.replace(r"header row \d+; column \d+", "",
                                                                           regex=True))
    found: dict[object, str] = {}
    for _, group in repeated.groupby(["source_file", "bps_code", "_definition"], dropna=False, sort=False):
        figures_of = list(group.groupby(["variable", "year"], sort=False))
        differing = [k for k, g in figures_of if g["value_text"].nunique(dropna=False) > 1]
        variable, year = differing[0] if differing else figures_of[0][0]
        copies = group[(group["variable"] == variable) & (group["year"] == year)]
        listed = "; ".join(f"row {r}: {t!r}" for r, t in zip(copies["source_row"], copies["value_text"], strict=True))
        rows = ", ".join(str(r) for r in sorted({int(r) for r in group["source_row"]}))
        found[copies.index[0]] = (f"{group['bps_code'].iloc[0]} stands in rows {rows}; {variable} {int(year)} "
                                  f"{'differs' if differing else 'repeats'} ({listed}): no copy may win")
    return found


def _empty_province_rows(cells: pd.DataFrame) -> pd.Index:
    """First cell of each province row of a statistics table (cells whose detail names the header row) with no
    kab/kota row before the next province row or the end of the table."""
    table = cells[_column(cells, "detail").astype("string").str.startswith("header row").fillna(False)]
    rows = table.drop_duplicates(["source_file", "source_row"]).sort_values(["source_file", "source_row"])
    rows = rows[rows["region_name"].notna()]
    if rows.empty:
        return pd.Index([])
    is_province = _column(rows, "is_province_row").astype("boolean").fillna(False).astype(bool)
    following = is_province.groupby(rows["source_file"]).shift(-1).astype("boolean").fillna(True).astype(bool)
    return rows.index[is_province & following]


def checked_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Every cell, located (`found`: the text as published; `problem`: what is wrong), with the flags of the
    per-cell and per-row rules, so that one GX batch checks all of them: `readable` (not a file-level fault),
    `unambiguous`, `in_range`, and where the raw asset matched names (a `bps_code` column) `name_known` and
    `unique` (on the first cell of a row / of a repeated region), and for statistics tables `has_kabkota`."""
    status = _column(cells, "status")
    out = cells.assign(found=_column(cells, "value_text").astype("object"),
                       problem=pd.Series(None, index=cells.index, dtype="object"))
    said = _problem_text(cells)
    bad = status.isin(["invalid", UNREADABLE]).fillna(False).astype(bool)
    out.loc[bad, "problem"] = said[bad].fillna("not a number")
    ambiguous = _column(cells, "note").astype("string").str.contains("ambiguous", regex=False)
    ambiguous = ambiguous.fillna(False).astype(bool)
    out.loc[ambiguous, "problem"] = said[ambiguous]
    variable = _column(cells, "variable").astype("string")
    percent = (variable.isin(PERCENT_VARIABLES) | variable.str.endswith("_pct")).fillna(False).astype(bool)
    count = variable.isin(NONNEGATIVE_VARIABLES).fillna(False).astype(bool)
    value = pd.to_numeric(_column(cells, "value"), errors="coerce").astype(float)
    is_ok = (status == "ok").fillna(False).astype(bool)
    wrong_percent = is_ok & percent & ~value.between(0, 100)
    wrong_count = is_ok & count & ~(value >= 0)
    out.loc[wrong_percent, "problem"] = "a percentage outside 0-100"
    out.loc[wrong_count, "problem"] = "a negative count"
    readable = (status != UNREADABLE).fillna(True).astype(bool)
    out = out.assign(readable=readable, number_or_missing=status.isin(["ok", "missing"]) | ~readable,
                     unambiguous=~ambiguous,
                     in_range=~(wrong_percent | wrong_count), name_known=True, unique=True, has_kabkota=True)

    if "bps_code" in cells.columns:  # matched by the raw asset
        named = cells[cells["region_name"].notna() & (status != UNREADABLE).fillna(True).astype(bool)]
        named = named.drop_duplicates(["source_file", "source_row"])  # the name of an unreadable line is no name
        unknown = named.index[named["bps_code"].isna()]
        out.loc[unknown, "name_known"] = False
        _add_problem(out, unknown, [f"no 2025 BPS kab/kota or province of this name in {p}" if isinstance(p, str)
                                    else "no 2025 BPS kab/kota or province of this name"
                                    for p in _column(named, "province_name")[unknown]])
        repeated = _repeated_regions(cells)
        out.loc[list(repeated), "unique"] = False
        _add_problem(out, pd.Index(list(repeated)), list(repeated.values()))
    empty = _empty_province_rows(cells)
    out.loc[empty, "has_kabkota"] = False
    _add_problem(out, empty, "a province row with no kab/kota rows under it (rows deleted or cut off?)")
    return out[[c for c in CHECKED_COLUMNS if c in out.columns]]  # only what the rules read: GX copies the frame


CHECKED_COLUMNS = ("source_file", "source_row", "source_column", "region_name", "province_name", "found", "problem",
                   "status", "readable", "number_or_missing", "unambiguous", "in_range", "name_known", "unique", "has_kabkota")


def _per_cell_rule(name: str, expected: str, column: str, locate: Sequence[str] = FIGURE_LOCATION) -> Rule:
    return Rule(name=name, expected=expected, frame=checked_cells, locate=locate,
                expectation=lambda E: E.ExpectColumnValuesToBeInSet(column=column, value_set=[True]))


def file_readable_rule() -> Rule:
    return _per_cell_rule(
        "file_readable", "the published file, present, not empty, UTF-8, complete, in the layout its parser reads "
        "(a WebAPI answer with status OK)", "readable")


def status_rule() -> Rule:
    return _per_cell_rule(
        "values_are_numbers", "every figure a number (as the file writes decimals), or '-' where BPS publishes no "
        "figure", "number_or_missing")


def unambiguous_rule() -> Rule:
    """A lone point before three digits in a decimal-comma file ("11.394") is 11.394 or 11394: never guessed."""
    return _per_cell_rule(
        "numbers_unambiguous", "every figure read one way only: in a decimal-comma file a thousands point is "
        "written with its decimals ('11.394,00') or not at all ('11394')", "unambiguous")


def range_rule() -> Rule:
    return _per_cell_rule(
        "values_in_range", "percentages (P0, P1, P2, rates, *_pct) between 0 and 100; numbers of poor and poverty "
        "lines >= 0", "in_range")


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
    return _per_cell_rule(
        "region_names_known", "every published region name matches a 2025 BPS code (names, known variants, "
        "pre-2022 Papua)", "name_known", ("source_file", "source_row", "region_name", "province_name", "problem"))


def regions_unique_rule() -> Rule:
    return _per_cell_rule("regions_unique", "each kab/kota (and province) once per year and variable in a file",
                          "unique")


def province_blocks_rule() -> Rule:
    return _per_cell_rule("province_blocks_complete",
                          "every province row of the statistics table followed by its kab/kota rows", "has_kabkota",
                          ("source_file", "source_row", "region_name", "problem"))


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
