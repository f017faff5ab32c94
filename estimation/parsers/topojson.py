"""Reader of the kab/kota TopoJSON (data/raw/geo/kabkot_simplified_topo.json + kabkot_topo_attributes.json).

TopoJSON stores each border once, as an *arc*: a line of quantised, delta-encoded integer positions
(``[[x0, y0], [dx1, dy1], ...]``), turned into degrees by the file's ``transform``
(``lon = cumsum(dx) * scale_x + translate_x``, same for lat). A polygon ring is a list of arc indices;
index ``~i`` (= ``-i - 1``) means arc ``i`` walked backwards. Consecutive arcs share their end point.

`read_topojson_rings` decodes every geometry of one object into a long frame, one row per vertex, so the
raw layer can store and check it like any other table; `rings_to_paths` (in `estimation.charts.maps`)
turns it back into drawable shapes. Geometries are kept as published: the two ids the file splits into
several entries (``11-02``, ``53-04``) keep one row group per entry, and an entry without geometry
(``31-01`` Kepulauan Seribu, two of the ``53-04`` entries) keeps one row with no coordinates, so a check
can name it.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIN_RING_AREA", "RING_COLUMNS", "TopoRings", "decode_arcs", "read_topo_attributes", "read_topojson_rings", "ring_area",
           "ring_table"]

RING_COLUMNS = ["source_file", "feature", "topo_id", "name", "province", "geometry_type", "part", "ring",
                "arc_seq", "arc", "vertex", "lon", "lat"]

# Below this (square degrees, about 1 m2 at the equator) a ring has collapsed to a line.
MIN_RING_AREA = 1e-10


def ring_area(coords: np.ndarray) -> float:
    """Unsigned planar (shoelace) area of a ring given as an (n, 2) lon/lat array, in square degrees."""
    x, y = coords[:, 0], coords[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2.0


@dataclass(frozen=True)
class TopoRings:
    """The decoded geometries (`frame`, columns `RING_COLUMNS`) and the file's quantisation transform."""

    frame: pd.DataFrame
    scale: tuple[float, float]
    translate: tuple[float, float]
    n_arcs: int


def decode_arcs(arcs: list[list[list[int]]], transform: dict[str, Any] | None) -> list[np.ndarray]:
    """Each arc as an (n, 2) float array of lon/lat: delta decoding, then the affine transform.

    Without a transform the positions are already absolute coordinates (TopoJSON allows both).
    """
    lengths = np.array([len(arc) for arc in arcs], dtype=np.int64)
    short = np.flatnonzero(lengths < 2)
    if len(short):
        raise ValueError(f"arc {int(short[0])}: expected at least two [x, y] positions, got {int(lengths[short[0]])}")
    try:
        flat = np.array(list(itertools.chain.from_iterable(arcs)), dtype=float)
    except ValueError:  # positions with extra values (z, m) on some arcs: keep x and y
        flat = np.array([position[:2] for arc in arcs for position in arc], dtype=float)
    if flat.ndim != 2 or flat.shape[1] < 2:
        raise ValueError(f"arcs: expected [x, y] positions, got shape {flat.shape}")
    flat = flat[:, :2]
    ends = np.cumsum(lengths)
    if transform is not None:
        scale = np.asarray(transform["scale"], dtype=float)
        translate = np.asarray(transform["translate"], dtype=float)
        # delta decoding per arc: a running sum over all arcs, minus the sum at the end of the previous arc;
        # integer-valued floats below 2**53, so the sums are exact
        running = np.cumsum(flat, axis=0)
        before = np.vstack([np.zeros((1, 2)), running[ends[:-1] - 1]])
        flat = (running - np.repeat(before, lengths, axis=0)) * scale + translate
    return np.split(flat, ends[:-1])


def _ring_arcs(ring: list[int], n_arcs: int, where: str) -> list[tuple[int, bool]]:
    """(absolute arc index, reversed) for each arc reference of a ring."""
    out = []
    for ref in ring:
        if not isinstance(ref, int):
            raise TypeError(f"{where}: arc reference {ref!r} is not an integer")
        index, backwards = (~ref, True) if ref < 0 else (ref, False)
        if index >= n_arcs:
            raise ValueError(f"{where}: arc {index} does not exist (the file has {n_arcs})")
        out.append((index, backwards))
    return out


def _polygons_of(geometry: dict[str, Any]) -> list[list[list[int]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    if kind is None:
        return []
    raise ValueError(f"geometry {geometry.get('id')!r}: type {kind!r} is not a (Multi)Polygon")


def read_topojson_rings(path: Path, source_file: str, *, object_name: str = "kabkot",
                        id_key: str = "id", name_key: str = "kabkot", province_key: str = "provinsi") -> TopoRings:
    """Decode the geometries of `object_name` into one row per ring vertex.

    Columns: source_file; feature (0-based position of the entry in the file's geometry list); topo_id,
    name and province as the file has them; geometry_type ("Polygon", "MultiPolygon" or <NA> when the
    entry has no geometry); part (polygon within the entry), ring (0 = outer, 1.. = holes), arc_seq (position
    of the arc within the ring), arc (the file's arc index), vertex (position within the ring), lon, lat.
    A ring repeats the shared end point of two consecutive arcs once, and ends on its first vertex.
    An entry without geometry has one row with <NA> part/ring/vertex and NaN lon/lat.
    """
    topology = json.loads(Path(path).read_text(encoding="utf-8"))
    if topology.get("type") != "Topology":
        raise ValueError(f"{source_file}: not a TopoJSON Topology (type {topology.get('type')!r})")
    objects = topology.get("objects", {})
    if object_name not in objects:
        raise ValueError(f"{source_file}: no object {object_name!r}; objects: {sorted(objects)}")
    transform = topology.get("transform")
    arcs = decode_arcs(topology["arcs"], transform)
    # one record per run of vertices (an arc within a ring, or an empty entry), expanded with np.repeat below
    segments: list[tuple[int, tuple[Any, Any, Any, Any], Any, Any, Any, Any, int]] = []
    blocks: list[np.ndarray] = []

    def add(feature: int, props: tuple[Any, Any, Any, Any], part: Any, ring: Any, arc_seq: Any, arc: Any,
            vertices: np.ndarray, first_vertex: int) -> None:
        segments.append((feature, props, part, ring, arc_seq, arc, first_vertex))
        blocks.append(vertices)

    for feature, geometry in enumerate(objects[object_name].get("geometries", [])):
        properties = geometry.get("properties") or {}
        topo_id = geometry.get(id_key, properties.get(id_key))
        props = (topo_id, properties.get(name_key), properties.get(province_key), geometry.get("type"))
        polygons = _polygons_of(geometry)
        if not polygons:
            add(feature, props, pd.NA, pd.NA, pd.NA, pd.NA, np.full((1, 2), np.nan), -1)
            continue
        for part, polygon in enumerate(polygons):
            for ring_index, ring in enumerate(polygon):
                where = f"{source_file}: geometry {topo_id!r} (entry {feature}), part {part}, ring {ring_index}"
                vertex = 0
                previous_end: np.ndarray | None = None
                for arc_seq, (index, backwards) in enumerate(_ring_arcs(ring, len(arcs), where)):
                    points = arcs[index][::-1] if backwards else arcs[index]
                    if previous_end is not None:
                        if points[0, 0] != previous_end[0] or points[0, 1] != previous_end[1]:
                            raise ValueError(f"{where}: arc {index} does not start where the previous arc ends "
                                             f"({points[0].tolist()} vs {previous_end.tolist()})")
                        points = points[1:]  # the first point is the previous arc's last
                    previous_end = points[-1]
                    add(feature, props, part, ring_index, arc_seq, index, points, vertex)
                    vertex += len(points)
    sizes = np.array([len(b) for b in blocks], dtype=np.int64)

    def repeat(values: list[Any], dtype: str) -> pd.api.extensions.ExtensionArray:
        return pd.array(values, dtype=dtype).take(np.repeat(np.arange(len(values)), sizes))

    starts = np.repeat(np.array([seg[6] for seg in segments], dtype=np.int64), sizes)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    vertex = pd.array(starts + offsets, dtype="Int64")
    vertex[starts < 0] = pd.NA  # an entry without geometry
    points = np.concatenate(blocks) if blocks else np.empty((0, 2))
    frame = pd.DataFrame({
        "feature": repeat([seg[0] for seg in segments], "Int64"),
        "topo_id": repeat([seg[1][0] for seg in segments], "string"),
        "name": repeat([seg[1][1] for seg in segments], "string"),
        "province": repeat([seg[1][2] for seg in segments], "string"),
        "geometry_type": repeat([seg[1][3] for seg in segments], "string"),
        "part": repeat([seg[2] for seg in segments], "Int64"),
        "ring": repeat([seg[3] for seg in segments], "Int64"),
        "arc_seq": repeat([seg[4] for seg in segments], "Int64"),
        "arc": repeat([seg[5] for seg in segments], "Int64"),
        "vertex": vertex,
        "lon": points[:, 0],
        "lat": points[:, 1],
    })
    frame.insert(0, "source_file", source_file)
    for column in ("feature", "part", "ring", "arc_seq", "arc", "vertex"):
        frame[column] = frame[column].astype("Int64")
    for column in ("source_file", "topo_id", "name", "province", "geometry_type"):
        frame[column] = frame[column].astype("string")
    frame[["lon", "lat"]] = frame[["lon", "lat"]].astype(float)
    scale = tuple(transform["scale"]) if transform else (1.0, 1.0)
    translate = tuple(transform["translate"]) if transform else (0.0, 0.0)
    return TopoRings(frame[RING_COLUMNS], (float(scale[0]), float(scale[1])),
                     (float(translate[0]), float(translate[1])), len(arcs))


def read_topo_attributes(path: Path, source_file: str) -> pd.DataFrame:
    """The attribute list (``[{"id", "kabkot", "provinsi"}, ...]``): source_file, entry, topo_id, name, province."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise TypeError(f"{source_file}: expected a JSON list of records")
    frame = pd.DataFrame({
        "entry": range(len(records)),
        "topo_id": [r.get("id") for r in records],
        "name": [r.get("kabkot") for r in records],
        "province": [r.get("provinsi") for r in records],
    })
    frame.insert(0, "source_file", source_file)
    return frame.astype({"source_file": "string", "topo_id": "string", "name": "string", "province": "string"})


def ring_table(rings: pd.DataFrame) -> pd.DataFrame:
    """One row per ring of a `read_topojson_rings` frame: source_file, feature, topo_id, name, part, ring,
    vertices, closed (last vertex = first), area (`ring_area`), has_area (area > `MIN_RING_AREA`).

    The simplified file has rings that collapsed to a line (3 vertices, area 0: two of Aceh Singkil's
    entries and the only ring of Sibolga): they are closed but have nothing to draw.
    """
    drawn = rings[rings["vertex"].notna()].sort_values(["feature", "part", "ring", "vertex"], kind="stable")
    keys = [drawn[c].to_numpy("int64") for c in ("feature", "part", "ring")]
    change = np.zeros(len(drawn), dtype=bool)
    if len(drawn):
        change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(change)
    ends = np.r_[starts[1:], len(drawn)]
    coords = drawn[["lon", "lat"]].to_numpy(float)
    areas, closed = [], []
    for s, e in zip(starts, ends, strict=True):
        areas.append(ring_area(coords[s:e]))
        closed.append(bool((coords[s] == coords[e - 1]).all()))
    first = drawn.iloc[starts]
    return pd.DataFrame({
        "source_file": first["source_file"].to_numpy(), "feature": keys[0][starts], "topo_id": first["topo_id"].to_numpy(),
        "name": first["name"].to_numpy(), "part": keys[1][starts], "ring": keys[2][starts],
        "vertices": ends - starts, "closed": closed, "area": areas,
        "has_area": np.asarray(areas) > MIN_RING_AREA,
    })
