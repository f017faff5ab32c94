"""`python -m scripts.run` as a person types it: usage, wrong options and names answered in one line, and a step
that raises reported by its cause."""

from __future__ import annotations

from dagster._utils.error import SerializableErrorInfo

from scripts.run import _unknown_assets, failure_text, main


def test_help_prints_the_usage(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "python -m scripts.run [JOB ...] [--full] [--select ASSET[,ASSET ...]]" in out


def test_wrong_options_are_one_line_and_the_usage(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KEMISKINAN_DATA_DIR", str(tmp_path))
    assert main(["--select"]) == 2
    assert capsys.readouterr().err.startswith("--select needs asset names")
    assert main(["--selekt", "raw_p0_kabkota"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("unknown option --selekt") and "usage: python -m scripts.run" in err


def test_an_unknown_asset_names_the_assets_meant():
    every = {"padu_padan_summary", "padu_padan_progress", "raw_p0_kabkota", "sae_estimates"}
    said = _unknown_assets({"padu_padan", "sae_estimate"}, every)
    assert "padu_padan: did you mean padu_padan_progress, padu_padan_summary?" in said
    assert "sae_estimate: did you mean sae_estimates?" in said
    assert _unknown_assets({"zzz"}, every) == "unknown asset(s) ['zzz']"


def test_a_step_that_raises_is_reported_by_its_cause():
    cause = SerializableErrorInfo("P3KE_PSEUDONYM_KEY is not set; set it or run in explicit demo mode", [],
                                  "KeyError")
    wrapped = SerializableErrorInfo('Error occurred while executing op "padu_padan":', [],
                                    "DagsterExecutionStepExecutionError", cause=cause)
    assert failure_text(wrapped) == "KeyError: P3KE_PSEUDONYM_KEY is not set; set it or run in explicit demo mode"
    assert failure_text(cause) == "P3KE_PSEUDONYM_KEY is not set; set it or run in explicit demo mode"
