"""Design-based simulation on the Susenas-like test bed: direct, Fay-Herriot and benchmarked estimates scored
against the population truth, for P0, extreme poverty and their change between two consecutive rounds.

Run (from the repository root, PYTHONPATH=.):
    .venv/bin/python -m scripts.simulate_sae [--year 2024] [--replicates 20] [--scale 1.0] [--quick]
The bed (`estimation.synthetic.testbed`, docs/simulation.md) holds rounds year-1 and year; every replicate
draws both rounds' samples (overlapping blocks) and runs the pipeline's own steps on each
(`estimation.sae.workflow`: direct estimates, GVF, Fay-Herriot with REML and with the default method,
ratio benchmarking). Writes data/outputs/simulation/sae_simulation_<year>.csv (one row per indicator x
estimator, `estimation.synthetic.scoring.TABLE_COLUMNS` plus the run's settings) and a Markdown copy with the
bed's diagnostics (.md), and prints the Markdown.

Estimators: `direct` (Hajek, linearised SE, the published Wilson interval), `fh_reml` (EBLUP with REML, area
effects with variance proportional to the sampling variance), `fh_constant` (the default before 2026-12-02:
AMRL, homoscedastic area effects), `fh_default` (EBLUP with the pipeline's default: AMRL, proportional
effects; its analytic MSE and EBLUP +- 1.96 sqrt(MSE)), `benchmarked` (the default EBLUP ratio-benchmarked to
the province direct estimate, with its parametric bootstrap MSE that repeats the benchmarking: the published
rate, persons, RSE, interval and flag), `fh_robust` and `benchmarked_robust` (the same two figures with the
area-specific conditional MSE of `estimation.sae.robust_mse`, which does not lean on the area-effect model;
benchmarked: plus the squared benchmarking adjustment), `fh_local` and `benchmarked_local` (the same with the
squared residual smoothed over the kab/kota of similar sampling variance). `published` marks the direct and
the benchmarked rows: the EBLUP's analytic MSE is published only as a fit diagnostic. The change rows use the difference of the
two rounds' estimates with the sum of their variances (covariance ignored: see `scoring.change_records`).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from estimation.covariates import design_matrix
from estimation.sae.change import simulation_records
from estimation.sae.workflow import (
    DEFAULT_DIRECT_CI,
    DEFAULT_EFFECT_VARIANCE,
    DEFAULT_VARIANCE_METHOD,
    SyntheticYear,
    anchor_years,
    direct_estimates,
    direct_frame,
    fit_models,
)
from estimation.synthetic.calibration import calibrate_panel
from estimation.synthetic.scoring import change_records, simulation_table
from estimation.synthetic.targets import line_definition_for
from estimation.synthetic.testbed import BedParams, SusenasBed, build_bed, draw_rounds, r_squared

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "data" / "outputs" / "simulation"
# What the pipeline publishes as a figure with its precision: the direct estimate and the benchmarked model figure
# (its RSE, interval and flag from the bootstrap MSE). The EBLUP's analytic MSE (`fh_default`) is published only
# as a fit diagnostic (`mse_eblup_model`), not as a precision (docs/simulation.md, "A misspecification-robust MSE").
PUBLISHED = ("direct", "benchmarked")
VARIANCE_NOTE = {  # what `var` (and so mse_ratio and the interval) is for each estimator
    "direct": "linearised design variance",
    "fh_reml": f"analytic MSE of the REML EBLUP, area effects {DEFAULT_EFFECT_VARIANCE}",
    "fh_constant": f"analytic MSE of the {DEFAULT_VARIANCE_METHOD} EBLUP, homoscedastic area effects (the default "
                   "before 2026-12-02)",
    "fh_default": f"analytic MSE of the {DEFAULT_VARIANCE_METHOD} EBLUP, area effects {DEFAULT_EFFECT_VARIANCE} "
                  "(published as a fit diagnostic, mse_eblup_model, not as a precision)",
    "benchmarked": "parametric bootstrap MSE of the benchmarked default EBLUP, benchmarking repeated (as published)",
    "fh_robust": ("area-specific conditional MSE of the default EBLUP (estimation.sae.robust_mse: "
                  "D - 2BD + B^2 (y - x'beta)^2 + 2 g2 + 2 g3, floored at its sampling part)"),
    "benchmarked_robust": ("area-specific conditional MSE of the default EBLUP plus the squared "
                           "benchmarking adjustment (benchmarked - EBLUP)^2"),
    "fh_local": ("conditional MSE of the default EBLUP with the squared residual replaced by its mean "
                 "over the tenth of the kab/kota nearest in sampling variance (estimation.sae.robust_mse)"),
    "benchmarked_local": ("fh_local's MSE plus the squared benchmarking adjustment (benchmarked - "
                          "EBLUP)^2"),
    "bivariate_fh": ("MSE of the bivariate Fay-Herriot over the two rounds (REML, design covariance of "
                     "the rounds from the common census blocks)"),
    "joint_fh": ("MSE of the bivariate Fay-Herriot of P0 and extreme poverty in the round (design "
                 "covariance of the two indicators from the linearisation); extreme capped at P0"),
}
Z95 = 1.959963984540054


def _inputs(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from estimation.sources import dapoer_covariate_table, extreme_targets, kabkota_panel

    return kabkota_panel(raw), dapoer_covariate_table(raw), extreme_targets(raw)


def calibrated_rounds(panel: pd.DataFrame, targets: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`calibrate_panel` on rounds year-1 and year plus the anchor years (as the workflow calibrates)."""
    cols = ["bps_code", "prov_code", "year", "p0", "p1", "poverty_line_rp", "population_thousand"]
    p = panel[panel["year"].isin({year - 1, year, *anchor_years(panel)})][cols].copy()
    p = p[p["p0"].notna() & p["population_thousand"].notna() & (p["population_thousand"] > 0)]
    p["bps_code"] = p["bps_code"].astype(int)
    p["prov_code"] = p["prov_code"].astype(int)
    return calibrate_panel(p.reset_index(drop=True), targets)


def synthetic_year(bed: SusenasBed, panel: pd.DataFrame, t: int, report: pd.DataFrame) -> SyntheticYear:
    """The workflow's view of round t of the bed (areas, truth), so its estimators run unchanged."""
    year = bed.years[t]
    a = bed.areas
    cal = bed.calibrated[bed.calibrated["year"] == year].set_index("bps_code").reindex(a.index)
    labels = panel[panel["year"] == year].assign(code=lambda f: f["bps_code"].astype(int)).set_index("code")
    areas = pd.DataFrame({
        "bps_code": labels["bps_code"].reindex(a.index).astype(str),
        "prov_code": a["prov_code"].astype(int),
        "prov_label": labels["prov_code"].reindex(a.index).astype(str),
        "population": cal["population_thousand"] * 1000.0,
        "poverty_line_rp": a[f"z_{t}"], "extreme_line": a[f"e_{t}"], "scale": 1.0,
    })
    tr = bed.truth[bed.truth["round"] == t].set_index("bps_code").reindex(a.index)
    truth = pd.DataFrame({"bps_code": areas["bps_code"], "prov_code": areas["prov_label"], "year": year,
                          "line_definition": bed.line_definition, "true_p0": tr["true_p0"],
                          "true_extreme_rate": tr["true_extreme_rate"], "population": areas["population"]})
    return SyntheticYear(year, bed.line_definition, areas, pd.DataFrame(), pd.Series(dtype=float),
                         truth.reset_index(drop=True), report)


def _records(frame: pd.DataFrame, est: str, var: np.ndarray, lo: np.ndarray, hi: np.ndarray, name: str,
             replicate: int, t: int) -> pd.DataFrame:
    return pd.DataFrame({"replicate": replicate, "round": t, "indicator": frame["indicator"].to_numpy(),
                         "estimator": name, "bps_code": frame["bps_code"].astype(int).to_numpy(),
                         "estimate": frame[est].to_numpy(float), "var": var, "ci_low": lo, "ci_high": hi})


def replicate_records(bed: SusenasBed, years: list[SyntheticYear], X: list[pd.DataFrame], replicate: int,
                      bootstrap_replicates: int = 200) -> tuple[pd.DataFrame, dict[str, float]]:
    """Estimates of one replicate (both rounds, every estimator) and the sample's design figures."""
    rs = draw_rounds(bed, replicate)
    out = []
    defaults: list[pd.DataFrame] = []
    info = {"overlap_share": rs.overlap_share, "sampling_fraction": rs.sampling_fraction}
    for t, (syn, x) in enumerate(zip(years, X, strict=True)):
        sample = rs.rounds[t]
        d_kab = direct_estimates(syn, sample, "bps_code")
        d_prov = direct_estimates(syn, sample, "prov_code")
        if t == 1:
            info["median_deff_p0"] = float(d_kab.loc[d_kab["indicator"] == "p0", "deff"].median())
            info["median_deff_extreme"] = float(d_kab.loc[d_kab["indicator"] == "extreme", "deff"].median())
        deff = None
        for method, effects, name in (("REML", DEFAULT_EFFECT_VARIANCE, "fh_reml"),
                                      (DEFAULT_VARIANCE_METHOD, "constant", "fh_constant"),
                                      (DEFAULT_VARIANCE_METHOD, DEFAULT_EFFECT_VARIANCE, "fh_default")):
            default = name == "fh_default"
            model, fit = fit_models(syn, d_kab, d_prov, x, seed=replicate, variance_method=method,
                                    effect_variance=effects, B=bootstrap_replicates if default else 0,
                                    robust_mse=default)
            mse = model["mse_eblup_model"].to_numpy(float)  # the EBLUP's analytic MSE; its interval: EBLUP +- 1.96 sqrt(MSE)
            e, half = model["eblup"].to_numpy(float), Z95 * np.sqrt(mse)
            out.append(_records(model, "eblup", mse, np.clip(e - half, 0, 1), np.clip(e + half, 0, 1), name,
                                replicate, t))
            if default:  # the published figure: benchmarked, with its bootstrap MSE and interval, as published
                deff = dict(zip(fit["indicator"], fit["gvf_deff"].astype(float), strict=True))
                out.append(_records(model, "benchmarked", model["mse_benchmarked"].to_numpy(float),
                                    model["ci_low"].to_numpy(float), model["ci_high"].to_numpy(float),
                                    "benchmarked", replicate, t))
                if t == 1:  # how often the area-specific MSE fell below its floor (the sampling part)
                    for ind in ("p0", "extreme"):
                        info[f"conditional_mse_floored_share_{ind}"] = float(
                            model.loc[model["indicator"] == ind, "mse_conditional_floored"].mean())
                # the same two figures with the area-specific (conditional) MSE of estimation.sae.robust_mse
                for est, col, row in (("eblup", "mse_conditional", "fh_robust"),
                                      ("benchmarked", "mse_benchmarked_conditional", "benchmarked_robust"),
                                      ("eblup", "mse_local", "fh_local"),
                                      ("benchmarked", "mse_benchmarked_local", "benchmarked_local")):
                    v, c = model[col].to_numpy(float), model[est].to_numpy(float)
                    out.append(_records(model, est, v, np.clip(c - Z95 * np.sqrt(v), 0, 1),
                                        np.clip(c + Z95 * np.sqrt(v), 0, 1), row, replicate, t))
        d = direct_frame(syn, d_kab, DEFAULT_DIRECT_CI, deff)
        defaults.append(model)  # the default fit's frame (last of the loop above): its smoothed variances
        out.append(_records(d, "estimate", d["se"].to_numpy(float) ** 2, d["ci_low"].to_numpy(float),
                            d["ci_high"].to_numpy(float), "direct", replicate, t))
    # the change: direct covariance from the common census blocks, and the bivariate Fay-Herriot over the rounds
    cov, bivariate = simulation_records([y.areas for y in years], list(rs.rounds), defaults, X, replicate)
    rec = pd.concat([*out, bivariate], ignore_index=True)
    rec = rec.merge(cov, on=["replicate", "round", "indicator", "estimator", "bps_code"], how="left",
                    suffixes=("", "_direct"))
    if "cov_direct" in rec:
        rec["cov"] = rec["cov"].fillna(rec.pop("cov_direct"))
    return rec, info


def bed_r_squared(bed: SusenasBed, X: pd.DataFrame) -> dict[str, float]:
    """R^2 of the true round-2 extreme rate (and of extreme / P0) on the model's covariates."""
    tr = bed.truth[bed.truth["round"] == 1].set_index("bps_code").reindex(X.index)
    share = tr["true_extreme_rate"] / tr["true_p0"].where(tr["true_p0"] > 0)
    ok = share.notna().to_numpy()
    return {"r2_extreme_rate": r_squared(tr["true_extreme_rate"].to_numpy(), X.to_numpy(float)),
            "r2_extreme_share_of_poor": r_squared(share.to_numpy()[ok], X.to_numpy(float)[ok])}


def markdown(table: pd.DataFrame, header: list[str]) -> str:
    cols = ["indicator", "estimator", "published", "median_rrmse", "mean_rrmse", "mean_coverage",
            "share_below_80", "mse_ratio"]
    lines = [*header, "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in table.itertuples():
        lines.append(f"| {r.indicator} | {r.estimator} | {'yes' if r.published else 'no'} | {r.median_rrmse:.3f} | "
                     f"{r.mean_rrmse:.3f} | {r.mean_coverage:.3f} | {r.share_below_80:.3f} | {r.mse_ratio:.3f} |")
    return "\n".join(lines)


# --quick: seconds, for the tests (Jawa Tengah and Jawa Timur, 73 kab/kota, at 2% of the population)
QUICK_SCALE, QUICK_REPLICATES, QUICK_PROVINCES = 0.02, 2, (33, 35)


def run(year: int, replicates: int, params: BedParams, line_definition: str = "usd215_2017ppp",
        raw: Path = RAW, out_dir: Path | None = OUT, provinces: list[int] | None = None,
        inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
        calibration: tuple[pd.DataFrame, pd.DataFrame] | None = None, bootstrap_replicates: int = 200,
        ) -> tuple[pd.DataFrame, dict[str, float], str]:
    """The whole simulation; returns (table, diagnostics, markdown) and writes them under `out_dir`.

    `inputs` (panel, DAPOER covariates, extreme targets) and `calibration` (`calibrated_rounds` of `year`)
    are read/computed when not given (the tests pass them in to share the work)."""
    t0 = time.time()
    panel, cov, targets = inputs if inputs is not None else _inputs(raw)
    line_definition = line_definition_for(year, targets, line_definition)
    cal, report = calibration if calibration is not None else calibrated_rounds(panel, targets, year)
    if provinces:  # a subset keeps Susenas' sampling fraction: its share of the 345,000 households
        rows = cal[cal["year"] == year]
        share = rows.loc[rows["prov_code"].isin(provinces), "population_thousand"].sum() / rows[
            "population_thousand"].sum()
        params = replace(params, sample_households=round(params.sample_households * share))
        cal = cal[cal["prov_code"].isin(provinces)]
    bed = build_bed(cal, (year - 1, year), line_definition, params)
    t_bed = time.time() - t0
    years = [synthetic_year(bed, panel, t, report) for t in (0, 1)]
    X = [design_matrix(panel, syn.year, syn.areas, cov) for syn in years]
    recs, infos = [], []
    for r in range(replicates):
        rec, info = replicate_records(bed, years, X, 1000 + r, bootstrap_replicates)
        recs.append(rec)
        infos.append(info)
    records = pd.concat(recs, ignore_index=True)
    records = pd.concat([records, change_records(records)], ignore_index=True)
    table = simulation_table(records, bed.truth, PUBLISHED)
    # the bivariate model's change is published (poverty_change_kabkota), its levels are not
    table.loc[table["estimator"] == "bivariate_fh", "published"] = table["indicator"].str.startswith("change_")
    # the published change (poverty_change_kabkota) is the direct and the bivariate one, not a difference of levels
    table.loc[table["indicator"].str.startswith("change_") & ~table["estimator"].isin(["direct", "bivariate_fh"]),
              "published"] = False
    diag = {**bed.diagnostics, **bed_r_squared(bed, X[1]),
            **{k: float(np.mean([i[k] for i in infos])) for k in infos[0]},
            "n_areas": float(len(bed.areas)), "bed_seconds": t_bed, "seconds": time.time() - t0}
    table = table.assign(year=year, previous_year=year - 1, line_definition=line_definition,
                         scale=params.scale, variance=table["estimator"].map(VARIANCE_NOTE))
    change = table["indicator"].str.startswith("change_")
    table.loc[change, "variance"] = "sum of the two rounds' " + table.loc[change, "variance"] + (
        ", covariance between rounds ignored")
    table.loc[change & (table["estimator"] == "direct"), "variance"] = (
        "V1 + V2 - 2 Cov, Cov of the linearised estimates over the census blocks common to both rounds")
    table.loc[change & (table["estimator"] == "bivariate_fh"), "variance"] = (
        "MSE11 + MSE22 - 2 MSE12 of the bivariate Fay-Herriot (cross term included)")
    table["interval"] = np.where(change, "normal", np.where(table["estimator"] == "direct",
                                                            "Wilson, n_eff = n / GVF deff", "normal, clipped to [0, 1]"))
    header = [
        (f"Simulation on the Susenas-like test bed: rounds {year - 1} and {year}, {line_definition}, "
        f"R = {replicates} replicate pairs of samples, scale {params.scale:g} "
        f"({diag['n_households']:,.0f} households in {diag['n_blocks']:,.0f} census blocks, "
        f"{int(diag['n_areas'])} kab/kota)."),
        "",
        (f"Bed: intra-block correlation of poverty {diag['block_icc_p0']:.3f}; median design effect of direct "
        f"P0 {diag['median_deff_p0']:.2f} (extreme {diag['median_deff_extreme']:.2f}); sampling fraction "
        f"{100 * diag['sampling_fraction']:.2f}% of households; blocks kept between rounds "
        f"{100 * diag['overlap_share']:.1f}%; poor persons of {year - 1} still poor in {year} "
        f"{100 * diag['persistence_poor']:.1f}%; R^2 of the true extreme rate on the model covariates "
        f"{diag['r2_extreme_rate']:.3f} (of extreme / P0: {diag['r2_extreme_share_of_poor']:.3f})."),
        "",
        (f"Area-specific MSE (fh_robust): its formula fell below its floor (the sampling part of the conditional "
        f"MSE) in {100 * diag['conditional_mse_floored_share_p0']:.0f}% (P0) and "
        f"{100 * diag['conditional_mse_floored_share_extreme']:.0f}% (extreme) of the kab/kota of round {year}."),
        "",
        ("Change rows: difference of the two rounds' estimates, variance V1 + V2 - 2 Cov: Cov from the census "
        "blocks common to both rounds (direct) or the MSE cross term (bivariate_fh); 0 (ignored) for the "
        "univariate models and joint_fh; their relative RMSE is RMSE / true level of the later round."),
    ]
    text = markdown(table, header) + f"\n\nRuntime: {diag['seconds']:.0f} s (bed {diag['bed_seconds']:.0f} s)."
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        table.to_csv(out_dir / f"sae_simulation_{year}.csv", index=False)
        (out_dir / f"sae_simulation_{year}.md").write_text(text + "\n", encoding="utf-8")
        (out_dir / f"sae_simulation_{year}_bed.json").write_text(json.dumps(diag, indent=1) + "\n",
                                                                 encoding="utf-8")
    return table, diag, text


def diagnose(year: int, replicates: int, params: BedParams, line_definition: str = "usd215_2017ppp",
             raw: Path = RAW) -> str:
    """Why the Fay-Herriot intervals under-cover on the bed (docs/simulation.md, "Why the intervals under-cover"):
    round `year` of R samples, per indicator: (1) the GVF variance psi against the actual design variance of the
    direct estimate; (2) sigma2_u as estimated against the mean square b^2 of the truth around its OLS fit on the
    covariates (the area effects the model should find), and with the actual design variance as D; (3) b^2
    against D by quintile of psi (heteroscedasticity); (4) the EBLUP's coverage and MSE ratio for area-effect
    variances sigma2_u (psi / geometric mean psi)^kappa, kappa = 0 (homoscedastic), 0.5, 1 (the default), 1.5,
    and with an oracle sigma2_u = mean b^2, the actual D and homoscedastic effects."""
    from estimation.sae.fay_herriot import fay_herriot
    from estimation.sae.workflow import _gvf

    panel, cov, targets = _inputs(raw)
    line_definition = line_definition_for(year, targets, line_definition)
    cal, report = calibrated_rounds(panel, targets, year)
    bed = build_bed(cal, (year - 1, year), line_definition, params)
    syn = synthetic_year(bed, panel, 1, report)
    Xf = design_matrix(panel, syn.year, syn.areas, cov)
    X, codes = Xf.to_numpy(float), Xf.index.to_numpy()
    truth = syn.truth.assign(code=syn.truth["bps_code"].astype(int)).set_index("code").reindex(codes)
    draws = [direct_estimates(syn, draw_rounds(bed, 1000 + r).rounds[1], "bps_code") for r in range(replicates)]
    lines = [(f"Diagnosis on the bed: round {year}, {line_definition}, R = {replicates}, scale {params.scale:g}, "
             f"seed {params.seed}."), ""]
    for ind, col in (("p0", "true_p0"), ("extreme", "true_extreme_rate")):
        th = truth[col].to_numpy(float)
        Y, V, PSI = [], [], []
        for d in draws:
            k = d[d["indicator"] == ind].reindex(codes)
            y, n = k["estimate"].to_numpy(float), k["n_households"].to_numpy(float)
            Y.append(y)
            V.append(k["se"].to_numpy(float) ** 2)
            PSI.append(_gvf(y, V[-1], n, X, 1e-3 if ind == "p0" else 1e-4).smoothed)
        Ya, Va, Pa = np.array(Y), np.array(V), np.array(PSI)
        actual = ((Ya - th) ** 2).mean(0)  # design MSE of the direct estimate
        actual = np.maximum(actual, 1e-3 * Pa.mean(0))  # as D: > 0 (all-zero draws, tiny --quick beds)
        b2 = (th - X @ np.linalg.lstsq(X, th, rcond=None)[0]) ** 2
        lines += [f"### {ind}", "",
                  f"(1) sum psi / sum actual design variance {Pa.mean(0).sum() / actual.sum():.3f} "
                  f"(linearised variance: {Va.mean(0).sum() / actual.sum():.3f}); by tercile of psi: " + ", ".join(
                      f"{Pa.mean(0)[q].sum() / actual[q].sum():.3f}" for q in np.array_split(
                          np.argsort(Pa.mean(0)), 3)) + ".", ""]
        s2 = {m: [fay_herriot(Ya[r], X, Pa[r], m).sigma2_u for r in range(replicates)] for m in ("REML", "AMRL")}
        s2d = {m: [fay_herriot(Ya[r], X, actual, m).sigma2_u for r in range(replicates)] for m in ("REML", "AMRL")}
        lines += [(f"(2) mean b^2 {b2.mean():.3g}; sigma2_u, mean over samples: REML {np.mean(s2['REML']):.3g} "
                  f"(0 in {np.mean(np.array(s2['REML']) == 0):.0%} of samples), AMRL {np.mean(s2['AMRL']):.3g}; "
                  f"with the actual D: REML {np.mean(s2d['REML']):.3g}, AMRL {np.mean(s2d['AMRL']):.3g}."), "",
                  "(3) | quintile of psi | mean psi | mean b^2 | b^2 / actual D | median b^2 |", "|---|---|---|---|---|"]
        for i, q in enumerate(np.array_split(np.argsort(Pa.mean(0)), 5)):
            lines.append(f"| {i + 1} | {Pa.mean(0)[q].mean():.3g} | {b2[q].mean():.3g} | "
                         f"{b2[q].mean() / actual[q].mean():.3f} | {np.median(b2[q]):.3g} |")
        lines += ["", ("(4) | area effects | sigma2_u method | mean_coverage | mse_ratio | median_rrmse | top 5% of kab/kota: "
                  "share of the summed squared error |"), "|---|---|---|---|---|---|"]
        cases = [(f"kappa {kap:g}", "AMRL", kap, None, Pa) for kap in (0.0, 0.5, 1.0, 1.5)]
        cases.append(("homoscedastic, oracle sigma2_u = mean b^2, actual D", "REML", 0.0, float(b2.mean()),
                      np.broadcast_to(actual, Pa.shape)))
        for label, method, kap, fixed, Ds in cases:
            E, M = [], []
            for r in range(replicates):
                D = np.asarray(Ds[r])
                k = (D / np.exp(np.mean(np.log(D)))) ** kap
                f = fay_herriot(Ya[r], X, D, method, mse="prasad_rao", effect_scale=k, fixed_sigma2_u=fixed)
                E.append(np.clip(f.eblup, 0, 1))
                M.append(f.mse)
            Ea, Ma = np.array(E), np.array(M)
            err2 = ((Ea - th) ** 2).mean(0)
            cover = (np.abs(Ea - th) <= Z95 * np.sqrt(Ma)).mean(0)
            pos = th > 0
            top = np.sort(err2)[::-1]
            lines.append(f"| {label} | {method} | {cover.mean():.3f} | {Ma.mean(0).sum() / err2.sum():.3f} | "
                         f"{np.median(np.sqrt(err2[pos]) / th[pos]):.3f} | "
                         f"{top[:max(1, len(top) // 20)].sum() / top.sum():.2f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, default=2024, help="the later round; the bed holds year-1 and year")
    ap.add_argument("--line-definition", default="usd215_2017ppp", help='a definition name or "auto"')
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--scale", type=float, default=1.0, help="share of the population (the sample scales too)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--extreme-share-sd", type=float, default=BedParams.extreme_share_sd)
    ap.add_argument("--block-share", type=float, default=BedParams.block_share)
    ap.add_argument("--overlap", type=float, default=BedParams.overlap)
    ap.add_argument("--quick", action="store_true",
                    help="a seconds-long check: scale 0.02, 2 replicates, Jawa Tengah and Jawa Timur only")
    ap.add_argument("--bootstrap", type=int, default=200,
                    help="replicates B of the bootstrap MSE of the benchmarked figure (the pipeline's default)")
    ap.add_argument("--diagnose", action="store_true",
                    help="print why the model intervals under-cover (round `year` only; docs/simulation.md)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    provinces = None
    if args.quick:
        args.scale, args.replicates, provinces = QUICK_SCALE, QUICK_REPLICATES, list(QUICK_PROVINCES)
    params = BedParams(scale=args.scale, seed=args.seed, extreme_share_sd=args.extreme_share_sd,
                       block_share=args.block_share, overlap=args.overlap)
    if args.diagnose:
        with warnings.catch_warnings():  # REML's non-convergence at sigma2_u ~ 0 is part of the diagnosis
            warnings.simplefilter("ignore", RuntimeWarning)
            print(diagnose(args.year, args.replicates, params, args.line_definition))
        return
    _, _, text = run(args.year, args.replicates, params, args.line_definition, RAW, args.out, provinces,
                     bootstrap_replicates=args.bootstrap)
    print(text)


if __name__ == "__main__":
    main()
