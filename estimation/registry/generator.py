"""Seeded synthetic P3KE / DTSEN extracts with planted field cases (Jombang, Lebak, Kota Mojokerto).

Every person is fictitious: NIKs follow the Kemendagri layout but are drawn at random, names are drawn
from short syllable lists. The files look like what a kab/kota office receives: Indonesian headers,
one row per individual, NIKs sometimes with a leading apostrophe or spaces, a few in scientific
notation (unrecoverable), a few duplicated rows (in the registry extracts, not the decree list) and a few
NIKs registered in another kab/kota.

Desil comes from a noisy proxy-means test (PMT): households get a true log per-capita expenditure,
the PMT score adds noise, desil is cut at NATIONAL PMT thresholds, so a kab/kota's desil-1 share
follows its expenditure level and targeting has inclusion/exclusion errors against true expenditure.

Planted cases (recovered by ingestion + padu padan + aggregation, see tests):
- Jombang (3517), P3KE 2024: 654,220 individuals; regent's decree (SK) list of 7,408 extreme poor:
  5,567 left desil 1, 1,841 still in desil 1, of which 1,752 intervened optimally, 89 not (78 alive,
  11 deceased); an OPD intervention register covering all 7,408. The SK list also has the errors of a
  real one (SK_LIST_ERRORS, recorded per row in `Scenario.list_errors`): 23 persons absent from the slice
  (10 of them in the register), 6 more absent whose listed NIK has an impossible birth date (reported as an
  invalid NIK, not as not found), 12 unusable NIKs (no duplicated NIK: that blocks padu padan).
- Lebak (3602): families with the extreme-poor flag 6,043 (2023) -> 5,698 (2024).
- Kota Mojokerto (3576): P3KE extreme-poor individuals / BPS population = 1.10% -> 0%. The article
  (Kemenko PMK letter of 26 Feb 2024) dates these 2022 -> 2023; `mojokerto_years` sets the labels.
- Kota Palangka Raya (6271): a plain slice.
Non-Jombang slices are scaled down (DEFAULT_SIZES) so a demo run takes seconds; the planted counts are
exact regardless of slice size, but desil shares of those slices are not real-size shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from estimation.registry.schema import DTSEN_HEADERS, P3KE_HEADERS

JOMBANG, LEBAK, MOJOKERTO, PALANGKA_RAYA = "3517", "3602", "3576", "6271"
# Persons in the demo DTSEN desil xlsx: enough to show the format and all ten deciles; openpyxl writes and
# reads xlsx at ~10k cells a second, so a bigger file only slows every demo run.
DTSEN_DEMO_INDIVIDUALS = 3_000
JOMBANG_KECAMATAN = 21
JOMBANG_CASE = {
    "p3ke_individuals": 654_220,
    "sk_list": 7_408,
    "left_desil1": 5_567,
    "still_desil1": 1_841,
    "optimal": 1_752,
    "not_optimal": 89,
    "not_optimal_alive": 78,
    "not_optimal_deceased": 11,
}
# Rows of the Jombang SK list beyond its 7,408 matched persons, as an office's list has them; padu padan must
# report each kind (not found / duplicate rows / invalid NIK) and keep the field-note figures of the 7,408.
SK_LIST_ERRORS = {
    "absent": 23,  # a valid NIK not in the P3KE slice (moved away, never registered): not found
    "absent_intervened": 10,  # of those, persons the OPD register still records (found = in the slice, only)
    # Persons listed twice or three times (NIK spaced differently) are a blocking fault of a decree list
    # (padu_padan_summary's nik_once_on_list: the office corrects the list first), so the demo list, which must
    # go through, has none; tests/checks/test_bad_corpus.py shows the block.
    "listed_twice": 0,  # matched persons on the list twice (one extra row each)
    "listed_thrice": 0,  # ... three times (two extra rows)
    "scientific_notation": 6,  # NIKs no pseudonym can be made of: invalid, not persons
    "bad_length": 3,
    "non_digit": 2,
    "missing": 1,
}
# Typo'd birth dates (DDMMYY) of persons absent from the slice: 16 digits, so pseudonymised; not found, and
# reported as an invalid NIK (category nik_tidak_valid).
SK_BAD_BIRTH_DATES = ("000190", "000275", "400388", "300290", "710403", "290201")  # day 00 (man, woman: 40),
# 30 Feb, a woman's 31 Apr, 29 Feb 2001
LEBAK_CASE = {2023: 6_043, 2024: 5_698}
MOJOKERTO_RATE = (0.0110, 0.0)
# Individuals per non-Jombang slice: large enough that desil 1 holds the planted extreme poor.
DEFAULT_SIZES = {LEBAK: 120_000, MOJOKERTO: 30_000, PALANGKA_RAYA: 30_000}
SNAPSHOT_DATES = {2022: "2022-12-31", 2023: "2023-12-31", 2024: "2024-03-14", 2025: "2025-03-31"}

# National PMT reference: log per-capita monthly expenditure ~ N(MU, SD_EXP) plus kab effect N(0, SD_KAB);
# PMT = log expenditure + N(0, SD_PMT). Desil thresholds are the national PMT deciles.
_MU, _SD_EXP, _SD_KAB, _SD_PMT = math.log(1_300_000.0), 0.50, 0.22, 0.30
_SD_TOTAL = math.sqrt(_SD_EXP**2 + _SD_KAB**2 + _SD_PMT**2)
_Z_DECILES = np.array([-1.2815516, -0.8416212, -0.5244005, -0.2533471, 0.0, 0.2533471, 0.5244005,
                       0.8416212, 1.2815516])
PMT_THRESHOLDS = _MU + _SD_TOTAL * _Z_DECILES  # upper bounds of desil 1..9

_FIRST = np.array(["Siti", "Ahmad", "Muhammad", "Nur", "Dewi", "Agus", "Sri", "Budi", "Eko", "Rina",
                   "Wahyu", "Dian", "Hadi", "Fitri", "Joko", "Ani", "Rudi", "Lestari", "Slamet", "Yuni",
                   "Bambang", "Endang", "Suparmi", "Imam", "Rizky", "Putri", "Ilham", "Wati", "Anwar", "Sumarni"])
_LAST = np.array(["Santoso", "Wijaya", "Rahmawati", "Hidayat", "Susanti", "Saputra", "Kurniawan", "Handayani",
                  "Setiawan", "Lestari", "Pratama", "Utami", "Nugroho", "Fauzi", "Maulana", "Sari", "Wibowo",
                  "Purnomo", "Rohman", "Safitri", "Hakim", "Yulianti", "Firmansyah", "Aziz", "Mulyani"])
_SYL = np.array(["ba", "ka", "sa", "ra", "wo", "jo", "ngo", "ti", "mu", "lo", "re", "ja", "su", "di", "pe", "gu"])
_STREET = np.array(["Jl. Melati", "Jl. Mawar", "Jl. Kenanga", "Jl. Merdeka", "Jl. Pahlawan", "Dusun Krajan",
                    "Dusun Sumber", "Jl. Diponegoro", "Gg. Masjid", "Dusun Kulon"])
OPD_PROGRAMMES = [
    ("Dinas Sosial", "Bantuan Sosial Pangan"),
    ("Dinas Sosial", "PKH Daerah"),
    ("Dinas Kesehatan", "PBID Jaminan Kesehatan"),
    ("Dinas Perumahan dan Kawasan Permukiman", "Bedah Rumah Swadaya"),
    ("Dinas Pendidikan", "Bantuan Biaya Pendidikan"),
    ("Dinas Tenaga Kerja", "Pelatihan Kerja"),
    ("Dinas Koperasi dan Usaha Mikro", "Modal Usaha Mikro"),
    ("Dinas Ketahanan Pangan dan Perikanan", "Bantuan Beras"),
]


@dataclass
class Slice:
    """Persons of one kab/kota, fixed across years (identities, households, true expenditure)."""

    kabkota_code: str
    persons: pd.DataFrame  # one row per person, with NIK/KK/name as text


@dataclass(frozen=True)
class DemoScenario:
    """The demo data set `make run` generates: like its planted cases, these describe the data, not the code."""

    seed: int = 2024
    synthetic_year: int = 2024  # the slices resample expenditure of the synthetic Susenas population of this year
    kabkota: tuple[str, ...] = (JOMBANG, MOJOKERTO, LEBAK, PALANGKA_RAYA)
    years: tuple[int, ...] = (2022, 2023, 2024, 2025)  # snapshot years of the extracts written
    reporting_period: str = "2024-11"  # TKPK progress report the padu padan counts are labelled with


DEMO_SCENARIO = DemoScenario()


@dataclass
class Scenario:
    """What generate_registry_scenario wrote: one entry per file (key, kind, source, kabkota_code, year,
    snapshot_date; empty date for lists and registers). `truth` is in memory only (never written): per SK
    NIK the expected padu padan category, for tests."""

    files: dict[str, Path] = field(default_factory=dict)
    entries: list[dict[str, object]] = field(default_factory=list)
    truth: pd.DataFrame | None = None
    # per planted SK list row: key, list_row (CSV line, header = 1), error (not_found / duplicate / invalid),
    # nik_status (what validation must say); in memory only, for tests
    list_errors: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def list_error_counts(self, key: str) -> dict[str, int]:
        """What padu padan must report for the SK list `key`: persons not found, extra (duplicate) rows, rows
        with an invalid (unpseudonymisable) NIK."""
        errors = self.list_errors if self.list_errors is not None else pd.DataFrame(columns=["key", "error"])
        kinds = errors.loc[errors["key"] == key, "error"].value_counts()
        return {"not_found": int(kinds.get("not_found", 0)),
                "invalid_nik_not_found": int(kinds.get("invalid_nik_not_found", 0)),
                "duplicate_rows": int(kinds.get("duplicate", 0)), "invalid_nik": int(kinds.get("invalid", 0))}

    def record(self, key: str, kind: str, path: Path, kabkota_code: str, year: int, snapshot_date: str = "") -> None:
        self.files[key] = path
        self.entries.append({"key": key, "kind": kind, "source": kind, "kabkota_code": kabkota_code, "year": year,
                             "snapshot_date": snapshot_date})

    @property
    def snapshots(self) -> list[dict[str, object]]:
        """The registry snapshots (P3KE, DTSEN) with their paths."""
        return [{**e, "path": self.files[str(e["key"])]} for e in self.entries if e["kind"] in ("p3ke", "dtsen")]


def _words(rng: np.random.Generator, n: int, k: int = 3) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    for _ in range(k):
        out = out + _SYL[rng.integers(0, len(_SYL), n)].astype(object)
    return np.array([w.capitalize() for w in out], dtype=object)


def _draw_households(
    rng: np.random.Generator, n_individuals: int, log_exp_sampler, pmt_cut: float
) -> pd.DataFrame:
    """Households until n_individuals persons with PMT below `pmt_cut` (desil 1-4) are drawn; keep the
    n lowest-PMT persons (whole households, the last one truncated)."""
    frames, below = [], 0
    while below < n_individuals:
        m = max(int((n_individuals - below) * 1.3 / 3.6 / 0.4), 1000)
        log_exp = log_exp_sampler(m)
        size = rng.choice(np.arange(1, 9), m, p=[0.08, 0.16, 0.22, 0.24, 0.15, 0.08, 0.04, 0.03])
        size = size + (log_exp < _MU - 0.5) * rng.integers(0, 2, m)  # poorer households a bit larger
        pmt = log_exp + rng.normal(0.0, _SD_PMT, m)
        hh = pd.DataFrame({"size": size, "log_exp": log_exp, "pmt": pmt})
        frames.append(hh)
        below += int(hh.loc[hh["pmt"] < pmt_cut, "size"].sum())
    hh = pd.concat(frames, ignore_index=True)
    # a desil 1-4 slice keeps the lowest PMT; a full population (pmt_cut = inf) keeps a random subset
    hh = (hh.sample(frac=1.0, random_state=rng) if np.isinf(pmt_cut) else hh.sort_values("pmt", kind="stable"))
    hh = hh.reset_index(drop=True)
    cum = hh["size"].cumsum().to_numpy()
    last = int(np.searchsorted(cum, n_individuals))
    hh = hh.iloc[: last + 1].copy()
    hh.iloc[-1, hh.columns.get_loc("size")] -= int(cum[last] - n_individuals)
    hh["hh"] = np.arange(len(hh))
    return hh


def _expand_persons(rng: np.random.Generator, hh: pd.DataFrame, snapshot_year: int) -> pd.DataFrame:
    sizes = hh["size"].to_numpy()
    idx = np.repeat(np.arange(len(hh)), sizes)
    member = np.arange(len(idx)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    n = len(idx)
    head_age = rng.integers(22, 81, len(hh))
    rel = np.where(member == 0, "Kepala Keluarga", np.where(member == 1, "Istri/Suami", "Anak"))
    rel = np.where((member >= 2) & (rng.random(n) < 0.07), "Famili Lain", rel)
    ha = head_age[idx]
    age = np.where(member == 0, ha, np.where(member == 1, np.clip(ha + rng.integers(-6, 4, n), 17, 95),
                                             rng.integers(0, np.maximum(ha - 17, 1))))
    age = np.where(rel == "Famili Lain", rng.integers(0, 90, n), age)
    head_female = rng.random(len(hh)) < 0.15
    female = np.where(member == 0, head_female[idx], np.where(member == 1, ~head_female[idx], rng.random(n) < 0.5))
    return pd.DataFrame({
        "hh": idx, "member": member, "relation": rel, "age": age.astype(int), "female": female,
        "log_exp": hh["log_exp"].to_numpy()[idx], "pmt": hh["pmt"].to_numpy()[idx],
        "birth_year": snapshot_year - age.astype(int),
    })


def _assign_identities(rng: np.random.Generator, p: pd.DataFrame, kab: str, n_kec: int) -> pd.DataFrame:
    n_hh = int(p["hh"].max()) + 1
    hh_kec = rng.integers(1, n_kec + 1, n_hh)
    kec_names = _words(rng, n_kec, 3)
    desa_names = _words(rng, n_kec * 12, 2)
    hh_desa = (hh_kec - 1) * 12 + rng.integers(0, 12, n_hh)
    p["kec"] = hh_kec[p["hh"]]
    p["kecamatan"] = kec_names[p["kec"] - 1]
    p["desa"] = desa_names[hh_desa[p["hh"]]]
    # numbers built as int64 (fast), rendered as 16-digit text once; region codes start with 1-9
    region = int(kab) * 100 + p["kec"].to_numpy(dtype=np.int64)
    day = rng.integers(1, 29, len(p)) + 40 * p["female"].to_numpy()
    month = rng.integers(1, 13, len(p))
    stem = ((region * 100 + day) * 100 + month) * 100 + p["birth_year"].to_numpy() % 100
    serial = pd.Series(stem).groupby(stem).cumcount().to_numpy() + 1
    p["nik"] = (stem * 10_000 + serial).astype(str)
    kk_stem = ((((int(kab) * 100 + hh_kec) * 100 + rng.integers(1, 29, n_hh)) * 100
                + rng.integers(1, 13, n_hh)) * 100 + rng.integers(5, 24, n_hh))
    kk_serial = pd.Series(kk_stem).groupby(kk_stem).cumcount().to_numpy() + 1
    p["kk"] = (kk_stem * 10_000 + kk_serial).astype(str)[p["hh"].to_numpy()]
    last = _LAST[rng.integers(0, len(_LAST), n_hh)][p["hh"]]
    p["name"] = _FIRST[rng.integers(0, len(_FIRST), len(p))].astype(object) + " " + last.astype(object)
    street = _STREET[rng.integers(0, len(_STREET), n_hh)].astype(object)
    addr = (street + " No. " + rng.integers(1, 200, n_hh).astype(str).astype(object) + " RT "
            + np.char.zfill(rng.integers(1, 12, n_hh).astype(str), 2).astype(object) + " RW "
            + np.char.zfill(rng.integers(1, 8, n_hh).astype(str), 2).astype(object))
    p["address"] = addr[p["hh"].to_numpy()]
    return p


def _log_exp_sampler(rng: np.random.Generator, persons: pd.DataFrame | None, kab: str):
    if persons is not None:
        col = next(c for c in ("expenditure_per_capita", "per_capita_expenditure", "expenditure_pc",
                               "pce") if c in persons.columns)
        vals = persons.loc[persons["bps_code"].astype(str) == kab, col].to_numpy(dtype=float)
        vals = vals[np.isfinite(vals) & (vals > 0)]
        if len(vals):
            logs = np.log(vals)
            return lambda m: rng.choice(logs, m)
    effect = rng.normal(0.0, _SD_KAB)
    return lambda m: _MU + effect + rng.normal(0.0, _SD_EXP, m)


def draw_slice(
    kabkota_code: str, n_individuals: int, seed: int, persons: pd.DataFrame | None = None,
    snapshot_year: int = 2024, n_kecamatan: int = 20,
) -> Slice:
    """n_individuals persons of desil 1-4 (national PMT thresholds) with identities, households and PMT."""
    rng = np.random.default_rng([seed, int(kabkota_code)])
    hh = _draw_households(rng, n_individuals, _log_exp_sampler(rng, persons, kabkota_code), PMT_THRESHOLDS[3])
    p = _expand_persons(rng, hh, snapshot_year)
    p = _assign_identities(rng, p, kabkota_code, n_kecamatan)
    return Slice(kabkota_code, p)


def _year_view(sl: Slice, year: int, seed: int) -> pd.DataFrame:
    """Desil, status and a default extreme flag for one snapshot year (fresh PMT noise per year)."""
    rng = np.random.default_rng([seed, int(sl.kabkota_code), year])
    p = sl.persons
    n_hh = int(p["hh"].max()) + 1
    pmt_hh = p.groupby("hh")["log_exp"].first().to_numpy() + rng.normal(0.0, _SD_PMT, n_hh)
    desil_hh = np.clip(np.searchsorted(PMT_THRESHOLDS, pmt_hh) + 1, 1, 4)
    v = p.copy()
    v["desil"] = desil_hh[v["hh"]]
    u = rng.random(len(v))
    v["status"] = np.where(u < 0.007, "Meninggal", np.where(u < 0.012, "Pindah", "Hidup"))
    v["age"] = v["age"] + (year - 2024)
    v = v[v["age"] >= 0].copy()
    # default flag: the lowest-expenditure ~6% of desil-1 households
    d1 = (v["desil"] == 1) & (v["log_exp"] < np.quantile(v["log_exp"], 0.04))
    v["extreme"] = d1
    return v


def _flag_extreme(v: pd.DataFrame, rng: np.random.Generator, n_families: int | None = None,
                  n_individuals: int | None = None) -> None:
    """Set the flag on exactly n_families households (or n_individuals persons) of desil 1, poorest first."""
    v["extreme"] = False
    hh = (v[v["desil"] == 1].groupby("hh").agg(size=("hh", "size"), log_exp=("log_exp", "first"))
          .sort_values("log_exp"))
    if n_families is not None:
        if n_families > len(hh):
            raise ValueError(f"slice too small: {n_families} extreme families > {len(hh)} desil-1 households")
        v.loc[v["hh"].isin(hh.index[:n_families]), "extreme"] = True
    elif n_individuals is not None:
        cum = hh["size"].cumsum().to_numpy()
        k = int(np.searchsorted(cum, n_individuals))
        if k >= len(hh):
            raise ValueError("slice too small for the extreme-poor individuals requested")
        v.loc[v["hh"].isin(hh.index[:k]), "extreme"] = True
        rest = n_individuals - (int(cum[k - 1]) if k else 0)
        members = v.index[v["hh"] == hh.index[k]][:rest]
        v.loc[members, "extreme"] = True


def _dirty(v: pd.DataFrame, rng: np.random.Generator, protect: np.ndarray | None = None,
           rate: float = 0.002) -> pd.DataFrame:
    """Spreadsheet damage on rows not in `protect`: apostrophes/spaces (recoverable), scientific notation,
    other-region NIKs; and a few duplicated rows appended."""
    v = v.copy()
    n = len(v)
    free = np.ones(n, dtype=bool) if protect is None else ~protect
    u = rng.random(n)
    nik = v["nik"].astype(str).to_numpy(dtype=object)
    apo = u < 0.05
    nik[apo] = "'" + nik[apo]
    sp = (u >= 0.05) & (u < 0.07)
    nik[sp] = np.array([f" {x[:6]} {x[6:12]} {x[12:]} " for x in nik[sp]], dtype=object)
    sci = free & (u >= 0.2) & (u < 0.2 + rate)
    nik[sci] = np.array([f"{float(x):.4e}" for x in v["nik"].to_numpy()[sci]], dtype=object)
    moved = free & (u >= 0.3) & (u < 0.3 + rate)
    nik[moved] = np.array(["3578" + x[4:] for x in v["nik"].to_numpy()[moved]], dtype=object)
    v["nik"] = nik
    dup_idx = np.flatnonzero(free & ~sci & (u >= 0.5) & (u < 0.5 + rate / 2))
    return pd.concat([v, v.iloc[dup_idx]], ignore_index=True)


def _to_extract(v: pd.DataFrame, kab: str) -> pd.DataFrame:
    h = P3KE_HEADERS
    return pd.DataFrame({
        h["nik"]: v["nik"].to_numpy(), h["kk"]: v["kk"].to_numpy(), h["name"]: v["name"].to_numpy(),
        h["address"]: v["address"].to_numpy(), h["desa"]: v["desa"].to_numpy(),
        h["kecamatan"]: v["kecamatan"].to_numpy(), h["kabkota_code"]: kab,
        h["desil"]: v["desil"].to_numpy(), h["extreme"]: np.where(v["extreme"], "Ya", "Tidak"),
        h["sex"]: np.where(v["female"], "Perempuan", "Laki-laki"), h["age"]: v["age"].to_numpy(),
        h["relation"]: v["relation"].to_numpy(), h["status"]: v["status"].to_numpy(),
    })


def write_extract_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}),
                                 preserve_index=False)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return path


def generate_p3ke_extract(
    path: str | Path, kabkota_code: str, n_individuals: int, year: int = 2024, seed: int = 2024,
    persons: pd.DataFrame | None = None, n_extreme_families: int | None = None,
    n_extreme_individuals: int | None = None, dirty: bool = True,
) -> Path:
    """Write one kab/kota P3KE extract CSV (Indonesian headers). `persons`: optional synthetic population
    (bps_code, expenditure_per_capita) to resample expenditure from; else drawn here."""
    sl = draw_slice(kabkota_code, n_individuals, seed, persons, snapshot_year=year)
    v = _year_view(sl, year, seed)
    rng = np.random.default_rng([seed, int(kabkota_code), year, 1])
    if n_extreme_families is not None or n_extreme_individuals is not None:
        _flag_extreme(v, rng, n_extreme_families, n_extreme_individuals)
    if dirty:
        v = _dirty(v, rng)
    return write_extract_csv(_to_extract(v, kabkota_code), path)


def _plant_jombang(v: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Choose the SK persons in the 2024 view and set their desil/status; returns (view, truth)."""
    c = JOMBANG_CASE
    v["desil"] = v["desil"].astype(int)
    d1 = np.flatnonzero(v["desil"].to_numpy() == 1)
    other = np.flatnonzero(v["desil"].to_numpy() > 1)
    still = rng.choice(d1, c["still_desil1"], replace=False)
    left = rng.choice(other, c["left_desil1"], replace=False)
    v.loc[v.index[np.concatenate([still, left])], "status"] = "Hidup"
    order = rng.permutation(len(still))
    optimal, alive, dead = np.split(still[order], [c["optimal"], c["optimal"] + c["not_optimal_alive"]])
    v.loc[v.index[dead], "status"] = "Meninggal"
    truth = pd.concat([
        pd.DataFrame({"row": left, "category": "keluar_desil_1"}),
        pd.DataFrame({"row": optimal, "category": "desil_1_intervensi_optimal"}),
        pd.DataFrame({"row": alive, "category": "desil_1_belum_optimal_hidup"}),
        pd.DataFrame({"row": dead, "category": "desil_1_belum_optimal_meninggal"}),
    ], ignore_index=True)
    truth["nik"] = v["nik"].to_numpy()[truth["row"]]
    return v, truth


def _intervention_register(v: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """1-3 interventions per SK person; 'optimal' persons get only Optimal rows, 'belum optimal' at least
    one Tidak Optimal row, those who left desil 1 a random mix."""
    n_int = rng.integers(1, 4, len(truth))
    person = np.repeat(np.arange(len(truth)), n_int)
    prog = rng.integers(0, len(OPD_PROGRAMMES), len(person))
    cat = truth["category"].to_numpy()[person]
    first = np.r_[True, person[1:] != person[:-1]]
    optimal = np.where(cat == "desil_1_intervensi_optimal", True,
                       np.where(np.isin(cat, ["desil_1_belum_optimal_hidup", "desil_1_belum_optimal_meninggal"]),
                                ~first & (rng.random(len(person)) < 0.5), rng.random(len(person)) < 0.7))
    rows = truth["row"].to_numpy()[person]
    nik = truth["nik"].to_numpy()[person]
    return pd.DataFrame({
        "NIK": ["'" + x if i % 3 == 0 else x for i, x in enumerate(nik)],
        "Nama": v["name"].to_numpy()[rows],
        "Kecamatan": v["kecamatan"].to_numpy()[rows],
        "OPD": [OPD_PROGRAMMES[k][0] for k in prog],
        "Program": [OPD_PROGRAMMES[k][1] for k in prog],
        "Status Intervensi": np.where(optimal, "Optimal", "Tidak Optimal"),
        "Tahun": 2024,
    })


def _absent_niks(rng: np.random.Generator, kab: str, n_kec: int, dates: list[str], taken: set[str]) -> list[str]:
    """Fictitious NIKs of the kab/kota with the given birth dates (DDMMYY), none of them in `taken`; serials
    from 9001 on, which the slice's per-stem serials never reach."""
    out: list[str] = []
    for date in dates:
        while True:
            nik = f"{kab}{rng.integers(1, n_kec + 1):02d}{date}{rng.integers(9001, 10_000)}"
            if nik not in taken:
                taken.add(nik)
                out.append(nik)
                break
    return out


def _random_dates(rng: np.random.Generator, n: int) -> list[str]:
    """Valid DDMMYY birth dates (day 1-28, +40 for women)."""
    day = rng.integers(1, 29, n) + 40 * (rng.random(n) < 0.5)
    return [f"{d:02d}{m:02d}{y:02d}" for d, m, y in zip(day, rng.integers(1, 13, n), rng.integers(0, 100, n),
                                                        strict=True)]


def _plant_list_errors(
    sk: pd.DataFrame, v: pd.DataFrame, rng: np.random.Generator, kab: str, n_kec: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Insert the SK_LIST_ERRORS rows at random places of the SK list `sk` (No, NIK, Nama, Kecamatan).

    Returns (the list, planted rows: list_row / error / nik_status, absent persons for the truth: nik /
    category, register rows of the absent persons the OPD still records)."""
    e = SK_LIST_ERRORS
    taken = set(v["nik"].astype(str))
    absent = _absent_niks(rng, kab, n_kec, _random_dates(rng, e["absent"]) + list(SK_BAD_BIRTH_DATES), taken)
    invalid_status = [s for s in ("scientific_notation", "bad_length", "non_digit", "missing") for _ in range(e[s])]
    mangle = {"scientific_notation": lambda x, i: f"{float(x):.4e}",
              "bad_length": lambda x, i: x[:15] if i % 2 == 0 else x + "1",
              "non_digit": lambda x, i: x[:8] + "O" + x[9:],  # letter O for a zero
              "missing": lambda x, i: ""}
    broken = _absent_niks(rng, kab, n_kec, _random_dates(rng, len(invalid_status)), taken)
    invalid = [mangle[s](x, i) for i, (s, x) in enumerate(zip(invalid_status, broken, strict=True))]
    n_new = len(absent) + len(invalid)
    kec = v["kecamatan"].unique()
    new = pd.DataFrame({
        "NIK": absent + invalid,
        "Nama": _FIRST[rng.integers(0, len(_FIRST), n_new)].astype(object) + " "
        + _LAST[rng.integers(0, len(_LAST), n_new)].astype(object),
        "Kecamatan": kec[rng.integers(0, len(kec), n_new)],
        "error": (["not_found"] * e["absent"] + ["invalid_nik_not_found"] * len(SK_BAD_BIRTH_DATES)
                  + ["invalid"] * len(invalid)),
        "nik_status": ["valid"] * e["absent"] + ["bad_birth_date"] * len(SK_BAD_BIRTH_DATES) + invalid_status,
    })
    listed = rng.choice(len(sk), e["listed_twice"] + e["listed_thrice"], replace=False)
    repeated = sk.iloc[np.r_[listed, listed[e["listed_twice"]:]]]  # the thrice-listed get two extra rows
    plain = repeated["NIK"].str.replace(r"[\s']", "", regex=True)
    extra = pd.concat([new, repeated.assign(NIK=[f"{x[:6]} {x[6:12]} {x[12:]}" for x in plain], error="duplicate",
                                            nik_status="valid")[new.columns]], ignore_index=True)
    extra = extra.iloc[rng.permutation(len(extra))].reset_index(drop=True)
    n = len(sk) + len(extra)
    at = np.sort(rng.choice(n, len(extra), replace=False))  # list positions of the planted rows
    keep = np.setdiff1d(np.arange(n), at)
    cols = ["NIK", "Nama", "Kecamatan"]
    out = pd.concat([sk[cols].set_axis(keep), extra[cols].set_axis(at)]).sort_index()
    out.insert(0, "No", np.arange(1, n + 1))
    planted = pd.DataFrame({"list_row": at + 2, "error": extra["error"].to_numpy(),
                            "nik_status": extra["nik_status"].to_numpy()})
    absent_truth = pd.DataFrame({"nik": absent, "category": ["tidak_ditemukan"] * e["absent"]
                                 + ["nik_tidak_valid"] * len(SK_BAD_BIRTH_DATES)})
    who = new.iloc[: e["absent_intervened"]]  # valid NIKs (the first e["absent"] of `new`)
    times = rng.integers(1, 3, len(who))
    prog = rng.integers(0, len(OPD_PROGRAMMES), int(times.sum()))
    register = pd.DataFrame({
        "NIK": np.repeat(who["NIK"].to_numpy(), times), "Nama": np.repeat(who["Nama"].to_numpy(), times),
        "Kecamatan": np.repeat(who["Kecamatan"].to_numpy(), times),
        "OPD": [OPD_PROGRAMMES[j][0] for j in prog], "Program": [OPD_PROGRAMMES[j][1] for j in prog],
        "Status Intervensi": np.where(rng.random(len(prog)) < 0.5, "Optimal", "Tidak Optimal"), "Tahun": 2024,
    })
    return out.reset_index(drop=True), planted, absent_truth, register


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet: str) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([x.item() if hasattr(x, "item") else x for x in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def generate_dtsen_extract(
    path: str | Path, kabkota_code: str, n_individuals: int, period: str = "2025-Q2", seed: int = 2025,
    persons: pd.DataFrame | None = None,
) -> Path:
    """A SIKS-NG 'Pemeringkatan Desil' style xlsx (No KK, NIK, nama, wilayah, desil nasional 1-10) for all
    deciles of a kab/kota (n_individuals persons; national PMT thresholds)."""
    rng = np.random.default_rng([seed, int(kabkota_code), 10])
    hh = _draw_households(rng, n_individuals, _log_exp_sampler(rng, persons, kabkota_code), np.inf)
    p = _assign_identities(rng, _expand_persons(rng, hh, 2025), kabkota_code, 12)
    desil = np.searchsorted(PMT_THRESHOLDS, p["pmt"].to_numpy()) + 1
    h = DTSEN_HEADERS
    frame = pd.DataFrame({
        h["row"]: np.arange(1, len(p) + 1), h["kk"]: p["kk"], h["nik"]: p["nik"], h["name"]: p["name"],
        h["kabkota_code"]: kabkota_code, h["kecamatan"]: p["kecamatan"], h["desa"]: p["desa"],
        h["address"]: p["address"], h["desil"]: desil, h["period"]: period,
    })
    return _write_xlsx(frame, Path(path), "Pemeringkatan Desil")


def _population(populations: pd.DataFrame | None, code: str, year: int) -> float:
    if populations is None:
        raise ValueError("populations (bps_code, year, population_thousand) are needed for Kota Mojokerto")
    p = populations[(populations["bps_code"].astype(str) == code) & (populations["year"] == year)]
    if p.empty:
        raise ValueError(f"no population for {code} in {year}")
    return float(p["population_thousand"].iloc[0]) * 1000.0


def generate_registry_scenario(
    out_dir: str | Path, populations: pd.DataFrame | None = None, persons: pd.DataFrame | None = None,
    seed: int = 2024, sizes: dict[str, int] | None = None, jombang_n: int = JOMBANG_CASE["p3ke_individuals"],
    mojokerto_years: tuple[int, int] = (2022, 2023), sk_xlsx: bool = False, dtsen: bool = True,
) -> Scenario:
    """Write the planted extracts into out_dir (raw, identifying: treat out_dir as restricted).

    populations: BPS population per kab/kota and year (bps_code, year, population_thousand), used to plant
    the Kota Mojokerto rate. jombang_n < 654,220 gives a smaller Jombang slice with the same SK case.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {**DEFAULT_SIZES, **(sizes or {})}
    sc = Scenario()

    def emit(v: pd.DataFrame, kab: str, year: int, rng: np.random.Generator,
             protect: np.ndarray | None = None) -> None:
        path = write_extract_csv(_to_extract(_dirty(v, rng, protect), kab), out / f"p3ke_{kab}_{year}.csv")
        sc.record(f"p3ke_{kab}_{year}", "p3ke", path, kab, year, SNAPSHOT_DATES.get(year, f"{year}-12-31"))

    # Jombang 2024 with the SK case
    sl = draw_slice(JOMBANG, jombang_n, seed, persons, snapshot_year=2024, n_kecamatan=JOMBANG_KECAMATAN)
    rng = np.random.default_rng([seed, 3517, 1])
    v = _year_view(sl, 2024, seed)
    v, truth = _plant_jombang(v, rng)
    protect = np.zeros(len(v), dtype=bool)
    protect[truth["row"].to_numpy()] = True
    emit(v, JOMBANG, 2024, rng, protect)
    sk = pd.DataFrame({"No": np.arange(1, len(truth) + 1)})
    order = rng.permutation(len(truth))
    sk_nik = truth["nik"].to_numpy()[order]
    sk["NIK"] = [("'" + x) if i % 4 == 0 else (x + " " if i % 7 == 0 else x) for i, x in enumerate(sk_nik)]
    sk["Nama"] = v["name"].to_numpy()[truth["row"].to_numpy()[order]]
    sk["Kecamatan"] = v["kecamatan"].to_numpy()[truth["row"].to_numpy()[order]]
    # list errors from their own stream: the 7,408 rows and the register stay as they were drawn
    sk, planted, absent_truth, absent_register = _plant_list_errors(
        sk, v, np.random.default_rng([seed, 3517, 2]), JOMBANG, n_kec=JOMBANG_KECAMATAN)
    sc.list_errors = planted.assign(key="sk_jombang_2024")[["key", "list_row", "error", "nik_status"]]
    sc.record("sk_jombang_2024", "sk", write_extract_csv(sk, out / "sk_bupati_miskin_ekstrem_3517_2024.csv"),
              JOMBANG, 2024)
    if sk_xlsx:
        sc.record("sk_jombang_2024_xlsx", "sk",
                  _write_xlsx(sk, out / "sk_bupati_miskin_ekstrem_3517_2024.xlsx", "SK"), JOMBANG, 2024)
    reg = pd.concat([_intervention_register(v, truth, rng), absent_register], ignore_index=True)
    sc.record("intervensi_jombang_2024", "intervensi", write_extract_csv(reg, out / "intervensi_opd_3517_2024.csv"),
              JOMBANG, 2024)
    sc.truth = pd.concat([truth[["nik", "category"]], absent_truth], ignore_index=True).assign(kabkota_code=JOMBANG)

    # Lebak: extreme-poor families 6,043 -> 5,698
    sl = draw_slice(LEBAK, sizes[LEBAK], seed, persons, snapshot_year=2024)
    for year, n_fam in LEBAK_CASE.items():
        rng = np.random.default_rng([seed, 3602, year])
        v = _year_view(sl, year, seed)
        _flag_extreme(v, rng, n_families=n_fam)
        emit(v, LEBAK, year, rng)

    # Kota Mojokerto: extreme individuals / BPS population 1.10% -> 0%
    sl = draw_slice(MOJOKERTO, sizes[MOJOKERTO], seed, persons, snapshot_year=2024, n_kecamatan=3)
    for year, rate in zip(mojokerto_years, MOJOKERTO_RATE, strict=True):
        rng = np.random.default_rng([seed, 3576, year])
        v = _year_view(sl, year, seed)
        _flag_extreme(v, rng, n_individuals=round(rate * _population(populations, MOJOKERTO, year)))
        emit(v, MOJOKERTO, year, rng)

    sl = draw_slice(PALANGKA_RAYA, sizes[PALANGKA_RAYA], seed, persons, snapshot_year=2024, n_kecamatan=5)
    for year in (2023, 2024):
        emit(_year_view(sl, year, seed), PALANGKA_RAYA, year, np.random.default_rng([seed, 6271, year]))

    if dtsen:
        path = generate_dtsen_extract(out / f"dtsen_desil_{PALANGKA_RAYA}_2025Q2.xlsx", PALANGKA_RAYA,
                                      DTSEN_DEMO_INDIVIDUALS, "2025-Q2", seed)
        sc.record("dtsen_6271_2025Q2", "dtsen", path, PALANGKA_RAYA, 2025, "2025-06-30")
    sc.notes.append(f"non-Jombang slices scaled down: {sizes}; Mojokerto years {mojokerto_years}")
    return sc
