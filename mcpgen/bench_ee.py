"""e+e- -> chi chibar events per second and tracker-transported MCPs per second (issue 8).

Side by side in one process (one thread), at sqrt(s) = 3 GeV, m_chi = 1499 MeV, sigma_0 =
2.1 MeV, Kuraev-Fadin ISR (the seed 004 Fig. 1 set-up):

* ``generated``: :meth:`mcpgen.processes.ee_annihilation.EEProcess.block`, weighted events of
  one 2^16-point block, against the bare Numba kernel of :mod:`mcpgen.bench_meson` drawing
  the same 7 uniforms per event and writing the same arrays (6 particle slots);
* ``transported``: :meth:`mcpgen.detectors.tracker.Tracker.apply` (built-in cards
  ``stcf_tracker`` and ``stcf_tracker_delta``, their 51-point eps grid) on those events, MCPs
  (chi and chibar) per second, with the hits sampled at eps_ref = 1 and at 1e-2 (near the
  reach; the number of stored hits, and so the cost, depends on it).

Targets (issue 8): >= 1e6 generated and >= 1e5 transported per second per core.
``python -m mcpgen.bench_ee`` prints the figures (best of 3).
"""

from __future__ import annotations

import sys
import time


def ee_benchmark(n_blocks: int = 4, repeats: int = 3, card: str = "stcf_tracker",
                 eps_ref: float = 1.0) -> dict:
    from . import rng as R
    from .bench_meson import _bare_once
    from .detectors.cards import detector_module, load_card
    from .processes.ee_annihilation import EEProcess, EESettings
    from .rng import BLOCK_SIZE
    from .sources.collider import ColliderSource

    src = ColliderSource(sqrt_s=3000.0, luminosity=100.0, energy_spread=2.1, isr="kuraev-fadin")
    proc = EEProcess(src, 1499.0, EESettings(), seed=1)
    proc.integrate(1e-2, 10**6)
    module = detector_module(load_card(card))
    module.eps_ref = eps_ref
    k = len(proc.particles)
    warm = proc.block(0, 1024, 1024, False)
    module.apply(warm, src, R.block_rng(1, "detector", 0))
    _bare_once(1024, k, 7, 1)
    best_g = best_b = best_t = float("inf")
    n_mcp = 0
    for _ in range(repeats):
        t = time.perf_counter()
        batches = [proc.block(b, BLOCK_SIZE, n_blocks * BLOCK_SIZE, False) for b in range(n_blocks)]
        best_g = min(best_g, time.perf_counter() - t)
        best_b = min(best_b, sum(_bare_once(BLOCK_SIZE, k, 7, b) for b in range(n_blocks)))
        t = time.perf_counter()
        for b, batch in enumerate(batches):
            module.apply(batch, src, R.block_rng(1, "detector", b))
        best_t = min(best_t, time.perf_counter() - t)
        n_mcp = 2 * sum(len(b) for b in batches)
    n = n_blocks * BLOCK_SIZE
    return {"generated_events_per_s": n / best_g, "bare_events_per_s": n / best_b,
            "efficiency": best_b / best_g, "transported_mcps_per_s": n_mcp / best_t,
            "card": card, "eps_ref": eps_ref, "eps_grid_points": len(module.efficiency_model.grid),
            "hits_per_event": sum(b.collections["det_hit"][0][-1] for b in batches) / n}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    for card in ("stcf_tracker", "stcf_tracker_delta"):
        for eps_ref in (1.0, 1e-2):
            r = ee_benchmark(int(argv[0]) if argv else 4, card=card, eps_ref=eps_ref)
            print(f"e+e- -> chi chibar at 3 GeV, m_chi = 1499 MeV, ISR + 2.1 MeV spread ({card}, "
                  f"hits at eps = {eps_ref:g}, one thread, best of 3): generated "
                  f"{r['generated_events_per_s']:.3g} events/s = {r['efficiency']:.2f} of a bare "
                  f"kernel ({r['bare_events_per_s']:.3g}); transported "
                  f"{r['transported_mcps_per_s']:.3g} MCPs/s ({r['eps_grid_points']} eps points, "
                  f"{r['hits_per_event']:.3g} stored hits per event)")
    return r


if __name__ == "__main__":
    main()
