"""Generalised variance functions (GVF): smoothed sampling variances for Fay-Herriot.

Direct variances of small domains are noisy, and zero where the direct estimate is 0 (no poor
household in the sample), which the Fay-Herriot model cannot take. A GVF replaces them by a
fitted variance model (Wolter 2007, ch. 7; Rao & Molina 2015, sec. 6.4.1):

kind="proportion" (P0 and other rates):
    var_d = deff * p_d (1 - p_d) / n_d
  with p_d a model-based proportion (argument `p_model`, e.g. a synthetic or province value;
  default the n-weighted mean of the reliable direct estimates) and the design effect estimated
  by the ratio sum(var_d) / sum(p_d (1 - p_d) / n_d) over reliable areas (ratio of totals, so
  that noisy areas do not dominate as they would in a mean of ratios).

kind="loglinear" (means, totals, incomes):
    log var_d = a + b log n_d + c log|y_d| + error,
  fitted by OLS on reliable areas and taken back with Duan's smearing factor
  mean(exp(residual)), which makes the smoothed variances unbiased on the raw scale.

An area is reliable when its variance is finite and > 0, its estimate is finite (and strictly
between 0 and 1 for proportions, > 0 for loglinear) and n_d >= min_n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class GVFResult:
    smoothed: np.ndarray  # model variance for every area
    variance: np.ndarray  # direct variance where reliable, smoothed elsewhere (or everywhere)
    reliable: np.ndarray  # bool: the area was used to fit the model
    kind: str
    params: dict[str, float]

    def to_frame(self, index: object = None) -> pd.DataFrame:
        """Columns: reliable, smoothed, variance."""
        return pd.DataFrame({"reliable": self.reliable, "smoothed": self.smoothed,
                             "variance": self.variance}, index=index)


def smooth_sampling_variance(direct: object, var: object, n: object, *, kind: str = "proportion",
                             p_model: object = None, min_n: int = 2, replace: str = "unreliable") -> GVFResult:
    """Fit a GVF and return smoothed variances (see module docstring for the models).

    replace: "unreliable" keeps direct variances of reliable areas and fills the others;
    "all" uses the model variance for every area (smoother D, the usual choice for FH inputs).
    """
    y = np.asarray(direct, dtype=float)
    v = np.asarray(var, dtype=float)
    nn = np.asarray(n, dtype=float)
    if not (y.ndim == v.ndim == nn.ndim == 1) or not (y.size == v.size == nn.size):
        raise ValueError("direct, var and n must be one-dimensional and of equal length")
    if kind not in ("proportion", "loglinear"):
        raise ValueError("kind must be 'proportion' or 'loglinear'")
    if replace not in ("unreliable", "all"):
        raise ValueError("replace must be 'unreliable' or 'all'")
    if np.any(~np.isfinite(nn)) or np.any(nn <= 0):
        raise ValueError("n must be finite and > 0 for every area (an area without sample has no GVF)")
    if np.any(v[np.isfinite(v)] < 0):
        raise ValueError("var has negative values")

    ok = np.isfinite(v) & (v > 0) & np.isfinite(y) & (nn >= min_n)
    if kind == "proportion":
        if np.any((y[np.isfinite(y)] < 0) | (y[np.isfinite(y)] > 1)):
            raise ValueError("kind='proportion' needs direct estimates in [0, 1]")
        ok &= (y > 0) & (y < 1)
        if ok.sum() < 2:
            raise ValueError("fewer than 2 reliable areas to fit the GVF")
        if p_model is None:
            pm = np.full(y.size, np.sum(nn[ok] * y[ok]) / np.sum(nn[ok]))
        else:
            pm = np.asarray(p_model, dtype=float)
            if pm.shape != y.shape or np.any(~np.isfinite(pm)) or np.any((pm <= 0) | (pm >= 1)):
                raise ValueError("p_model must be finite, strictly in (0, 1), one per area")
        base = pm * (1 - pm) / nn
        deff = float(np.sum(v[ok]) / np.sum(base[ok]))
        smoothed = deff * base
        params = {"deff": deff}
    else:
        ok &= y > 0
        Z = np.column_stack([np.ones(y.size), np.log(nn), np.log(np.where(y > 0, y, np.nan))])
        if ok.sum() <= Z.shape[1]:
            raise ValueError("too few reliable areas to fit the log-linear GVF")
        coef, *_ = np.linalg.lstsq(Z[ok], np.log(v[ok]), rcond=None)
        resid = np.log(v[ok]) - Z[ok] @ coef
        smear = float(np.mean(np.exp(resid)))
        if np.any(~ok & ~(y > 0)):
            raise ValueError("kind='loglinear' needs direct estimates > 0 for every area")
        smoothed = smear * np.exp(Z @ coef)
        params = {"a": float(coef[0]), "b_log_n": float(coef[1]), "c_log_y": float(coef[2]), "smearing": smear}
    variance = smoothed.copy() if replace == "all" else np.where(ok, v, smoothed)
    return GVFResult(smoothed=smoothed, variance=variance, reliable=ok, kind=kind, params=params)
