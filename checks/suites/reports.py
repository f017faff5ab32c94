"""Suites of the published outputs: files exist, are not empty, and carry no identity."""

from __future__ import annotations

import pandas as pd

from checks.gx_bridge import Rule, Suite


def manifest_suite(name: str) -> Suite:
    loc = ("path",)
    return Suite(name, [
        Rule("files_written", "every listed output file exists and is not empty",
             lambda E: E.ExpectColumnValuesToBeBetween(column="bytes", min_value=1), locate=loc),
        Rule("no_identity_columns", "no published file has an identity column (NIK, KK, name, address)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="has_identity_column", value_set=[False]), locate=loc),
    ])


def _svg_text(files: pd.DataFrame) -> pd.DataFrame:
    """One row per SVG of a manifest: its text is text (`<text>` elements), not glyph outlines."""
    rows = []
    for path in files["path"]:
        if str(path).endswith(".svg"):
            with open(path, encoding="utf-8") as handle:
                svg = handle.read()
            # glyph outlines are <path id="DejaVuSans-..."> definitions, used by <use xlink:href="#DejaVuSans-...">
            rows.append({"path": path, "text_elements": svg.count("<text"),
                         "ok": "<text" in svg and 'id="DejaVuSans-' not in svg})
    return pd.DataFrame(rows, columns=["path", "text_elements", "ok"])


def maps_suite(name: str = "poverty_maps") -> Suite:
    """The maps' manifest: files written, no identity, and every SVG keeps its text as text."""
    base = manifest_suite(name)
    return Suite(name, [
        *base.rules,
        Rule("svg_text_is_text", "every SVG map has its texts as <text> elements (searchable), not glyph outlines",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), frame=_svg_text,
             locate=("path", "text_elements")),
    ])


def workbook_suite(name: str = "published_workbook") -> Suite:
    """The reader outputs (workbook + Indonesian CSVs): written, no identity column, no run of 16+ digits
    (a NIK or KK number, or a float written with noise digits), exactly one workbook."""
    base = manifest_suite(name)
    return Suite(name, [
        *base.rules,
        Rule("no_16_digit_numbers", "no published file contains a run of 16 or more digits (NIK/KK numbers, "
                                    "float noise such as 8.599999999999999)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="long_digit_runs", min_value=0, max_value=0),
             locate=("path", "long_digit_runs")),
        Rule("one_workbook", "exactly one Excel workbook is written",
             lambda E: E.ExpectTableRowCountToEqual(value=1), locate=("path",),
             frame=lambda files: files[files["path"].astype(str).str.endswith(".xlsx")]),
    ])
