"""Parser for a raw BPS WebAPI "data" response (e.g. var 624, poverty line by kabupaten/kota).

The response declares its dimensions as lists of {val, label}: `vervar` (regions; province labels in <b>),
`var`, `turvar`, `tahun` (year; val is an internal id such as 125, the label is the year), `turtahun`.
`datacontent` maps the concatenation `{vervar}{var}{turvar}{tahun}{turtahun}` of the declared vals to the
figure. Keys are decoded against the declared lists by prefix matching (values need not have fixed widths);
a key that decodes to no combination, or to more than one, becomes an "invalid" cell naming the key.
Declared combinations absent from `datacontent` become "missing" cells (source_row <NA>).

source_row is the 1-based position of the key in `datacontent`; source_column is the key itself.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pandas as pd

from estimation.cells import ParsedTable, as_cells, empty_cells
from estimation.parsers.delimited import parse_number
from estimation.parsers.problems import RawFileError

_DIMENSIONS = ("vervar", "var", "turvar", "tahun", "turtahun")


def strip_html(text: object) -> str:
    """Label without tags or entities, whitespace trimmed."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(text))).strip()


def parse_bps_webapi(path: Path, source_file: str, variable: str) -> ParsedTable:
    """Parse one WebAPI response holding a single `var` into published cells."""
    text = Path(path).read_text(encoding="utf-8-sig")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise RawFileError(source_file, "not a BPS WebAPI data response", found=type(data).__name__,
                           expected="a JSON object with status, var, vervar, tahun and datacontent")
    # BPS answers errors with HTTP 200 and a status field: data present beside it is not a published figure
    for key, ok in (("status", "OK"), ("data-availability", "available")):
        if key in data and str(data[key]).strip().lower() != ok.lower():
            raise RawFileError(source_file, f"WebAPI answer whose {key} is not {ok!r}", row=_key_line(text, key),
                               column=key, found=str(data[key]), expected=repr(ok))
    missing = [d for d in (*_DIMENSIONS, "datacontent") if d not in data]
    if missing:
        raise RawFileError(source_file, f"not a BPS WebAPI data response: keys {missing} absent",
                           column=missing[0], found=", ".join(map(str, data)),
                           expected="keys status, var, vervar, turvar, tahun, turtahun, datacontent")
    if len(data["var"]) != 1:
        raise RawFileError(source_file, "expected one var", row=_key_line(text, "var"), column="var",
                           found=f"{len(data['var'])} vars", expected="one var")
    var = data["var"][0]
    dims = {d: [(str(item["val"]), item) for item in data[d]] for d in _DIMENSIONS}

    # region attributes in published order: the province block is the last <b> label seen
    regions: dict[str, dict] = {}
    province = None
    for val, item in dims["vervar"]:
        label = str(item.get("label", ""))
        is_province = bool(re.search(r"<\s*b\s*>", label, re.IGNORECASE))
        name = strip_html(label)
        if is_province:
            province = name
        regions[val] = {"region_name": name, "province_name": province, "is_province_row": is_province}

    rows: list[dict] = []
    seen: set[tuple[str, ...]] = set()
    for position, (key, raw) in enumerate(data["datacontent"].items(), start=1):
        combos = _decode(str(key), [[v for v, _ in dims[d]] for d in _DIMENSIONS])
        row = {"source_row": position, "source_column": str(key)}
        if len(combos) != 1:
            problem = "matches no" if not combos else f"matches {len(combos)}"
            rows.append(row | {"value_text": json_text(raw), "value": math.nan, "status": "invalid",
                               "note": f"datacontent key {key} {problem} combination of declared values"})
            continue
        combo = combos[0]
        seen.add(combo)
        value, status, note = json_number(raw)
        rows.append(row | _describe(combo, dims, regions) | {"value_text": json_text(raw), "value": value,
                                                              "status": status, "note": note})

    # declared combinations BPS did not fill: one "missing" cell each, so coverage is visible
    for combo in _all_combos([[v for v, _ in dims[d]] for d in _DIMENSIONS]):
        if combo not in seen:
            rows.append({"source_row": None, "source_column": "".join(combo), "value_text": None,
                         "value": math.nan, "status": "missing"} | _describe(combo, dims, regions))

    for row in rows:
        row["source_file"] = source_file
        row["variable"] = variable
    cells = as_cells(pd.DataFrame(rows)) if rows else empty_cells()

    notes = []
    if var.get("unit"):
        notes.append(f"unit: {strip_html(var['unit'])}")
    for key in ("def", "note"):
        text = strip_html(var.get(key) or "")
        if text:
            notes.append(text)
    if data.get("last_update"):
        notes.append(f"last_update: {data['last_update']}")
    return ParsedTable(cells=cells, title=strip_html(var.get("label", "")), notes=notes)


def _key_line(text: str, key: str) -> int | None:
    """1-based line of the first `"key":` in the JSON text (None when absent)."""
    found = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _decode(key: str, lists: list[list[str]]) -> list[tuple[str, ...]]:
    """Every way of writing `key` as one declared value per dimension, in order."""
    if not lists:
        return [()] if key == "" else []
    found: list[tuple[str, ...]] = []
    for val in lists[0]:
        if key.startswith(val):
            found.extend((val, *rest) for rest in _decode(key[len(val):], lists[1:]))
    return found


def _all_combos(lists: list[list[str]]) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for values in lists:
        combos = [(*c, v) for c in combos for v in values]
    return combos


def _describe(combo: tuple[str, ...], dims: dict, regions: dict) -> dict:
    vervar, _var, turvar, _tahun, turtahun = combo
    labels = {d: strip_html(dict(dims[d])[v].get("label", "")) for d, v in zip(_DIMENSIONS, combo, strict=True)}
    year = int(labels["tahun"]) if re.fullmatch(r"\d{4}", labels["tahun"]) else None
    detail = []
    if turvar != "0":  # "0" = "Tidak ada": no sub-variable
        detail.append(f"turvar={labels['turvar']}")
    if turtahun != "0":  # "0" = "Tahun": annual figure
        detail.append(f"turtahun={labels['turtahun']}")
    return regions[vervar] | {"region_code": vervar, "year": year, "detail": "; ".join(detail) or None}


def json_text(raw: object) -> str | None:
    """A JSON value as text: strings verbatim, numbers as JSON writes them, null as <NA>."""
    if raw is None:
        return None
    return raw if isinstance(raw, str) else json.dumps(raw)


def json_number(raw: object) -> tuple[float, str, str | None]:
    """(value, status, note) for a JSON value: numbers ok, null missing, strings by `parse_number`."""
    if isinstance(raw, bool):
        return math.nan, "invalid", None
    if isinstance(raw, int | float):
        return (float(raw), "ok", None) if math.isfinite(raw) else (math.nan, "invalid", None)
    if raw is None or isinstance(raw, str):
        return parse_number(raw, ".")
    return math.nan, "invalid", None
