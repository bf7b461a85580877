"""The paper's space-displacement view: LeNet-5 swept along a whole number (LeCun et al. 1998,
Section VII). No Qt.

C5 is a convolution, so on an input wider than 32 px the network computes, in one pass, what it
would answer for every 32-px window at a stride of 4 px (`LeNet5.forward_sliding`). Shown across
the drawing, the sequence of answers lets a learner watch the network recognise each digit as
the window passes over it — and answer confidently between digits too, because this network was
trained on centred digits only (the paper trained its space-displacement network on strings).
`SlidingOutputs.reading` decodes the sequence as the paper does, minus its grammar;
benchmarks/strings.py measures it against segmentation by recognition (it reads far worse: a
view, not the app's reader).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw

from digitpad.network.lenet5 import LeNet5, rubbish_posterior
from digitpad.ink.normalise import BACKGROUND, BOX, EmptyDrawing, INK, INPUT_SIZE
from digitpad.ink.strokes import DEFAULT_RELATIVE_PEN, Stroke
from digitpad.ink.images import InkImage
from digitpad.reading.segmentation import drop_specks
from digitpad.reading.verdict import REJECT_THRESHOLD

STRIDE = 4  # pixels between windows: C1–S4 shrink by 4
_SUPERSAMPLE = 4
#: Consecutive windows that must agree on a digit for `SlidingOutputs.reading` to read it
#: (benchmarks/strings.py, validation split: 2 reads about 3 times as many MNIST numbers as 1).
MIN_RUN = 2


@dataclass
class SlidingOutputs:
    """LeNet-5's answer for every 32-px window along a 32-px-tall strip of the number."""

    strip: np.ndarray  # 32×W, −0.1 … 1.175
    penalties: np.ndarray  # T×10
    rubbish: np.ndarray  # T
    rubbish_j: float = 20.0  # the network's rubbish constant: the scale of its penalties

    @property
    def confident(self) -> np.ndarray:
        """Windows with a clear answer: the ones the app would not call "not a digit" (eq. 9's
        rubbish posterior at most verdict.REJECT_THRESHOLD; the rest are rubbish, the paper's
        "no character centred here")."""
        return self.rubbish <= REJECT_THRESHOLD

    @property
    def centres(self) -> np.ndarray:
        """x of each window's centre in the strip."""
        return STRIDE * np.arange(len(self.penalties)) + INPUT_SIZE / 2

    @property
    def digits(self) -> np.ndarray:
        return self.penalties.argmin(axis=1)

    def reading(self) -> str:
        """The paper's decoding of a space-displacement network's outputs, without its grammar:
        each window is labelled with its best digit, or as rubbish; runs of windows with the same
        label collapse into one, rubbish runs separate digits, and a digit is read only where at
        least MIN_RUN consecutive windows agree on it (a centred digit stays recognised as the
        window moves a few pixels; a half digit at a window's edge flickers)."""
        labels = [int(d) if clear else None for d, clear in zip(self.digits, self.confident)]
        return "".join(str(label) for label, run in itertools.groupby(labels)
                       if label is not None and len(list(run)) >= MIN_RUN)


def _strip(ink: np.ndarray) -> np.ndarray:
    """Ink (0 … 1, any size, cropped to the ink) -> 32 px tall: the ink 20 px tall (MNIST's box),
    6 px of paper above and below, half a window (16 px) of paper left and right, and the width
    rounded up to whole strides, so that some window is centred within 2 px of every column of
    ink — the first and the last digit included — and the last window ends at the strip's end;
    grey levels as the network's input."""
    h, w = ink.shape
    scale = BOX / h
    width = max(1, round(w * scale))
    resized = np.asarray(Image.fromarray(ink.astype(np.float32), "F").resize(
        (width, BOX), Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR), np.float32)
    pad, side = (INPUT_SIZE - BOX) // 2, INPUT_SIZE // 2
    grey = np.zeros((INPUT_SIZE, INPUT_SIZE + STRIDE * math.ceil(width / STRIDE)), np.float32)
    grey[pad : pad + BOX, side : side + width] = np.clip(resized, 0, 1)
    return BACKGROUND + grey * (INK - BACKGROUND)


def strokes_strip(strokes: Sequence[Stroke]) -> np.ndarray:
    """A drawn number as a 32-px-tall strip, pen as wide as for one digit of the same height;
    stray clicks left out, as the reader leaves them out (segmentation.specks)."""
    parts = drop_specks(strokes)
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
    """An image's ink (digitpad.ink.images.image_ink) as a 32-px-tall strip."""
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
