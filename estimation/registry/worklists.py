"""By-name worklists for camat verification (restricted) and a publishable progress table (counts only).

The worklists are the one place identities leave the raw extract: the TKPK secretariat sends each camat
the BNBA list of persons still in desil 1 to verify. They go only into a restricted folder the caller
names: folder mode 0700, files 0600 (`estimation.atomic`: a temp file made 0600 by mkstemp, never
world-readable even for an instant, then moved into place). Only counts are returned or logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from estimation.atomic import write_with_atomic
from estimation.registry.ingest import USABLE_NIK, _csv_batches
from estimation.registry.nik import normalise_nik, validate_nik
from estimation.registry.padu_padan import CATEGORIES, STILL_DESIL1
from estimation.registry.pseudonym import check_key, pseudonymise
from estimation.registry.restricted import restrict

WORKLIST_COLUMNS = ["No", "NIK", "No KK", "Nama", "Alamat", "Desa/Kelurahan", "Kecamatan", "Desil P3KE",
                    "Status P3KE", "Kategori Padu Padan", "Hasil Verifikasi", "Keterangan"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "tanpa_kecamatan"


def write_restricted_worklists(
    person_status: pd.DataFrame, raw_extracts: Iterable[str | Path], key: bytes, restricted_dir: str | Path,
    categories: Iterable[str] = STILL_DESIL1, period: str = "",
    ingested: Iterable[str | Path] | None = None,
) -> pd.DataFrame:
    """Write one CSV per kab/kota and kecamatan with the persons of `categories` (default: still in desil 1).

    person_status: padu_padan's per-person frame (nik_pseudo, category, ...). raw_extracts: the raw
    P3KE CSV(s) the names come from (streamed; rows matched by re-pseudonymising the NIK with `key`).
    ingested: the pseudonymised Parquet of those extracts (`ingest.ingest_extract`), when at hand: it names
    the source rows of the wanted persons, so only those rows are read and re-pseudonymised (a check that the
    raw file is still the one ingested) instead of every NIK of the extract.
    Returns counts only: kabkota_code, kecamatan, persons, file (name inside restricted_dir).
    """
    key = check_key(key)
    target = person_status[person_status["category"].isin(list(categories))].set_index("nik_pseudo")
    wanted = set(target.index)
    folder = restrict(restricted_dir)
    found: list[pd.DataFrame] = []
    located = _source_rows(ingested, wanted) if ingested is not None else None
    for path in raw_extracts:
        for raw, rows in _csv_batches(Path(path), 16 << 20):
            if located is not None:
                keep = np.isin(rows, located.get(Path(path).name, []))
                if not keep.any():
                    continue
                raw = raw[keep]
            nik = normalise_nik(raw["nik"])
            usable = validate_nik(nik, None).isin(USABLE_NIK)
            pseudo = pseudonymise(nik.where(usable, pd.NA), key)
            hit = pseudo.isin(wanted).to_numpy()
            if hit.any():
                part = raw[hit].copy()
                part["nik"] = nik[hit].to_numpy()
                part["kk"] = normalise_nik(part["kk"]).to_numpy()
                part["nik_pseudo"] = pseudo[hit].to_numpy()
                found.append(part)
    if located is not None:
        missing = sum(len(r) for r in located.values()) - sum(len(part) for part in found)
        if missing:
            raise ValueError(f"{missing} source rows named by the ingested Parquet no longer carry the same NIK: "
                             "the raw extract changed after ingestion; ingest it again")
    if not found:
        return pd.DataFrame(columns=["kabkota_code", "kecamatan", "persons", "file"])
    rows = pd.concat(found, ignore_index=True).drop_duplicates("nik_pseudo")
    rows["category"] = target.loc[rows["nik_pseudo"], "category"].to_numpy()
    rows["kabkota"] = target.loc[rows["nik_pseudo"], "kabkota_code"].astype(str).to_numpy()
    counts = []
    for (kab, kec), grp in rows.groupby(["kabkota", "kecamatan"], sort=True, dropna=False):
        grp = grp.sort_values(["desa", "name"]) if "desa" in grp else grp
        out = pd.DataFrame({
            "No": range(1, len(grp) + 1), "NIK": grp["nik"].to_numpy(), "No KK": grp["kk"].to_numpy(),
            "Nama": grp.get("name"), "Alamat": grp.get("address"), "Desa/Kelurahan": grp.get("desa"),
            "Kecamatan": kec, "Desil P3KE": grp.get("desil"), "Status P3KE": grp.get("status"),
            "Kategori Padu Padan": grp["category"].to_numpy(), "Hasil Verifikasi": "", "Keterangan": "",
        })[WORKLIST_COLUMNS]
        name = f"worklist_{kab}_{_slug(kec)}{'_' + _slug(period) if period else ''}.csv"
        write_with_atomic(folder / name, _csv_writer(out), mode=0o600)
        counts.append({"kabkota_code": kab, "kecamatan": kec, "persons": len(grp), "file": name})
    return pd.DataFrame(counts)


def _source_rows(ingested: Iterable[str | Path], wanted: set[str]) -> dict[str, np.ndarray]:
    """{source file name: source rows} of the first row of each wanted pseudonym in the ingested Parquet."""
    tables = [pq.read_table(path, columns=["nik_pseudo", "source_file", "source_row"]) for path in ingested]
    if not tables:
        return {}
    table = pa.concat_tables(tables)
    hits = table.filter(pc.is_in(table["nik_pseudo"], value_set=pa.array(sorted(wanted), type=pa.string())))
    first = hits.group_by(["nik_pseudo", "source_file"]).aggregate([("source_row", "min")]).to_pandas()
    return {name: np.sort(group["source_row_min"].to_numpy()) for name, group in first.groupby("source_file")}


def progress_table(person_status_by_period: dict[str, pd.DataFrame], min_cell: int = 0) -> pd.DataFrame:
    """Counts per reporting period, kab/kota and kecamatan of each padu padan category (publishable).

    person_status_by_period: {period label: padu_padan per-person frame at that period}. min_cell > 0
    blanks (NA) counts from 1 to min_cell-1 so a tiny cell cannot point at a household.
    Columns: period, kabkota_code, kecamatan, persons, <one column per category>, still_desil1.
    """
    parts = []
    for period, ps in person_status_by_period.items():
        t = (ps.assign(kecamatan=ps["kecamatan"].fillna("(tidak ditemukan)"))
             .pivot_table(index=["kabkota_code", "kecamatan"], columns="category", values="nik_pseudo",
                          aggfunc="count", fill_value=0))
        t = t.reindex(columns=list(CATEGORIES), fill_value=0)
        t.insert(0, "persons", t.sum(axis=1))
        t["still_desil1"] = t[list(STILL_DESIL1)].sum(axis=1)
        parts.append(t.reset_index().assign(period=period))
    out = pd.concat(parts, ignore_index=True)
    out = out[["period"] + [c for c in out.columns if c != "period"]]
    out.columns.name = None
    if min_cell > 0:
        num = out.columns[3:]
        out[num] = out[num].astype("Int64").mask((out[num] > 0) & (out[num] < min_cell))
    return out


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """Writer of `frame` as CSV into the temporary path `write_with_atomic` gives."""
    def write(tmp: Path) -> None:
        frame.to_csv(tmp, index=False)
    return write
