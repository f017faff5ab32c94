"""P0 and extreme poverty of one round fitted jointly: a bivariate Fay-Herriot (Benavent & Morales 2016) over the
two indicators, with the design covariance of the two direct estimates from the linearisation.

Both indicators are estimated from the same households, so their direct estimates are correlated: per
kab/kota, Cov(P0_hat, E_hat) = sum_h n_h/(n_h-1) sum_i (U0_hi - mean0_h)(UE_hi - mean0E_h) over the PSUs of
the sample, the two indicators' linearised PSU totals (`estimation.survey.change.round_covariance` of the two
indicators' `round_scores` on the same sample: a covariance between two estimators on fully common PSUs).
As for the change between rounds (`estimation.sae.change`), the model uses the GVF-smoothed variances and
one pooled design correlation. The random effects of P0 and extreme poverty are correlated (unstructured
Sigma_u): a kab/kota poorer than its covariates say is usually also more extremely poor than they say.

What is published keeps extreme <= P0: the EBLUPs are clipped at 0 and the extreme rate is capped at the P0
EBLUP where it exceeds it (`extreme_capped` records where; its MSE is left as the model's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from estimation.sae.change import DEFAULT_EFFECTS, DEFAULT_METHOD, effect_scales, sampling_covariances
from estimation.sae.multivariate import Method, MultivariateFHResult, multivariate_fay_herriot

__all__ = ["joint_poverty"]


def joint_poverty(y_p0: np.ndarray, y_extreme: np.ndarray, X: np.ndarray, smoothed_p0: np.ndarray,
                  smoothed_extreme: np.ndarray, correlation: float, X_extreme: np.ndarray | None = None,
                  effects: str = DEFAULT_EFFECTS, method: Method = DEFAULT_METHOD
                  ) -> tuple[pd.DataFrame, MultivariateFHResult]:
    """Bivariate Fay-Herriot of P0 and extreme poverty: per area p0, extreme (published: clipped at 0, extreme
    <= p0), mse_p0, mse_extreme, cov_indicators (the MSE matrix's cross term), extreme_capped.

    `X` is the design of both indicators (or of P0 only when `X_extreme` is given); `smoothed_*` the
    GVF-smoothed sampling variances; `correlation` the pooled design correlation of the two direct estimates;
    `effects`: area-effect variances "proportional" to the sampling variances (default) or "constant";
    `method`: "AMRL" (default) or "REML"."""
    ve = sampling_covariances(smoothed_p0, smoothed_extreme, correlation)
    Xe = X if X_extreme is None else X_extreme
    fit = multivariate_fay_herriot(np.c_[np.asarray(y_p0, dtype=float), np.asarray(y_extreme, dtype=float)],
                                   [np.asarray(X, dtype=float), np.asarray(Xe, dtype=float)], ve,
                                   effect_scale=effect_scales(ve, effects), method=method)
    p0 = np.clip(fit.eblup[:, 0], 0.0, 1.0)
    extreme = np.clip(fit.eblup[:, 1], 0.0, 1.0)
    capped = extreme > p0
    frame = pd.DataFrame({"p0": p0, "extreme": np.minimum(extreme, p0), "mse_p0": fit.mse[:, 0, 0],
                          "mse_extreme": fit.mse[:, 1, 1], "cov_indicators": fit.mse[:, 0, 1],
                          "extreme_capped": capped})
    return frame, fit
