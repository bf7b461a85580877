"""What the window's features may use of it: `WindowContext`.

Number mode, the explanations (attribution, Invariance Explorer, unit trace) and the start-up
probe are handed this small object, not the `MainWindow`: the drawing and the canvas it is drawn
on (features lay overlays over it), the current recognizer and the last recognition, the status
bar, the queue of changes to the samples file, and signals for "the model changed / is ready /
failed" and "recognised". Nothing here writes the window's panels: a feature that wants
something shown there emits it, and the window shows it (see `MainWindow`).

In number mode the panels show one piece of the number, not the whole drawing: the features that
look inside (Why?, the Invariance Explorer, the unit trace, the time-lapse) ask for
`shown_recognition()` / `drawing_source()`, which follow the piece shown (`set_piece_source`), and
listen to `inputShown`. Explaining the whole drawing squashed into one 32×32 beside a piece's
answer called a "4" of "42" not a digit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from digitpad.app.drawing import Drawing
    from digitpad.gui.jobs.sample_changes import SampleChanges
    from digitpad.gui.widgets.canvas import DrawingCanvas
    from digitpad.reading.recognition import Recognition, Recognizer


class WindowContext(QObject):
    """The window's drawing, model and status bar, as its features see them. The window emits
    the signals; `recognizer` and `last_recognition` are read afresh on every call."""

    modelChanged = Signal()        # a network arrived, or its weights or device changed
    modelReady = Signal()          # the network is loaded (after the first modelChanged)
    modelFailed = Signal(str)      # no network at all: why, in words
    recognized = Signal(object)    # the drawing's new Recognition, or None when there is nothing
    inputShown = Signal(object)    # the Recognition the input, F6 and internals panels now show, or None

    def __init__(self, drawing: Drawing, canvas: DrawingCanvas, *,
                 recognizer: Callable[[], Recognizer | None],
                 last_recognition: Callable[[], Recognition | None],
                 show_status: Callable[[str, int], None],
                 sample_changes: SampleChanges,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.drawing = drawing
        self.canvas = canvas
        self._recognizer = recognizer
        self._last_recognition = last_recognition
        self._show_status = show_status
        self.sample_changes = sample_changes
        self._shown_recognition: Recognition | None = None
        self._piece_source: Callable[[], tuple[object, dict] | None] = lambda: None

    def set_piece_source(self, source: Callable[[], tuple[object, dict] | None]) -> None:
        """`source()` gives the piece of a number shown in the panels, as (what identifies it,
        keyword arguments for the core like `drawing_source`'s), or None when the panels show the
        whole drawing (number mode's, gui/panels/number_mode.py)."""
        self._piece_source = source

    def input_shown(self, recognition: Recognition | None) -> None:
        """The window showed `recognition` in its panels (the drawing's, or a piece's)."""
        self._shown_recognition = recognition
        self.inputShown.emit(recognition)

    @property
    def recognizer(self) -> Recognizer | None:
        """The current model's Recognizer; None while the network loads. A new one replaces it
        when the weights or the device change: a job keeps the one it was given."""
        return self._recognizer()

    @property
    def last_recognition(self) -> Recognition | None:
        """What the window shows for the whole drawing (None when there is nothing)."""
        return self._last_recognition()

    @property
    def shown_recognition(self) -> Recognition | None:
        """What the input, F6 and internals panels show: in number mode the piece shown, else the
        whole drawing's recognition (None when there is nothing)."""
        return self._shown_recognition

    def drawing_source(self) -> dict | None:
        """The drawing (strokes and pen) or the opened image's input — in number mode, the piece
        shown in the panels — as keyword arguments for the core's explanations and sweeps; None
        when the canvas is empty."""
        piece = self._piece_source()
        if piece is not None:
            return dict(piece[1])
        drawing = self.drawing
        if drawing.image is not None:
            return {"array32": drawing.image.input, "placement": drawing.image.placement}
        if drawing.is_empty():
            return None
        return {"strokes": drawing.strokes(), "pen_width": drawing.pen_width}

    def drawing_key(self) -> tuple:
        """What a result about the drawing depends on, to tell a fresh one from a stale one: the
        strokes, the opened image, the pen, the recognizer (new weights or a new device make
        a new one) and the piece of a number shown."""
        drawing = self.drawing
        strokes = tuple(tuple(s) for s in drawing.strokes())
        piece = self._piece_source()
        return (strokes, id(drawing.image) if drawing.image is not None else None, drawing.pen_width,
                id(self.recognizer), piece[0] if piece is not None else None)

    def show_status(self, message: str, timeout_ms: int = 0) -> None:
        """A message in the window's status bar (0: until the next one)."""
        self._show_status(message, timeout_ms)
