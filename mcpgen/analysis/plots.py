"""Reach plot: eps upper limit vs chi mass, log-log, one curve per set-up.

The curves are the eps_limit of :class:`mcpgen.analysis.yields.YieldPoint`
(the eps where N(eps) = s_up, seed 001 eq. 12 / seed 002 eq. 4); reference
curves, e.g. numbers read off the seeds' figures, are drawn dashed.

matplotlib is imported inside :func:`reach_plot` only, through its object API
(``Figure`` + ``FigureCanvasAgg``), so importing mcpgen neither imports
matplotlib nor changes the global backend of a user's session.
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


def reach_plot(points, path, *, title: str = "", references=None):
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

    With nothing finite to draw the figure carries the note "no reach".
    Returns the matplotlib ``Figure`` (not attached to pyplot) for further use.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = list(points)
    labels = []
    for p in points:  # one curve per (set-up, channel); the channel is named when a set-up has several
        key = (p.label, getattr(p, "channel", ""))
        if key not in labels:
            labels.append(key)
    several = {lab for lab, _ in labels if sum(1 for other, _ in labels if other == lab) > 1}

    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    drawn = 0
    for lab, channel in labels:
        mine = [p for p in points if p.label == lab and getattr(p, "channel", "") == channel]
        curve = _finite_curve([p.m_chi for p in mine], [p.eps_limit for p in mine])
        name = (lab or "(unlabelled)") + (f" {channel}" if lab in several else "")
        if curve:
            m, e = zip(*curve)
            ax.plot(m, e, "o-", ms=3, label=name)
            drawn += 1
        else:
            # keep the set-up visible in the legend without drawing anything
            ax.plot([], [], "o-", ms=3, label=f"{name} (no reach)")
    for ref_label, masses, eps in references or ():
        curve = _finite_curve(masses, eps)
        if curve:
            m, e = zip(*curve)
            ax.plot(m, e, "--", label=str(ref_label))
            drawn += 1

    if drawn:
        ax.set_xscale("log")
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "no reach", ha="center", va="center", fontsize=14,
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.set_xlabel(r"$m_\chi$ [MeV]")
    ax.set_ylabel(r"$\epsilon$ (upper limit)")
    if drawn:
        ax.grid(True, which="both", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
        os.chmod(tmp, 0o644)
    return fig


__all__ = ["reach_plot"]
