"""Area-level covariates of the kab/kota models: DAPOER 2019 and the design matrix of one year."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DAPOER_VARS", "dapoer_covariates", "design_matrix"]

# DAPOER variable as parsed -> covariate name (GRDP per capita enters on the log scale)
DAPOER_VARS = {"hdi": "hdi", "electricity_access_pct": "electricity", "literacy_rate_pct": "literacy",
               "grdp_per_capita": "log_grdp_pc"}
# The lagged P1 enters only when published for this share of the areas (else it is mostly filled medians).
P1_LAG_MIN_COVERAGE = 0.9


def dapoer_covariates(cells: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """DAPOER 2019 covariates per bps_code (str): hdi, electricity, literacy, log_grdp_pc.

    `cells`: `parse_source("dapoer_2019", RAW).cells` (region_code = World Bank id); `reference`: the region
    reference with `dapoer_loc_id`.
    """
    c = cells[cells["variable"].isin(list(DAPOER_VARS)) & cells["value"].notna()]
    wide = c.pivot_table(index="region_code", columns="variable", values="value", aggfunc="first")
    wide = wide.rename(columns=DAPOER_VARS)
    if "log_grdp_pc" in wide:
        wide["log_grdp_pc"] = np.log(wide["log_grdp_pc"].where(wide["log_grdp_pc"] > 0))
    ref = reference[reference["dapoer_loc_id"].notna()][["bps_code", "dapoer_loc_id"]]
    out = ref.merge(wide, left_on="dapoer_loc_id", right_index=True, how="inner")
    out = out.drop(columns="dapoer_loc_id")
    out["bps_code"] = out["bps_code"].astype(str)
    return out.reset_index(drop=True)


def _fill(values: pd.Series, prov: pd.Series) -> pd.Series:
    """Missing values -> province median -> national median."""
    v = values.astype(float)
    v = v.fillna(v.groupby(prov).transform("median"))
    return v.fillna(v.median())


def design_matrix(panel: pd.DataFrame, year: int, areas: pd.DataFrame,
                  covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Standardised covariates (plus `intercept`) for `areas` (index = int bps_code, columns prov_code and
    poverty_line_rp): P0 and P1 of the year before, log GK, and `covariates` (`dapoer_covariates`) when given.
    Gaps are filled with the province, then the national median; constant columns are dropped."""
    prev = panel[panel["year"] == year - 1].assign(code=lambda f: f["bps_code"].astype(int)).set_index("code")
    prov = areas["prov_code"]
    X = pd.DataFrame(index=areas.index)
    X["p0_lag"] = _fill(prev["p0"].reindex(areas.index), prov)
    if prev["p1"].reindex(areas.index).notna().mean() >= P1_LAG_MIN_COVERAGE:
        X["p1_lag"] = _fill(prev["p1"].reindex(areas.index), prov)
    X["log_gk"] = np.log(areas["poverty_line_rp"].astype(float))
    if covariates is not None:
        cov = covariates.assign(code=covariates["bps_code"].astype(int)).set_index("code")
        for col in [c for c in DAPOER_VARS.values() if c in cov.columns]:
            X[col] = _fill(cov[col].reindex(areas.index), prov)
    X = X.loc[:, X.notna().all() & (X.std() > 0)]
    X = (X - X.mean()) / X.std()
    X.insert(0, "intercept", 1.0)
    return X
