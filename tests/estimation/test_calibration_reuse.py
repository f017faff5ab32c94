"""calibrate_panel keeps its last results: equal inputs get copies of them, different inputs a new calibration."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from estimation.sources import extreme_targets
from estimation.synthetic import calibration
from tests.estimation.test_synthetic import RAW, _panel


def _small_panel() -> pd.DataFrame:
    """Three provinces' kab/kota (a fast calibration)."""
    panel = _panel()
    return panel[panel["prov_code"].isin([35, 36, 62])].reset_index(drop=True)


@pytest.fixture()
def counted(monkeypatch):
    calls = []
    inner = calibration._calibrate_panel

    def counting(*args):
        calls.append(args)
        return inner(*args)

    monkeypatch.setattr(calibration, "_calibrate_panel", counting)
    monkeypatch.setattr(calibration, "_RECENT", [])
    return calls


def test_equal_inputs_share_one_calibration_and_get_independent_copies(counted):
    panel, targets = _small_panel(), extreme_targets(RAW.parent)
    first, _ = calibration.calibrate_panel(panel, targets)
    first.loc[:, "deep_share"] = -1.0  # the caller's copy, not the kept result
    again, report_again = calibration.calibrate_panel(panel.copy(), targets.copy())
    assert len(counted) == 1
    fresh, fresh_report = calibration._calibrate_panel(panel, targets, None)
    pdt.assert_frame_equal(again, fresh)
    pdt.assert_frame_equal(report_again, fresh_report)
    assert again is not first and (again["deep_share"] >= 0).all()


def test_different_inputs_are_calibrated_again(counted):
    panel, targets = _small_panel(), extreme_targets(RAW.parent)
    calibration.calibrate_panel(panel, targets)
    calibration.calibrate_panel(panel.assign(p0=panel["p0"] * 1.01), targets)  # other values
    calibration.calibrate_panel(panel.astype({"year": "int32"}), targets)  # other dtype
    calibration.calibrate_panel(panel, targets[targets["year"] != 2024])  # other targets
    calibration.calibrate_panel(panel, targets, {2023: 400_000.0})  # other national lines
    calibration.calibrate_panel(panel, None)
    assert len(counted) == 6
    calibration.calibrate_panel(panel, targets, {2023: 400_000.0})
    assert len(counted) == 6
    shuffled = panel.iloc[::-1]
    calibration.calibrate_panel(shuffled, targets)  # same rows in another order: not the same input
    assert len(counted) == 7
    assert len(calibration._RECENT) == calibration._RECENT_SIZE
    assert isinstance(calibration._RECENT[0][0], pd.DataFrame)
