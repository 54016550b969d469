"""Kernel efficiency of the bremsstrahlung sampler (issue 6, item 10).

Measures, side by side in one process, events per second of

* ``sampler``: the real WW weighted sampler, ``BremGenerator(...).generate(n)``
  (numpy block draws, VEGAS map, :func:`mcpgen.generators.brem_kernels.brem_events`,
  output arrays and the EventBatch), for NA64mu: 160 GeV mu- on a Pb target
  40 X0 long (seed 002), m_chi = 100 MeV, x_min = 0.5, source "target";
* ``bare_numba``: a bare Numba kernel that draws the same uniforms per point
  (N_DIM + 1 + N_AUX = 12, from a PCG64 ``numpy.random.Generator`` per block, as
  the sampler) and writes the same output arrays (weight, 4 x 7 momentum
  components, depth, beam energy, point index), doing no physics;
* ``bare_numpy``: the same bare kernel fed numpy block draws of the sampler's
  shapes, ``(BLOCK_SIZE, N_DIM + 1)`` and ``(BLOCK_SIZE, N_AUX)``;

and the ratios sampler/bare_numba and sampler/bare_numpy (the kernel
efficiency: the fraction of the throughput left after the physics).

Compilation and VEGAS training are excluded (warm-up runs first).  Each
figure is the best of ``repeats`` interleaved runs: the machines are shared
and noisy, and only ratios measured in one run are meaningful.

``python -m mcpgen.bench_kernel [n_events]`` prints the figures.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import rng as _rng
from ._jit import jit
from .generators import brem_kernels as K

#: particles per event in the output arrays (l, N, l', N', gamma*, chi, chibar)
_NPART = 7


@jit(nogil=True)
def _bare_store(u, i, j, out_w, out_E, out_px, out_py, out_pz, out_vz, out_eb, out_idx):
    """Write 31 output numbers built from the point's 12 uniforms ``u`` into row ``j``."""
    out_w[j] = u[0]
    out_idx[j] = i
    out_vz[j] = u[1]
    out_eb[j] = u[2]
    for p in range(_NPART):
        out_E[j, p] = u[p]
        out_px[j, p] = u[p + 1]
        out_py[j, p] = u[p + 2]
        out_pz[j, p] = u[p + 3]


@jit(nogil=True)
def bare_numba_kernel(gen, n, start, out_w, out_E, out_px, out_py, out_pz, out_vz, out_eb,
                      out_idx):
    """Draw 12 uniforms per point from ``gen`` in Numba and write them as one event per
    point from row ``start`` on; returns the number of events written."""
    u = np.empty(K.N_DIM + 1 + K.N_AUX)
    m = min(n, out_w.shape[0] - start)
    for i in range(m):
        for c in range(u.shape[0]):
            u[c] = gen.random()
        _bare_store(u, i, start + i, out_w, out_E, out_px, out_py, out_pz, out_vz, out_eb,
                    out_idx)
    return m


@jit(nogil=True)
def bare_numpy_kernel(ys, rs, start, out_w, out_E, out_px, out_py, out_pz, out_vz, out_eb,
                      out_idx):
    """Write one event per point of the numpy draws ``ys`` (n, N_DIM + 1) and ``rs``
    (n, N_AUX) from row ``start`` on; returns the number of events written."""
    u = np.empty(K.N_DIM + 1 + K.N_AUX)
    nd = ys.shape[1]
    m = min(ys.shape[0], out_w.shape[0] - start)
    for i in range(m):
        for c in range(nd):
            u[c] = ys[i, c]
        for c in range(rs.shape[1]):
            u[nd + c] = rs[i, c]
        _bare_store(u, i, start + i, out_w, out_E, out_px, out_py, out_pz, out_vz, out_eb,
                    out_idx)
    return m


def _outputs(n):
    return (np.empty(n), np.empty((n, _NPART)), np.empty((n, _NPART)), np.empty((n, _NPART)),
            np.empty((n, _NPART)), np.empty(n), np.empty(n), np.empty(n, np.int64))


def _run_bare_numba(n, seed=2024):
    out = _outputs(n)
    have = b = 0
    while have < n:
        gen = _rng.block_rng(seed, "bench", b)
        have += bare_numba_kernel(gen, min(_rng.BLOCK_SIZE, n - have), have, *out)
        b += 1
    return out


def _run_bare_numpy(n, seed=2024):
    out = _outputs(n)
    have = b = 0
    while have < n:
        gen = _rng.block_rng(seed, "bench", b)
        ys = gen.random((_rng.BLOCK_SIZE, K.N_DIM + 1))
        rs = gen.random((_rng.BLOCK_SIZE, K.N_AUX))
        have += bare_numpy_kernel(ys, rs, have, *out)
        b += 1
    return out


def na64mu_generator(seed=2024):
    """The NA64mu WW set-up, trained and integrated as for event generation."""
    from .generators.brem import BremGenerator, BremSetup
    from .sources.materials import get_material

    pb = get_material("Pb")
    s = BremSetup(beam="mu-", energy=160e3, material=pb, m_chi=100.0, x_min=0.5, method="ww",
                  source="target", length=40 * pb.X0)
    g = BremGenerator(s, seed=seed)
    g.train()
    g.integrate(200_000)
    return g


def _best(runs, repeats):
    """Best wall and CPU (process) time of each run, interleaved ``repeats`` times."""
    wall = {k: float("inf") for k in runs}
    cpu = dict(wall)
    for _ in range(repeats):
        for k, f in runs.items():
            t, c = time.perf_counter(), time.process_time()
            f()
            wall[k] = min(wall[k], time.perf_counter() - t)
            cpu[k] = min(cpu[k], time.process_time() - c)
    return wall, cpu


def kernel_efficiency(n_events: int = 1_000_000, repeats: int = 5) -> dict:
    """Events/s of the WW weighted sampler and of the two bare kernels, and the ratios.

    Returns a dict with

    * ``sampler``, ``bare_numba``, ``bare_numpy``: events per wall second (best of
      ``repeats`` interleaved runs of ``n_events`` events), ``ratio_numba`` = sampler /
      bare_numba and ``ratio_numpy`` = sampler / bare_numpy (the figures of the issue);
      the same per CPU second of the process under ``cpu``;
    * ``kernel``, ``bare_kernel``, ``ratio_kernel``: kernels alone on one pre-drawn block
      (the sampler's own mapped draws), brem_events against bare_numpy_kernel, without
      the draws, the VEGAS map and the output allocation; ``weights_ns_per_point`` and
      ``events_ns_per_event``: brem_weights and brem_events on that block (their
      difference is the event construction: recoil, pair decay, output);
    * ``ns_per_event``: where the sampler's CPU time goes (draws + VEGAS map in
      ``BremGenerator._uniforms``, brem_events fed those, including the first touch of
      the output pages, and the rest of ``generate``), each the best of ``repeats``
      more runs;
    * ``n_events``.
    """
    g = na64mu_generator()
    runs = {
        "sampler": lambda: g.generate(n_events),
        "bare_numba": lambda: _run_bare_numba(n_events),
        "bare_numpy": lambda: _run_bare_numpy(n_events),
    }
    for f in runs.values():   # warm-up: compilation, page faults
        f()
    wall, cpu = _best(runs, repeats)
    res = {k: n_events / v for k, v in wall.items()}
    res["ratio_numba"] = res["sampler"] / res["bare_numba"]
    res["ratio_numpy"] = res["sampler"] / res["bare_numpy"]
    c = {k: n_events / v for k, v in cpu.items()}
    c["ratio_numba"] = c["sampler"] / c["bare_numba"]
    c["ratio_numpy"] = c["sampler"] / c["bare_numpy"]
    res["cpu"] = c

    # kernels alone on one block of the sampler's own (mapped) draws
    ys, jac, rs = g._uniforms(0)
    nb = ys.shape[0]
    out = _outputs(nb)
    reps = max(1, n_events // nb)
    par, w_max = g._par, g.xsec.w_max
    kept = [0]

    def kernel():
        for _ in range(reps):
            kept[0] = K.brem_events(ys, jac, rs, par, w_max, False, 0, *out)[0]

    def bare():
        for _ in range(reps):
            bare_numpy_kernel(ys, rs, 0, *out)

    w = np.empty(nb)

    def weights():
        for _ in range(reps):
            K.brem_weights(ys, rs, par, w)

    kwall, kcpu = _best({"kernel": kernel, "bare_kernel": bare, "weights": weights}, repeats)
    # the weights alone (brem_weights, same points) and what the event construction adds
    res["weights_ns_per_point"] = 1e9 * kwall["weights"] / (reps * nb)
    res["events_ns_per_event"] = 1e9 * kwall["kernel"] / (reps * kept[0])
    res["kernel"] = reps * kept[0] / kwall["kernel"]
    res["bare_kernel"] = reps * nb / kwall["bare_kernel"]
    res["ratio_kernel"] = res["kernel"] / res["bare_kernel"]
    c["kernel"] = reps * kept[0] / kcpu["kernel"]
    c["bare_kernel"] = reps * nb / kcpu["bare_kernel"]
    c["ratio_kernel"] = c["kernel"] / c["bare_kernel"]

    # where the sampler's time goes (best of ``repeats`` runs for each part)
    best_parts = {"draws_and_map": float("inf"), "brem_events": float("inf"),
                  "rest_of_generate": float("inf")}
    spent = {}
    uniforms = g._uniforms
    events = K.brem_events

    def timed_uniforms(b):
        t = time.process_time()
        r = uniforms(b)
        spent["draws_and_map"] += time.process_time() - t
        return r

    def timed_events(*a):
        t = time.process_time()
        r = events(*a)
        spent["brem_events"] += time.process_time() - t
        return r

    g._uniforms = timed_uniforms
    K.brem_events = timed_events
    try:
        for _ in range(repeats):
            spent.update(draws_and_map=0.0, brem_events=0.0)
            t = time.process_time()
            g.generate(n_events)
            spent["rest_of_generate"] = (time.process_time() - t - spent["draws_and_map"]
                                         - spent["brem_events"])
            for k, v in spent.items():
                best_parts[k] = min(best_parts[k], v)
    finally:
        del g._uniforms
        K.brem_events = events
    spent = best_parts
    res["ns_per_event"] = {k: 1e9 * v / n_events for k, v in spent.items()}
    res["n_events"] = n_events
    return res


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(float(argv[0])) if argv else 1_000_000
    r = kernel_efficiency(n)
    c = r["cpu"]
    print(f"kernel efficiency, NA64mu WW weighted, {n} events (best of 5 interleaved runs, "
          "one thread); events/s per wall second (per CPU second)")
    print(f"  sampler (BremGenerator.generate)   {r['sampler']:.4g}  ({c['sampler']:.4g})")
    print(f"  bare kernel, Numba draws           {r['bare_numba']:.4g}  ({c['bare_numba']:.4g})")
    print(f"  bare kernel, numpy block draws     {r['bare_numpy']:.4g}  ({c['bare_numpy']:.4g})")
    print(f"  sampler / bare (Numba draws)       {r['ratio_numba']:.3f}  ({c['ratio_numba']:.3f})")
    print(f"  sampler / bare (numpy draws)       {r['ratio_numpy']:.3f}  ({c['ratio_numpy']:.3f})")
    print(f"  kernels alone on one block: brem_events {r['kernel']:.4g} ({c['kernel']:.4g}), "
          f"bare {r['bare_kernel']:.4g} ({c['bare_kernel']:.4g}), ratio {r['ratio_kernel']:.3f} "
          f"({c['ratio_kernel']:.3f})")
    print(f"  on that block: brem_weights {r['weights_ns_per_point']:.0f} ns/point, brem_events "
          f"{r['events_ns_per_event']:.0f} ns/event (event construction "
          f"{r['events_ns_per_event'] - r['weights_ns_per_point']:.0f} ns)")
    b = r["ns_per_event"]
    print(f"  sampler CPU time per event: draws + VEGAS map {b['draws_and_map']:.0f} ns, brem_events "
          f"{b['brem_events']:.0f} ns, rest of generate {b['rest_of_generate']:.0f} ns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
