"""Publishing tables: Parquet + CSV written atomically, each with its provenance.

CSV figures are written with the decimals BPS publishes (8.6 is written 8.60, never 8.599999), so a
table opened in a spreadsheet shows exactly the published figure.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from estimation.atomic import write_text_atomic, write_with_atomic
from estimation.publication import public_path, publication

# Decimals per column name; float columns not listed get DEFAULT_DECIMALS.
PUBLISHED_DECIMALS: dict[str, int] = {"poverty_line_rp": 0, "delta_poor_persons": 0, "population_2019_dapoer": 0}
DEFAULT_DECIMALS = 2
IDENTITY_COLUMN_NAMES = {"nik", "no_kk", "kk", "nama", "name_person", "alamat", "address", "no kk"}
# Provenance fields that differ between two runs on the same inputs: kept in the `.provenance.json` sidecar,
# left out of the Parquet's metadata so that a re-run writes byte-identical tables.
RUN_SPECIFIC_FIELDS = ("run_id", "created_at")


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version(root: str | Path | None = None) -> str:
    """The git commit of the code that produced an output (or 'unknown' outside a checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5,
                             check=False)
        commit = out.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5, check=False).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}" if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def csv_text(frame: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> str:
    """CSV with fixed decimals per float column; missing values are empty cells."""
    decimals = {**PUBLISHED_DECIMALS, **(decimals or {})}
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_float_dtype(series):
            places = decimals.get(column, DEFAULT_DECIMALS)
            values = series.to_numpy(dtype=float)
            text = np.where(np.isnan(values), "", np.char.mod(f"%.{places}f", np.round(values, places) + 0.0))
            out[column] = text
    return out.to_csv(index=False, lineterminator="\n")


def identity_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(c).strip().lower() in IDENTITY_COLUMN_NAMES]


def publish_table(
    frame: pd.DataFrame,
    directory: str | Path,
    name: str,
    *,
    provenance: Mapping[str, object],
    decimals: Mapping[str, int] | None = None,
) -> list[Path]:
    """Write `name.parquet`, `name.csv` and `name.provenance.json` atomically; refuse identity columns."""
    leaked = identity_columns(frame)
    if leaked:
        raise ValueError(f"refusing to publish {name}: identity columns {leaked}")
    directory = Path(directory)
    record = {
        "table": name,
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **provenance,
    }
    table = pa.Table.from_pandas(frame, preserve_index=False)
    stable = {k: v for k, v in record.items() if k not in RUN_SPECIFIC_FIELDS}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"provenance": json.dumps(stable, sort_keys=True, default=str).encode()})
    parquet = write_with_atomic(directory / f"{name}.parquet", lambda tmp: pq.write_table(table, tmp))
    csv = write_text_atomic(directory / f"{name}.csv", csv_text(frame, decimals))
    sidecar = write_text_atomic(directory / f"{name}.provenance.json",
                                json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    return [parquet, csv, sidecar]


def publish_tables(
    tables: Mapping[str, pd.DataFrame],
    directory: str | Path,
    *,
    provenance: Mapping[str, object],
    decimals: Mapping[str, int] | None = None,
) -> list[Path]:
    """Publish several tables as one set (`estimation.publication`): their Parquet, CSV and provenance files
    replace the previous ones together, or, on an error or a kill, not at all. Returns the published paths."""
    with publication(directory) as staged:
        written = [path for name, frame in tables.items()
                   for path in publish_table(frame, staged, name, provenance=provenance, decimals=decimals)]
    return [public_path(path, staged, directory) for path in written]


def manifest(paths: Iterable[Path]) -> pd.DataFrame:
    """One row per written file: path, bytes, sha256, and whether a CSV/Parquet has an identity column."""
    rows = []
    for path in paths:
        path = Path(path)
        has_identity = False
        if path.suffix == ".parquet":
            has_identity = bool(identity_columns(pd.DataFrame(columns=pq.read_schema(path).names)))
        elif path.suffix == ".csv":
            header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
            has_identity = bool(identity_columns(pd.DataFrame(columns=header)))
        rows.append({"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path),
                     "has_identity_column": has_identity})
    return pd.DataFrame(rows, columns=["path", "bytes", "sha256", "has_identity_column"])
