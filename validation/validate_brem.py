"""Validation of the lN -> lN chi chibar channel (issue 2, item 9).

Run:  python validation/validate_brem.py [--quick] [--out validation/report]

Writes ``validation.md`` (the tables quoted in the README) and ``validation.json``.
Each section compares mcpgen with something independent:

A. Monte Carlo cross section vs nested scipy quadrature of seed 001 eq. (10)
   (``angular="physical"``: same physical angular range and recoil limit as
   the MC; ``"published"``: eq. 8 as printed).
B. Seed 001 eq. (11) vs eq. (10) for m_chi >~ m_l ("reasonable accuracy").
C. WW (exact t_min(x, theta)) vs IWW (t_min = m^4/(4 E0^2), seed 001 eq. 9).
D. Seed 001 statements at m_chi = 200 MeV: NA64mu Q/e ~ 1e-3, NA64e ~ 1e-2, ratio ~ 9,
   through the full chain (``mcpgen run`` on steering/na64_2019.toml restricted to 200 MeV).
E. Seed 002 NA64mu window (eps ~ 1e-4 at 10 MeV to <~ 7e-4 at 150 MeV; exact tree level
   in the seed): ratio of our WW and IWW limits to the seed's statement, not tuned.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def section_a(n_points):
    from mcpgen.generators.brem import BremGenerator, BremSetup
    from mcpgen.physics.lepton_nucleus.brem_xsec import sigma_eq10
    from mcpgen.sources.materials import get_material

    rows = []
    cases = [("NA64mu", "mu-", 160e3, "Pb", [1.0, 10.0, 100.0, 1000.0]),
             ("NA64e", "e-", 100e3, "Pb", [1.0, 10.0, 100.0, 1000.0]),
             ("LDMX", "e-", 8e3, "Al", [1.0, 10.0, 100.0, 300.0, 1000.0])]
    for label, beam, E0, tgt, masses in cases:
        mat = get_material(tgt)
        for m in masses:
            s = BremSetup(beam=beam, energy=E0, material=mat, m_chi=m, x_min=0.5, method="iww")
            g = BremGenerator(s, seed=7)
            g.train()
            xs = g.integrate(n_points)
            phys = sigma_eq10(E0, m, s.lepton_mass, mat.Z, mat.A, 0.5, angular="physical")
            pub = sigma_eq10(E0, m, s.lepton_mass, mat.Z, mat.A, 0.5)
            rows.append(dict(setup=label, beam=beam, E0_GeV=E0 / 1e3, target=tgt, m_chi_MeV=m,
                             sigma_mc_pb=xs.sigma_pb, err_pb=xs.sigma_err_pb, quad_physical_pb=phys,
                             quad_published_pb=pub, pull_physical=(xs.sigma_pb - phys) / xs.sigma_err_pb,
                             mc_over_published=xs.sigma_pb / pub,
                             unweighting_efficiency=xs.efficiency))
    return rows


def section_b():
    from mcpgen.constants import M_E, M_MU
    from mcpgen.physics.lepton_nucleus.brem_xsec import sigma_eq10, sigma_eq11

    rows = []
    for label, ml, masses in [("mu- 100 GeV Pb", M_MU, [100.0, 200.0, 300.0, 500.0, 1000.0]),
                              ("e- 100 GeV Pb", M_E, [1.0, 10.0, 100.0, 200.0, 500.0])]:
        for m in masses:
            q10 = sigma_eq10(100e3, m, ml, 82, 207.2, 0.5, inelastic=False)
            q11 = sigma_eq11(100e3, m, ml, 82, 207.2)
            rows.append(dict(case=label, m_chi_MeV=m, eq10_pb=q10, eq11_pb=q11, ratio=q11 / q10))
    return rows


def section_c(n_points):
    from mcpgen.api import xsec

    rows = []
    for label, beam, E0, tgt in [("NA64mu", "mu-", 160e3, "Pb"), ("NA64e", "e-", 100e3, "Pb"),
                                 ("LDMX", "e-", 8e3, "Al")]:
        for m in [1.0, 10.0, 100.0, 1000.0]:
            a = xsec(beam=beam, energy=E0, target=tgt, mass=m, method="iww", precision=1e-6,
                     max_points=n_points)
            b = xsec(beam=beam, energy=E0, target=tgt, mass=m, method="ww", precision=1e-6,
                     max_points=n_points)
            rows.append(dict(setup=label, m_chi_MeV=m, iww_pb=a["sigma_pb"], ww_pb=b["sigma_pb"],
                             ww_over_iww=b["sigma_pb"] / a["sigma_pb"]))
    return rows


def _run_steering(path, masses, method, events, tmp):
    """Run a steering file through the full chain with its masses (and method) replaced."""
    from mcpgen.api import run
    from mcpgen.steering import load_steering, steering_from_dict

    st = load_steering(path)
    d = st.to_dict()
    d["physics"].pop("mass_scan", None)
    d["physics"]["masses"] = [float(m) for m in masses]
    if method:
        d["physics"]["method"] = method
    d["run"]["events"] = events
    st2 = steering_from_dict(d, file=str(path), base_dir=Path(path).parent)
    res = run(st2, Path(tmp) / f"{Path(path).stem}_{method}", progress=False)
    return {(p.label, p.m_chi): p for p in res.yields}


def section_d(events, tmp):
    pts = _run_steering(ROOT / "steering" / "na64_2019.toml", [200.0], None, events, tmp)
    mu = pts[("NA64mu", 200.0)].eps_limit
    e = pts[("NA64e", 200.0)].eps_limit
    return dict(m_chi_MeV=200.0, eps_na64mu=mu, eps_na64e=e, ratio=e / mu,
                seed001=dict(eps_na64mu=1e-3, eps_na64e=1e-2, ratio=9.0))


def section_e(events, tmp):
    rows = []
    seed = {10.0: 1e-4, 150.0: 7e-4}
    for method in ("ww", "iww"):
        pts = _run_steering(ROOT / "steering" / "na64mu_2025.toml", [10.0, 50.0, 100.0, 150.0], method,
                            events, tmp)
        for (label, m), p in sorted(pts.items()):
            rows.append(dict(method=method, m_chi_MeV=m, eps_limit=p.eps_limit,
                             seed002=seed.get(m), ratio_to_seed=(p.eps_limit / seed[m]) if m in seed else None))
    return rows


def _fmt(x, f=".4g"):
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, f)


def report_md(res):
    L = ["# mcpgen validation: lN -> lN chi chibar", "",
         f"Produced by `python validation/validate_brem.py{' --quick' if res['quick'] else ''}` "
         f"in {res['seconds']:.0f} s (mcpgen {res['version']}).", ""]
    L += ["## A. Monte Carlo sigma vs quadrature of seed 001 eq. (10) (x >= 0.5, eps = 1, IWW)", "",
          "| set-up | m_chi [MeV] | MC [pb] | MC error | quadrature, physical [pb] | pull | MC / eq. 10 as published |",
          "|---|---|---|---|---|---|---|"]
    for r in res["A"]:
        L.append(f"| {r['setup']} | {r['m_chi_MeV']:g} | {r['sigma_mc_pb']:.5g} | {r['err_pb'] / r['sigma_mc_pb']:.1e} | "
                 f"{r['quad_physical_pb']:.5g} | {r['pull_physical']:+.2f} | {r['mc_over_published']:.4f} |")
    L += ["", "## B. Seed 001 eq. (11) / eq. (10) (elastic flux, x >= 0.5, 100 GeV, Pb)", "",
          "| case | m_chi [MeV] | eq. 10 [pb] | eq. 11 [pb] | eq. 11 / eq. 10 |", "|---|---|---|---|---|"]
    for r in res["B"]:
        L.append(f"| {r['case']} | {r['m_chi_MeV']:g} | {r['eq10_pb']:.4g} | {r['eq11_pb']:.4g} | {r['ratio']:.3f} |")
    L += ["", "## C. WW (exact t_min) / IWW (seed 001 eq. 9 t_min), x >= 0.5", "",
          "| set-up | m_chi [MeV] | IWW [pb] | WW [pb] | WW / IWW |", "|---|---|---|---|---|"]
    for r in res["C"]:
        L.append(f"| {r['setup']} | {r['m_chi_MeV']:g} | {r['iww_pb']:.4g} | {r['ww_pb']:.4g} | {r['ww_over_iww']:.3f} |")
    d = res["D"]
    L += ["", "## D. Seed 001 at m_chi = 200 MeV (100 GeV, Pb 40 X0, 90% CL, `steering/na64_2019.toml`)", "",
          "| quantity | mcpgen | seed 001 |", "|---|---|---|",
          f"| NA64mu (MOT 5e13) eps limit | {d['eps_na64mu']:.3g} | ~1e-3 |",
          f"| NA64e (EOT 5e12, L_eff = X0) eps limit | {d['eps_na64e']:.3g} | ~1e-2 |",
          f"| ratio e/mu | {d['ratio']:.2f} | ~9 |"]
    L += ["", "## E. Seed 002 NA64mu window (160 GeV, Pb 22.5 cm, MOT 1e14, x_th = 0.5, 95% CL)", "",
          "| method | m_chi [MeV] | eps limit | seed 002 (exact tree level) | ratio |", "|---|---|---|---|---|"]
    for r in res["E"]:
        L.append(f"| {r['method']} | {r['m_chi_MeV']:g} | {r['eps_limit']:.3g} | {_fmt(r['seed002'], '.0e')} | "
                 f"{_fmt(r['ratio_to_seed'], '.2f')} |")
    return "\n".join(L) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer MC points (for CI smoke runs)")
    ap.add_argument("--out", default=str(ROOT / "validation" / "report"))
    a = ap.parse_args(argv)
    import mcpgen

    n = 100_000 if a.quick else 1_000_000
    events = 5_000 if a.quick else 50_000
    t0 = time.perf_counter()
    res = {"quick": a.quick, "version": mcpgen.__version__}
    res["A"] = section_a(n)
    res["B"] = section_b()
    res["C"] = section_c(n // 2)
    with tempfile.TemporaryDirectory() as tmp:
        res["D"] = section_d(events, tmp)
        res["E"] = section_e(events, tmp)
    res["seconds"] = time.perf_counter() - t0
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "validation.json").write_text(json.dumps(res, indent=2))
    md = report_md(res)
    (out / "validation.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
