"""Model → Mistakes… and Model → Training Time-lapse…: learning from the network's mistakes and
watching it learn. `LearningWindows` makes the two actions (the window puts them in its Model
menu) and owns the windows; both get the window's `WindowContext`, and the time-lapse also which
weights are in use (their snapshots are beside them). The windows, and with them torch, are
imported when first opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from digitpad.gui.window_layout import keep_on_screen
from digitpad.gui.windows.model_dialogs import make_action
from digitpad.paths import default_pendigits_file
from digitpad.gui.windows.mistakes_window import MistakesWindow

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext
    from digitpad.gui.windows.model_dialogs import ModelDialogs
    from digitpad.gui.windows.retrain_dialog import RetrainDialog
    from digitpad.gui.windows.timelapse_window import TimelapseWindow


class LearningWindows(QObject):
    def __init__(self, context: WindowContext, model_dialogs: ModelDialogs, parent: QWidget):
        super().__init__(parent)
        self.context, self.parent_widget = context, parent
        self.weights_file = model_dialogs.current_weights_file
        model_dialogs.retrainDialogMade.connect(self._follow_runs)
        self.mistakes_window: MistakesWindow | None = None
        self.timelapse_window: TimelapseWindow | None = None
        self.mistakes_action = make_action(parent, "&Mistakes…", self.open_mistakes, "Ctrl+Shift+M",
                                           "Every example the model gets wrong or refuses, with a confusion matrix")
        self.timelapse_action = make_action(parent, "Training &Time-lapse…", lambda: self.open_timelapse(), "",
                                            "Watch the model in use learn: its kernels, answers and curves, "
                                            "snapshot by snapshot")

    def actions(self) -> list[QAction]:
        return [self.mistakes_action, self.timelapse_action]

    def open_mistakes(self) -> MistakesWindow:
        if self.mistakes_window is None:
            # A window of its own, not the main window's child: a child stays above the main window,
            # and at 1024×700 it covered the canvas a double-click had just put a mistake on.
            self.mistakes_window = MistakesWindow(self.context, default_pendigits_file() is not None)
            self.mistakes_window.opened.connect(lambda _caption: self._bring_forward(self.parent_widget.window()))
        self._bring_forward(self.mistakes_window)
        return self.mistakes_window

    @staticmethod
    def _bring_forward(window: QWidget) -> None:
        window.show()
        window.raise_()
        window.activateWindow()

    def _timelapse(self) -> TimelapseWindow:
        # torch: imported when the window first opens, not at start-up
        from digitpad.gui.windows.timelapse_window import TimelapseWindow

        if self.timelapse_window is None:
            self.timelapse_window = TimelapseWindow(self.context, self.parent_widget)
        return self.timelapse_window

    def open_timelapse(self, path: Path | None = None, live: bool = False) -> TimelapseWindow:
        """The time-lapse of the weights in use (or of the checkpoint `path`), or with `live` of
        the Retrain dialog's run (going or just finished)."""
        window = self._timelapse()
        if live:
            window.show_live()
        else:
            window.load_for(path or self.weights_file())
        window.show()
        keep_on_screen(window)
        window.raise_()
        return window

    def _follow_runs(self, dialog: RetrainDialog) -> None:
        """Every run of the Retrain dialog feeds the time-lapse as its snapshots are taken."""
        window = self._timelapse()
        dialog.trainingStarted.connect(window.start_live)
        dialog.snapshotTaken.connect(window.add_live_snapshot)
        dialog.epochFinished.connect(window.add_live_epoch)
        dialog.timelapseRequested.connect(lambda: self.open_timelapse(live=True))

    def shutdown(self) -> None:
        for window in (self.mistakes_window, self.timelapse_window):
            if window is not None:
                window.shutdown()
        if self.mistakes_window is not None:
            self.mistakes_window.close()  # no parent closes it with the main window
