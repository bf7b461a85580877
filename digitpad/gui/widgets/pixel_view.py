"""Arrays shown as enlarged square pixels, with a value tooltip per unit.

Used for the 32×32 input, F6, the prototypes, the detail view and (`MapGrid`) every feature map:
they are all "a few units shown big enough to see each one". They repaint on every mouse move
while someone draws, so they paint from a `PixelImage`: one QImage at screen resolution whose
pixels are written in place by one numpy `take` per update (the enlargement, the grid lines,
gaps and frames are a fixed index map, built once per size) and painted with one unscaled
drawImage, instead of a scaled drawImage (and QPainter calls) per map or per unit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QEnterEvent, QHelpEvent, QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from digitpad.gui.widgets.colormap import pack_rgb

#: The grid over an enlarged view: this grey at this opacity.
GRID_GREY, GRID_ALPHA = 128, 50 / 255
FRAME = 2  # logical pixels around each picture: its frame, and the selection's


def answer_tooltip(widget: QWidget, event: QEvent, text_at: Callable[[QPointF], str]) -> bool:
    """Whether `event` is a tooltip request; if so, answer it with `text_at` the pointer (an empty
    text hides the tooltip of the unit left behind, and leaves the event unaccepted, as Qt asks)."""
    if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
        return False
    text = text_at(QPointF(event.pos()))
    if text:
        QToolTip.showText(event.globalPos(), text, widget)
    else:
        QToolTip.hideText()
        event.ignore()
    return True


def packed_colour(colour) -> int:
    """A QColor as 0xffRRGGBB."""
    return 0xFF000000 | (colour.red() << 16) | (colour.green() << 8) | colour.blue()


def grid_blend(packed: np.ndarray) -> np.ndarray:
    """The colours as seen through the translucent grid lines."""
    channels = np.stack([(packed >> shift) & 0xFF for shift in (16, 8, 0)], axis=-1).astype(np.float32)
    return pack_rgb(np.rint(channels * (1 - GRID_ALPHA) + GRID_GREY * GRID_ALPHA).astype(np.uint8))


def unit_of_pixel(units: int, pixels: int) -> np.ndarray:
    """For each of `pixels` screen pixels across, the unit it shows (nearest neighbour)."""
    return np.minimum(np.arange(pixels) * units // max(1, pixels), units - 1)


def enlarged_index(units_w: int, units_h: int, width: int, height: int, grid: bool) -> np.ndarray:
    """Index map of a (units_h, units_w) picture enlarged to (height, width) screen pixels: the
    unit's flat index, plus units_w·units_h on grid lines (where the blended colours are)."""
    rows, columns = unit_of_pixel(units_h, height), unit_of_pixel(units_w, width)
    index = rows[:, None] * units_w + columns[None, :]
    if grid:  # a line where a new unit starts
        on_line = np.zeros((height, width), bool)
        on_line[1:][np.diff(rows) > 0, :] = True
        on_line[:, 1:][:, np.diff(columns) > 0] = True
        index = index + on_line * (units_w * units_h)
    return index


class PixelImage:
    """A QImage (Format_RGB32) over a numpy buffer: `fill(colours)` sets every pixel to
    colours[index[y, x]] in place. The owner sets a new index whenever the size changes."""

    def __init__(self):
        self.key: object = None
        self.image: QImage | None = None
        self._index: np.ndarray | None = None
        self._pixels: np.ndarray | None = None

    def set_index(self, key: object, index: np.ndarray, ratio: float) -> None:
        self.key = key
        self._index = np.ascontiguousarray(index, np.intp)
        height, width = self._index.shape
        self._pixels = np.zeros((height, width), np.uint32)
        self.image = QImage(self._pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32)
        self.image.setDevicePixelRatio(ratio)

    def fill(self, colours: np.ndarray) -> None:
        # mode="wrap": the index is always in range, and this mode skips numpy's bounds checks
        np.take(colours, self._index, out=self._pixels, mode="wrap")


class PixelView(QWidget):
    """One picture at `cell` logical pixels per unit (or bigger, in whole steps, if the widget
    grows), optionally with a grid, a highlight frame and per-unit value tooltips."""

    clicked = Signal()
    unitClicked = Signal(int, int)  # row, column of the unit clicked (for tracing it)
    hovered = Signal(bool)  # True on enter, False on leave

    def __init__(self, units: QSize, cell: float, parent: QWidget | None = None):
        super().__init__(parent)
        self._units = QSize(units)
        self._cell = float(cell)
        self._image: QImage | None = None        # as given to set_image, or made when asked for
        self._packed: np.ndarray | None = None   # the units' colours, 0xffRRGGBB, (h, w)
        self._values: np.ndarray | None = None
        self._describe: Callable[[int, int, float], str] | None = None
        self._pixels = PixelImage()
        self._filled = False  # the PixelImage shows the current colours
        self._grid = False
        self._highlighted = False
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        # paintEvent fills the whole widget, so Qt need not paint the widgets under it first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # ---- content ---------------------------------------------------------------------------
    def set_image(self, image: QImage | None, values: np.ndarray | None = None) -> None:
        """The picture (one pixel per unit), and optionally the 2-D values behind it (for the
        per-unit tooltip)."""
        packed = None
        if image is not None and not image.isNull():
            rgb32 = image.convertToFormat(QImage.Format.Format_RGB32)
            row = rgb32.bytesPerLine() // 4
            packed = np.frombuffer(rgb32.constBits(), np.uint32, rgb32.height() * row).reshape(rgb32.height(), row)
            packed = packed[:, :rgb32.width()] | np.uint32(0xFF000000)
        self.set_packed(packed, values)
        self._image = image

    def set_packed(self, packed: np.ndarray | None, values: np.ndarray | None = None) -> None:
        """The units' colours as 0xffRRGGBB (colormap.diverging_packed, input_packed), and
        optionally the values behind them: the fast path, taken on every recognition."""
        self._image = None
        self._packed = None if packed is None else np.array(packed, np.uint32)
        self._values = None if values is None else np.asarray(values)
        self._filled = False
        if self._packed is not None and (self._packed.shape[1], self._packed.shape[0]) != self._units.toTuple():
            self._units = QSize(self._packed.shape[1], self._packed.shape[0])
            self.updateGeometry()
        self.update()

    def image(self) -> QImage | None:
        """The picture shown, one pixel per unit (None when empty)."""
        if self._image is None and self._packed is not None:
            height, width = self._packed.shape
            pixels = np.ascontiguousarray(self._packed)
            self._image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32).copy()
        return self._image

    def values(self) -> np.ndarray | None:
        return self._values

    def set_unit_description(self, describe: Callable[[int, int, float], str] | None) -> None:
        """describe(row, column, value) -> the tooltip line for the unit under the pointer."""
        self._describe = describe

    def set_cell(self, cell: float) -> None:
        self._cell = float(cell)
        self.updateGeometry()
        self.update()

    def cell(self) -> float:
        return self._cell

    def set_grid(self, grid: bool) -> None:
        self._grid = grid
        self.update()

    def set_highlighted(self, highlighted: bool) -> None:
        if highlighted != self._highlighted:
            self._highlighted = highlighted
            self.update()

    # ---- geometry --------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        border = 2 * FRAME
        return QSize(round(self._units.width() * self._cell) + border,
                     round(self._units.height() * self._cell) + border)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _target(self) -> QRectF:
        """Where the pixels go: the largest whole-unit scale that fits, centred."""
        area = QRectF(self.rect()).adjusted(FRAME, FRAME, -FRAME, -FRAME)
        w, h = max(1, self._units.width()), max(1, self._units.height())
        scale = min(area.width() / w, area.height() / h)
        if scale >= 2:
            scale = float(int(scale))  # whole pixels per unit keep the squares even
        size = QSize(round(w * scale), round(h * scale))
        return QRectF(area.x() + (area.width() - size.width()) / 2, area.y() + (area.height() - size.height()) / 2,
                      size.width(), size.height())

    def unit_at(self, position: QPointF) -> tuple[int, int] | None:
        target = self._target()
        if not target.contains(position):
            return None
        column = int((position.x() - target.x()) / target.width() * self._units.width())
        row = int((position.y() - target.y()) / target.height() * self._units.height())
        return (min(row, self._units.height() - 1), min(column, self._units.width() - 1))

    # ---- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        target = self._target()
        painter.fillRect(self.rect(), palette.color(self.backgroundRole()))
        if self._packed is None:
            painter.fillRect(target, palette.color(QPalette.ColorRole.AlternateBase))
        else:
            painter.drawImage(target.topLeft(), self._screen_image(target))
        if self._highlighted:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1.5))
            painter.drawRect(target.adjusted(-1, -1, 1, 1))
        else:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))

    def _screen_image(self, target: QRectF) -> QImage:
        """The units enlarged to `target` at the screen's resolution, with the grid when asked
        for and the units are big enough to show it: the index map is rebuilt only when the
        size changes, the pixels refilled only when the colours changed."""
        ratio = self.devicePixelRatioF()
        width, height = max(1, round(target.width() * ratio)), max(1, round(target.height() * ratio))
        units_w, units_h = self._units.width(), self._units.height()
        grid = self._grid and target.width() / max(1, units_w) >= 5
        key = (width, height, units_w, units_h, grid, ratio)
        if self._pixels.key != key:
            self._pixels.set_index(key, enlarged_index(units_w, units_h, width, height, grid), ratio)
            self._filled = False
        if not self._filled:
            colours = self._packed.ravel()
            self._pixels.fill(np.concatenate([colours, grid_blend(colours)]) if grid else colours)
            self._filled = True
        return self._pixels.image

    # ---- events ----------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        return answer_tooltip(self, event, self._unit_tooltip) or super().event(event)

    def _unit_tooltip(self, position: QPointF) -> str:
        base = self.toolTip()
        if self._values is None or self._describe is None:
            return base
        unit = self.unit_at(position)
        if unit is None or self._values.ndim != 2:
            return base
        row, column = unit
        line = self._describe(row, column, float(self._values[row, column]))
        return f"{base}<br>{line}" if base else line

    def enterEvent(self, event: QEnterEvent) -> None:
        self.hovered.emit(True)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.hovered.emit(False)
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
            unit = self.unit_at(event.position())
            if unit is not None:
                self.unitClicked.emit(*unit)
        super().mouseReleaseEvent(event)
