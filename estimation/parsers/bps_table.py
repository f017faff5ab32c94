"""Parser for the BPS statistics-table CSV export ("tabel statistik", e.g. P0 by kabupaten/kota).

Layout as BPS exports it: line 1 `Provinsi/Kabupaten/Kota,<title>`, line 2 the years, then each province row
IN CAPITALS followed by its kab/kota rows (names without codes, `-` where BPS has no figure), an empty row and
a `Catatan` row whose second field holds the footnotes as HTML.

The parser never raises on a damaged table: ragged rows, bad year headers and non-numeric cells end up as
cells with status "invalid" or year <NA>, and `structure_problems` names them with file, row and column.
"""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path

import pandas as pd

from estimation.cells import ParsedTable, as_cells, empty_cells
from estimation.parsers.delimited import read_records, shift_start
from estimation.parsers.problems import as_file_error

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_YEAR = re.compile(r"(?:19|20)\d{2}")
# BPS marks "no figure" with a dash. An empty cell or an ellipsis is not how the export writes it (it is a
# damaged or hand-edited file): "invalid", so a blank is never published silently.
_MISSING_TEXTS = {"-", "–", "—"}
_HEADER_NOTE = re.compile(r"header row (\d+)")


def parse_bps_statistics_table(path: Path, source_file: str, variable: str) -> ParsedTable:
    """Parse one BPS statistics-table export into published cells (one per region row and year column)."""
    records = read_records(Path(path))
    if not records:
        return ParsedTable(cells=empty_cells())

    _, title_fields = records[0]
    title = next((f.strip() for f in title_fields[1:] if f.strip()), "")
    header_line, header = _find_header(records)
    labels = [h.strip() for h in header]
    years = [int(lab) if _YEAR.fullmatch(lab) else None for lab in labels]

    cut_line = records[-1][0] if not _ends_with_newline(Path(path)) else None  # a file cut inside its last row
    rows: list[dict] = []
    footnote_texts: list[str] = []
    province: str | None = None
    for line, fields in records:
        if line <= header_line:
            continue
        name = fields[0].strip() if fields else ""
        if name.lower().startswith("catatan"):
            footnote_texts.extend(f for f in fields[1:] if f.strip())
            continue
        if not any(f.strip() for f in fields):
            continue  # the blank separator row
        is_province = _is_province_name(name)
        if is_province:
            province = name
        while len(fields) > len(header) and not fields[-1].strip():
            fields = fields[:-1]  # trailing empty fields beyond the header are harmless
        ragged = len(fields) != len(header)
        shift = shift_start(fields, len(header)) if ragged else len(header)
        for j in range(1, max(len(fields), len(header))):
            label = labels[j] if j < len(labels) else ""
            text = fields[j] if j < len(fields) else None
            status, value = _parse_value(text)
            detail = f"header row {header_line}; column {j + 1}"
            if ragged:
                detail += f"; ragged row: {len(fields)} fields, header has {len(header)}"
                if j >= shift:  # from the shift on, no figure stands under its year
                    where = labels[shift] if shift < len(labels) else f"field {shift + 1}"
                    ends_early = len(fields) < len(header) and shift == len(fields)
                    detail += f"; {'no cell' if ends_early else 'shifted'} from column '{where}' on"
                    status, value = "invalid", float("nan")
                if line == cut_line:
                    detail += "; the file ends inside this row (cut off?)"
            rows.append(
                {
                    "source_file": source_file,
                    "source_row": line,
                    "source_column": label,
                    "region_name": name,
                    "province_name": province,
                    "is_province_row": is_province,
                    "year": years[j] if j < len(years) else None,
                    "variable": variable,
                    "value_text": text,
                    "value": value,
                    "status": status,
                    "detail": detail,
                }
            )

    cells = as_cells(pd.DataFrame(rows)) if rows else empty_cells()
    paragraphs = [p for text in footnote_texts for p in _html_paragraphs(text)]
    notes = _attach_footnotes(cells, paragraphs)
    return ParsedTable(cells=cells, title=title, notes=notes)


def table_years(path: Path) -> list[int]:
    """The year columns of a statistics-table export, read from its header only (fast: no cells built).

    A file that cannot be read as text raises RawFileError (a ValueError) naming file, row and the bytes found."""
    try:
        records = read_records(Path(path))
    except UnicodeDecodeError as exc:
        error = as_file_error(exc, Path(path), Path(path).name)
        raise (error or exc) from exc
    if not records:
        return []
    _, header = _find_header(records)
    return sorted({int(label.strip()) for label in header[1:] if _YEAR.fullmatch(label.strip())})


def structure_problems(cells: pd.DataFrame) -> pd.DataFrame:
    """Problems a check should report, one row each: invalid cells, bad/duplicated/missing year columns."""
    out: list[dict] = []
    bad = cells[cells["status"] == "invalid"]
    for r in bad.itertuples(index=False):
        detail = r.detail if isinstance(r.detail, str) else ""
        if "ragged row" in detail:
            problem = detail[detail.index("ragged row"):]
            problem += f"; value {r.value_text!r}" if isinstance(r.value_text, str) else "; cell absent"
        else:
            problem = f"not a number: {r.value_text!r}"
        out.append(_problem(r.source_file, r.source_row, r.source_column, problem))

    for source_file, group in cells.groupby("source_file", sort=False):
        header_row = _header_row(group)
        first_row = group["source_row"].min()
        columns = group[group["source_row"] == first_row]
        no_year = columns[columns["year"].isna()]
        for label in no_year["source_column"].drop_duplicates():
            out.append(_problem(source_file, header_row, label, f"column header {label!r} is not a year"))
        counts = columns.dropna(subset=["year"]).groupby("year").size()
        for year, n in counts[counts > 1].items():
            out.append(_problem(source_file, header_row, str(year),
                                f"year {year} appears in {n} columns (header row {header_row})"))
        present = sorted(int(y) for y in counts.index)
        for before, after in itertools.pairwise(present):
            for missing in range(before + 1, after):
                out.append(_problem(source_file, header_row, str(missing),
                                    f"year column {missing} missing between {before} and {after} "
                                    f"(header row {header_row})"))
    frame = pd.DataFrame(out, columns=["source_file", "source_row", "source_column", "problem"])
    return frame.astype({"source_file": "string", "source_row": "Int64", "source_column": "string",
                         "problem": "string"})


def _problem(source_file: str, row: object, column: object, problem: str) -> dict:
    return {"source_file": source_file, "source_row": row, "source_column": column, "problem": problem}


def _header_row(group: pd.DataFrame) -> int | None:
    for detail in group["detail"].dropna():
        found = _HEADER_NOTE.search(str(detail))
        if found:
            return int(found.group(1))
    return None


def _find_header(records: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The year header: the first record (after the title) with a year label in it, else line 2."""
    for line, fields in records[1:6]:
        if any(_YEAR.fullmatch(f.strip()) for f in fields[1:]):
            return line, fields
    return records[min(1, len(records) - 1)]


def _is_province_name(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return True
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")


def _parse_value(text: str | None) -> tuple[str, float]:
    if text is None:
        return "invalid", float("nan")  # a cell the row does not have (ragged row)
    stripped = text.strip()
    if stripped in _MISSING_TEXTS:
        return "missing", float("nan")
    if _NUMBER.fullmatch(stripped):
        return "ok", float(stripped)
    return "invalid", float("nan")


def _html_paragraphs(text: str) -> list[str]:
    """Split a footnote field on <br> and block tags, strip the remaining tags, unescape entities."""
    parts = re.split(r"<\s*br\s*/?\s*>|</?\s*(?:p|div|li|ul|ol)\b[^>]*>", text, flags=re.IGNORECASE)
    paragraphs = []
    for part in parts:
        clean = html.unescape(re.sub(r"<[^>]+>", "", part))
        clean = re.sub(r"\.(?=[A-Z])", ". ", clean)  # "Papua.Angka" -> "Papua. Angka" (lost space)
        clean = re.sub(r"\s+", " ", clean).strip()
        if clean:
            paragraphs.append(clean)
    return paragraphs


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


def _attach_footnotes(cells: pd.DataFrame, paragraphs: list[str]) -> list[str]:
    """Put each footnote on the figure it concerns; return the paragraphs tied to no figure.

    A paragraph concerns a figure when it names a region of the table and a year of the table. Names are
    matched longest first (so "Kota Jayapura" does not also count as "Jayapura"); a kab/kota named together
    with its province concerns the kab/kota only. The year is the first table year the paragraph mentions:
    later years are the figures a note says were used instead ("memakai angka tahun 2014").
    """
    if cells.empty:
        return paragraphs
    table_years = {int(y) for y in cells["year"].dropna().unique()}
    regions = cells[["region_name", "province_name", "is_province_row"]].drop_duplicates()
    names = sorted({str(n) for n in regions["region_name"].dropna() if str(n).strip()},
                   key=lambda n: len(_norm(n)), reverse=True)
    free: list[str] = []
    for paragraph in paragraphs:
        text = _norm(paragraph)
        mentioned: list[str] = []
        for name in names:
            key = _norm(name)
            if key.strip() and key in text:
                mentioned.append(name)
                text = text.replace(key, " ")  # consume, so shorter names inside it do not match
        years = [int(y) for y in _YEAR.findall(paragraph) if int(y) in table_years]
        if not mentioned or not years:
            free.append(paragraph)
            continue
        rows = regions[regions["region_name"].isin(mentioned)]
        kabkota = rows[~rows["is_province_row"].astype(bool)]
        if not kabkota.empty:
            # a province also named is context: it disambiguates a kab/kota name used in two provinces
            provinces = {n for n in mentioned if n in set(rows.loc[rows["is_province_row"].astype(bool),
                                                                       "region_name"])}
            in_named = kabkota[kabkota["province_name"].isin(provinces)]
            rows = in_named if not in_named.empty else kabkota
        target = cells["year"].eq(years[0]) & cells["region_name"].isin(rows["region_name"])
        target &= cells["province_name"].isin(rows["province_name"]) | rows["province_name"].isna().any()
        cells.loc[target.fillna(False), "note"] = _join_note(cells.loc[target.fillna(False), "note"], paragraph)
    return free


def _join_note(existing: pd.Series, paragraph: str) -> pd.Series:
    return existing.map(lambda old: paragraph if pd.isna(old) else f"{old} | {paragraph}")
