"""Every rule of the estimates and registry suites: passes on good data, fails on a broken input."""

import pandas as pd
import pytest

from checks.gx_bridge import run_suite
from checks.suites.estimates import (
    direct_suite,
    fit_suite,
    household_expenditure_suite,
    model_suite,
    sample_suite,
    truth_suite,
)
from checks.suites.registry import (
    aggregates_suite,
    extracts_suite,
    ingested_suite,
    padu_padan_suite,
    published_registry_suite,
)
from estimation.registry.decree_lists import decree_list_rows
from tests.checks.test_suites import failing

CODES = [f"{3501 + i}" for i in range(514)]


def sample():
    n = len(CODES)
    return pd.DataFrame({"year": 2024, "bps_code": CODES, "stratum": range(n), "psu": range(n), "R105": 1, "R301": 4,
                         "KAPITA": 500000.0, "WERT": 100.0, "WEIND": 400.0})


@pytest.fixture(scope="module")
def good_sample_failing() -> set[str]:
    """The rules the unbroken sample fails (none), evaluated once for the cases below."""
    return failing(sample_suite(), sample())


@pytest.mark.parametrize("column, value, rule", [
    ("WERT", 0.0, "weights_positive"), ("WEIND", 1.0, "weind_is_size_times_wert"), ("R105", 3, "urban_rural_code"),
    ("R301", 0, "household_size"), ("KAPITA", -1.0, "expenditure_nonnegative")])
def test_sample_suite(column, value, rule, good_sample_failing):
    assert good_sample_failing == set()
    broken = sample()
    broken.loc[3, column] = value
    broken["WEIND"] = broken["R301"] * broken["WERT"] if column != "WEIND" else broken["WEIND"]
    assert failing(sample_suite(), broken) == {rule}


def test_sample_missing_kabkota():
    assert failing(sample_suite(), sample().iloc[1:]) == {"every_kabkota_sampled"}


def truth():
    return pd.DataFrame({"bps_code": CODES, "prov_code": "35", "year": 2024, "true_p0": 0.1, "true_extreme_rate": 0.01,
                         "population": 1000.0})


def test_truth_suite():
    assert failing(truth_suite(), truth()) == set()
    assert failing(truth_suite(), truth().iloc[1:]) == {"all_kabkota"}
    assert failing(truth_suite(), truth().assign(true_extreme_rate=0.2)) == {"extreme_le_p0"}
    assert "rates_in_unit_interval" in failing(truth_suite(), truth().assign(true_extreme_rate=-0.1),
                                               "rates_in_unit_interval")


def direct():
    return pd.DataFrame({"bps_code": ["3517", "3518"], "year": 2024, "indicator": "extreme", "estimate": [0.01, 0.0],
                         "se": [0.003, 0.0], "ci_low": [0.004, 0.0], "ci_high": [0.016, 0.004],
                         "n_households": [600, 400]})


def test_direct_suite():
    assert failing(direct_suite(), direct()) == set()
    assert failing(direct_suite(), direct().assign(estimate=[1.2, 0.0], ci_high=[1.3, 0.004])) == {
        "rates_in_unit_interval"}
    assert failing(direct_suite(), direct().assign(se=[-0.1, 0.0])) == {"se_nonnegative"}
    assert failing(direct_suite(), direct().assign(n_households=[0, 400])) == {"sampled_households"}
    assert failing(direct_suite(), direct().assign(ci_low=[0.02, 0.0])) == {"ci_contains_estimate"}


def model():
    return pd.DataFrame({"bps_code": ["3517", "3518"], "prov_code": "35", "year": 2024, "indicator": "extreme",
                         "direct": [0.012, 0.004], "synthetic": [0.008, 0.006], "eblup": [0.010, 0.005],
                         "benchmarked": [0.010, 0.005], "mse_eblup_model": [1e-5, 2e-5], "rse": [0.2, 0.9],
                         "mse_benchmarked": [0.002**2, 0.0045**2], "ci_low": [0.010 - 1.959963984540054 * 0.002, 0.0],
                         "ci_high": [0.010 + 1.959963984540054 * 0.002, 0.005 + 1.959963984540054 * 0.0045],
                         "flag": ["publish", "suppress"], "in_sample": True})


def related(ok=True):
    """What `benchmarked_to_province` compares the model with: populations and the province direct estimate."""
    return {"synthetic_population_truth": pd.DataFrame({"bps_code": ["3517", "3518"], "year": 2024,
                                                        "population": [100.0, 100.0]}),
            "province_direct": pd.DataFrame({"year": [2024], "indicator": ["extreme"], "prov_code": ["35"],
                                             "estimate": [0.0075 if ok else 0.009]})}


def model_failing(frame, *only, ok=True):
    """Rules of the model suite that fail; with names in `only`, those rules evaluated alone."""
    return failing(model_suite(), frame, *only, related=related(ok))


def test_model_suite():
    assert model_failing(model()) == set()
    z = 1.959963984540054
    assert model_failing(model().assign(rse=[0.3, 0.9], flag=["caution", "suppress"], mse_benchmarked=[0.003**2,
                                        0.0045**2], ci_low=[0.010 - z * 0.003, 0.0], ci_high=[0.010 + z * 0.003,
                                        0.005 + z * 0.0045])) == {
        "publishable_share"}  # a warning: none publishable
    assert "mse_positive" in model_failing(model().assign(mse_eblup_model=[0.0, 1e-5]), "mse_positive")
    assert "eblup_between_direct_and_synthetic" in model_failing(model().assign(eblup=[0.02, 0.005]), "eblup_between_direct_and_synthetic")
    assert "benchmarked_to_province" in model_failing(model(), "benchmarked_to_province", ok=False)
    assert "flags_follow_rse" in model_failing(model().assign(flag=["publish", "publish"]), "flags_follow_rse")
    assert "rates_in_unit_interval" in model_failing(model().assign(benchmarked=[1.5, 0.0]), "rates_in_unit_interval")
    assert "mse_benchmarked_positive" in model_failing(model().assign(mse_benchmarked=[0.0, 0.0045**2]), "mse_benchmarked_positive")
    # the RSE or the interval of the EBLUP's MSE beside the benchmarked figure (what was published before)
    assert "precision_of_published_figure" in model_failing(model().assign(rse=[1e-5**0.5 / 0.010, 0.9]), "precision_of_published_figure")
    assert "precision_of_published_figure" in model_failing(model().assign(ci_low=[0.004, 0.0]), "precision_of_published_figure")
    # issue 9: what is published keeps extreme <= P0 for every kab/kota
    with_p0 = pd.concat([model(), model().assign(indicator="p0", benchmarked=[0.09, 0.08])], ignore_index=True)
    assert "extreme_not_above_p0" not in model_failing(with_p0, "extreme_not_above_p0")
    above = pd.concat([model(), model().assign(indicator="p0", benchmarked=[0.09, 0.004])], ignore_index=True)
    assert "extreme_not_above_p0" in model_failing(above, "extreme_not_above_p0")


def test_household_expenditure_suite():
    households = pd.DataFrame({"bps_code": [f"{3501 + i}" for i in range(514)], "year": 2024, "KAPITA": 650000.0})
    assert failing(household_expenditure_suite(), households) == set()
    assert failing(household_expenditure_suite(), households.iloc[1:]) == {"every_kabkota_has_households"}
    assert failing(household_expenditure_suite(), households.assign(KAPITA=0.0)) == {"expenditure_positive"}


def test_fit_suite():
    fit = pd.DataFrame({"year": [2024], "indicator": ["p0"], "converged": [True], "sigma2_u": [1e-5]})
    assert failing(fit_suite(), fit) == set()
    assert failing(fit_suite(), fit.assign(converged=[False])) == {"converged"}
    assert failing(fit_suite(), fit.assign(sigma2_u=[-1.0])) == {"variance_nonnegative"}


def _rules(suite, *names):
    """The named rules of a suite (each evaluated alone: its result does not depend on the others)."""
    rules = [r for r in suite.rules if r.name in names]
    assert [r.name for r in rules] == list(names)
    return rules


def test_registry_suites(tmp_path):
    extracts = pd.DataFrame({"key": ["p3ke_3517_2024"], "file": ["p3ke_3517_2024.csv"], "kind": ["p3ke"],
                             "kabkota_code": ["3517"], "bytes": [10]})
    assert failing(extracts_suite(), extracts) == set()
    assert failing(extracts_suite(), extracts.assign(bytes=[0])) == {"files_not_empty"}
    assert failing(extracts_suite(), extracts.assign(kind=["xls"])) == {"known_kinds"}
    assert failing(extracts_suite(), extracts.assign(kabkota_code=["35-17"])) == {"kabkota_codes"}

    ingested = pd.DataFrame({"key": ["p3ke_3517_2024"], "kabkota_code": ["3517"], "first_invalid_rows": ["{}"],
                             "nik_valid_rate": [0.995], "desil_out_of_range": [0], "key_mode": ["demo"], "rows": [10]})
    assert failing(ingested_suite(), ingested) == set()
    assert failing(ingested_suite(), ingested.assign(nik_valid_rate=[0.95])) == {"nik_valid_rate_good"}
    assert failing(ingested_suite(), ingested.assign(nik_valid_rate=[0.5])) == {"nik_valid_rate", "nik_valid_rate_good"}
    assert failing(ingested_suite(), ingested.assign(desil_out_of_range=[3])) == {"desil_in_range"}
    rows = '[{"row": 2, "desil": 0}, {"row": 9, "desil": 5}]'
    [desil] = [r for r in run_suite(ingested_suite(), ingested.assign(desil_out_of_range=[2], source=["p3ke"],
                                                                      desil_out_of_range_rows=[rows]),
                                    rules=_rules(ingested_suite(), "desil_in_range")).results]
    assert ("file p3ke_3517_2024, row 2, column 'Desil', region '3517', found '0' (desil outside 1-4 (2 such row(s) "
            "in the file)); file p3ke_3517_2024, row 9") in desil.message  # the rows themselves, and what was found
    [nik] = [r for r in run_suite(ingested_suite(), ingested.assign(
        nik_valid_rate=[0.5], source_file=["p3ke.csv"], first_invalid_rows=['{"bad_length": [7, 4]}']),
        rules=_rules(ingested_suite(), "nik_valid_rate")).results]
    assert ("file p3ke.csv, row 4, column 'NIK', region '3517' (50.0% of 10 NIKs valid; the first invalid rows: "
            "bad_length (not 16 digits): rows 4, 7)") in nik.message
    assert failing(ingested_suite(), ingested.assign(key_mode=["none"])) == {"key_mode_recorded"}
    assert failing(ingested_suite(), ingested.assign(rows=[0])) == {"rows_ingested"}

    agg = pd.DataFrame({"source": ["p3ke"], "kabkota_code": ["3517"], "snapshot_date": ["2024-06-30"],
                        "individuals": [100], "families": [30], "extreme_individuals": [5],
                        "individuals_desil_1": [40], "individuals_desil_2": [60], "extreme_rate_pct": [0.5]})
    assert failing(aggregates_suite(), agg) == set()
    assert failing(aggregates_suite(), agg.assign(families=[101])) == {"families_le_individuals"}
    assert failing(aggregates_suite(), agg.assign(extreme_individuals=[101])) == {"extreme_le_individuals"}
    assert failing(aggregates_suite(), agg.assign(individuals_desil_2=[61])) == {"desil_counts_within_total"}
    assert failing(aggregates_suite(), agg.assign(extreme_rate_pct=[101.0])) == {"rate_in_range"}

    summary = pd.DataFrame({"kabkota_code": ["3517"], "year": [2024], "list_rows": [7408], "persons": [7408],
                            "found": [7408], "not_found": [0], "invalid_nik_not_found": [0], "left_desil1": [5567],
                            "still_desil1": [1841],
                            "not_optimal": [89], "not_optimal_alive": [78], "not_optimal_deceased": [11],
                            "not_optimal_moved": [0]})
    rows = decree_list_rows(pd.DataFrame({"list_row": [2, 3, 4], "nik_pseudo": ["a", "b", "c"],
                                          "nik_status": "valid", "kabkota_code": "3517", "nik_length": 16}),
                            "sk.csv", 2024)

    def padu_failing(frame, list_rows=rows):
        result = run_suite(padu_padan_suite(), frame, related={"decree_list_rows": list_rows})
        return {r.rule for r in result.results if not r.passed}

    assert padu_failing(summary) == set()
    assert padu_failing(summary.assign(left_desil1=[5566])) == {"categories_add_up"}
    # a person absent with an impossible NIK is a person: counted, or the split does not add up
    assert padu_failing(summary.assign(persons=[7409], invalid_nik_not_found=[1])) == set()
    assert padu_failing(summary.assign(persons=[7409])) == {"categories_add_up"}
    assert padu_failing(summary.assign(list_rows=[0])) == {"list_not_empty"}
    # the list's rows: a NIK listed again blocks, an unreadable or impossible NIK is a warning, both by row
    repeated = decree_list_rows(pd.DataFrame({"list_row": [2, 3, 4, 5], "nik_pseudo": ["a", "b", "a", "a"],
                                              "nik_status": "valid", "kabkota_code": "3517", "nik_length": 16}),
                                "sk.csv", 2024)
    assert padu_failing(summary, repeated) == {"nik_once_on_list"}
    assert repeated["listed_once"].tolist() == [True, True, False, False]
    assert repeated["problem"].iloc[3] == "the NIK of row 2 again (listed 3 times: rows 2, 4, 5)"
    impossible = decree_list_rows(pd.DataFrame({"list_row": [2, 3], "nik_pseudo": ["a", None],
                                                "nik_status": ["bad_birth_date", "missing"], "kabkota_code": "3517",
                                                "nik_length": [16, None]}), "sk.csv", 2024)
    assert padu_failing(summary, impossible) == {"nik_valid_on_list"}
    assert impossible["problem"].tolist() == ["a NIK whose birth date (DDMMYY) is impossible", "no NIK"]
    moved = decree_list_rows(pd.DataFrame({"list_row": [2], "nik_pseudo": ["a"], "nik_status": ["region_mismatch"],
                                           "kabkota_code": "3517", "nik_length": [16]}), "sk.csv", 2024)
    assert padu_failing(summary, moved) == set()  # a NIK registered in another kab/kota is valid: people move

    clean, leaky = tmp_path / "clean.csv", tmp_path / "leaky.csv"
    clean.write_text("kabkota_code,individuals\n3517,654220\n")
    leaky.write_text("kabkota_code,nik_like\n3517," + "351701" + "450390" + "0001" + "\n")
    files = pd.DataFrame({"path": [str(clean)], "bytes": [10], "has_identity_column": [False]})
    assert failing(published_registry_suite(), files) == set()
    assert failing(published_registry_suite(), files.assign(path=[str(leaky)])) == {"no_nik_like_numbers"}


def test_calibration_suite():
    from checks.suites.estimates import calibration_suite

    report = pd.DataFrame({"year": 2024, "round_year": [2024, 2023], "definition": "usd215_2017ppp",
                           "level": ["national", "province"], "group": ["0", "35"], "target_pct": [1.26, 0.82],
                           "achieved_pct": [1.26, 0.82]})
    assert failing(calibration_suite(), report) == set()
    assert failing(calibration_suite(), report.assign(achieved_pct=[1.4, 0.82])) == {"national_rates_reproduced"}
    assert failing(calibration_suite(), report.assign(achieved_pct=[1.26, 0.5])) == {"province_rates_reproduced"}


def test_registry_year_over_year_and_share_suites():
    from checks.suites.registry import desil1_share_suite, year_over_year_suite

    yoy = pd.DataFrame({"source": ["p3ke"], "kabkota_code": ["3602"], "year_from": [2023], "year_to": [2024],
                        **{f"{m}_{k}": [v] for m, (a, b) in {"individuals": (100, 90), "families": (40, 35),
                                                             "extreme_individuals": (20, 18),
                                                             "extreme_families": (6043, 5698)}.items()
                           for k, v in (("from", a), ("to", b), ("change", b - a))}})
    assert failing(year_over_year_suite(), yoy) == set()
    assert failing(year_over_year_suite(), yoy.assign(extreme_families_change=[-344])) == {"change_is_difference"}
    assert failing(year_over_year_suite(), yoy.assign(year_to=[2023])) == {"years_ordered"}
    share = pd.DataFrame({"source": ["p3ke"], "kabkota_code": ["3517"], "year": [2024], "desil1_share": [0.12]})
    assert failing(desil1_share_suite(), share) == set()
    assert failing(desil1_share_suite(), share.assign(desil1_share=[1.2])) == {"share_in_unit_interval"}


def test_raw_reference_and_quoted_suites():
    from checks.suites.raw import quoted_figures_suite, region_list_suite

    ref = pd.DataFrame({"bps_code": ["3500", "3517"], "name": ["JAWA TIMUR", "Jombang"],
                        "level": ["provinsi", "kabupaten"]})
    assert failing(region_list_suite(), ref) == set()
    assert failing(region_list_suite(), ref.assign(level=["provinsi", "desa"])) == {"levels_known"}
    assert failing(region_list_suite(), ref.assign(bps_code=[None, "3517"])) == {"codes_present"}
    quoted = pd.DataFrame({"source_file": "crosscheck/news.csv", "source_row": [2], "bps_code": ["3517"],
                           "name": ["Jombang"], "year": ["2024"], "p0": ["8.60"],
                           "source_url_or_repo_path": ["https://example"]})
    suite = quoted_figures_suite(range(2004, 2026))
    assert failing(suite, quoted) == set()
    assert failing(suite, quoted.assign(p0=[""])) == set()  # a quote of the poor count only
    assert failing(suite, quoted.assign(p0=["860.0"])) == {"p0_in_range"}
    assert failing(suite, quoted.assign(p0=["8,60"])) == {"p0_in_range"}  # not a number: named, not skipped
    assert failing(suite, quoted.assign(bps_code=["35-17"])) == {"codes_four_digits"}
    assert failing(suite, quoted.assign(year=["2031"])) == {"years_in_data"}
    assert failing(suite, quoted.assign(source_url_or_repo_path=[""])) == {"source_given"}
