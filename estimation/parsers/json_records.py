"""Parser for a JSON list of records keyed by region name (no codes, no year in the file).

One cell per record: source_row is the 1-based record index, source_column the value key. The year is
passed in (the caller knows it from the provenance). Names written entirely in capitals are province rows
(the by-name poverty-line file mixes four of them in); their province_name is their own name, kab/kota rows
get none because the file does not say. A record that is not an object, or lacks the keys, still gives a
cell: status "invalid" (or "missing" for a null value) with a `note`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from estimation.cells import ParsedTable, as_cells, empty_cells
from estimation.parsers.problems import RawFileError
from estimation.parsers.webapi import json_number, json_text, strip_html


def is_capitalised(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def parse_named_records(
    path: Path,
    source_file: str,
    variable: str,
    year: int,
    name_key: str,
    value_key: str,
    notes: Sequence[str] = (),
) -> ParsedTable:
    """Parse `[{name_key: ..., value_key: ...}, ...]` into published cells for one variable and year."""
    data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    if not isinstance(data, list):
        # a changed file layout, reported like the other parsers' layout errors
        raise RawFileError(source_file, "not a JSON list of records (layout changed?)",
                           found=type(data).__name__, expected="a JSON list of records")
    rows: list[dict] = []
    for index, record in enumerate(data, start=1):
        row = {"source_file": source_file, "source_row": index, "source_column": value_key,
               "year": year, "variable": variable}
        if not isinstance(record, dict):
            rows.append(row | {"value_text": json_text(record), "value": math.nan, "status": "invalid",
                               "note": "record is not an object"})
            continue
        raw_name = record.get(name_key)
        name = strip_html(raw_name) if raw_name is not None else None
        province = name is not None and bool(name) and is_capitalised(name)
        value, status, note = json_number(record.get(value_key))
        if value_key not in record:
            status, note = "invalid", f"record has no key {value_key!r}"
        elif not name:
            status, note = "invalid", f"record has no {name_key!r}"
        rows.append(row | {"region_name": name or None, "province_name": name if province else None,
                           "is_province_row": province, "value_text": json_text(record.get(value_key)),
                           "value": value, "status": status, "note": note})
    cells = as_cells(pd.DataFrame(rows)) if rows else empty_cells()
    return ParsedTable(cells=cells, notes=list(notes))
