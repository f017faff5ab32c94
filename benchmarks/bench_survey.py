"""Speed of the direct survey estimator on a Susenas-sized design (345,000 households, 514 kab/kota)."""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.timing import best_of
from estimation.survey.direct import direct_fgt, direct_poverty, fgt_values


def _design(n_domains: int, blocks_per_domain: int, seed: int = 0):
    """Strata = domain x urban/rural, 10 households per census block (PSU), lognormal expenditure."""
    rng = np.random.default_rng(seed)
    n_blocks = n_domains * blocks_per_domain
    block = np.repeat(np.arange(n_blocks), 10)
    domain = block // blocks_per_domain
    urban = (block % blocks_per_domain) < blocks_per_domain // 3
    strata = domain * 2 + urban
    y = np.exp(13.3 + np.repeat(rng.normal(0, 0.25, n_blocks), 10) + rng.normal(0, 0.45, block.size))
    line = np.repeat(rng.uniform(450_000, 750_000, n_domains), blocks_per_domain * 10)
    w = np.repeat(rng.uniform(100, 400, n_blocks), 10)
    size = rng.integers(1, 9, block.size)
    return y, line, w, domain, strata, block, size


def run(quick: bool = False) -> list[tuple[str, float, str]]:
    """The benchmark lines; `quick` (the format test) uses 50 domains, once each: its values mean nothing."""
    repeats = 1 if quick else 3
    y, line, w, domain, strata, psu, size = _design(50 if quick else 514, 67)  # 344,380 households
    t_fgt = best_of(lambda: direct_fgt(y, line, w * size, domain, strata, psu), repeats)
    t_full = best_of(lambda: direct_poverty(y, line, w, domain, strata, psu, household_size=size), repeats)
    results = [
        ("direct_fgt_345k_households_seconds", t_fgt, "s"),
        ("direct_poverty_345k_households_seconds", t_full, "s"),
    ]
    # samplics loops over domains and strata in Python: compare on a smaller design it can finish
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from samplics.estimation import TaylorEstimator
            from samplics.utils.types import PopParam
    except ImportError:  # samplics is a test-only dependency
        return results
    y, line, w, domain, strata, psu, size = _design(5 if quick else 20, 60, seed=1)
    g = fgt_values(y, line)

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            TaylorEstimator(PopParam.mean).estimate(y=g, samp_weight=w, stratum=strata, psu=psu, domain=domain)

    t_peer = best_of(peer, 1)
    t_ours = best_of(lambda: direct_fgt(y, line, w, domain, strata, psu), repeats)
    results.append(("direct_speedup_vs_samplics", t_peer / t_ours, "x"))  # 12,000 households, 20 domains
    return results


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:.4g} {unit}")
