"""Design-based simulation: fixed synthetic population of one year, R Susenas-like samples, direct vs EBLUP.

Run: PYTHONPATH=. .venv/bin/python -m scripts.simulate_sae --year 2024 --replicates 50
Per kab/kota: relative RMSE (RMSE / true rate) and 95% interval coverage of direct and EBLUP; prints the median
relative RMSE and median/mean coverage over kab/kota as Markdown, and writes it to data/outputs/simulation/.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from estimation.small_area import (
    dapoer_covariates,
    estimates_from_sample,
    prepare_synthetic_year,
    sample_year,
)

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
OUT = Path(__file__).resolve().parents[1] / "data" / "outputs" / "simulation"


def _inputs():
    from estimation.panel import build_kabkota_panel
    from estimation.parsers.catalog import parse_source
    from estimation.regions import load_region_reference

    ref = load_region_reference(RAW / "reference/regions_bps_kabkota_2025.csv")
    names = ["p0_kabkota", "poor_kabkota", "kabkota_2023_p0_p1_p2_gk", "poverty_line_2024_byname",
             "poverty_line_2025_webapi"]
    c = {n: parse_source(n, RAW).cells for n in names}
    kab = build_kabkota_panel(c["p0_kabkota"], c["poor_kabkota"], ref, extra_cells=[c[n] for n in names[2:]])
    return kab, dapoer_covariates(parse_source("dapoer_2019", RAW).cells, ref)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--line-definition", default="usd215_2017ppp")
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    kab, cov = _inputs()
    syn = prepare_synthetic_year(kab, args.year, line_definition=args.line_definition, seed=args.seed)
    truth = syn.truth.set_index("bps_code")
    rows = []
    for r in range(args.replicates):
        est = estimates_from_sample(syn, sample_year(syn, 1000 + r), kab, cov, seed=r)
        m = est.model.merge(est.direct[["bps_code", "indicator", "ci_low", "ci_high"]], on=["bps_code", "indicator"],
                            suffixes=("", "_direct"))
        m["truth"] = np.where(m["indicator"] == "p0", truth.loc[m["bps_code"], "true_p0"],
                              truth.loc[m["bps_code"], "true_extreme_rate"])
        rows.append(m.assign(replicate=r))
    sim = pd.concat(rows, ignore_index=True)
    lines = [(f"Simulation: {args.year}, {args.line_definition}, R = {args.replicates} samples of 345,000 households, "
             f"514 kab/kota."), "", ("| Indicator | Estimator | Median relative RMSE | Median coverage 95% | "
             "Mean coverage 95% |"), "|---|---|---|---|---|"]
    for ind in ("extreme", "p0"):
        s = sim[sim["indicator"] == ind]
        for label, est, lo, hi in (("direct", "direct", "ci_low_direct", "ci_high_direct"),
                                   ("EBLUP", "eblup", "ci_low", "ci_high"),
                                   ("EBLUP benchmarked", "benchmarked", None, None)):
            g = s.assign(se2=(s[est] - s["truth"]) ** 2,
                         cov=((s[lo] <= s["truth"]) & (s["truth"] <= s[hi])) if lo else np.nan)
            per = g.groupby("bps_code").agg(mse=("se2", "mean"), truth=("truth", "first"), cov=("cov", "mean"))
            rrmse = np.sqrt(per["mse"]) / per["truth"].where(per["truth"] > 0)
            cov_med = f"{per['cov'].median():.3f}" if lo else "-"
            cov_mean = f"{per['cov'].mean():.3f}" if lo else "-"
            lines.append(f"| {ind} | {label} | {rrmse.median():.3f} | {cov_med} | {cov_mean} |")
    lines += ["", f"Runtime: {time.time() - t0:.0f} s."]
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"sae_simulation_{args.year}_{args.line_definition}.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
