"""F6 and the RBF output: the heart of LeNet-5, shown the way the paper explains it.

F6's 84 outputs are drawn as a 7-wide × 12-tall picture, beside the prototype it is compared
with (the winner's, unless a row is picked) at the same size, and beside their difference
x − w, whose squares summed *are* that digit's RBF penalty y_i = Σ_j (x_j − w_ij)². Below or
beside them, one row per digit: its prototype, a bar for how close F6 is to it (the winner's bar
is full, a near tie shows as two long bars) and the penalty as a number.

Everything is one widget painted from cached images: the parts that change only with the size
or the model (captions, prototype thumbnails, bar tracks) are rendered once into a pixmap, and
each recognition paints that pixmap, three 7×12 images, ten bars and ten numbers. This runs on
every mouse move while drawing, so it has to stay well under a millisecond.

Longer than ~400 lines on purpose: the layout (`Geometry`), the cached background and the
per-recognition paint read the same rectangles, and splitting them would spread one paint pass
over modules that must change together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.gui.widgets.pixel_view import answer_tooltip
from digitpad.gui.widgets.colormap import (
    ACTIVATION_LIMIT,
    activation_image,
    draw_nearest,
    paint_colour_scale,
)
from digitpad.network.prototypes import HEIGHT, WIDTH, load_prototypes

if TYPE_CHECKING:
    from digitpad.reading.recognition import Recognition

NO_VALUE = "—"
#: The runner-up counts as a near tie when F6 is at least this close to it (see `closeness`),
#: unless the recognition says itself whether it is unsure.
NEAR_TIE_CLOSENESS = 0.75
MARGIN = 8
GAP = 12
# Combined once: or-ing Qt's enums costs microseconds each in Python, and paint runs per mouse move.
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
CENTRE = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
CAPTION = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
FORMULA = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop


def format_penalty(value: float) -> str:
    return f"{value:.1f}"


def closeness(penalties: np.ndarray) -> np.ndarray:
    """How close F6 is to each prototype, relative to the closest: the smallest penalty divided
    by each penalty. The winner gets 1; a digit twice as far away gets 0.5; a near tie shows as
    two values near 1, and a drawing that resembles no digit as many similar values."""
    p = np.maximum(np.nan_to_num(np.asarray(penalties, np.float64), nan=np.inf), 0.0)
    best = float(p.min())
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, best / p, 1.0)


def is_near_tie(recognition: Recognition) -> bool:
    """The recognition's own verdict when it has one (`unsure`), else the runner-up's closeness."""
    unsure = getattr(recognition, "unsure", None)
    if unsure is not None:
        return bool(unsure)
    ranking = recognition.ranking
    return float(closeness(recognition.penalties)[ranking[1]]) >= NEAR_TIE_CLOSENESS


class ColourScale(QWidget):
    """The legend: −1.7 blue, 0 white, +1.7 red."""

    def sizeHint(self) -> QSize:
        return QSize(120, 10 + self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("−1.7  0  +1.7") + 8, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        draw_colour_scale(painter, QRectF(self.rect()), self.palette())


def draw_colour_scale(painter: QPainter, rect: QRectF, palette: QPalette) -> None:
    """The blue-white-red bar, 8 px high, with −1.7, 0 and +1.7 below it, inside `rect`."""
    paint_colour_scale(painter, QRectF(rect.x(), rect.y(), rect.width(), 8))
    painter.setPen(palette.color(QPalette.ColorRole.WindowText))
    text = QRectF(rect.x(), rect.y() + 9, rect.width(), rect.height() - 9)
    painter.drawText(text, Qt.AlignmentFlag.AlignLeft, f"−{ACTIVATION_LIMIT:.1f}")
    painter.drawText(text, Qt.AlignmentFlag.AlignHCenter, "0")
    painter.drawText(text, Qt.AlignmentFlag.AlignRight, f"+{ACTIVATION_LIMIT:.1f}")


@dataclass
class Geometry:
    """Where everything goes at the current size (computed on resize, used by every paint)."""

    images: list[QRectF]   # F6, the compared prototype, the difference: same size
    captions: list[QRectF]  # above each image
    formula: QRectF         # under the images: "penalty of 7 = Σ (x − w)² = 4.6"
    scale: QRectF           # the colour legend
    header: QRectF          # above the rows
    rows: list[QRectF]      # one per digit, the whole row
    digits: list[QRectF]
    thumbs: list[QRectF]
    bars: list[QRectF]
    numbers: list[QRectF]


class F6Panel(QWidget):
    """F6's 84 activations compared with the RBF prototypes, and the ten penalties."""

    minimumHeightChanged = Signal()  # its width moved it between "beside" and "above"
    pinned = Signal(object)  # the digit picked (None: the winner again); the attribution follows it
    unitClicked = Signal(int)  # an F6 unit clicked in F6's picture (to trace it)

    def __init__(self, prototypes: np.ndarray | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._prototypes = np.zeros((10, HEIGHT, WIDTH), np.float32)
        self._prototype_images: list[QImage] = []
        self._recognition: Recognition | None = None
        self._f6: np.ndarray | None = None
        self._f6_image: QImage | None = None
        self._difference: np.ndarray | None = None
        self._difference_image: QImage | None = None
        self._closeness: np.ndarray | None = None
        self._numbers: list[str] = [NO_VALUE] * 10
        self._near_tie = False
        self._winner: int | None = None
        self._runner_up: int | None = None
        self._pinned: int | None = None  # a digit picked by the person, compared instead of the winner
        self._static: QPixmap | None = None
        self._geometry: Geometry | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("F6 panel")
        self.set_prototypes(load_prototypes() if prototypes is None else prototypes)
        self._update_accessible_text()

    # ---- content ---------------------------------------------------------------------------
    def set_prototypes(self, prototypes: np.ndarray) -> None:
        """The RBF weights the model actually holds: (10, 84) or (10, 12, 7)."""
        self._prototypes = np.asarray(prototypes, np.float32).reshape(10, HEIGHT, WIDTH).copy()
        self._prototype_images = [activation_image(p) for p in self._prototypes]
        self._static = None
        self._refresh_difference()
        self.update()

    def show_recognition(self, recognition: Recognition | None) -> None:
        self._recognition = recognition
        self._winner, self._runner_up = (None, None) if recognition is None else recognition.ranking[:2]
        if recognition is None:
            self._f6 = self._f6_image = self._closeness = None
            self._numbers = [NO_VALUE] * 10
            self._near_tie = False
        else:
            self._f6 = np.asarray(recognition.f6, np.float32).reshape(HEIGHT, WIDTH)
            self._f6_image = activation_image(self._f6)
            self._closeness = closeness(recognition.penalties)
            self._numbers = [format_penalty(float(v)) for v in recognition.penalties]
            self._near_tie = is_near_tie(recognition)
        self._refresh_difference()
        self._update_accessible_text()
        self.update()

    def _refresh_difference(self) -> None:
        compared = self.compared_digit()
        if self._f6 is None or compared is None:
            self._difference = self._difference_image = None
        else:
            self._difference = self._f6 - self._prototypes[compared]
            self._difference_image = activation_image(self._difference)

    def pin(self, digit: int | None) -> None:
        """Compare F6 with `digit`'s prototype instead of the winner's (None: the winner again)."""
        self._pinned = digit
        self._refresh_difference()
        self._update_accessible_text()
        self.update()
        self.pinned.emit(digit)

    def compared_digit(self) -> int | None:
        """The digit whose prototype is shown beside F6: the picked one, else the winner."""
        return self._pinned if self._pinned is not None else self._winner

    def _update_accessible_text(self) -> None:
        if self._recognition is None:
            self.setAccessibleDescription("No drawing: F6 and the ten prototypes, no penalties yet.")
            return
        r = self._recognition
        best, second = r.ranking[:2]
        text = (f"Closest prototype {best}, penalty {self._numbers[best]}; runner-up {second}, penalty "
                f"{self._numbers[second]}{' (near tie)' if self._near_tie else ''}. Penalties: "
                + ", ".join(f"{d}: {self._numbers[d]}" for d in range(10)))
        self.setAccessibleDescription(text)

    # ---- geometry --------------------------------------------------------------------------
    def _row_parts(self) -> tuple[int, int, int]:
        fm = self.fontMetrics()
        return fm.horizontalAdvance("0") + 6, fm.horizontalAdvance("0000.0") + 4, fm.height() + 2

    def _column_width(self, cell: int) -> int:
        """One image's column: the image, or its caption if that is wider."""
        return max(WIDTH * cell, self.fontMetrics().horizontalAdvance("prototype 0"))

    def _comparison_size(self, cell: int) -> QSize:
        fm = self.fontMetrics()
        width = max(3 * self._column_width(cell) + 2 * GAP, fm.horizontalAdvance("= Σ (F6 − prototype)²"))
        return QSize(width, fm.height() + 2 + HEIGHT * cell + 4 + 2 * fm.height() + 4 + 8 + fm.height())

    def _rows_minimum(self) -> QSize:
        digit_w, number_w, row_h = self._row_parts()
        return QSize(digit_w + 12 + 8 + 60 + 8 + number_w, self.fontMetrics().height() + 4 + 10 * row_h)

    def minimumSizeHint(self) -> QSize:
        """All ten rows with their numbers, and the comparison at 4 px per unit, stacked."""
        comparison, rows = self._comparison_size(4), self._rows_minimum()
        return QSize(max(comparison.width(), rows.width()) + 2 * MARGIN,
                     comparison.height() + GAP + rows.height() + 2 * MARGIN)

    def minimum_height_for_width(self, width: int) -> int:
        """The least height that shows all ten rows at `width`: less when the comparison fits
        beside the rows (at ≥ 7 px per unit) than when it must go above them."""
        rows = self._rows_minimum()
        side_cell = (width - 2 * MARGIN - GAP - rows.width() - 40 - 2 * GAP) / (3 * WIDTH)
        if side_cell >= 7:
            return max(self._comparison_size(7).height(), rows.height()) + 2 * MARGIN
        return self.minimumSizeHint().height()

    def sizeHint(self) -> QSize:
        comparison, rows = self._comparison_size(7), self._rows_minimum()
        return QSize(comparison.width() + GAP + rows.width() + 60 + 2 * MARGIN,
                     max(comparison.height(), rows.height() + 60) + 2 * MARGIN)

    def _layout(self) -> Geometry:
        fm = self.fontMetrics()
        area = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        rows_min = self._rows_minimum()
        # Side by side when the comparison fits at ≥ 5 px per unit beside the rows; else stacked.
        side_cell = int(min((area.width() - GAP - rows_min.width() - 40 - 2 * GAP) / (3 * WIDTH),
                            (area.height() - self._comparison_size(0).height()) / HEIGHT, 14))
        side_by_side = side_cell >= 7
        if side_by_side:
            cell = side_cell
        else:
            spare = area.height() - rows_min.height() - GAP - self._comparison_size(0).height()
            cell = int(max(3, min((area.width() - 2 * GAP) / (3 * WIDTH), spare / HEIGHT, 14)))
        comparison = self._comparison_size(cell)
        left = QRectF(area.x(), area.y(), comparison.width(), comparison.height())
        if side_by_side:
            rows_area = QRectF(left.right() + GAP, area.y(), area.right() - left.right() - GAP, area.height())
        else:
            left.moveLeft(area.x() + max(0.0, (area.width() - comparison.width()) / 2))
            rows_area = QRectF(area.x(), left.bottom() + GAP, area.width(), area.bottom() - left.bottom() - GAP)

        line = fm.height()
        image_w, image_h, column_w = WIDTH * cell, HEIGHT * cell, self._column_width(cell)
        block_w = 3 * column_w + 2 * GAP
        x0 = left.x() + (left.width() - block_w) / 2
        images, captions = [], []
        for i in range(3):
            x = x0 + i * (column_w + GAP)
            captions.append(QRectF(x - GAP / 2, left.y(), column_w + GAP, line))
            images.append(QRectF(x + (column_w - image_w) / 2, left.y() + line + 2, image_w, image_h))
        formula = QRectF(left.x(), images[0].bottom() + 4, left.width(), 2 * line)
        scale_w = min(left.width(), max(block_w, fm.horizontalAdvance("−1.7   0   +1.7") + 8))
        scale = QRectF(left.x() + (left.width() - scale_w) / 2, formula.bottom() + 4, scale_w, 8 + line)

        digit_w, number_w, _ = self._row_parts()
        header = QRectF(rows_area.x(), rows_area.y(), rows_area.width(), line)
        row_h = max(float(line + 2), min(30.0, (rows_area.height() - line - 4) / 10))
        thumb_h = max(8.0, row_h - 4)
        thumb_w = thumb_h * WIDTH / HEIGHT
        rows, digits, thumbs, bars, numbers = [], [], [], [], []
        for digit in range(10):
            y = header.bottom() + 4 + digit * row_h
            row = QRectF(rows_area.x(), y, rows_area.width(), row_h)
            rows.append(row)
            digits.append(QRectF(row.x(), y, digit_w - 6, row_h))
            thumbs.append(QRectF(row.x() + digit_w, y + (row_h - thumb_h) / 2, thumb_w, thumb_h))
            bar_x = thumbs[-1].right() + 8
            bar_h = min(row_h - 6, 14.0)
            bars.append(QRectF(bar_x, y + (row_h - bar_h) / 2, max(20.0, row.right() - number_w - 8 - bar_x), bar_h))
            numbers.append(QRectF(row.right() - number_w, y, number_w, row_h))
        return Geometry(images, captions, formula, scale, header, rows, digits, thumbs, bars, numbers)

    def geometry_of_rows(self) -> list[QRect]:
        """Each digit's row (digit, prototype, bar and number), in widget coordinates."""
        return [rect.toAlignedRect() for rect in self._current_geometry().rows]

    def _current_geometry(self) -> Geometry:
        if self._geometry is None:
            self._geometry = self._layout()
        return self._geometry

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._geometry = None
        self._static = None
        self.fit_width(self.width())
        super().resizeEvent(event)

    def fit_width(self, width: int) -> None:
        """Ask for the least height that shows all ten rows at `width`. The window says the width
        too: behind another tab the panel is not resized, and a minimum left from a narrower
        width (the comparison stacked above the rows) kept the input above it a scrolled strip."""
        needed = self.minimum_height_for_width(width)
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)  # all ten rows, whatever the width
            self.minimumHeightChanged.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._geometry = None
            self._static = None
        super().changeEvent(event)

    # ---- painting --------------------------------------------------------------------------
    def _static_layer(self) -> QPixmap:
        """Background, legend, header, digit prototypes and bar tracks: drawn once per size."""
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        palette = self.palette()
        pixmap.fill(palette.color(QPalette.ColorRole.Window))
        g = self._current_geometry()
        painter = QPainter(pixmap)
        painter.setFont(self.font())
        draw_colour_scale(painter, g.scale, palette)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        header = QFont(self.font())
        header.setBold(True)
        painter.setFont(header)
        painter.drawText(g.header, LEFT, "digit")
        digit_end = g.header.x() + QFontMetrics(header).horizontalAdvance("digit") + 6
        painter.setFont(self.font())
        # Over the bars (not centred): in a narrow panel a centred word would run into "penalty";
        # and never into the bold "digit", which can be wider than the digits and thumbnails below it.
        left = max(g.bars[0].x(), digit_end)
        bars = QRectF(left, g.header.y(), g.bars[0].right() - left, g.header.height())
        painter.drawText(bars, LEFT, "closeness" if bars.width() >= self.fontMetrics().horizontalAdvance(
            "closeness") + 4 else "close")
        painter.drawText(g.header, RIGHT, "penalty")
        track = palette.color(QPalette.ColorRole.AlternateBase)
        for digit in range(10):
            draw_nearest(painter, g.thumbs[digit], self._prototype_images[digit])
            painter.fillRect(g.bars[digit], track)
        painter.end()
        return pixmap

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._static is None:
            self._static = self._static_layer()
        g = self._current_geometry()
        palette = self.palette()
        text, highlight = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Highlight)
        faint = palette.color(QPalette.ColorRole.PlaceholderText)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._static)
        compared = self.compared_digit()
        winner, runner_up = self._winner, self._runner_up

        # The comparison: F6 | prototype | difference, the same size.
        images = (self._f6_image, self._prototype_images[compared] if compared is not None else None,
                  self._difference_image)
        names = ("F6", f"prototype {compared}" if compared is not None else "prototype", "difference")
        empty = palette.color(QPalette.ColorRole.AlternateBase)
        for rect, caption, image, name in zip(g.images, g.captions, images, names):
            if image is None:
                painter.fillRect(rect, empty)
            else:
                draw_nearest(painter, rect, image)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
            painter.setPen(text)
            painter.drawText(caption, CAPTION, name)
        painter.setPen(text if compared is not None else faint)
        if compared is None:
            formula = "Draw a digit: F6 is compared\nwith each digit's prototype"
        else:
            how = "picked" if compared != winner else ("near tie" if self._near_tie else "closest")
            formula = f"penalty of {compared} = Σ (F6 − prototype)²\n= {self._numbers[compared]}  ({how})"
        painter.drawText(g.formula, FORMULA, formula)

        # The rows: highlight, digit, bar, number.
        bold = QFont(self.font())
        bold.setBold(True)
        for digit in range(10):
            if digit == compared and compared != winner:
                painter.setPen(QPen(highlight, 1, Qt.PenStyle.DashLine))
                painter.drawRect(g.rows[digit].adjusted(0.5, 0.5, -0.5, -0.5))
            is_winner = digit == winner
            if is_winner:
                fill = highlight.lighter(175) if highlight.lightness() < 160 else highlight
                fill.setAlpha(70)
                painter.fillRect(g.rows[digit], fill)
            if self._closeness is not None:
                bar = QRectF(g.bars[digit])
                bar.setWidth(max(2.0, bar.width() * float(self._closeness[digit])))
                if is_winner:
                    painter.fillRect(bar, highlight)
                elif digit == runner_up and self._near_tie:
                    painter.fillRect(bar, highlight.lighter(140))
                    painter.setPen(QPen(highlight, 1))
                    painter.drawRect(bar.adjusted(0.5, 0.5, -0.5, -0.5))
                else:
                    painter.fillRect(bar, palette.color(QPalette.ColorRole.Mid))
            painter.setFont(bold if is_winner else self.font())
            painter.setPen(highlight if is_winner else text)
            painter.drawText(g.digits[digit], RIGHT, str(digit))
            painter.setPen(text if self._closeness is not None else faint)
            painter.drawText(g.numbers[digit], RIGHT, self._numbers[digit])
        if compared is not None:
            painter.setPen(QPen(highlight, 2))
            painter.drawRect(g.thumbs[compared].adjusted(-1, -1, 1, 1))

    # ---- interaction -----------------------------------------------------------------------
    def _row_at(self, position: QPointF) -> int | None:
        return next((d for d, row in enumerate(self._current_geometry().rows) if row.contains(position)), None)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        digit = self._row_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and digit is not None:
            self.pin(None if digit == self._pinned else digit)
        f6 = self._current_geometry().images[0]
        if event.button() == Qt.MouseButton.LeftButton and f6.contains(event.position()):
            column = min(int((event.position().x() - f6.x()) / f6.width() * WIDTH), WIDTH - 1)
            row = min(int((event.position().y() - f6.y()) / f6.height() * HEIGHT), HEIGHT - 1)
            self.unitClicked.emit(row * WIDTH + column)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Up/Down pick the prototype to compare with; Escape (or Home) goes back to the winner."""
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            current = self.compared_digit()
            step = -1 if key == Qt.Key.Key_Up else 1
            self.pin((0 if step > 0 else 9) if current is None else (current + step) % 10)
        elif key in (Qt.Key.Key_Home,) or (key == Qt.Key.Key_Escape and self._pinned is not None):
            self.pin(None)
        elif Qt.Key.Key_0 <= key <= Qt.Key.Key_9 and not event.modifiers():
            self.pin(int(key - Qt.Key.Key_0))
        else:
            super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self._pinned is not None):
            event.accept()  # Escape un-picks here before it clears the canvas (the window's shortcut)
            return True
        return answer_tooltip(self, event, self._tooltip_at) or super().event(event)

    def _tooltip_at(self, position: QPointF) -> str:
        g = self._current_geometry()
        compared = self.compared_digit()
        values = (self._f6, self._prototypes[compared] if compared is not None else None, self._difference)
        what = ("F6: the 84 outputs of the last hidden layer, laid out as a 7×12 picture",
                f"The RBF prototype of {compared}: the output unit's 84 fixed weights w (±1)",
                "The difference F6 − prototype: its 84 values squared and summed are the penalty")
        for rect, array, line in zip(g.images, values, what):
            if rect.contains(position):
                if array is None:
                    return line
                column = min(WIDTH - 1, int((position.x() - rect.x()) / rect.width() * WIDTH))
                row = min(HEIGHT - 1, int((position.y() - rect.y()) / rect.height() * HEIGHT))
                return f"{line}<br>unit {row * WIDTH + column} (row {row}, column {column}) = " \
                       f"{float(array[row, column]):+.3f}"
        digit = self._row_at(position)
        if digit is not None:
            tip = f"Digit {digit}: click to compare F6 with its prototype"
            if self._closeness is not None:
                tip = (f"Digit {digit}: penalty {self._numbers[digit]} (the squared distance from F6 to its "
                       f"prototype); {100 * self._closeness[digit]:.0f} % as close as the best. "
                       "Click to compare F6 with it.")
            return tip
        return ""

    # ---- for tests and other panels --------------------------------------------------------
    def penalty_texts(self) -> list[str]:
        """The ten penalties exactly as shown, in digit order ("—" when nothing is recognised)."""
        return list(self._numbers)

    def prototype_count(self) -> int:
        return len(self._prototype_images)

    def prototype_values(self, digit: int) -> np.ndarray:
        return self._prototypes[digit]

    def closeness_values(self) -> np.ndarray | None:
        return None if self._closeness is None else self._closeness.copy()

    def near_tie(self) -> bool:
        return self._near_tie

    def winner(self) -> int | None:
        return self._winner

    def f6_values(self) -> np.ndarray | None:
        return self._f6

    def difference_values(self) -> np.ndarray | None:
        return self._difference
