"""The main window's QActions, canvas toolbar, status bar labels and file choosers, built in one place.

Kept apart from main_window.py so the window's module reads as behaviour (what happens when
the model, the drawing or an image changes) rather than as a long list of widget settings.
Nothing here knows the window: the actions are made unconnected and the window connects them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence, QValidator
from PySide6.QtWidgets import (QAbstractSpinBox, QFileDialog, QLabel, QMenu, QMenuBar, QSpinBox, QStatusBar, QToolBar,
                               QWidget)

from digitpad.app.drawing import MAX_PEN_WIDTH, MIN_PEN_WIDTH

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
    copy_drawing: QAction
    copy_input: QAction
    reset_layout: QAction


def _action(parent: QWidget, text: str, shortcuts=(), icon: str = "", tip: str = "") -> QAction:
    action = QAction(QIcon.fromTheme(icon) if icon else QIcon(), text, parent)
    sequences = []
    for shortcut in shortcuts:
        sequences += (QKeySequence.keyBindings(shortcut) if isinstance(shortcut, QKeySequence.StandardKey)
                      else [QKeySequence(shortcut)])
    action.setShortcuts(sequences)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    return action


def create_actions(parent: QWidget) -> WindowActions:
    """The window's actions with their texts, shortcuts and tips; `parent` connects them."""
    key = QKeySequence.StandardKey
    # The platform may define no Quit key (e.g. Windows, or offscreen): Ctrl+Q as a fallback.
    quit_keys = (key.Quit,) if QKeySequence.keyBindings(key.Quit) else ("Ctrl+Q",)
    return WindowActions(
        open_image=_action(parent, "&Open Image…", (key.Open,), "document-open",
                           "Recognise a digit from an image file (you can also drop files on the window)"),
        paste_image=_action(parent, "&Paste Image", (key.Paste,), "edit-paste", "Recognise the image on the clipboard"),
        save_drawing=_action(parent, "&Save Drawing As…", (key.SaveAs,), "document-save-as",
                             "Save the strokes as a PNG image"),
        export_input=_action(parent, "&Export Input…", ("Ctrl+E",), "",
                             "Save the 32×32 input the network sees as a PNG"),
        quit=_action(parent, "&Quit", quit_keys, "application-exit"),
        undo=_action(parent, "&Undo Stroke", (key.Undo,), "edit-undo", "Undo the last stroke"),
        redo=_action(parent, "&Redo Stroke", (key.Redo,), "edit-redo", "Redo the stroke"),
        clear=_action(parent, "&Clear", ("Esc", key.Delete), "edit-clear", "Clear the canvas (Esc or Delete)"),
        load_weights=_action(parent, "&Load Weights…", ("Ctrl+L",), "document-open",
                             "Use another LeNet-5 checkpoint"),
        revert_weights=_action(parent, "&Revert to Shipped Weights"),
        zoom_in=_action(parent, "Zoom &In on Input", (key.ZoomIn,), "zoom-in"),
        zoom_out=_action(parent, "Zoom &Out on Input", (key.ZoomOut,), "zoom-out"),
        how_it_works=_action(parent, "&How It Works", (key.HelpContents,), "help-contents"),
        about=_action(parent, "&About digitpad", (), "help-about"),
        about_qt=_action(parent, "About &Qt"),
        copy_drawing=_action(parent, "&Copy Drawing", (key.Copy,)),
        copy_input=_action(parent, "Copy &Input 32×32", ("Ctrl+Shift+C",)),
        reset_layout=_action(parent, "&Reset Layout", (), "",
                             "Default window size and panel arrangement, every panel shown"),
    )


def fill_file_and_edit_menus(bar: QMenuBar, a: WindowActions) -> QMenu:
    """The File and Edit menus, made of `a`'s actions; returns File → Open Recent (filled when shown)."""
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.open_image)
    recent_menu = file_menu.addMenu("Open &Recent")
    file_menu.addAction(a.paste_image)
    file_menu.addSeparator()
    file_menu.addActions([a.save_drawing, a.export_input])
    file_menu.addSeparator()
    file_menu.addAction(a.quit)
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([a.undo, a.redo, a.clear])
    edit_menu.addSeparator()
    edit_menu.addActions([a.copy_drawing, a.copy_input])
    return recent_menu


def build_zoom_actions(levels: list[int], parent: QWidget) -> tuple[QActionGroup, dict[int, QAction]]:
    """One checkable action per input zoom level, exclusive; the window connects them."""
    group = QActionGroup(parent)
    actions = {}
    for level in levels:
        actions[level] = QAction(f"{level}× ({32 * level} px)", parent, checkable=True)
        group.addAction(actions[level])
    return group, actions


class ClampingSpinBox(QSpinBox):
    """A spin box where a number typed past its maximum becomes the maximum (typing 80 in a
    box of 1–60 gives 60; a plain QSpinBox refused the 0 and silently kept 8)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def _typed_number(self, text: str) -> int | None:
        digits = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip()
        return int(digits) if digits.isdigit() and len(digits) <= len(str(self.maximum())) + 1 else None

    def validate(self, text: str, pos: int):
        state = super().validate(text, pos)
        number = self._typed_number(text)
        if number is not None and number > self.maximum():
            return QValidator.State.Intermediate, text, pos  # corrected to the maximum when done
        return state

    def fixup(self, text: str) -> str:
        number = self._typed_number(text)
        if number is not None and number > self.maximum():
            return f"{self.prefix()}{self.maximum()}{self.suffix()}"
        return super().fixup(text)


def build_canvas_toolbar(actions: WindowActions, pen_width: float, parent: QWidget) -> tuple[QToolBar, QSpinBox]:
    """The toolbar above the canvas: Undo, Redo, Clear and the pen width (the spin box is returned
    for the caller to connect)."""
    toolbar = QToolBar("Canvas", parent)
    toolbar.setObjectName("canvasToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action, short in ((actions.undo, "Undo"), (actions.redo, "Redo"), (actions.clear, "Clear")):
        action.setIconText(short)  # the menus say "Undo Stroke"; the toolbar has less room
        toolbar.addAction(action)
    toolbar.addSeparator()
    label = QLabel("Pen width ", toolbar)
    spin = ClampingSpinBox(toolbar)
    spin.setRange(int(MIN_PEN_WIDTH), int(MAX_PEN_WIDTH))
    spin.setSuffix(" px")
    spin.setValue(round(pen_width))
    spin.setToolTip(f"Width of the pen on the canvas, {int(MIN_PEN_WIDTH)}–{int(MAX_PEN_WIDTH)} px (more is taken "
                    "as the most; the network sees the digit at a normalised size)")
    spin.setAccessibleName("Pen width")
    label.setBuddy(spin)
    toolbar.addWidget(label)
    toolbar.addWidget(spin)
    return toolbar, spin


@dataclass
class StatusLabels:
    device: QLabel
    weights: QLabel
    timing: QLabel


def build_status_labels(bar: QStatusBar) -> StatusLabels:
    """The permanent labels at the right of the status bar: device, weights, recognition time."""
    bar.setSizeGripEnabled(True)
    labels = StatusLabels(QLabel("", bar), QLabel("", bar), QLabel("Recognition: —", bar))
    labels.device.setToolTip("Where the network runs (Model → Device)")
    # The weights' label holds a name the person typed at Adopt: shown as typed, never as HTML.
    for label in (labels.device, labels.weights):
        label.setTextFormat(Qt.TextFormat.PlainText)
    labels.timing.setToolTip("Time the last recognition took: rendering the 32×32 and the forward pass")
    # A fixed size: a label whose size changes makes the status bar (and the window with it)
    # lay out and repaint again, and this one changes on every recognition.
    labels.timing.setFixedSize(labels.timing.fontMetrics().horizontalAdvance("Recognition: 000.0 ms") + 6,
                               labels.timing.sizeHint().height())
    labels.timing.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    for widget in (labels.device, labels.weights, labels.timing):
        bar.addPermanentWidget(widget)
    bar.messageChanged.connect(lambda message: fit_status_message(bar, labels, message))
    return labels


def fit_status_message(bar: QStatusBar, labels: StatusLabels, message: str) -> None:
    """Make room for a message: the device and weights labels step aside while one is shown that
    would not fit beside them (messages were cut off at 1024 px), and its whole text is the bar's
    tooltip."""
    bar.setToolTip(message)
    beside = sum(label.sizeHint().width() + 12 for label in (labels.device, labels.weights, labels.timing))
    fits = not message or bar.fontMetrics().horizontalAdvance(message) + 24 <= bar.width() - beside
    for label in (labels.device, labels.weights):
        label.setVisible(fits)


def ask_weights_to_load(parent: QWidget, start: Path | None) -> Path | None:
    """A checkpoint file from the person (starting beside `start`), or None."""
    folder = str(start.parent) if start is not None else str(Path.home())
    path, _ = QFileDialog.getOpenFileName(parent, "Load Weights", folder, WEIGHTS_FILTER)
    return Path(path) if path else None
