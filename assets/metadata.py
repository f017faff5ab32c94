"""What the Dagster UI shows about a table asset: each partition's own figures and a preview of the data.

* `record_partitions`: a partitioned asset materialised for many years in one run (single-run backfill)
  records, for every year, that year's own row count and key figures (Dagster's partition-scoped asset
  metadata), so the Plots view draws a series over the years instead of the same value 21 times.
* `preview`: a small table an analyst reads without opening a file: the kab/kota with the highest and the
  lowest value of the latest year and the row of one kab/kota (default Jombang, 3517; the environment variable
  KEMISKINAN_PREVIEW_KABKOTA names another, by code). Labels come from the data dictionary, numbers are in
  Indonesian format (decimal comma, thousands dot, proportions in percent) and a missing value is "–".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue

from estimation.dictionary import column_info
from estimation.regions import FIELD_NOTES_KABKOTA

PREVIEW_KABKOTA_ENV = "KEMISKINAN_PREVIEW_KABKOTA"
DEFAULT_PREVIEW_KABKOTA = FIELD_NOTES_KABKOTA[0]  # 3517 Jombang, the first kab/kota of the field notes
PREVIEW_ROWS = 5  # highest and lowest shown
MISSING = "–"  # en dash, as BPS tables print a missing cell
PARTITION_COLUMN = "year"
PROPORTION = "proporsi (0-1)"  # the dictionary's unit of a stored proportion

Figures = Callable[[pd.DataFrame], Mapping[str, Any]]


def preview_kabkota() -> str:
    """The kab/kota whose row every preview shows (4-digit BPS code)."""
    code = os.environ.get(PREVIEW_KABKOTA_ENV, "").strip() or DEFAULT_PREVIEW_KABKOTA
    if not (len(code) == 4 and code.isdigit()):
        raise ValueError(f"{PREVIEW_KABKOTA_ENV}={code!r}: expected a 4-digit BPS kab/kota code, e.g. 3517")
    return code


def record_partitions(context: AssetExecutionContext, frame: pd.DataFrame, asset: str, figures: Figures) -> None:
    """Attach to each partition being materialised its own row count and `figures(rows of that year)`."""
    years = frame[PARTITION_COLUMN]
    numeric = pd.api.types.is_numeric_dtype(years)
    for key in context.partition_keys:
        part = frame[years == (int(key) if numeric else key)]
        metadata = {"dagster/row_count": MetadataValue.int(len(part)), **figures(part)}
        context.add_asset_metadata(metadata, asset_key=asset, partition_key=key)


def number(value: Any, decimals: int = 2) -> str:
    """Indonesian format: 3982.73 -> "3.982,73", NaN -> "–"."""
    # imported here: the chart helpers bring matplotlib, which the code location does not load
    from estimation.charts.formatting import format_number_id

    try:
        return format_number_id(value, decimals)
    except TypeError:
        return MISSING


def cell_text(value: Any, column: str, table: str | None = None) -> str:
    """A cell as a reader sees it: numbers formatted by the dictionary's decimals (proportions in percent),
    codes and names as they are, missing as "–"."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        try:
            entry = column_info(column, table)
        except KeyError:
            entry = None
        if column == PARTITION_COLUMN:
            return str(int(value))
        if entry is not None and entry.unit == PROPORTION:  # readers see rates in percent
            return number(float(value) * 100.0, entry.decimals if entry.decimals is not None else 2)
        if entry is None or entry.decimals is None:
            return number(value, 0 if float(value).is_integer() else 2)
        return number(float(value) * entry.percent_factor, entry.decimals)
    if column == "flag":
        from estimation.sae.publishability import FLAG_LABELS_ID

        return FLAG_LABELS_ID.get(str(value), str(value))
    return str(value).replace("|", "/").replace("\n", " ")


def _label(column: str, table: str | None) -> str:
    try:
        entry = column_info(column, table)
    except KeyError:
        return column
    unit = "%" if entry.unit in (PROPORTION, "persen") else entry.unit
    return f"{entry.label} ({unit})" if unit and unit.lower() not in entry.label.lower() else entry.label


def markdown_table(rows: pd.DataFrame, columns: Sequence[str], table: str | None = None) -> str:
    header = "| " + " | ".join(_label(c, table) for c in columns) + " |"
    lines = [header, "|" + "---|" * len(columns)]
    for record in rows[list(columns)].itertuples(index=False):
        lines.append("| " + " | ".join(cell_text(v, c, table) for v, c in zip(record, columns, strict=True)) + " |")
    return "\n".join(lines)


def _is_kabkota(codes: pd.Series) -> pd.Series:
    text = codes.astype(str)
    return (text.str.len() == 4) & ~text.str.endswith("00")


def preview(frame: pd.DataFrame, rank_by: str, columns: Sequence[str], table: str | None = None,
            title: str = "", kabkota: str | None = None) -> MetadataValue:
    """Markdown: the PREVIEW_ROWS highest and lowest kab/kota by `rank_by` in the latest year with a value,
    and the row of `kabkota` (default `preview_kabkota()`), showing `columns`. Frames of provinces (no kab/kota
    codes) rank the provinces and show the province of the kab/kota and Indonesia."""
    kabkota = kabkota or preview_kabkota()
    shown = [c for c in columns if c in frame.columns]
    with_value = frame[frame[rank_by].notna()] if rank_by in frame.columns else frame.iloc[0:0]
    if with_value.empty:
        return MetadataValue.md(f"**{title}**\n\n_tidak ada data_")
    latest = int(with_value[PARTITION_COLUMN].max()) if PARTITION_COLUMN in frame.columns else None
    year_rows = with_value if latest is None else with_value[with_value[PARTITION_COLUMN] == latest]
    codes = year_rows["bps_code"].astype(str)
    kab = _is_kabkota(codes)
    if kab.any():
        ranked, unit, own = year_rows[kab], "kab/kota", [kabkota]
    else:
        ranked = year_rows[(codes.str.len() == 4) & (codes != "0000")]
        unit, own = "provinsi", [f"{kabkota[:2]}00", "0000"]
    ordered = ranked.sort_values([rank_by, "bps_code"], ascending=[False, True])
    everything = frame if latest is None else frame[frame[PARTITION_COLUMN] == latest]
    selected = everything[everything["bps_code"].astype(str).isin(own)]
    label = _label(rank_by, table)
    year_text = f" {latest}" if latest is not None else ""
    parts = [f"**{title or label}{year_text}**" if title or label else "",
             f"{PREVIEW_ROWS} {unit} tertinggi menurut {label}:", markdown_table(ordered.head(PREVIEW_ROWS), shown, table),
             f"{PREVIEW_ROWS} {unit} terendah menurut {label}:",
             markdown_table(ordered.tail(PREVIEW_ROWS).iloc[::-1], shown, table),
             f"Wilayah pilihan ({PREVIEW_KABKOTA_ENV}, bawaan {DEFAULT_PREVIEW_KABKOTA} Jombang):",
             markdown_table(selected, shown, table) if len(selected) else f"_{', '.join(own)}: tidak ada baris_"]
    return MetadataValue.md("\n\n".join(p for p in parts if p))
