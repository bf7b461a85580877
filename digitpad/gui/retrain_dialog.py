"""Model → Retrain…: choose data and recipe, train in a worker thread, compare, adopt or discard.

The dialog is modeless, so the main window keeps recognising with its current model while a
run is going. The run trains a copy; the window's model changes only through `adopted`, after
the new weights are safely on disk.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from pathlib import Path
from typing import Callable

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QMessageBox, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from digitpad.gui.background import BackgroundJob
from digitpad.gui.data_source import MnistSourceBox
from digitpad.gui.plot import LinePlot
from digitpad.gui.training_worker import RetrainOutcome, RetrainRequest, TrainingWorker
from digitpad.model import LeNet5
from digitpad.paths import user_data_dir
from digitpad.samples import SampleStore
from digitpad.training import TrainingConfig

log = logging.getLogger(__name__)

DEFAULTS = TrainingConfig()
#: Fine-tuning starts from good weights: a few passes suffice (and keep MNIST in mind).
FINE_TUNE_EPOCHS = 3


def weights_dir() -> Path:
    """Where adopted checkpoints live: <user data>/weights/<timestamp>.pt."""
    return user_data_dir() / "weights"


def new_weights_stem() -> str:
    """The adopted file's name without `.pt`: when it was adopted (save_new_checkpoint adds
    `_2`, `_3`, … if another file, perhaps of another window at the same moment, has it)."""
    return _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def training_devices() -> list[tuple[str, str]]:
    devices = [("cpu", "CPU")]
    try:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        devices += [(f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}") for i in range(count)]
    except Exception:  # a broken driver must not stop the dialog from opening
        log.exception("could not list CUDA devices")
    return devices


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class RetrainDialog(QDialog):
    """`current_model()` gives the window's model (or None); `sample_store()` the personal samples
    SampleStore (or None). `adopted(Path)` is emitted once new weights are saved."""

    adopted = Signal(object)           # Path of the saved checkpoint
    trainingStarted = Signal()
    batchProgressed = Signal(object)   # training.BatchProgress, relayed from the worker
    epochFinished = Signal(object)     # training.EpochResult
    trainingFinished = Signal(object)  # RetrainOutcome, waiting for Adopt or Discard
    trainingFailed = Signal(str)
    trainingCancelled = Signal()
    discarded = Signal()

    def __init__(self, current_model: Callable[[], LeNet5 | None],
                 sample_store: Callable[[], SampleStore | None] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Retrain LeNet-5")
        self._current_model, self._sample_store = current_model, sample_store or (lambda: None)
        self.train_limit: int | None = None  # for tests and quick experiments
        self.test_limit: int | None = None
        self.threads: int | None = None      # torch threads for the worker (None: all cores but one)
        self.job: BackgroundJob | None = None
        self.outcome: RetrainOutcome | None = None
        self._started = 0.0
        self._build()
        self._set_state("idle")

    # ---- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.source = MnistSourceBox(self)
        self.source.changed.connect(self._refresh_data_status)
        self.use_samples = QCheckBox(self.source)
        self.fine_tune = QCheckBox("Fine-tune from the current weights", self.source)
        self.fine_tune.setToolTip("Start from the model in use instead of random weights; a few epochs suffice")
        self.fine_tune.toggled.connect(self._fine_tune_toggled)
        self.source.box.addWidget(self.use_samples)
        self.source.box.addWidget(self.fine_tune)

        recipe = QGroupBox("Recipe", self)
        self.epochs = QSpinBox(recipe)
        self.epochs.setRange(1, 200)
        self.epochs.setValue(DEFAULTS.epochs)
        self.optimizer = QComboBox(recipe)
        self.optimizer.addItem("Adam (the shipped weights' recipe)", "adam")
        self.optimizer.addItem("SDLM (the paper's stochastic diagonal Levenberg-Marquardt)", "sdlm")
        self.optimizer.setCurrentIndex(self.optimizer.findData(DEFAULTS.optimizer))
        self.distort = QCheckBox("Random distortions of the training images", recipe)
        self.distort.setChecked(DEFAULTS.distort)
        self.device = QComboBox(recipe)
        for name, label in training_devices():
            self.device.addItem(label, name)
        self.seed = QSpinBox(recipe)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(DEFAULTS.seed)
        form = QFormLayout(recipe)
        form.addRow("Epochs:", self.epochs)
        form.addRow("Optimizer:", self.optimizer)
        form.addRow("", self.distort)
        form.addRow("Device:", self.device)
        form.addRow("Seed:", self.seed)

        self.stage = QLabel(self)
        self.overall = QProgressBar(self)
        self.overall.setFormat("overall %p%")
        self.epoch_bar = QProgressBar(self)
        self.epoch_bar.setFormat("epoch %p%")
        self.timing = QLabel(self)
        self.loss_plot = LinePlot("Training loss", "epoch", "loss", self)
        self.loss_plot.add_series("loss", "#1f77b4")
        self.error_plot = LinePlot("Test error", "epoch", "error (%)", self)
        self.error_plot.add_series("test error", "#d62728")
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.error_plot)
        self.comparison = QLabel(self)
        self.comparison.setTextFormat(Qt.TextFormat.RichText)

        self.start_button = QPushButton("Start Training", self)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel Training", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.adopt_button = QPushButton("Adopt", self)
        self.adopt_button.setToolTip("Save the new weights and use them from now on")
        self.adopt_button.clicked.connect(self.adopt)
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.clicked.connect(self.discard)
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.cancel_button, self.adopt_button, self.discard_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.source, 3)
        top.addWidget(recipe, 2)
        layout.addLayout(top)
        for widget in (self.stage, self.overall, self.epoch_bar, self.timing):
            layout.addWidget(widget)
        layout.addLayout(plots, 1)
        layout.addWidget(self.comparison)
        layout.addLayout(buttons)
        self.resize(900, 640)

    # ---- data and samples ----------------------------------------------------------------------
    def data_dir(self) -> Path:
        return self.source.data_dir()

    def refresh(self) -> None:
        """Look again for MNIST and count the personal samples (they may have changed)."""
        if self.job is None and self.outcome is None:
            self.source.refresh()

    def _refresh_data_status(self) -> None:
        count = self._sample_count()
        self.use_samples.setText(f"Include my own samples ({count})")
        self.use_samples.setEnabled(count > 0 and self.job is None and self.outcome is None)
        if count == 0:
            self.use_samples.setChecked(False)
        if self.job is None and self.outcome is None:
            self.start_button.setEnabled(self.source.is_ready())

    def _sample_count(self) -> int:
        try:
            store = self._sample_store()
        except Exception:  # an unreadable samples file must not stop retraining on MNIST
            log.exception("could not read the personal samples")
            return 0
        return len(store) if store is not None else 0

    def _fine_tune_toggled(self, on: bool) -> None:
        if on and self.epochs.value() == DEFAULTS.epochs:
            self.epochs.setValue(FINE_TUNE_EPOCHS)
        elif not on and self.epochs.value() == FINE_TUNE_EPOCHS:
            self.epochs.setValue(DEFAULTS.epochs)

    # ---- running -------------------------------------------------------------------------------
    def config(self) -> TrainingConfig:
        """The recipe as chosen in the dialog (TrainingConfig's defaults for everything else)."""
        return TrainingConfig(epochs=self.epochs.value(), optimizer=self.optimizer.currentData(),
                              distort=self.distort.isChecked(), seed=self.seed.value(),
                              device=self.device.currentData(), train_limit=self.train_limit,
                              test_limit=self.test_limit)

    def is_training(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        if self.job is not None:
            return
        current = self._current_model()
        state = {k: v.detach().cpu().clone() for k, v in current.state_dict().items()} if current else None
        store = self._sample_store() if self.use_samples.isChecked() else None
        extra = store.to_dataset() if store is not None else None
        request = RetrainRequest(self.config(), self.data_dir(), state,
                                 getattr(current, "rubbish_j", None), self.fine_tune.isChecked() and state is not None,
                                 extra, self.threads)
        worker = TrainingWorker(request)
        worker.stage.connect(self.stage.setText)
        worker.batchProgress.connect(self._on_batch)
        worker.epochFinished.connect(self._on_epoch)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self.job = BackgroundJob(worker, "retraining")
        self.outcome = None
        self.loss_plot.clear(request.config.epochs)
        self.error_plot.clear(request.config.epochs)
        self.overall.setValue(0)
        self.epoch_bar.setValue(0)
        self.timing.clear()
        self.comparison.clear()
        self._started = time.monotonic()
        self._set_state("training")
        self.job.start()
        self.trainingStarted.emit()

    def cancel(self) -> None:
        """Ask the worker to stop; it does so at the next batch and the dialog reports it."""
        if self.job is not None:
            self.stage.setText("Cancelling…")
            self.job.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop any training or download and wait for the threads (the dialog or the app is closing)."""
        if self.job is not None:
            self.job.stop(timeout_ms)
        self.source.shutdown(timeout_ms)

    def _on_batch(self, p) -> None:
        if self.job is None:
            return
        self.epoch_bar.setValue(int(100 * p.batch / p.batches))
        fraction = ((p.epoch - 1) + p.batch / p.batches) / p.epochs
        self.overall.setValue(int(100 * fraction))
        elapsed = time.monotonic() - self._started
        remaining = elapsed * (1 - fraction) / fraction if fraction > 0 else 0
        self.stage.setText(f"Epoch {p.epoch} of {p.epochs}: batch {p.batch:,} of {p.batches:,}, "
                           f"loss {p.loss:.4f}, {p.samples_per_second:,.0f} images/s")
        self.timing.setText(f"Elapsed {format_duration(elapsed)}, about {format_duration(remaining)} remaining")
        self.batchProgressed.emit(p)

    def _on_epoch(self, e) -> None:
        if self.job is None:
            return
        self.loss_plot.append(0, e.epoch, e.train_loss)
        self.error_plot.append(0, e.epoch, 100 * e.test_error)
        self.epochFinished.emit(e)

    def _on_finished(self, outcome: RetrainOutcome) -> None:
        self.job = None
        self.outcome = outcome
        self.overall.setValue(100)
        self.stage.setText(f"Finished in {format_duration(time.monotonic() - self._started)}: "
                           "adopt the new model or discard it")
        self.comparison.setText(self._comparison_html(outcome))
        self._set_state("finished")
        self.trainingFinished.emit(outcome)

    def _on_failed(self, message: str) -> None:
        self.job = None
        self.stage.setText(f"Training failed: {message}. The current model is unchanged.")
        self._set_state("idle")
        self.trainingFailed.emit(message)

    def _on_cancelled(self) -> None:
        self.job = None
        self.stage.setText("Training cancelled. The current model is unchanged.")
        self._set_state("idle")
        self.trainingCancelled.emit()

    @staticmethod
    def _comparison_html(o: RetrainOutcome) -> str:
        def pct(value):
            return "–" if value is None else f"{100 * value:.2f}%"

        def right(errors):
            return "–" if errors is None else f"{o.extra_total - errors} of {o.extra_total} right"

        rows = [("", "current model", "new model"),
                (f"MNIST test error ({o.test_total:,} images)", pct(o.old_test_error), pct(o.new_test_error))]
        if o.extra_total:
            rows.append(("Your samples", right(o.old_extra_errors), right(o.new_extra_errors)))
        cells = "".join("<tr>" + "".join(f"<td style='padding: 0 12px'>{'<b>' + c + '</b>' if i == 0 else c}</td>"
                                         for c in row) + "</tr>" for i, row in enumerate(rows))
        warning = f"<p><b>Warning:</b> {o.warning}.</p>" if o.warning else ""
        return f"<table>{cells}</table>{warning}"

    # ---- the result ----------------------------------------------------------------------------
    def adopt(self) -> Path | None:
        """Save the new weights atomically and announce them; None if saving failed (reported)."""
        from digitpad.weights import WeightsError, save_new_checkpoint

        if self.outcome is None:
            return None
        outcome = self.outcome
        try:
            path = save_new_checkpoint(weights_dir(), new_weights_stem(), outcome.result.model,
                                       outcome.result.config.to_dict(), outcome.metrics,
                                       data_checksum=outcome.data_checksum).path
        except WeightsError as exc:
            QMessageBox.warning(self, "Could not save the new weights", f"{exc}\n\nThe current model is unchanged.")
            return None
        self.outcome = None
        self.stage.setText(f"Adopted: saved as {path.name}")
        self._set_state("idle")
        self.adopted.emit(path)
        return path

    def discard(self) -> None:
        if self.outcome is None:
            return
        self.outcome = None
        self.stage.setText("Discarded the new model; the current one is unchanged")
        self._set_state("idle")
        self.discarded.emit()

    def _set_state(self, state: str) -> None:
        training, finished = state == "training", state == "finished"
        self.start_button.setVisible(not training and not finished)
        self.start_button.setEnabled(self.source.is_ready())
        self.source.set_locked(training or finished)
        self.cancel_button.setVisible(training)
        self.adopt_button.setVisible(finished)
        self.discard_button.setVisible(finished)
        for widget in (self.use_samples, self.fine_tune, self.epochs,
                       self.optimizer, self.distort, self.device, self.seed):
            widget.setEnabled(not training and not finished)
        if not training and not finished:
            self._refresh_data_status()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.outcome is not None:
            answer = QMessageBox.question(
                self, "Keep the new model?", "The new model has not been adopted. Adopt it before closing?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Yes and self.adopt() is None:
                event.ignore()
                return
            self.discard()
        self.shutdown()
        super().closeEvent(event)

    def reject(self) -> None:  # Escape: same as closing
        self.close()
