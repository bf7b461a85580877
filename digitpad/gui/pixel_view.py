"""A small widget that shows an array as enlarged square pixels, with a value tooltip per unit.

Used for the 32×32 input, F6, the prototypes and every feature map: they are all "a few units
shown big enough to see each one", so they share one widget.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QEnterEvent, QHelpEvent, QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from digitpad.gui.colormap import draw_nearest


class PixelView(QWidget):
    """Shows a QImage at `cell` logical pixels per unit (or bigger, in whole steps, if the widget
    grows), optionally with a grid, a highlight frame and per-unit value tooltips."""

    clicked = Signal()
    unitClicked = Signal(int, int)  # row, column of the unit clicked (for tracing it)
    hovered = Signal(bool)  # True on enter, False on leave

    def __init__(self, units: QSize, cell: float, parent: QWidget | None = None):
        super().__init__(parent)
        self._units = QSize(units)
        self._cell = float(cell)
        self._image: QImage | None = None
        self._values: np.ndarray | None = None
        self._describe: Callable[[int, int, float], str] | None = None
        self._tooltip_source: Callable[[], str] | None = None
        self._grid_cache: tuple[tuple, QPixmap] | None = None
        self._grid = False
        self._highlighted = False
        self._selected = False
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)

    # ---- content ---------------------------------------------------------------------------
    def set_image(self, image: QImage | None, values: np.ndarray | None = None) -> None:
        """The picture, and optionally the 2-D values behind it (for the per-unit tooltip)."""
        self._image = image
        self._values = None if values is None else np.asarray(values)
        if image is not None and not image.isNull() and image.size() != self._units:
            self._units = image.size()
            self.updateGeometry()
        self.update()

    def image(self) -> QImage | None:
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

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    # ---- geometry --------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        border = 2 * self._frame_width()
        return QSize(round(self._units.width() * self._cell) + border, round(self._units.height() * self._cell) + border)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _frame_width(self) -> int:
        return 2

    def _target(self) -> QRectF:
        """Where the pixels go: the largest whole-unit scale that fits, centred."""
        frame = self._frame_width()
        area = QRectF(self.rect()).adjusted(frame, frame, -frame, -frame)
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

    # ---- events ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        target = self._target()
        if self._image is None or self._image.isNull():
            painter.fillRect(target, palette.color(QPalette.ColorRole.AlternateBase))
        else:
            draw_nearest(painter, target, self._image)
        if self._grid and target.width() / max(1, self._units.width()) >= 5:
            self._paint_grid(painter, target)
        if self._highlighted or self._selected:
            colour = palette.color(QPalette.ColorRole.Highlight)
            painter.setPen(QPen(colour, 2 if self._selected else 1.5))
            painter.drawRect(target.adjusted(-1, -1, 1, 1))
        else:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))

    def _paint_grid(self, painter: QPainter, target: QRectF) -> None:
        # The translucent grid is drawn once per size into a cached overlay: blending ~60 lines
        # on every repaint cost more (5 ms) than the whole recognition.
        key = (round(target.width()), round(target.height()), self._units.width(), self._units.height(),
               self.devicePixelRatioF())
        if self._grid_cache is None or self._grid_cache[0] != key:
            self._grid_cache = (key, self._grid_overlay(target.size(), self.devicePixelRatioF()))
        painter.drawPixmap(target.topLeft(), self._grid_cache[1])

    def _grid_overlay(self, size, ratio: float) -> QPixmap:
        pixmap = QPixmap(max(1, round(size.width() * ratio)), max(1, round(size.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        w, h = self._units.width(), self._units.height()
        lines = [QLineF(size.width() * i / w, 0, size.width() * i / w, size.height()) for i in range(1, w)]
        lines += [QLineF(0, size.height() * j / h, size.width(), size.height() * j / h) for j in range(1, h)]
        overlay = QPainter(pixmap)
        overlay.setPen(QPen(QColor(128, 128, 128, 50), 0))
        overlay.drawLines(lines)
        overlay.end()
        return pixmap

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._unit_tooltip(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
                return True
        return super().event(event)

    def set_tooltip_source(self, source: Callable[[], str] | None) -> None:
        """A function that writes the tile's tooltip when it is shown (instead of setToolTip on
        every update, which costs more than the recognition itself)."""
        self._tooltip_source = source

    def _unit_tooltip(self, position: QPointF) -> str:
        base = self._tooltip_source() if self._tooltip_source is not None else self.toolTip()
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
