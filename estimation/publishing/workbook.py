"""The Excel workbook for report writers, laid out as BPS publishes a statistical table.

One sheet per `ReaderTable` (level x indicator family, `views.py`), then "Catatan" (BPS footnotes, the
synthetic-data disclaimer, conventions, the list of sheets). Each table sheet:

    row 1  title (bold)                     row 4  (empty)
    row 2  Satuan: <unit>                   row 5  column labels (from the data dictionary)
    row 3  Sumber: <source>                 row 6  unit of each column
                                            row 7+ the figures

Codes are text cells ("0000" stays "0000"), figures are numbers rounded to the published decimals with a
number format that shows exactly those decimals (Excel shows the decimal comma and thousands dot of the
reader's Indonesian settings), missing figures are empty cells, and the header rows and the region columns
are frozen.

Written with XlsxWriter 3.3.1 rather than the pinned openpyxl: on the real tables (~88,000 cells) XlsxWriter
took 2.7-3.3 s against 8.3-8.6 s for an openpyxl write-only writer of the same content (a prototype, not kept,
which also re-zipped the file to remove openpyxl's 16-digit float noise; 2026-12-02, 2-core machine at load
~5). On 300,000 plain numeric cells the two wrote in 23.6-25.9 s and 10.8 s at the same load. The tests read the files back with openpyxl, an implementation
independent of the writer. Numbers are written in their shortest exact form (`_ShortestNumberSheet`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from estimation.atomic import write_bytes_atomic
from estimation.publishing.views import ReaderTable

HEADER_ROWS = 6  # title, unit, source, blank, labels, units
FIRST_DATA_ROW = HEADER_ROWS + 1
NOTES_SHEET = "Catatan"
DISCLAIMER = ("Estimasi kemiskinan ekstrem pada lembar \"{sheet}\" dihitung dari sampel SINTETIS serupa Susenas "
              "Maret (mikrodata Susenas tidak tersedia untuk publik) yang dikalibrasi ke tabel BPS. Angka tersebut "
              "adalah peragaan metode (estimasi langsung dan Fay-Herriot EBLUP), BUKAN angka resmi BPS, dan tidak "
              "boleh dikutip sebagai angka kemiskinan ekstrem resmi.")
CONVENTIONS = (
    "Sel kosong: tidak ada angka yang dipublikasikan untuk wilayah dan tahun tersebut.",
    "Persentase penduduk miskin (P0) dalam persen, dua desimal, seperti dipublikasikan BPS.",
    ("Jumlah penduduk miskin dalam ribu jiwa: dua desimal sejak 2015, satu desimal sebelumnya, seperti "
     "dipublikasikan BPS."),
    "Garis kemiskinan (GK) dalam rupiah per kapita per bulan, tanpa desimal.",
    ("Perubahan P0 dalam poin persen; perubahan jumlah penduduk miskin dalam jiwa (selisih angka yang "
     "dipublikasikan)."),
    "Semua angka persentase, termasuk estimasi kemiskinan ekstrem, ditampilkan dalam persen.",
    "Kelayakan publikasi estimasi: layak (RSE ≤ 25%), hati-hati (25% < RSE ≤ 50%), tidak layak (RSE > 50%).",
    "CV atau RSE kosong pada estimasi: estimasinya nol, sehingga CV/RSE tidak terdefinisi.",
    "Kode wilayah adalah kode BPS dan disimpan sebagai teks: 0000 Indonesia, pp00 provinsi, ppkk kabupaten/kota.",
    ("Angka Provinsi Papua dan Papua Barat sebelum 2024 adalah untuk wilayah provinsi sebelum pemekaran 2022 "
     "(catatan BPS)."),
)


def number_format(decimals: int) -> str:
    """Excel number format with thousands grouping and exactly `decimals` decimals."""
    return "#,##0" if decimals <= 0 else "#,##0." + "0" * decimals


class _ShortestNumberSheet(Worksheet):  # type: ignore[misc]
    """A worksheet that writes each number in its shortest exact form.

    XlsxWriter writes floats with 16 significant digits (`{:.16G}`), so 0.81 is stored as 0.8100000000000001:
    the same double, but noise digits in the file (and a 16-digit run that cannot be told from a NIK). Python's
    repr is the shortest text that reads back as the same double ("0.81"), so the values are unchanged and the
    file holds what was published. Overrides XlsxWriter's cell-number writer (pinned 3.3.1; the tests check
    the XML)."""

    def _xml_number_element(self, number: float, attributes: Sequence[tuple[str, Any]] = ()) -> None:
        # the attributes are a cell reference and a style index: nothing to escape
        self.fh.write("<c" + "".join([f' {key}="{value}"' for key, value in attributes])
                      + f"><v>{float(number)!r}</v></c>")


class _Formats:
    """The workbook's cell formats, created once each."""

    def __init__(self, wb: Any) -> None:
        self._wb = wb
        self._numbers: dict[int, Any] = {}
        self.title = wb.add_format({"bold": True, "font_size": 12})
        self.label = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        self.unit = wb.add_format({"italic": True})
        self.text = wb.add_format({"num_format": "@"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    def number(self, decimals: int) -> Any:
        if decimals not in self._numbers:
            self._numbers[decimals] = self._wb.add_format({"num_format": number_format(decimals)})
        return self._numbers[decimals]


def _column_widths(table: ReaderTable) -> list[float]:
    widths = []
    for column in table.frame.columns:
        label = len(str(table.labels[column]))
        if column in table.decimals:
            widths.append(max(9.0, min(18.0, label * 0.9 + 2)))
        else:
            longest = table.frame[column].astype(str).str.len().max() if len(table.frame) else 0
            widths.append(float(max(8, min(40, int(longest or 0) + 2, max(label, 8) + 2))))
    return widths


def write_table_sheet(wb: Any, formats: _Formats, table: ReaderTable) -> None:
    ws = wb.add_worksheet(table.sheet, worksheet_class=_ShortestNumberSheet)
    columns = list(table.frame.columns)
    for i, width in enumerate(_column_widths(table)):
        ws.set_column(i, i, width)
    ws.freeze_panes(HEADER_ROWS, table.id_columns)
    ws.write_string(0, 0, table.title, formats.title)
    ws.write_string(1, 0, f"Satuan: {table.unit}")
    ws.write_string(2, 0, f"Sumber: {table.source}")
    for j, column in enumerate(columns):
        ws.write_string(4, j, str(table.labels[column]), formats.label)
        ws.write_string(5, j, str(table.units.get(column, "")), formats.unit)
    kinds = [(column in table.decimals and column not in table.text_columns,
              formats.number(table.decimals[column]) if column in table.decimals else
              formats.text if column in table.text_columns else None) for column in columns]
    for i, values in enumerate(table.frame.itertuples(index=False, name=None), start=HEADER_ROWS):
        for j, (value, (numeric, fmt)) in enumerate(zip(values, kinds, strict=True)):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if numeric:
                ws.write_number(i, j, float(value), fmt)
            else:
                ws.write_string(i, j, str(value), fmt)


def write_notes_sheet(wb: Any, formats: _Formats, sections: Sequence[tuple[str, Sequence[str]]]) -> None:
    ws = wb.add_worksheet(NOTES_SHEET)
    ws.set_column(0, 0, 130)
    ws.write_string(0, 0, "Catatan", formats.title)
    row = 1
    for heading, lines in sections:
        row += 1
        ws.write_string(row, 0, heading, formats.label)
        row += 1
        for line in lines:
            ws.write_string(row, 0, line, formats.wrap)
            row += 1


def provenance_lines(provenance: Mapping[str, Any] | None) -> list[str]:
    """Where the workbook comes from (run, code version, SHA-256 of each source file), for the Catatan sheet."""
    if not provenance:
        return []
    lines = [f"{label}: {_grouped(str(provenance[key]))}" for key, label in (
        ("run_id", "ID run Dagster"), ("code_version", "Versi kode (commit git)")) if provenance.get(key)]
    sources = provenance.get("sources_sha256") or {}
    lines += [f"Berkas sumber data/raw/{name}: SHA-256 {_grouped(str(digest))}"
              for name, digest in sorted(sources.items())]
    return lines


def _grouped(text: str) -> str:
    """Long hexadecimal strings (SHA-256, git commit, run ids) in groups of 8: a hash may hold 16 decimal digits
    in a row, which the no-16-digit rule could not tell from a NIK."""
    return re.sub(r"[0-9a-f]{9,}", lambda m: " ".join(m.group(0)[i:i + 8] for i in range(0, len(m.group(0)), 8)),
                  text)


def notes_sections(tables: Sequence[ReaderTable], footnotes: Iterable[str], figure_notes: Iterable[str],
                   provenance: Mapping[str, Any] | None = None) -> list[tuple[str, list[str]]]:
    """The Catatan sheet: disclaimer first (when there are model estimates), BPS footnotes, conventions, sheets."""
    sections: list[tuple[str, list[str]]] = []
    model = [t for t in tables if "Sintetis" in t.title or "SINTETIS" in t.source]
    if model:
        sections.append(("PENTING: data sintetis", [DISCLAIMER.format(sheet=t.sheet) for t in model]))
    bps = [f for f in footnotes if f.strip()]
    sections.append(("Catatan BPS", bps or ["Tidak ada catatan."]))
    sections.append(("Catatan per angka", list(figure_notes) or ["Tidak ada catatan."]))
    sections.append(("Konvensi", list(CONVENTIONS)))
    sections.append(("Daftar lembar", [f"{t.sheet}: {t.title}" for t in tables]))
    lines = provenance_lines(provenance)
    if lines:
        sections.append(("Asal data", lines))
    return sections


def workbook_bytes(tables: Sequence[ReaderTable], sections: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    formats = _Formats(wb)
    for table in tables:
        write_table_sheet(wb, formats, table)
    write_notes_sheet(wb, formats, sections)
    wb.close()
    return buffer.getvalue()


def write_workbook(path: str | Path, tables: Sequence[ReaderTable], *, footnotes: Iterable[str] = (),
                   figure_notes: Iterable[str] = (), provenance: Mapping[str, Any] | None = None) -> Path:
    """Write the workbook atomically (a reader never sees half a file)."""
    data = workbook_bytes(tables, notes_sections(tables, footnotes, figure_notes, provenance))
    return write_bytes_atomic(path, data)


_LONG_DIGITS = re.compile(rb"\d{16,}")


def long_digit_runs(path: str | Path) -> list[str]:
    """Runs of 16 or more digits in a file (inside every part of an .xlsx): a NIK or KK number, or a float
    written with noise digits (8.599999999999999). Returns 'part: run' strings, [] when clean."""
    path = Path(path)
    found: list[str] = []
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                found += [f"{name}: {m.decode()}" for m in _LONG_DIGITS.findall(archive.read(name))]
    else:
        found += [f"{path.name}: {m.decode()}" for m in _LONG_DIGITS.findall(path.read_bytes())]
    return found
