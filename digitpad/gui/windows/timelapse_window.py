"""Model → Training Time-lapse…: scrub through a training run's snapshots (storage/snapshots.py).

A slider and a Play button move through the ~40 snapshots; for each, C1's six kernels and C3's
(as Table I), F6 for the current drawing beside the ten prototypes, the ten penalties of the
current drawing, and the loss and test-error curves with the snapshot's point — the same
pictures as `digitpad timelapse` (explain/learning_pictures.py). The snapshots are those beside
the weights in use, read in the background, or, live, those of the Retrain dialog's run as they
are taken. One forward pass per step, on the GUI thread: a few milliseconds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from digitpad.explain.colours import diverging_rgb
from digitpad.explain.learning_pictures import curves_picture, kernel_limits, kernel_sheet
from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.jobs.latest_only import CallWorker
from digitpad.gui.window_layout import keep_on_screen
from digitpad.gui.widgets.colormap import rgb_to_qimage
from digitpad.network.architecture import SQUASH_A
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.snapshots import Snapshots, load_snapshots, snapshots_path
from digitpad.app.model_session import shipped_weights_file

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext
    from digitpad.training.loop import EpochResult
    from digitpad.training.snapshot_recorder import SnapshotPoint

log = logging.getLogger(__name__)

PLAY_INTERVAL_MS = 150


def f6_sheet(f6: np.ndarray | None, prototypes: np.ndarray, closest: int | None, zoom: int = 5) -> np.ndarray:
    """(h, w, 3): F6's 84 units as 12×7 (left; blank without a drawing), then the ten prototypes,
    the closest one underlined."""
    tile_w, tile_h, gap = 7 * zoom, 12 * zoom, 2 * zoom
    sheet = np.full((tile_h + 3 * zoom, 11 * (tile_w + gap) + gap, 3), 255, np.uint8)
    maps = [f6, *prototypes]
    for n, values in enumerate(maps):
        if values is None:
            continue
        left = gap + n * (tile_w + gap) + (gap if n else 0) // 2
        rgb = diverging_rgb(np.asarray(values).reshape(12, 7), SQUASH_A).repeat(zoom, 0).repeat(zoom, 1)
        sheet[:tile_h, left:left + tile_w] = rgb
        if n - 1 == closest:
            sheet[tile_h + zoom:tile_h + 2 * zoom, left:left + tile_w] = (200, 0, 0)
    return sheet


NO_DRAWING = "Draw a digit to see its penalties"
#: Without snapshots there is no network of the run to read the drawing with ("Draw a digit" was
#: said over a digit drawn).
NO_SNAPSHOTS = "No snapshots to read your drawing with"


class PenaltyBars(QWidget):
    """The ten penalties of the current drawing as bars (shorter = closer), the smallest in red."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.penalties: np.ndarray | None = None
        self.message = NO_DRAWING
        self.setMinimumSize(220, 120)

    def set_penalties(self, penalties: np.ndarray | None, message: str = NO_DRAWING) -> None:
        """The bars of `penalties`, or without them `message`."""
        self.penalties, self.message = penalties, message
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if self.penalties is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        top = max(float(self.penalties.max()), 1.0)
        best = int(self.penalties.argmin())
        width, height = self.width() / 10, self.height() - 34
        for digit, value in enumerate(self.penalties):
            bar = height * float(value) / top
            painter.fillRect(QRectF(digit * width + 4, 4 + height - bar, width - 8, bar),
                             QColor(200, 0, 0) if digit == best else QColor(90, 110, 160))
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(digit * width, height + 4, width, 14), Qt.AlignmentFlag.AlignCenter, str(digit))
            painter.drawText(QRectF(digit * width, height + 18, width, 14), Qt.AlignmentFlag.AlignCenter,
                             f"{float(value):.0f}")
        painter.end()


class TimelapseWindow(QDialog):
    shown_snapshot = Signal(int)   # the snapshot now drawn

    def __init__(self, context: WindowContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Training Time-lapse")  # the system adds " — digitpad" (the app's display name)
        self.snapshots = Snapshots()
        self._live = Snapshots()            # the Retrain dialog's run, as it goes
        self._live_states: list[dict[str, torch.Tensor]] = []
        self._showing_live = False
        self._limits = (1.0, 1.0)
        self._net = LeNet5()
        self._job: BackgroundJob | None = None
        self._rubbish_j: float | None = None

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self.show_snapshot)
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._play)
        self.timer = QTimer(self)
        self.timer.setInterval(PLAY_INTERVAL_MS)
        self.timer.timeout.connect(self._advance)
        self.position = QLabel(self)
        self.kernels = QLabel(self)
        self.kernels.setToolTip("C1's six 5×5 kernels (top), and C3's as Table I: a column per C3 map, a row "
                                "per S2 map it reads (blue negative, red positive; one scale per layer)")
        self.f6 = QLabel(self)
        self.f6.setToolTip("F6 for the current drawing (left) beside the ten prototypes; the closest underlined")
        self.penalties = PenaltyBars(self)
        self.curves = QLabel(self)

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.position)
        answers = QVBoxLayout()
        answers.addWidget(QLabel("F6 of your drawing, and the prototypes 0–9:", self))
        answers.addWidget(self.f6)
        answers.addWidget(QLabel("Penalties of your drawing:", self))
        answers.addWidget(self.penalties, 1)
        middle = QHBoxLayout()
        middle.addWidget(self.kernels)
        middle.addLayout(answers, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(controls)
        layout.addLayout(middle)
        layout.addWidget(self.curves)
        context.inputShown.connect(lambda _: self.show_snapshot(self.slider.value()))  # as the panels

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # It grows when the snapshots' pictures arrive (to 1018×589 from 301×322): kept on the
        # screen then, where it had run off the right and bottom edges at 1024×700.
        if self.isVisible():
            QTimer.singleShot(0, lambda: keep_on_screen(self))

    # ---- where the snapshots come from -------------------------------------------------------
    def load_for(self, weights: Path | None) -> None:
        """The snapshots beside `weights` (None: the shipped weights), read in the background."""
        weights = Path(weights) if weights is not None else shipped_weights_file()
        self._showing_live = False
        path = snapshots_path(weights)
        if not path.exists():
            self._set(Snapshots(), f"No time-lapse for {weights.name}: weights trained by this version of digitpad "
                                   "keep ~40 snapshots beside them. Retrain to watch a new model learn.")
            return
        self.status.setText(f"Reading {path.name}…")
        if self._job is not None:
            self._job.stop()
        job = BackgroundJob(CallWorker(path, lambda: load_snapshots(path)), "digitpad-snapshots")
        job.worker.finished.connect(self._loaded, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(lambda why: self._set(Snapshots(), f"Cannot show the time-lapse: {why}"),
                                  Qt.ConnectionType.QueuedConnection)
        self._job = job
        job.start()

    def _loaded(self, result: tuple[Path, Snapshots]) -> None:
        path, snapshots = result
        if self._showing_live:
            return
        recognizer = self.context.recognizer
        note = ""
        if recognizer is not None and not snapshots.matches(recognizer.model.state_dict()):
            note = " (they end with other weights than those in use)"
        self._set(snapshots, f"{path.name}: {len(snapshots)} snapshots over {snapshots.epochs[-1]:g} epochs"
                             f"{note}.")

    def start_live(self) -> None:
        self._live, self._live_states = Snapshots(), []
        if self._showing_live:
            self._set(self._live, "Training: the snapshots appear as they are taken…")

    def add_live_snapshot(self, point: SnapshotPoint) -> None:
        live = self._live
        live.steps.append(point.step)
        live.epochs.append(point.epoch)
        live.losses.append(point.loss)
        self._live_states.append(point.state)
        if self._showing_live:
            self._refresh_live()

    def add_live_epoch(self, result: EpochResult) -> None:
        self._live.history.append({"epoch": result.epoch, "train_loss": result.train_loss,
                                   "test_error": result.test_error})

    def show_live(self) -> None:
        self._showing_live = True
        self._refresh_live()

    def _refresh_live(self) -> None:
        live = self._live
        if self._live_states:
            live.weights = {key: torch.stack([s[key] for s in self._live_states]) for key in self._live_states[0]}
        at_end = self.slider.value() >= self.slider.maximum()
        self._set(live, f"This run: {len(live)} snapshots so far" if len(live) else
                  "No run yet: start training in the Retrain dialog to watch it learn.", keep=not at_end)

    def _set(self, snapshots: Snapshots, text: str, keep: bool = False) -> None:
        self.snapshots = snapshots
        self.status.setText(text)
        if len(snapshots):
            self._limits = kernel_limits(snapshots.weights["c1.weight"].float().numpy(),
                                         snapshots.weights["c3.weight"].float().numpy())
        value = self.slider.value()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(snapshots) - 1))
        self.slider.setValue(value if keep else self.slider.maximum())
        self.slider.blockSignals(False)
        for control in (self.slider, self.play_button):  # nothing to play through without snapshots
            control.setEnabled(len(snapshots) > 1)
        if len(snapshots) <= 1:
            self.play_button.setChecked(False)
        self.show_snapshot(self.slider.value())

    # ---- drawing one snapshot ----------------------------------------------------------------
    def show_snapshot(self, index: int) -> None:
        snapshots = self.snapshots
        if not 0 <= index < len(snapshots):
            for label in (self.kernels, self.f6, self.curves):
                label.clear()
            self.penalties.set_penalties(None, NO_SNAPSHOTS)
            self.position.setText("")
            return
        state = snapshots.state(index)
        self.position.setText(f"{index}/{len(snapshots) - 1}: epoch {snapshots.epochs[index]:.2f}")
        self.kernels.setPixmap(QPixmap.fromImage(rgb_to_qimage(
            kernel_sheet(state["c1.weight"].numpy(), state["c3.weight"].numpy(), self._limits, zoom=5))))
        self._net.load_state_dict(state)
        recognition = self.context.shown_recognition
        f6 = penalties = None
        if recognition is not None:
            with torch.inference_mode():
                internals = self._net.eval().forward_with_internals(torch.from_numpy(recognition.input)[None, None])
            f6, penalties = internals.f6[0].numpy(), internals.penalties[0].numpy()
        prototypes = state["prototypes"].numpy()
        self.f6.setPixmap(QPixmap.fromImage(rgb_to_qimage(
            f6_sheet(f6, prototypes, int(penalties.argmin()) if penalties is not None else None))))
        self.penalties.set_penalties(penalties)
        picture = curves_picture(snapshots.epochs, snapshots.losses, snapshots.history, index, (860, 260))
        self.curves.setPixmap(QPixmap.fromImage(rgb_to_qimage(np.asarray(picture))))
        self.shown_snapshot.emit(index)

    def _play(self, playing: bool) -> None:
        self.play_button.setText("⏸ Pause" if playing else "▶ Play")
        if playing and self.slider.value() >= self.slider.maximum():
            self.slider.setValue(0)
        self.timer.start() if playing else self.timer.stop()

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
        else:
            self.slider.setValue(self.slider.value() + 1)

    def shutdown(self) -> None:
        self.timer.stop()
        if self._job is not None:
            self._job.stop()
            self._job = None
