"""Publishing for people: the Excel workbook and the Indonesian-Excel CSVs (the machine-readable Parquet/CSV
tables stay in `estimation/publish.py`, unchanged).

    views.py     reader tables: level x indicator family, BPS layout, percent, flags in Bahasa Indonesia
    workbook.py  the .xlsx (openpyxl), header rows from the data dictionary, Catatan sheet
    csv_id.py    `;`-separated, decimal comma, UTF-8 BOM, codes as text

`publish_for_readers` writes all of them as one publication set (`estimation/publication.py`: they replace
the previous ones together, or not at all) and returns their paths; `reader_manifest` lists them
for the checks (bytes, SHA-256, identity columns, 16-digit runs).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from estimation.dictionary import dictionary_frame
from estimation.publication import public_path, publication
from estimation.publish import identity_columns, sha256_file
from estimation.publishing.csv_id import CodeStyle, write_csv_id
from estimation.publishing.views import ReaderTable, figure_notes, reader_tables
from estimation.publishing.workbook import long_digit_runs, write_workbook

CSV_FOLDER = "excel_id"
DICTIONARY_CSV = "kamus_data.csv"


def workbook_name(kabkota_panel: pd.DataFrame) -> str:
    """`Kemiskinan_Kabupaten_Kota_<last year with a kab/kota P0>.xlsx`."""
    years = kabkota_panel.loc[kabkota_panel["p0"].notna(), "year"]
    return f"Kemiskinan_Kabupaten_Kota_{int(years.max())}.xlsx"


def write_reader_csvs(directory: str | Path, tables: Sequence[ReaderTable],
                      code_style: CodeStyle = "excel_formula") -> list[Path]:
    """One Indonesian CSV per reader table (header: the labels) and the data dictionary as `kamus_data.csv`."""
    directory = Path(directory)
    written = [write_csv_id(directory / f"{t.key}.csv", t.frame, decimals=t.decimals, text_columns=t.text_columns,
                            header=t.header, code_style=code_style) for t in tables]
    kamus = pd.DataFrame(dictionary_frame()).rename(columns={
        "column": "kolom", "label": "label", "meaning": "arti (bahasa Inggris)", "unit": "satuan",
        "source": "sumber"})
    written.append(write_csv_id(directory / DICTIONARY_CSV, kamus, text_columns=()))
    return written


def publish_for_readers(directory: str | Path, *, kabkota_panel: pd.DataFrame, province_panel: pd.DataFrame,
                        kabkota_deltas: pd.DataFrame, province_deltas: pd.DataFrame,
                        sae: pd.DataFrame | None = None, direct: pd.DataFrame | None = None,
                        names: pd.DataFrame | None = None, footnotes: Iterable[str] = (),
                        provenance: Mapping[str, Any] | None = None,
                        code_style: CodeStyle = "excel_formula") -> list[Path]:
    """Write the workbook into `directory` and the Indonesian CSVs into `directory/excel_id` as one publication
    set (the other files of `directory` are kept); `provenance`
    (run id, code version, SHA-256 of the source files) is listed in the workbook's Catatan sheet."""
    tables = reader_tables(kabkota_panel, province_panel, kabkota_deltas, province_deltas, sae, direct, names)
    with publication(directory) as staged:  # the workbook and the CSVs switch together, or not at all
        workbook = write_workbook(staged / workbook_name(kabkota_panel), tables, footnotes=footnotes,
                                  figure_notes=figure_notes(kabkota_panel, province_panel), provenance=provenance)
        written = [workbook, *write_reader_csvs(staged / CSV_FOLDER, tables, code_style)]
    return [public_path(path, staged, directory) for path in written]


def _header_fields(path: Path) -> list[str]:
    if path.suffix == ".csv":
        first = path.read_text(encoding="utf-8-sig").split("\r\n", 1)[0]
        return next(csv.reader(io.StringIO(first), delimiter=";"), [])
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        fields: list[str] = []
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=5, max_row=5, values_only=True):
                fields += [str(v) for v in row if v is not None]
        return fields
    finally:
        wb.close()


def reader_manifest(paths: Iterable[Path]) -> pd.DataFrame:
    """One row per written file: path, bytes, sha256, identity column in its header, runs of 16+ digits."""
    rows = []
    for path in map(Path, paths):
        rows.append({"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path),
                     "has_identity_column": bool(identity_columns(pd.DataFrame(columns=_header_fields(path)))),
                     "long_digit_runs": len(long_digit_runs(path))})
    return pd.DataFrame(rows, columns=["path", "bytes", "sha256", "has_identity_column", "long_digit_runs"])


__all__ = ["CSV_FOLDER", "ReaderTable", "publish_for_readers", "reader_manifest", "reader_tables",
           "workbook_name", "write_reader_csvs"]
