"""File-level faults of a raw file (absent, empty, not UTF-8, cut-off JSON, a changed layout, a WebAPI answer
whose status is not OK), as one line a person reads without a stack trace.

Parsers raise `RawFileError` (a `ValueError`, so callers that caught the parsers' layout errors still do);
`estimation.parsers.catalog.parse_source` turns it, and the reading errors below, into one cell of status
"unreadable" that carries the file, row, column, the text found and what was expected, so the raw asset's
blocking check `file_readable` fails with that line and nothing downstream runs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from estimation.cells import as_cells

UNREADABLE = "unreadable"  # cell status of a file-level fault (the other statuses: estimation.cells)
_CONTEXT = 24  # characters of text shown around the place a reader stopped


class RawFileError(ValueError):
    """A raw file that cannot be read as its format: where (row, column), what was found, what was expected."""

    def __init__(self, source_file: str, problem: str, *, row: int | None = None, column: str | None = None,
                 found: str | None = None, expected: str = "", region: str | None = None) -> None:
        self.source_file, self.problem, self.row, self.column = source_file, problem, row, column
        self.found, self.expected, self.region = found, expected, region
        super().__init__(self.line())

    def line(self) -> str:
        parts = [f"file {self.source_file}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.region:
            parts.append(f"region {self.region!r}")
        if self.found is not None:
            parts.append(f"found {self.found!r}")
        text = ", ".join(parts) + f": {self.problem}"
        if self.expected:
            text += f"; expected {self.expected}"
        return " ".join(text.split("\n"))


def require_nonempty(path: Path, source_file: str) -> None:
    """RawFileError when the file is absent, not a file, or has no bytes (BOM and whitespace aside)."""
    path = Path(path)
    if not path.exists():
        raise RawFileError(source_file, "file not found (deleted or renamed?)",
                           expected="the published file at this path")
    if not path.is_file():
        raise RawFileError(source_file, "not a file", expected="a published file")
    data = path.read_bytes()
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise RawFileError(source_file, f"file is empty ({len(data)} bytes)", row=1, found="",
                           expected="the published table")


def as_file_error(exc: BaseException, path: Path, source_file: str) -> RawFileError | None:
    """The reading errors a damaged file gives, as a RawFileError naming where; None for any other error."""
    if isinstance(exc, RawFileError):
        return exc
    if isinstance(exc, FileNotFoundError | IsADirectoryError):
        return RawFileError(source_file, "file not found (deleted or renamed?)",
                            expected="the published file at this path")
    if isinstance(exc, UnicodeDecodeError):
        data = Path(path).read_bytes()
        try:  # a text stream reports positions inside its buffer: decode the whole file for the real one
            data.decode("utf-8")
            start = exc.start
        except UnicodeDecodeError as whole:
            start = whole.start
        line = data[:start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        text = data[line_start:len(data) if line_end < 0 else line_end].decode("latin-1")
        column_offset = start - line_start
        first_field = text.split(",", 1)[0].strip()
        found = text[max(0, column_offset - _CONTEXT):column_offset + _CONTEXT].strip()
        return RawFileError(source_file, f"byte 0x{data[start]:02x} at character {column_offset + 1} of the line "
                            "is not UTF-8 (a latin-1 / Windows-1252 export?)", row=line,
                            column=f"character {column_offset + 1}", region=first_field or None, found=found,
                            expected="UTF-8 text (save the export as UTF-8)")
    if isinstance(exc, json.JSONDecodeError):
        found = exc.doc[max(0, exc.pos - _CONTEXT):exc.pos + _CONTEXT]
        cut = exc.pos >= len(exc.doc.rstrip()) or not exc.doc.rstrip().endswith(("}", "]"))
        problem = ("JSON ends before it is complete (file cut off?)" if cut
                   else f"not valid JSON: {exc.msg}")
        return RawFileError(source_file, problem, row=exc.lineno, column=f"character {exc.colno}",
                            found=found.strip() or "<end of file>", expected="a complete JSON document")
    if isinstance(exc, csv.Error):
        return RawFileError(source_file, f"not a readable CSV: {exc}", expected="a CSV export")
    return None


def unreadable_cells(error: RawFileError, variable: str | None) -> pd.DataFrame:
    """One cell of status "unreadable" carrying the fault (found text in value_text, the problem in note)."""
    note = error.problem + (f"; expected {error.expected}" if error.expected else "")
    return as_cells(pd.DataFrame([{
        "source_file": error.source_file,
        "source_row": error.row,
        "source_column": error.column,
        "region_name": error.region,
        "variable": variable,
        "value_text": error.found,
        "value": float("nan"),
        "status": UNREADABLE,
        "note": note,
    }]))
