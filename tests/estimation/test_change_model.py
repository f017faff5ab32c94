"""The published change table (estimation/sae/change.py): direct and bivariate Fay-Herriot rows, wiring and flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimation.covariates import design_matrix
from estimation.sae.change import (
    CHANGE_COLUMNS,
    NOT_COMPARABLE,
    design_correlation,
    effect_scales,
    round_changes,
    sampling_covariances,
)
from estimation.sae.multivariate import multivariate_fay_herriot

M = 80


def _frames(seed=0):
    rng = np.random.default_rng(seed)
    codes = np.array([1101 + i for i in range(M // 2)] + [3501 + i for i in range(M // 2)])
    prov = codes // 100
    truth0 = np.clip(0.12 + 0.05 * rng.standard_normal(M), 0.01, 0.4)
    panel, direct, model = [], [], []
    for year in (2021, 2022, 2023, 2024):
        p0 = np.clip(truth0 * (1 - 0.03 * (year - 2021)) + 0.005 * rng.standard_normal(M), 0.005, 0.5)
        panel.append(pd.DataFrame({"bps_code": codes.astype(str), "prov_code": prov.astype(str), "year": year,
                                   "p0": 100 * p0, "p1": 100 * p0 * (0.12 + 0.1 * rng.random(M)),
                                   "poverty_line_rp": np.nan if year < 2023 else 500_000 + 1000 * rng.random(M)}))
        if year == 2021:
            continue
        line = "usd190_2011ppp" if year < 2024 else "usd215_2017ppp"
        for ind, scale in (("p0", 1.0), ("extreme", 0.1)):
            se = np.sqrt(scale * p0 * (1 - p0) / 400 * 2)
            est = np.clip(scale * p0 + se * rng.standard_normal(M), 0, 1)
            direct.append(pd.DataFrame({"bps_code": codes.astype(str), "prov_code": prov.astype(str), "year": year,
                                        "line_definition": line, "indicator": ind, "estimate": est, "se": se}))
            model.append(pd.DataFrame({"bps_code": codes.astype(str), "year": year, "indicator": ind,
                                       "direct_var_smoothed": se**2 * np.exp(0.1 * rng.standard_normal(M))}))
    return pd.concat(panel), pd.concat(direct), pd.concat(model)


def test_round_changes_rows_flags_and_model_wiring():
    panel, direct, model = _frames()
    table, fits = round_changes(direct, model, panel, None, [2022, 2023, 2024])
    assert list(table.columns) == CHANGE_COLUMNS
    # 2022 has no previous round in the estimates: pairs 2022->2023 and 2023->2024, 2 indicators, 2 estimators
    assert len(table) == 2 * 2 * 2 * M and set(table["year"]) == {2023, 2024}
    assert len(fits) == 4 and fits["converged"].all()
    np.testing.assert_allclose(table["change"], table["rate"] - table["rate_prev"], atol=1e-15)
    assert ((table["change_ci_low"] <= table["change"]) & (table["change"] <= table["change_ci_high"])).all()
    comparable = table["significance"] != NOT_COMPARABLE
    excludes = (table["change_ci_low"] > 0) | (table["change_ci_high"] < 0)
    assert (table.loc[comparable, "significance"] == np.where(excludes[comparable], "perubahan signifikan",
                                                               "tidak signifikan")).all()
    # extreme poverty 2023 -> 2024 crosses the line definitions: not comparable; every other row is
    crossing = (table["indicator"] == "extreme") & (table["year"] == 2024)
    assert (~comparable == crossing).all()
    # direct rows: independent rounds, SE = sqrt(V1 + V2)
    d = table[(table["estimator"] == "direct") & (table["year"] == 2023) & (table["indicator"] == "p0")]
    se = direct[direct["indicator"] == "p0"].pivot(index="bps_code", columns="year", values="se")
    np.testing.assert_allclose(d["change_se"], np.hypot(se.loc[d["bps_code"], 2022], se.loc[d["bps_code"], 2023]))
    assert (d["cov_rounds"] == 0).all()
    # model rows: the bivariate fit on the same inputs, called directly
    mrow = table[(table["estimator"] == "model") & (table["year"] == 2023) & (table["indicator"] == "p0")]
    codes = pd.Index(sorted(int(c) for c in d["bps_code"]))

    def pick(frame, year, col):
        f = frame[(frame["year"] == year) & (frame["indicator"] == "p0")]
        return f.assign(code=f["bps_code"].astype(int)).set_index("code")[col].reindex(codes).to_numpy()

    def areas(year):
        p = panel[panel["year"] == year].assign(code=lambda f: f["bps_code"].astype(int)).set_index("code")
        return pd.DataFrame({"prov_code": p["prov_code"].astype(int), "poverty_line_rp": p["poverty_line_rp"]}
                            ).reindex(codes)

    X = [design_matrix(panel, y, areas(y), None).to_numpy() for y in (2022, 2023)]
    ve = sampling_covariances(pick(model, 2022, "direct_var_smoothed"), pick(model, 2023, "direct_var_smoothed"), 0.0)
    fit = multivariate_fay_herriot(np.c_[pick(direct, 2022, "estimate"), pick(direct, 2023, "estimate")], X, ve,
                                   effect_scale=effect_scales(ve), method="AMRL")  # the defaults
    lv = np.clip(fit.eblup, 0, None)
    np.testing.assert_allclose(mrow["change"], lv[:, 1] - lv[:, 0], rtol=1e-10, atol=1e-14)
    _, mse = fit.contrast([-1, 1])
    np.testing.assert_allclose(mrow["change_se"], np.sqrt(mse), rtol=1e-10)
    np.testing.assert_allclose(mrow["cov_rounds"], fit.mse[:, 0, 1], rtol=1e-10, atol=1e-16)
    # the model's interval is narrower than the direct one for most kab/kota (it borrows strength)
    assert (mrow["change_se"].to_numpy() < d["change_se"].to_numpy()).mean() > 0.8


def test_direct_covariance_enters_the_direct_rows_and_the_model_design_correlation():
    panel, direct, model = _frames(1)
    d22 = direct[(direct["year"] == 2022)].set_index(["indicator", "bps_code"])["se"]
    d23 = direct[(direct["year"] == 2023)].set_index(["indicator", "bps_code"])["se"]
    cov = (0.5 * d22 * d23).rename("cov").reset_index().assign(year=2023)
    with_cov, fits = round_changes(direct, model, panel, None, [2023], direct_cov=cov)
    without, _ = round_changes(direct, model, panel, None, [2023])
    dr = with_cov["estimator"] == "direct"
    np.testing.assert_allclose(with_cov.loc[dr, "change_se"] ** 2,
                               without.loc[dr, "change_se"] ** 2 - 2 * with_cov.loc[dr, "cov_rounds"], rtol=1e-10)
    assert fits["design_correlation"].to_numpy() == pytest.approx([0.5, 0.5])


def test_design_correlation_is_pooled_and_bounded():
    assert design_correlation([1.0, 4.0], [1.0, 4.0], [0.5, 2.0]) == pytest.approx(0.5)
    assert design_correlation([1.0, 0.0], [1.0, 1.0], [0.5, 9.0]) == pytest.approx(0.5)  # zero variance skipped
    assert design_correlation([1.0], [1.0], [3.0]) == pytest.approx(0.95)
    assert design_correlation([0.0], [0.0], [0.0]) == 0.0
