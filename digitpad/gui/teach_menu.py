"""The Teach menu: "This Is a 0 … 9" (Ctrl+Shift+digit) keeps the drawing as a personal sample,
"Browse My Samples…" opens the samples browser. Needs no torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from digitpad.drawing import Drawing
from digitpad.gui.model_dialogs import make_action
from digitpad.samples import SampleError, SampleStore, default_samples_path

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
        self.browse_action = make_action(parent, "&Browse My Samples…", self.open_samples, "",
                                         "Your labelled drawings: view, delete, import, export")
        self.addAction(self.browse_action)

    @staticmethod
    def sample_store() -> SampleStore:
        return SampleStore(default_samples_path())

    def teach(self, digit: int) -> bool:
        """Keep the drawing as a sample of `digit`."""
        strokes = self.drawing.strokes()
        if not strokes or not any(len(s) for s in strokes):
            self._show_status("Draw a digit first, then say what it is (Teach → This Is a …)", 5000)
            return False
        try:
            store = self.sample_store()
            store.add(strokes, digit)
        except (SampleError, ValueError) as exc:
            QMessageBox.warning(self.parentWidget(), "Could not keep the sample", str(exc))
            return False
        self._show_status(f"Kept as a sample of {digit}: {store.counts()[digit]} of {digit}, {len(store)} in all. "
                          "Model → Retrain… with “Fine-tune” teaches them to the network.", 8000)
        if self.samples_browser is not None and self.samples_browser.isVisible():
            self.samples_browser.refresh()
        return True

    def open_samples(self) -> SamplesBrowser:
        from digitpad.gui.samples_browser import SamplesBrowser

        if self.samples_browser is None:
            self.samples_browser = SamplesBrowser(self.sample_store, self.parentWidget())
        self.samples_browser.refresh()
        self.samples_browser.show()
        self.samples_browser.raise_()
        return self.samples_browser
