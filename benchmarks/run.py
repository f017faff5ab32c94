"""`make bench`: one line per benchmark, `name value unit`. Peers are measured in the same run."""

from __future__ import annotations

import importlib
import sys
import traceback

MODULES = ["benchmarks.bench_pipeline", "benchmarks.bench_survey", "benchmarks.bench_sae", "benchmarks.bench_registry",
           "benchmarks.bench_change",
           "benchmarks.bench_maps", "benchmarks.bench_profiles", "benchmarks.bench_server"]


def main(argv: list[str]) -> int:
    selected = [m for m in MODULES if not argv or any(a in m for a in argv)]
    failed = 0
    for name in selected:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"# {name}: not available ({exc})", file=sys.stderr)
            continue
        try:
            for bench, value, unit in module.run():
                print(f"{bench} {value:.4g} {unit}" if isinstance(value, float) else f"{bench} {value} {unit}",
                      flush=True)
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed += 1
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
