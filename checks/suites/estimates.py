"""Suites of the estimates: synthetic truth, direct estimates, Fay-Herriot estimates and fits."""

import numpy as np
import pandas as pd

from checks.gx_bridge import Rule, Suite

LOC = ("bps_code", "year", "indicator")
Z95 = 1.959963984540054


def sample_suite() -> Suite:
    loc = ("year", "stratum", "psu")

    def per_year(sample: pd.DataFrame) -> pd.DataFrame:
        return sample.groupby("year", as_index=False).agg(households=("WERT", "size"),
                                                          kabkota=("bps_code", "nunique"))

    return Suite("susenas_sample", [
        Rule("weights_positive", "design weights WERT > 0", lambda E: E.ExpectColumnValuesToBeBetween(
            column="WERT", min_value=0, strict_min=True), locate=loc),
        Rule("weind_is_size_times_wert", "WEIND = R301 x WERT", lambda E: E.ExpectColumnValuesToBeBetween(
            column="gap", max_value=1e-6), frame=lambda s: s.assign(gap=(s["WEIND"] - s["R301"] * s["WERT"]).abs()),
            locate=loc),
        Rule("urban_rural_code", "R105 is 1 (urban) or 2 (rural)", lambda E: E.ExpectColumnValuesToBeInSet(
            column="R105", value_set=[1, 2]), locate=loc),
        Rule("household_size", "1 <= R301 <= 30", lambda E: E.ExpectColumnValuesToBeBetween(
            column="R301", min_value=1, max_value=30), locate=loc),
        Rule("expenditure_nonnegative", "KAPITA >= 0", lambda E: E.ExpectColumnValuesToBeBetween(
            column="KAPITA", min_value=0), locate=loc),
        Rule("every_kabkota_sampled", "every one of the 514 kab/kota has sampled households",
             lambda E: E.ExpectColumnValuesToBeBetween(column="kabkota", min_value=514, max_value=514),
             frame=per_year, locate=("year",)),
    ])


def _households_by_kabkota(households: pd.DataFrame) -> pd.DataFrame:
    """One row per year and kab/kota (millions of households: GX checks the summary, not every row)."""
    summary = households.groupby(["year", "bps_code"], as_index=False, observed=True).agg(
        households=("KAPITA", "size"), with_kapita=("KAPITA", "count"), min_kapita=("KAPITA", "min"))
    return summary.assign(missing_kapita=summary["households"] - summary["with_kapita"],
                          bps_code=summary["bps_code"].astype(str))


def household_expenditure_suite() -> Suite:
    loc = ("year", "bps_code")
    return Suite("synthetic_household_expenditure", [
        Rule("expenditure_positive", "per-capita expenditure KAPITA > 0 for every household (the smallest per kab/kota)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="min_kapita", min_value=0, strict_min=True),
             frame=_households_by_kabkota, locate=(*loc, "households", "min_kapita")),
        Rule("expenditure_present", "no household without a per-capita expenditure",
             lambda E: E.ExpectColumnValuesToBeBetween(column="missing_kapita", max_value=0),
             frame=_households_by_kabkota, locate=(*loc, "missing_kapita")),
        Rule("codes_four_digits", "kab/kota codes of 4 digits", lambda E: E.ExpectColumnValuesToMatchRegex(
            column="bps_code", regex=r"^\d{4}$"), frame=_households_by_kabkota, locate=loc),
        Rule("every_kabkota_has_households", "every one of the 514 kab/kota has households",
             lambda E: E.ExpectColumnValuesToBeBetween(column="kabkota", min_value=514, max_value=514),
             frame=lambda h: h.groupby("year", as_index=False).agg(kabkota=("bps_code", "nunique")),
             locate=("year",)),
    ])


def truth_suite() -> Suite:
    loc = ("bps_code", "year")
    return Suite("synthetic_population_truth", [
        Rule("all_kabkota", "514 kab/kota per year", lambda E: E.ExpectColumnValuesToBeBetween(
            column="n", min_value=514, max_value=514), frame=lambda t: t.groupby("year").size().rename("n")
            .reset_index(), locate=("year", "n")),
        Rule("rates_in_unit_interval", "true rates in [0, 1]", lambda E: E.ExpectColumnValuesToBeBetween(
            column="true_extreme_rate", min_value=0, max_value=1), locate=loc),
        Rule("extreme_le_p0", "extreme poverty <= P0 (the extreme line is below the poverty line)",
             lambda E: E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="true_p0", column_B="true_extreme_rate",
                                                                  or_equal=True), locate=loc),
    ])


def direct_suite() -> Suite:
    return Suite("direct_estimates", [
        Rule("rates_in_unit_interval", "direct rates in [0, 1]", lambda E: E.ExpectColumnValuesToBeBetween(
            column="estimate", min_value=0, max_value=1), locate=LOC),
        Rule("se_nonnegative", "standard errors >= 0", lambda E: E.ExpectColumnValuesToBeBetween(
            column="se", min_value=0), locate=LOC),
        Rule("sampled_households", "every kab/kota has sampled households", lambda E: E.ExpectColumnValuesToBeBetween(
            column="n_households", min_value=1), locate=LOC),
        Rule("ci_contains_estimate", "the 95% interval contains the estimate",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]),
             frame=lambda d: d.assign(ok=(d["ci_low"] <= d["estimate"] + 1e-12) & (d["estimate"] <= d["ci_high"] + 1e-12)),
             locate=LOC),
    ])


def _between(model: pd.DataFrame) -> pd.DataFrame:
    sampled = model[model["in_sample"].astype(bool) & model["direct"].notna()]
    lo = sampled[["direct", "synthetic"]].min(axis=1) - 1e-9
    hi = sampled[["direct", "synthetic"]].max(axis=1) + 1e-9
    return sampled.assign(between=(sampled["eblup"] >= lo) & (sampled["eblup"] <= hi))


def benchmark_gap(model: pd.DataFrame, truth: pd.DataFrame, province_direct: pd.DataFrame) -> pd.DataFrame:
    """|population-weighted mean of the benchmarked kab/kota rates - the province direct estimate|."""
    population = truth[["bps_code", "year", "population"]]
    merged = model.merge(population, on=["bps_code", "year"], how="left")
    merged["weighted"] = merged["benchmarked"] * merged["population"]
    sums = merged.groupby(["year", "indicator", "prov_code"], as_index=False)[["weighted", "population"]].sum()
    sums["kabkota_mean"] = sums["weighted"] / sums["population"]
    out = sums.merge(province_direct[["year", "indicator", "prov_code", "estimate"]],
                     on=["year", "indicator", "prov_code"], how="left")
    return out.assign(gap=(out["kabkota_mean"] - out["estimate"]).abs().fillna(float("inf")))


def _flag_consistent(model: pd.DataFrame) -> pd.DataFrame:
    expected = pd.cut(model["rse"], [-float("inf"), 0.25, 0.5, float("inf")],
                      labels=["publish", "caution", "suppress"]).astype(str)
    expected = expected.where(model["rse"].notna(), "suppress")
    return model.assign(consistent=model["flag"].astype(str) == expected)


def _published_precision(model: pd.DataFrame) -> pd.DataFrame:
    """The published RSE and interval follow from the published (benchmarked) figure and its MSE."""
    b, mse = model["benchmarked"].astype(float), model["mse_benchmarked"].astype(float)
    root = mse.clip(lower=0) ** 0.5
    rse = (root / b).where(b > 0, float("inf"))
    rse_ok = ((model["rse"] - rse).abs() <= 1e-9 * rse.abs()) | ((b <= 0) & ~np.isfinite(model["rse"]))
    lo, hi = (b - Z95 * root).clip(0, 1), (b + Z95 * root).clip(0, 1)
    ci_ok = ((model["ci_low"] - lo).abs() <= 1e-12) & ((model["ci_high"] - hi).abs() <= 1e-12)
    return model.assign(consistent=rse_ok & ci_ok)


def _extreme_within_p0(model: pd.DataFrame) -> pd.DataFrame:
    """Per kab/kota and year: the published extreme-poverty rate beside the published P0 (both benchmarked)."""
    wide = model.pivot_table(index=["bps_code", "year"], columns="indicator", values="benchmarked").reset_index()
    for indicator in ("p0", "extreme"):
        if indicator not in wide.columns:
            wide[indicator] = np.nan
    ok = (wide["extreme"] <= wide["p0"] + 1e-12) | wide["extreme"].isna() | wide["p0"].isna()
    return wide[["bps_code", "year", "p0", "extreme"]].assign(ok=ok)


def model_suite(min_publishable_share: float = 0.5) -> Suite:
    """Compares the model with `synthetic_population_truth` (populations) and `province_direct` (the province
    direct estimates the EBLUPs are benchmarked to), which the asset passes to `evaluate` by name."""
    return Suite("sae_estimates", [
        Rule("rates_in_unit_interval", "model rates in [0, 1]", lambda E: E.ExpectColumnValuesToBeBetween(
            column="benchmarked", min_value=0, max_value=1), locate=LOC),
        Rule("mse_positive", "the model-based MSE of the un-benchmarked EBLUP (a fit diagnostic) > 0",
             lambda E: E.ExpectColumnValuesToBeBetween(column="mse_eblup_model", min_value=0, strict_min=True),
             locate=LOC),
        Rule("mse_benchmarked_positive", "MSE of the published (benchmarked) estimate > 0",
             lambda E: E.ExpectColumnValuesToBeBetween(column="mse_benchmarked", min_value=0, strict_min=True),
             locate=LOC),
        Rule("precision_of_published_figure",
             "RSE = sqrt(mse_benchmarked) / benchmarked and the 95% interval = benchmarked +- 1.96 sqrt(mse_benchmarked)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="consistent", value_set=[True]),
             frame=_published_precision, locate=LOC),
        Rule("extreme_not_above_p0", "the published extreme-poverty rate of a kab/kota is at most its published P0 "
             "(the extreme line is below the poverty line)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]), frame=_extreme_within_p0,
             locate=("bps_code", "year", "p0", "extreme")),
        Rule("eblup_between_direct_and_synthetic",
             "the EBLUP lies between the direct and the synthetic estimate (scale of the fit)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="between", value_set=[True]), frame=_between, locate=LOC),
        Rule("benchmarked_to_province", "benchmarked kab/kota estimates add up to the province direct estimate",
             lambda E: E.ExpectColumnValuesToBeBetween(column="gap", max_value=1e-9), frame=benchmark_gap,
             needs=("synthetic_population_truth", "province_direct"), locate=("year", "indicator", "prov_code")),
        Rule("flags_follow_rse", "publishability flag follows the RSE (<=25% publish, 25-50% caution, >50% suppress)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="consistent", value_set=[True]), frame=_flag_consistent,
             locate=LOC),
        Rule("publishable_share",
             f"at least {min_publishable_share:.0%} of kab/kota publishable (RSE <= 25%) per indicator (warning)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="share", min_value=min_publishable_share),
             frame=lambda m: m.assign(ok=m["flag"] == "publish").groupby(["year", "indicator"], as_index=False)
             .agg(share=("ok", "mean")), severity="WARN", locate=("year", "indicator")),
    ])


def fit_suite() -> Suite:
    return Suite("sae_fit", [
        Rule("converged", "the Fay-Herriot fit converged", lambda E: E.ExpectColumnValuesToBeInSet(
            column="converged", value_set=[True]), locate=("year", "indicator")),
        Rule("variance_nonnegative", "sigma2_u >= 0", lambda E: E.ExpectColumnValuesToBeBetween(
            column="sigma2_u", min_value=0), locate=("year", "indicator")),
    ])


def calibration_suite(tolerance_pp: float = 0.05) -> Suite:
    """The synthetic population reproduces the published extreme-poverty rates it is calibrated on."""
    def gaps(report: pd.DataFrame) -> pd.DataFrame:
        with_target = report[report["target_pct"].notna()]
        return with_target.assign(gap_pp=(with_target["achieved_pct"] - with_target["target_pct"]).abs())

    return Suite("synthetic_calibration", [
        Rule("national_rates_reproduced", f"national extreme-poverty rate within {tolerance_pp} pp of BPS's",
             lambda E: E.ExpectColumnValuesToBeBetween(column="gap_pp", max_value=tolerance_pp),
             frame=lambda r: gaps(r)[lambda g: g["level"] == "national"], locate=("year", "round_year", "definition", "group")),
        Rule("province_rates_reproduced", f"published province rates within {tolerance_pp} pp (warning)",
             lambda E: E.ExpectColumnValuesToBeBetween(column="gap_pp", max_value=tolerance_pp),
             frame=lambda r: gaps(r)[lambda g: g["level"] != "national"], severity="WARN",
             locate=("year", "round_year", "definition", "group")),
    ])
