"""Ratio benchmarking of small area estimates to published aggregates.

Within each group g (e.g. a province) every estimate is multiplied by the same factor
f_g = T_g / (sum_d w_d theta_d / sum_d w_d) so that the population-weighted mean of the
benchmarked estimates equals the target T_g (a published province P0, say). With
target_kind="total" the factor is T_g / sum_d w_d theta_d instead. Ratio benchmarking keeps
zero estimates at zero and the ranking within a group unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def unbenchmarkable_groups(estimates: object, weights: object, groups: object) -> list:
    """Groups whose weighted estimate or weight is zero: no ratio can move them to a target."""
    frame = pd.DataFrame({"g": np.asarray(groups, dtype=object), "w": np.asarray(weights, dtype=float)})
    frame["wy"] = frame["w"] * np.asarray(estimates, dtype=float)
    agg = frame.groupby("g", sort=True)[["w", "wy"]].sum()
    return list(agg.index[(agg["wy"] == 0) | (agg["w"] == 0)])


def ratio_benchmark(estimates: object, weights: object, groups: object, targets: Mapping | pd.Series, *,
                    target_kind: str = "mean", impossible: str = "raise") -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Return (benchmarked, factors per area, discrepancy per group).

    discrepancy = weighted aggregate of the estimates before benchmarking minus the target,
    indexed by group (how far the model was from the published figure).
    impossible: what a group with a zero weighted estimate or zero weight gets (`unbenchmarkable_groups`):
    "raise" (ValueError) or "leave" (factor 1 for that group only; the other groups are benchmarked).
    """
    est = np.asarray(estimates, dtype=float)
    w = np.asarray(weights, dtype=float)
    g = pd.Series(np.asarray(groups, dtype=object))
    if not (est.ndim == w.ndim == 1) or not (est.size == w.size == g.size):
        raise ValueError("estimates, weights and groups must be one-dimensional and of equal length")
    if target_kind not in ("mean", "total"):
        raise ValueError("target_kind must be 'mean' or 'total'")
    if impossible not in ("raise", "leave"):
        raise ValueError("impossible must be 'raise' or 'leave'")
    if np.any(~np.isfinite(est)):
        raise ValueError("estimates have NaN/inf values")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    if g.isna().any():
        raise ValueError("groups have missing labels")
    tgt = pd.Series(targets, dtype=float)
    missing = sorted(set(g.unique()) - set(tgt.index), key=str)
    if missing:
        raise ValueError(f"no target for group(s) {missing}")
    frame = pd.DataFrame({"g": g, "w": w, "wy": w * est})
    agg = frame.groupby("g", sort=False)[["w", "wy"]].sum()
    before = agg["wy"] if target_kind == "total" else agg["wy"] / agg["w"]
    stuck = (agg["wy"] == 0) | (agg["w"] == 0)
    if stuck.any() and impossible == "raise":
        raise ValueError(f"group(s) {sorted(agg.index[stuck], key=str)} have a zero weighted estimate or zero "
                         "weight: ratio benchmarking impossible")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor_g = (tgt.reindex(before.index) / before).where(~stuck, 1.0)
    factors = g.map(factor_g).to_numpy(dtype=float)
    discrepancy = (before - tgt.reindex(before.index)).rename("discrepancy")
    return est * factors, factors, discrepancy
