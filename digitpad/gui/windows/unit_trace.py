"""Trace a unit: where its signal comes from. A window of its own, opened by clicking a unit in a
feature map (internals panel or F6) or from View → Trace a Unit….

It shows the unit's receptive field on the 32×32 input, the maps of the layer below that feed it
(for C3 only those Table I connects) with the block it reads, its weights as images and its
value. Everything shown comes from `digitpad.explain.trace.trace_unit` and the window's last
recognition; nothing here needs more than a millisecond, so it runs on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout,
                               QWidget)

from digitpad.gui.widgets.colormap import diverging_rgb, rgb_to_qimage
from digitpad.gui.widgets.pixel_view import PixelView
from digitpad.gui.window_layout import keep_on_screen, place_on_screen
from digitpad.ink.normalise import INPUT_SIZE, input_greys

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext
    from digitpad.reading.recognition import Recognition
    from digitpad.explain.trace import Box, UnitTrace

#: Layer → (maps, side); the same facts as digitpad.explain.trace.LAYERS, which imports torch.
LAYER_SHAPES = {"c1": (6, 28), "s2": (6, 14), "c3": (16, 10), "s4": (16, 5), "c5": (120, 1), "f6": (84, 1)}
_FOCUS = np.array([255, 200, 60], np.float64)  # the receptive field / the block read: amber
_MAX_SOURCES = 16


def highlight_box(rgb: np.ndarray, box: Box) -> np.ndarray:
    """`rgb` with everything outside `box` faded and the box tinted, so the part read stands out."""
    out = rgb.astype(np.float64) * 0.3 + 255 * 0.7
    inside = rgb[box.top:box.bottom, box.left:box.right].astype(np.float64)
    out[box.top:box.bottom, box.left:box.right] = inside * 0.8 + _FOCUS * 0.2
    return np.rint(out).astype(np.uint8)


def source_maps(recognition: Recognition, layer: str) -> np.ndarray:
    """The maps of `layer` ("input", "c1" … "c5") as (maps, rows, cols); C5's 120 units as 120 1×1 maps."""
    if layer == "input":
        return np.asarray(recognition.input)[None]
    values = np.asarray(getattr(recognition, layer))
    return values.reshape(-1, 1, 1) if layer == "c5" else values


class UnitTraceWindow(QWidget):
    """The trace of one unit, kept up to date with the drawing."""

    def __init__(self, context: WindowContext, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.context = context
        self.setWindowTitle("Trace a Unit")  # the system adds " — digitpad" (the app's display name)
        self.trace: UnitTrace | None = None
        self.layer = QComboBox(self)
        for name in LAYER_SHAPES:
            self.layer.addItem(name.upper(), name)
        self.map_index, self.row, self.col = QSpinBox(self), QSpinBox(self), QSpinBox(self)
        picker = QHBoxLayout()
        for label, widget in (("Layer", self.layer), ("map", self.map_index), ("row", self.row),
                              ("column", self.col)):
            picker.addWidget(QLabel(label, self))
            picker.addWidget(widget)
        picker.addStretch(1)
        self.header = QLabel("", self)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.input_view = PixelView(QSize(INPUT_SIZE, INPUT_SIZE), 5, self)
        self.input_view.setToolTip("The unit's receptive field on the 32×32 input (tinted): the only pixels "
                                   "that can change it")
        self.sources_title = QLabel("", self)
        self.sources = QGridLayout()
        self.weights_title = QLabel("", self)
        for title in (self.sources_title, self.weights_title):  # long for C5 and F6: wrapped, not widening
            title.setWordWrap(True)
        self.weights = QGridLayout()
        self._source_views: list[PixelView] = []
        self._weight_views: list[PixelView] = []
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Receptive field</b>", self))
        left.addWidget(self.input_view)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.sources_title)
        right.addLayout(self.sources)
        right.addWidget(self.weights_title)
        right.addLayout(self.weights)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(picker)
        layout.addWidget(self.header)
        layout.addLayout(body, 1)
        self.layer.currentIndexChanged.connect(self._on_picker)
        for box in (self.map_index, self.row, self.col):
            box.valueChanged.connect(self._on_picker)
        context.inputShown.connect(lambda _: self.refresh())  # the unit of the input the panels show
        context.modelChanged.connect(self.refresh)
        self._relayout = QTimer(self)  # the maps follow the window's width, once it settles
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(lambda: self.trace is not None and self._show(self.trace,
                                                                                   self.context.shown_recognition))
        self.resize(720, 480)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._relayout.start()

    def _side(self, per_row: int, base: float) -> float:
        """The size of each small map: what the window's width gives `per_row` of them beside the
        receptive field, from about half to three times `base` (fixed sizes made F6's trace 821 px
        wide, off a 1024 screen, and left half of a maximised window empty)."""
        room = self.width() - self.input_view.width() - 80  # margins and the gap between the columns
        return max(base / 2, min(base * 4, room / per_row - 16))  # and between the maps

    def place_on_screen(self) -> None:
        place_on_screen(self)

    def keep_on_screen(self) -> None:
        keep_on_screen(self)

    def show_unit(self, layer: str, map_index: int, row: int = 0, col: int = 0) -> None:
        """Trace this unit (as a click on it would)."""
        boxes = (self.layer, self.map_index, self.row, self.col)
        for box in boxes:
            box.blockSignals(True)
        self.layer.setCurrentIndex(list(LAYER_SHAPES).index(layer))
        self._set_ranges()
        self.map_index.setValue(map_index)
        self.row.setValue(row)
        self.col.setValue(col)
        for box in boxes:
            box.blockSignals(False)
        self.refresh()

    def _set_ranges(self) -> None:
        maps, side = LAYER_SHAPES[self.layer.currentData()]
        self.map_index.setRange(0, maps - 1)
        for box in (self.row, self.col):
            box.setRange(0, side - 1)
            box.setEnabled(side > 1)

    def _on_picker(self) -> None:
        self._set_ranges()
        self.refresh()

    def refresh(self) -> None:
        recognizer = self.context.recognizer
        if recognizer is None:
            self.header.setText("Waiting for the neural network…")
            return
        from digitpad.explain.trace import trace_unit  # torch: there once the network is loaded

        recognition = self.context.shown_recognition
        self.trace = trace_unit(recognizer.model, self.layer.currentData(), self.map_index.value(), self.row.value(),
                                self.col.value(), recognition)
        self._show(self.trace, recognition)

    def _show(self, trace: UnitTrace, recognition: Recognition | None) -> None:
        value = "" if trace.value is None else f"Its value now: <b>{trace.value:+.3f}</b>. "
        kind = ("f(c·Σ + b): a 2×2 sum times one coefficient" if trace.layer in ("s2", "s4")
                else "f(Σ w·x + b)")
        self.header.setText(f"<b>{trace.describe()}</b><br>{value}The unit computes {kind}, bias b = "
                            f"{trace.bias:+.3f}; f(a) = 1.7159·tanh(⅔·a).")
        # The receptive field grows with the window too: 5 to 12 screen pixels per input pixel.
        self.input_view.set_cell(max(5, min(12, (self.height() - 220) // 64, (self.width() - 200) // 160)))
        greys = input_greys(recognition.input if recognition is not None else np.full((32, 32), -0.1))
        rgb = highlight_box(np.repeat(greys[..., None], 3, axis=2), trace.receptive_field)
        self.input_view.set_image(rgb_to_qimage(rgb))
        shown = trace.source_maps[:_MAX_SOURCES]
        more = len(trace.source_maps) - len(shown)
        self.sources_title.setText(f"<b>Fed by {trace.source_layer.upper()}</b> maps {', '.join(map(str, shown))}"
                                   + (f" and {more} more" if more else "") + " (the block read is tinted)")
        maps = source_maps(recognition, trace.source_layer) if recognition is not None else None
        images = []
        for m in shown:
            if maps is None:
                images.append((None, None))
            elif trace.source_layer == "input":
                greys = input_greys(maps[0])
                images.append((highlight_box(np.repeat(greys[..., None], 3, axis=2), trace.source_box), maps[0]))
            elif trace.source_layer == "c5":
                images.append((diverging_rgb(maps[m]), maps[m]))
            else:
                images.append((highlight_box(diverging_rgb(maps[m]), trace.source_box), maps[m]))
        self._fill(self.sources, self._source_views, images, 8, 56)
        self._show_weights(trace)
        if self.isVisible():  # once the new maps are laid out (F6's weights made it taller than the screen)
            QTimer.singleShot(0, self.keep_on_screen)

    def _show_weights(self, trace: UnitTrace) -> None:
        w = trace.weights
        limit = max(float(np.abs(w).max()), 1e-9)
        if trace.layer in ("s2", "s4"):
            self.weights_title.setText(f"<b>Weight</b>: coefficient c = {w[0]:+.4f} on the 2×2 sum")
            self._fill(self.weights, self._weight_views, [], 8, 40)
        elif trace.layer == "f6":
            self.weights_title.setText(f"<b>Weights</b>: one per C5 unit, as 10×12 (±{limit:.3g}, red +, blue −)")
            grid = w.reshape(10, 12)
            self._fill(self.weights, self._weight_views, [(diverging_rgb(grid, limit), grid)], 1, 120)
        else:
            self.weights_title.setText(f"<b>Weights</b>: a 5×5 kernel per map it reads (±{limit:.3g}, red +, blue −)")
            kernels = w[:_MAX_SOURCES]
            self._fill(self.weights, self._weight_views, [(diverging_rgb(k, limit), k) for k in kernels], 8, 40)

    def _fill(self, grid: QGridLayout, views: list[PixelView], images: list, per_row: int, side: int) -> None:
        """Show `images` ((rgb, values) pairs) in `grid`, reusing its views."""
        grid.setColumnStretch(per_row, 1)  # the maps side by side at the left, the spare width after them
        while len(views) < len(images):
            view = PixelView(QSize(1, 1), 1, self)
            view.set_unit_description(lambda r, c, v: f"({r}, {c}) = {v:+.4f}")
            view.setMinimumSize(16, 16)  # may shrink with the window (its size comes from `_side`)
            view.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            grid.addWidget(view, len(views) // per_row, len(views) % per_row)
            views.append(view)
        for index, view in enumerate(views):
            if index >= len(images):
                view.hide()
                continue
            rgb, values = images[index]
            if rgb is None:
                view.set_image(None)
            else:
                across = max(1, min(per_row, len(images)))  # a single map may take the whole row
                view.set_cell(max(1.0, self._side(across, side) / max(rgb.shape[:2])))
                view.set_image(rgb_to_qimage(rgb), values)
            view.show()

    def source_count(self) -> int:
        return sum(1 for v in self._source_views if not v.isHidden())

    def weight_count(self) -> int:
        return sum(1 for v in self._weight_views if not v.isHidden())
