"""The long "published cells" layout every raw parser returns.

One row per published figure, carrying where it stood in the source file, so that a check can
name file, row and column. Raw assets hold values as published, only typed: nothing is matched,
corrected or dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

CELL_COLUMNS: dict[str, str] = {
    "source_file": "string",  # path relative to data/raw, e.g. "bps/p0_kabkota_2004_2025.csv"
    "source_row": "Int64",  # 1-based line of the file as an editor shows it (JSON: 1-based record index)
    "source_column": "string",  # column header (or JSON key) as published, e.g. "2023"
    "region_name": "string",  # name as published, HTML stripped, whitespace trimmed
    "province_name": "string",  # province block / column the row belongs to, as published
    "region_code": "string",  # code when the source carries one (WebAPI vervar, bps_code column)
    "is_province_row": "boolean",  # True for province (or INDONESIA) rows
    "year": "Int64",  # year the figure refers to
    "variable": "string",  # p0, poor_thousand, poverty_line_rp, p1, p2, or a covariate short name
    "value_text": "string",  # the cell text exactly as published
    "value": "float64",  # parsed number; NaN when missing or invalid
    "status": "string",  # "ok" | "missing" (published as "-" or empty) | "invalid" (not a number)
    "note": "string",  # footnote (Catatan) concerning this figure, else <NA>
    "detail": "string",  # free text carried with the figure (period, line definition, URL)
}

CELL_STATUSES = ("ok", "missing", "invalid")


def empty_cells() -> pd.DataFrame:
    """An empty frame with the cell columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CELL_COLUMNS.items()})


def as_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a frame to the cell layout: missing columns filled with <NA>, order and dtypes fixed."""
    out = frame.copy()
    for column, dtype in CELL_COLUMNS.items():
        if column not in out.columns:
            out[column] = pd.NA
        out[column] = out[column].astype(dtype)
    return out[list(CELL_COLUMNS)].reset_index(drop=True)


@dataclass
class ParsedTable:
    """What a raw parser returns: the published cells plus the table-level text that goes with them."""

    cells: pd.DataFrame  # CELL_COLUMNS layout
    title: str = ""
    notes: list[str] = field(default_factory=list)  # footnotes/definitions not tied to one figure
