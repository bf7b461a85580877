"""The one owner in the GUI of "only the latest request".

A person drawing fast asks for many explanations, sweeps or number readings; each takes tens to
hundreds of milliseconds in a background job (gui/jobs/background.py). `LatestOnly` runs one
at a time; a request made meanwhile waits, and a newer one replaces it, so only the newest runs
when the current job ends. Results carry the request's key, so the caller can drop a result
that is no longer what it shows. No torch here.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from digitpad.gui.jobs.background import BackgroundJob, Worker


class CallWorker(Worker):
    """Runs one call off the GUI thread; returns (key, result)."""

    def __init__(self, key: object, function: Callable[[], object]):
        super().__init__()
        self.key, self.function = key, function

    def work(self) -> tuple[object, object]:
        return self.key, self.function()


class LatestOnly(QObject):
    """One background job at a time; while it runs, only the newest request waits for it.

    Every report of a job (its result, its failure, its end) is checked against the job this
    object waits for: a job left behind by `shutdown()` still sends them, as queued calls, after
    a new job may have started, and they must neither report its result nor end the new job's
    busy spell."""

    finished = Signal(object, object)  # the request's key, the result
    failed = Signal(object, str)       # the request's key, why

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        # The job whose result is awaited: from its start until its `done` reaches this thread
        # (after its result did). None when idle or after shutdown().
        self._job: BackgroundJob | None = None
        self._waiting: tuple[object, Callable[[], object]] | None = None

    def busy(self) -> bool:
        """A request is running or waiting to run, or its result is still on its way here."""
        return self._waiting is not None or self._job is not None

    def submit(self, key: object, function: Callable[[], object]) -> None:
        """Run `function()` off the GUI thread now, or after the job running now (replacing any
        request that was waiting for it)."""
        if self._job is not None:  # also until its result is in: it carries its key
            self._waiting = (key, function)
            return
        worker = CallWorker(key, function)
        # Bound methods of this object (which lives on the GUI thread): the queued calls run there,
        # and sender() tells which job they come from.
        worker.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        worker.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._job = BackgroundJob(worker, self.name)
        self._job.done.connect(self._next, Qt.ConnectionType.QueuedConnection)
        self._job.start()

    def _is_current(self, worker: QObject | None) -> bool:
        return self._job is not None and worker is self._job.worker

    def _on_finished(self, keyed: tuple[object, object]) -> None:
        if self._is_current(self.sender()):
            self.finished.emit(*keyed)

    def _on_failed(self, message: str) -> None:
        worker = self.sender()
        if self._is_current(worker):
            self.failed.emit(worker.key, message)

    def _next(self) -> None:
        job = self.sender()
        if self._job is None or job is not self._job:
            return  # a job shutdown() left behind: its end says nothing about the current one
        self._job = None  # its result, queued before its `done`, has been delivered
        if self._waiting is not None:
            key, function = self._waiting
            self._waiting = None
            self.submit(key, function)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Drop the waiting request, stop and join the running job; nothing of it is reported
        after (a later submit() starts afresh)."""
        self._waiting = None
        job, self._job = self._job, None
        if job is not None:
            job.stop(timeout_ms)
