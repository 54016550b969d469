"""chi e -> chi e: sigma(E_r > T) of mcpgen against independent numbers (issue 7, item 3).

Run:  python validation/scatter_xsec.py

Prints a markdown table, for a few (E, m, T) at eps = 1:

* ``T_max``: the exact two-body end point (physics-notes sec. 4);
* ``closed form``: mcpgen.physics.chi_e_scattering.sigma_window (analytic integral of the
  exact d sigma/dE_r of seed 003);
* ``quad``: scipy quadrature of d sigma/dE_r from T to T_max (independent integration);
* ``limit``: 2 pi alpha^2 / (m_e T), the leading term (physics-notes sec. 4; seed 003's
  printed pi alpha/(m_e T) is dimensionally wrong, see "Traps");
* ``notes``: the exact value physics-notes quotes (E = 1 GeV, m = 0.1 GeV, T = 1 MeV).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: (E, m, T) in MeV
CASES = [(1000.0, 100.0, 1.0), (1000.0, 1.0, 1.0), (1000.0, 500.0, 1.0), (10000.0, 100.0, 10.0),
         (400.0, 100.0, 10.0), (100000.0, 1000.0, 1000.0), (200.0, 150.0, 0.1)]
NOTES = {(1000.0, 100.0, 1.0): 2.422e-25}   # cm^2, physics-notes sec. 4


def table() -> str:
    from hepunits import cm
    from scipy.integrate import quad

    from mcpgen.physics.chi_e_scattering import dsigma_dT, recoil_T_max, sigma_limit, sigma_window

    cm2 = cm**2
    rows = ["| E [MeV] | m [MeV] | T [MeV] | T_max [MeV] | closed form [cm^2] | quad [cm^2] "
            "| closed/quad - 1 | limit [cm^2] | closed/limit | notes [cm^2] |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for E, m, T in CASES:
        t_max = float(recoil_T_max(E, m))
        exact = float(sigma_window(E, m, T)) / cm2
        f = lambda t: float(dsigma_dT(t, E, m)) / cm2  # noqa: E731
        pts = [T * 10**k for k in range(1, 12) if T * 10**k < t_max]
        num = quad(f, T, t_max, points=pts or None, epsabs=0.0, epsrel=1e-12, limit=500)[0]
        lim = float(sigma_limit(T)) / cm2
        note = NOTES.get((E, m, T))
        rows.append(f"| {E:g} | {m:g} | {T:g} | {t_max:.6g} | {exact:.6e} | {num:.6e} | "
                    f"{exact / num - 1:.1e} | {lim:.4e} | {exact / lim:.5f} | "
                    f"{'' if note is None else f'{note:.4g} ({exact / note - 1:+.1e})'} |")
    return "\n".join(rows) + "\n"


def main() -> int:
    print("## chi e -> chi e: sigma(E_r > T) at eps = 1\n")
    print(table())
    print("closed/limit - 1: the exact sigma = (2 pi alpha^2/(m_e beta^2 T)) [1 - T/T_max - "
          "beta^2 (T/T_max) ln(T_max/T) + T (T_max - T)/(2 E^2)] differs from the limit by "
          "1/beta^2 (above 1 for a slow chi) and the bracket (below 1 unless T << T_max).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
