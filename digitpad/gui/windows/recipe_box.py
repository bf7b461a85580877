"""The Retrain dialog's recipe: a preset (Quick, Fine-tune on my samples, Full) as the starting
point, the few settings a person may want to change, and the time the run will take, estimated
before it starts from a short measured probe (digitpad.training.estimate) run off the GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from digitpad.app.model_loading import import_training_stack
from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.training.presets import PRESETS, Preset, describe_duration
from digitpad.training.config import TrainingConfig
from digitpad.training.estimate import SpeedProbe, estimate_seconds, negatives_seconds, pen_load, probe_speed
from digitpad.training.run import torch_threads, training_threads
from digitpad.network.lenet5 import available_devices

log = logging.getLogger(__name__)

MNIST_TRAIN_IMAGES, MNIST_TEST_IMAGES = 60_000, 10_000


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class SpeedProbeWorker(Worker):
    """Runs `probe_speed` in a worker thread with the thread count training will use."""

    failure_log = "speed probe failed"

    def __init__(self, config: TrainingConfig, device: str, threads: int | None):
        super().__init__()
        self.config, self.device, self.threads = config, device, threads

    def work(self) -> SpeedProbe:
        # Not cancellable midway: it takes well under a second once torch is warm, joining suffices.
        import_training_stack()
        with torch_threads(training_threads(self.threads)):
            return probe_speed(self.config, self.device)


class RecipeBox(QGroupBox):
    """Preset, epochs, optimizer, distortions, device, seed, and the time estimate."""

    presetApplied = Signal(object)  # the Preset
    estimateChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Recipe", parent)
        self.presets = list(PRESETS.values())  # the core's presets (digitpad.training.presets), as train.py --preset
        self.preset = QComboBox(self)
        for preset in self.presets:
            # No time in the label: the Time line below is the one estimate, for this machine and
            # the data actually there (a label's "about 60 seconds" contradicted it).
            self.preset.addItem(preset.title, preset.name)
            self.preset.setItemData(self.preset.count() - 1, f"{preset.description} Measured: "
                                    f"{preset.duration_text()} with all of MNIST on 2 cores.", 3)  # 3: ToolTipRole
        self.preset.setAccessibleName("Preset")
        self.epochs = QSpinBox(self)
        self.epochs.setRange(1, 200)
        self.optimizer = QComboBox(self)
        self.optimizer.addItem("Adam (the shipped weights' recipe)", "adam")
        self.optimizer.addItem("SDLM (the paper's stochastic diagonal Levenberg-Marquardt)", "sdlm")
        self.distort = QCheckBox("Random distortions of the training images", self)
        self.device = QComboBox(self)
        for device, label in available_devices():
            name = str(device)
            self.device.addItem(label, name)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.estimate = QLabel(self)
        self.estimate.setWordWrap(True)
        for box in (self.preset, self.optimizer, self.device):
            # As wide as the column allows, not as the longest choice ("SDLM (the paper's …)" made
            # the dialog wider than a 1024-pixel screen); the list shows each choice whole.
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(16)
            box.view().setMinimumWidth(box.view().sizeHintForColumn(0) + 24)
        form = QFormLayout(self)
        form.addRow("&Preset:", self.preset)
        form.addRow("&Epochs:", self.epochs)
        form.addRow("&Optimizer:", self.optimizer)
        form.addRow("", self.distort)
        form.addRow("&Device:", self.device)
        form.addRow("&Seed:", self.seed)
        form.addRow("Time:", self.estimate)

        self.threads: int | None = None
        self.auto_estimate = True  # measure the speed when the choice changes (tests switch it off)
        self.train_images = MNIST_TRAIN_IMAGES
        self.test_images = MNIST_TEST_IMAGES
        self._probes: dict[tuple, SpeedProbe] = {}
        self._probe_failures: dict[tuple, str] = {}
        self._probe_job: BackgroundJob | None = None
        self._probe_key: tuple | None = None
        self._probe_timer = QTimer(self)  # settles the choices before measuring
        self._probe_timer.setSingleShot(True)
        self._probe_timer.setInterval(300)
        self._probe_timer.timeout.connect(self._start_probe)
        self.preset.currentIndexChanged.connect(lambda _: self.apply_preset(self.current_preset()))
        for signal in (self.optimizer.currentIndexChanged, self.distort.toggled, self.device.currentIndexChanged):
            signal.connect(lambda *_: self.refresh_estimate())
        self.epochs.valueChanged.connect(lambda *_: self.refresh_estimate())
        self.apply_preset(self.presets[0])

    # ---- presets and the config ----------------------------------------------------------------
    def current_preset(self) -> Preset:
        return self.presets[max(0, self.preset.currentIndex())]

    def choose_preset(self, key: str) -> None:
        self.preset.setCurrentIndex(self.preset.findData(key))  # applies it (currentIndexChanged)

    def apply_preset(self, preset: Preset) -> None:
        c = preset.config()
        self.epochs.setValue(c.epochs)
        self.optimizer.setCurrentIndex(self.optimizer.findData(c.optimizer))
        self.distort.setChecked(c.distort)
        self.seed.setValue(c.seed)
        self.presetApplied.emit(preset)
        self.refresh_estimate()

    def config(self, train_limit: int | None = None, test_limit: int | None = None) -> TrainingConfig:
        """The preset's recipe with the settings shown in the box."""
        preset = self.current_preset().config()
        return replace(preset, epochs=self.epochs.value(),
                       optimizer=self.optimizer.currentData(), distort=self.distort.isChecked(),
                       seed=self.seed.value(), device=self.device.currentData(),
                       # a limit the dialog sets (a small data set) wins over the preset's own
                       train_limit=train_limit if train_limit is not None else preset.train_limit,
                       test_limit=test_limit if test_limit is not None else preset.test_limit)

    def second_stage(self, train_limit: int | None = None, test_limit: int | None = None) -> TrainingConfig | None:
        """A two-stage preset's second stage (Full: the rubbish class), for the shown recipe; a
        limit the dialog sets (a small data set) applies to it too."""
        first = self.config()
        limits = {k: v for k, v in (("train_limit", train_limit), ("test_limit", test_limit)) if v is not None}
        return self.current_preset().second_stage(first, seed=first.seed, device=first.device, **limits)

    def _estimate(self, probe) -> float:
        first = self.config()
        pen_images, pen_seconds = pen_load(first, self.train_images)
        seconds = (estimate_seconds(probe, self.epochs.value(), self.train_images + pen_images + first.negatives,
                                    self.test_images) + negatives_seconds(first) + pen_seconds)
        second = self.second_stage()
        if second is not None:  # about the first stage's speed; images as the second stage uses them
            images = min(self.train_images, second.train_limit or self.train_images)
            images += pen_load(second, images)[0] + second.negatives  # its pen renders are the first stage's
            seconds += estimate_seconds(probe, second.epochs, images, self.test_images) + negatives_seconds(second)
        return seconds

    def set_locked(self, locked: bool) -> None:
        for widget in (self.preset, self.epochs, self.optimizer, self.distort, self.device, self.seed):
            widget.setEnabled(not locked)

    # ---- the estimate --------------------------------------------------------------------------
    def _key(self) -> tuple:
        c = self.config()
        return (c.optimizer, c.distort, c.device, c.batch_size, c.sdlm_batch_size)

    def refresh_estimate(self) -> None:
        """Show the estimate if this recipe's speed is known; else measure it (soon, off the GUI thread)."""
        probe = self._probes.get(self._key())
        if self._key() in self._probe_failures:
            self._set_estimate(f"No estimate: {self._probe_failures[self._key()]}")
            return
        if probe is None:
            self._set_estimate("Estimating the time (a short trial run)…")
            self._probe_timer.start()
            return
        seconds = self._estimate(probe)
        self._set_estimate(f"{describe_duration(seconds)} on this machine "
                           f"(measured {probe.train_images_per_second:,.0f} training images/s)")

    def estimated_seconds(self) -> float | None:
        probe = self._probes.get(self._key())
        return None if probe is None else self._estimate(probe)

    def _set_estimate(self, text: str) -> None:
        self.estimate.setText(text)
        self.estimateChanged.emit(text)

    def _start_probe(self) -> None:
        if (self._probe_job is not None or not self.auto_estimate or not self.isVisible()
                or not self.preset.isEnabled()):
            return  # one at a time, and never while a run is training
        self._probe_key = self._key()
        worker = SpeedProbeWorker(self.config(), self.device.currentData(), self.threads)
        worker.finished.connect(self._probe_finished)
        worker.failed.connect(self._probe_failed)
        self._probe_job = BackgroundJob(worker, "speed probe")
        self._probe_job.done.connect(self._probe_done)
        self._probe_job.start()

    def _probe_finished(self, probe: SpeedProbe) -> None:
        self._probes[self._probe_key] = probe

    def _probe_failed(self, message: str) -> None:
        self._probe_failures[self._probe_key] = message

    def _probe_done(self) -> None:
        self._probe_job = None
        if self._key() in self._probes or self._key() in self._probe_failures:
            self.refresh_estimate()
        elif self.preset.isEnabled():
            self._probe_timer.start()  # the choice changed while measuring: measure the new one

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_estimate()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        self._probe_timer.stop()
        if self._probe_job is not None:
            self._probe_job.stop(timeout_ms)
