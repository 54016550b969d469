"""Meson multiplicities per collision from the shipped proton-beam-dump tables.

Run:  python validation/meson_multiplicities.py [--fresh N] [--feed-down N] [--seed S]

Prints markdown: the multiplicity per collision (= per POT, see the table headers) per
species, model and beam energy; the model spread (ratio of each model to PYTHIA-6 and
max/min over the models); the secondary-interaction estimate stored in the headers.
``--fresh N`` reruns every (model, energy) whose package is installed with N collisions
(one subprocess per run: one Fortran model per process) and prints the fresh numbers
beside the shipped ones with the pull.  ``--feed-down N`` runs N collisions with the
listed species stable (``--direct``) and prints the fraction of each species that comes
from decays of the other listed species (eta' -> eta, eta -> pi0, ...).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcpgen.sources import meson_tables as mt  # noqa: E402

TABLE_DIR = ROOT / "mcpgen" / "data" / "meson_spectra"


def shipped():
    """{(model, energy): MesonTable} for the shipped tables, ordered by energy and model."""
    out = {}
    for path in sorted(TABLE_DIR.glob("*.csv")):
        model, energy = path.stem.split("_")
        out[(model, int(energy.removesuffix("GeV")))] = mt.read_columns(path)
    order = list(mt.MODELS)
    return dict(sorted(out.items(), key=lambda kv: (kv[0][1], order.index(kv[0][0]))))


def fmt(value, err=None):
    if value == 0.0:
        return "0"
    digits = 3 if err is None or err <= 0 else max(2, 1 - int(math.floor(math.log10(err))))
    if value < 1e-3:
        return f"{value:.2e}" + (f" ± {err:.1e}" if err is not None and err > 0 else "")
    text = f"{value:.{digits}f}"
    if err is not None and err > 0:
        text += f" ± {err:.{digits}f}"
    return text


def multiplicity_table(tables):
    keys = list(tables)
    lines = ["| meson | " + " | ".join(f"{mt.MODELS[m][0]} {e} GeV" for m, e in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for name in mt.MESON_NAMES:
        cells = []
        for k in keys:
            v, e = tables[k].header_multiplicities()[name]
            cells.append(fmt(v, e))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| collisions | " + " | ".join(tables[k].header["collisions"] for k in keys) + " |")
    lines.append("| CPU s | " + " | ".join(tables[k].header.get("cpu_seconds", "?") for k in keys)
                 + " |")
    return "\n".join(lines)


def spread_table(tables):
    energies = sorted({e for _, e in tables})
    lines = []
    for energy in energies:
        models = [m for m, e in tables if e == energy]
        ref = "pythia6" if "pythia6" in models else models[0]
        others = [m for m in models if m != ref]
        lines.append(f"\n{energy} GeV: ratio to {mt.MODELS[ref][0]}, and max/min over "
                     f"{len(models)} models\n")
        lines.append("| meson | " + " | ".join(f"{mt.MODELS[m][0]} / {mt.MODELS[ref][0]}"
                                              for m in others) + " | max/min |")
        lines.append("|---|" + "---|" * (len(others) + 1))
        for name in mt.MESON_NAMES:
            vals = {m: tables[(m, energy)].header_multiplicities()[name][0] for m in models}
            if vals[ref] <= 0 or min(vals.values()) <= 0:
                continue
            ratios = [f"{vals[m] / vals[ref]:.2f}" for m in others]
            lines.append(f"| {name} | " + " | ".join(ratios)
                         + f" | {max(vals.values()) / min(vals.values()):.2f} |")
    return "\n".join(lines)


def secondary_table(tables):
    lines = ["| table | " + " | ".join(mt.MESON_NAMES[:6]) + " |", "|---|" + "---|" * 6]
    for (m, e), t in tables.items():
        for key, label in (("secondary_estimate", "all p"),
                           ("secondary_estimate_p_above_10GeV", "p > 10 GeV/c")):
            if key not in t.header:
                continue
            # "... relative to the table[ above 10 GeV/c]: pi0 2.92; eta 3.26; ... (N per point)"
            text = t.header[key].split("relative to the table", 1)[1].split(":", 1)[1]
            text = re.split(r"\s\(\d", text)[0]
            vals = dict(item.split()[:2] for item in text.split(";") if item.strip())
            lines.append(f"| {mt.MODELS[m][0]} {e} GeV, {label} | "
                         + " | ".join(vals.get(n, "-") for n in mt.MESON_NAMES[:6]) + " |")
    return "\n".join(lines)


def _run(model, energy, n, seed, out, direct=False):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "mcpgen.sources.meson_tables", "--model", model, "--energy",
           str(energy), "--events", str(n), "--seed", str(seed), "--out", out]
    if direct:
        cmd.append("--direct")
    t0 = time.time()
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if run.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {run.stderr.strip().splitlines()[-1]}")
    return mt.read_columns(out), time.time() - t0


def installed(model):
    return importlib.util.find_spec(mt.MODELS[model][1]) is not None


def fresh_table(tables, n, seed, direct=False):
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for (model, energy), ref in tables.items():
            if not installed(model):
                lines.append(f"\n{mt.MODELS[model][0]} {energy} GeV: {mt.MODELS[model][1]} not "
                             "installed, skipped")
                continue
            t, wall = _run(model, energy, n, seed, os.path.join(tmp, f"{model}_{energy}.csv"),
                           direct)
            new, old = t.header_multiplicities(), ref.header_multiplicities()
            what = "direct (listed species stable)" if direct else "fresh"
            lines.append(f"\n{mt.MODELS[model][0]} {energy} GeV: {what} run, {n} collisions, "
                         f"seed {seed}, {wall:.0f} s\n")
            if direct:
                lines.append("| meson | all (shipped) | direct | from listed species |")
                lines.append("|---|---|---|---|")
            else:
                lines.append("| meson | shipped | fresh | pull |")
                lines.append("|---|---|---|---|")
            for name in mt.MESON_NAMES:
                (a, ea), (b, eb) = old[name], new[name]
                if a == 0 and b == 0:
                    continue
                if a * n < 10:   # a handful of mesons expected: no Gaussian pull
                    lines.append(f"| {name} | {fmt(a, ea)} | {fmt(b, eb)} | {a * n:.2g} "
                                 "expected, not compared |")
                    continue
                if direct:
                    frac = 1.0 - b / a if a > 0 else float("nan")
                    lines.append(f"| {name} | {fmt(a, ea)} | {fmt(b, eb)} | {frac:.3f} |")
                else:
                    pull = (b - a) / math.hypot(ea, eb) if math.hypot(ea, eb) > 0 else 0.0
                    lines.append(f"| {name} | {fmt(a, ea)} | {fmt(b, eb)} | {pull:+.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", type=int, default=0, metavar="N",
                    help="rerun each installed model with N collisions")
    ap.add_argument("--feed-down", type=int, default=0, metavar="N",
                    help="run N collisions with the listed species stable")
    ap.add_argument("--seed", type=int, default=20260)
    args = ap.parse_args(argv)
    tables = shipped()
    if not tables:
        print(f"no tables in {TABLE_DIR}", file=sys.stderr)
        return 1
    print("## Meson multiplicities per inelastic collision (= per POT)\n")
    print(multiplicity_table(tables))
    print("\n## Model spread")
    print(spread_table(tables))
    print("\n## One more generation of interactions in a thick dump, relative to the table\n")
    print(secondary_table(tables))
    if args.fresh > 0:
        print("\n## Fresh runs")
        print(fresh_table(tables, args.fresh, args.seed))
    if args.feed_down > 0:
        print("\n## Feed-down among the listed species")
        print(fresh_table(tables, args.feed_down, args.seed + 1, direct=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
