"""Upper limits on the mean of a Poisson signal with a known background.

Two constructions are provided:

* :func:`poisson_upper_limit` -- the classical (Neyman) one-sided upper limit,
  P(n <= n_obs | s_up + b) = 1 - CL.  With zero observed and zero background it
  gives 2.303 (90% CL) and 2.996 (95% CL) (physics-notes, "Constants"); seed 001
  (section 3, below eq. 12) uses N > 2.3 at 90% CL, seeds 002 and 004 N > 3 at
  95% CL.
* :func:`feldman_cousins_upper_limit` -- the upper end of the unified interval of
  G. J. Feldman and R. D. Cousins, "Unified approach to the classical statistical
  analysis of small signals", Phys. Rev. D 57 (1998) 3873 (arXiv:physics/9711021),
  section IV.B: acceptance intervals in n ordered by the likelihood ratio
  R = P(n | s + b) / P(n | s_best + b), s_best = max(0, n - b) (their eq. 4.1),
  filled in decreasing R until the summed probability reaches CL.  Zero
  observed and zero background gives 2.44 (90%) and 3.09 (95%) (their
  Tables IV and V).

:func:`signal_upper_limit` dispatches between the two, as a steering file asks.

Everything here is a pure function of its arguments; scipy's special functions
do the work and nothing is computed at import time.
"""

from __future__ import annotations

import difflib
import math
import numbers

import numpy as np
from scipy.special import gammaincinv, gammaln, xlogy

from ..errors import ConfigError

#: methods understood by :func:`signal_upper_limit`
METHODS = ("poisson", "feldman-cousins")


def _check_args(n_obs, background, cl):
    if isinstance(n_obs, bool) or not isinstance(n_obs, numbers.Integral):
        raise TypeError(f"n_obs must be an integer, got {n_obs!r}")
    if n_obs < 0:
        raise ValueError(f"n_obs must be >= 0, got {n_obs}")
    background = float(background)
    if not (math.isfinite(background) and background >= 0.0):
        raise ValueError(f"background must be a finite number >= 0, got {background!r}")
    cl = float(cl)
    if not 0.0 < cl < 1.0:
        raise ValueError(f"cl must lie strictly between 0 and 1, got {cl!r}")
    return int(n_obs), background, cl


def poisson_upper_limit(n_obs: int, background: float, cl: float) -> float:
    """Classical (Neyman) upper limit s_up on a Poisson signal mean.

    Solves P(n <= n_obs | s_up + b) = 1 - cl.  The Poisson CDF is a regularised
    incomplete gamma function, P(n <= N | mu) = Q(N + 1, mu), so the limit on the
    total mean is mu_up = P^{-1}(N + 1, cl) (equivalently (1/2) chi2 quantile at
    cl with 2(N + 1) degrees of freedom; PDG Review "Statistics", section on
    Poisson upper limits) and s_up = mu_up - b exactly: the equation depends on
    s + b only, so no root finding is needed.

    n_obs = 0, b = 0 gives -ln(1 - cl): 2.303 (90%) and 2.996 (95%).

    Behaviour when the background exceeds what was observed: s_up = mu_up - b
    becomes small and, for n_obs well below b, zero or negative (an empty
    interval -- the data are improbable for *every* s >= 0 at this CL).  The
    value is returned unclipped: clipping at 0 would claim that every signal is
    excluded, and a tiny positive s_up claims a far stronger limit than the
    sensitivity of the experiment justifies.  The PDG Review of Particle
    Physics ("Statistics", upper limits for Poisson data with background)
    recommends in this situation to use a construction that never gives an
    empty interval, such as the unified approach
    (:func:`feldman_cousins_upper_limit`), and to quote the sensitivity (the
    median limit expected from background alone) next to it.
    :func:`signal_upper_limit` enforces that: it refuses a non-positive
    classical limit with a message pointing to "feldman-cousins".
    """
    n_obs, background, cl = _check_args(n_obs, background, cl)
    mu_up = float(gammaincinv(n_obs + 1, cl))
    return mu_up - background


def _fc_accepts(n_obs: int, s: np.ndarray, background: float, cl: float) -> np.ndarray:
    """For each signal mean in ``s``, is n_obs inside the FC acceptance interval?

    Feldman & Cousins (1998) section IV.B: rank n by
    R(n) = P(n | s + b) / P(n | s_best + b), s_best = max(0, n - b), and accept
    values of n in decreasing R until the accepted probability is >= cl.  n_obs
    is accepted when the probability summed over the values ranked before it is
    still below cl.  Ties in R (they occur exactly at s = 0, where R = 1 for all
    n <= b) are broken towards smaller n; at s = 0 all tied values are accepted
    anyway because P(n <= b | b) < cl for the usual CLs.

    The n range is truncated 12 standard deviations plus 10 counts below and
    20 above the Poisson means; the neglected tail probability (< 1e-25) and
    those values' ranks (their R is tiny, so they come last) cannot change the
    acceptance of n_obs.
    """
    s = np.asarray(s, dtype=np.float64)
    lam_lo = float(s.min()) + background
    lam_hi = float(s.max()) + background
    n_lo = max(0, math.floor(lam_lo - 12.0 * math.sqrt(lam_lo) - 10.0))
    n_hi = math.ceil(lam_hi + 12.0 * math.sqrt(lam_hi) + 20.0)
    n_lo = min(n_lo, n_obs)
    n_hi = max(n_hi, n_obs)
    n = np.arange(n_lo, n_hi + 1, dtype=np.float64)

    lam = s[:, None] + background                       # (m, 1)
    log_fact = gammaln(n + 1.0)
    # xlogy(n, 0) = -inf for n > 0 and 0 for n = 0: P(n | 0) without warnings
    log_p = xlogy(n, lam) - lam - log_fact              # (m, k)
    lam_best = np.maximum(n, background)                # s_best + b = max(n, b)
    log_p_best = xlogy(n, lam_best) - lam_best - log_fact
    log_r = log_p - log_p_best                          # <= 0; -inf where P = 0

    order = np.argsort(-log_r, axis=1, kind="stable")
    p_sorted = np.take_along_axis(np.exp(log_p), order, axis=1)
    before = np.cumsum(p_sorted, axis=1) - p_sorted     # probability ranked ahead
    rank = np.argmax(order == (n_obs - n_lo), axis=1)
    return before[np.arange(len(s)), rank] < cl


def feldman_cousins_upper_limit(
    n_obs: int,
    background: float,
    cl: float,
    *,
    s_max: float | None = None,
    ds: float = 1e-3,
    tol: float = 1e-7,
) -> float:
    """Upper end s_2 of the Feldman-Cousins unified interval for a Poisson mean.

    Construction of Feldman & Cousins, Phys. Rev. D 57 (1998) 3873, section IV.B
    (likelihood-ratio ordering, eq. 4.1, with s_best = max(0, n - b)).  The
    upper limit is the largest signal mean whose acceptance interval contains
    n_obs; when the set of such means is not connected (it can have small
    holes because n is discrete) the largest one is taken, i.e. the interval is
    the smallest one containing every accepting s, as in the paper's tables.

    Numerics: the signal axis is scanned downwards from ``s_max`` on a grid of
    step ``ds`` (default 0.001) to find the last accepting grid point; the edge
    between it and the next (rejecting) grid point is then located by bisection
    to ``tol`` (default 1e-7).  The result is therefore exact to ~1e-7 for the
    construction, except that an acceptance island narrower than ``ds`` above
    the last accepting grid point would be missed (none exists for the
    tabulated cases; the paper quotes 2 decimals).  Reproduces the paper's
    Tables IV/V, e.g. b = 0: n = 0 -> 2.44 (90%), 3.09 (95%); n = 3 -> 7.42
    (90%); b = 3, n = 0 -> 1.08 (90%).

    ``s_max`` defaults to (n_obs - b) plus 10 sqrt(n_obs + 1) + 10, where n_obs
    is far in the lower tail; if n_obs is still accepted there the default
    range is doubled until it is not, while a user-given ``s_max`` raises.
    """
    n_obs, background, cl = _check_args(n_obs, background, cl)
    if not (ds > 0.0 and math.isfinite(ds)):
        raise ValueError(f"ds must be a positive number, got {ds!r}")
    if not tol > 0.0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    auto = s_max is None
    if auto:
        s_max = max(n_obs - background, 0.0) + 10.0 * math.sqrt(n_obs + 1.0) + 10.0
    s_max = float(s_max)
    if not (s_max > 0.0 and math.isfinite(s_max)):
        raise ValueError(f"s_max must be a positive number, got {s_max!r}")

    while _fc_accepts(n_obs, np.array([s_max]), background, cl)[0]:
        if not auto:
            raise ValueError(
                f"n_obs = {n_obs} is still accepted at s_max = {s_max}; increase s_max"
            )
        s_max *= 2.0

    n_grid = math.ceil(s_max / ds)
    block = 2048
    top = n_grid  # grid index of the highest point of the current block (+1 excl.)
    while top > 0:
        lo = max(0, top - block)
        s = np.arange(lo, top, dtype=np.float64) * ds
        acc = _fc_accepts(n_obs, s, background, cl)
        if acc.any():
            k = int(np.flatnonzero(acc)[-1])
            a = float(s[k])
            b = float(s[k + 1]) if k + 1 < len(s) else min(top * ds, s_max)
            break
        top = lo
    else:  # pragma: no cover - s = 0 always accepts n_obs (see _fc_accepts)
        return 0.0

    # n_obs accepted at a, rejected at b: bisect the edge.
    if b <= a:  # a is s_max itself (cannot happen: s_max rejects)
        return a  # pragma: no cover
    while b - a > tol:
        mid = 0.5 * (a + b)
        if _fc_accepts(n_obs, np.array([mid]), background, cl)[0]:
            a = mid
        else:
            b = mid
    return 0.5 * (a + b)


def signal_upper_limit(cl: float, method: str, background: float, observed: int) -> float:
    """Upper limit on the signal count for a steering file's statistics block.

    ``method`` is "poisson" (classical, :func:`poisson_upper_limit`) or
    "feldman-cousins" (:func:`feldman_cousins_upper_limit`).  ``observed = -1``
    means floor(background): the median number of events expected from
    background alone (exactly the median only for integer or small b), used for
    projected sensitivities as in seeds 001 and 002.

    A classical limit that is zero or negative (an empty interval: far fewer
    events observed than the background predicts) raises :class:`ConfigError`
    rather than returning a limit that would exclude every signal; following
    the PDG recommendation, use "feldman-cousins" and quote the sensitivity
    (observed = -1) as well.  Bad method names, a CL outside (0, 1), negative
    backgrounds or observed counts below -1 raise :class:`ConfigError` naming
    the key.
    """
    if method not in METHODS:
        close = difflib.get_close_matches(str(method), METHODS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown limit method {method!r}{hint}; allowed: {', '.join(METHODS)}",
            key="method",
        )
    try:
        cl = float(cl)
    except (TypeError, ValueError):
        raise ConfigError(f"cl must be a number in (0, 1), got {cl!r}", key="cl") from None
    if not 0.0 < cl < 1.0:
        raise ConfigError(f"cl must lie strictly between 0 and 1, got {cl!r}", key="cl")
    try:
        background = float(background)
    except (TypeError, ValueError):
        raise ConfigError(
            f"background must be a number >= 0, got {background!r}", key="background"
        ) from None
    if not (math.isfinite(background) and background >= 0.0):
        raise ConfigError(
            f"background must be a finite number >= 0, got {background!r}", key="background"
        )
    if isinstance(observed, bool) or not isinstance(observed, numbers.Integral):
        raise ConfigError(
            f"observed must be an integer >= 0 or -1 (median background-only), got {observed!r}",
            key="observed",
        )
    if observed < -1:
        raise ConfigError(
            f"observed must be >= 0 or -1 (median background-only), got {observed}",
            key="observed",
        )
    n_obs = math.floor(background) if observed == -1 else int(observed)

    if method == "poisson":
        s_up = poisson_upper_limit(n_obs, background, cl)
        if s_up <= 0.0:
            raise ConfigError(
                f"the classical Poisson upper limit is empty (s_up = {s_up:.3g}) for "
                f"observed = {n_obs} with background = {background}; use method "
                f"'feldman-cousins' (PDG recommendation) and quote the sensitivity "
                f"(observed = -1)",
                key="method",
            )
        return s_up
    return feldman_cousins_upper_limit(n_obs, background, cl)


__all__ = [
    "METHODS",
    "poisson_upper_limit",
    "feldman_cousins_upper_limit",
    "signal_upper_limit",
]
