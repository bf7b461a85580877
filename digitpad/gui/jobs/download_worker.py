"""Downloading MNIST off the GUI thread: a `Worker` run by a `BackgroundJob` (gui/jobs/background.py)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal

from digitpad.gui.jobs.background import Worker
from digitpad.errors import DownloadCancelled
from digitpad.errors import DataError
from digitpad.storage.mnist import DEFAULT_MIRROR, fetch_mnist


class DownloadWorker(Worker):
    """Downloads MNIST with `fetch_mnist` (resumable, checksums verified) into `dest`;
    `finished` carries the folder, as a string."""

    progress = Signal(str, int, int)    # file name, bytes done, bytes total (0 when unknown)

    failure_log = "download failed"

    def __init__(self, dest: Path, base_url: str | None = None):
        super().__init__()
        self.dest, self.base_url = Path(dest), base_url
        self._last_report = 0.0

    def _progress(self, name: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last_report >= 0.05 or (total and done >= total):  # don't flood the GUI
            self._last_report = now
            self.progress.emit(name, done, total or 0)

    def work(self) -> str:
        fetch_mnist(self.dest, self.base_url or DEFAULT_MIRROR, progress=self._progress, cancel=self.is_cancelled)
        return str(self.dest)

    def is_cancellation(self, exc: BaseException) -> bool:
        return isinstance(exc, DownloadCancelled) or super().is_cancellation(exc)

    def describe_failure(self, exc: BaseException) -> str:
        return str(exc) if isinstance(exc, DataError) else super().describe_failure(exc)
