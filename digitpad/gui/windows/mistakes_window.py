"""Model → Mistakes…: every example the model in use gets wrong or refuses, as thumbnails.

Pick a set (the MNIST test set, the pen digits of the held-out writers when the data is there, or
your samples); it is judged in a background job (digitpad.explain.mistakes, with a progress bar)
and listed most confidently wrong first, each with true → answer and the margin. The list is a
model/view grid (thumbnails made in a second background job, a blank square until each arrives),
filtered by true digit, answer and kind; the confusion matrix beside it filters to a cell when
clicked. Double-click or Enter opens the example in the main window as an opened image, so every
panel shows it and Teach can keep it.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout, QLabel, QListView,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from digitpad.app.drawing import OpenedImage
from digitpad.errors import DataError, SampleError, TrainingCancelled
from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.gui.widgets.confusion_map import REFUSED_COLUMN, ConfusionMap
from digitpad.gui.windows.samples_browser import THUMBNAIL, thumbnail_image
from digitpad.paths import default_mnist_dir, default_pendigits_file

if TYPE_CHECKING:
    from digitpad.explain.mistakes import Mistake, MistakeReport
    from digitpad.gui.context import WindowContext
    from digitpad.network.lenet5 import LeNet5

log = logging.getLogger(__name__)

MNIST_TEST, PEN_HELD_OUT, SAMPLES = "mnist", "pen", "samples"
SET_NAMES = {MNIST_TEST: "MNIST test set", PEN_HELD_OUT: "Pen digits, held-out writers", SAMPLES: "Your samples"}
REASONS = ("wrong", "not sure", "refused")   # as digitpad.explain.mistakes (which imports torch)
_NO_PARENT = QModelIndex()


class MistakesWorker(Worker):
    """Loads the chosen set and judges every example with a copy of the model; `finished`
    carries the MistakeReport. Cancelled between batches."""

    progress = Signal(int, int)   # examples judged, of how many

    failure_log = "listing the mistakes failed"

    def __init__(self, model: LeNet5, which: str):
        super().__init__()
        self.model, self.which = model, which

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, TrainingCancelled) or super().is_cancellation(exc)

    def describe_failure(self, exc: BaseException) -> str:
        return str(exc) if isinstance(exc, (DataError, SampleError)) else super().describe_failure(exc)

    def work(self) -> MistakeReport:
        # torch: imported on the worker thread, not at start-up
        from digitpad.explain import mistakes

        if self.which == PEN_HELD_OUT:
            examples = mistakes.pen_held_out_examples(default_pendigits_file(), self.is_cancelled)
        elif self.which == SAMPLES:
            examples = mistakes.sample_examples(None, self.is_cancelled)
        else:
            examples = mistakes.mnist_test_examples(default_mnist_dir())
        self.check_cancelled()
        return mistakes.list_mistakes(self.model, examples, batch_size=500, on_progress=self.progress.emit,
                                      should_cancel=self.is_cancelled)


class ThumbnailWorker(Worker):
    """Makes the thumbnail of every mistake of a report as QImages (any thread may), a chunk at a
    time: `made(report, {example index: QImage})`, so the grid never makes one on the GUI thread."""

    made = Signal(object, object)

    failure_log = "making the mistakes' thumbnails failed"
    CHUNK = 250   # thumbnails per signal: a page or so, converted to pixmaps in well under a millisecond each

    def __init__(self, report: MistakeReport):
        super().__init__()
        self.report = report

    def work(self) -> None:
        mistakes = self.report.mistakes
        for start in range(0, len(mistakes), self.CHUNK):
            self.check_cancelled()
            self.made.emit(self.report, {m.index: thumbnail_image(self.report.examples.input(m.index))
                                         for m in mistakes[start:start + self.CHUNK]})


class MistakeListModel(QAbstractListModel):
    """The filtered mistakes of one report, one item each: thumbnail, "4 → 9", margin."""

    MistakeRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report: MistakeReport | None = None
        self.shown: list[Mistake] = []
        self._thumbnails: dict[int, QPixmap] = {}   # as they arrive (a QImage would be converted every paint)
        self._placeholder = QPixmap(THUMBNAIL, THUMBNAIL)   # until a thumbnail arrives
        self._placeholder.fill(Qt.GlobalColor.white)
        self.thumbnail_job: BackgroundJob | None = None

    def set_report(self, report: MistakeReport | None) -> None:
        self.beginResetModel()
        self.report, self.shown, self._thumbnails = report, list(report.mistakes) if report else [], {}
        self.endResetModel()
        self._start_thumbnails()

    def _start_thumbnails(self) -> None:
        if self.thumbnail_job is not None:
            self.thumbnail_job.cancel()   # its chunks still queued are for the old report: ignored
        self.thumbnail_job = None
        if self.report is None or not self.report.mistakes:
            return
        job = BackgroundJob(ThumbnailWorker(self.report), "digitpad-mistake-thumbnails")
        job.worker.made.connect(self._thumbnails_made, Qt.ConnectionType.QueuedConnection)
        self.thumbnail_job = job
        job.start()

    def _thumbnails_made(self, report: MistakeReport, images: dict[int, QImage]) -> None:
        if report is not self.report:
            return
        for index, image in images.items():
            self._thumbnails[index] = QPixmap.fromImage(image)
        if self.shown:
            self.dataChanged.emit(self.index(0), self.index(len(self.shown) - 1), [Qt.ItemDataRole.DecorationRole])

    def shutdown(self) -> None:
        if self.thumbnail_job is not None:
            self.thumbnail_job.stop()
            self.thumbnail_job = None

    def set_filter(self, true: int | None, column: int | None, reasons: set[str]) -> None:
        if self.report is None:
            return
        self.beginResetModel()
        self.shown = self.report.filtered(true, column, frozenset(reasons))
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.shown)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.shown):
            return None
        mistake = self.shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            answer = "?" if mistake.reason == "refused" else str(mistake.answer)
            return f"{mistake.true} → {answer}{'?' if mistake.reason == 'not sure' else ''}\n{mistake.margin:+.1f}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.get(mistake.index, self._placeholder)
        if role == Qt.ItemDataRole.ToolTipRole:
            closest = f" (closest: {mistake.answer})" if mistake.reason == "refused" else ""
            return (f"{self.report.examples.caption(mistake.index)}\ntrue {mistake.true}, {mistake.reason}{closest}; "
                    f"margin {mistake.margin:.2f} (penalty of the answer − penalty of {mistake.true})\n"
                    "Double-click or Enter: open it in the window")
        if role == self.MistakeRole:
            return mistake
        return None


class MistakesWindow(QDialog):
    """The browser; `opened(str)` names the example put on the main window's canvas."""

    opened = Signal(str)
    evaluated = Signal()   # a report arrived (or the evaluation failed or was cancelled)

    def __init__(self, context: WindowContext, pen_data_available: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Mistakes")  # the system adds " — digitpad" (the app's display name)
        self.job: BackgroundJob | None = None
        self.report: MistakeReport | None = None

        self.set_choice = QComboBox(self)
        for key, name in SET_NAMES.items():
            self.set_choice.addItem(name, key)
        if not pen_data_available:
            pen_row = self.set_choice.findData(PEN_HELD_OUT)
            self.set_choice.model().item(pen_row).setEnabled(False)
            self.set_choice.setItemData(pen_row, "No pen-digits file here (set DIGITPAD_PENDIGITS)",
                                        Qt.ItemDataRole.ToolTipRole)
        self.evaluate_button = QPushButton("&Evaluate", self)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.summary = QLabel("Choose a set and evaluate the model in use on it.", self)
        self.summary.setWordWrap(True)

        self.confusion = ConfusionMap(self)
        self.confusion.cellClicked.connect(self.filter_to_cell)
        self.true_choice, self.answer_choice = QComboBox(self), QComboBox(self)
        for box, extra in ((self.true_choice, ()), (self.answer_choice, (("refused", REFUSED_COLUMN),))):
            box.addItem("any", None)
            for digit in range(10):
                box.addItem(str(digit), digit)
            for text, data in extra:
                box.addItem(text, data)
            box.currentIndexChanged.connect(self.apply_filter)
        self.kind_boxes = {reason: QCheckBox(reason, self) for reason in REASONS}
        for box in self.kind_boxes.values():
            box.setChecked(True)
            box.toggled.connect(self.apply_filter)
        self.shown_label = QLabel(self)

        self.model = MistakeListModel(self)
        self.grid = QListView(self)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)   # layout without asking each item its size: 10,000 stay smooth
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setIconSize(QSize(64, 64))
        self.grid.setGridSize(QSize(84, 112))
        self.grid.setWordWrap(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setModel(self.model)
        self.grid.activated.connect(self.open_example)   # double-click or Enter

        top = QHBoxLayout()
        top.addWidget(QLabel("Set:", self))
        top.addWidget(self.set_choice, 1)
        top.addWidget(self.evaluate_button)
        top.addWidget(self.cancel_button)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("True:", self))
        filters.addWidget(self.true_choice)
        filters.addWidget(QLabel("Answer:", self))
        filters.addWidget(self.answer_choice)
        for box in self.kind_boxes.values():
            filters.addWidget(box)
        filters.addStretch(1)
        filters.addWidget(self.shown_label)
        left = QVBoxLayout()
        left.addWidget(QLabel("Confusion (rows: true digit; ✕ refused). Click a cell:", self))
        left.addWidget(self.confusion, 1)
        right = QVBoxLayout()
        right.addLayout(filters)
        right.addWidget(self.grid, 1)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(body, 1)
        self.resize(1000, 640)

    # ---- evaluating --------------------------------------------------------------------------
    def evaluate(self) -> bool:
        """Judge the chosen set with the model in use, in the background. False: nothing started."""
        recognizer = self.context.recognizer
        if recognizer is None or self.job is not None:
            return False
        which = self.set_choice.currentData()
        job = BackgroundJob(MistakesWorker(copy.deepcopy(recognizer.model).cpu(), which), "digitpad-mistakes")
        job.worker.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        job.worker.finished.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        job.worker.cancelled.connect(self._cancelled, Qt.ConnectionType.QueuedConnection)
        self.job = job
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.evaluate_button.setEnabled(False)
        self.summary.setText(f"Loading the {SET_NAMES[which].lower()}…")
        job.start()
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, done: int, total: int) -> None:
        if self.job is None:
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.summary.setText(f"Judging {done:,} of {total:,} examples…")

    def _end_job(self) -> None:
        self.job = None
        self.progress.hide()
        self.cancel_button.hide()
        self.evaluate_button.setEnabled(True)

    def _finished(self, report: MistakeReport) -> None:
        if self.job is None:
            return
        self._end_job()
        self.show_report(report)
        self.evaluated.emit()

    def _failed(self, message: str) -> None:
        if self.job is None:
            return
        self._end_job()
        self.summary.setText(f"Could not evaluate: {message}")
        self.evaluated.emit()

    def _cancelled(self) -> None:
        self._end_job()
        self.summary.setText("Cancelled.")
        self.evaluated.emit()

    def show_report(self, report: MistakeReport) -> None:
        self.report = report
        weights = self.context.recognizer
        skipped = report.examples.skipped_note()  # lines of the samples file that are not drawings
        self.summary.setText(report.summary() + ("" if weights is None else ". Most confidently wrong first.")
                             + (f"\n{skipped}" if skipped else ""))
        self.confusion.set_counts(report.confusion)
        self.model.set_report(report)
        for box in (self.true_choice, self.answer_choice):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.apply_filter()

    # ---- filtering ---------------------------------------------------------------------------
    def filter_to_cell(self, true: int, column: int) -> None:
        """A confusion cell: its true digit and answer (or refused), every kind."""
        for box, value in ((self.true_choice, true), (self.answer_choice, column)):
            box.blockSignals(True)
            box.setCurrentIndex(box.findData(value))
            box.blockSignals(False)
        for box in self.kind_boxes.values():
            box.blockSignals(True)
            box.setChecked(True)
            box.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        reasons = {reason for reason, box in self.kind_boxes.items() if box.isChecked()}
        true, column = self.true_choice.currentData(), self.answer_choice.currentData()
        self.model.set_filter(true, column, reasons)
        self.confusion.select((true, column) if true is not None and column is not None else None)
        total = len(self.report.mistakes) if self.report else 0
        self.shown_label.setText(f"{len(self.model.shown):,} of {total:,} shown")

    # ---- opening -----------------------------------------------------------------------------
    def open_example(self, index: QModelIndex) -> None:
        mistake = index.data(MistakeListModel.MistakeRole)
        if mistake is None or self.report is None:
            return
        examples = self.report.examples
        caption = examples.caption(mistake.index)
        array = examples.input(mistake.index).copy()
        preview = thumbnail_image(array, 256)
        self.context.drawing.open_image(OpenedImage(
            array, f"{caption} (true {mistake.true}) — draw on the canvas to replace it", preview,
            bool(examples.too_small[mistake.index]) if examples.too_small is not None else False,
            held_out_from=examples.name if examples.held_out else None))
        self.context.show_status(f"Opened {caption}: true {mistake.true}, {mistake.reason} "
                                 "(Model → Mistakes… brings the list back)", 8000)
        self.opened.emit(caption)

    # ---- closing -----------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.model.shutdown()
        if self.job is not None:
            self.job.stop()
            self.job = None
