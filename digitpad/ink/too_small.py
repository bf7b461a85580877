"""The too-small policy: a drawing or an image whose ink is a click, a tremor or a speck is "too
small to read", whatever the network would say of it. No Qt, no torch."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from digitpad.ink.normalise import INK_EPS, EmptyDrawing
from digitpad.ink.strokes import Stroke, clean_strokes

#: A drawing whose strokes span less than this fraction of the canvas's shorter side is "too
#: small to read": a click, a tremor, a dot. 6 % is 26 px on the default 440 px canvas; the
#: smallest digit in the tests' drawings spans 60 px (14 %), a click spans 0 and a tremor a few px.
MIN_DRAWING_FRACTION = 0.06
#: An image's ink is a speck below this span (pixels, after reduction to at most _WORK_SIDE)...
MIN_IMAGE_INK_SPAN = 6
#: ...or below this much ink (sum of ink levels, i.e. pixels of full ink).
MIN_IMAGE_INK_MASS = 8.0


def image_ink_too_small(ink: np.ndarray) -> bool:
    """True when an image's ink (0..1, paper 0) is a speck: spanning fewer than
    MIN_IMAGE_INK_SPAN pixels, or less than MIN_IMAGE_INK_MASS pixels' worth of full ink."""
    rows = np.flatnonzero(ink.max(axis=1) > INK_EPS)
    cols = np.flatnonzero(ink.max(axis=0) > INK_EPS)
    if rows.size == 0:
        return True
    span = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    return bool(span < MIN_IMAGE_INK_SPAN or float(ink.sum()) < MIN_IMAGE_INK_MASS)


def drawing_too_small(strokes: Iterable[Stroke], canvas_size: tuple[float, float] | None = None) -> bool:
    """True when the drawing's ink spans less than MIN_DRAWING_FRACTION of the canvas's shorter side.

    The span is the longer side of the bounding box of its largest stroke (the pen not counted, so
    a click is 0 whatever the pen): a drawing made only of specks is too small however far apart
    they are, while any real digit has at least one stroke of its size. Screen-independent: only
    the ratio to the canvas matters. Without a `canvas_size` the canvas is taken to reach from
    (0, 0) to the furthest point drawn (what a stroke file in canvas pixels implies).
    Raises EmptyDrawing when there are no points.
    """
    parts = clean_strokes(strokes)
    if not parts:
        raise EmptyDrawing("no strokes with finite points")
    points = np.concatenate(parts)
    # A drawing made only of specks (two dots far apart) is as unreadable as one speck: its span
    # is that of its largest stroke, not the distance between the specks.
    span = max(float((part.max(axis=0) - part.min(axis=0)).max()) for part in parts)
    if canvas_size is None:
        shorter = float(np.maximum(points.max(axis=0), 0.0).min())
    else:
        shorter = float(min(canvas_size))
    if not (math.isfinite(shorter) and shorter > 0) or not math.isfinite(span):
        return False  # no usable canvas to compare with: judge the drawing by its shape alone
    return span < MIN_DRAWING_FRACTION * shorter
