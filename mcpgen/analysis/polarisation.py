"""chi angular distribution in the pair rest frame and its polarisation content.

Integrated over the azimuth phi*, the chi distribution in the gamma* rest frame
(helicity frame: polar axis along the gamma* flight direction) is, for any gamma*
spin density matrix, rho_T f_T + rho_L f_L with (../shared/physics-notes.md sec. 1)
    f_T(c) = 1 + c^2 + (1 - beta^2)(1 - c^2),
    f_L(c) = 2 [(1 - c^2) + (1 - beta^2) c^2],
beta^2 = 1 - 4 m^2/k^2 (two transverse plus one longitudinal state add up to an
isotropic sum).  :func:`fit_polarisation` fits rho_L to weighted events.
"""

from __future__ import annotations

import numpy as np


def cos_theta_star(batch, *, pair=("chi", "chibar"), parent="gamma*"):
    """cos(theta*) of the first pair particle in the parent rest frame (helicity frame)
    and beta^2 of the pair, for every event of an EventBatch."""
    ip, ic = batch.index(parent), batch.index(pair[0])
    k = np.stack([batch.E[:, ip], batch.px[:, ip], batch.py[:, ip], batch.pz[:, ip]], -1)
    c = np.stack([batch.E[:, ic], batch.px[:, ic], batch.py[:, ic], batch.pz[:, ic]], -1)
    kabs = np.linalg.norm(k[:, 1:], axis=1)
    n = k[:, 1:] / kabs[:, None]
    m2 = k[:, 0] ** 2 - kabs**2
    gamma = k[:, 0] / np.sqrt(m2)
    cpar = (c[:, 1:] * n).sum(1)
    cpar_star = gamma * (cpar - kabs / k[:, 0] * c[:, 0])
    cperp2 = np.maximum((c[:, 1:] ** 2).sum(1) - cpar**2, 0.0)
    return cpar_star / np.sqrt(cpar_star**2 + cperp2), 1 - 4 * batch.mass[:, ic] ** 2 / m2


def _cdf_T(x, b2):
    return ((2 - b2) * x + b2 * x**3 / 3) / (2 * (2 - b2) + 2 * b2 / 3)


def _cdf_L(x, b2):
    return (2 * (x - x**3 / 3) + 2 * (1 - b2) * x**3 / 3) / (8 / 3 + 4 * (1 - b2) / 3)


def fit_polarisation(batch, *, beta2_max=0.8, bins=10):
    """Least-squares fit of rho_T f_T + rho_L f_L to the weighted cos(theta*) histogram of
    events with beta^2 < beta2_max (near threshold, where the shapes differ most);
    templates use every event's own beta^2.  Returns (rho_L, chi^2 p-value, bins)."""
    from scipy import stats

    c, b2 = cos_theta_star(batch)
    sel = b2 < beta2_max
    c, b2, w = c[sel], b2[sel], batch.weight[sel]
    edges = np.linspace(-1, 1, bins + 1)
    h, _ = np.histogram(c, edges, weights=w)
    h2, _ = np.histogram(c, edges, weights=w**2)
    T = np.array([np.sum(w * (_cdf_T(b, b2) - _cdf_T(a, b2))) for a, b in zip(edges[:-1], edges[1:])])
    L = np.array([np.sum(w * (_cdf_L(b, b2) - _cdf_L(a, b2))) for a, b in zip(edges[:-1], edges[1:])])
    s = np.sqrt(h2)
    A = np.stack([T, L], 1) / s[:, None]
    coef, *_ = np.linalg.lstsq(A, h / s, rcond=None)
    chi2 = float(np.sum((A @ coef - h / s) ** 2))
    return float(coef[1] / coef.sum()), float(stats.chi2.sf(chi2, bins - 2)), bins
