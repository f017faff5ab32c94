"""The change between two rounds per kab/kota, direct and model-based, with its precision and significance.

Direct: theta_2 - theta_1 with Var = V_1 + V_2 - 2 C_12, C_12 the covariance of the two rounds' direct
estimates from the census blocks both rounds share (`estimation.survey.change`; 0 for independent samples).

Model-based: a bivariate Fay-Herriot over the two rounds (`estimation.sae.multivariate`, Benavent & Morales
2016, unstructured Sigma_u: the kab/kota random effects of the two rounds are correlated, as a kab/kota's
poverty persists), fitted by adjusted REML (AMRL: the REML likelihood times det Sigma_u, as the univariate
default) with area-effect variances proportional to the GVF variances (as the univariate default), and each
kab/kota's design covariance matrix
    V_e,d = [[D_1d, r sqrt(D_1d D_2d)], [r sqrt(D_1d D_2d), D_2d]],
D the GVF-smoothed sampling variances the univariate model uses and r the pooled design correlation
sum_d C_12,d / sum_d sqrt(V_1d V_2d) of the linearised (unsmoothed) figures: the covariance is smoothed
like the variances (one correlation for all, as the GVF uses one design effect). The change is
EBLUP_2 - EBLUP_1 (each clipped at 0, as published), with MSE = MSE_11 + MSE_22 - 2 MSE_12 from the model's
MSE matrix (the cross term included).

Why a multivariate Fay-Herriot rather than Rao-Yu: with two rounds the unstructured bivariate model is
the most general (Rao-Yu's AR(1) over time needs more rounds to tell its correlation from the area
effect's variance), it uses the design covariance between rounds directly, and the same machinery takes P0
and extreme poverty jointly.

A change is *perubahan signifikan* when its 95% interval excludes 0, *tidak signifikan* otherwise; an
extreme-poverty change between rounds measured on different line definitions is *tidak dapat dibandingkan*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from estimation.sae.multivariate import Method, MultivariateFHResult, multivariate_fay_herriot
from estimation.survey.change import RoundScores, change_table, round_covariance, round_scores

__all__ = ["CHANGE_COLUMNS", "DEFAULT_EFFECTS", "DEFAULT_METHOD", "NOT_COMPARABLE", "PairInputs", "design_correlation",
           "effect_scales", "model_change", "pair_changes", "round_changes", "round_scores_for",
           "sampling_covariances", "simulation_records"]

NOT_COMPARABLE = "tidak dapat dibandingkan (definisi garis berbeda)"
# Area effects with variance proportional to the sampling variance, as the univariate default: on the
# Susenas-like test bed the homoscedastic model's MSE is a third (P0) to a tenth (extreme) of the actual.
DEFAULT_EFFECTS = "proportional"
# Adjusted REML (det Sigma_u times the REML likelihood), as the univariate default "AMRL:prasad_rao": REML puts
# the P0 area-effect variance near 0 in many samples and its MSE then understates the error.
DEFAULT_METHOD: Method = "AMRL"
MAX_CORRELATION = 0.95


def design_correlation(var_first: np.ndarray, var_second: np.ndarray, cov: np.ndarray) -> float:
    """Pooled design correlation sum C_12 / sum sqrt(V_1 V_2) over areas with both variances > 0, within
    +-MAX_CORRELATION (0 when no area has both)."""
    v1, v2, c = (np.asarray(a, dtype=float) for a in (var_first, var_second, cov))
    ok = (v1 > 0) & (v2 > 0) & np.isfinite(c)
    denom = float(np.sqrt(v1[ok] * v2[ok]).sum())
    if denom <= 0:
        return 0.0
    return float(np.clip(c[ok].sum() / denom, -MAX_CORRELATION, MAX_CORRELATION))


def sampling_covariances(smoothed_first: np.ndarray, smoothed_second: np.ndarray, correlation: float
                         ) -> np.ndarray:
    """(m, 2, 2) design covariance matrices from the smoothed variances and one correlation."""
    d1, d2 = np.asarray(smoothed_first, dtype=float), np.asarray(smoothed_second, dtype=float)
    ve = np.zeros((d1.size, 2, 2))
    ve[:, 0, 0], ve[:, 1, 1] = d1, d2
    ve[:, 0, 1] = ve[:, 1, 0] = correlation * np.sqrt(d1 * d2)
    return ve


def effect_scales(sampling_covariance: np.ndarray, effects: str = DEFAULT_EFFECTS) -> np.ndarray | None:
    """Known scales k_dk of the area effects: "proportional" = D_dk / geometric mean over areas of D_k (the
    univariate pipeline's default, `estimation.sae.workflow`), "constant" = None (homoscedastic)."""
    if effects == "constant":
        return None
    if effects != "proportional":
        raise ValueError(f"effects must be 'proportional' or 'constant', not {effects!r}")
    d = np.diagonal(np.asarray(sampling_covariance, dtype=float), axis1=1, axis2=2)
    return d / np.exp(np.log(d).mean(axis=0))


def model_change(y_first: np.ndarray, y_second: np.ndarray, X_first: np.ndarray, X_second: np.ndarray,
                 sampling_covariance: np.ndarray, confidence: float = 0.95, effects: str = DEFAULT_EFFECTS,
                 method: Method = DEFAULT_METHOD) -> tuple[pd.DataFrame, MultivariateFHResult]:
    """Bivariate Fay-Herriot over two rounds: per area level_first, level_second (EBLUPs clipped at 0),
    mse_first, mse_second, cov_rounds (the MSE matrix's cross term) and the columns of `change_table`.
    `effects`: area-effect variances "proportional" to the sampling variances (default) or "constant";
    `method`: "AMRL" (default) or "REML" (`multivariate_fay_herriot`)."""
    y = np.c_[np.asarray(y_first, dtype=float), np.asarray(y_second, dtype=float)]
    fit = multivariate_fay_herriot(y, [np.asarray(X_first, dtype=float), np.asarray(X_second, dtype=float)],
                                   sampling_covariance, structure="unstructured",
                                   effect_scale=effect_scales(sampling_covariance, effects), method=method)
    level = np.clip(fit.eblup, 0.0, None)
    frame = pd.DataFrame({"level_first": level[:, 0], "level_second": level[:, 1],
                          "mse_first": fit.mse[:, 0, 0], "mse_second": fit.mse[:, 1, 1],
                          "cov_rounds": fit.mse[:, 0, 1]})
    ch = change_table(frame["level_first"], frame["level_second"], frame["mse_first"], frame["mse_second"],
                      frame["cov_rounds"], confidence)
    return pd.concat([frame, ch], axis=1), fit


@dataclass(frozen=True)
class PairInputs:
    """One indicator of two consecutive rounds, aligned on the same kab/kota (index = int bps_code).

    direct_*: direct estimate; var_*: its linearised variance; smoothed_*: the GVF-smoothed variance the
    Fay-Herriot model uses; X_*: the round's design matrix; direct_cov: covariance of the two rounds' direct
    estimates (0 for independent samples); line_*: the extreme-line definition of each round."""

    direct_first: pd.Series
    direct_second: pd.Series
    var_first: pd.Series
    var_second: pd.Series
    smoothed_first: pd.Series
    smoothed_second: pd.Series
    X_first: pd.DataFrame
    X_second: pd.DataFrame
    direct_cov: pd.Series
    comparable: bool = True


def pair_changes(inputs: PairInputs, confidence: float = 0.95) -> tuple[pd.DataFrame, dict[str, float]]:
    """Direct and model-based change per kab/kota (long: one row per kab/kota and `estimator` "direct" /
    "model"; columns level_prev, level, cov_rounds, change, change_se, change_ci_low, change_ci_high,
    significance) and the model's fit figures (sigma_u elements, random-effect correlation, design
    correlation, iterations, converged)."""
    codes = inputs.direct_first.index
    get = {name: getattr(inputs, name).reindex(codes).to_numpy(float) for name in
           ("direct_first", "direct_second", "var_first", "var_second", "smoothed_first", "smoothed_second",
            "direct_cov")}
    direct = change_table(get["direct_first"], get["direct_second"], get["var_first"], get["var_second"],
                          get["direct_cov"], confidence)
    direct.insert(0, "cov_rounds", get["direct_cov"])
    direct.insert(0, "level", get["direct_second"])
    direct.insert(0, "level_prev", get["direct_first"])
    rho = design_correlation(get["var_first"], get["var_second"], get["direct_cov"])
    ve = sampling_covariances(get["smoothed_first"], get["smoothed_second"], rho)
    model, fit = model_change(get["direct_first"], get["direct_second"], inputs.X_first.reindex(codes).to_numpy(float),
                              inputs.X_second.reindex(codes).to_numpy(float), ve, confidence)
    model = model.rename(columns={"level_first": "level_prev", "level_second": "level"})
    model = model[list(direct.columns)]
    out = pd.concat([direct.assign(estimator="direct"), model.assign(estimator="model")], ignore_index=True)
    out.insert(0, "bps_code", np.tile(np.asarray(codes), 2))
    if not inputs.comparable:
        out["significance"] = NOT_COMPARABLE
    info = {"sigma2_u_prev": float(fit.sigma_u[0, 0]), "sigma2_u": float(fit.sigma_u[1, 1]),
            "random_effect_correlation": fit.random_effect_correlation, "design_correlation": rho,
            "iterations": float(fit.iterations), "converged": float(fit.converged)}
    return out, info


def simulation_records(areas: list[pd.DataFrame], samples: list[pd.DataFrame], models: list[pd.DataFrame],
                       X: list[pd.DataFrame], replicate: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For the design-based simulation (scripts/simulate_sae.py) of two rounds: (direct covariances, bivariate
    records).

    `areas[t]`: the round's lines per kab/kota (int bps_code index; poverty_line_rp, extreme_line);
    `samples[t]`: its Susenas-like sample (KAPITA, WERT, R301, stratum, psu, bps_code); `models[t]`: the
    univariate model frame of `workflow.fit_models` (bps_code, indicator, direct, direct_var_smoothed);
    `X[t]`: the round's design matrix. Direct covariances: replicate, round (1), indicator, estimator
    ("direct"), bps_code, cov. Bivariate records (estimator "bivariate_fh"): both rounds' EBLUPs with var =
    their MSE, the normal interval clipped to [0, 1], and on round 1 `cov` = the MSE matrix's cross term;
    and (estimator "joint_fh") each round's P0 and extreme EBLUPs of the joint model (`estimation.sae.joint`,
    the design correlation of the two indicators from the same sample), `cov` NaN (its change across rounds is
    not modelled: scored with the covariance ignored)."""
    from estimation.sae.joint import joint_poverty

    codes = X[0].index
    covs, recs = [], []
    by_indicator: dict[str, list[RoundScores]] = {}
    smoothed: dict[str, list[pd.DataFrame]] = {}
    for ind, line_col in (("p0", "poverty_line_rp"), ("extreme", "extreme_line")):
        scores = []
        for a, s in zip(areas, samples, strict=True):
            code = s["bps_code"].to_numpy()
            scores.append(round_scores_for(s, a[line_col].reindex(code).to_numpy(float)))
        by_indicator[ind] = scores
        cov = round_covariance(scores[0], scores[1])["cov"].reindex(codes).fillna(0.0)
        covs.append(pd.DataFrame({"replicate": replicate, "round": 1, "indicator": ind, "estimator": "direct",
                                  "bps_code": np.asarray(codes, dtype=np.int64), "cov": cov.to_numpy()}))
        m = [mod[mod["indicator"] == ind].assign(code=lambda f: f["bps_code"].astype(int)).set_index("code")
             .reindex(codes) for mod in models]
        rho = design_correlation(scores[0].variance.reindex(codes).to_numpy(float),
                                 scores[1].variance.reindex(codes).to_numpy(float), cov.to_numpy())
        smoothed[ind] = m
        ve = sampling_covariances(m[0]["direct_var_smoothed"].to_numpy(float),
                                  m[1]["direct_var_smoothed"].to_numpy(float), rho)
        frame, _ = model_change(m[0]["direct"].to_numpy(float), m[1]["direct"].to_numpy(float),
                                X[0].to_numpy(float), X[1].to_numpy(float), ve)
        for t, (lvl, mse) in enumerate((("level_first", "mse_first"), ("level_second", "mse_second"))):
            est, var = frame[lvl].to_numpy(), frame[mse].to_numpy()
            half = 1.959963984540054 * np.sqrt(var)
            recs.append(pd.DataFrame({
                "replicate": replicate, "round": t, "indicator": ind, "estimator": "bivariate_fh",
                "bps_code": np.asarray(codes, dtype=np.int64), "estimate": est, "var": var,
                "ci_low": np.clip(est - half, 0, 1), "ci_high": np.clip(est + half, 0, 1),
                "cov": frame["cov_rounds"].to_numpy() if t == 1 else np.nan}))
    # P0 and extreme poverty of each round jointly (estimator "joint_fh"; published extreme <= P0)
    for t in range(len(samples)):
        a, b = by_indicator["p0"][t], by_indicator["extreme"][t]
        cross = round_covariance(a, b)["cov"].reindex(codes).fillna(0.0).to_numpy()
        rho = design_correlation(a.variance.reindex(codes).to_numpy(float), b.variance.reindex(codes).to_numpy(float),
                                 cross)
        m0, me = smoothed["p0"][t], smoothed["extreme"][t]
        joint, _ = joint_poverty(m0["direct"].to_numpy(float), me["direct"].to_numpy(float), X[t].to_numpy(float),
                                 m0["direct_var_smoothed"].to_numpy(float), me["direct_var_smoothed"].to_numpy(float),
                                 rho)
        for ind, col in (("p0", "p0"), ("extreme", "extreme")):
            est, var = joint[col].to_numpy(), joint[f"mse_{col}"].to_numpy()
            half = 1.959963984540054 * np.sqrt(var)
            recs.append(pd.DataFrame({
                "replicate": replicate, "round": t, "indicator": ind, "estimator": "joint_fh",
                "bps_code": np.asarray(codes, dtype=np.int64), "estimate": est, "var": var,
                "ci_low": np.clip(est - half, 0, 1), "ci_high": np.clip(est + half, 0, 1), "cov": np.nan}))
    return pd.concat(covs, ignore_index=True), pd.concat(recs, ignore_index=True)


def round_scores_for(sample: pd.DataFrame, line: np.ndarray) -> RoundScores:
    """`round_scores` of the headcount at the per-household `line` on a Susenas-like sample (persons:
    WERT x R301; domain bps_code)."""
    return round_scores(sample["KAPITA"].to_numpy(), line, sample["WERT"].to_numpy(), sample["bps_code"].to_numpy(),
                        sample["stratum"].to_numpy(), sample["psu"].to_numpy(), household_size=sample["R301"].to_numpy())


CHANGE_COLUMNS = ["bps_code", "prov_code", "year_prev", "year", "indicator", "line_definition_prev",
                  "line_definition", "estimator", "rate_prev", "rate", "cov_rounds", "change", "change_se",
                  "change_ci_low", "change_ci_high", "significance"]


def _areas(panel: pd.DataFrame, year: int, codes: pd.Index) -> pd.DataFrame:
    """What `design_matrix` needs of a round (int bps_code index, prov_code, poverty_line_rp): from the
    validated panel; a round without a published poverty line loses the log-GK covariate."""
    p = panel[panel["year"] == year].assign(code=lambda f: f["bps_code"].astype(int)).set_index("code")
    return pd.DataFrame({"prov_code": p["prov_code"].reindex(codes).astype(int),
                         "poverty_line_rp": p["poverty_line_rp"].reindex(codes).astype(float)}, index=codes)


def round_changes(direct: pd.DataFrame, model: pd.DataFrame, panel: pd.DataFrame,
                  covariates: pd.DataFrame | None, years: list[int], direct_cov: pd.DataFrame | None = None,
                  confidence: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published change table (CHANGE_COLUMNS) for every year of `years` whose previous round is in
    `direct`, and one fit row per year and indicator.

    `direct`: the direct-estimates table (bps_code, prov_code, year, line_definition, indicator, estimate, se);
    `model`: the small-area table (bps_code, year, indicator, direct_var_smoothed); `panel`: the validated
    kab/kota panel (covariates of each round, as the univariate model's `design_matrix`); `direct_cov`:
    covariance of the two rounds' direct estimates (year, indicator, bps_code, cov), from
    `estimation.survey.change` where the rounds share census blocks; None = independent samples (0).
    """
    from estimation.covariates import design_matrix

    rows, fits = [], []
    have = {int(y) for y in direct["year"].unique()}
    for year in sorted(years):
        prev = year - 1
        if prev not in have or year not in have:
            continue
        for ind in ("p0", "extreme"):
            def pick(frame: pd.DataFrame, y: int, ind: str = ind) -> pd.DataFrame:
                f = frame[(frame["year"] == y) & (frame["indicator"] == ind)]
                return f.assign(code=f["bps_code"].astype(int)).set_index("code")

            d1, d2, m1, m2 = pick(direct, prev), pick(direct, year), pick(model, prev), pick(model, year)
            codes = d1.index.intersection(d2.index).intersection(m1.index).intersection(m2.index).sort_values()
            X1 = design_matrix(panel, prev, _areas(panel, prev, codes), covariates)
            X2 = design_matrix(panel, year, _areas(panel, year, codes), covariates)
            cov = pd.Series(0.0, index=codes)
            if direct_cov is not None:
                c = pick(direct_cov, year)["cov"]
                cov = c.reindex(codes).fillna(0.0)
            line_prev, line = str(d1["line_definition"].iloc[0]), str(d2["line_definition"].iloc[0])
            inputs = PairInputs(
                direct_first=d1["estimate"].reindex(codes), direct_second=d2["estimate"].reindex(codes),
                var_first=d1["se"].reindex(codes) ** 2, var_second=d2["se"].reindex(codes) ** 2,
                smoothed_first=m1["direct_var_smoothed"].reindex(codes),
                smoothed_second=m2["direct_var_smoothed"].reindex(codes), X_first=X1, X_second=X2,
                direct_cov=cov, comparable=ind == "p0" or line_prev == line)
            out, info = pair_changes(inputs, confidence)
            out = out.rename(columns={"level_prev": "rate_prev", "level": "rate"})
            labels = d2["bps_code"].reindex(out["bps_code"]).to_numpy()
            out = out.assign(bps_code=labels, prov_code=d2["prov_code"].reindex(codes).to_numpy().tolist() * 2,
                             year_prev=prev, year=year, indicator=ind, line_definition_prev=line_prev,
                             line_definition=line)
            rows.append(out[CHANGE_COLUMNS])
            fits.append({"year_prev": prev, "year": year, "indicator": ind, "n_areas": len(codes),
                         "covariates": ",".join(X1.columns[1:]) + " | " + ",".join(X2.columns[1:]), **info})
    if not rows:
        return pd.DataFrame(columns=CHANGE_COLUMNS), pd.DataFrame(fits)
    return pd.concat(rows, ignore_index=True), pd.DataFrame(fits)
