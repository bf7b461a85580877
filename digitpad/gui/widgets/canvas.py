"""The drawing surface: draws a `digitpad.app.drawing.Drawing` and feeds it the pen, like Qt's Scribble.

Strokes live in the drawing model as points in canvas pixels ("drawing units") and are painted
from those vectors on every paint, so resizing the window never loses or blurs the drawing, and
the recogniser gets exactly what the person drew (the core renders its own 32×32 from the vectors).
The canvas keeps only what painting needs (the finished strokes as one QPainterPath).

When the canvas becomes smaller than the drawing (a dock opened beside it, the window narrowed,
a stroke dragged past the edge), the view is scaled down, aspect kept, so the whole drawing stays
in sight (it was cut at the right edge); the pen is mapped back, so new strokes join the old
ones. `view_scale()` says by how much, `drawing_size()` is the canvas in drawing units, and
overlays map drawing units to the widget with `to_view()`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.app.drawing import Change, Drawing, Point

HINT_TEXT = "Draw a digit here"


def _stroke_path(points: Sequence[Point]) -> QPainterPath:
    """A smooth path through the points: quadratic segments through the midpoints, so a fast
    mouse (few, far-apart samples) still gives a round curve instead of a polyline."""
    path = QPainterPath()
    if not points:
        return path
    path.moveTo(*points[0])
    if len(points) < 3:
        for point in points[1:]:
            path.lineTo(*point)
        return path
    for (x0, y0), (x1, y1) in zip(points[1:-1], points[2:]):
        path.quadTo(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    path.lineTo(*points[-1])
    return path


class DrawingCanvas(QWidget):
    """Draw digits with the mouse, a tablet or touch into `drawing`, and paint it."""

    def __init__(self, drawing: Drawing, parent: QWidget | None = None):
        super().__init__(parent)
        self.drawing = drawing
        self._finished_path = QPainterPath()
        # Where the finished strokes' ink ends (right, bottom), in drawing units; kept fixed while
        # a stroke is drawn, so the view never moves under the pen.
        self._extent = QSizeF(0.0, 0.0)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 240)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Drawing canvas")
        self.setToolTip("Draw a digit with the mouse. Esc or Delete clears, Ctrl+Z undoes a stroke.")
        drawing.subscribe(self._on_drawing_changed)

    # ---- the view: drawing units -> widget pixels ----------------------------------------------
    def view_scale(self) -> float:
        """Widget pixels per drawing unit: 1, or less while the drawing reaches past the canvas."""
        scale = 1.0
        if self._extent.width() > self.width() > 0:
            scale = self.width() / self._extent.width()
        if self._extent.height() > self.height() > 0:
            scale = min(scale, self.height() / self._extent.height())
        return scale

    def drawing_size(self) -> tuple[float, float]:
        """The canvas's width and height in drawing units (what "too small" is judged against)."""
        scale = self.view_scale()
        return self.width() / scale, self.height() / scale

    def to_view(self, rect: QRectF) -> QRectF:
        """A rectangle in drawing units, where it is painted on the widget."""
        scale = self.view_scale()
        return QRectF(rect.x() * scale, rect.y() * scale, rect.width() * scale, rect.height() * scale)

    def _measure_extent(self) -> None:
        """Where the finished strokes' ink ends, with the pen's half width and a small margin."""
        right = bottom = 0.0
        for stroke in self.drawing.finished_strokes:
            for x, y in stroke:
                if math.isfinite(x) and math.isfinite(y):
                    right, bottom = max(right, x), max(bottom, y)
        pad = self.drawing.pen_width / 2 + 2 if right or bottom else 0.0
        self._extent = QSizeF(right + pad, bottom + pad)

    def _on_drawing_changed(self, change: Change) -> None:
        current = self.drawing.current_stroke
        if change is Change.GROWING and current is not None and len(current) >= 2:
            # Repaint only around the newest segment; WA_StaticContents keeps the rest.
            (x0, y0), (x1, y1) = current[-2], current[-1]
            pad = self.drawing.pen_width + 4
            self.update(self.to_view(QRectF(min(x0, x1) - pad, min(y0, y1) - pad, abs(x1 - x0) + 2 * pad,
                                            abs(y1 - y0) + 2 * pad)).toAlignedRect())
            return
        if change is Change.EDITED or change is Change.PEN:
            self._measure_extent()
        if change is Change.EDITED:
            self._finished_path = QPainterPath()
            for stroke in self.drawing.finished_strokes:
                self._finished_path.addPath(_stroke_path(stroke))
        self.update()

    def render_drawing(self, size: QSize | None = None) -> QImage:
        """The strokes in black on white, at full size on the canvas (widened to the drawing, if it
        reaches past it), for Save Drawing As…."""
        if size is None:
            width, height = self.drawing_size()
            size = QSize(round(width), round(height))
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._ink_pen(QColor("black")))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        self._paint_strokes(painter)
        painter.end()
        return image

    # ---- input -----------------------------------------------------------------------------
    def _point(self, position: QPointF) -> Point:
        """A pen position on the widget, in drawing units."""
        scale = self.view_scale()
        return (position.x() / scale, position.y() / scale)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.drawing.begin_stroke(self._point(event.position()))
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Without mouse tracking Qt only sends moves while a button is held, so any move during
        # a stroke extends it (synthetic test events do not always carry the button state).
        self.drawing.extend_stroke(self._point(event.position()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.drawing.is_drawing():
            self.drawing.extend_stroke(self._point(event.position()))
            self.drawing.finish_stroke()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepting tablet events gives sub-pixel positions and stops Qt synthesising mouse events.
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self.drawing.begin_stroke(self._point(event.position()))
        elif kind == QEvent.Type.TabletMove:
            self.drawing.extend_stroke(self._point(event.position()))
        elif kind == QEvent.Type.TabletRelease:
            self.drawing.finish_stroke()
        event.accept()

    # ---- painting --------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(440, 440)

    def _ink_pen(self, colour: QColor) -> QPen:
        pen = QPen(colour, self.drawing.pen_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        return pen

    def _paint_strokes(self, painter: QPainter) -> None:
        painter.drawPath(self._finished_path)
        current = self.drawing.current_stroke
        if current:
            painter.drawPath(_stroke_path(current))
        # A path of one point has no length, so Qt draws nothing: dots are drawn as points.
        for stroke in self.drawing.finished_strokes + ((current,) if current else ()):
            if len(set(stroke)) == 1:
                painter.drawPoint(QPointF(*stroke[0]))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        frame = QColor(palette.color(QPalette.ColorRole.Mid))
        painter.setPen(QPen(frame, 1))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        if self.drawing.image is not None:
            self._paint_image(painter)
        elif self.drawing.is_empty():
            self._paint_hint(painter)
        painter.setPen(self._ink_pen(palette.color(QPalette.ColorRole.Text)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        scale = self.view_scale()
        painter.scale(scale, scale)  # the pen too: the drawing shrinks as a whole
        self._paint_strokes(painter)

    def _paint_hint(self, painter: QPainter) -> None:
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, HINT_TEXT)

    def image_rect(self) -> QRectF | None:
        """Where the opened image's picture is painted (None when none is shown), e.g. for
        drawing number mode's boxes over it."""
        opened = self.drawing.image
        picture = opened.preview if opened is not None and isinstance(opened.preview, QImage) else None
        caption_height = self.fontMetrics().height() * 2
        area = QRectF(self.rect()).adjusted(12, 12, -12, -12 - caption_height)
        if picture is None or picture.isNull() or area.width() <= 0 or area.height() <= 0:
            return None
        size = picture.size().scaled(area.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRectF(area.x() + (area.width() - size.width()) / 2,
                      area.y() + (area.height() - size.height()) / 2, size.width(), size.height())

    def _paint_image(self, painter: QPainter) -> None:
        caption_height = painter.fontMetrics().height() * 2
        opened = self.drawing.image
        target = self.image_rect()
        if target is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, opened.preview)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        caption = QRectF(12, self.height() - 12 - caption_height, self.width() - 24, caption_height)
        painter.drawText(caption, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, opened.caption)
