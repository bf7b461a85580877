"""The Invariance Explorer: one transform swept over the current drawing, all ten penalties.

A transform chooser (and where it applies: to the drawing before normalisation, or to the 32×32
input after it), its range, a plot with a line per class on real axes, the winner marked at
every step and the breaking point marked, and a slider that scrubs through the sweep showing
the transformed input and the answer. The sweep itself is the core's (`digitpad.explain.sweep`) and
runs in a background job. No torch at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPainterPath, QPaintEvent, QPalette, QPen, QShortcut
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QSlider, QSpinBox, QVBoxLayout, QWidget)

from digitpad.app.drawing import Change
from digitpad.explain.pictures import CLASS_COLOURS, CLASS_LINE_STYLES
from digitpad.gui.widgets.colormap import input_image
from digitpad.gui.jobs.latest_only import LatestOnly
from digitpad.gui.widgets.pixel_view import PixelView
from digitpad.ticks import format_tick, nice_ticks
from digitpad.ink.normalise import INPUT_SIZE
from digitpad.explain.transforms import DRAWING, INPUT, TRANSFORMS
from digitpad.explain.sweep import run_sweep, sweep_values

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext
    from digitpad.explain.sweep import Sweep

STAGE_TEXT = {DRAWING: "to the drawing, before normalisation", INPUT: "to the 32×32 input, after normalisation"}
_BREAK = QColor(200, 0, 0)
PEN_STYLES = {"solid": Qt.PenStyle.SolidLine, "dash": Qt.PenStyle.DashLine, "dot": Qt.PenStyle.DotLine}
#: The legend's sample of each line style (box-drawing characters, as the lines look).
STYLE_SAMPLES = {"solid": "━━", "dash": "╍╍", "dot": "┅┅"}


def spread_labels(ys: list[float], height: float, top: float, bottom: float) -> list[float]:
    """Label centres as close to `ys` as they can be with at least `height` between any two,
    inside [top, bottom] where there is room: the ten line labels at the plot's right edge no
    longer print over each other where lines end close together (9/4, 0/7, 2/6)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [0.0] * len(ys)
    previous = -float("inf")
    for i in order:  # downwards: each at least `height` below the one above
        previous = max(ys[i], previous + height, top + height / 2)
        placed[i] = previous
    following = float("inf")
    for i in reversed(order):  # upwards again from the bottom edge, if the stack ran past it
        following = min(placed[i], following - height, bottom - height / 2)
        placed[i] = following
    return placed


def legend_html() -> str:
    """What the plot's marks mean: each digit's line, the winner's dot, the cross, the red line."""
    lines = "&nbsp; ".join(f"<span style='color:#{r:02x}{g:02x}{b:02x}'>{STYLE_SAMPLES[CLASS_LINE_STYLES[d]]}"
                           f"&nbsp;{d}</span>" for d, (r, g, b) in enumerate(CLASS_COLOURS))
    return (f"{lines}<br>● the answer at each step, in its digit's colour &nbsp; ✕ not a digit &nbsp; "
            f"<span style='color:#c80000'>╎</span> breaking point: where the answer first changes")


class SweepPlot(QWidget):
    """Ten penalty curves against the transform's value, the winner dotted at each step (a cross
    for "not a digit"), dashed red lines at the breaking points, a cursor at the scrubbed step."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sweep: Sweep | None = None
        self.cursor: int | None = None
        self.label_rects: list[QRectF] = []  # where the ten line labels were drawn last
        self.setMinimumSize(360, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(620, 360)

    def show_sweep(self, sweep: Sweep | None, cursor: int | None = None) -> None:
        self.sweep, self.cursor = sweep, cursor
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        metrics = painter.fontMetrics()
        frame = QRectF(self.rect()).adjusted(metrics.horizontalAdvance("0000") + 12, metrics.height() + 8, -28,
                                             -2 * metrics.height() - 10)
        painter.fillRect(frame, palette.color(QPalette.ColorRole.Base))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(frame)
        if self.sweep is None or frame.width() <= 0 or frame.height() <= 0:
            return
        values = [s.value for s in self.sweep.steps]
        penalties = self.sweep.penalties()
        x_low, x_high = min(values), max(values)
        y_ticks = nice_ticks(0.0, float(penalties.max()), 5)
        y_high = y_ticks[-1] if y_ticks else 1.0

        def at(x: float, y: float) -> QPointF:
            return QPointF(frame.left() + (x - x_low) / ((x_high - x_low) or 1) * frame.width(),
                           frame.bottom() - y / (y_high or 1) * frame.height())

        painter.setPen(text)
        for tick in y_ticks:
            point = at(x_low, tick)
            label = format_tick(tick, y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1)
            painter.drawText(QRectF(0, point.y() - 8, frame.left() - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        x_ticks = nice_ticks(x_low, x_high, 8, inside=True)
        for tick in x_ticks:
            point = at(tick, 0)
            label = format_tick(tick, x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1)
            painter.drawLine(QPointF(point.x(), frame.bottom()), QPointF(point.x(), frame.bottom() + 4))
            painter.drawText(QRectF(point.x() - 30, frame.bottom() + 4, 60, metrics.height()),
                             Qt.AlignmentFlag.AlignHCenter, label)
        transform = self.sweep.transform
        painter.drawText(QRectF(frame.left(), self.height() - metrics.height() - 2, frame.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignHCenter, f"{transform.name} ({transform.unit})")
        painter.drawText(QRectF(4, 2, self.width() - 8, metrics.height()), Qt.AlignmentFlag.AlignLeft,
                         "penalty (lower = more like the class)")
        for point in self.sweep.breaking_points:
            if point is not None:
                x = at(point, 0).x()
                painter.setPen(QPen(_BREAK, 1.5, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(x, frame.top()), QPointF(x, frame.bottom()))
                painter.drawText(QRectF(x + 3, frame.top() + 2, 120, metrics.height()), Qt.AlignmentFlag.AlignLeft,
                                 f"breaks at {point:g}")
        if self.cursor is not None and 0 <= self.cursor < len(values):
            x = at(values[self.cursor], 0).x()
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawLine(QPointF(x, frame.top()), QPointF(x, frame.bottom()))
        ends = [at(values[-1], float(penalties[-1, digit])) for digit in range(10)]
        label_h = metrics.height() - 2
        label_ys = spread_labels([end.y() for end in ends], label_h, frame.top(), frame.bottom())
        self.label_rects = []
        for digit in range(10):
            colour = QColor(*CLASS_COLOURS[digit])
            path = QPainterPath(at(values[0], float(penalties[0, digit])))
            for value, row in zip(values[1:], penalties[1:]):
                path.lineTo(at(value, float(row[digit])))
            painter.setPen(QPen(colour, 1.6, PEN_STYLES[CLASS_LINE_STYLES[digit]]))
            painter.drawPath(path)
            end, y = ends[digit], label_ys[digit]
            painter.setPen(QPen(colour, 1))
            if abs(y - end.y()) > 2:  # moved apart from its neighbours: a leader back to its line
                painter.drawLine(end, QPointF(end.x() + 6, y))
            rect = QRectF(end.x() + 8, y - label_h / 2, metrics.horizontalAdvance("0") + 4, label_h)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, str(digit))
            self.label_rects.append(rect)
        for step, row in zip(self.sweep.steps, penalties):
            winner = int(np.argmin(row))
            point = at(step.value, float(row[winner]))
            if step.answer is None:
                painter.setPen(QPen(text, 2))
                painter.drawLine(point + QPointF(-4, -4), point + QPointF(4, 4))
                painter.drawLine(point + QPointF(-4, 4), point + QPointF(4, -4))
            else:
                painter.setPen(QPen(text, 1))
                painter.setBrush(QColor(*CLASS_COLOURS[winner]))
                painter.drawEllipse(point, 4.5, 4.5)
                painter.setBrush(Qt.BrushStyle.NoBrush)


class InvarianceExplorer(QWidget):
    """A window of its own (non-modal) that follows the drawing while it is open."""

    sweepShown = Signal(object)  # the Sweep shown, or None

    def __init__(self, context: WindowContext, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.context = context
        self.setWindowTitle("Invariance Explorer")  # the system adds " — digitpad" (the app's display name)
        self.sweep: Sweep | None = None
        self.transform = QComboBox(self)
        for t in TRANSFORMS.values():
            self.transform.addItem(f"{t.name} — {t.description}", t.name)
        self.transform.setCurrentIndex(list(TRANSFORMS).index("rotate"))
        self.stage = QComboBox(self)
        self.start, self.stop = QDoubleSpinBox(self), QDoubleSpinBox(self)
        for box in (self.start, self.stop):
            box.setRange(-1e6, 1e6)
            box.setDecimals(2)
            box.setKeyboardTracking(False)
        self.steps = QSpinBox(self)
        self.steps.setRange(2, 200)
        self.steps.setKeyboardTracking(False)
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        self.plot = SweepPlot(self)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName("Step of the sweep")
        self.slider.setEnabled(False)
        self.step_view = PixelView(QSize(INPUT_SIZE, INPUT_SIZE), 5, self)
        self.step_view.setToolTip("The transformed 32×32 input the network saw at this step")
        self.step_text = QLabel("", self)
        self.step_text.setWordWrap(True)
        self.status = QLabel("", self)
        self.legend = QLabel(legend_html(), self)
        self.legend.setWordWrap(True)
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Close the explorer (Esc)")
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

        form = QFormLayout()
        form.addRow("Transform:", self.transform)
        form.addRow("Applied:", self.stage)
        span = QHBoxLayout()
        for label, widget in (("from", self.start), ("to", self.stop), ("steps", self.steps)):
            span.addWidget(QLabel(label, self))
            span.addWidget(widget)
        span.addStretch(1)
        form.addRow("Range:", span)
        side = QVBoxLayout()
        side.addWidget(self.step_view, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.step_text)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.plot, 1)
        middle.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addLayout(middle, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.slider)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)

        self.jobs = LatestOnly("digitpad-sweep", self)
        self.jobs.finished.connect(self._on_swept)
        self.jobs.failed.connect(lambda key, message: self._show(None, f"Could not sweep: {message}"))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.refresh)
        self.transform.currentIndexChanged.connect(self._on_transform_chosen)
        for signal in (self.stage.currentIndexChanged, self.start.valueChanged, self.stop.valueChanged,
                       self.steps.valueChanged):
            signal.connect(lambda *_: self._debounce.start())
        self.slider.valueChanged.connect(self._show_step)
        context.drawing.subscribe(self._on_drawing_changed)
        context.modelChanged.connect(self.refresh)
        context.inputShown.connect(self._on_input_shown)  # number mode: another piece
        self._asked: tuple | None = None  # the request last sent to the background job
        self._on_transform_chosen()
        self.resize(900, 560)

    # ---- choices -----------------------------------------------------------------------------
    def _on_transform_chosen(self) -> None:
        t = TRANSFORMS[self.transform.currentData()]
        for widget in (self.stage, self.start, self.stop, self.steps):
            widget.blockSignals(True)
        self.stage.clear()
        for stage in t.stages:
            self.stage.addItem(STAGE_TEXT[stage], stage)
        self.stage.setCurrentIndex(t.stages.index(t.default_stage))
        for box in (self.start, self.stop):
            box.setRange(t.lowest, t.highest)
            box.setSuffix(f" {t.unit}")
        self.start.setValue(t.start)
        self.stop.setValue(t.stop)
        self.steps.setValue(t.steps)
        for widget in (self.stage, self.start, self.stop, self.steps):
            widget.blockSignals(False)
        self._debounce.start()

    def choose(self, transform: str, stage: str | None = None, start: float | None = None,
               stop: float | None = None, steps: int | None = None) -> None:
        """Set the controls (for scripts and tests); the sweep follows."""
        self.transform.setCurrentIndex(list(TRANSFORMS).index(transform))
        if stage is not None:
            self.stage.setCurrentIndex(self.stage.findData(stage))
        for box, value in ((self.start, start), (self.stop, stop)):
            if value is not None:
                box.setValue(value)
        if steps is not None:
            self.steps.setValue(steps)
        self.refresh()

    # ---- the sweep -----------------------------------------------------------------------------
    def _on_drawing_changed(self, change: Change) -> None:
        if change is not Change.GROWING and self.isVisible():
            self.refresh()

    def _on_input_shown(self, _recognition: object) -> None:
        if self.isVisible() and self._request() != self._asked:  # a change of drawing has asked already
            self.refresh()

    def _request(self) -> tuple:
        return (self.context.drawing_key(), self.transform.currentData(), self.stage.currentData(),
                self.start.value(), self.stop.value(), self.steps.value())

    def refresh(self) -> None:
        """Sweep the current drawing again (in the background)."""
        self._debounce.stop()
        if not self.isVisible():
            return
        source, recognizer = self.context.drawing_source(), self.context.recognizer
        if source is None or recognizer is None:
            self._show(None, "Draw a digit first." if source is None else "Waiting for the neural network…")
            return

        transform = TRANSFORMS[self.transform.currentData()]
        try:
            values = sweep_values(transform, self.start.value(), self.stop.value(), self.steps.value())
        except ValueError as exc:
            self._show(None, str(exc))
            return
        stage = self.stage.currentData()
        # Where an opened image lies on the canvas is the attribution overlay's business: the sweep
        # takes the image's input alone (passing it on failed every sweep of an image).
        source.pop("placement", None)
        # "Too small" as the window's answer decides it: a drawing on this canvas, an image as it
        # was judged when opened (a click was swept as "not a digit").
        if "strokes" in source:
            source["canvas_size"] = self.context.canvas.drawing_size()
        else:
            source.setdefault("too_small", self.context.drawing.image.too_small)
        self.status.setText("Sweeping…")
        self._asked = self._request()
        self.jobs.submit(self._asked, lambda: run_sweep(recognizer, transform, values, stage=stage, **source))

    def busy(self) -> bool:
        return self.jobs.busy() or self._debounce.isActive()

    def _on_swept(self, key: object, sweep: Sweep) -> None:
        if key == self._request():
            self._show(sweep)

    def _show(self, sweep: Sweep | None, message: str = "") -> None:
        self.sweep = sweep
        self.note.setText(f"Note: {sweep.note}." if sweep is not None and sweep.note else "")
        if sweep is None:
            self.plot.show_sweep(None)
            self.slider.setEnabled(False)
            self.step_view.set_image(None)
            self.step_text.setText("")
            self.status.setText(message)
            self.sweepShown.emit(None)
            return
        zero = next((i for i, s in enumerate(sweep.steps) if s.value == 0), 0)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(sweep.steps) - 1)
        self.slider.setValue(zero)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        below, above = sweep.breaking_points
        breaks = [f"{v:g}" for v in (below, above) if v is not None]
        self.status.setText(f"Untransformed: {sweep.short_answer()}. "
                            + (f"The answer changes at {' and '.join(breaks)} {sweep.transform.unit}." if breaks
                               else "The answer holds over the whole range."))
        self._show_step(zero)
        self.sweepShown.emit(sweep)

    def _show_step(self, index: int) -> None:
        if self.sweep is None or not 0 <= index < len(self.sweep.steps):
            return
        step = self.sweep.steps[index]
        self.plot.show_sweep(self.sweep, index)
        self.step_view.set_image(input_image(step.input), step.input)
        recognition = step.recognition
        answer = step.short_answer()
        self.step_text.setText(f"{self.sweep.transform.name} {step.value:g} {self.sweep.transform.unit}:<br>"
                               f"<b>{answer}</b> (penalty of {recognition.digit}: "
                               f"{recognition.penalties[recognition.digit]:.1f})")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def shutdown(self) -> None:
        self.jobs.shutdown()
