"""Suites of the year-over-year changes."""

from __future__ import annotations

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
