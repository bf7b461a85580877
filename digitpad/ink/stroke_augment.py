"""Stroke-level distortions of a drawing, for training on real pen strokes (no Qt, no torch).

The best practice for online digits distorts the pen's path before it is rendered, not the
rendered image: each stroke moves a little on its own (a 4's two strokes never meet the same way
twice, a 5's bar floats), the points follow a smooth random displacement field (Simard, Steinkraus
& Platt 2003, "elastic distortions", applied to the points), the whole digit is slanted and
stretched, and the pen is wider or thinner. All of it is drawn from one `numpy.random.Generator`,
so a seed gives the same drawing every time, and the result is kept inside the canvas it came from.

`strength` scales every range at once (0: the drawing unchanged, 1: the ranges below); it is
chosen on the held-out writers (benchmarks/README.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.ink.strokes import DEFAULT_RELATIVE_PEN

Point = tuple[float, float]


@dataclass(frozen=True)
class StrokeDistortion:
    """The ranges at strength 1, as fractions of the drawing's longer side unless said otherwise."""

    stroke_shift: float = 0.04        # each stroke moved by up to this, on its own
    stroke_rotation: float = 6.0      # each stroke turned about its centre by up to this (degrees)
    stroke_scale: float = 0.08        # each stroke resized by up to ±this
    elastic_amplitude: float = 0.05   # largest displacement of the smooth field
    elastic_width: float = 0.25       # the field's correlation length (Gaussian bumps of this width)
    elastic_bumps: int = 6
    slant: float = 0.3                # x += k·(y − centre), |k| up to this (right- or left-leaning)
    stretch: float = 0.15             # width ×(1+s), height ×1/(1+s)
    rotation: float = 8.0             # the whole digit turned by up to this (degrees)
    pen: float = 0.4                  # pen width ×e^{±this}
    resample: float = 0.03            # points added so no segment is longer than this (bends under the field)


DEFAULT_DISTORTION = StrokeDistortion()


def augment_strokes(strokes: Sequence[Sequence[Point]], rng: np.random.Generator, strength: float = 1.0,
                    canvas: tuple[float, float] | None = None,
                    distortion: StrokeDistortion = DEFAULT_DISTORTION) -> tuple[list[list[Point]], float]:
    """A distorted copy of `strokes` and a pen width (canvas units) to render it with.

    `canvas` (width, height): the result is kept inside [0, width] × [0, height] (shrunk about its
    centre and moved in when it would leave). Without it, inside the drawing's own bounding box
    grown by half its size. Strokes with no points are dropped."""
    parts = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes if len(s)]
    if not parts:
        return [], 1.0
    points = np.concatenate(parts)
    low, high = points.min(axis=0), points.max(axis=0)
    size = max(float((high - low).max()), 1e-9)
    centre = (low + high) / 2
    d, s = distortion, strength

    def uniform(limit: float, shape=None):
        return rng.uniform(-limit * s, limit * s, shape)

    parts = [_densify(p, d.resample * size) for p in parts]
    moved = []
    for part in parts:  # each stroke on its own
        own = part.mean(axis=0)
        turn = math.radians(uniform(d.stroke_rotation))
        scale = 1 + uniform(d.stroke_scale)
        matrix = scale * np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
        moved.append((part - own) @ matrix.T + own + uniform(d.stroke_shift, 2) * size)
    # Elastic: a smooth field, the sum of Gaussian bumps with random centres and displacements.
    bumps = centre + rng.uniform(-0.6, 0.6, (d.elastic_bumps, 2)) * size
    pushes = uniform(d.elastic_amplitude, (d.elastic_bumps, 2)) * size
    width2 = 2 * (d.elastic_width * size) ** 2
    for index, part in enumerate(moved):
        weights = np.exp(-((part[:, None, :] - bumps[None]) ** 2).sum(-1) / width2)
        moved[index] = part + weights @ pushes
    # The whole digit: slant, stretch, rotation about the centre.
    slant = uniform(d.slant)
    stretch = 1 + uniform(d.stretch)
    turn = math.radians(uniform(d.rotation))
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    matrix = rotation @ np.array([[1.0, slant], [0.0, 1.0]]) @ np.diag([stretch, 1 / stretch])
    moved = [(part - centre) @ matrix.T + centre for part in moved]
    moved = _keep_inside(moved, canvas, low - size / 2, high + size / 2)
    pen = DEFAULT_RELATIVE_PEN * size * math.exp(uniform(d.pen))
    return [[(float(x), float(y)) for x, y in part] for part in moved], pen


def _densify(points: np.ndarray, longest: float) -> np.ndarray:
    """The polyline with points added along it so that no segment is longer than `longest`."""
    if len(points) < 2 or longest <= 0:
        return points
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:], strict=True):
        pieces = max(1, math.ceil(float(np.hypot(*(b - a))) / longest))
        steps = np.arange(1, pieces + 1)[:, None] / pieces
        out.append(a + (b - a) * steps)
    return np.concatenate(out)


def _keep_inside(parts: list[np.ndarray], canvas: tuple[float, float] | None,
                 fallback_low: np.ndarray, fallback_high: np.ndarray) -> list[np.ndarray]:
    """`parts` shrunk about their centre (if they are bigger than the box) and moved into it."""
    if canvas is not None:
        box_low, box_high = np.zeros(2), np.asarray(canvas, np.float64)
    else:
        box_low, box_high = fallback_low, fallback_high
    points = np.concatenate(parts)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    factor = min(1.0, float(((box_high - box_low) / np.maximum(high - low, 1e-12)).min()))
    low, high = centre + (low - centre) * factor, centre + (high - centre) * factor
    shift = np.maximum(box_low - low, 0) - np.maximum(high - box_high, 0)
    return [np.clip((p - centre) * factor + centre + shift, box_low, box_high) for p in parts]
