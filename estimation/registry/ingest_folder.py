"""Ingest every registry snapshot (P3KE, DTSEN) of an extract folder: one pseudonymised Parquet file and one
report row per extract, counts only (never an identity)."""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from estimation.parallel import die_with_parent
from estimation.registry.ingest import IngestReport, ingest_extract
from estimation.registry.pseudonym import KeySource

SNAPSHOT_KINDS = ("p3ke", "dtsen")

# A desil outside its source's range: P3KE 1-4, DTSEN 1-10 (SQL conditions on the ingested Parquet).
P3KE_OUT = "desil_p3ke IS NOT NULL AND desil_p3ke NOT BETWEEN 1 AND 4"
DTSEN_OUT = "desil_dtsen IS NOT NULL AND desil_dtsen NOT BETWEEN 1 AND 10"


def desil_range_violations(parquet: str | Path, first: int = 20) -> tuple[int, int, list[dict[str, int]]]:
    """Rows whose desil is outside its source's range: (P3KE not in 1-4, DTSEN not in 1-10, the first `first`
    of them as {"row": line in the extract, "desil": value found}) — the rows, not only a count."""
    con = duckdb.connect()
    try:
        counts = con.execute(f"SELECT count(*) FILTER (WHERE {P3KE_OUT}), count(*) FILTER (WHERE {DTSEN_OUT}) "
                             f"FROM read_parquet(?)", [str(parquet)]).fetchone()
        rows = con.execute(f"SELECT source_row, coalesce(desil_p3ke, desil_dtsen) FROM read_parquet(?) "
                           f"WHERE ({P3KE_OUT}) OR ({DTSEN_OUT}) ORDER BY source_row LIMIT {int(first)}",
                           [str(parquet)]).fetchall()
    finally:
        con.close()
    assert counts is not None  # an aggregate query returns one row
    return int(counts[0]), int(counts[1]), [{"row": int(r), "desil": int(d)} for r, d in rows]


def _report_row(entry, report: IngestReport, out: Path) -> dict[str, object]:
    bad_p3ke, bad_dtsen, bad_rows = desil_range_violations(out)
    statuses = report.nik_status_counts
    valid = int(statuses.get("valid", 0))
    return {"key": entry.key, "source": entry.source, "source_file": report.source_file,
            "kabkota_code": entry.kabkota_code,
            "year": int(entry.year), "snapshot_date": entry.snapshot_date, "rows": report.n_rows,
            "duplicates": report.n_duplicates, "nik_valid": valid,
            "nik_valid_rate": valid / report.n_rows if report.n_rows else 0.0,
            "nik_invalid_by_status": json.dumps({k: v for k, v in statuses.items() if k != "valid"}, sort_keys=True),
            "first_invalid_rows": json.dumps({k: v[:5] for k, v in report.invalid_nik_rows.items()}),
            "desil_out_of_range": bad_p3ke + bad_dtsen, "desil_out_of_range_rows": json.dumps(bad_rows),
            "key_mode": report.key_mode, "path": str(out)}


def ingest_extracts(entries: pd.DataFrame, folder: str | Path, out_dir: str | Path, key: bytes,
                    key_source: KeySource, workers: int | None = None) -> pd.DataFrame:
    """Ingest the P3KE / DTSEN entries of a manifest (`extracts.extract_files`) from `folder` to
    `out_dir/<key>.parquet`. Returns one row per file, sorted by key: counts, NIK validity, desil range
    violations, key mode and the Parquet path."""
    folder, out_dir = Path(folder), Path(out_dir)
    snapshots = entries[entries["kind"].isin(SNAPSHOT_KINDS)]
    snapshots = snapshots.sort_values("bytes", ascending=False)  # largest first: the pool finishes sooner
    workers = workers or min(len(snapshots), os.cpu_count() or 1) or 1
    # Files are independent and the HMAC is CPU-bound Python: one process per file ("spawn": no forked
    # copy of the caller's threads and DuckDB connections).
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {entry.key: pool.submit(ingest_extract, folder / entry.file, out_dir / f"{entry.key}.parquet",
                                          key, key_source, entry.snapshot_date, source=entry.source,
                                          kabkota_code=entry.kabkota_code)
                   for entry in snapshots.itertuples()}
        reports = {name: future.result() for name, future in futures.items()}
    rows = [_report_row(entry, reports[entry.key], out_dir / f"{entry.key}.parquet")
            for entry in snapshots.itertuples()]
    return pd.DataFrame(rows).sort_values("key").reset_index(drop=True)
