"""The drawing surface: owns the strokes (as vectors) and paints them, like Qt's Scribble.

Strokes are kept as lists of points in widget coordinates and painted from those vectors on
every paint, so resizing the window never loses or blurs the drawing, and the recogniser gets
exactly what the person drew (the core renders its own 32×32 from the vectors).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPalette, QPen,
                           QTabletEvent)
from PySide6.QtWidgets import QSizePolicy, QWidget

Point = tuple[float, float]
Stroke = tuple[Point, ...]

DEFAULT_PEN_WIDTH = 30.0
MIN_PEN_WIDTH = 4.0
MAX_PEN_WIDTH = 60.0
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
    """Draw digits with the mouse, a tablet or touch; undo/redo whole strokes.

    `strokesChanged(final)` is emitted while a stroke grows (final=False) and when the drawing
    reaches a resting state: pen released, undo, redo, clear (final=True).
    """

    strokesChanged = Signal(bool)
    historyChanged = Signal()  # undo/redo availability or emptiness may have changed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._strokes: tuple[Stroke, ...] = ()
        self._undo: list[tuple[Stroke, ...]] = []
        self._redo: list[tuple[Stroke, ...]] = []
        self._current: list[Point] | None = None
        self._committed_path = QPainterPath()
        self._pen_width = DEFAULT_PEN_WIDTH
        self._image: QImage | None = None
        self._image_caption = ""
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 240)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Drawing canvas")
        self.setToolTip("Draw a digit with the mouse. Esc or Delete clears, Ctrl+Z undoes a stroke.")

    # ---- the drawing as data -------------------------------------------------------------
    def strokes(self) -> list[list[Point]]:
        """Every stroke, including the one being drawn, as lists of (x, y) widget coordinates."""
        strokes = [list(s) for s in self._strokes]
        if self._current:
            strokes.append(list(self._current))
        return strokes

    def is_empty(self) -> bool:
        return not self._strokes and not self._current

    def is_drawing(self) -> bool:
        return self._current is not None

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def pen_width(self) -> float:
        return self._pen_width

    def set_pen_width(self, width: float) -> None:
        self._pen_width = float(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH))
        self.update()

    def add_stroke(self, points: Iterable[Point]) -> None:
        """Add a finished stroke (e.g. from a test or a script) as if it had just been drawn."""
        stroke = tuple((float(x), float(y)) for x, y in points)
        if stroke:
            self._commit(self._strokes + (stroke,))

    def set_strokes(self, strokes: Iterable[Iterable[Point]]) -> None:
        """Replace the drawing (undoable)."""
        self._commit(tuple(tuple((float(x), float(y)) for x, y in s) for s in strokes if s))

    def clear(self) -> None:
        if self._strokes or self._image is not None:
            self._commit(())

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._strokes)
            self._set_state(self._undo.pop())

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._strokes)
            self._set_state(self._redo.pop())

    def _commit(self, strokes: tuple[Stroke, ...]) -> None:
        self._undo.append(self._strokes)
        self._redo.clear()
        self._set_state(strokes)

    def _set_state(self, strokes: tuple[Stroke, ...]) -> None:
        self._strokes = strokes
        self._current = None
        self._image = None  # any edit of the drawing replaces an opened image
        self._committed_path = QPainterPath()
        for stroke in strokes:
            self._committed_path.addPath(_stroke_path(stroke))
        self.update()
        self.historyChanged.emit()
        self.strokesChanged.emit(True)

    # ---- an opened image shown instead of strokes -----------------------------------------
    def show_image(self, image: QImage | None, caption: str) -> None:
        """Show an opened image (or only its caption when Qt cannot decode it) in place of the
        drawing; the previous drawing stays on the undo stack, and drawing again replaces it."""
        if self._strokes:
            self._undo.append(self._strokes)
            self._redo.clear()
        self._strokes, self._current, self._committed_path = (), None, QPainterPath()
        self._image = image if image is not None else QImage()
        self._image_caption = caption
        self.update()
        self.historyChanged.emit()

    def is_showing_image(self) -> bool:
        return self._image is not None

    def render_drawing(self, size: QSize | None = None) -> QImage:
        """The strokes in black on white, at the canvas size (for Save Drawing As…)."""
        size = size or self.size()
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
    def _begin(self, position: QPointF) -> None:
        if self._image is not None:
            self._image = None
        self._current = [(position.x(), position.y())]
        self.update()
        self.strokesChanged.emit(False)

    def _extend(self, position: QPointF) -> None:
        if self._current is None:
            return
        point = (position.x(), position.y())
        if point == self._current[-1]:
            return
        self._current.append(point)
        # Repaint only around the newest segment; WA_StaticContents keeps the rest.
        (x0, y0), (x1, y1) = self._current[-2], point
        pad = self._pen_width + 4
        self.update(QRectF(min(x0, x1) - pad, min(y0, y1) - pad, abs(x1 - x0) + 2 * pad,
                           abs(y1 - y0) + 2 * pad).toAlignedRect())
        self.strokesChanged.emit(False)

    def _finish(self) -> None:
        if self._current is None:
            return
        stroke = tuple(self._current)
        self._current = None
        self._commit(self._strokes + (stroke,))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Without mouse tracking Qt only sends moves while a button is held, so any move during
        # a stroke extends it (synthetic test events do not always carry the button state).
        if self._current is not None:
            self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            self._extend(event.position())
            self._finish()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepting tablet events gives sub-pixel positions and stops Qt synthesising mouse events.
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove and self._current is not None:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._finish()
        event.accept()

    # ---- painting --------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(440, 440)

    def _ink_pen(self, colour: QColor) -> QPen:
        pen = QPen(colour, self._pen_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        return pen

    def _paint_strokes(self, painter: QPainter) -> None:
        painter.drawPath(self._committed_path)
        if self._current:
            painter.drawPath(_stroke_path(self._current))
        # A path of one point has no length, so Qt draws nothing: dots are drawn as points.
        for stroke in list(self._strokes) + ([tuple(self._current)] if self._current else []):
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
        if self._image is not None:
            self._paint_image(painter)
        elif self.is_empty():
            self._paint_hint(painter)
        painter.setPen(self._ink_pen(palette.color(QPalette.ColorRole.Text)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        self._paint_strokes(painter)

    def _paint_hint(self, painter: QPainter) -> None:
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, HINT_TEXT)

    def _paint_image(self, painter: QPainter) -> None:
        caption_height = painter.fontMetrics().height() * 2
        area = QRectF(self.rect()).adjusted(12, 12, -12, -12 - caption_height)
        if self._image is not None and not self._image.isNull() and area.width() > 0 and area.height() > 0:
            size = self._image.size().scaled(area.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(area.x() + (area.width() - size.width()) / 2,
                            area.y() + (area.height() - size.height()) / 2, size.width(), size.height())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        caption = QRectF(12, self.height() - 12 - caption_height, self.width() - 24, caption_height)
        painter.drawText(caption, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._image_caption)
