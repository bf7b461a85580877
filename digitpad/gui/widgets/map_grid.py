"""All the feature maps of one layer in one widget, painted from one image.

A layer's maps used to be one small widget each (about 170 in all), so every recognition cost
170 paint events. `MapGrid` lays the maps out in rows, each in a frame, and keeps the whole
layer as one `PixelImage`: per update the maps' colours are written into it in place by one
numpy `take` (gaps and frames are entries of the same index map), and the paint is one
drawImage plus, for the map being looked at, one highlight frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.gui.widgets.pixel_view import FRAME, PixelImage, answer_tooltip, packed_colour, unit_of_pixel

SPACING = 3  # logical pixels between the framed maps


class MapGrid(QWidget):
    """`maps` pictures of `units` (w×h) at `cell` logical pixels per unit, `per_row` in a row.

    `hovered(index)` (−1 when the pointer leaves the maps) and `clicked(index)` name a map.
    The tooltip is `tooltip(index)` plus, when values are known, the unit under the pointer."""

    hovered = Signal(int)
    clicked = Signal(int)
    unitClicked = Signal(int, int, int)  # map, row, column of the unit clicked (to trace it)

    def __init__(self, maps: int, units: QSize, cell: float, per_row: int, parent: QWidget | None = None):
        super().__init__(parent)
        self._maps, self._units, self._cell, self._per_row = maps, QSize(units), float(cell), per_row
        self._packed: np.ndarray | None = None   # (maps, h, w) colours 0xffRRGGBB
        self._values: np.ndarray | None = None   # (maps, h, w)
        self._pixels = PixelImage()
        self._filled = False
        self._highlighted = -1
        self._hovered = -1
        self.tooltip: Callable[[int], str] = lambda index: ""
        self.describe_unit: Callable[[int, int, float], str] = lambda r, c, value: f"({r}, {c}) = {value:+.3f}"
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        # The image covers the whole widget (background included): Qt need not paint what is under it.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # ---- content ---------------------------------------------------------------------------
    def set_maps(self, packed: np.ndarray | None, values: np.ndarray | None = None) -> None:
        """The maps' colours, (maps, h, w) 0xffRRGGBB, and the values behind them (or None)."""
        self._packed = None if packed is None else np.asarray(packed, np.uint32)
        self._values = None if values is None else np.asarray(values)
        self._filled = False
        self.update()

    def packed(self) -> np.ndarray | None:
        return self._packed

    def set_highlighted(self, index: int) -> None:
        """Frame map `index` in the highlight colour (−1: none)."""
        if index != self._highlighted:
            self._highlighted = index
            self.update()

    def highlighted(self) -> int:
        return self._highlighted

    # ---- geometry --------------------------------------------------------------------------
    def _map_size(self) -> QSize:
        """One map's pixels, in logical pixels."""
        return QSize(round(self._units.width() * self._cell), round(self._units.height() * self._cell))

    def map_rect(self, index: int) -> QRect:
        """Where map `index`'s pixels are (its frame is FRAME around it)."""
        size = self._map_size()
        step_x, step_y = size.width() + 2 * FRAME + SPACING, size.height() + 2 * FRAME + SPACING
        row, column = divmod(index, self._per_row)
        return QRect(column * step_x + FRAME, row * step_y + FRAME, size.width(), size.height())

    def sizeHint(self) -> QSize:
        size = self._map_size()
        columns, rows = min(self._maps, self._per_row), -(-self._maps // self._per_row)
        return QSize(columns * (size.width() + 2 * FRAME) + (columns - 1) * SPACING,
                     rows * (size.height() + 2 * FRAME) + (rows - 1) * SPACING)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def map_at(self, position: QPointF) -> int:
        """The map under `position` (its frame included), or −1."""
        for index in range(self._maps):
            if self.map_rect(index).adjusted(-FRAME, -FRAME, FRAME, FRAME).contains(position.toPoint()):
                return index
        return -1

    def unit_at(self, index: int, position: QPointF) -> tuple[int, int] | None:
        rect = self.map_rect(index)
        if not QRectF(rect).contains(position):
            return None
        column = int((position.x() - rect.x()) / rect.width() * self._units.width())
        row = int((position.y() - rect.y()) / rect.height() * self._units.height())
        return min(row, self._units.height() - 1), min(column, self._units.width() - 1)

    # ---- painting ----------------------------------------------------------------------------
    def _index_map(self, width: int, height: int, ratio: float) -> np.ndarray:
        """Per screen pixel: a unit of some map (map·h·w + row·w + column), or one past the
        last unit for the background, two past for a frame."""
        units_w, units_h = self._units.width(), self._units.height()
        count = self._maps * units_w * units_h
        index = np.full((height, width), count, np.intp)  # background
        size = self._map_size()
        w_px, h_px = round(size.width() * ratio), round(size.height() * ratio)
        frame_px = max(1, round(ratio))
        rows, columns = unit_of_pixel(units_h, h_px), unit_of_pixel(units_w, w_px)
        one_map = rows[:, None] * units_w + columns[None, :]
        for m in range(self._maps):
            rect = self.map_rect(m)
            x, y = round(rect.x() * ratio), round(rect.y() * ratio)
            index[y - frame_px:y + h_px + frame_px, x - frame_px:x + w_px + frame_px] = count + 1  # frame
            index[y:y + h_px, x:x + w_px] = m * units_w * units_h + one_map
        return index

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        ratio = self.devicePixelRatioF()
        # Rounded up: with WA_OpaquePaintEvent a device pixel left out would show garbage.
        width, height = max(1, math.ceil(self.width() * ratio)), max(1, math.ceil(self.height() * ratio))
        key = (width, height, ratio)
        if self._pixels.key != key:
            self._pixels.set_index(key, self._index_map(width, height, ratio), ratio)
            self._filled = False
        if not self._filled:
            background = packed_colour(palette.color(QPalette.ColorRole.Window))
            frame = packed_colour(palette.color(QPalette.ColorRole.Mid))
            if self._packed is None:
                empty = packed_colour(palette.color(QPalette.ColorRole.AlternateBase))
                units = np.full(self._maps * self._units.width() * self._units.height(), empty, np.uint32)
            else:
                units = self._packed.ravel()
            self._pixels.fill(np.concatenate([units, np.array([background, frame], np.uint32)]))
            self._filled = True
        painter.drawImage(0, 0, self._pixels.image)
        shown = self._highlighted if self._highlighted >= 0 else self._hovered
        if shown >= 0:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2 if shown == self._highlighted else 1.5))
            painter.drawRect(QRectF(self.map_rect(shown)).adjusted(-1, -1, 1, 1))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._filled = False  # the background and frame colours come from the palette
        super().changeEvent(event)

    # ---- pointer -----------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._hover(self.map_at(event.position()))
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover(-1)
        super().leaveEvent(event)

    def _hover(self, index: int) -> None:
        if index != self._hovered:
            self._hovered = index
            self.update()
            self.hovered.emit(index)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        index = self.map_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and index >= 0:
            self.clicked.emit(index)
            unit = self.unit_at(index, event.position())
            if unit is not None:
                self.unitClicked.emit(index, *unit)
        super().mouseReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        return answer_tooltip(self, event, self.tooltip_at) or super().event(event)

    def tooltip_at(self, position: QPointF) -> str:
        index = self.map_at(position)
        if index < 0:
            return ""
        text = self.tooltip(index)
        unit = self.unit_at(index, position)
        if unit is not None and self._values is not None:
            row, column = unit
            text += "<br>" + self.describe_unit(row, column, float(self._values[index, row, column]))
        return text
