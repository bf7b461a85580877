"""Retraining and MNIST downloading off the GUI thread (Qt's Mandelbrot example, QObject style).

A worker is a QObject moved to its own QThread; it reports through signals (delivered to the
GUI thread as queued calls) and polls a thread-safe cancel flag between batches or download
chunks. The model the window is using is never touched: the worker gets a *copy* of its
weights and returns a new model, which the dialog adopts only if the user says so.
`BackgroundJob` owns the thread and makes stopping and joining it one call.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from digitpad.training import (TensorDataset, TrainingCancelled, TrainingConfig, TrainingResult,
                               checkpoint_metrics, evaluate, extra_repeat, mix_datasets)

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


class TrainingWorker(QObject):
    """Runs one retraining request in whatever thread it lives in; `run` is the entry point."""

    stage = Signal(str)                 # "Loading MNIST…", "Evaluating the current model…"
    batchProgress = Signal(object)      # training.BatchProgress
    epochFinished = Signal(object)      # training.EpochResult
    finished = Signal(object)           # RetrainOutcome
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, request: RetrainRequest):
        super().__init__()
        self.request = request
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe; called directly from the GUI thread (the worker's own loop is busy)."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def _check(self) -> None:
        if self._cancel.is_set():
            raise TrainingCancelled()

    @Slot()
    def run(self) -> None:
        # torch's thread count is process-wide: the app keeps one for recognition (see app.py),
        # training gets all cores but one (the canvas keeps up) and the app's count comes back after.
        previous = torch.get_num_threads()
        torch.set_num_threads(self.request.threads or max(1, (os.cpu_count() or 2) - 1))
        try:
            outcome = self._run()
        except TrainingCancelled:
            log.info("retraining cancelled")
            self.cancelled.emit()
        except Exception as exc:  # anything at all: report it, never leave the dialog waiting
            log.exception("retraining failed")
            self.failed.emit(_describe_failure(exc))
        else:
            self.finished.emit(outcome)
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
                       should_cancel=self._cancel.is_set,
                       progress_every=max(1, 320 // (config.sdlm_batch_size if config.optimizer == "sdlm"
                                                     else config.batch_size)))  # a loss point per ~320 images
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


class DownloadWorker(QObject):
    """Downloads MNIST with `fetch_mnist` (resumable, checksums verified) into `dest`."""

    progress = Signal(str, int, int)    # file name, bytes done, bytes total (0 when unknown)
    finished = Signal(str)              # the folder
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, dest: Path, base_url: str | None = None):
        super().__init__()
        self.dest, self.base_url = Path(dest), base_url
        self._cancel = threading.Event()
        self._last_report = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, name: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last_report >= 0.05 or (total and done >= total):  # don't flood the GUI
            self._last_report = now
            self.progress.emit(name, done, total or 0)

    @Slot()
    def run(self) -> None:
        from digitpad.data import DEFAULT_MIRROR, DataError, DownloadCancelled, fetch_mnist

        try:
            fetch_mnist(self.dest, self.base_url or DEFAULT_MIRROR, progress=self._progress,
                        cancel=self._cancel.is_set)
        except DownloadCancelled:
            self.cancelled.emit()
        except DataError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            log.exception("download failed")
            self.failed.emit(_describe_failure(exc))
        else:
            self.finished.emit(str(self.dest))


class BackgroundJob(QObject):
    """One worker in one QThread: start it, cancel it, and stop-and-join it when its owner goes.

    Jobs still running are kept referenced in `BackgroundJob.running` until their thread has
    finished, so Python never frees a QThread that is still running (which would abort)."""

    running: set["BackgroundJob"] = set()
    done = Signal()  # the thread has finished, whatever the outcome

    def __init__(self, worker: QObject, name: str):
        super().__init__()
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which may
        # itself be blocked in stop() waiting for this thread to end.
        for signal in ("finished", "failed", "cancelled"):
            getattr(worker, signal).connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        BackgroundJob.running.add(self)
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def cancel(self) -> None:
        self.worker.cancel()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Cancel and wait for the thread to end; True if it did within the timeout."""
        if not self.thread.isRunning():
            return True
        self.worker.cancel()
        stopped = self.thread.wait(timeout_ms)
        if not stopped:
            log.error("%s did not stop within %d ms", self.thread.objectName(), timeout_ms)
        return stopped

    def _on_thread_finished(self) -> None:
        BackgroundJob.running.discard(self)
        self.done.emit()


def stop_all_jobs(timeout_ms: int = 30_000) -> None:
    """Cancel and join every job still running (at application exit)."""
    for job in list(BackgroundJob.running):
        job.stop(timeout_ms)
