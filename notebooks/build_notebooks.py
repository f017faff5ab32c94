# ruff: noqa: ISC004 - notebook cell sources are written as concatenated lines on purpose
"""Writes the analysts' notebooks from cell sources kept here (so they diff well in review).

Run: .venv/bin/python notebooks/build_notebooks.py ; the tests execute every notebook under notebooks/.
"""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

PROFILE = [
    ("md", "# Profil kemiskinan kabupaten/kota\n\nThis notebook rebuilds the validated panel from the raw BPS files "
           "with the project's library (no Dagster needed), then shows one kab/kota against its province and "
           "Indonesia. Change `KODE` to another 2025 BPS code."),
    ("code", "KODE = '3517'  # Jombang\n"
             "from pathlib import Path\nimport sys\n"
             "ROOT = Path.cwd() if (Path.cwd() / 'estimation').exists() else Path.cwd().parent\n"
             "sys.path.insert(0, str(ROOT))\nRAW = ROOT / 'data' / 'raw'"),
    ("code", "from estimation.sources import kabkota_panel, province_panel\n"
             "from estimation.deltas import year_over_year_kabkota\n"
             "kab = kabkota_panel(RAW)\n"
             "prov = province_panel(RAW)\n"
             "deltas = year_over_year_kabkota(kab, prov)\n"
             "row = deltas[(deltas.bps_code == KODE)].sort_values('year').iloc[-1]\n"
             "row[['name', 'year', 'p0_prev', 'p0', 'delta_p0_pp', 'poor_thousand', 'delta_poor_persons',\n"
             "     'prov_p0', 'indonesia_p0']]"),
    ("code", "if KODE == '3517':  # the Jombang figures quoted by its Bappeda\n"
             "    r = deltas[(deltas.bps_code == '3517') & (deltas.year == 2024)].iloc[0]\n"
             "    assert (r.p0_prev, r.p0, r.delta_p0_pp) == (9.15, 8.6, -0.55)\n"
             "    assert (r.prov_p0, r.indonesia_p0) == (9.79, 9.03)"),
    ("code", "from estimation.charts.poverty import p0_trend_chart\n"
             "import pandas as pd\n"
             "k = kab[kab.bps_code == KODE]\n"
             "p = prov[prov.bps_code == KODE[:2] + '00']\n"
             "i = prov[prov.bps_code == '0000']\n"
             "series = pd.concat([k.assign(label=k.name.iloc[0]), p.assign(label=p.name.iloc[0].title()),\n"
             "                    i.assign(label='Indonesia')])\n"
             "series = series[series.year >= 2015][['year', 'label', 'p0']].dropna()\n"
             "fig = p0_trend_chart(series, title=f'Persentase penduduk miskin {k.name.iloc[0]}',\n"
             "                     source_note='Sumber: BPS, diolah')\nfig"),
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
    return nb


if __name__ == "__main__":
    nbf.write(build(PROFILE), HERE / "profil_kabkota.ipynb")
    nbf.write(build(SAE), HERE / "estimasi_area_kecil_milk.ipynb")
