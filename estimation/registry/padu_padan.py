"""Padu padan: match a decree (SK) list of extreme poor against a later registry snapshot and the
OPD intervention register, on pseudonymised NIK (all sides pseudonymised with the same key).

Categories per person (in this order):
  tidak_ditemukan                   not in the later snapshot
  keluar_desil_1                    in the snapshot, desil > 1 ("left desil 1")
  desil_1_intervensi_optimal        still desil 1, every recorded intervention marked Optimal
  desil_1_belum_optimal_hidup       still desil 1, some intervention not optimal, status hidup
  desil_1_belum_optimal_meninggal   ... status meninggal
  desil_1_belum_optimal_pindah      ... status pindah
  desil_1_tanpa_intervensi          still desil 1, no intervention recorded
Rule for "optimal": a person is intervened optimally when all of their interventions are Optimal;
one Tidak/Belum Optimal programme makes the person "belum optimal" (the office still has work to do).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from estimation.registry.aggregate import _scan, connect

CATEGORIES = (
    "tidak_ditemukan",
    "nik_tidak_valid",  # not found, and the list's NIK cannot be right (impossible birth date, other region)
    "keluar_desil_1",
    "desil_1_intervensi_optimal",
    "desil_1_belum_optimal_hidup",
    "desil_1_belum_optimal_meninggal",
    "desil_1_belum_optimal_pindah",
    "desil_1_tanpa_intervensi",
)
STILL_DESIL1 = tuple(c for c in CATEGORIES if c.startswith("desil_1_"))


def _later(p3ke_later: pd.DataFrame | str | Path | Iterable[str | Path], persons: pd.DataFrame,
           desil_field: str, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The later snapshot's row for each listed pseudonym (first non-duplicate row), via a DuckDB semi-join
    so a national Parquet snapshot is scanned, not loaded."""
    con.register("listed", persons[["nik_pseudo"]])
    if isinstance(p3ke_later, pd.DataFrame):
        con.register("later_df", p3ke_later)
        scan = "later_df"
    else:
        scan = _scan(p3ke_later)
    out = con.execute(f"""
        SELECT nik_pseudo, arg_min({desil_field}, source_row) AS desil_later,
               arg_min(status, source_row) AS status_later, arg_min(kecamatan, source_row) AS kecamatan,
               arg_min(kabkota_code, source_row) AS kabkota_later
        FROM {scan}
        WHERE nik_pseudo IN (SELECT nik_pseudo FROM listed) AND NOT coalesce(is_duplicate, false)
        GROUP BY nik_pseudo
    """).df()
    con.unregister("listed")
    return out


def padu_padan(
    decree_list: pd.DataFrame, p3ke_later: pd.DataFrame | str | Path | Iterable[str | Path],
    interventions: pd.DataFrame | None = None, desil_field: str = "desil_p3ke",
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-kab/kota summary, per-person status keyed by nik_pseudo).

    decree_list: ingest.ingest_nik_list output (list_row, nik_pseudo, nik_status, kabkota_code[, key_mode]).
    p3ke_later: ingested snapshot (Parquet path(s)/dir or frame); desil_field 'desil_p3ke' or 'desil_dtsen'.
    interventions: ingest.ingest_interventions output (nik_pseudo, optimal, ...), optional.

    Person columns: nik_pseudo, kabkota_code, list_rows, first_list_row, nik_status_on_list, duplicate_on_list,
    found,
    desil_later, status_later, kecamatan, n_interventions, n_not_optimal, intervention_result
    (optimal / belum_optimal / none), category.
    Summary columns: kabkota_code, list_rows, invalid_nik_on_list, duplicate_rows_on_list, persons,
    not_found (a valid NIK absent from the snapshot), invalid_nik_not_found (absent, and the list's NIK has an
    impossible birth date or another region: a typo to correct, not a person to look for), found, left_desil1, still_desil1, optimal, not_optimal, not_optimal_alive,
    not_optimal_deceased, not_optimal_moved, no_intervention, intervened, key_mode.
    """
    if desil_field not in ("desil_p3ke", "desil_dtsen"):
        raise ValueError("desil_field must be desil_p3ke or desil_dtsen")
    con = con or connect()
    lst = decree_list.copy()
    usable = lst["nik_pseudo"].notna()
    if "nik_status" not in lst:
        lst["nik_status"] = "valid"
    persons = (lst[usable].groupby("nik_pseudo", as_index=False)
               .agg(kabkota_code=("kabkota_code", "first"), list_rows=("list_row", "size"),
                    first_list_row=("list_row", "min"), nik_status_on_list=("nik_status", "first")))
    persons["duplicate_on_list"] = persons["list_rows"] > 1
    later = _later(p3ke_later, persons, desil_field, con)
    persons = persons.merge(later, on="nik_pseudo", how="left")
    persons["found"] = persons["desil_later"].notna() | persons["status_later"].notna()
    if interventions is not None and len(interventions):
        iv = interventions[interventions["nik_pseudo"].notna()]
        per = iv.groupby("nik_pseudo").agg(
            n_interventions=("optimal", "size"),
            n_not_optimal=("optimal", lambda s: int((s == False).sum())),
        )
        persons = persons.merge(per, on="nik_pseudo", how="left")
    else:
        persons["n_interventions"], persons["n_not_optimal"] = 0, 0
    persons[["n_interventions", "n_not_optimal"]] = persons[["n_interventions", "n_not_optimal"]].fillna(0).astype(
        "int64")
    persons["intervention_result"] = np.select(
        [persons["n_interventions"] == 0, persons["n_not_optimal"] > 0], ["none", "belum_optimal"], "optimal")
    d = persons["desil_later"]
    st = persons["status_later"].fillna("hidup")
    persons["category"] = np.select(
        [~persons["found"] & (persons["nik_status_on_list"] != "valid"), ~persons["found"], d > 1,
         persons["intervention_result"] == "optimal",
         (persons["intervention_result"] == "belum_optimal") & (st == "meninggal"),
         (persons["intervention_result"] == "belum_optimal") & (st == "pindah"),
         persons["intervention_result"] == "belum_optimal"],
        ["nik_tidak_valid", "tidak_ditemukan", "keluar_desil_1", "desil_1_intervensi_optimal",
         "desil_1_belum_optimal_meninggal",
         "desil_1_belum_optimal_pindah", "desil_1_belum_optimal_hidup"],
        "desil_1_tanpa_intervensi")
    persons["desil_later"] = persons["desil_later"].astype("Int8")
    cols = ["nik_pseudo", "kabkota_code", "list_rows", "first_list_row", "nik_status_on_list", "duplicate_on_list",
            "found",
            "desil_later", "status_later", "kecamatan", "n_interventions", "n_not_optimal",
            "intervention_result", "category"]
    persons = persons[cols].sort_values("first_list_row").reset_index(drop=True)
    return _summary(lst, persons), persons


def _summary(lst: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    c = persons["category"]
    p = persons.assign(
        not_found=c == "tidak_ditemukan", invalid_nik=c == "nik_tidak_valid", found_=persons["found"],
        left=c == "keluar_desil_1",
        still=c.isin(STILL_DESIL1), optimal=c == "desil_1_intervensi_optimal",
        not_optimal=c.str.startswith("desil_1_belum_optimal"), alive=c == "desil_1_belum_optimal_hidup",
        dead=c == "desil_1_belum_optimal_meninggal", moved=c == "desil_1_belum_optimal_pindah",
        none_=c == "desil_1_tanpa_intervensi", intervened=persons["n_interventions"] > 0,
    )
    s = p.groupby("kabkota_code").agg(
        persons=("nik_pseudo", "size"), not_found=("not_found", "sum"),
        invalid_nik_not_found=("invalid_nik", "sum"), found=("found_", "sum"),
        left_desil1=("left", "sum"), still_desil1=("still", "sum"), optimal=("optimal", "sum"),
        not_optimal=("not_optimal", "sum"), not_optimal_alive=("alive", "sum"),
        not_optimal_deceased=("dead", "sum"), not_optimal_moved=("moved", "sum"),
        no_intervention=("none_", "sum"), intervened=("intervened", "sum"),
    )
    rows = lst.groupby("kabkota_code").agg(
        list_rows=("list_row", "size"), invalid_nik_on_list=("nik_pseudo", lambda x: int(x.isna().sum())))
    dup = (persons["list_rows"] - 1).groupby(persons["kabkota_code"]).sum().rename("duplicate_rows_on_list")
    out = rows.join(dup, how="left").join(s, how="left").fillna(0).astype("int64").reset_index()
    out["key_mode"] = ",".join(sorted(set(lst["key_mode"].astype(str)))) if "key_mode" in lst else ""
    first = ["kabkota_code", "list_rows", "invalid_nik_on_list", "duplicate_rows_on_list", "persons"]
    return out[first + [c for c in out.columns if c not in first]]
