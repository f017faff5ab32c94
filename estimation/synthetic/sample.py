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
    total_blocks = int(round(total_households / per_block))
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
    blocks = pop.groupby("block_id", sort=True).agg(R105=("R105", "first"), M=("R105", "size")).reset_index()
    blocks = blocks.iloc[rng.permutation(len(blocks))].sort_values("R105", kind="stable").reset_index(drop=True)
    strata = blocks.groupby("R105", sort=True).agg(hh=("M", "sum"), B=("M", "size"))
    strata["n"] = _split_strata(n_blocks, strata["hh"].to_numpy(float), strata["B"].to_numpy())
    chosen, pis = [], []
    for r105, st in strata.iterrows():  # two strata at most: loop is over strata, not units
        b = blocks[blocks["R105"] == r105]
        m_b = b["M"].to_numpy(float)
        n = int(st["n"])
        pi = n * m_b / m_b.sum()
        if n >= len(b):
            idx, pi = np.arange(len(b)), np.ones(len(b))
        elif pi.max() <= 1:  # systematic PPS
            step = m_b.sum() / n
            points = rng.uniform(0, step) + step * np.arange(n)
            idx = np.searchsorted(np.cumsum(m_b), points, side="right")
        else:  # SRS fallback
            idx, pi = rng.choice(len(b), n, replace=False), np.full(len(b), n / len(b))
        chosen.append(b["block_id"].to_numpy()[idx])
        pis.append(pi[idx])
    sel = pd.DataFrame({"block_id": np.concatenate(chosen), "pi_block": np.concatenate(pis)})
    units = pop[pop["block_id"].isin(sel["block_id"])]
    # SRS of households within block: random keys, keep the first 10 per block
    key = rng.random(len(units))
    order = np.lexsort((key, units["block_id"].to_numpy()))
    units = units.iloc[order]
    rank = units.groupby("block_id").cumcount().to_numpy()
    size_b = units.groupby("block_id")["block_id"].transform("size").to_numpy()
    take = rank < HOUSEHOLDS_PER_BLOCK
    out = units[take].merge(sel, on="block_id", how="left")
    m_take = np.minimum(HOUSEHOLDS_PER_BLOCK, size_b[take])
    out["WERT"] = 1.0 / (out["pi_block"].to_numpy() * m_take / size_b[take])
    out["WEIND"] = out["WERT"] * out["R301"]
    out["stratum"] = out["bps_code"].astype(np.int64) * 10 + out["R105"]
    out["psu"] = out["block_id"]
    return out.drop(columns="pi_block")


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
