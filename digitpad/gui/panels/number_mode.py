"""Number mode: read a whole number drawn on the canvas, and show how it was read.

`NumberMode` owns a checkable action (toolbar and View menu), switches itself on when the
drawing is clearly wider than one digit (a person's choice of the action overrides that until
the canvas is cleared), reads the drawing with `digitpad.reading.number_reading` in a background job
(`LatestOnly`: only the newest drawing is read) after every finished stroke, and hands the
reading to its views (gui/panels/number_views.py): the boxes over the canvas and the pieces dock.
A click on a piece emits `pieceShown` with that piece's recognition: the window shows it in its
input, F6, internals and prediction panels (number mode writes none of them); a digit key
teaches the piece as a personal sample.

The GUI only draws: segmentation, scoring and the path are the core's. No torch at import.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QDockWidget, QWidget

from digitpad.app.drawing import Change
from digitpad.gui.jobs.latest_only import LatestOnly
from digitpad.gui.panels.number_views import NumberOverlay, NumberPanel
from digitpad.storage.samples import SampleStore, make_sample

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext
    from digitpad.reading.number_reading import NumberReader, NumberReading
    from digitpad.reading.space_displacement import SlidingOutputs

log = logging.getLogger(__name__)

#: "Clearly wider than one digit": the drawing's width over its height (a wide 0 is about 0.8).
AUTO_WIDTH_RATIO = 1.4


def read_number(reader: NumberReader, source: list | QImage, canvas_size: tuple[float, float] | None = None
                ) -> tuple[NumberReading | None, SlidingOutputs | None]:
    """Read one drawing (strokes) or opened image (its picture, a QImage) as a number, and sweep
    LeNet-5 along it: a few to a few tens of ms, more than a frame, so it runs off the GUI thread.
    (None, None) when there is no ink."""
    from digitpad.gui.image_io import qimage_to_png
    from digitpad.ink.preprocess import EmptyDrawing, image_ink
    from digitpad.reading.space_displacement import image_strip, slide, strokes_strip

    try:
        if isinstance(source, QImage):  # QImage is reentrant: encoded here, off the GUI thread
            png = qimage_to_png(source)
            reading = reader.read_image(png)
            strip = image_strip(image_ink(png))
        else:
            reading = reader.read_strokes(source, canvas_size)
            strip = strokes_strip(source)
    except EmptyDrawing:
        return None, None
    if reading.too_small:  # nothing to sweep along
        return reading, None
    return reading, slide(reader.model, strip)


def piece_strokes(reading: NumberReading, index: int) -> list[list[tuple[float, float]]]:
    """The ink of one piece as strokes (parts of strokes where a stroke was cut)."""
    piece = reading.pieces[index]
    return [[(float(x), float(y)) for x, y in polyline]
            for segment in reading.segmentation.segments[piece.first:piece.stop] for polyline in segment.polylines]


class NumberMode(QObject):
    """The number-mode toggle and everything it drives (see the module doc). `context` is the
    window's (gui/context.py); `parent` owns the action and the dock."""

    readingShown = Signal(object)  # the NumberReading shown, or None
    pieceShown = Signal(object)    # the Recognition of the piece chosen, for the window's panels

    def __init__(self, context: WindowContext, parent: QWidget):
        super().__init__(parent)
        self.context = context
        self.drawing = context.drawing
        self.action = QAction("&Number Mode", parent, checkable=True)
        self.action.setShortcut("Ctrl+M")
        self.action.setIconText("Number")
        self.action.setStatusTip("Read the drawing as a whole number, cut into digits by the network itself "
                                 "(on by itself when the drawing is wider than one digit)")
        self.action.triggered.connect(self._chosen)
        self.overlay = NumberOverlay(context.canvas, lambda: self.drawing.pen_width / 2 + 2)
        self.overlay.hide()
        self.panel = NumberPanel()
        self.dock = QDockWidget("Number · pieces", parent)
        self.dock.setObjectName("numberDock")
        self.dock.setWidget(self.panel)
        self.dock.toggleViewAction().setText("Number &Pieces Panel")
        self.dock.hide()
        self.reading: NumberReading | None = None
        self._overridden = False  # the person chose on/off: no automatic switching until cleared
        self.jobs = LatestOnly("digitpad-number-reading", self)
        self.jobs.finished.connect(self._on_read)
        self.jobs.failed.connect(lambda key, message: self._show(None, f"Could not read the number: {message}"))
        self.panel.pieces.currentRowChanged.connect(self.select_piece)
        self.panel.pieces.correctionRequested.connect(self.correct_piece)
        self.drawing.subscribe(self._on_drawing_changed)
        context.modelChanged.connect(self._refresh)

    @property
    def active(self) -> bool:
        return self.action.isChecked()

    def busy(self) -> bool:
        """A reading is running or waiting to run."""
        return self.jobs.busy()

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
        recognizer = self.context.recognizer
        if recognizer is None:
            self._show(None, "Waiting for the neural network…")
            return
        from digitpad.reading.number_reading import NumberReader  # torch: only once the network is loaded

        image = self.drawing.image
        source = QImage(image.preview) if image is not None else self.drawing.strokes()
        canvas = self.context.canvas  # its size decides "too small", as in single-digit mode
        reader, size = NumberReader(recognizer.model, recognizer.device), (canvas.width(), canvas.height())
        self.jobs.submit(self._key(), lambda: read_number(reader, source, size))

    def _on_read(self, key: object, result: tuple[NumberReading | None, SlidingOutputs | None]) -> None:
        reading, sliding = result
        if self.active and key == self._key():  # not stale
            self._show(reading, sliding=sliding)

    def _show(self, reading: NumberReading | None, message: str = "", sliding: SlidingOutputs | None = None) -> None:
        self.reading = reading
        self.overlay.show_reading(reading)
        self.panel.show_reading(reading, message, sliding)
        self.readingShown.emit(reading)  # the window words its prediction view from it

    def select_piece(self, index: int) -> None:
        """Show one piece in the overlay, and emit its recognition (`pieceShown`) for the window's
        input, F6, internals and prediction panels."""
        if self.reading is None or not 0 <= index < len(self.reading.pieces):
            return
        self.overlay.show_reading(self.reading, index)
        recognizer = self.context.recognizer
        if recognizer is not None:
            self.pieceShown.emit(recognizer.recognize_array(self.reading.pieces[index].input))
        self.context.show_status(f"Piece {index + 1} of {len(self.reading.pieces)} is shown in the panels; "
                                 "type a digit to correct it.", 6000)

    def correct_piece(self, index: int, digit: int) -> bool:
        """Keep piece `index` as a personal sample of `digit` (Teach, for one piece). Saved off the
        GUI thread in the window's queue of sample changes (the file's lock may be held)."""
        if self.reading is None or not 0 <= index < len(self.reading.pieces):
            return False
        if not self.reading.from_strokes:
            self.context.show_status("Only drawn pieces can be kept as samples (your samples are strokes); "
                                     "draw this digit to teach it.", 8000)
            return False
        try:
            sample = make_sample(piece_strokes(self.reading, index), digit)
        except ValueError as exc:
            self.context.show_status(f"Could not keep the piece as a sample: {exc}", 8000)
            return False
        reading = self.reading

        def kept(counts: list[int]) -> None:
            item = self.panel.pieces.item(index)
            if self.reading is reading and item is not None:
                item.setText(f"{digit} · taught")
            self.context.show_status(f"Piece {index + 1} kept as a sample of {digit} ({counts[digit]} of {digit}). "
                                     "Model → Retrain… with “Fine-tune” teaches it to the network.", 8000)

        def append(store: SampleStore) -> list[int]:
            store.teach(sample)  # a piece corrected twice is kept once, with its latest label
            return store.counts()

        self.context.show_status(f"Saving piece {index + 1} as a sample of {digit}…", 0)
        self.context.sample_changes.submit(append, kept, lambda message: self.context.show_status(
            f"Could not keep the piece as a sample: {message}", 8000))
        return True

    def shutdown(self) -> None:
        self.jobs.shutdown()
