"""Registry aggregation at national scale: ~1e8 pseudonymised individuals in Parquet, aggregated by DuckDB.

The extract is generated straight in the ingested (pseudonymised) layout with DuckDB `range()`: random
16-hex pseudonyms, ~4 persons per family, 514 kab/kota, desil 1-4. Aggregation runs in a child process so
its peak RSS can be read from getrusage(RUSAGE_CHILDREN). The pandas baseline reads the same columns of a
20-million-row file and does the same group-bys (individuals by desil, distinct families by desil).
Files go to a temp dir (under /work when there is room) and are deleted afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
BYTES_PER_ROW = 40  # measured Parquet size of the layout below, with margin


def _codes() -> list[str]:
    """The 514 kab/kota codes, so rows spread over as many groups as a national extract."""
    from estimation.parsers.catalog import REGION_LIST_FILE
    from estimation.parsers.region_list import read_region_list

    ref = read_region_list(ROOT / "data" / "raw" / REGION_LIST_FILE)
    return ref.loc[ref["level"] != "provinsi", "bps_code"].tolist()


def generate_national(path: Path, n: int, threads: int | None = None) -> Path:
    """n individuals in the ingested layout (schema.INGESTED_COLUMNS) as one Parquet file."""
    codes = "[" + ",".join(f"'{c}'" for c in _codes()) + "]"
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads={threads}")
    con.execute("SET preserve_insertion_order=false")
    con.execute(f"""
    COPY (
      WITH r AS (SELECT range AS i, range // 4 AS f, hash(range // 4) AS hf FROM range({int(n)}))
      SELECT 'p3ke' AS source, DATE '2024-03-14' AS snapshot_date, 2024::SMALLINT AS year,
             'bench.csv' AS source_file, i + 2 AS source_row,
             format('{{:016x}}', hash(i)) AS nik_pseudo, 'valid' AS nik_status,
             format('{{:016x}}', hf) AS kk_pseudo, 'valid' AS kk_status,
             {codes}[1 + (f % {len(_codes())})::INTEGER] AS kabkota_code,
             'K' || (hf % 20)::VARCHAR AS kecamatan,
             (1 + hf % 4)::TINYINT AS desil_p3ke, NULL::TINYINT AS desil_dtsen,
             (hf % 4 = 0 AND (hf // 4) % 10 = 0) AS extreme_poor,
             CASE WHEN i % 2 = 0 THEN 'L' ELSE 'P' END AS sex, '25-29' AS age_band, i % 4 = 0 AS is_head,
             CASE WHEN hash(i) % 100 = 0 THEN 'meninggal' ELSE 'hidup' END AS status,
             false AS is_duplicate, 'demo' AS key_mode
      FROM r
    ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
    """)
    con.close()
    return path


_DUCK_CHILD = """
import json, sys, time
from estimation.registry.aggregate import aggregate_extract, connect
t = time.perf_counter()
out = aggregate_extract(sys.argv[1], None, con=connect(memory_limit=sys.argv[2], temp_directory=sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - t, "rows": int(out["individuals"].sum())}))
"""

_PANDAS_CHILD = """
import json, sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_parquet(sys.argv[1], columns=["kabkota_code", "year", "kk_pseudo", "desil_p3ke", "extreme_poor",
                                           "is_duplicate"])
df = df[~df["is_duplicate"]]
ind = df.groupby(["kabkota_code", "year", "desil_p3ke"]).size()
ext = df.groupby(["kabkota_code", "year"])["extreme_poor"].sum()
fam = df.groupby(["kabkota_code", "year", "desil_p3ke"])["kk_pseudo"].nunique()
print(json.dumps({"seconds": time.perf_counter() - t, "rows": int(ind.sum())}))
"""


def _child(code: str, *args: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads([line for line in res.stdout.splitlines() if line.startswith("{")][-1])


def _workdir(n: int) -> Path:
    need = n * BYTES_PER_ROW * 1.5 + 4e9
    for base in (Path(tempfile.gettempdir()),):
        base.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(base).free > need:
            return Path(tempfile.mkdtemp(prefix="bench_registry_", dir=base))
    raise RuntimeError(f"not enough disk for {n} rows (~{need / 1e9:.0f} GB)")


def run(n_individuals: int = 100_000_000, pandas_rows: int = 20_000_000, memory_limit: str = "3GB"
        ) -> list[tuple[str, float, str]]:
    work = _workdir(n_individuals + pandas_rows)
    try:
        big = generate_national(work / "national.parquet", n_individuals)
        spill = work / "spill"
        spill.mkdir()
        duck = _child(_DUCK_CHILD, str(big), memory_limit, str(spill))
        peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB on Linux
        assert duck["rows"] == n_individuals
        m = min(pandas_rows, n_individuals)
        small = generate_national(work / "pandas.parquet", m)
        duck_small = _child(_DUCK_CHILD, str(small), memory_limit, str(spill))
        pand = _child(_PANDAS_CHILD, str(small))
        assert pand["rows"] == duck_small["rows"] == m
        # `name value unit` only (aims: aggregation < 30 s and < 4 GiB for 100 M individuals).
        return [
            ("registry_aggregate_100m_seconds", round(duck["seconds"], 2), "s"),
            ("registry_aggregate_100m_peak_rss_gib", round(peak_gib, 2), "GiB"),
            ("registry_duckdb_20m_seconds", round(duck_small["seconds"], 2), "s"),
            ("registry_pandas_read_groupby_20m_seconds", round(pand["seconds"], 2), "s"),
            ("registry_speedup_vs_pandas_20m", round(pand["seconds"] / duck_small["seconds"], 2), "x"),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000_000
    started = time.perf_counter()
    for row in run(n, pandas_rows=min(20_000_000, n)):
        print(*row, sep="\t")
    print(f"total {time.perf_counter() - started:.0f} s", file=sys.stderr)
