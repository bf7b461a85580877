"""Retraining off the GUI thread: a `Worker` run by a `BackgroundJob` (gui/jobs/background.py).

The run itself is core code without Qt (digitpad/training/run.py, the same as `train.py`); this
worker relays its progress as signals. The model the window is using is never touched: the
worker gets a *copy* of its weights and returns a new model, which the dialog adopts only if
the user says so.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Signal

from digitpad.app.model_loading import import_training_stack
from digitpad.errors import TrainingCancelled, one_line
from digitpad.gui.jobs.background import Worker
from digitpad.training.config import TrainingConfig
from digitpad.training.loop import subnormals_as_zero
from digitpad.training.progress import RunProgress
from digitpad.training.run import (
    RetrainOutcome,
    RetrainRequest,
    load_run_data,
    run_training,
    run_two_stages,
    training_threads,
)

__all__ = ["RetrainOutcome", "RetrainRequest", "TrainingWorker"]  # the dialog imports the first two here

#: The loss curve gets a point about every this many training images.
LOSS_POINT_IMAGES = 320

log = logging.getLogger(__name__)


class TrainingWorker(Worker):
    """Runs one retraining request; `finished` carries the RetrainOutcome."""

    stage = Signal(str)                 # "Loading MNIST…", "Evaluating the current model…"
    batchProgress = Signal(object)      # training.BatchProgress
    epochFinished = Signal(object)      # training.EpochResult
    snapshotTaken = Signal(object)      # training.snapshot_recorder.SnapshotPoint (the time-lapse, live)

    failure_log = "retraining failed"

    def __init__(self, request: RetrainRequest, second: TrainingConfig | None = None):
        super().__init__()
        self.request, self.second = request, second   # second: a two-stage preset's fine-tune

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, TrainingCancelled) or super().is_cancellation(exc)

    def describe_failure(self, exc: BaseException) -> str:
        return _describe_failure(exc)

    def work(self) -> RetrainOutcome:
        # torch's thread count is process-wide: the app keeps one for recognition (see app.py),
        # training gets training_threads(); the run restores the app's count.
        import_training_stack()
        # Subnormals as zero for the run, set before this thread's first parallel operation so
        # that torch's worker threads for it copy it (digitpad.training.loop.subnormals_as_zero).
        with subnormals_as_zero():
            return self._train()

    def _train(self) -> RetrainOutcome:
        request = replace(self.request, threads=training_threads(self.request.threads))
        self.stage.emit("Loading MNIST…")
        data = load_run_data(request, should_cancel=self.is_cancelled)
        config = request.config
        batch_size = config.sdlm_batch_size if config.optimizer == "sdlm" else config.batch_size
        progress = RunProgress(on_stage=self.stage.emit, on_batch=self.batchProgress.emit,
                               on_epoch=self.epochFinished.emit, on_snapshot=self.snapshotTaken.emit,
                               should_cancel=self.is_cancelled, batch_every=max(1, LOSS_POINT_IMAGES // batch_size))
        if self.second is not None:
            return run_two_stages(request, self.second, data, progress)
        return run_training(request, data, progress)


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return f"not enough memory to train ({exc}); try the CPU or fewer images"
    return one_line(exc)
