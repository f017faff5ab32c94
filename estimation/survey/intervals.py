"""Confidence intervals of a proportion that do not collapse at 0: Wilson score and Clopper-Pearson.

Used for direct estimates with an effective sample size (n / design effect), where the Wald interval has
zero width wherever the estimate is 0.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta as beta_dist
from scipy.stats import norm

__all__ = ["proportion_ci"]


def proportion_ci(p: np.ndarray, n_eff: np.ndarray, how: str, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score ("wilson") or Clopper-Pearson ("clopper_pearson") interval of a proportion p with
    effective sample size n_eff: (low, high) arrays."""
    p = np.clip(np.asarray(p, dtype=float), 0, 1)
    n = np.asarray(n_eff, dtype=float)
    z = float(norm.ppf(0.5 + level / 2))
    if how == "wilson":
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lo = np.where(p == 0, 0.0, np.clip(centre - half, 0, 1))  # exact ends, no round-off at p = 0 or 1
        return lo, np.where(p == 1, 1.0, np.clip(centre + half, 0, 1))
    if how == "clopper_pearson":
        x = p * n  # fractional successes: the beta form extends to non-integer counts
        a = 1 - level
        lo = np.where(x > 0, beta_dist.ppf(a / 2, np.maximum(x, 1e-12), n - x + 1), 0.0)
        hi = np.where(x < n, beta_dist.ppf(1 - a / 2, x + 1, np.maximum(n - x, 1e-12)), 1.0)
        return lo, hi
    raise ValueError(f"unknown interval {how!r}")
