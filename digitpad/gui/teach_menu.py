"""The Teach menu: "This Is a 0 … 9" (Ctrl+Shift+digit) keeps the drawing as a personal sample,
"Browse My Samples…" opens the samples browser. Needs no torch.

Keeping a sample takes the samples file's lock (digitpad.files.locked), which another digitpad
window or process may hold for a while, so each Teach and Undo Teach runs in a `SamplesWorker`
(a `BackgroundJob`, gui/background.py). They run one at a time in the order asked, each reading
the file afresh under the lock: a Teach pressed again before the first is saved finds that
sample ("already kept") instead of adding it twice.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from digitpad.drawing import Drawing
from digitpad.errors import SampleError
from digitpad.files import LockWaitCancelled
from digitpad.gui.background import BackgroundJob, Worker
from digitpad.gui.model_dialogs import make_action
from digitpad.samples import (Sample, SampleStore, Taught, default_samples_path, make_image_sample, make_sample,
                              readable_date)

if TYPE_CHECKING:
    from digitpad.gui.samples_browser import SamplesBrowser

log = logging.getLogger(__name__)

RETRAIN_HINT = ("Model → Retrain… with “Fine-tune on my samples” teaches them to the network. "
                "Teach → Undo Teach takes it back.")


#: One change to the samples file, given the worker's "cancelled?" for waiting on the lock.
Change = Callable[[Callable[[], bool]], object]


class SamplesWorker(Worker):
    """One change to the samples file; `finished` carries what `change()` returned. Cancelling
    stops a wait for the file's lock (not a write under way)."""

    failure_log = "could not change the samples"

    def __init__(self, change: Change):
        super().__init__()
        self.change = change

    def work(self) -> object:
        return self.change(self.is_cancelled)

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, LockWaitCancelled) or super().is_cancellation(exc)

    def describe_failure(self, exc: BaseException) -> str:
        return str(exc) if isinstance(exc, (SampleError, ValueError)) else super().describe_failure(exc)


class TeachMenu(QMenu):
    """Teaching the network one's handwriting: the samples are kept for Model → Retrain…."""

    teachingDone = Signal(bool)  # a Teach or Undo Teach ended: True if the samples file changed

    def __init__(self, drawing: Drawing, show_status: Callable[[str, int], None], parent: QWidget):
        super().__init__("&Teach", parent)
        self.drawing = drawing
        self._show_status = show_status
        self.samples_browser: SamplesBrowser | None = None
        self.teach_actions: list[QAction] = []
        for digit in range(10):
            action = make_action(parent, f"This Is a{'n' * (digit == 8)} &{digit}",
                                 lambda _=False, d=digit: self.teach(d), f"Ctrl+Shift+{digit}",
                                 f"Keep the drawing as one of your samples of {digit}")
            self.addAction(action)
            self.teach_actions.append(action)
        self.addSeparator()
        self._last: Taught | None = None  # what Undo Teach takes back
        self._waiting: deque[tuple[str, Change]] = deque()  # changes not started yet
        self._job: BackgroundJob | None = None  # the change being saved
        self._kind = ""                         # "teach" or "undo": what it is
        self._closed = False
        self.undo_action = make_action(parent, "&Undo Teach", self.undo_teach, "Ctrl+Alt+Z",
                                       "Take back the last sample kept (or relabelled)")
        self.undo_action.setEnabled(False)
        self.addAction(self.undo_action)
        self.browse_action = make_action(parent, "&Browse My Samples…", self.open_samples, "",
                                         "Your labelled drawings: view, delete, import, export")
        self.addAction(self.browse_action)

    @staticmethod
    def sample_store(should_cancel: Callable[[], bool] | None = None) -> SampleStore:
        return SampleStore(default_samples_path(), should_cancel)

    def teach(self, digit: int) -> bool:
        """Keep the drawing (or the opened or pasted image) as a sample of `digit`, in the
        background (`teachingDone` when saved). The same drawing is kept once: taught again with
        the same digit it is "already kept", with another digit it is relabelled. Undo Teach
        takes the last of these back. False when there is nothing to keep."""
        try:
            candidate = self._candidate(digit)
        except ValueError:
            self._show_status("Draw a digit or open an image first, then say what it is (Teach → This Is a …)", 5000)
            return False
        self._submit("teach", lambda should_cancel: self._keep(candidate, should_cancel))
        return True

    def _keep(self, candidate: Sample, should_cancel: Callable[[], bool]) -> tuple[Taught, list[int]]:
        """In the worker: teach, and count the samples of each digit in the file as now saved."""
        store = self.sample_store(should_cancel)
        return store.teach(candidate), store.counts()

    def _candidate(self, digit: int) -> Sample:
        """What would be kept; ValueError when there is nothing to keep."""
        image = self.drawing.image
        if image is not None:
            return make_image_sample(image.input, digit)
        return make_sample(self.drawing.strokes(), digit)

    def undo_teach(self) -> bool:
        """Take back the last Teach (in the background): remove the sample it added, or give back
        the old label. False when there is nothing to take back."""
        if self._last is None or self.is_busy():
            return False
        last = self._last
        self._submit("undo", lambda should_cancel: (last, self.sample_store(should_cancel).take_back(last)))
        return True

    # ---- one change at a time, off the GUI thread ------------------------------------------------
    def is_busy(self) -> bool:
        """Whether a Teach or Undo Teach is waiting or being saved."""
        return self._job is not None or bool(self._waiting)

    def _submit(self, kind: str, change: Change) -> None:
        self._waiting.append((kind, change))
        self.undo_action.setEnabled(False)  # it would take back what is being saved: wait
        self._show_status("Saving the sample…" if kind == "teach" else "Taking back the last sample…", 0)
        self._next()

    def _next(self) -> None:
        if self._job is not None or not self._waiting or self._closed:
            return
        kind, change = self._waiting.popleft()
        job = BackgroundJob(SamplesWorker(change), "digitpad-samples")
        # Queued: the worker emits from its own thread; the slots run on the GUI thread.
        job.worker.finished.connect(self._saved, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(self._not_saved, Qt.ConnectionType.QueuedConnection)
        self._job, self._kind = job, kind
        job.start()

    def _saved(self, result: object) -> None:
        if self._closed:
            return
        self._job = None
        changed = self._report_taught(*result) if self._kind == "teach" else self._report_undone(*result)
        self._after_change(changed)

    def _not_saved(self, message: str) -> None:
        if self._closed:
            return
        self._job = None
        self._show_status("", 0)
        QMessageBox.warning(self.parentWidget(), "Could not keep the sample" if self._kind == "teach"
                            else "Could not undo", message)
        self._after_change(False)

    def _after_change(self, changed: bool) -> None:
        self.undo_action.setEnabled(self._last is not None and not self._waiting)
        if changed:
            self._refresh_browser()
        self.teachingDone.emit(changed)
        self._next()

    def _report_taught(self, taught: Taught, counts: list[int]) -> bool:
        digit = taught.sample.label
        if taught.outcome == "already kept":
            self._show_status(f"Already kept as a sample of {digit} (taught {readable_date(taught.sample.created)})"
                              ": nothing added.", 6000)
            return False
        self._last = taught
        if taught.outcome == "added":
            message = f"Kept as a sample of {digit}: {counts[digit]} of {digit}, {sum(counts)} in all."
        else:
            message = f"Relabelled: this drawing was kept as a {taught.old_label}, now as a {digit}."
        self._show_status(f"{message} {RETRAIN_HINT}", 8000)
        return True

    def _report_undone(self, taught: Taught, done: bool) -> bool:
        self._last = None
        self._show_status(("Took back the last sample." if taught.outcome == "added"
                           else f"The sample is a {taught.old_label} again.")
                          if done else "Nothing to undo: the sample was changed meanwhile.", 6000)
        return done

    def shutdown(self) -> None:
        """The window is closing: a change still waiting for another process's lock, or not
        started yet, is dropped (and said so in the log); one being written finishes."""
        self._closed = True
        if self._waiting or self._job is not None:
            log.warning("the window closed while %d sample change(s) were waiting to be saved; those "
                        "that could not take the samples file's lock at once were dropped",
                        len(self._waiting) + (self._job is not None))
        self._waiting.clear()
        if self._job is not None:
            self._job.stop()
            self._job = None

    def _refresh_browser(self) -> None:
        if self.samples_browser is not None and self.samples_browser.isVisible():
            self.samples_browser.refresh()

    def open_samples(self) -> SamplesBrowser:
        from digitpad.gui.samples_browser import SamplesBrowser

        if self.samples_browser is None:
            self.samples_browser = SamplesBrowser(self.sample_store, self.parentWidget())
        self.samples_browser.refresh()
        self.samples_browser.show()
        self.samples_browser.raise_()
        return self.samples_browser
