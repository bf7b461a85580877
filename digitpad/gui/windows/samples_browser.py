"""Teach → Browse My Samples…: the personal samples as a grid of thumbnails with their labels;
relabel, delete, import and export them. The file itself is handled by
`digitpad.storage.samples.SampleStore`; relabelling, deleting and importing take its lock, so they are
made off the GUI thread by the window's `SampleChanges` (gui/jobs/sample_changes.py), in order with
Teach, and the grid is refreshed when each is done. Reading the file and drawing the thumbnails
(a few hundred milliseconds for a few hundred detailed drawings) run in the same queue: the grid
shows the file as read after the changes asked before."""

from __future__ import annotations

import logging
from pathlib import Path
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFileDialog, QHBoxLayout, QLabel, QListView,
                               QListWidget, QListWidgetItem, QMenu, QMessageBox, QPushButton, QVBoxLayout, QWidget)

from digitpad.gui.jobs.sample_changes import SampleChanges
from digitpad.ink.normalise import BACKGROUND, EmptyDrawing, INK
from digitpad.storage.samples import Sample, SampleStore, readable_date
from digitpad.errors import SampleError

log = logging.getLogger(__name__)

THUMBNAIL = 64  # px: the 32×32 input at 2×
SAMPLES_FILTER = "digitpad samples (*.jsonl);;All files (*)"


def thumbnail_image(array32: np.ndarray, size: int = THUMBNAIL) -> QImage:
    """The network's 32×32 input as dark ink on white paper, scaled up without smoothing. A
    QImage, so any thread may make it (a QPixmap only the GUI thread)."""
    grey = 255 - np.clip((np.asarray(array32, np.float32) - BACKGROUND) / (INK - BACKGROUND), 0, 1) * 255
    data = np.ascontiguousarray(grey.round().astype(np.uint8))
    image = QImage(data.data, data.shape[1], data.shape[0], data.shape[1], QImage.Format.Format_Grayscale8).copy()
    return image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


def _thumbnails_to_make(store: SampleStore, known: frozenset[Sample]) -> dict[Sample, QImage | None]:
    """In the worker: the thumbnail of each sample that has none yet (None: an empty drawing)."""
    images: dict[Sample, QImage | None] = {}
    for sample in store.samples():
        if sample not in known and sample not in images:
            try:
                images[sample] = thumbnail_image(sample.render())
            except EmptyDrawing:
                images[sample] = None
    return images


def _blank_thumbnail() -> QPixmap:
    pixmap = QPixmap(THUMBNAIL, THUMBNAIL)
    pixmap.fill(Qt.GlobalColor.white)
    return pixmap


class SamplesBrowser(QDialog):
    """A grid of the samples in `store()`; `samplesChanged` after a relabel, delete or import
    that changed some, `changeEnded(n)` when one ends (n samples changed; 0 also on failure)."""

    samplesChanged = Signal()
    changeEnded = Signal(int)
    refreshed = Signal()  # the grid shows the file as just read (or why it could not be read)

    def __init__(self, store: Callable[[], SampleStore], changes: SampleChanges, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("My Samples")
        self.changes = changes
        self.store: SampleStore | None = None  # the file as last read (None: not read yet)
        self._thumbnails: dict[Sample, QPixmap] = {}
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.problems = QLabel(self)
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b00020")
        self.grid = QListWidget(self)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setSpacing(6)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.itemSelectionChanged.connect(self._update_buttons)
        self.counts = QLabel(self)
        self.counts.setToolTip("How many samples you have of each digit")
        self.relabel_button = QPushButton("&Relabel as", self)
        self.relabel_button.setToolTip("Give the selected samples another digit (or type the digit in the grid)")
        relabel_menu = QMenu(self.relabel_button)
        for digit in range(10):
            relabel_menu.addAction(str(digit), lambda d=digit: self.relabel_selected(d))
        self.relabel_button.setMenu(relabel_menu)
        self.grid.installEventFilter(self)
        self.grid.setAccessibleName("My samples")
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setShortcut("Delete")
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.import_button = QPushButton("Import…", self)
        self.import_button.clicked.connect(lambda: self.import_from())
        self.export_button = QPushButton("Export…", self)
        self.export_button.clicked.connect(lambda: self.export_to())
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.relabel_button, self.delete_button, self.import_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.counts)
        layout.addWidget(self.problems)
        layout.addWidget(self.grid, 1)
        layout.addLayout(buttons)
        self.resize(620, 480)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the file and rebuild the grid (read in the background: `refreshed`)."""
        if self.store is None:
            self.summary.setText("Reading your samples…")
        known = frozenset(self._thumbnails)
        self.changes.submit(lambda store: (store, _thumbnails_to_make(store, known)), self._show, self._not_read)

    def _not_read(self, message: str) -> None:
        self.problems.setText(message)
        self.problems.setVisible(True)
        if self.store is None:
            self.summary.setText("Your samples could not be read.")
        self.refreshed.emit()

    def _show(self, read: tuple[SampleStore, dict[Sample, QImage | None]]) -> None:
        self.store, images = read
        for sample, image in images.items():
            self._thumbnails[sample] = QPixmap.fromImage(image) if image is not None else _blank_thumbnail()
        samples = self.store.samples()
        self.grid.clear()
        for index, sample in enumerate(samples):
            item = QListWidgetItem(QIcon(self._thumbnails[sample]), str(sample.label))
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(f"Labelled {sample.label}" + (f", taught {readable_date(sample.created)}"
                                                          if sample.created else "")
                            + (" (from an image)" if sample.pixels is not None else ""))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.grid.addItem(item)
        self.counts.setText("Per digit:  " + "   ".join(f"<b>{d}</b>: {n}" for d, n in enumerate(self.store.counts())))
        counts = ", ".join(f"{d}: {n}" for d, n in enumerate(self.store.counts()) if n)
        self.summary.setText(f"{len(samples)} sample{'s' * (len(samples) != 1)}" + (f" ({counts})" if counts else "")
                             + f" in {self.store.path}" + ("" if samples else
                                                          ". Draw a digit and use Teach → This Is a … to add one."))
        problems = self.store.problems
        self.problems.setText("" if not problems else
                              f"{len(problems)} line{'s' * (len(problems) != 1)} could not be read and "
                              f"{'are' if len(problems) != 1 else 'is'} kept as it is: " + "; ".join(problems[:5]))
        self.problems.setVisible(bool(problems))
        self._update_buttons()
        self.refreshed.emit()

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(bool(self.grid.selectedItems()))
        self.relabel_button.setEnabled(bool(self.grid.selectedItems()))
        self.export_button.setEnabled(self.store is not None and len(self.store) > 0)

    def selected_indices(self) -> list[int]:
        return sorted(item.data(Qt.ItemDataRole.UserRole) for item in self.grid.selectedItems())

    def selected_samples(self) -> list[Sample]:
        samples = self.store.samples() if self.store is not None else []
        return [samples[index] for index in self.selected_indices() if index < len(samples)]

    def relabel_selected(self, digit: int) -> bool:
        """Give the selected samples the label `digit` (in the background); False if none is selected."""
        targets, selected = self.selected_samples(), self.selected_indices()
        if not targets:
            return False

        # One change, one rewrite of the file however many are selected (F36: one rewrite per
        # sample took 22 minutes for 3,000, and a quit meanwhile left the rest undone).
        self._submit(lambda store: store.relabel_many(targets, digit), lambda changed: self._changed(changed, selected),
                     "Could not relabel")
        return True

    def eventFilter(self, watched, event) -> bool:
        # A digit typed in the grid relabels the selected samples.
        if watched is self.grid and event.type() == QEvent.Type.KeyPress and event.text().isdigit() \
                and len(event.text()) == 1 and self.grid.selectedItems():
            self.relabel_selected(int(event.text()))
            return True
        return super().eventFilter(watched, event)

    def delete_selected(self, confirm: bool = True) -> bool:
        """Delete the selected samples (after confirmation, in the background); False if nothing
        is to be deleted."""
        targets = self.selected_samples()
        if not targets:
            return False
        if confirm and QMessageBox.question(
                self, "Delete samples", f"Delete {len(targets)} sample{'s' * (len(targets) != 1)}? "
                                        "This cannot be undone.") != QMessageBox.StandardButton.Yes:
            return False

        self._submit(lambda store: store.delete_many(targets), self._changed, "Could not delete")
        return True

    def import_from(self, path: str | Path | None = None) -> bool:
        """Add the samples of another file (in the background); False if none was chosen."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import Samples", str(Path.home()), SAMPLES_FILTER)
            if not path:
                return False
        path = Path(path)
        self._submit(lambda store: store.import_file(path), lambda result: self._imported(path, *result),
                     "Could not import")
        return True

    def _submit(self, change: Callable[[SampleStore], object], on_done: Callable[[object], None],
                failure_title: str) -> None:
        """Make `change` in the background; then show the file as it left it, and call `on_done`."""
        known = frozenset(self._thumbnails)

        def change_and_read(store: SampleStore) -> tuple[object, SampleStore, dict]:
            result = change(store)
            return result, store, _thumbnails_to_make(store, known)  # the store holds the file as just written

        def done(outcome: tuple[object, SampleStore, dict]) -> None:
            result, store, images = outcome
            self._show((store, images))
            on_done(result)

        self.changes.submit(change_and_read, done, lambda message: self._refused(failure_title, message))

    def _imported(self, path: Path, added: int, problems: list[str]) -> None:
        message = f"Imported {added} new sample{'s' * (added != 1)} from {path.name}."
        if problems:
            message += f" Skipped {len(problems)} unreadable line(s): " + "; ".join(problems[:3])
        self.summary.setText(self.summary.text() + "\n" + message)
        self._report(added)

    def _changed(self, count: int, reselect: list[int] = ()) -> None:
        for index in reselect:
            if index < self.grid.count():
                self.grid.item(index).setSelected(True)
        self._report(count)

    def _refused(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)
        self.refresh()  # what was done before the problem is shown
        self.samplesChanged.emit()
        self.changeEnded.emit(0)

    def _report(self, count: int) -> None:
        if count:
            self.samplesChanged.emit()
        self.changeEnded.emit(count)

    def export_to(self, path: str | Path | None = None) -> int:
        if self.store is None:  # not read yet
            return 0
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export Samples", str(Path.home() / "samples.jsonl"),
                                                  SAMPLES_FILTER)
            if not path:
                return 0
        try:
            count = self.store.export_file(Path(path))
        except SampleError as exc:
            QMessageBox.warning(self, "Could not export", str(exc))
            return 0
        self.summary.setText(self.summary.text() + f"\nExported {count} sample(s) to {path}.")
        return count
