"""A confusion matrix as a heat map: rows the true digit, columns the answer and "refused".

Counts are written in each cell; the colour is log-scaled over the mistakes (off the diagonal),
so the few big confusions and the many single ones are both visible. The diagonal (right
answers) is grey: its counts are large and say nothing about the mistakes. A click on a cell
emits `cellClicked(true digit, column)`; the selected cell is outlined.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

REFUSED_COLUMN = 10  # as digitpad.explain.mistakes (which imports torch; this module must not)
HEADER = 22          # px for the row and column labels


class ConfusionMap(QWidget):
    cellClicked = Signal(int, int)   # true digit, column (0–9 an answer, 10 refused)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.counts = np.zeros((10, 11), np.int64)
        self.selected: tuple[int, int] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(11 * 22 + HEADER + 4, 10 * 18 + 2 * HEADER)
        self.setToolTip("Rows: the true digit. Columns: the answer, and ✕ for refused. "
                        "Click a cell to list its examples.")

    def sizeHint(self) -> QSize:
        return QSize(11 * 30 + HEADER + 4, 10 * 26 + 2 * HEADER)

    def set_counts(self, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, np.int64)
        self.selected = None
        self.update()

    def select(self, cell: tuple[int, int] | None) -> None:
        self.selected = cell
        self.update()

    def _geometry(self) -> tuple[float, float]:
        return (self.width() - HEADER - 2) / 11, (self.height() - 2 * HEADER) / 10

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        cell_w, cell_h = self._geometry()
        column = math.floor((point.x() - HEADER) / cell_w)
        row = math.floor((point.y() - 2 * HEADER) / cell_h)
        return (row, column) if 0 <= row < 10 and 0 <= column < 11 else None

    def cell_centre(self, row: int, column: int) -> QPoint:
        cell_w, cell_h = self._geometry()
        return QPoint(int(HEADER + (column + 0.5) * cell_w), int(2 * HEADER + (row + 0.5) * cell_h))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.select(cell)
            self.cellClicked.emit(*cell)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        cell_w, cell_h = self._geometry()
        font = QFont(self.font())
        font.setPixelSize(max(9, min(13, int(cell_h * 0.5))))
        painter.setFont(font)
        text = self.palette().text().color()
        painter.setPen(text)
        painter.drawText(QRectF(HEADER, 0, 11 * cell_w, HEADER), Qt.AlignmentFlag.AlignCenter, "answer")
        for column in range(11):
            painter.drawText(QRectF(HEADER + column * cell_w, HEADER, cell_w, HEADER), Qt.AlignmentFlag.AlignCenter,
                             "✕" if column == REFUSED_COLUMN else str(column))
        off = self.counts.copy()
        off[np.arange(10), np.arange(10)] = 0
        top = math.log1p(max(1, int(off.max())))
        for row in range(10):
            painter.setPen(text)
            painter.drawText(QRectF(0, 2 * HEADER + row * cell_h, HEADER, cell_h), Qt.AlignmentFlag.AlignCenter,
                             str(row))
            for column in range(11):
                count = int(self.counts[row, column])
                rect = QRectF(HEADER + column * cell_w, 2 * HEADER + row * cell_h, cell_w - 1, cell_h - 1)
                if column == row:
                    colour = QColor(225, 225, 225)
                else:
                    t = math.log1p(count) / top if count else 0.0
                    colour = QColor.fromRgbF(1.0, 1.0 - 0.75 * t, 1.0 - 0.95 * t) if count else QColor(250, 250, 250)
                painter.fillRect(rect, colour)
                if count:
                    dark = column != row and math.log1p(count) / top > 0.6
                    painter.setPen(QColor("white") if dark else QColor(30, 30, 30))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
        if self.selected is not None:
            row, column = self.selected
            painter.setPen(QColor(0, 90, 200))
            painter.drawRect(QRectF(HEADER + column * cell_w, 2 * HEADER + row * cell_h, cell_w - 1, cell_h - 1))
        painter.end()
