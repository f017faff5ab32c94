"""Reports layer: published tables (Parquet + CSV) and the first charts, written atomically with provenance."""


from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, Config, MetadataValue, Output, asset

from checks.dagster_checks import check_specs, evaluate
from checks.suites.reports import manifest_suite
from estimation.publish import code_version, manifest, publish_table, sha256_file
from pipelines.resources import ProjectPaths
from pipelines.settings import PROJECT_ROOT

TABLES_SUITE = manifest_suite("published_tables")
CHARTS_SUITE = manifest_suite("p0_charts")


def _provenance(context: AssetExecutionContext, paths: ProjectPaths, source_files: set[str]) -> dict:
    sources = {}
    for relative in sorted(source_files):
        path = paths.raw(relative)
        sources[relative] = sha256_file(path) if path.exists() else "missing"
    return {"run_id": context.run_id, "asset": context.asset_key.to_user_string(),
            "code_version": code_version(PROJECT_ROOT), "sources_sha256": sources}


def _source_files(*frames: pd.DataFrame) -> set[str]:
    files: set[str] = set()
    for frame in frames:
        if "source_files" in frame.columns:
            for value in frame["source_files"].dropna():
                files.update(part for part in str(value).split(";") if part)
    return files


@asset(group_name="reports", kinds={"parquet", "csv"}, check_specs=check_specs(TABLES_SUITE, "published_tables"),
       description="Publishes the kab/kota and province panels and their year-over-year changes to "
                   "data/outputs/tables/ as Parquet and CSV (published decimals), each with a provenance record.")
def published_tables(
    context: AssetExecutionContext,
    paths: ProjectPaths,
    p0_kabkota_validated: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    p0_deltas_kabkota: pd.DataFrame,
    p0_deltas_province: pd.DataFrame,
):
    sources = _source_files(p0_kabkota_validated, p0_province_validated)
    provenance = _provenance(context, paths, sources)
    written: list[Path] = []
    for name, frame in {
        "p0_kabkota_panel": p0_kabkota_validated,
        "p0_province_panel": p0_province_validated,
        "p0_deltas_kabkota": p0_deltas_kabkota.sort_values(["year", "bps_code"]),
        "p0_deltas_province": p0_deltas_province.sort_values(["year", "bps_code"]),
    }.items():
        written += publish_table(frame.reset_index(drop=True), paths.tables(), name, provenance=provenance)
    files = manifest(written)
    yield Output(files, metadata={"directory": MetadataValue.path(str(paths.tables())),
                                  "files": MetadataValue.int(len(files))})
    yield from evaluate(TABLES_SUITE, files, "published_tables", context.log)


class ChartsConfig(Config):
    kabkota_code: str = "3517"  # Jombang
    province_code: str = "35"  # Jawa Timur
    first_year: int = 2015


@asset(group_name="reports", kinds={"matplotlib"}, check_specs=check_specs(CHARTS_SUITE, "p0_charts"),
       description="Charts (PNG + SVG in data/outputs/charts/): a kab/kota's P0 trend with its province and Indonesia, "
                   "and the kab/kota of its province ranked with their change. Shown in the UI metadata.")
def p0_charts(
    context: AssetExecutionContext,
    config: ChartsConfig,
    paths: ProjectPaths,
    p0_kabkota_validated: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    p0_deltas_kabkota: pd.DataFrame,
):
    # matplotlib is imported here, not at module level, so the code location loads fast.
    from estimation.charts.export import markdown_image, save_figure
    from estimation.charts.poverty import p0_trend_chart, ranked_change_chart

    kab = p0_kabkota_validated[p0_kabkota_validated["bps_code"] == config.kabkota_code]
    if kab.empty:
        raise ValueError(f"kab/kota {config.kabkota_code} is not in the validated panel")
    prov_code4 = f"{config.province_code}00"
    prov = p0_province_validated[p0_province_validated["bps_code"] == prov_code4]
    indo = p0_province_validated[p0_province_validated["bps_code"] == "0000"]
    kab_name, prov_name = kab["name"].iloc[0], kab["prov_name"].iloc[0]
    series = pd.concat([
        kab.assign(label=kab_name), prov.assign(label=prov_name.title()), indo.assign(label="Indonesia"),
    ])
    last_kab_year = int(kab.loc[kab["p0"].notna(), "year"].max())  # same span for all three lines
    series = series[series["year"].between(config.first_year, last_kab_year)][["year", "label", "p0"]].dropna()
    trend = p0_trend_chart(series, title=f"Persentase penduduk miskin {kab_name}, {prov_name.title()} dan Indonesia",
                           source_note="Sumber: BPS, diolah")
    latest = int(p0_deltas_kabkota["year"].max())
    ranked = p0_deltas_kabkota[(p0_deltas_kabkota["year"] == latest)
                               & (p0_deltas_kabkota["prov_code"] == config.province_code)]
    ranking = ranked_change_chart(ranked[["name", "p0", "delta_p0_pp"]], province_name=prov_name.title(),
                                  year=latest, year_prev=latest - 1)
    metadata = {
        "trend": MetadataValue.md(markdown_image(trend, f"Tren P0 {kab_name}", close=False)),
        "ranking": MetadataValue.md(markdown_image(ranking, f"Peringkat P0 {prov_name.title()} {latest}", close=False)),
    }
    written: list[Path] = []
    slug = kab_name.lower().replace(" ", "_")
    written += list(save_figure(trend, paths.charts() / f"p0_trend_{slug}").values())
    written += list(save_figure(ranking, paths.charts() / f"p0_ranking_{config.province_code}_{latest}").values())
    files = manifest(written)
    yield Output(files, metadata={**metadata, "directory": MetadataValue.path(str(paths.charts()))})
    yield from evaluate(CHARTS_SUITE, files, "p0_charts", context.log)
