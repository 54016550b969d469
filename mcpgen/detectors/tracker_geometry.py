"""Geometry of the cylindrical tracker (:mod:`mcpgen.detectors.tracker`): straight rays
from the vertex through the coaxial shells (beam pipe, inner wall, gas) clipped to the
length, and the distance from the axis along a ray (layer crossings).  Lengths in mm."""

from __future__ import annotations

import numpy as np


def t_exit_radius(origin, d, radius):
    """Path parameter t >= 0 where the ray origin + t d (unit d) reaches radius r from
    inside (inf for a ray along the axis); 0 if the origin is outside."""
    o = np.asarray(origin, float)
    a = d[:, 0] ** 2 + d[:, 1] ** 2
    b = o[:, 0] * d[:, 0] + o[:, 1] * d[:, 1]
    c = o[:, 0] ** 2 + o[:, 1] ** 2 - radius * radius
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (-b + np.sqrt(np.maximum(b * b - a * c, 0.0))) / a
    t = np.where(a > 0, t, np.inf)
    return np.where(c <= 0, np.maximum(t, 0.0), 0.0)


def t_exit_z(origin, d, half_length):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d[:, 2] > 0, (half_length - origin[:, 2]) / d[:, 2],
                     np.where(d[:, 2] < 0, (-half_length - origin[:, 2]) / d[:, 2], np.inf))
    return np.maximum(t, 0.0)


def ray_radius(geo, t):
    """Distance from the axis at path length t (mm) of the rays ``geo`` = (a, b, c):
    r^2 = c + 2 b t + a t^2 with a = dx^2 + dy^2, b = o.d (transverse), c = ox^2 + oy^2;
    ``t`` of shape (n,) or (n, G)."""
    a, b, c = (x if np.ndim(t) == 1 else x[:, None] for x in geo)
    return np.sqrt(np.maximum(c + 2.0 * b * t + a * t * t, 0.0))


def ray_terms(origin, d):
    return (d[:, 0] ** 2 + d[:, 1] ** 2, origin[:, 0] * d[:, 0] + origin[:, 1] * d[:, 1],
            origin[:, 0] ** 2 + origin[:, 1] ** 2)


def paths(card, origin, d):
    """(pipe, wall, gas path lengths, t of the gas entry) in mm for unit directions d."""
    tz = t_exit_z(origin, d, 0.5 * card.length)

    def shell(r1, r2):
        t1 = np.minimum(t_exit_radius(origin, d, r1), tz)
        t2 = np.minimum(t_exit_radius(origin, d, r2), tz)
        return np.maximum(t2 - t1, 0.0), t1

    pipe, _ = shell(card.pipe_radius, card.pipe_radius + card.pipe_thickness)
    wall, _ = shell(card.inner_radius - card.wall_thickness, card.inner_radius)
    gas, t_in = shell(card.inner_radius, card.radius)
    return pipe, wall, gas, t_in


__all__ = ["t_exit_radius", "t_exit_z", "ray_radius", "ray_terms", "paths"]
