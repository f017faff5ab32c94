"""Parquet IO manager on pyarrow: one file per asset (per partition for partitioned assets).

Files are written atomically (temp file + rename), so a failed run never leaves half a file and the last
good materialisation stays readable. Each file carries its provenance (asset, partition, run id, time)
in the Parquet key-value metadata, and each materialisation records row count and column schema.

A partitioned asset materialised for a range of partitions in one run (single-run backfill) returns one
frame with a `year` column; it is split into one file per partition here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import (
    ConfigurableIOManager,
    InputContext,
    MetadataValue,
    OutputContext,
    TableColumn,
    TableSchema,
)

from estimation.atomic import write_with_atomic
from estimation.dictionary import column_info

PARTITION_COLUMN = "year"


def _description(column: str, table: str) -> str | None:
    try:
        return column_info(column, table).description()
    except KeyError:  # tests/pipeline/test_full_run.py lists any column left without one
        return None


def _table_schema(frame: pd.DataFrame, table: str) -> TableSchema:
    """Name, type and the data dictionary's description (estimation/dictionary.py) of every column."""
    return TableSchema(columns=[TableColumn(name=str(c), type=str(t), description=_description(str(c), table))
                                for c, t in frame.dtypes.items()])


class ParquetIOManager(ConfigurableIOManager):
    """Stores DataFrames as Parquet under `base_dir/<asset key path>[/<partition>].parquet`."""

    base_dir: str

    def _asset_dir(self, context: OutputContext | InputContext) -> Path:
        return Path(self.base_dir).joinpath(*context.asset_key.path)

    def _path(self, context: OutputContext | InputContext, partition: str | None) -> Path:
        base = self._asset_dir(context)
        return base / f"{partition}.parquet" if partition is not None else base.with_suffix(".parquet")

    def _write(self, frame: pd.DataFrame, path: Path, provenance: dict) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"provenance"] = json.dumps(provenance, sort_keys=True).encode()
        table = table.replace_schema_metadata(meta)
        write_with_atomic(path, lambda tmp: pq.write_table(table, tmp))

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        if obj is None:
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()}: expected a pandas DataFrame, got {type(obj)}")
        provenance = {
            "asset": context.asset_key.to_user_string(),
            "run_id": context.run_id,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if context.has_asset_partitions:
            keys = list(context.asset_partition_keys)
            if len(keys) == 1 and (PARTITION_COLUMN not in obj.columns):
                parts = {keys[0]: obj}
            else:
                if PARTITION_COLUMN not in obj.columns:
                    raise ValueError(f"{context.asset_key.to_user_string()}: a multi-partition output needs a "
                                     f"'{PARTITION_COLUMN}' column to split by")
                years = obj[PARTITION_COLUMN]
                # compare as numbers when the column is numeric: casting millions of rows to text is slow
                numeric = pd.api.types.is_numeric_dtype(years)
                parts = {key: obj[years == (int(key) if numeric else key)] for key in keys}
            for key, part in parts.items():
                self._write(part.reset_index(drop=True), self._path(context, key), {**provenance, "partition": key})
        else:
            self._write(obj, self._path(context, None), provenance)
        context.add_output_metadata(
            {
                "dagster/row_count": MetadataValue.int(len(obj)),
                "dagster/column_schema": MetadataValue.table_schema(_table_schema(obj, context.asset_key.path[-1])),
                "path": MetadataValue.path(str(self._asset_dir(context))),
            }
        )

    def load_input(self, context: InputContext) -> pd.DataFrame:
        if context.has_asset_partitions:
            frames = []
            for key in context.asset_partition_keys:
                path = self._path(context, key)
                if path.exists():
                    frames.append(pq.read_table(path).to_pandas())
            if not frames:
                raise FileNotFoundError(f"no stored partitions of {context.asset_key.to_user_string()} "
                                        f"under {self._asset_dir(context)}")
            return pd.concat(frames, ignore_index=True)
        path = self._path(context, None)
        if not path.exists():
            raise FileNotFoundError(f"{context.asset_key.to_user_string()} has not been materialised ({path})")
        return pq.read_table(path).to_pandas()


def read_provenance(path: str | Path) -> dict:
    """The provenance stored in a Parquet file written by this IO manager (or by the publishing step)."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"provenance", b"{}"))
