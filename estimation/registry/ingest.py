"""Streaming ingestion: raw P3KE CSV / DTSEN xlsx -> pseudonymised Parquet.

Memory stays bounded by the batch size: CSV is read with pyarrow's streaming reader, xlsx with
openpyxl's read-only iterator; each batch is validated, pseudonymised and appended to a ParquetWriter.

Why HMAC in Python and not in DuckDB: DuckDB has sha256() but no HMAC, and sha256(key || value) is not
an HMAC (length-extension, and a keyed prefix hash is not the construction reviewers check against).
hmac.digest (OpenSSL one-shot) costs ~1 microsecond per value, so a 2-million-row kab/kota file takes
a few seconds; files are independent, so a national run parallelises per file.

Output has no NIK, No. KK, name, address or desa column (schema.INGESTED_COLUMNS). The report names
invalid rows by status, count and source row number only. Row numbers assume no line breaks inside
quoted fields (true of the P3KE exports seen); header is line 1, the first person line 2.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from estimation.atomic import atomic_path
from estimation.registry.nik import invalid_report, normalise_nik, sex_from_nik, validate_kk, validate_nik
from estimation.registry.pseudonym import KeySource, check_key, pseudonymise
from estimation.registry.schema import INGESTED_COLUMNS, canonical_columns

USABLE_NIK = ("valid", "region_mismatch", "bad_birth_date")  # 16 digits: worth a pseudonym for matching
_ARROW = {"string": pa.string(), "date32": pa.date32(), "int16": pa.int16(), "int64": pa.int64(),
          "int8": pa.int8(), "bool": pa.bool_()}
INGESTED_SCHEMA = pa.schema([(c, _ARROW[t]) for c, t in INGESTED_COLUMNS.items()])
AGE_BANDS = [f"{a}-{a + 4}" for a in range(0, 75, 5)] + ["75+"]


@dataclass
class IngestReport:
    """Counts and row numbers only; safe to log and publish."""

    source: str
    source_file: str
    snapshot_date: str
    key_mode: str
    n_rows: int = 0
    n_duplicates: int = 0
    nik_status_counts: dict[str, int] = field(default_factory=dict)
    kk_status_counts: dict[str, int] = field(default_factory=dict)
    invalid_nik_rows: dict[str, list[int]] = field(default_factory=dict)
    output: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _map_text(values: pd.Series, func) -> pd.Series:
    """Apply func to the few distinct texts of a column (categorical codes), not to every row."""
    cat = values.astype("category")
    mapped = [func(str(c)) for c in cat.cat.categories]
    table = np.array(mapped + [None], dtype=object)
    return pd.Series(table[cat.cat.codes.to_numpy()], index=values.index)


def _numeric(values: pd.Series) -> pd.Series:
    """pd.to_numeric(errors="coerce") of a text column with few distinct values (desil, age), parsed once each."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_numeric(pd.Series(np.asarray(distinct, dtype=object)), errors="coerce").to_numpy(dtype=float)
    return pd.Series(np.append(parsed, np.nan)[codes], index=values.index)


def _age_band(age: pd.Series) -> pd.Series:
    a = _numeric(age)
    band = pd.cut(a, bins=list(range(0, 80, 5)) + [200], right=False, labels=AGE_BANDS)
    return band.astype("string")


def _yes(values: pd.Series) -> pd.Series:
    def f(t: str) -> bool | None:
        t = t.strip().lower()
        return None if not t else t in ("ya", "y", "1", "true", "miskin ekstrem", "me")

    return _map_text(values, f).astype("boolean")


def _sex(values: pd.Series, nik: pd.Series) -> pd.Series:
    out = _map_text(values, lambda t: {"l": "L", "p": "P"}.get(t.strip().lower()[:1])).astype("string")
    return out.fillna(sex_from_nik(nik)) if out.isna().any() else out


def _status_one(t: str) -> str | None:
    t = t.strip().lower()
    if t.startswith(("hidup", "ada")):
        return "hidup"
    if t.startswith(("meninggal", "mati", "wafat")):
        return "meninggal"
    return "pindah" if t.startswith("pindah") else None


def _status(values: pd.Series) -> pd.Series:
    return _map_text(values, _status_one).astype("string")


class _Batcher:
    """Turns raw batches (canonical field names, text values) into ingested Arrow tables."""

    def __init__(self, key: bytes, key_source: KeySource, source: str, snapshot_date: dt.date,
                 source_file: str, kabkota_code: str | None):
        self.key, self.key_source, self.source = key, key_source, source
        self.snapshot_date, self.source_file, self.kabkota_code = snapshot_date, source_file, kabkota_code
        self.seen: set[str] = set()
        self.report = IngestReport(source, source_file, snapshot_date.isoformat(), key_source.mode)
        self._nik_status: dict[str, int] = {}
        self._kk_status: dict[str, int] = {}

    def table(self, raw: pd.DataFrame, rows: np.ndarray) -> pa.Table:
        n = len(raw)
        col = raw.get
        kab = (pd.Series(self.kabkota_code, index=raw.index, dtype="string") if self.kabkota_code
               else _map_text(col("kabkota_code", pd.Series(pd.NA, index=raw.index)), str.strip).astype("string"))
        nik = normalise_nik(col("nik", pd.Series(pd.NA, index=raw.index)))
        nik_status = validate_nik(nik, kab)
        usable = nik_status.isin(USABLE_NIK).to_numpy()
        nik_pseudo = pseudonymise(nik.where(usable, pd.NA), self.key)
        kk = normalise_nik(col("kk", pd.Series(pd.NA, index=raw.index)))
        kk_status = validate_kk(kk)
        kk_pseudo = pseudonymise(kk.where(kk_status == "valid", pd.NA), self.key)
        # duplicates: a usable NIK already seen in this file (earlier batch or earlier row of this one)
        ps = nik_pseudo.to_numpy(dtype=object)
        dup = np.zeros(n, dtype=bool)
        seen = self.seen
        vals = ps[usable].tolist()
        dup[usable] = pd.Series(vals).duplicated().to_numpy() | np.fromiter(
            (v in seen for v in vals), dtype=bool, count=len(vals))
        seen.update(vals)
        desil = _numeric(col("desil", pd.Series(pd.NA, index=raw.index))).astype("Int8")
        empty = pd.Series(pd.NA, index=raw.index)
        frame = pd.DataFrame({
            "source": self.source,
            "snapshot_date": self.snapshot_date,
            "year": np.int16(self.snapshot_date.year),
            "source_file": self.source_file,
            "source_row": rows.astype(np.int64),
            "nik_pseudo": nik_pseudo,
            "nik_status": nik_status,
            "kk_pseudo": kk_pseudo,
            "kk_status": kk_status,
            "kabkota_code": kab,
            "kecamatan": _map_text(col("kecamatan", empty), str.strip).astype("string"),
            "desil_p3ke": desil if self.source == "p3ke" else pd.Series(pd.NA, index=raw.index, dtype="Int8"),
            "desil_dtsen": desil if self.source == "dtsen" else pd.Series(pd.NA, index=raw.index, dtype="Int8"),
            "extreme_poor": _yes(col("extreme", empty)),
            "sex": _sex(col("sex", empty), nik),
            "age_band": _age_band(col("age", empty)),
            "is_head": _map_text(col("relation"), lambda t: "kepala" in t.lower()).astype("boolean")
            if "relation" in raw else pd.Series(pd.NA, index=raw.index, dtype="boolean"),
            "status": _status(col("status", pd.Series("hidup", index=raw.index))),
            "is_duplicate": dup,
            "key_mode": self.key_source.mode,
        })
        for counts, s in ((self._nik_status, nik_status), (self._kk_status, kk_status)):
            for k, v in s.value_counts().items():
                counts[str(k)] = counts.get(str(k), 0) + int(v)
        bad = cast("dict[str, list[int]]", invalid_report(nik_status, rows)["invalid_rows"])
        for k, v in bad.items():
            self.report.invalid_nik_rows.setdefault(k, []).extend(v)
        self.report.n_rows += n
        self.report.n_duplicates += int(dup.sum())
        return pa.Table.from_pandas(frame, schema=INGESTED_SCHEMA, preserve_index=False)

    def finish(self, output: Path) -> IngestReport:
        self.report.nik_status_counts = dict(sorted(self._nik_status.items()))
        self.report.kk_status_counts = dict(sorted(self._kk_status.items()))
        self.report.output = output.name
        return self.report


def _csv_batches(path: Path, batch_bytes: int):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        headers = next(csv.reader(handle))
    mapping = canonical_columns(headers)
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=batch_bytes, encoding="utf8"),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in headers}, include_columns=list(mapping),
            strings_can_be_null=True),
    )
    next_row = 2
    for batch in reader:
        raw = batch.to_pandas().rename(columns=mapping)
        rows = np.arange(next_row, next_row + len(raw))
        next_row += len(raw)
        yield raw, rows


def _xlsx_batches(path: Path, batch_rows: int, sheet: str | None = None):
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        headers = [str(h) if h is not None else "" for h in next(it)]
        mapping = canonical_columns(headers)
        keep = [i for i, h in enumerate(headers) if h in mapping]
        names = [mapping[headers[i]] for i in keep]
        buf: list[list[object]] = []
        next_row = 2
        for values in it:
            buf.append([None if values[i] is None else str(values[i]) for i in keep])
            if len(buf) >= batch_rows:
                yield pd.DataFrame(buf, columns=names, dtype="string"), np.arange(next_row, next_row + len(buf))
                next_row += len(buf)
                buf = []
        if buf:
            yield pd.DataFrame(buf, columns=names, dtype="string"), np.arange(next_row, next_row + len(buf))
    finally:
        wb.close()


def ingest_extract(
    path: str | Path, out_path: str | Path, key: bytes, key_source: KeySource, snapshot_date: str | dt.date,
    source: str = "p3ke", kabkota_code: str | None = None, batch_bytes: int = 16 << 20,
    batch_rows: int = 100_000,
) -> IngestReport:
    """Raw extract (P3KE CSV or DTSEN/SIKS-NG xlsx) -> pseudonymised Parquet at out_path (atomic).

    kabkota_code: expected 4-digit code (region check); default: the file's "Kode Kab/Kota" column.
    A numeric cell in xlsx (NIK typed as a number) arrives as an int and is validated as text; a float
    arrives in scientific notation and is counted unrecoverable.
    """
    if source not in ("p3ke", "dtsen"):
        raise ValueError("source must be 'p3ke' or 'dtsen'")
    key = check_key(key)
    path, out_path = Path(path), Path(out_path)
    snap = dt.date.fromisoformat(str(snapshot_date))
    batcher = _Batcher(key, key_source, source, snap, path.name, kabkota_code)
    batches = (_xlsx_batches(path, batch_rows) if path.suffix.lower() in (".xlsx", ".xlsm")
               else _csv_batches(path, batch_bytes))
    with atomic_path(out_path) as tmp, pq.ParquetWriter(tmp, INGESTED_SCHEMA, compression="zstd") as writer:
        for raw, rows in batches:
            writer.write_table(batcher.table(raw, rows))
    return batcher.finish(out_path)


def _read_small_table(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """A small office table (SK list, intervention register): CSV or xlsx, all text, canonical names."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        parts = list(_xlsx_batches(path, 1 << 30))
        if not parts:
            return pd.DataFrame(), np.array([], dtype=np.int64)
        return parts[0]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    return raw.rename(columns=canonical_columns(list(raw.columns))), np.arange(2, len(raw) + 2)


def ingest_nik_list(path: str | Path, key: bytes, key_source: KeySource, kabkota_code: str | None = None
                    ) -> tuple[pd.DataFrame, dict[str, object]]:
    """A decree (SK) NIK list -> (frame: list_row, nik_pseudo, nik_status, kabkota_code, key_mode, nik_length;
    report).

    Rows with an unusable NIK keep nik_pseudo <NA> so padu padan can count them."""
    key = check_key(key)
    raw, rows = _read_small_table(Path(path))
    nik = normalise_nik(raw["nik"])
    status = validate_nik(nik, kabkota_code)
    usable = status.isin(USABLE_NIK)
    out = pd.DataFrame({
        "list_row": rows.astype(np.int64),
        "nik_pseudo": pseudonymise(nik.where(usable, pd.NA), key).to_numpy(),
        "nik_status": status.to_numpy(),
        "kabkota_code": kabkota_code if kabkota_code else nik.str.slice(0, 4).to_numpy(),
        "key_mode": key_source.mode,
        "nik_length": nik.str.len().astype("Int64").to_numpy(),  # characters after normalising: never the NIK
    })
    out["kabkota_code"] = out["kabkota_code"].astype("string")
    return out, {"source_file": Path(path).name, **invalid_report(status, rows), "key_mode": key_source.mode}


def ingest_interventions(path: str | Path, key: bytes, key_source: KeySource) -> pd.DataFrame:
    """OPD intervention register -> nik_pseudo, nik_status, source_row, opd, programme, optimal, year, key_mode.

    'optimal' is True for "Optimal", False for "Tidak/Belum Optimal", <NA> otherwise."""
    key = check_key(key)
    raw, rows = _read_small_table(Path(path))
    nik = normalise_nik(raw["nik"])
    status = validate_nik(nik, None)
    st = raw.get("intervention_status", pd.Series(pd.NA, index=raw.index)).astype("string").str.strip().str.lower()
    optimal = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    optimal[st == "optimal"] = True
    optimal[st.str.contains("tidak|belum", na=False)] = False
    return pd.DataFrame({
        "nik_pseudo": pseudonymise(nik.where(status.isin(USABLE_NIK), pd.NA), key).to_numpy(),
        "nik_status": status.to_numpy(),
        "source_row": rows.astype(np.int64),
        "opd": raw.get("opd", pd.Series(pd.NA, index=raw.index)).astype("string").to_numpy(),
        "programme": raw.get("programme", pd.Series(pd.NA, index=raw.index)).astype("string").to_numpy(),
        "optimal": optimal.to_numpy(),
        "year": pd.to_numeric(raw.get("year", pd.Series(pd.NA, index=raw.index)), errors="coerce").astype("Int16"),
        "key_mode": key_source.mode,
    })
