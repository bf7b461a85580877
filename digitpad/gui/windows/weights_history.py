"""Model → Weights History…: the checkpoints adopted from retraining, newest first, with their
metadata; switch to one, delete one (after confirmation), or go back to the shipped weights.
Other shipped weights (those that also learnt real pen strokes) are listed after them, to use but
not to delete.

Reading a checkpoint (torch.load, the metadata checks, a probe forward pass) takes tens of
milliseconds, so the list is filled in by a `HistoryLoadWorker` in a `BackgroundJob`
(gui/jobs/background.py): the rows appear at once as "Loading…" and fill in one by one. Files already
read, and unchanged since, are not read again when the list is refreshed.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.gui.window_layout import screen_area
from digitpad.storage.checkpoints import Checkpoint, load_checkpoint
from digitpad.errors import WeightsError
from digitpad.storage.adopted_weights import history_files
from digitpad.storage.snapshots import snapshots_path

log = logging.getLogger(__name__)

COLUMNS = ("Date", "Name", "Test error", "Epochs", "Optimizer", "Training data", "File")
LOADING_TEXT = "Loading…"


@dataclass
class HistoryEntry:
    path: Path
    checkpoint: Checkpoint | None   # None while it is being read, or when the file cannot be used
    problem: str = ""
    loading: bool = False
    shipped: bool = False           # shipped with digitpad: can be used, never deleted

    def cells(self) -> list[str]:
        file = self.path.name + (" (shipped)" if self.shipped else "")
        if self.loading:
            return [LOADING_TEXT, "", "", "", "", "", file]
        if self.checkpoint is None:
            return ["?", "", "unusable", "", "", self.problem, file]
        c = self.checkpoint
        error = c.test_error
        metrics, config = c.metrics, c.config
        data = "MNIST"
        if metrics.fine_tuned:
            data = "fine-tuned on MNIST"
        if metrics.pen_digits:
            data += " + real pen strokes"
        if metrics.extra_samples:
            data += f" + {_count(metrics.extra_samples)} of my samples"
        # The images the run actually had (a limit of 24,000 on the 5,000 shipped ones used 5,000).
        if metrics.train_images is not None:
            data += f" ({_count(metrics.train_images)} images)"
        elif config.get("train_limit"):
            data += f" (first {_count(config['train_limit'])})"
        tested = f" (of {_count(config['test_limit'])})" if config.get("test_limit") else ""
        optimizer = config.get("optimizer")
        return [local_time(c.created), (metrics.name or "")[:80],
                "–" if error is None else f"{100 * error:.2f}%{tested}",
                _epochs(metrics, config),
                {"adam": "Adam", "sdlm": "SDLM"}.get(optimizer, "?") if isinstance(optimizer, str) else "?",
                data, file]


def _epochs(metrics, config: dict) -> str:
    """'6', or '4 of 6' when the run kept an earlier epoch's weights (keep_best_epoch), counted
    over both stages of a two-stage recipe."""
    total = _count(metrics.epochs if metrics.epochs is not None else config.get("epochs", "?"))
    if metrics.kept_epoch is None:
        return total
    before = metrics.first_stage.epochs if metrics.first_stage is not None and metrics.first_stage.epochs else 0
    return f"{_count(before + metrics.kept_epoch)} of {total}"


def _count(value) -> str:
    """A count from a checkpoint's metadata, as people read it (whatever type a file put there)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)[:20]


def local_time(iso: str) -> str:
    try:
        return _dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return iso or "?"


def read_entry(path: Path) -> HistoryEntry:
    """One file of the history, read and validated (any thread); an unusable file is listed with
    its problem, never raised."""
    try:
        return HistoryEntry(path, load_checkpoint(path))
    except Exception as exc:  # WeightsError, or anything else one odd file causes: listed, not fatal
        if not isinstance(exc, WeightsError):
            log.exception("could not read %s", path)
        reason = str(exc).split(": ", 1)[-1] if isinstance(exc, WeightsError) else type(exc).__name__
        return HistoryEntry(path, None, reason[:200])


def _file_state(path: Path) -> tuple[int, int, int] | None:
    """What tells a file from the one read earlier (an adopted file is replaced, never edited)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class HistoryLoadWorker(Worker):
    """Reads the history's files one by one, reporting each as it is read; `finished` carries
    the refresh's number. Cancelled between files."""

    entryLoaded = Signal(int, int, object, object)  # refresh number, row, HistoryEntry, the file's state read

    failure_log = "could not read the weights history"

    def __init__(self, refresh: int, rows: list[tuple[int, Path]]):
        super().__init__()
        self.refresh, self.rows = refresh, rows

    def work(self) -> int:
        for row, path in self.rows:
            self.check_cancelled()
            state = _file_state(path)  # before reading: a file replaced meanwhile is read again next time
            self.entryLoaded.emit(self.refresh, row, read_entry(path), state)
        return self.refresh


class WeightsHistoryDialog(QDialog):
    """`current()` says which file is in use (None: shipped or other); `useRequested(Path)` and
    `revertRequested()` ask the window to switch, `deleted(Path)` reports a removed file."""

    useRequested = Signal(object)
    revertRequested = Signal()
    deleted = Signal(object)
    loaded = Signal()  # every row of the list has been read

    def __init__(self, folder: Callable[[], Path], current: Callable[[], Path | None], parent: QWidget | None = None,
                 shipped: Callable[[], list[Path]] = list, shipped_note: str = "other weights shipped with digitpad"):
        super().__init__(parent)
        self.setWindowTitle("Weights History")
        self._folder, self._current, self._shipped = folder, current, shipped
        self._shipped_note = shipped_note  # what the shipped files listed last are, said by who lists them
        self.entries: list[HistoryEntry] = []
        self._read: dict[Path, tuple[tuple[int, int, int], HistoryEntry]] = {}  # files read, and their state then
        self._refresh_count = 0
        self._job: BackgroundJob | None = None
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Every column as wide as its text (the file's name was elided by a stretched last column);
        # the dialog widens to show them all, as far as the screen allows (`_fit_width`).
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())
        self.use_button = QPushButton("Use These Weights", self)
        self.use_button.clicked.connect(self.use_selected)
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.revert_button = QPushButton("Revert to Shipped Weights", self)
        self.revert_button.clicked.connect(self.revertRequested.emit)
        self.revert_button.clicked.connect(self.refresh)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.use_button, self.delete_button, self.revert_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(820, 360)
        self.refresh()

    def refresh(self) -> None:
        """List the folder's files now; the ones not read yet are read in the background."""
        self._refresh_count += 1
        if self._job is not None:
            self._job.cancel()  # what it still reports is for an older list, and ignored
            self._job = None
        folder = self._folder()
        adopted = history_files(folder)
        shipped = [path for path in self._shipped() if path.is_file()]
        files = adopted + shipped
        self._read = {path: known for path, known in self._read.items() if path in files}  # not deleted ones
        self.entries, to_read = [], []
        for row, path in enumerate(files):
            state, (read_state, entry) = _file_state(path), self._read.get(path, (None, None))
            if entry is None or state is None or state != read_state:
                entry = HistoryEntry(path, None, loading=True)
                to_read.append((row, path))
            entry.shipped = row >= len(adopted)
            self.entries.append(entry)
        self.table.setRowCount(len(self.entries))
        for row in range(len(self.entries)):
            self._show_row(row)
        self.intro.setText((f"Weights you adopted after retraining, kept in {folder}." if adopted else
                            "No adopted weights yet: Model → Retrain… trains new ones, and Adopt keeps them here.")
                           + (f" Listed last: {self._shipped_note}." if shipped else ""))
        self._update_buttons()
        if not to_read:
            self._fit_width()
            self.loaded.emit()
            return
        job = BackgroundJob(HistoryLoadWorker(self._refresh_count, to_read), "digitpad-weights-history")
        # Queued: the worker emits from its own thread; these slots run on the GUI thread.
        job.worker.entryLoaded.connect(self._entry_loaded, Qt.ConnectionType.QueuedConnection)
        job.worker.finished.connect(self._all_loaded, Qt.ConnectionType.QueuedConnection)
        self._job = job
        job.start()

    def is_loading(self) -> bool:
        """Whether some rows are still being read."""
        return any(entry.loading for entry in self.entries)

    def _entry_loaded(self, refresh: int, row: int, entry: HistoryEntry, state: tuple[int, int, int] | None) -> None:
        if refresh != self._refresh_count or row >= len(self.entries) or self.entries[row].path != entry.path:
            return
        entry.shipped = self.entries[row].shipped
        if state is not None:
            self._read[entry.path] = (state, entry)
        self.entries[row] = entry
        self._show_row(row)
        self._update_buttons()

    def _all_loaded(self, refresh: int) -> None:
        if refresh == self._refresh_count:
            self._job = None
            self._fit_width()
            self.loaded.emit()

    def _fit_width(self) -> None:
        """Widen the dialog until every column shows whole, within the screen's available width."""
        header = self.table.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        needed = header.length() + 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        missing = needed - self.table.viewport().width()
        if missing > 0:
            area = screen_area(self)
            self.resize(min(self.width() + missing, area.width()), self.height())
            if self.frameGeometry().right() > area.right():
                self.move(max(area.left(), area.right() - self.frameGeometry().width()), self.y())

    def _show_row(self, row: int) -> None:
        entry = self.entries[row]
        in_use = self._in_use(entry)
        for column, text in enumerate(entry.cells()):
            item = QTableWidgetItem(text + (" (in use)" if in_use and column == 0 else ""))
            item.setToolTip(str(entry.path) if entry.checkpoint or entry.loading else entry.problem)
            if in_use:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            if column in (1, 2):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)

    def selected(self) -> HistoryEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def select_path(self, path: Path) -> None:
        for row, entry in enumerate(self.entries):
            if entry.path == path:
                self.table.selectRow(row)

    def _in_use(self, entry: HistoryEntry) -> bool:
        current = self._current()
        return current is not None and entry.path.resolve() == current.resolve()

    def _update_buttons(self) -> None:
        entry = self.selected()
        usable = entry is not None and entry.checkpoint is not None
        self.use_button.setEnabled(usable and not self._in_use(entry))
        self.delete_button.setEnabled(entry is not None and not self._in_use(entry) and not entry.shipped)
        self.delete_button.setToolTip("The weights in use cannot be deleted: switch to others first"
                                      if entry is not None and self._in_use(entry) else
                                      "Weights shipped with digitpad are not deleted"
                                      if entry is not None and entry.shipped else "")

    def use_selected(self) -> None:
        entry = self.selected()
        if entry is not None and entry.checkpoint is not None:
            self.useRequested.emit(entry.path)
            self.refresh()
            self.select_path(entry.path)

    def delete_selected(self, confirm: bool = True) -> bool:
        entry = self.selected()
        if entry is None or self._in_use(entry) or entry.shipped:
            return False
        if confirm and QMessageBox.question(
                self, "Delete weights", f"Delete {entry.path.name} ({' · '.join(entry.cells()[:2])})? "
                                        "This cannot be undone.") != QMessageBox.StandardButton.Yes:
            return False
        for path in (entry.path, snapshots_path(entry.path)):  # the weights, then their time-lapse
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                QMessageBox.warning(self, "Could not delete", f"{path}: {exc.strerror or exc}")
                return False
        self.refresh()
        self.deleted.emit(entry.path)
        return True

    # ---- closing ---------------------------------------------------------------------------------
    def hideEvent(self, event: QHideEvent) -> None:
        """Closed: no need to read the rest (opening it again reads what is missing)."""
        if self._job is not None:
            self._job.cancel()
        super().hideEvent(event)

    def shutdown(self) -> None:
        """Stop and join the reading (the window is closing)."""
        if self._job is not None:
            self._job.stop()
            self._job = None
