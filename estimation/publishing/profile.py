"""Kab/kota poverty profiles ("Profil Kemiskinan Kabupaten Jombang 2025"): the figures of one profile.

A profile is laid out like the "Profil Kemiskinan Daerah" chapter of an RPKD: P0 and the number of poor with
their change from the previous round, the province and Indonesia beside them and the kab/kota's rank within its
province; the P0 trend since 2015; the poverty line (GK); P1/P2 where BPS published them; the extreme-poverty
estimate (the published Fay-Herriot estimate, benchmarked, on the synthetic Susenas sample) with its 95% interval
and reliability class (both of the benchmarked figure, as `estimates_sae` publishes them); the P3KE-based
extreme-poverty rate beside the model estimate where the registry has a slice; the padu padan summary of a
decree list. `gather_profiles` reads them from the assets' frames into
`KabkotaProfile` records (pure data, no formatting); `estimation.publishing.profile_pdf` draws them.

Rank: 1 is the highest P0 of the province that year (BPS's "peringkat kemiskinan"), ties share the best rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from estimation.regions import FIELD_NOTES_KABKOTA, INDONESIA_CODE, normalise_name

__all__ = [
    "FIELD_NOTES_KABKOTA",
    "TREND_YEARS",
    "ExtremeEstimate",
    "KabkotaProfile",
    "PaduPadan",
    "ProfileInputs",
    "RegistryExtreme",
    "TrendPoint",
    "build_profile",
    "gather_profiles",
    "prepare_inputs",
    "profile_file_name",
    "select_kabkota",
]

# Rounds the trend chart shows, ending at the profile's year: 2015-2025 for a 2025 profile, the RPKD's "since
# 2015"; counted back from the data's year rather than fixed, so a 2026 profile moves with it.
TREND_YEARS = 11


@dataclass(frozen=True)
class TrendPoint:
    year: int
    p0: float  # kab/kota, percent
    prov_p0: float  # NaN where the province had no figure
    indonesia_p0: float


@dataclass(frozen=True)
class ExtremeEstimate:
    """The published model estimate of one round (rates in percent)."""

    year: int
    line_definition: str  # e.g. usd215_2017ppp
    rate: float  # benchmarked EBLUP, the published figure
    eblup: float
    ci_low: float  # 95% interval of the published (benchmarked) figure
    ci_high: float
    rse: float  # of the published figure, percent; inf when the estimate is 0
    flag: str  # publish / caution / suppress
    persons: float  # rate x BPS population
    direct: float  # direct survey estimate (NaN where the kab/kota had no sample)


@dataclass(frozen=True)
class RegistryExtreme:
    """P3KE-based extreme poverty of one snapshot year: the registry's extreme individuals over BPS population."""

    year: int
    snapshot_date: str
    rate: float  # percent
    individuals: int
    families: int


@dataclass(frozen=True)
class PaduPadan:
    """Counts of one decree (SK) list matched with the later registry snapshot (no identities)."""

    year: int
    list_rows: int
    found: int
    left_desil1: int
    still_desil1: int
    optimal: int
    not_optimal: int
    not_optimal_alive: int
    not_optimal_deceased: int
    not_found: int
    invalid_nik_not_found: int
    invalid_nik_on_list: int
    duplicate_rows_on_list: int


@dataclass(frozen=True)
class KabkotaProfile:
    """The figures of one kab/kota's profile for `year` (rates in percent, poor in thousand persons)."""

    code: str
    name: str  # "Jombang", "Kota Mojokerto"
    level: str  # kabupaten / kota
    prov_code: str
    prov_name: str  # as BPS writes it ("JAWA TIMUR")
    year: int
    year_prev: int | None
    p0: float
    p0_prev: float
    delta_p0_pp: float
    poor_thousand: float
    poor_thousand_prev: float
    delta_poor_persons: float
    prov_p0: float
    prov_p0_prev: float
    indonesia_p0: float
    indonesia_p0_prev: float
    prov_poor_thousand: float
    indonesia_poor_thousand: float
    rank: int | None  # within the province, 1 = highest P0
    rank_of: int  # kab/kota of the province with a P0 that year
    rank_prev: int | None
    rank_prev_of: int
    poverty_line_rp: float
    poverty_line_prev_rp: float
    poverty_line_year: int | None  # year of `poverty_line_rp` (the latest published up to `year`)
    p1: float
    p2: float
    p1p2_year: int | None  # latest year up to `year` with P1/P2 published
    trend: tuple[TrendPoint, ...]
    extreme: tuple[ExtremeEstimate, ...]  # model estimates by year, oldest first
    registry: tuple[RegistryExtreme, ...]  # P3KE-based rates by year, oldest first
    padu_padan: PaduPadan | None
    note: str  # BPS footnotes of the kab/kota's figures ("" if none)

    @property
    def title_name(self) -> str:
        """"Kabupaten Jombang", "Kota Mojokerto"."""
        return self.name if self.level == "kota" or self.name.startswith("Kota ") else f"Kabupaten {self.name}"

    @property
    def latest_extreme(self) -> ExtremeEstimate | None:
        return self.extreme[-1] if self.extreme else None


def profile_file_name(profile: KabkotaProfile) -> str:
    """profil_kemiskinan_3517_jombang_2025.pdf"""
    slug = "_".join(normalise_name(profile.name).split())
    return f"profil_kemiskinan_{profile.code}_{slug}_{profile.year}.pdf"


def _num(value: object) -> float:
    if value is None or value is pd.NA:
        return float("nan")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


Record = dict[str, Any]  # one row of a frame


@dataclass(frozen=True)
class ProfileInputs:
    """The assets' frames as look-up tables, built once for many profiles."""

    names: dict[str, Record]  # kab/kota code -> name, level, prov_code, prov_name
    kabkota: dict[tuple[str, int], Record]  # (code, year) -> validated kab/kota row
    province: dict[tuple[str, int], Record]  # (code, year) -> validated province row (Indonesia: 0000)
    ranks: dict[tuple[str, int], tuple[int, int]]  # (code, year) -> (rank, kab/kota ranked)
    deltas: dict[tuple[str, int], Record]  # (code, year) -> kab/kota delta row
    extreme: dict[str, list[Record]]  # code -> model rows of the extreme indicator, by year
    registry: dict[str, list[Record]]  # code -> p3ke aggregate rows, by year
    padu_padan: dict[str, list[Record]]  # code -> padu padan summary rows, by year


def _records(frame: pd.DataFrame, key: Sequence[str]) -> dict:
    out: dict = {}
    for record in frame.to_dict("records"):
        out[tuple(record[k] for k in key) if len(key) > 1 else record[key[0]]] = record
    return out


def _grouped(frame: pd.DataFrame, code_column: str) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for record in frame.sort_values([code_column, "year"]).to_dict("records"):
        out.setdefault(str(record[code_column]), []).append(record)
    return out


def _typed(frame: pd.DataFrame, code_column: str = "bps_code") -> pd.DataFrame:
    out = frame.copy()
    out[code_column] = out[code_column].astype(str)
    out["year"] = pd.to_numeric(out["year"]).astype(int)
    return out


def prepare_inputs(region_reference: pd.DataFrame, kabkota_panel: pd.DataFrame, province_panel: pd.DataFrame,
                   deltas_kabkota: pd.DataFrame, sae_estimates: pd.DataFrame,
                   registry_aggregates: pd.DataFrame | None = None,
                   padu_padan_summary: pd.DataFrame | None = None) -> ProfileInputs:
    """Index the frames: the validated panels (bps_code, year, p0, poor_thousand, poverty_line_rp, p1, p2, note),
    the kab/kota deltas (bps_code, year, year_prev, delta_p0_pp, delta_poor_persons), the small-area estimates
    (indicator 'extreme': bps_code, year, line_definition, benchmarked, eblup, ci_low, ci_high, rse, flag,
    persons, direct; proportions), the registry aggregates (source, kabkota_code, year, snapshot_date,
    extreme_rate_pct, extreme_individuals, extreme_families) and the padu padan summary."""
    ref = region_reference.astype({"bps_code": str})
    kab_ref = ref[ref["level"].isin(["kabupaten", "kota"])]
    names: dict[str, Record] = {str(r["bps_code"]): {"name": str(r["name"]), "level": str(r["level"]), "prov_code": str(r["prov_code"]),
                                  "prov_name": str(r["prov_name"])} for r in kab_ref.to_dict("records")}
    kab = _typed(kabkota_panel)
    published = kab[kab["p0"].notna()].copy()
    published["prov_code"] = published["bps_code"].str[:2]
    # rank within the province and year, 1 = highest P0; ties share the best rank
    groups = published.groupby(["prov_code", "year"])["p0"]
    published["rank"] = groups.rank(ascending=False, method="min").astype(int)
    published["rank_of"] = groups.transform("size").astype(int)
    ranks = {(c, int(y)): (int(r), int(n)) for c, y, r, n in
             zip(published["bps_code"], published["year"], published["rank"], published["rank_of"], strict=True)}
    model = sae_estimates[sae_estimates["indicator"] == "extreme"]
    registry = registry_aggregates if registry_aggregates is not None else pd.DataFrame(
        columns=["source", "kabkota_code", "year"])
    registry = registry[registry["source"] == "p3ke"]
    padu = padu_padan_summary if padu_padan_summary is not None else pd.DataFrame(columns=["kabkota_code", "year"])
    return ProfileInputs(
        names=names,
        kabkota=_records(kab, ["bps_code", "year"]),
        province=_records(_typed(province_panel), ["bps_code", "year"]),
        ranks=ranks,
        deltas=_records(_typed(deltas_kabkota), ["bps_code", "year"]),
        extreme=_grouped(_typed(model), "bps_code"),
        registry=_grouped(_typed(registry, "kabkota_code"), "kabkota_code"),
        padu_padan=_grouped(_typed(padu, "kabkota_code"), "kabkota_code"),
    )


def _value(row: Record | None, column: str) -> float:
    return float("nan") if row is None else _num(row.get(column))


def _latest(inputs: ProfileInputs, code: str, years: list[int], column: str) -> tuple[float, int | None]:
    """The latest published value of `column` among `years` (newest first) for kab/kota `code`, and its year."""
    for y in years:
        value = _value(inputs.kabkota.get((code, y)), column)
        if np.isfinite(value):
            return value, y
    return float("nan"), None


def build_profile(inputs: ProfileInputs, code: str, year: int) -> KabkotaProfile:
    """The profile of kab/kota `code` for `year` (its P0 of that year must be published)."""
    if code not in inputs.names:
        raise ValueError(f"{code!r} is not a kab/kota code of the region reference")
    ref = inputs.names[code]
    now = inputs.kabkota.get((code, year))
    if now is None or not np.isfinite(_value(now, "p0")):
        raise ValueError(f"no published P0 for {code} {ref['name']} in {year}")
    delta = inputs.deltas.get((code, year))
    year_prev = int(delta["year_prev"]) if delta is not None and pd.notna(delta.get("year_prev")) else None
    prev = inputs.kabkota.get((code, year_prev)) if year_prev is not None else None
    prov_code = str(ref["prov_code"])
    prov, ind = f"{prov_code}00", INDONESIA_CODE

    def at(table: dict, key: str, y: int | None) -> Record | None:
        return table.get((key, y)) if y is not None else None

    years = sorted((y for c, y in inputs.kabkota if c == code and y <= year), reverse=True)
    line, line_year = _latest(inputs, code, years, "poverty_line_rp")
    line_prev = _value(at(inputs.kabkota, code, line_year - 1 if line_year else None), "poverty_line_rp")
    p1, p1_year = _latest(inputs, code, years, "p1")
    p2 = _value(at(inputs.kabkota, code, p1_year), "p2")
    trend = tuple(TrendPoint(y, _value(inputs.kabkota.get((code, y)), "p0"),
                             _value(inputs.province.get((prov, y)), "p0"), _value(inputs.province.get((ind, y)), "p0"))
                  for y in range(year - TREND_YEARS + 1, year + 1) if np.isfinite(_value(inputs.kabkota.get((code, y)), "p0")))
    extreme = tuple(ExtremeEstimate(
        year=int(r["year"]), line_definition=str(r["line_definition"]),
        rate=100 * _num(r["benchmarked"]), eblup=100 * _num(r["eblup"]), ci_low=100 * _num(r["ci_low"]),
        ci_high=100 * _num(r["ci_high"]), rse=100 * _num(r["rse"]), flag=str(r["flag"]), persons=_num(r["persons"]),
        direct=100 * _num(r.get("direct"))) for r in inputs.extreme.get(code, []) if int(r["year"]) <= year)
    registry = tuple(RegistryExtreme(int(r["year"]), str(r["snapshot_date"]), _num(r["extreme_rate_pct"]),
                                     int(r["extreme_individuals"]), int(r["extreme_families"]))
                     for r in inputs.registry.get(code, []) if int(r["year"]) <= year)
    padu = [r for r in inputs.padu_padan.get(code, []) if int(r["year"]) <= year]
    padu_padan = PaduPadan(**{f: int(padu[-1][f]) for f in PaduPadan.__dataclass_fields__}) if padu else None
    note = now.get("note")
    rank = inputs.ranks.get((code, year))
    rank_prev = inputs.ranks.get((code, year_prev)) if year_prev is not None else None
    return KabkotaProfile(
        code=code, name=str(ref["name"]), level=str(ref["level"]), prov_code=prov_code,
        prov_name=str(ref["prov_name"]), year=year, year_prev=year_prev,
        p0=_value(now, "p0"), p0_prev=_value(prev, "p0"), delta_p0_pp=_value(delta, "delta_p0_pp"),
        poor_thousand=_value(now, "poor_thousand"), poor_thousand_prev=_value(prev, "poor_thousand"),
        delta_poor_persons=_value(delta, "delta_poor_persons"),
        prov_p0=_value(at(inputs.province, prov, year), "p0"),
        prov_p0_prev=_value(at(inputs.province, prov, year_prev), "p0"),
        indonesia_p0=_value(at(inputs.province, ind, year), "p0"),
        indonesia_p0_prev=_value(at(inputs.province, ind, year_prev), "p0"),
        prov_poor_thousand=_value(at(inputs.province, prov, year), "poor_thousand"),
        indonesia_poor_thousand=_value(at(inputs.province, ind, year), "poor_thousand"),
        rank=rank[0] if rank else None, rank_of=rank[1] if rank else 0, rank_prev=rank_prev[0] if rank_prev else None,
        rank_prev_of=rank_prev[1] if rank_prev else 0,
        poverty_line_rp=line, poverty_line_prev_rp=line_prev, poverty_line_year=line_year,
        p1=p1, p2=p2, p1p2_year=p1_year, trend=trend, extreme=extreme, registry=registry,
        padu_padan=padu_padan, note=str(note) if note is not None and pd.notna(note) else "",
    )


def select_kabkota(region_reference: pd.DataFrame, *, kabkota: Sequence[str] = (), province: str = "",
                   all_kabkota: bool = False) -> list[str]:
    """BPS codes of the kab/kota to profile: all 514, or those of a province (code "35" or name "Jawa Timur"),
    plus a list by code ("3517") or name ("Jombang", "Kota Mojokerto", "Kab. Kediri"); in code order.
    An unknown or ambiguous entry raises ValueError naming it."""
    ref = region_reference.astype({"bps_code": str})
    kab = ref[ref["level"].isin(["kabupaten", "kota"])]
    codes = set(kab["bps_code"])
    if all_kabkota:
        return sorted(codes)
    chosen: set[str] = set()
    if province:
        provinces = ref[ref["level"] == "provinsi"]
        wanted = normalise_name(province)
        match = provinces[(provinces["prov_code"].astype(str) == province.strip())
                          | (provinces["name"].astype(str).map(normalise_name) == wanted)]
        if match.empty:
            raise ValueError(f"unknown province {province!r}; use a 2-digit code such as '35' or a name such as "
                             f"'Jawa Timur'")
        prov_code = str(match["prov_code"].iloc[0])
        chosen |= set(kab.loc[kab["prov_code"].astype(str) == prov_code, "bps_code"])
    keys = kab["name"].astype(str).map(normalise_name)
    for entry in kabkota:
        text = str(entry).strip()
        if text in codes:
            chosen.add(text)
            continue
        hits = kab.loc[keys == normalise_name(text), "bps_code"].tolist()
        if not hits:
            raise ValueError(f"unknown kab/kota {entry!r}: give a 4-digit BPS code ('3517') or the name as in the "
                             f"region list ('Jombang', 'Kota Mojokerto')")
        if len(hits) > 1:
            raise ValueError(f"kab/kota name {entry!r} is ambiguous ({', '.join(sorted(hits))}): give the code")
        chosen.add(hits[0])
    return sorted(chosen)


def gather_profiles(inputs: ProfileInputs, codes: Iterable[str], year: int) -> list[KabkotaProfile]:
    return [build_profile(inputs, code, year) for code in codes]
