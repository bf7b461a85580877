"""F6 and the RBF output: the heart of LeNet-5, shown the way the paper explains it.

F6's 84 outputs are drawn as a 7-wide × 12-tall picture in the same colours as the ten fixed
prototype bitmaps beside it, so a person can *see* which prototype F6 is imitating. Each
prototype carries its RBF penalty y_i = Σ_j (x_j − w_ij)², the squared distance between the two
pictures, as a number and as a bar: the shortest bar wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from digitpad.gui.colormap import ACTIVATION_LIMIT, activation_image, paint_colour_scale
from digitpad.gui.pixel_view import PixelView
from digitpad.prototypes import HEIGHT, WIDTH, load_prototypes

if TYPE_CHECKING:
    from digitpad.recognition import Recognition

NO_VALUE = "—"


def format_penalty(value: float) -> str:
    return f"{value:.1f}"


class PenaltyBar(QWidget):
    """A horizontal bar, length proportional to the penalty (shorter = closer to the prototype)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._fraction: float | None = None
        self._winner = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_fraction(self, fraction: float | None, winner: bool) -> None:
        self._fraction, self._winner = fraction, winner
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(120, max(10, self.fontMetrics().height() - 4))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        track = QRectF(self.rect()).adjusted(0, 2, 0, -2)
        painter.fillRect(track, palette.color(QPalette.ColorRole.AlternateBase))
        if self._fraction is None:
            return
        role = QPalette.ColorRole.Highlight if self._winner else QPalette.ColorRole.Mid
        bar = QRectF(track.x(), track.y(), max(2.0, track.width() * min(1.0, self._fraction)), track.height())
        painter.fillRect(bar, palette.color(role))


class ColourScale(QWidget):
    """The legend: −1.7 blue, 0 white, +1.7 red."""

    def sizeHint(self) -> QSize:
        return QSize(120, 10 + self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("−1.7  0  +1.7") + 8, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        bar = QRectF(0, 0, self.width(), 8)
        paint_colour_scale(painter, bar)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        text = QRectF(0, 9, self.width(), self.height() - 9)
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft, f"−{ACTIVATION_LIMIT:.1f}")
        painter.drawText(text, Qt.AlignmentFlag.AlignHCenter, "0")
        painter.drawText(text, Qt.AlignmentFlag.AlignRight, f"+{ACTIVATION_LIMIT:.1f}")


class F6Panel(QWidget):
    """F6's 84 activations as a 7×12 image next to the ten prototypes and their penalties."""

    classPicked = Signal(int)  # a prototype was clicked: explain that class

    def __init__(self, prototypes: np.ndarray | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._prototypes = load_prototypes() if prototypes is None else np.asarray(prototypes)
        self._penalties: np.ndarray | None = None
        self._winner: int | None = None

        self.f6_view = PixelView(QSize(WIDTH, HEIGHT), 13, self)
        self.f6_view.setToolTip("F6: the 84 outputs of the last hidden layer, laid out as a 7×12 picture")
        self.f6_view.set_unit_description(lambda r, c, v: f"unit {r * WIDTH + c} (row {r}, column {c}) = {v:+.3f}")
        f6_title = QLabel("<b>F6</b> · 84 units<br>as 7×12", self)
        f6_title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        left = QVBoxLayout()
        left.setSpacing(4)
        left.addWidget(f6_title)
        left.addWidget(self.f6_view, 0, Qt.AlignmentFlag.AlignHCenter)
        left.addWidget(ColourScale(self))
        left.addStretch(1)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        header = QLabel("RBF penalty  y<sub>i</sub> = Σ<sub>j</sub> (x<sub>j</sub> − w<sub>ij</sub>)²", self)
        header.setToolTip("Squared distance between F6's picture and each digit's prototype: smaller is better")
        grid.addWidget(header, 0, 0, 1, 4)
        self._digit_labels: list[QLabel] = []
        self._thumbnails: list[PixelView] = []
        self._bars: list[PenaltyBar] = []
        self._numbers: list[QLabel] = []
        digits_width = self.fontMetrics().horizontalAdvance("0000.0")
        for digit in range(10):
            row = digit + 1
            label = QLabel(str(digit), self)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            thumb = PixelView(QSize(WIDTH, HEIGHT), 3, self)
            thumb.set_image(activation_image(self._prototypes[digit]), self._prototypes[digit])
            thumb.setToolTip(f"The fixed RBF prototype of {digit}: a 7×12 bitmap of ±1 (click: why or why not {digit})")
            thumb.clicked.connect(lambda d=digit: self.classPicked.emit(d))
            bar = PenaltyBar(self)
            number = QLabel(NO_VALUE, self)
            number.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            number.setMinimumWidth(digits_width)
            number.setObjectName(f"penalty{digit}")
            grid.addWidget(label, row, 0)
            grid.addWidget(thumb, row, 1)
            grid.addWidget(bar, row, 2)
            grid.addWidget(number, row, 3)
            self._digit_labels.append(label)
            self._thumbnails.append(thumb)
            self._bars.append(bar)
            self._numbers.append(number)
        grid.setColumnStretch(2, 1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(14)
        layout.addLayout(left)
        layout.addLayout(grid, 1)

    # ---- content ---------------------------------------------------------------------------
    def show_recognition(self, recognition: Recognition | None) -> None:
        if recognition is None:
            self.f6_view.set_image(None)
            self._penalties = None
            self._winner = None
        else:
            f6 = np.asarray(recognition.f6).reshape(HEIGHT, WIDTH)
            self.f6_view.set_image(activation_image(f6), f6)
            self._penalties = np.asarray(recognition.penalties, np.float64)
            self._winner = recognition.digit
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        top = float(self._penalties.max()) if self._penalties is not None else 0.0
        for digit in range(10):
            winner = digit == self._winner
            if self._penalties is None:
                self._numbers[digit].setText(NO_VALUE)
                self._bars[digit].set_fraction(None, False)
            else:
                value = float(self._penalties[digit])
                self._numbers[digit].setText(format_penalty(value))
                self._bars[digit].set_fraction(value / top if top > 0 else 0.0, winner)
            for label in (self._digit_labels[digit], self._numbers[digit]):
                font = QFont(label.font())
                font.setBold(winner)
                label.setFont(font)
                label.setForegroundRole(QPalette.ColorRole.Highlight if winner else QPalette.ColorRole.WindowText)
            self._thumbnails[digit].set_selected(winner)

    # ---- for tests and other panels --------------------------------------------------------
    def penalty_texts(self) -> list[str]:
        """The ten penalties exactly as shown, in digit order ("—" when nothing is recognised)."""
        return [label.text() for label in self._numbers]

    def prototype_count(self) -> int:
        return sum(1 for thumb in self._thumbnails if thumb.image() is not None and thumb.isVisibleTo(self))

    def winner(self) -> int | None:
        return self._winner

    def f6_values(self) -> np.ndarray | None:
        return self.f6_view.values()
