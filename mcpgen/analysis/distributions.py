"""Differential distributions of one mass point: weighted histograms and their figures.

:func:`histograms` fills, for the process family of a file (chosen from the
metadata's ``process`` through the process registry), that family's natural
variables into :class:`hist.Hist` objects with ``Weight`` storage and a category
axis ``weighting``:

``"generated"``  the event weight: summed over all bins (flow included) it is the
                 file's ``sum_weights``, the estimate of sigma at eps_ref (pb for
                 cross sections, decays per POT for meson spectra: ``weight_unit``);
``"detector"``   weight x det_eff on det_pass events (det_eff at the reference eps
                 of the run): summed it is ``yield_sums.sum_w_eff``, what the yields use.

Variables (chi is the particle, not the antiparticle; theta is the polar angle to
the beam axis +z in the lab; energies MeV, angles rad):

lepton-nucleus (``brem``, ``darkphoton``)
    x = E_pair/E_beam (E_beam per event when the beam degrades), E_chi, theta_chi,
    the recoil-lepton energy E_l', the spectrometer's ``det_E_rec``, the pair mass
    m_chichibar and the momentum transfer Q = sqrt(-t) to the nucleus (for an
    on-shell A' the A' takes the place of the pair);
meson decays
    E_chi, theta_chi, E and theta of the meson, cos theta* of chi in the decay frame:
    for V -> chi chibar in the V rest frame (pure boost from the lab) to the SCHC spin
    axis of photoproduced mesons (minus the recoil direction,
    :mod:`mcpgen.processes.meson_decay`) or to the V flight direction (helicity
    frame) for spectrum mesons; for P -> gamma gamma*(-> chi chibar) in the gamma*
    rest frame to the photon direction, plus the pair mass; photoproduction also the
    recoil lepton and ``det_E_rec``;
e+e- (``ee``)
    cos theta_chi, beta_chi, the ISR photon energy, sqrt(s') = the pair mass
    (``sqrt_s_pair``) and, with the tracker, the chi's kinetic energy entering the gas
    (``det_T_gas_chi``), its ionising length or its expected delta electrons.

The binning depends on the metadata only (beam energy, masses), so that histograms of
chunks or jobs of one file add (``into=``).  :func:`plot_distributions` draws one
multi-panel figure per ROOT file (one mass point of one set-up and channel): one
file per format instead of one per variable keeps a run folder readable and costs one
``savefig`` per format.  matplotlib, mplhep and hist are imported inside functions.

The variables themselves (per family, with their binning) are in
:mod:`mcpgen.analysis.distribution_variables`.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .distribution_variables import Variable, _meta_mass, family, variables  # noqa: F401 (API)

#: weightings of every histogram (the category axis "weighting")
WEIGHTINGS = ("generated", "detector")
#: allowed figure formats
FORMATS = ("png", "pdf", "svg")
#: events read per chunk by :func:`file_histograms`
CHUNK_EVENTS = 200_000
#: decades shown below the peak of a log-scale distribution
Y_DECADES = 5
#: PNG resolution
DPI = 100
def _new_hist(var: Variable, meta):
    import hist

    transform = hist.axis.transform.log if var.log else None
    axis = hist.axis.Regular(var.bins, var.lo, var.hi, transform=transform, name=var.name,
                             label=var.label)
    return hist.Hist(axis, hist.axis.StrCategory(list(WEIGHTINGS), name="weighting"),
                     storage=hist.storage.Weight(), name=var.name,
                     label=f"sum of weights per bin [{meta.get('weight_unit', 'pb')}]",
                     metadata={"symbol": var.symbol, "log": var.log, "unit": var.unit,
                               "weight_unit": meta.get("weight_unit", "pb")})


def histograms(batch, metadata, *, into=None) -> dict:
    """{variable name: hist.Hist} of ``batch`` (an :class:`~mcpgen.io.record.EventBatch`)
    with the file's ``metadata``; ``into``: a dict from an earlier call (same file or
    job) to add to.  Each Hist has the variable axis (flow bins hold what falls outside,
    NaN in the overflow) and the category axis ``weighting`` (:data:`WEIGHTINGS`).
    Pure numpy/hist; cheap enough to run inside each job."""
    w = np.asarray(batch.weight, np.float64)
    w_det = np.where(np.asarray(batch.det_pass, bool), w * np.asarray(batch.det_eff), 0.0)
    out = {} if into is None else into
    for var, values in variables(batch, metadata):
        h = out.get(var.name)
        if h is None:
            h = out[var.name] = _new_hist(var, metadata)
        values = np.asarray(values, np.float64)
        h.fill(values, weighting="generated", weight=w)
        h.fill(values, weighting="detector", weight=w_det)
    return out


# -- figures ----------------------------------------------------------------------------

_UNIT_TEXT = {"pb": "pb", "per POT": "POT⁻¹"}


def _density_label(h) -> str:
    md = h.metadata
    wu = _UNIT_TEXT.get(md["weight_unit"], md["weight_unit"])
    what = "dN" if md["weight_unit"] == "per POT" else "dσ"
    unit = wu if md["log"] or not md["unit"] else f"{wu}/{md['unit']}"
    return f"{what}/d{md['symbol']} [{unit}]"


def _density(h, weighting):
    """(values, errors, edges) per unit of the variable (per decade on log axes)."""
    sub = h[:, weighting]
    edges = sub.axes[0].edges
    width = np.diff(np.log10(edges)) if h.metadata["log"] else np.diff(edges)
    return sub.values() / width, np.sqrt(sub.variances()) / width, edges


def _log_ticks(axis, span):
    """Decade labels without mathtext; minor ticks only on axes of at most 3 decades
    (they are ~40% of the drawing time of a figure, measured)."""
    from matplotlib.ticker import NullLocator

    from .plots import _log_formatter

    axis.set_major_formatter(_log_formatter())
    axis.set_minor_formatter(_log_formatter(labelOnlyBase=True))
    if span > 1e3:
        axis.set_minor_locator(NullLocator())


def _y_scale(ax, values, drawn):
    """Log y when the positive values span more than two decades, showing at most
    :data:`Y_DECADES` decades below the peak; else linear from 0."""
    pos = values[values > 0]
    if not drawn or not pos.size:
        return
    top = pos.max()
    if top > 100.0 * pos.min():
        ax.set_yscale("log")
        low = max(pos.min(), top * 10.0 ** -Y_DECADES) / 2.0
        ax.set_ylim(low, top * 3.0)
        _log_ticks(ax.yaxis, top * 3.0 / low)
    else:
        ax.set_ylim(0.0, 1.15 * top)


def _fmt(v) -> str:
    from .plots import _power_of_ten

    return _power_of_ten(v) if v > 0 and not 1e-2 <= v < 1e4 else f"{v:.3g}"


def _title(meta) -> str:
    label = meta.get("label") or meta.get("job", {}).get("label") or ""
    channel = meta.get("channel") or meta.get("process", "")
    return f"{label}   {channel}   m = {_meta_mass(meta):g} MeV" if label else \
        f"{channel}   m = {_meta_mass(meta):g} MeV"


def _subscripts(text: str) -> str:
    """``E_χ`` -> ``E`` with a subscript χ (mathtext ``$\\mathregular{E_{χ}}$``), so the axis
    labels show subscripts, not underscores; the labels keep their plain form in the
    histograms' metadata."""
    import re

    if "_" not in text:
        return text
    # a label with mathtext is drawn by the mathtext fonts, which lack the subscript
    # digits of "log₁₀": write them as a subscript too
    text = text.replace("log₁₀", "log_10").replace("e⁻", "$e^{-}$").replace("q²", "$q^{2}$")
    return re.sub(r"([^\s($/]+?)_([^\s)$,]+)", r"$\\mathregular{\1_{\2}}$", text)


def style():
    """Context manager of the figures' style: mplhep's ROOT style (neutral, not an
    experiment's: TeX Gyre Heros, ticks inside on all sides), scaled to multi-panel
    figures, with DejaVu Sans as the fallback for the Greek letters.  It changes
    matplotlib's rcParams for the duration of the ``with`` block (process-wide)."""
    import matplotlib.style
    import mplhep

    return matplotlib.style.context([mplhep.style.ROOT, {
        "font.size": 10, "font.family": ["TeX Gyre Heros", "DejaVu Sans"],
        "mathtext.fontset": "dejavusans",
        "xtick.major.size": 6, "xtick.minor.size": 3, "ytick.major.size": 6,
        "ytick.minor.size": 3, "axes.linewidth": 1.0, "xaxis.labellocation": "center",
        "yaxis.labellocation": "center", "legend.fontsize": 8,
        "xtick.minor.visible": False, "ytick.minor.visible": False}])


def figure(hists, metadata):
    """The matplotlib Figure (object API, not attached to pyplot) of ``hists``: one panel
    per variable, the generated and the after-detector distributions.  Draw and save it
    inside :func:`style` (ticks are made at drawing time)."""
    import mplhep
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(hists)
    ncol = 4 if len(names) > 6 else 3
    nrow = max(1, math.ceil(len(names) / ncol))
    eps = metadata.get("eps", 1.0)
    wu = metadata.get("weight_unit", "pb")
    # every histogram holds all events (flow bins included): the totals of the first
    total = {k: hists[names[0]][:, k].sum(flow=True).value if names else 0.0 for k in WEIGHTINGS}
    with style():
        fig = Figure(figsize=(4.0 * ncol, 3.3 * nrow + 0.5))
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
        for ax, name in zip(axes, names):
            h = hists[name]
            drawn = False
            for k, kw in (("generated", dict(histtype="step", color="black", lw=1.2)),
                          ("detector", dict(histtype="fill", color="#5790fc", alpha=0.5))):
                v, e, edges = _density(h, k)
                if not np.any(v > 0):
                    continue
                lab = (f"generated: {_fmt(total['generated'])} {wu}" if k == "generated" else
                       f"after detector (ε = {eps:g}): {_fmt(total['detector'])} {wu}")
                mplhep.histplot(v, edges, yerr=e if k == "generated" else None, ax=ax,
                                label=lab, **kw)
                drawn = True
            ax.set_xlabel(_subscripts(h.axes[0].label))
            ax.set_ylabel(_subscripts(_density_label(h)))
            if h.metadata["log"]:
                ax.set_xscale("log")
                _log_ticks(ax.xaxis, h.axes[0].edges[-1] / h.axes[0].edges[0])
            _y_scale(ax, _density(h, "generated")[0], drawn)
            gen = h[:, "generated"]
            inside, full = gen.sum().value, gen.sum(flow=True).value
            if full > 0 and (full - inside) > 1e-3 * abs(full):
                ax.text(0.02, 0.97, f"{100 * (full - inside) / full:.2g}% outside", fontsize=7,
                        transform=ax.transAxes, va="top")
            if not drawn:
                ax.text(0.5, 0.5, "no events", ha="center", va="center", transform=ax.transAxes)
        for ax in axes[len(names):]:
            ax.set_visible(False)
        handles, labels = axes[0].get_legend_handles_labels() if names else ([], [])
        if handles:   # generated first
            order = sorted(range(len(labels)), key=lambda i: not labels[i].startswith("gen"))
            axes[0].legend([handles[i] for i in order], [labels[i] for i in order], loc="best")
        desc = metadata.get("process_description", "")
        fig.suptitle(_title(metadata) + (f"   ({desc})" if desc else ""), fontsize=11)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.93, wspace=0.35,
                            hspace=0.45)
    return fig


def _check_formats(formats):
    formats = tuple(str(f).strip().lower() for f in formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ConfigError(f"unknown figure format {bad[0] if bad else ''!r}; allowed: "
                          f"{', '.join(FORMATS)}", key="--format")
    return tuple(dict.fromkeys(formats))


def write_figure(hists, metadata, stem, *, formats=("png", "pdf")) -> list:
    """Draw ``hists`` and write ``<stem>.<fmt>`` for each format (replacing existing
    files), each through a temporary file: an error while drawing or saving replaces none
    of them and leaves no temporary file.  Returns the paths."""
    from ..framework.rundir import atomic_path
    from .plots import file_metadata

    formats = _check_formats(formats)
    stem = Path(stem)
    fig = figure(hists, metadata)
    paths = [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(style())
            for fmt, path in zip(formats, paths):
                tmp = stack.enter_context(atomic_path(path, suffix=f".{fmt}"))
                fig.savefig(tmp, format=fmt, dpi=DPI, metadata=file_metadata(fmt))
    except OSError as e:
        raise ConfigError(f"cannot write the distribution figure: {e.strerror or e}",
                          file=paths[0]) from None
    return paths


def file_histograms(root_path, *, chunk_events=CHUNK_EVENTS):
    """(histograms, metadata) of an mcpgen ROOT file, read in chunks of ``chunk_events``
    (:func:`mcpgen.io.root.iter_events`)."""
    from ..io.root import iter_events

    hists = meta = None
    for batch, meta in iter_events(root_path, step=chunk_events):
        if hists is None:
            family(meta, file=root_path)
        hists = histograms(batch, meta, into=hists)
    return hists, meta


def default_out_dir(root_path) -> Path:
    """``<run dir>/distributions`` for a ROOT file of a run folder."""
    return Path(root_path).resolve().parent / "distributions"


def plot_distributions(root_path, out_dir=None, *, formats=("png", "pdf"),
                       overwrite=False) -> list:
    """Write the distribution figure of one mcpgen ROOT file (one mass point) as
    ``<out_dir>/<file stem>.<fmt>``; ``out_dir`` defaults to ``<run dir>/distributions/``
    (created if needed).  An existing figure is replaced only with ``overwrite``.  Bad
    input (missing file, not an mcpgen file, unknown format, existing figure) is a
    one-line ConfigError and writes nothing.  Returns the paths written."""
    return plot_files([root_path], out_dir, formats=formats, overwrite=overwrite)


def _targets(root_paths, out_dir, formats, overwrite) -> list:
    """[(input, folder, figure paths)] of :func:`plot_files`; a one-line ConfigError when
    two inputs would write the same figure, or (without ``overwrite``) a figure exists."""
    plan, first = [], {}
    for p in root_paths:
        folder = Path(out_dir) if out_dir is not None else default_out_dir(p)
        figures = [folder / f"{p.stem}.{fmt}" for fmt in formats]
        key = folder.resolve() / p.stem
        if key in first:
            q = first[key]
            why = ("the same file given twice" if q.resolve() == p.resolve() else
                   "same file name: plot them into different --out folders")
            raise ConfigError(f"{q} and {p} would both write {figures[0]} ({why})")
        first[key] = p
        plan.append((p, folder, figures))
    if not overwrite:
        for _, _, figures in plan:
            for f in figures:
                if f.exists() or f.is_symlink():
                    raise ConfigError("figure exists; pass --force (overwrite=True) to replace "
                                      "it", file=f)
    return plan


def plot_files(root_paths, out_dir=None, *, formats=("png", "pdf"), overwrite=False) -> list:
    """:func:`plot_distributions` for several files (e.g. every finished job of
    ``mcpgen run``, or ``mcpgen plot FILE ...``).  Before anything is drawn, all files
    are checked (readable mcpgen files of a known family), two inputs that would write
    the same figure (same file stem into one folder) are an error, and so is an existing
    figure unless ``overwrite``."""
    from ..io.root import read_metadata

    formats = _check_formats(formats)
    root_paths = [Path(p) for p in root_paths]
    for p in root_paths:
        family(read_metadata(p), file=p)
    written = []
    for p, target, _ in _targets(root_paths, out_dir, formats, overwrite):
        created = not target.exists()
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create the output folder: {e.strerror or e}",
                              file=target) from None
        try:
            hists, meta = file_histograms(p)
            written += write_figure(hists, meta, target / p.stem, formats=formats)
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    target.rmdir()   # only if still empty
            raise
    return written


def warm_up():
    """Import matplotlib, mplhep and hist and draw one throw-away figure (fonts, text
    metrics: ~0.4 s of the first figure, measured), e.g. in a helper process that waits
    for :func:`plot_request`."""
    import io

    from ..io.record import EventBatch

    n, names = 4, ("e-", "e+", "gamma*", "chi", "chibar")
    z = np.zeros((n, len(names)))
    E = np.full((n, len(names)), 2000.0)
    batch = EventBatch(weight=np.ones(n), pdgid=z.astype(np.int32), status=z.astype(np.int32),
                       px=z, py=z + 1.0, pz=z + np.linspace(-900, 900, n)[:, None], E=E,
                       mass=z + 1000.0, vx=np.zeros(n), vy=np.zeros(n), vz=np.zeros(n),
                       names=names, sqrt_s_pair=np.full(n, 4000.0))
    meta = {"process": "ee", "mass_MeV": 1000.0, "sqrt_s_MeV": 4000.0, "label": "warm-up"}
    fig = figure(histograms(batch, meta), meta)
    with style():
        fig.savefig(io.BytesIO(), format="png", dpi=DPI)


def plot_request(request: dict) -> list:
    """:func:`plot_files` from a JSON-able request ``{"paths": [...], "out": folder or
    None, "formats": [...], "overwrite": bool}`` (for a helper process); ``overwrite``
    defaults to True: ``mcpgen run`` owns its ``distributions/`` folder and refreshes it.
    Returns the paths as strings."""
    return [str(p) for p in plot_files(request["paths"], request.get("out"),
                                       formats=tuple(request.get("formats", ("png", "pdf"))),
                                       overwrite=bool(request.get("overwrite", True)))]


__all__ = ["Variable", "histograms", "variables", "family", "figure", "style", "write_figure",
           "file_histograms", "plot_distributions", "plot_files", "default_out_dir", "warm_up",
           "plot_request"]
