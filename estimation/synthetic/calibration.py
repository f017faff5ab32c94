"""Calibration of the synthetic model to BPS figures: poverty lines, lognormal spread, deep share and tilt.

Per kab/kota and year: P0 and P1 (published, else that of the reference lognormal) exactly, the tilt k
solving P1 given the deep share q; the extreme rate at the calibrating line is P0 q, so q is solved per
province where BPS published a rate and by one relative position for all other provinces so the national
rate of the round matches. See `calibrate_panel` and README.md in this folder.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from estimation.poverty_lines import DEFINITIONS, get_definition, spatial_extreme_lines
from estimation.synthetic.distribution import (
    bisect_increasing,
    deep_share_bounds,
    model_cdf,
    model_fgt,
    solve_lognormal_sigma,
    solve_tilt,
)

__all__ = ["PRE_SPLIT_PROVINCE", "calibrate_panel", "derive_poverty_lines"]

# Papua's 2022 split: targets published on the old boundary are matched on these groups.
PRE_SPLIT_PROVINCE = {92: 91, 95: 94, 96: 94, 97: 94}
DEFAULT_LINE_GROWTH = 0.055  # per year, used only when a single year has published lines (documented)
DEFAULT_SIGMA = 0.45  # used only if no kab/kota anywhere has a published P1


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


# The last few calibrations, (panel, targets, national lines, (calibrated, report)): the rounds of one run
# calibrate the same anchor years (2023-2025 for 2023, 2024 and 2025 today), so they share one calibration.
_RECENT: list[tuple[pd.DataFrame, pd.DataFrame | None, dict[int, float] | None,
                    tuple[pd.DataFrame, pd.DataFrame]]] = []
_RECENT_SIZE = 4


def _same(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and list(a.columns) == list(b.columns) and a.equals(b)


def calibrate_panel(
    panel: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    national_poverty_lines: Mapping[int, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per kab/kota-year model parameters and a report of achieved vs target extreme rates.

    A pure function of its inputs; the last few results are kept and a call with equal inputs (same values,
    dtypes, index and column order) gets copies of the kept frames instead of a second calibration.

    `panel`: bps_code, prov_code, year, p0 (percent), p1 (percent, NaN if unpublished), poverty_line_rp
    (NaN if unpublished), population_thousand. `targets`: `estimation.synthetic.targets.extreme_targets`
    layout (None: P0/P1 only).
    Returns (calibrated, report). calibrated adds: poverty_line_source, national_poverty_line, sigma_p1,
    sigma_ref, sigma_source (p1 | reference), gap_ratio (P1/P0 used), break_definition, break_ratio (r),
    deep_share_min/max (usable range of q), deep_share (q), tilt (k), tail_calibration (province | national |
    none), sigma_u, model_p0/p1/p2 (percent), and per definition (`estimation.poverty_lines.DEFINITIONS`, the
    comparison-only flat USD 1.90 line included) extreme_line_<def> (spatially deflated, capped at GK),
    extreme_rate_<def> (percent, <= p0) and line_capped_<def> (the cap bit). report: year, definition, level,
    group, target_pct, achieved_pct, national_extreme_line_rp, line_source.
    """
    lines = dict(national_poverty_lines) if national_poverty_lines else None
    for kept_panel, kept_targets, kept_lines, (cal, report) in _RECENT:
        if kept_lines == lines and _same(kept_panel, panel) and _same(kept_targets, targets):
            return cal.copy(), report.copy()
    result = _calibrate_panel(panel, targets, national_poverty_lines)
    _RECENT.insert(0, (panel.copy(), None if targets is None else targets.copy(), lines,
                       (result[0].copy(), result[1].copy())))
    del _RECENT[_RECENT_SIZE:]
    return result


def _calibrate_panel(
    panel: pd.DataFrame,
    targets: pd.DataFrame | None,
    national_poverty_lines: Mapping[int, float] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
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
            assert nat_rp is not None  # with_line holds only definitions with a line for this year
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

                defs[other][year] = float(bisect_increasing(h, [1.0], [5.0 * national[year]], 80)[0])
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
