"""The Model menu's dialogs: Retrain…, Weights History… and Export as ONNX….

`ModelDialogs` makes the three actions (the window puts them in its Model menu) and owns the
dialogs they open. It works on the window's `ModelControl` (the current session, switching
weights, the status bar), not on the window itself. The dialogs (and with them torch and the
training code) are imported when first opened, so the window can be shown before torch is loaded.
Exporting (a tenth of a second or more) runs on a copy of the model in an `OnnxExportWorker`
(a `BackgroundJob`, gui/jobs/background.py).
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from digitpad.app.model_loading import no_gc_pauses
from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.gui.window_layout import keep_on_screen
from digitpad.storage.adopted_weights import adopted_weights_dir
from digitpad.storage.samples import SampleStore, default_samples_path
from digitpad.errors import ExportError
import copy

if TYPE_CHECKING:
    from digitpad.gui.model_control import ModelControl
    from digitpad.gui.windows.retrain_dialog import RetrainDialog
    from digitpad.gui.windows.weights_history import WeightsHistoryDialog
    from digitpad.network.lenet5 import LeNet5

log = logging.getLogger(__name__)

ONNX_FILTER = "ONNX model (*.onnx);;All files (*)"


def make_action(parent: QObject, text: str, slot, shortcut: str, tip: str) -> QAction:
    """An action whose shortcut works anywhere in the window (also in its docks)."""
    action = QAction(text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


class OnnxExportWorker(Worker):
    """Writes `model` (a copy: the window goes on recognising with its own) to `path` as ONNX;
    `finished` carries the path. Not cancellable (bounded: one small graph)."""

    failure_log = "ONNX export failed"

    def __init__(self, model: LeNet5, path: Path):
        super().__init__()
        self.model, self.path = model, path

    def work(self) -> Path:
        from digitpad.storage import onnx_export  # torch.onnx, onnx

        return onnx_export.export_onnx(self.model, self.path)  # looked up here: tests replace it

    def describe_failure(self, exc: BaseException) -> str:
        return str(exc) if isinstance(exc, ExportError) else f"{self.path}: {super().describe_failure(exc)}"


#: The Retrain dialog's modules (the training code: about 70 ms to import), imported in the
#: background once the network is ready, so opening the dialog only builds it (issue 22: opening
#: it stalled the window 140–360 ms).
DIALOG_MODULES = ("digitpad.gui.windows.retrain_dialog", "digitpad.gui.windows.weights_history")


class ModuleImportWorker(Worker):
    """Imports `modules` (Python code only: no widgets are made off the GUI thread)."""

    failure_log = "could not import the dialogs' modules"

    def __init__(self, modules: tuple[str, ...]):
        super().__init__()
        self.modules = modules

    def work(self) -> tuple[str, ...]:
        for name in self.modules:
            with no_gc_pauses(name):  # a full collection here would hold the GIL, freezing the window
                importlib.import_module(name)
        return self.modules


class ModelDialogs(QObject):
    """Retrain…, Weights History… and Export as ONNX… for one window."""

    exportEnded = Signal(object, str)  # the file, why it could not be written ("" when it was)
    retrainDialogMade = Signal(object)  # the RetrainDialog, once (the time-lapse follows its runs)

    def __init__(self, model_control: ModelControl, parent: QWidget):
        super().__init__(parent)
        self.model_control = model_control
        self.parent_widget = parent
        self.retrain_dialog: RetrainDialog | None = None
        self.history_dialog: WeightsHistoryDialog | None = None
        self.export_job: BackgroundJob | None = None
        self._exporting = ""  # what is being exported, for the status bar

        self.retrain_action = make_action(parent, "&Retrain…", self.open_retrain, "Ctrl+R",
                                          "Train LeNet-5 anew or fine-tune it on MNIST and your own samples")
        self.history_action = make_action(parent, "Weights &History…", self.open_history, "",
                                          "The weights you adopted: switch between them or delete them")
        self.export_action = make_action(parent, "E&xport as ONNX…", lambda: self.export_model(), "Ctrl+Shift+E",
                                         "Save the current model as an ONNX file for other programs")
        model_control.weightsLoaded.connect(self._weights_loaded)
        self.import_job: BackgroundJob | None = None
        model_control.ready.connect(self.prepare_dialogs)

    def actions(self) -> list[QAction]:
        return [self.retrain_action, self.history_action, self.export_action]

    def prepare_dialogs(self) -> None:
        """Import the dialogs' code in the background (the network is ready, torch is there).
        Only in the app, which loads the network in the background and joins every job at exit;
        a window that loaded it here and now (tests, scripts) imports on opening, as before."""
        if self.model_control.loader is None:
            return
        missing = tuple(name for name in DIALOG_MODULES if name not in sys.modules)
        if missing and self.import_job is None:
            self.import_job = BackgroundJob(ModuleImportWorker(missing), "digitpad-dialog-imports")
            self.import_job.start()

    # ---- what the dialogs need ---------------------------------------------------------------
    def sample_store(self) -> SampleStore:
        return SampleStore(default_samples_path())

    def current_weights_file(self) -> Path | None:
        return self.model_control.session.weights_file if self.model_control.session is not None else None

    # ---- retraining ------------------------------------------------------------------------------
    def open_retrain(self) -> RetrainDialog | None:
        if not self.model_control.require_model():
            return None
        # torch (training): imported when the dialog first opens
        from digitpad.gui.windows.retrain_dialog import RetrainDialog

        if self.retrain_dialog is None:
            control = self.model_control
            self.retrain_dialog = RetrainDialog(lambda: control.session.model, self.sample_store, self.parent_widget,
                                                current_description=lambda: control.session.weights_text())
            self.retrain_dialog.adopted.connect(self.use_weights)
            self.retrainDialogMade.emit(self.retrain_dialog)
        self.retrain_dialog.refresh()
        self.retrain_dialog.show()
        keep_on_screen(self.retrain_dialog)
        self.retrain_dialog.raise_()
        self.retrain_dialog.activateWindow()
        return self.retrain_dialog

    def use_weights(self, path: Path) -> bool:
        """Start switching the window to `path` (read in the background; remembered for the next
        start once in use). False when there is no network to switch yet."""
        return self.model_control.load_weights_file(path)

    def _weights_loaded(self, _path: Path | None, _error: str) -> None:
        """Other weights are in use, or a file could not be read: the dialogs name the model in use."""
        self._say_what_export_needs()
        if self.history_dialog is not None and self.history_dialog.isVisible():  # else: refreshed when opened
            self.history_dialog.refresh()
        if self.retrain_dialog is not None:
            self.retrain_dialog.refresh()

    def open_history(self) -> WeightsHistoryDialog | None:
        if not self.model_control.require_model():
            return None
        # torch: imported when the dialog first opens
        from digitpad.gui.windows.weights_history import WeightsHistoryDialog
        from digitpad.storage.checkpoints import shipped_mnist_weights_path

        if self.history_dialog is None:
            self.history_dialog = WeightsHistoryDialog(
                adopted_weights_dir, self.current_weights_file, self.parent_widget,
                shipped=lambda: [shipped_mnist_weights_path()],
                shipped_note="the paper's reproduction shipped with digitpad, trained on MNIST alone (the "
                             "default weights also learnt real pen strokes: they read people's handwriting better)")
            self.history_dialog.useRequested.connect(self.use_weights)
            self.history_dialog.revertRequested.connect(self.model_control.revert_to_shipped_weights)
        self.history_dialog.refresh()
        self.history_dialog.show()
        self.history_dialog.raise_()
        return self.history_dialog

    # ---- export ----------------------------------------------------------------------------------
    def _say_what_export_needs(self) -> str:
        """The menu item names what to install when torch's exporter lacks a piece ("" if none)."""
        # torch: asked once a network is loaded, not at start-up
        from digitpad.storage.onnx_export import missing_exporter

        missing = missing_exporter()
        self.export_action.setText(f"E&xport as ONNX… ({missing.split(': ')[-1]} first)" if missing
                                   else "E&xport as ONNX…")
        tip = (missing[:1].upper() + missing[1:] if missing
               else "Save the current model as an ONNX file for other programs")
        self.export_action.setStatusTip(tip)
        self.export_action.setToolTip(tip)
        return missing

    def export_model(self, path: str | Path | None = None) -> bool:
        """Start exporting the model in use to `path` (asked for if None), in the background;
        `exportEnded` when written or refused. False if nothing was started."""
        if not self.model_control.require_model():
            return False
        if self.export_job is not None:
            self.model_control.show_status("Still exporting the model: try again when it is done", 5000)
            return False
        if missing := self._say_what_export_needs():  # said before a file is asked for, and no traceback
            QMessageBox.information(self.parent_widget, "Export as ONNX", missing[:1].upper() + missing[1:] + ".")
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Export as ONNX",
                                                  str(Path.home() / "lenet5.onnx"), ONNX_FILTER)
            if not path:
                return False

        path, model = Path(path), copy.deepcopy(self.model_control.session.model)  # a copy: recognition goes on
        self._exporting = self.model_control.session.weights_text()
        job = BackgroundJob(OnnxExportWorker(model, path), "digitpad-onnx-export")
        # Queued: the worker emits from its own thread; the slots run on the GUI thread.
        job.worker.finished.connect(self._exported, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(self._export_failed, Qt.ConnectionType.QueuedConnection)
        self.export_job = job
        self.model_control.show_status(f"Exporting {self._exporting} to {path}…", 0)
        job.start()
        return True

    def _exported(self, path: Path) -> None:
        if self.export_job is None:  # the window closed meanwhile
            return
        self.export_job = None
        self.model_control.show_status(f"Exported {self._exporting} to {path}", 5000)
        self.exportEnded.emit(path, "")

    def _export_failed(self, message: str) -> None:
        if self.export_job is None:
            return
        path, self.export_job = self.export_job.worker.path, None
        self.model_control.show_status("", 0)
        QMessageBox.warning(self.parent_widget, "Could not export", message)
        self.exportEnded.emit(path, message)

    # ---- closing ---------------------------------------------------------------------------------
    def may_close(self) -> bool:
        """The window is closing: ask about a training run or an unadopted model (the Retrain
        dialog's questions); True when it may close. Weights adopted in answer are remembered for
        the next start now (reading them in, which would remember them, is stopped by closing)."""
        dialog = self.retrain_dialog
        if dialog is None:
            return True
        adopted_before = dialog.last_adopted
        if not dialog.may_close():
            return False
        if dialog.last_adopted is not None and dialog.last_adopted != adopted_before:
            self.model_control.remember_weights_file(dialog.last_adopted)
        return True

    def shutdown(self) -> None:
        """Stop and join any training, download or reading of the history (the window is closing)."""
        if self.retrain_dialog is not None:
            self.retrain_dialog.shutdown()
        if self.history_dialog is not None:
            self.history_dialog.shutdown()
        if self.export_job is not None:
            self.export_job.stop()
            self.export_job = None
        if self.import_job is not None:
            self.import_job.stop()
            self.import_job = None
