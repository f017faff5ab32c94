"""Speed of the change between rounds: the multivariate Fay-Herriot on 514 generated kab/kota and the
direct covariance of two Susenas-size rounds (estimation/sae/multivariate.py, estimation/survey/change.py).

The change's fit is the published configuration (`estimation.sae.change.model_change`: adjusted REML, area
effects proportional to the sampling variances); peer in the same run: the two univariate fits of the same
configuration it replaces (samplics has no multivariate Fay-Herriot). The 4-round fit is REML, homoscedastic."""

from __future__ import annotations

import numpy as np

from benchmarks.timing import best_of
from estimation.sae.change import effect_scales, model_change
from estimation.sae.fay_herriot import fay_herriot
from estimation.sae.multivariate import multivariate_fay_herriot
from estimation.survey.change import direct_change, round_scores

M = 514
ROUNDS = 4  # 2022-2025, the rounds with a published extreme-poverty rate
P = 8  # intercept + 7 covariates per round, as the pipeline's design matrix


def _rounds(seed: int = 514, rounds: int = ROUNDS) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Direct P0-like estimates of `rounds` rounds with AR(1)-correlated area effects and design covariances."""
    rng = np.random.default_rng(seed)
    X = [np.column_stack([np.ones(M), rng.normal(size=(M, P - 1))]) for _ in range(rounds)]
    lag = np.abs(np.subtract.outer(np.arange(rounds), np.arange(rounds)))
    su = 0.0004 * 0.9**lag
    mu = np.column_stack([x @ np.r_[0.1, 0.01 * rng.normal(size=P - 1)] for x in X])
    mu += rng.multivariate_normal(np.zeros(rounds), su, size=M)
    d = rng.uniform(0.0002, 0.002, (M, rounds))
    ve = np.sqrt(d[:, :, None] * d[:, None, :]) * 0.3**lag
    y = mu + np.einsum("dkl,dl->dk", np.linalg.cholesky(ve), rng.standard_normal((M, rounds)))
    return y, X, ve


def _two_round_sample(seed: int = 7, households: int = 345_000, per_block: int = 10):
    """Two rounds of a stratified cluster sample (1,028 strata), half the blocks common to both rounds."""
    rng = np.random.default_rng(seed)
    blocks = households // per_block
    strata = rng.integers(0, 2 * M, blocks)
    common = rng.random(blocks) < 0.5
    out = []
    for r in (0, 1):
        ids = np.where(common, np.arange(blocks), np.arange(blocks) + (r + 1) * blocks)
        psu = np.repeat(ids, per_block)
        stratum = np.repeat(strata, per_block)
        effect = np.repeat(rng.normal(size=blocks), per_block)
        y = np.exp(0.3 + 0.5 * effect + 0.5 * rng.normal(size=psu.size))
        out.append((y, np.full(psu.size, 200.0), stratum // 2, stratum, psu, rng.integers(1, 8, psu.size)))
    return out


def run(quick: bool = False) -> list[tuple[str, float, str]]:
    """The benchmark lines; `quick` (the format test) repeats once: its values mean nothing."""
    repeats = 1 if quick else 5
    y, X, ve = _rounds()
    pairs = [(t, t + 1) for t in range(ROUNDS - 1)]

    def bivariate(t: int, u: int) -> None:  # what poverty_change_kabkota fits: AMRL, proportional area effects
        model_change(y[:, t], y[:, u], X[t], X[u], ve[:, [t, u]][:, :, [t, u]])

    def bivariate_reml(t: int, u: int) -> None:
        fit = multivariate_fay_herriot(y[:, [t, u]], [X[t], X[u]], ve[:, [t, u]][:, :, [t, u]])
        fit.contrast([-1.0, 1.0])

    one = best_of(lambda: bivariate(0, 1), repeats)
    all_pairs = best_of(lambda: [bivariate(t, u) for t, u in pairs], repeats)
    reml = best_of(lambda: bivariate_reml(0, 1), repeats)
    k = effect_scales(ve[:, :2][:, :, :2])
    univariate = best_of(lambda: [fay_herriot(y[:, j], X[j], ve[:, j, j], "AMRL", mse="prasad_rao", effect_scale=k[:, j])
                                  for j in (0, 1)], repeats)
    four = best_of(lambda: multivariate_fay_herriot(y, X, ve), 1 if quick else 3)
    rounds = _two_round_sample(households=20_000 if quick else 345_000)

    def covariance() -> None:
        a, b = (round_scores(yy, 1.0, w, dom, st, psu, household_size=size) for yy, w, dom, st, psu, size in rounds)
        direct_change(a, b)

    direct = best_of(covariance, 1 if quick else 3)
    return [
        ("bivariate_fh_change_514_seconds", one, "s"),
        (f"bivariate_fh_change_514_x{len(pairs)}_pairs_seconds", all_pairs, "s"),
        ("univariate_fh_amrl_514_x2_seconds", univariate, "s"),
        ("bivariate_vs_two_univariate_ratio", one / univariate, "x"),
        ("bivariate_fh_reml_514_seconds", reml, "s"),
        (f"multivariate_fh_reml_514_x{ROUNDS}_rounds_seconds", four, "s"),
        ("direct_change_cov_345k_x2_seconds", direct, "s"),
    ]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}\t{value:.6g}\t{unit}")
