"""Why it decided, in the window: the attribution dock, its overlay on the canvas, and the menu
entries that open the Invariance Explorer and the unit trace.

`Explanations` watches the drawing and the model; while the dock is shown it asks the core
(`digitpad.explain.attribution.explain_input`: integrated gradients, 30–300 ms, and the per-stroke
effects) in a background job, and hands the `Explanation` that comes back to two views:

- `AttributionPanel`, in a dock: the 32×32 input with the attribution over it, for the answer or
  a class picked here or in the F6 panel; what each stroke does;
- `AttributionOverlay`, on the canvas: the same colours mapped back onto the strokes.

Colours: ColorBrewer PuOr (colour-blind safe), purple = the ink supports the class, orange = it
opposes it. No torch at import.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QHBoxLayout, QLabel, QListWidget, QSizePolicy,
                               QVBoxLayout, QWidget)

from digitpad.app.drawing import Change
from digitpad.gui.window_layout import place_on_screen, scrollable
from digitpad.reading.verdict import penalty_change_text
from digitpad.explain.colours import ATTRIBUTION_ANCHORS
from digitpad.explain.pictures import attribution_overlay_rgb, attribution_rgba
from digitpad.gui.jobs.latest_only import LatestOnly
from digitpad.gui.widgets.colormap import paint_colour_scale, rgb_to_qimage
from digitpad.gui.widgets.pixel_view import PixelView
from digitpad.gui.windows.invariance_explorer import InvarianceExplorer
from digitpad.gui.windows.unit_trace import UnitTraceWindow
from digitpad.ink.normalise import INPUT_SIZE, Placement

if TYPE_CHECKING:
    from digitpad.explain.attribution import Explanation
    from digitpad.gui.context import WindowContext

log = logging.getLogger(__name__)

CANVAS_OPACITY = 0.8


class AttributionScale(QWidget):
    """The legend: purple (supports) … white … orange (opposes)."""

    def sizeHint(self) -> QSize:
        return QSize(200, 12)

    def paintEvent(self, event: QPaintEvent) -> None:
        paint_colour_scale(QPainter(self), QRectF(self.rect()), ATTRIBUTION_ANCHORS)


class AttributionOverlay(QWidget):
    """Over the canvas, transparent to the pen: the attribution mapped back onto the strokes or
    the opened image."""

    def __init__(self, canvas: QWidget):
        super().__init__(canvas)
        self._image = None
        self._placement: Placement | None = None
        self._on_image = False
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def show_attribution(self, explanation: Explanation | None) -> None:
        placement = explanation.placement if explanation is not None else None
        if placement is None:
            self._image, self._placement = None, None
            self.hide()
            return
        rgba = np.ascontiguousarray(attribution_rgba(explanation.attribution.attribution))
        self._image = QImage(rgba.data, INPUT_SIZE, INPUT_SIZE, 4 * INPUT_SIZE,
                             QImage.Format.Format_RGBA8888).copy()
        self._placement = placement
        # Only the current drawing's explanation is shown, so this says what its placement is in.
        self._on_image = self.parentWidget().drawing.image is not None
        self.show()
        self.raise_()
        self.update()

    def canvas_rect(self) -> QRectF | None:
        """Where the 32×32 input lies on the canvas (for tests and the curious); None when it
        cannot be shown (no attribution, or an image without a picture on the canvas)."""
        if self._placement is None or not self._placement.scale > 0:
            return None  # a click has no extent to scale: nothing to lay over it (it divided by 0)
        left, top = self._placement.to_source(0.0, 0.0)
        side = INPUT_SIZE / self._placement.scale
        if not self._on_image:  # the placement is in drawing units
            return self.parentWidget().to_view(QRectF(left, top, side, side))
        # The placement is in the image's pixels: map them to where the canvas paints its picture
        # (worked out here, as the canvas may have been resized since).
        canvas = self.parentWidget()
        target = canvas.image_rect()
        picture = canvas.drawing.image.preview if canvas.drawing.image is not None else None
        if target is None or not isinstance(picture, QImage) or picture.width() == 0:
            return None
        k = target.width() / picture.width()
        return QRectF(target.x() + left * k, target.y() + top * k, side * k, side * k)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.canvas_rect()
        if self._image is None or rect is None:
            return
        painter = QPainter(self)
        painter.setOpacity(CANVAS_OPACITY)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self._image)


class AttributionPanel(QWidget):
    """The attribution on the 32×32 input, the class it is for, and what each stroke does."""

    digitChosen = Signal(object)  # None for "the answer", else 0 … 9

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.choice = QComboBox(self)
        self.choice.addItem("the answer", None)
        for digit in range(10):
            self.choice.addItem(str(digit), digit)
        self.choice.setToolTip("The class whose penalty is explained (picking a row in the F6 panel picks it "
                               "too)")
        self.choice.currentIndexChanged.connect(lambda _: self.digitChosen.emit(self.choice.currentData()))
        self.on_canvas = QCheckBox("Show on the canvas", self)
        self.on_canvas.setChecked(True)
        self.view = PixelView(QSize(INPUT_SIZE, INPUT_SIZE), self.MIN_CELL, self)
        self.view.setToolTip("Integrated gradients: how much each input pixel's ink lowered (purple) or raised "
                             "(orange) the class's penalty, from a blank page to the drawing")
        self.view.set_unit_description(lambda r, c, v: f"pixel ({r}, {c}): {v:+.3f} of the penalty")
        self.summary = QLabel("Draw something to see which ink made the answer.", self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strokes = QListWidget(self)
        self.strokes.setAccessibleName("What each stroke does")
        self.strokes.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.strokes.setMinimumHeight(60)
        legend = QHBoxLayout()
        legend.addWidget(QLabel("supports", self))
        legend.addWidget(AttributionScale(self), 1)
        legend.addWidget(QLabel("opposes", self))
        top = QHBoxLayout()
        top.addWidget(QLabel("Explain:", self))
        top.addWidget(self.choice)
        top.addStretch(1)
        top.addWidget(self.on_canvas)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(legend)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Without each stroke:", self))
        layout.addWidget(self.strokes, 1)

    #: Screen pixels per input pixel of the picture: at least this, and more as the panel grows
    #: (maximised at 1920×1080 it stayed 192 px beside an empty 600-px list of strokes).
    MIN_CELL, MAX_CELL = 6, 16
    #: What the rest of the panel needs below the picture (legend, summary, a few stroke lines).
    ROOM_BELOW = 240

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_picture()

    def fit_picture(self) -> None:
        """The picture as large as the panel's width and the height it is seen in allow (the
        panel scrolls in its tab: the scroll area's viewport, not the panel, says what is seen)."""
        seen = self.parentWidget().height() if self.parentWidget() is not None else self.height()
        cell = max(self.MIN_CELL, min(self.MAX_CELL, (self.width() - 24) // INPUT_SIZE,
                                      (seen - self.ROOM_BELOW) // INPUT_SIZE))
        if cell != self.view.cell():
            self.view.set_cell(cell)

    def chosen_digit(self) -> int | None:
        return self.choice.currentData()

    def choose(self, digit: int | None) -> None:
        self.choice.setCurrentIndex(0 if digit is None else digit + 1)

    def show_message(self, text: str) -> None:
        self.view.set_image(None)
        self.summary.setText(text)
        self.strokes.clear()

    def show_explanation(self, explanation: Explanation) -> None:
        a = explanation.attribution
        values = a.attribution
        self.view.set_image(rgb_to_qimage(attribution_overlay_rgb(explanation.recognition.input, values)), values)
        recognition = explanation.recognition
        answer = recognition.short_answer()
        self.summary.setText(
            f"Answer: <b>{answer}</b>. Penalty of <b>{a.digit}</b>: {a.penalty:.1f}, against {a.baseline_penalty:.1f} "
            f"for a blank page. The ink in purple lowered it by {-values[values < 0].sum():.1f}, the ink in "
            f"orange raised it by {values[values > 0].sum():.1f}.")
        self.strokes.clear()
        for effect in explanation.stroke_effects:
            text = effect.describe(recognition)
            changes = effect.penalty_changes(recognition)
            said = effect.recognition is not None and not effect.recognition.rejected and \
                effect.digit == recognition.digit == a.digit  # describe() gave this very change
            if changes is not None and not said:  # the explained class's, when it is another
                text += f"; {penalty_change_text(float(changes[a.digit])).replace('its', f'the {a.digit}’s', 1)}"
            self.strokes.addItem(text[0].upper() + text[1:])
        if not explanation.stroke_effects:
            self.strokes.addItem("(only for drawings of two or more strokes)")

    def image(self):
        return self.view.image()


class Explanations(QObject):
    """The attribution dock and overlay, the Invariance Explorer and the unit trace, for the
    window whose `context` they are given (`parent` owns the windows they open)."""

    explanationShown = Signal(object)  # the Explanation shown, or None

    def __init__(self, context: WindowContext, parent: QWidget):
        super().__init__(parent)
        self.context = context
        self.parent_widget = parent
        self.panel = AttributionPanel()
        self.dock = QDockWidget("Why · attribution", parent)
        self.dock.setObjectName("attributionDock")
        # Scrolled, not squeezing: as a tab beside F6 its full height pushed the input above it into
        # a scrolled strip at 1024×700.
        self.dock.setWidget(scrollable(self.panel))
        self.dock.toggleViewAction().setText("&Why? Attribution Panel")
        self.dock.toggleViewAction().setShortcut("Ctrl+Shift+W")
        self.dock.hide()
        self.overlay = AttributionOverlay(context.canvas)
        self.explanation: Explanation | None = None
        self.explanation_key: tuple | None = None  # what it explains (`_key()` then)
        self._requested_key: tuple | None = None  # what was last asked of the background job
        self.jobs = LatestOnly("digitpad-attribution", self)
        self.jobs.finished.connect(self._on_explained)
        self.jobs.failed.connect(lambda key, message: self._show(None, f"Could not explain: {message}"))
        self.explorer_action = QAction("Invariance &Explorer…", parent)
        self.explorer_action.setStatusTip("Sweep a shift, scale, rotation, squeeze, shear, stroke width or noise "
                                          "over the drawing and see where the answer breaks")
        self.explorer_action.triggered.connect(self.open_explorer)
        self.trace_action = QAction("&Trace a Unit…", parent)
        self.trace_action.setStatusTip("Where a unit's signal comes from (or click a unit in a feature map)")
        self.trace_action.triggered.connect(lambda: self.open_trace())
        self.explorer = None
        self.trace = None
        context.drawing.subscribe(self._on_drawing_changed)
        context.modelChanged.connect(self.refresh)
        context.inputShown.connect(self._on_input_shown)  # number mode: another piece
        self.dock.visibilityChanged.connect(lambda _: self.refresh())
        self.panel.digitChosen.connect(lambda _: self.refresh())
        self.panel.on_canvas.toggled.connect(lambda _: self._show_overlay())

    def actions(self) -> list[QAction]:
        return [self.dock.toggleViewAction(), self.explorer_action, self.trace_action]

    def pick_class(self, digit: int | None) -> None:
        """Explain `digit` (None: the answer), as picked in the F6 panel."""
        self.panel.choose(digit)

    # ---- the attribution -------------------------------------------------------------------
    def _on_drawing_changed(self, change: Change) -> None:
        if change is Change.EDITED or change is Change.PEN:
            self.refresh()

    def _on_input_shown(self, _recognition: object) -> None:
        # A change of drawing has asked already; a piece picked in number mode has not.
        if self._key() not in (self.explanation_key, self._requested_key):
            self.refresh()

    def _key(self) -> tuple:
        return self.context.drawing_key(), self.panel.chosen_digit()

    def refresh(self) -> None:
        """Explain the drawing (in number mode, the piece shown) again if the dock is shown (in the
        background), else drop the views."""
        if not self.dock.isVisible():
            self._show(None, "")
            return
        source = self.context.drawing_source()
        recognizer = self.context.recognizer
        if source is None:
            self._show(None, "Draw something to see which ink made the answer.")
            return
        if recognizer is None:
            self._show(None, "Waiting for the neural network…")
            return
        from digitpad.explain.attribution import explain_input  # torch: only once the network is loaded

        digit = self.panel.chosen_digit()
        self.panel.summary.setText("Working out the attribution…")
        # "Too small" as the window's answer decides it (ink.too_small): a drawing on this canvas,
        # an image as it was judged when opened.
        if "strokes" in source:
            source["canvas_size"] = self.context.canvas.drawing_size()
        else:
            source.setdefault("too_small", self.context.drawing.image.too_small)
        self._requested_key = self._key()
        self.jobs.submit(self._requested_key, lambda: explain_input(recognizer, digit, **source))

    def busy(self) -> bool:
        return self.jobs.busy()

    def _on_explained(self, key: object, explanation: Explanation) -> None:
        if self.dock.isVisible() and key == self._key():
            self._show(explanation, key=key)

    def _show(self, explanation: Explanation | None, message: str = "", key: tuple | None = None) -> None:
        self.explanation, self.explanation_key = explanation, key
        if explanation is None:
            self.panel.show_message(message)
        else:
            self.panel.show_explanation(explanation)
        self._show_overlay()
        self.explanationShown.emit(explanation)

    def _show_overlay(self) -> None:
        shown = self.explanation if self.panel.on_canvas.isChecked() and self.dock.isVisible() else None
        self.overlay.show_attribution(shown)

    # ---- the other windows -----------------------------------------------------------------
    def open_explorer(self) -> None:
        if self.explorer is None:
            self.explorer = InvarianceExplorer(self.context, self.parent_widget)
            place_on_screen(self.explorer)
        self.explorer.show()  # its showEvent sweeps the current drawing
        self.explorer.raise_()

    def open_trace(self, layer: str = "c1", map_index: int = 0, row: int = 0, col: int = 0) -> None:
        if self.trace is None:
            self.trace = UnitTraceWindow(self.context, self.parent_widget)
            self.trace.place_on_screen()  # before it is shown: a window manager keeps a given place
        self.trace.show_unit(layer, map_index, row, col)
        self.trace.show()
        self.trace.keep_on_screen()
        self.trace.raise_()

    def shutdown(self) -> None:
        self.jobs.shutdown()
        if self.explorer is not None:
            self.explorer.shutdown()
