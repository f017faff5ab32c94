"""Per-year small-area workflow: synthetic Susenas -> direct estimates -> GVF -> Fay-Herriot -> benchmark.

For one year of the validated kab/kota panel:
1. calibrate the synthetic population (`estimation.synthetic`) on that year plus the anchor years, those
   with a published GK or P1 in the panel (2023-2025 in data/raw; they carry the Rupiah anchors of the
   extreme lines too), against the published extreme-poverty `targets` (`estimation.synthetic.targets`); a
   year without a published GK gets a derived one;
2. generate the population and draw a Susenas-March-like sample of `n_households` households. Each
   kab/kota is generated at the scale where its sample is at most MAX_SAMPLING_FRACTION of its households
   (at least `scale`), and the sample weights are divided by that scale, so weights stand for the full
   BPS population and province aggregates stay consistent. This keeps one year to a few seconds;
3. direct estimates (Hajek, linearised SE, PSUs with replacement) of P0 at the kab/kota GK and of the
   extreme rate at the kab/kota extreme line of `line_definition`, by kab/kota and by province;
4. GVF: var = deff p~(1-p~)/n with p~ an OLS fit of the direct estimates on the covariates (clipped
   inside (0, 1)), so zero estimates and tiny samples get a usable variance;
5. Fay-Herriot, linear on the rate, D = GVF variance, analytic MSE, EBLUP clipped at 0 -- the default for
   both indicators. Area effects heteroscedastic (`effect_variance`, default "proportional"):
   Var(u_d) = sigma2_u k_d with k_d = D_d / geometric mean of D, so the shrinkage gamma is the same in every
   kab/kota. Why (docs/simulation.md, "Why the intervals under-cover"; `python -m scripts.simulate_sae
   --diagnose`): on the Susenas-like test bed the truth's deviation from the synthetic part grows with the
   sampling variance (its mean square is ~0.06-0.13 of D in four fifths of the kab/kota, ~0.3 of D in the
   smallest), so a homoscedastic sigma2_u, which REML weights by 1/(sigma2_u + D)^2 towards the large kab/kota,
   came out 5-10 times too small; the published intervals covered 0.81 and their MSE was a quarter (P0) to a
   sixth (extreme) of the actual. "constant" (the homoscedastic model, the default before 2026-12-02) stays
   selectable. sigma2_u: `variance_method`, default "AMRL:prasad_rao" = Li & Lahiri (2010) adjusted
   REML (h = sigma2_u, strictly positive) with the Prasad-Rao MSE g1 + g2 + 2 g3: REML truncates sigma2_u at
   0 for P0 in most samples (gamma = 0, MSE g2 alone); YL is O(m^-2) from REML. Its published Li-Lahiri MSE
   subtracts 2 B^2/(A tr V^-2), negative for most areas when A is this small, so the Prasad-Rao form is used
   (conservative given AMRL's upward bias). Any MSE is floored at g1 + g2 (the MSE with sigma2_u known;
   `fay_herriot` does it and the `mse_eblup_model_floored` column says where).
   "REML", "YL", "AMRL", "AMPL", "ML", "FH" (each with an optional ":prasad_rao"/":datta_lahiri") stay
   selectable. Option `extreme_model="arcsine"`: arcsine scale with
   n_eff = n / deff_GVF, naive back-transform, parametric bootstrap MSE (B, seeded), linear fallback when
   it fails. Not the default: with ~16% zero direct extreme rates the arcsine fit puts sigma2_u far above
   D (gamma ~0.95) and the bootstrap MSE (truths sin^2 of clipped normals near 0) gives a median RSE ~4,
   worse than the direct CV; the linear fit gives median RSE ~0.3 on the same sample.
   Covariates (standardised): P0 and P1 of the year before (P1 only when published for most areas;
   gaps filled with the province, then national, median), log GK, and the DAPOER 2019 covariates
   HDI, electricity, literacy, log GRDP per capita when given;
6. ratio benchmarking of the EBLUPs to the province direct estimate, BPS-population weighted;
7. the MSE of the published (benchmarked) figure, `mse_benchmarked`: parametric bootstrap (B replicates,
   seeded) that redraws truths and direct estimates from the fitted model, refits it, clips and benchmarks
   as here (`estimation.sae.bootstrap`); the published RSE, 95% interval (benchmarked +- 1.96 sqrt, clipped
   to [0, 1]) and flag come from it: it is the only precision the pipeline publishes for a model figure.
   `mse_eblup_model` is the un-benchmarked EBLUP's model-based (analytic) MSE, a diagnostic of the fit and
   not a precision claim: on the Susenas-like test bed it covers 0.93 but is 0.62 of the actual MSE for P0
   (0.61 on another bed), and no area-specific MSE that leans less on the model does better there
   (`estimation.sae.robust_mse`, docs/simulation.md, "A misspecification-robust MSE");
8. RSE flags (<= 25% publish, 25-50% caution, > 50% suppress), rates and persons (rate x BPS population).

Rates are proportions in [0, 1]; `cv`/`rse` are fractions. Model CIs: the benchmarked figure +- 1.96
sqrt(mse_benchmarked), clipped to [0, 1] (for the arcsine option, whose bootstrap does not benchmark,
mse_benchmarked is the EBLUP's bootstrap MSE and `benchmarked_mse_method` says so).
Direct CIs (`direct_ci`): "wald" (estimate +- 1.96 se, clipped; zero width where the estimate is 0),
"wilson" or "clopper_pearson" with the effective sample size n_eff = n_households / deff_GVF (the GVF
variance is deff p(1-p)/n, so n_eff is the binomial n with the same variance; Korn & Graubard 1998 use
the per-area p(1-p)/var, which is 0/0 exactly where the estimate is 0). These do not collapse at 0.
Default "wilson": in the 2024 simulation the extreme-rate direct coverage rises from 0.85 (Wald, mean over
kab/kota) to ~0.95; P0 stays near nominal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from estimation.covariates import design_matrix
from estimation.sae.benchmark import ratio_benchmark, unbenchmarkable_groups
from estimation.sae.bootstrap import bootstrap_mse
from estimation.sae.diagnostics import normality_table
from estimation.sae.fay_herriot import fay_herriot
from estimation.sae.gvf import smooth_sampling_variance
from estimation.sae.publishability import flag_rse
from estimation.sae.robust_mse import benchmarked_mse, conditional_mse
from estimation.sae.transforms import arcsine_back, fay_herriot_arcsine
from estimation.survey.direct import direct_poverty
from estimation.survey.intervals import proportion_ci
from estimation.synthetic.calibration import calibrate_panel
from estimation.synthetic.population import iter_population, population_truth
from estimation.synthetic.sample import allocate_blocks, draw_sample, expected_households

__all__ = [
    "DEFAULT_DIRECT_CI", "DEFAULT_EFFECT_VARIANCE", "DEFAULT_VARIANCE_METHOD", "DIRECT_CI", "EFFECT_VARIANCES", "INDICATORS", "SyntheticYear", "YearEstimates",
    "anchor_years", "direct_estimates", "direct_frame", "estimate_year", "estimates_from_sample", "fit_models",
    "prepare_synthetic_year", "sample_year",
]

MAX_SAMPLING_FRACTION = 0.10
HOUSEHOLDS_PER_BLOCK = 50  # 10 of 50 households per block: block fraction ~20% at a 10% sample
Z95 = float(norm.ppf(0.975))
INDICATORS = ("p0", "extreme")
DEFAULT_VARIANCE_METHOD = "AMRL:prasad_rao"
EFFECT_VARIANCES = ("proportional", "constant")
DEFAULT_EFFECT_VARIANCE = "proportional"
DIRECT_CI = ("wald", "wilson", "clopper_pearson")
DEFAULT_DIRECT_CI = "wilson"


@dataclass(frozen=True)
class YearEstimates:
    """Frames of one year and line definition (see module docstring and `estimate_year`)."""

    truth: pd.DataFrame
    direct: pd.DataFrame
    model: pd.DataFrame
    fit: pd.DataFrame
    calibration: pd.DataFrame
    province_direct: pd.DataFrame | None = None  # prov_code, year, line_definition, indicator, estimate, se


@dataclass(frozen=True)
class SyntheticYear:
    """A fixed synthetic population of one year, ready to be sampled repeatedly."""

    year: int
    line_definition: str
    areas: pd.DataFrame  # int bps_code index: bps_code (panel label), prov_code, population, lines, scale
    population: pd.DataFrame
    allocation: pd.Series
    truth: pd.DataFrame
    calibration: pd.DataFrame


# ---------------------------------------------------------------------------------------------- population
def anchor_years(panel: pd.DataFrame) -> list[int]:
    """Years of the panel with a published poverty line (GK) or P1 in some kab/kota: they tie the model's
    spread and the Rupiah extreme lines to published figures, so every year is calibrated with them."""
    published = panel["poverty_line_rp"].notna() | panel["p1"].notna()
    return sorted(int(y) for y in panel.loc[published, "year"].unique())


def _calibration_panel(panel: pd.DataFrame, year: int) -> pd.DataFrame:
    cols = ["bps_code", "prov_code", "year", "p0", "p1", "poverty_line_rp", "population_thousand"]
    p = panel[panel["year"].isin({year, *anchor_years(panel)})][cols].copy()
    p = p[p["p0"].notna() & p["population_thousand"].notna() & (p["population_thousand"] > 0)]
    p["bps_code"] = p["bps_code"].astype(int)
    p["prov_code"] = p["prov_code"].astype(int)
    return p.reset_index(drop=True)


def prepare_synthetic_year(panel: pd.DataFrame, year: int, targets: pd.DataFrame, *, line_definition: str,
                           scale: float = 0.01, seed: int = 0, n_households: int = 345_000) -> SyntheticYear:
    """Calibrate, generate the population of `year` (kab/kota with a published P0) and its truth.

    `targets`: published extreme-poverty rates (`estimation.synthetic.targets.extreme_targets`).
    """
    cal_all, report = calibrate_panel(_calibration_panel(panel, year), targets)
    cal = cal_all[cal_all["year"] == year].set_index("bps_code", drop=False)
    line_col = f"extreme_line_{line_definition}"
    if line_col not in cal or cal[line_col].isna().any():
        raise ValueError(f"no extreme line {line_definition!r} for {year}")
    full = expected_households(cal_all, year, 1.0)
    allocation = allocate_blocks(full, n_households)
    # per kab/kota scale: the sample is at most MAX_SAMPLING_FRACTION of the generated households
    need = allocation * 10 / (MAX_SAMPLING_FRACTION * full)
    area_scale = need.clip(lower=scale, upper=1.0)
    # vectorised over all kab/kota in one chunk (each keeps its own seeded stream; bps_code order)
    pop = pd.concat(iter_population(cal_all, year, area_scale, seed, HOUSEHOLDS_PER_BLOCK, area_scale.index,
                                    chunk_households=2**62), ignore_index=True)
    lines = cal[["poverty_line_rp", line_col]].rename(columns={line_col: "extreme_line"})
    truth = population_truth(pop, lines.rename(columns={"extreme_line": "extreme_line_x"}))
    labels = panel[panel["year"] == year].assign(code=lambda f: f["bps_code"].astype(int)).set_index("code")
    areas = pd.DataFrame({
        "bps_code": labels["bps_code"].reindex(cal.index).astype(str),
        "prov_code": cal["prov_code"].astype(int),
        "prov_label": labels["prov_code"].reindex(cal.index).astype(str),
        "population": cal["population_thousand"] * 1000.0,
        "poverty_line_rp": cal["poverty_line_rp"],
        "extreme_line": cal[line_col],
        "scale": area_scale.reindex(cal.index),
    })
    truth_frame = pd.DataFrame({
        "bps_code": areas["bps_code"], "prov_code": areas["prov_label"], "year": year,
        "line_definition": line_definition,
        "true_p0": truth["p0"].reindex(areas.index) / 100,
        "true_extreme_rate": truth["extreme_rate_x"].reindex(areas.index) / 100,
        "population": areas["population"],
    }).reset_index(drop=True)
    report = report.assign(year_estimated=year, line_definition=line_definition)
    return SyntheticYear(year, line_definition, areas, pop, allocation, truth_frame, report)


def sample_year(syn: SyntheticYear, seed: int) -> pd.DataFrame:
    """One Susenas-like sample; WERT/WEIND scaled to the full BPS population."""
    s = draw_sample(syn.population, syn.allocation, seed)
    inflate = 1.0 / s["bps_code"].map(syn.areas["scale"]).to_numpy()
    s["WERT"] = s["WERT"] * inflate
    s["WEIND"] = s["WEIND"] * inflate
    return s


# ---------------------------------------------------------------------------------------------- direct
def direct_estimates(syn: SyntheticYear, sample: pd.DataFrame, domain: str = "bps_code") -> pd.DataFrame:
    """Direct P0 and extreme rate per domain ("bps_code" or "prov_code"), long by indicator, int index."""
    code = sample["bps_code"].to_numpy()
    dom = code if domain == "bps_code" else code // 100
    out = []
    for ind, col in (("p0", "poverty_line_rp"), ("extreme", "extreme_line")):
        z = syn.areas[col].reindex(code).to_numpy()
        d = direct_poverty(sample["KAPITA"].to_numpy(), z, sample["WERT"].to_numpy(), dom,
                           sample["stratum"].to_numpy(), sample["psu"].to_numpy(),
                           household_size=sample["R301"].to_numpy())
        out.append(d.assign(indicator=ind))
    return pd.concat(out)


def direct_frame(syn: SyntheticYear, d: pd.DataFrame, ci: str = DEFAULT_DIRECT_CI,
                 deff: dict[str, float] | None = None) -> pd.DataFrame:
    """Direct estimates of `direct_estimates` as the published frame; `ci` in DIRECT_CI (module docstring),
    `deff`: GVF design effect per indicator (needed for "wilson"/"clopper_pearson")."""
    if ci not in DIRECT_CI:
        raise ValueError(f"ci must be one of {DIRECT_CI}, got {ci!r}")
    a = syn.areas
    idx = d.index.to_numpy()
    est = d["estimate"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(est > 0, d["se"].to_numpy() / est, np.inf)
    ci_low, ci_high = np.clip(d["ci_low"].to_numpy(), 0, 1), np.clip(d["ci_high"].to_numpy(), 0, 1)
    if ci != "wald":
        if deff is None:
            raise ValueError(f"ci={ci!r} needs the GVF design effect per indicator")
        n_eff = d["n_households"].to_numpy(float) / d["indicator"].map(deff).to_numpy(float)
        ci_low, ci_high = proportion_ci(est, n_eff, ci)
    return pd.DataFrame({
        "bps_code": a["bps_code"].reindex(idx).to_numpy(), "prov_code": a["prov_label"].reindex(idx).to_numpy(),
        "year": syn.year, "line_definition": syn.line_definition, "indicator": d["indicator"].to_numpy(),
        "estimate": est, "se": d["se"].to_numpy(), "cv": cv,
        "ci_low": ci_low, "ci_high": ci_high,
        "deff": d["deff"].to_numpy(), "n_households": d["n_households"].to_numpy(),
        "persons": est * a["population"].reindex(idx).to_numpy(), "flag": flag_rse(cv),
    })


# ---------------------------------------------------------------------------------------------- model
def _gvf(direct: np.ndarray, var: np.ndarray, n: np.ndarray, X: np.ndarray, floor: float):
    coef, *_ = np.linalg.lstsq(X, direct, rcond=None)
    p_model = np.clip(X @ coef, floor, 1 - floor)
    return smooth_sampling_variance(direct, var, n, p_model=p_model, replace="all")


def fit_models(syn: SyntheticYear, direct_kab: pd.DataFrame, direct_prov: pd.DataFrame, X: pd.DataFrame, *,
               B: int = 200, seed: int = 0, extreme_model: str = "linear",
               variance_method: str = DEFAULT_VARIANCE_METHOD, effect_variance: str = DEFAULT_EFFECT_VARIANCE,
               robust_mse: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GVF + Fay-Herriot + benchmarking for both indicators: (model frame, fit frame).

    extreme_model: "linear" (default, analytic MSE) or "arcsine" (REML, bootstrap MSE, linear fallback).
    variance_method: sigma2_u estimator of the linear fits (DEFAULT_VARIANCE_METHOD; see module docstring), optionally
    with the MSE after a colon, e.g. "AMRL:prasad_rao" (default: the method's own, see `fay_herriot`).
    effect_variance: "proportional" (Var(u_d) = sigma2_u D_d / geometric mean of D, the default) or "constant"
    (the homoscedastic Fay-Herriot model); see the module docstring.
    B: replicates of the parametric bootstrap MSE of the published (benchmarked) figure; B = 0 skips it and
    publishes the EBLUP's analytic MSE for the benchmarked figure too (what the pipeline did before).
    robust_mse: add the area-specific MSEs of `estimation.sae.robust_mse` (not published; scored by
    scripts/simulate_sae.py): `mse_conditional` (Rivest-Vandal / Datta-Kubokawa-Molina-Rao type, floored at its
    sampling part, `mse_conditional_floored` says where), `mse_local` (residuals smoothed over the tenth of the
    kab/kota nearest in sampling variance) and `mse_benchmarked_conditional` / `mse_benchmarked_local` (plus the
    squared benchmarking adjustment); NaN for the arcsine fit.
    """
    if effect_variance not in EFFECT_VARIANCES:
        raise ValueError(f"effect_variance must be one of {EFFECT_VARIANCES}, got {effect_variance!r}")
    var_method, _, mse_choice = variance_method.partition(":")
    a = syn.areas
    codes = X.index.to_numpy()
    Xm = X.to_numpy(float)
    pop = a["population"].reindex(codes).to_numpy()
    prov = a["prov_code"].reindex(codes).to_numpy()
    models, fits = [], []
    for ind in INDICATORS:
        d = direct_kab[direct_kab["indicator"] == ind].reindex(codes)
        in_sample = d["n_households"].notna().to_numpy() & (d["n_households"].fillna(0).to_numpy() > 0)
        if not in_sample.all():
            raise ValueError("every kab/kota needs a sample (the synthetic design samples all)")
        y = d["estimate"].to_numpy()
        n = d["n_households"].to_numpy(float)
        gvf = _gvf(y, d["se"].to_numpy() ** 2, n, Xm, 1e-3 if ind == "p0" else 1e-4)
        D = gvf.smoothed
        method = f"{variance_method} linear"
        res = None
        if ind == "extreme" and extreme_model == "arcsine":
            try:
                res = fay_herriot_arcsine(y, Xm, n_eff=n / gvf.params["deff"], method="REML", mse="bootstrap",
                                          B=B, seed=seed)
                if not res.fit.converged or not np.all(np.isfinite(res.mse)):
                    res = None
            except (ValueError, np.linalg.LinAlgError):
                res = None
            method = "REML arcsine" if res is not None else f"{variance_method} linear (arcsine fallback)"
        if res is not None:
            fit = res.fit
            eblup = res.estimate
            mse = res.mse
            floored = np.zeros(len(mse), dtype=bool)  # a bootstrap MSE is never negative
            synthetic = arcsine_back(fit.synthetic)
            half = Z95 * np.sqrt(res.mse_transformed)
            ci_low, ci_high = arcsine_back(res.eblup_transformed - half), arcsine_back(res.eblup_transformed + half)
            mse_method = f"parametric bootstrap B={B}"
            robust = local = None
        else:
            # heteroscedastic area effects: Var(u_d) proportional to D_d (module docstring, docs/simulation.md)
            k = D / np.exp(np.mean(np.log(D))) if effect_variance == "proportional" else None
            fit = fay_herriot(y, Xm, D, var_method, mse=mse_choice or None, effect_scale=k)
            method = f"{variance_method} linear, area effects {effect_variance}"
            eblup = np.clip(fit.eblup, 0, 1)
            mse, floored = fit.mse, fit.mse_floored  # floored at g1 + g2 by the library, recorded
            synthetic = np.clip(fit.synthetic, 0, 1)
            ci_low = np.clip(fit.eblup - Z95 * np.sqrt(mse), 0, 1)
            ci_high = np.clip(fit.eblup + Z95 * np.sqrt(mse), 0, 1)
            mse_method = fit.mse_method
            robust = local = None
            if robust_mse:  # area-specific MSEs, not leaning on the area-effect model (not published)
                robust = conditional_mse(fit)
                local = conditional_mse(fit, neighbours=max(1, len(codes) // 10))
        dp = direct_prov[direct_prov["indicator"] == ind]["estimate"]
        # A province whose EBLUPs are all 0 cannot be moved by a ratio: it alone stays unbenchmarked, and says so.
        unbenchmarked = unbenchmarkable_groups(eblup, pop, prov)
        bench, factor, disc = ratio_benchmark(eblup, pop, prov, dp, impossible="leave")
        disc = disc.drop(unbenchmarked)
        # The published figure is the benchmarked one: its MSE (parametric bootstrap repeating the clipping and
        # the benchmarking) gives the published RSE, interval and flag. The arcsine fit keeps its own MSE.
        mse_bench, bench_method = mse, f"{mse_method} of the EBLUP (benchmarking not in the MSE)"
        if res is None and B >= 2:
            boot = bootstrap_mse(fit, B=B, seed=seed + (0 if ind == "p0" else 1), groups=prov, weights=pop)
            mse_bench, bench_method = boot.mse_benchmarked, boot.method
        with np.errstate(divide="ignore", invalid="ignore"):
            rse = np.where(bench > 0, np.sqrt(mse_bench) / bench, np.inf)
        half_b = Z95 * np.sqrt(mse_bench)
        ci_low, ci_high = np.clip(bench - half_b, 0, 1), np.clip(bench + half_b, 0, 1)
        frame = pd.DataFrame({
            "bps_code": a["bps_code"].reindex(codes).to_numpy(), "prov_code": a["prov_label"].reindex(codes).to_numpy(),
            "year": syn.year, "line_definition": syn.line_definition, "indicator": ind,
            "direct": y, "direct_var_smoothed": D, "synthetic": synthetic, "eblup": eblup,
            "mse_eblup_model": mse, "mse_eblup_model_floored": floored, "mse_benchmarked": mse_bench, "rse": rse,
            "ci_low": ci_low, "ci_high": ci_high, "gamma": fit.gamma,
            "standardized_residual": fit.standardized_residuals, "benchmarked": bench,
            "benchmark_factor": factor, "persons": bench * pop, "flag": flag_rse(rse), "in_sample": in_sample,
        })
        if robust_mse:
            nan = np.full(len(codes), np.nan)
            frame["mse_conditional"] = robust.mse if robust is not None else nan
            frame["mse_conditional_floored"] = robust.floored if robust is not None else False
            frame["mse_local"] = local.mse if local is not None else nan
            frame["mse_benchmarked_conditional"] = (benchmarked_mse(robust.mse, eblup, bench) if robust is not None
                                                    else nan)
            frame["mse_benchmarked_local"] = benchmarked_mse(local.mse, eblup, bench) if local is not None else nan
        models.append(frame)
        normality = normality_table(fit)
        fits.append({
            "year": syn.year, "line_definition": syn.line_definition, "indicator": ind, "method": method,
            # as emdi's summary: Shapiro-Wilk p of the standardised residuals and of the random effects
            "shapiro_p_residuals": float(normality.loc["standardized_residuals", "shapiro_p"]),
            "shapiro_p_random_effects": float(normality.loc["random_effects", "shapiro_p"]),
            "mse_method": mse_method, "benchmarked_mse_method": bench_method, "sigma2_u": fit.sigma2_u, "converged": bool(fit.converged),
            "iterations": int(fit.iterations), "r2": fit.r2, "aic": fit.aic, "bic": fit.bic,
            "n_areas": len(codes), "n_covariates": Xm.shape[1] - 1, "covariates": ",".join(X.columns[1:]),
            "gvf_deff": gvf.params["deff"],
            "benchmark_max_abs_discrepancy": float(disc.abs().max()) if len(disc) else float("nan"),
            "unbenchmarked_provinces": ",".join(str(g) for g in unbenchmarked),
        })
    return pd.concat(models, ignore_index=True), pd.DataFrame(fits)


# ---------------------------------------------------------------------------------------------- workflow
def estimate_year(panel: pd.DataFrame, year: int, targets: pd.DataFrame, *, line_definition: str,
                  scale: float = 0.01, seed: int = 0, covariates: pd.DataFrame | None = None,
                  n_households: int = 345_000, bootstrap_replicates: int = 200, extreme_model: str = "linear",
                  variance_method: str = DEFAULT_VARIANCE_METHOD, direct_ci: str = DEFAULT_DIRECT_CI,
                  effect_variance: str = DEFAULT_EFFECT_VARIANCE) -> YearEstimates:
    """Synthetic Susenas for `year` and its direct + Fay-Herriot estimates (see module docstring).

    `panel`: the validated kab/kota panel; `targets`: `estimation.synthetic.targets.extreme_targets(...)`;
    `covariates`: `estimation.covariates.dapoer_covariates(...)` or None. Seeds: the population uses `seed`,
    the sample `seed + 1`, the bootstrap `seed + 2`.
    """
    syn = prepare_synthetic_year(panel, year, targets, line_definition=line_definition, scale=scale,
                                 seed=seed, n_households=n_households)
    sample = sample_year(syn, seed + 1)
    return estimates_from_sample(syn, sample, panel, covariates, B=bootstrap_replicates, seed=seed + 2,
                                 extreme_model=extreme_model, variance_method=variance_method,
                                 direct_ci=direct_ci, effect_variance=effect_variance)


def estimates_from_sample(syn: SyntheticYear, sample: pd.DataFrame, panel: pd.DataFrame,
                          covariates: pd.DataFrame | None = None, *, B: int = 200, seed: int = 0,
                          extreme_model: str = "linear", variance_method: str = DEFAULT_VARIANCE_METHOD,
                          direct_ci: str = DEFAULT_DIRECT_CI,
                          effect_variance: str = DEFAULT_EFFECT_VARIANCE) -> YearEstimates:
    """Direct, GVF, FH and benchmarking on one sample of a fixed synthetic year."""
    kab = direct_estimates(syn, sample, "bps_code")
    prov = direct_estimates(syn, sample, "prov_code")
    X = design_matrix(panel, syn.year, syn.areas, covariates)
    model, fit = fit_models(syn, kab, prov, X, B=B, seed=seed, extreme_model=extreme_model,
                            variance_method=variance_method, effect_variance=effect_variance)
    deff = dict(zip(fit["indicator"], fit["gvf_deff"].astype(float), strict=True))
    pd_ = prov[["indicator", "estimate", "se"]].rename_axis("prov_code").reset_index()
    pd_["prov_code"] = pd_["prov_code"].astype(str)
    pd_ = pd_.assign(year=syn.year, line_definition=syn.line_definition)
    return YearEstimates(truth=syn.truth, direct=direct_frame(syn, kab, direct_ci, deff), model=model, fit=fit,
                         calibration=syn.calibration, province_direct=pd_)
