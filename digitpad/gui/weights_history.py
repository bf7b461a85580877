"""Model → Weights History…: the checkpoints adopted from retraining, newest first, with their
metadata; switch to one, delete one (after confirmation), or go back to the shipped weights."""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
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

from digitpad.weights import Checkpoint, WeightsError, load_checkpoint

log = logging.getLogger(__name__)

COLUMNS = ("Date", "Test error", "Epochs", "Optimizer", "Training data", "File")


@dataclass
class HistoryEntry:
    path: Path
    checkpoint: Checkpoint | None   # None when the file cannot be used
    problem: str = ""

    def cells(self) -> list[str]:
        if self.checkpoint is None:
            return ["?", "unusable", "", "", self.problem, self.path.name]
        c = self.checkpoint
        error = c.test_error
        metrics, config = c.metrics, c.config
        data = "MNIST"
        if metrics.get("fine_tuned"):
            data = "fine-tuned on MNIST"
        if metrics.get("extra_samples"):
            data += f" + {_count(metrics['extra_samples'])} of my samples"
        if config.get("train_limit"):
            data += f" (first {_count(config['train_limit'])})"
        tested = f" (of {_count(config['test_limit'])})" if config.get("test_limit") else ""
        optimizer = config.get("optimizer")
        return [local_time(c.created), "–" if error is None else f"{100 * error:.2f}%{tested}",
                _count(metrics.get("epochs", config.get("epochs", "?"))),
                {"adam": "Adam", "sdlm": "SDLM"}.get(optimizer, "?") if isinstance(optimizer, str) else "?",
                data, self.path.name]


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


def list_history(folder: Path) -> list[HistoryEntry]:
    """The .pt files in `folder`, newest first; unreadable ones are listed with their problem."""
    entries = []
    for path in sorted(folder.glob("*.pt"), key=lambda p: p.name, reverse=True):
        try:
            entries.append(HistoryEntry(path, load_checkpoint(path)))
        except Exception as exc:  # WeightsError, or anything else one odd file causes: listed, not fatal
            if not isinstance(exc, WeightsError):
                log.exception("could not read %s", path)
            reason = str(exc).split(": ", 1)[-1] if isinstance(exc, WeightsError) else type(exc).__name__
            entries.append(HistoryEntry(path, None, reason[:200]))
    return entries


class WeightsHistoryDialog(QDialog):
    """`current()` says which file is in use (None: shipped or other); `useRequested(Path)` and
    `revertRequested()` ask the window to switch, `deleted(Path)` reports a removed file."""

    useRequested = Signal(object)
    revertRequested = Signal()
    deleted = Signal(object)

    def __init__(self, folder: Callable[[], Path], current: Callable[[], Path | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Weights History")
        self._folder, self._current = folder, current
        self.entries: list[HistoryEntry] = []
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
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
        folder = self._folder()
        self.entries = list_history(folder)
        current = self._current()
        current = current.resolve() if current else None
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            in_use = current is not None and entry.path.resolve() == current
            for column, text in enumerate(entry.cells()):
                item = QTableWidgetItem(text + (" (in use)" if in_use and column == 0 else ""))
                item.setToolTip(str(entry.path) if entry.checkpoint else entry.problem)
                if in_use:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                if column in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.intro.setText(f"Weights you adopted after retraining, kept in {folder}." if self.entries else
                           "No adopted weights yet: Model → Retrain… trains new ones, and Adopt keeps them here.")
        self._update_buttons()

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
        self.delete_button.setEnabled(entry is not None and not self._in_use(entry))
        self.delete_button.setToolTip("The weights in use cannot be deleted: switch to others first"
                                      if entry is not None and self._in_use(entry) else "")

    def use_selected(self) -> None:
        entry = self.selected()
        if entry is not None and entry.checkpoint is not None:
            self.useRequested.emit(entry.path)
            self.refresh()
            self.select_path(entry.path)

    def delete_selected(self, confirm: bool = True) -> bool:
        entry = self.selected()
        if entry is None or self._in_use(entry):
            return False
        if confirm and QMessageBox.question(
                self, "Delete weights", f"Delete {entry.path.name} ({' · '.join(entry.cells()[:2])})? "
                                        "This cannot be undone.") != QMessageBox.StandardButton.Yes:
            return False
        try:
            entry.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            QMessageBox.warning(self, "Could not delete", f"{entry.path}: {exc.strerror or exc}")
            return False
        self.refresh()
        self.deleted.emit(entry.path)
        return True
