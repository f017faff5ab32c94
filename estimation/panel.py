"""Long panels (region x year) of the published BPS poverty figures, matched to 2025 BPS codes.

The BPS statistics tables (P0 and poor persons by kab/kota, with their province rows) are the primary
source. Other sources (poverty line, P1, P2, other exports) fill what the tables do not publish; where two
sources give the same figure and disagree, the statistics-table figure is kept and the disagreement is
listed by `source_conflicts`, never silently overwritten.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from estimation.regions import INDONESIA_CODE, match_region_names

PANEL_VARIABLES = ("p0", "poor_thousand", "poverty_line_rp", "p1", "p2")
# decimals BPS publishes; rounding after parsing makes "8.6" equal round(8.6, 2) exactly
DECIMALS = {"p0": 2, "p1": 2, "p2": 2, "poor_thousand": 2, "poverty_line_rp": 0, "population_thousand": 2}
PANEL_COLUMNS = [
    "bps_code", "name", "level", "prov_code", "prov_name", "year", "p0", "poor_thousand",
    "population_thousand", "poverty_line_rp", "p1", "p2", "source_files", "note",
]
# Where each figure of a panel stands in its source file (`figure_sources`): what the validated suites cite.
SOURCE_COLUMNS = [
    "bps_code", "year", "variable", "source_file", "source_row", "source_column", "region_name", "value_text",
    "status",
]
CONFLICT_COLUMNS = [
    "bps_code", "name", "year", "variable", "kept_value", "kept_source", "kept_row",
    "other_value", "other_source", "other_row", "difference",
    "kept_column", "kept_text", "other_column", "other_text", "other_region_name",  # where, and the texts
]
KABKOTA_LEVELS = ("kabupaten", "kota")


def build_kabkota_panel(
    p0_cells: pd.DataFrame,
    poor_cells: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    extra_cells: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Kab/kota x year: every kab/kota of the reference for every year the sources have."""
    figures = _figures([p0_cells, poor_cells, *extra_cells], reference)
    return _assemble(figures, reference, KABKOTA_LEVELS, _table_years([p0_cells, poor_cells]))


def build_province_panel(
    p0_cells: pd.DataFrame,
    poor_cells: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    daerah_cells: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """The 38 provinces plus Indonesia ("0000") x year; daerah rows give March, urban+rural (total) figures."""
    daerah = [march_total(c) for c in daerah_cells]
    figures = _figures([p0_cells, poor_cells, *daerah], reference)
    return _assemble(figures, reference, ("provinsi", "indonesia"), _table_years([p0_cells, poor_cells]))


def source_conflicts(
    p0_cells: pd.DataFrame,
    poor_cells: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    extra_cells: Sequence[pd.DataFrame] = (),
    daerah_cells: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Figures given by two sources that disagree after rounding to the published decimals.

    The kept figure is the one the panels use (statistics table first, then the extra sources in order).
    """
    sources = [p0_cells, poor_cells, *extra_cells, *(march_total(c) for c in daerah_cells)]
    figures = _figures(sources, reference)
    ok = figures[figures["status"] == "ok"]
    kept = ok.drop_duplicates(["bps_code", "year", "variable"], keep="first")
    others = ok.drop(kept.index)
    merged = others.merge(kept, on=["bps_code", "year", "variable"], suffixes=("_other", "_kept"))
    merged = merged[merged["value_other"] != merged["value_kept"]]
    names = _names(reference)
    out = pd.DataFrame({
        "bps_code": merged["bps_code"],
        "name": merged["bps_code"].map(names),
        "year": merged["year"],
        "variable": merged["variable"],
        "kept_value": merged["value_kept"],
        "kept_source": merged["source_file_kept"],
        "kept_row": merged["source_row_kept"],
        "other_value": merged["value_other"],
        "other_source": merged["source_file_other"],
        "other_row": merged["source_row_other"],
        "kept_column": merged["source_column_kept"],
        "kept_text": merged["value_text_kept"],
        "other_column": merged["source_column_other"],
        "other_text": merged["value_text_other"],
        "other_region_name": merged["region_name_other"],
    })
    out["difference"] = (out["other_value"].astype(float) - out["kept_value"].astype(float)).round(2)
    return out[CONFLICT_COLUMNS].sort_values(["bps_code", "year", "variable"]).reset_index(drop=True)


def kabkota_figure_sources(
    p0_cells: pd.DataFrame,
    poor_cells: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    extra_cells: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Where each figure of `build_kabkota_panel` (same arguments) came from (`figure_sources`)."""
    return figure_sources([p0_cells, poor_cells, *extra_cells], reference)


def province_figure_sources(
    p0_cells: pd.DataFrame,
    poor_cells: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    daerah_cells: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Where each figure of `build_province_panel` (same arguments) came from (`figure_sources`)."""
    return figure_sources([p0_cells, poor_cells, *(march_total(c) for c in daerah_cells)], reference)


def figure_sources(sources: Sequence[pd.DataFrame], reference: pd.DataFrame) -> pd.DataFrame:
    """One row per (bps_code, year, variable) of the panel built from `sources` (in priority order): the cell
    the panel kept (the first `ok` figure, as `_assemble` keeps it), else the first cell published for it
    (missing or not a number), with its file, row, column, region name and text as published (SOURCE_COLUMNS).

    A side table, not panel columns: the published panels stay as they are; the validated suites use it to
    name the file, row and column of a figure and quote it."""
    figures = _figures(sources, reference, rounded=False)  # which cell is kept does not depend on its value
    not_ok = figures["status"].ne("ok")
    ordered = figures.assign(_not_ok=not_ok).sort_values(["_not_ok", "priority"], kind="stable")
    located = ordered.drop_duplicates(["bps_code", "year", "variable"], keep="first")
    out = located[SOURCE_COLUMNS].copy()
    for column in ("bps_code", "variable", "source_file", "source_column", "region_name", "value_text", "status"):
        out[column] = out[column].astype("string")
    out["source_row"] = out["source_row"].astype("Int64")
    out["year"] = out["year"].astype("int64")
    return out.sort_values(["bps_code", "year", "variable"]).reset_index(drop=True)


def march_total(cells: pd.DataFrame) -> pd.DataFrame:
    """Daerah-row cells (detail "{daerah};{semester}") reduced to urban+rural total, March round.

    Years published only as an annual figure (before the semester split) count as March: Susenas was a
    March survey then.
    """
    if cells.empty or "detail" not in cells.columns:
        return cells
    parts = cells["detail"].fillna("").str.lower().str.split(";", n=1, expand=True)
    if parts.shape[1] < 2:
        return cells.iloc[0:0]
    daerah, semester = parts[0].str.strip(), parts[1].str.strip()
    total = cells[daerah.eq("total")]
    semester = semester[daerah.eq("total")]
    march = total[semester.eq("maret")]
    annual = total[~semester.isin(["maret", "september"])]
    have_march = set(zip(march.loc[march["status"] == "ok", "region_name"],
                         march.loc[march["status"] == "ok", "year"],
                         march.loc[march["status"] == "ok", "variable"], strict=True))
    keys = list(zip(annual["region_name"], annual["year"], annual["variable"], strict=True))
    annual = annual[[k not in have_march for k in keys]]
    return pd.concat([march, annual[annual["status"] == "ok"]], ignore_index=True)


def _table_years(tables: Sequence[pd.DataFrame]) -> list[int]:
    years: set[int] = set()
    for cells in tables:
        years |= {int(y) for y in cells["year"].dropna().unique()}
    return sorted(years)


FIGURE_COLUMNS = ["bps_code", "year", "variable", "value", "status", "source_file", "source_row", "note",
                  "source_column", "region_name", "value_text", "priority"]


def _figures(sources: Sequence[pd.DataFrame], reference: pd.DataFrame, *, rounded: bool = True) -> pd.DataFrame:
    """All matched figures of the panel variables, in source priority order, values rounded as published
    (`rounded=False`: as parsed, for who needs only where they stand)."""
    frames = []
    for priority, cells in enumerate(sources):
        if cells is None or cells.empty:
            continue
        # raw assets carry the code their name matched; cells straight from a parser are matched here
        matched = cells if "bps_code" in cells.columns else match_region_names(cells, reference)
        matched = matched[matched["bps_code"].notna() & matched["year"].notna()
                          & matched["variable"].isin(PANEL_VARIABLES)]
        frame = matched.reindex(columns=FIGURE_COLUMNS[:-1]).copy()
        frame["priority"] = priority
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    figures = pd.concat(frames, ignore_index=True)
    figures["year"] = figures["year"].astype(int)
    if rounded:  # Python's round (correctly rounded, as published), on plain floats
        decimals = figures["variable"].map(DECIMALS).tolist()
        values = figures["value"].astype("float64").tolist()
        figures["value"] = [round(v, d) if math.isfinite(v) else v for v, d in zip(values, decimals, strict=True)]
    return figures.sort_values("priority", kind="stable")


def _names(reference: pd.DataFrame) -> dict[str, str]:
    names = dict(zip(reference["bps_code"], reference["name"], strict=True))
    names[INDONESIA_CODE] = "INDONESIA"
    return names


def _regions(reference: pd.DataFrame, levels: Sequence[str]) -> pd.DataFrame:
    regions = reference.loc[reference["level"].isin(levels), ["bps_code", "name", "level", "prov_code",
                                                                "prov_name"]]
    if "indonesia" in levels:
        national = pd.DataFrame({"bps_code": [INDONESIA_CODE], "name": ["INDONESIA"], "level": ["indonesia"],
                                 "prov_code": [None], "prov_name": [None]}, dtype="string")
        regions = pd.concat([regions.astype("string"), national], ignore_index=True)
    return regions.astype("string").reset_index(drop=True)


def _joined_by_row(frame: pd.DataFrame, column: str, sep: str, *, sort: bool) -> pd.DataFrame:
    """Unique non-missing texts of `column` per (bps_code, year), joined (plain Python: groupby.agg is slow)."""
    collected: dict[tuple[str, int], list[str]] = {}
    for code, year, text in zip(frame["bps_code"], frame["year"], frame[column], strict=True):
        if pd.isna(text):
            continue
        seen = collected.setdefault((code, year), [])
        if str(text) not in seen:
            seen.append(str(text))
    rows = [(code, year, sep.join(sorted(v) if sort else v)) for (code, year), v in collected.items()]
    return pd.DataFrame(rows, columns=["bps_code", "year", column]).astype({"year": "int64"})


def _assemble(figures: pd.DataFrame, reference: pd.DataFrame, levels: Sequence[str],
              table_years: list[int]) -> pd.DataFrame:
    regions = _regions(reference, levels)
    figures = figures[figures["bps_code"].isin(regions["bps_code"])]
    ok = figures[figures["status"] == "ok"]
    kept = ok.drop_duplicates(["bps_code", "year", "variable"], keep="first")

    grid = regions.merge(pd.DataFrame({"year": table_years}), how="cross")
    # a region with figures outside the table years (e.g. national daerah rows) gets those years too
    extra = figures[["bps_code", "year"]].drop_duplicates()
    extra = extra.merge(regions, on="bps_code")
    panel = pd.concat([grid, extra], ignore_index=True).drop_duplicates(["bps_code", "year"])

    values = kept.pivot(index=["bps_code", "year"], columns="variable", values="value")
    values = values.reindex(columns=list(PANEL_VARIABLES))
    panel = panel.merge(values.reset_index(), on=["bps_code", "year"], how="left")

    sources = _joined_by_row(kept, "source_file", ";", sort=True).rename(columns={"source_file": "source_files"})
    panel = panel.merge(sources, on=["bps_code", "year"], how="left")
    panel = panel.merge(_joined_by_row(figures, "note", " | ", sort=False), on=["bps_code", "year"], how="left")

    p0 = panel["p0"].astype(float)
    implied = (panel["poor_thousand"].astype(float) / p0.where(p0 > 0) * 100).round(DECIMALS["population_thousand"])
    panel["population_thousand"] = implied
    for column in PANEL_VARIABLES + ("population_thousand",):
        panel[column] = panel[column].astype("float64")
    panel["year"] = panel["year"].astype("int64")
    for column in ("source_files", "note"):
        panel[column] = panel[column].astype("string")
    panel = panel[PANEL_COLUMNS].sort_values(["bps_code", "year"]).reset_index(drop=True)
    return panel
