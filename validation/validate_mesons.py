"""Validation of the meson channels (issue 7): branching fractions, decay kinematics,
and the LDMX vector-meson channel against seed 002.

    python validation/validate_mesons.py        # ~20 s; writes validation/report/validation_mesons.md

Fixed seeds: the numbers are reproducible.  Sections:
A. I3 and the branching fractions against ../shared/physics-notes.md section 2;
B. decay kinematics: invariant masses, four-momentum conservation, the q^2 and angular
   distributions against the formulas (KS tests, fixed seed);
C. LDMX photoproduced meson yields (2e16 EOT, 8 GeV, 0.4 X0 Al, E_rec < 0.3 E0)
   against seed 002 eq. (7);
D. the LDMX reach of the rho, omega, phi channels and their sum with the brem channel
   (95% CL, s_up = 3) against the seed 002 window (250-400 MeV, eps 1e-3 to 1.5e-3).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import integrate, stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcpgen.constants import ALPHA, M_E  # noqa: E402
from mcpgen.generators import meson_decay as K  # noqa: E402
from mcpgen.physics import mesons as M  # noqa: E402

NOTES_BR = {"rho": 4.72e-5, "omega": 7.41e-5, "phi": 2.963e-4, "jpsi": 5.971e-2,
            "psi(2S)": 7.95e-3, "Y1S": 2.39e-2, "Y2S": 1.91e-2, "Y3S": 2.18e-2,
            "pi0": 0.98823, "eta": 0.3936, "eta'": 0.02307}
NOTES_I3 = [("pi0", 1.0, 1.3393), ("pi0", 10.0, 0.38207), ("pi0", 50.0, 1.5854e-3),
            ("eta", 10.0, 0.95766), ("eta", 100.0, 0.088024), ("eta", 250.0, 1.233e-5)]
KROLL_WADA = {"pi0": 0.011851, "eta": 0.016190, "eta'": 0.017920}
SEED002_YIELDS = {"rho": 6e10, "omega": 6e9, "phi": 1e9}   # seed 002 eq. (7)


def section_a():
    rows = ["## A. Branching fractions against physics-notes section 2", "",
            "| quantity | mcpgen | notes | ratio |", "|---|---|---|---|"]
    out = {}
    for name, v in NOTES_BR.items():
        m = M.meson(name)
        label = "BR(V -> e e)" if m.kind == "vector" else "BR(P -> gamma gamma)"
        rows.append(f"| {label} {m.name} | {m.br_parent:.5g} | {v:g} | {m.br_parent / v:.5f} |")
        out[f"br_parent_{m.name}"] = m.br_parent
    for name, v in KROLL_WADA.items():
        m = M.meson(name)
        val = ALPHA * M.i3((M_E / m.mass) ** 2)
        rows.append(f"| alpha I3(m_e) {m.name} (Kroll-Wada) | {val:.6g} | {v:g} | {val / v:.6f} |")
        out[f"kroll_wada_{m.name}"] = val
    for name, mc, v in NOTES_I3:
        m = M.meson(name)
        val = M.i3((mc / m.mass) ** 2)
        rows.append(f"| I3 {m.name}, m_chi = {mc:g} MeV | {val:.6g} | {v:g} | {val / v:.5f} |")
    rho = M.meson("rho")
    rows += ["", "Line shape (rho, relativistic Breit-Wigner with the P-wave width): BR(rho -> chi "
             "chibar)/eps^2 narrow width vs averaged over the line shape:", "",
             "| m_chi (MeV) | narrow | line shape | ratio |", "|---|---|---|---|"]
    for mc in (100.0, 250.0, 300.0, 350.0, 380.0, 387.0):
        a, b = M.branching_fraction(rho, mc), M.line_shape_br(rho, mc)
        rows.append(f"| {mc:g} | {a:.4g} | {b:.4g} | {b / a:.4f} |")
        out[f"rho_line_shape_{mc:g}"] = b
    return rows, out


def _rest(p, q):
    m = np.sqrt(np.maximum(q[:, 0] ** 2 - (q[:, 1:] ** 2).sum(1), 0.0))
    b = q[:, 1:] / q[:, [0]]
    b2 = (b * b).sum(1)
    g = q[:, 0] / m
    bp = (b * p[:, 1:]).sum(1)
    return p[:, 1:] + (((g - 1) * bp / b2) - g * p[:, 0])[:, None] * b


def _tcdf(c, beta2):
    a, b = 2 - beta2, beta2
    return (a * (c + 1) + b * (c**3 + 1) / 3) / (2 * a + 2 * b / 3)


def section_b(n=200_000):
    rng = np.random.default_rng(2026)
    rows = ["## B. Decay kinematics (fixed seed, %d decays each)" % n, "",
            "| test | statistic | p-value / max deviation |", "|---|---|---|"]
    out = {}
    # V -> chi chibar, polarised about a random axis
    m_v, m_chi = 775.26, 300.0
    p = rng.uniform(100, 20000, n)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    parent = np.column_stack([np.sqrt(p**2 + m_v**2), p[:, None] * d])
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1)[:, None]
    E, px, py, pz = (np.zeros((n, 3)) for _ in range(4))
    K.vector_decays(parent, axis, True, rng.random((n, 2)), m_chi, E, px, py, pz, 0, 1, 2)
    chi = np.stack([E[:, 1], px[:, 1], py[:, 1], pz[:, 1]], 1)
    bar = np.stack([E[:, 2], px[:, 2], py[:, 2], pz[:, 2]], 1)
    dev = np.abs(chi + bar - parent).max()
    mass = np.sqrt(chi[:, 0] ** 2 - (chi[:, 1:] ** 2).sum(1))
    q = _rest(chi, parent)
    c = (q * axis).sum(1) / np.linalg.norm(q, axis=1)
    ks = stats.kstest(c, lambda x: _tcdf(x, 1 - 4 * m_chi**2 / m_v**2))
    rows += [f"| V: max |p_chi + p_chibar - p_V| (MeV) | | {dev:.2e} |",
             f"| V: max |m_chi - 300 MeV| (MeV) | | {np.abs(mass - m_chi).max():.2e} |",
             f"| V polarised: cos theta* vs 2 - beta^2 sin^2 (KS) | D = {ks.statistic:.2e} | "
             f"{ks.pvalue:.3f} |"]
    out["ks_vector_polarised"] = ks.pvalue
    # P -> gamma chi chibar (eta, m_chi = 60 MeV)
    m_p, m_chi = M.meson("eta").mass, 60.0
    x = (m_chi / m_p) ** 2
    z = K.sample_dalitz_z(K.dalitz_z_table(x), rng.random(n))
    f = lambda v: (1 - v) ** 3 * (1 + 2 * x / v) * math.sqrt(max(1 - 4 * x / v, 0)) / v  # noqa
    norm = integrate.quad(f, 4 * x, 1, limit=200)[0]
    grid = np.geomspace(4 * x, 1, 200)
    cdf = np.array([integrate.quad(f, 4 * x, g, limit=200)[0] for g in grid]) / norm
    ks_z = stats.kstest(z, lambda v: np.interp(v, grid, cdf))
    pp = rng.uniform(100, 5000, n)
    parent = np.column_stack([np.sqrt(pp**2 + m_p**2), np.zeros(n), np.zeros(n), pp])
    E, px, py, pz = (np.zeros((n, 5)) for _ in range(4))
    K.pseudoscalar_decays(parent, m_p, z, rng.random((n, 4)), m_chi, E, px, py, pz, 0, 1, 2, 3, 4)
    vec = lambda j: np.stack([E[:, j], px[:, j], py[:, j], pz[:, j]], 1)  # noqa
    gam, star, chi, bar = vec(1), vec(2), vec(3), vec(4)
    dev = np.abs(gam + chi + bar - parent).max()
    qc, qg = _rest(chi, star), _rest(gam, star)
    c = (qc * qg).sum(1) / np.linalg.norm(qc, axis=1) / np.linalg.norm(qg, axis=1)
    ks_c = stats.kstest(_tcdf(c, 1 - 4 * x / z), "uniform")
    rows += [f"| P: max |p_gamma + p_chi + p_chibar - p_P| (MeV) | | {dev:.2e} |",
             f"| P: q^2/m_P^2 vs (1-z)^3 (1+2x/z) sqrt(1-4x/z)/z (KS) | D = {ks_z.statistic:.2e} | "
             f"{ks_z.pvalue:.3f} |",
             f"| P: chi angle about the photon in the pair frame vs 2 - beta^2 sin^2 (KS) | "
             f"D = {ks_c.statistic:.2e} | {ks_c.pvalue:.3f} |"]
    out.update(ks_dalitz_z=ks_z.pvalue, ks_dalitz_angle=ks_c.pvalue)
    return rows, out


def _ldmx():
    from mcpgen.steering import load_steering

    return load_steering(ROOT / "steering" / "ldmx_2025.toml").setups[0]


def section_c():
    from mcpgen.processes.meson_decay import OMEGA, PHI, RHO, MesonSettings

    setup = _ldmx()
    src = setup.source
    rows = ["## C. LDMX photoproduced vector mesons (2e16 EOT, 8 GeV e-, 0.4 X0 Al, k >= 0.7 E0)",
            "", "Seed 002 eq. (7) (from Schuster, Toro, Zhou, PRD 105 (2022) 035036: f_brem = 0.03, "
            "P_V of eq. (6)) against mcpgen (Tsai degradation, one hard photon, Schuler-Sjostrand "
            "VMD, Glauber coherent + incoherent):", "",
            "| meson | sigma_eff = N_V/(EOT n_T L_T) (ub) | coherent share | N_V (mcpgen) | "
            "N_V (seed 002) | ratio |", "|---|---|---|---|---|---|"]
    out = {}
    for cls, key in ((RHO, "rho"), (OMEGA, "omega"), (PHI, "phi")):
        proc = cls.build(src, 1.0, MesonSettings(x_min=0.7), seed=1)
        xs = proc.integrate(1e-3, 10**7)
        sigma_v = xs.sigma / proc.br              # meson production, pb per nucleus
        n_v = sigma_v * src.exposure
        b = proc.block(0, 1 << 16, 1 << 16, False)
        coh = float((b.weight * b.coherent).sum() / b.weight.sum())
        rows.append(f"| {proc.data.name} | {sigma_v / 1e6:.4g} | {coh:.3f} | {n_v:.3g} | "
                    f"{SEED002_YIELDS[key]:.0e} | {n_v / SEED002_YIELDS[key]:.2f} |")
        out[f"N_{key}"] = n_v
    return rows, out


def section_d(masses=(250.0, 300.0, 350.0, 380.0)):
    from mcpgen.processes.lepton_nucleus import BremProcess, LeptonNucleusSettings
    from mcpgen.processes.meson_decay import OMEGA, PHI, RHO, MesonSettings

    setup = _ldmx()
    src, x_th = setup.source, setup.card.x_th
    rows = ["## D. LDMX reach of the vector-meson channels (95% CL, s_up = 3, 2e16 EOT)", "",
            "eps limit per channel and for the sum (N = sum of channels, eps^2 law); seed 002 "
            "Fig. 4: the rho channel opens 250 <~ m_chi <~ 400 MeV at eps ~ 1e-3 to 1.5e-3, where "
            "the brem channel alone reaches ~4e-3.", "",
            "| m_chi (MeV) | brem | rho | omega | phi | sum |", "|---|---|---|---|---|---|"]
    out = {}
    for m in masses:
        n1 = {}
        for name, cls in (("rho", RHO), ("omega", OMEGA), ("phi", PHI)):
            if m < cls.mass_limit(src, None):
                proc = cls.build(src, m, MesonSettings(x_min=x_th), seed=2)
                n1[name] = proc.integrate(3e-3, 10**7).sigma * src.exposure
        brem = BremProcess.build(src, m, LeptonNucleusSettings(x_min=x_th), seed=3)
        n1["brem"] = brem.integrate(3e-3, 10**7).sigma * src.exposure
        lim = {k: math.sqrt(3.0 / v) for k, v in n1.items()}
        lim["sum"] = math.sqrt(3.0 / sum(n1.values()))
        rows.append(f"| {m:g} | " + " | ".join(f"{lim[k]:.3g}" if k in lim else "closed"
                                             for k in ("brem", "rho", "omega", "phi", "sum")) + " |")
        out[f"eps_{m:g}"] = lim
    return rows, out


def main():
    t0 = time.time()
    report, data = ["# Meson channels: validation report", "",
                    "Made by `python validation/validate_mesons.py` (fixed seeds).", ""], {}
    for sec in (section_a, section_b, section_c, section_d):
        rows, out = sec()
        report += rows + [""]
        data.update(out)
        print("\n".join(rows), "\n", flush=True)
    report.append(f"Run time: {time.time() - t0:.0f} s.")
    outdir = ROOT / "validation" / "report"
    outdir.mkdir(exist_ok=True)
    (outdir / "validation_mesons.md").write_text("\n".join(report) + "\n")
    (outdir / "validation_mesons.json").write_text(json.dumps(data, indent=1, default=float))
    print(f"wrote {outdir / 'validation_mesons.md'} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
