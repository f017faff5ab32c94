"""Suites of the validated layer: region reference, kab/kota panel, province panel."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from checks.gx_bridge import Rule, Suite

N_PROVINCES = 38
N_KABKOTA = 514
COMPLETE_YEARS = range(2020, 2026)  # all 514 kab/kota must be present in these years


def region_reference_suite() -> Suite:
    def counts(ref: pd.DataFrame) -> pd.DataFrame:
        provinces = int((ref["level"] == "provinsi").sum())
        kabkota = int(ref["level"].isin(["kabupaten", "kota"]).sum())
        return pd.DataFrame({"what": ["provinsi", "kab/kota"], "count": [provinces, kabkota],
                             "expected": [N_PROVINCES, N_KABKOTA]}).assign(ok=lambda f: f["count"] == f["expected"])

    def prov_consistent(ref: pd.DataFrame) -> pd.DataFrame:
        return ref.assign(prefix_ok=ref["bps_code"].str[:2] == ref["prov_code"])[["bps_code", "name", "prefix_ok"]]

    return Suite("region_reference", [
        Rule("codes_unique", "each 2025 BPS code appears once",
             lambda E: E.ExpectColumnValuesToBeUnique(column="bps_code"), locate=("bps_code", "name")),
        Rule("codes_four_digits", "codes are 4 digits",
             lambda E: E.ExpectColumnValuesToMatchRegex(column="bps_code", regex=r"^\d{4}$"), locate=("bps_code", "name")),
        Rule("region_counts", "38 provinces and 514 kabupaten/kota",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), frame=counts,
             locate=("what", "count", "expected")),
        Rule("code_in_province", "the first two digits of a kab/kota code are its province code",
             lambda E: E.ExpectColumnValuesToBeInSet(column="prefix_ok", value_set=[True]), frame=prov_consistent,
             locate=("bps_code", "name")),
    ])


def _per_year_counts(panel: pd.DataFrame) -> pd.DataFrame:
    present = panel[panel["p0"].notna()].groupby("year")["bps_code"].nunique()
    years = pd.Index(list(COMPLETE_YEARS), name="year")
    return pd.DataFrame({"year": years, "n_kabkota": present.reindex(years).fillna(0).astype(int).values})


def kabkota_panel_suite(
    reference_codes: set[str] | None = None,
    quoted: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    sum_comparison: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> Suite:
    """`reference_codes`: the 514 kab/kota codes; `quoted`: panel -> comparison with figures quoted by news
    pages; `sum_comparison`: panel -> kab/kota sums against their province (`estimation.consistency`)."""

    def not_exempt(kab: pd.DataFrame) -> pd.DataFrame:
        compared = sum_comparison(kab)
        return compared[~compared["exempt"].astype(bool)]

    codes = sorted(reference_codes or [])
    loc = ("bps_code", "name", "year")
    rules = [
        Rule("code_year_unique", "one row per kab/kota and year",
             lambda E: E.ExpectCompoundColumnsToBeUnique(column_list=["bps_code", "year"]), locate=loc),
        Rule("codes_valid", "every code is a 2025 BPS kab/kota code",
             lambda E: E.ExpectColumnValuesToBeInSet(column="bps_code", value_set=codes), locate=loc),
        Rule("all_kabkota_2020_2025", "all 514 kab/kota have a P0 in every year 2020-2025",
             lambda E: E.ExpectColumnValuesToBeBetween(column="n_kabkota", min_value=N_KABKOTA, max_value=N_KABKOTA),
             frame=_per_year_counts, locate=("year", "n_kabkota")),
        Rule("p0_in_range", "0 <= P0 <= 100",
             lambda E: E.ExpectColumnValuesToBeBetween(column="p0", min_value=0, max_value=100), locate=loc),
        Rule("p1_le_p0", "P1 <= P0 where both are published",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="p0", column_B="p1", or_equal=True,
                                                                  ignore_row_if="either_value_is_missing"), locate=loc),
        Rule("p2_le_p1", "P2 <= P1 where both are published",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="p1", column_B="p2", or_equal=True,
                                                                  ignore_row_if="either_value_is_missing"), locate=loc),
        Rule("poor_nonnegative", "number of poor >= 0",
             lambda E: E.ExpectColumnValuesToBeBetween(column="poor_thousand", min_value=0), locate=loc),
        Rule("poverty_line_positive", "poverty line (Rp/capita/month) between 100,000 and 2,000,000 where published",
             lambda E: E.ExpectColumnValuesToBeBetween(column="poverty_line_rp", min_value=100_000, max_value=2_000_000),
             locate=loc),
    ]
    rules.append(Rule(
        "kabkota_add_up_to_province",
        "kab/kota numbers of poor add up to their province within rounding (Papua before 2024 exempt: 2022 split)",
        lambda E: E.ExpectColumnValuesToBeInSet(column="within_tolerance", value_set=[True]),
        frame=not_exempt, locate=("prov_code", "prov_name", "year", "kab_sum", "prov_value", "difference")))
    rules.append(Rule(
        "quoted_figures_agree", "figures quoted by news pages equal the published BPS figure (warning)",
        lambda E: E.ExpectColumnValuesToBeInSet(column="agrees", value_set=[True]),
        frame=quoted, severity="WARN", locate=("bps_code", "name", "year", "variable", "quoted", "published",
                                               "source_url")))
    return Suite("p0_kabkota_validated", rules)


def province_panel_suite() -> Suite:
    loc = ("bps_code", "name", "year")
    return Suite("p0_province_validated", [
        Rule("code_year_unique", "one row per province (or Indonesia) and year",
             lambda E: E.ExpectCompoundColumnsToBeUnique(column_list=["bps_code", "year"]), locate=loc),
        Rule("p0_in_range", "0 <= P0 <= 100",
             lambda E: E.ExpectColumnValuesToBeBetween(column="p0", min_value=0, max_value=100), locate=loc),
        Rule("indonesia_present", "an Indonesia row (code 0000) for every year 2020-2025",
             lambda E: E.ExpectColumnValuesToBeInSet(column="present", value_set=[True]),
             frame=lambda prov: pd.DataFrame({"year": list(COMPLETE_YEARS), "present": [
                 bool(((prov["bps_code"] == "0000") & (prov["year"] == y) & prov["p0"].notna()).any())
                 for y in COMPLETE_YEARS]}), locate=("year",)),
    ])
