"""The 32×32 input the network actually sees, each input pixel drawn as a square."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from digitpad.gui.widgets.colormap import input_image, input_packed
from digitpad.gui.widgets.pixel_view import PixelView
from digitpad.ink.normalise import BACKGROUND, INK, INPUT_SIZE

ZOOM_LEVELS = (3, 4, 5, 6, 8, 10, 12)
DEFAULT_ZOOM = 6


class InputView(QWidget):
    """The normalised 32×32 array as greys (paper −0.1 white, ink +1.175 black), zoomable."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._array: np.ndarray | None = None
        self.pixels = PixelView(QSize(INPUT_SIZE, INPUT_SIZE), DEFAULT_ZOOM, self)
        self.pixels.set_grid(True)
        self.pixels.setAccessibleName("Network input, 32 by 32 pixels")
        self.pixels.setToolTip("The 32×32 input of LeNet-5: the ink scaled to a 20×20 box and centred "
                               "by its centre of mass in a 28×28 field, like MNIST.")
        self.pixels.set_unit_description(lambda r, c, v: f"pixel ({r}, {c}) = {v:+.3f}")
        self.caption = QLabel(f"paper {BACKGROUND:+.1f} (white) · ink {INK:+.3f} (black)".replace("-", "−"), self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.pixels, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)
        layout.addStretch(1)

    def set_zoom(self, zoom: int) -> None:
        self.pixels.set_cell(zoom)
        self.updateGeometry()

    def zoom(self) -> int:
        return int(self.pixels.cell())

    def set_array(self, array32: np.ndarray | None) -> None:
        self._array = None if array32 is None else np.array(array32, np.float32)
        self.pixels.set_packed(None if array32 is None else input_packed(self._array), self._array)

    def array(self) -> np.ndarray | None:
        return self._array

    def image(self) -> QImage | None:
        """The input as a 32×32 greyscale image (for Export Input)."""
        return None if self._array is None else input_image(self._array)
