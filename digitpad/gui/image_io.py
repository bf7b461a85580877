"""Getting images in (files, drops, the clipboard) and out (PNG files) of the window.

Decoding for recognition is the core's job (`Recognizer.recognize_image` takes bytes), so a
pasted QImage is handed over as PNG bytes: the same code path as an opened file.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData
from PySide6.QtGui import QImage, QImageReader

#: File dialog filter: what Pillow (the core's decoder) reads in practice.
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pgm *.ppm *.pbm);;All files (*)"
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
    """Raises OSError with a readable message when Qt cannot write the file."""
    if not image.save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the PNG file (check the folder exists and is writable)")
