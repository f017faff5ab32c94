"""Charts for reports (PNG + SVG, Bahasa Indonesia, decimal comma), embedded in the UI metadata."""


import pandas as pd
from dagster import AssetExecutionContext, Config, MetadataValue, Output, asset
from pydantic import Field

from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.reports import manifest_suite
from estimation.poverty_lines import LINE_LABELS_ID
from estimation.publication import public_path, publication
from estimation.publish import manifest

CHARTS_SUITE = manifest_suite("p0_charts")
SAE_CHARTS_SUITE = manifest_suite("sae_charts")
BPS_SOURCE = "Sumber: BPS (Susenas Maret), diolah"
# Estimates on the synthetic Susenas sample say so in every title and source line: a pasted chart must not
# pass for an official figure.
SYNTHETIC_TITLE = "DATA SINTETIS"
SYNTHETIC_SOURCE = "Sumber: sampel sintetis serupa Susenas Maret, diolah (bukan angka resmi BPS)"
METADATA_CHART_WIDTH_PX = 900  # legible in the asset page (the written PNG is 1,125 px wide)


class ChartsConfig(Config):
    kabkota_code: str = Field(default="3517", description="Kab/kota of the trend chart, 4-digit BPS code "
                                                          "(default 3517 Jombang).")
    province_code: str = Field(default="35", description="Province whose kab/kota the ranking chart compares, "
                                                         "2-digit BPS code (default 35 Jawa Timur).")
    years_shown: int = Field(default=11, description="Years the trend shows: the kab/kota's last years with a "
                                                     "figure.")


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
    from estimation.charts.export import markdown_thumbnail, save_figure
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
    first_year = last_kab_year - config.years_shown + 1
    series = series[series["year"].between(first_year, last_kab_year)][["year", "label", "p0"]].dropna()
    trend = p0_trend_chart(series, title=f"Persentase penduduk miskin {kab_name}, {prov_name.title()} dan Indonesia, "
                                         f"Maret {first_year}–{last_kab_year}", source_note=BPS_SOURCE)
    latest = int(p0_deltas_kabkota["year"].max())
    ranked = p0_deltas_kabkota[(p0_deltas_kabkota["year"] == latest)
                               & (p0_deltas_kabkota["prov_code"] == config.province_code)]
    prov_latest = prov.loc[prov["year"] == latest, "p0"]
    # The kab/kota of the trend is marked in its province's ranking, the province's own P0 a reference line.
    ranking = ranked_change_chart(ranked[["name", "p0", "delta_p0_pp"]], province_name=prov_name.title(),
                                  year=latest, year_prev=latest - 1, highlight=kab_name,
                                  province_p0=float(prov_latest.iloc[0]) if len(prov_latest) else None,
                                  source_note=BPS_SOURCE)
    slug = kab_name.lower().replace(" ", "_")
    with publication(paths.charts()) as staged:  # the charts of this asset switch together
        trend_files = save_figure(trend, staged / f"p0_trend_{slug}")
        ranking_files = save_figure(ranking, staged / f"p0_ranking_{config.province_code}_{latest}")
        written = [*trend_files.values(), *ranking_files.values()]
        # The metadata image is the written PNG scaled to a legible width (not a second rendering).
        metadata = {
            "trend": MetadataValue.md(markdown_thumbnail(trend_files["png"].read_bytes(), f"Tren P0 {kab_name}",
                                                         width_px=METADATA_CHART_WIDTH_PX)),
            "ranking": MetadataValue.md(markdown_thumbnail(ranking_files["png"].read_bytes(),
                                                           f"Peringkat P0 {prov_name.title()} {latest}",
                                                           width_px=METADATA_CHART_WIDTH_PX)),
        }
    files = manifest(public_path(path, staged, paths.charts()) for path in written)
    yield Output(files, metadata={**metadata, "directory": MetadataValue.path(str(paths.charts()))})
    yield from evaluate(CHARTS_SUITE, files, "p0_charts", context.log, rows_dir=paths.check_rows())


class SaeChartsConfig(Config):
    province_code: str = Field(default="35", description="Province whose kab/kota the direct vs EBLUP and CV "
                                                         "charts show, 2-digit BPS code (default 35 Jawa Timur).")
    indicator: str = Field(default="extreme", description="Indicator charted: 'extreme' (extreme poverty) or 'p0'.")
    top_n: int = Field(default=25, description="Kab/kota in the national ranking chart (highest EBLUP first).")


@asset(group_name="reports", kinds={"matplotlib"}, check_specs=check_specs(SAE_CHARTS_SUITE, "sae_charts"),
       description="Charts of the latest estimated year: direct vs EBLUP with 95% intervals for the kab/kota of a "
                   "province, CV of direct vs EBLUP, and the national extreme-poverty ranking with flags.")
def sae_charts(
    context: AssetExecutionContext,
    config: SaeChartsConfig,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    direct_estimates: pd.DataFrame,
    sae_estimates: pd.DataFrame,
):
    from estimation.charts.export import markdown_thumbnail, save_figure
    from estimation.charts.poverty import extreme_poverty_ranking_chart
    from estimation.charts.sae import cv_comparison_chart, direct_vs_eblup_chart
    from estimation.sae.publishability import FLAG_LABELS_ID

    year = int(sae_estimates["year"].max())
    names = region_reference.set_index("bps_code")["name"]
    prov_name = str(names.get(f"{config.province_code}00", config.province_code)).title()
    model = sae_estimates[(sae_estimates["year"] == year) & (sae_estimates["indicator"] == config.indicator)]
    direct = direct_estimates[(direct_estimates["year"] == year) & (direct_estimates["indicator"] == config.indicator)]
    both = model.merge(direct[["bps_code", "estimate", "ci_low", "ci_high", "cv"]], on="bps_code",
                       suffixes=("", "_direct"))
    both = both.assign(name=both["bps_code"].map(names))
    label = "miskin ekstrem" if config.indicator == "extreme" else "miskin"
    definition = LINE_LABELS_ID.get(str(model["line_definition"].iloc[0]), str(model["line_definition"].iloc[0]))
    prov = both[both["prov_code"] == config.province_code]
    pct = 100.0
    compare = pd.DataFrame({
        "name": prov["name"], "direct": prov["estimate"] * pct, "direct_low": prov["ci_low_direct"] * pct,
        "direct_high": prov["ci_high_direct"] * pct, "eblup": prov["eblup"] * pct,
        "eblup_low": prov["ci_low"] * pct, "eblup_high": prov["ci_high"] * pct})
    figures = {
        f"sae_direct_vs_eblup_{config.indicator}_{config.province_code}_{year}": direct_vs_eblup_chart(
            compare, title=f"Persentase penduduk {label} {prov_name}, Maret {year}: langsung vs EBLUP (SK 95%) — "
                          f"{SYNTHETIC_TITLE}",
            x_label=f"Persentase penduduk {label} (%)", source_note=f"{SYNTHETIC_SOURCE}; garis {definition}"),
        f"sae_cv_{config.indicator}_{config.province_code}_{year}": cv_comparison_chart(
            pd.DataFrame({"name": prov["name"], "cv_direct": prov["cv"] * pct, "cv_eblup": prov["rse"] * pct}),
            title=f"Koefisien variasi penduduk {label} {prov_name}, Maret {year}: langsung vs EBLUP — "
                  f"{SYNTHETIC_TITLE}",
            source_note=SYNTHETIC_SOURCE),
    }
    top = both.sort_values("eblup", ascending=False).head(config.top_n)
    figures[f"sae_ranking_{config.indicator}_{year}"] = extreme_poverty_ranking_chart(
        pd.DataFrame({"name": top["name"], "rate": top["eblup"] * pct, "ci_low": top["ci_low"] * pct,
                      "ci_high": top["ci_high"] * pct, "flag": top["flag"].map(FLAG_LABELS_ID)}),
        title=f"{config.top_n} kab/kota dengan persentase penduduk {label} tertinggi (EBLUP), Maret {year} — "
              f"{SYNTHETIC_TITLE}",
        source_note=f"{SYNTHETIC_SOURCE}; garis {definition}")
    metadata, written = {}, []
    with publication(paths.charts()) as staged:  # the charts of this asset switch together
        for stem, figure in figures.items():
            files = save_figure(figure, staged / stem)
            metadata[stem] = MetadataValue.md(markdown_thumbnail(files["png"].read_bytes(), stem,
                                                                 width_px=METADATA_CHART_WIDTH_PX))
            written += list(files.values())
    files = manifest(public_path(path, staged, paths.charts()) for path in written)
    yield Output(files, metadata={**metadata, "directory": MetadataValue.path(str(paths.charts()))})
    yield from evaluate(SAE_CHARTS_SUITE, files, "sae_charts", context.log, rows_dir=paths.check_rows())


chart_assets = [p0_charts, sae_charts]
