"""The main window: canvas and answer on the left, input, F6 and internals in docks on the right.

Data flows one way. The canvas feeds the pen into a `digitpad.app.drawing.Drawing` (plain data, no
Qt); the window observes that drawing, hands its strokes (or opened image) to the `Recognizer`,
and gives the `Recognition` that comes back to every panel to draw. Recognition takes a few ms,
so it runs on the GUI thread, throttled by a timer while the pen moves.

This module imports no torch (a test checks it): the app shows the window first and loads the
network in the background (`load_model_in_background=True`, see gui/model_control.py). Until it
is ready the canvas works, the Model menu is disabled, and whatever is drawn or opened is
recognised the moment the network arrives.

The window is the only writer of its panels (input, F6, internals, prediction). Its features
(number mode, explanations, the unit trace, the Invariance Explorer) get a `WindowContext`
(gui/context.py), not the window, and emit what they want shown (number mode: `pieceShown`).

About 440 lines, over the ~400 aim: what remains is the wiring of every part and the writing of the
panels, which stay here on purpose; actions and menus are built in window_actions, the docks and
proportions in window_layout, what features may use in context.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.app.drawing import MAX_PEN_WIDTH, MIN_PEN_WIDTH, Change, Drawing
from digitpad.gui import settings as keys
from digitpad.gui.context import WindowContext
from digitpad.gui.learning_menu import LearningWindows
from digitpad.gui.widgets.canvas import DrawingCanvas
from digitpad.gui.widgets.focus_ring import with_focus_ring
from digitpad.gui.windows.help_dialogs import HowItWorksDialog, about_html
from digitpad.gui.explanations import Explanations
from digitpad.gui.panels.f6_panel import F6Panel
from digitpad.gui.image_io import ImageFiles
from digitpad.gui.panels.input_view import DEFAULT_ZOOM, ZOOM_LEVELS, InputView
from digitpad.gui.panels.internals_panel import InternalsPanel
from digitpad.gui.model_control import NOT_LOADED_TEXT, ModelControl
from digitpad.gui.windows.model_dialogs import ModelDialogs
from digitpad.gui.panels.number_mode import NumberMode
from digitpad.gui.panels.number_views import piece_by_piece_note
from digitpad.gui.panels.prediction_view import PredictionView
from digitpad.gui.settings import open_vetted_settings, read_bool, read_float, read_int
from digitpad.gui.teach_menu import TeachMenu
from digitpad.gui.window_actions import (build_canvas_toolbar, build_status_labels, build_zoom_actions, create_actions,
                                         fill_file_and_edit_menus)
from digitpad.gui.window_layout import WindowLayout, make_dock, scrollable
from digitpad.ink.normalise import EmptyDrawing
from digitpad.ink.strokes import render_strokes

if TYPE_CHECKING:
    import numpy as np

    from digitpad.app.model_session import ModelSession
    from digitpad.reading.recognition import Recognition, Recognizer

log = logging.getLogger(__name__)

#: While the pen moves, recognise at most this often (ms); on release, at once.
RECOGNITION_INTERVAL_MS = 35


class MainWindow(QMainWindow):
    """digitpad's window. `drawing` is what is on the canvas; `session` the current model,
    checkpoint and Recognizer; other actions can join the Model menu through `add_model_action`.

    By default the network is loaded in the constructor, so `session` is ready when it returns
    (tests, benchmarks, embedding). With `load_model_in_background=True` (the app) it is loaded
    by a background thread: `session` is None and `model_ready` False until `context.modelReady`
    (or `modelFailed`) is emitted. `torch_threads`, if given, is set before the first inference.
    The window's signals are its context's (gui/context.py): modelChanged, modelReady, modelFailed
    and recognized."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None, *,
                 load_model_in_background: bool = False, torch_threads: int | None = None):
        super().__init__(parent)
        self.setWindowTitle("digitpad")
        self.setObjectName("digitpadMainWindow")
        self.setAcceptDrops(True)
        settings_note = None
        if settings is None:
            settings, settings_note = open_vetted_settings()
        self.settings = settings
        self._recognition: Recognition | None = None

        self.drawing = Drawing()
        self.canvas = DrawingCanvas(self.drawing, self)
        self.prediction_view = PredictionView(self)
        self.input_view = InputView(self)
        self.f6_panel = F6Panel(parent=self)
        self.internals_panel = InternalsPanel(self)
        # Every panel is reached by Tab (in this order) and shows a ring while its keys are
        # live: digits go to the panel with the focus (F6: compare; pieces: correct), never to
        # a box the person left (they landed in the pen width).
        for panel in (self.canvas, self.prediction_view, self.input_view.pixels, self.f6_panel, self.internals_panel):
            with_focus_ring(panel)

        self._recognition_timer = QTimer(self)
        self._recognition_timer.setSingleShot(True)
        self._recognition_timer.setInterval(RECOGNITION_INTERVAL_MS)
        self._recognition_timer.timeout.connect(self.recognize_now)

        self.window_actions = create_actions(self)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(8, 4, 8, 8)
        column.setSpacing(6)
        toolbar, self.pen_width_spin = build_canvas_toolbar(self.window_actions, self.drawing.pen_width, central)
        self.canvas_toolbar = toolbar
        self.pen_width_spin.valueChanged.connect(self.set_pen_width)
        column.addWidget(toolbar)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.prediction_view)
        self.setCentralWidget(central)
        self._build_docks()
        labels = build_status_labels(self.statusBar())
        self.device_status, self.weights_status, self.timing_status = labels.device, labels.weights, labels.timing
        self.image_files = ImageFiles(self.drawing, self.canvas.render_drawing, self.input_view.image,
                                      self.show_status, self,
                                      settings=self.settings, current_digit=self._shown_digit)
        self.model_control = ModelControl(self.settings, labels, self.show_status, self)
        if settings_note:
            self.model_control.startup_notes.append(settings_note)
        self.model_control.changed.connect(self._on_model_changed)
        self.model_control.failed.connect(self._on_model_failed)
        self._connect_actions()
        self.model_dialogs = ModelDialogs(self.model_control, self)  # Retrain…, Weights History…, Export…
        self.teach_menu = TeachMenu(self.drawing, self.show_status, self)
        # What the features below get of the window (gui/context.py); they never write its panels.
        self.context = WindowContext(self.drawing, self.canvas, recognizer=lambda: self.recognizer,
                                     last_recognition=lambda: self._recognition, show_status=self.show_status,
                                     sample_changes=self.teach_menu.changes, parent=self)
        self.model_control.ready.connect(self.context.modelReady)
        # Number mode (gui/panels/number_mode.py): its toggle, boxes over the canvas and the pieces dock.
        self.number_mode = NumberMode(self.context, self)
        self.teach_menu.selected_piece = self.number_mode.selected_piece_sample  # Teach keeps the piece shown
        self.number_mode.readingShown.connect(lambda _: self._show_prediction())
        self.number_mode.pieceShown.connect(self._show_piece)
        self.context.set_piece_source(self.number_mode.shown_piece_source)  # Why? and the others look at it
        toolbar.addAction(self.number_mode.action)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.number_mode.dock)
        # Why it decided (gui/explanations.py): attribution dock and overlay, explorer, unit trace.
        self.explanations = Explanations(self.context, self)
        # Model → Mistakes… and Training Time-lapse… (gui/learning_menu.py).
        self.learning = LearningWindows(self.context, self.model_dialogs, self)
        self.f6_panel.pinned.connect(self.explanations.pick_class)
        self.f6_panel.unitClicked.connect(lambda unit: self.explanations.open_trace("f6", unit))
        self.internals_panel.unitClicked.connect(self.explanations.open_trace)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.explanations.dock)
        self.window_layout.add_side_panels([(self.explanations.dock, lambda: False),
                                            (self.number_mode.dock, lambda: self.number_mode.active)])
        self._build_menus()
        self.drawing.subscribe(self._on_drawing_changed)
        self._update_edit_actions()

        self._restore_settings()
        for button in self.canvas_toolbar.findChildren(QToolButton):  # Undo, Redo, Clear, Number: by Tab too
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.canvas.setFocus()  # the keys start at the canvas, not in the first box of the toolbar
        # Saved when the person toggles a panel, not only on close (a crash must not forget it).
        # `triggered`, not `toggled`: Qt also unchecks these actions when the window hides.
        self.f6_dock.toggleViewAction().triggered.connect(lambda shown: self.settings.setValue(keys.SHOW_F6, shown))
        self.internals_dock.toggleViewAction().triggered.connect(
            lambda shown: self.settings.setValue(keys.SHOW_INTERNALS, shown))
        self.model_control.start(load_model_in_background, torch_threads)

    def _connect_actions(self) -> None:
        a = self.window_actions
        files = self.image_files
        for action, slot in ((a.open_image, files.ask_open_image), (a.paste_image, files.paste_image),
                             (a.save_drawing, files.ask_save_drawing), (a.export_input, files.ask_export_input),
                             (a.quit, self.close), (a.undo, self.drawing.undo), (a.redo, self.drawing.redo),
                             (a.clear, self.drawing.clear), (a.load_weights, self.model_control.ask_load_weights),
                             (a.revert_weights, self.model_control.revert_to_shipped_weights),
                             (a.zoom_in, lambda: self.step_input_zoom(1)),
                             (a.zoom_out, lambda: self.step_input_zoom(-1)),
                             (a.how_it_works, lambda: HowItWorksDialog(self).exec()),
                             (a.about, lambda: QMessageBox.about(self, "About digitpad", about_html())),
                             (a.about_qt, QApplication.aboutQt), (a.copy_drawing, files.copy_drawing),
                             (a.copy_input, files.copy_input), (a.reset_layout, self.window_layout.reset)):
            action.triggered.connect(slot)

    # ---- layout ----------------------------------------------------------------------------
    def _build_docks(self) -> None:
        # The input scrolls when a big zoom does not fit; F6 never scrolls (gui/window_layout.py).
        self.input_dock = make_dock(self, "Network input · 32×32", "inputDock", scrollable(self.input_view),
                                    "&Input 32×32")
        self.f6_dock = make_dock(self, "F6 and the RBF prototypes", "f6Dock", self.f6_panel, "&F6 Panel")
        self.internals_dock = make_dock(self, "Internals · feature maps", "internalsDock", self.internals_panel,
                                        "I&nternals Panel")
        self.window_layout = WindowLayout(self, self.input_dock, self.f6_dock, self.internals_dock,
                                          self.input_view, self.f6_panel)
        self.window_layout.arrange_default()

    def _build_menus(self) -> None:
        a = self.window_actions
        bar = self.menuBar()
        self.recent_menu = fill_file_and_edit_menus(bar, a)
        self.recent_menu.aboutToShow.connect(lambda: self.image_files.fill_recent_menu(self.recent_menu))

        # Everything in the Model menu needs the network: disabled until it is loaded.
        self.model_menu: QMenu = bar.addMenu("&Model")
        self._model_menu_anchor = self.model_menu.addSeparator()
        self.model_menu.addMenu(self.model_control.device_menu)
        for action in [a.load_weights, a.revert_weights] + self.model_dialogs.actions() + self.learning.actions():
            self.add_model_action(action)

        bar.addMenu(self.teach_menu)

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.f6_dock.toggleViewAction(), self.internals_dock.toggleViewAction(),
                              self.input_dock.toggleViewAction()])
        view_menu.addActions([self.number_mode.action, self.number_mode.dock.toggleViewAction()])
        view_menu.addAction(a.reset_layout)
        view_menu.addSeparator()
        view_menu.addActions(self.explanations.actions())
        view_menu.addSeparator()
        view_menu.addActions([a.zoom_in, a.zoom_out])
        zoom_menu = view_menu.addMenu("Input &Zoom")
        self.zoom_group, self.zoom_actions = build_zoom_actions(ZOOM_LEVELS, self)
        for level, action in self.zoom_actions.items():
            action.triggered.connect(lambda _=False, z=level: self.set_input_zoom(z))
            zoom_menu.addAction(action)

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([a.how_it_works, a.about, a.about_qt])

    def add_model_action(self, action: QAction) -> None:
        """Insert an action (e.g. "Retrain…") into the Model menu, above the Device submenu.
        Like the whole Model menu, it is enabled only while a network is loaded."""
        self.model_menu.insertAction(self._model_menu_anchor, action)
        self.model_control.needs_model(action)

    # ---- the model ---------------------------------------------------------------------------
    @property
    def session(self) -> ModelSession | None:
        """The current model, checkpoint and Recognizer; None while the network loads."""
        return self.model_control.session

    @property
    def model_ready(self) -> bool:
        """True once the network is loaded (always, unless it is loaded in the background)."""
        return self.model_control.model_ready

    @property
    def recognizer(self) -> Recognizer | None:
        """The current model's Recognizer (changes when weights or the device change)."""
        return self.model_control.recognizer

    def _on_model_changed(self) -> None:
        # The F6 panel draws the RBF weights this model holds, not the bitmaps on disk.
        self.f6_panel.set_prototypes(self.session.model.prototypes.detach().cpu().numpy())
        self.recognize_now()
        self.context.modelChanged.emit()

    def _on_model_failed(self, message: str) -> None:
        """No network at all (e.g. torch cannot be imported): say so once; drawing goes on."""
        self.recognize_now()
        self.context.modelFailed.emit(message)  # before the modal box, which blocks until it is closed
        QMessageBox.critical(self, "digitpad: no neural network",
                             f"{NOT_LOADED_TEXT}.\n\n{message}\n\nYou can still draw, open and save images, "
                             "but nothing will be recognised until digitpad is started again with this fixed.")

    # ---- recognition -------------------------------------------------------------------------
    def _on_drawing_changed(self, change: Change) -> None:
        if change is Change.GROWING:
            if not self._recognition_timer.isActive():
                self._recognition_timer.start()  # not restarted by later moves: a steady rate
            if len(self.drawing.current_stroke or ()) > 1:
                return  # only the first point of a stroke can change what the edit actions offer
        elif change is Change.EDITED:
            self._recognition_timer.stop()
            self.recognize_now()
        elif change is Change.PEN:
            if self.pen_width_spin.value() != round(self.drawing.pen_width):
                self.pen_width_spin.setValue(round(self.drawing.pen_width))
            if not self.drawing.is_empty():
                self.recognize_now()
        self._update_edit_actions()

    def recognize_now(self) -> Recognition | None:
        """Recognise the drawing (or the opened image) and show it everywhere. Without a network
        yet, say that the drawing waits for it (it is recognised when it arrives)."""
        if self.session is None:
            self._show(None)  # the prediction view says it waits for the network
            waiting_input = self._input_without_model()
            self.input_view.set_array(waiting_input)
            self.window_actions.export_input.setEnabled(waiting_input is not None)
            return None
        recognition = None
        try:
            if self.drawing.image is not None:
                recognition = self.recognizer.recognize_array(self.drawing.image.input,
                                                              too_small=self.drawing.image.too_small)
            elif not self.drawing.is_empty():
                # The canvas size decides "too small" (the strokes are in its pixels).
                recognition = self.recognizer.recognize_strokes(self.drawing.strokes(), self.drawing.pen_width,
                                                                self.canvas.drawing_size())
        except EmptyDrawing:
            recognition = None
        self._show(recognition)
        return recognition

    def _input_without_model(self) -> np.ndarray | None:
        """The 32×32 network input of what is shown (preprocessing needs no torch), or None."""
        if self.drawing.image is not None:
            return self.drawing.image.input
        if self.drawing.is_empty():
            return None
        try:
            return render_strokes(self.drawing.strokes(), self.drawing.pen_width)
        except EmptyDrawing:
            return None

    def _show(self, recognition: Recognition | None) -> None:
        """Show the whole drawing's recognition in every panel (the only place they are written,
        with `_show_piece`); in number mode the input, F6 and internals panels keep its piece."""
        self._recognition = recognition
        self._show_prediction()
        if not self.number_mode.active:
            self._show_input(recognition)
        self.timing_status.setText("Recognition: —" if recognition is None
                                   else f"Recognition: {1000 * recognition.seconds:.1f} ms")
        self.window_actions.export_input.setEnabled(recognition is not None)
        self.context.recognized.emit(recognition)

    def _show_prediction(self) -> None:
        """The prediction view: the drawing's verdict, or in number mode a note on the number."""
        number_mode, recognition = self.number_mode, self._recognition
        if number_mode.active and (recognition is not None or number_mode.reading is not None):
            # The drawing is read piece by piece: its single-digit verdict ("Not a digit") would
            # contradict the number beside it. Number mode says what it read when it is done.
            self.prediction_view.show_note(piece_by_piece_note(number_mode.reading))
        elif self.session is None and (self.drawing.image is not None or not self.drawing.is_empty()):
            self.prediction_view.show_waiting(self.model_control.waiting_text())
        else:
            self.prediction_view.show_recognition(recognition)

    def _show_input(self, recognition: Recognition | None) -> None:
        """One 32×32 input's recognition in the input, F6 and internals panels."""
        self.input_view.set_array(None if recognition is None else recognition.input)
        self.f6_panel.show_recognition(recognition)
        self.internals_panel.show_recognition(recognition)
        self.context.input_shown(recognition)

    def _show_piece(self, recognition: Recognition | None, chosen: bool) -> None:
        """Number mode's selected piece in the panels that show one 32×32 input (never the whole
        number squashed into one), and in the prediction panel when a person picked it; None: no
        piece, the drawing's own recognition."""
        if recognition is None:
            self._show_input(self._recognition)
            self._show_prediction()
            return
        if chosen:
            self.prediction_view.show_recognition(recognition)
        self._show_input(recognition)

    @property
    def last_recognition(self) -> Recognition | None:
        return self._recognition

    # ---- images in and out (gui/image_io.py) -------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.image_files.accepts_drop(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.image_files.drop(event.mimeData())
        event.acceptProposedAction()

    # ---- view ------------------------------------------------------------------------------------
    def set_input_zoom(self, zoom: int) -> None:
        zoom = min(ZOOM_LEVELS, key=lambda level: abs(level - zoom))
        self.input_view.set_zoom(zoom)
        self.zoom_actions[zoom].setChecked(True)
        self.settings.setValue(keys.INPUT_ZOOM, zoom)
        self.window_layout.fit_soon()  # the input takes what the zoom needs, F6 the rest

    def step_input_zoom(self, steps: int) -> None:
        index = ZOOM_LEVELS.index(self.input_view.zoom()) if self.input_view.zoom() in ZOOM_LEVELS else 0
        self.set_input_zoom(ZOOM_LEVELS[min(max(index + steps, 0), len(ZOOM_LEVELS) - 1)])

    def set_pen_width(self, width: float) -> None:
        self.drawing.set_pen_width(width)  # the spin box and the recognition follow the drawing
        self.settings.setValue(keys.PEN_WIDTH, self.drawing.pen_width)

    def _update_edit_actions(self) -> None:
        a = self.window_actions
        a.undo.setEnabled(self.drawing.can_undo())
        a.redo.setEnabled(self.drawing.can_redo())
        a.clear.setEnabled(not self.drawing.is_empty() or self.drawing.image is not None)
        a.save_drawing.setEnabled(not self.drawing.is_empty())

    def _shown_digit(self) -> int | None:
        """The recognised digit, for suggested file names (drawing-7.png)."""
        r = self._recognition
        return None if r is None or r.rejected else r.digit

    def show_status(self, message: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(message, timeout_ms)

    # ---- settings --------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        self.set_pen_width(read_float(s, keys.PEN_WIDTH, self.drawing.pen_width, MIN_PEN_WIDTH, MAX_PEN_WIDTH))
        self.set_input_zoom(read_int(s, keys.INPUT_ZOOM, DEFAULT_ZOOM, 1, 100))
        show_f6, show_internals = read_bool(s, keys.SHOW_F6, True), read_bool(s, keys.SHOW_INTERNALS, True)
        self.window_layout.restore(s, keys.GEOMETRY, keys.WINDOW_STATE)  # each part only if valid here
        self.f6_dock.setVisible(show_f6)
        self.internals_dock.setVisible(show_internals)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue(keys.PEN_WIDTH, self.drawing.pen_width)
        s.setValue(keys.INPUT_ZOOM, self.input_view.zoom())
        self.window_layout.save(s, keys.GEOMETRY, keys.WINDOW_STATE)
        s.setValue(keys.SHOW_F6, self.f6_dock.isVisibleTo(self))
        s.setValue(keys.SHOW_INTERNALS, self.internals_dock.isVisibleTo(self))
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Changes to the samples file are saved first (closing waits for them; a queued Teach was
        # dropped). A training run or a new model waiting for Adopt is asked about then; Cancel (or
        # No) keeps the window and the model (closing used to quit whatever was answered).
        if not self.teach_menu.may_close(self.close) or not self.model_dialogs.may_close():
            event.ignore()
            return
        self.save_settings()
        self.model_dialogs.shutdown()  # stop and join any training or download
        self.model_control.shutdown()  # and any weights still being read
        self.teach_menu.shutdown()  # and a sample waiting for the samples file's lock
        self.number_mode.shutdown()
        self.explanations.shutdown()
        self.learning.shutdown()
        super().closeEvent(event)
