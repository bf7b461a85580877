"""Number mode: read a whole number drawn on the canvas, and show how it was read.

`NumberMode` owns a checkable action (toolbar and View menu) and switches itself on when the ink
is clearly several digits side by side: a drawing as wide as about one digit or more, or an opened
image, is read as a number in the background, and when that reading gives two or more pieces, all
accepted, number mode comes on with it; a wide drawing that does not read so gets a one-line hint
instead (HINT). A person's choice of the action overrides all that until the canvas is cleared.
It reads the drawing with `digitpad.reading.number_reading` in a background job (`LatestOnly`:
only the newest drawing is read) after every finished stroke, and hands the reading to its views
(gui/panels/number_views.py): the boxes over the canvas and the pieces dock.

Number mode writes none of the window's panels: it emits `pieceShown` with the recognition of the
piece selected — the least certain one when a reading arrives, or the one a person picks in the
dock or by clicking its box on the canvas — and the window shows it in its input, F6 and
internals panels (and, when a person picked it, the prediction panel), never the whole number
squashed into one 32×32. A digit key corrects the selected piece: the number is read again at
once with that digit fixed (NumberReading.corrected), and a drawn piece is kept as a sample.

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
from digitpad.gui.image_io import qimage_to_png
from digitpad.gui.jobs.latest_only import LatestOnly
from digitpad.gui.panels.number_views import NumberOverlay, NumberPanel
from digitpad.gui.window_layout import scrollable
from digitpad.storage.samples import Sample, SampleStore, make_image_sample, make_sample
from digitpad.ink.images import image_ink
from digitpad.ink.normalise import EmptyDrawing
from digitpad.reading.segmentation import drop_specks
from digitpad.reading.verdict import best_posterior

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext
    from digitpad.reading.number_reading import NumberReader, NumberReading
    from digitpad.reading.space_displacement import SlidingOutputs

log = logging.getLogger(__name__)

#: "Clearly wider than one digit": the drawing's width over its height (a wide 0 is about 0.8):
#: a hint to try number mode when it does not switch on by itself.
AUTO_WIDTH_RATIO = 1.4
#: A drawing at least this wide for its height may be several digits ("42" is about 1.3): it is
#: read as a number in the background to decide (a single digit is narrower: a wide 0 is 0.8).
MAYBE_SEVERAL = 0.9
HINT = "Several digits? Ctrl+M reads a number"


def read_number(reader: NumberReader, source: list | QImage, canvas_size: tuple[float, float] | None = None
                ) -> tuple[NumberReading | None, SlidingOutputs | None]:
    """Read one drawing (strokes) or opened image (its picture, a QImage) as a number, and sweep
    LeNet-5 along it: a few to a few tens of ms, more than a frame, so it runs off the GUI thread.
    (None, None) when there is no ink."""
    # torch: imported on the reader's thread, once the network is loaded
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
    #: The Recognition of the piece selected for the window's panels (None: no piece, show the
    #: drawing's own), and whether a person picked it (else it is the least certain, by default).
    pieceShown = Signal(object, bool)

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
        self.dock.setWidget(scrollable(self.panel))  # a tab beside F6: it scrolls, never squeezes
        self.dock.toggleViewAction().setText("Number &Pieces Panel")
        self.dock.hide()
        # The pieces are number mode's: they go when it ends (the panel stayed, empty).
        self.action.toggled.connect(lambda on: None if on else self.dock.hide())
        self.reading: NumberReading | None = None
        self._reading_of: object = None  # what `reading` was read from (`_key()` then)
        self._overridden = False  # the person chose on/off: no automatic switching until cleared
        self.jobs = LatestOnly("digitpad-number-reading", self)
        self.jobs.finished.connect(self._on_read)
        self.jobs.failed.connect(self._on_failed)
        self._selected_by_program = False  # the row is being set to the least certain piece
        self.panel.pieces.currentRowChanged.connect(self.select_piece)
        self.panel.pieces.correctionRequested.connect(self.correct_piece)
        self._picked: int | None = None  # the piece a person picked, shown in the prediction panel too
        self.overlay.pieceClicked.connect(self.pick_piece)
        self.panel.pieces.clicked.connect(lambda index: self.pick_piece(index.row()))
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

    def width_ratio(self) -> float:
        """The drawing's width over its height, stray clicks not counted (as the reader does not
        count them); 0 without ink."""
        strokes = drop_specks(self.drawing.finished_strokes)
        if not strokes:
            return 0.0
        width, height = np.ptp(np.concatenate(strokes), axis=0)
        return float(width / max(height, 1.0))

    def may_be_several_digits(self) -> bool:
        """Worth reading as a number to decide: an opened image, or a drawing about as wide as
        two digits side by side or wider."""
        return self.drawing.image is not None or self.width_ratio() >= MAYBE_SEVERAL

    @staticmethod
    def several_digits(reading: NumberReading | None) -> bool:
        """The reading is clearly a number of several digits: two or more pieces, all accepted."""
        return (reading is not None and reading.reason is None and len(reading.pieces) >= 2
                and not any(p.rejected for p in reading.pieces) and not reading.one_stroke_slivers)

    def _on_drawing_changed(self, change: Change) -> None:
        if change is not Change.EDITED:
            return
        if self.drawing.is_empty() and self.drawing.image is None:
            self._overridden = False  # cleared: automatic again
        if not self._overridden and self.active and not self.may_be_several_digits():
            self.action.setChecked(False)  # on by itself, and the drawing is one digit again
        self._refresh()

    def _refresh(self) -> None:
        """Read the drawing again if number mode is on (or, while it is off by itself, to decide
        whether to switch it on), else clear the views."""
        image = self.drawing.image
        if image is None and self.drawing.is_empty():
            self._show(None)
            return
        if not self.active:
            self._show(None)
            if not self._overridden and self.may_be_several_digits() and (
                    image is None or isinstance(image.preview, QImage)):
                self.read_in_background()  # _on_read switches number mode on if it is a number
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
        reader, size = NumberReader(recognizer.model, recognizer.device), canvas.drawing_size()
        self.jobs.submit(self._key(), lambda: read_number(reader, source, size))

    def _on_read(self, key: object, result: tuple[NumberReading | None, SlidingOutputs | None]) -> None:
        reading, sliding = result
        if key != self._key():  # stale
            return
        if not self.active:  # read to decide: several digits switch number mode on
            if self._overridden:
                return
            if self.several_digits(reading):
                self.action.setChecked(True)
                self.dock.show()
            elif self.drawing.image is None and self.width_ratio() > AUTO_WIDTH_RATIO or (
                    reading is not None and reading.reason is None and len(reading.pieces) >= 2):
                self.context.show_status(HINT, 10_000)
                return
            else:
                return
        self._show(reading, sliding=sliding)

    def _on_failed(self, key: object, message: str) -> None:
        # Only a failure of the reading asked for last, in number mode, is news: a stale one, or the
        # check made while the mode is off, would put "Could not read" over a reading that is fine.
        if key == self._key() and self.active:
            self._show(None, f"Could not read the number: {message}")

    def _show(self, reading: NumberReading | None, message: str = "", sliding: SlidingOutputs | None = None,
              selected: int | None = None) -> None:
        """Show `reading` in the views and select a piece: `selected`, else the least certain (in
        the input, F6 and internals panels either way: the prediction panel keeps the number)."""
        had_pieces = self.reading is not None and bool(self.reading.pieces)
        self.reading, self._reading_of = reading, self._key()
        self._picked = None
        self.overlay.show_reading(reading)
        self._selected_by_program = True  # the list's current row moves as it is refilled, too
        try:
            self.panel.show_reading(reading, message, sliding)
            self.readingShown.emit(reading)  # the window words its prediction view from it
            if reading is None or not reading.pieces:
                if had_pieces or self.active:  # no piece: the window shows the drawing's own recognition
                    self.pieceShown.emit(None, False)
                return
            self.panel.pieces.setCurrentRow(self.least_certain(reading) if selected is None else selected)
        finally:
            self._selected_by_program = False

    @staticmethod
    def least_certain(reading: NumberReading) -> int:
        """The piece whose best digit has the lowest posterior (verdict.best_posterior); pieces a
        person fixed last."""
        return min(range(len(reading.pieces)), key=lambda k: (reading.pieces[k].fixed, best_posterior(
            reading.pieces[k].penalties, reading.pieces[k].rubbish)))

    def pick_piece(self, index: int) -> None:
        """A person clicked piece `index` (its box on the canvas, or in the dock): shown everywhere,
        the prediction panel too — also the piece already selected, which the least certain is by
        default (a click on it did nothing: the row did not change)."""
        if index != self.panel.pieces.currentRow():
            self.panel.pieces.setCurrentRow(index)  # select_piece follows
        elif index != self._picked:
            self.select_piece(index)

    def select_piece(self, index: int) -> None:
        """Show one piece in the overlay, and emit its recognition (`pieceShown`) for the window's
        panels."""
        if self.reading is None or not 0 <= index < len(self.reading.pieces):
            return
        self.overlay.show_reading(self.reading, index)
        recognizer = self.context.recognizer
        self._picked = None if self._selected_by_program else index
        if recognizer is not None:
            chosen = not self._selected_by_program
            self.pieceShown.emit(recognizer.recognize_array(self.reading.pieces[index].input), chosen)
        if not self._selected_by_program:
            self.context.show_status(f"Piece {index + 1} of {len(self.reading.pieces)} is shown in the panels; "
                                     "type a digit to correct it.", 6000)

    def shown_piece_source(self) -> tuple[object, dict] | None:
        """The piece shown in the panels, for the features that look inside (WindowContext's
        piece source): ((first, stop) segments, its strokes — parts of strokes where one was cut,
        rendered as the reader rendered it — or its 32×32 for an image); None when number mode
        shows no piece of the drawing on the canvas now (off, no reading, or one of ink since
        changed)."""
        index = self.panel.pieces.currentRow()
        if not self.active or self.reading is None or not 0 <= index < len(self.reading.pieces) \
                or self._reading_of != self._key():
            return None
        piece = self.reading.pieces[index]
        if self.reading.from_strokes:  # the reader renders a piece's strokes with the default pen
            return (piece.first, piece.stop), {"strokes": piece_strokes(self.reading, index), "pen_width": None}
        return (piece.first, piece.stop), {"array32": piece.input, "placement": None, "too_small": False}

    def selected_piece_sample(self, digit: int) -> tuple[int, Sample] | None:
        """(index, a sample of `digit`) of the piece shown in the panels while number mode shows a
        reading: its strokes (parts of strokes where one was cut) for a drawing, its 32×32 input
        for an image; None when no piece is shown. Teach keeps this, not the whole number (F30)."""
        index = self.panel.pieces.currentRow()
        if not self.active or self.reading is None or not 0 <= index < len(self.reading.pieces):
            return None
        if self.reading.from_strokes:
            return index, make_sample(piece_strokes(self.reading, index), digit)
        return index, make_image_sample(self.reading.pieces[index].input, digit)

    def correct_piece(self, index: int, digit: int) -> bool:
        """Read the number again with piece `index` fixed as `digit` (at once: the pieces' scores
        are reused), and keep a drawn piece as a personal sample of `digit` (Teach, for one piece;
        saved off the GUI thread in the window's queue of sample changes, as the file's lock may be
        held). True when the sample is being kept."""
        if self.reading is None or not 0 <= index < len(self.reading.pieces) or self.reading.scored is None:
            return False
        before = self.reading
        corrected = before.corrected(index, digit)
        fixed = before.pieces[index]
        place = next(k for k, p in enumerate(corrected.pieces) if (p.first, p.stop) == (fixed.first, fixed.stop))
        self._show(corrected, sliding=self.panel.sliding.outputs, selected=place)
        if not before.from_strokes:
            self.context.show_status("Only drawn pieces can be kept as samples (your samples are strokes); "
                                     "draw this digit to teach it.", 8000)
            return False
        try:
            sample = make_sample(piece_strokes(before, index), digit)
        except ValueError as exc:
            self.context.show_status(f"Could not keep the piece as a sample: {exc}", 8000)
            return False

        def kept(counts: list[int]) -> None:
            shown = self.reading
            item = self.panel.pieces.item(place)
            if shown is not None and shown.segmentation is before.segmentation and item is not None \
                    and place < len(shown.pieces) and shown.pieces[place].digit == digit:
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
