"""The data dictionary: one entry for every column name of the published tables.

For each column: its label in Bahasa Indonesia (the workbook's header rows and the Indonesian CSVs use it), its
meaning in English (for the UI and the README), its unit as stored in the machine-readable table, and its
source. Readers see rates in percent: a column stored as a proportion (0-1) says so with `percent_factor` 100,
and the workbook multiplies it for display (`display_unit` is then "persen").

The published tables are the panels, their year-over-year changes, the direct and small-area estimates and the
registry tables (`PUBLISHED_TABLES`). A column used with different meanings in different tables (e.g. `persons`)
has a table-specific entry in `TABLE_COLUMNS`; numbered registry columns (`individuals_desil_7`) are matched by
pattern. `tests/estimation/test_dictionary.py` fails when a published table has a column without an entry.

`column_descriptions()` returns `{column: description}`, ready for Dagster column schemas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

# Sources, as readers see them (Bahasa Indonesia).
SRC_BPS = "BPS, Susenas Maret (tabel statistik kemiskinan menurut kabupaten/kota dan provinsi)"
SRC_BPS_DERIVED = "BPS, Susenas Maret; diolah"
SRC_REFERENCE = "BPS, kode dan nama wilayah (daftar kabupaten/kota 2025)"
SRC_MODEL = ("Estimasi model dari sampel SINTETIS serupa Susenas Maret, dikalibrasi ke tabel BPS; "
             "bukan angka resmi")
SRC_PIPELINE = "Dihitung oleh pipeline ini"
SRC_REGISTRY = "Registri P3KE/DTSEN (ekstrak demo kecuali dinyatakan lain); diolah"
SRC_REGISTRY_BPS = "Registri P3KE/DTSEN dan jumlah penduduk BPS; diolah"

# The value of `data_source` in every published estimate table: the synthetic mark travels with each row.
SYNTHETIC_DATA_SOURCE = "sampel_sintetis"

PUBLISHED_TABLES = (
    "p0_kabkota_panel", "p0_province_panel", "p0_deltas_kabkota", "p0_deltas_province",
    "estimates_direct", "estimates_sae", "estimates_sae_fit", "poverty_change_kabkota",
    "registry_aggregates", "registry_year_over_year", "registry_desil1_share", "padu_padan_summary",
    "padu_padan_progress",
)


@dataclass(frozen=True)
class Column:
    """One column of a published table."""

    label: str  # Bahasa Indonesia, as in a BPS table header
    meaning: str  # English
    unit: str = ""  # unit of the stored value ("" for codes and text)
    source: str = SRC_PIPELINE
    percent_factor: float = 1.0  # 100 when the stored value is a proportion that readers see in percent
    decimals: int | None = None  # decimals shown to readers (None: text or as stored)

    @property
    def display_unit(self) -> str:
        """The unit readers see (a proportion is shown in percent)."""
        return "persen" if self.percent_factor == 100.0 else self.unit

    def description(self) -> str:
        unit = f" Unit: {self.unit}." if self.unit else ""
        return f"{self.label} — {self.meaning}.{unit} Sumber: {self.source}."


def _c(label: str, meaning: str, unit: str = "", source: str = SRC_PIPELINE, decimals: int | None = None,
       percent_factor: float = 1.0) -> Column:
    return Column(label, meaning, unit, source, percent_factor, decimals)


_PROPORTION = "proporsi (0-1)"


def _prop(label: str, meaning: str, decimals: int = 2, source: str = SRC_MODEL) -> Column:
    return _c(label, meaning, _PROPORTION, source, decimals, percent_factor=100.0)


COLUMNS: dict[str, Column] = {
    # --- regions and time
    "bps_code": _c("Kode wilayah", "BPS region code, 4 characters, kept as text: '0000' Indonesia, 'pp00' a "
                   "province, 'ppkk' a kab/kota", source=SRC_REFERENCE),
    "name": _c("Nama wilayah", "region name as BPS writes it (2025 names)", source=SRC_REFERENCE),
    "level": _c("Tingkat wilayah", "level: kabupaten, kota, provinsi or indonesia", source=SRC_REFERENCE),
    "prov_code": _c("Kode provinsi", "BPS province code, 2 characters, kept as text", source=SRC_REFERENCE),
    "prov_name": _c("Provinsi", "province name", source=SRC_REFERENCE),
    "kabkota_code": _c("Kode kabupaten/kota", "BPS kab/kota code, 4 characters, kept as text",
                       source=SRC_REFERENCE),
    "kecamatan": _c("Kecamatan", "sub-district (kecamatan) of the listed persons", source=SRC_REGISTRY),
    "year": _c("Tahun", "year of the Susenas March round (or of the registry snapshot)", "tahun", SRC_BPS),
    "year_prev": _c("Tahun sebelumnya", "the year compared with (previous round)", "tahun", SRC_BPS),
    "period": _c("Periode", "reporting period of the TKPK progress table (YYYY-MM) and kab/kota", "",
                 SRC_REGISTRY),
    # --- published BPS figures (panels)
    "p0": _c("Persentase penduduk miskin (P0)", "headcount ratio: share of the population below the poverty "
             "line", "persen", SRC_BPS, 2),
    "poor_thousand": _c("Jumlah penduduk miskin", "number of poor persons", "ribu jiwa", SRC_BPS, 2),
    "population_thousand": _c("Jumlah penduduk (tersirat)", "population implied by the number of poor and P0 "
                              "(poor / P0 x 100)", "ribu jiwa", SRC_BPS_DERIVED, 2),
    "poverty_line_rp": _c("Garis kemiskinan (GK)", "poverty line, per capita per month", "rupiah/kapita/bulan",
                          SRC_BPS, 0),
    "p1": _c("Indeks kedalaman kemiskinan (P1)", "poverty gap index (FGT alpha = 1)", "indeks", SRC_BPS, 2),
    "p2": _c("Indeks keparahan kemiskinan (P2)", "poverty severity index (FGT alpha = 2)", "indeks", SRC_BPS, 2),
    "source_files": _c("Berkas sumber", "raw files (under data/raw) the row's figures come from, ';'-separated"),
    "note": _c("Catatan", "footnote (BPS 'Catatan') or data note concerning the row's figures", "", SRC_BPS),
    # --- changes (deltas)
    "p0_prev": _c("P0 tahun sebelumnya", "P0 of the previous year", "persen", SRC_BPS, 2),
    "delta_p0_pp": _c("Perubahan P0", "change in P0 from the previous year", "poin persen", SRC_BPS_DERIVED, 2),
    "poor_thousand_prev": _c("Jumlah penduduk miskin tahun sebelumnya", "number of poor of the previous year",
                             "ribu jiwa", SRC_BPS, 2),
    "delta_poor_persons": _c("Perubahan jumlah penduduk miskin", "change in the number of poor from the previous "
                             "year", "jiwa", SRC_BPS_DERIVED, 0),
    "prov_p0_prev": _c("P0 provinsi tahun sebelumnya", "P0 of the kab/kota's province, previous year", "persen",
                       SRC_BPS, 2),
    "prov_p0": _c("P0 provinsi", "P0 of the kab/kota's province", "persen", SRC_BPS, 2),
    "prov_delta_p0_pp": _c("Perubahan P0 provinsi", "change in the province's P0", "poin persen",
                           SRC_BPS_DERIVED, 2),
    "indonesia_p0_prev": _c("P0 Indonesia tahun sebelumnya", "P0 of Indonesia, previous year", "persen",
                            SRC_BPS, 2),
    "indonesia_p0": _c("P0 Indonesia", "P0 of Indonesia", "persen", SRC_BPS, 2),
    # --- estimates (direct and small area)
    "data_source": _c("Sumber data", "what the estimate was computed on: 'sampel_sintetis' (a synthetic "
                      "Susenas-like sample calibrated to BPS tables: a demonstration, not an official figure)",
                      source=SRC_MODEL),
    "line_definition": _c("Definisi garis kemiskinan ekstrem", "extreme-poverty line used: usd190_2011ppp "
                          "(USD 1.90, 2011 PPP) or usd215_2017ppp (USD 2.15, 2017 PPP, spatial deflator)",
                          source=SRC_MODEL),
    "indicator": _c("Indikator", "estimated indicator: extreme (extreme-poverty rate) or p0 (poverty rate)",
                    source=SRC_MODEL),
    "estimate": _prop("Estimasi langsung", "direct (design-based, Hajek) estimate of the indicator"),
    "se": _prop("Galat baku estimasi langsung", "standard error of the direct estimate (Taylor linearisation)",
                4),
    "cv": _prop("Koefisien variasi (CV) estimasi langsung", "coefficient of variation of the direct estimate "
                "(se / estimate)", 2),
    "ci_low": _prop("Batas bawah selang kepercayaan 95%", "lower bound of the 95% interval of the row's "
                    "estimate"),
    "ci_high": _prop("Batas atas selang kepercayaan 95%", "upper bound of the 95% interval of the row's "
                     "estimate"),
    "deff": _c("Efek desain (deff)", "design effect of the direct estimate", "rasio", SRC_MODEL, 2),
    "n_households": _c("Jumlah rumah tangga sampel", "sampled households in the domain", "rumah tangga",
                       SRC_MODEL, 0),
    "persons": _c("Jumlah penduduk (estimasi)", "estimated number of persons in the indicator's state "
                  "(poor or extreme poor)", "jiwa", SRC_MODEL, 0),
    "flag": _c("Kelayakan publikasi", "publishability flag: publish / caution / suppress (Bahasa Indonesia: "
               "layak / hati-hati / tidak layak; RSE or CV <= 25%, 25-50%, > 50%)", "", SRC_MODEL),
    "direct": _prop("Estimasi langsung", "direct estimate used as the model's input"),
    "direct_var_smoothed": _c("Varians sampling (GVF)", "sampling variance of the direct estimate smoothed by a "
                              "generalised variance function", "proporsi kuadrat", SRC_MODEL),
    "synthetic": _prop("Estimasi sintetis (regresi)", "regression-synthetic prediction x'beta"),
    "eblup": _prop("Estimasi EBLUP Fay-Herriot", "Fay-Herriot EBLUP (model-based small-area estimate)"),
    "mse_eblup_model": _c("MSE model EBLUP sebelum benchmark (diagnostik, bukan presisi publikasi)",
                          "model-based (analytic, Prasad-Rao) mean squared error of the un-benchmarked EBLUP: a "
                          "diagnostic of the fit, not the precision of any published figure (it leans on the "
                          "area-effect model; on the test bed it understates the EBLUP's P0 error by ~40%). The "
                          "published precision is mse_benchmarked", "proporsi kuadrat", SRC_MODEL),
    "mse_eblup_model_floored": _c("MSE model EBLUP dibatasi bawah", "whether the analytic formula of "
                                  "mse_eblup_model was below g1 + g2 (the MSE with the area variance known) and "
                                  "was raised to it", "", SRC_MODEL),
    "rse": _prop("Galat baku relatif (RSE) estimasi terbenchmark", "relative standard error of the published "
                 "(benchmarked) estimate: sqrt(mse_benchmarked) / benchmarked", 2),
    "mse_benchmarked": _c("MSE estimasi terbenchmark", "mean squared error of the published (benchmarked) "
                          "estimate: parametric bootstrap that repeats the clipping and the benchmarking",
                          "proporsi kuadrat", SRC_MODEL),
    "gamma": _c("Bobot penyusutan (gamma)", "shrinkage weight of the direct estimate in the EBLUP", "rasio",
                SRC_MODEL, 3),
    "standardized_residual": _c("Residual terstandar", "standardised residual of the area", "", SRC_MODEL, 2),
    "benchmarked": _prop("Estimasi EBLUP terbenchmark provinsi", "EBLUP ratio-benchmarked to the province "
                         "direct estimate"),
    "benchmark_factor": _c("Faktor benchmark", "ratio benchmarking factor of the province", "rasio", SRC_MODEL, 4),
    "in_sample": _c("Dalam sampel", "whether the kab/kota has sampled households (else synthetic prediction)",
                    "", SRC_MODEL),
    # --- change between estimation rounds (poverty_change_kabkota)
    "line_definition_prev": _c("Definisi garis kemiskinan ekstrem tahun sebelumnya", "extreme-poverty line "
                               "definition of the earlier round (see line_definition)", source=SRC_MODEL),
    "estimator": _c("Penduga", "how the change is estimated: direct (difference of the direct estimates) or model "
                    "(bivariate Fay-Herriot over the two rounds)", "", SRC_MODEL),
    "rate_prev": _prop("Angka tahun sebelumnya", "rate of the indicator in the earlier round, by the row's "
                       "estimator (direct estimate, or the bivariate model's EBLUP)"),
    "rate": _prop("Angka tahun ini", "rate of the indicator in the later round, by the row's estimator"),
    "cov_rounds": _c("Kovarians antar tahun", "covariance between the two rounds' estimates (direct: from the "
                     "census blocks both samples share, 0 for independent samples; model: the cross term of "
                     "the MSE matrix)", "proporsi kuadrat", SRC_MODEL),
    "change": _prop("Perubahan", "change of the rate from the earlier round to the later one (rate - rate_prev; "
                    "in percentage points when shown in percent)"),
    "change_se": _prop("Galat baku perubahan", "standard error of the change: sqrt(V1 + V2 - 2 cov_rounds) "
                       "(direct) or the root MSE of the difference of the EBLUPs, cross term included (model)",
                       4),
    "change_ci_low": _prop("Batas bawah selang kepercayaan 95% perubahan", "lower bound of the change's 95% "
                           "interval (change - 1.96 change_se)"),
    "change_ci_high": _prop("Batas atas selang kepercayaan 95% perubahan", "upper bound of the change's 95% "
                            "interval (change + 1.96 change_se)"),
    "significance": _c("Signifikansi perubahan", "perubahan signifikan when the 95% interval of the change "
                       "excludes 0, tidak signifikan otherwise; tidak dapat dibandingkan when the two rounds use "
                       "different extreme-poverty line definitions", "", SRC_MODEL),
    # --- model fits
    "method": _c("Metode", "Fay-Herriot fitting method and model", "", SRC_MODEL),
    "shapiro_p_residuals": _c("Nilai p Shapiro-Wilk residual", "Shapiro-Wilk p-value of the standardised "
                              "residuals", "", SRC_MODEL),
    "shapiro_p_random_effects": _c("Nilai p Shapiro-Wilk efek acak", "Shapiro-Wilk p-value of the predicted "
                                   "random effects", "", SRC_MODEL),
    "mse_method": _c("Metode MSE model EBLUP", "estimator of mse_eblup_model, the un-benchmarked EBLUP's "
                     "model-based MSE (prasad_rao, datta_lahiri, bootstrap ...)", "", SRC_MODEL),
    "benchmarked_mse_method": _c("Metode MSE estimasi terbenchmark", "how mse_benchmarked is computed (parametric "
                                 "bootstrap, replicates B, benchmarking repeated)", "", SRC_MODEL),
    "sigma2_u": _c("Varians efek area", "model variance of the area random effects; with area effects "
                   "proportional to the sampling variance (method '... area effects proportional'), the variance "
                   "of an area whose sampling variance is the geometric mean, Var(u_d) = sigma2_u D_d / gm(D)",
                   "proporsi kuadrat", SRC_MODEL),
    "converged": _c("Konvergen", "whether the variance estimation converged", "", SRC_MODEL),
    "iterations": _c("Iterasi", "iterations of the variance estimation", "", SRC_MODEL),
    "r2": _c("R-kuadrat", "R-squared of the regression part", "", SRC_MODEL),
    "aic": _c("AIC", "Akaike information criterion", "", SRC_MODEL),
    "bic": _c("BIC", "Bayesian information criterion", "", SRC_MODEL),
    "n_areas": _c("Jumlah area", "number of kab/kota in the model", "kabupaten/kota", SRC_MODEL),
    "n_covariates": _c("Jumlah kovariat", "number of covariates", "", SRC_MODEL),
    "covariates": _c("Kovariat", "covariates of the model, comma-separated", "", SRC_MODEL),
    "gvf_deff": _c("Deff GVF", "design effect used by the generalised variance function", "rasio", SRC_MODEL),
    "benchmark_max_abs_discrepancy": _c("Selisih benchmark maksimum", "largest absolute province discrepancy "
                                        "before benchmarking", _PROPORTION, SRC_MODEL),
    "unbenchmarked_provinces": _c("Provinsi tanpa benchmark", "provinces left unbenchmarked because all their "
                                  "EBLUPs are 0 (comma-separated codes; empty when every province was benchmarked)",
                                  "", SRC_MODEL),
    # --- registry (P3KE / DTSEN)
    "source": _c("Sumber registri", "registry the row comes from: p3ke or dtsen", "", SRC_REGISTRY),
    "snapshot_date": _c("Tanggal snapshot", "date of the registry snapshot", "tanggal", SRC_REGISTRY),
    "snapshot": _c("Snapshot", "registry snapshot the matching ran on", "", SRC_REGISTRY),
    "key_mode": _c("Mode kunci pseudonim", "pseudonym key mode: demo (public demo key) or real", "",
                   SRC_REGISTRY),
    "individuals": _c("Jumlah individu", "individuals in the snapshot", "jiwa", SRC_REGISTRY, 0),
    "individuals_deceased": _c("Individu meninggal", "individuals recorded as deceased", "jiwa", SRC_REGISTRY, 0),
    "individuals_moved": _c("Individu pindah", "individuals recorded as moved away", "jiwa", SRC_REGISTRY, 0),
    "invalid_nik": _c("NIK tidak valid", "rows whose NIK fails validation (counted, never shown)", "baris",
                      SRC_REGISTRY, 0),
    "duplicates": _c("Baris ganda", "duplicate rows", "baris", SRC_REGISTRY, 0),
    "extreme_individuals": _c("Individu miskin ekstrem", "individuals flagged extreme poor", "jiwa",
                              SRC_REGISTRY, 0),
    "families": _c("Jumlah keluarga", "families (KK) in the snapshot", "keluarga", SRC_REGISTRY, 0),
    "extreme_families": _c("Keluarga miskin ekstrem", "families flagged extreme poor", "keluarga",
                           SRC_REGISTRY, 0),
    "population": _c("Jumlah penduduk BPS", "BPS population of the kab/kota (implied by the panel)", "jiwa",
                     SRC_REGISTRY_BPS, 0),
    "extreme_rate_pct": _c("Persentase individu miskin ekstrem", "extreme-poor individuals / BPS population",
                           "persen", SRC_REGISTRY_BPS, 2),
    "year_from": _c("Tahun awal", "first year compared", "tahun", SRC_REGISTRY),
    "year_to": _c("Tahun akhir", "second year compared", "tahun", SRC_REGISTRY),
    "extreme_rate_pct_from": _c("Persentase miskin ekstrem tahun awal", "extreme_rate_pct of the first year",
                                "persen", SRC_REGISTRY_BPS, 2),
    "extreme_rate_pct_to": _c("Persentase miskin ekstrem tahun akhir", "extreme_rate_pct of the second year",
                              "persen", SRC_REGISTRY_BPS, 2),
    "extreme_rate_change_pp": _c("Perubahan persentase miskin ekstrem", "change in extreme_rate_pct",
                                 "poin persen", SRC_REGISTRY_BPS, 2),
    "desil1_individuals": _c("Individu desil 1", "individuals in welfare decile 1", "jiwa", SRC_REGISTRY, 0),
    "desil1_share": _c("Proporsi individu desil 1", "desil-1 individuals / BPS population", _PROPORTION,
                       SRC_REGISTRY_BPS, 4),
    # padu padan (matching the decree list with the registry)
    "list_rows": _c("Baris daftar SK", "rows of the decree (SK) list as received", "baris", SRC_REGISTRY, 0),
    "invalid_nik_on_list": _c("NIK tidak terbaca di daftar", "list rows whose NIK cannot be read", "baris",
                              SRC_REGISTRY, 0),
    "duplicate_rows_on_list": _c("Baris ganda di daftar", "duplicate rows of the list", "baris", SRC_REGISTRY, 0),
    "not_found": _c("Tidak ditemukan", "listed persons not found in the snapshot", "jiwa", SRC_REGISTRY, 0),
    "invalid_nik_not_found": _c("NIK tidak valid (tidak ditemukan)", "listed persons not found whose NIK is "
                                "impossible (a typo to correct)", "jiwa", SRC_REGISTRY, 0),
    "found": _c("Ditemukan", "listed persons found in the snapshot", "jiwa", SRC_REGISTRY, 0),
    "left_desil1": _c("Keluar desil 1", "found persons no longer in decile 1", "jiwa", SRC_REGISTRY, 0),
    "still_desil1": _c("Masih desil 1", "found persons still in decile 1", "jiwa", SRC_REGISTRY, 0),
    "optimal": _c("Intervensi optimal", "still in decile 1 and intervened optimally", "jiwa", SRC_REGISTRY, 0),
    "not_optimal": _c("Intervensi belum optimal", "still in decile 1, intervention not optimal", "jiwa",
                      SRC_REGISTRY, 0),
    "not_optimal_alive": _c("Belum optimal, hidup", "not optimal, alive", "jiwa", SRC_REGISTRY, 0),
    "not_optimal_deceased": _c("Belum optimal, meninggal", "not optimal, deceased", "jiwa", SRC_REGISTRY, 0),
    "not_optimal_moved": _c("Belum optimal, pindah", "not optimal, moved", "jiwa", SRC_REGISTRY, 0),
    "no_intervention": _c("Tanpa intervensi", "still in decile 1 with no intervention recorded", "jiwa",
                          SRC_REGISTRY, 0),
    "intervened": _c("Diintervensi", "listed persons with an intervention recorded", "jiwa", SRC_REGISTRY, 0),
    # TKPK progress table (per kecamatan, Bahasa column names as the TKPK report uses them)
    "tidak_ditemukan": _c("Tidak ditemukan", "listed persons not found in the snapshot", "jiwa", SRC_REGISTRY, 0),
    "nik_tidak_valid": _c("NIK tidak valid", "listed persons not found whose NIK is impossible", "jiwa",
                          SRC_REGISTRY, 0),
    "keluar_desil_1": _c("Keluar desil 1", "found persons no longer in decile 1", "jiwa", SRC_REGISTRY, 0),
    "desil_1_intervensi_optimal": _c("Desil 1, intervensi optimal", "still in decile 1, intervened optimally",
                                     "jiwa", SRC_REGISTRY, 0),
    "desil_1_belum_optimal_hidup": _c("Desil 1, belum optimal, hidup", "still in decile 1, not optimal, alive",
                                      "jiwa", SRC_REGISTRY, 0),
    "desil_1_belum_optimal_meninggal": _c("Desil 1, belum optimal, meninggal", "still in decile 1, not optimal, "
                                          "deceased", "jiwa", SRC_REGISTRY, 0),
    "desil_1_belum_optimal_pindah": _c("Desil 1, belum optimal, pindah", "still in decile 1, not optimal, moved",
                                       "jiwa", SRC_REGISTRY, 0),
    "desil_1_tanpa_intervensi": _c("Desil 1, tanpa intervensi", "still in decile 1, no intervention recorded",
                                   "jiwa", SRC_REGISTRY, 0),
}

# Registry year-over-year counts: <base>_from, <base>_to, <base>_change for each counted quantity.
for _base in ("individuals", "families", "extreme_individuals", "extreme_families"):
    _entry = COLUMNS[_base]
    COLUMNS[f"{_base}_from"] = replace(_entry, label=f"{_entry.label}, tahun awal",
                                       meaning=f"{_entry.meaning}, first year compared")
    COLUMNS[f"{_base}_to"] = replace(_entry, label=f"{_entry.label}, tahun akhir",
                                     meaning=f"{_entry.meaning}, second year compared")
    COLUMNS[f"{_base}_change"] = replace(_entry, label=f"Perubahan {_entry.label.lower()}",
                                         meaning=f"change in {_entry.meaning} between the two years")

# Columns of the intermediate assets (raw cells, synthetic Susenas, calibration, manifests, registry ingestion
# report): described in the Dagster UI like the published ones, not listed in the readers' dictionary.
SRC_RAW = "Berkas mentah di data/raw (SOURCES.md), seperti diterbitkan"
SRC_SYNTHETIC = "Sampel SINTETIS serupa Susenas Maret (bukan data BPS)"
SRC_GEO = "Batas kabupaten/kota 2016 (data/raw/geo, SOURCES.md)"
INTERNAL_COLUMNS: dict[str, Column] = {
    # raw cells (estimation/cells.py): one row per published figure, where it stood in its file
    "source_file": _c("Berkas sumber", "raw file the figure comes from, relative to data/raw", "", SRC_RAW),
    "source_row": _c("Baris sumber", "line of the source file as an editor shows it (JSON: record number)", "baris",
                     SRC_RAW),
    "source_column": _c("Kolom sumber", "column header (or JSON key) of the figure as published", "", SRC_RAW),
    "region_name": _c("Nama wilayah (seperti diterbitkan)", "region name as published", "", SRC_RAW),
    "province_name": _c("Nama provinsi (seperti diterbitkan)", "province block the row belongs to, as published",
                        "", SRC_RAW),
    "region_code": _c("Kode wilayah (seperti diterbitkan)", "region code carried by the source, when it has one",
                      "", SRC_RAW),
    "is_province_row": _c("Baris provinsi", "whether the row is a province (or Indonesia) row", "", SRC_RAW),
    "variable": _c("Variabel", "what the figure measures: p0, poor_thousand, poverty_line_rp, p1, p2 or a covariate",
                   "", SRC_RAW),
    "value_text": _c("Teks sel", "the cell text exactly as published", "", SRC_RAW),
    "value": _c("Nilai", "the parsed number of the cell (empty when missing or not a number)", "", SRC_RAW),
    "status": _c("Status", "cell status: ok, missing (published as '-' or empty) or invalid (not a number); in the "
                 "synthetic sample and registry, the person's status", "", SRC_RAW),
    "detail": _c("Keterangan", "free text carried with the figure (period, line definition, URL)", "", SRC_RAW),
    "match_method": _c("Cara pencocokan wilayah", "how the row was matched to a BPS code: code, exact, normalised",
                       "", SRC_PIPELINE),
    "n_poor_thousand": _c("Jumlah penduduk miskin (dikutip)", "number of poor quoted by the news item",
                          "ribu jiwa", "Berita (data/raw/crosscheck)"),
    "source_url_or_repo_path": _c("Sumber kutipan", "address of the news item quoted", "",
                                  "Berita (data/raw/crosscheck)"),
    # region reference
    "bps_code_pre2022": _c("Kode BPS sebelum 2022", "BPS code before the 2022 Papua split", "", SRC_REFERENCE),
    "dapoer_loc_id": _c("ID lokasi DAPOER", "the World Bank DAPOER location id of the kab/kota", "", SRC_REFERENCE),
    "topo_id": _c("ID geometri", "id of the kab/kota in the 2016 boundary file (data/raw/geo)", "", SRC_REFERENCE),
    "population_2019_dapoer": _c("Penduduk 2019 (DAPOER)", "population in 2019 from the DAPOER covariates", "jiwa",
                                 "World Bank DAPOER"),
    # synthetic Susenas (estimation/synthetic): BPS variable names
    "R101": _c("Kode provinsi (R101)", "province code of the household", "", SRC_SYNTHETIC),
    "R102": _c("Kode kabupaten/kota (R102)", "kab/kota code of the household, within the province", "",
               SRC_SYNTHETIC),
    "R105": _c("Klasifikasi perkotaan/perdesaan (R105)", "1 urban, 2 rural", "", SRC_SYNTHETIC),
    "R301": _c("Jumlah anggota rumah tangga (R301)", "household size", "jiwa", SRC_SYNTHETIC),
    "KAPITA": _c("Pengeluaran per kapita sebulan", "monthly per-capita expenditure of the household", "rupiah",
                 SRC_SYNTHETIC),
    "WERT": _c("Penimbang rumah tangga (WERT)", "household sampling weight", "", SRC_SYNTHETIC),
    "WEIND": _c("Penimbang individu (WEIND)", "person weight: WERT x household size", "", SRC_SYNTHETIC),
    "block_id": _c("Blok sensus", "census block (primary sampling unit) id within the kab/kota", "",
                   SRC_SYNTHETIC),
    "household_id": _c("ID rumah tangga", "synthetic household id", "", SRC_SYNTHETIC),
    "psu": _c("Unit sampling primer", "primary sampling unit (the census block)", "", SRC_SYNTHETIC),
    "stratum": _c("Strata", "sampling stratum: kab/kota x urban/rural", "", SRC_SYNTHETIC),
    "true_p0": _c("P0 populasi sintetis", "poverty rate of the synthetic population (the truth the estimates are "
                  "scored against)", _PROPORTION, SRC_SYNTHETIC),
    "true_extreme_rate": _c("Persentase miskin ekstrem populasi sintetis", "extreme-poverty rate of the synthetic "
                            "population", _PROPORTION, SRC_SYNTHETIC),
    # calibration report of the synthetic population
    "round_year": _c("Tahun putaran target", "Susenas round of the published target", "tahun", SRC_MODEL),
    "definition": _c("Definisi garis", "extreme-poverty line definition of the target", "", SRC_MODEL),
    "level": _c("Tingkat", "level of the target: national or province", "", SRC_MODEL),
    "group": _c("Kelompok", "province code of a province target (0 for national)", "", SRC_MODEL),
    "target_pct": _c("Target", "published extreme-poverty rate the calibration aims at", "persen", SRC_MODEL),
    "achieved_pct": _c("Tercapai", "rate of the calibrated synthetic population", "persen", SRC_MODEL),
    "national_extreme_line_rp": _c("Garis kemiskinan ekstrem nasional", "national extreme-poverty line of the "
                                   "round", "rupiah/kapita/bulan", SRC_MODEL),
    "line_source": _c("Asal garis", "whether the round's national line is published or derived", "", SRC_MODEL),
    "year_estimated": _c("Tahun estimasi", "round whose estimates this calibration serves", "tahun", SRC_MODEL),
    # kab/kota geometry (data/raw/geo, 2016 borders): one row per vertex of a ring
    "feature": _c("Fitur", "index of the feature (kab/kota shape) in the TopoJSON file", "", SRC_GEO),
    "province": _c("Provinsi (berkas geometri)", "province name as the geometry file writes it", "", SRC_GEO),
    "geometry_type": _c("Jenis geometri", "Polygon or MultiPolygon (empty when the entry has no shape)", "",
                        SRC_GEO),
    "part": _c("Bagian", "polygon of a multipolygon", "", SRC_GEO),
    "ring": _c("Cincin", "ring of the polygon: 0 the outer border, then holes", "", SRC_GEO),
    "arc_seq": _c("Urutan busur", "position of the arc within the ring", "", SRC_GEO),
    "arc": _c("Busur", "arc index in the TopoJSON (negative: walked backwards)", "", SRC_GEO),
    "vertex": _c("Titik", "position of the vertex within the ring", "", SRC_GEO),
    "lon": _c("Bujur", "longitude of the vertex", "derajat", SRC_GEO),
    "lat": _c("Lintang", "latitude of the vertex", "derajat", SRC_GEO),
    # manifests of written files (reports)
    "long_digit_runs": _c("Deret 16+ angka", "runs of 16 or more digits in the file (a NIK or KK would be one; "
                          "must be 0)", "", SRC_PIPELINE),
    "path": _c("Berkas", "path of a written file", "", SRC_PIPELINE),
    "bytes": _c("Ukuran", "size of the file", "byte", SRC_PIPELINE),
    "sha256": _c("SHA-256", "SHA-256 digest of the file (to check a copy)", "", SRC_PIPELINE),
    "has_identity_column": _c("Berisi kolom identitas", "whether a table has a NIK, KK, name or address column "
                              "(must be false)", "", SRC_PIPELINE),
    # registry manifest and ingestion report (counts only)
    "key": _c("Kunci ekstrak", "name of the extract: source, kab/kota and year", "", SRC_REGISTRY),
    "kind": _c("Jenis berkas", "p3ke, dtsen, sk (decree list) or intervensi", "", SRC_REGISTRY),
    "file": _c("Nama berkas", "file name inside the extract (or worklist) folder", "", SRC_REGISTRY),
    "rows": _c("Baris", "rows read from the extract", "baris", SRC_REGISTRY),
    "nik_valid": _c("NIK valid", "rows whose NIK is valid", "baris", SRC_REGISTRY),
    "nik_valid_rate": _c("Proporsi NIK valid", "nik_valid / rows", _PROPORTION, SRC_REGISTRY),
    "nik_invalid_by_status": _c("NIK tidak valid menurut jenis", "invalid NIKs counted by reason (JSON)", "",
                                SRC_REGISTRY),
    "first_invalid_rows": _c("Baris NIK tidak valid pertama", "the first source rows of each invalid-NIK reason "
                             "(JSON; row numbers, never the values)", "", SRC_REGISTRY),
    "desil_out_of_range": _c("Desil di luar rentang", "rows whose desil is outside its source's range", "baris",
                             SRC_REGISTRY),
    "desil_out_of_range_rows": _c("Baris desil di luar rentang", "the first such rows with the desil found (JSON)",
                                  "", SRC_REGISTRY),
}

# Columns whose meaning depends on the table.
TABLE_COLUMNS: dict[tuple[str, str], Column] = {
    ("padu_padan_summary", "persons"): _c("Jumlah orang di daftar", "distinct persons on the decree list",
                                          "jiwa", SRC_REGISTRY, 0),
    ("padu_padan_progress", "persons"): _c("Jumlah orang di daftar", "distinct listed persons of the kecamatan",
                                           "jiwa", SRC_REGISTRY, 0),
    ("padu_padan_summary", "year"): _c("Tahun", "year of the registry snapshot", "tahun", SRC_REGISTRY),
    ("registry_aggregates", "year"): _c("Tahun", "year of the registry snapshot", "tahun", SRC_REGISTRY),
    ("registry_desil1_share", "year"): _c("Tahun", "year of the registry snapshot", "tahun", SRC_REGISTRY),
    ("estimates_sae", "ci_low"): _prop("Batas bawah selang kepercayaan 95% estimasi terbenchmark", "lower bound "
                                       "of the 95% interval of the published (benchmarked) estimate: benchmarked - "
                                       "1.96 sqrt(mse_benchmarked), at least 0"),
    ("estimates_sae", "ci_high"): _prop("Batas atas selang kepercayaan 95% estimasi terbenchmark", "upper bound "
                                        "of the 95% interval of the published (benchmarked) estimate: benchmarked "
                                        "+ 1.96 sqrt(mse_benchmarked), at most 1"),
    ("estimates_direct", "ci_low"): _prop("Batas bawah selang kepercayaan 95% estimasi langsung", "lower bound of "
                                          "the 95% interval of the direct estimate (Wilson, effective n)"),
    ("estimates_direct", "ci_high"): _prop("Batas atas selang kepercayaan 95% estimasi langsung", "upper bound of "
                                           "the 95% interval of the direct estimate (Wilson, effective n)"),
    ("estimates_direct", "flag"): _c("Kelayakan publikasi", "publishability of the direct estimate by its CV: "
                                     "publish / caution / suppress (layak / hati-hati / tidak layak)", "",
                                     SRC_MODEL),
    ("estimates_sae", "flag"): _c("Kelayakan publikasi", "publishability of the published (benchmarked) "
                                  "estimate by its RSE: publish / caution / suppress (layak / hati-hati / tidak "
                                  "layak)", "", SRC_MODEL),
}

_DESIL = re.compile(r"(individuals|families)_desil_(\d+)")


def _pattern_entry(column: str) -> Column | None:
    match = _DESIL.fullmatch(column)
    if match:
        who, desil = match.groups()
        base = COLUMNS[who]
        return replace(base, label=f"{base.label} desil {desil}", meaning=f"{base.meaning} in welfare decile "
                                                                             f"{desil}")
    return None


def column_info(column: str, table: str | None = None) -> Column:
    """The entry of `column` (as used in `table`, when its meaning depends on it); KeyError when none."""
    if table is not None and (table, column) in TABLE_COLUMNS:
        return TABLE_COLUMNS[(table, column)]
    if column in COLUMNS:
        return COLUMNS[column]
    if column in INTERNAL_COLUMNS:
        return INTERNAL_COLUMNS[column]
    entry = _pattern_entry(column)
    if entry is None:
        raise KeyError(f"column {column!r} has no entry in the data dictionary (estimation/dictionary.py)")
    return entry


def undocumented(columns: Iterable[str], table: str | None = None) -> list[str]:
    """The columns of `columns` without a dictionary entry."""
    missing = []
    for column in columns:
        try:
            column_info(str(column), table)
        except KeyError:
            missing.append(str(column))
    return missing


def column_descriptions(columns: Iterable[str] | None = None, table: str | None = None,
                        describe: Callable[[Column], str] = Column.description) -> dict[str, str]:
    """`{column: description}` for `columns` (default: every named entry), for Dagster column schemas."""
    names = list(COLUMNS) if columns is None else [str(c) for c in columns]
    return {name: describe(column_info(name, table)) for name in names}


def dictionary_frame() -> list[dict[str, str]]:
    """Every named entry as records (column, label, meaning, unit, source), e.g. for a 'Keterangan' sheet."""
    rows = [{"column": name, "label": c.label, "meaning": c.meaning, "unit": c.display_unit, "source": c.source}
            for name, c in COLUMNS.items()]
    rows += [{"column": f"{column} ({table})", "label": c.label, "meaning": c.meaning, "unit": c.display_unit,
              "source": c.source} for (table, column), c in TABLE_COLUMNS.items()]
    rows.append({"column": "individuals_desil_N, families_desil_N", "label": "Jumlah individu/keluarga desil N",
                 "meaning": "individuals / families in welfare decile N", "unit": "jiwa / keluarga",
                 "source": SRC_REGISTRY})
    return rows
