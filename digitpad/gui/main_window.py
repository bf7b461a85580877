"""The main window: canvas and answer on the left, input, F6 and internals in docks on the right.

It only wires widgets to the core: strokes go to `Recognizer.recognize_strokes`, and the
`Recognition` that comes back is handed to every panel to draw. Recognition takes a few ms, so
it runs on the GUI thread, throttled by a timer while the pen moves.

This module imports no torch (a test checks it): the app shows the window first and loads the
network in the background (`load_model_in_background=True`, see gui/model_loader.py). Until it
is ready the canvas works, the Model menu is disabled, and whatever is drawn or opened is
recognised the moment the network arrives.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (QDockWidget, QFrame, QMainWindow, QMenu, QMessageBox, QScrollArea, QVBoxLayout,
                               QWidget)

from digitpad.gui import model_loader
from digitpad.gui import settings as keys
from digitpad.gui.canvas import DrawingCanvas
from digitpad.gui.dialogs import HowItWorksDialog, about_html
from digitpad.gui.f6_panel import F6Panel
from digitpad.gui.image_io import local_files, looks_like_image_file, mime_image, qimage_to_png, read_preview
from digitpad.gui.input_view import DEFAULT_ZOOM, ZOOM_LEVELS, InputView
from digitpad.gui.internals_panel import InternalsPanel
from digitpad.gui.main_actions import build_actions, build_canvas_toolbar, build_status_bar
from digitpad.gui.prediction_view import PredictionView
from digitpad.gui.retraining import install_retraining
from digitpad.gui.settings import open_settings, read_bool, read_float, read_int
from digitpad.preprocess import EmptyDrawing, ImageError, ImageSource, prepare_image, render_strokes

if TYPE_CHECKING:
    import torch

    from digitpad.gui.model_session import ModelSession
    from digitpad.model import LeNet5
    from digitpad.recognition import Recognition, Recognizer
    from digitpad.weights import Checkpoint

log = logging.getLogger(__name__)

#: While the pen moves, recognise at most this often (ms); on release, at once.
RECOGNITION_INTERVAL_MS = 35
DEFAULT_SIZE = (1280, 800)
#: Logical pixels of screen width below which the internals are tabbed with F6 at first start.
SIDE_BY_SIDE_WIDTH = 1240
LOADING_TEXT = "Loading the neural network…"
NOT_LOADED_TEXT = "The neural network could not be loaded"


def scrollable(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area: on a small screen a panel scrolls instead of clipping."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    """digitpad's window. Other parts of the app plug in through `model_menu`/`add_model_action`,
    `session` (the current model, checkpoint and Recognizer) and `set_model`.

    By default the network is loaded in the constructor, so `session` is ready when it returns
    (tests, benchmarks, embedding). With `load_model_in_background=True` (the app) it is loaded
    by a background thread: `session` is None and `model_ready` False until `modelReady` (or
    `modelFailed`) is emitted. `torch_threads`, if given, is set before the first inference."""

    modelChanged = Signal()
    modelReady = Signal()
    modelFailed = Signal(str)  # the reason, in words
    recognized = Signal(object)  # the new Recognition, or None when there is nothing to recognise

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None, *,
                 load_model_in_background: bool = False, torch_threads: int | None = None):
        super().__init__(parent)
        self.setWindowTitle("digitpad")
        self.setObjectName("digitpadMainWindow")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else open_settings()
        self.session: ModelSession | None = None  # set when the network is loaded
        self.loader: model_loader.ModelLoader | None = None
        self._model_error = ""
        self._recognition: Recognition | None = None
        self._image_input: np.ndarray | None = None  # the opened image's 32×32, while it is shown
        self._image_too_small = False  # whether that image's ink was a speck
        self.startup_message = ""

        self.canvas = DrawingCanvas(self)
        self.prediction_view = PredictionView(self)
        self.input_view = InputView(self)
        self.f6_panel = F6Panel(parent=self)
        self.internals_panel = InternalsPanel(self)

        self._recognition_timer = QTimer(self)
        self._recognition_timer.setSingleShot(True)
        self._recognition_timer.setInterval(RECOGNITION_INTERVAL_MS)
        self._recognition_timer.timeout.connect(self.recognize_now)
        self.canvas.strokesChanged.connect(self._on_strokes_changed)

        self.window_actions = build_actions(self)
        # Everything in the Model menu needs the network: disabled until it is loaded.
        self._model_actions: list[QAction] = [self.window_actions.load_weights, self.window_actions.revert_weights]
        self.pen_width_spin = None  # set by build_canvas_toolbar
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(8, 4, 8, 8)
        column.setSpacing(6)
        column.addWidget(build_canvas_toolbar(self, central))
        column.addWidget(self.canvas, 1)
        column.addWidget(self.prediction_view)
        self.setCentralWidget(central)
        self._build_docks()
        build_status_bar(self)
        self._build_menus()
        install_retraining(self)  # Model → Retrain…/Weights History…/Export…, Teach menu: gui/retraining.py
        self.canvas.historyChanged.connect(self._update_edit_actions)
        self._update_edit_actions()

        self._restore_settings()
        # Saved when the person toggles a panel, not only on close (a crash must not forget it).
        # `triggered`, not `toggled`: Qt also unchecks these actions when the window hides.
        self.f6_dock.toggleViewAction().triggered.connect(lambda shown: self.settings.setValue(keys.SHOW_F6, shown))
        self.internals_dock.toggleViewAction().triggered.connect(
            lambda shown: self.settings.setValue(keys.SHOW_INTERNALS, shown))
        request = self._load_request(torch_threads)
        if load_model_in_background:
            self._show_loading()
            self.loader = model_loader.ModelLoader(self)
            # Queued: the loader emits from its own thread; the slots run on the GUI thread.
            self.loader.loaded.connect(self._install_model, Qt.ConnectionType.QueuedConnection)
            self.loader.failed.connect(self._model_failed, Qt.ConnectionType.QueuedConnection)
            self.loader.start(request)
        else:
            try:
                loaded = model_loader.load_model_session(request)
            except Exception as exc:
                log.exception("could not load the network")
                self._model_failed(model_loader.describe_failure(exc))
            else:
                self._install_model(loaded)

    # ---- layout ----------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, action_text: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        dock.toggleViewAction().setText(action_text)
        return dock

    def _build_docks(self) -> None:
        self.input_dock = self._dock("Network input · 32×32", "inputDock", self.input_view, "&Input 32×32")
        self.f6_dock = self._dock("F6 and the RBF prototypes", "f6Dock", scrollable(self.f6_panel), "&F6 Panel")
        self.internals_dock = self._dock("Internals · feature maps", "internalsDock", self.internals_panel,
                                         "I&nternals Panel")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.input_dock)
        self.splitDockWidget(self.input_dock, self.internals_dock, Qt.Orientation.Horizontal)
        self.splitDockWidget(self.input_dock, self.f6_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self.input_dock, self.internals_dock], [400, 430], Qt.Orientation.Horizontal)
        self.resizeDocks([self.input_dock, self.f6_dock], [260, 480], Qt.Orientation.Vertical)
        if self.screen().availableGeometry().width() < SIDE_BY_SIDE_WIDTH:
            # Too narrow for canvas + two dock columns (a laptop, or 200 % scaling): the
            # internals share the F6 dock's place as a tab instead of squeezing everything.
            self.tabifyDockWidget(self.f6_dock, self.internals_dock)
            self.f6_dock.raise_()

    def _build_menus(self) -> None:
        a = self.window_actions
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([a.open_image, a.paste_image])
        file_menu.addSeparator()
        file_menu.addActions([a.save_drawing, a.export_input])
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([a.undo, a.redo, a.clear])

        self.model_menu: QMenu = bar.addMenu("&Model")
        self.model_menu.addActions([a.load_weights, a.revert_weights])
        self._model_menu_anchor = self.model_menu.addSeparator()
        self.device_menu = self.model_menu.addMenu("&Device")  # filled when the network is loaded
        self.device_group = QActionGroup(self)
        self.device_group.setExclusive(True)
        self.device_actions: dict[str, QAction] = {}
        self._model_actions.append(self.device_menu.menuAction())
        for action in self._model_actions:
            action.setEnabled(False)

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.f6_dock.toggleViewAction(), self.internals_dock.toggleViewAction(),
                              self.input_dock.toggleViewAction()])
        view_menu.addSeparator()
        view_menu.addActions([a.zoom_in, a.zoom_out])
        zoom_menu = view_menu.addMenu("Input &Zoom")
        self.zoom_group = QActionGroup(self)
        self.zoom_actions: dict[int, QAction] = {}
        for level in ZOOM_LEVELS:
            action = QAction(f"{level}× ({32 * level} px)", self, checkable=True)
            action.triggered.connect(lambda _=False, z=level: self.set_input_zoom(z))
            self.zoom_group.addAction(action)
            zoom_menu.addAction(action)
            self.zoom_actions[level] = action

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([a.how_it_works, a.about, a.about_qt])

    def add_model_action(self, action: QAction) -> None:
        """Insert an action (e.g. "Retrain…") into the Model menu, above the Device submenu.
        Like the whole Model menu, it is enabled only while a network is loaded."""
        self.model_menu.insertAction(self._model_menu_anchor, action)
        self._model_actions.append(action)
        action.setEnabled(self.model_ready)

    # ---- the model ---------------------------------------------------------------------------
    @property
    def model_ready(self) -> bool:
        """True once the network is loaded (always, unless it is loaded in the background)."""
        return self.session is not None

    @property
    def recognizer(self) -> Recognizer | None:
        """The current model's Recognizer (changes when weights or the device change); None
        while the network is still loading."""
        return self.session.recognizer if self.session is not None else None

    def _load_request(self, torch_threads: int | None) -> model_loader.LoadRequest:
        """The saved device and weights (the settings are read here, on the GUI thread)."""
        saved_weights = str(self.settings.value(keys.WEIGHTS_FILE, "") or "")
        return model_loader.LoadRequest(str(self.settings.value(keys.DEVICE, "") or "") or None,
                                        Path(saved_weights) if saved_weights else None, torch_threads)

    def _show_loading(self) -> None:
        self.statusBar().showMessage(LOADING_TEXT)
        self.device_status.setText("Device: —")
        self.weights_status.setText("Weights: loading…")
        self.weights_status.setToolTip("")

    def _install_model(self, loaded: model_loader.LoadedModel) -> None:
        """Use the loaded network: saved device and weights, or the fallbacks the loader chose,
        said quietly in the status bar (no modal box). Recognises whatever is already drawn."""
        if self.session is not None:
            return
        self.session = loaded.session
        self._fill_device_menu(loaded.devices)
        saved_weights = self.settings.value(keys.WEIGHTS_FILE, "")
        if saved_weights and self.session.weights_file is None:
            self.settings.remove(keys.WEIGHTS_FILE)  # it failed: the shipped weights are in use now
        self.startup_message = " ".join(loaded.problems)
        if loaded.problems:
            log.warning("%s", self.startup_message)
            self.statusBar().showMessage(self.startup_message)
        else:
            self.statusBar().clearMessage()  # "Loading…"
        for action in self._model_actions:
            action.setEnabled(True)
        self._model_changed()
        self.modelReady.emit()

    def _model_failed(self, message: str) -> None:
        """No network at all (e.g. torch cannot be imported): say so once; drawing goes on."""
        self._model_error = message
        self.statusBar().showMessage(f"{NOT_LOADED_TEXT}: {message}")
        self.device_status.setText("Device: —")
        self.weights_status.setText("Weights: none")
        self.recognize_now()
        self.modelFailed.emit(message)  # before the modal box, which blocks until it is closed
        QMessageBox.critical(self, "digitpad: no neural network",
                             f"{NOT_LOADED_TEXT}.\n\n{message}\n\nYou can still draw, open and save images, "
                             "but nothing will be recognised until digitpad is started again with this fixed.")

    def _fill_device_menu(self, devices: list[tuple[torch.device, str]]) -> None:
        for device, label in devices:
            action = QAction(label, self, checkable=True)
            action.setData(str(device))
            action.triggered.connect(lambda _=False, d=device: self.set_device(d))
            self.device_group.addAction(action)
            self.device_menu.addAction(action)
            self.device_actions[str(device)] = action

    def require_model(self) -> bool:
        """True when a network is loaded; otherwise says so in the status bar (for the actions
        that need one, should they be called before it is there)."""
        if self.session is not None:
            return True
        self.statusBar().showMessage(NOT_LOADED_TEXT if self._model_error else LOADING_TEXT, 5000)
        return False

    def load_weights_file(self, path: str | Path) -> bool:
        """Use the weights in `path`; on any problem say so and keep the current model."""
        if not self.require_model():  # first: importing digitpad.weights imports torch
            return False
        from digitpad.weights import WeightsError

        try:
            self.session.load_file(Path(path))
        except WeightsError as exc:
            QMessageBox.critical(self, "Cannot load weights", str(exc))
            return False
        self.settings.setValue(keys.WEIGHTS_FILE, str(Path(path).resolve()))
        self._model_changed(f"Loaded {self.session.weights_text()}")
        return True

    def revert_to_shipped_weights(self) -> bool:
        if not self.require_model():  # first: importing digitpad.weights imports torch
            return False
        from digitpad.weights import WeightsError

        try:
            self.session.load_shipped()
        except WeightsError as exc:
            QMessageBox.critical(self, "Cannot load the shipped weights", str(exc))
            return False
        self.settings.remove(keys.WEIGHTS_FILE)
        self._model_changed("Using the shipped weights")
        return True

    def set_model(self, model: LeNet5, checkpoint: Checkpoint | None, source_label: str,
                  weights_file: Path | None = None) -> bool:
        """Adopt a model built elsewhere (e.g. by the retraining dialog). `weights_file`, if
        given, is remembered for the next start; otherwise the next start uses the saved setting."""
        if not self.require_model():  # first: importing digitpad.weights imports torch
            return False
        from digitpad.weights import WeightsError

        try:
            self.session.set_model(model, checkpoint, source_label, weights_file)
        except WeightsError as exc:
            QMessageBox.critical(self, "Cannot use this model", str(exc))
            return False
        if weights_file is not None:
            self.settings.setValue(keys.WEIGHTS_FILE, str(Path(weights_file).resolve()))
        self._model_changed(f"Now using {source_label}")
        return True

    def set_device(self, device: torch.device | str) -> bool:
        """Move the model; a device that fails leaves everything on the old one, with a message."""
        if not self.require_model():
            return False
        import torch  # loaded with the network

        device = torch.device(device)
        try:
            self.session.set_device(device)
        except Exception as exc:
            QMessageBox.warning(self, "Cannot use this device",
                                f"{device}: {exc}\n\nStaying on {self.session.device_text()}.")
            self._sync_device_actions()
            return False
        self.settings.setValue(keys.DEVICE, str(device))
        self._model_changed(f"Running on {self.session.device_text()}")
        return True

    def _model_changed(self, message: str = "") -> None:
        self.device_status.setText(f"Device: {self.session.device_text()}")
        self.weights_status.setText(f"Weights: {self.session.weights_text()}")
        self.weights_status.setToolTip(str(self.session.weights_file or "the weights shipped with digitpad"))
        self._sync_device_actions()
        if message:
            self.statusBar().showMessage(message, 5000)
        self.recognize_now()
        self.modelChanged.emit()

    def _sync_device_actions(self) -> None:
        action = self.device_actions.get(str(self.session.device))
        if action is not None:
            action.setChecked(True)

    # ---- recognition -------------------------------------------------------------------------
    def _on_strokes_changed(self, final: bool) -> None:
        self._image_input = None if not self.canvas.is_showing_image() else self._image_input
        if final:
            self._recognition_timer.stop()
            self.recognize_now()
        elif not self._recognition_timer.isActive():
            self._recognition_timer.start()  # not restarted by later moves: a steady rate

    def recognize_now(self) -> Recognition | None:
        """Recognise what is on the canvas (or the opened image) and show it everywhere. Without
        a network yet, say that the drawing waits for it (it is recognised when it arrives)."""
        if self.session is None:
            self._show(None)
            waiting_input = self._input_without_model()
            self.input_view.set_array(waiting_input)
            self.window_actions.export_input.setEnabled(waiting_input is not None)
            if self._image_input is not None or not self.canvas.is_empty():
                self.prediction_view.show_waiting(
                    f"{NOT_LOADED_TEXT}." if self._model_error
                    else f"{LOADING_TEXT} Your drawing is recognised as soon as it is ready.")
            return None
        recognition = None
        try:
            if self._image_input is not None and self.canvas.is_showing_image():
                recognition = self.recognizer.recognize_array(self._image_input, too_small=self._image_too_small)
            elif not self.canvas.is_empty():
                recognition = self.recognizer.recognize_strokes(self.canvas.strokes(), self.canvas.pen_width(),
                                                                (self.canvas.width(), self.canvas.height()))
        except EmptyDrawing:
            recognition = None
        self._show(recognition)
        return recognition

    def _input_without_model(self) -> np.ndarray | None:
        """The 32×32 network input of what is shown (preprocessing needs no torch), or None."""
        if self._image_input is not None and self.canvas.is_showing_image():
            return self._image_input
        if self.canvas.is_empty():
            return None
        try:
            return render_strokes(self.canvas.strokes(), self.canvas.pen_width())
        except EmptyDrawing:
            return None

    def _show(self, recognition: Recognition | None) -> None:
        self._recognition = recognition
        self.prediction_view.show_recognition(recognition)
        self.input_view.set_array(None if recognition is None else recognition.input)
        self.f6_panel.show_recognition(recognition)
        self.internals_panel.show_recognition(recognition)
        self.timing_status.setText("Recognition: —" if recognition is None
                                   else f"Recognition: {1000 * recognition.seconds:.1f} ms")
        self.window_actions.export_input.setEnabled(recognition is not None)
        self.recognized.emit(recognition)

    @property
    def last_recognition(self) -> Recognition | None:
        return self._recognition

    # ---- images in -----------------------------------------------------------------------------
    def open_image(self, path: str | Path) -> bool:
        """Recognise an image file; unreadable or blank files get a message and change nothing."""
        path = Path(path)
        return self._show_image(path, path.name, read_preview(path) if path.is_file() else None)

    def paste_image(self) -> bool:
        mime = QGuiApplication.clipboard().mimeData()
        image = mime_image(mime) if mime is not None else None
        if image is not None:
            return self._show_image(qimage_to_png(image), "pasted image", image)
        files = [p for p in local_files(mime)] if mime is not None else []
        if files:
            return self.open_image(files[0])
        self.statusBar().showMessage("The clipboard holds no image", 5000)
        return False

    def _show_image(self, source: ImageSource, name: str, preview) -> bool:
        try:
            prepared = prepare_image(source)
        except ImageError as exc:
            QMessageBox.warning(self, "Cannot open image", str(exc))
            return False
        except EmptyDrawing:
            QMessageBox.information(self, "Nothing to recognise", f"{name}: the image is blank.")
            return False
        self._recognition_timer.stop()
        self.canvas.show_image(preview, f"{name} — draw on the canvas to replace it")
        self._image_input, self._image_too_small = prepared.array, prepared.too_small
        self.recognize_now()
        self.statusBar().showMessage(f"Opened {name}", 5000)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime_image(mime) is not None or any(looks_like_image_file(p) for p in local_files(mime)):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = local_files(mime)
        image = mime_image(mime)
        if files:
            self.open_image(files[0])
        elif image is not None:
            self._show_image(qimage_to_png(image), "dropped image", image)
        event.acceptProposedAction()

    # ---- view ------------------------------------------------------------------------------------
    def set_input_zoom(self, zoom: int) -> None:
        zoom = min(ZOOM_LEVELS, key=lambda level: abs(level - zoom))
        self.input_view.set_zoom(zoom)
        self.zoom_actions[zoom].setChecked(True)
        self.settings.setValue(keys.INPUT_ZOOM, zoom)

    def step_input_zoom(self, steps: int) -> None:
        index = ZOOM_LEVELS.index(self.input_view.zoom()) if self.input_view.zoom() in ZOOM_LEVELS else 0
        self.set_input_zoom(ZOOM_LEVELS[min(max(index + steps, 0), len(ZOOM_LEVELS) - 1)])

    def set_pen_width(self, width: float) -> None:
        self.canvas.set_pen_width(width)
        if self.pen_width_spin is not None and self.pen_width_spin.value() != round(self.canvas.pen_width()):
            self.pen_width_spin.setValue(round(self.canvas.pen_width()))
        self.settings.setValue(keys.PEN_WIDTH, self.canvas.pen_width())
        if not self.canvas.is_empty():
            self.recognize_now()

    def show_about(self) -> None:
        QMessageBox.about(self, "About digitpad", about_html())

    def show_how_it_works(self) -> None:
        HowItWorksDialog(self).exec()

    def _update_edit_actions(self) -> None:
        a = self.window_actions
        a.undo.setEnabled(self.canvas.can_undo())
        a.redo.setEnabled(self.canvas.can_redo())
        a.clear.setEnabled(not self.canvas.is_empty() or self.canvas.is_showing_image())
        a.save_drawing.setEnabled(not self.canvas.is_empty())

    # ---- settings --------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        self.set_pen_width(read_float(s, keys.PEN_WIDTH, self.canvas.pen_width()))
        self.set_input_zoom(read_int(s, keys.INPUT_ZOOM, DEFAULT_ZOOM))
        show_f6, show_internals = read_bool(s, keys.SHOW_F6, True), read_bool(s, keys.SHOW_INTERNALS, True)
        # ~1280×800, but never larger than the screen (a laptop, or 200 % scaling on 1080p).
        available = self.screen().availableGeometry()
        self.resize(min(DEFAULT_SIZE[0], int(available.width() * 0.96)),
                    min(DEFAULT_SIZE[1], int(available.height() * 0.92)))
        geometry = s.value(keys.GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value(keys.WINDOW_STATE)
        if state is not None:
            self.restoreState(state)
        self.f6_dock.setVisible(show_f6)
        self.internals_dock.setVisible(show_internals)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue(keys.PEN_WIDTH, self.canvas.pen_width())
        s.setValue(keys.INPUT_ZOOM, self.input_view.zoom())
        s.setValue(keys.GEOMETRY, self.saveGeometry())
        s.setValue(keys.WINDOW_STATE, self.saveState())
        s.setValue(keys.SHOW_F6, self.f6_dock.isVisibleTo(self))
        s.setValue(keys.SHOW_INTERNALS, self.internals_dock.isVisibleTo(self))
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)
