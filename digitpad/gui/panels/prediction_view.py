"""The answer: the recognised digit, large, and the ten classes ranked by RBF penalty."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

# Torch-free (the window shows before torch is loaded): the thresholds are plain constants.
from digitpad.reading.verdict import REJECT_THRESHOLD, UNSURE_LEVEL

if TYPE_CHECKING:
    from digitpad.reading.recognition import Recognition

PLACEHOLDER = "—"
WAITING_MARK = "…"
REJECTED_MARK = "?"
EMPTY_TEXT = "Draw a digit, open an image or paste one."


class RankingStrip(QWidget):
    """Ten cells, best class first: the digit above its penalty.

    Painted as one widget (not 20 labels): it changes on every recognition, and each label's
    new text made the window lay itself out again and paint 20 widgets."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._ranking: list[int] = []
        self._penalty_texts: list[str] = []
        self._digit_font = QFont(self.font())
        self._digit_font.setPointSizeF(self._digit_font.pointSizeF() * 1.35)
        self._winner_font = QFont(self._digit_font)
        self._winner_font.setBold(True)
        self._penalty_font = QFont(self.font())
        self._penalty_font.setPointSizeF(self._penalty_font.pointSizeF() * 0.85)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("All ten classes, best first, with their RBF penalties (lower is better)")

    def show_ranking(self, recognition: Recognition | None) -> None:
        self._ranking = list(recognition.ranking) if recognition is not None else []
        # Whole numbers keep ten cells readable in a narrow window; the F6 panel has decimals.
        self._penalty_texts = [f"{recognition.penalties[c]:.0f}" for c in self._ranking]
        self.update()

    def digits(self) -> list[int]:
        return list(self._ranking)

    def penalty_texts(self) -> list[str]:
        return list(self._penalty_texts)

    def _line_heights(self) -> tuple[int, int]:
        return (QFontMetrics(self._winner_font).height(), QFontMetrics(self._penalty_font).height())

    def sizeHint(self) -> QSize:
        digit_h, penalty_h = self._line_heights()
        cell = QFontMetrics(self._penalty_font).horizontalAdvance("0000") + 4
        return QSize(10 * cell, digit_h + penalty_h)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        digit_h, penalty_h = self._line_heights()
        cell = self.width() / 10
        centre = Qt.AlignmentFlag.AlignCenter
        for place in range(10):
            x = place * cell
            if place < len(self._ranking):
                # The three best at full strength; the rest faded, they are rarely worth reading.
                group = QPalette.ColorGroup.Active if place < 3 else QPalette.ColorGroup.Disabled
                painter.setPen(palette.color(group, QPalette.ColorRole.WindowText))
                painter.setFont(self._winner_font if place == 0 else self._digit_font)
                painter.drawText(QRectF(x, 0, cell, digit_h), centre, str(self._ranking[place]))
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.setFont(self._penalty_font)
                painter.drawText(QRectF(x, digit_h, cell, penalty_h), centre, self._penalty_texts[place])
            else:
                painter.setPen(palette.color(QPalette.ColorRole.WindowText))
                painter.setFont(self._digit_font)
                painter.drawText(QRectF(x, 0, cell, digit_h), centre, "·")


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
        # The words come from the core (the CLI prints the same); only the emphasis is the view's.
        if recognition.rejected:
            self.digit_label.setText(REJECTED_MARK)
            self.digit_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.verdict.setText(f"<b>{recognition.explanation()}</b>")
        elif recognition.unsure:
            self.digit_label.setText(f"{best}{REJECTED_MARK}")
            self.digit_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.verdict.setText(f"<b>Not sure:</b> {best} or {second}?")
        else:
            self.digit_label.setText(str(best))
            self.digit_label.setForegroundRole(QPalette.ColorRole.WindowText)
            self.verdict.setText(f"It looks like a <b>{best}</b>.")
        if recognition.too_small:  # no answer at all: a runner-up of nothing would puzzle
            self.detail.setText("")
        elif recognition.rejected:  # no digit shown: the closest one, not a "runner-up"
            self.detail.setText(f"Closest digit: {best} (penalty {penalties[best]:.1f}), then {second} "
                                f"({penalties[second]:.1f})")
        else:
            self.detail.setText(f"Runner-up: {second} (penalty {penalties[second]:.1f} against {penalties[best]:.1f})")
        self.detail.setToolTip(f"Posterior of the paper's rubbish class: {recognition.rubbish:.3g} "
                               f"(above {REJECT_THRESHOLD:g} means \"not a digit\"); of the best digit: "
                               f"{recognition.confidence:.3g} (below {UNSURE_LEVEL:g} means \"not sure\")")

    def show_waiting(self, text: str) -> None:
        """Nothing recognised yet, but something to recognise (e.g. while the network loads)."""
        self.show_recognition(None)
        self.digit_label.setText(WAITING_MARK)
        self.verdict.setText(text)

    def show_note(self, text: str) -> None:
        """No single digit to show, and `text` says why (number mode reads the drawing piece by piece)."""
        self.show_recognition(None)
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
