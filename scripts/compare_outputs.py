"""Are two runs' published outputs the same? `python -m scripts.compare_outputs [--bytes] OLD_OUTPUTS NEW_OUTPUTS`.

For a refactoring that must not change a published number: CSV, XLSX, PNG and SVG files byte for byte, Parquet
tables by value (exact), provenance records with what differs between any two runs set aside (run id, times,
code version). Prints one line per file and exits 1 when anything differs or is missing.

`--bytes` (re-runs on the same inputs and seed, tests/pipeline/test_rerun_identical.py): every file byte for
byte, Parquet included. Two kinds of file carry their run's own fields inside them, which are set aside and
nothing else: a Parquet table's embedded provenance (`code_version`: the git commit, which moves when someone
commits between two runs in a shared checkout) -- the file is then compared as the bytes pyarrow writes for
the same table with those fields removed; and the workbook (XlsxWriter's creation time in docProps/core.xml,
the run id and code version on its Catatan sheet) -- compared member by member with those texts masked.
Such a file is reported as `same*`.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from estimation.publication import VERSIONS

RUN_FIELDS = {"run_id", "created_at", "written_at", "code_version"}


def _provenance(path: Path) -> dict:
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in RUN_FIELDS}


# The run's own texts inside a workbook: XlsxWriter's creation time, and the Catatan sheet's provenance lines
# (estimation/publishing/workbook.py `provenance_lines`: "ID run Dagster: ...", "Versi kode (commit git): ...").
XLSX_RUN_TEXT = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*|((?:ID run Dagster|Versi kode \(commit git\)): )"
                           r"[^<]*")


def _parquet_without_run_fields(path: Path) -> bytes:
    """The bytes pyarrow writes for the file's table with the run's own fields taken out of its embedded
    provenance (everything else -- schema, values, other metadata -- as it is)."""
    table = pq.read_table(path)  # raises on a file that is not Parquet any more
    meta = dict(table.schema.metadata or {})
    if b"provenance" in meta:
        record = {k: v for k, v in json.loads(meta[b"provenance"]).items() if k not in RUN_FIELDS}
        meta[b"provenance"] = json.dumps(record, sort_keys=True).encode()
    buffer = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(meta), buffer)
    return buffer.getvalue().to_pybytes()


def _xlsx_without_run_text(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: XLSX_RUN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "*",
                                        archive.read(name).decode("utf-8", "surrogateescape")
                                        ).encode("utf-8", "surrogateescape")
                for name in archive.namelist()}


def verdict(old: Path, new: Path, exact_bytes: bool = False) -> str:
    """'same', 'same*' (the same once the run's own fields are set aside; `--bytes` only) or 'DIFFERENT'."""
    if old.name.endswith(".provenance.json"):
        return "same" if _provenance(old) == _provenance(new) else "DIFFERENT"
    if exact_bytes:
        if old.read_bytes() == new.read_bytes():
            return "same"
        try:
            if old.suffix == ".parquet" and _parquet_without_run_fields(old) == _parquet_without_run_fields(new):
                return "same*"
            if old.suffix == ".xlsx" and _xlsx_without_run_text(old) == _xlsx_without_run_text(new):
                return "same*"
        except (OSError, ValueError, zipfile.BadZipFile, pa.ArrowException):  # one of them is broken
            pass
        return "DIFFERENT"
    return "same" if same(old, new) else "DIFFERENT"


def same(old: Path, new: Path) -> bool:
    """Whether two published files say the same: provenance records without their run's own fields; Parquet
    by value; every other file byte for byte."""
    if old.name.endswith(".provenance.json"):
        return _provenance(old) == _provenance(new)
    if old.suffix == ".parquet":
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(old), pd.read_parquet(new), check_exact=True)
        except AssertionError:
            return False
        return True
    return old.read_bytes() == new.read_bytes()


def published_files(folder: Path) -> set[Path]:
    """The files as readers see them: through the published folders' links (`estimation.publication`), not
    the version directories behind them."""
    found = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if d != VERSIONS]
        found |= {(Path(root) / name).relative_to(folder) for name in files}
    return found


def compare(old_dir: Path, new_dir: Path, exact_bytes: bool = False) -> list[str]:
    """One line per file under either folder: 'same', 'DIFFERENT', 'only in old' or 'only in new'."""
    old, new = published_files(old_dir), published_files(new_dir)
    lines = []
    for relative in sorted(old | new):
        if relative not in new:
            lines.append(f"only in old  {relative}")
        elif relative not in old:
            lines.append(f"only in new  {relative}")
        else:
            lines.append(f"{verdict(old_dir / relative, new_dir / relative, exact_bytes):<12} {relative}")
    return lines


def differences(lines: list[str]) -> list[str]:
    """The lines of `compare` that are not 'same'."""
    return [line for line in lines if not line.startswith("same")]


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    exact_bytes = "--bytes" in args
    args = [arg for arg in args if arg != "--bytes"]
    if len(args) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    lines = compare(Path(args[0]), Path(args[1]), exact_bytes)
    print("\n".join(lines))
    return 0 if lines and not differences(lines) else 1


if __name__ == "__main__":
    sys.exit(main())
