"""Retraining off the GUI thread: a `Worker` run by a `BackgroundJob` (gui/background.py).

It polls the cancel flag between batches. The model the window is using is never touched: the
worker gets a *copy* of its weights and returns a new model, which the dialog adopts only if
the user says so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from PySide6.QtCore import Signal

from digitpad.training import (TensorDataset, TrainingCancelled, TrainingConfig, TrainingResult,
                               checkpoint_metrics, evaluate, extra_repeat, mix_datasets)

from digitpad.gui.background import Worker

log = logging.getLogger(__name__)


@dataclass
class RetrainRequest:
    """Everything a retraining run needs, all of it copied: nothing is shared with the GUI."""

    config: TrainingConfig
    data_dir: Path
    current_state: dict[str, torch.Tensor] | None = None   # the window's weights, for "before"
    current_rubbish_j: float | None = None
    fine_tune: bool = False                                 # start from current_state
    extra: TensorDataset | None = None                      # the user's samples, rendered
    threads: int | None = None                              # torch threads (None: all cores but one)


@dataclass
class RetrainOutcome:
    """A finished run: the new model and the old/new comparison the dialog shows."""

    result: TrainingResult
    data_checksum: str
    old_test_error: float | None
    new_test_error: float
    test_total: int
    extra_total: int = 0
    old_extra_errors: int | None = None
    new_extra_errors: int | None = None
    metrics: dict = field(default_factory=dict)             # checkpoint_metrics + what we add


def load_split(data_dir: Path, split: str, limit: int | None) -> TensorDataset:
    """MNIST `split`, converted to network input only for the first `limit` images (tests, quick
    runs: 60,000 float images are 250 MB and take seconds to build)."""
    from digitpad.data import load_mnist
    from digitpad.preprocess import mnist_to_input

    loaded = load_mnist(data_dir, split)
    images, labels = loaded.images, loaded.labels
    if limit:
        images, labels = images[:limit], labels[:limit]
    return TensorDataset(mnist_to_input(images), torch.from_numpy(labels.copy()), loaded.checksum)


def _model_from_state(state: dict, rubbish_j: float | None, device: torch.device):
    from digitpad.model import LeNet5

    model = LeNet5(**({"rubbish_j": rubbish_j} if rubbish_j is not None else {}))
    model.load_state_dict(state)
    return model.to(device).eval()


class TrainingWorker(Worker):
    """Runs one retraining request; `finished` carries the RetrainOutcome."""

    stage = Signal(str)                 # "Loading MNIST…", "Evaluating the current model…"
    batchProgress = Signal(object)      # training.BatchProgress
    epochFinished = Signal(object)      # training.EpochResult

    failure_log = "retraining failed"

    def __init__(self, request: RetrainRequest):
        super().__init__()
        self.request = request

    def _check(self) -> None:
        if self.is_cancelled():
            raise TrainingCancelled()

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, TrainingCancelled) or super().is_cancellation(exc)

    def describe_failure(self, exc: BaseException) -> str:
        return _describe_failure(exc)

    def work(self) -> RetrainOutcome:
        # torch's thread count is process-wide: the app keeps one for recognition (see app.py),
        # training gets all cores but one (the canvas keeps up) and the app's count comes back after.
        previous = torch.get_num_threads()
        torch.set_num_threads(self.request.threads or max(1, (os.cpu_count() or 2) - 1))
        try:
            return self._run()
        finally:
            torch.set_num_threads(previous)

    def _run(self) -> RetrainOutcome:
        from digitpad.model import pick_device
        from digitpad.training import train

        request, config = self.request, self.request.config
        device = pick_device(config.device)
        self.stage.emit("Loading MNIST…")
        test_set = load_split(request.data_dir, "test", config.test_limit)
        self._check()
        train_set = load_split(request.data_dir, "train", config.train_limit)
        self._check()
        data_checksum = train_set.checksum
        run_config = replace(config, train_limit=None, test_limit=None)  # applied by load_split
        metrics: dict = {}
        extra = request.extra if request.extra is not None and len(request.extra) else None
        if extra is not None:
            repeat = extra_repeat(len(train_set), len(extra))
            train_set = mix_datasets(train_set, extra, repeat)
            metrics.update(extra_samples=len(extra), extra_repeat=repeat, extra_checksum=extra.checksum)
        test_on_device, extra_on_device = test_set.to(device), extra.to(device) if extra is not None else None

        old_test_error = old_extra_errors = None
        if request.current_state is not None:
            self.stage.emit("Evaluating the current model…")
            old = _model_from_state(request.current_state, request.current_rubbish_j, device)
            old_test_error = evaluate(old, test_on_device)[0] / len(test_set)
            if extra_on_device is not None:
                old_extra_errors = evaluate(old, extra_on_device)[0]
            del old
        self._check()
        self.stage.emit("Training…")
        initial = request.current_state if request.fine_tune else None
        result = train(run_config, train_set, test_set, device, initial_state=initial,
                       on_batch=self.batchProgress.emit, on_epoch=self.epochFinished.emit,
                       should_cancel=self.is_cancelled)
        result.config = config  # the recipe as the user chose it, limits included
        new_extra_errors = evaluate(result.model, extra_on_device)[0] if extra_on_device is not None else None
        metrics = {**checkpoint_metrics(result), **metrics, "fine_tuned": request.fine_tune}
        if old_test_error is not None:
            metrics["previous_test_error"] = old_test_error
        if extra is not None:
            metrics.update(extra_errors_before=old_extra_errors, extra_errors_after=new_extra_errors)
        result.model.to("cpu")
        return RetrainOutcome(result, train_set.checksum if extra is not None else data_checksum,
                              old_test_error, result.test_error, len(test_set),
                              len(extra) if extra is not None else 0, old_extra_errors, new_extra_errors, metrics)


def _describe_failure(exc: BaseException) -> str:
    from digitpad.data import DataError

    if isinstance(exc, DataError):
        return str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return f"not enough memory to train ({exc}); try the CPU or fewer images"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
