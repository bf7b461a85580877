"""The window at every size: F6's ten rows always visible, proportions kept, layouts validated."""

from __future__ import annotations

import pytest
from drawings import draw
from PySide6.QtCore import QByteArray, QRect

from digitpad.gui import settings as keys
from digitpad.gui import window_layout
from digitpad.gui.main_window import MainWindow

SCREENS = [(1280, 800), (1024, 700)]


@pytest.fixture
def screen(monkeypatch, request):
    width, height = request.param
    monkeypatch.setattr(window_layout, "screen_area", lambda widget: QRect(0, 0, width, height))
    return width, height


def make_window(qtbot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, use_weights, message_boxes, screen):
    return make_window(qtbot)


def f6_rows_visible(window) -> bool:
    panel = window.f6_panel
    visible = panel.visibleRegion()
    inside = window.rect()
    return all(visible.contains(row) and inside.contains(QRect(panel.mapTo(window, row.topLeft()), row.size()))
               for row in panel.geometry_of_rows())


def settled(qtbot, window) -> tuple:
    """Wait for the deferred fit to settle; return the sizes that make up the proportions."""
    def sizes():
        return window.canvas.size().toTuple(), window.f6_dock.size().toTuple(), window.input_dock.size().toTuple()

    last = None
    for _ in range(20):
        qtbot.wait(15)
        if sizes() == last:
            break
        last = sizes()
    return sizes()


@pytest.mark.parametrize("screen", SCREENS, indirect=True)
def test_f6_shows_all_ten_rows_at_start_after_shrink_and_restore_and_zoom(qtbot, window, screen):
    window.drawing.set_strokes(draw(3))
    start = settled(qtbot, window)
    assert window.width() <= screen[0] and window.height() <= screen[1]
    assert f6_rows_visible(window)
    size = window.size()
    window.resize(720, 500)
    settled(qtbot, window)
    assert f6_rows_visible(window)
    window.resize(size)
    assert settled(qtbot, window) == start and f6_rows_visible(window)
    window.set_input_zoom(12)
    settled(qtbot, window)
    assert f6_rows_visible(window)
    window.set_input_zoom(6)
    assert settled(qtbot, window) == start and f6_rows_visible(window)


@pytest.mark.parametrize("screen", [(1280, 800)], indirect=True)
def test_reset_layout_brings_back_the_default_arrangement(qtbot, window):
    start = settled(qtbot, window)
    window.f6_dock.setFloating(True)
    window.internals_dock.hide()
    window.resize(800, 560)
    window.window_actions.reset_layout.trigger()
    assert settled(qtbot, window) == start
    assert not window.f6_dock.isFloating() and window.internals_dock.isVisible() and f6_rows_visible(window)


@pytest.mark.parametrize("screen", [(1024, 700)], indirect=True)
@pytest.mark.parametrize("saved", [QByteArray(b"not a window state"), "garbage text", QByteArray()])
def test_a_corrupt_or_foreign_saved_layout_is_ignored(qtbot, use_weights, message_boxes, screen, saved):
    settings = keys.open_settings()
    settings.setValue(keys.WINDOW_STATE, saved)
    settings.setValue(keys.GEOMETRY, saved)
    settings.setValue(window_layout.FRACTIONS_KEY, "0.99,nan")
    settings.sync()
    window = make_window(qtbot)
    settled(qtbot, window)
    assert window.width() <= 1024 and window.height() <= 700 and f6_rows_visible(window)
    assert window.window_layout.fractions == window.window_layout.default_fractions()


@pytest.mark.parametrize("screen", [(1280, 800)], indirect=True)
def test_a_layout_saved_on_a_bigger_screen_is_fitted_to_this_one(qtbot, use_weights, message_boxes, screen,
                                                                 monkeypatch):
    big = make_window(qtbot)
    big.resize(2400, 1500)
    big.close()
    window = make_window(qtbot)
    settled(qtbot, window)
    assert window.width() <= 1280 and window.height() <= 800 and f6_rows_visible(window)


@pytest.mark.parametrize("screen", SCREENS, indirect=True)
def test_the_canvas_keeps_its_geometry_between_empty_and_result(qtbot, window):
    empty = settled(qtbot, window)[0], window.canvas.geometry()
    window.drawing.set_strokes(draw(8))
    assert window.prediction_view.shown_digit() is not None
    assert (settled(qtbot, window)[0], window.canvas.geometry()) == empty
    window.drawing.clear()
    assert (settled(qtbot, window)[0], window.canvas.geometry()) == empty
