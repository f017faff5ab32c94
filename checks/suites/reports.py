"""Suites of the published outputs: files exist, are not empty, and carry no identity."""

from __future__ import annotations

import functools
import re

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


PROFILE_TITLE = "PROFIL KEMISKINAN"
SYNTHETIC_MARK = "DATA SINTETIS"


@functools.lru_cache(maxsize=4096)
def _pdf_facts(path: str, sha256: str) -> dict:
    """What a reader's PDF tool sees of one profile (cached by content: each rule reads the same facts)."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font.get("/BaseFont"))] = embedded
    return {"pages": len(reader.pages), "text_chars": len(text), "title_in_text": PROFILE_TITLE in text,
            "fonts": ", ".join(sorted(fonts)), "fonts_embedded": bool(fonts) and all(fonts.values()),
            "synthetic_mark": SYNTHETIC_MARK in text, "long_digit_runs": len(re.findall(r"\d{16,}", text))}


def _profile_pdfs(files: pd.DataFrame) -> pd.DataFrame:
    """One row per PDF of the profiles' manifest, with what its text and fonts show."""
    rows = [{"path": str(path), **_pdf_facts(str(path), str(sha))}
            for path, sha in zip(files["path"], files["sha256"], strict=True) if str(path).endswith(".pdf")]
    return pd.DataFrame(rows, columns=["path", "pages", "text_chars", "title_in_text", "fonts", "fonts_embedded",
                                       "synthetic_mark", "long_digit_runs"])


def profiles_suite(name: str = "kabkota_profiles") -> Suite:
    """The kab/kota profiles' manifest: files written, no identity column, and every PDF is one or two pages
    whose text can be extracted (title found), whose fonts are all embedded, that carries the synthetic-data
    mark and has no run of 16 or more digits (a NIK or KK number)."""
    base = manifest_suite(name)
    locate = ("path",)
    return Suite(name, [
        *base.rules,
        Rule("pdf_pages", "every profile is one or two A4 pages",
             lambda E: E.ExpectColumnValuesToBeBetween(column="pages", min_value=1, max_value=2),
             frame=_profile_pdfs, locate=(*locate, "pages")),
        Rule("pdf_text_extractable", "every profile's text can be extracted (its title is found in it)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="title_in_text", value_set=[True]),
             frame=_profile_pdfs, locate=(*locate, "text_chars")),
        Rule("pdf_fonts_embedded", "every font of every profile is embedded (it prints the same everywhere)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="fonts_embedded", value_set=[True]),
             frame=_profile_pdfs, locate=(*locate, "fonts")),
        Rule("pdf_synthetic_mark", f"every profile marks its synthetic-sample figures '{SYNTHETIC_MARK}'",
             lambda E: E.ExpectColumnValuesToBeInSet(column="synthetic_mark", value_set=[True]),
             frame=_profile_pdfs, locate=locate),
        Rule("pdf_no_16_digit_numbers", "no profile's text contains a run of 16 or more digits (NIK/KK numbers)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="long_digit_runs", min_value=0, max_value=0),
             frame=_profile_pdfs, locate=(*locate, "long_digit_runs")),
        Rule("profiles_written", "at least one profile is written",
             lambda E: E.ExpectTableRowCountToBeBetween(min_value=1), frame=_profile_pdfs, locate=locate),
    ])
