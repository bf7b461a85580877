"""Number mode: read a whole number drawn on the canvas, and show how it was read.

`NumberMode` owns a checkable action (toolbar and View menu), switches itself on when the
drawing is clearly wider than one digit (a person's choice of the action overrides that until
the canvas is cleared), reads the drawing with `digitpad.reading.number_reading` in a background job
after every finished stroke, and hands the reading to two views:

- `NumberOverlay`, on top of the canvas: a box per piece with its digit and penalty, and the
  chosen cuts between pieces;
- `NumberPanel`, in a dock: the number, each piece's 32×32 input; a click on a piece shows it in
  the input, F6 and internals panels, a digit key teaches the piece as a personal sample.

The GUI only draws: segmentation, scoring and the path are the core's. No torch at import.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from digitpad.app.drawing import Change
from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.gui.widgets.colormap import input_image
from digitpad.storage.samples import SampleStore, make_sample

if TYPE_CHECKING:
    from digitpad.gui.main_window import MainWindow
    from digitpad.reading.number_reading import NumberReader, NumberReading
    from digitpad.reading.space_displacement import SlidingOutputs

log = logging.getLogger(__name__)

#: "Clearly wider than one digit": the drawing's width over its height (a wide 0 is about 0.8).
AUTO_WIDTH_RATIO = 1.4
_ACCEPTED = QColor(30, 130, 60)
_REJECTED = QColor(200, 40, 40)
_SELECTED = QColor(30, 90, 200)


class NumberReadingWorker(Worker):
    """Reads one drawing (strokes) or opened image (its picture, a QImage) as a number: a few to
    a few tens of ms, more than a frame. `key` says what was read, to recognise stale results."""

    failure_log = "reading the number failed"

    def __init__(self, reader: NumberReader, source: list | QImage, key: object,
                 canvas_size: tuple[float, float] | None = None):
        super().__init__()
        self.reader, self.source, self.key, self.canvas_size = reader, source, key, canvas_size

    def work(self) -> tuple[object, NumberReading | None, SlidingOutputs | None]:
        from digitpad.gui.image_io import qimage_to_png
        from digitpad.ink.preprocess import EmptyDrawing, image_ink
        from digitpad.reading.space_displacement import image_strip, slide, strokes_strip

        try:
            if isinstance(self.source, QImage):  # QImage is reentrant: encoded here, off the GUI thread
                png = qimage_to_png(self.source)
                reading = self.reader.read_image(png)
                strip = image_strip(image_ink(png))
            else:
                reading = self.reader.read_strokes(self.source, self.canvas_size)
                strip = strokes_strip(self.source)
        except EmptyDrawing:
            return self.key, None, None
        if reading.too_small:  # nothing to sweep along
            return self.key, reading, None
        return self.key, reading, slide(self.reader.model, strip)


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


def piece_strokes(reading: NumberReading, index: int) -> list[list[tuple[float, float]]]:
    """The ink of one piece as strokes (parts of strokes where a stroke was cut)."""
    piece = reading.pieces[index]
    return [[(float(x), float(y)) for x, y in polyline]
            for segment in reading.segmentation.segments[piece.first:piece.stop] for polyline in segment.polylines]


class NumberOverlay(QWidget):
    """Drawn over the canvas, transparent to the pen: boxes, digits, penalties and the cuts."""

    def __init__(self, canvas: QWidget, margin: Callable[[], float] = lambda: 6.0):
        super().__init__(canvas)
        self._margin = margin  # around a piece's strokes: half the pen, so the box holds the ink
        self.reading: NumberReading | None = None
        self.selected: int | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

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
        if self.reading.from_strokes:
            return rects
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
            refused = piece.rejected or self.reading.reason is not None  # "not a number": every piece
            colour = _SELECTED if index == self.selected else _REJECTED if refused else _ACCEPTED
            painter.setPen(QPen(colour, 3 if index == self.selected else 2))
            m = self._margin()
            painter.drawRect(rect.adjusted(-m, -m, m, m))
            label = f"{'?' if piece.rejected else piece.digit} · {piece.penalty:.1f}"
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
            from digitpad.reading.number_reading import SLIVERS  # loaded: a reading exists

            slivers = f" ({SLIVERS})" if reading.one_stroke_slivers else ""
            self.summary.setText(f"<b>{reading.text}</b>{' — unsure' + slivers if reading.unsure else ''}: "
                                 f"{len(reading.pieces)} piece(s), cost {reading.cost:+.1f} "
                                 f"({reading.pieces_scored} candidate pieces scored).{runner}")
        for piece in reading.pieces:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(input_image(piece.input).scaled(64, 64))),
                                   f"{'?' if piece.rejected else piece.digit} · {piece.penalty:.1f}")
            item.setToolTip(f"digit {piece.digit}, penalty {piece.penalty:.2f}, rubbish {piece.rubbish:.3f}")
            self.pieces.addItem(item)


class NumberMode(QObject):
    """The number-mode toggle and everything it drives in `window` (see the module doc)."""

    readingShown = Signal(object)  # the NumberReading shown, or None

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.drawing = window.drawing
        self.action = QAction("&Number Mode", window, checkable=True)
        self.action.setShortcut("Ctrl+M")
        self.action.setIconText("Number")
        self.action.setStatusTip("Read the drawing as a whole number, cut into digits by the network itself "
                                 "(on by itself when the drawing is wider than one digit)")
        self.action.triggered.connect(self._chosen)
        self.overlay = NumberOverlay(window.canvas, lambda: self.drawing.pen_width / 2 + 2)
        self.overlay.hide()
        self.panel = NumberPanel()
        self.dock = QDockWidget("Number · pieces", window)
        self.dock.setObjectName("numberDock")
        self.dock.setWidget(self.panel)
        self.dock.toggleViewAction().setText("Number &Pieces Panel")
        self.dock.hide()
        self.reading: NumberReading | None = None
        self._overridden = False  # the person chose on/off: no automatic switching until cleared
        self._job: BackgroundJob | None = None
        self._pending = False
        self.panel.pieces.currentRowChanged.connect(self.select_piece)
        self.panel.pieces.correctionRequested.connect(self.correct_piece)
        self.drawing.subscribe(self._on_drawing_changed)
        window.modelChanged.connect(self._refresh)

    @property
    def active(self) -> bool:
        return self.action.isChecked()

    def busy(self) -> bool:
        """A reading is running or waiting to run."""
        return self._pending or (self._job is not None and self._job.is_running())

    def set_active(self, active: bool, chosen: bool = True) -> None:
        """Turn number mode on or off; `chosen` (a person's choice) stops automatic switching."""
        self._overridden = self._overridden or chosen
        self.action.setChecked(active)
        if active:
            self.dock.show()
        self._refresh()

    def _chosen(self, checked: bool) -> None:
        self.set_active(checked, chosen=True)

    def looks_like_a_number(self) -> bool:
        """More than one stroke, and clearly wider than one digit (stray clicks not counted, as
        the reader does not count them)."""
        from digitpad.reading.segmentation import drop_specks

        strokes = drop_specks(self.drawing.finished_strokes)
        if len(strokes) < 2:
            return False
        points = np.concatenate(strokes)
        width, height = np.ptp(points, axis=0)
        return width > AUTO_WIDTH_RATIO * max(height, 1.0)

    def _on_drawing_changed(self, change: Change) -> None:
        if change is not Change.EDITED:
            return
        image = self.drawing.image
        if self.drawing.is_empty() and image is None:
            self._overridden = False  # cleared: automatic again
        # Automatic only for drawings (an image's width says little about its digits).
        if image is None and not self._overridden and self.looks_like_a_number() != self.active:
            self.action.setChecked(not self.active)
            if self.active:
                self.dock.show()
        self._refresh()

    def _refresh(self) -> None:
        """Read the drawing again if number mode is on, else clear the views."""
        image = self.drawing.image
        if not self.active or (image is None and self.drawing.is_empty()):
            self._show(None)
            return
        if image is not None and not isinstance(image.preview, QImage):
            self._show(None, "This image cannot be shown, so it is not read as a number here "
                             "(digitpad recognize --string IMAGE reads it).")
            return
        self.read_in_background()

    def _key(self) -> object:
        """What is read now: the opened image (compared by identity) or the strokes."""
        return self.drawing.image if self.drawing.image is not None else self.drawing.strokes()

    def read_in_background(self) -> None:
        """Read the current strokes in a worker thread; a request during a reading runs after it."""
        recognizer = self.window.recognizer
        if recognizer is None:
            self._show(None, "Waiting for the neural network…")
            return
        if self._job is not None and self._job.is_running():
            self._pending = True
            return
        from digitpad.reading.number_reading import (
            NumberReader,  # torch: only once the network is loaded
        )

        image = self.drawing.image
        source = QImage(image.preview) if image is not None else self.drawing.strokes()
        canvas = self.window.canvas  # its size decides "too small", as in single-digit mode
        worker = NumberReadingWorker(NumberReader(recognizer.model, recognizer.device), source, self._key(),
                                     (canvas.width(), canvas.height()))
        self._job = BackgroundJob(worker, "digitpad-number-reading")
        worker.finished.connect(self._on_read, Qt.ConnectionType.QueuedConnection)
        worker.failed.connect(lambda message: self._show(None, f"Could not read the number: {message}"),
                              Qt.ConnectionType.QueuedConnection)
        self._job.done.connect(self._on_job_done, Qt.ConnectionType.QueuedConnection)
        self._job.start()

    def _on_read(self, result: tuple[object, NumberReading | None, SlidingOutputs | None]) -> None:
        key, reading, sliding = result
        if self.active and key == self._key():  # not stale
            self._show(reading, sliding=sliding)

    def _on_job_done(self) -> None:
        if self._pending:
            self._pending = False
            self._refresh()

    def _show(self, reading: NumberReading | None, message: str = "", sliding: SlidingOutputs | None = None) -> None:
        self.reading = reading
        self.overlay.show_reading(reading)
        self.panel.show_reading(reading, message, sliding)
        if reading is not None:  # not the whole drawing's single-digit verdict ("Not a digit") beside it
            self.window.prediction_view.show_note(piece_by_piece_note(reading))
        self.readingShown.emit(reading)

    def select_piece(self, index: int) -> None:
        """Show one piece in the overlay and in the window's input, F6 and internals panels."""
        if self.reading is None or not 0 <= index < len(self.reading.pieces):
            return
        self.overlay.show_reading(self.reading, index)
        recognizer = self.window.recognizer
        if recognizer is not None:
            recognition = recognizer.recognize_array(self.reading.pieces[index].input)
            w = self.window
            w.input_view.set_array(recognition.input)
            w.f6_panel.show_recognition(recognition)
            w.internals_panel.show_recognition(recognition)
            w.prediction_view.show_recognition(recognition)
        self.window.show_status(f"Piece {index + 1} of {len(self.reading.pieces)} is shown in the panels; "
                                "type a digit to correct it.", 6000)

    def correct_piece(self, index: int, digit: int) -> bool:
        """Keep piece `index` as a personal sample of `digit` (Teach, for one piece). Saved off the
        GUI thread in the window's queue of sample changes (the file's lock may be held)."""
        if self.reading is None or not 0 <= index < len(self.reading.pieces):
            return False
        if not self.reading.from_strokes:
            self.window.show_status("Only drawn pieces can be kept as samples (your samples are strokes); "
                                    "draw this digit to teach it.", 8000)
            return False
        try:
            sample = make_sample(piece_strokes(self.reading, index), digit)
        except ValueError as exc:
            self.window.show_status(f"Could not keep the piece as a sample: {exc}", 8000)
            return False
        reading = self.reading

        def kept(counts: list[int]) -> None:
            item = self.panel.pieces.item(index)
            if self.reading is reading and item is not None:
                item.setText(f"{digit} · taught")
            self.window.show_status(f"Piece {index + 1} kept as a sample of {digit} ({counts[digit]} of {digit}). "
                                    "Model → Retrain… with “Fine-tune” teaches it to the network.", 8000)

        def append(store: SampleStore) -> list[int]:
            store.teach(sample)  # a piece corrected twice is kept once, with its latest label
            return store.counts()

        self.window.show_status(f"Saving piece {index + 1} as a sample of {digit}…", 0)
        self.window.teach_menu.changes.submit(append, kept, lambda message: self.window.show_status(
            f"Could not keep the piece as a sample: {message}", 8000))
        return True

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.stop()
