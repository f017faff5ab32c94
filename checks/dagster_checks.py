"""Turn data-quality suites into Dagster asset checks.

Every rule of a suite becomes one asset check on its asset (so each shows by name in the UI). Rules of
severity ERROR are blocking: when one fails, Dagster does not run the assets downstream in that run.
The asset evaluates its own suite right after computing its value (`evaluate`), so a check never has to
reload the data and blocking takes effect inside the same run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from checks.gx_bridge import RuleResult, Suite, run_suite
from estimation.atomic import write_with_atomic


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


MISSING = "–"  # en dash: a missing value, as BPS tables print it (never "nan" or "None")
MAX_ROWS_SHOWN = 1000  # rows of a table in the metadata; every row is in the CSV beside the outputs
REASONS_IN_DESCRIPTION = 3


def _cell(value: object) -> str:
    if value is None:
        return MISSING
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return MISSING
    except (TypeError, ValueError):
        pass
    return str(value).replace("|", "/").replace("\n", " ")


def rows_markdown(rows: list[dict], what: str, csv_name: str | None = None) -> str:
    """Every row (up to MAX_ROWS_SHOWN) as a markdown table, missing values as "–"."""
    if not rows:
        return f"_no {what}_"
    columns = list(dict.fromkeys(c for row in rows for c in row))
    shown = rows[:MAX_ROWS_SHOWN]
    if len(rows) > len(shown):
        where = f": all of them in {csv_name}" if csv_name else ""
        head = f"{len(rows):,} {what}; the first {len(shown):,} shown{where}."
    else:
        head = f"{len(rows):,} {what}, all shown."
    lines = [head, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in shown]
    return "\n".join(lines)


def _write_rows(rows: list[dict], path: Path) -> None:
    """All rows as CSV (UTF-8, missing values empty), atomically; no rows: no file (a stale one is removed)."""
    if not rows:
        path.unlink(missing_ok=True)
        return
    frame = pd.DataFrame(rows)
    write_with_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, na_rep=""))


def _reasons(result: RuleResult) -> str:
    reasons = list(dict.fromkeys(str(e.get("reason")) for e in result.exemptions))
    more = f"; and {len(reasons) - REASONS_IN_DESCRIPTION} other reason(s)" if len(reasons) > REASONS_IN_DESCRIPTION else ""
    return "; ".join(reasons[:REASONS_IN_DESCRIPTION]) + more


def to_check_result(result: RuleResult, asset: str | AssetKey, rows_dir: str | Path | None = None
                    ) -> AssetCheckResult:
    """The rule's result as Dagster shows it: the message, every failing row (a table, and a CSV under
    `rows_dir/<asset>/` when given), and the rows an exemption let through with its reason."""
    key = asset if isinstance(asset, AssetKey) else AssetKey(asset)
    metadata = {
        "expected": MetadataValue.text(result.expected),
        "message": MetadataValue.text(result.message),
        "unexpected_count": MetadataValue.int(result.unexpected_count),
        "checked_count": MetadataValue.int(result.checked_count),
    }
    folder = Path(rows_dir, *key.path) if rows_dir is not None else None
    failing_csv = folder / f"{result.rule}.failing_rows.csv" if folder else None
    exempt_csv = folder / f"{result.rule}.exemptions.csv" if folder else None
    failing = [] if result.passed else (result.failing_rows or result.examples)
    if failing_csv is not None and exempt_csv is not None:
        _write_rows(failing, failing_csv)
        _write_rows(result.exemptions, exempt_csv)
    if failing:
        metadata["failing_rows"] = MetadataValue.md(rows_markdown(failing, "failing row(s)",
                                                                  failing_csv.name if failing_csv else None))
        if failing_csv is not None:
            metadata["failing_rows_file"] = MetadataValue.path(str(failing_csv))
    description = result.message
    if result.exemptions:
        metadata["exempted_count"] = MetadataValue.int(len(result.exemptions))
        metadata["exemptions"] = MetadataValue.md(rows_markdown(result.exemptions, "row(s) exempt, with the reason",
                                                                exempt_csv.name if exempt_csv else None))
        if exempt_csv is not None:
            metadata["exemptions_file"] = MetadataValue.path(str(exempt_csv))
        description += f" Exempt: {len(result.exemptions):,} row(s) ({_reasons(result)})."
    if result.observed is not None and isinstance(result.observed, (int, float, str)):
        metadata["observed"] = MetadataValue.text(str(result.observed))
    return AssetCheckResult(
        asset_key=key,
        check_name=result.rule,
        passed=result.passed,
        severity=AssetCheckSeverity.ERROR if result.severity == "ERROR" else AssetCheckSeverity.WARN,
        metadata=metadata,
        description=description[:1000],
    )


def evaluate(suite: Suite, frame: pd.DataFrame, asset: str | AssetKey, log=None, rows_dir: str | Path | None = None,
             **related: pd.DataFrame) -> Iterator[AssetCheckResult]:
    """Run the suite on `frame` (rules that compare it with other frames get them from `related`, by the
    names in their `needs`) and yield one check result per rule; failures are logged with their message.
    `rows_dir`: where every failing row and exemption is written as CSV (`ProjectPaths.check_rows()`)."""
    outcome = run_suite(suite, frame, related=related)
    for result in outcome.results:
        if not result.passed and log is not None:
            (log.error if result.severity == "ERROR" else log.warning)(f"[{suite.name}] {result.message}")
        yield to_check_result(result, asset, rows_dir)
