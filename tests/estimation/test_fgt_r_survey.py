"""Direct FGT estimators against R `survey` (tests/data/r_survey: script, sample, output, versions).

R builds the FGT indicators from income and line itself and estimates them with svyby(svymean / svytotal) on a
stratified clustered design with weights, domains across strata and a lonely PSU. The formulas are the same
(Taylor linearisation, PSUs with replacement), so everything agrees to rounding: relative 1e-10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.survey.direct import direct_fgt, direct_poverty

R_SURVEY = Path(__file__).resolve().parents[1] / "data" / "r_survey"
RTOL = 1e-10
# project lonely_psu option -> the R survey.lonely.psu setting it reproduces (survey 4.1-1): the same name. Until
# 2026-12-02 the project's "remove" rescaled like R's "average" (SEs too large by the rescaling factor).
LONELY = {"adjust": "adjust", "certainty": "certainty", "remove": "remove", "average": "average"}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(R_SURVEY / "fgt_sample.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(R_SURVEY / "fgt_reference.csv", keep_default_na=False, na_values=["NA"])


def _ref(reference: pd.DataFrame, lonely: str, unit: str, statistic: str, domains: pd.Index) -> pd.DataFrame:
    r = reference[(reference["lonely_psu"] == lonely) & (reference["unit"] == unit)
                  & (reference["statistic"] == statistic)].set_index("domain")
    assert len(domains) in (1, 3) and set(domains) <= set(r.index)
    return r.loc[domains]


def _direct(sample: pd.DataFrame, unit: str, by: str, alpha: int, lonely: str) -> pd.DataFrame:
    domain = sample["domain"] if by == "domain" else np.full(len(sample), "ALL")
    size = sample["hh_size"] if unit == "persons" else None
    return direct_poverty(sample["income"], sample["poverty_line"], sample["weight"], domain, sample["stratum"],
                          sample["psu"], alpha=alpha, household_size=size, lonely_psu=lonely)


def test_sample_has_what_the_reference_must_exercise(sample):
    psus = sample.groupby("stratum")["psu"].nunique()
    assert (psus == 1).sum() == 1 and (psus >= 2).sum() == 7  # one lonely PSU
    assert sample.groupby("psu")["stratum"].nunique().max() > 1  # PSU ids repeat across strata: nesting needed
    assert sample.groupby("stratum")["domain"].nunique().min() >= 2  # domains cut across strata
    assert (sample["income"] == sample["poverty_line"]).sum() == 1  # strict inequality matters
    assert sample["poverty_line"].nunique() == 2


@pytest.mark.parametrize("lonely", list(LONELY))
@pytest.mark.parametrize("unit", ["persons", "households"])
@pytest.mark.parametrize("by", ["domain", "all"])
@pytest.mark.parametrize("alpha", [0, 1, 2])
def test_fgt_estimate_se_and_deff_equal_r_survey(sample, reference, lonely, unit, by, alpha):
    out = _direct(sample, unit, by, alpha, lonely)
    ref = _ref(reference, LONELY[lonely], unit, f"P{alpha}", out.index)
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(out["se"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(out["deff"], ref["deff"], rtol=RTOL)
    # direct_fgt is the same estimator without the table columns
    fgt = direct_fgt(sample["income"], sample["poverty_line"],
                     sample["weight"] * (sample["hh_size"] if unit == "persons" else 1),
                     sample["domain"] if by == "domain" else np.zeros(len(sample)), sample["stratum"],
                     sample["psu"], alpha=alpha, lonely_psu=lonely)
    np.testing.assert_allclose(fgt["estimate"].to_numpy(), ref["estimate"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(fgt["se"].to_numpy(), ref["se"].to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("lonely", list(LONELY))
@pytest.mark.parametrize("by", ["domain", "all"])
def test_poor_persons_and_households_equal_r_survey_totals(sample, reference, lonely, by):
    out = _direct(sample, "persons", by, 0, lonely)
    persons = _ref(reference, LONELY[lonely], "persons", "poor_total", out.index)
    households = _ref(reference, LONELY[lonely], "households", "poor_total", out.index)
    np.testing.assert_allclose(out["poor_persons"], persons["estimate"], rtol=RTOL)
    np.testing.assert_allclose(out["poor_persons_se"], persons["se"], rtol=RTOL)
    np.testing.assert_allclose(out["poor_households"], households["estimate"], rtol=RTOL)
    np.testing.assert_allclose(out["poor_households_se"], households["se"], rtol=RTOL)


def test_lonely_psu_options_differ_as_in_r(reference):
    """The lonely stratum matters at all (else the options above would be checked on nothing), and R's own
    "remove" equals its "certainty" in survey 4.1-1: the project's "remove" rescales, as R's "average"."""
    p0 = reference[(reference["statistic"] == "P0") & (reference["unit"] == "persons")
                   & (reference["domain"] == "ALL")].set_index("lonely_psu")["se"]
    assert p0["certainty"] < min(p0["adjust"], p0["average"]) and abs(p0["adjust"] / p0["average"] - 1) > 0.01
    assert p0["remove"] == pytest.approx(p0["certainty"], rel=1e-14)


def test_default_lonely_psu_is_r_adjust(sample, reference):
    """Without lonely_psu both estimators centre the lonely PSU as options(survey.lonely.psu = "adjust")."""
    ref = _ref(reference, "adjust", "persons", "P0", pd.Index(["ALL"]))
    size = sample["hh_size"]
    table = direct_poverty(sample["income"], sample["poverty_line"], sample["weight"], np.full(len(sample), "ALL"),
                           sample["stratum"], sample["psu"], household_size=size)
    fgt = direct_fgt(sample["income"], sample["poverty_line"], sample["weight"] * size, np.full(len(sample), "ALL"),
                     sample["stratum"], sample["psu"])
    for out in (table, fgt):
        np.testing.assert_allclose(out["se"].to_numpy(), ref["se"].to_numpy(), rtol=RTOL)
