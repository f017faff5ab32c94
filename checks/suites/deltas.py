"""Suites of the year-over-year changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from checks.gx_bridge import Rule, Suite
from estimation.regions import INDONESIA_CODE

LARGE_CHANGE_PP = 5.0


def _indonesia_present(deltas: pd.DataFrame, province: pd.DataFrame) -> pd.DataFrame:
    """Rows from the first pair of years the Indonesia series (BPS "menurut provinsi dan daerah" rows) covers."""
    national = province.loc[(province["bps_code"] == INDONESIA_CODE) & province["p0"].notna(), "year"]
    first_pair = int(national.min()) + 1 if len(national) else int(deltas["year"].min())
    recent = deltas[deltas["year"] >= first_pair]
    return recent.assign(has_indonesia=recent["indonesia_p0"].notna() & recent["indonesia_p0_prev"].notna())


def _recomputed(deltas: pd.DataFrame) -> pd.DataFrame:
    diff = (deltas["p0"] - deltas["p0_prev"]).round(2) - deltas["delta_p0_pp"]
    return deltas.assign(delta_error=diff.abs().fillna(0.0))


def deltas_suite(name: str, *, kabkota: bool) -> Suite:
    loc = ("bps_code", "name", "year")
    rules = [
        Rule("code_year_unique", "one row per region and year",
             lambda E: E.ExpectCompoundColumnsToBeUnique(column_list=["bps_code", "year"]), locate=loc),
        Rule("delta_is_difference", "the change equals P0(year) - P0(year before), to the published 2 decimals",
             lambda E: E.ExpectColumnValuesToBeBetween(column="delta_error", max_value=1e-9),
             frame=_recomputed, locate=loc),
        Rule("large_p0_change", f"|change in P0| <= {LARGE_CHANGE_PP:g} percentage points (warning: check the source)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="delta_p0_pp", min_value=-LARGE_CHANGE_PP,
                                                       max_value=LARGE_CHANGE_PP),
             severity="WARN", locate=("bps_code", "name", "year", "p0_prev", "p0")),
    ]
    if kabkota:
        rules.append(Rule(
            "indonesia_beside_each_row",
            "the Indonesia P0 of both years stands beside each kab/kota row, from the first pair of years the "
            "Indonesia series covers",
            lambda E: E.ExpectColumnValuesToBeInSet(column="has_indonesia", value_set=[True]),
            frame=_indonesia_present, needs=("p0_province_validated",), locate=loc))
        rules.append(Rule(
            "province_beside_each_row",
            "the province P0 stands beside each kab/kota row (warning: provinces created later, e.g. Sulawesi "
            "Barat or the 2022 Papua provinces, have no figure of their own in their first years)",
            lambda E: E.ExpectColumnValuesToNotBeNull(column="prov_p0"), severity="WARN", locate=loc))
    return Suite(name, rules)


# ----------------------------------------------------------------------------------- change between rounds
CHANGE_LOCATE = ("bps_code", "year", "indicator", "estimator")
SIGNIFICANCE_LABELS = ("perubahan signifikan", "tidak signifikan",
                       "tidak dapat dibandingkan (definisi garis berbeda)")


def _change_recomputed(change: pd.DataFrame) -> pd.DataFrame:
    """The change against the two rounds' rates, the interval around it and the flag against the interval."""
    diff = (change["change"] - (change["rate"] - change["rate_prev"])).abs()
    inside = ((change["change_ci_low"] <= change["change"] + 1e-12) & (change["change"] <= change["change_ci_high"] + 1e-12)
              & np.isfinite(change["change_se"]) & (change["change_se"] >= 0))
    excludes = (change["change_ci_low"] > 0) | (change["change_ci_high"] < 0)
    expected = np.where(excludes, SIGNIFICANCE_LABELS[0], SIGNIFICANCE_LABELS[1])
    consistent = (change["significance"] == expected) | (change["significance"] == SIGNIFICANCE_LABELS[2])
    return change.assign(change_error=diff.fillna(np.inf), interval_ok=inside, flag_ok=consistent)


def _change_coverage(change: pd.DataFrame, direct: pd.DataFrame) -> pd.DataFrame:
    """One row per kab/kota and pair of consecutive rounds the direct estimates hold: the rows it has (expected
    2 indicators x 2 estimators)."""
    years = sorted(int(y) for y in direct["year"].unique())
    pairs = [y for y in years if y - 1 in years]
    wanted = []
    for year in pairs:
        both = (set(direct.loc[direct["year"] == year, "bps_code"])
                & set(direct.loc[direct["year"] == year - 1, "bps_code"]))
        wanted += [(code, year) for code in sorted(both)]
    want = pd.DataFrame(wanted, columns=["bps_code", "year"])
    have = change.groupby(["bps_code", "year"]).size().rename("rows").reset_index()
    out = want.merge(have, on=["bps_code", "year"], how="left").fillna({"rows": 0})
    # rows for a pair the direct estimates do not hold are listed too (rows found, expected 0 -> flagged)
    extra = have.merge(want, on=["bps_code", "year"], how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge").assign(rows=-1)
    return pd.concat([out, extra], ignore_index=True).assign(indicator="", estimator="")


def change_suite(name: str = "poverty_change_kabkota") -> Suite:
    """The change in P0 and extreme poverty between consecutive rounds, direct and model-based."""
    return Suite(name, [
        Rule("change_key_unique", "one row per kab/kota, pair of rounds, indicator and estimator",
             lambda E: E.ExpectCompoundColumnsToBeUnique(column_list=["bps_code", "year", "indicator", "estimator"]),
             locate=CHANGE_LOCATE),
        Rule("change_is_difference", "the change equals the later round's rate minus the earlier one's",
             lambda E: E.ExpectColumnValuesToBeBetween(column="change_error", max_value=1e-12),
             frame=_change_recomputed, locate=CHANGE_LOCATE),
        Rule("change_interval_holds", "the standard error is finite and >= 0 and the 95% interval holds the change",
             lambda E: E.ExpectColumnValuesToBeInSet(column="interval_ok", value_set=[True]),
             frame=_change_recomputed, locate=CHANGE_LOCATE),
        Rule("significance_matches_interval",
             "'perubahan signifikan' exactly when the interval excludes 0 ('tidak dapat dibandingkan' when the two "
             "rounds use different extreme-poverty lines)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="flag_ok", value_set=[True]),
             frame=_change_recomputed, locate=CHANGE_LOCATE),
        Rule("significance_labels", "the significance flag is one of the published Indonesian labels",
             lambda E: E.ExpectColumnValuesToBeInSet(column="significance", value_set=list(SIGNIFICANCE_LABELS)),
             locate=CHANGE_LOCATE),
        Rule("every_kabkota_every_pair",
             "every kab/kota with direct estimates in two consecutive rounds has its 4 change rows (P0 and extreme, "
             "direct and model), and no other pair is present",
             lambda E: E.ExpectColumnValuesToBeInSet(column="rows", value_set=[4]),
             frame=_change_coverage, needs=("direct_estimates",), locate=("bps_code", "year", "rows")),
    ])
