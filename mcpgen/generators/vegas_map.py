"""The VEGAS map y -> x(y) and its Jacobian as Numba kernels.

A transcription of ``vegas.AdaptiveMap.map`` (vegas 6.x, ``src/vegas/_vegas.pyx``; the
map of G. P. Lepage, J. Comput. Phys. 27 (1978) 192 and 439 (2021) 110386): each
direction d is mapped on its own by a piecewise-linear function whose nodes
``grid[d, i]`` sit at y = i / ninc[d],

    x[d] = grid[d, i] + inc[d, i] * (y[d] ninc[d] - i),    i = floor(y[d] ninc[d]),
    dx/dy = prod_d inc[d, i] ninc[d],

with ``inc[d, i] = grid[d, i + 1] - grid[d, i]``; for i >= ninc[d] (y = 1) the point
is put on the last node, with the last increment's Jacobian.  The arithmetic is the
same as in vegas, operation by operation and in the same order (no fused multiply-adds:
the JIT policy leaves fastmath off), so the results are bit-identical to
``AdaptiveMap.map`` for 0 <= y <= 1 (and y > 1).  It is about twice as fast as vegas's
Cython loop (the index is unsigned, so there is no wraparound test, and the point
kernel is inlined).  The kernels only read the map, so one frozen map can serve many
threads (``nogil``).

Layers (as elsewhere in mcpgen): :func:`map_point` maps one point and can be called
from other ``@jit`` code (e.g. inside an event loop); :func:`map_points` is the array
kernel with the arguments of ``AdaptiveMap.map``; :func:`map_with` is the Python
wrapper that takes an ``AdaptiveMap``.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit


@jit(nogil=True, inline="always")
def map_point(grid, inc, ninc, y, x):
    """Map one point ``y[d]`` (d < len(ninc)) into ``x[d]``; returns the Jacobian dx/dy.

    ``grid`` (dim, max ninc + 1), ``inc`` (dim, max ninc) and ``ninc`` (dim,) are the
    arrays of a ``vegas.AdaptiveMap`` (:func:`map_arrays`).  ``y`` and ``x`` are 1-d
    (e.g. rows ``y[j]``, ``x[j]``: the kernel is inlined into its caller, so the row
    views cost nothing).  Outside the domain: y > 1 goes to the last node, as in vegas;
    y < 0 (or nan) gives x = nan and a nan Jacobian, where vegas would read the grid
    with a wrapped-around (or undefined) index."""
    jac = 1.0
    for d in range(ninc.shape[0]):
        n = ninc[d]
        y_ninc = y[d] * n
        fl = math.floor(y_ninc)            # vegas: iy = <int>floor(y_ninc)
        if 0.0 <= fl < n:
            iy = np.uint64(fl)             # unsigned: no negative-index wraparound test
            x[d] = grid[d, iy] + inc[d, iy] * (y_ninc - fl)
            jac *= inc[d, iy] * n
        elif fl >= n:
            x[d] = grid[d, n]
            jac *= inc[d, n - 1] * n
        else:
            x[d] = math.nan
            jac = math.nan
    return jac


@jit(nogil=True)
def map_points(grid, inc, ninc, y, x, jac):
    """Map the points ``y[j, :]`` into ``x[j, :]`` with Jacobians ``jac[j]``, for
    j < y.shape[0]; ``x`` and ``jac`` are preallocated, as for ``AdaptiveMap.map``."""
    for j in range(y.shape[0]):
        jac[j] = map_point(grid, inc, ninc, y[j], x[j])


def map_arrays(adaptive_map):
    """(grid, inc, ninc) of a ``vegas.AdaptiveMap`` as numpy arrays (views, no copy).

    Take them once after training and pass them to the kernels: the map must not be
    adapted while they are in use."""
    return (np.asarray(adaptive_map.grid), np.asarray(adaptive_map.inc),
            np.asarray(adaptive_map.ninc))


def map_with(adaptive_map, y):
    """Map uniforms ``y`` (n, dim), 0 <= y <= 1, through ``adaptive_map`` (a
    ``vegas.AdaptiveMap``); returns ``(x, jac)``, bit-identical to
    ``adaptive_map.map(y, x, jac)``.  ``adaptive_map`` may also be a tuple
    ``(grid, inc, ninc)`` from :func:`map_arrays`."""
    grid, inc, ninc = (adaptive_map if isinstance(adaptive_map, tuple)
                       else map_arrays(adaptive_map))
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != ninc.shape[0]:
        raise ValueError(f"y must have shape (n, {ninc.shape[0]}), not {y.shape}")
    x = np.empty_like(y)
    jac = np.empty(y.shape[0])
    map_points(grid, inc, ninc, y, x, jac)
    return x, jac
