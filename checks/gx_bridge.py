"""A small bridge from data-quality suites to Great Expectations 1.x, run in memory.

`dagster-ge` only supports GX < 1.0, so this module does the part we need: build an ephemeral GX context per
validation, validate a pandas frame against a list of expectations, and turn GX's result into plain records
that name the failing rows by the columns that locate them in the source (file, row, column).

GX is imported lazily (it costs ~5 s) so the Dagster code location loads fast. This module does not import
Dagster: `checks.dagster_checks` turns a `SuiteResult` into asset check results.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Severity = Literal["ERROR", "WARN"]
MAX_EXAMPLES = 10  # rows quoted in the one-line message and logged; every failing row is in `failing_rows`
# A derived frame may carry exemptions with their reason: rows whose `exempt` is true are set aside before
# the expectation runs (they cannot fail it), rows with a reason in one of these columns are reported as an
# exemption that applied, so a reader sees which rows a rule let through and why.
EXEMPT_COLUMN = "exempt"
EXEMPTION_REASON_COLUMNS = ("exempt_reason", "explained_by")

_validation_counter = itertools.count()


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite.

    `expectation` receives the `great_expectations.expectations` module and returns an expectation, so
    that GX is only imported when a suite runs. `frame` derives the frame the expectation is checked on
    (for example per-year counts); by default the asset's own frame. A rule that compares the asset with
    another one names it in `needs`: `frame` is then called as `frame(asset_frame, *needed_frames)`, with the
    frames the asset passes to `run_suite(..., related=...)` (its own inputs). `locate` lists the columns that
    tell a person where a failing value sits (file, row, column of the published source, or the key of a row).
    """

    name: str
    expected: str  # what is expected, in words a user understands
    expectation: Callable[[Any], Any]
    severity: Severity = "ERROR"
    frame: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    locate: Sequence[str] = ("source_file", "source_row", "source_column")
    needs: Sequence[str] = ()


@dataclass(frozen=True)
class Suite:
    """The data-quality suite of one asset."""

    name: str
    rules: Sequence[Rule]


@dataclass
class RuleResult:
    rule: str
    severity: Severity
    passed: bool
    expected: str
    unexpected_count: int = 0
    checked_count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    observed: Any = None
    error: str | None = None  # the frame could not be derived / the expectation could not run
    failing_rows: list[dict[str, Any]] = field(default_factory=list)  # every failing row, located
    exemptions: list[dict[str, Any]] = field(default_factory=list)  # rows let through, with `reason`

    @property
    def message(self) -> str:
        if self.passed:
            return f"{self.rule}: ok ({self.checked_count} rows checked)"
        if self.error:
            return f"{self.rule}: could not be evaluated: {self.error}"
        where = "; ".join(_describe_location(example) for example in self.examples[:3])
        more = f" (and {self.unexpected_count - 3} more)" if self.unexpected_count > 3 else ""
        observed = f"; observed {self.observed}" if self.observed is not None and not self.examples else ""
        count = f"{self.unexpected_count} row(s) fail" if self.unexpected_count else "failed"
        return one_line(f"{self.rule}: {count}{observed}: {where}{more}. Expected: {self.expected}")


@dataclass
class SuiteResult:
    suite: str
    results: list[RuleResult]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)


def one_line(text: str) -> str:
    """A message on one line: line breaks inside quoted source text become spaces."""
    return " ".join(text.splitlines())


_LOCATION_KEYS = ("source_file", "source_row", "source_column", "region_name", "province_name", "found", "problem")


def _describe_location(example: dict[str, Any]) -> str:
    """"file F, row R, column 'C', region 'N', found 'T': problem" from a failing row's locating columns.

    `found` is the text found in the source, quoted exactly (repr: invisible characters show);
    `problem` says what is wrong with it; other columns are shown as key=value."""
    parts, problem = [], None
    described = "found" in example or "problem" in example  # a located figure: the flag columns say nothing more
    for key, value in example.items():
        if described and key not in _LOCATION_KEYS:
            continue
        if value is None and (key == "region_name" or (described and key != "found")):
            continue  # nothing to say: a file-level fault has no row, a JSON answer no region
        if key == "source_file":
            parts.insert(0, f"file {value}")
        elif key == "source_row":
            parts.append(f"row {value}")
        elif key == "source_column":
            parts.append(f"column '{value}'")
        elif key == "region_name":
            parts.append(f"region {value!r}")
        elif key == "found":
            parts.append("nothing found" if value is None else f"found {value!r}")
        elif key == "problem":
            problem = value
        else:
            parts.append(f"{key}=–" if value is None else f"{key}={value!r}")  # missing: "–", never None/nan
    text = ", ".join(parts)
    return f"{text} ({problem})" if problem else text


def _plain(value: Any) -> Any:
    """Make numpy/pandas scalars JSON-friendly for metadata."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _new_context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # offline: no usage statistics
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


_BATCHES: dict[int, tuple[Any, Any]] = {}  # process id -> (context, whole-dataframe batch definition)
_BATCHES_LOCK = threading.Lock()


def _batch_definition() -> tuple[Any, Any]:
    """One ephemeral context and one whole-dataframe batch definition per process, reused by every validation:
    declaring a data source, asset and batch definition costs about as much as the validation itself."""
    with _BATCHES_LOCK:
        if os.getpid() not in _BATCHES:  # a forked process builds its own
            context = _new_context()
            definition = (context.data_sources.add_pandas("frames").add_dataframe_asset("frame")
                          .add_batch_definition_whole_dataframe("whole"))
            _BATCHES[os.getpid()] = (context, definition)
        return _BATCHES[os.getpid()]


def prepare_context() -> None:
    """Import Great Expectations and build this process's context now, ahead of the first validation (a process
    that has a core to spare while it waits for its work: `scripts.run`'s child)."""
    _batch_definition()


def _validate_group(frame: pd.DataFrame, rules: Sequence[Rule], suite_name: str) -> list[RuleResult]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    locate = sorted({c for rule in rules for c in rule.locate if c in frame.columns})
    # GX needs a plain RangeIndex and object-friendly dtypes to report index columns.
    frame = frame.reset_index(drop=True)
    context, definition = _batch_definition()
    number = next(_validation_counter)
    batch = definition.get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=f"{suite_name}_{os.getpid()}_{number}")
    built = []
    for rule in rules:
        expectation = rule.expectation(gxe)
        built.append(expectation)
        suite.add_expectation(expectation)
    suite = context.suites.add(suite)
    result_format: dict[str, Any] = {"result_format": "COMPLETE", "partial_unexpected_count": MAX_EXAMPLES}
    if locate:
        result_format["unexpected_index_column_names"] = locate
    try:
        validation = batch.validate(suite, result_format=result_format)
    finally:
        context.suites.delete(suite.name)  # the context lives as long as the process: keep it small
    by_id = {r.expectation_config.id: r for r in validation.results}
    out = []
    for rule, expectation in zip(rules, built, strict=True):
        result = by_id.get(expectation.id)
        out.append(_rule_result(rule, result, len(frame)))
    return out


def _rule_result(rule: Rule, result: Any, n_rows: int) -> RuleResult:
    if result is None:
        return RuleResult(rule.name, rule.severity, False, rule.expected, error="no result from GX")
    info = result.result or {}
    exception = (result.exception_info or {}).get("exception_message") if result.exception_info else None
    if exception:
        return RuleResult(rule.name, rule.severity, False, rule.expected, error=str(exception)[:500])
    rows = []
    for item in info.get("unexpected_index_list") or []:
        if isinstance(item, dict):
            ordered = {c: _plain(item[c]) for c in rule.locate if c in item}
            ordered.update({k: _plain(v) for k, v in item.items() if k not in ordered})
            rows.append(ordered)
    if not rows and info.get("unexpected_list"):
        rows = [{"value": _plain(v)} for v in info["unexpected_list"]]
    if not rows and info.get("partial_unexpected_list"):
        rows = [{"value": _plain(v)} for v in info["partial_unexpected_list"]]
    examples = rows[:MAX_EXAMPLES]
    observed = info.get("observed_value")
    return RuleResult(
        rule=rule.name,
        severity=rule.severity,
        passed=bool(result.success),
        expected=rule.expected,
        unexpected_count=int(info.get("unexpected_count") or 0),
        checked_count=int(info.get("element_count") or n_rows),
        examples=examples,
        observed=_plain(observed) if not isinstance(observed, (list, dict)) else observed,
        failing_rows=rows,
    )


def exemptions_of(derived: pd.DataFrame, locate: Sequence[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """(the frame the expectation checks, the exemptions that applied): rows whose EXEMPT_COLUMN is true are
    set aside; every row with a reason (EXEMPTION_REASON_COLUMNS) is listed by its locating columns and
    `reason`."""
    reasons = [c for c in EXEMPTION_REASON_COLUMNS if c in derived.columns]
    exempt = (derived[EXEMPT_COLUMN].fillna(False).astype(bool) if EXEMPT_COLUMN in derived.columns
              else pd.Series(False, index=derived.index))
    if not reasons and not exempt.any():
        return derived, []
    reason = pd.Series(pd.NA, index=derived.index, dtype="object")
    for column in reasons:
        text = derived[column].astype("string").str.strip()
        reason = reason.where(reason.notna(), text.where(text.notna() & (text != "")))
    listed = derived[exempt | reason.notna()]
    shown = [c for c in dict.fromkeys(locate) if c in derived.columns]
    exemptions = [{**{c: _plain(row[c]) for c in shown}, "reason": _plain(reason[i]) or "exempt"}
                  for i, row in listed.iterrows()]
    return derived[~exempt], exemptions


def run_suite(suite: Suite, frame: pd.DataFrame, rules: Sequence[Rule] | None = None,
              related: Mapping[str, pd.DataFrame] | None = None) -> SuiteResult:
    """Validate `frame` against the suite's rules (or a subset), one GX batch per derived frame.

    `related`: the other frames rules name in `needs` (a missing one is a named failure of that rule)."""
    rules = list(suite.rules if rules is None else rules)
    related = related or {}
    results: dict[str, RuleResult] = {}
    groups: dict[tuple, tuple[Rule, list[Rule]]] = {}
    for rule in rules:
        groups.setdefault((id(rule.frame), tuple(rule.needs)), (rule, []))[1].append(rule)
    for first, group in groups.values():
        derive = first.frame
        try:
            needed = [related[name] for name in first.needs]
            derived = frame if derive is None else derive(frame, *needed)
        except Exception as exc:  # noqa: BLE001 - a frame that cannot be derived is itself a named failure
            for rule in group:
                results[rule.name] = RuleResult(
                    rule.name, rule.severity, False, rule.expected, error=f"{type(exc).__name__}: {exc}"
                )
            continue
        checked, exemptions = exemptions_of(derived, [c for rule in group for c in rule.locate])
        for result in _validate_group(checked, group, suite.name):
            result.exemptions = exemptions
            results[result.rule] = result
    return SuiteResult(suite.name, [results[rule.name] for rule in rules])
