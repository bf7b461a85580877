"""Getting images in (files, drops, the clipboard) and out (PNG files) of the window.

Decoding for recognition is the core's job (`ink.images.prepare_image`), so a pasted QImage is
handed over as PNG bytes: the same code path as an opened file. `ImageFiles` does it for the
window: an opened image goes into the `Drawing` (which the window recognises), and the drawing
or the network's 32×32 input go out as PNG files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import (QBuffer, QByteArray, QIODevice, QMimeData, QObject, QSettings, QStandardPaths, Qt,
                            Signal)
from PySide6.QtGui import QGuiApplication, QImage, QImageReader
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from digitpad.app.drawing import Drawing, OpenedImage
from digitpad.safe_files import atomic_write_bytes
from digitpad.gui.jobs.background import BackgroundJob, Worker
from digitpad.ink.normalise import EmptyDrawing, Placement
from digitpad.ink.images import ImageError, ImageSource, prepare_image

#: File dialog filter: what Pillow (the core's decoder) reads in practice.
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pgm *.ppm *.pbm);;All files (*)"
LAST_FOLDER_KEY = "files/last_folder"
RECENT_KEY = "files/recent"
MAX_RECENT = 8
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}


def qimage_to_png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def read_preview(path: Path) -> QImage | None:
    """The image for the canvas to show, or None if Qt cannot decode it (Pillow still may)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    image = reader.read()
    return None if image.isNull() else image


def local_files(mime: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def looks_like_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def mime_image(mime: QMimeData) -> QImage | None:
    """An image carried by the clipboard or a drag (not a file), if any."""
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            return image
    return None


def save_png(image: QImage, path: Path) -> None:
    """Write `image` as a PNG file the way digitpad writes every file (digitpad.safe_files: atomic,
    through a symlink, never over a device or folder). Raises OSError with a readable message."""
    data = qimage_to_png(image)
    if not data:
        raise OSError(f"{path}: could not encode the PNG image")
    try:
        atomic_write_bytes(Path(path), data)
    except OSError as exc:
        raise OSError(f"{path}: could not write the PNG file: {exc.strerror or exc}") from exc


@dataclass
class DecodedImage:
    """What decoding one image gave: the network's input and a preview, or why not."""

    request: int          # which request this answers (only the latest is used)
    name: str
    array: np.ndarray | None = None
    preview: QImage | None = None
    too_small: bool = False  # its ink is a speck (ink.too_small.image_ink_too_small)
    placement: Placement | None = None  # where the image's pixels landed on `array`
    error: str = ""       # not readable: the reason, for a message box
    blank: bool = False   # readable, but no ink


class ImageDecodeWorker(Worker):
    """Decodes one image off the GUI thread: Pillow (formats digitpad supports only) for the
    network's input, then Qt for the preview of a file. Never raises: problems are in the result."""

    failure_log = "could not decode an image"

    def __init__(self, request: int, source: ImageSource, name: str, preview: QImage | None):
        super().__init__()
        self._request, self._source, self._name, self._preview = request, source, name, preview

    def work(self) -> DecodedImage:
        result = DecodedImage(self._request, self._name)
        try:
            prepared = prepare_image(self._source)
        except EmptyDrawing:
            result.blank = True
            return result
        except ImageError as exc:
            result.error = str(exc)
            return result
        result.array, result.too_small, result.placement = prepared.array, prepared.too_small, prepared.placement
        result.preview = self._preview
        if result.preview is None and isinstance(self._source, Path):
            result.preview = read_preview(self._source)  # only once Pillow has accepted the file
        return result


def _pictures_dir() -> str:
    """The Pictures folder, or the home folder where there is none (a fresh account, a server):
    a folder that does not exist made Qt's dialogs put "Pictures" in the file name box and start
    in whichever folder a dialog used last (the weights folder)."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return pictures if pictures and Path(pictures).is_dir() else str(Path.home())


def ask_png_to_save(parent: QWidget, title: str, name: str, folder: str | None = None) -> Path | None:
    """A PNG file name from the person (".png" added when they typed none), or None."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path(folder or _pictures_dir()) / name),
                                          "PNG images (*.png)")
    if not path:
        return None
    path = Path(path)
    return path if path.suffix else path.with_suffix(".png")


def free_name(folder: Path, stem: str, suffix: str = ".png") -> str:
    """`stem.png`, or `stem-2.png`, `stem-3.png`… if taken: a suggestion that overwrites nothing."""
    name, n = f"{stem}{suffix}", 1
    while (folder / name).exists() and n < 1000:
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name


def greyscale(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_Grayscale8)


class ImageFiles(QObject):
    """Open, paste and drop images into the drawing; save the drawing and export the input.
    Every failure is said in a message box or the status bar and changes nothing.
    `opened(bool)`: an image asked for has been put in the drawing (True) or refused (False)."""

    opened = Signal(bool)
    recentChanged = Signal()

    def __init__(self, drawing: Drawing, render_drawing: Callable[[], QImage],
                 input_image: Callable[[], QImage | None], show_status: Callable[[str, int], None],
                 parent: QWidget, settings: QSettings | None = None,
                 current_digit: Callable[[], int | None] = lambda: None):
        super().__init__(parent)
        self.drawing = drawing
        self._render_drawing, self._input_image = render_drawing, input_image
        self._show_status = show_status
        self.parent_widget = parent
        self.settings = settings
        self._current_digit = current_digit
        self._opening: Path | None = None  # the file being decoded, remembered when it opens
        self._request = 0
        self._job: BackgroundJob | None = None

    # ---- remembered folder and recent files ------------------------------------------------
    def folder(self) -> str:
        """The folder of the last image opened or saved (if it still exists), else Pictures."""
        saved = str(self.settings.value(LAST_FOLDER_KEY, "") or "") if self.settings is not None else ""
        return saved if saved and Path(saved).is_dir() else _pictures_dir()

    def _remember_folder(self, path: Path) -> None:
        if self.settings is not None:
            self.settings.setValue(LAST_FOLDER_KEY, str(Path(path).resolve().parent))

    def recent_files(self) -> list[Path]:
        if self.settings is None:
            return []
        value = self.settings.value(RECENT_KEY, [])
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [Path(item) for item in items if isinstance(item, str) and item][:MAX_RECENT]

    def _remember_recent(self, path: Path) -> None:
        if self.settings is None:
            return
        path = Path(path).resolve()
        recent = [str(path)] + [str(p) for p in self.recent_files() if p != path]
        self.settings.setValue(RECENT_KEY, recent[:MAX_RECENT])
        self.recentChanged.emit()

    def fill_recent_menu(self, menu: QMenu) -> None:
        """Open Recent: the last images opened, newest first (missing ones are left out)."""
        menu.clear()
        recent = [p for p in self.recent_files() if p.is_file()]
        for number, path in enumerate(recent, start=1):
            action = menu.addAction(f"&{number % 10} {path.name}", lambda p=path: self.open_image(p))
            action.setToolTip(str(path))
        if not recent:
            menu.addAction("No recent images").setEnabled(False)

    def _suggested_name(self, kind: str) -> str:
        digit = self._current_digit()
        return free_name(Path(self.folder()), f"{kind}-{digit}" if digit is not None else kind)

    # ---- the clipboard ---------------------------------------------------------------------
    def copy_drawing(self) -> bool:
        """The drawing (or nothing) to the clipboard as an image."""
        if self.drawing.is_empty():
            self._show_status("Nothing to copy: draw a digit first", 5000)
            return False
        QGuiApplication.clipboard().setImage(self._render_drawing())
        self._show_status("Copied the drawing", 3000)
        return True

    def copy_input(self) -> bool:
        """The network's 32×32 input to the clipboard, as a greyscale image."""
        image = self._input_image()
        if image is None:
            self._show_status("Nothing to copy: draw a digit first", 5000)
            return False
        QGuiApplication.clipboard().setImage(greyscale(image))
        self._show_status("Copied the 32×32 input", 3000)
        return True

    # ---- in ----------------------------------------------------------------------------------
    def ask_open_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open Image", self.folder(), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str | Path) -> bool:
        """Start opening an image file (see `opened`); unreadable or blank files get a message and
        change nothing. False at once if there is no such file."""
        path = Path(path)
        if not path.is_file():
            QMessageBox.warning(self.parent_widget, "Cannot open image", f"{path}: not a file")
            self.opened.emit(False)
            return False
        started = self._open(path, path.name, None)
        self._opening = path
        return started

    def paste_image(self) -> bool:
        mime = QGuiApplication.clipboard().mimeData()
        image = mime_image(mime) if mime is not None else None
        if image is not None:
            return self._open(qimage_to_png(image), "pasted image", image)
        files = local_files(mime) if mime is not None else []
        if files:
            return self.open_image(files[0])
        self._show_status("The clipboard holds no image", 5000)
        return False

    def accepts_drop(self, mime: QMimeData) -> bool:
        return mime_image(mime) is not None or any(looks_like_image_file(p) for p in local_files(mime))

    def drop(self, mime: QMimeData) -> bool:
        files, image = local_files(mime), mime_image(mime)
        if files:
            return self.open_image(files[0])
        if image is not None:
            return self._open(qimage_to_png(image), "dropped image", image)
        return False

    def _open(self, source: ImageSource, name: str, preview: QImage | None) -> bool:
        """Decode in the background; the result arrives in `_decoded` on the GUI thread."""
        self._opening = None
        self._request += 1
        if self._job is not None:
            self._job.cancel()  # its result, if it still comes, is for an older request and ignored
        job = BackgroundJob(ImageDecodeWorker(self._request, source, name, preview), "digitpad-image-decoder")
        job.worker.finished.connect(self._decoded, Qt.ConnectionType.QueuedConnection)
        job.worker.failed.connect(self._decode_failed, Qt.ConnectionType.QueuedConnection)
        self._job = job
        self._show_status(f"Opening {name}…", 0)
        job.start()
        return True

    def is_busy(self) -> bool:
        return self._job is not None and self._job.is_running()

    def _decoded(self, result: DecodedImage) -> None:
        if result.request != self._request:
            return
        self._job = None
        self._show_status("", 0)
        if result.error:
            QMessageBox.warning(self.parent_widget, "Cannot open image", result.error)
        elif result.blank or result.array is None:
            QMessageBox.information(self.parent_widget, "Nothing to recognise", f"{result.name}: the image is blank.")
        else:
            self.drawing.open_image(OpenedImage(result.array, f"{result.name} — draw on the canvas to replace it",
                                                result.preview, result.too_small, result.placement))
            self._show_status(f"Opened {result.name}", 5000)
            if self._opening is not None:
                self._remember_folder(self._opening)
                self._remember_recent(self._opening)
            self.opened.emit(True)
            return
        self.opened.emit(False)

    def _decode_failed(self, message: str) -> None:
        self._job = None
        self._show_status("", 0)
        QMessageBox.warning(self.parent_widget, "Cannot open image", message)
        self.opened.emit(False)

    # ---- out ---------------------------------------------------------------------------------
    def ask_save_drawing(self) -> None:
        path = ask_png_to_save(self.parent_widget, "Save Drawing As", self._suggested_name("drawing"), self.folder())
        if path is not None:
            self.save_drawing(path)

    def ask_export_input(self) -> None:
        path = ask_png_to_save(self.parent_widget, "Export Input", self._suggested_name("input-32x32"), self.folder())
        if path is not None:
            self.export_input(path)

    def save_drawing(self, path: Path) -> bool:
        """The strokes as a black-on-white PNG at the canvas size."""
        return self._write_png(self._render_drawing(), path, "Cannot save the drawing",
                               f"Saved the drawing to {path}")

    def export_input(self, path: Path) -> bool:
        """The 32×32 the network sees, as a greyscale PNG."""
        image = self._input_image()
        if image is None:
            self._show_status("Nothing to export: draw a digit first", 5000)
            return False
        return self._write_png(greyscale(image), path, "Cannot export the input",
                               f"Saved the 32×32 input to {path}")

    def _write_png(self, image, path: Path, failure_title: str, done_message: str) -> bool:
        """Writes `image` safely; a refusal is one message box, success a status line."""
        try:
            save_png(image, path)
        except OSError as exc:
            QMessageBox.critical(self.parent_widget, failure_title, str(exc))
            return False
        self._remember_folder(path)
        self._show_status(done_message, 5000)
        return True
