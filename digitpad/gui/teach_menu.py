"""The Teach menu: "This Is a 0 … 9" (Ctrl+Shift+digit) keeps the drawing as a personal sample,
"Browse My Samples…" opens the samples browser. Needs no torch.

Keeping a sample takes the samples file's lock, which another digitpad window or process may
hold for a while, so Teach and Undo Teach are made off the GUI thread by the window's
`SampleChanges` (gui/jobs/sample_changes.py), one at a time in the order asked: a Teach pressed again
before the first is saved finds that sample ("already kept") instead of adding it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from digitpad.app.drawing import Drawing
from digitpad.gui.windows.model_dialogs import make_action
from digitpad.gui.jobs.sample_changes import SampleChanges
from digitpad.storage.samples import (Sample, SampleStore, Taught, default_samples_path, make_image_sample, make_sample,
                              readable_date)
from digitpad.gui.windows.samples_browser import SamplesBrowser

# Short: it follows "Kept as a sample of 7: 3 of 7, 12 in all." in the status bar, which cut off
# the longer wording at 1024 px.
RETRAIN_HINT = "Retrain… → “Fine-tune on my samples” teaches them; Ctrl+Alt+Z takes it back."
#: Closing waits this long for changes to the samples file before asking whether to close without
#: them: a change takes milliseconds unless another digitpad window or process holds the file.
CLOSE_WAIT_MS = 10_000


class TeachMenu(QMenu):
    """Teaching the network one's handwriting: the samples are kept for Model → Retrain…."""

    teachingDone = Signal(bool)  # a Teach or Undo Teach ended: True if the samples file changed

    def __init__(self, drawing: Drawing, show_status: Callable[[str, int], None], parent: QWidget):
        super().__init__("&Teach", parent)
        self.drawing = drawing
        self._show_status = show_status
        self.samples_browser: SamplesBrowser | None = None
        #: The piece number mode shows, as a sample of a digit ((index, sample), or None): set by the
        #: window. With a piece shown, Teach keeps that piece, not the whole number (walk F30).
        self.selected_piece: Callable[[int], tuple[int, Sample] | None] = lambda digit: None
        self.teach_actions: list[QAction] = []
        for digit in range(10):
            action = make_action(parent, f"This Is a{'n' * (digit == 8)} &{digit}",
                                 lambda _=False, d=digit: self.teach(d), f"Ctrl+Shift+{digit}",
                                 f"Keep the drawing as one of your samples of {digit}")
            self.addAction(action)
            self.teach_actions.append(action)
        self.addSeparator()
        self._last: Taught | None = None  # what Undo Teach takes back
        self.changes = SampleChanges(self.sample_store, self)  # shared with the samples browser
        self.changes.finished.connect(self._update_undo)
        # Closing the window waits for the changes asked for (may_close): the close to make once
        # they are saved, and whether one failed meanwhile (the window then stays, to say so).
        self._close: Callable[[], None] | None = None
        self._failed_while_closing = False
        self._close_anyway = False
        self._close_timer = QTimer(self)
        self._close_timer.setSingleShot(True)
        self._close_timer.timeout.connect(self._ask_close_without_saving)
        self.changes.finished.connect(self._close_when_saved)
        self.changes.changeFailed.connect(self._note_failure_while_closing)
        self.undo_action = make_action(parent, "&Undo Teach", self.undo_teach, "Ctrl+Alt+Z",
                                       "Take back the last sample kept (or relabelled)")
        self.addAction(self.undo_action)
        self.browse_action = make_action(parent, "&Browse My Samples…", self.open_samples, "",
                                         "Your labelled drawings: view, delete, import, export")
        self.addAction(self.browse_action)

    @staticmethod
    def sample_store(should_cancel: Callable[[], bool] | None = None) -> SampleStore:
        """The samples file (`should_cancel`: see SampleStore); opened anew for each change."""
        return SampleStore(default_samples_path(), should_cancel)

    def teach(self, digit: int) -> bool:
        """Keep the drawing (or the opened or pasted image; in number mode, the piece shown in
        the panels) as a sample of `digit`, in the background (`teachingDone` when saved). The
        same drawing is kept once: taught again with the same digit it is "already kept", with
        another digit it is relabelled. Undo Teach takes the last of these back. False when there is nothing to keep."""
        try:
            piece = self.selected_piece(digit)
            candidate = piece[1] if piece is not None else self._candidate(digit)
        except ValueError:
            self._show_status("Draw a digit or open an image first, then say what it is (Teach → This Is a …)", 5000)
            return False
        self._show_status("Saving the sample…" if piece is None else f"Saving piece {piece[0] + 1} as a sample…", 0)
        self.undo_action.setEnabled(False)  # it would take back what is being saved: wait
        self.changes.submit(lambda store: (store.teach(candidate), store.counts()), self._taught,
                            lambda message: self._not_saved("Could not keep the sample", message))
        return True

    def _candidate(self, digit: int) -> Sample:
        """What would be kept; ValueError when there is nothing to keep."""
        image = self.drawing.image
        if image is not None:
            return make_image_sample(image.input, digit)
        return make_sample(self.drawing.strokes(), digit)

    def undo_teach(self) -> bool:
        """Take back the last Teach (in the background): remove the sample it added, or give back
        the old label. False when there is nothing to take back (or a change is being saved)."""
        if self.changes.is_busy():
            return False
        if self._last is None:  # said, not silent: a second Undo Teach did nothing visible
            self._show_status("Nothing to undo: Undo Teach takes back the last sample taught, once.", 6000)
            return False
        last = self._last
        self._show_status("Taking back the last sample…", 0)
        self.undo_action.setEnabled(False)
        self.changes.submit(lambda store: store.take_back(last), lambda done: self._undone(last, done),
                            lambda message: self._not_saved("Could not undo", message))
        return True

    def is_busy(self) -> bool:
        """Whether a Teach, Undo Teach or a change in the browser is waiting or being saved."""
        return self.changes.is_busy()

    def _taught(self, result: tuple[Taught, list[int]]) -> None:
        taught, counts = result
        digit = taught.sample.label
        if taught.outcome == "already kept":
            self._show_status(f"Already kept as a sample of {digit} (taught {readable_date(taught.sample.created)})"
                              ": nothing added.", 6000)
            self.teachingDone.emit(False)
            return
        self._last = taught
        if taught.outcome == "added":
            message = f"Kept as a sample of {digit}: {counts[digit]} of {digit}, {sum(counts)} in all."
        else:
            message = f"Relabelled: this drawing was kept as a {taught.old_label}, now as a {digit}."
        self._show_status(f"{message} {RETRAIN_HINT}", 8000)
        self._refresh_browser()
        self.teachingDone.emit(True)

    def _undone(self, taught: Taught, done: bool) -> None:
        self._last = None
        self._show_status(("Took back the last sample." if taught.outcome == "added"
                           else f"The sample is a {taught.old_label} again.")
                          if done else "Nothing to undo: the sample was changed meanwhile.", 6000)
        if done:
            self._refresh_browser()
        self.teachingDone.emit(done)

    def _not_saved(self, title: str, message: str) -> None:
        self._show_status("", 0)
        QMessageBox.warning(self.parentWidget(), title, message)
        self.teachingDone.emit(False)

    def _update_undo(self) -> None:
        self.undo_action.setEnabled(not self.changes.is_busy())  # with nothing to undo it says so

    def may_close(self, close: Callable[[], None]) -> bool:
        """The window is asked to close: True when no change to the samples file is waiting. Else
        False, and `close()` is called once they are all saved; after CLOSE_WAIT_MS the person is
        asked whether to close without them (another process holds the file)."""
        if self._close_anyway:  # the person chose to close without them, this once
            self._close_anyway = False
            return True
        if not self.changes.is_busy():
            return True
        pending = self.changes.pending()
        self._show_status(f"Saving {pending} change{'s' * (pending != 1)} to your samples before closing…", 0)
        if self._close is None:
            self._close, self._failed_while_closing = close, False
            self._close_timer.start(CLOSE_WAIT_MS)
        return False

    def _note_failure_while_closing(self) -> None:
        if self._close is not None:
            self._failed_while_closing = True

    def _close_when_saved(self) -> None:
        if self._close is None or self.changes.is_busy():
            return
        close, self._close = self._close, None
        self._close_timer.stop()
        if self._failed_while_closing:  # its message box said why; the person may teach it again
            self._show_status("Not closed: a change to your samples could not be saved.", 0)
            return
        close()

    def _ask_close_without_saving(self) -> None:
        if self._close is None or not self.changes.is_busy():
            return
        pending = self.changes.pending()
        # Taken before asking: the box runs its own event loop, in which the changes may be saved;
        # with _close cleared, _close_when_saved does not close the window behind the question.
        close, self._close = self._close, None
        self._close_timer.stop()
        answer = QMessageBox.question(
            self.parentWidget(), "Close without saving your samples?",
            f"{pending} change{'s' * (pending != 1)} to your samples {'are' if pending != 1 else 'is'} still "
            f"waiting: another digitpad window or process holds {default_samples_path()}.\n\n"
            "Discard closes now without them; Cancel keeps the window open (they are saved as soon as the "
            "file is free).",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        saved = not self.changes.is_busy()  # while the question was open
        if answer == QMessageBox.StandardButton.Discard:
            self._close_anyway = not saved
            close()
        elif saved:
            self._show_status("Not closed. Your samples are saved.", 0)
        else:
            self._show_status("Not closed: your samples are saved as soon as the samples file is free.", 0)

    def shutdown(self) -> None:
        """The window is closing (may_close said so): see `SampleChanges.shutdown`."""
        self.changes.shutdown()

    def _refresh_browser(self) -> None:
        if self.samples_browser is not None and self.samples_browser.isVisible():
            self.samples_browser.refresh()

    def open_samples(self) -> SamplesBrowser:
        if self.samples_browser is None:
            self.samples_browser = SamplesBrowser(self.sample_store, self.changes, self.parentWidget())
        else:
            self.samples_browser.refresh()  # a new browser reads the file itself
        self.samples_browser.show()
        self.samples_browser.raise_()
        return self.samples_browser
