"""Meson-decay events per second per core, against a bare kernel (issue 7 item 6).

Side by side in one process (one thread), for the channels pi0 -> gamma chi chibar
(m_chi = 20 MeV) and rho -> chi chibar (m_chi = 300 MeV) fed by a shipped proton-dump
spectrum table:

* ``sampler``: :meth:`mcpgen.processes.meson_decay.MesonDecayProcess.block`, the
  weighted events of one 2^16-point block: block draws, parent sampling from the
  table, line shape, the decay kernel, the fixed-slot arrays and the EventBatch;
* ``bare``: a Numba kernel that draws the same uniforms per event (9 for P, 7 for V)
  from a PCG64 ``numpy.random.Generator`` and writes the same output arrays (E, px,
  py, pz, mass as (n, k) floats, pdgid and status as (n, k) int32, weight, vx, vy, vz),
  doing no physics.

The ratio sampler/bare is the kernel efficiency (target >= 30%; the sampler target is
>= 1e6 weighted events per second).  Each figure is the best of ``repeats`` interleaved
runs (shared, noisy machines: compare the ratio).

``python -m mcpgen.bench_meson [n_blocks]`` prints the figures.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import rng as _rng
from ._jit import jit


@jit(nogil=True)
def bare_kernel(gen, n_uniforms, E, px, py, pz, mass, pdg, status, w, vx, vy, vz):
    """Draw ``n_uniforms`` per event from ``gen`` and write them into every output array."""
    u = np.empty(n_uniforms)
    k = E.shape[1]
    for i in range(E.shape[0]):
        for c in range(n_uniforms):
            u[c] = gen.random()
        w[i] = u[0]
        vx[i] = 0.0
        vy[i] = 0.0
        vz[i] = 0.0
        for p in range(k):
            E[i, p] = u[p % n_uniforms]
            px[i, p] = u[(p + 1) % n_uniforms]
            py[i, p] = u[(p + 2) % n_uniforms]
            pz[i, p] = u[(p + 3) % n_uniforms]
            mass[i, p] = u[(p + 4) % n_uniforms]
            pdg[i, p] = p
            status[i, p] = 1


def _bare_once(n, k, n_uniforms, seed):
    gen = _rng.block_rng(seed, "bench", 0)
    out = [np.empty((n, k)) for _ in range(5)] + [np.empty((n, k), np.int32) for _ in range(2)] \
        + [np.empty(n) for _ in range(4)]
    t = time.perf_counter()
    bare_kernel(gen, n_uniforms, *out)
    return time.perf_counter() - t


def _source():
    from .sources.meson_spectrum import (MesonSpectrumSource, builtin_spectra, read_table,
                                         resolve_spectrum)

    names = [s for s in builtin_spectra() if s.endswith("400GeV")] or list(builtin_spectra())
    if not names:
        raise RuntimeError("no shipped meson spectrum table")
    path = resolve_spectrum(names[0])
    return MesonSpectrumSource(protons_on_target=1.0, spectrum=names[0], table=read_table(path))


def meson_benchmark(n_blocks: int = 16, repeats: int = 3) -> dict:
    """Events per second of the sampler and the bare kernel; see the module docstring."""
    from .processes.meson_decay import PI0, RHO, MesonSettings
    from .rng import BLOCK_SIZE

    src = _source()
    out = {"spectrum": src.spectrum, "block_size": BLOCK_SIZE, "blocks": n_blocks}
    for cls, m_chi, n_uniforms in ((PI0, 20.0, 9), (RHO, 300.0, 7)):
        proc = cls.build(src, m_chi, MesonSettings(), seed=1)
        proc.integrate(1e-3, 1)
        proc.warm_up()
        k = len(proc.particles)
        proc.block(0, 1024, 1024, False)
        _bare_once(1024, k, n_uniforms, 1)
        best_s = best_b = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            for b in range(n_blocks):
                proc.block(b, BLOCK_SIZE, n_blocks * BLOCK_SIZE, False)
            best_s = min(best_s, time.perf_counter() - t)
            best_b = min(best_b, sum(_bare_once(BLOCK_SIZE, k, n_uniforms, b)
                                     for b in range(n_blocks)))
        n = n_blocks * BLOCK_SIZE
        out[cls.name] = {"m_chi_MeV": m_chi, "sampler_events_per_s": n / best_s,
                         "bare_events_per_s": n / best_b, "efficiency": best_b / best_s}
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    res = meson_benchmark(int(argv[0]) if argv else 16)
    print(f"meson decays ({res['spectrum']}, {res['blocks']} blocks of {res['block_size']}, "
          "one thread, best of 3):")
    for ch in ("pi0", "rho"):
        r = res[ch]
        print(f"  {ch:4s} m_chi = {r['m_chi_MeV']:g} MeV: sampler {r['sampler_events_per_s']:.3g} "
              f"events/s, bare kernel {r['bare_events_per_s']:.3g} events/s, "
              f"efficiency {r['efficiency']:.2f}")
    return res


if __name__ == "__main__":
    main()
