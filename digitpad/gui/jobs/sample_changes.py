"""Changes to the personal samples file, off the GUI thread, one at a time in the order asked.

Every change to the file takes its lock (`digitpad.safe_files.locked`), which another digitpad window
or process may hold for a while, so each change runs in a `SamplesWorker` (a `BackgroundJob`,
gui/jobs/background.py). The Teach menu and the samples browser of one window share one
`SampleChanges`: a Teach and a delete in the browser never overtake each other, and each change
reads the file afresh under the lock. `count_samples` counts the samples for the Retrain
dialog (reading, no lock; run in the dialog's `LatestOnly`). Needs no torch.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal

from digitpad.errors import SampleError
from digitpad.safe_files import LockWaitCancelled
from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.storage.samples import SampleStore

log = logging.getLogger(__name__)

#: Opens the samples file as a store whose changes stop waiting for the lock once the argument
#: (None: never) returns True.
StoreFactory = Callable[[Callable[[], bool] | None], SampleStore]
#: One change, made in the worker on a store just read: returns what the caller is told.
Change = Callable[[SampleStore], object]


class SamplesWorker(Worker):
    """Opens the store and makes one change; `finished` carries what the change returned.
    Cancelling stops a wait for the file's lock (not a write under way)."""

    failure_log = "could not change the samples"

    def __init__(self, open_store: StoreFactory, change: Change):
        super().__init__()
        self.open_store, self.change = open_store, change

    def work(self) -> object:
        return self.change(self.open_store(self.is_cancelled))

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, LockWaitCancelled) or super().is_cancellation(exc)

    def describe_failure(self, exc: BaseException) -> str:
        if isinstance(exc, (SampleError, ValueError, IndexError)):
            return str(exc)
        return super().describe_failure(exc)


def count_samples(sample_store: Callable[[], SampleStore | None]) -> tuple[int, str]:
    """How many personal samples there are (0 without a samples file), and, when some lines of
    the file are not drawings, a line saying so ("" otherwise). SampleError when the file cannot
    be read at all. Reading the file takes a tenth of a second or more for a few hundred detailed
    drawings: call it off the GUI thread."""
    store = sample_store()
    if store is None:
        return 0, ""
    problems = store.problems
    note = "" if not problems else (f"{len(problems)} line{'s' * (len(problems) != 1)} of {store.path.name} "
                                    f"could not be read and {'are' if len(problems) != 1 else 'is'} not counted "
                                    f"({problems[0]}{'; …' if len(problems) > 1 else ''})")
    return len(store), " ".join(note.split())  # one line, whatever the reason quoted


@dataclass
class _Request:
    change: Change
    on_done: Callable[[object], None]   # called on the GUI thread with what the change returned
    on_failed: Callable[[str], None]    # called on the GUI thread with why, in one line


class SampleChanges(QObject):
    """The queue of one window's changes to the samples file."""

    finished = Signal()  # a change ended (after its callback); `is_busy()` may still be True
    changeFailed = Signal()  # a change was not made (before its callback and `finished`)

    def __init__(self, open_store: StoreFactory, parent: QObject | None = None):
        super().__init__(parent)
        self.open_store = open_store
        self._waiting: deque[_Request] = deque()
        self._job: BackgroundJob | None = None
        self._current: _Request | None = None
        self._closed = False

    def submit(self, change: Change, on_done: Callable[[object], None], on_failed: Callable[[str], None]) -> None:
        """Make `change` after those asked before it; then call `on_done` or `on_failed`."""
        if self._closed:
            return
        self._waiting.append(_Request(change, on_done, on_failed))
        self._next()

    def is_busy(self) -> bool:
        """Whether a change is waiting or being made."""
        return self._job is not None or bool(self._waiting)

    def pending(self) -> int:
        """How many changes are waiting or being made."""
        return len(self._waiting) + (self._job is not None)

    def _next(self) -> None:
        if self._job is not None or not self._waiting or self._closed:
            return
        self._current = self._waiting.popleft()
        job = BackgroundJob(SamplesWorker(self.open_store, self._current.change), "digitpad-samples")
        # Queued: the worker emits from its own thread; the slots run on the GUI thread.
        job.worker.finished.connect(self._done, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        self._job = job
        job.start()

    def _done(self, result: object) -> None:
        self._end(lambda request: request.on_done(result))

    def _failed(self, message: str) -> None:
        if not self._closed:
            self.changeFailed.emit()
        self._end(lambda request: request.on_failed(message))

    def _end(self, report: Callable[[_Request], None]) -> None:
        if self._closed:
            return
        request, self._current, self._job = self._current, None, None
        try:
            report(request)
        finally:
            self.finished.emit()
            self._next()

    def shutdown(self) -> None:
        """The window is closing (after `TeachMenu.may_close` waited for the changes, or the person
        chose to close without them): a change still waiting for another process's lock, or not
        started yet, is dropped (and said so in the log); one being written finishes."""
        self._closed = True
        pending = len(self._waiting) + (self._job is not None)
        if pending:
            log.warning("the window closed while %d change(s) to the samples were waiting; those that could "
                        "not take the samples file's lock at once were dropped", pending)
        self._waiting.clear()
        if self._job is not None:
            self._job.stop()
            self._job = None
