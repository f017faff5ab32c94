"""CSV files that open as a table in Excel with Indonesian regional settings.

Excel set to Indonesian uses `;` as list separator and `,` as decimal mark, so a double-clicked CSV is split
into columns and its numbers are numbers only when it is written that way: `;` between fields, decimal comma,
no thousands mark (a dot would be ambiguous to other readers), a UTF-8 byte-order mark (without it Excel reads
the file as ANSI and breaks names like "Kep. Seribu" written with non-ASCII characters and the en dash of the
headers), CRLF line ends.

Codes (`bps_code` "0000", "1100", "3517"): a CSV has no types, and Excel converts any field that looks like a
number, quoted or not, so "0000" (Indonesia) becomes 0 and a code typed later becomes a number. The default
style writes codes as the formula `="0000"` (quoted and its quotes doubled in the file), which Excel and Google
Sheets evaluate to the text 0000 on open; LibreOffice shows the formula text unless "Evaluate formulas" is
ticked in its import dialog (the spreadsheet applications' behaviour as documented: none is installed on the
build machine, so it is not tested here). pandas, DuckDB and Python's csv module read the literal `="0000"`
(`read_csv_id` strips it; the tests check these three readers). The style "quoted" writes plain quoted
codes instead, for readers that honour quotes as text (Python's csv, pandas with `dtype=str`), at the cost of
Excel showing 0 for Indonesia. The workbook (`workbook.py`) has true text cells and is the file for Excel
users; these CSVs are for those who need a CSV.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from estimation.atomic import write_bytes_atomic

CodeStyle = Literal["excel_formula", "quoted"]
BOM = "\ufeff"
_FORMULA = re.compile(r'^="(.*)"$', re.DOTALL)


def _column_text(series: pd.Series, *, code: bool, code_style: CodeStyle, decimals: int | None) -> list[str]:
    """The fields of one column, formatted at once (missing values are empty fields)."""
    missing = series.isna().to_numpy()
    if code:
        text = [f'="{v}"' if code_style == "excel_formula" else str(v) for v in series.astype(object)]
    elif pd.api.types.is_bool_dtype(series):
        text = ["ya" if v else "tidak" for v in series.astype(object)]
    elif pd.api.types.is_integer_dtype(series):
        text = [str(int(v)) if not m else "" for v, m in zip(series.astype(object), missing, strict=True)]
    elif pd.api.types.is_numeric_dtype(series):
        values = np.where(missing, 0.0, series.astype(float).to_numpy())
        if decimals is None:  # as stored, shortest form
            text = [repr(float(v)) for v in values]
        else:
            text = [str(t) for t in np.char.mod(f"%.{decimals}f", np.round(values, decimals) + 0.0)]
        text = [t.replace(".", ",") for t in text]
    else:
        text = [str(v) for v in series.astype(object)]
    return [("" if m else t) for t, m in zip(text, missing, strict=True)]


def csv_id_text(frame: pd.DataFrame, *, decimals: Mapping[str, int] | None = None,
                text_columns: Iterable[str] = ("bps_code", "prov_code", "kabkota_code"),
                header: Sequence[str] | None = None, code_style: CodeStyle = "excel_formula") -> str:
    """The CSV text (without BOM): `;`, decimal comma, codes as text in `code_style`, CRLF line ends."""
    decimals = dict(decimals or {})
    codes = set(text_columns) & set(frame.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(list(header) if header is not None else [str(c) for c in frame.columns])
    columns = list(frame.columns)
    fields = [_column_text(frame[c], code=c in codes, code_style=code_style, decimals=decimals.get(c))
              for c in columns]
    writer.writerows(zip(*fields, strict=True))
    text = buffer.getvalue()
    if code_style == "quoted" and codes:
        text = _quote_code_fields(text, [columns.index(c) for c in codes])
    return text


def _quote_code_fields(text: str, positions: list[int]) -> str:
    """Quote the code fields of every data line (csv.writer only quotes when it must)."""
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    out = io.StringIO()
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            quoted = i > 0 and j in positions and cell != ""
            needs = any(ch in cell for ch in ';"\r\n')
            cells.append('"' + cell.replace('"', '""') + '"' if quoted or needs else cell)
        out.write(";".join(cells) + "\r\n")
    return out.getvalue()


def write_csv_id(path: str | Path, frame: pd.DataFrame, *, decimals: Mapping[str, int] | None = None,
                 text_columns: Iterable[str] = ("bps_code", "prov_code", "kabkota_code"),
                 header: Sequence[str] | None = None, code_style: CodeStyle = "excel_formula") -> Path:
    """Write `csv_id_text(...)` with a UTF-8 BOM, atomically."""
    text = csv_id_text(frame, decimals=decimals, text_columns=text_columns, header=header, code_style=code_style)
    return write_bytes_atomic(path, (BOM + text).encode("utf-8"))


def strip_formula(value: str) -> str:
    """`="0000"` -> `0000` (other text unchanged)."""
    match = _FORMULA.match(value)
    return match.group(1) if match else value


def read_csv_id(path: str | Path, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read an Indonesian CSV back: `;`, decimal comma, BOM; `text_columns` (header names) kept as text."""
    converters = {c: strip_formula for c in text_columns}
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", converters=converters,
                       keep_default_na=False, na_values=[""])
