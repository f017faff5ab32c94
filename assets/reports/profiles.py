"""Kab/kota poverty profiles as PDF ("Profil Kemiskinan Kabupaten Jombang 2025"), in data/outputs/profiles/.

Two A4 pages per kab/kota in the shape of the RPKD's "Profil Kemiskinan Daerah": BPS figures with their change,
the province and Indonesia beside them and the rank in the province, the P0 trend since 2015, the province map,
the extreme-poverty model estimate (synthetic Susenas sample, marked) beside the P3KE-based figures, and the
padu padan summary where the registry has a slice. Figures: `estimation.publishing.profile`; drawing:
`estimation.publishing.profile_pdf`. The asset reads the registry's aggregates and padu padan summary, so it
runs in the registry job, after the tables and the estimates.
"""

from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, Config, MetadataValue, Output, asset
from pydantic import Field

from assets.resources import ProjectPaths
from checks.dagster_checks import check_specs, evaluate
from checks.suites.reports import profiles_suite
from estimation.publication import public_path, publication
from estimation.publish import manifest
from estimation.regions import FIELD_NOTES_KABKOTA  # light: the drawing modules load inside the asset

PROFILES_SUITE = profiles_suite("kabkota_profiles")


class ProfilesConfig(Config):
    kabkota: list[str] = Field(
        default=list(FIELD_NOTES_KABKOTA),
        description="Kab/kota to profile, by BPS code ('3517') or name as in the region list ('Jombang', "
                    "'Kota Mojokerto'). Default: the kab/kota of the field notes (Jombang, Kota Mojokerto, Lebak, "
                    "Kota Palangka Raya).")
    province: str = Field(
        default="",
        description="Also profile every kab/kota of this province, by 2-digit code ('35') or name ('Jawa Timur'); "
                    "empty: none.")
    all_kabkota: bool = Field(default=False, description="Profile all 514 kab/kota (overrides the two fields above).")
    profile_year: int = Field(
        default=0, description="Year of the profiles (Susenas March round); 0: the latest year with a published "
                               "kab/kota P0.")


@asset(group_name="reports", kinds={"pdf"}, check_specs=check_specs(PROFILES_SUITE, "kabkota_profiles"),
       description="Kab/kota poverty profiles (PDF, two A4 pages, data/outputs/profiles/): P0 and number of poor "
                   "with their change, province and Indonesia, rank in the province, trend since 2015, poverty "
                   "line, P1/P2, province map, the extreme-poverty model estimate with its interval and "
                   "reliability class (synthetic sample, marked) beside the P3KE-based figures, padu padan "
                   "summary. Fonts embedded, text extractable; Bahasa Indonesia.")
def kabkota_profiles(
    context: AssetExecutionContext,
    config: ProfilesConfig,
    paths: ProjectPaths,
    region_reference: pd.DataFrame,
    raw_kabkota_geometry: pd.DataFrame,
    p0_kabkota_validated: pd.DataFrame,
    p0_province_validated: pd.DataFrame,
    p0_deltas_kabkota: pd.DataFrame,
    sae_estimates: pd.DataFrame,
    registry_aggregates: pd.DataFrame,
    padu_padan_summary: pd.DataFrame,
):
    # reportlab and matplotlib are imported here, not at module level, so the code location loads fast.
    from estimation.charts.maps import build_map_geometry
    from estimation.publishing.profile import (
        gather_profiles,
        prepare_inputs,
        profile_file_name,
        select_kabkota,
    )
    from estimation.publishing.profile_pdf import ProvinceMaps, render_profile

    published = p0_kabkota_validated[p0_kabkota_validated["p0"].notna()]
    year = config.profile_year or int(published["year"].max())
    codes = select_kabkota(region_reference, kabkota=config.kabkota, province=config.province,
                           all_kabkota=config.all_kabkota)
    if not codes:
        raise ValueError("no kab/kota selected: give kabkota, a province or all_kabkota")
    inputs = prepare_inputs(region_reference, p0_kabkota_validated, p0_province_validated, p0_deltas_kabkota,
                            sae_estimates, registry_aggregates, padu_padan_summary)
    profiles = gather_profiles(inputs, codes, year)
    maps = ProvinceMaps(build_map_geometry(raw_kabkota_geometry, region_reference))
    p0_by_code = published[published["year"] == year].astype({"bps_code": str}).set_index("bps_code")["p0"]
    registry_demo = bool((registry_aggregates.get("key_mode", pd.Series(dtype=str)) == "demo").any()
                         or (padu_padan_summary.get("key_mode", pd.Series(dtype=str)) == "demo").any())

    out_dir = Path(paths.outputs_dir) / "profiles"
    written: list[Path] = []
    with publication(out_dir) as staged:  # the profiles of this run switch together
        for profile in profiles:
            target = staged / profile_file_name(profile)
            target.write_bytes(render_profile(profile, maps=maps, p0_by_code=p0_by_code,
                                              registry_demo=registry_demo))
            written.append(target)
    listing = manifest(public_path(path, staged, out_dir) for path in written)
    first = profiles[0]
    missing = [f"{p.code} {p.name}" for p in profiles if p.code not in maps.province(p.prov_code)[0]]
    yield Output(listing, metadata={
        "directory": MetadataValue.path(str(out_dir)),
        "year": MetadataValue.int(year),
        "profiles": MetadataValue.int(len(written)),
        "files": MetadataValue.md("\n".join(f"- {Path(p).name}" for p in listing["path"][:50])),
        "example": MetadataValue.text(
            f"{first.code} {first.name} {year}: P0 {first.p0:.2f} ({first.delta_p0_pp:+.2f} pp), rank "
            f"{first.rank} of {first.rank_of} in the province"),
        "kabkota_without_geometry": MetadataValue.text(", ".join(missing) or "none"),
        "registry_mode": MetadataValue.text("demo extracts" if registry_demo else "real extracts"),
    })
    yield from evaluate(PROFILES_SUITE, listing, "kabkota_profiles", context.log, rows_dir=paths.check_rows())


profile_assets = [kabkota_profiles]
