"""render_poverty_maps: the files drawn on two processes are byte for byte those of one, in task order."""

from __future__ import annotations

import pytest

from estimation.charts.export import save_figure
from estimation.charts.maps import MAP_KINDS, MapFile, markdown_thumbnail, poverty_map, render_poverty_maps
from tests.estimation.test_maps import SULTRA, geometry, reference, rings, sultra_values  # noqa: F401 - fixtures


def test_two_processes_write_the_files_of_one(geometry, tmp_path):  # noqa: F811 - the fixture
    frame = sultra_values(geometry)
    maps = {"p0": frame, "change": frame.assign(year_prev=2023), "extreme": frame, "year": 2024,
            "line_label": "USD 2,15"}
    tasks = [MapFile(f"{kind}_{SULTRA}", kind, SULTRA) for kind in ("reliability", "p0_change", "p0")]
    one = render_poverty_maps(geometry, tasks, tmp_path / "one", dpi=40, thumbnail_px=200, workers=1, **maps)
    two = render_poverty_maps(geometry, tasks, tmp_path / "two", dpi=40, thumbnail_px=200, workers=2,
                              min_maps_per_process=1, **maps)
    assert [row[0] for row in one] == [row[0] for row in two] == [task.stem for task in tasks]
    for (stem, png, svg, thumbnail), (_, png2, svg2, thumbnail2) in zip(one, two, strict=True):
        assert "/two/" in png2 and "/two/" in svg2
        with open(png, "rb") as a, open(png2, "rb") as b:
            assert a.read() == b.read(), stem
        with open(svg, "rb") as a, open(svg2, "rb") as b:
            assert a.read() == b.read(), stem
        assert thumbnail == thumbnail2
    assert len(list((tmp_path / "two").glob("*.png"))) == 3
    # and those of drawing the map here and saving it
    figure = poverty_map("p0_change", geometry, area=SULTRA, **maps)
    files = save_figure(figure, tmp_path / "direct", dpi=40)
    assert files["png"].read_bytes() == (tmp_path / "two" / f"p0_change_{SULTRA}.png").read_bytes()
    assert markdown_thumbnail(files["png"].read_bytes(), f"p0_change_{SULTRA}", width_px=200) == one[1][3]


def test_unknown_kind_is_named(geometry):  # noqa: F811 - the fixture
    with pytest.raises(ValueError, match="unknown map kind 'p1'"):
        poverty_map("p1", geometry, p0=sultra_values(geometry), change=sultra_values(geometry),
                    extreme=sultra_values(geometry), year=2024)
    assert "p1" not in MAP_KINDS
