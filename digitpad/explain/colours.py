"""The colour maps, as numpy only (no Qt, no Pillow): the diverging map of activations and weights
and the attribution map. The GUI's colormap and explanations and the core's pictures (training
time-lapse frames, the attribution overlay) all take them from here."""

from __future__ import annotations

import numpy as np

# ColorBrewer RdBu (reversed): negative = blue, zero = white, positive = red.
DIVERGING_ANCHORS = np.array([
    (0x05, 0x30, 0x61), (0x21, 0x66, 0xAC), (0x43, 0x93, 0xC3), (0x92, 0xC5, 0xDE), (0xD1, 0xE5, 0xF0),
    (0xF7, 0xF7, 0xF7),
    (0xFD, 0xDB, 0xC7), (0xF4, 0xA5, 0x82), (0xD6, 0x60, 0x4D), (0xB2, 0x18, 0x2B), (0x67, 0x00, 0x1F),
], dtype=np.float64)
# ColorBrewer PuOr, colour-blind safe: purple = the ink lowered the penalty (supports the
# class), white = no effect, orange = it raised the penalty (opposes). Not the activations'
# blue/red, so the two are not confused.
ATTRIBUTION_ANCHORS = np.array([
    (0x2D, 0x00, 0x4B), (0x54, 0x27, 0x88), (0x80, 0x73, 0xAC), (0xB2, 0xAB, 0xD2), (0xD8, 0xDA, 0xEB),
    (0xF7, 0xF7, 0xF7),
    (0xFE, 0xE0, 0xB6), (0xFD, 0xB8, 0x63), (0xE0, 0x82, 0x14), (0xB3, 0x58, 0x06), (0x7F, 0x3B, 0x08),
], dtype=np.float64)
LUT_SIZE = 256


def colour_lut(anchors: np.ndarray) -> np.ndarray:
    """(LUT_SIZE, 3) uint8: the anchor colours, evenly spaced from −limit to +limit, interpolated."""
    return np.stack([np.interp(np.linspace(0, 1, LUT_SIZE), np.linspace(0, 1, len(anchors)), anchors[:, c])
                     for c in range(3)], axis=1).round().astype(np.uint8)


DIVERGING_LUT = colour_lut(DIVERGING_ANCHORS)
ATTRIBUTION_LUT = colour_lut(ATTRIBUTION_ANCHORS)


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """Any-shaped values -> uint8 RGB (…, 3): −limit blue, 0 white, +limit red (clipped)."""
    t = (np.clip(np.nan_to_num(np.asarray(values, np.float64)), -limit, limit) + limit) / (2 * limit)
    return DIVERGING_LUT[np.rint(t * (LUT_SIZE - 1)).astype(np.intp)]
