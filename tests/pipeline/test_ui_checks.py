"""Check results a person can act on: every failing row reachable (a complete table in the metadata and a CSV
beside the outputs), missing values as "–", and the exemptions that applied listed with their reason."""

import csv

import pandas as pd

from checks.dagster_checks import MAX_ROWS_SHOWN, evaluate, rows_markdown
from checks.gx_bridge import MAX_EXAMPLES, Rule, Suite, run_suite


def _in_range_suite(frame=None) -> Suite:
    return Suite("demo", [Rule("value_in_range", "0 <= value <= 100",
                               lambda E: E.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=100),
                               frame=frame, locate=("bps_code", "year", "note"))])


def _bad_frame(n_bad: int) -> pd.DataFrame:
    values = [150.0 + i for i in range(n_bad)] + [5.0, 6.0]
    return pd.DataFrame({"bps_code": [f"{3501 + i}" for i in range(n_bad + 2)], "year": 2024,
                         "value": values, "note": [None] * (n_bad + 2)})


def test_every_failing_row_is_in_the_metadata_and_in_a_csv(tmp_path):
    n_bad = 3 * MAX_EXAMPLES + 7
    [result] = evaluate(_in_range_suite(), _bad_frame(n_bad), "demo_asset", rows_dir=tmp_path)
    assert not result.passed and result.metadata["unexpected_count"].value == n_bad
    table = result.metadata["failing_rows"].value
    rows = [line for line in table.splitlines() if line.startswith("| 35")]
    assert len(rows) == n_bad and f"{n_bad} failing row(s), all shown." in table
    assert "nan" not in table and "None" not in table and "| – |" in table  # the empty note
    path = tmp_path / "demo_asset" / "value_in_range.failing_rows.csv"
    assert result.metadata["failing_rows_file"].value == str(path)
    with path.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == n_bad and written[-1]["bps_code"] == str(3501 + n_bad - 1)
    assert written[0]["note"] == ""  # machine-readable: missing is empty, not "nan"


def test_a_rule_that_passes_again_removes_its_stale_csv(tmp_path):
    list(evaluate(_in_range_suite(), _bad_frame(2), "demo_asset", rows_dir=tmp_path))
    path = tmp_path / "demo_asset" / "value_in_range.failing_rows.csv"
    assert path.exists()
    [result] = evaluate(_in_range_suite(), _bad_frame(0), "demo_asset", rows_dir=tmp_path)
    assert result.passed and not path.exists() and "failing_rows" not in result.metadata


def test_long_tables_say_where_the_rest_is():
    rows = [{"row": i} for i in range(MAX_ROWS_SHOWN + 5)]
    text = rows_markdown(rows, "failing row(s)", "x.failing_rows.csv")
    assert f"the first {MAX_ROWS_SHOWN:,} shown: all of them in x.failing_rows.csv" in text
    assert text.count("\n| ") == MAX_ROWS_SHOWN + 1  # header + the rows shown


def test_exempt_rows_are_set_aside_and_listed_with_their_reason(tmp_path):
    def with_exemptions(frame: pd.DataFrame) -> pd.DataFrame:
        reason = ["province row before the 2022 Papua split" if code == "3501" else None for code in frame["bps_code"]]
        return frame.assign(exempt_reason=pd.array(reason, dtype="string"),
                            exempt=[r is not None for r in reason])

    frame = _bad_frame(1)  # 3501 fails the range, but is exempt
    [outcome] = run_suite(_in_range_suite(with_exemptions), frame).results
    assert outcome.passed and outcome.exemptions == [
        {"bps_code": "3501", "year": 2024, "note": None, "reason": "province row before the 2022 Papua split"}]
    [result] = evaluate(_in_range_suite(with_exemptions), frame, "demo_asset", rows_dir=tmp_path)
    assert result.passed and result.metadata["exempted_count"].value == 1
    assert "Papua split" in result.metadata["exemptions"].value and "| – |" in result.metadata["exemptions"].value
    assert result.description.endswith("Exempt: 1 row(s) (province row before the 2022 Papua split).")
    assert (tmp_path / "demo_asset" / "value_in_range.exemptions.csv").exists()
    # without the exemption the same row fails
    [plain] = evaluate(_in_range_suite(), frame, "demo_asset")
    assert not plain.passed and "exemptions" not in plain.metadata


def test_explained_rows_pass_and_show_their_explanation():
    """A derived frame that explains a row instead of exempting it (`explained_by`): the row is checked as it
    is, and the explanation is listed."""
    def explained(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(explained_by=["population moved between A and B" if c == "3502" else ""
                                          for c in frame["bps_code"]])

    [outcome] = run_suite(_in_range_suite(explained), _bad_frame(0)).results
    assert outcome.passed
    assert [e["reason"] for e in outcome.exemptions] == ["population moved between A and B"]


def test_a_missing_value_in_the_message_is_a_dash():
    frame = pd.DataFrame({"bps_code": ["3501"], "year": [2024], "value": [150.0], "note": [None]})
    [result] = run_suite(_in_range_suite(), frame).results
    assert "note=–" in result.message and "None" not in result.message and "nan" not in result.message
