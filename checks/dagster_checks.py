"""Turn data-quality suites into Dagster asset checks.

Every rule of a suite becomes one asset check on its asset (so each shows by name in the UI). Rules of
severity ERROR are blocking: when one fails, Dagster does not run the assets downstream in that run.
The asset evaluates its own suite right after computing its value (`evaluate`), so a check never has to
reload the data and blocking takes effect inside the same run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from checks.gx_bridge import RuleResult, Suite, run_suite


def check_specs(suite: Suite, asset: str | AssetKey) -> list[AssetCheckSpec]:
    key = asset if isinstance(asset, AssetKey) else AssetKey(asset)
    return [
        AssetCheckSpec(
            name=rule.name,
            asset=key,
            description=f"{'Blocking' if rule.severity == 'ERROR' else 'Warning'}: {rule.expected}",
            blocking=rule.severity == "ERROR",
        )
        for rule in suite.rules
    ]


def _examples_markdown(result: RuleResult) -> str:
    if not result.examples:
        return "_no example rows_"
    columns = list(dict.fromkeys(c for example in result.examples for c in example))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for example in result.examples:
        lines.append("| " + " | ".join(str(example.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def to_check_result(result: RuleResult, asset: str | AssetKey) -> AssetCheckResult:
    key = asset if isinstance(asset, AssetKey) else AssetKey(asset)
    metadata = {
        "expected": MetadataValue.text(result.expected),
        "message": MetadataValue.text(result.message),
        "unexpected_count": MetadataValue.int(result.unexpected_count),
        "checked_count": MetadataValue.int(result.checked_count),
    }
    if not result.passed:
        metadata["failing_examples"] = MetadataValue.md(_examples_markdown(result))
    if result.observed is not None and isinstance(result.observed, (int, float, str)):
        metadata["observed"] = MetadataValue.text(str(result.observed))
    return AssetCheckResult(
        asset_key=key,
        check_name=result.rule,
        passed=result.passed,
        severity=AssetCheckSeverity.ERROR if result.severity == "ERROR" else AssetCheckSeverity.WARN,
        metadata=metadata,
        description=result.message[:1000],
    )


def evaluate(suite: Suite, frame: pd.DataFrame, asset: str | AssetKey, log=None,
             **related: pd.DataFrame) -> Iterator[AssetCheckResult]:
    """Run the suite on `frame` (rules that compare it with other frames get them from `related`, by the
    names in their `needs`) and yield one check result per rule; failures are logged with their message."""
    outcome = run_suite(suite, frame, related=related)
    for result in outcome.results:
        if not result.passed and log is not None:
            (log.error if result.severity == "ERROR" else log.warning)(f"[{suite.name}] {result.message}")
        yield to_check_result(result, asset)
