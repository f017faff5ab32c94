"""The data-quality suite of poverty_change_kabkota (checks/suites/deltas.py): a good table passes every rule,
and each rule fails on the break it is there to catch."""

from __future__ import annotations

import pandas as pd
import pytest

from checks.gx_bridge import run_suite
from checks.suites.deltas import change_suite
from estimation.sae.change import round_changes
from tests.estimation.test_change_model import _frames

SUITE = change_suite()


@pytest.fixture(scope="module")
def good():
    panel, direct, model = _frames(2)
    table, _ = round_changes(direct, model, panel, None, [2023, 2024])
    return table, direct


def _failed(table, direct):
    result = run_suite(SUITE, table, related={"direct_estimates": direct})
    return {r.rule for r in result.results if not r.passed}


def test_good_table_passes(good):
    table, direct = good
    assert _failed(table, direct) == set()


@pytest.mark.parametrize("rule, breaks", [
    ("change_key_unique", lambda t, d: (pd.concat([t, t.iloc[:1]], ignore_index=True), d)),
    ("change_is_difference", lambda t, d: (t.assign(change=t["change"].where(t.index != 3, 0.5)), d)),
    ("change_interval_holds", lambda t, d: (t.assign(change_ci_high=t["change_ci_high"].where(
        t.index != 5, t["change"] - 0.01)), d)),
    ("significance_matches_interval", lambda t, d: (t.assign(significance=t["significance"].where(
        t.index != 7, "perubahan signifikan" if t.loc[7, "significance"] != "perubahan signifikan"
        else "tidak signifikan")), d)),
    ("significance_labels", lambda t, d: (t.assign(significance=t["significance"].where(t.index != 2,
                                                                                          "signifikan")), d)),
    ("every_kabkota_every_pair", lambda t, d: (t[t["bps_code"] != t["bps_code"].iloc[0]], d)),
    ("every_kabkota_every_pair", lambda t, d: (t, d[d["year"] != 2022])),  # a pair the estimates do not hold
])
def test_each_rule_fails_on_its_break(good, rule, breaks):
    table, direct = breaks(*good)
    assert rule in _failed(table, direct)
