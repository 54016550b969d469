"""Generic sampling machinery of the generators: randomised quasi-Monte Carlo nets,
replicate sizes and the unweighting threshold.

* :func:`scrambled_sobol` -- a scrambled Sobol' net of 2**bits points in [0, 1)^dim
  (Matousek's linear scramble plus a digital shift: every point is exactly uniform on
  the 2**-53 grid, independent nets give independent unbiased estimates);
* :func:`replicate_bits` -- the replicate size for a point budget;
* :func:`unweighting_threshold` -- the w_max that leaves at most a given fraction of
  the integral above it (accept with min(1, w/w_max), store max(w, w_max)/N: unbiased
  for any w_max).

The VEGAS map itself is :mod:`mcpgen.generators.vegas_map` (Numba) on top of
``vegas.AdaptiveMap`` (G. P. Lepage, J. Comput. Phys. 27 (1978) 192; 439 (2021) 110386).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

#: Sobol' direction numbers, S. Joe and F. Y. Kuo, SIAM J. Sci. Comput. 30 (2008) 2635,
#: file new-joe-kuo-6.21201: (degree s, coefficients a, initial m_1..m_s) of dimensions 2..12
#: (dimension 1 is the van der Corput sequence); tests/test_sampler_setup.py checks the net
#: against scipy.stats.qmc.Sobol
JOE_KUO = ((1, 0, (1,)), (2, 1, (1, 3)), (3, 1, (1, 3, 1)), (3, 2, (1, 1, 1)), (4, 1, (1, 1, 3, 3)),
            (4, 4, (1, 3, 5, 13)), (5, 2, (1, 1, 5, 5, 17)), (5, 4, (1, 1, 5, 5, 5)),
            (5, 7, (1, 1, 7, 11, 19)), (5, 11, (1, 1, 5, 1, 1)), (5, 13, (1, 1, 1, 3, 11)))
_U64 = np.uint64
_DIGIT_POS = np.arange(63, -1, -1, dtype=np.uint64)   # bit position of binary digit i


def replicate_bits(n_points, replicates, lo, hi) -> int:
    """log2 of the replicate size: about n_points / replicates, clipped to [2**lo, 2**hi]."""
    n = max(float(n_points) / replicates, 1.0)
    return int(min(max(math.floor(math.log2(n)), lo), hi))


@lru_cache(maxsize=None)
def direction_numbers(bits: int, dim: int) -> np.ndarray:
    """(dimension, bit) Sobol' direction numbers as 64-bit binary fractions."""
    v = np.zeros((dim, bits), np.uint64)
    for j in range(bits):
        v[0, j] = _U64(1) << _U64(63 - j)
    for d in range(1, dim):
        s, a, m0 = JOE_KUO[d - 1]
        m = list(m0)
        for j in range(s, bits):
            new = m[j - s] ^ (m[j - s] << s)
            for i in range(1, s):
                if (a >> (s - 1 - i)) & 1:
                    new ^= m[j - i] << i
            m.append(new)
        for j in range(bits):
            v[d, j] = _U64(m[j]) << _U64(63 - j)
    v.setflags(write=False)
    return v


def scrambled_sobol(gen, bits: int, dim: int) -> np.ndarray:
    """(2**bits, dim) scrambled Sobol' net, all random bits from the Generator ``gen``.

    Randomisation of Matousek (J. Complexity 14 (1998) 527): a random lower-triangular
    linear scramble of the binary digits (keeps the (t, m, s)-net property) and a
    random digital shift.  The shift makes every point uniform on the 2**-53 grid of
    [0, 1)^dim, exactly as ``gen.random()``, so the mean over a net is an unbiased
    estimate of the integral; independent nets give independent estimates.
    """
    one = _U64(1)
    top = np.iinfo(np.uint64).max
    low = (one << _DIGIT_POS) - one
    cols = (one << _DIGIT_POS)[None, :] | (gen.integers(0, top, (dim, 64), np.uint64, True) & low)
    v = direction_numbers(bits, dim)
    digits = (v[:, :, None] >> _DIGIT_POS[None, None, :]) & one             # (dim, bit, digit)
    v = np.bitwise_xor.reduce(digits * cols[:, None, :], axis=2)            # scrambled directions
    x = np.empty((1 << bits, dim), np.uint64)
    x[0] = gen.integers(0, top, dim, np.uint64, True)                # digital shift
    for j in range(bits):
        h = 1 << j
        np.bitwise_xor(x[:h], v[:, j], out=x[h:2 * h])
    u = (x >> _U64(11)).astype(np.float64)
    u *= 2.0 ** -53
    return u


def plain_mc_integrate(weights, seed, n_uniforms, rel_err, max_points, *, fraction=1e-3,
                       block_bits=14):
    """sigma by plain Monte Carlo: blocks of 2**block_bits points of ``n_uniforms``
    uniforms (purpose "integrate" of :mod:`mcpgen.rng`), ``weights(u)`` per point, until
    the relative error ``rel_err`` (at least 4 blocks) or ``max_points``; returns
    :class:`~mcpgen.framework.process.CrossSection` with the unweighting threshold that
    leaves ``fraction`` of the integral above it."""
    from .. import rng as R
    from ..framework.process import CrossSection

    ws, tot, tot2, n, b = [], 0.0, 0.0, 0, 0
    size = 1 << block_bits
    mean = err = 0.0
    while n < max_points:
        w = weights(R.block_rng(seed, "integrate", b).random((size, n_uniforms)))
        ws.append(w)
        tot += float(w.sum())
        tot2 += float((w * w).sum())
        n += size
        b += 1
        mean = tot / n
        err = math.sqrt(max(tot2 / n - mean * mean, 0.0) / n)
        if b >= 4 and mean > 0 and err <= rel_err * mean:
            break
    f = np.concatenate(ws)
    w_max = unweighting_threshold(f, fraction)
    return CrossSection(mean, err, n, w_max, mean / w_max if w_max > 0 else float("nan"),
                        int(np.count_nonzero(f)) / n)


def unweighting_threshold(f: np.ndarray, fraction: float) -> float:
    """Smallest w_max with sum(max(f - w_max, 0)) <= fraction * sum(f)."""
    f = np.sort(f[f > 0])[::-1]
    if len(f) == 0:
        return 0.0
    total = f.sum()
    # excess(w) = sum_{f_i > w} (f_i - w) is decreasing in w; scan the sorted weights
    csum = np.cumsum(f)
    i = np.arange(1, len(f) + 1)
    excess_at = csum - i * f          # excess if w_max = f[i-1]
    ok = np.flatnonzero(excess_at <= fraction * total)
    j = ok[-1]                         # largest index (smallest threshold) allowed
    return float(f[j])


