"""Starting the desktop app, and the safety net that turns any uncaught exception into a message.

`run_gui(argv)` is what `digitpad` (no arguments) and `python -m digitpad gui` call.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from digitpad import __version__
from digitpad.gui.jobs.background import stop_all_jobs
from digitpad.gui.settings import APPLICATION
from digitpad.paths import user_data_dir
from digitpad.gui.startup_probe import StartupProbe
from digitpad.gui.main_window import MainWindow

log = logging.getLogger(__name__)

LOG_NAME = "digitpad.log"
#: Threads torch uses for recognition in the app (see run_gui).
TORCH_THREADS = 1
#: Set by benchmarks/startup.py (to the launch time): report start-up timings, then quit.
STARTUP_PROBE_ENV = "DIGITPAD_STARTUP_PROBE"
#: At exit, how long to wait for a model still loading in the background (seconds).
LOADER_EXIT_WAIT_S = 30

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def log_file() -> Path:
    return user_data_dir() / LOG_NAME


def write_crash_log(text: str) -> Path | None:
    """Append a traceback to the log; returns the file, or None if even that failed."""
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text.rstrip() + "\n\n")
        return path
    except OSError:
        return None


class ExceptionHook:
    """sys.excepthook while the app runs: log the traceback, tell the person, keep running.

    Exceptions raised in Qt slots and event handlers reach sys.excepthook in PySide6; without a
    hook they would only be printed to a terminal the person may not have.
    """

    def __init__(self, parent: Callable[[], QWidget | None] = lambda: None):
        self.parent_widget = parent
        self._previous: ExceptHook | None = None
        self._showing = False  # an exception while the box is open must not open a second one

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous or sys.__excepthook__

    def __call__(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        text = "".join(traceback.format_exception(kind, value, tb))
        log.error("uncaught exception:\n%s", text)
        path = write_crash_log(f"digitpad {__version__}\n{text}")
        if self._showing or QApplication.instance() is None:
            if sys.__stderr__ is not None:
                sys.__stderr__.write(text)
            return
        self._showing = True
        try:
            where = f"The details were written to {path}." if path else "The details could not be saved."
            QMessageBox.critical(self.parent_widget(), "digitpad: unexpected error",
                                 f"Something went wrong: {value}\n\n{where}\n\n"
                                 "digitpad keeps running, but you may want to save your work and restart it.")
        finally:
            self._showing = False


def make_application(argv: Sequence[str]) -> QApplication:
    app = QApplication.instance()
    if app is None:
        # No organisation name: Qt's AppDataLocation is then <data>/digitpad, the very folder
        # digitpad.paths.user_data_dir() names without Qt (the settings file is set explicitly).
        QCoreApplication.setApplicationName(APPLICATION)
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(argv))
    app.setApplicationDisplayName("digitpad")
    app.setApplicationVersion(__version__)
    return app


def run_gui(argv: Sequence[str] | None = None) -> int:
    """Create the application and the main window, and run until the window closes.

    The window is shown before torch is imported; the network is loaded by a background thread
    and recognises whatever was drawn in the meantime as soon as it is ready."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = make_application(argv if argv is not None else sys.argv[:1])

    # LeNet-5 on one input is far too small to gain from threads, and on a busy machine a second
    # OpenMP thread that is not scheduled makes each forward pass wait (1 ms becomes 80 ms). The
    # setting is process-wide (the loader thread sets it before the first inference): the
    # training worker raises it while it trains and restores it.
    window = MainWindow(load_model_in_background=True, torch_threads=TORCH_THREADS)
    app.aboutToQuit.connect(stop_all_jobs)  # cancel and join any training or download still running
    hook = ExceptionHook(lambda: window)
    hook.install()
    probe = None
    if os.environ.get(STARTUP_PROBE_ENV):
        probe = StartupProbe(window.context, os.environ[STARTUP_PROBE_ENV])
    try:
        window.show()
        if probe is not None:
            probe.window_shown()
        return app.exec()
    finally:
        hook.uninstall()
        stop_all_jobs()  # also one started as the app quit (after aboutToQuit), e.g. at the network's ready
        # Closed while torch was still being imported: let the import finish before the process
        # exits, or exit() runs torch's static destructors while its initialisers still run
        # (an abort). It cannot be interrupted; a loader that hangs is given up on.
        loader = window.model_control.loader
        if loader is not None and not loader.wait(LOADER_EXIT_WAIT_S):
            log.warning("the network was still loading after %d s; exiting anyway", LOADER_EXIT_WAIT_S)


if __name__ == "__main__":
    raise SystemExit(run_gui(sys.argv))
