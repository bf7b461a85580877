"""Hand-drawing-like stroke sets for the ten digits, as a person would draw them with a mouse.

Each digit is a few strokes in a unit box (x right, y down), densely sampled like mouse-move
events, then placed on a canvas with a size, an offset and a slant. Used by the tests and by
the latency benchmark.
"""

from __future__ import annotations

import math

Stroke = list[tuple[float, float]]


def _arc(cx, cy, rx, ry, start_deg, end_deg, steps=40) -> Stroke:
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start_deg + (end_deg - start_deg) * i / steps for i in range(steps + 1))]


def _line(*points, steps=20) -> Stroke:
    out: Stroke = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        out += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return out


UNIT_DIGITS: dict[int, list[Stroke]] = {
    0: [_arc(0.5, 0.5, 0.33, 0.48, -90, 275)],
    1: [_line((0.55, 0.02), (0.47, 0.98))],
    2: [_arc(0.5, 0.3, 0.32, 0.28, 190, 380) + _line((0.8, 0.4), (0.12, 0.97), (0.9, 0.97))[1:]],
    3: [_arc(0.48, 0.26, 0.3, 0.24, 200, 450) + _arc(0.48, 0.74, 0.34, 0.24, -90, 160)[1:]],
    4: [_line((0.62, 0.0), (0.08, 0.64), (0.92, 0.64)), _line((0.68, 0.25), (0.66, 1.0))],
    5: [_line((0.82, 0.02), (0.28, 0.02), (0.22, 0.45)) + _arc(0.48, 0.68, 0.34, 0.3, -140, 155)[1:]],
    6: [_arc(0.6, 0.55, 0.42, 0.55, -80, -200) + _arc(0.5, 0.72, 0.3, 0.26, 180, 540)[1:]],
    7: [_line((0.08, 0.02), (0.9, 0.02), (0.38, 0.98))],
    8: [_arc(0.5, 0.25, 0.24, 0.23, 90, 450) + _arc(0.5, 0.72, 0.29, 0.26, -90, 270)[1:]],
    9: [_arc(0.46, 0.3, 0.3, 0.27, 0, 360), _line((0.76, 0.3), (0.7, 0.98))],
}


def draw(digit: int, size: float = 240.0, origin: tuple[float, float] = (100.0, 60.0),
         slant: float = 0.0, aspect: float = 0.7) -> list[Stroke]:
    """The digit's strokes in canvas pixels: `size` tall, `aspect`·size wide, top-left at `origin`;
    `slant` shifts the top to the right by slant·size (italic handwriting)."""
    ox, oy = origin
    strokes = []
    for stroke in UNIT_DIGITS[digit]:
        strokes.append([(ox + (x * aspect + slant * (1 - y)) * size, oy + y * size) for x, y in stroke])
    return strokes


#: Ways people draw: big, small, off-centre, slanted, narrow.
VARIANTS: dict[str, dict] = {
    "plain": {},
    "small": {"size": 60.0, "origin": (30.0, 20.0)},
    "large": {"size": 420.0, "origin": (10.0, 5.0)},
    "off-centre": {"origin": (320.0, 200.0), "size": 150.0},
    "slanted": {"slant": 0.2},
    "narrow": {"aspect": 0.5},
}
