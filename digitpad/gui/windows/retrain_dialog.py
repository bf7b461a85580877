"""Model → Retrain…: choose data and recipe, train in a worker thread, compare, adopt or discard.

The dialog is modeless, so the main window keeps recognising with its current model while a
run is going. The run trains a copy; the window's model changes only through `adopted`, after
the new weights are safely on disk. Close, Escape and the window's ✕ work in every state: a
running job or an unadopted model is asked about first.

Longer than ~400 lines because it is one state machine (choosing, running, finished, adopted)
whose every state decides what Close, Adopt and Discard do; the data source and the recipe are
already their own widgets (data_source.py, recipe_box.py).
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.jobs.latest_only import CallWorker, LatestOnly
from digitpad.gui.windows.data_source import MnistSourceBox
from digitpad.gui.widgets.plot import LinePlot
from digitpad.gui.jobs.sample_changes import count_samples
from digitpad.gui.windows.recipe_box import (
    MNIST_TEST_IMAGES,
    MNIST_TRAIN_IMAGES,
    RecipeBox,
    format_duration,
)
from digitpad.training.run import RetrainOutcome, RetrainRequest
from digitpad.gui.jobs.training_worker import TrainingWorker
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.adopted_weights import adopted_weights_dir, new_weights_stem
from digitpad.training.presets import Preset
from digitpad.storage.samples import SampleStore
from digitpad.training.datasets import extra_repeat, samples_dataset
from digitpad.training.config import TrainingConfig
from digitpad.errors import WeightsError
from digitpad.storage.checkpoints import save_new_checkpoint
from digitpad.storage.snapshots import save_snapshots

log = logging.getLogger(__name__)

DEFAULTS = TrainingConfig()


def _render_samples(sample_store: Callable[[], SampleStore | None]):
    """The personal samples as a dataset (None: no store); called in the training thread."""
    store = sample_store()
    return samples_dataset(store.samples()) if store is not None else None


class RetrainDialog(QDialog):
    """`current_model()` gives the window's model (or None); `sample_store()` the personal samples
    SampleStore (or None); `current_description()` names the model in use, for people.
    `adopted(Path)` is emitted once new weights are saved."""

    adopted = Signal(object)           # Path of the saved checkpoint
    trainingStarted = Signal()
    batchProgressed = Signal(object)   # training.BatchProgress, relayed from the worker
    epochFinished = Signal(object)     # training.EpochResult
    snapshotTaken = Signal(object)     # training.snapshot_recorder.SnapshotPoint: the time-lapse, live
    timelapseRequested = Signal()      # "Time-lapse…": show the run's snapshots as they come
    trainingFinished = Signal(object)  # RetrainOutcome, waiting for Adopt or Discard
    trainingFailed = Signal(str)
    trainingCancelled = Signal()
    discarded = Signal()

    def __init__(self, current_model: Callable[[], LeNet5 | None],
                 sample_store: Callable[[], SampleStore | None] | None = None, parent: QWidget | None = None,
                 current_description: Callable[[], str] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Retrain LeNet-5")
        self._current_model, self._sample_store = current_model, sample_store or (lambda: None)
        self._current_description = current_description or (lambda: "")
        self.train_limit: int | None = None  # for tests and quick experiments
        self.test_limit: int | None = None
        self.threads: int | None = None      # torch threads for the worker (None: all cores but one)
        self.job: BackgroundJob | None = None
        self.outcome: RetrainOutcome | None = None
        self.last_adopted: Path | None = None  # the file of the model adopted last
        self._samples: int | None = None  # the personal samples, as last counted (None: not yet)
        # Counted again whenever the dialog is shown: the file may change while it is counted.
        self._counts = LatestOnly("digitpad-sample-count", self)
        self._counts.finished.connect(lambda _key, counted: self._samples_counted(*counted))
        # An unreadable file counts 0: retraining on MNIST still works, and the dialog says why.
        self._counts.failed.connect(
            lambda _key, message: self._samples_counted(0, f"Your samples could not be counted: {message}"))
        self._snapshots_job: BackgroundJob | None = None   # writing an adopted run's time-lapse
        self._started = 0.0
        self._loss_mark = (0, 0.0)  # (batch, summed loss) at the last loss point of this epoch
        self._stage_epochs: tuple[int, int] | None = None  # a two-stage run's epochs per stage
        self._build()
        self._set_state("idle")

    # ---- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.current_label = QLabel(self)
        self.current_label.setTextFormat(Qt.TextFormat.RichText)
        self.source = MnistSourceBox(self)
        self.source.changed.connect(self._refresh_data_status)
        self.use_samples = QCheckBox(self.source)
        self.use_samples.toggled.connect(lambda *_: self._refresh_estimate())
        self.fine_tune = QCheckBox("Fine-tune from the current weights", self.source)
        self.fine_tune.setToolTip("Start from the model in use instead of random weights; a few epochs suffice")
        self.samples_note = QLabel(self.source)  # why some or all of the samples are not counted
        self.samples_note.setTextFormat(Qt.TextFormat.PlainText)  # it quotes a path and the file's lines
        self.samples_note.setStyleSheet("color: #b00020")
        # Cut at the dialog's edge rather than widening it (a long path); the tooltip has it all.
        self.samples_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.samples_note.hide()
        self.source.box.addWidget(self.use_samples)
        self.source.box.addWidget(self.samples_note)
        self.source.box.addWidget(self.fine_tune)

        self.recipe = RecipeBox(self)
        self.recipe.presetApplied.connect(self._preset_applied)
        # The recipe's fields, under the names the rest of the app and the tests use.
        self.preset, self.epochs, self.optimizer = self.recipe.preset, self.recipe.epochs, self.recipe.optimizer
        self.distort, self.device, self.seed = self.recipe.distort, self.recipe.device, self.recipe.seed
        self.estimate = self.recipe.estimate

        self.stage = QLabel(self)
        self.stage.setWordWrap(True)
        self.stage.setTextFormat(Qt.TextFormat.PlainText)  # it repeats the name typed at Adopt
        self.overall = QProgressBar(self)
        self.overall.setFormat("overall %p%")
        self.epoch_bar = QProgressBar(self)
        self.epoch_bar.setFormat("epoch %p%")
        self.timing = QLabel(self)
        # Eq. 9 adds log(e^-j + Σ e^-penalty) to the right class's penalty: once F6 is close to a
        # prototype that log is below zero, and so is the loss (fine-tuning good weights starts there).
        self.loss_plot = LinePlot("Training loss, eq. 9 (below 0 once answers are close)", "epoch", "loss", self)
        self.loss_plot.setToolTip("The paper's eq. 9: the right digit's penalty plus log(e^−j + Σ e^−penalty). "
                                  "The log is negative when F6 is close to a prototype, so a good network's "
                                  "loss goes below zero; lower is better.")
        self.loss_plot.add_series("loss", "#1f77b4")
        self.error_plot = LinePlot("Test error after each epoch", "epoch", "error (%)", self)
        self.error_plot.add_series("test error", "#d62728")
        for plot in (self.loss_plot, self.error_plot):
            plot.x_start = 0.0
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.error_plot)
        self.comparison = QLabel(self)
        self.comparison.setTextFormat(Qt.TextFormat.RichText)
        self.name_label = QLabel("&Name of the new model:", self)
        self.model_name = QLineEdit(self)
        self.model_name.setToolTip("Shown in the status bar and in Weights History; also part of the file name")
        self.name_label.setBuddy(self.model_name)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name_label)
        name_row.addWidget(self.model_name, 1)

        self.start_button = QPushButton("&Start Training", self)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("&Cancel Training", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.adopt_button = QPushButton("&Adopt", self)
        self.adopt_button.setToolTip("Save the new weights and use them from now on")
        self.adopt_button.clicked.connect(self.adopt)
        self.discard_button = QPushButton("&Discard", self)
        self.discard_button.clicked.connect(self.discard)
        self.timelapse_button = QPushButton("&Time-lapse…", self)
        self.timelapse_button.setToolTip("Watch the network learn: its kernels and answers, snapshot by snapshot")
        self.timelapse_button.clicked.connect(self.timelapseRequested)
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Close (Escape); asks first if a run is going or a new model waits")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.cancel_button, self.adopt_button, self.discard_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.timelapse_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.current_label)
        top = QHBoxLayout()
        top.addWidget(self.source, 3)
        top.addWidget(self.recipe, 2)
        layout.addLayout(top)
        for widget in (self.stage, self.overall, self.epoch_bar, self.timing):
            layout.addWidget(widget)
        layout.addLayout(plots, 1)
        layout.addWidget(self.comparison)
        layout.addLayout(name_row)
        layout.addLayout(buttons)
        self.resize(900, 660)

    # ---- data and samples ----------------------------------------------------------------------
    def data_dir(self) -> Path:
        return self.source.data_dir()

    def refresh(self) -> None:
        """Look again for MNIST, count the personal samples and name the model in use (they may
        have changed since the dialog was last shown)."""
        # Rich text for the bold; the description can hold a name typed at Adopt, so it is escaped.
        name = html.escape(self._current_description() or "none", quote=False)
        self.current_label.setText(f"Model in use: <b>{name}</b>")
        if self.job is None and self.outcome is None:
            self.source.refresh()
        self._count_samples()

    def _count_samples(self) -> None:
        """Count the personal samples in the background; the dialog says so when done."""
        self._counts.submit(None, partial(count_samples, self._sample_store))

    def _samples_counted(self, count: int, note: str = "") -> None:
        first_count = self._samples is None
        self._samples = count
        note = " ".join(note.split())  # one line
        self.samples_note.setText(note)
        self.samples_note.setToolTip(note)  # the line may be cut where the dialog is narrow
        self.samples_note.setVisible(bool(note))
        if first_count and count and self.recipe.current_preset().uses_samples and self.job is None:
            self.use_samples.setEnabled(True)  # the preset chosen while counting wants them
            self.use_samples.setChecked(True)
        self._refresh_data_status()

    def _refresh_data_status(self) -> None:
        count = self._sample_count()
        self.use_samples.setText(f"Include my own samples ({count if self._samples is not None else 'counting…'})")
        self.use_samples.setEnabled(count > 0 and self.job is None and self.outcome is None)
        if self._samples == 0:
            self.use_samples.setChecked(False)
        if self.job is None and self.outcome is None:
            self.start_button.setEnabled(self.source.is_ready())
        self._refresh_estimate()

    def _sample_count(self) -> int:
        return self._samples or 0

    def _preset_applied(self, preset: Preset) -> None:
        self.fine_tune.setChecked(preset.fine_tune)
        self.fine_tune.setEnabled(preset.then is None)  # a two-stage recipe trains a new network
        self.use_samples.setChecked(preset.uses_samples and self.use_samples.isEnabled())

    def _refresh_estimate(self) -> None:
        # The images the folder holds (the shipped slice: 5,000), cut by the dialog's limit or the
        # preset's (fine-tune: 24,000): what the run will really train and test on.
        available_train = self.source.train_images or MNIST_TRAIN_IMAGES
        available_test = self.source.test_images or MNIST_TEST_IMAGES
        train = min(self.config().train_limit or available_train, available_train)
        extra = self._sample_count() if self.use_samples.isChecked() else 0
        self.recipe.train_images = train + (extra * extra_repeat(train, extra) if extra else 0)
        self.recipe.test_images = min(self.test_limit or available_test, available_test)
        self.recipe.threads = self.threads
        self.recipe.refresh_estimate()

    # ---- running -------------------------------------------------------------------------------
    def config(self) -> TrainingConfig:
        """The recipe as chosen in the dialog (the preset's values for everything else)."""
        return self.recipe.config(self.train_limit, self.test_limit)

    def is_training(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        if self.job is not None:
            return
        self.recipe.shutdown()  # a running speed probe would compete for the cores
        current = self._current_model()
        state = {k: v.detach().cpu().clone() for k, v in current.state_dict().items()} if current else None
        second = self.recipe.second_stage(self.train_limit, self.test_limit)
        try:
            if second is not None:
                second.validate()  # before the first stage's minutes, not after
        except ValueError as exc:
            self.stage.setText(f"Cannot start: {exc}")
            return
        fine_tune = self.fine_tune.isChecked() and state is not None and second is None
        request = RetrainRequest(self.config(), self.data_dir(), state,
                                 getattr(current, "rubbish_j", None), fine_tune,
                                 threads=self.threads,
                                 extra_source=partial(_render_samples, self._sample_store)
                                 if self.use_samples.isChecked() else None)
        worker = TrainingWorker(request, second)
        worker.stage.connect(self.stage.setText)
        worker.batchProgress.connect(self._on_batch)
        worker.epochFinished.connect(self._on_epoch)
        worker.snapshotTaken.connect(self.snapshotTaken)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self.job = BackgroundJob(worker, "retraining")
        self.outcome = None
        # A two-stage run is numbered over both stages' epochs; the text says which stage.
        self._stage_epochs = (request.config.epochs, second.epochs) if second is not None else None
        epochs = request.config.epochs + (second.epochs if second is not None else 0)
        self.loss_plot.clear(epochs)
        self.error_plot.clear(epochs)
        self._reset_progress()
        self.comparison.clear()
        self._started = time.monotonic()
        self._set_state("training")
        self.job.start()
        self.trainingStarted.emit()

    def cancel(self) -> None:
        """Ask the worker to stop; it does so at the next batch and the dialog reports it."""
        if self.job is not None:
            self.stage.setText("Cancelling…")
            self.timing.clear()
            self.job.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop any training, probe or download and wait for the threads (the dialog or app is closing)."""
        if self.job is not None:
            self.job.stop(timeout_ms)
        self._counts.shutdown(timeout_ms)
        if self._snapshots_job is not None:  # a write is never cancelled halfway: it finishes
            self._snapshots_job.stop(timeout_ms)
        self.recipe.shutdown(timeout_ms)
        self.source.shutdown(timeout_ms)

    def _reset_progress(self) -> None:
        self.overall.setValue(0)
        self.epoch_bar.setValue(0)
        self.timing.clear()
        self._loss_mark = (0, 0.0)

    def _on_batch(self, p) -> None:
        if self.job is None or not self.job.is_running():
            return
        self.epoch_bar.setValue(int(100 * p.batch / p.batches))
        fraction = ((p.epoch - 1) + p.batch / p.batches) / p.epochs
        self.overall.setValue(int(100 * fraction))
        elapsed = time.monotonic() - self._started
        remaining = elapsed * (1 - fraction) / fraction if fraction > 0 else 0
        self.stage.setText(f"{self._epoch_text(p.epoch, p.epochs)}: batch {p.batch:,} of {p.batches:,}, "
                           f"loss {p.loss:.4f}, {p.samples_per_second:,.0f} images/s")
        self.timing.setText(f"Elapsed {format_duration(elapsed)}, about {format_duration(remaining)} remaining")
        # p.loss is the epoch's running mean: the mean since the last point is what the curve shows.
        mark_batch, mark_sum = self._loss_mark if self._loss_mark[0] < p.batch else (0, 0.0)
        total = p.loss * p.batch
        self.loss_plot.append(0, (p.epoch - 1) + p.batch / p.batches, (total - mark_sum) / (p.batch - mark_batch))
        self._loss_mark = (p.batch, total) if p.batch < p.batches else (0, 0.0)
        self.batchProgressed.emit(p)

    def _epoch_text(self, epoch: int, epochs: int) -> str:
        """'Epoch 3 of 8', or in a two-stage run 'Stage 2 of 2: epoch 3 of 12' (as the Epochs box counts)."""
        if self._stage_epochs is None:
            return f"Epoch {epoch} of {epochs}"
        first, second = self._stage_epochs
        if epoch <= first:
            return f"Stage 1 of 2: epoch {epoch} of {first}"
        return f"Stage 2 of 2 (non-digits): epoch {epoch - first} of {second}"

    def _on_epoch(self, e) -> None:
        if self.job is None:
            return
        self.error_plot.append(0, e.epoch, 100 * e.test_error)
        self.error_plot.setToolTip("\n".join(f"epoch {x:g}: {y:.2f} %" for x, y in self.error_plot.series[0].points))
        self.epochFinished.emit(e)

    def _on_finished(self, outcome: RetrainOutcome) -> None:
        self.job = None
        self.outcome = outcome
        self.overall.setValue(100)
        self.epoch_bar.setValue(100)
        self.stage.setText("Finished: adopt the new model or discard it")
        self.timing.setText(f"Took {format_duration(time.monotonic() - self._started)}")
        self.comparison.setText(self._comparison_html(outcome))
        self.model_name.setText(self._suggested_name(outcome))
        self._set_state("finished")
        self.trainingFinished.emit(outcome)

    def _on_failed(self, message: str) -> None:
        self.job = None
        self._reset_progress()
        self.stage.setText(f"Training failed: {message}. The model in use is unchanged.")
        self._set_state("idle")
        self.trainingFailed.emit(message)

    def _on_cancelled(self) -> None:
        self.job = None
        self._reset_progress()
        self.stage.setText("Training cancelled. The model in use is unchanged.")
        self._set_state("idle")
        self.trainingCancelled.emit()

    def _suggested_name(self, outcome: RetrainOutcome) -> str:
        label = self.recipe.current_preset().title
        first = outcome.metrics.first_stage
        epochs = outcome.result.config.epochs + (first.epochs or 0 if first is not None else 0)
        return f"{label}, {epochs} epoch{'s' * (epochs != 1)}, {_dt.datetime.now():%d %b %H:%M}"

    def _comparison_html(self, o: RetrainOutcome) -> str:
        def pct(value):
            return "–" if value is None else f"{100 * value:.2f}%"

        def right(errors):
            return "–" if errors is None else f"{o.extra_total - errors} of {o.extra_total} right"

        rows = [("", "model in use", "new model"),
                (f"MNIST test error ({o.test_total:,} images)", pct(o.old_test_error), pct(o.new_test_error))]
        if o.extra_total:
            rows.append(("Your samples", right(o.old_extra_errors), right(o.new_extra_errors)))
        cells = "".join("<tr>" + "".join(f"<td style='padding: 0 12px'>{'<b>' + c + '</b>' if i == 0 else c}</td>"
                                         for c in row) + "</tr>" for i, row in enumerate(rows))
        warning = f"<p><b>Warning:</b> {o.warning}.</p>" if o.warning else ""
        return f"<table>{cells}</table>{warning}"

    # ---- the result ----------------------------------------------------------------------------
    def adopt(self) -> Path | None:
        """Save the new weights atomically (with their name) and announce them; None if saving
        failed (reported)."""
        if self.outcome is None:
            return None
        outcome = self.outcome
        name = self.model_name.text().strip()
        metrics = replace(outcome.metrics, name=name) if name else outcome.metrics
        try:
            path = save_new_checkpoint(adopted_weights_dir(), new_weights_stem(name), outcome.result.model,
                                       outcome.result.config.to_dict(), metrics,
                                       data_checksum=outcome.data_checksum).path
        except WeightsError as exc:
            QMessageBox.warning(self, "Could not save the new weights", f"{exc}\n\nThe model in use is unchanged.")
            return None
        self.outcome, self.last_adopted = None, path
        self.stage.setText(f"Adopted “{name or path.stem}”: it is the model in use now (saved as {path.name}).")
        if outcome.snapshots is not None:
            self._save_snapshots(path, outcome.snapshots)
        self.comparison.clear()
        self._set_state("idle")
        self.adopted.emit(path)
        self.refresh()
        return path

    def _save_snapshots(self, checkpoint_path: Path, snapshots) -> None:
        """Write the run's time-lapse beside the adopted checkpoint, off the GUI thread (~5 MB)."""
        job = BackgroundJob(CallWorker(checkpoint_path, lambda: save_snapshots(checkpoint_path, snapshots)),
                            "save-snapshots")
        job.worker.failed.connect(lambda why: self.stage.setText(
            f"{self.stage.text()} Its training time-lapse could not be saved: {why}"))
        self._snapshots_job = job
        job.start()

    def discard(self) -> None:
        if self.outcome is None:
            return
        self.outcome = None
        self.stage.setText("Discarded the new model; the model in use is unchanged")
        self.comparison.clear()
        self._reset_progress()
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
        self.name_label.setVisible(finished)
        self.model_name.setVisible(finished)
        self.recipe.set_locked(training or finished)
        self.use_samples.setEnabled(not training and not finished)
        self.fine_tune.setEnabled(not training and not finished and self.recipe.current_preset().then is None)
        if finished:
            self.adopt_button.setDefault(True)
        elif not training:
            self.start_button.setDefault(True)
            self._refresh_data_status()

    # ---- closing: Close, Escape and the window's ✕ ----------------------------------------------
    def may_close(self) -> bool:
        """Ask about a running job or an unadopted model; True when the dialog may close."""
        buttons = QMessageBox.StandardButton
        if self.job is not None:
            answer = QMessageBox.question(self, "Stop training?",
                                          "A training run is going. Stop it and close? What it has learnt so far "
                                          "is lost; the model in use stays.", buttons.Yes | buttons.No, buttons.No)
            return answer == buttons.Yes
        if self.outcome is not None:
            answer = QMessageBox.question(
                self, "Keep the new model?", "The new model has not been adopted. Adopt it before closing?",
                buttons.Yes | buttons.Discard | buttons.Cancel)
            if answer == buttons.Cancel or (answer == buttons.Yes and self.adopt() is None):
                return False
            self.discard()
        return True

    def reject(self) -> None:  # Escape and the Close button
        if self.may_close():
            self.shutdown()
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # the window manager's ✕, or close()
        # Not QDialog.closeEvent: it calls reject(), which would ask a second time.
        if self.may_close():
            self.shutdown()
            event.accept()
        else:
            event.ignore()
