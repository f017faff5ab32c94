"""Generic parser for wide delimited tables (one row per region, one column per published figure).

Also holds `parse_number`, the per-cell number rule the other format parsers share.

Number rule (decided per cell, never per file, because the 2021 classification file mixes styles):

* stripped text in `MISSING_TEXTS` ("", "-", "NA", ...) -> status "missing";
* digits with at most one kind of mark:
  - the file's decimal mark once -> decimal ("18,98" in a `decimal=","` file is 18.98);
  - in a decimal-comma file a single "." is read as a DECIMAL POINT, never as a thousands separator:
    that is what the authors' occasional points are ("8.97", "11.34" in klasifikasi 2021, equal to the BPS
    export). When exactly three digits follow it ("1.234") the reading is ambiguous, so the cell keeps
    status "ok" with value 1.234 but gets a `note` saying so;
  - in a decimal-point file a "," is only a thousands separator, accepted only in valid groups
    ("1,234,567"); anything else ("8,97") is "invalid";
  - the non-decimal mark repeated in valid groups of three ("1.234.567" in a comma file) -> integer;
* both marks ("1.234,56", "1,234.56"): the last one is the decimal mark and the other must form valid groups
  of three; when the decimal mark differs from the file's, a `note` says so;
* a plain float with exponent ("1e-05") in a decimal-point file -> ok;
* anything else (letters, two decimal marks, bad grouping) -> status "invalid", value NaN.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from estimation.cells import ParsedTable, as_cells, empty_cells
from estimation.parsers.problems import RawFileError

MISSING_TEXTS = frozenset({"", "-", "–", "—", "...", "…", "NA", "N/A", "n/a", "na", "NaN", "nan", "null"})

_BODY = re.compile(r"([+-]?)(\d[\d.,]*\d|\d)")
_EXPONENT = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_NAN = math.nan
_DETAIL_SEPARATOR = re.compile(r"; (?=\w+=)")


def parse_number(text: str | None, decimal: str = ".") -> tuple[float, str, str | None]:
    """(value, status, note) for one published cell under the module's number rule."""
    if decimal not in {".", ","}:
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    if text is None:
        return _NAN, "missing", None
    s = text.strip()
    if s in MISSING_TEXTS:
        return _NAN, "missing", None
    if decimal == "." and _EXPONENT.fullmatch(s):
        return float(s), "ok", None
    match = _BODY.fullmatch(s)
    if not match:
        return _NAN, "invalid", None
    sign, body = match.groups()
    sign = "-" if sign == "-" else ""
    other = "," if decimal == "." else "."
    dots, commas = body.count("."), body.count(",")

    if dots and commas:
        last = max(body.rfind("."), body.rfind(","))
        mark = body[last]
        group = "," if mark == "." else "."
        integer, fraction = body[:last], body[last + 1:]
        if mark in integer or not _grouped(integer, group):
            return _NAN, "invalid", None
        note = None if mark == decimal else f"{mark!r} read as decimal mark (file uses {decimal!r})"
        return float(f"{sign}{integer.replace(group, '')}.{fraction}"), "ok", note

    if not dots and not commas:
        return float(sign + body), "ok", None

    mark = "." if dots else ","
    if dots + commas > 1:
        # repeated mark: only thousands grouping makes sense, and never with the decimal mark itself
        if mark == other and _grouped(body, mark):
            return float(sign + body.replace(mark, "")), "ok", None
        return _NAN, "invalid", None
    integer, fraction = body.split(mark)
    if mark == decimal:
        return float(f"{sign}{integer}.{fraction}"), "ok", None
    if mark == ".":  # lone point in a decimal-comma file: a decimal point, as the files show
        note = None
        if len(fraction) == 3:
            note = f"ambiguous {text.strip()!r}: '.' read as decimal point, not thousands separator"
        return float(f"{sign}{integer}.{fraction}"), "ok", note
    # lone comma in a decimal-point file: thousands separator only
    if _grouped(body, ","):
        return float(sign + body.replace(",", "")), "ok", None
    return _NAN, "invalid", None


def _grouped(digits: str, sep: str) -> bool:
    """True for plain digits or digits grouped by `sep` in threes ("1.234.567")."""
    if sep not in digits:
        return digits.isdigit()
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+", digits) is not None


def detail_fields(detail: str | None) -> dict[str, str]:
    """The "label=value; ..." text of `detail_columns` back as a dict ({} for none).

    Only "; " followed by a label and "=" separates fields, so a value may itself contain "; ".
    """
    if not isinstance(detail, str) or not detail:
        return {}
    return dict(part.split("=", 1) for part in _DETAIL_SEPARATOR.split(detail))


def read_records(path: Path, sep: str = ",") -> list[tuple[int, list[str]]]:
    """CSV records with the 1-based file line each starts on (a quoted field may span lines)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        records = []
        previous_end = 0
        for fields in reader:
            records.append((previous_end + 1, fields))
            previous_end = reader.line_num
    return records


_INTEGER = re.compile(r"-?\d+")
_FIGURE = re.compile(r"-?\d+(?:[.,]\d+)?|[-–—]")


def shift_start(fields: list[str], n_header: int, keep: frozenset[int] = frozenset()) -> int:
    """The first field (0-based) of a ragged row that no longer stands under its header column.

    An extra field: where a decimal comma split a figure in two ("8,60" written unquoted gives "8" and "60"),
    else the first empty field (a stray separator), else the first field past the header. A missing field:
    the first field that is not a figure (a lost separator glues two: "15.5214.44"), else the first absent
    field (a row cut short: the figures before it stand where they belong). `keep`: positions that hold no
    figure (year, code columns), never the first half of a split decimal.
    """
    if len(fields) < n_header:
        for j in range(1, len(fields)):
            if j not in keep and not _FIGURE.fullmatch(fields[j].strip()):
                return j
        return len(fields)
    for j in range(1, len(fields) - 1):
        if j not in keep and _INTEGER.fullmatch(fields[j].strip()) and fields[j + 1].strip().isdigit():
            return j
    for j in range(1, len(fields)):
        if not fields[j].strip():
            return j
    return n_header


def parse_delimited_table(
    path: Path,
    source_file: str,
    *,
    sep: str = ",",
    decimal: str = ".",
    region_column: str | None = None,
    province_column: str | None = None,
    code_column: str | None = None,
    value_columns: Mapping[str, str],
    year: int | None = None,
    year_column: str | None = None,
    detail_columns: Sequence[str] | Mapping[str, str] = (),
    region_name: str | None = None,
    province_rows: bool = False,
    title: str = "",
    notes: Sequence[str] = (),
) -> ParsedTable:
    """Parse a wide delimited table with a one-line header into published cells.

    `value_columns` maps published header -> variable; one cell per (data row, value column).
    `detail_columns` (headers, or header -> label) are carried as "label=value; ..." in `detail`, empty
    values left out. `region_name` names every row when the table has no region column (a national
    series); `province_rows=True` marks every row as a province/INDONESIA row.

    A header lacking a named column is a changed layout: RawFileError (a ValueError) naming file and column. A row with
    fewer fields than the header gives its absent cells status "invalid" (with a `note`), never an error.
    """
    if (year is None) == (year_column is None):
        raise ValueError("give exactly one of year / year_column")
    if region_column is None and region_name is None:
        raise ValueError("give region_column or region_name")
    records = read_records(Path(path), sep)
    if not records:
        return ParsedTable(cells=empty_cells(), title=title, notes=list(notes))
    _, header = records[0]
    index = {h.strip(): j for j, h in enumerate(header)}
    labels = dict(detail_columns) if isinstance(detail_columns, Mapping) else {c: c for c in detail_columns}
    wanted = [c for c in (region_column, province_column, code_column, year_column) if c is not None]
    expected_columns = [*wanted, *value_columns, *labels]
    for column in expected_columns:
        if column not in index:
            unknown = [h.strip() for h in header if h.strip() not in expected_columns]
            raise RawFileError(source_file, f"column {column!r} not in the header (renamed or removed?)", row=1,
                               column=column, found=", ".join(unknown) if unknown else ", ".join(header),
                               expected=f"a header column named {column!r}")

    def field(fields: list[str], column: str | None) -> str | None:
        if column is None:
            return None
        j = index[column]
        return fields[j] if j < len(fields) else None

    header_names = [h.strip() for h in header]
    not_figures = frozenset(index[c] for c in (*wanted, *labels))
    rows: list[dict] = []
    for line, fields in records[1:]:
        if not any(f.strip() for f in fields):
            continue  # blank line
        while len(fields) > len(header) and not fields[-1].strip():
            fields = fields[:-1]  # trailing empty fields beyond the header are harmless
        ragged = len(fields) < len(header)
        # an extra field (an unquoted decimal comma, a stray separator) shifts every field after it
        shifted_from = shift_start(fields, len(header), not_figures) if len(fields) > len(header) else None
        name = (field(fields, region_column) or "").strip() if region_column else region_name
        row_year: int | None = year
        year_problem = None
        if year_column is not None:
            year_text = (field(fields, year_column) or "").strip()
            row_year = int(year_text) if year_text.isdigit() else None
            if row_year is None:
                year_problem = f"year {year_text!r} in column {year_column!r} is not a year"
        detail_parts = []
        for column, label in labels.items():
            text = (field(fields, column) or "").strip()
            if text:
                detail_parts.append(f"{label}={text}")
        province = field(fields, province_column)
        code = field(fields, code_column)
        for column, variable in value_columns.items():
            cell = field(fields, column)
            value, status, note = parse_number(cell, decimal)
            if cell is None:
                status, note = "invalid", f"ragged row: {len(fields)} fields, header has {len(header)}"
            elif shifted_from is not None and index[column] >= shifted_from:
                value, status = _NAN, "invalid"
                note = (f"ragged row: {len(fields)} fields, header has {len(header)}; shifted from column "
                        f"'{header_names[shifted_from]}' on")
            elif year_problem:
                value, status, note = _NAN, "invalid", year_problem
            rows.append(
                {
                    "source_file": source_file,
                    "source_row": line,
                    "source_column": column,
                    "region_name": name or None,
                    "province_name": province.strip() if province else None,
                    "region_code": code.strip() if code else None,
                    "is_province_row": province_rows,
                    "year": row_year,
                    "variable": variable,
                    "value_text": cell,
                    "value": value,
                    "status": status,
                    "note": note if note or not ragged else f"ragged row: {len(fields)} fields",
                    "detail": "; ".join(detail_parts) or None,
                }
            )
    cells = as_cells(pd.DataFrame(rows)) if rows else empty_cells()
    return ParsedTable(cells=cells, title=title, notes=list(notes))
