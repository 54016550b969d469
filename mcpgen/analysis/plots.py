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


def reach_plot(points, path, *, title: str = "", references=None, bands=None):
    """Write a PNG of eps_limit vs m_chi (MeV) on log-log axes.

    Parameters
    ----------
    points : iterable of YieldPoint (anything with ``label``, ``m_chi`` in MeV
        and ``eps_limit``, optionally ``channel``).  One line per label and channel
        (the channel is named where a label has several, e.g. "LDMX sum"), in order
        of first appearance;
        NaN limits (no reach) are skipped, and a label without any finite limit
        is listed in the legend as "<label> (no reach)".
    path : output file; always PNG (``format="png"`` whatever the extension),
        written atomically (temporary file in the same directory + os.replace).
    title : optional axes title.
    references : optional list of ``(label, masses_MeV, eps)`` curves drawn
        dashed, e.g. the expected reach read off a seed's figure.
    bands : optional ``{label: band name}``: the set-ups of one band (e.g. one per
        hadronic model) get a shaded band between the smallest and largest of their
        limits at each mass (their channel sum, or their single channel); only their
        summed curves are drawn.

    With nothing finite to draw the figure carries the note "no reach".
    Returns the matplotlib ``Figure`` (not attached to pyplot) for further use.
    """
    fig = _figure(points, title, references, bands)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
        os.chmod(tmp, 0o644)
    return fig


def _closed_region(points):
    """(masses, low, high) of the first excluded eps interval at each mass, if some
    interval ends below eps = 1 (a region rather than a lower limit); else None."""
    rows = []
    for p in sorted(points, key=lambda p: p.m_chi):
        iv = getattr(p, "intervals", None) or ()
        if iv:
            rows.append((float(p.m_chi), float(iv[0][0]), float(iv[0][1])))
    if not rows or all(hi >= 1.0 for _, _, hi in rows):
        return None
    m, lo, hi = zip(*rows)
    return list(m), list(lo), list(hi)


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


def _figure(points, title, references, bands=None):
    """The Figure of :func:`reach_plot`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = list(points)
    labels = []
    for p in points:  # one curve per (set-up, channel); the channel is named when a set-up has several
        key = (p.label, getattr(p, "channel", ""))
        if key not in labels:
            labels.append(key)
    several = {lab for lab, _ in labels if sum(1 for other, _ in labels if other == lab) > 1}

    fig = Figure(figsize=(6.4, 4.8))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.11, top=0.93)
    ax = fig.add_subplot()

    drawn = 0
    in_band = set(bands or {})
    for lab, channel in labels:
        if lab in in_band and lab in several and channel != "sum":
            continue   # a band's set-ups show their summed reach (channels in limits.csv)
        mine = [p for p in points if p.label == lab and getattr(p, "channel", "") == channel]
        curve = _finite_curve([p.m_chi for p in mine], [p.eps_limit for p in mine])
        name = (lab or "(unlabelled)") + (f" {channel}" if lab in several else "")
        region = _closed_region(mine)
        if region:
            # a reach closed above (slow MCPs of an e+e- tracker): the excluded region
            m, lo, hi = region
            ax.fill_between(m, lo, hi, alpha=0.3, label=f"{name} (excluded)")
            ax.plot(m, lo, "-", lw=1)
            ax.plot(m, hi, "-", lw=1)
            drawn += 1
        elif curve:
            m, e = zip(*curve)
            ax.plot(m, e, "o-", ms=3, label=name)
            drawn += 1
        else:
            # keep the set-up visible in the legend without drawing anything
            ax.plot([], [], "o-", ms=3, label=f"{name} (no reach)")
    for band, (m, lo, hi) in _band_curves(points, bands).items():
        ax.fill_between(m, lo, hi, alpha=0.25, label=f"{band} (model band)")
        drawn += 1
    for ref_label, masses, eps in references or ():
        curve = _finite_curve(masses, eps)
        if curve:
            m, e = zip(*curve)
            ax.plot(m, e, "--", label=str(ref_label))
            drawn += 1

    if drawn:
        masses = [float(p.m_chi) for p in points] or [1.0]
        narrow = max(masses) < 2.0 * min(masses)   # a scan near one threshold (e+e-)
        ax.set_yscale("log")
        axes = (ax.yaxis,) if narrow else (ax.xaxis, ax.yaxis)
        if not narrow:
            ax.set_xscale("log")
        for axis in axes:
            axis.set_major_formatter(_log_formatter())
            axis.set_minor_formatter(_log_formatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    else:
        ax.text(0.5, 0.5, "no reach", ha="center", va="center", fontsize=14,
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.set_xlabel("m\u03c7 [MeV]")
    ax.set_ylabel("\u03b5 (upper limit)")
    if drawn:
        ax.grid(True, which="both", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


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
    TIMEOUT = 60.0

    def __init__(self):
        import subprocess
        import sys

        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)   # the helper imports this very mcpgen
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from mcpgen.analysis.plots import _serve; _serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, text=True)
        except (OSError, TypeError, ValueError):   # no usable sys.executable (embedded Python)
            self._proc = None

    def plot(self, points, path, *, title: str = "", bands=None) -> bool:
        import json
        import subprocess

        if self._proc is None:
            return False
        request = {"path": os.path.abspath(os.fspath(path)), "title": str(title),
                   "bands": dict(bands or {}),
                   "points": [{"label": p.label, "channel": getattr(p, "channel", ""),
                               "m_chi": float(p.m_chi), "eps_limit": float(p.eps_limit),
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
            try:
                self._proc.kill()
                self._proc.communicate()
            except OSError:
                pass
            self._proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _serve():
    """The helper of :class:`ReachPlotProcess`: load matplotlib, then draw one request
    (JSON on stdin) with :func:`reach_plot` and answer "ok" on stdout."""
    import io
    import json
    import sys
    from types import SimpleNamespace

    # a throw-away figure of the same kind: matplotlib, fonts and text metrics load now
    dummy = [SimpleNamespace(label="a", channel="", m_chi=m, eps_limit=1e-4 * m)
             for m in (10.0, 100.0, 1000.0)]
    _figure(dummy, "warm-up: 95% CL", None).savefig(io.BytesIO(), format="png", dpi=110)
    line = sys.stdin.readline()
    if not line:
        return
    request = json.loads(line)
    reach_plot([SimpleNamespace(**p) for p in request["points"]], request["path"],
               title=request["title"], bands=request.get("bands"))
    sys.stdout.write("ok\n")
    sys.stdout.flush()


__all__ = ["reach_plot", "ReachPlotProcess"]
