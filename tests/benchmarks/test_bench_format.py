"""`make bench` prints `name value unit` per line: the benchmark functions run (at a tiny size) and keep the format."""

import re

from benchmarks import bench_registry, bench_sae, bench_survey

LINE = re.compile(r"^[a-z0-9_]+ -?[0-9.e+-]+ [A-Za-z%/]+$")


def _lines(rows):
    return [f"{name} {value:.4g} {unit}" for name, value, unit in rows]


def test_registry_bench_small():
    lines = _lines(bench_registry.run(20_000, pandas_rows=10_000))
    assert len(lines) == 5 and all(LINE.match(line) for line in lines), lines


def test_sae_and_survey_bench_lines_are_well_formed():
    for module in (bench_sae, bench_survey):
        lines = _lines(module.run(quick=True))
        assert lines and all(LINE.match(line) for line in lines), lines
