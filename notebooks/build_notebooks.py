# ruff: noqa: ISC004 - notebook cell sources are written as concatenated lines on purpose
"""Writes the analysts' notebooks from cell sources kept here (so they diff well in review).

Run: .venv/bin/python notebooks/build_notebooks.py ; the tests execute every notebook under notebooks/.
"""

import hashlib
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

PROFILE = [
    ("md", "# Profil kemiskinan kabupaten/kota\n\n"
           "Reads what the pipeline has materialised (`make run`, or *Materialize* in the Dagster UI) through Dagster "
           "itself: the same values the UI shows, loaded by the project's IO manager, nothing recomputed. Three "
           "parts: the kab/kota's figures against its province and Indonesia, the map of its province, and extreme "
           "poverty, direct survey estimate against the model. Change `KODE` to another BPS code. The instance is "
           "`DAGSTER_HOME` (default: the project's `.dagster_home`), the data `KEMISKINAN_DATA_DIR` (default "
           "`data/`)."),
    ("code", "KODE = '3517'  # Jombang\n"
             "import os, sys\nfrom pathlib import Path\n"
             "ROOT = Path.cwd() if (Path.cwd() / 'estimation').exists() else Path.cwd().parent\n"
             "sys.path.insert(0, str(ROOT))\n"
             "os.environ.setdefault('DAGSTER_HOME', str(ROOT / '.dagster_home'))\n"
             "os.environ.setdefault('DAGSTER_DISABLE_TELEMETRY', '1')\n"
             "import pandas as pd\n"
             "from dagster import AssetKey, DagsterInstance\n"
             "from pipelines.definitions import defs\n"
             "instance = DagsterInstance.get()\n\n"
             "def muat(aset, tahun=None):\n"
             "    \"\"\"The materialised value of an asset (one year's partition when `tahun` is given).\"\"\"\n"
             "    return defs.load_asset_value(aset, partition_key=None if tahun is None else str(tahun),\n"
             "                                 instance=instance)\n\n"
             "def tahun_terakhir(aset):\n"
             "    \"\"\"The latest year of an asset that has been materialised in this instance.\"\"\"\n"
             "    tahun = instance.get_materialized_partitions(AssetKey(aset))\n"
             "    assert tahun, f'{aset} has not been materialised yet: run `make run` first'\n"
             "    return int(max(tahun))"),
    ("md", "## 1. Angka kab/kota, provinsi dan Indonesia"),
    ("code", "tahun = tahun_terakhir('p0_deltas_kabkota')\n"
             "deltas = muat('p0_deltas_kabkota', tahun)\n"
             "row = deltas[deltas.bps_code == KODE].iloc[0]\n"
             "row[['name', 'year', 'p0_prev', 'p0', 'delta_p0_pp', 'poor_thousand', 'delta_poor_persons',\n"
             "     'prov_p0', 'indonesia_p0']]"),
    ("code", "if KODE == '3517':  # the Jombang figures quoted by its Bappeda\n"
             "    r = muat('p0_deltas_kabkota', 2024).set_index('bps_code').loc['3517']\n"
             "    assert (r.p0_prev, r.p0, r.delta_p0_pp) == (9.15, 8.6, -0.55)\n"
             "    assert (r.prov_p0, r.indonesia_p0) == (9.79, 9.03)"),
    ("code", "from estimation.charts.poverty import p0_trend_chart\n"
             "kab, prov = muat('p0_kabkota_validated'), muat('p0_province_validated')\n"
             "k = kab[kab.bps_code == KODE]\n"
             "p = prov[prov.bps_code == KODE[:2] + '00']\n"
             "i = prov[prov.bps_code == '0000']\n"
             "series = pd.concat([k.assign(label=k.name.iloc[0]), p.assign(label=p.name.iloc[0].title()),\n"
             "                    i.assign(label='Indonesia')])\n"
             "series = series[series.year >= 2015][['year', 'label', 'p0']].dropna()\n"
             "p0_trend_chart(series, title=f'Persentase penduduk miskin {k.name.iloc[0]}, Maret',\n"
             "               source_note='Sumber: BPS (Susenas Maret), diolah')"),
    ("md", "## 2. Peta provinsi\n\nP0 of the kab/kota of its province in the latest year, the kab/kota outlined "
           "(geometry: the `raw_kabkota_geometry` asset, 2016 borders; kab/kota without geometry are named under "
           "the map)."),
    ("code", "from estimation.charts.maps import build_map_geometry, p0_map\n"
             "geometry = build_map_geometry(muat('raw_kabkota_geometry'), muat('region_reference'))\n"
             "p0_tahun = kab[(kab.year == tahun) & kab.p0.notna()][['bps_code', 'p0']]\n"
             "assert len(p0_tahun) > 500, len(p0_tahun)\n"
             "p0_map(geometry, p0_tahun, year=tahun, area=KODE[:2], highlight=KODE)"),
    ("md", "## 3. Kemiskinan ekstrem: estimasi langsung vs model\n\nOn the synthetic Susenas sample (not an "
           "official figure): the direct estimate of each kab/kota of the province and the published model "
           "estimate (Fay-Herriot EBLUP), each with its 95% interval."),
    ("code", "from estimation.charts.sae import direct_vs_eblup_chart\n"
             "ronde = tahun_terakhir('sae_estimates')\n"
             "model = muat('sae_estimates', ronde).query(\"indicator == 'extreme'\")\n"
             "direct = muat('direct_estimates', ronde).query(\"indicator == 'extreme'\")\n"
             "both = model.merge(direct[['bps_code', 'estimate', 'ci_low', 'ci_high']], on='bps_code',\n"
             "                   suffixes=('', '_direct'))\n"
             "names = muat('region_reference').set_index('bps_code')['name']\n"
             "prov_rows = both[both.prov_code == KODE[:2]].assign(name=lambda f: f.bps_code.map(names))\n"
             "compare = pd.DataFrame({'name': prov_rows.name, 'direct': 100 * prov_rows.estimate,\n"
             "                        'direct_low': 100 * prov_rows.ci_low_direct,\n"
             "                        'direct_high': 100 * prov_rows.ci_high_direct,\n"
             "                        'eblup': 100 * prov_rows.eblup, 'eblup_low': 100 * prov_rows.ci_low,\n"
             "                        'eblup_high': 100 * prov_rows.ci_high})\n"
             "direct_vs_eblup_chart(compare, title=f'Penduduk miskin ekstrem, Maret {ronde}: langsung vs EBLUP '\n"
             "                                     '(SK 95%) — DATA SINTETIS',\n"
             "                      source_note='Sumber: sampel sintetis serupa Susenas Maret, diolah '\n"
             "                                  '(bukan angka resmi BPS)')"),
    ("code", "row = both.set_index('bps_code').loc[KODE]\n"
             "published = pd.read_parquet(Path(os.environ.get('KEMISKINAN_DATA_DIR', ROOT / 'data'))\n"
             "                            / 'outputs' / 'tables' / 'estimates_sae.parquet')\n"
             "same = published[(published.bps_code == KODE) & (published.year == ronde)\n"
             "                 & (published.indicator == 'extreme')].iloc[0]\n"
             "assert abs(same.eblup - row.eblup) < 1e-12  # the notebook reads what was published\n"
             "row[['estimate', 'eblup', 'benchmarked', 'rse', 'flag']]"),
]


SAE = [
    ("md", "# Estimasi area kecil Fay-Herriot: contoh data milk (R `sae`)\n\nThe project's `estimation.fay_herriot` "
           "on the textbook example of R `sae::eblupFH` (43 small areas, Arora & Lahiri 1997). The published R results "
           "are in `tests/data/milk_expected.json`; this notebook checks them and shows the shrinkage."),
    ("code", "from pathlib import Path\nimport sys, json\n"
             "ROOT = Path.cwd() if (Path.cwd() / 'estimation').exists() else Path.cwd().parent\n"
             "sys.path.insert(0, str(ROOT))\nimport numpy as np, pandas as pd\nimport estimation\n"
             "milk = pd.read_csv(ROOT / 'tests' / 'data' / 'milk.csv')\n"
             "X = pd.get_dummies(milk['MajorArea'].astype(str), prefix='major', drop_first=True, dtype=float)\n"
             "X.insert(0, 'intercept', 1.0)"),
    ("code", "fit = estimation.fay_herriot(milk['yi'].to_numpy(), X.to_numpy(), milk['SD'].to_numpy() ** 2,\n"
             "                             method='REML')\nprint(fit.summary())"),
    ("code", "expected = json.loads((ROOT / 'tests' / 'data' / 'milk_expected.json').read_text())['REML']\n"
             "np.testing.assert_allclose(fit.beta, expected['beta']['value'], atol=1e-4)\n"
             "np.testing.assert_allclose(fit.eblup, expected['eblup']['value'], atol=1e-4)\n"
             "'matches R sae::eblupFH (REML) at 1e-4'"),
    ("code", "table = fit.to_frame().assign(area=milk['SmallArea'])\n"
             "table['rse_direct'] = milk['CV']\n"
             "table[['area', 'direct', 'eblup', 'gamma', 'rse', 'rse_direct']].head(10)"),
]


def build(cells: list[tuple[str, str]]) -> nbf.NotebookNode:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
    for number, cell in enumerate(nb.cells):  # ids from the content: rebuilding an unchanged notebook is a no-op
        cell.id = hashlib.sha1(f"{number}:{cell.source}".encode()).hexdigest()[:8]
    return nb


if __name__ == "__main__":
    nbf.write(build(PROFILE), HERE / "profil_kabkota.ipynb")
    nbf.write(build(SAE), HERE / "estimasi_area_kecil_milk.ipynb")
