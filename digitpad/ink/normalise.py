"""Ink (of a drawing or an image) -> the normalised 32×32 input of LeNet-5, and that input's
values and grey levels (no Qt, no torch).

The paper's MNIST recipe (LeCun et al. 1998, Section III.A): the ink's bounding box is scaled
so its longer side is 20 px (aspect ratio kept, anti-aliased), the result is placed in a 28×28
field so that its centre of mass is at the field's centre, the field is extended to 32×32 with
background, and grey levels map to background = -0.1 .. ink = 1.175. Strokes (ink/strokes.py)
and images (ink/images.py) share `normalise_ink` so a drawn digit and a loaded one go through
exactly the same steps.

Centre-of-mass convention: pixel *index* coordinates (pixel i covers [i-0.5, i+0.5]). Real
MNIST digits have their centre of mass in [13.5, 14.5] in those coordinates, i.e. MNIST shifted
by whole pixels to put it at (14, 14); we do the same, so in the 32×32 output it is at (16, 16).
"""


from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

BACKGROUND = -0.1
INK = 1.175
INPUT_SIZE = 32

FIELD = 28  # MNIST's field, padded by (INPUT_SIZE - FIELD) / 2 on each side
BOX = 20  # longer side of the ink bounding box inside the field
_CENTRE = 14.0  # target centre of mass in the 28×28 field, index coordinates (see module doc)
INK_EPS = 1e-3  # "any ink at all": below one grey level of an 8-bit image


class EmptyDrawing(ValueError):
    """There is no ink: no strokes, only invalid points, or a blank/uniform image."""


@dataclass(frozen=True)
class Placement:
    """Where normalisation put a drawing: a point (x, y) of the source (canvas pixels, or the
    pixels of the ink image; x right, y down, pixel edges at whole numbers) lands at
    (scale·x + offset_x, scale·y + offset_y) on the 32×32 input. Lets attributions computed on
    the input be drawn back onto the canvas."""

    scale: float
    offset_x: float
    offset_y: float

    def to_input(self, x: float, y: float) -> tuple[float, float]:
        return self.scale * x + self.offset_x, self.scale * y + self.offset_y

    def to_source(self, u: float, v: float) -> tuple[float, float]:
        return (u - self.offset_x) / self.scale, (v - self.offset_y) / self.scale

    def then(self, scale: float, offset_x: float, offset_y: float) -> Placement:
        """This placement preceded by source' = scale·source + offset (composition)."""
        return Placement(self.scale * scale, self.scale * offset_x + self.offset_x,
                         self.scale * offset_y + self.offset_y)


@dataclass(frozen=True)
class PreparedInput:
    """A network input and whether the ink it came from was too small to read."""

    array: np.ndarray  # (32, 32) float32, −0.1 … 1.175
    too_small: bool = False
    placement: Placement | None = None  # where the (upright) source image's pixels landed on `array`


def normalise_ink(ink: np.ndarray) -> np.ndarray:
    """Grey ink image (float, 0 = paper, 1 = ink, any size) -> normalised (32, 32) float32: the one
    normalisation of drawings, images, parts of images (segmentation) and generated negatives."""
    return normalise_ink_placed(ink)[0]


def normalise_ink_placed(ink: np.ndarray) -> tuple[np.ndarray, Placement]:
    """Grey ink image (float, 0 = paper, 1 = ink, any size) -> normalised (32, 32) float32, and
    where the ink image's pixels landed on it."""
    rows = np.flatnonzero(ink.max(axis=1) > INK_EPS)
    cols = np.flatnonzero(ink.max(axis=0) > INK_EPS)
    if rows.size == 0:
        raise EmptyDrawing("no ink in the drawing")
    crop = np.ascontiguousarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], np.float32)
    h, w = crop.shape
    scale = BOX / max(h, w)
    ex = ey = 0.0
    if scale != 1:
        # Resample at exactly `scale` (not to a rounded size, which would distort thin shapes
        # such as a "1"): the source box is centred on the ink and widened to whole output
        # pixels, with zero padding. BOX averages the covered area when shrinking (MNIST's
        # anti-aliasing); bilinear enlarges small images without ringing.
        out_w, out_h = max(1, math.ceil(w * scale - 1e-6)), max(1, math.ceil(h * scale - 1e-6))
        ex, ey = (out_w / scale - w) / 2, (out_h / scale - h) / 2
        m = math.ceil(max(ex, ey)) + 1
        padded = np.pad(crop, m)
        box = (m - ex, m - ey, m + w + ex, m + h + ey)
        resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
        img = Image.fromarray(padded, "F").resize((out_w, out_h), resample, box=box)
        crop = np.asarray(img, np.float32)
    crop = np.clip(crop, 0.0, 1.0)
    mass = float(crop.sum())
    if not mass > 0:
        raise EmptyDrawing("no ink in the drawing")
    h, w = crop.shape
    cy = float(crop.sum(axis=1) @ np.arange(h)) / mass
    cx = float(crop.sum(axis=0) @ np.arange(w)) / mass
    # Whole-pixel shift like MNIST (no extra blur); clamped so ink never leaves the 28×28
    # field, which keeps the 2 px frame pure background (only lopsided shapes are affected).
    top = min(max(round(_CENTRE - cy), 0), FIELD - h)
    left = min(max(round(_CENTRE - cx), 0), FIELD - w)
    pad = (INPUT_SIZE - FIELD) // 2
    grey = np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32)
    grey[pad + top : pad + top + h, pad + left : pad + left + w] = crop
    # Output pixel edge u covers source edge cols[0] − ex + u / scale (the resampling box above).
    placement = Placement(scale, pad + left - (cols[0] - ex) * scale, pad + top - (rows[0] - ey) * scale)
    # Clipped because float32 rounding can overshoot the ends by one ulp.
    return np.clip(BACKGROUND + grey * (INK - BACKGROUND), BACKGROUND, INK).astype(np.float32), placement


def input_greys(array32: np.ndarray) -> np.ndarray:
    """The network input as 8-bit grey levels: paper (−0.1) white 255, ink (+1.175) black 0."""
    ink = np.clip((np.asarray(array32, np.float64) - BACKGROUND) / (INK - BACKGROUND), 0, 1)
    return np.rint(255 * (1 - ink)).astype(np.uint8)
