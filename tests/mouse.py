"""Drawing on a widget as a person does: one stroke as a mouse press, moves and a release."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt


def mouse_stroke(qtbot, widget, stroke, release: bool = True) -> None:
    """`stroke`: (x, y) points in the widget's pixels."""
    points = [QPoint(round(x), round(y)) for x, y in stroke]
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(widget, point)
    if release:
        qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=points[-1])
