"""Validation of the e+e- channel and the gas tracker (issue 8) against physics-notes and
seed 004.

    python validation/validate_ee.py        # ~1 min; writes validation/report/validation_ee.md

Sections:
A. Born sigma against physics-notes; ISR (full Kuraev-Fadin, leading, seed form) by
   quadrature and by the generator's Monte Carlo;
B. the reach of seed 004's Fig. 1 set-up (3 GeV, 100 fb^-1, sigma_0 = 2.1 MeV) with the
   ionisation and delta-electron cards, with and without ISR, and the luminosity
   scaling: eps limits at 100 fb^-1 and 1 ab^-1 (the seed: N ~ L eps^4, a factor 1.8 in
   eps), which the ionisation floor of the stopping power breaks.
The energy loss itself (seed eq. 6, the velocity limits, PSTAR) is
``validation/ionisation.py``.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEERING = """\
[run]
name = "validate_ee"
seed = 11
events = {events}
precision = 0.003

[physics]
process = "ee"
masses = [{masses}]
"""
SETUP = """
[[setup]]
label = "{label}"
source = "collider"
sqrt_s = "3 GeV"
luminosity = {lumi}
energy_spread = "2.1 MeV"
isr = "{isr}"
detector = "{card}"
"""


def section_a():
    from mcpgen.physics import ee_annihilation as P
    from mcpgen.processes.ee_annihilation import EEProcess

    rows = ["## A. Cross sections (eps = 1)", "",
            "| sqrt(s) | m_chi | quantity | mcpgen | reference |", "|---|---|---|---|---|"]
    for m, ref in ((1900.0, 2.460), (1990.0, 0.8105)):
        rows.append(f"| 4 GeV | {m:g} MeV | Born (nb) | {P.born_sigma_pb(4000.0, m) / 1e3:.5g} | "
                    f"{ref} (physics-notes) |")
    for model in ("kuraev-fadin", "leading", "seed"):
        q = P.sigma_isr(4000.0, 1900.0, model) / 1e3
        mc = EEProcess.xsec(eps=1.0, seed=1, precision=5e-4, sqrt_s=4000.0, mass=1900.0, isr=True,
                            isr_model=model)
        rows.append(f"| 4 GeV | 1900 MeV | with ISR, {model} (nb) | MC {mc['sigma_pb'] / 1e3:.5g} +- "
                    f"{mc['sigma_err_pb'] / 1e3:.2g} | quadrature {q:.5g} |")
    return rows


def section_b(events=5000):
    import mcpgen

    masses = (1485.0, 1490.0, 1495.0, 1498.0, 1499.5, 1501.0)
    setups = "".join(SETUP.format(label=f"{sig} {isr} L{lumi}", lumi=lumi, isr=isr, card=card)
                     for sig, card in (("ionisation", "stcf_tracker"),
                                       ("delta", "stcf_tracker_delta"))
                     for isr in ("kuraev-fadin", "none") for lumi in (100, 1000)
                     if not (isr == "none" and lumi == 1000))
    text = STEERING.format(events=events, masses=", ".join(map(str, masses))) + setups
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.toml"
        path.write_text(text)
        res = mcpgen.run(path, Path(tmp) / "out", workers=2, progress=False)
    lim = {(p.label, p.m_chi): p.eps_limit for p in res.yields}
    labels = list(dict.fromkeys(p.label for p in res.yields))
    rows = ["## B. Reach at 3 GeV, sigma_0 = 2.1 MeV (95% CL, s_up = 3; lowest excluded eps)", "",
            "| set-up | " + " | ".join(f"{m:g} MeV" for m in masses) + " |",
            "|---|" + "---|" * len(masses)]
    for lab in labels:
        rows.append(f"| {lab} | " + " | ".join(
            "no reach" if math.isnan(lim[(lab, m)]) else f"{lim[(lab, m)]:.3g}" for m in masses) + " |")
    rows += ["", "Luminosity scaling eps(100 fb^-1)/eps(1 ab^-1) (seed 004: 10^(1/4) = 1.78 for "
             "N ~ L eps^4):", ""]
    for sig in ("ionisation", "delta"):
        r = [lim[(f"{sig} kuraev-fadin L100", m)] / lim[(f"{sig} kuraev-fadin L1000", m)]
             for m in masses]
        rows.append(f"* {sig}: " + ", ".join(f"{m:g} MeV: {x:.3f}" for m, x in zip(masses, r)))
    rows += ["", "ISR effect eps(no ISR)/eps(Kuraev-Fadin ISR) at 100 fb^-1 (seed 004 Fig. 2: "
             "small; below threshold the radiative return makes slow MCPs at sqrt(s') ~ 2 m_chi):",
             ""]
    for sig in ("ionisation", "delta"):
        r = [lim[(f"{sig} none L100", m)] / lim[(f"{sig} kuraev-fadin L100", m)] for m in masses]
        rows.append(f"* {sig}: " + ", ".join(f"{m:g} MeV: {x:.3f}" for m, x in zip(masses, r)))
    return rows


def main():
    t0 = time.time()
    report = ["# e+e- channel and tracker: validation report", "",
              "Made by `python validation/validate_ee.py` (fixed seeds).", ""]
    for sec in (section_a, section_b):
        rows = sec()
        report += rows + [""]
        print("\n".join(rows), "\n", flush=True)
    report.append(f"Run time: {time.time() - t0:.0f} s.")
    out = ROOT / "validation" / "report"
    out.mkdir(exist_ok=True)
    (out / "validation_ee.md").write_text("\n".join(report) + "\n")
    print(f"wrote {out / 'validation_ee.md'} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
