"""Parser for single rows of the BPS tables "... Menurut Provinsi dan Daerah" (P0, poor count).

The files have no header: each line is `NAME,v1,...,v180` (e.g. JAWA TIMUR, INDONESIA).

Layout, derived from the data (source_column "colN" is the 1-based field position; col1 is the name):

* three blocks of 60 fields: col2-61 perkotaan (urban), col62-121 perdesaan (rural), col122-181 total
  (urban+rural);
* inside a block, 20 years 2007..2026 of three fields each: Semester 1 (maret), Semester 2 (september),
  Tahunan (annual), i.e. the figure of year y, sub-column s (0, 1, 2) of block b sits in field
  2 + 60*b + 3*(y - 2007) + s.
* 2007-2011 carry only the annual field (the March Susenas); semesters start in 2012; September 2023 was
  not published; 2026 has March only.

Evidence: INDONESIA total col 2+120+51 = 9.03 (March 2024), +48 = 9.36 (March 2023), +54 = 8.47 (March 2025),
+52 = 8.57 (September 2024); JAWA TIMUR total March 2024 = 9.79, March 2023 = 10.35; urban < total < rural in
every filled slot; in the count file urban + rural = total.

detail = "{daerah};{semester}" with daerah perkotaan / perdesaan / total and semester maret / september /
tahunan (the third slot, which the brief's two semesters do not cover: kept, not folded into maret).

A line with another field count is a changed layout: ValueError naming file, line and count (a silent
shift would put every figure in the wrong year). Cells themselves never raise: "-" is "missing", text that
is not a number is "invalid".

Known source fault (SOURCES.md): the INDONESIA poor-count row is garbled for 2007-2013 (e.g. 28553.93, the
September 2013 total, repeats in the September slots of 2007-2011). The figures are kept as published and
every 2007-2013 figure of that row gets a `note`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from estimation.cells import ParsedTable, as_cells, empty_cells
from estimation.parsers.delimited import parse_number, read_records
from estimation.parsers.problems import RawFileError

FIRST_YEAR = 2007
N_YEARS = 20
DAERAH = ("perkotaan", "perdesaan", "total")
SEMESTERS = ("maret", "september", "tahunan")
EXPECTED_FIELDS = 1 + len(DAERAH) * N_YEARS * len(SEMESTERS)  # 181

# (file name, region) -> (first year, last year, note): faults stated for the published file
KNOWN_FAULTS: dict[tuple[str, str], tuple[int, int, str]] = {
    ("penduduk_miskin_prov_daerah_row_indonesia.csv", "INDONESIA"): (
        2007,
        2013,
        ("source row looks garbled for 2007-2013 (values repeated across years, e.g. 28553.93 = September "
         "2013 total in the September slots of 2007-2011); kept as published, do not use"),
    ),
}


def column_position(daerah: str, semester: str, year: int) -> int:
    """1-based field position of a figure (col1 is the region name)."""
    return 2 + DAERAH.index(daerah) * N_YEARS * 3 + (year - FIRST_YEAR) * 3 + SEMESTERS.index(semester)


def parse_province_daerah_rows(path: Path, source_file: str, variable: str) -> ParsedTable:
    """Parse the single province/INDONESIA rows into published cells (status ok / missing / invalid)."""
    rows: list[dict] = []
    file_name = Path(source_file).name
    for line, fields in read_records(Path(path)):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != EXPECTED_FIELDS:
            raise RawFileError(
                source_file, f"{source_file} line {line}: {len(fields)} fields, the Provinsi-dan-Daerah layout "
                f"has {EXPECTED_FIELDS}; layout changed or a row shifted?", row=line, column=f"col{min(len(fields), EXPECTED_FIELDS) + 1}",
                region=fields[0].strip() or None, found=f"{len(fields)} fields",
                expected=(f"{EXPECTED_FIELDS} fields (name + 3 daerah x {N_YEARS} years {FIRST_YEAR}-"
                          f"{FIRST_YEAR + N_YEARS - 1} x 3 sub-columns)"))
        name = fields[0].strip()
        fault = KNOWN_FAULTS.get((file_name, name))
        for daerah in DAERAH:
            for year in range(FIRST_YEAR, FIRST_YEAR + N_YEARS):
                for semester in SEMESTERS:
                    position = column_position(daerah, semester, year)
                    text = fields[position - 1]
                    value, status, note = parse_number(text, ".")
                    if fault and fault[0] <= year <= fault[1]:
                        note = fault[2] if note is None else f"{note} | {fault[2]}"
                    rows.append(
                        {
                            "source_file": source_file,
                            "source_row": line,
                            "source_column": f"col{position}",
                            "region_name": name,
                            "province_name": None if name.upper() == "INDONESIA" else name,
                            "is_province_row": True,
                            "year": year,
                            "variable": variable,
                            "value_text": text,
                            "value": value,
                            "status": status,
                            "note": note,
                            "detail": f"{daerah};{semester}",
                        }
                    )
    cells = as_cells(pd.DataFrame(rows)) if rows else empty_cells()
    return ParsedTable(
        cells=cells,
        notes=[("layout: 3 daerah blocks x 20 years 2007-2026 x (maret, september, tahunan); "
                "2007-2011 annual only (March Susenas)")],
    )
