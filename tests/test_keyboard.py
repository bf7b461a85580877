"""The window by keyboard (issue 22, item 16): every panel and the toolbar's controls are reached
by Tab and show a visible focus ring; digit keys go to the panel with the focus, never to the pen
width box the person did not choose."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from drawings import draw  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolButton  # noqa: E402


def tab_cycle(qtbot, window, presses: int = 40) -> list:
    reached = []
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    return reached


def test_tab_reaches_every_panel_and_the_toolbar(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=2000)
    reached = tab_cycle(qtbot, window)
    panels = [window.canvas, window.prediction_view, window.input_view.pixels, window.f6_panel,
              window.internals_panel, window.pen_width_spin]
    missing = [type(p).__name__ for p in panels if p not in reached]
    assert not missing, missing
    assert any(isinstance(w, QToolButton) for w in reached)  # Undo, Redo, Clear, Number


@pytest.mark.parametrize("panel", ["canvas", "prediction_view", "f6_panel", "internals_panel", "input_pixels"])
def test_each_panel_shows_a_ring_while_it_has_the_focus(qtbot, window, panel):
    widget = window.input_view.pixels if panel == "input_pixels" else getattr(window, panel)
    window.drawing.set_strokes(draw(3))
    window.recognize_now()
    window.activateWindow()
    window.pen_width_spin.setFocus()
    qtbot.wait(20)
    without = widget.grab().toImage()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    qtbot.wait(20)
    with_focus = widget.grab().toImage()
    assert with_focus != without, f"{panel}: no visible sign of the focus"


def test_digits_go_to_the_focused_panel_not_to_the_pen_width(qtbot, window):
    window.activateWindow()
    window.drawing.set_strokes(draw(3))
    window.recognize_now()
    width = window.pen_width_spin.value()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas, timeout=2000)  # where the keys start
    qtbot.keyClick(window.canvas, Qt.Key.Key_5)
    assert window.pen_width_spin.value() == width
    spin = window.pen_width_spin  # the person used the pen width box, then clicked the answer
    spin.setFocus()
    spin.selectAll()
    answer = window.prediction_view
    qtbot.mouseClick(answer, Qt.MouseButton.LeftButton, pos=answer.rect().center())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_5)
    assert window.pen_width_spin.value() == width, "a digit typed after clicking a panel landed in the pen width"
    window.f6_panel.setFocus()
    qtbot.keyClick(window.f6_panel, Qt.Key.Key_5)
    assert window.f6_panel.compared_digit() == 5 and window.pen_width_spin.value() == width
