"""The change between estimation rounds (poverty_change_kabkota), as the whole-graph run publishes it."""

import numpy as np
import pandas as pd
import pytest

# Shares the session's whole-graph run (estimation rounds 2023 and 2024): one xdist worker runs these tests.
pytestmark = pytest.mark.xdist_group("good_run")


def test_change_published_for_every_kabkota_with_its_precision_and_flag(good_run):
    data_dir, result, _ = good_run
    tables = data_dir / "outputs/tables"
    change = pd.read_parquet(tables / "poverty_change_kabkota.parquet")
    direct = pd.read_parquet(tables / "estimates_direct.parquet")
    # the run estimates 2023 and 2024: one pair, every kab/kota, P0 and extreme, direct and model
    assert set(zip(change["year_prev"], change["year"], strict=True)) == {(2023, 2024)}
    assert len(change) == 514 * 4 and change.groupby("bps_code").size().eq(4).all()
    assert change["name"].notna().all()
    # direct P0: independent synthetic rounds, SE = sqrt(V_2023 + V_2024) from the published direct SEs
    se = direct[direct["indicator"] == "p0"].pivot(index="bps_code", columns="year", values="se")
    d = change[(change["indicator"] == "p0") & (change["estimator"] == "direct")].set_index("bps_code")
    np.testing.assert_allclose(d["change_se"], np.hypot(se[2023], se[2024]).reindex(d.index), rtol=1e-5)
    # the bivariate model borrows strength: its SE is below the direct one for most kab/kota
    m = change[(change["indicator"] == "p0") & (change["estimator"] == "model")].set_index("bps_code")
    assert (m["change_se"] < d["change_se"].reindex(m.index)).mean() > 0.8
    assert set(change.loc[change["indicator"] == "p0", "significance"]) <= {"perubahan signifikan",
                                                                              "tidak signifikan"}
    # extreme poverty 2023 (USD 1.90) -> 2024 (USD 2.15) crosses the line definitions
    ext = change[change["indicator"] == "extreme"]
    assert (ext["line_definition_prev"] != ext["line_definition"]).all()
    assert (ext["significance"] == "tidak dapat dibandingkan (definisi garis berbeda)").all()
    # every rule of its suite ran and passed
    checks = [e for e in result.get_asset_check_evaluations()
              if e.asset_key.to_user_string() == "poverty_change_kabkota"]
    assert len(checks) == 6 and all(e.passed for e in checks)
    # the CSV readers open carries the Indonesian flag
    assert "perubahan signifikan" in (tables / "poverty_change_kabkota.csv").read_text(encoding="utf-8")
