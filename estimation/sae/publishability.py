"""Publication rule on the relative standard error (RSE = sqrt(MSE) / estimate), as BPS applies it.

RSE <= 25%: publish ("layak"); 25% < RSE <= 50%: publish with caution ("hati-hati");
RSE > 50%, or RSE not finite (estimate 0, missing MSE): suppress ("tidak layak").
"""

from __future__ import annotations

import numpy as np

LABELS = {
    "en": ("publish", "caution", "suppress"),
    "id": ("layak", "hati-hati", "tidak layak"),
}
FLAG_LABELS_ID = dict(zip(LABELS["en"], LABELS["id"], strict=True))  # the flag as readers see it


def relative_standard_error(estimate: object, mse: object) -> np.ndarray:
    """sqrt(MSE)/|estimate| as a fraction; inf where the estimate is 0."""
    est = np.asarray(estimate, dtype=float)
    m = np.asarray(mse, dtype=float)
    if np.any(m[np.isfinite(m)] < 0):
        raise ValueError("mse has negative values")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(m) / np.abs(est)


def flag_rse(rse: object, *, percent: bool = False, lang: str = "en") -> np.ndarray:
    """Label each RSE; rse is a fraction (0.25) unless percent=True (25). lang: "en" or "id"."""
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {tuple(LABELS)}")
    r = np.asarray(rse, dtype=float)
    if np.any(r[~np.isnan(r)] < 0):
        raise ValueError("rse has negative values")
    lim = (25.0, 50.0) if percent else (0.25, 0.50)
    ok, caution, suppress = LABELS[lang]
    finite = np.isfinite(r)
    out = np.full(r.shape, suppress, dtype=object)
    out[finite & (r <= lim[1])] = caution
    out[finite & (r <= lim[0])] = ok
    return out
