"""Number mode's views: the boxes over the canvas and the pieces panel in its dock.

- `NumberOverlay`, on top of the canvas: a box per piece with its digit and penalty, and the
  chosen cuts between pieces (one red box and no digits for a mark refused as a whole); a click
  in a box selects the piece;
- `NumberPanel`, in a dock: the number, each piece's 32×32 input (a `PieceList`: a digit key asks
  to teach the selected piece) and the number swept by LeNet-5 (`SlidingView`).

They only draw the `NumberReading` they are given (gui/panels/number_mode.py reads it). No torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.widgets.colormap import input_image

if TYPE_CHECKING:
    from digitpad.reading.number_reading import NumberReading, PieceReading
    from digitpad.reading.space_displacement import SlidingOutputs

_ACCEPTED = QColor(30, 130, 60)
_REJECTED = QColor(200, 40, 40)
_SELECTED = QColor(30, 90, 200)


def piece_by_piece_note(reading: NumberReading | None) -> str:
    """What the single-digit panel says in number mode, instead of judging the whole drawing."""
    if reading is None:
        return "Reading the number piece by piece…"
    return f"{verdict(reading)} — click a piece to see it here."


def verdict(reading: NumberReading) -> str:
    """The overlay's one line: "Number: 2048", "Number: 2048  (unsure)", or, when no number is
    given, why, in few words (the Number panel says more): "Too small — draw bigger", as single-digit
    mode says it, or "Not a number"."""
    if reading.too_small:
        return reading.describe()
    if reading.reason is not None:
        return "Not a number (its pieces cost too much per digit)"
    return f"Number: {reading.text}" + ("  (unsure)" if reading.unsure else "")


def piece_label(piece: PieceReading) -> str:
    """"7 · 3.2": the digit read (? when rejected) and its penalty; "7 · yours" when a person said it."""
    if piece.fixed:
        return f"{piece.digit} · yours"
    return f"{'?' if piece.rejected else piece.digit} · {piece.penalty:.1f}"


class NumberOverlay(QWidget):
    """Drawn over the canvas, transparent to the pen: boxes, digits, penalties and the cuts.

    A click (a press and release without moving) in a piece's box selects that piece
    (`pieceClicked`) instead of leaving a dot on the drawing; a press there that moves on is a
    stroke as ever: the press is held back until the pen moves, then given to the canvas."""

    pieceClicked = Signal(int)

    def __init__(self, canvas: QWidget, margin: Callable[[], float] = lambda: 6.0):
        super().__init__(canvas)
        self._margin = margin  # around a piece's strokes: half the pen, so the box holds the ink
        self.reading: NumberReading | None = None
        self.selected: int | None = None
        self._held: tuple[QMouseEvent, int] | None = None  # a press in a box: (a copy, the piece)
        self._replaying = False  # giving the canvas a held press: let it through
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        elif kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton \
                and not self._replaying:
            index = self.piece_at(event.position()) if self.isVisible() else None
            if index is not None:
                self._held = (QMouseEvent(event.type(), event.position(), event.globalPosition(), event.button(),
                                          event.buttons(), event.modifiers()), index)
                return True
        elif kind == QEvent.Type.MouseMove and self._held is not None:
            press, _ = self._held
            if (event.position() - press.position()).manhattanLength() >= QApplication.startDragDistance():
                self._held = None  # a stroke after all: the canvas gets its press, then this move
                self._replaying = True
                try:
                    QApplication.sendEvent(watched, press)
                finally:
                    self._replaying = False
                return False
            return True
        elif kind == QEvent.Type.MouseButtonRelease and self._held is not None:
            _, index = self._held
            self._held = None
            self.pieceClicked.emit(index)
            return True
        return False

    def piece_at(self, position: QPointF) -> int | None:
        """The piece whose box (with the margin drawn around it) holds `position`, the smallest
        one when boxes overlap; None outside every box or when no number was read."""
        if self.reading is None or self.reading.reason is not None:
            return None
        m = self._margin()
        inside = [(r.width() * r.height(), k) for k, r in enumerate(self.piece_rects())
                  if r.adjusted(-m, -m, m, m).contains(position)]
        return min(inside)[1] if inside else None

    def show_reading(self, reading: NumberReading | None, selected: int | None = None) -> None:
        self.reading, self.selected = reading, selected
        self.setVisible(reading is not None)
        self.raise_()
        self.update()

    def piece_rects(self) -> list[QRectF]:
        """Each piece's box in canvas coordinates: its strokes' extent, or for an opened image
        its ink's, mapped to where the canvas paints the picture."""
        if self.reading is None:
            return []
        rects = [QRectF(p.box[0], p.box[1], p.box[2] - p.box[0], p.box[3] - p.box[1]) for p in self.reading.pieces]
        if self.reading.from_strokes:  # drawing units: where the canvas paints them
            canvas = self.parentWidget()
            return [canvas.to_view(rect) for rect in rects]
        canvas = self.parentWidget()
        target, picture = canvas.image_rect(), canvas.drawing.image.preview if canvas.drawing.image else None
        if target is None or not isinstance(picture, QImage) or picture.width() == 0:
            return []
        k = target.width() / picture.width()
        return [QRectF(target.x() + r.x() * k, target.y() + r.y() * k, r.width() * k, r.height() * k) for r in rects]

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.reading is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(_REJECTED if self.reading.unsure or self.reading.reason else QColor(40, 40, 40)))
        painter.drawText(QRectF(8, 4, self.width() - 16, 24), Qt.AlignmentFlag.AlignLeft, verdict(self.reading))
        rects = self.piece_rects()
        if not rects:
            return
        m = self._margin()
        if self.reading.reason is not None:
            # Refused as a whole ("not a number"): one red box around the mark, no digits, which
            # would stack on each other over a mark like "=" cut into overlapping pieces.
            painter.setPen(QPen(_REJECTED, 2))
            whole = rects[0]
            for rect in rects[1:]:
                whole = whole.united(rect)
            painter.drawRect(whole.adjusted(-m, -m, m, m))
            return
        top = min(r.top() for r in rects) - self._margin() - 24
        bottom = max(r.bottom() for r in rects) + 10
        painter.setPen(QPen(QColor(120, 120, 120), 1.5, Qt.PenStyle.DashLine))
        for a, b in itertools.pairwise(rects):
            x = (a.right() + b.left()) / 2  # the chosen cut (reading.cuts, in canvas coordinates)
            painter.drawLine(int(x), int(top), int(x), int(bottom))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.setFont(font)
        for index, (piece, rect) in enumerate(zip(self.reading.pieces, rects)):
            colour = _SELECTED if index == self.selected else _REJECTED if piece.rejected else _ACCEPTED
            painter.setPen(QPen(colour, 3 if index == self.selected else 2))
            painter.drawRect(rect.adjusted(-m, -m, m, m))
            label = piece_label(piece)
            painter.drawText(QRectF(rect.left() - m, rect.top() - m - 24, max(rect.width() + 2 * m, 80), 22),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, label)


class PieceList(QListWidget):
    """The pieces as 32×32 thumbnails; a digit key asks to teach the selected piece."""

    correctionRequested = Signal(int, int)  # piece index, digit

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if len(text) == 1 and text.isdigit() and self.currentRow() >= 0:
            self.correctionRequested.emit(self.currentRow(), int(text))
            event.accept()
            return
        super().keyPressEvent(event)


class SlidingView(QWidget):
    """The space-displacement view: the number as a 32-px strip with, under every 4th pixel, the
    digit LeNet-5 answers for the 32-px window centred there (faint when its penalty is high)."""

    ZOOM = 3

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.outputs: SlidingOutputs | None = None
        self.setToolTip("LeNet-5 swept along the number (C5 is a convolution, so one pass gives its answer "
                        "for every 32-pixel window, 4 pixels apart): the paper's space-displacement "
                        "network. Green digits are clear answers (not rejected as rubbish). This network was "
                        "trained on single centred digits, so it also answers between digits.")
        self.setMinimumHeight(32 * self.ZOOM + 24)

    def show_outputs(self, outputs: SlidingOutputs | None) -> None:
        self.outputs = outputs
        width = 0 if outputs is None else outputs.strip.shape[1] * self.ZOOM
        self.setMinimumWidth(width)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.outputs is None:
            return
        painter = QPainter(self)
        z = self.ZOOM
        strip = input_image(self.outputs.strip)
        painter.drawImage(QRectF(0, 0, strip.width() * z, strip.height() * z), strip)
        for centre, digit, confident in zip(self.outputs.centres, self.outputs.digits, self.outputs.confident):
            colour = QColor(_ACCEPTED if confident else QColor(170, 170, 170))
            painter.setPen(colour)
            painter.drawText(QRectF(centre * z - 10, 32 * z + 2, 20, 20), Qt.AlignmentFlag.AlignCenter, str(digit))


class NumberPanel(QWidget):
    """The reading of the number: its text, how sure, and each piece's input with digit and penalty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("Number mode is off. Turn it on (View → Number Mode) or write a number "
                              "wider than one digit.", self)
        self.summary.setWordWrap(True)
        self.pieces = PieceList(self)
        self.pieces.setViewMode(QListWidget.ViewMode.IconMode)
        self.pieces.setIconSize(QSize(64, 64))
        # Room for a row of pieces with their two-line captions (they were clipped in a short tab).
        self.pieces.setMinimumHeight(64 + 3 * self.fontMetrics().lineSpacing() + 16)
        self.pieces.setMovement(QListWidget.Movement.Static)
        self.pieces.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.pieces.setAccessibleName("Pieces of the number")
        self.pieces.setToolTip("Each piece as the network saw it. Click one to see it in the F6 and internals "
                               "panels; type a digit to correct it (it is kept as one of your samples).")
        hint = QLabel("Click a piece to look inside; type a digit to correct it.", self)
        hint.setWordWrap(True)
        self.sliding = SlidingView(self)
        sliding_title = QLabel("Swept along the number (the paper's space-displacement view):", self)
        sliding_title.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.pieces, 1)
        layout.addWidget(hint)
        layout.addWidget(sliding_title)
        scroll = QScrollArea(self)
        scroll.setWidget(self.sliding)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFixedHeight(self.sliding.minimumHeight() + 20)
        layout.addWidget(scroll)

    def show_reading(self, reading: NumberReading | None, message: str = "",
                     sliding: SlidingOutputs | None = None) -> None:
        self.pieces.clear()
        self.sliding.show_outputs(sliding if reading is not None else None)
        if reading is None:
            self.summary.setText(message)
            return
        runner = f" Next best: {reading.runner_up} (cost {reading.runner_up_cost:+.1f})." if reading.runner_up else ""
        if reading.reason is not None:  # too small (no pieces) or not a number (its pieces shown)
            self.summary.setText(reading.describe())
        else:
            from digitpad.reading.number_reading import SLIVERS  # torch: loaded by now (a reading exists)

            slivers = f" ({SLIVERS})" if reading.one_stroke_slivers else ""
            self.summary.setText(f"<b>{reading.text}</b>{' — unsure' + slivers if reading.unsure else ''}: "
                                 f"{len(reading.pieces)} piece(s), cost {reading.cost:+.1f} "
                                 f"({reading.pieces_scored} candidate pieces scored).{runner}")
        for piece in reading.pieces:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(input_image(piece.input).scaled(64, 64))),
                                   piece_label(piece))
            item.setToolTip(f"digit {piece.digit}, penalty {piece.penalty:.2f}, rubbish {piece.rubbish:.3f}")
            self.pieces.addItem(item)
