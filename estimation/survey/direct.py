"""Design-based direct estimators of FGT poverty indices by domain (Susenas-style designs).

Point estimate (Hájek): sum_i w_i g_i / sum_i w_i over the domain, with g_i = I(y_i < z_i) ((z_i - y_i)/z_i)^alpha.
Poor means y < z strictly, as BPS counts.

Variance: Taylor linearisation, PSUs taken as sampled with replacement within strata and no finite population
correction -- the default of R `survey` (svydesign(ids=~psu, strata=~strata, weights=~w); svyby(~g, ~domain,
svymean)). Domains are estimated on the whole design: a unit outside the domain has score 0 but its PSU still
counts in n_h, exactly as `svyby` does (it never subsets the design). PSU ids are nested in strata (nest=TRUE).

Strata with a single PSU (`lonely_psu`): R's default "fail" raises; "adjust" (our default) centres the lonely
PSU's score total at the grand mean 0 of the linearised scores, as options(survey.lonely.psu="adjust"), which
is conservative; "certainty" and "remove" give the stratum zero variance (in R `survey` 4.1 "remove" drops its
contribution without rescaling, the same variance as "certainty"); "average" drops it and rescales the sum over
the other strata by n_strata / n_ok_strata, as options(survey.lonely.psu="average"). Each option equals R's
option of the same name (tests/data/r_survey).

Everything is vectorised with np.bincount on integer codes: no Python loop over units, strata or domains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy.stats import norm

LonelyPSU = Literal["adjust", "certainty", "remove", "average", "fail"]
LONELY_PSU_OPTIONS: tuple[str, ...] = get_args(LonelyPSU)

__all__ = ["LonelyPSU", "direct_fgt", "direct_poverty", "fgt_values"]


def require_valid(name: str, values: np.ndarray, *, positive: bool = False) -> None:
    """Raise on the first value that is NaN, infinite or negative (or zero when `positive`), naming where.

    A NaN expenditure or line would otherwise count as "not poor" and stay in the denominator."""
    bad = ~np.isfinite(values) | ((values <= 0) if positive else (values < 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        expected = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{name}: {values[first]!r} at position {first} (0-based) of {values.size:,}, and "
                         f"{int(bad.sum()):,} such value(s) in all; expected {expected}")


def fgt_values(y: np.ndarray, poverty_line: float | np.ndarray, alpha: float = 0, *,
               negative_y: bool = False) -> np.ndarray:
    """Unit FGT contribution I(y < z) ((z - y) / z)^alpha (strict inequality). `y` must be finite and >= 0
    (expenditure; `negative_y=True` admits negative incomes, as R sae's `incomedata` has), the line finite
    and > 0; else ValueError naming the first offending position."""
    y = np.asarray(y, dtype=float)
    z = np.broadcast_to(np.asarray(poverty_line, dtype=float), y.shape)
    if negative_y:
        require_valid("income", np.where(np.isfinite(y), 0.0, y))
    else:
        require_valid("expenditure", y)
    require_valid("poverty line", np.asarray(z), positive=True)
    poor = y < z
    if alpha == 0:
        return poor.astype(float)
    gap = np.where(poor, (z - y) / z, 0.0)
    return np.where(poor, gap**alpha, 0.0)


class _Design:
    """Integer-coded design: domain, stratum and (stratum-nested) PSU of every unit."""

    def __init__(self, weights, domain, strata, psu, lonely_psu: LonelyPSU):
        self.w = np.asarray(weights, dtype=float)
        n = self.w.size
        require_valid("weights", self.w)
        self.dom_codes, self.domains = pd.factorize(pd.Series(np.asarray(domain)), sort=True)
        if np.any(self.dom_codes < 0):
            raise ValueError("domain has missing values")
        self.n_dom = len(self.domains)
        strata_arr = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
        self.str_codes, str_uniques = pd.factorize(pd.Series(strata_arr), sort=False)
        self.n_str = len(str_uniques)
        if psu is None:
            self.psu_codes = np.arange(n, dtype=np.int64)  # every unit its own PSU
        else:
            # nest PSUs in strata: the pair (stratum, psu) identifies a PSU
            psu_inner, _ = pd.factorize(pd.Series(np.asarray(psu)), sort=False)
            if np.any(psu_inner < 0):  # checked before nesting: the pair code of a missing PSU is not negative
                raise ValueError("strata / psu have missing values")
            pair = self.str_codes.astype(np.int64) * (int(psu_inner.max()) + 1) + psu_inner
            self.psu_codes, _ = pd.factorize(pair, sort=False)
        if np.any(self.str_codes < 0):  # a missing PSU id was caught above, before nesting
            raise ValueError("strata / psu have missing values")
        self.n_psu = int(self.psu_codes.max()) + 1 if n else 0
        # stratum of each PSU and PSU count per stratum (whole design, not the domain)
        self.psu_stratum = np.zeros(self.n_psu, dtype=np.int64)
        self.psu_stratum[self.psu_codes] = self.str_codes
        self.n_h = np.bincount(self.psu_stratum, minlength=self.n_str).astype(float)
        if lonely_psu not in LONELY_PSU_OPTIONS:
            raise ValueError(f"lonely_psu must be one of {LONELY_PSU_OPTIONS}, not {lonely_psu!r}")
        lonely = self.n_h == 1
        if lonely.any() and lonely_psu == "fail":
            raise ValueError(f"{int(lonely.sum())} stratum/strata with a single PSU (lonely_psu='fail')")
        self.lonely_psu = lonely_psu
        self.lonely = lonely

    def domain_variance(self, scores: np.ndarray) -> np.ndarray:
        """Variance of sum_i scores_i within each domain (scores are zero outside the unit's own domain).

        V_d = sum_h n_h/(n_h-1) [sum_i U_hid^2 - (sum_i U_hid)^2 / n_h], U_hid = PSU-i score total in domain d.
        Only (PSU, domain) pairs that occur are materialised; absent pairs have U = 0 and add nothing.
        """
        key = self.psu_codes.astype(np.int64) * self.n_dom + self.dom_codes
        pair_codes, pair_uniques = pd.factorize(key, sort=False)
        u_pair = np.bincount(pair_codes, weights=scores, minlength=len(pair_uniques))
        pair_psu = pair_uniques // self.n_dom
        pair_dom = pair_uniques % self.n_dom
        pair_str = self.psu_stratum[pair_psu]
        sd_key = pair_str * self.n_dom + pair_dom
        sd_codes, sd_uniques = pd.factorize(sd_key, sort=False)
        q = np.bincount(sd_codes, weights=u_pair**2)
        s = np.bincount(sd_codes, weights=u_pair)
        sd_str = sd_uniques // self.n_dom
        sd_dom = sd_uniques % self.n_dom
        n_h = self.n_h[sd_str]
        lonely = self.lonely[sd_str]
        with np.errstate(divide="ignore", invalid="ignore"):
            contrib = np.where(lonely, 0.0, n_h / (n_h - 1) * (q - s**2 / n_h))
        if self.lonely_psu == "adjust":
            contrib = np.where(lonely, q, contrib)  # centred at 0, the grand mean of the scores
        contrib = np.maximum(contrib, 0.0)  # round-off only
        var: np.ndarray = np.bincount(sd_dom, weights=contrib, minlength=self.n_dom)
        if self.lonely_psu == "average" and self.lonely.any():
            var = var * (self.n_str / (self.n_str - int(self.lonely.sum())))
        return var


def _domain_sums(design: _Design, values: np.ndarray) -> np.ndarray:
    return np.bincount(design.dom_codes, weights=values, minlength=design.n_dom)


def _ratio(design: _Design, g: np.ndarray, population_size: np.ndarray | None):
    """Domain means (Hájek) or HT totals / known N_d, with their linearised variances."""
    w = design.w
    t = _domain_sums(design, w * g)
    if population_size is None:
        w_d = _domain_sums(design, w)
        est = np.divide(t, w_d, out=np.full_like(t, np.nan), where=w_d > 0)
        safe_wd = np.where(w_d > 0, w_d, 1.0)
        scores = w * (g - est[design.dom_codes]) / safe_wd[design.dom_codes]
    else:
        est = t / population_size
        scores = w * g / population_size[design.dom_codes]
    return est, design.domain_variance(scores)


def _population_size_array(design: _Design, population_size) -> np.ndarray | None:
    if population_size is None:
        return None
    n_d = pd.Series(population_size) if isinstance(population_size, Mapping) else population_size
    n_d = pd.Series(n_d).reindex(design.domains)
    if n_d.isna().any():
        raise ValueError(f"population_size missing for domains {list(n_d.index[n_d.isna()])[:5]}")
    return n_d.to_numpy(dtype=float)


def direct_fgt(
    y,
    poverty_line,
    weights,
    domain,
    strata=None,
    psu=None,
    alpha: float = 0,
    *,
    population_size: Mapping | pd.Series | None = None,
    lonely_psu: LonelyPSU = "adjust",
    negative_y: bool = False,
) -> pd.DataFrame:
    """Direct FGT(alpha) by domain: DataFrame indexed by domain with columns `estimate` and `se` (proportions).

    `poverty_line` is a scalar or one line per unit. With `population_size` (domain -> known N_d) the
    estimator is the Horvitz-Thompson total divided by N_d, as R `sae::direct(domsize=...)`; otherwise Hájek.
    """
    design = _Design(weights, domain, strata, psu, lonely_psu)
    g = fgt_values(y, poverty_line, alpha, negative_y=negative_y)
    est, var = _ratio(design, g, _population_size_array(design, population_size))
    out = pd.DataFrame({"estimate": est, "se": np.sqrt(var)}, index=design.domains)
    out.index.name = "domain"
    return out


def direct_poverty(
    y,
    poverty_line,
    weights,
    domain,
    strata=None,
    psu=None,
    alpha: float = 0,
    *,
    household_size=None,
    population_size: Mapping | pd.Series | None = None,
    lonely_psu: LonelyPSU = "adjust",
    confidence: float = 0.95,
    negative_y: bool = False,
) -> pd.DataFrame:
    """Direct FGT(alpha) by domain with the figures a poverty table carries.

    Units are households. `weights` are household weights (Susenas WERT). When `household_size` (R301) is
    given, the index is for persons (weights WERT x R301 = WEIND), n_persons is the sample persons and
    poor_persons is estimated; without it units are taken to be persons. Columns:
    estimate, se, cv (relative SE, percent), ci_low, ci_high (normal, `confidence`), deff (vs SRS of the same
    n, as svymean(deff=TRUE)), n_households, n_persons, poor_persons, poor_persons_se, poor_households,
    poor_households_se (weighted totals of units with y < z, with linearised SEs).
    """
    w_hh = np.asarray(weights, dtype=float)
    size = None if household_size is None else np.asarray(household_size, dtype=float)
    w_est = w_hh if size is None else w_hh * size
    design = _Design(w_est, domain, strata, psu, lonely_psu)
    g = fgt_values(y, poverty_line, alpha, negative_y=negative_y)
    n_d = _population_size_array(design, population_size)
    est, var = _ratio(design, g, n_d)
    se = np.sqrt(var)

    # deff: design variance over SRS variance with the same n, as R survey svymean(deff=TRUE) (without
    # replacement form): v_srs = s^2_w / n * (1 - n / N_hat), s^2_w the weighted variance with n/(n-1).
    n = np.bincount(design.dom_codes, minlength=design.n_dom).astype(float)
    w_d = _domain_sums(design, w_est)
    dev2 = _domain_sums(design, w_est * (g - est[design.dom_codes]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = dev2 / w_d * n / (n - 1)
        v_srs = s2 / n * (1 - n / w_d)
        deff = np.where(v_srs > 0, var / v_srs, np.nan)
        cv = np.where(est > 0, 100 * se / est, np.nan)
    zq = norm.ppf(0.5 + confidence / 2)

    poor = (np.asarray(y, dtype=float) < np.broadcast_to(np.asarray(poverty_line, dtype=float), g.shape))
    poor = poor.astype(float)
    # totals: the score of an HT total is the weighted value itself
    hh_design = design if size is None else _Design(w_hh, domain, strata, psu, lonely_psu)
    poor_hh = _domain_sums(hh_design, w_hh * poor)
    poor_hh_se = np.sqrt(hh_design.domain_variance(w_hh * poor))
    poor_p = _domain_sums(design, w_est * poor)
    poor_p_se = np.sqrt(design.domain_variance(w_est * poor))
    n_persons = np.full(design.n_dom, np.nan) if size is None else _domain_sums(design, size)

    out = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "cv": cv,
            "ci_low": est - zq * se,
            "ci_high": est + zq * se,
            "deff": deff,
            "n_households": n.astype(np.int64),
            "n_persons": n_persons,
            "poor_persons": poor_p,
            "poor_persons_se": poor_p_se,
            "poor_households": poor_hh,
            "poor_households_se": poor_hh_se,
        },
        index=design.domains,
    )
    out.index.name = "domain"
    return out
