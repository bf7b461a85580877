"""The diverging colour map of activations and weights, as numpy only (no Qt, no Pillow): the
GUI's colormap and the core's pictures (training time-lapse frames) both take it from here."""

from __future__ import annotations

import numpy as np

# ColorBrewer RdBu (reversed): negative = blue, zero = white, positive = red.
DIVERGING_ANCHORS = np.array([
    (0x05, 0x30, 0x61), (0x21, 0x66, 0xAC), (0x43, 0x93, 0xC3), (0x92, 0xC5, 0xDE), (0xD1, 0xE5, 0xF0),
    (0xF7, 0xF7, 0xF7),
    (0xFD, 0xDB, 0xC7), (0xF4, 0xA5, 0x82), (0xD6, 0x60, 0x4D), (0xB2, 0x18, 0x2B), (0x67, 0x00, 0x1F),
], dtype=np.float64)
LUT_SIZE = 256
DIVERGING_LUT = np.stack([np.interp(np.linspace(0, 1, LUT_SIZE), np.linspace(0, 1, len(DIVERGING_ANCHORS)),
                                    DIVERGING_ANCHORS[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """Any-shaped values -> uint8 RGB (…, 3): −limit blue, 0 white, +limit red (clipped)."""
    t = (np.clip(np.nan_to_num(np.asarray(values, np.float64)), -limit, limit) + limit) / (2 * limit)
    return DIVERGING_LUT[np.rint(t * (LUT_SIZE - 1)).astype(np.intp)]
