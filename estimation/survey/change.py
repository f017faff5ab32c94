"""Direct estimate of the change between two survey rounds, with the covariance from the sample overlap.

Two rounds of a stratified cluster design (Susenas March keeps part of its census blocks from one round to
the next) give direct FGT estimates theta_1 and theta_2 per domain (Hajek, as `estimation.survey.direct`).
The variance of the change theta_2 - theta_1 is V_1 + V_2 - 2 C_12. Each round's V is the Taylor-linearised
variance of `direct.py` (PSUs with replacement within strata, R `survey`'s default). The covariance
C_12 comes from the PSUs present in both rounds, matched on (stratum, PSU):

    C_12,d = sum_h c_h sum_{i in s1h and s2h} (U1_hid - mean1_hd) (U2_hid - mean2_hd),
    c_h = sqrt(n1_h n2_h / ((n1_h - 1) (n2_h - 1))),

where U_r,hid is the PSU-i total of round r's linearised score w (g - theta_r,d) / W_r,d in domain d
and mean_r,hd = sum_{i in s_rh} U_r,hid / n_r,h (every PSU of the stratum in that round, as `direct.py`
counts them). This is the with-replacement covariance of two estimators whose samples share n12_h
draws (Kish 1965, section 12.4: Cov = n12 S_12 / (n1 n2) for the per-draw expanded values z_r = n_r U_r,
with S_12 estimated over the common PSUs); c_h makes it reduce exactly to `direct.py`'s variance when both
rounds are the same sample (C_12 = V). A stratum with a single PSU in either round is centred at 0 with
c_h = 1 (the "adjust" convention of `direct.py`). PSUs are assumed nested in strata, and strata the same in
both rounds (kab/kota x urban/rural); a PSU in only one round contributes nothing to C_12.

Everything is vectorised (pandas merges and numpy bincounts), no loop over domains or strata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from estimation.survey.direct import LonelyPSU, _Design, _domain_sums, fgt_values

__all__ = ["RoundScores", "change_table", "direct_change", "round_covariance", "round_scores"]

Z95 = float(norm.ppf(0.975))
SIGNIFICANT = "perubahan signifikan"
NOT_SIGNIFICANT = "tidak signifikan"


@dataclass(frozen=True)
class RoundScores:
    """One round's direct estimate per domain and the PSU totals of its linearised scores.

    `scores`: one row per (stratum, psu, domain) that occurs, column `u` (PSU total of the score);
    `n_psu`: PSUs per stratum in the round (whole design, as `direct.py` counts them), indexed by stratum."""

    estimate: pd.Series
    variance: pd.Series
    scores: pd.DataFrame
    n_psu: pd.Series


def round_scores(y, poverty_line, weights, domain, strata, psu, alpha: float = 0, *, household_size=None,
                 lonely_psu: LonelyPSU = "adjust") -> RoundScores:
    """Direct FGT(alpha) per domain of one round (as `direct_poverty`: household weights times
    `household_size` when given) with its linearised PSU totals, for `round_covariance`."""
    w = np.asarray(weights, dtype=float)
    if household_size is not None:
        w = w * np.asarray(household_size, dtype=float)
    design = _Design(w, domain, strata, psu, lonely_psu)
    g = fgt_values(y, poverty_line, alpha)
    t = _domain_sums(design, w * g)
    w_d = _domain_sums(design, w)
    est = np.divide(t, w_d, out=np.full_like(t, np.nan), where=w_d > 0)
    safe = np.where(w_d > 0, w_d, 1.0)
    u = w * (g - est[design.dom_codes]) / safe[design.dom_codes]
    var = design.domain_variance(u)
    strata_arr = np.zeros(w.size, dtype=np.int64) if strata is None else np.asarray(strata)
    psu_arr = np.arange(w.size) if psu is None else np.asarray(psu)
    frame = pd.DataFrame({"stratum": strata_arr, "psu": psu_arr, "domain": design.domains[design.dom_codes], "u": u})
    scores = frame.groupby(["stratum", "psu", "domain"], sort=False, observed=True)["u"].sum().reset_index()
    n_psu = frame.drop_duplicates(["stratum", "psu"]).groupby("stratum", sort=False).size().rename("n_psu")
    return RoundScores(pd.Series(est, index=design.domains, name="estimate"),
                       pd.Series(var, index=design.domains, name="variance"), scores, n_psu)


def round_covariance(first: RoundScores, second: RoundScores) -> pd.DataFrame:
    """Covariance of the two rounds' domain estimates from their common PSUs (module docstring).

    One row per domain of either round: `cov` (0 where no PSU is common) and `common_psu` (PSUs of the
    domain's strata present in both rounds)."""
    domains = first.estimate.index.union(second.estimate.index)
    s1, s2 = first.scores, second.scores
    # stratum x domain means over each round's whole stratum sample
    means = []
    for r, (sc, n) in enumerate(((s1, first.n_psu), (s2, second.n_psu))):
        m = sc.groupby(["stratum", "domain"], sort=False)["u"].sum().rename(f"sum{r}").reset_index()
        m[f"n{r}"] = m["stratum"].map(n).to_numpy(float)
        means.append(m)
    sd = means[0].merge(means[1], on=["stratum", "domain"], how="inner")
    common = (s1[["stratum", "psu"]].drop_duplicates()
              .merge(s2[["stratum", "psu"]].drop_duplicates(), on=["stratum", "psu"], how="inner"))
    if sd.empty or common.empty:
        return pd.DataFrame({"cov": 0.0, "common_psu": 0}, index=domains)
    pairs = common.merge(sd, on="stratum", how="inner")
    key = ["stratum", "psu", "domain"]
    pairs = pairs.merge(s1.rename(columns={"u": "u0"}), on=key, how="left")
    pairs = pairs.merge(s2.rename(columns={"u": "u1"}), on=key, how="left")
    u0, u1 = pairs["u0"].fillna(0.0).to_numpy(), pairs["u1"].fillna(0.0).to_numpy()
    n0, n1 = pairs["n0"].to_numpy(), pairs["n1"].to_numpy()
    lonely = (n0 < 2) | (n1 < 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(lonely, 1.0, np.sqrt(n0 * n1 / ((n0 - 1) * (n1 - 1))))
        mean0 = np.where(lonely, 0.0, pairs["sum0"].to_numpy() / n0)
        mean1 = np.where(lonely, 0.0, pairs["sum1"].to_numpy() / n1)
    contrib = c * (u0 - mean0) * (u1 - mean1)
    out = pd.DataFrame({"domain": pairs["domain"], "cov": contrib})
    cov = out.groupby("domain", sort=False)["cov"].sum()
    n_common = pairs.groupby("domain", sort=False).size()
    return pd.DataFrame({"cov": cov.reindex(domains).fillna(0.0),
                         "common_psu": n_common.reindex(domains).fillna(0).astype(np.int64)}, index=domains)


def change_table(estimate_first, estimate_second, variance_first, variance_second, covariance=0.0,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Change second - first with its SE sqrt(V1 + V2 - 2 C) (floored at 0 against round-off), normal
    interval and `significance` (*perubahan signifikan* when the interval excludes 0, else *tidak
    signifikan*). Array-like inputs of one length; returns a frame in their order."""
    e1, e2 = np.asarray(estimate_first, dtype=float), np.asarray(estimate_second, dtype=float)
    v = (np.asarray(variance_first, dtype=float) + np.asarray(variance_second, dtype=float)
         - 2.0 * np.asarray(covariance, dtype=float))
    se = np.sqrt(np.maximum(v, 0.0))
    zq = float(norm.ppf(0.5 + confidence / 2))
    change = e2 - e1
    low, high = change - zq * se, change + zq * se
    significant = (low > 0) | (high < 0)
    return pd.DataFrame({"change": change, "change_se": se, "change_ci_low": low, "change_ci_high": high,
                         "significance": np.where(significant, SIGNIFICANT, NOT_SIGNIFICANT)})


def direct_change(first: RoundScores, second: RoundScores, confidence: float = 0.95) -> pd.DataFrame:
    """Per domain present in both rounds: estimate_first, estimate_second, var_first, var_second, cov,
    common_psu, and the columns of `change_table`."""
    domains = first.estimate.index.intersection(second.estimate.index)
    cov = round_covariance(first, second).reindex(domains)
    base = pd.DataFrame({
        "estimate_first": first.estimate.reindex(domains), "estimate_second": second.estimate.reindex(domains),
        "var_first": first.variance.reindex(domains), "var_second": second.variance.reindex(domains),
        "cov": cov["cov"], "common_psu": cov["common_psu"]}, index=domains)
    ch = change_table(base["estimate_first"], base["estimate_second"], base["var_first"], base["var_second"],
                      base["cov"], confidence)
    ch.index = domains
    out = pd.concat([base, ch], axis=1)
    out.index.name = "domain"
    return out
