"""The Teach menu: "This Is a 0 … 9" (Ctrl+Shift+digit) keeps the drawing as a personal sample,
"Browse My Samples…" opens the samples browser. Needs no torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from digitpad.drawing import Drawing
from digitpad.gui.model_dialogs import make_action
from digitpad.samples import (Sample, SampleError, SampleStore, default_samples_path, make_image_sample,
                              make_sample, readable_date)

if TYPE_CHECKING:
    from digitpad.gui.samples_browser import SamplesBrowser


class TeachMenu(QMenu):
    """Teaching the network one's handwriting: the samples are kept for Model → Retrain…."""

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
        self._last: tuple[str, Sample, int | None] | None = None  # what Undo Teach takes back
        self.undo_action = make_action(parent, "&Undo Teach", self.undo_teach, "Ctrl+Alt+Z",
                                       "Take back the last sample kept (or relabelled)")
        self.undo_action.setEnabled(False)
        self.addAction(self.undo_action)
        self.browse_action = make_action(parent, "&Browse My Samples…", self.open_samples, "",
                                         "Your labelled drawings: view, delete, import, export")
        self.addAction(self.browse_action)

    @staticmethod
    def sample_store() -> SampleStore:
        return SampleStore(default_samples_path())

    def teach(self, digit: int) -> bool:
        """Keep the drawing (or the opened or pasted image) as a sample of `digit`. The same
        drawing is kept once: taught again with the same digit it is "already kept", with another
        digit it is relabelled. Undo Teach takes the last of these back."""
        try:
            candidate = self._candidate(digit)
        except ValueError:
            self._show_status("Draw a digit or open an image first, then say what it is (Teach → This Is a …)", 5000)
            return False
        try:
            store = self.sample_store()
            index = store.find_same(candidate)
            if index is None:
                kept = store.add_image(candidate.render(), digit) if candidate.pixels is not None \
                    else store.add(candidate.strokes, digit)
                self._last = ("added", kept, None)
                message = f"Kept as a sample of {digit}: {store.counts()[digit]} of {digit}, {len(store)} in all."
            else:
                earlier = store.samples()[index]
                if earlier.label == digit:
                    self._show_status(f"Already kept as a sample of {digit} (taught {readable_date(earlier.created)})"
                                      ": nothing added.", 6000)
                    return False
                kept = store.relabel(index, digit)
                self._last = ("relabelled", kept, earlier.label)
                message = f"Relabelled: this drawing was kept as a {earlier.label}, now as a {digit}."
        except (SampleError, ValueError) as exc:
            QMessageBox.warning(self.parentWidget(), "Could not keep the sample", str(exc))
            return False
        self.undo_action.setEnabled(True)
        self._show_status(f"{message} Model → Retrain… with “Fine-tune on my samples” teaches them to the network. "
                          "Teach → Undo Teach takes it back.", 8000)
        self._refresh_browser()
        return True

    def _candidate(self, digit: int) -> Sample:
        """What would be kept; ValueError when there is nothing to keep."""
        image = self.drawing.image
        if image is not None:
            return make_image_sample(image.input, digit)
        return make_sample(self.drawing.strokes(), digit)

    def undo_teach(self) -> bool:
        """Take back the last Teach: remove the sample it added, or give back the old label."""
        if self._last is None:
            return False
        what, sample, old_label = self._last
        try:
            store = self.sample_store()
            if what == "added":
                done = store.remove(sample)
            else:
                index = next((i for i, kept in enumerate(store.samples()) if kept == sample), None)
                done = index is not None and store.relabel(index, old_label) is not None
        except (SampleError, ValueError) as exc:
            QMessageBox.warning(self.parentWidget(), "Could not undo", str(exc))
            return False
        self._last = None
        self.undo_action.setEnabled(False)
        self._show_status(("Took back the last sample." if what == "added" else f"The sample is a {old_label} again.")
                          if done else "Nothing to undo: the sample was changed meanwhile.", 6000)
        self._refresh_browser()
        return done

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
