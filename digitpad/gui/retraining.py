"""Retraining, teaching and export for the main window, plugged in by one call:
`install_retraining(window)`.

Adds Model → Retrain…, Weights History…, Export… and a Teach menu ("This Is a 0…9" with
Ctrl+Shift+digit, Browse My Samples…). It uses only the window's public hooks: `session`
(current model and weights file), `load_weights_file` (switch and remember the choice in
QSettings), `revert_to_shipped_weights`, `add_model_action`, `canvas.strokes()` and the status bar.

The dialogs (and with them torch and the training code) are imported when first opened, so the
window can be shown before torch is loaded; teaching and the samples browser need no torch.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox

from digitpad.samples import SampleError, SampleStore, default_samples_path

if TYPE_CHECKING:
    from digitpad.gui.main_window import MainWindow
    from digitpad.gui.retrain_dialog import RetrainDialog
    from digitpad.gui.samples_browser import SamplesBrowser
    from digitpad.gui.weights_history import WeightsHistoryDialog

log = logging.getLogger(__name__)

ONNX_FILTER = "ONNX model (*.onnx);;All files (*)"


class Retraining(QObject):
    """The retraining, teaching and export features of one main window."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.samples_path = default_samples_path()
        self.retrain_dialog: RetrainDialog | None = None
        self.history_dialog: WeightsHistoryDialog | None = None
        self.samples_browser: SamplesBrowser | None = None

        self.retrain_action = self._action("&Retrain…", self.open_retrain, "Ctrl+R",
                                           "Train LeNet-5 anew or fine-tune it on MNIST and your own samples")
        self.history_action = self._action("Weights &History…", self.open_history, "",
                                           "The weights you adopted: switch between them or delete them")
        self.export_action = self._action("E&xport as ONNX…", lambda: self.export_model(), "Ctrl+Shift+E",
                                          "Save the current model as an ONNX file for other programs")
        for action in (self.retrain_action, self.history_action, self.export_action):
            window.add_model_action(action)

        self.teach_menu = QMenu("&Teach", window)
        self.teach_actions: list[QAction] = []
        for digit in range(10):
            action = self._action(f"This Is a{'n' * (digit == 8)} &{digit}", lambda _=False, d=digit: self.teach(d),
                                  f"Ctrl+Shift+{digit}", f"Keep the drawing as one of your samples of {digit}")
            self.teach_menu.addAction(action)
            self.teach_actions.append(action)
        self.teach_menu.addSeparator()
        self.browse_action = self._action("&Browse My Samples…", self.open_samples, "",
                                          "Your labelled drawings: view, delete, import, export")
        self.teach_menu.addAction(self.browse_action)
        bar = window.menuBar()
        before = next((a for a in bar.actions() if a.text().replace("&", "") == "View"), None)
        if before is not None:
            bar.insertMenu(before, self.teach_menu)
        else:
            bar.addMenu(self.teach_menu)

        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(stop_background_jobs)

    def _action(self, text: str, slot, shortcut: str, tip: str) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    # ---- what the dialogs need from the window -----------------------------------------------
    def sample_store(self) -> SampleStore:
        return SampleStore(self.samples_path)

    def current_weights_file(self) -> Path | None:
        return self.window.session.weights_file

    # ---- retraining ------------------------------------------------------------------------------
    def open_retrain(self) -> RetrainDialog | None:
        if not self.window.require_model():
            return None
        from digitpad.gui.retrain_dialog import RetrainDialog

        if self.retrain_dialog is None:
            self.retrain_dialog = RetrainDialog(lambda: self.window.session.model, self.sample_store, self.window,
                                                current_description=lambda: self.window.session.weights_text())
            self.retrain_dialog.adopted.connect(self.use_weights)
        self.retrain_dialog.refresh()
        self.retrain_dialog.show()
        self.retrain_dialog.raise_()
        self.retrain_dialog.activateWindow()
        return self.retrain_dialog

    def use_weights(self, path: Path) -> bool:
        """Switch the window to `path` and remember it for the next start (the window's QSettings)."""
        switched = self.window.load_weights_file(path)
        if self.history_dialog is not None:
            self.history_dialog.refresh()
        return switched

    def open_history(self) -> WeightsHistoryDialog | None:
        if not self.window.require_model():
            return None
        from digitpad.gui.retrain_dialog import weights_dir
        from digitpad.gui.weights_history import WeightsHistoryDialog

        if self.history_dialog is None:
            self.history_dialog = WeightsHistoryDialog(weights_dir, self.current_weights_file, self.window)
            self.history_dialog.useRequested.connect(self.use_weights)
            self.history_dialog.revertRequested.connect(self.window.revert_to_shipped_weights)
        self.history_dialog.refresh()
        self.history_dialog.show()
        self.history_dialog.raise_()
        return self.history_dialog

    # ---- teaching --------------------------------------------------------------------------------
    def teach(self, digit: int) -> bool:
        """Keep the drawing on the canvas as a sample of `digit`."""
        strokes = self.window.canvas.strokes()
        status = self.window.statusBar()
        if not strokes or not any(len(s) for s in strokes):
            status.showMessage("Draw a digit first, then say what it is (Teach → This Is a …)", 5000)
            return False
        try:
            store = self.sample_store()
            store.add(strokes, digit)
        except (SampleError, ValueError) as exc:
            QMessageBox.warning(self.window, "Could not keep the sample", str(exc))
            return False
        status.showMessage(f"Kept as a sample of {digit}: {store.counts()[digit]} of {digit}, {len(store)} in all. "
                           "Model → Retrain… with “Fine-tune” teaches them to the network.", 8000)
        if self.samples_browser is not None and self.samples_browser.isVisible():
            self.samples_browser.refresh()
        return True

    def open_samples(self) -> SamplesBrowser:
        from digitpad.gui.samples_browser import SamplesBrowser

        if self.samples_browser is None:
            self.samples_browser = SamplesBrowser(self.sample_store, self.window)
        self.samples_browser.refresh()
        self.samples_browser.show()
        self.samples_browser.raise_()
        return self.samples_browser

    # ---- export ----------------------------------------------------------------------------------
    def export_model(self, path: str | Path | None = None) -> bool:
        if not self.window.require_model():
            return False
        from digitpad.export import ExportError, export_onnx

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export as ONNX", str(Path.home() / "lenet5.onnx"),
                                                  ONNX_FILTER)
            if not path:
                return False
        try:
            export_onnx(self.window.session.model, Path(path))
        except ExportError as exc:
            QMessageBox.warning(self.window, "Could not export", str(exc))
            return False
        self.window.statusBar().showMessage(f"Exported {self.window.session.weights_text()} to {path}", 5000)
        return True

    # ---- closing ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop and join any training or download (the window is closing)."""
        if self.retrain_dialog is not None:
            self.retrain_dialog.shutdown()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False


def stop_background_jobs() -> None:
    """At application exit: cancel and join any training or download still running. Jobs exist
    only if the retraining code was ever imported (torch is not imported here just to find out)."""
    training_worker = sys.modules.get("digitpad.gui.training_worker")
    if training_worker is not None:
        training_worker.stop_all_jobs()


def install_retraining(window: MainWindow) -> Retraining:
    """Add the retraining, history, export and teaching features to `window`."""
    retraining = Retraining(window)
    window.retraining = retraining
    return retraining
