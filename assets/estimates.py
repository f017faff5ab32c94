"""Estimates layer: synthetic Susenas truth, direct survey estimates and Fay-Herriot estimates, per year.

Susenas microdata are not public, so each year a seeded synthetic population calibrated to the published
BPS figures (P0, P1, poverty lines, national and provincial extreme-poverty rates) is built, a Susenas-March
-like sample is drawn from it, and the estimators run on that sample: the population truth is its own
asset, so every estimator can be scored against it. See `estimation/sae/workflow.py`. The calibration
targets are the published extreme-poverty rates of the raw layer; the partitions follow the data.
"""

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetOut,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    MetadataValue,
    Output,
    multi_asset,
)
from pydantic import Field

from assets.metadata import preview, record_partitions
from assets.partitions import DataCalendar
from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.estimates import (
    calibration_suite,
    direct_suite,
    fit_suite,
    household_expenditure_suite,
    model_suite,
    sample_suite,
    truth_suite,
)
from estimation.synthetic.targets import extreme_targets, line_definition_for

OUTPUTS = {
    "susenas_sample": "Household microdata of a Susenas-March-like sample of the synthetic population (R101, R102, "
                      "R105, R301, KAPITA, WERT, WEIND = R301 x WERT, PSU = census block, stratum = kab/kota x "
                      "urban/rural), about 345,000 households, seeded.",
    "synthetic_household_expenditure": "Per-capita expenditure (KAPITA) of every household of the seeded synthetic "
                                       "population, by kab/kota: what the sample is drawn from, and what the demo "
                                       "registry extracts draw their welfare from.",
    "synthetic_population_truth": "True P0 and extreme-poverty rate per kab/kota of the seeded synthetic population "
                                  "calibrated to BPS (the yardstick for every estimator).",
    "synthetic_calibration": "Calibration report: published target vs achieved extreme-poverty rate per round, "
                             "province group and line definition.",
    "direct_estimates": "Direct (Hajek) estimates per kab/kota for P0 and extreme poverty from the Susenas-like "
                        "sample: SE by Taylor linearisation (strata, PSUs), CV, 95% CI, design effect, persons.",
    "sae_estimates": "Fay-Herriot EBLUP per kab/kota (P0 and extreme poverty): MSE, RSE, 95% CI, shrinkage, "
                     "ratio-benchmarked to the province direct estimate, persons, publishability flag.",
    "sae_fit": "One row per indicator and year: variance estimate, convergence, R2, AIC/BIC, covariates, GVF design "
               "effect, benchmark discrepancy.",
}
ROUND_WORKERS = 2  # processes computing the rounds (this one and one spawned worker)
SUITES = {"susenas_sample": sample_suite(), "synthetic_household_expenditure": household_expenditure_suite(),
          "synthetic_population_truth": truth_suite(), "synthetic_calibration": calibration_suite(),
          "direct_estimates": direct_suite(), "sae_estimates": model_suite(), "sae_fit": fit_suite()}


class EstimationConfig(Config):
    # "auto": for each round, the newest extreme-line definition BPS has published a national rate on
    # (`estimation.synthetic.targets.line_definition_for`: USD 1.90 2011 PPP, then USD 2.15 2017 PPP with the
    # spatial deflator from the round BPS revised in the July 2025 release). Or a definition name for all years.
    line_definition: str = Field(
        default="auto",
        description="Extreme-poverty line: 'auto' (USD 1.90 2011 PPP before 2024, USD 2.15 2017 PPP with the "
                    "spatial deflator from 2024, as BPS publishes) or one definition for every round: "
                    "'usd190_2011ppp' or 'usd215_2017ppp'.")
    seed: int = Field(default=2024, description="Random seed: the synthetic population of round Y uses seed + Y, "
                                                "its Susenas-like sample seed + Y + 1 (same seed, same figures).")
    n_households: int = Field(default=345_000, description="Households in the Susenas-like sample of each round "
                                                           "(Susenas March: about 345,000).")


def build_estimates_assets(calendar: DataCalendar) -> list[AssetsDefinition]:
    @multi_asset(
        outs={name: AssetOut(group_name="estimates", description=text, is_required=True)
              for name, text in OUTPUTS.items()},
        partitions_def=calendar.estimation_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        check_specs=[spec for name, suite in SUITES.items() for spec in check_specs(suite, name)],
        can_subset=False,
    )
    def poverty_estimates(
        context: AssetExecutionContext,
        config: EstimationConfig,
        paths: ProjectPaths,
        p0_kabkota_validated: pd.DataFrame,
        region_reference: pd.DataFrame,
        raw_dapoer_2019: pd.DataFrame,
        raw_extreme_national: pd.DataFrame,
        raw_extreme_province_2023: pd.DataFrame,
    ):
        # imported here, not at module level: scipy and statsmodels would slow the code location's load
        from estimation.covariates import dapoer_covariates
        from estimation.sae.rounds import Round, estimate_rounds

        covariates = dapoer_covariates(raw_dapoer_2019, region_reference)
        targets = extreme_targets(raw_extreme_national, raw_extreme_province_2023)
        rounds = [Round(int(key), line_definition_for(int(key), targets, config.line_definition),
                        config.seed + int(key)) for key in context.partition_keys]
        for r in rounds:
            context.log.info(f"{r.year}: synthetic Susenas sample and estimates, extreme line {r.line_definition}")
        done = estimate_rounds(rounds, p0_kabkota_validated, targets, covariates, n_households=config.n_households,
                               workers=ROUND_WORKERS)
        samples, households = [d.sample for d in done], [d.households for d in done]
        results = [d.estimates for d in done]
        frames = {
            "susenas_sample": pd.concat(samples, ignore_index=True),
            "synthetic_household_expenditure": pd.concat(households, ignore_index=True),
            "synthetic_population_truth": pd.concat([r.truth for r in results], ignore_index=True),
            # The report lists every round the year was calibrated with; `year` is the estimated year (partition).
            "synthetic_calibration": pd.concat([r.calibration.rename(columns={"year": "round_year"})
                                                .assign(year=r.truth["year"].iloc[0]) for r in results],
                                               ignore_index=True),
            "direct_estimates": pd.concat([r.direct for r in results], ignore_index=True),
            "sae_estimates": pd.concat([r.model for r in results], ignore_index=True),
            "sae_fit": pd.concat([r.fit for r in results], ignore_index=True),
        }
        related = {"synthetic_population_truth": frames["synthetic_population_truth"],
                   "province_direct": pd.concat([r.province_direct for r in results], ignore_index=True)}
        names = region_reference.set_index("bps_code")["name"]
        for name, frame in frames.items():
            record_partitions(context, frame, name, lambda year, name=name: _year_figures(name, year, names))
            yield Output(frame, output_name=name)
        for name, suite in SUITES.items():
            yield from evaluate(suite, frames[name], name, context.log, rows_dir=paths.check_rows(), **related)

    return [poverty_estimates]


PREVIEWS = {  # output: (indicator shown, column ranked, columns shown, title)
    "direct_estimates": ("extreme", "estimate", ("bps_code", "name", "year", "estimate", "cv", "ci_low", "ci_high",
                                                 "persons", "flag"),
                         "Penduduk miskin ekstrem, estimasi langsung (data sintetis)"),
    "sae_estimates": ("extreme", "benchmarked", ("bps_code", "name", "year", "direct", "eblup", "benchmarked", "rse",
                                                 "ci_low", "ci_high", "persons", "flag"),
                      "Penduduk miskin ekstrem, EBLUP Fay-Herriot (data sintetis)"),
    "synthetic_population_truth": (None, "true_extreme_rate", ("bps_code", "name", "year", "true_p0",
                                                               "true_extreme_rate", "population"),
                                   "Nilai sebenarnya populasi sintetis"),
}


def _year_figures(name: str, frame: pd.DataFrame, names: pd.Series) -> dict:
    """One round's own figures (one partition), which Dagster plots across the rounds: medians of precision,
    shares publishable, the model's variance; a preview of the kab/kota where the output is per kab/kota."""
    meta: dict = {}
    if name == "direct_estimates":
        for indicator, group in frame.groupby("indicator"):
            meta[f"median_cv_{indicator}"] = MetadataValue.float(float(group["cv"].median()))
            meta[f"share_publishable_{indicator}"] = MetadataValue.float(float((group["flag"] == "publish").mean()))
    if name == "sae_estimates":
        for indicator, group in frame.groupby("indicator"):
            meta[f"median_rse_{indicator}"] = MetadataValue.float(float(group["rse"].median()))
            meta[f"share_publishable_{indicator}"] = MetadataValue.float(float((group["flag"] == "publish").mean()))
    if name == "sae_fit":
        for row in frame.itertuples():
            meta[f"sigma2_u_{row.indicator}"] = MetadataValue.float(float(row.sigma2_u))
            meta[f"r2_{row.indicator}"] = MetadataValue.float(float(row.r2))
    if name == "synthetic_population_truth" and len(frame):
        meta["mean_true_p0"] = MetadataValue.float(float(frame["true_p0"].mean()))
        meta["mean_true_extreme_rate"] = MetadataValue.float(float(frame["true_extreme_rate"].mean()))
    if name in PREVIEWS and len(frame):
        indicator, rank_by, columns, title = PREVIEWS[name]
        shown = frame if indicator is None else frame[frame["indicator"] == indicator]
        meta["preview"] = preview(shown.assign(name=shown["bps_code"].map(names)), rank_by, columns, name,
                                  title=title)
    return meta
