"""Suites of the validated layer: region reference, kab/kota panel, province panel."""

from __future__ import annotations

import pandas as pd

from checks.gx_bridge import Rule, Suite
from estimation.consistency import province_sum_comparison
from estimation.crosscheck import QUOTE_COLUMNS, compare_quoted_figures
from estimation.panel import (
    DECIMALS,
    PANEL_VARIABLES,
    kabkota_figure_sources,
    province_figure_sources,
    source_conflicts,
)
from estimation.regions import INDONESIA_CODE

# The 2025 BPS region list: what the reference file must hold.
N_PROVINCES = 38
N_KABKOTA = 514


def region_reference_suite() -> Suite:
    def counts(ref: pd.DataFrame) -> pd.DataFrame:
        provinces = int((ref["level"] == "provinsi").sum())
        kabkota = int(ref["level"].isin(["kabupaten", "kota"]).sum())
        return pd.DataFrame({"what": ["provinsi", "kab/kota"], "count": [provinces, kabkota],
                             "expected": [N_PROVINCES, N_KABKOTA]}).assign(ok=lambda f: f["count"] == f["expected"])

    def prov_consistent(ref: pd.DataFrame) -> pd.DataFrame:
        return ref.assign(prefix_ok=ref["bps_code"].str[:2] == ref["prov_code"])[["bps_code", "name", "prefix_ok"]]

    return Suite("region_reference", [
        Rule("codes_unique", "each 2025 BPS code appears once",
             lambda E: E.ExpectColumnValuesToBeUnique(column="bps_code"), locate=("bps_code", "name")),
        Rule("codes_four_digits", "codes are 4 digits",
             lambda E: E.ExpectColumnValuesToMatchRegex(column="bps_code", regex=r"^\d{4}$"), locate=("bps_code", "name")),
        Rule("region_counts", "38 provinces and 514 kabupaten/kota",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), frame=counts,
             locate=("what", "count", "expected")),
        Rule("code_in_province", "the first two digits of a kab/kota code are its province code",
             lambda E: E.ExpectColumnValuesToBeInSet(column="prefix_ok", value_set=[True]), frame=prov_consistent,
             locate=("bps_code", "name")),
    ])


def _kabkota_codes(reference: pd.DataFrame) -> pd.Series:
    return reference.loc[reference["level"].isin(["kabupaten", "kota"]), "bps_code"]


def complete_years(panel: pd.DataFrame, n_kabkota: int) -> list[int]:
    """From the first year in which every kab/kota has a P0 to the panel's last year (the years the data tell
    must be complete: once all are published, a kab/kota missing later is a fault). Only the last year when
    no year is complete, so a kab/kota missing from every year fails too."""
    present = panel[panel["p0"].notna()].groupby("year")["bps_code"].nunique()
    last = int(panel["year"].max())
    full = present[present >= n_kabkota]
    first = int(full.index.min()) if len(full) else last
    return list(range(first, last + 1))


def _per_year_counts(panel: pd.DataFrame, p0_cells: pd.DataFrame, poor_cells: pd.DataFrame,
                     reference: pd.DataFrame, *extra: pd.DataFrame) -> pd.DataFrame:
    """One row per year that must be complete: how many kab/kota have a P0, located at the first kab/kota
    missing (its P0 cell in the statistics table, or the table's column when it has no row) with every missing
    one named."""
    kabkota = reference[reference["level"].isin(["kabupaten", "kota"])]
    n_kabkota = len(kabkota)
    years = pd.Index(complete_years(panel, n_kabkota), name="year")
    published = panel[panel["p0"].notna()]
    present = published.groupby("year")["bps_code"].nunique()
    counts = present.reindex(years).fillna(0).astype(int).to_numpy()
    names = dict(zip(kabkota["bps_code"], kabkota["name"], strict=True))
    where = _cell_of(_kabkota_sources(p0_cells, poor_cells, reference, *extra), "p0")
    table = (str(p0_cells["source_file"].dropna().iloc[0])
             if "source_file" in p0_cells.columns and p0_cells["source_file"].notna().any() else None)
    rows = []
    for year, n in zip(years, counts, strict=True):
        row = {"source_file": table, "source_row": None, "source_column": str(year), "region_name": None,
               "found": None, "problem": None}
        if n < n_kabkota:
            have = set(published.loc[published["year"] == year, "bps_code"])
            missing = [code for code in sorted(names) if code not in have]
            file, line, column, _, text = where.get((missing[0], int(year)), (table, None, str(year), None, None))
            shown = ", ".join(names[c] for c in missing[:MISSING_NAMED])
            more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
            row.update(source_file=file, source_row=None if pd.isna(line) else int(line), source_column=column,
                       region_name=names[missing[0]], found=None if pd.isna(text) else text,
                       problem=f"{n} of {n_kabkota} kab/kota have a P0 for {year}; without: {shown}{more}")
        rows.append(row)
    return _located_frame(rows).assign(year=list(years), n_kabkota=counts, expected=n_kabkota,
                                       complete=counts == n_kabkota)


def _cell_of(sources: pd.DataFrame, variable: str) -> dict[tuple[str, int], tuple]:
    """(bps_code, year) -> (file, row, column, region name, text) of `variable`'s cell in `figure_sources`."""
    cells = sources[sources["variable"] == variable]
    return {(c, int(y)): tuple(rest) for c, y, *rest in zip(
        cells["bps_code"], cells["year"], cells["source_file"], cells["source_row"], cells["source_column"],
        cells["region_name"], cells["value_text"], strict=True)}


def _located_frame(rows: list[dict]) -> pd.DataFrame:
    """FIGURE_LOCATE columns from dicts, row numbers kept as integers beside missing ones (never 102.0)."""
    frame = pd.DataFrame(rows, columns=list(FIGURE_LOCATE))
    frame["source_row"] = pd.Series([row["source_row"] for row in rows], index=frame.index, dtype="object")
    return frame


MISSING_NAMED = 10  # kab/kota named in a completeness message (every one is in the failing rows' CSV)


def _sums_not_exempt(kab: pd.DataFrame, province: pd.DataFrame, p0_cells: pd.DataFrame, poor_cells: pd.DataFrame,
                     reference: pd.DataFrame, *extra: pd.DataFrame) -> pd.DataFrame:
    """Kab/kota sums against their province's number of poor, located at the province's cell in the
    statistics table. The exempt rows stay in: checks.gx_bridge sets them aside and lists them with their
    `exempt_reason`."""
    sums = province_sum_comparison(kab, province, variable="poor_thousand").reset_index(drop=True)
    provinces = reference[reference["level"] == "provinsi"]
    code_of = dict(zip(provinces["prov_code"], provinces["bps_code"], strict=True))
    # the statistics tables' province rows
    where = _cell_of(_kabkota_sources(p0_cells, poor_cells, reference, *extra), "poor_thousand")
    located = []
    for row in sums.itertuples(index=False):
        file, line, column, name, text = where.get((code_of.get(row.prov_code), int(row.year)),
                                                   (None, None, str(row.year), row.prov_name, None))
        located.append({
            "source_file": file, "source_row": None if pd.isna(line) else int(line), "source_column": column,
            "region_name": name if isinstance(name, str) else row.prov_name,
            "found": text if isinstance(text, str) else _figure_text(row.prov_value, "poor_thousand"),
            "problem": (f"poor (thousand) {row.year}: the {row.n_with_value} kab/kota add up to {row.kab_sum:,.2f}, "
                        f"difference {row.difference:+,.2f} (rounding allows {row.tolerance:.3f})"),
        })
    return pd.concat([_located_frame(located), sums], axis=1)


def _quotes_compared(kab: pd.DataFrame, quotes: pd.DataFrame, province: pd.DataFrame) -> pd.DataFrame:
    """`compare_quoted_figures`, each quote located in the news file (its row and column) with the page's URL
    and what BPS publishes in the problem."""
    compared = compare_quoted_figures(quotes, kab, province).reset_index(drop=True)
    texts = quotes.astype(str).replace({"nan": "", "<NA>": ""})
    cells = [(record.get("source_file"), record.get("source_row"), column)
             for record in texts.to_dict("records") for column in QUOTE_COLUMNS
             if record.get(column, "").strip()]  # compare_quoted_figures' order: one row per quoted text
    if len(cells) != len(compared):
        cells = [(None, None, None)] * len(compared)
    located = [{
        "source_file": file or None, "source_row": int(line) if str(line or "").isdigit() else None,
        "source_column": column, "region_name": row.name, "found": row.quoted_text,
        "problem": (f"{FIGURE_LABELS.get(row.variable, row.variable)} {row.year} quoted by {row.source_url}; BPS "
                    f"publishes {'–' if pd.isna(row.published) else _figure_text(row.published, row.variable)}"),
    } for (file, line, column), row in zip(cells, compared.itertuples(index=False), strict=True)]
    return pd.concat([_located_frame(located), compared], axis=1)


def _conflicts(*sources: pd.DataFrame, daerah: bool = False) -> pd.DataFrame:
    """`panel.source_conflicts` as a frame to check: every row is a disagreement."""
    if daerah:
        _panel, p0, poor, reference, *rows = sources
        found = source_conflicts(p0, poor, reference, daerah_cells=rows)
    else:
        _panel, p0, poor, reference, *extra = sources
        found = source_conflicts(p0, poor, reference, extra_cells=extra)
    found = found.reset_index(drop=True)
    located = [{
        "source_file": row.other_source, "source_row": None if pd.isna(row.other_row) else int(row.other_row),
        "source_column": row.other_column,
        "region_name": row.other_region_name if isinstance(row.other_region_name, str) else row.name,
        "found": row.other_text if isinstance(row.other_text, str) else None,
        "problem": (f"{FIGURE_LABELS.get(row.variable, row.variable)} {row.year} differs from {row.kept_text!r} "
                    f"(file {row.kept_source}, row {row.kept_row}, column '{row.kept_column}'), which is kept"),
    } for row in found.itertuples(index=False)]
    return pd.concat([_located_frame(located), found], axis=1).assign(agrees=False)


# Population implied by poor / P0: a kab/kota's changes by a few percent a year. A larger jump between two
# consecutive years, from the first year all kab/kota are published, means one of the two figures is wrong
# (a P0 or a poor count from another row) -- unless people moved between two kab/kota of one province: BPS
# re-based on SP2020 (Kolaka +31.7% and Kolaka Timur -28.7% in 2021, their sum 400.1 -> 408.7 thousand). So a
# jump is explained when a kab/kota of the same province jumped the other way the same year and the two
# together changed by at most MAX_PAIR_CHANGE; the reason is carried in the row.
MAX_POPULATION_CHANGE = 0.15
MAX_PAIR_CHANGE = 0.05


def _moved_between_neighbours(jumps: pd.DataFrame) -> dict[int, str]:
    """{row of `jumps`: reason} for the jumps a neighbour's opposite jump explains (columns bps_code, name,
    year, population_thousand, previous, change)."""
    explained: dict[int, str] = {}
    big = jumps[jumps["change"].abs() > MAX_POPULATION_CHANGE]
    for (_province, _year), group in big.groupby([big["bps_code"].str[:2], "year"]):
        for i, a in group.iterrows():
            for j, b in group.iterrows():
                if i == j or (a["change"] > 0) == (b["change"] > 0):
                    continue
                pair = (a["population_thousand"] + b["population_thousand"]) / (a["previous"] + b["previous"]) - 1
                if abs(pair) <= MAX_PAIR_CHANGE:
                    explained[i] = (f"population moved between {a['name']} and {b['name']}: their sum "
                                    f"{a['previous'] + b['previous']:,.1f} -> "
                                    f"{a['population_thousand'] + b['population_thousand']:,.1f} thousand "
                                    f"({pair:+.1%})")
    return explained


def _raw_cell(cells: pd.DataFrame) -> dict[tuple[str, int], tuple[str, int, str, str]]:
    """(bps_code, year) -> (file, row, column, text) of the figure the panel kept (first ok cell)."""
    ok = cells[(cells["status"] == "ok") & cells["bps_code"].notna() & cells["year"].notna()]
    ok = ok.drop_duplicates(["bps_code", "year"], keep="first")
    return {(str(c), int(y)): (f, int(r), str(col), str(t)) for c, y, f, r, col, t in zip(
        ok["bps_code"], ok["year"], ok["source_file"], ok["source_row"], ok["source_column"], ok["value_text"],
        strict=True)}


def population_jumps(panel: pd.DataFrame, p0_cells: pd.DataFrame, poor_cells: pd.DataFrame) -> pd.DataFrame:
    """One row per kab/kota and year (after the first complete year) with the implied population of it and
    the year before; `plausible` False when it changes by more than MAX_POPULATION_CHANGE and no neighbour's
    opposite jump explains it (`explained_by`).
    Located at the P0 cell of the later year, the poor cell and both texts quoted."""
    first = complete_years(panel, int(panel["bps_code"].nunique()))[0]
    if "population_thousand" not in panel.columns:  # a panel as built has it; otherwise poor / P0 here
        p0 = panel["p0"].astype(float)
        panel = panel.assign(population_thousand=panel["poor_thousand"].astype(float) / p0.where(p0 > 0) * 100)
    frame = panel[["bps_code", "name", "year", "population_thousand"]].sort_values(["bps_code", "year"])
    before = frame.assign(year=frame["year"] + 1).rename(columns={"population_thousand": "previous"})
    pairs = frame.merge(before[["bps_code", "year", "previous"]], on=["bps_code", "year"])
    pairs = pairs[(pairs["year"] > first) & pairs["population_thousand"].notna() & pairs["previous"].notna()
                  & (pairs["previous"] > 0)]
    pairs = pairs.assign(change=pairs["population_thousand"] / pairs["previous"] - 1).reset_index(drop=True)
    moved = _moved_between_neighbours(pairs)
    p0, poor = _raw_cell(p0_cells), _raw_cell(poor_cells)
    rows = []
    for k, (code, name, year, population, previous, rel) in enumerate(
            pairs[["bps_code", "name", "year", "population_thousand", "previous", "change"]].itertuples(index=False)):
        p0_at = p0.get((code, int(year)), (None, None, str(year), None))
        poor_at = poor.get((code, int(year)))
        poor_text = (f"poor {poor_at[3]!r} (file {poor_at[0]}, row {poor_at[1]}, column '{poor_at[2]}')"
                     if poor_at else "poor -")
        rows.append({
            "source_file": p0_at[0], "source_row": p0_at[1], "source_column": p0_at[2], "region_name": name,
            "found": p0_at[3],
            "problem": (f"P0 with {poor_text}: implied population {population:,.1f} thousand, "
                        f"{year - 1}: {previous:,.1f} ({rel:+.1%})"),
            "bps_code": code, "year": int(year), "change": float(rel), "explained_by": moved.get(k, ""),
            "plausible": bool(k in moved or abs(rel) <= MAX_POPULATION_CHANGE),
        })
    columns = ["source_file", "source_row", "source_column", "region_name", "found", "problem", "bps_code", "year",
               "change", "explained_by", "plausible"]
    return pd.DataFrame(rows, columns=columns)


# --- figures located in their source -----------------------------------------------------------------------
# The panel rules (ranges, P2 <= P1 <= P0, one row per region and year, known codes) run on the panel's figures
# one per row, each with the file, row and column of the cell the panel kept and its text as published
# (`estimation.panel.figure_sources`, rebuilt from the raw assets the panel is built from), so a message names
# where a figure came from and quotes it. The published panels carry no location columns.
FIGURE_LABELS = {"p0": "P0", "poor_thousand": "poor (thousand)", "poverty_line_rp": "poverty line (Rp)",
                 "p1": "P1", "p2": "P2"}
BOUND_BY = {"p1": "p0", "p2": "p1"}  # P1 may not exceed P0 of its region and year, P2 not P1
FIGURE_LOCATE = ("source_file", "source_row", "source_column", "region_name", "found", "problem")


def _figure_text(value: float, variable: str) -> str:
    return f"{value:.{DECIMALS.get(variable, 2)}f}"


def located_figures(panel: pd.DataFrame, sources: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """The panel's figures one per row (the P0 row of every region and year, the other variables where
    published), each located by `sources` (`figure_sources`): source_file, source_row, source_column,
    region_name (as printed), found (the cell's text), problem; and for the rules: bps_code, year, variable,
    one value column per variable (set on its own rows only), p1_bound / p2_bound (the P0 / P1 a P1 / P2 may
    not exceed, on the P1 / P2 rows), code_known."""
    variables = [v for v in PANEL_VARIABLES if v in panel.columns]
    base = panel.reset_index(drop=True)
    name = base["name"] if "name" in base.columns else pd.Series(pd.NA, index=base.index)
    long = (base.assign(name=name, _panel_row=base.index)[["_panel_row", "bps_code", "name", "year", *variables]]
            .melt(id_vars=["_panel_row", "bps_code", "name", "year"], value_vars=variables, var_name="variable",
                  value_name="value"))
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long = long[long["value"].notna() | (long["variable"] == "p0")]
    long = long.assign(bps_code=long["bps_code"].astype("string"), year=long["year"].astype("int64"))
    where = sources[["bps_code", "year", "variable", "source_file", "source_row", "source_column", "region_name",
                     "value_text"]].assign(bps_code=lambda f: f["bps_code"].astype("string"),
                                          year=lambda f: f["year"].astype("int64"),
                                          variable=lambda f: f["variable"].astype(str))
    long = long.merge(where, on=["bps_code", "year", "variable"], how="left")
    long["variable"] = long["variable"].astype("category")  # compared often: codes, not strings
    # the figure a P1 / P2 is compared with, and where it stands
    for variable, bound in BOUND_BY.items():
        for column in ("value", "source_file", "source_row", "source_column", "value_text"):
            long[f"{variable}_{column}"] = pd.Series(pd.NA, index=long.index, dtype="object")
        upper = long.loc[long["variable"] == bound, ["_panel_row", "value", "source_file", "source_row",
                                                      "source_column", "value_text"]]
        upper = upper.rename(columns={c: f"_{c}" for c in upper.columns if c != "_panel_row"})
        rows = long["variable"] == variable
        joined = long.loc[rows, ["_panel_row"]].merge(upper, on="_panel_row", how="left")
        for column in upper.columns.drop("_panel_row"):
            long.loc[rows, f"{variable}{column}"] = joined[column].to_numpy()
    long = long.sort_values(["_panel_row", "variable"]).reset_index(drop=True)
    # found: the cell's text; a figure no cell gave (a panel made by hand) is shown as the panel holds it
    text = long["value_text"].astype("object")
    untraced = text.isna() & long["value"].notna()
    found = text.where(text.notna(), None)
    found[untraced] = [_figure_text(v, var) for v, var in zip(long.loc[untraced, "value"],
                                                              long.loc[untraced, "variable"], strict=True)]
    labels = {v: FIGURE_LABELS.get(v, v) for v in long["variable"].cat.categories}
    problem = long["variable"].map(labels).astype("object") + " " + long["year"].astype(str)
    problem[untraced] = problem[untraced] + ", not traced to a source cell"
    for variable, bound in BOUND_BY.items():  # "P1 2023 against P0 '17.92' (file F, row R, column 'C')"
        rows = long["variable"] == variable
        against = []
        for b_text, b_value, b_file, b_row, b_column in zip(
                *(long.loc[rows, f"{variable}_{c}"] for c in ("value_text", "value", "source_file", "source_row",
                                                               "source_column")), strict=True):
            shown = b_text if isinstance(b_text, str) else ("–" if pd.isna(b_value) else _figure_text(b_value, bound))
            at = f" (file {b_file}, row {b_row}, column '{b_column}')" if isinstance(b_file, str) else ""
            against.append(f" against {FIGURE_LABELS[bound]} {shown!r}{at}")
        problem[rows] = problem[rows] + pd.Series(against, index=problem[rows].index, dtype="object")
    long["found"], long["problem"] = found, problem
    long["region_name"] = long["region_name"].astype("object").where(long["region_name"].notna(), long["name"])
    for variable in variables:
        long[variable] = long["value"].where(long["variable"] == variable)
    for variable in BOUND_BY:
        long[f"{variable}_bound"] = pd.to_numeric(long[f"{variable}_value"], errors="coerce")
    codes = set(_kabkota_codes(reference)) if reference is not None else set()
    long["code_known"] = long["bps_code"].isin(codes)
    keep = [*FIGURE_LOCATE, "bps_code", "year", "variable", *variables, *(f"{v}_bound" for v in BOUND_BY),
            "code_known"]
    out = long.reindex(columns=keep)
    out["variable"] = out["variable"].astype(str)
    for column in ("source_file", "source_column", "region_name", "found", "problem"):
        out[column] = out[column].astype("object").where(out[column].notna(), None)
    out["source_row"] = out["source_row"].astype("object").where(out["source_row"].notna(), None)
    return out


_LAST_SOURCES: list[tuple[tuple[pd.DataFrame, ...], pd.DataFrame]] = []  # the frames it was built from, it


def _kabkota_sources(p0: pd.DataFrame, poor: pd.DataFrame, reference: pd.DataFrame,
                     *extra: pd.DataFrame) -> pd.DataFrame:
    """`kabkota_figure_sources` of these frames, built once for the rules of one evaluation that cite it (the
    last result is kept with the very frames it came from, compared by identity)."""
    frames = (p0, poor, reference, *extra)
    if _LAST_SOURCES and len(_LAST_SOURCES[0][0]) == len(frames) and all(
            a is b for a, b in zip(_LAST_SOURCES[0][0], frames, strict=True)):
        return _LAST_SOURCES[0][1]
    located = kabkota_figure_sources(p0, poor, reference, extra_cells=extra)
    _LAST_SOURCES[:] = [(frames, located)]
    return located


def _kabkota_figures(panel: pd.DataFrame, p0: pd.DataFrame, poor: pd.DataFrame, reference: pd.DataFrame,
                     *extra: pd.DataFrame) -> pd.DataFrame:
    return located_figures(panel, _kabkota_sources(p0, poor, reference, *extra), reference)


def _province_figures(panel: pd.DataFrame, p0: pd.DataFrame, poor: pd.DataFrame, reference: pd.DataFrame,
                      *daerah: pd.DataFrame) -> pd.DataFrame:
    located = located_figures(panel, province_figure_sources(p0, poor, reference, daerah_cells=daerah), None)
    return located.drop(columns="code_known")


# Raw assets the kab/kota panel is built from (the first two are the statistics tables), and the other
# sources whose figures must agree with it.
KABKOTA_SOURCES = ("raw_p0_kabkota", "raw_poor_kabkota", "region_reference", "raw_kabkota_2023_p0_p1_p2_gk",
                   "raw_poverty_line_2024_byname", "raw_poverty_line_2025_webapi", "raw_klasifikasi_2021",
                   "raw_jateng_2020_2025")
KABKOTA_FIGURE_SOURCES = KABKOTA_SOURCES[:6]  # what build_kabkota_panel reads, in its order
PROVINCE_SOURCES = ("raw_p0_kabkota", "raw_poor_kabkota", "region_reference", "raw_p0_daerah_rows",
                    "raw_poor_daerah_rows")

def kabkota_panel_suite() -> Suite:
    """Compares the panel with `region_reference`, `p0_province_validated`, `raw_news_quoted_figures` and the
    raw sources in KABKOTA_SOURCES, which the asset passes to `evaluate` by name."""
    figures: dict = {"frame": _kabkota_figures, "needs": KABKOTA_FIGURE_SOURCES, "locate": FIGURE_LOCATE}
    return Suite("p0_kabkota_validated", [
        Rule("code_year_unique", "one row per kab/kota and year",
             lambda E: E.ExpectCompoundColumnsToBeUnique(column_list=["bps_code", "year", "variable"]),
             **figures),
        Rule("codes_valid", "every code is a 2025 BPS kab/kota code of the region reference",
             lambda E: E.ExpectColumnValuesToBeInSet(column="code_known", value_set=[True]), **figures),
        Rule("all_kabkota_every_year",
             "every kab/kota has a P0 in every year from the first year all are published to the latest",
             lambda E: E.ExpectColumnValuesToBeInSet(column="complete", value_set=[True]), frame=_per_year_counts,
             needs=KABKOTA_FIGURE_SOURCES, locate=FIGURE_LOCATE),
        Rule("p0_in_range", "0 <= P0 <= 100",
             lambda E: E.ExpectColumnValuesToBeBetween(column="p0", min_value=0, max_value=100), **figures),
        Rule("p1_le_p0", "P1 <= P0 where both are published",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="p1_bound", column_B="p1", or_equal=True,
                                                                  ignore_row_if="either_value_is_missing"), **figures),
        Rule("p2_le_p1", "P2 <= P1 where both are published",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="p2_bound", column_B="p2", or_equal=True,
                                                                  ignore_row_if="either_value_is_missing"), **figures),
        Rule("implied_population_stable",
             f"the population implied by poor / P0 changes by at most {MAX_POPULATION_CHANGE:.0%} between two "
             "consecutive years from the first year all kab/kota are published (exceptions listed with their reason)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="plausible", value_set=[True]), frame=population_jumps,
             needs=("raw_p0_kabkota", "raw_poor_kabkota"),
             locate=("source_file", "source_row", "source_column", "region_name", "found", "problem")),
        Rule("poor_nonnegative", "number of poor >= 0",
             lambda E: E.ExpectColumnValuesToBeBetween(column="poor_thousand", min_value=0), **figures),
        Rule("poverty_line_positive", "poverty line (Rp/capita/month) between 100,000 and 2,000,000 where published",
             lambda E: E.ExpectColumnValuesToBeBetween(column="poverty_line_rp", min_value=100_000, max_value=2_000_000),
             **figures),
        Rule("kabkota_add_up_to_province",
             "kab/kota numbers of poor add up to their province within rounding (Papua before 2024 exempt: 2022 split)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="within_tolerance", value_set=[True]),
             frame=_sums_not_exempt, needs=("p0_province_validated", *KABKOTA_FIGURE_SOURCES),
             locate=("prov_code", "prov_name", "year", *FIGURE_LOCATE)),  # the exemptions list by province
        Rule("quoted_figures_agree", "figures quoted by news pages equal the published BPS figure (warning)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="agrees", value_set=[True]),
             frame=_quotes_compared, needs=("raw_news_quoted_figures", "p0_province_validated"), severity="WARN",
             locate=FIGURE_LOCATE),
        Rule("sources_agree",
             "where two sources give the same kab/kota figure they agree after rounding (the statistics table is "
             "kept; warning)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="agrees", value_set=[True]), frame=_conflicts,
             needs=KABKOTA_SOURCES, severity="WARN", locate=FIGURE_LOCATE),
    ])


def _indonesia_every_year(province: pd.DataFrame) -> pd.DataFrame:
    """From the first year with an Indonesia P0 to the panel's last year: is there one?"""
    national = province[(province["bps_code"] == INDONESIA_CODE) & province["p0"].notna()]
    last = int(province["year"].max())
    first = int(national["year"].min()) if len(national) else last
    years = range(first, last + 1)
    return pd.DataFrame({"year": list(years), "present": [y in set(national["year"]) for y in years]})


def province_panel_suite() -> Suite:
    """Compares the panel with the raw sources in PROVINCE_SOURCES, passed to `evaluate` by name."""
    figures: dict = {"frame": _province_figures, "needs": PROVINCE_SOURCES, "locate": FIGURE_LOCATE}
    return Suite("p0_province_validated", [
        Rule("code_year_unique", "one row per province (or Indonesia) and year",
             lambda E: E.ExpectCompoundColumnsToBeUnique(column_list=["bps_code", "year", "variable"]),
             **figures),
        Rule("p0_in_range", "0 <= P0 <= 100",
             lambda E: E.ExpectColumnValuesToBeBetween(column="p0", min_value=0, max_value=100), **figures),
        Rule("indonesia_every_year", "an Indonesia row (code 0000) with a P0 in every year from its first to the "
             "latest", lambda E: E.ExpectColumnValuesToBeInSet(column="present", value_set=[True]),
             frame=_indonesia_every_year, locate=("year",)),
        Rule("sources_agree",
             "where two sources give the same province figure they agree after rounding (the statistics table is "
             "kept; warning)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="agrees", value_set=[True]),
             frame=lambda *frames: _conflicts(*frames, daerah=True), needs=PROVINCE_SOURCES, severity="WARN",
             locate=FIGURE_LOCATE),
    ])
