"""Stratified two-stage sample like Susenas March, drawn from a synthetic population.

Strata: kab/kota x urban/rural (R105). Stage 1: census blocks (PSU) by systematic PPS on the number of
households, after a random shuffle of the blocks; a stratum where PPS would give a block probability above 1
falls back to simple random sampling of blocks. Stage 2: 10 households by SRS in each selected block (all
when fewer). Allocation: blocks per kab/kota proportional to sqrt(households) (largest remainder), so small
kab/kota get usable samples; within a kab/kota proportional to households, at least 2 blocks per stratum that
has 2 or more (no lonely PSU), never more than the stratum has.
Weights: WERT = 1 / (pi_block * m_b / M_b), WEIND = R301 x WERT.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["allocate_blocks", "draw_sample", "expected_households"]

HOUSEHOLDS_PER_BLOCK = 10


def expected_households(calibrated: pd.DataFrame, year: int, scale: float) -> pd.Series:
    """Expected household count per kab/kota of `iter_population(calibrated, year, scale)`."""
    from estimation.synthetic.population import MEAN_HOUSEHOLD_SIZE

    rows = calibrated[calibrated["year"] == year].set_index("bps_code")
    return (rows["population_thousand"] * 1000 * scale / MEAN_HOUSEHOLD_SIZE).round().clip(lower=1)


def allocate_blocks(households: pd.Series, total_households: int = 345_000,
                    per_block: int = HOUSEHOLDS_PER_BLOCK) -> pd.Series:
    """Blocks per kab/kota, proportional to sqrt(households), summing to total_households / per_block."""
    total_blocks = round(total_households / per_block)
    share = np.sqrt(households.to_numpy(float))
    exact = total_blocks * share / share.sum()
    alloc = np.floor(exact).astype(np.int64)
    remainder = total_blocks - alloc.sum()
    alloc[np.argsort(-(exact - alloc), kind="stable")[:remainder]] += 1
    return pd.Series(np.maximum(alloc, 2), index=households.index, name="n_blocks")


def _split_strata(n_blocks: int, stratum_hh: np.ndarray, stratum_blocks: np.ndarray) -> np.ndarray:
    """Blocks per stratum of one kab/kota: proportional to households, >= 2 where possible, <= available."""
    exact = n_blocks * stratum_hh / stratum_hh.sum()
    alloc = np.maximum(np.round(exact).astype(np.int64), np.minimum(2, stratum_blocks))
    return np.minimum(alloc, stratum_blocks)


def _sample_kabkota(pop: pd.DataFrame, n_blocks: int, rng: np.random.Generator) -> pd.DataFrame:
    block_ids, inverse, m_all = np.unique(pop["block_id"].to_numpy(), return_inverse=True, return_counts=True)
    r105_all = np.zeros(len(block_ids), dtype=np.int64)
    r105_all[inverse] = pop["R105"].to_numpy()
    perm = rng.permutation(len(block_ids))
    perm = perm[np.argsort(r105_all[perm], kind="stable")]  # shuffled blocks, urban stratum first
    areas, first, n_avail = np.unique(r105_all[perm], return_index=True, return_counts=True)
    hh = np.add.reduceat(m_all[perm], first)
    n_take = _split_strata(n_blocks, hh.astype(float), n_avail)
    chosen, pis = [], []
    for k in range(len(areas)):  # two strata at most: the loop is over strata, not units
        b = perm[first[k]:first[k] + n_avail[k]]
        m_b = m_all[b].astype(float)
        n = int(n_take[k])
        pi = n * m_b / m_b.sum()
        if n >= len(b):
            idx, pi = np.arange(len(b)), np.ones(len(b))
        elif pi.max() <= 1:  # systematic PPS
            step = m_b.sum() / n
            idx = np.searchsorted(np.cumsum(m_b), rng.uniform(0, step) + step * np.arange(n), side="right")
        else:  # SRS fallback
            idx, pi = rng.choice(len(b), n, replace=False), np.full(len(b), n / len(b))
        chosen.append(b[idx])
        pis.append(pi[idx])
    pi_block = np.zeros(len(block_ids))
    sel = np.concatenate(chosen)
    pi_block[sel] = np.concatenate(pis)
    # SRS of households within selected blocks: random keys, keep the first 10 per block
    in_sel = np.flatnonzero(pi_block[inverse] > 0)
    order = in_sel[np.lexsort((rng.random(in_sel.size), inverse[in_sel]))]
    blk = inverse[order]
    starts = np.r_[0, np.flatnonzero(np.diff(blk)) + 1]
    rank = np.arange(blk.size) - np.repeat(starts, np.diff(np.r_[starts, blk.size]))
    keep = order[rank < HOUSEHOLDS_PER_BLOCK]
    out = pop.iloc[np.sort(keep)].copy()
    b = inverse[np.sort(keep)]
    m_b = m_all[b]
    out["WERT"] = 1.0 / (pi_block[b] * np.minimum(HOUSEHOLDS_PER_BLOCK, m_b) / m_b)
    out["WEIND"] = out["WERT"] * out["R301"]
    out["stratum"] = out["bps_code"].astype(np.int64) * 10 + out["R105"]
    out["psu"] = out["block_id"]
    return out


def draw_sample(population: pd.DataFrame | Iterable[pd.DataFrame], allocation: pd.Series,
                seed: int = 0) -> pd.DataFrame:
    """Susenas-like sample: population columns plus stratum, psu, WERT, WEIND.

    `population`: one frame or an iterator of per-kab/kota frames (e.g. `iter_population`), so a full-scale
    population is sampled while streaming. `allocation`: blocks per bps_code (`allocate_blocks`). Each
    kab/kota draws from its own generator seeded by (seed, bps_code): deterministic and order-free.
    """
    frames = [population] if isinstance(population, pd.DataFrame) else population
    out = []
    for frame in frames:
        for code, pop in frame.groupby("bps_code", sort=True):
            if code not in allocation.index:
                continue
            rng = np.random.default_rng([seed, int(code)])
            out.append(_sample_kabkota(pop, int(allocation.loc[code]), rng))
    return pd.concat(out, ignore_index=True)
