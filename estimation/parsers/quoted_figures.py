"""Reader of the figures quoted by news pages and local-government reports
(data/raw/crosscheck/news_pages_p0.csv).

Every column stays text exactly as published (a quote's precision is read from its text, "8.60" is not
"8.6"), with the file and line each row stands on so a check can point at it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from estimation.parsers.delimited import read_records

__all__ = ["parse_quoted_figures"]


def parse_quoted_figures(path: Path, source_file: str) -> pd.DataFrame:
    """source_file, source_row (file line: header = 1, first data row = 2), then the file's columns as str.

    Blank lines are skipped; a short row has its absent fields empty. A row longer than the header is a
    changed layout: ValueError naming file and line.
    """
    records = read_records(Path(path))
    if not records:
        raise ValueError(f"{source_file}: empty file, no header")
    _, header = records[0]
    columns = list(header)
    rows, lines = [], []
    for line, fields in records[1:]:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(columns):
            raise ValueError(f"{source_file}, line {line}: {len(fields)} fields, header has {len(columns)}")
        rows.append(fields + [""] * (len(columns) - len(fields)))
        lines.append(line)
    frame = pd.DataFrame(rows, columns=columns, dtype=str)
    frame.insert(0, "source_row", pd.array(lines, dtype="int64"))
    frame.insert(0, "source_file", source_file)
    return frame
