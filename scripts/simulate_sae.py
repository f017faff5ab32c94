"""Design-based simulation: fixed synthetic population of one year, R Susenas-like samples, direct vs EBLUP.

Run: PYTHONPATH=. .venv/bin/python -m scripts.simulate_sae --year 2024 --replicates 50 \
         [--methods REML,YL] [--direct-ci wald,wilson,clopper_pearson]
Per kab/kota: relative RMSE (RMSE / true rate) and 95% interval coverage of direct and EBLUP; prints the median
relative RMSE and median/mean coverage over kab/kota as Markdown, and writes it to data/outputs/simulation/.
Every sigma2_u method (`--methods`) and direct interval (`--direct-ci`) is evaluated on the same samples.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from estimation.covariates import design_matrix
from estimation.sae.workflow import (
    direct_estimates,
    direct_frame,
    fit_models,
    prepare_synthetic_year,
    sample_year,
)
from estimation.synthetic.targets import line_definition_for

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
OUT = Path(__file__).resolve().parents[1] / "data" / "outputs" / "simulation"


def _inputs():
    from estimation.sources import dapoer_covariate_table, extreme_targets, kabkota_panel

    return kabkota_panel(RAW), dapoer_covariate_table(RAW), extreme_targets(RAW)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--line-definition", default="usd215_2017ppp", help='a definition name or "auto"')
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", default="REML,YL,AMRL:prasad_rao", help="sigma2_u estimators, comma separated")
    ap.add_argument("--direct-ci", default="wald,wilson", help="direct intervals, comma separated")
    args = ap.parse_args()
    methods = args.methods.split(",")
    cis = args.direct_ci.split(",")
    t0 = time.time()
    kab, cov, targets = _inputs()
    args.line_definition = line_definition_for(args.year, targets, args.line_definition)
    syn = prepare_synthetic_year(kab, args.year, targets, line_definition=args.line_definition, seed=args.seed)
    truth = syn.truth.set_index("bps_code")
    X = design_matrix(kab, syn.year, syn.areas, cov)
    t_fit = 0.0
    dirs, mods = [], []
    for r in range(args.replicates):
        sample = sample_year(syn, 1000 + r)
        d_kab = direct_estimates(syn, sample, "bps_code")
        d_prov = direct_estimates(syn, sample, "prov_code")
        deff = None
        for method in methods:
            t1 = time.time()
            model, fit = fit_models(syn, d_kab, d_prov, X, seed=r, variance_method=method)
            t_fit += time.time() - t1
            deff = dict(zip(fit["indicator"], fit["gvf_deff"].astype(float), strict=True))
            mods.append(model.assign(replicate=r, variant=method, zero_sigma2=fit.set_index("indicator")
                                     ["sigma2_u"].reindex(model["indicator"]).to_numpy() <= 0))
        for ci in cis:
            dirs.append(direct_frame(syn, d_kab, ci, deff).assign(replicate=r, variant=ci))

    def with_truth(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(truth=np.where(f["indicator"] == "p0", truth.loc[f["bps_code"], "true_p0"],
                                       truth.loc[f["bps_code"], "true_extreme_rate"]))

    sim_d, sim_m = with_truth(pd.concat(dirs, ignore_index=True)), with_truth(pd.concat(mods, ignore_index=True))
    lines = [(f"Simulation: {args.year}, {args.line_definition}, R = {args.replicates} samples of 345,000 households, "
             f"514 kab/kota."), "", ("| Indicator | Estimator | Median relative RMSE | Median coverage 95% | "
             "Mean coverage 95% | Share sigma2_u = 0 |"), "|---|---|---|---|---|---|"]

    def row(s: pd.DataFrame, label: str, est: str, with_ci: bool, zero: str) -> str:
        g = s.assign(se2=(s[est] - s["truth"]) ** 2,
                     cov=((s["ci_low"] <= s["truth"]) & (s["truth"] <= s["ci_high"])) if with_ci else np.nan)
        per = g.groupby("bps_code").agg(mse=("se2", "mean"), truth=("truth", "first"), cov=("cov", "mean"))
        rrmse = np.sqrt(per["mse"]) / per["truth"].where(per["truth"] > 0)
        cov_med = f"{per['cov'].median():.3f}" if with_ci else "-"
        cov_mean = f"{per['cov'].mean():.3f}" if with_ci else "-"
        return f"| {ind} | {label} | {rrmse.median():.3f} | {cov_med} | {cov_mean} | {zero} |"

    for ind in ("extreme", "p0"):
        for ci in cis:
            s = sim_d[(sim_d["indicator"] == ind) & (sim_d["variant"] == ci)]
            lines.append(row(s, f"direct ({ci} CI)", "estimate", True, "-"))
        for method in methods:
            s = sim_m[(sim_m["indicator"] == ind) & (sim_m["variant"] == method)]
            zero = f"{s.groupby('replicate')['zero_sigma2'].first().mean():.2f}"
            lines.append(row(s, f"EBLUP {method}", "eblup", True, zero))
            lines.append(row(s, f"EBLUP {method} benchmarked", "benchmarked", False, zero))
    lines += ["", f"Fit time (GVF + FH + benchmark, all methods): {t_fit:.1f} s."]
    lines += ["", f"Runtime: {time.time() - t0:.0f} s."]
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"sae_simulation_{args.year}_{args.line_definition}.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
