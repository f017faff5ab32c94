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
ticked in its import dialog, and pandas, DuckDB and Python's csv module read the literal `="0000"`
(`read_csv_id` strips it; the tests check each of these readers). The style "quoted" writes plain quoted
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
from typing import Literal, SupportsFloat

import pandas as pd

from estimation.atomic import write_bytes_atomic

CodeStyle = Literal["excel_formula", "quoted"]
BOM = "\ufeff"
_FORMULA = re.compile(r'^="(.*)"$', re.DOTALL)


def _number(value: SupportsFloat, decimals: int | None, integer: bool) -> str:
    if integer:
        return str(int(float(value)))
    number = float(value)
    if decimals is None:  # as stored, shortest form
        return repr(number).replace(".", ",")
    return f"{round(number, decimals) + 0.0:.{decimals}f}".replace(".", ",")


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def csv_id_text(frame: pd.DataFrame, *, decimals: Mapping[str, int] | None = None,
                text_columns: Iterable[str] = ("bps_code", "prov_code", "kabkota_code"),
                header: Sequence[str] | None = None, code_style: CodeStyle = "excel_formula") -> str:
    """The CSV text (without BOM): `;`, decimal comma, codes as text in `code_style`, CRLF line ends."""
    decimals = dict(decimals or {})
    codes = set(text_columns) & set(frame.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(list(header) if header is not None else [str(c) for c in frame.columns])
    numeric = {c for c in frame.columns if c not in codes and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    integers = {c for c in numeric if pd.api.types.is_integer_dtype(frame[c])}
    columns = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        fields: list[str] = []
        for column, value in zip(columns, row, strict=True):
            if _is_missing(value):
                fields.append("")
            elif column in codes:
                fields.append(f'="{value}"' if code_style == "excel_formula" else str(value))
            elif column in numeric:
                fields.append(_number(value, decimals.get(column), column in integers))
            else:
                fields.append(str(value))
        writer.writerow(fields)
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
