"""The main window's QActions, canvas toolbar and status bar, built in one place.

Kept apart from main_window.py so the window's module reads as behaviour (what happens when
the model, the drawing or an image changes) rather than as a long list of widget settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QLabel, QMessageBox, QSpinBox, QToolBar, QWidget)

from digitpad.gui.canvas import MAX_PEN_WIDTH, MIN_PEN_WIDTH
from digitpad.gui.image_io import IMAGE_FILTER, save_png

if TYPE_CHECKING:
    from digitpad.gui.main_window import MainWindow

WEIGHTS_FILTER = "LeNet-5 weights (*.pt *.pth);;All files (*)"


@dataclass
class WindowActions:
    open_image: QAction
    paste_image: QAction
    save_drawing: QAction
    export_input: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    clear: QAction
    load_weights: QAction
    revert_weights: QAction
    zoom_in: QAction
    zoom_out: QAction
    how_it_works: QAction
    about: QAction
    about_qt: QAction


def _action(window: QWidget, text: str, slot, shortcuts=(), icon: str = "", tip: str = "") -> QAction:
    action = QAction(QIcon.fromTheme(icon) if icon else QIcon(), text, window)
    sequences = []
    for shortcut in shortcuts:
        sequences += (QKeySequence.keyBindings(shortcut) if isinstance(shortcut, QKeySequence.StandardKey)
                      else [QKeySequence(shortcut)])
    action.setShortcuts(sequences)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def _documents_dir() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation) or str(Path.home())


def build_actions(window: MainWindow) -> WindowActions:
    key = QKeySequence.StandardKey
    # The platform may define no Quit key (e.g. Windows, or offscreen): Ctrl+Q as a fallback.
    quit_keys = (key.Quit,) if QKeySequence.keyBindings(key.Quit) else ("Ctrl+Q",)
    return WindowActions(
        open_image=_action(window, "&Open Image…", lambda: _ask_open_image(window), (key.Open,), "document-open",
                           "Recognise a digit from an image file (you can also drop files on the window)"),
        paste_image=_action(window, "&Paste Image", window.paste_image, (key.Paste,), "edit-paste",
                            "Recognise the image on the clipboard"),
        save_drawing=_action(window, "&Save Drawing As…", lambda: _ask_save_drawing(window), (key.SaveAs,),
                             "document-save-as", "Save the strokes as a PNG image"),
        export_input=_action(window, "&Export Input…", lambda: _ask_export_input(window), ("Ctrl+E",), "",
                             "Save the 32×32 input the network sees as a PNG"),
        quit=_action(window, "&Quit", window.close, quit_keys, "application-exit"),
        undo=_action(window, "&Undo Stroke", window.canvas.undo, (key.Undo,), "edit-undo", "Undo the last stroke"),
        redo=_action(window, "&Redo Stroke", window.canvas.redo, (key.Redo,), "edit-redo", "Redo the stroke"),
        clear=_action(window, "&Clear", window.canvas.clear, ("Esc", key.Delete), "edit-clear",
                      "Clear the canvas (Esc or Delete)"),
        load_weights=_action(window, "&Load Weights…", lambda: _ask_load_weights(window), ("Ctrl+L",),
                             "document-open", "Use another LeNet-5 checkpoint"),
        revert_weights=_action(window, "&Revert to Shipped Weights", window.revert_to_shipped_weights),
        zoom_in=_action(window, "Zoom &In on Input", lambda: window.step_input_zoom(1), (key.ZoomIn,), "zoom-in"),
        zoom_out=_action(window, "Zoom &Out on Input", lambda: window.step_input_zoom(-1), (key.ZoomOut,),
                         "zoom-out"),
        how_it_works=_action(window, "&How It Works", window.show_how_it_works, (key.HelpContents,), "help-contents"),
        about=_action(window, "&About digitpad", window.show_about, (), "help-about"),
        about_qt=_action(window, "About &Qt", QApplication.aboutQt),
    )


def build_canvas_toolbar(window: MainWindow, parent: QWidget) -> QToolBar:
    toolbar = QToolBar("Canvas", parent)
    toolbar.setObjectName("canvasToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    a = window.window_actions
    for action, short in ((a.undo, "Undo"), (a.redo, "Redo"), (a.clear, "Clear")):
        action.setIconText(short)  # the menus say "Undo Stroke"; the toolbar has less room
        toolbar.addAction(action)
    toolbar.addSeparator()
    label = QLabel("Pen width ", toolbar)
    spin = QSpinBox(toolbar)
    spin.setRange(int(MIN_PEN_WIDTH), int(MAX_PEN_WIDTH))
    spin.setSuffix(" px")
    spin.setValue(round(window.canvas.pen_width()))
    spin.setToolTip("Width of the pen on the canvas (the network sees the digit at a normalised size)")
    spin.setAccessibleName("Pen width")
    label.setBuddy(spin)
    spin.valueChanged.connect(window.set_pen_width)
    toolbar.addWidget(label)
    toolbar.addWidget(spin)
    window.pen_width_spin = spin
    return toolbar


def build_status_bar(window: MainWindow) -> None:
    bar = window.statusBar()
    bar.setSizeGripEnabled(True)
    window.device_status = QLabel("", bar)
    window.device_status.setToolTip("Where the network runs (Model → Device)")
    window.weights_status = QLabel("", bar)
    window.timing_status = QLabel("Recognition: —", bar)
    window.timing_status.setToolTip("Time the last recognition took: rendering the 32×32 and the forward pass")
    window.timing_status.setMinimumWidth(window.timing_status.fontMetrics().horizontalAdvance("Recognition: 000.0 ms") + 6)
    window.timing_status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    for widget in (window.device_status, window.weights_status, window.timing_status):
        bar.addPermanentWidget(widget)


def _ask_open_image(window: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open Image", _documents_dir(), IMAGE_FILTER)
    if path:
        window.open_image(path)


def _ask_load_weights(window: MainWindow) -> None:
    if not window.require_model():
        return
    start = str(window.session.weights_file.parent) if window.session.weights_file else str(Path.home())
    path, _ = QFileDialog.getOpenFileName(window, "Load Weights", start, WEIGHTS_FILTER)
    if path:
        window.load_weights_file(path)


def _ask_save_path(window: MainWindow, title: str, name: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(window, title, str(Path(_documents_dir()) / name), "PNG images (*.png)")
    if not path:
        return None
    path = Path(path)
    return path if path.suffix else path.with_suffix(".png")


def _ask_save_drawing(window: MainWindow) -> None:
    path = _ask_save_path(window, "Save Drawing As", "digit.png")
    if path is not None:
        save_drawing(window, path)


def _ask_export_input(window: MainWindow) -> None:
    path = _ask_save_path(window, "Export Input", "input-32x32.png")
    if path is not None:
        export_input(window, path)


def save_drawing(window: MainWindow, path: Path) -> bool:
    try:
        save_png(window.canvas.render_drawing(), path)
    except OSError as exc:
        QMessageBox.critical(window, "Cannot save the drawing", str(exc))
        return False
    window.statusBar().showMessage(f"Saved the drawing to {path}", 5000)
    return True


def export_input(window: MainWindow, path: Path) -> bool:
    image = window.input_view.image()
    if image is None:
        window.statusBar().showMessage("Nothing to export: draw a digit first", 5000)
        return False
    try:
        save_png(image, path)
    except OSError as exc:
        QMessageBox.critical(window, "Cannot export the input", str(exc))
        return False
    window.statusBar().showMessage(f"Saved the 32×32 input to {path}", 5000)
    return True
