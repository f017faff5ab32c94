"""Yearly partitions: one per Susenas March round. Dagster has no yearly class, so a cron window."""

from __future__ import annotations

from dagster import TimeWindowPartitionsDefinition

FIRST_DELTA_YEAR = "2005"  # the BPS kab/kota series start in 2004; the first change is 2004 -> 2005
FIRST_ESTIMATION_YEAR = "2022"  # first March round with a published national extreme-poverty rate to calibrate on

# end_offset=1: the current year's partition exists as soon as the year starts, because BPS releases the
# March round in July of the same year (the schedule runs after that release).
yearly_partitions = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", fmt="%Y", start=FIRST_DELTA_YEAR, end_offset=1
)
estimation_partitions = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", fmt="%Y", start=FIRST_ESTIMATION_YEAR, end_offset=1
)
