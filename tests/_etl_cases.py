"""Shared test cases and momentum-point generators for the exact tree-level tests."""

import numpy as np

from mcpgen.constants import M_E, M_MU
from mcpgen.physics import kinematics as ek

M_PB = 193_000.0  # ~ lead nucleus mass in MeV (only enters the kinematics)
METRIC = np.array([1.0, -1.0, -1.0, -1.0])

# (lepton mass, beam energy, mass of V / chi, forward?) -- electron and muon
# beams at LDMX / NA64 energies and low energies, bremsstrahlung-like and generic
CASES_2TO3 = [
    (M_E, 100.0, 0.0, True), (M_E, 100.0, 1.0, False), (M_E, 8_000.0, 20.0, True),
    (M_E, 100_000.0, 1.0, True), (M_E, 100_000.0, 300.0, True), (M_E, 8_000.0, 300.0, False),
    (M_MU, 160_000.0, 0.0, True), (M_MU, 160_000.0, 20.0, True), (M_MU, 160_000.0, 300.0, True),
    (M_MU, 8_000.0, 300.0, False), (M_MU, 1_000.0, 50.0, False),
]
CASES_2TO4 = [
    (M_E, 100_000.0, 1.0, True), (M_E, 8_000.0, 50.0, True), (M_E, 200.0, 1.0, False),
    (M_MU, 160_000.0, 10.0, True), (M_MU, 160_000.0, 200.0, False), (M_MU, 160_000.0, 100.0, True),
]


def _ids(cases):
    return [f"{'e' if c[0] < 1 else 'mu'}-E{c[1]:g}-m{c[2]:g}-{'fwd' if c[3] else 'gen'}" for c in cases]


def _points_2to3(rng, ml, E0, mV, forward, n):
    gen = ek.forward_2to3_lab if forward else ek.random_2to3_lab
    return [gen(rng, E0, ml, M_PB, mV) for _ in range(n)]


def _points_2to4(rng, ml, E0, mc, forward, n):
    return [ek.random_2to4_lab(rng, E0, ml, M_PB, mc, forward=forward) for _ in range(n)]


def _kmass2(k1, k2, mc):
    return 2 * mc * mc + 2 * ek.onshell_dot_v(k1, mc * mc, k2, mc * mc)


def polarisations(k, mV):
    """Two transverse and (mV > 0) one longitudinal real polarisation vector."""
    k3 = k[1:]
    kn = np.linalg.norm(k3)
    n = k3 / kn
    a = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    pols = [np.array([0.0, *e1]), np.array([0.0, *e2])]
    if mV > 0:
        pols.append(np.array([kn, *(k[0] * n)]) / mV)
    return pols
