"""Vector strokes (canvas pixels, y down) -> LeNet-5's 32×32 input: drawn with a pen relative to
the drawing's size, then normalised like any ink (ink/normalise.py). No Qt, no torch."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from digitpad.ink.normalise import BOX, EmptyDrawing, Placement, normalise_ink_placed

Point = tuple[float, float]
Stroke = Sequence[Point]

#: Default pen width as a fraction of the drawing's longer side (skeleton, without the pen).
#: Calibrated on the MNIST test set: a plain "0", "1", "2", "4" and "7" drawn with it have the
#: mean ink mass of their class within -8..+7 % (mass = sum of grey levels in [0, 1]; 0.14 gave
#: -20..-1 %, 0.18 gave -2..+19 %). The stroke is then 20·r/(1+r) ≈ 2.8 px wide in the 20 px
#: box, within MNIST's 2–3 px.
DEFAULT_RELATIVE_PEN = 0.16
#: A user's pen width may change the relative width by at most this factor either way, so the
#: drawing stays (nearly) independent of the size it was drawn at.
_PEN_MODULATION = 1.2
_SUPERSAMPLE = 4  # render strokes at 4× the 20 px box, then box-filter down (anti-aliasing)
_SUPERSAMPLE = 4  # render strokes at 4× the 20 px box, then box-filter down (anti-aliasing)


def clean_strokes(strokes: Iterable[Stroke]) -> list[np.ndarray]:
    """Each stroke as a float64 (n, 2) array of finite points; empty strokes dropped."""
    cleaned = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=np.float64)
        if pts.size == 0:
            continue
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(f"a stroke must be a sequence of (x, y) points, got shape {pts.shape}")
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts):
            cleaned.append(pts)
    return cleaned


def render_strokes(strokes: Iterable[Stroke], pen_width: float | None = None) -> np.ndarray:
    """Vector strokes (canvas pixels, y down) -> normalised (32, 32) float32 in [-0.1, 1.175];
    see `render_strokes_placed`."""
    return render_strokes_placed(strokes, pen_width)[0]


def render_strokes_placed(strokes: Iterable[Stroke], pen_width: float | None = None) -> tuple[np.ndarray, Placement]:
    """Vector strokes (canvas pixels, y down) -> normalised (32, 32) float32 in [-0.1, 1.175].

    Only the shape matters: the drawing is taken relative to its bounding box, and the pen
    width is relative to the drawing's size, so the same digit drawn anywhere at any size gives
    (nearly) the same array. `pen_width` (canvas pixels) only nudges the relative width, by at
    most ×1.2 either way.
    """
    parts = clean_strokes(strokes)
    if not parts:
        raise EmptyDrawing("no strokes with finite points")
    allpts = np.concatenate(parts)
    magnitude = float(np.abs(allpts).max())
    unit = 1.0
    if magnitude > 1e150:  # keep max - min finite for coordinates near the float limit
        parts = [p / magnitude for p in parts]
        allpts = allpts / magnitude
        unit = 1.0 / magnitude
    origin = allpts.min(axis=0)
    extent = allpts.max(axis=0) - origin
    size = float(extent.max())

    relative = DEFAULT_RELATIVE_PEN
    if pen_width is not None and math.isfinite(pen_width) and pen_width > 0 and size > 0:
        ratio = math.sqrt(pen_width / size / DEFAULT_RELATIVE_PEN)
        relative *= min(max(ratio, 1 / _PEN_MODULATION), _PEN_MODULATION)
    # Pillow pens have whole-pixel widths, so fix the pen and derive the scale from it: the
    # drawing's longer side lands near BOX * _SUPERSAMPLE px and the relative width is exact.
    pen = max(3, round(relative * BOX * _SUPERSAMPLE))
    scale = pen / relative / size if size > 0 else 0.0  # (relative * size) may underflow
    if not math.isfinite(scale):  # extent so tiny that it's a dot at any useful scale
        scale = 0.0
    margin = pen / 2 + 2
    width = int(math.ceil(extent[0] * scale + 2 * margin))
    height = int(math.ceil(extent[1] * scale + 2 * margin))
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    r = pen / 2
    for pts in parts:
        xy = (pts - origin) * scale + margin
        # Points closer than a quarter supersampled pixel add nothing but drawing time.
        q = np.round(xy * 2) / 2
        keep = np.ones(len(q), bool)
        keep[1:] = (q[1:] != q[:-1]).any(axis=1)
        xy = xy[keep].tolist()
        if len(xy) > 1:
            draw.line([tuple(p) for p in xy], fill=255, width=pen)
        for x, y in xy:  # round caps and joins; a single point is a dot
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    ink = np.asarray(canvas, np.float32) / 255.0
    array, placement = normalise_ink_placed(ink)
    # Pillow draws a point at (x, y) centred on pixel edge x + 0.5: canvas → ink image is
    # scale·(p − origin) + margin + 0.5.
    placement = placement.then(scale, margin + 0.5 - scale * origin[0], margin + 0.5 - scale * origin[1])
    return array, placement.then(unit, 0.0, 0.0)
