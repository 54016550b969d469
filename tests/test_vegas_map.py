"""mcpgen.generators.vegas_map against vegas.AdaptiveMap.map: the same bits.

The maps are those mcpgen uses (7 dimensions, ninc = 200, uniform and trained the way
BremGenerator trains them: add_training_data(y, f^2) then adapt), plus one with a
different ninc in every direction.
"""

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import vegas

from mcpgen._jit import jit
from mcpgen.generators.vegas_map import map_arrays, map_point, map_points, map_with

DIM, NINC = 7, 200


def _vegas_map(m, y):
    y = np.ascontiguousarray(y, dtype=float)
    x = np.empty_like(y)
    jac = np.empty(y.shape[0])
    m.map(y, x, jac)
    return x, jac


def _same_bits(a, b):
    """Equal as bit patterns (np.array_equal would take -0.0 == 0.0)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


def _trained_map(seed=0, iterations=6, n=20000):
    """A map trained on a peaked, x[0]-singular integrand, as BremGenerator.train does."""
    rng = np.random.default_rng(seed)
    m = vegas.AdaptiveMap([[0.0, 1.0]] * DIM, ninc=NINC)
    centre = rng.random(DIM)
    for _ in range(iterations):
        y = rng.random((n, DIM))
        x, jac = _vegas_map(m, y)
        f = np.exp(-40.0 * ((x - centre) ** 2).sum(1)) / np.sqrt(x[:, 0] + 1e-6) * jac
        m.add_training_data(y, f * f)
        m.adapt(alpha=1.0)
    return m


MAPS = {
    "uniform": lambda: vegas.AdaptiveMap([[0.0, 1.0]] * DIM, ninc=NINC),
    "trained": _trained_map,
    "trained_scaled": lambda: vegas.AdaptiveMap(  # other ranges: x in [lo, hi], trained grid
        [np.asarray(_trained_map(seed=3).grid)[d] * (d + 1.5) - d for d in range(DIM)]),
    "mixed_ninc": lambda: vegas.AdaptiveMap(
        [np.sort(np.random.default_rng(d).random(n + 1)) for d, n in
         enumerate([1, 2, 7, 50, 200, 199, 333])]),
}


@pytest.fixture(params=list(MAPS), scope="module")
def amap(request):
    return MAPS[request.param]()


def _edge_points(m):
    """y = 0, nodes i/ninc and their floating-point neighbours, 1 - 2**-53 and y = 1."""
    ninc = np.asarray(m.ninc)
    cols = []
    for d in range(ninc.shape[0]):
        nodes = np.arange(ninc[d] + 1) / ninc[d]
        v = np.concatenate([nodes, np.nextafter(nodes, -1.0), np.nextafter(nodes, 2.0),
                            [0.0, 2.0**-53, 5e-324, 1 - 2.0**-53, 1 - 2.0**-52, 1.0]])
        cols.append(np.clip(v, 0.0, 1.0))
    n = max(len(c) for c in cols)
    y = np.stack([np.resize(c, n) for c in cols], 1)
    # every column also once all-zero, all-one and all-(1 - 2**-53)
    return np.concatenate([y, np.zeros((1, len(cols))), np.ones((1, len(cols))),
                           np.full((1, len(cols)), 1 - 2.0**-53), np.roll(y, 7, axis=0)])


def test_bit_identical_random(amap):
    y = np.random.default_rng(42).random((1 << 15, len(amap.ninc)))
    x0, j0 = _vegas_map(amap, y)
    x1, j1 = map_with(amap, y)
    assert _same_bits(x1, x0) and _same_bits(j1, j0)


def test_bit_identical_edges(amap):
    """y = 0 maps to the first node with the first increment's Jacobian; y = 1 (and
    rounding of y ninc up to ninc) to the last node with the last increment's."""
    y = _edge_points(amap)
    x0, j0 = _vegas_map(amap, y)
    x1, j1 = map_with(amap, y)
    assert _same_bits(x1, x0) and _same_bits(j1, j0)
    grid, inc, ninc = map_arrays(amap)
    d = np.arange(len(ninc))
    x, jac = map_with(amap, np.zeros((1, len(ninc))))
    assert _same_bits(x[0], grid[d, 0])
    assert jac[0] == pytest.approx(np.prod(inc[d, 0] * ninc), rel=1e-14)
    x, jac = map_with(amap, np.ones((1, len(ninc))))
    assert _same_bits(x[0], grid[d, ninc])


def test_beyond_one_and_below_zero(amap):
    """y > 1 goes to the last node as in vegas; y < 0 gives nan (vegas would read the
    grid at a wrapped-around index: outside the domain either way)."""
    k = len(amap.ninc)
    y = np.full((2, k), 0.5)
    y[0, 2] = 1.0 + 1e-9
    x0, j0 = _vegas_map(amap, y[:1])
    x1, j1 = map_with(amap, y)
    assert _same_bits(x1[:1], x0) and _same_bits(j1[:1], j0)
    y[1, 3] = -1e-3
    x1, j1 = map_with(amap, y)
    assert np.isnan(x1[1, 3]) and np.isnan(j1[1]) and np.all(np.isfinite(np.delete(x1[1], 3)))


def test_kernels_from_user_jit_code_and_arrays():
    """map_point inside a user's @jit loop, map_points with the arrays of map_arrays, and
    non-contiguous input to map_with all give vegas's bits."""
    m = _trained_map(seed=5, iterations=3)
    grid, inc, ninc = map_arrays(m)

    @jit
    def user_loop(grid, inc, ninc, y, x, jac):
        for j in range(y.shape[0]):
            jac[j] = map_point(grid, inc, ninc, y[j], x[j])

    y = np.random.default_rng(8).random((4000, DIM))
    x0, j0 = _vegas_map(m, y)
    x1, j1 = np.empty_like(y), np.empty(len(y))
    user_loop(grid, inc, ninc, y, x1, j1)
    assert _same_bits(x1, x0) and _same_bits(j1, j0)
    x2, j2 = np.empty_like(y), np.empty(len(y))
    map_points(grid, inc, ninc, y, x2, j2)
    assert _same_bits(x2, x0) and _same_bits(j2, j0)
    yf = np.asfortranarray(np.random.default_rng(9).random((2 * 1000, DIM)))[::2]
    x3, j3 = map_with((grid, inc, ninc), yf)
    x4, j4 = _vegas_map(m, yf)
    assert _same_bits(x3, x4) and _same_bits(j3, j4)
    with pytest.raises(ValueError, match="shape"):
        map_with(m, np.zeros((3, DIM + 1)))


def test_without_jit():
    """NUMBA_DISABLE_JIT=1 (plain Python, the debugging path) gives the same bits."""
    code = textwrap.dedent("""
        import numpy as np, vegas
        from mcpgen.generators.vegas_map import map_with
        m = vegas.AdaptiveMap([[0.0, 1.0]] * 7, ninc=200)
        y = np.random.default_rng(1).random((200, 7))
        m.add_training_data(y, np.exp(-20 * ((y - 0.4) ** 2).sum(1)))
        m.adapt(alpha=1.0)
        y = np.concatenate([y, np.zeros((1, 7)), np.ones((1, 7))])
        x0 = np.empty_like(y); j0 = np.empty(len(y)); m.map(y, x0, j0)
        x1, j1 = map_with(m, y)
        assert np.array_equal(x1.view(np.uint64), x0.view(np.uint64))
        assert np.array_equal(j1.view(np.uint64), j0.view(np.uint64))
        print("ok")
    """)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_speed_printed(capsys):
    """Speed comparison with vegas on the sampler's block size (printed, not asserted:
    the machines are shared and noisy)."""
    m = _trained_map(seed=1, iterations=3)
    arrays = map_arrays(m)
    y = np.random.default_rng(3).random((1 << 16, DIM))
    x, jac = np.empty_like(y), np.empty(len(y))
    map_points(*arrays, y, x, jac)      # compile

    def best(f, repeats=15):
        t = float("inf")
        for _ in range(repeats):
            s = time.perf_counter()
            f()
            t = min(t, time.perf_counter() - s)
        return 1e9 * t / len(y)

    t_vegas = best(lambda: m.map(y, x, jac))
    t_numba = best(lambda: map_points(*arrays, y, x, jac))
    t_wrap = best(lambda: map_with(m, y))
    with capsys.disabled():
        print(f"\nVEGAS map, {DIM} dims, ninc {NINC}, 2**16 points (best of 15): "
              f"vegas AdaptiveMap.map {t_vegas:.1f} ns/point, map_points {t_numba:.1f}, "
              f"map_with (allocating) {t_wrap:.1f}; speed-up {t_vegas / t_numba:.2f}x")
