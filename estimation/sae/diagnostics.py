"""Model diagnostics for a fitted Fay-Herriot model, as emdi's summary(fh) shows them.

emdi tests normality of the standardised realised residuals (y - EBLUP)/sqrt(D) and of the
random effects standardised by their sample standard deviation, reporting skewness and
kurtosis (moments package: biased, Pearson kurtosis where normal = 3) and Shapiro-Wilk.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from scipy import stats


class _FHLike(Protocol):
    """What the diagnostics read of a fit (read-only: FayHerriotResult is frozen)."""

    @property
    def gamma(self) -> np.ndarray: ...
    @property
    def standardized_residuals(self) -> np.ndarray: ...
    @property
    def random_effects(self) -> np.ndarray: ...
    @property
    def sampling_variance(self) -> np.ndarray: ...
    @property
    def mse(self) -> np.ndarray: ...


def _moments(x: np.ndarray) -> tuple[float, float]:
    c = x - x.mean()
    m2 = float(np.mean(c**2))
    if m2 == 0:
        return float("nan"), float("nan")
    return float(np.mean(c**3) / m2**1.5), float(np.mean(c**4) / m2**2)


def _shapiro(x: np.ndarray) -> tuple[float, float]:
    if x.size < 3 or np.ptp(x) == 0:
        return float("nan"), float("nan")
    res = stats.shapiro(x)
    return float(res.statistic), float(res.pvalue)


def normality_table(result: _FHLike) -> pd.DataFrame:
    """Rows standardized_residuals, random_effects; columns skewness, kurtosis, shapiro_w, shapiro_p."""
    u = np.asarray(result.random_effects, dtype=float)
    sd = u.std(ddof=1) if u.size > 1 else 0.0
    series = {
        "standardized_residuals": np.asarray(result.standardized_residuals, dtype=float),
        "random_effects": u / sd if sd > 0 else u,
    }
    rows = {}
    for name, x in series.items():
        skew, kurt = _moments(x)
        w, pval = _shapiro(x)
        rows[name] = {"skewness": skew, "kurtosis": kurt, "shapiro_w": w, "shapiro_p": pval}
    return pd.DataFrame.from_dict(rows, orient="index")


def shrinkage_summary(result: _FHLike) -> pd.DataFrame:
    """Distribution of gamma (weight of the direct estimate): min, q1, median, mean, q3, max."""
    g = np.asarray(result.gamma, dtype=float)
    q = np.quantile(g, [0.0, 0.25, 0.5, 0.75, 1.0])
    return pd.DataFrame({"min": [q[0]], "q1": [q[1]], "median": [q[2]], "mean": [g.mean()],
                         "q3": [q[3]], "max": [q[4]]}, index=["gamma"])


def mse_gain(result: _FHLike) -> pd.DataFrame:
    """How much the EBLUP improves on the direct estimate: direct var, MSE, ratio per area."""
    d = np.asarray(result.sampling_variance, dtype=float)
    mse = np.asarray(result.mse, dtype=float)
    return pd.DataFrame({"direct_var": d, "mse": mse, "efficiency": mse / d})
