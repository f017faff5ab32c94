"""Yearly partitions derived from the data: one per Susenas March round the raw files hold.

The years come from one place, `estimation.parsers.catalog.data_years` (the year columns of the newest P0
export), and the first estimated round from the published extreme-poverty rates the synthetic population is
calibrated on. Dropping a new BPS export into `data/raw/bps` moves every partition, schedule and check with
no code change. Dagster has no yearly class, so a cron window with `%Y`, ending at the data's last year (no
empty future partition).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster import TimeWindowPartitionsDefinition

from estimation.parsers.catalog import YEARS_SOURCE, data_years, parse_source, source_path
from estimation.synthetic.targets import extreme_targets, first_target_year


@dataclass(frozen=True)
class DataCalendar:
    """The years of one `data/raw` folder."""

    years: tuple[int, ...]  # every year of the newest P0 export, ascending
    first_estimation_year: int  # first March round with a published national extreme-poverty rate

    @classmethod
    def from_raw(cls, raw_dir: str | Path) -> DataCalendar:
        raw = Path(raw_dir)
        try:
            years = data_years(raw)
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the years of data/raw/{source_path(YEARS_SOURCE, raw)}: {exc}") from exc
        if len(years) < 2:
            raise ValueError(f"data/raw/{source_path(YEARS_SOURCE, raw)}: expected a header with at least two "
                             f"year columns, found {years or 'none'}")
        targets = extreme_targets(parse_source("extreme_national", raw).cells,
                                  parse_source("extreme_province_2023", raw).cells)
        return cls(tuple(years), first_target_year(targets))

    @property
    def latest(self) -> int:
        return self.years[-1]

    def _window(self, first: int) -> TimeWindowPartitionsDefinition:
        # end_offset=1: the current year's window has not closed yet, but its March round is published in July
        return TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", fmt="%Y", start=str(first),
                                              end=str(self.latest + 1), end_offset=1)

    @property
    def delta_partitions(self) -> TimeWindowPartitionsDefinition:
        """One partition per year with a year before it: the first change is first year -> second."""
        return self._window(self.years[1])

    @property
    def estimation_partitions(self) -> TimeWindowPartitionsDefinition:
        return self._window(self.first_estimation_year)

    def has_year(self, year: int) -> bool:
        return year in self.years
