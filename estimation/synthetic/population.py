"""Deterministic synthetic Susenas-like population per kab/kota and year, calibrated to BPS figures.

Model (see README.md in this folder): per-capita monthly expenditure y of a household around the poverty line
z (GK): with probability P0 the household is poor; v = y / z then lies below the break r = e / z (e = the
calibrating extreme line) with probability q (the "deep" share) and in [r, 1) otherwise, with density
proportional to exp(k v) inside each piece. Non-poor: y ~ LN(mu_u, sigma_u) truncated to y >= z, with
mu_u = ln z - sigma_u * Phi^-1(P0). Household size is independent of y, so person-level indices equal the
household-level model.

Calibration: P0 and P1 (published, else that of the reference lognormal) exactly, the tilt k solving P1 given
q; the extreme rate at the calibrating line is P0 q, so q is solved per province where BPS published a rate and
by one relative position for all other provinces so the national rate of the round matches. See
`calibrate_panel`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from estimation.poverty_lines import DEFINITIONS, get_definition, spatial_extreme_lines

__all__ = [
    "POPULATION_COLUMNS",
    "PRE_SPLIT_PROVINCE",
    "calibrate_panel",
    "deep_share_bounds",
    "derive_poverty_lines",
    "generate_population",
    "iter_population",
    "load_extreme_targets",
    "lognormal_fgt",
    "model_cdf",
    "model_fgt",
    "poor_gap_moments",
    "poor_quantile",
    "population_truth",
    "solve_lognormal_sigma",
    "solve_tilt",
]

# Papua's 2022 split: targets published on the old boundary are matched on these groups.
PRE_SPLIT_PROVINCE = {92: 91, 95: 94, 96: 94, 97: 94}
DEFAULT_LINE_GROWTH = 0.055  # per year, used only when a single year has published lines (documented)
DEFAULT_SIGMA = 0.45  # used only if no kab/kota anywhere has a published P1
MEAN_HOUSEHOLD_SIZE = 3.8  # Susenas average, persons per household
URBAN_SHARE_KOTA, URBAN_SHARE_KABUPATEN = 0.95, 0.35
POPULATION_COLUMNS = ["R101", "R102", "R105", "R301", "KAPITA", "bps_code", "block_id", "household_id"]


# ---------------------------------------------------------------------------------------------- closed forms
def lognormal_fgt(mu, sigma, z, alpha: int):
    """FGT(alpha) of LN(mu, sigma) at line z, alpha in {0, 1, 2} (proportions).

    With d = (ln z - mu)/sigma and E[y^k; y < z] = exp(k mu + k^2 sigma^2 / 2) Phi(d - k sigma):
    P0 = Phi(d); P1 = Phi(d) - e^{mu + sigma^2/2} Phi(d - sigma) / z;
    P2 = Phi(d) - 2 e^{mu + sigma^2/2} Phi(d - sigma) / z + e^{2 mu + 2 sigma^2} Phi(d - 2 sigma) / z^2.
    """
    mu, sigma, z = (np.asarray(a, dtype=float) for a in (mu, sigma, z))
    d = (np.log(z) - mu) / sigma
    p0 = ndtr(d)
    if alpha == 0:
        return p0
    m1 = np.exp(mu + sigma**2 / 2 - np.log(z)) * ndtr(d - sigma)
    if alpha == 1:
        return p0 - m1
    if alpha == 2:
        return p0 - 2 * m1 + np.exp(2 * mu + 2 * sigma**2 - 2 * np.log(z)) * ndtr(d - 2 * sigma)
    raise ValueError("alpha must be 0, 1 or 2")


def _bisect(f, lo, hi, iters: int = 80):
    """Vectorised bisection for increasing f: returns x with f(x) ~ 0 elementwise (clipped to [lo, hi])."""
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    for _ in range(iters):
        mid = (lo + hi) / 2
        up = f(mid) > 0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return (lo + hi) / 2


def solve_lognormal_sigma(p0, p1):
    """sigma of the lognormal with headcount p0 and poverty gap p1 (proportions); z cancels out."""
    p0, p1 = np.broadcast_arrays(np.asarray(p0, float), np.asarray(p1, float))
    d = ndtri(p0)
    # with mu = ln z - sigma d: P1 = p0 - exp(-sigma d + sigma^2/2) Phi(d - sigma), increasing in sigma
    return _bisect(lambda s: p0 - np.exp(-s * d + s**2 / 2) * ndtr(d - s) - p1, np.full(p0.shape, 1e-4),
                   np.full(p0.shape, 5.0))


# Poor part: v = y / z in (0, 1) is split at the break r = e / z (e = the calibrating extreme line): a share q
# of the poor ("deep") lies in (0, r), the rest in [r, 1). Inside each piece v has density proportional to
# exp(k v) (one tilt k for both pieces). Given (r, q), the mean gap E[1 - v] falls strictly from
# q + (1 - q)(1 - r) (k -> -inf: deep poor at 0, the rest at e) to q (1 - r) (k -> +inf: deep poor at e, the
# rest at z), so any P1 / P0 strictly inside that bracket is met by exactly one k.
SHARE_MARGIN = 0.01  # keep q this fraction of its feasible width inside the bracket (k stays finite)


def _trunc_exp_moments(rho):
    """E[w], E[w^2] of w on [0, 1] with density proportional to exp(-rho w), rho >= 0."""
    rho = np.asarray(rho, float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(-rho)
        i0 = -np.expm1(-rho) / rho
        i1 = (i0 - e) / rho
        i2 = (2 * i1 - e) / rho
        big = (i1 / i0, i2 / i0)
    # series I_k = sum_j (-rho)^j / (j! (k + j + 1)) where the recursion above cancels (rho < 1)
    r = np.minimum(rho, 1.0)
    s = [np.zeros_like(r) for _ in range(3)]
    term = np.ones_like(r)
    for j in range(30):
        for k in range(3):
            s[k] = s[k] + term / (k + j + 1)
        term = term * (-r) / (j + 1)
    small = (s[1] / s[0], s[2] / s[0])
    return tuple(np.where(rho < 1.0, a, b) for a, b in zip(small, big, strict=True))


def _tilted_moments(lam):
    """E[x], E[x^2] of x on [0, 1] with density proportional to exp(lam x)."""
    lam = np.asarray(lam, float)
    w1, w2 = _trunc_exp_moments(np.abs(lam))
    # lam < 0: x itself is the truncated exponential; lam > 0: 1 - x is
    return np.where(lam < 0, w1, 1 - w1), np.where(lam < 0, w2, 1 - 2 * w1 + w2)


def _tilted_cdf(lam, u):
    """P(x < u) for x on [0, 1] with density proportional to exp(lam x)."""
    lam, u = np.broadcast_arrays(np.asarray(lam, float), np.clip(np.asarray(u, float), 0.0, 1.0))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pos = np.exp(lam * (u - 1)) * np.expm1(-lam * u) / np.expm1(-lam)  # no overflow for lam >> 0
        neg = np.expm1(lam * u) / np.expm1(lam)
    return np.where(lam == 0, u, np.where(lam > 0, pos, neg))


def _tilted_quantile(lam, p):
    """Inverse of `_tilted_cdf` (p in [0, 1])."""
    lam, p = np.broadcast_arrays(np.asarray(lam, float), np.clip(np.asarray(p, float), 1e-300, 1.0))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pos = 1 + np.log1p((1 - p) * np.expm1(-lam)) / lam
        neg = np.log1p(p * np.expm1(lam)) / lam
    return np.clip(np.where(lam == 0, p, np.where(lam > 0, pos, neg)), 0.0, 1.0)


def poor_gap_moments(q, k, r):
    """(E[1 - v], E[(1 - v)^2]) of the poor part with deep share q, tilt k and break r."""
    q, k, r = np.broadcast_arrays(*(np.asarray(a, float) for a in (q, k, r)))
    d1, d2 = _tilted_moments(k * r)  # deep piece: v = r x
    n1, n2 = _tilted_moments(k * (1 - r))  # near piece: v = r + (1 - r) x, gap = (1 - r)(1 - x)
    g1 = q * (1 - r * d1) + (1 - q) * (1 - r) * (1 - n1)
    g2 = q * (1 - 2 * r * d1 + r**2 * d2) + (1 - q) * (1 - r) ** 2 * (1 - 2 * n1 + n2)
    return g1, g2


def deep_share_bounds(gap, r, margin: float = SHARE_MARGIN):
    """Usable range [lo, hi] of the deep share q for mean gap `gap` (= P1/P0) and break r.

    Feasible (open) bracket: q (1 - r) < gap < q + (1 - q)(1 - r), i.e. max(0, (gap - 1 + r) / r) < q <
    min(1, gap / (1 - r)); `margin` of its width is kept off each end.
    """
    gap, r = np.broadcast_arrays(np.asarray(gap, float), np.asarray(r, float))
    a = np.maximum(0.0, (gap - (1 - r)) / r)
    b = np.minimum(1.0, gap / (1 - r))
    return a + margin * (b - a), b - margin * (b - a)


def solve_tilt(gap, q, r):
    """Tilt k with mean poor gap `gap` for deep share q and break r (q inside `deep_share_bounds`)."""
    gap, q, r = np.broadcast_arrays(*(np.asarray(a, float) for a in (gap, q, r)))
    # E[gap] falls in k; bisect on u with k = sinh(u) to cover |k| up to ~6e5
    u = _bisect(lambda u: gap - poor_gap_moments(q, np.sinh(u), r)[0], np.full(gap.shape, -14.0),
                np.full(gap.shape, 14.0), 100)
    return np.sinh(u)


def model_fgt(p0, q, k, r, alpha: int):
    """FGT(alpha) of the model at its own poverty line (proportions)."""
    p0 = np.asarray(p0, float)
    if alpha == 0:
        return p0
    if alpha not in (1, 2):
        raise ValueError("alpha must be 0, 1 or 2")
    return p0 * poor_gap_moments(q, k, r)[alpha - 1]


def poor_quantile(q, k, r, u):
    """v = y / z at quantile u of the poor part (deep piece for u < q)."""
    q, k, r, u = np.broadcast_arrays(*(np.asarray(a, float) for a in (q, k, r, u)))
    with np.errstate(invalid="ignore", divide="ignore"):
        deep = r * _tilted_quantile(k * r, u / q)
        near = r + (1 - r) * _tilted_quantile(k * (1 - r), (u - q) / (1 - q))
    return np.where(u < q, deep, near)


def model_cdf(x, z, p0, q, k, r, sigma_u):
    """P(y < x): poor part below z, LN(mu_u, sigma_u) truncated to y >= z above (mu_u puts mass P0 below z)."""
    x, z, p0, q, k, r, sigma_u = np.broadcast_arrays(*(np.asarray(a, float) for a in (x, z, p0, q, k, r, sigma_u)))
    v = np.clip(x / z, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        deep = q * _tilted_cdf(k * r, v / r)
        near = q + (1 - q) * _tilted_cdf(k * (1 - r), (v - r) / (1 - r))
        mu_u = np.log(z) - sigma_u * ndtri(p0)
        upper = ndtr((np.log(np.maximum(x, z)) - mu_u) / sigma_u)
    return np.where(x < z, p0 * np.where(v < r, deep, near), upper)

# ---------------------------------------------------------------------------------------------- lines
def _weighted_mean(frame: pd.DataFrame, col: str) -> pd.Series:
    ok = frame[col].notna()
    f = frame[ok]
    return (f[col] * f["population_thousand"]).groupby(f["year"]).sum() / f.groupby("year")[
        "population_thousand"
    ].sum()


def derive_poverty_lines(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Fill missing poverty_line_rp and return (panel, national line by year).

    National line of a year = population-weighted mean of its published kab/kota lines. A missing kab/kota
    line = its nearest published line x national(year) / national(that year). A year with no published line
    at all gets the national line extrapolated at the geometric mean growth of the published years
    (DEFAULT_LINE_GROWTH if only one year is published). Flag: poverty_line_source published | derived.
    """
    out = panel.copy()
    out["poverty_line_source"] = np.where(out["poverty_line_rp"].notna(), "published", "derived")
    national = _weighted_mean(out, "poverty_line_rp")
    if national.empty:
        raise ValueError("no published poverty line in the panel")
    years_pub = national.index.to_numpy()
    if len(years_pub) > 1:
        growth = (national.iloc[-1] / national.iloc[0]) ** (1 / (years_pub[-1] - years_pub[0])) - 1
    else:
        growth = DEFAULT_LINE_GROWTH
    nat = national.to_dict()
    for year in sorted(set(out["year"]) - set(nat)):
        anchor = min(years_pub, key=lambda y: abs(y - year))
        nat[year] = nat[anchor] * (1 + growth) ** (year - anchor)
    national = pd.Series(nat).sort_index()
    missing = out["poverty_line_rp"].isna()
    if missing.any():
        pub = out.loc[~missing, ["bps_code", "year", "poverty_line_rp"]]
        cand = out.loc[missing, ["bps_code", "year"]].reset_index().merge(pub, on="bps_code", suffixes=("", "_p"))
        if cand.empty or cand["index"].nunique() < missing.sum():
            raise ValueError("a kab/kota has no published poverty line in any year")
        cand["dist"] = (cand["year"] - cand["year_p"]).abs()
        cand = cand.sort_values(["index", "dist", "year_p"], ascending=[True, True, False])
        best = cand.drop_duplicates("index")
        ratio = best["year"].map(national) / best["year_p"].map(national)
        out.loc[best["index"].to_numpy(), "poverty_line_rp"] = (best["poverty_line_rp"] * ratio).to_numpy()
    return out, national


# ---------------------------------------------------------------------------------------------- targets
def load_extreme_targets(raw_bps_dir: str | Path) -> pd.DataFrame:
    """Published March extreme-poverty rates: columns year, definition, level, group, target_pct.

    level "national" (group 0) or "province" (group = BPS province code, pre-2022-split for Papua).
    Province rates in data/raw are all on the USD 1.90 definition (published before July 2025).
    """
    raw = Path(raw_bps_dir)
    nat = pd.read_csv(raw / "kemiskinan_ekstrem_nasional_2021_2025.csv")
    label_to_name = {d.label: d.name for d in DEFINITIONS.values()}
    nat = nat[nat["month"] == 3]
    rows = [
        {"year": int(r.year), "definition": label_to_name[r.line_definition], "level": "national", "group": 0,
         "target_pct": float(r.extreme_poverty_rate_pct)}
        for r in nat.itertuples()
    ]
    prov = pd.read_csv(raw / "kemiskinan_ekstrem_provinsi_2023_partial.csv", dtype={"bps_prov_code": str})
    prov = prov[(prov["bps_prov_code"] != "00") & (prov["period"] == "Maret")]
    rows += [
        {"year": int(r.year), "definition": "usd190_2011ppp", "level": "province", "group": int(r.bps_prov_code),
         "target_pct": float(r.extreme_poverty_rate_pct)}
        for r in prov.itertuples()
    ]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- calibration
def _reference_sigma(cal: pd.DataFrame) -> pd.Series:
    """Per row: lognormal sigma from P1 in the nearest year that has one, else province / national median."""
    has = cal[cal["sigma_p1"].notna()][["bps_code", "year", "sigma_p1"]]
    ref = pd.Series(np.nan, index=cal.index)
    if not has.empty:
        cand = cal[["bps_code", "year"]].reset_index().merge(has, on="bps_code", suffixes=("", "_p"))
        cand["dist"] = (cand["year"] - cand["year_p"]).abs()
        best = cand.sort_values(["index", "dist", "year_p"], ascending=[True, True, False]).drop_duplicates("index")
        ref.loc[best["index"].to_numpy()] = best["sigma_p1"].to_numpy()
        prov_med = has.merge(cal[["bps_code", "prov_code"]].drop_duplicates(), on="bps_code").groupby(
            "prov_code")["sigma_p1"].median()
        ref = ref.fillna(cal["prov_code"].map(prov_med)).fillna(has["sigma_p1"].median())
    return ref.fillna(DEFAULT_SIGMA)


def _gap_ratio(cal: pd.DataFrame) -> np.ndarray:
    """Mean poverty gap of the poor, P1/P0: published, else that of the lognormal with sigma_ref."""
    p0 = cal["p0"].to_numpy() / 100
    d, s = ndtri(p0), cal["sigma_ref"].to_numpy()
    ref = 1 - np.exp(-s * d + s**2 / 2) * ndtr(d - s) / np.maximum(p0, 1e-300)
    return np.where(cal["sigma_p1"].notna(), cal["p1"].to_numpy() / cal["p0"].to_numpy(), ref)


def _base_share(cal: pd.DataFrame, r: np.ndarray) -> np.ndarray:
    """Deep share of the lognormal fit (sigma_p1, else sigma_ref) below the break: the uncalibrated default."""
    p0 = cal["p0"].to_numpy() / 100
    sigma = cal["sigma_p1"].fillna(cal["sigma_ref"]).to_numpy()
    return ndtr(ndtri(p0) + np.log(r) / sigma) / np.maximum(p0, 1e-300)


def _rates(cal: pd.DataFrame, lines: np.ndarray) -> np.ndarray:
    """Model rate below `lines` with the parameters in cal (deep_share, tilt, break_ratio, sigma_u)."""
    return model_cdf(lines, cal["poverty_line_rp"].to_numpy(), cal["p0"].to_numpy() / 100,
                     cal["deep_share"].to_numpy(), cal["tilt"].to_numpy(), cal["break_ratio"].to_numpy(),
                     cal["sigma_u"].to_numpy())


def _extreme_lines(cal: pd.DataFrame, national_gk: float, definition: str, national_rp: float) -> np.ndarray:
    """Kab/kota extreme lines of `definition`, spatially deflated and capped at GK (estimation.poverty_lines)."""
    return spatial_extreme_lines(cal["poverty_line_rp"].to_numpy(), national_gk, definition, national_rp)[0]


def _calibrate_year(cal: pd.DataFrame, targets: pd.DataFrame, q_lo, q_hi, q_base):
    """Deep share per row so that targeted province rates, then the national rate, match.

    At the calibrating line the row rate is P0 q, so it moves within [lo, hi] = P0 [q_lo, q_hi]
    (`deep_share_bounds`); a group moves all its rows to the same relative position theta in their ranges, so
    the group rate is linear in theta and is solved exactly (clipped to [0, 1] when the target is out of reach;
    the report then shows the gap). Rows of no group keep q_base.
    """
    w = cal["population_thousand"].to_numpy()
    p0 = cal["p0"].to_numpy() / 100
    group = cal["prov_code"].map(lambda p: PRE_SPLIT_PROVINCE.get(int(p), int(p))).to_numpy()
    lo, hi = p0 * q_lo, p0 * q_hi
    target_rate = p0 * q_base
    how = np.full(len(cal), "none", dtype=object)
    prov_t = targets[targets["level"] == "province"].set_index("group")["target_pct"] / 100
    targeted = np.isin(group, prov_t.index)
    for code, tgt in prov_t.items():
        rows = group == code
        if not rows.any():
            continue
        theta = (tgt * w[rows].sum() - (w * lo)[rows].sum()) / (w * (hi - lo))[rows].sum()
        target_rate[rows] = lo[rows] + np.clip(theta, 0, 1) * (hi - lo)[rows]
        how[rows] = "province"
    nat_t = targets[targets["level"] == "national"]["target_pct"]
    rest = ~targeted
    if len(nat_t) and rest.any():
        need = float(nat_t.iloc[0]) / 100 * w.sum() - (w * target_rate)[targeted].sum()
        theta = (need - (w * lo)[rest].sum()) / (w * (hi - lo))[rest].sum()
        target_rate[rest] = lo[rest] + np.clip(theta, 0, 1) * (hi - lo)[rest]
        how[rest] = "national"
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(p0 > 0, target_rate / p0, q_base)
    return np.clip(q, q_lo, q_hi), how


def calibrate_panel(
    panel: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    national_poverty_lines: Mapping[int, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per kab/kota-year model parameters and a report of achieved vs target extreme rates.

    `panel`: bps_code, prov_code, year, p0 (percent), p1 (percent, NaN if unpublished), poverty_line_rp
    (NaN if unpublished), population_thousand. `targets`: `load_extreme_targets` layout (None: P0/P1 only).
    Returns (calibrated, report). calibrated adds: poverty_line_source, national_poverty_line, sigma_p1,
    sigma_ref, sigma_source (p1 | reference), gap_ratio (P1/P0 used), break_definition, break_ratio (r),
    deep_share_min/max (usable range of q), deep_share (q), tilt (k), tail_calibration (province | national |
    none), sigma_u, model_p0/p1/p2 (percent), and per definition (`estimation.poverty_lines.DEFINITIONS`, the
    comparison-only flat USD 1.90 line included) extreme_line_<def> (spatially deflated, capped at GK),
    extreme_rate_<def> (percent, <= p0) and line_capped_<def> (the cap bit). report: year, definition, level,
    group, target_pct, achieved_pct, national_extreme_line_rp, line_source.
    """
    need = {"bps_code", "prov_code", "year", "p0", "p1", "poverty_line_rp", "population_thousand"}
    if missing := need - set(panel.columns):
        raise ValueError(f"panel lacks columns {sorted(missing)}")
    cal, national = derive_poverty_lines(panel.reset_index(drop=True))
    if national_poverty_lines:
        national = pd.Series({**national.to_dict(), **dict(national_poverty_lines)}).sort_index()
    cal["national_poverty_line"] = cal["year"].map(national)
    ok = cal["p1"].notna() & (cal["p1"] > 0) & (cal["p1"] < cal["p0"])
    cal["sigma_p1"] = np.nan
    cal.loc[ok, "sigma_p1"] = solve_lognormal_sigma(cal.loc[ok, "p0"] / 100, cal.loc[ok, "p1"] / 100)
    cal["sigma_ref"] = _reference_sigma(cal)
    cal["sigma_source"] = np.where(ok, "p1", "reference")
    cal["sigma_u"] = cal["sigma_p1"].fillna(cal["sigma_ref"])
    cal["gap_ratio"] = _gap_ratio(cal)
    for col in ("break_ratio", "deep_share_min", "deep_share_max", "deep_share", "tilt"):
        cal[col] = np.nan
    cal["break_definition"] = ""
    cal["tail_calibration"] = "none"
    targets = targets if targets is not None else pd.DataFrame(columns=["year", "definition", "level", "group",
                                                                       "target_pct"])
    defs = {name: dict(d.national_line_rp_by_year) for name, d in DEFINITIONS.items()}
    report = []
    years = sorted(cal["year"].unique())
    # years whose calibrating line is known first; a line derived in one year then feeds the next ones
    pending = list(years)
    for _ in range(2):
        for year in list(pending):
            idx = cal.index[cal["year"] == year]
            t_year = targets[targets["year"] == year]
            names = [n for n in DEFINITIONS if n in set(t_year["definition"])]
            known = [n for n in names if _line_for(defs[n], year, national) is not None]
            if names and not known:
                continue  # wait until another year has given this definition a Rupiah anchor
            pending.remove(year)
            # the break of the poor part sits at the calibrating line (else the first definition with a line)
            with_line = known or [n for n in DEFINITIONS if _line_for(defs[n], year, national) is not None]
            if not with_line:
                raise ValueError(f"no extreme line for {year}")
            cal_def = with_line[0]
            nat_rp = _line_for(defs[cal_def], year, national)
            sub = cal.loc[idx]
            lines = _extreme_lines(sub, national[year], cal_def, nat_rp)
            r = np.clip(lines / sub["poverty_line_rp"].to_numpy(), 1e-6, 1 - 1e-6)
            q_lo, q_hi = deep_share_bounds(sub["gap_ratio"].to_numpy(), r)
            q_base = np.clip(_base_share(sub, r), q_lo, q_hi)
            q, how = q_base, np.full(len(idx), "none", dtype=object)
            if known:
                q, how = _calibrate_year(sub, t_year[t_year["definition"] == cal_def], q_lo, q_hi, q_base)
                defs[cal_def].setdefault(year, nat_rp)
            cal.loc[idx, "break_definition"] = cal_def
            cal.loc[idx, "break_ratio"] = r
            cal.loc[idx, "deep_share_min"], cal.loc[idx, "deep_share_max"] = q_lo, q_hi
            cal.loc[idx, "deep_share"] = q
            cal.loc[idx, "tilt"] = solve_tilt(sub["gap_ratio"].to_numpy(), q, r)
            cal.loc[idx, "tail_calibration"] = how
            sub = cal.loc[idx]
            # other definitions targeted this round without a Rupiah line: derive it from their rate
            for other in names:
                if other == cal_def or _line_for(defs[other], year, national) is not None:
                    continue
                nat_t = t_year[(t_year["definition"] == other) & (t_year["level"] == "national")]
                if nat_t.empty:
                    continue
                target = float(nat_t["target_pct"].iloc[0]) / 100
                w = sub["population_thousand"].to_numpy()

                def h(rp, sub=sub, w=w, other=other, target=target, year=year):
                    r_ = _rates(sub, _extreme_lines(sub, national[year], other, rp[0]))
                    return np.array([(r_ * w).sum() / w.sum() - target])

                defs[other][year] = float(_bisect(h, [1.0], [5.0 * national[year]], 80)[0])
        if not pending:
            break
    # model checks and extreme rates under every definition with a line
    p0 = cal["p0"].to_numpy() / 100
    q, k, r = (cal[c].to_numpy() for c in ("deep_share", "tilt", "break_ratio"))
    for a in (0, 1, 2):
        cal[f"model_p{a}"] = 100 * model_fgt(p0, q, k, r, a)
    for name in DEFINITIONS:
        cal[f"extreme_line_{name}"] = np.nan
        cal[f"extreme_rate_{name}"] = np.nan
        cal[f"line_capped_{name}"] = False
        for year in years:
            nat_rp = _line_for(defs[name], year, national)
            if nat_rp is None:
                continue
            idx = cal.index[cal["year"] == year]
            lines, _, capped = spatial_extreme_lines(cal.loc[idx, "poverty_line_rp"].to_numpy(), national[year],
                                                     name, nat_rp)
            cal.loc[idx, f"extreme_line_{name}"] = lines
            cal.loc[idx, f"line_capped_{name}"] = capped
            cal.loc[idx, f"extreme_rate_{name}"] = 100 * _rates(cal.loc[idx], lines)
    for t in targets.itertuples():
        sub = cal[cal["year"] == t.year]
        col = f"extreme_rate_{t.definition}"
        if sub.empty or sub[col].isna().all():
            continue
        if t.level == "province":
            grp = sub["prov_code"].map(lambda p: PRE_SPLIT_PROVINCE.get(int(p), int(p)))
            sub = sub[grp == t.group]
            if sub.empty:
                continue
        achieved = float((sub[col] * sub["population_thousand"]).sum() / sub["population_thousand"].sum())
        source = "published" if t.year in get_definition(t.definition).national_line_rp_by_year else "derived"
        report.append({"year": t.year, "definition": t.definition, "level": t.level, "group": t.group,
                       "target_pct": t.target_pct, "achieved_pct": achieved,
                       "national_extreme_line_rp": _line_for(defs[t.definition], t.year, national),
                       "line_source": source})
    return cal, pd.DataFrame(report)


def _line_for(lines: Mapping[int, float], year: int, national: pd.Series) -> float | None:
    """National extreme line in Rp for `year`: known, or nearest known scaled by the national GK ratio."""
    if year in lines:
        return float(lines[year])
    if not lines:
        return None
    anchor = min(lines, key=lambda y: (abs(y - year), -y))
    return float(lines[anchor] * national[year] / national[anchor])


# ---------------------------------------------------------------------------------------------- population
def _population_rows(calibrated: pd.DataFrame, year: int, bps_codes: Iterable[int] | None) -> pd.DataFrame:
    rows = calibrated[calibrated["year"] == year]
    if bps_codes is not None:
        rows = rows[rows["bps_code"].isin(list(bps_codes))]
    if rows.empty:
        raise ValueError(f"no calibrated rows for year {year}")
    return rows.sort_values("bps_code", kind="stable")


def _row_scales(rows: pd.DataFrame, scale: float | Mapping[int, float] | pd.Series) -> np.ndarray:
    """Scale per row: one float for all, or a per-bps_code mapping / Series (every row must be covered)."""
    if np.isscalar(scale):
        return np.full(len(rows), float(scale))
    per_code = pd.Series(scale, dtype=float)
    out = per_code.reindex(rows["bps_code"].to_numpy()).to_numpy(float)
    if np.isnan(out).any():
        raise ValueError("scale mapping does not cover every bps_code generated")
    return out


def _households(rows: pd.DataFrame, scales: np.ndarray, seed: int, households_per_block: int) -> pd.DataFrame:
    """Households of all `rows` (kab/kota of one year) in row order, Susenas columns.

    Each kab/kota keeps its own generator seeded by (seed, year, bps_code) and draws its raw random numbers in
    the same order as ever (a handful of numpy calls per kab/kota, no pandas); every transform of those numbers
    (inverse CDFs, blocks, ids, columns) runs once over all households.
    """
    codes = rows["bps_code"].to_numpy(np.int64)
    years = rows["year"].to_numpy(np.int64)
    n = np.maximum(1, np.round(rows["population_thousand"].to_numpy(float) * 1000 * scales
                               / MEAN_HOUSEHOLD_SIZE)).astype(np.int64)
    urban_share = np.where(codes % 100 >= 71, URBAN_SHARE_KOTA, URBAN_SHARE_KABUPATEN)
    bounds = np.r_[0, np.cumsum(n)]
    total = int(bounds[-1])
    size = np.empty(total, dtype=np.int16)
    r105 = np.empty(total, dtype=np.int8)
    u0, u1 = np.empty(total), np.empty(total)
    block = np.empty(total, dtype=np.int64)
    lo_b, hi_b = int(0.6 * households_per_block), int(1.4 * households_per_block) + 1
    step_b = max(1, int(0.6 * households_per_block))
    for i in range(len(codes)):
        a, b, m = int(bounds[i]), int(bounds[i + 1]), int(n[i])
        rng = np.random.default_rng([seed, int(years[i]), int(codes[i])])
        size[a:b] = np.minimum(1 + rng.poisson(MEAN_HOUSEHOLD_SIZE - 1, m), 15)
        n_urban = int(np.count_nonzero(rng.random(m) < urban_share[i]))
        r105[a:a + n_urban] = 1  # urban first: blocks never mix urban and rural
        r105[a + n_urban:b] = 2
        # stratified uniforms: the household P0 and the spread of each part hit the model to within 1/n
        u0[a:b] = (rng.permutation(m) + rng.random(m)) / m
        u1[a:b] = (rng.permutation(m) + rng.random(m)) / m
        # census blocks of 60-140% of `households_per_block` households, cut within urban and rural
        next_block = 0
        for off, cnt in ((0, n_urban), (n_urban, m - n_urban)):
            if cnt == 0:
                continue
            cuts = np.cumsum(rng.integers(lo_b, hi_b, cnt // step_b + 2))
            n_blocks = max(1, int(np.searchsorted(cuts, cnt)))
            ids = np.minimum(np.searchsorted(cuts, np.arange(cnt), side="right"), n_blocks - 1)
            block[a + off:a + off + cnt] = next_block + ids
            next_block += n_blocks
    # expenditure: poor with probability P0, then inverse-CDF draws from the two parts (per-row parameters)
    p0_row = rows["p0"].to_numpy(float) / 100
    z_row = rows["poverty_line_rp"].to_numpy(float)
    sigma_row = rows["sigma_u"].to_numpy(float)
    mu_row = np.log(z_row) - sigma_row * ndtri(p0_row)
    p0, z = np.repeat(p0_row, n), np.repeat(z_row, n)
    poor = u0 < p0
    kapita = np.empty(total)
    ip, iu = np.flatnonzero(poor), np.flatnonzero(~poor)
    q, k, r = (np.repeat(rows[c].to_numpy(float), n)[ip] for c in ("deep_share", "tilt", "break_ratio"))
    kapita[ip] = z[ip] * poor_quantile(q, k, r, u1[ip])
    upper = np.exp(np.repeat(mu_row, n)[iu] + np.repeat(sigma_row, n)[iu] * ndtri(p0[iu] + u1[iu] * (1 - p0[iu])))
    kapita[iu] = np.maximum(upper, z[iu])
    code_hh = np.repeat(codes, n)
    return pd.DataFrame({
        "R101": (code_hh // 100).astype(np.int16),
        "R102": (code_hh % 100).astype(np.int16),
        "R105": r105,
        "R301": size,
        "KAPITA": np.maximum(np.round(kapita, 0), 1.0),  # a deep-poor draw never rounds to Rp 0
        "bps_code": code_hh.astype(np.int32),
        "block_id": code_hh * 100_000 + block,
        "household_id": code_hh * 10_000_000 + (np.arange(total, dtype=np.int64) - np.repeat(bounds[:-1], n)),
    })


def iter_population(
    calibrated: pd.DataFrame,
    year: int,
    scale: float | Mapping[int, float] | pd.Series = 0.01,
    seed: int = 0,
    households_per_block: int = 100,
    bps_codes: Iterable[int] | None = None,
    chunk_households: int = 2_000_000,
) -> Iterator[pd.DataFrame]:
    """Yield the households in chunks of whole kab/kota (Susenas columns, bps_code order), each chunk of about
    `chunk_households` at most (one kab/kota per chunk if it is larger), so full scale never sits in memory.

    `scale`: one sampling scale, or one per bps_code. Each kab/kota has its own generator seeded by (seed, year,
    bps_code): output does not depend on order, chunking or on which other kab/kota are generated.
    """
    rows = _population_rows(calibrated, year, bps_codes)
    scales = _row_scales(rows, scale)
    expected = rows["population_thousand"].to_numpy(float) * 1000 * scales / MEAN_HOUSEHOLD_SIZE
    start, acc = 0, 0.0
    for i, e in enumerate(expected):
        if i > start and acc + e > chunk_households:
            yield _households(rows.iloc[start:i], scales[start:i], seed, households_per_block)
            start, acc = i, 0.0
        acc += e
    yield _households(rows.iloc[start:], scales[start:], seed, households_per_block)


def generate_population(
    calibrated: pd.DataFrame,
    year: int,
    scale: float | Mapping[int, float] | pd.Series = 0.01,
    seed: int = 0,
    households_per_block: int = 100,
    bps_codes: Iterable[int] | None = None,
    max_households: int = 20_000_000,
) -> pd.DataFrame:
    """All households in one frame, bps_code order (small scales); use `iter_population` beyond
    `max_households`. Identical to the concatenated chunks of `iter_population`."""
    rows = _population_rows(calibrated, year, bps_codes)
    scales = _row_scales(rows, scale)
    expected = (rows["population_thousand"].to_numpy(float) * 1000 * scales / MEAN_HOUSEHOLD_SIZE).sum()
    if expected > max_households:
        raise MemoryError(f"~{expected:,.0f} households: stream with iter_population instead")
    return _households(rows, scales, seed, households_per_block)


def population_truth(population: pd.DataFrame | Iterable[pd.DataFrame], lines: pd.DataFrame) -> pd.DataFrame:
    """True person-level indices per kab/kota of a synthetic population (percent, as BPS publishes).

    `lines`: indexed by bps_code with poverty_line_rp and any extreme_line_<definition> columns.
    Returns bps_code-indexed n_households, n_persons, p0, p1, p2, extreme_rate_<definition>, poor_persons,
    poor_households.
    """
    frames = [population] if isinstance(population, pd.DataFrame) else population
    extreme_cols = [c for c in lines.columns if c.startswith("extreme_line_")]
    out = []
    for pop in frames:
        codes, uniq = pd.factorize(pop["bps_code"], sort=True)
        k = len(uniq)
        persons = pop["R301"].to_numpy(float)
        y = pop["KAPITA"].to_numpy(float)
        sel = lines.loc[uniq]
        z = sel["poverty_line_rp"].to_numpy()[codes]
        n_p = np.bincount(codes, persons, k)
        poor = y < z
        gap = np.where(poor, (z - y) / z, 0.0)
        res = {
            "n_households": np.bincount(codes, minlength=k),
            "n_persons": n_p,
            "p0": 100 * np.bincount(codes, persons * poor, k) / n_p,
            "p1": 100 * np.bincount(codes, persons * gap, k) / n_p,
            "p2": 100 * np.bincount(codes, persons * gap**2, k) / n_p,
            "poor_persons": np.bincount(codes, persons * poor, k),
            "poor_households": np.bincount(codes, poor.astype(float), k),
        }
        for c in extreme_cols:
            e = sel[c].to_numpy()[codes]
            res["extreme_rate_" + c.removeprefix("extreme_line_")] = 100 * np.bincount(codes, persons * (y < e), k) / n_p
        out.append(pd.DataFrame(res, index=pd.Index(uniq, name="bps_code")))
    return pd.concat(out).sort_index()
