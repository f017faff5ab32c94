"""Are two runs' published outputs the same? `python -m scripts.compare_outputs OLD_OUTPUTS NEW_OUTPUTS`.

For a refactoring that must not change a published number: CSV, PNG and SVG files byte for byte, Parquet
tables by value (exact), provenance records with what differs between any two runs set aside (run id, times,
code version). Prints one line per file and exits 1 when anything differs or is missing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd

from estimation.publication import VERSIONS

RUN_FIELDS = {"run_id", "created_at", "written_at", "code_version"}


def _provenance(path: Path) -> dict:
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in RUN_FIELDS}


def same(old: Path, new: Path) -> bool:
    if old.name.endswith(".provenance.json"):
        return _provenance(old) == _provenance(new)
    if old.suffix == ".parquet":
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(old), pd.read_parquet(new), check_exact=True)
        except AssertionError:
            return False
        return True
    return old.read_bytes() == new.read_bytes()


def published_files(folder: Path) -> set[Path]:
    """The files as readers see them: through the published folders' links (`estimation.publication`), not
    the version directories behind them."""
    found = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if d != VERSIONS]
        found |= {(Path(root) / name).relative_to(folder) for name in files}
    return found


def compare(old_dir: Path, new_dir: Path) -> list[str]:
    """One line per file under either folder: 'same', 'DIFFERENT', 'only in old' or 'only in new'."""
    old, new = published_files(old_dir), published_files(new_dir)
    lines = []
    for relative in sorted(old | new):
        if relative not in new:
            lines.append(f"only in old  {relative}")
        elif relative not in old:
            lines.append(f"only in new  {relative}")
        else:
            lines.append(f"{'same' if same(old_dir / relative, new_dir / relative) else 'DIFFERENT':<12} {relative}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    lines = compare(Path(args[0]), Path(args[1]))
    print("\n".join(lines))
    return 0 if lines and all(line.startswith("same") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
