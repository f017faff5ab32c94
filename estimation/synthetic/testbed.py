"""A Susenas-like test bed for the design-based simulation: clustered, full-size, two overlapping rounds.

The existing synthetic Susenas (`population.py`, `sample.py`) draws every household independently, so
poverty is uncorrelated within census blocks, and the pipeline samples 10% of the households. This bed
keeps the calibrated marginal model of each kab/kota and year (`calibration.py`: P0, P1 and the published
extreme rates) and adds what makes Susenas hard (docs/simulation.md has the full description):

* **clustering**: a household's expenditure is the calibrated quantile of a latent normal score
  w = sqrt(lambda) b_block + sqrt(1 - lambda) e_household (a Gaussian copula), so the marginal distribution
  of every kab/kota is exactly the calibrated one while households of one census block resemble each other;
* **kab/kota-specific extreme tails** that the covariates do not explain: the deep share q of each
  kab/kota is moved inside its feasible range by a persistent kab/kota effect on the logit of its relative
  position, N(0, `extreme_share_sd`^2), shifted per province and year so that each province's extreme rate
  at the calibrating line stays as calibrated; the tilt is re-solved so P0 and P1 stay exact;
* **realistic size**: the whole population is represented (`scale` = 1: ~73.5 million households in
  ~735,000 census blocks), and the sample is 345,000 x `scale` households, so about 0.47% of households are
  sampled at any scale;
* **two consecutive rounds** on one frame of blocks and households: block effects and household scores are
  autocorrelated between the rounds (`block_persistence`, `household_persistence`), and the second round's
  block sample keeps a share `overlap` of the first round's blocks (systematic PPS with a shifted start on
  a fixed random order of the blocks, so each round is an exact PPS sample).

Nothing is stored per household: every random number is a counter-based hash of (seed, stream, block or
household id), so any household can be generated on its own. The population truth streams over all
households once; a sample generates only its sampled households. Pure numpy/pandas, no Dagster, no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtr, ndtri
from scipy.stats import poisson

from estimation.synthetic.distribution import bisect_increasing, model_cdf, poor_quantile, solve_tilt
from estimation.synthetic.population import MEAN_HOUSEHOLD_SIZE, URBAN_SHARE_KABUPATEN, URBAN_SHARE_KOTA
from estimation.synthetic.sample import allocate_blocks

__all__ = [
    "SUSENAS_HOUSEHOLDS",
    "BedParams",
    "BlockFrame",
    "RoundsSample",
    "SusenasBed",
    "block_icc",
    "build_bed",
    "draw_rounds",
    "perturb_extreme_shares",
    "r_squared",
]

SUSENAS_HOUSEHOLDS = 345_000  # Susenas March households (the pipeline's synthetic sample uses the same)
_U53 = 2.0**-53
# hash streams (one per kind of random number)
_S_BLOCK0, _S_BLOCK1, _S_HH0, _S_HH1, _S_SIZE, _S_EXTREME = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class BedParams:
    """Parameters of the data-generating process (docs/simulation.md explains each choice)."""

    scale: float = 1.0  # share of the BPS population represented; the sample scales with it
    households_per_block: int = 100  # census blocks of 60-140% of this
    block_share: float = 0.30  # lambda: share of the latent score's variance that is between blocks
    block_persistence: float = 0.9  # correlation of a block's effect between consecutive rounds
    household_persistence: float = 0.6  # correlation of a household's own score between rounds
    extreme_share_sd: float = 1.0  # sd of the kab/kota effect on the logit of the deep-share position
    overlap: float = 0.5  # expected share of round-1 blocks kept in round 2
    sample_households: int = SUSENAS_HOUSEHOLDS  # at scale 1
    per_block: int = 10  # households sampled per block
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1:
            raise ValueError(f"scale must be in (0, 1], got {self.scale}")
        for name in ("block_share", "block_persistence", "household_persistence", "overlap"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {v}")


# ------------------------------------------------------------------------------------------- random numbers
def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(ids: np.ndarray, stream: int, seed: int) -> np.ndarray:
    """Uniform(0, 1) per id, a pure function of (seed, stream, id): random access to any unit."""
    salt = _mix(np.array([seed * 64 + stream], dtype=np.uint64))
    x = _mix(np.asarray(ids, dtype=np.int64).astype(np.uint64) ^ salt)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * _U53


def _normal(ids: np.ndarray, stream: int, seed: int) -> np.ndarray:
    return np.asarray(ndtri(_uniform(ids, stream, seed)))


# --------------------------------------------------------------------------------- kab/kota extreme tails
def perturb_extreme_shares(calibrated: pd.DataFrame, sd: float, seed: int = 0) -> pd.DataFrame:
    """Give every kab/kota its own deep share (see module docstring); returns a copy of `calibrated` with
    deep_share, tilt and every extreme_rate_<definition> recomputed, and deep_share_calibrated,
    extreme_effect (the kab/kota's N(0, 1) draw, the same in every year) added.

    Per year and province the logit shift is solved (bisection) so the population-weighted rate at the
    calibrating line, sum(pop P0 q) / sum(pop), is unchanged: the published province and national
    rates the calibration met stay met. sd = 0 returns the calibration's shares.
    """
    out = calibrated.copy()
    codes = out["bps_code"].astype(np.int64).to_numpy()
    effect = _normal(codes, _S_EXTREME, seed)
    lo, hi = out["deep_share_min"].to_numpy(float), out["deep_share_max"].to_numpy(float)
    q = out["deep_share"].to_numpy(float)
    width = np.maximum(hi - lo, 1e-12)
    base = logit(np.clip((q - lo) / width, 1e-4, 1 - 1e-4))
    w = out["population_thousand"].to_numpy(float) * out["p0"].to_numpy(float) / 100
    groups, _ = pd.factorize(pd.MultiIndex.from_arrays([out["year"].to_numpy(), out["prov_code"].to_numpy()]))
    n_groups = int(groups.max()) + 1
    target = np.bincount(groups, w * q, n_groups)

    def share(shift: np.ndarray) -> np.ndarray:
        return lo + width * expit(base + sd * effect + shift[groups])

    def excess(shift: np.ndarray) -> np.ndarray:
        return np.bincount(groups, w * share(shift), n_groups) - target

    shift = bisect_increasing(excess, np.full(n_groups, -30.0), np.full(n_groups, 30.0), 100)
    new_q = np.clip(share(shift), lo, hi) if sd > 0 else q
    out["deep_share_calibrated"] = q
    out["extreme_effect"] = effect
    out["deep_share"] = new_q
    out["tilt"] = solve_tilt(out["gap_ratio"].to_numpy(float), new_q, out["break_ratio"].to_numpy(float))
    p0 = out["p0"].to_numpy(float) / 100
    for col in [c for c in out.columns if c.startswith("extreme_line_")]:
        lines = out[col].to_numpy(float)
        rate = model_cdf(lines, out["poverty_line_rp"].to_numpy(float), p0, new_q, out["tilt"].to_numpy(float),
                         out["break_ratio"].to_numpy(float), out["sigma_u"].to_numpy(float))
        out["extreme_rate_" + col.removeprefix("extreme_line_")] = np.where(np.isnan(lines), np.nan, 100 * rate)
    return out


# ------------------------------------------------------------------------------------------------- frame
@dataclass(frozen=True)
class BlockFrame:
    """Census blocks of the whole population, in (kab/kota, urban first, block) order. Household h of block
    b has the global id start[b] + j, j < size[b]."""

    code: np.ndarray  # kab/kota code (int64) per block
    r105: np.ndarray  # 1 urban, 2 rural
    size: np.ndarray  # households
    start: np.ndarray  # global id of the block's first household

    @property
    def n_blocks(self) -> int:
        return int(self.size.size)

    @property
    def n_households(self) -> int:
        return int(self.size.sum())


def _build_frame(codes: np.ndarray, population_thousand: np.ndarray, params: BedParams) -> BlockFrame:
    n_hh = np.maximum(1, np.round(population_thousand * 1000 * params.scale / MEAN_HOUSEHOLD_SIZE)).astype(np.int64)
    h = params.households_per_block
    lo_b, hi_b = max(1, int(0.6 * h)), int(1.4 * h) + 1
    out_code, out_r105, out_size = [], [], []
    for code, n in zip(codes, n_hh, strict=True):
        rng = np.random.default_rng([params.seed, 11, int(code)])
        urban_share = URBAN_SHARE_KOTA if code % 100 >= 71 else URBAN_SHARE_KABUPATEN
        n_urban = round(n * urban_share)
        for r105, cnt in ((1, n_urban), (2, int(n) - n_urban)):
            if cnt <= 0:
                continue
            sizes = rng.integers(lo_b, hi_b, cnt // lo_b + 2)
            cum = np.cumsum(sizes)
            k = int(np.searchsorted(cum, cnt)) + 1
            sizes = sizes[:k].copy()
            sizes[-1] -= int(cum[k - 1]) - cnt
            if k > 1 and sizes[-1] < lo_b:  # a short last piece joins the block before it
                sizes[-2] += sizes[-1]
                sizes = sizes[:-1]
            out_code.append(np.full(sizes.size, code, dtype=np.int64))
            out_r105.append(np.full(sizes.size, r105, dtype=np.int8))
            out_size.append(sizes.astype(np.int64))
    size = np.concatenate(out_size)
    return BlockFrame(np.concatenate(out_code), np.concatenate(out_r105), size, np.r_[0, np.cumsum(size)[:-1]])


# ------------------------------------------------------------------------------------------------- the bed
@dataclass(frozen=True)
class SusenasBed:
    """Two consecutive rounds (`years`) of a clustered population on one frame of blocks and households."""

    years: tuple[int, int]
    params: BedParams
    frame: BlockFrame
    areas: pd.DataFrame  # int bps_code index (sorted): prov_code and, per round t (0, 1), the model columns
    calibrated: pd.DataFrame  # the perturbed calibration rows of both years
    line_definition: str
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)  # filled by build_bed
    diagnostics: dict[str, float] = field(default_factory=dict)

    def household_values(self, hh: np.ndarray, blk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(household size, KAPITA of shape (2, n)) of households `hh` (global ids) in blocks `blk`."""
        p, seed = self.params, self.params.seed
        lam = p.block_share
        b0 = _normal(blk, _S_BLOCK0, seed)
        b1 = p.block_persistence * b0 + np.sqrt(1 - p.block_persistence**2) * _normal(blk, _S_BLOCK1, seed)
        e0 = _normal(hh, _S_HH0, seed)
        e1 = p.household_persistence * e0 + np.sqrt(1 - p.household_persistence**2) * _normal(hh, _S_HH1, seed)
        size = _household_size(_uniform(hh, _S_SIZE, seed))
        pos = np.searchsorted(self.areas.index.to_numpy(), self.frame.code[blk])
        kapita = np.empty((2, hh.size))
        for t, (b, e) in enumerate(((b0, e0), (b1, e1))):
            w = np.sqrt(lam) * b + np.sqrt(1 - lam) * e
            a = self.areas
            z, p0 = a[f"z_{t}"].to_numpy()[pos], a[f"p0_{t}"].to_numpy()[pos]
            mu, sigma = a[f"mu_{t}"].to_numpy()[pos], a[f"sigma_{t}"].to_numpy()[pos]
            poor = w < ndtri(p0)
            y = np.maximum(np.exp(mu + sigma * w), z)
            ip = np.flatnonzero(poor)
            q, k, r = (a[f"{c}_{t}"].to_numpy()[pos[ip]] for c in ("q", "k", "r"))
            y[ip] = z[ip] * poor_quantile(q, k, r, np.clip(ndtr(w[ip]) / p0[ip], 0.0, 1.0))
            kapita[t] = np.maximum(np.round(y), 1.0)
        return size, kapita


_SIZE_CDF = poisson.cdf(np.arange(14), MEAN_HOUSEHOLD_SIZE - 1)


def _household_size(u: np.ndarray) -> np.ndarray:
    """1 + Poisson(2.8) capped at 15, as `population.py` (independent of expenditure)."""
    return (1 + np.searchsorted(_SIZE_CDF, u)).astype(np.int64)


def build_bed(calibrated: pd.DataFrame, years: Sequence[int], line_definition: str, params: BedParams,
              chunk_households: int = 4_000_000) -> SusenasBed:
    """The bed of two consecutive rounds from `calibrate_panel` output holding both `years`, with its
    population truth (a pass over every household) and population diagnostics.

    truth: one row per kab/kota and round t (0, 1) with year, n_households, n_persons, true_p0,
    true_extreme_rate (proportions, person-weighted, extreme at the kab/kota line of `line_definition`).
    diagnostics: block_icc_p0 (ANOVA intra-block correlation of the household poverty indicator, within
    kab/kota, pooled), persistence_poor (share of the round-1 poor persons who are poor in round 2),
    n_households, n_blocks.
    """
    y0, y1 = (int(y) for y in years)
    line_col = f"extreme_line_{line_definition}"
    cal = perturb_extreme_shares(calibrated[calibrated["year"].isin([y0, y1])], params.extreme_share_sd,
                                 params.seed)
    cal = cal.assign(bps_code=cal["bps_code"].astype(np.int64))
    rows = [cal[cal["year"] == y].set_index("bps_code").sort_index() for y in (y0, y1)]
    common = rows[0].index.intersection(rows[1].index)
    areas = pd.DataFrame(index=common)
    areas["prov_code"] = rows[1].loc[common, "prov_code"].astype(np.int64)
    areas["population_thousand"] = rows[1].loc[common, "population_thousand"]
    for t, r in enumerate(rows):
        r = r.loc[common]
        sigma = r["sigma_u"].to_numpy(float)
        p0 = r["p0"].to_numpy(float) / 100
        areas[f"p0_{t}"] = p0
        areas[f"z_{t}"] = r["poverty_line_rp"].to_numpy(float)
        areas[f"sigma_{t}"] = sigma
        areas[f"mu_{t}"] = np.log(areas[f"z_{t}"].to_numpy()) - sigma * ndtri(p0)
        areas[f"q_{t}"], areas[f"k_{t}"], areas[f"r_{t}"] = r["deep_share"], r["tilt"], r["break_ratio"]
        areas[f"e_{t}"] = r[line_col].to_numpy(float)
        areas[f"model_extreme_{t}"] = r["extreme_rate_" + line_definition].to_numpy(float) / 100
    if areas[["e_0", "e_1"]].isna().any().any():
        raise ValueError(f"no extreme line {line_definition!r} in {y0} or {y1}")
    frame = _build_frame(common.to_numpy(np.int64), areas["population_thousand"].to_numpy(float), params)
    bed = SusenasBed((y0, y1), params, frame, areas, cal, line_definition)
    truth, diag = _population_truth(bed, chunk_households)
    return SusenasBed((y0, y1), params, frame, areas, cal, line_definition, truth, diag)


def _population_truth(bed: SusenasBed, chunk_households: int) -> tuple[pd.DataFrame, dict[str, float]]:
    f, a = bed.frame, bed.areas
    k = len(a)
    codes = a.index.to_numpy()
    acc = {key: np.zeros(k) for key in ("hh", "persons", "poor0", "poor1", "ext0", "ext1", "both")}
    blk_hh = np.zeros(f.n_blocks)
    blk_poor = np.zeros(f.n_blocks)
    bounds = np.searchsorted(np.cumsum(f.size), np.arange(chunk_households, f.n_households, chunk_households))
    for lo_b, hi_b in zip(np.r_[0, bounds], np.r_[bounds, f.n_blocks], strict=True):
        if hi_b <= lo_b:
            continue
        blk = np.repeat(np.arange(lo_b, hi_b), f.size[lo_b:hi_b])
        hh = f.start[blk] + (np.arange(blk.size) - np.repeat(np.cumsum(np.r_[0, f.size[lo_b:hi_b]])[:-1],
                                                             f.size[lo_b:hi_b]))
        size, kap = bed.household_values(hh, blk)
        pos = np.searchsorted(codes, f.code[blk])
        persons = size.astype(float)
        poor = [kap[t] < a[f"z_{t}"].to_numpy()[pos] for t in (0, 1)]
        ext = [kap[t] < a[f"e_{t}"].to_numpy()[pos] for t in (0, 1)]
        acc["hh"] += np.bincount(pos, minlength=k)
        acc["persons"] += np.bincount(pos, persons, k)
        for t in (0, 1):
            acc[f"poor{t}"] += np.bincount(pos, persons * poor[t], k)
            acc[f"ext{t}"] += np.bincount(pos, persons * ext[t], k)
        acc["both"] += np.bincount(pos, persons * (poor[0] & poor[1]), k)
        rel = blk - lo_b
        blk_hh[lo_b:hi_b] = np.bincount(rel, minlength=hi_b - lo_b)
        blk_poor[lo_b:hi_b] = np.bincount(rel, poor[1].astype(float), hi_b - lo_b)
    truth = pd.concat([pd.DataFrame({
        "bps_code": codes, "prov_code": a["prov_code"].to_numpy(), "round": t, "year": bed.years[t],
        "n_households": acc["hh"], "n_persons": acc["persons"],
        "true_p0": acc[f"poor{t}"] / acc["persons"], "true_extreme_rate": acc[f"ext{t}"] / acc["persons"],
    }) for t in (0, 1)], ignore_index=True)
    area_of_block = np.searchsorted(codes, f.code)
    diag = {
        "block_icc_p0": block_icc(blk_hh, blk_poor, area_of_block),
        "persistence_poor": float(acc["both"].sum() / acc["poor0"].sum()),
        "n_households": float(f.n_households),
        "n_blocks": float(f.n_blocks),
    }
    return truth, diag


def block_icc(n: np.ndarray, total: np.ndarray, group: np.ndarray) -> float:
    """One-way ANOVA intra-block correlation of a 0/1 variable from per-block counts `n` and sums `total`,
    blocks nested in `group` (block variation around each group's own mean; pooled over groups)."""
    n, total = np.asarray(n, float), np.asarray(total, float)
    keep = n > 0
    n, total, group = n[keep], total[keep], np.asarray(group)[keep]
    g, _ = pd.factorize(group)
    n_g = np.bincount(g, n)
    mean_g = np.bincount(g, total) / n_g
    mean_b = total / n
    ssb = float((n * (mean_b - mean_g[g]) ** 2).sum())
    ssw = float((total - total**2 / n).sum())  # 0/1: sum x^2 = sum x
    n_blocks, n_groups, n_all = n.size, n_g.size, n.sum()
    msb = ssb / (n_blocks - n_groups)
    msw = ssw / (n_all - n_blocks)
    m0 = (n_all - float((np.bincount(g, n**2) / n_g).sum())) / (n_blocks - n_groups)
    return float((msb - msw) / (msb + (m0 - 1) * msw))


# ------------------------------------------------------------------------------------------------- sample
@dataclass(frozen=True)
class RoundsSample:
    """Samples of the two rounds (Susenas columns + WERT, WEIND, stratum, psu) and the share of round-1
    sampled blocks that round 2 kept."""

    rounds: tuple[pd.DataFrame, pd.DataFrame]
    overlap_share: float
    sampling_fraction: float  # households sampled / households in the population (round 2)


def _rotation_shift(m: np.ndarray, overlap: float) -> float:
    """delta with sum(max(0, m - delta)) = overlap * sum(m): the expected share of PPS-selected blocks that
    a start shifted by delta keeps (each selected block holds one point, uniform inside it)."""
    s = np.sort(m.astype(float))[::-1]
    target = overlap * s.sum()
    cum = np.cumsum(s)
    # with the j largest blocks above delta: sum = cum[j-1] - j delta, valid when s[j] <= delta <= s[j-1]
    j = np.arange(1, s.size + 1)
    d = (cum - target) / j
    ok = np.flatnonzero((d >= np.r_[s[1:], 0.0]) & (d <= s))
    return float(d[ok[0]]) if ok.size else 0.0


def _select_stratum(m: np.ndarray, n: int, overlap: float, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocks of rounds 1 and 2 in one stratum (indices into m) and the inclusion probability per block."""
    nb = m.size
    if n >= nb:
        every = np.arange(nb)
        return every, every, np.ones(nb)
    order = rng.permutation(nb)
    mo = m[order].astype(float)
    total = mo.sum()
    step = total / n
    if mo.max() <= step:  # systematic PPS on a fixed random order; round 2 shifts the start by delta
        cum = np.cumsum(mo)
        start = rng.uniform(0, step)
        delta = _rotation_shift(mo, overlap)
        pts0 = start + step * np.arange(n)
        pts1 = np.mod(pts0 + delta, total)
        sel0 = np.searchsorted(cum, pts0, side="right")
        sel1 = np.searchsorted(cum, pts1, side="right")
        pi = np.empty(nb)
        pi[order] = mo / step
        return order[sel0], order[np.unique(sel1)], pi
    keep = round(overlap * n)  # SRS on a random circle: round 2 is the window n - keep further on
    sel0 = order[:n]
    sel1 = np.take(order, np.arange(n - keep, 2 * n - keep), mode="wrap")
    return sel0, np.unique(sel1), np.full(nb, n / nb)


def _stratum_split(n_blocks: int, hh: np.ndarray, avail: np.ndarray) -> np.ndarray:
    exact = n_blocks * hh / hh.sum()
    return np.minimum(np.maximum(np.round(exact).astype(np.int64), np.minimum(2, avail)), avail)


def draw_rounds(bed: SusenasBed, seed: int) -> RoundsSample:
    """One replicate: the round-1 and round-2 Susenas-like samples (strata kab/kota x R105, blocks by
    systematic PPS on household counts with the rotation of the module docstring, `per_block` households by
    SRS in each selected block, drawn afresh each round). Weights stand for the full BPS population."""
    f, p = bed.frame, bed.params
    hh_area = pd.Series(np.bincount(np.searchsorted(bed.areas.index.to_numpy(), f.code), f.size,
                                    len(bed.areas)), index=bed.areas.index)
    allocation = allocate_blocks(hh_area, round(p.sample_households * p.scale), p.per_block)
    rng = np.random.default_rng([p.seed, 23, seed])
    strata = np.flatnonzero(np.r_[True, (np.diff(f.code) != 0) | (np.diff(f.r105) != 0)])
    s_end = np.r_[strata[1:], f.n_blocks]
    area_first = np.flatnonzero(np.r_[True, np.diff(f.code[strata]) != 0])
    sel: list[list[np.ndarray]] = [[], []]
    pis: list[list[np.ndarray]] = [[], []]
    kept = total0 = 0
    for i, first in enumerate(area_first):
        last = area_first[i + 1] if i + 1 < area_first.size else strata.size
        st = np.arange(first, last)
        hh = np.array([f.size[strata[s]:s_end[s]].sum() for s in st], dtype=float)
        avail = s_end[st] - strata[st]
        n_take = _stratum_split(int(allocation.loc[f.code[strata[first]]]), hh, avail)
        for s, n in zip(st, n_take, strict=True):
            a, b = int(strata[s]), int(s_end[s])
            r0, r1, pi = _select_stratum(f.size[a:b], int(n), p.overlap, rng)
            kept += np.intersect1d(r0, r1).size
            total0 += r0.size
            for t, r in enumerate((r0, r1)):
                sel[t].append(a + r)
                pis[t].append(pi[r])
    out = []
    for t in (0, 1):
        blocks, pi = np.concatenate(sel[t]), np.concatenate(pis[t])
        m = f.size[blocks]
        take = np.minimum(p.per_block, m)
        keys = rng.random((blocks.size, max(int(m.max()), p.per_block)))
        keys[np.arange(keys.shape[1])[None, :] >= m[:, None]] = 2.0
        j = np.argsort(keys, axis=1)[:, :p.per_block]
        valid = j < m[:, None]
        blk = np.repeat(blocks, p.per_block)[valid.ravel()]
        hh = (f.start[blocks][:, None] + j)[valid]
        size, kap = bed.household_values(hh, blk)
        code = f.code[blk]
        wert = (1.0 / (pi * take / m)) / p.scale
        wert_hh = np.repeat(wert, p.per_block)[valid.ravel()]
        out.append(pd.DataFrame({
            "R101": (code // 100).astype(np.int16), "R102": (code % 100).astype(np.int16),
            "R105": f.r105[blk], "R301": size, "KAPITA": kap[t], "bps_code": code.astype(np.int32),
            "block_id": blk, "household_id": hh, "WERT": wert_hh, "WEIND": wert_hh * size,
            "stratum": code * 10 + f.r105[blk], "psu": blk,
        }))
    return RoundsSample((out[0], out[1]), kept / max(total0, 1), len(out[1]) / f.n_households)


# ------------------------------------------------------------------------------------------------- checks
def r_squared(y: np.ndarray, X: np.ndarray) -> float:
    """R^2 of the OLS fit of y on X (X holds its intercept column)."""
    y = np.asarray(y, float)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    return float(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))
