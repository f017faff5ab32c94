"""The rounds of an estimation run: one per year, each its own seeded synthetic population, Susenas-like sample
and estimates (`estimation.sae.workflow`), the rounds split between two processes.

A round costs about three seconds of one core (most of it generating a few million households) and rounds are
independent, so a run of several years computes half of them in a spawned worker. Each round keeps its own
seeds, so the results are the same whichever process computes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from estimation.parallel import split_between_processes
from estimation.sae.workflow import YearEstimates, estimates_from_sample, prepare_synthetic_year, sample_year

# A spawned worker costs its imports (pandas, scipy: about as much CPU as half a round), so a worker is
# started only when each process gets two rounds or more.
MIN_ROUNDS_PER_PROCESS = 2


@dataclass(frozen=True)
class Round:
    """One year to estimate: its extreme-line definition and seed (population `seed`, sample `seed + 1`,
    bootstrap `seed + 2`)."""
    year: int
    line_definition: str
    seed: int


@dataclass(frozen=True)
class RoundResult:
    sample: pd.DataFrame  # the Susenas-like households, with year and line_definition
    households: pd.DataFrame  # `household_expenditure` of the whole synthetic population
    estimates: YearEstimates


def household_expenditure(population: pd.DataFrame, year: int) -> pd.DataFrame:
    """bps_code (4-digit text, categorical: millions of rows, 514 values), year, KAPITA of every household."""
    codes = population["bps_code"].to_numpy()
    labels = np.unique(codes)
    bps_code = pd.Categorical.from_codes(np.searchsorted(labels, codes), categories=labels.astype(str))
    return pd.DataFrame({"bps_code": bps_code, "year": year, "KAPITA": population["KAPITA"].to_numpy(float)})


def estimate_round(task: Round, shared: Mapping[str, Any]) -> RoundResult:
    """One round from `shared`: panel (validated kab/kota panel), targets (published extreme rates),
    covariates (or None), n_households (sample size)."""
    panel = shared["panel"]
    synthetic = prepare_synthetic_year(panel, task.year, shared["targets"], line_definition=task.line_definition,
                                       seed=task.seed, n_households=shared["n_households"])
    sample = sample_year(synthetic, task.seed + 1)
    estimates = estimates_from_sample(synthetic, sample, panel, shared["covariates"], seed=task.seed + 2)
    return RoundResult(sample.assign(year=task.year, line_definition=task.line_definition),
                       household_expenditure(synthetic.population, task.year), estimates)


def estimate_rounds(rounds: Sequence[Round], panel: pd.DataFrame, targets: pd.DataFrame,
                    covariates: pd.DataFrame | None, *, n_households: int, workers: int = 2,
                    min_rounds_per_process: int = MIN_ROUNDS_PER_PROCESS) -> list[RoundResult]:
    """Every round, in the order given (`workers` processes, this one included)."""
    shared = {"panel": panel, "targets": targets, "covariates": covariates, "n_households": n_households}
    return split_between_processes(estimate_round, list(rounds), shared, workers=workers,
                                   min_tasks_per_process=min_rounds_per_process)
