"""Derive, with independent numpy/scipy code (nothing from `estimation`), the values that the reference files
hold next to published ones, and write them into the "derived" section of each file.

- milk_expected.json: R sae's Fisher scoring re-run (cran/sae R/eblupFH.R: start median(vardir), stop at a
  relative change of PRECISION = 1e-4, at most 100 iterations) for REML, ML and FH: the variance where sae
  stops and its iteration count, the exact optimum (same iteration run to convergence), beta and its SE for FH
  (samplics does not publish them), and sae's loglike/AIC/BIC/KIC at sae's variance.
- eusilc_arcsin_expected.json: the exact ML optimum of the arcsine model (emdi's optimize() stops short of it)
  and the variance that reproduces emdi's published naive points (least squares over sigma2_u).
- incomedata_p0_direct_expected.json: R sae::direct(replace = FALSE) with the known domain size: estimate,
  SD = sqrt(sum w (w - 1) y^2) / N_d, CV in percent.
- cornsoybean_expected.json: REML of the nested-error model CornHec ~ CornPix + SoyBeansPix + (1 | County),
  dense, by scipy over (log sigma2_u, log sigma2_e).

    cd /work/main && .venv/bin/python tests/data/derive_references.py          # rewrite the sections
    cd /work/main && .venv/bin/python tests/data/derive_references.py --check  # compare, write nothing
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize, minimize_scalar

DATA = Path(__file__).resolve().parent
SCRIPT = "tests/data/derive_references.py"


# ---------------------------------------------------------------------------------------------- milk (R sae)
def _milk() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = pd.read_csv(DATA / "milk.csv")
    X = np.column_stack([np.ones(len(d))] + [(d.MajorArea == k).to_numpy(float) for k in (2, 3, 4)])
    return d.yi.to_numpy(), X, (d.SD**2).to_numpy()


def sae_fisher_scoring(y: np.ndarray, X: np.ndarray, vardir: np.ndarray, method: str,
                       precision: float = 1e-4, maxiter: int = 100) -> tuple[float, int]:
    """cran/sae R/eblupFH.R, line by line (dense P as there)."""
    m, p = X.shape
    A = float(np.median(vardir))
    k, diff = 0, precision + 1
    while diff > precision and k < maxiter:
        k += 1
        Vi = 1 / (A + vardir)
        XtVi = (Vi[:, None] * X).T
        Q = np.linalg.inv(XtVi @ X)
        if method == "FH":
            res = y - X @ (Q @ XtVi @ y)
            s, F = np.sum(res**2 * Vi) - (m - p), np.sum(Vi)
        else:
            P = np.diag(Vi) - XtVi.T @ Q @ XtVi
            Py = P @ y
            if method == "REML":
                s, F = -0.5 * np.trace(P) + 0.5 * Py @ Py, 0.5 * np.trace(P @ P)
            else:
                s, F = -0.5 * np.sum(Vi) + 0.5 * Py @ Py, 0.5 * np.sum(Vi**2)
        A_new = A + s / F
        diff = abs((A_new - A) / A)
        A = A_new
    return max(A, 0.0), k


def sae_fit_summary(y: np.ndarray, X: np.ndarray, vardir: np.ndarray, A: float) -> dict:
    m, p = X.shape
    Vi = 1 / (A + vardir)
    Q = np.linalg.inv((Vi[:, None] * X).T @ X)
    beta = Q @ ((Vi[:, None] * X).T @ y)
    resid = y - X @ beta
    ll = -0.5 * np.sum(np.log(2 * np.pi * (A + vardir)) + resid**2 / (A + vardir))
    return {"beta": beta.tolist(), "beta_std_error": np.sqrt(np.diag(Q)).tolist(), "loglike": ll,
            "AIC": -2 * ll + 2 * (p + 1), "BIC": -2 * ll + (p + 1) * np.log(m), "KIC": -2 * ll + 3 * (p + 1)}


def milk_derived() -> dict:
    y, X, D = _milk()
    out = {"script": SCRIPT, "about": (
        "Not published anywhere: re-derived here. sigma2_u_rsae = where R sae's Fisher scoring stops "
        "(relative change < 1e-4, start median(vardir)); sigma2_u_exact_optimum = the same iteration run to "
        "convergence; beta/SE and loglike/AIC/BIC/KIC (R sae formulas: ML likelihood at the fitted variance, "
        "p + 1 parameters) at sigma2_u_rsae.")}
    for method in ("REML", "ML", "FH"):
        a_rsae, iterations = sae_fisher_scoring(y, X, D, method)
        a_exact, _ = sae_fisher_scoring(y, X, D, method, precision=1e-15, maxiter=1000)
        s = sae_fit_summary(y, X, D, a_rsae)
        entry = {"sigma2_u_rsae": a_rsae, "rsae_iterations": iterations, "sigma2_u_exact_optimum": a_exact,
                 "goodness_Rsae_convention": {k: s[k] for k in ("loglike", "AIC", "BIC", "KIC")}}
        if method == "FH":
            entry |= {"beta": s["beta"], "beta_std_error": s["beta_std_error"]}
        out[method] = entry
    return out


# ---------------------------------------------------------------------------------------------- eusilc (emdi)
def eusilc_derived() -> dict:
    smp = pd.read_csv(DATA / "eusilcA_smpAgg.csv")
    pop = pd.read_csv(DATA / "eusilcA_popAgg.csv")
    df = pop.merge(smp.iloc[np.r_[0:30, 34:70, 74:94]], on="Domain", how="left")
    X_all = np.column_stack([np.ones(len(df)), df.eqsize, df.cash, df.self_empl])
    s = df.MTMED.notna().to_numpy()
    y, X, D = np.arcsin(np.sqrt(df.MTMED[s].to_numpy())), X_all[s], 1 / (4 * df.n[s].to_numpy())
    a_exact, _ = sae_fisher_scoring(y, X, D, "ML", precision=1e-15, maxiter=1000)
    emdi = pd.read_csv(DATA / "emdi_fh_backtransform_point.csv")["arcsin_naive_jk"].to_numpy()

    def naive(a: float) -> np.ndarray:
        Vi = 1 / (a + D)
        beta = np.linalg.solve((Vi[:, None] * X).T @ X, (Vi[:, None] * X).T @ y)
        theta = X_all @ beta
        theta[s] += a * Vi * (y - X @ beta)
        return np.sin(np.clip(theta, 0, np.pi / 2)) ** 2

    fit = minimize_scalar(lambda a: np.sum((naive(a) - emdi) ** 2), bounds=(0.5 * a_exact, 1.5 * a_exact),
                          method="bounded", options={"xatol": 1e-14})
    return {"script": SCRIPT, "about": (
        "Not published: sigma2_u_ml_exact_optimum = ML Fisher scoring of the arcsine model (y = asin(sqrt(MTMED)), "
        "vardir = 1/(4 n)) run to convergence; sigma2_u_implied_by_emdi_output = the sigma2_u whose naive "
        "back-transformed points are closest (least squares) to emdi's published ones."),
        "sigma2_u_ml_exact_optimum": a_exact, "sigma2_u_implied_by_emdi_output": float(fit.x),
        "max_abs_point_difference_at_implied": float(np.max(np.abs(naive(fit.x) - emdi)))}


# ---------------------------------------------------------------------------------------------- incomedata
def incomedata_derived() -> dict:
    inc = pd.read_csv(DATA / "incomedata.csv")
    size = pd.read_csv(DATA / "sizeprov.csv").set_index("provlab")["Nd"]
    poor = (inc["income"] < 6557.143).astype(float)
    w = inc["weight"]
    g = pd.DataFrame({"t": w * poor, "v": w * (w - 1) * poor**2, "prov": inc["provlab"]}).groupby("prov").sum()
    est = g["t"] / size.loc[g.index]
    sd = np.sqrt(g["v"]) / size.loc[g.index]
    return {"script": SCRIPT, "about": (
        "Not published (the vignette prints DIR only): R sae::direct(replace = FALSE) with domsize, "
        "estimate = sum w y / N_d, SD = sqrt(sum w (w - 1) y^2) / N_d (cran/sae R/direct.R; ignores strata "
        "and PSUs), CV = 100 SD / estimate."),
        "provinces": {p: {"direct": est[p], "SD": sd[p], "CV_pct": 100 * sd[p] / est[p]} for p in g.index}}


# ---------------------------------------------------------------------------------------------- cornsoybean
def cornsoybean_derived() -> dict:
    d = pd.read_csv(DATA / "cornsoybean.csv")
    y = d["CornHec"].to_numpy(float)
    X = np.column_stack([np.ones(len(d)), d["CornPix"], d["SoyBeansPix"]])
    Z = (d["County"].to_numpy()[:, None] == np.unique(d["County"])[None, :]).astype(float)

    def neg_reml(t: np.ndarray) -> float:
        su, se = np.exp(t)
        V = su * Z @ Z.T + se * np.eye(len(y))
        Vi = np.linalg.inv(V)
        XtViX = X.T @ Vi @ X
        P = Vi - Vi @ X @ np.linalg.solve(XtViX, X.T @ Vi)
        return 0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XtViX)[1] + y @ P @ y)

    t = minimize(neg_reml, np.log([50.0, 300.0]), method="Nelder-Mead",
                 options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 10_000}).x
    su, se = np.exp(t)
    Vi = np.linalg.inv(su * Z @ Z.T + se * np.eye(len(y)))
    Q = np.linalg.inv(X.T @ Vi @ X)
    return {"script": SCRIPT, "about": (
        "Not published: dense REML of CornHec ~ CornPix + SoyBeansPix + (1 | County) on all 37 segments; "
        "not asserted (the project has no unit-level model)."),
        "REML": {"sigma2_u": su, "sigma2_e": se, "beta": (Q @ X.T @ Vi @ y).tolist(),
                 "beta_std_error": np.sqrt(np.diag(Q)).tolist()}}


DERIVE = {"milk_expected.json": milk_derived, "eusilc_arcsin_expected.json": eusilc_derived,
          "incomedata_p0_direct_expected.json": incomedata_derived,
          "cornsoybean_expected.json": cornsoybean_derived}


def _floats(x: object) -> list[float]:
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _floats(x[k])]
    if isinstance(x, list):
        return [v for i in x for v in _floats(i)]
    return [float(x)] if isinstance(x, (int, float)) else []


def main(check: bool) -> int:
    bad = 0
    for name, derive in DERIVE.items():
        path = DATA / name
        doc = json.loads(path.read_text())
        new = json.loads(json.dumps(derive(), default=float))
        if check:
            old, now = np.array(_floats(doc.get("derived", {}))), np.array(_floats(new))
            same = old.shape == now.shape and np.allclose(old, now, rtol=1e-9, atol=0)
            print(f"{name}: {'same' if same else 'DIFFERENT'}")
            bad += not same
        else:
            doc["derived"] = new
            path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
            print(f"{name}: derived section written")
    return bad


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
