"""The paper's space-displacement view: LeNet-5 swept along a whole number (LeCun et al. 1998,
Section VII). No Qt.

C5 is a convolution, so on an input wider than 32 px the network computes, in one pass, what it
would answer for every 32-px window at a stride of 4 px (`LeNet5.forward_sliding`). Shown across
the drawing, the sequence of answers lets a learner watch the network recognise each digit as
the window passes over it — and answer confidently between digits too, because this network was
trained on centred digits only (the paper trained its space-displacement network on strings).
`SlidingOutputs.reading` collapses the sequence the simplest way; benchmarks/strings.py measures
it against segmentation by recognition (it reads far worse: a view, not the app's reader).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw

from digitpad.model import LeNet5, rubbish_posterior
from digitpad.preprocess import (
    BACKGROUND,
    BOX,
    DEFAULT_RELATIVE_PEN,
    INK,
    INPUT_SIZE,
    EmptyDrawing,
    InkImage,
    Stroke,
)
from digitpad.preprocess import _clean_strokes as clean_strokes

STRIDE = 4  # pixels between windows: C1–S4 shrink by 4
_SUPERSAMPLE = 4
CONFIDENT = 0.4  # × j: a window's best penalty under this is a clear answer
_SIDE = 8  # paper left and right of the ink, so the first and last digits can be centred


@dataclass
class SlidingOutputs:
    """LeNet-5's answer for every 32-px window along a 32-px-tall strip of the number."""

    strip: np.ndarray  # 32×W, −0.1 … 1.175
    penalties: np.ndarray  # T×10
    rubbish: np.ndarray  # T
    rubbish_j: float = 20.0  # the network's rubbish constant: the scale of its penalties

    @property
    def confident(self) -> np.ndarray:
        """Windows whose best penalty is under 0.4 j (8 for j = 20): a clear answer."""
        return self.penalties.min(axis=1) < CONFIDENT * self.rubbish_j

    @property
    def centres(self) -> np.ndarray:
        """x of each window's centre in the strip."""
        return STRIDE * np.arange(len(self.penalties)) + INPUT_SIZE / 2

    @property
    def digits(self) -> np.ndarray:
        return self.penalties.argmin(axis=1)

    def reading(self) -> str:
        """Confident windows vote; a run of windows with the same digit is one digit (the
        simplest decoding; the paper used a grammar)."""
        text, last = [], None
        for digit, confident in zip(self.digits, self.confident):
            current = int(digit) if confident else None
            if current is not None and current != last:
                text.append(str(current))
            last = current
        return "".join(text)


def _strip(ink: np.ndarray) -> np.ndarray:
    """Ink (0 … 1, any size, cropped to the ink) -> 32 px tall: the ink 20 px tall (MNIST's box),
    6 px of paper above and below, _SIDE px left and right, grey levels as the network's input."""
    h, w = ink.shape
    scale = BOX / h
    width = max(1, round(w * scale))
    resized = np.asarray(Image.fromarray(ink.astype(np.float32), "F").resize(
        (width, BOX), Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR), np.float32)
    pad = (INPUT_SIZE - BOX) // 2
    grey = np.zeros((INPUT_SIZE, max(width + 2 * _SIDE, INPUT_SIZE)), np.float32)
    grey[pad : pad + BOX, _SIDE : _SIDE + width] = np.clip(resized, 0, 1)
    return BACKGROUND + grey * (INK - BACKGROUND)


def strokes_strip(strokes: Sequence[Stroke]) -> np.ndarray:
    """A drawn number as a 32-px-tall strip, pen as wide as for one digit of the same height."""
    parts = clean_strokes(strokes)
    if not parts:
        raise EmptyDrawing("no strokes with finite points")
    points = np.concatenate(parts)
    origin = points.min(axis=0)
    extent = points.max(axis=0) - origin
    height = float(extent[1]) or float(extent.max()) or 1.0
    # Supersampled so that the skeleton's height plus the pen is 20 px × _SUPERSAMPLE.
    scale = BOX * _SUPERSAMPLE / (height * (1 + DEFAULT_RELATIVE_PEN))
    pen = max(1, round(DEFAULT_RELATIVE_PEN * height * scale))
    margin = pen / 2 + 1
    size = (math.ceil(extent[0] * scale + 2 * margin), math.ceil(extent[1] * scale + 2 * margin))
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    for pts in parts:
        xy = [tuple(p) for p in ((pts - origin) * scale + margin).tolist()]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=pen, joint="curve")
        for x, y in xy[:: max(1, len(xy) - 1)]:  # round ends; a single point is a dot
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    ink = np.asarray(canvas, np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0), np.flatnonzero(ink.max(axis=0) > 0)
    return _strip(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def image_strip(image: InkImage) -> np.ndarray:
    """An image's ink (digitpad.preprocess.image_ink) as a 32-px-tall strip."""
    ink = np.asarray(image.ink, np.float32)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0), np.flatnonzero(ink.max(axis=0) > 0)
    if rows.size == 0:
        raise EmptyDrawing("no ink in the image")
    return _strip(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


@torch.inference_mode()
def slide(model: LeNet5, strip: np.ndarray) -> SlidingOutputs:
    """One pass of the network along the strip (it is at least 32 px wide)."""
    device = next(model.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(strip, np.float32))[None, None].to(device)
    penalties = model.forward_sliding(x)[0]
    rubbish = rubbish_posterior(penalties, model.rubbish_j)
    return SlidingOutputs(strip, penalties.cpu().numpy().astype(np.float64), rubbish.cpu().numpy().astype(np.float64),
                          model.rubbish_j)
