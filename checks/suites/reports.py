"""Suites of the published outputs: files exist, are not empty, and carry no identity."""

from __future__ import annotations

from checks.gx_bridge import Rule, Suite


def manifest_suite(name: str) -> Suite:
    loc = ("path",)
    return Suite(name, [
        Rule("files_written", "every listed output file exists and is not empty",
             lambda E: E.ExpectColumnValuesToBeBetween(column="bytes", min_value=1), locate=loc),
        Rule("no_identity_columns", "no published file has an identity column (NIK, KK, name, address)",
             lambda E: E.ExpectColumnValuesToBeInSet(column="has_identity_column", value_set=[False]), locate=loc),
    ])
