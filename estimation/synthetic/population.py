"""Deterministic synthetic Susenas-like households per kab/kota and year, and their true poverty indices.

Generation draws from the calibrated model (`estimation.synthetic.calibration`, closed forms in
`estimation.synthetic.distribution`): with probability P0 a household is poor and its expenditure comes from
the two-piece poor part, otherwise from the truncated lognormal. Household size is independent of
expenditure, so person-level indices equal the household-level model. See README.md in this folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
from scipy.special import ndtri

from estimation.synthetic.distribution import poor_quantile

__all__ = [
    "MEAN_HOUSEHOLD_SIZE",
    "POPULATION_COLUMNS",
    "generate_population",
    "iter_population",
    "population_truth",
]

MEAN_HOUSEHOLD_SIZE = 3.8  # Susenas average, persons per household
URBAN_SHARE_KOTA, URBAN_SHARE_KABUPATEN = 0.95, 0.35
POPULATION_COLUMNS = ["R101", "R102", "R105", "R301", "KAPITA", "bps_code", "block_id", "household_id"]


def _population_rows(calibrated: pd.DataFrame, year: int, bps_codes: Iterable[int] | None) -> pd.DataFrame:
    rows = calibrated[calibrated["year"] == year]
    if bps_codes is not None:
        rows = rows[rows["bps_code"].isin(list(bps_codes))]
    if rows.empty:
        raise ValueError(f"no calibrated rows for year {year}")
    return rows.sort_values("bps_code", kind="stable")


def _row_scales(rows: pd.DataFrame, scale: float | Mapping[int, float] | pd.Series) -> np.ndarray:
    """Scale per row: one float for all, or a per-bps_code mapping / Series (every row must be covered)."""
    if isinstance(scale, (int, float, np.number)):
        return np.full(len(rows), float(scale))
    per_code = pd.Series(scale, dtype=float)
    out = per_code.reindex(rows["bps_code"].to_numpy()).to_numpy(float)
    if np.isnan(out).any():
        raise ValueError("scale mapping does not cover every bps_code generated")
    return out


def _households(rows: pd.DataFrame, scales: np.ndarray, seed: int, households_per_block: int) -> pd.DataFrame:
    """Households of all `rows` (kab/kota of one year) in row order, Susenas columns.

    Each kab/kota keeps its own generator seeded by (seed, year, bps_code) and draws its raw random numbers in
    the same order as ever (a handful of numpy calls per kab/kota, no pandas); every transform of those numbers
    (inverse CDFs, blocks, ids, columns) runs once over all households.
    """
    codes = rows["bps_code"].to_numpy(np.int64)
    years = rows["year"].to_numpy(np.int64)
    n = np.maximum(1, np.round(rows["population_thousand"].to_numpy(float) * 1000 * scales
                               / MEAN_HOUSEHOLD_SIZE)).astype(np.int64)
    urban_share = np.where(codes % 100 >= 71, URBAN_SHARE_KOTA, URBAN_SHARE_KABUPATEN)
    bounds = np.r_[0, np.cumsum(n)]
    total = int(bounds[-1])
    size = np.empty(total, dtype=np.int16)
    r105 = np.empty(total, dtype=np.int8)
    u0, u1 = np.empty(total), np.empty(total)
    block = np.empty(total, dtype=np.int64)
    lo_b, hi_b = int(0.6 * households_per_block), int(1.4 * households_per_block) + 1
    step_b = max(1, int(0.6 * households_per_block))
    for i in range(len(codes)):
        a, b, m = int(bounds[i]), int(bounds[i + 1]), int(n[i])
        rng = np.random.default_rng([seed, int(years[i]), int(codes[i])])
        size[a:b] = np.minimum(1 + rng.poisson(MEAN_HOUSEHOLD_SIZE - 1, m), 15)
        n_urban = int(np.count_nonzero(rng.random(m) < urban_share[i]))
        r105[a:a + n_urban] = 1  # urban first: blocks never mix urban and rural
        r105[a + n_urban:b] = 2
        # stratified uniforms: the household P0 and the spread of each part hit the model to within 1/n
        u0[a:b] = (rng.permutation(m) + rng.random(m)) / m
        u1[a:b] = (rng.permutation(m) + rng.random(m)) / m
        # census blocks of 60-140% of `households_per_block` households, cut within urban and rural
        next_block = 0
        for off, cnt in ((0, n_urban), (n_urban, m - n_urban)):
            if cnt == 0:
                continue
            cuts = np.cumsum(rng.integers(lo_b, hi_b, cnt // step_b + 2))
            n_blocks = max(1, int(np.searchsorted(cuts, cnt)))
            ids = np.minimum(np.searchsorted(cuts, np.arange(cnt), side="right"), n_blocks - 1)
            block[a + off:a + off + cnt] = next_block + ids
            next_block += n_blocks
    # expenditure: poor with probability P0, then inverse-CDF draws from the two parts (per-row parameters)
    p0_row = rows["p0"].to_numpy(float) / 100
    z_row = rows["poverty_line_rp"].to_numpy(float)
    sigma_row = rows["sigma_u"].to_numpy(float)
    mu_row = np.log(z_row) - sigma_row * ndtri(p0_row)
    p0, z = np.repeat(p0_row, n), np.repeat(z_row, n)
    poor = u0 < p0
    kapita = np.empty(total)
    ip, iu = np.flatnonzero(poor), np.flatnonzero(~poor)
    q, k, r = (np.repeat(rows[c].to_numpy(float), n)[ip] for c in ("deep_share", "tilt", "break_ratio"))
    kapita[ip] = z[ip] * poor_quantile(q, k, r, u1[ip])
    upper = np.exp(np.repeat(mu_row, n)[iu] + np.repeat(sigma_row, n)[iu] * ndtri(p0[iu] + u1[iu] * (1 - p0[iu])))
    kapita[iu] = np.maximum(upper, z[iu])
    code_hh = np.repeat(codes, n)
    return pd.DataFrame({
        "R101": (code_hh // 100).astype(np.int16),
        "R102": (code_hh % 100).astype(np.int16),
        "R105": r105,
        "R301": size,
        "KAPITA": np.maximum(np.round(kapita, 0), 1.0),  # a deep-poor draw never rounds to Rp 0
        "bps_code": code_hh.astype(np.int32),
        "block_id": code_hh * 100_000 + block,
        "household_id": code_hh * 10_000_000 + (np.arange(total, dtype=np.int64) - np.repeat(bounds[:-1], n)),
    })


def iter_population(
    calibrated: pd.DataFrame,
    year: int,
    scale: float | Mapping[int, float] | pd.Series = 0.01,
    seed: int = 0,
    households_per_block: int = 100,
    bps_codes: Iterable[int] | None = None,
    chunk_households: int = 2_000_000,
) -> Iterator[pd.DataFrame]:
    """Yield the households in chunks of whole kab/kota (Susenas columns, bps_code order), each chunk of about
    `chunk_households` at most (one kab/kota per chunk if it is larger), so full scale never sits in memory.

    `scale`: one sampling scale, or one per bps_code. Each kab/kota has its own generator seeded by (seed, year,
    bps_code): output does not depend on order, chunking or on which other kab/kota are generated.
    """
    rows = _population_rows(calibrated, year, bps_codes)
    scales = _row_scales(rows, scale)
    expected = rows["population_thousand"].to_numpy(float) * 1000 * scales / MEAN_HOUSEHOLD_SIZE
    start, acc = 0, 0.0
    for i, e in enumerate(expected):
        if i > start and acc + e > chunk_households:
            yield _households(rows.iloc[start:i], scales[start:i], seed, households_per_block)
            start, acc = i, 0.0
        acc += e
    yield _households(rows.iloc[start:], scales[start:], seed, households_per_block)


def generate_population(
    calibrated: pd.DataFrame,
    year: int,
    scale: float | Mapping[int, float] | pd.Series = 0.01,
    seed: int = 0,
    households_per_block: int = 100,
    bps_codes: Iterable[int] | None = None,
    max_households: int = 20_000_000,
) -> pd.DataFrame:
    """All households in one frame, bps_code order (small scales); use `iter_population` beyond
    `max_households`. Identical to the concatenated chunks of `iter_population`."""
    rows = _population_rows(calibrated, year, bps_codes)
    scales = _row_scales(rows, scale)
    expected = (rows["population_thousand"].to_numpy(float) * 1000 * scales / MEAN_HOUSEHOLD_SIZE).sum()
    if expected > max_households:
        raise MemoryError(f"~{expected:,.0f} households: stream with iter_population instead")
    return _households(rows, scales, seed, households_per_block)


def population_truth(population: pd.DataFrame | Iterable[pd.DataFrame], lines: pd.DataFrame) -> pd.DataFrame:
    """True person-level indices per kab/kota of a synthetic population (percent, as BPS publishes).

    `lines`: indexed by bps_code with poverty_line_rp and any extreme_line_<definition> columns.
    Returns bps_code-indexed n_households, n_persons, p0, p1, p2, extreme_rate_<definition>, poor_persons,
    poor_households.
    """
    frames = [population] if isinstance(population, pd.DataFrame) else population
    extreme_cols = [c for c in lines.columns if c.startswith("extreme_line_")]
    out = []
    for pop in frames:
        codes, uniq = pd.factorize(pop["bps_code"], sort=True)
        k = len(uniq)
        persons = pop["R301"].to_numpy(float)
        y = pop["KAPITA"].to_numpy(float)
        sel = lines.loc[uniq]
        z = sel["poverty_line_rp"].to_numpy()[codes]
        n_p = np.bincount(codes, persons, k)
        poor = y < z
        gap = np.where(poor, (z - y) / z, 0.0)
        res = {
            "n_households": np.bincount(codes, minlength=k),
            "n_persons": n_p,
            "p0": 100 * np.bincount(codes, persons * poor, k) / n_p,
            "p1": 100 * np.bincount(codes, persons * gap, k) / n_p,
            "p2": 100 * np.bincount(codes, persons * gap**2, k) / n_p,
            "poor_persons": np.bincount(codes, persons * poor, k),
            "poor_households": np.bincount(codes, poor.astype(float), k),
        }
        for c in extreme_cols:
            e = sel[c].to_numpy()[codes]
            res["extreme_rate_" + c.removeprefix("extreme_line_")] = 100 * np.bincount(codes, persons * (y < e), k) / n_p
        out.append(pd.DataFrame(res, index=pd.Index(uniq, name="bps_code")))
    return pd.concat(out).sort_index()
