"""Write fgt_sample.csv: a small seeded household sample with strata, PSUs, weights, domains and per-unit lines.

The data feed R `survey` (fgt_reference.R) and the project's direct estimators alike. Every number is an
integer or a multiple of 1/4, so the CSV parses to the same doubles in R and Python.

Design: 8 strata; strata 0-6 have 2-4 PSUs (ids restart at 1 in every stratum, so PSUs must be nested),
stratum 7 has a single PSU (a lonely PSU); 4-10 households per PSU; domains A, B, C cut across strata and
PSUs; the poverty line depends on an urban flag of the stratum (Susenas-like GK per area type).

    cd /work/main && .venv/bin/python tests/data/r_survey/make_fgt_sample.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "fgt_sample.csv"
SEED = 20_241_122
LINES = {0: 480_000, 1: 530_000}  # rural, urban poverty line (Rupiah per capita per month)


def make_sample(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    hh_id = 0
    for stratum in range(8):
        urban = stratum % 2
        n_psu = 1 if stratum == 7 else int(rng.integers(2, 5))
        for psu in range(1, n_psu + 1):
            level = rng.normal(13.4, 0.35)  # PSU effect on log expenditure: a real cluster design
            for _ in range(int(rng.integers(4, 11))):
                hh_id += 1
                rows.append({
                    "hh_id": hh_id,
                    "stratum": stratum,
                    "psu": psu,
                    "urban": urban,
                    "domain": "ABC"[int(rng.integers(0, 3))],
                    "weight": float(rng.integers(80, 1600)) / 4,  # multiple of 1/4: exact in binary
                    "hh_size": int(rng.integers(1, 8)),
                    "income": round(np.exp(level + rng.normal(0, 0.45))),
                    "poverty_line": LINES[urban],
                })
    df = pd.DataFrame(rows)
    df.loc[4, "income"] = df.loc[4, "poverty_line"]  # exactly at the line: not poor (y < z strictly)
    return df


if __name__ == "__main__":
    df = make_sample()
    df.to_csv(OUT, index=False)
    print(f"{OUT}: {len(df)} households, {df['psu'].groupby(df['stratum']).nunique().sum()} PSUs, "
          f"poor {(df['income'] < df['poverty_line']).mean():.2f}")
