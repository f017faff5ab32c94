"""Direct change between rounds: the covariance from the common PSUs (estimation/survey/change.py).

Checked three ways: (1) both rounds the same sample: the covariance of an estimate with itself is
`direct_fgt`'s variance, and the variance of the change equals the difference linearised as one
estimator on the stacked sample, computed here by an explicit loop over strata (an independent
implementation); (2) a brute-force simulation of a rotating two-round cluster design: the average estimated
covariance and variance of the change match their Monte Carlo values, while ignoring the covariance
overstates the variance by far; (3) disjoint samples give zero covariance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimation.survey.change import change_table, direct_change, round_covariance, round_scores
from estimation.survey.direct import direct_fgt

Z = 1.0  # poverty line


def _population(rng, n_strata=6, blocks=240, per_block=20, rho_block=0.9, rho_hh=0.6):
    """Two rounds of a clustered population: latent block + household scores, AR(1) between rounds."""
    stratum = np.repeat(np.arange(n_strata), blocks * per_block)
    block = np.repeat(np.arange(n_strata * blocks), per_block)
    b0 = rng.standard_normal(n_strata * blocks)
    b1 = rho_block * b0 + np.sqrt(1 - rho_block**2) * rng.standard_normal(b0.size)
    e0 = rng.standard_normal(block.size)
    e1 = rho_hh * e0 + np.sqrt(1 - rho_hh**2) * rng.standard_normal(block.size)
    shift = np.repeat(np.linspace(-0.3, 0.6, n_strata), blocks * per_block)  # P0 varies by stratum
    y0 = np.exp(0.5 + shift + 0.6 * b0[block] + 0.5 * e0)
    y1 = np.exp(0.55 + shift + 0.6 * b1[block] + 0.5 * e1)
    size = 1 + rng.poisson(2.8, block.size)
    return pd.DataFrame({"stratum": stratum, "psu": block, "y0": y0, "y1": y1, "size": size})


def _draw(pop, rng, n_blocks=8, keep=4, per_block=8, replicates=1):
    """SRS of blocks per stratum; round 2 keeps `keep` of round 1's blocks; households drawn afresh. With
    `replicates` > 1 the replicates are stacked as separate strata, domains and PSUs (replicate r, stratum h
    becomes stratum r * S + h), so one call scores them all."""
    n_strata = int(pop["stratum"].max()) + 1
    blocks = (int(pop["psu"].max()) + 1) // n_strata
    size_b = len(pop) // (n_strata * blocks)
    cube = {c: pop[c].to_numpy().reshape(n_strata, blocks, size_b) for c in ("psu", "size", "y0", "y1")}
    order = np.argsort(rng.random((replicates, n_strata, blocks)), axis=2)
    chosen = (order[:, :, :n_blocks], np.concatenate([order[:, :, :keep], order[:, :, n_blocks:2 * n_blocks - keep]],
                                                     axis=2))
    out = []
    for r in (0, 1):
        blk = chosen[r]  # (R, S, n)
        hh = np.argsort(rng.random((replicates, n_strata, n_blocks, size_b)), axis=3)[..., :per_block]
        h_idx = np.arange(n_strata)[None, :, None, None]
        b_idx = blk[..., None]
        rep = np.arange(replicates)[:, None, None, None]
        shape = (replicates, n_strata, n_blocks, per_block)
        stratum = np.broadcast_to(rep * n_strata + h_idx, shape).ravel()
        out.append(pd.DataFrame({
            "stratum": stratum, "domain": stratum,
            "psu": np.broadcast_to(rep * pop["psu"].size + cube["psu"][h_idx, b_idx, hh], shape).ravel(),
            "size": cube["size"][h_idx, b_idx, hh].ravel(), "y": cube[f"y{r}"][h_idx, b_idx, hh].ravel(),
            "w": (blocks / n_blocks) * (size_b / per_block)}))
    return out


def _scores(s):
    return round_scores(s["y"], Z, s["w"], s["domain"], s["stratum"], s["psu"], household_size=s["size"])


def _stacked_change_variance(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Var(theta_b - theta_a) by linearising the difference as one estimator on the stacked sample, with an
    explicit loop: each unit's score is its round's Hajek score (round a negated); the PSUs of a stratum are the
    union of both rounds' PSUs, treated as one with-replacement sample."""
    parts = []
    for sign, s in ((-1.0, a), (1.0, b)):
        w = s["w"].to_numpy() * s["size"].to_numpy()
        g = (s["y"].to_numpy() < Z).astype(float)
        for d in s["domain"].unique():
            m = (s["domain"] == d).to_numpy()
            est = (w[m] * g[m]).sum() / w[m].sum()
            parts.append(pd.DataFrame({"domain": d, "stratum": s["stratum"].to_numpy()[m],
                                       "psu": s["psu"].to_numpy()[m], "z": sign * w[m] * (g[m] - est) / w[m].sum()}))
    stacked = pd.concat(parts)
    out = {}
    for d, g in stacked.groupby("domain"):
        v = 0.0
        for _, gh in g.groupby("stratum"):
            totals = gh.groupby("psu")["z"].sum().to_numpy()
            n = totals.size
            v += n / (n - 1) * float(((totals - totals.mean()) ** 2).sum())
        out[d] = v
    return pd.Series(out)


def test_same_sample_covariance_is_the_direct_variance_and_change_matches_stacked_linearisation():
    rng = np.random.default_rng(1)
    pop = _population(rng)
    s0, _ = _draw(pop, rng)
    # the same households and PSUs in both rounds, with the second round's expenditure
    s1 = s0.assign(y=s0["y"] * np.exp(0.3 * rng.standard_normal(len(s0)) - 0.05))
    a, b = _scores(s0), _scores(s1)
    cov = round_covariance(a, a)
    ref = direct_fgt(s0["y"], Z, s0["w"] * s0["size"], s0["domain"], s0["stratum"], s0["psu"])
    np.testing.assert_allclose(cov["cov"].to_numpy(), ref["se"].to_numpy() ** 2, rtol=1e-12)
    np.testing.assert_allclose(a.variance.to_numpy(), ref["se"].to_numpy() ** 2, rtol=1e-12)
    ch = direct_change(a, b)
    stacked = _stacked_change_variance(s0, s1).reindex(ch.index)
    np.testing.assert_allclose(ch["change_se"].to_numpy() ** 2, stacked.to_numpy(), rtol=1e-10, atol=1e-15)
    assert (ch["common_psu"] == 8).all()


def test_disjoint_samples_have_zero_covariance():
    rng = np.random.default_rng(2)
    pop = _population(rng)
    s0, s1 = _draw(pop, rng, keep=0)
    ch = direct_change(_scores(s0), _scores(s1))
    assert (ch["cov"] == 0).all() and (ch["common_psu"] == 0).all()
    np.testing.assert_allclose(ch["change_se"] ** 2, ch["var_first"] + ch["var_second"], rtol=1e-12)


def test_brute_force_simulation_of_a_rotating_design():
    """500 replicate samples (half the blocks kept): the estimated covariance and variance of the change are
    unbiased for their Monte Carlo values (summed over the 6 strata); the sum of variances is not."""
    rng = np.random.default_rng(3)
    pop = _population(rng)
    replicates, n_strata = 500, 6
    s0, s1 = _draw(pop, rng, replicates=replicates)
    ch = direct_change(_scores(s0), _scores(s1)).sort_index()
    e = ch[["estimate_first", "estimate_second"]].to_numpy().reshape(replicates, n_strata, 2)
    cov = ch["cov"].to_numpy().reshape(replicates, n_strata)
    var_change = (ch["change_se"].to_numpy() ** 2).reshape(replicates, n_strata)
    var_naive = (ch["var_first"] + ch["var_second"]).to_numpy().reshape(replicates, n_strata)
    mc_cov = np.array([np.cov(e[:, d, 0], e[:, d, 1])[0, 1] for d in range(n_strata)])
    mc_var_change = (e[:, :, 1] - e[:, :, 0]).var(axis=0, ddof=1)
    assert mc_cov.sum() > 0.3 * np.mean(var_naive, axis=0).sum() / 2  # a real positive covariance
    assert np.mean(cov, axis=0).sum() / mc_cov.sum() == pytest.approx(1.0, abs=0.15)
    assert np.mean(var_change, axis=0).sum() / mc_var_change.sum() == pytest.approx(1.0, abs=0.12)
    assert np.mean(var_naive, axis=0).sum() / mc_var_change.sum() > 1.3  # covariance ignored: too wide
    # coverage of the change's 95% interval
    ch_est = e[:, :, 1] - e[:, :, 0]
    truth = ch_est.mean(axis=0)  # the estimator is unbiased to O(1/n): its mean stands for the truth
    covered = np.abs(ch_est - truth) <= 1.96 * np.sqrt(var_change)
    assert 0.92 <= covered.mean() <= 0.97


def test_change_table_flags_significance_in_indonesian():
    t = change_table([0.10, 0.10], [0.05, 0.11], [1e-4, 1e-4], [1e-4, 1e-4], [0.0, 0.0])
    assert list(t["significance"]) == ["perubahan signifikan", "tidak signifikan"]
    np.testing.assert_allclose(t["change_se"], np.sqrt(2e-4))
    # the covariance narrows the interval
    t2 = change_table([0.10], [0.11], [1e-4], [1e-4], [0.8e-4])
    assert t2["change_se"].iloc[0] == pytest.approx(np.sqrt(0.4e-4))


def test_covariance_of_two_indicators_on_one_sample_is_the_linearised_cross_term():
    """P0 and extreme poverty from the same households (as the joint model uses it): Var(P0 + E) by `direct.py`'s
    variance of the summed linearised scores equals V0 + VE + 2 C."""
    from estimation.survey.direct import _Design

    rng = np.random.default_rng(5)
    s0, _ = _draw(_population(rng), rng)
    w = s0["w"] * s0["size"]
    a = round_scores(s0["y"], Z, s0["w"], s0["domain"], s0["stratum"], s0["psu"], household_size=s0["size"])
    b = round_scores(s0["y"], 0.6 * Z, s0["w"], s0["domain"], s0["stratum"], s0["psu"], household_size=s0["size"])
    cov = round_covariance(a, b)
    design = _Design(w.to_numpy(), s0["domain"].to_numpy(), s0["stratum"].to_numpy(), s0["psu"].to_numpy(), "adjust")
    scores = []
    for line, sc in ((Z, a), (0.6 * Z, b)):
        g = (s0["y"].to_numpy() < line).astype(float)
        dom = s0["domain"].to_numpy()
        wd = pd.Series(w.to_numpy()).groupby(dom).transform("sum").to_numpy()
        scores.append(w.to_numpy() * (g - sc.estimate.reindex(dom).to_numpy()) / wd)
    var_sum = design.domain_variance(scores[0] + scores[1])
    np.testing.assert_allclose(var_sum, a.variance + b.variance + 2 * cov["cov"], rtol=1e-10)
    assert (cov["cov"] >= 0).all() and (cov["cov"] > 0).sum() >= 4
