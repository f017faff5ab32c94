"""Streaming aggregation of ingested (pseudonymised) registry Parquet with DuckDB.

DuckDB scans the Parquet files in parallel and spills to disk past `memory_limit`, so a national
extract (~1e8 individuals) never sits in pandas; only the per-kab/kota result (a few thousand rows)
comes back. Families are counted as distinct pseudonymised No. KK in a first GROUP BY (one row per
family: its poorest desil, any member flagged), then summed per kab/kota.

Counting rules (documented, test-pinned):
- individuals: rows not marked is_duplicate (same NIK earlier in the file); rows with an unusable NIK
  still count (a person with a mangled NIK exists) and are reported in invalid_nik;
- deceased/moved persons are still rows of the registry and count; individuals_deceased /
  individuals_moved say how many;
- extreme_individuals: rows with the extreme-poor flag; extreme_families: families with any flagged member;
- P3KE-based extreme rate = extreme_individuals / BPS population (persons), in percent.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

MAX_DESIL = {"p3ke": 4, "dtsen": 10}
GROUP = ["source", "kabkota_code", "snapshot_date", "year"]


def connect(threads: int | None = None, memory_limit: str = "3GB", temp_directory: str | None = None
            ) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute("SET enable_progress_bar=false")
    con.execute("SET preserve_insertion_order=false")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    if temp_directory:
        con.execute(f"SET temp_directory='{temp_directory}'")
    return con


def _paths(paths: str | Path | Iterable[str | Path]) -> list[str]:
    if isinstance(paths, str | Path):
        p = Path(paths)
        return [str(p / "**" / "*.parquet")] if p.is_dir() else [str(p)]
    return [str(Path(p)) for p in paths]


def _scan(paths: str | Path | Iterable[str | Path]) -> str:
    files = ", ".join("'" + p.replace("'", "''") + "'" for p in _paths(paths))
    return f"read_parquet([{files}], union_by_name=true)"


def _counts(prefix: str, column: str, max_desil: int, where: str = "") -> str:
    extra = f" AND {where}" if where else ""
    return ", ".join(
        f"count(*) FILTER (WHERE {column} = {d}{extra}) AS {prefix}_desil_{d}" for d in range(1, max_desil + 1)
    )


def aggregate_extract(
    paths: str | Path | Iterable[str | Path], populations: pd.DataFrame | None = None,
    con: duckdb.DuckDBPyConnection | None = None, max_desil: int = 10,
) -> pd.DataFrame:
    """Per source, kab/kota and snapshot: individuals and families by desil, extreme-poor counts, rate.

    paths: ingested Parquet file(s) or a directory of them (p3ke and dtsen may be mixed).
    populations: bps_code, year, population_thousand (BPS); adds population and extreme_rate_pct.
    Columns: source, kabkota_code, snapshot_date, year, key_mode, individuals, individuals_desil_1..k,
    individuals_deceased, individuals_moved, invalid_nik, duplicates, extreme_individuals, families,
    families_desil_1..k, extreme_families, population, extreme_rate_pct (k = 4 for a p3ke-only input,
    else 10; desil columns beyond a source's range are 0).
    """
    con = con or connect()
    scan = _scan(paths)
    usable = "('valid', 'region_mismatch', 'bad_birth_date')"
    sources = [r[0] for r in con.execute(f"SELECT DISTINCT source FROM {scan}").fetchall()]
    k = max((MAX_DESIL.get(s, max_desil) for s in sources), default=4)
    g = ", ".join(GROUP)
    sql = f"""
    WITH base AS (
        SELECT {g}, key_mode, kk_pseudo, nik_status, status, is_duplicate, extreme_poor,
               coalesce(desil_p3ke, desil_dtsen) AS desil
        FROM {scan}
    ),
    ind AS (
        SELECT {g}, string_agg(DISTINCT key_mode, ',') AS key_mode,
               count(*) FILTER (WHERE NOT is_duplicate) AS individuals,
               {_counts("individuals", "desil", k, "NOT is_duplicate")},
               count(*) FILTER (WHERE NOT is_duplicate AND status = 'meninggal') AS individuals_deceased,
               count(*) FILTER (WHERE NOT is_duplicate AND status = 'pindah') AS individuals_moved,
               count(*) FILTER (WHERE nik_status NOT IN {usable}) AS invalid_nik,
               count(*) FILTER (WHERE is_duplicate) AS duplicates,
               count(*) FILTER (WHERE NOT is_duplicate AND extreme_poor) AS extreme_individuals
        FROM base GROUP BY {g}
    ),
    fam AS (
        SELECT {g}, min(desil) AS desil, bool_or(coalesce(extreme_poor, false)) AS extreme
        FROM base WHERE NOT is_duplicate AND kk_pseudo IS NOT NULL
        GROUP BY {g}, kk_pseudo
    ),
    fam_agg AS (
        SELECT {g}, count(*) AS families, {_counts("families", "desil", k)},
               count(*) FILTER (WHERE extreme) AS extreme_families
        FROM fam GROUP BY {g}
    )
    SELECT * FROM ind LEFT JOIN fam_agg USING ({g}) ORDER BY {g}
    """
    out = con.execute(sql).df()
    count_cols = [c for c in out.columns if c not in GROUP + ["key_mode"]]
    out[count_cols] = out[count_cols].fillna(0).astype("int64")
    out["year"] = out["year"].astype("int64")
    out["snapshot_date"] = pd.to_datetime(out["snapshot_date"]).dt.date
    return add_population(out, populations)


def bps_populations(panel: pd.DataFrame, years: Iterable[int] | None = None) -> pd.DataFrame:
    """BPS population (bps_code, year, population_thousand) from the kab/kota panel, of `years` (default:
    all). Rates and shares join it on kab/kota and snapshot year, so a year without a snapshot is unused."""
    pop = panel[["bps_code", "year", "population_thousand"]].dropna()
    if years is not None:
        pop = pop[pop["year"].isin(list(years))]
    return pop.sort_values(["bps_code", "year"]).reset_index(drop=True)


def add_population(agg: pd.DataFrame, populations: pd.DataFrame | None) -> pd.DataFrame:
    out = agg.drop(columns=[c for c in ("population", "extreme_rate_pct") if c in agg.columns])
    if populations is None:
        out["population"] = np.nan
    else:
        pop = populations.assign(kabkota_code=populations["bps_code"].astype(str),
                                 population=populations["population_thousand"].astype(float) * 1000.0)
        pop = pop[["kabkota_code", "year", "population"]].astype({"year": "int64"})
        out = out.merge(pop, on=["kabkota_code", "year"], how="left")
    out["extreme_rate_pct"] = 100.0 * out["extreme_individuals"] / out["population"]
    out.loc[out["source"] != "p3ke", "extreme_rate_pct"] = np.nan  # DTSEN carries no extreme flag
    return out


def _annual(agg: pd.DataFrame) -> pd.DataFrame:
    """The latest snapshot of each source, kab/kota and year."""
    a = agg.sort_values(GROUP)
    return a.groupby(["source", "kabkota_code", "year"], as_index=False).tail(1)


def year_over_year_registry(agg: pd.DataFrame) -> pd.DataFrame:
    """Consecutive available years per source and kab/kota (latest snapshot of each year).

    Columns: source, kabkota_code, year_from, year_to, and for individuals, families,
    extreme_individuals, extreme_families: <name>_from, <name>_to, <name>_change; extreme_rate_pct_from/_to
    and extreme_rate_change_pp.
    """
    metrics = ["individuals", "families", "extreme_individuals", "extreme_families"]
    a = _annual(agg).sort_values(["source", "kabkota_code", "year"])
    prev = a.groupby(["source", "kabkota_code"])[["year", *metrics, "extreme_rate_pct"]].shift(1)
    out = a[["source", "kabkota_code"]].copy()
    out["year_from"], out["year_to"] = prev["year"], a["year"]
    for m in metrics + ["extreme_rate_pct"]:
        out[f"{m}_from"], out[f"{m}_to"] = prev[m], a[m]
        if m != "extreme_rate_pct":
            out[f"{m}_change"] = a[m] - prev[m]
    out["extreme_rate_change_pp"] = out["extreme_rate_pct_to"] - out["extreme_rate_pct_from"]
    out = out[out["year_from"].notna()].copy()
    out["year_from"] = out["year_from"].astype("int64")
    for m in metrics:
        out[[f"{m}_from", f"{m}_change"]] = out[[f"{m}_from", f"{m}_change"]].astype("int64")
    return out.reset_index(drop=True)


def desil1_share(aggregates: pd.DataFrame, populations: pd.DataFrame) -> pd.DataFrame:
    """Registry desil-1 individuals / BPS population per source, kab/kota and year (a small area
    covariate). Columns: source, kabkota_code, year, desil1_individuals, population, desil1_share (0-1).
    For p3ke, desil 1 is the poorest national 10% by PMT; for dtsen likewise (desil nasional 1)."""
    a = add_population(_annual(aggregates), populations)
    out = a[["source", "kabkota_code", "year", "individuals_desil_1", "population"]].rename(
        columns={"individuals_desil_1": "desil1_individuals"})
    out["desil1_share"] = out["desil1_individuals"] / out["population"]
    return out.reset_index(drop=True)
