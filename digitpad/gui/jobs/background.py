"""The one way digitpad works off the GUI thread (Qt's Mandelbrot example, QObject style).

A `Worker` is a QObject whose `work()` runs in its own QThread; it reports through signals,
delivered to the GUI thread as queued calls: `finished(result)`, `failed(message)` (one line for
people; the traceback goes to the log) or `cancelled()`, plus whatever progress signals a worker
declares. `cancel()` sets a thread-safe flag that `work()` polls between batches or chunks.
`BackgroundJob` owns the thread: start, cancel, and stop-and-join in one call each.

Used for loading the network and other weights (gui/jobs/model_loader.py), retraining
(gui/jobs/training_worker.py), downloading MNIST (gui/jobs/download_worker.py), reading the weights
history (gui/windows/weights_history.py), changing the samples file (gui/jobs/sample_changes.py), decoding images,
explanations and number reading. No torch here: the window imports this module.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from digitpad.errors import DigitpadError, one_line

log = logging.getLogger(__name__)


class WorkCancelled(Exception):
    """Raised inside `work()` to end it as cancelled."""


class Worker(QObject):
    """Override `work()` (and, if need be, `is_cancellation` and `describe_failure`)."""

    finished = Signal(object)  # what work() returned
    failed = Signal(str)       # why, in words
    cancelled = Signal()

    #: Logged (with the traceback) when work() raises.
    failure_log = "background work failed"

    def __init__(self):
        super().__init__()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe; called directly from the GUI thread (the worker's own thread is busy)."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise WorkCancelled()

    def work(self) -> object:
        raise NotImplementedError(f"{type(self).__name__} must define work()")

    def is_cancellation(self, exc: BaseException) -> bool:
        """Whether `exc` means the work was cancelled (subclasses add their own exceptions)."""
        return isinstance(exc, WorkCancelled)

    def describe_failure(self, exc: BaseException) -> str:
        """One line for people, no traceback (errors.one_line)."""
        return one_line(exc)

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # anything at all: report it, never leave the GUI waiting
            if self.is_cancellation(exc):
                log.info("%s cancelled", type(self).__name__)
                self.cancelled.emit()
            elif isinstance(exc, (DigitpadError, OSError)):
                # A refusal or a file problem the person is told about: no traceback in the log.
                log.warning("%s: %s", self.failure_log, self.describe_failure(exc))
                self.failed.emit(self.describe_failure(exc))
            else:
                log.exception("%s", self.failure_log)
                self.failed.emit(self.describe_failure(exc))
        else:
            self.finished.emit(result)


class BackgroundJob(QObject):
    """One worker in one QThread: start it, cancel it, and stop-and-join it when its owner goes.

    Jobs still running are kept referenced in `BackgroundJob.running` until their thread has
    finished, so Python never frees a QThread that is still running (which would abort)."""

    running: set[BackgroundJob] = set()
    done = Signal()  # the thread has finished, whatever the outcome

    def __init__(self, worker: Worker, name: str):
        super().__init__()
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which may
        # itself be blocked in stop() waiting for this thread to end.
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        BackgroundJob.running.add(self)
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def cancel(self) -> None:
        self.worker.cancel()

    def wait(self, timeout_s: float) -> bool:
        """Wait for the thread to end without cancelling; True if it has ended."""
        return self.thread.wait(int(timeout_s * 1000)) if self.thread.isRunning() else True

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
