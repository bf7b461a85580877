"""numpy arrays -> colours: the diverging colour map for activations, greys for the input.

Every layer of LeNet-5 ends in f(a) = 1.7159·tanh(2/3·a), so activations live in ±1.7159.
One fixed scale for all maps (not per-map normalisation) keeps colours comparable across maps
and layers: white is 0, saturated blue/red is the squashing function's limit.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter

from digitpad.explain.colours import DIVERGING_ANCHORS, DIVERGING_LUT
from digitpad.explain.colours import diverging_rgb as _diverging_rgb
from digitpad.network.architecture import SQUASH_A
from digitpad.ink.normalise import input_greys

ACTIVATION_LIMIT = SQUASH_A

_LUT = DIVERGING_LUT  # ColorBrewer RdBu: −blue, 0 white, +red
_LUT_SIZE = len(_LUT)


def diverging_rgb(values: np.ndarray, limit: float = ACTIVATION_LIMIT) -> np.ndarray:
    """Any-shaped values -> uint8 RGB (…, 3): −limit blue, 0 white, +limit red (clipped)."""
    return _diverging_rgb(values, limit)


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """(…, 3) uint8 RGB -> (…) uint32 0xffRRGGBB, the pixels of a QImage.Format_RGB32."""
    rgb = np.asarray(rgb, np.uint32)
    return 0xFF000000 | (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


_LUT_PACKED = pack_rgb(_LUT)


def diverging_packed(values: np.ndarray, limit: float = ACTIVATION_LIMIT) -> np.ndarray:
    """`diverging_rgb`, packed as 0xffRRGGBB (one uint32 per value, for `PixelImage`)."""
    t = np.clip(np.nan_to_num(np.asarray(values, np.float32)), -limit, limit)
    t = (t + limit) * ((_LUT_SIZE - 1) / (2 * limit))
    return _LUT_PACKED[np.rint(t).astype(np.intp)]


def input_packed(array32: np.ndarray) -> np.ndarray:
    """`input_greys` packed as 0xffRRGGBB."""
    grey = input_greys(array32).astype(np.uint32)
    return 0xFF000000 | (grey << 16) | (grey << 8) | grey


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(h, w, 3) uint8 -> a QImage that owns its pixels (numpy's buffer may go away).

    In Qt's 32-bit RGB format: drawing it enlarged is ~20× faster than drawing RGB888, which
    the painter converts on every paint (measured: 0.16 ms vs 0.008 ms for one 7×12 map)."""
    rgb = np.ascontiguousarray(rgb, np.uint8)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).convertToFormat(
        QImage.Format.Format_RGB32)


def activation_image(values: np.ndarray, limit: float = ACTIVATION_LIMIT) -> QImage:
    """A 2-D map of activations as a colour-mapped image, one pixel per unit."""
    return rgb_to_qimage(diverging_rgb(np.atleast_2d(values), limit))


def input_image(array32: np.ndarray) -> QImage:
    """The network's 32×32 input as paper-white / ink-black greys, one pixel per input."""
    return rgb_to_qimage(np.repeat(input_greys(array32)[..., None], 3, axis=2))


def draw_nearest(painter: QPainter, target: QRectF, image: QImage) -> None:
    """Draw `image` enlarged with hard pixel edges (each unit a visible square)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(target, image)
    painter.restore()


def paint_colour_scale(painter: QPainter, rect: QRectF, anchors: np.ndarray = DIVERGING_ANCHORS) -> None:
    """A horizontal bar of a colour map (default: blue-white-red) for the legends (labels are drawn
    by the caller)."""
    gradient = QLinearGradient(rect.topLeft(), rect.topRight())
    for i, (r, g, b) in enumerate(anchors):
        gradient.setColorAt(i / (len(anchors) - 1), QColor(int(r), int(g), int(b)))
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.fillRect(rect, gradient)
    painter.restore()
