"""Scores of a design-based simulation: estimates of many replicate samples against the population truth.

`records`: one row per replicate, round, indicator, estimator and kab/kota with `estimate`, `var` (the
variance or MSE the estimator reports), `ci_low`, `ci_high`. `truth`: per kab/kota and round the true
values (proportions). `change_records` turns two rounds into the change between them; `simulation_table`
gives one row per indicator x estimator. Pure pandas, no Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = ["TABLE_COLUMNS", "change_records", "simulation_table"]

Z95 = float(norm.ppf(0.975))
TABLE_COLUMNS = ["indicator", "estimator", "published", "median_rrmse", "mean_rrmse", "mean_coverage",
                 "share_below_80", "mse_ratio", "n_areas", "replicates"]
_KEY = ["replicate", "estimator", "bps_code"]


def change_records(records: pd.DataFrame, indicators: Iterable[str] = ("p0", "extreme")) -> pd.DataFrame:
    """Change round 1 -> round 2 per replicate, estimator and kab/kota: the difference of the two rounds'
    estimates, its variance V1 + V2 - 2 C and a normal 95% interval. C comes from the optional `cov` column of
    the later round's rows: the covariance of the two rounds' direct estimates from their common census blocks
    (`estimation.survey.change`) or the cross term of the bivariate Fay-Herriot's MSE matrix
    (`estimation.sae.multivariate`); where the column is absent or NaN (the univariate Fay-Herriot rows) C = 0,
    the covariance ignored. Indicators become `change_<indicator>`."""
    out = []
    for ind in indicators:
        r = records[records["indicator"] == ind]
        a = r[r["round"] == 0].set_index(_KEY)
        b = r[r["round"] == 1].set_index(_KEY)
        both = a.index.intersection(b.index)
        diff = b.loc[both, "estimate"] - a.loc[both, "estimate"]
        cov = b.loc[both, "cov"].fillna(0.0) if "cov" in b.columns else 0.0
        var = (b.loc[both, "var"] + a.loc[both, "var"] - 2.0 * cov).clip(lower=0.0)
        half = Z95 * np.sqrt(var)
        out.append(pd.DataFrame({"estimate": diff, "var": var, "ci_low": diff - half, "ci_high": diff + half})
                   .reset_index().assign(indicator=f"change_{ind}", round=1))
    return pd.concat(out, ignore_index=True)


def _truth_long(truth: pd.DataFrame) -> pd.DataFrame:
    """bps_code, round, indicator (p0, extreme, change_p0, change_extreme), truth, level."""
    t = truth.set_index(["bps_code", "round"])
    parts = []
    for ind, col in (("p0", "true_p0"), ("extreme", "true_extreme_rate")):
        lvl = t[col].rename("truth").reset_index().assign(indicator=ind)
        parts.append(lvl.assign(level=lvl["truth"]))
        wide = t[col].unstack("round")
        if {0, 1} <= set(wide.columns):
            parts.append(pd.DataFrame({"bps_code": wide.index, "round": 1, "indicator": f"change_{ind}",
                                       "truth": (wide[1] - wide[0]).to_numpy(), "level": wide[1].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def simulation_table(records: pd.DataFrame, truth: pd.DataFrame,
                     published: Iterable[str] = ()) -> pd.DataFrame:
    """One row per indicator x estimator (TABLE_COLUMNS), scored on the latest round (round 1) and the change.

    Per kab/kota over replicates: actual MSE = mean (estimate - truth)^2, relative RMSE = sqrt(MSE) / true
    level (for a change: / the true level of round 2, since the true change is often ~0), coverage = share of
    replicates whose interval holds the truth, estimated MSE = mean reported `var`. Then: median_rrmse and
    mean_rrmse over kab/kota with a positive true level, mean_coverage, share_below_80 (share of kab/kota with
    coverage < 0.80), mse_ratio = sum of estimated MSE / sum of actual MSE over kab/kota. `published`: the
    estimator names whose rows the pipeline publishes.
    """
    rec = records[records["round"] == 1].merge(_truth_long(truth), on=["bps_code", "round", "indicator"],
                                               how="inner", validate="many_to_one")
    rec = rec.assign(se2=(rec["estimate"] - rec["truth"]) ** 2,
                     covered=((rec["ci_low"] <= rec["truth"]) & (rec["truth"] <= rec["ci_high"])).astype(float))
    per = rec.groupby(["indicator", "estimator", "bps_code"], sort=False).agg(
        mse=("se2", "mean"), est_mse=("var", "mean"), coverage=("covered", "mean"), level=("level", "first"),
        replicates=("replicate", "nunique"))
    rows = []
    published = set(published)
    for (ind, est), g in per.groupby(level=["indicator", "estimator"], sort=False):
        pos = g["level"] > 0
        rrmse = np.sqrt(g.loc[pos, "mse"]) / g.loc[pos, "level"]
        rows.append({
            "indicator": ind, "estimator": est, "published": est in published,
            "median_rrmse": float(rrmse.median()), "mean_rrmse": float(rrmse.mean()),
            "mean_coverage": float(g["coverage"].mean()), "share_below_80": float((g["coverage"] < 0.8).mean()),
            "mse_ratio": float(g["est_mse"].sum() / g["mse"].sum()), "n_areas": len(g),
            "replicates": int(g["replicates"].max()),
        })
    order = {"p0": 0, "extreme": 1, "change_p0": 2, "change_extreme": 3,
             "direct": 0, "fh_reml": 1, "fh_constant": 2, "fh_default": 3, "benchmarked": 4}
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return out.sort_values(["indicator", "estimator"], key=lambda s: s.map(order).fillna(9),
                           kind="stable").reset_index(drop=True)
