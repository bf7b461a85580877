"""A visible focus ring for the window's own panels (the canvas, the input, the prediction, F6,
the internals): drawn by a transparent child on top of the panel while it has the keyboard focus,
so a person moving with Tab sees where the keys go. Qt's styles draw one for buttons and boxes,
not for custom-painted widgets."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

RING_WIDTH = 2


class FocusRing(QWidget):
    """Covers `target` and paints a ring in the highlight colour while `target` has focus."""

    def __init__(self, target: QWidget):
        super().__init__(target)
        self.target = target
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide()
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.target:
            kind = event.type()
            if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
                self.setVisible(kind == QEvent.Type.FocusIn)
                if self.isVisible():
                    self.setGeometry(self.target.rect())
                    self.raise_()
            elif kind == QEvent.Type.Resize and self.isVisible():
                self.setGeometry(self.target.rect())
        return False

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), RING_WIDTH))
        inset = RING_WIDTH / 2
        painter.drawRect(QRectF(self.rect()).adjusted(inset, inset, -inset, -inset))


def with_focus_ring(widget: QWidget, policy: Qt.FocusPolicy = Qt.FocusPolicy.StrongFocus) -> QWidget:
    """Make `widget` reachable by Tab (and a click) and show where the focus is; returns it."""
    widget.setFocusPolicy(policy)
    widget.focus_ring = FocusRing(widget)
    return widget
