"""Reach plot: eps upper limit vs chi mass, log-log, one curve per set-up.

The curves are the eps_limit of :class:`mcpgen.analysis.yields.YieldPoint`
(the eps where N(eps) = s_up, seed 001 eq. 12 / seed 002 eq. 4); reference
curves, e.g. numbers read off the seeds' figures, are drawn dashed.

matplotlib is imported inside :func:`reach_plot` only, through its object API
(``Figure`` + ``FigureCanvasAgg``), so importing mcpgen neither imports
matplotlib nor changes the global backend of a user's session.  The figure is
kept cheap to draw (it is on the critical path of every ``mcpgen run``): fixed
margins instead of the constrained-layout solver, and plain-text labels with
Unicode superscripts instead of mathtext (about 0.1 s less for a first plot).
:class:`ReachPlotProcess` draws it in a helper process started ahead of time, so
that matplotlib loads there while the caller works (``mcpgen run``: its import and a
first figure are ~0.5 s of the caller's GIL otherwise).
"""

from __future__ import annotations

import math
import os

from .yields import atomic_path


def _finite_curve(masses, eps):
    """(m, eps) pairs with both finite and positive (drawable on log axes), sorted by m."""
    pts = []
    for m, e in zip(masses, eps):
        m, e = float(m), float(e)
        if math.isfinite(m) and math.isfinite(e) and m > 0.0 and e > 0.0:
            pts.append((m, e))
    pts.sort()
    return pts


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076"
                             "\u2077\u2078\u2079")


def _power_of_ten(x) -> str:
    """``x`` as plain text ``c×10ⁿ`` (``10ⁿ`` when c = 1), without mathtext."""
    if not (math.isfinite(x) and x > 0.0):
        return ""
    e = math.floor(math.log10(x) + 1e-9)
    c = f"{x / 10.0 ** e:.3g}"
    if c == "10":
        e, c = e + 1, "1"
    p = "10" + str(e).translate(_SUPERSCRIPT)
    return p if c == "1" else f"{c}\u00d7{p}"


def _log_formatter(**kwargs):
    """matplotlib's LogFormatter (it decides which ticks get a label) with
    :func:`_power_of_ten` labels."""
    from matplotlib.ticker import LogFormatter

    class _Formatter(LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return _power_of_ten(x)

    return _Formatter(**kwargs)


_LINESTYLE = {"solid": "-", "dashed": "--", "dotted": ":", "dashdot": "-."}


def reach_figures(points, out, spec=None, *, title: str = "", bands=None,
                  formats=("png", "pdf")) -> list:
    """Write ``reach.<fmt>`` (every set-up and reference) and one ``reach_<name>.<fmt>``
    per ``[[plot]]`` of ``spec`` (a :class:`~mcpgen.plot_spec.PlotSpec` or its dict)
    into folder ``out``; return the paths written."""
    from ..plot_spec import PlotSpec

    spec = spec if isinstance(spec, PlotSpec) else PlotSpec.from_dict(spec)
    out = os.fspath(out)
    points = list(points)
    written = []
    for name, fig_title, curves, refs in [("reach", title, None, None)] + [
            (f"reach_{f.name}", f.title or title, f.curves, f.references) for f in spec.figures]:
        chosen = [r for r in spec.references if refs is None or r.label in refs]
        reach_plot(points, os.path.join(out, name + ".png"), title=fig_title,
                   references=chosen, bands=bands, curves=curves, formats=formats)
        written += [os.path.join(out, f"{name}.{fmt}") for fmt in formats]
    return written


def reach_plot(points, path, *, title: str = "", references=None, bands=None, curves=None,
               formats=("png", "pdf")):
    """Write the reach plot, eps_limit vs m_chi (MeV), as ``path`` with each suffix of
    ``formats`` (``reach.png`` -> ``reach.png``, ``reach.pdf``).

    Parameters
    ----------
    points : iterable of YieldPoint (anything with ``label``, ``m_chi`` in MeV
        and ``eps_limit``, optionally ``channel`` and ``intervals``).  One line per label
        and channel (the channel is named where a label has several, e.g. "LDMX sum"),
        in order of first appearance; NaN limits (no reach) are skipped, and a label
        without any finite limit is listed in the legend as "<label> (no reach)".  A
        reach closed above (the eps ``intervals`` of slow-MCP signatures) is drawn as
        an outlined region, as in seed 004 Figs. 1-3 (thin dotted where the region only
        meets the end of the scan).
    title : optional axes title.
    references : :class:`~mcpgen.plot_spec.Reference` curves (existing bounds, other
        studies): dashed lines, or shaded excluded regions with ``shaded``.
    bands : optional ``{label: band name}``: the set-ups of one band (e.g. one per
        hadronic model) get a shaded band between the smallest and largest of their
        limits at each mass (their channel sum, or their single channel); only their
        summed curves are drawn.
    curves : optional :class:`~mcpgen.plot_spec.Curve` list: only these set-ups (their
        channel sum, or ``channel``), with their colours, line styles and legend texts.

    Files are written atomically (temporary file in the same directory + os.replace),
    readable like the ROOT files.  With nothing finite to draw the figure carries the
    note "no reach".  Returns the matplotlib ``Figure`` (not attached to pyplot).
    """
    fig = _figure(points, title, references, bands, curves)
    stem, _ = os.path.splitext(os.fspath(path))
    for fmt in formats:
        with atomic_path(f"{stem}.{fmt}", suffix=f".{fmt}") as tmp:
            fig.savefig(tmp, format=fmt, dpi=110, metadata=file_metadata(fmt))
    return fig


def file_metadata(fmt):
    """savefig metadata that keeps a figure file the same from run to run (no PDF date)."""
    return {"CreationDate": None} if fmt == "pdf" else None


def _closed_regions(points):
    """Outlines (masses, low, high) of the excluded eps intervals when the detection
    probability is tabulated in eps (``efficiency_model`` "table": slow-MCP trackers,
    scattering detectors), whose reach may close above (seed 004 Figs. 1-3); else None.
    A run of consecutive masses with an interval is one region (the first interval of
    each mass; limits.csv lists them all)."""
    if not any(_efficiency_kind(p) == "table" for p in points):
        return None
    rows = []
    for p in sorted(points, key=lambda p: p.m_chi):
        iv = getattr(p, "intervals", None) or ()
        rows.append((float(p.m_chi), (float(iv[0][0]), float(iv[0][1])) if iv else None))
    regions, current = [], []
    for m, iv in rows + [(math.nan, None)]:
        if iv is not None:
            current.append((m, *iv))
        elif current:
            regions.append(tuple(map(list, zip(*current))))
            current = []
    return regions or None


def _efficiency_kind(p) -> str:
    model = getattr(p, "efficiency_model", None) or ""
    return model.get("kind", "") if isinstance(model, dict) else str(model)


def _band_curves(points, bands):
    """{band: (masses, low, high)} of the set-ups of each band (see :func:`reach_plot`)."""
    out = {}
    for band in dict.fromkeys((bands or {}).values()):
        per_mass = {}
        for lab in [k for k, v in bands.items() if v == band]:
            mine = [p for p in points if p.label == lab]
            sums = [p for p in mine if getattr(p, "channel", "") == "sum"]
            for p in sums or mine:
                if p.eps_limit == p.eps_limit:
                    per_mass.setdefault(float(p.m_chi), []).append(float(p.eps_limit))
        masses = sorted(m for m, v in per_mass.items() if len(v) > 1)
        if masses:
            out[band] = (masses, [min(per_mass[m]) for m in masses],
                         [max(per_mass[m]) for m in masses])
    return out


def _curve_list(points, bands, curves):
    """[(label, channel, name, style)] of the curves to draw (see :func:`reach_plot`)."""
    keys = []
    for p in points:  # one curve per (set-up, channel); the channel is named when a set-up has several
        key = (p.label, getattr(p, "channel", ""))
        if key not in keys:
            keys.append(key)
    several = {lab for lab, _ in keys if sum(1 for other, _ in keys if other == lab) > 1}
    if curves is not None:
        out = []
        for c in curves:
            channel = c.channel or ("sum" if c.setup in several else
                                    next((ch for lab, ch in keys if lab == c.setup), ""))
            name = c.label or c.setup + (f" {channel}" if c.channel else "")
            out.append((c.setup, channel, name, dict(color=c.color or None,
                                                     linestyle=_LINESTYLE[c.line])))
        return out
    in_band = set(bands or {})
    return [(lab, ch, (lab or "(unlabelled)") + (f" {ch}" if lab in several else ""), {})
            for lab, ch in keys
            if not (lab in in_band and lab in several and ch != "sum")]  # bands: their sums


def _figure(points, title, references, bands=None, curves=None):
    """The Figure of :func:`reach_plot` (matplotlib object API, the mplhep ROOT style)."""
    import matplotlib
    import mplhep
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = list(points)
    # the ROOT style with its TeX Gyre Heros text; mathtext in DejaVu (the style's custom
    # mathtext fonts log "findfont" warnings for the symbols they lack)
    with matplotlib.rc_context({**mplhep.style.ROOT, "mathtext.fontset": "dejavusans"}):
        fig = Figure(figsize=(8.0, 6.4))
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.15, right=0.96, bottom=0.13, top=0.92)
        ax = fig.add_subplot()
        drawn = 0
        for lab, channel, name, style in _curve_list(points, bands, curves):
            mine = [p for p in points if p.label == lab and getattr(p, "channel", "") == channel]
            curve = _finite_curve([p.m_chi for p in mine], [p.eps_limit for p in mine])
            regions = _closed_regions(mine)
            if regions:
                # a reach that may close above (slow MCPs of an e+e- tracker): outlined
                # the study's mass range: a set-up's region that ends before it (at the
                # set-up's kinematic limit) is closed there
                scan = (min(p.m_chi for p in points), max(p.m_chi for p in points))
                for k, region in enumerate(regions):
                    style = _draw_region(ax, region, scan, name if k == 0 else None, style)
                drawn += 1
            elif curve:
                m, e = zip(*curve)
                ax.plot(m, e, marker="o", ms=4, lw=2, label=name,
                        **{"linestyle": "-", **{k: v for k, v in style.items() if v}})
                drawn += 1
            else:
                # keep the set-up visible in the legend without drawing anything
                ax.plot([], [], "o-", ms=4, label=f"{name} (no reach)")
        for band, (m, lo, hi) in _band_curves(points, bands).items():
            ax.fill_between(m, lo, hi, alpha=0.25, label=f"{band} (model band)")
            drawn += 1
        drawn += _draw_references(ax, references or ())
        _axes(ax, points, drawn)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=13, loc="best")
        if title:
            ax.set_title(title, fontsize=12)
    return fig


def _draw_region(ax, region, scan, label, style) -> dict:
    """The outline of one excluded region (masses, low, high): solid where it closes,
    thin dotted where it only meets the end of the scan (the first or last mass, the top
    eps = 1); returns ``style`` with the colour used, for the set-up's next region."""
    m, lo, hi = region
    line, = ax.plot(m, lo, lw=2, label=label, **style)
    solid = {**style, "color": line.get_color(), "linestyle": line.get_linestyle()}
    edge = {"color": solid["color"], "linestyle": ":", "lw": 1}
    closed = [h if h < 1.0 else math.nan for h in hi]
    ax.plot(m, closed, lw=2, **solid)
    ax.plot(m, [h if h >= 1.0 else math.nan for h in hi], **edge)
    for x, a, b in ((m[0], lo[0], hi[0]), (m[-1], lo[-1], hi[-1])):
        ax.plot([x, x], [a, b], **(edge if x in scan else {"lw": 2, **solid}))
    return {**style, "color": solid["color"]}


def _draw_references(ax, references) -> int:
    """Reference curves: black and grey dashed, dotted, dash-dotted lines (apart from the
    coloured results), or grey shaded excluded regions."""
    drawn = 0
    looks = [(c, ls) for ls in ("--", ":", "-.") for c in ("black", "0.45")]
    for r in references:
        rows = sorted(zip(r.masses, r.eps, r.eps_max or [math.inf] * len(r.masses)))
        rows = [row for row in rows if all(math.isfinite(v) and v > 0 for v in row[:2])]
        if not rows:
            continue
        m, lo, hi = (list(col) for col in zip(*rows))
        if r.shaded:
            top = [min(h, 1.0) for h in hi]
            ax.fill_between(m, lo, top, color="0.75", alpha=0.6, lw=0, label=r.label)
        else:
            color, ls = looks[drawn % len(looks)]
            marker = "*" if len(m) == 1 else None        # a number the text states at one mass
            ax.plot(m, lo, linestyle=ls, color=color, lw=2, marker=marker, ms=12, label=r.label)
        drawn += 1
    return drawn


def _axes(ax, points, drawn):
    if drawn:
        masses = [float(p.m_chi) for p in points] or [1.0]
        narrow = max(masses) < 2.0 * min(masses)   # a scan near one threshold (e+e-)
        ax.set_yscale("log")
        axes = (ax.yaxis,) if narrow else (ax.xaxis, ax.yaxis)
        if narrow:
            from matplotlib.ticker import MaxNLocator, ScalarFormatter

            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
            ax.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))   # the masses
        else:
            ax.set_xscale("log")
        for axis in axes:
            axis.set_major_formatter(_log_formatter())
            # minor labels only on axes of less than a decade (the style's large font)
            axis.set_minor_formatter(_log_formatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
        ax.grid(True, which="major", alpha=0.3)
    else:
        ax.text(0.5, 0.5, "no reach", ha="center", va="center", fontsize=18,
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_xlabel(r"$m_{\chi}$ [MeV]")
    ax.set_ylabel(r"$\epsilon$")


class ReachPlotProcess:
    """:func:`reach_plot` in a helper ``python`` process started now.

    The helper imports matplotlib and draws a throw-away figure (fonts, text metrics)
    at once, then waits for one request; :meth:`plot` sends it and returns True when
    the PNG is written (by the same :func:`reach_plot`, so the same bytes), False if
    the helper could not start or failed, in which case the caller plots itself.
    :meth:`close` stops a helper that was not used.  Also a context manager.  The
    helper is a plain ``python -c`` of this mcpgen: it does not re-run the caller's
    ``__main__``.
    """

    #: seconds to wait for the helper's answer before plotting in-process
    TIMEOUT = 600.0

    def __init__(self, distributions: bool = False):
        import subprocess
        import sys

        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)   # the helper imports this very mcpgen
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from mcpgen.analysis.plots import _serve; "
                 f"_serve({bool(distributions)})"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, text=True)
        except (OSError, TypeError, ValueError):   # no usable sys.executable (embedded Python)
            self._proc = None

    def plot(self, points, out, spec=None, *, title: str = "", bands=None,
             distributions=None) -> bool:
        """:func:`reach_figures` in the helper, then the ``distributions`` request of
        :func:`mcpgen.analysis.distributions.plot_request` if given; True when all the
        files are written."""
        import json
        import subprocess

        from ..plot_spec import PlotSpec

        if self._proc is None:
            return False
        spec = spec if isinstance(spec, PlotSpec) else PlotSpec.from_dict(spec)
        request = {"out": os.path.abspath(os.fspath(out)), "title": str(title),
                   "bands": dict(bands or {}), "spec": spec.to_dict(),
                   "distributions": distributions,
                   "points": [{"label": p.label, "channel": getattr(p, "channel", ""),
                               "m_chi": float(p.m_chi), "eps_limit": float(p.eps_limit),
                               "efficiency_model": _efficiency_kind(p),
                               "intervals": [list(map(float, iv)) for iv in
                                             (getattr(p, "intervals", None) or ())]}
                              for p in points]}
        try:
            answer, _ = self._proc.communicate(json.dumps(request) + "\n", timeout=self.TIMEOUT)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.close()
            return False
        ok = self._proc.returncode == 0 and answer.strip() == "ok"
        self._proc = None
        return ok

    def close(self):
        if self._proc is not None:
            import contextlib

            with contextlib.suppress(OSError):
                self._proc.kill()
                self._proc.communicate()
            self._proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _serve(distributions=False):
    """The helper of :class:`ReachPlotProcess`: load matplotlib (and the distribution
    plots), then draw one request (JSON on stdin) with :func:`reach_figures` (and
    :func:`mcpgen.analysis.distributions.plot_request`) and answer "ok" on stdout."""
    import io
    import json
    import sys
    from types import SimpleNamespace

    # a throw-away figure of the same kind: matplotlib, fonts and text metrics load now
    dummy = [SimpleNamespace(label="a", channel="", m_chi=m, eps_limit=1e-4 * m)
             for m in (10.0, 100.0, 1000.0)]
    warm = _figure(dummy, "warm-up: 95% CL", None)
    for fmt in ("png", "pdf"):
        warm.savefig(io.BytesIO(), format=fmt, dpi=110)
    if distributions:
        from .distributions import warm_up

        warm_up()
    line = sys.stdin.readline()
    if not line:
        return
    request = json.loads(line)
    reach_figures([SimpleNamespace(**p) for p in request["points"]], request["out"],
                  request["spec"], title=request["title"], bands=request.get("bands"))
    if request.get("distributions"):
        from .distributions import plot_request

        plot_request(request["distributions"])
    sys.stdout.write("ok\n")
    sys.stdout.flush()


__all__ = ["reach_figures", "reach_plot", "ReachPlotProcess"]
