"""The project's pure library: parsers, region matching, panels, survey and small area estimation, registry,
charts and publishing. It never imports Dagster.

The stable public API (used by notebooks and by checks outside the pipeline):

    estimation.fay_herriot(y, X, sampling_variance, method="REML")  -> FayHerriotResult
    estimation.direct_fgt(y, poverty_line, weights, domain, strata=None, psu=None, alpha=0) -> DataFrame

Both are loaded on first use, so importing a small part of the library (e.g. the parsers) stays fast.
"""

from importlib import import_module
from typing import Any

_PUBLIC = {
    "fay_herriot": "estimation.sae.fay_herriot",
    "FayHerriotResult": "estimation.sae.fay_herriot",
    "fay_herriot_arcsine": "estimation.sae.transforms",
    "direct_fgt": "estimation.survey.direct",
    "direct_poverty": "estimation.survey.direct",
}

__all__ = ["FayHerriotResult", "direct_fgt", "direct_poverty", "fay_herriot", "fay_herriot_arcsine"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'estimation' has no attribute {name!r}")
