"""Where the retraining dialog gets MNIST: found automatically, a folder the person picks, or
downloaded on request (in a worker thread, with progress; `fetch_mnist` checks the checksums)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.jobs.download_worker import DownloadWorker
from digitpad.paths import default_mnist_dir, downloaded_mnist_dir, has_mnist, shipped_mnist_dir
from digitpad.storage.mnist import count_images


def initial_mnist_dir() -> Path:
    """Where MNIST already is (the usual place, then the download folder), else the usual place."""
    for folder in (default_mnist_dir(), download_dir()):
        if has_mnist(folder):
            return folder
    return default_mnist_dir()


def download_dir() -> Path:
    return downloaded_mnist_dir()


class MnistSourceBox(QGroupBox):
    """The MNIST folder with a Choose… and a Download button. `changed` when readiness may have
    changed; `downloadEnded(message)` with "" on success, else what went wrong."""

    changed = Signal()
    downloadEnded = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Training data", parent)
        self.mirror: str | None = None  # download URL (None: data.DEFAULT_MIRROR); tests use a local one
        self.download: BackgroundJob | None = None
        #: The training and test images the folder's files hold (their headers), None when unknown.
        self.train_images: int | None = None
        self.test_images: int | None = None
        self.folder = QLineEdit(str(initial_mnist_dir()), self)
        self.folder.textChanged.connect(self.refresh)
        self.choose_button = QPushButton("Choose…", self)
        self.choose_button.clicked.connect(self._choose_folder)
        self.download_button = QPushButton("Download MNIST", self)
        self.download_button.setToolTip(f"Download the four MNIST files into {download_dir()} "
                                        "and check their checksums")
        self.download_button.clicked.connect(self._download_clicked)
        self.status = QLabel(self)
        # Wrapped, and never widening the dialog: one line of it (or a failed download's URL) made
        # the Retrain dialog wider than a 1024-pixel screen, its Close button off the edge.
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar(self)
        self.progress.hide()
        row = QHBoxLayout()
        for widget in (self.folder, self.choose_button, self.download_button):
            row.addWidget(widget)
        self.box = QVBoxLayout(self)
        self.box.addLayout(row)
        self.box.addWidget(self.status)
        self.box.addWidget(self.progress)
        self.refresh()

    def data_dir(self) -> Path:
        return Path(self.folder.text().strip()).expanduser()

    def is_ready(self) -> bool:
        """MNIST is in the folder and no download is writing to it."""
        return self.download is None and has_mnist(self.data_dir())

    def set_locked(self, locked: bool) -> None:
        for widget in (self.folder, self.choose_button, self.download_button):
            widget.setEnabled(not locked)

    def refresh(self) -> None:
        present = has_mnist(self.data_dir())
        self.train_images = count_images(self.data_dir(), "train") if present else None
        self.test_images = count_images(self.data_dir(), "test") if present else None
        if not present:
            text = "MNIST not found in this folder: choose another or download it"
        elif self.data_dir().resolve() == shipped_mnist_dir().resolve():
            text = (f"The sample shipped with digitpad: only {self.train_images or 0:,} training images. "
                    "Download MNIST for all 60,000.")
        else:
            text = (f"MNIST files found: {self.train_images or 0:,} training and {self.test_images or 0:,} "
                    "test images (checksums are verified when training starts)")
        self.status.setText(text)
        self.changed.emit()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the MNIST files", str(self.data_dir()))
        if folder:
            self.folder.setText(folder)

    def _download_clicked(self) -> None:
        if self.download is not None:
            self.download.cancel()
            return
        worker = DownloadWorker(download_dir(), self.mirror)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(lambda message: self._ended(f"Download failed: {message}"))
        worker.cancelled.connect(lambda: self._ended("Download cancelled"))
        self.download = BackgroundJob(worker, "mnist-download")
        self.download_button.setText("Cancel Download")
        self.progress.setValue(0)
        self.progress.show()
        self.changed.emit()
        self.download.start()

    def _on_progress(self, name: str, done: int, total: int) -> None:
        self.progress.setMaximum(total or 0)
        self.progress.setValue(done if total else 0)
        self.progress.setFormat(f"{name}: {done / 1e6:.1f}" + (f" of {total / 1e6:.1f} MB" if total else " MB"))

    def _on_finished(self, folder: str) -> None:
        self.download = None  # before the folder changes, so `changed` reports ready
        self.folder.setText(folder)
        self._ended("")

    def _ended(self, message: str) -> None:
        self.download = None
        self.download_button.setText("Download MNIST")
        self.progress.hide()
        self.refresh()
        if message:
            self.status.setText(message)
        self.downloadEnded.emit(message)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel a download and wait for its thread."""
        if self.download is not None:
            self.download.stop(timeout_ms)
