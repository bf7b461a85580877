"""The answer: the recognised digit, large, and the ten classes ranked by RBF penalty."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from digitpad.recognition import Recognition

PLACEHOLDER = "—"
WAITING_MARK = "…"
REJECTED_MARK = "?"
REJECTED_TEXT = "Not a digit?"
EMPTY_TEXT = "Draw a digit, open an image or paste one."


class RankingStrip(QWidget):
    """Ten cells, best class first: the digit above its penalty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(2)
        layout.setVerticalSpacing(0)
        self._digits: list[QLabel] = []
        self._penalties: list[QLabel] = []
        for place in range(10):
            digit = QLabel("", self)
            penalty = QLabel("", self)
            for label in (digit, penalty):
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            font = QFont(digit.font())
            font.setPointSizeF(font.pointSizeF() * 1.35)
            digit.setFont(font)
            small = QFont(penalty.font())
            small.setPointSizeF(small.pointSizeF() * 0.85)
            penalty.setFont(small)
            penalty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            penalty.setMinimumWidth(penalty.fontMetrics().horizontalAdvance("0000") + 2)
            layout.addWidget(digit, 0, place)
            layout.addWidget(penalty, 1, place)
            self._digits.append(digit)
            self._penalties.append(penalty)
        self.setToolTip("All ten classes, best first, with their RBF penalties (lower is better)")

    def show_ranking(self, recognition: Recognition | None) -> None:
        ranking = recognition.ranking if recognition is not None else []
        for place in range(10):
            digit, penalty = self._digits[place], self._penalties[place]
            if place < len(ranking):
                cls = ranking[place]
                digit.setText(str(cls))
                # Whole numbers keep ten cells readable in a narrow window; the F6 panel has decimals.
                penalty.setText(f"{recognition.penalties[cls]:.0f}")
            else:
                digit.setText("·")
                penalty.setText("")
            bold = place == 0 and bool(ranking)
            if digit.font().bold() != bold:  # setFont lays the strip out again, even with the same font
                font = QFont(digit.font())
                font.setBold(bold)
                digit.setFont(font)
            # The three best at full strength; the rest faded, they are rarely worth reading.
            digit.setEnabled(place < 3 or not ranking)

    def digits(self) -> list[int]:
        return [int(label.text()) for label in self._digits if label.text().isdigit()]


class PredictionView(QFrame):
    """Big digit on the left; verdict and ranking on the right."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._recognition: Recognition | None = None
        self.digit_label = QLabel(PLACEHOLDER, self)
        self.digit_label.setObjectName("predictedDigit")
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.digit_label.font())
        font.setPointSizeF(font.pointSizeF() * 5.5)
        font.setBold(True)
        self.digit_label.setFont(font)
        self.digit_label.setMinimumWidth(self.digit_label.fontMetrics().horizontalAdvance("8") * 2)
        self.digit_label.setAccessibleName("Predicted digit")

        self.verdict = QLabel(EMPTY_TEXT, self)
        self.verdict.setWordWrap(True)
        verdict_font = QFont(self.verdict.font())
        verdict_font.setPointSizeF(verdict_font.pointSizeF() * 1.15)
        self.verdict.setFont(verdict_font)
        self.detail = QLabel("", self)
        self.detail.setWordWrap(True)
        self.detail.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.ranking = RankingStrip(self)
        caption = QLabel("Ranking by RBF penalty (lower is better)", self)
        caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        # Two lines each, whatever they say: the panel keeps one height between the empty and
        # the result states, so the canvas above it never jumps.
        for label in (self.verdict, self.detail):
            label.setFixedHeight(2 * label.fontMetrics().lineSpacing() + 2)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        right = QVBoxLayout()
        right.setSpacing(4)
        right.addWidget(self.verdict)
        right.addWidget(self.detail)
        right.addStretch(1)
        right.addWidget(caption)
        right.addWidget(self.ranking)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(16)
        layout.addWidget(self.digit_label)
        layout.addLayout(right, 1)
        self.show_recognition(None)
        # A bold winner in the ranking is a pixel taller than the empty dots: fix the height once.
        self.setFixedHeight(self.sizeHint().height() + 4)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), 420), hint.height())

    def show_recognition(self, recognition: Recognition | None) -> None:
        self._recognition = recognition
        self.ranking.show_ranking(recognition)
        if recognition is None:
            self.digit_label.setText(PLACEHOLDER)
            self.digit_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.verdict.setText(EMPTY_TEXT)
            self.detail.setText("")
            return
        penalties = recognition.penalties
        best, second = recognition.ranking[:2]
        if recognition.rejected:
            self.digit_label.setText(REJECTED_MARK)
            self.digit_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.verdict.setText(f"<b>{REJECTED_TEXT}</b> Closest: {best} (penalty {penalties[best]:.1f})")
        else:
            self.digit_label.setText(str(best))
            self.digit_label.setForegroundRole(QPalette.ColorRole.WindowText)
            self.verdict.setText(f"It looks like a <b>{best}</b>.")
        self.detail.setText(f"Runner-up: {second} (penalty {penalties[second]:.1f} against {penalties[best]:.1f})")
        self.detail.setToolTip(f"Posterior of the paper's rubbish class: {recognition.rubbish:.3g} "
                               "(above 0.5 means \"not a digit\")")

    def show_waiting(self, text: str) -> None:
        """Nothing recognised yet, but something to recognise (e.g. while the network loads)."""
        self.show_recognition(None)
        self.digit_label.setText(WAITING_MARK)
        self.verdict.setText(text)

    # ---- for tests ---------------------------------------------------------------------------
    def shown_digit(self) -> int | None:
        """The digit displayed, or None when nothing (or "not a digit") is shown."""
        text = self.digit_label.text()
        return int(text) if text.isdigit() else None

    def shown_text(self) -> str:
        return self.digit_label.text()

    def verdict_text(self) -> str:
        return self.verdict.text()

    def recognition(self) -> Recognition | None:
        return self._recognition
