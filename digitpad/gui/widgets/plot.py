"""A small line plot drawn with QPainter: axes, "nice" ticks, labels, one or more series.

Enough for training curves (loss and test error per epoch) without a plotting dependency. The
ticks are digitpad.ticks' (shared with the sweep pictures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.ticks import format_tick, nice_ticks


@dataclass
class Series:
    name: str
    colour: QColor
    points: list[tuple[float, float]] = field(default_factory=list)


class LinePlot(QWidget):
    """Series of (x, y) points on linear axes with ticks and labels. The x axis covers at least
    [`x_start`, `x_extent`] (e.g. the planned epochs), so a curve grows into a fixed frame."""

    def __init__(self, title: str, x_label: str, y_label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title, self.x_label, self.y_label = title, x_label, y_label
        self.series: list[Series] = []
        self.x_extent = 1.0
        self.x_start = 1.0  # the x axis's left end (0 for curves drawn during the first epoch)
        self.y_floor: float | None = 0.0  # include 0 on the y axis (error rates, losses ≥ 0)
        self.setMinimumSize(220, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(320, 200)

    # ---- data ----------------------------------------------------------------------------------
    def add_series(self, name: str, colour: QColor | str) -> Series:
        series = Series(name, QColor(colour))
        self.series.append(series)
        self.update()
        return series

    def append(self, series: int, x: float, y: float) -> None:
        if math.isfinite(x) and math.isfinite(y):
            self.series[series].points.append((float(x), float(y)))
            self.update()

    def clear(self, x_extent: float = 1.0) -> None:
        for series in self.series:
            series.points.clear()
        self.x_extent = max(1.0, float(x_extent))
        self.update()

    def ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((x_low, x_high), (y_low, y_high)) of the axes as they will be drawn."""
        xs = [x for s in self.series for x, _ in s.points]
        ys = [y for s in self.series for _, y in s.points]
        x_low, x_high = self.x_start, max([self.x_extent, *xs])
        if x_high <= x_low:
            x_high = x_low + 1
        if ys:
            y_low, y_high = min(ys), max(ys)
            if self.y_floor is not None:
                y_low = min(y_low, self.y_floor)
        else:
            y_low, y_high = 0.0, 1.0
        if y_high <= y_low:
            y_high = y_low + (abs(y_low) or 1.0)
        ticks = nice_ticks(y_low, y_high, 4)
        return (x_low, x_high), (ticks[0], ticks[-1])

    # ---- drawing -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.color(palette.ColorRole.WindowText)
        painter.fillRect(self.rect(), palette.color(palette.ColorRole.Base))
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        (x_low, x_high), (y_low, y_high) = self.ranges()
        y_ticks = nice_ticks(y_low, y_high, 4)
        y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
        y_texts = [format_tick(v, y_step) for v in y_ticks]
        left = 8 + line + 4 + max(metrics.horizontalAdvance(t) for t in y_texts) + 6
        plot = QRectF(left, 8 + line + 6, self.width() - left - 14, self.height() - (8 + line + 6) - 2 * line - 14)
        if plot.width() < 20 or plot.height() < 20:
            return

        def to_screen(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + (x - x_low) / (x_high - x_low) * plot.width(),
                           plot.bottom() - (y - y_low) / (y_high - y_low) * plot.height())

        painter.setPen(text_colour)
        painter.drawText(QRectF(0, 6, self.width(), line), Qt.AlignmentFlag.AlignHCenter, self.title)
        grid = QColor(text_colour)
        grid.setAlpha(40)
        for value, text in zip(y_ticks, y_texts):
            y = to_screen(x_low, value).y()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_colour)
            painter.drawLine(QPointF(plot.left() - 4, y), QPointF(plot.left(), y))
            painter.drawText(QRectF(0, y - line / 2, plot.left() - 6, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        x_ticks = [v for v in nice_ticks(x_low, x_high, 6) if x_low - 1e-9 <= v <= x_high + 1e-9 and v == int(v)]
        for value in x_ticks or [x_low, x_high]:
            x = to_screen(value, y_low).x()
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            painter.drawText(QRectF(x - 30, plot.bottom() + 5, 60, line), Qt.AlignmentFlag.AlignHCenter,
                             f"{value:g}")
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        painter.drawText(QRectF(plot.left(), plot.bottom() + 5 + line, plot.width(), line),
                         Qt.AlignmentFlag.AlignHCenter, self.x_label)
        painter.save()
        painter.translate(8, plot.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-plot.height() / 2, 0, plot.height(), line), Qt.AlignmentFlag.AlignHCenter,
                         self.y_label)
        painter.restore()

        legend_x = plot.right()
        for series in reversed(self.series):
            if not series.points:
                continue
            points = [to_screen(x, y) for x, y in series.points]
            path = QPainterPath(points[0])
            for p in points[1:]:
                path.lineTo(p)
            painter.setPen(QPen(series.colour, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            painter.setBrush(series.colour)
            for p in points:
                painter.drawEllipse(p, 2.5, 2.5)
            if len(self.series) > 1:
                width = metrics.horizontalAdvance(series.name)
                legend_x -= width + 4
                painter.setPen(series.colour)
                painter.drawText(QPointF(legend_x, plot.top() + line), series.name)
        painter.end()
