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
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from digitpad.errors import TrainingCancelled
# The run itself is core code (no Qt); RetrainRequest/RetrainOutcome stay importable from here.
from digitpad.training_run import RetrainOutcome, RetrainRequest, load_run_data, run_training

__all__ = ["BackgroundJob", "DownloadWorker", "RetrainOutcome", "RetrainRequest", "TrainingWorker"]

log = logging.getLogger(__name__)


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

    @Slot()
    def run(self) -> None:
        # torch's thread count is process-wide: the app keeps one for recognition (see app.py),
        # training gets all cores but one (the canvas keeps up); the run restores the app's count.
        request = replace(self.request, threads=self.request.threads or max(1, (os.cpu_count() or 2) - 1))
        try:
            self.stage.emit("Loading MNIST…")
            data = load_run_data(request, should_cancel=self._cancel.is_set)
            outcome = run_training(request, data, on_stage=self.stage.emit, on_batch=self.batchProgress.emit,
                                   on_epoch=self.epochFinished.emit, should_cancel=self._cancel.is_set)
        except TrainingCancelled:
            log.info("retraining cancelled")
            self.cancelled.emit()
        except Exception as exc:  # anything at all: report it, never leave the dialog waiting
            log.exception("retraining failed")
            self.failed.emit(_describe_failure(exc))
        else:
            self.finished.emit(outcome)


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
