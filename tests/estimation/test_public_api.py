"""The stable public API: `estimation.fay_herriot` and `estimation.direct_fgt` as the issue specifies them."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

import estimation

DATA = Path(__file__).resolve().parents[1] / "data"


def test_fay_herriot_public_api_on_milk_reml():
    milk = pd.read_csv(DATA / "milk.csv")
    expected = json.loads((DATA / "milk_expected.json").read_text())
    X = pd.get_dummies(milk["MajorArea"].astype(str), drop_first=True, dtype=float)
    X.insert(0, "intercept", 1.0)
    fit = estimation.fay_herriot(milk["yi"].to_numpy(), X.to_numpy(), milk["SD"].to_numpy() ** 2, method="REML")
    for name in ("beta", "beta_se", "gamma", "eblup", "mse"):
        value = getattr(fit, name)
        assert isinstance(value, np.ndarray) and value.shape[0] == (4 if name.startswith("beta") else 43)
    reml = expected["REML"]
    assert abs(fit.sigma2_u - reml["sigma2_u"]["value_exact_optimum"]) < 1e-6
    np.testing.assert_allclose(fit.beta, reml["beta"]["value"], atol=1e-4)


def test_direct_fgt_public_api_hajek_and_strict_inequality():
    y = np.array([50.0, 100.0, 150.0, 100.0])
    out = estimation.direct_fgt(y, 100.0, np.array([1.0, 1.0, 2.0, 1.0]), np.array(["a", "a", "b", "b"]))
    assert list(out.columns) == ["estimate", "se"]
    assert out.loc["a", "estimate"] == 0.5  # 100 is not poor at a line of 100: y < line
    assert out.loc["b", "estimate"] == 0.0
