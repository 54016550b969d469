"""CSDA range tables of the tracker (:mod:`mcpgen.detectors.tracker`): the per-mass range
r(beta), with R_eps = M r(beta)/eps^2 because the electronic stopping is exactly
eps^2 S_1(beta) (:mod:`mcpgen.physics.ionisation`), the delta-electron count D along the
slowing path, and the velocity window where eps^2 dE/dx_1 >= I_min."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..physics.delta_rays import delta_ray_mean_number
from ..physics.ionisation import electronic_stopping, get_material

#: velocity grid of the range tables (log-spaced); below it r ~ beta (S ~ beta)
BETA_GRID = np.logspace(-7.0, math.log10(0.99), 3000)


@dataclass(frozen=True)
class RangeTable:
    """Per-mass CSDA range r(beta) (mm/MeV: R = M r/eps^2) of one material and chi mass,
    on :data:`BETA_GRID`, with the delta count D(beta) (gas only) and dE/dx at eps = 1."""

    M: float
    ln_beta: np.ndarray
    ln_r: np.ndarray
    dedx1: np.ndarray      #: rho S_1(beta), MeV/mm
    D: np.ndarray          #: M int_0^beta nu_1 r' dbeta (dimensionless), if computed

    def r(self, beta):
        """r(beta) in mm/MeV (0 at beta = 0; r ~ beta below the grid)."""
        b = np.asarray(beta, float)
        with np.errstate(divide="ignore"):
            lb = np.log(np.maximum(b, 1e-300))
        out = np.exp(np.interp(lb, self.ln_beta, self.ln_r))
        low = lb < self.ln_beta[0]
        out = np.where(low, np.exp(self.ln_r[0] + lb - self.ln_beta[0]), out)
        return np.where(b > 0, out, 0.0)

    def beta(self, r):
        """Inverse of :meth:`r`; 0 for r <= 0."""
        r = np.asarray(r, float)
        with np.errstate(divide="ignore"):
            lr = np.log(np.maximum(r, 1e-300))
        out = np.exp(np.interp(lr, self.ln_r, self.ln_beta))
        low = lr < self.ln_r[0]
        out = np.where(low, np.exp(self.ln_beta[0] + lr - self.ln_r[0]), out)
        return np.where(r > 0, out, 0.0)

    D_spline: object = None  #: D as a cubic Hermite spline in ln r (exact slopes)

    def delta_count(self, r):
        """D at per-mass range ``r`` (0 at and below the delta threshold)."""
        r = np.asarray(r, float)
        out = np.zeros(r.shape)
        inside = r > 0.0              # D(0) = 0: stopped MCPs cost nothing
        lr = np.clip(np.log(r[inside]), self.ln_r[0], self.ln_r[-1])
        out[inside] = np.maximum(self.D_spline(lr), 0.0)
        return out

    def r_at_count(self, d):
        """Inverse of :meth:`delta_count` on its increasing part (linear in ln r)."""
        keep = np.concatenate(([True], np.diff(self.D) > 0))
        return np.exp(np.interp(d, self.D[keep], self.ln_r[keep]))


@lru_cache(maxsize=32)
def range_table(material: str, M: float, T_min: float = 0.0) -> RangeTable:
    """The :class:`RangeTable` of ``material`` for chi mass ``M`` (MeV); with T_min > 0
    also the delta count D(beta) for delta electrons above T_min.  Trapezoid rule in
    ln beta on 3000 nodes (1e-7 ... 0.99)."""
    mat = get_material(material)
    b = BETA_GRID
    g3 = (1.0 - b * b) ** -1.5
    dedx1 = electronic_stopping(b, M, 1.0, mat) * mat.density        # MeV/mm
    dr = b * g3 / dedx1                                              # dr/dbeta, mm/MeV
    lb = np.log(b)
    f = dr * b                                                       # dr/d ln beta
    r = np.concatenate(([b[0] * dr[0]], b[0] * dr[0] + np.cumsum(
        0.5 * (f[1:] + f[:-1]) * np.diff(lb))))
    D = np.zeros_like(b)
    nu = np.zeros_like(b)
    if T_min > 0:
        T = M * (1.0 / np.sqrt(1.0 - b * b) - 1.0)
        nu = delta_ray_mean_number(T_min, T, M, 1.0, mat)            # 1/mm at eps = 1
        h = M * nu * f
        D = np.concatenate(([0.0], np.cumsum(0.5 * (h[1:] + h[:-1]) * np.diff(lb))))
    from scipy.interpolate import CubicHermiteSpline

    spline = CubicHermiteSpline(np.log(r), D, M * nu * r)           # dD/dln r = M nu_1 r
    return RangeTable(float(M), lb, np.log(r), dedx1, D, spline)


def ionising_interval(table: RangeTable, eps, I_min):
    """(b_lo, b_hi) per eps: the velocities with eps^2 dE/dx_1(beta) >= I_min (b_lo = b_hi
    when never; b_hi = 1 when the threshold is below the minimum of the falling branch)."""
    e2 = np.asarray(eps, float) ** 2
    s = table.dedx1
    k = int(np.argmax(s))
    kmin = k + int(np.argmin(s[k:]))
    th = I_min / e2
    beta = np.exp(table.ln_beta)
    rise = np.maximum.accumulate(s[:k + 1])
    b_lo = np.interp(th, rise, beta[:k + 1])
    fall = s[k:kmin + 1]
    b_hi = np.interp(-th, -fall, beta[k:kmin + 1])
    b_hi = np.where(th < s[kmin], 1.0, b_hi)
    never = th > s[k]
    return np.where(never, beta[k], b_lo), np.where(never, beta[k], b_hi)


__all__ = ["RangeTable", "range_table", "ionising_interval", "BETA_GRID"]
