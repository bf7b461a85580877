"""Which network the window uses, for the GUI: loading it, switching weights and devices.

`ModelControl` owns the `ModelSession` (digitpad/app/model_session.py) once it is loaded, the
background load at start-up and the background reading of other weights (`BackgroundJob`s,
gui/jobs/background.py: the model in use changes only once they are read and checked), the Device menu, the
device and weights labels of the status bar, and the saved choice of weights and device. It
says what happened through signals; the window recognises again on `changed`.

No torch at module level (the window imports this before torch is loaded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from digitpad.app import model_loading
from digitpad.gui import settings as keys
from digitpad.gui.settings import read_text
from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.jobs.model_loader import ModelLoadWorker, WeightsReadWorker
from digitpad.gui.window_actions import StatusLabels, ask_weights_to_load
from digitpad.errors import WeightsError

if TYPE_CHECKING:
    import torch

    from digitpad.network.lenet5 import LeNet5
    from digitpad.app.model_session import ModelSession, ReadWeights
    from digitpad.reading.recognition import Recognizer
    from digitpad.storage.checkpoints import Checkpoint

log = logging.getLogger(__name__)

LOADING_TEXT = "Loading the neural network…"
NOT_LOADED_TEXT = "The neural network could not be loaded"


class ModelControl(QObject):
    """The network behind one window. `session` is None until it is loaded (`ready`), or for
    good if it cannot be (`failed`); actions that need it are enabled only while it is there."""

    changed = Signal()        # a network arrived, or its weights or device changed
    ready = Signal()          # the network is loaded (after the first `changed`)
    failed = Signal(str)      # no network at all: why, in words
    #: Reading weights asked for ended: the file (None: the shipped weights), and why they could
    #: not be used ("" when they are in use now).
    weightsLoaded = Signal(object, str)

    def __init__(self, settings: QSettings, labels: StatusLabels, show_status: Callable[[str, int], None],
                 parent: QWidget):
        super().__init__(parent)
        self.settings = settings
        self.labels = labels
        self.show_status = show_status
        self.parent_widget = parent
        self.session: ModelSession | None = None
        self.loader: BackgroundJob | None = None  # the background load, while the app starts
        self._weights_job: BackgroundJob | None = None  # the weights asked for last, being read
        self.error = ""
        self.startup_message = ""
        #: Said with the start-up's own problems once the network is there (the settings file moved aside).
        self.startup_notes: list[str] = []
        self.device_menu = QMenu("&Device", parent)  # filled when the network is loaded
        self.device_group = QActionGroup(self)
        self.device_group.setExclusive(True)
        self.device_actions: dict[str, QAction] = {}
        self._needs_model: list[QAction] = []
        self.needs_model(self.device_menu.menuAction())

    # ---- state -----------------------------------------------------------------------------
    @property
    def model_ready(self) -> bool:
        return self.session is not None

    @property
    def recognizer(self) -> Recognizer | None:
        return self.session.recognizer if self.session is not None else None

    def needs_model(self, action: QAction) -> None:
        """Enable `action` only while a network is loaded."""
        self._needs_model.append(action)
        action.setEnabled(self.model_ready)

    def require_model(self) -> bool:
        """True when a network is loaded; otherwise says so in the status bar (for the actions
        that need one, should they be called before it is there)."""
        if self.session is not None:
            return True
        self.show_status(NOT_LOADED_TEXT if self.error else LOADING_TEXT, 5000)
        return False

    def waiting_text(self) -> str:
        """What to say instead of a prediction while there is no network."""
        return (f"{NOT_LOADED_TEXT}." if self.error
                else f"{LOADING_TEXT} Your drawing is recognised as soon as it is ready.")

    # ---- loading -----------------------------------------------------------------------------
    def start(self, in_background: bool, torch_threads: int | None = None) -> None:
        """Load the saved device and weights: in a background thread, or here and now."""
        saved_weights = read_text(self.settings, keys.WEIGHTS_FILE)
        request = model_loading.LoadRequest(read_text(self.settings, keys.DEVICE, 40) or None,
                                            Path(saved_weights) if saved_weights else None, torch_threads)
        if in_background:
            self.show_status(LOADING_TEXT, 0)
            self.labels.device.setText("Device: —")
            self.labels.weights.setText("Weights: loading…")
            self.labels.weights.setToolTip("")
            self.loader = BackgroundJob(ModelLoadWorker(request), "digitpad-model-loader")
            # Queued: the worker emits from its own thread; the slots run on the GUI thread.
            self.loader.worker.finished.connect(self._install, Qt.ConnectionType.QueuedConnection)
            self.loader.worker.failed.connect(self._fail, Qt.ConnectionType.QueuedConnection)
            self.loader.start()
            return
        try:
            loaded = model_loading.load_model_session(request)
        except Exception as exc:
            log.exception("could not load the network")
            self._fail(model_loading.describe_failure(exc))
        else:
            self._install(loaded)

    def _install(self, loaded: model_loading.LoadedModel) -> None:
        """Use the loaded network: saved device and weights, or the fallbacks the loader chose,
        said quietly in the status bar (no modal box)."""
        if self.session is not None:
            return
        self.session = loaded.session
        for device, label in loaded.devices:
            action = QAction(label, self, checkable=True)
            action.setData(str(device))
            action.triggered.connect(lambda _=False, d=device: self.set_device(d))
            self.device_group.addAction(action)
            self.device_menu.addAction(action)
            self.device_actions[str(device)] = action
        if self.settings.value(keys.WEIGHTS_FILE, "") and self.session.weights_file is None:
            self.settings.remove(keys.WEIGHTS_FILE)  # it failed: the shipped weights are in use now
        self.startup_message = " ".join([*self.startup_notes, *loaded.problems])
        if loaded.problems:
            log.warning("%s", self.startup_message)
        self.show_status(self.startup_message, 0)  # or clears "Loading…"
        for action in self._needs_model:
            action.setEnabled(True)
        self._changed()
        self.ready.emit()

    def _fail(self, message: str) -> None:
        self.error = message
        self.show_status(" ".join([*self.startup_notes, f"{NOT_LOADED_TEXT}: {message}"]), 0)
        self.labels.device.setText("Device: —")
        self.labels.weights.setText("Weights: none")
        self.failed.emit(message)

    # ---- switching ---------------------------------------------------------------------------
    def ask_load_weights(self) -> None:
        if not self.require_model():
            return
        path = ask_weights_to_load(self.parent_widget, self.session.weights_file)
        if path is not None:
            self.load_weights_file(path)

    def load_weights_file(self, path: str | Path) -> bool:
        """Start reading the weights in `path` in the background: they are used and remembered once
        read and checked; on any problem a message says why and the model in use stays. False
        when there is no network to switch (yet)."""
        if not self.require_model():
            return False
        self._read_weights(Path(path))
        return True

    def revert_to_shipped_weights(self) -> bool:
        """Start reading the shipped weights in the background, as `load_weights_file` does."""
        if not self.require_model():
            return False
        self._read_weights(None)
        return True

    def _read_weights(self, path: Path | None) -> None:
        """The newest request wins: a read still going is left to finish and its result ignored."""
        job = BackgroundJob(WeightsReadWorker(path, self.session.device), "digitpad-weights-reader")
        # Queued: the worker emits from its own thread; the slots run on the GUI thread.
        job.worker.finished.connect(self._weights_read, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(self._weights_not_read, Qt.ConnectionType.QueuedConnection)
        self._weights_job = job
        self.show_status(f"Loading {path.name if path is not None else 'the shipped weights'}…", 0)
        job.start()

    def _is_current_read(self) -> bool:
        """Whether the result arriving now is from the weights asked for last."""
        return self._weights_job is not None and self.sender() is self._weights_job.worker

    def _weights_read(self, weights: ReadWeights) -> None:
        if not self._is_current_read():
            return
        self._weights_job = None

        try:
            self.session.use(weights)  # tried again only if the device changed meanwhile
        except WeightsError as exc:
            self._refuse_weights(weights.weights_file, str(exc))
            return
        if weights.weights_file is None:
            self.settings.remove(keys.WEIGHTS_FILE)
            self._changed("Using the shipped weights")
        else:
            self.settings.setValue(keys.WEIGHTS_FILE, str(weights.weights_file.resolve()))
            self._changed(f"Loaded {self.session.weights_text()}")
        self.weightsLoaded.emit(weights.weights_file, "")

    def _weights_not_read(self, message: str) -> None:
        if not self._is_current_read():
            return
        path = self._weights_job.worker.path
        self._weights_job = None
        self._refuse_weights(path, message)

    def _refuse_weights(self, path: Path | None, message: str) -> None:
        """Say why, in one line; the model in use stays."""
        self.show_status("", 0)  # no longer "Loading …"
        title = "Cannot load weights" if path is not None else "Cannot load the shipped weights"
        QMessageBox.critical(self.parent_widget, title, message)
        self.weightsLoaded.emit(path, message)

    def set_model(self, model: LeNet5, checkpoint: Checkpoint | None, source_label: str,
                  weights_file: Path | None = None) -> bool:
        """Adopt a model built elsewhere (e.g. by the retraining dialog). `weights_file`, if
        given, is remembered for the next start; otherwise the next start uses the saved setting."""
        if not self.require_model():  # first: importing digitpad.storage.checkpoints imports torch
            return False

        self._weights_job = None  # a file still being read would replace this model: no longer wanted
        try:
            self.session.set_model(model, checkpoint, source_label, weights_file)
        except WeightsError as exc:
            QMessageBox.critical(self.parent_widget, "Cannot use this model", str(exc))
            return False
        if weights_file is not None:
            self.settings.setValue(keys.WEIGHTS_FILE, str(Path(weights_file).resolve()))
        self._changed(f"Now using {source_label}")
        return True

    def set_device(self, device: torch.device | str) -> bool:
        """Move the model; a device that fails leaves everything on the old one, with a message."""
        if not self.require_model():
            return False
        import torch  # torch: loaded with the network, not at start-up

        device = torch.device(device)
        try:
            self.session.set_device(device)
        except Exception as exc:
            QMessageBox.warning(self.parent_widget, "Cannot use this device",
                                f"{device}: {exc}\n\nStaying on {self.session.device_text()}.")
            self._sync_device_actions()
            return False
        self.settings.setValue(keys.DEVICE, str(device))
        self._changed(f"Running on {self.session.device_text()}")
        return True

    def remember_weights_file(self, path: Path) -> None:
        """The next start uses `path` (weights saved and checked by this app, e.g. adopted as the
        window closes, when there is no time left to read them in)."""
        self.settings.setValue(keys.WEIGHTS_FILE, str(Path(path).resolve()))
        self.settings.sync()

    def shutdown(self) -> None:
        """Wait for weights still being read (the window is closing); their result is not used."""
        job, self._weights_job = self._weights_job, None
        if job is not None:
            job.stop()

    def _changed(self, message: str = "") -> None:
        self.labels.device.setText(f"Device: {self.session.device_text()}")
        self.labels.weights.setText(f"Weights: {self.session.weights_text()}")
        self.labels.weights.setToolTip(str(self.session.weights_file or "the weights shipped with digitpad"))
        self._sync_device_actions()
        if message:
            self.show_status(message, 5000)
        self.changed.emit()

    def _sync_device_actions(self) -> None:
        action = self.device_actions.get(str(self.session.device))
        if action is not None:
            action.setChecked(True)
