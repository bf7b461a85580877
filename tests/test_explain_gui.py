"""Why it decided, in the window: attribution dock and canvas overlay, Invariance Explorer, unit trace."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from mouse import mouse_stroke
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, QRectF, Qt

from digitpad.explain import attribution
from digitpad.gui.main_window import MainWindow

# A 7 in two strokes (top bar, then the diagonal), in canvas pixels.
BAR = [(120 + 8 * i, 80) for i in range(21)]
DIAGONAL = [(280 - 3 * i, 80 + 11 * i) for i in range(26)]
TABLE_I_C3_9 = (0, 3, 4, 5)  # Table I of the paper, row 9


@pytest.fixture
def window(qtbot, use_weights, message_boxes):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.explanations.shutdown()


def test_the_attribution_is_worked_out_off_the_gui_thread_and_follows_the_drawing(qtbot, window, monkeypatch):
    started, release, threads = threading.Event(), threading.Event(), []
    real = attribution.integrated_gradients

    def held(*args, **kwargs):  # holds the computation until the GUI has shown it is free
        threads.append(threading.current_thread())
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(attribution, "integrated_gradients", held)
    explanations = window.explanations
    mouse_stroke(qtbot, window.canvas, BAR)
    mouse_stroke(qtbot, window.canvas, DIAGONAL)
    explanations.dock.show()
    qtbot.waitUntil(started.is_set, timeout=5000)
    # The computation is held: the GUI thread still draws and recognises.
    mouse_stroke(qtbot, window.canvas, [(60, 300), (70, 300)])
    assert len(window.last_recognition.input) == 32 and explanations.busy()
    window.drawing.undo()  # back to the 7, which a later job explains
    release.set()
    qtbot.waitUntil(lambda: explanations.explanation is not None and not explanations.busy(), timeout=15_000)
    assert all(thread is not threading.main_thread() for thread in threads)
    shown = explanations.explanation
    assert shown.recognition.digit == 7 and shown.attribution.digit == 7
    np.testing.assert_array_equal(shown.recognition.penalties, window.last_recognition.penalties)
    assert explanations.panel.image() is not None and explanations.panel.strokes.count() == 2
    assert "would be a 1" in explanations.panel.strokes.item(0).text()
    overlay = explanations.overlay
    assert overlay.isVisible()
    rect = overlay.canvas_rect()  # the 32×32 input mapped back around the strokes on the canvas
    assert rect.left() < 120 and rect.right() > 280 and rect.top() < 80 and rect.bottom() > 355


def test_the_attribution_of_an_opened_image_lies_over_its_ink_on_the_canvas(qtbot, window, tmp_path):
    path = tmp_path / "one.png"
    picture = Image.new("L", (400, 300), 255)  # a 1: dark ink over x 265 … 285, y 60 … 240
    ImageDraw.Draw(picture).rectangle((265, 60, 284, 239), fill=0)
    picture.save(path)
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000) as opened:
        window.image_files.open_image(path)
    assert opened.args == [True]
    explanations = window.explanations
    explanations.dock.show()
    qtbot.waitUntil(lambda: explanations.explanation is not None and not explanations.busy(), timeout=15_000)
    overlay = explanations.overlay
    assert overlay.isVisible()
    target = window.canvas.image_rect()  # where the canvas paints the 400×300 picture
    k = target.width() / 400
    ink = QRectF(target.x() + 265 * k, target.y() + 60 * k, 20 * k, 180 * k)
    rect = overlay.canvas_rect()  # the 32×32 input, whose 20 px box holds the ink's 180 px height
    assert rect is not None and rect.contains(ink)
    assert rect.height() == pytest.approx(180 * k * 32 / 20, rel=0.05)
    assert rect.center().x() == pytest.approx(ink.center().x(), abs=0.05 * rect.width())


def test_a_class_picked_in_the_f6_panel_is_explained(qtbot, window):
    mouse_stroke(qtbot, window.canvas, BAR)
    mouse_stroke(qtbot, window.canvas, DIAGONAL)
    explanations = window.explanations
    explanations.dock.show()
    window.f6_panel.setFocus()
    qtbot.keyClick(window.f6_panel, Qt.Key.Key_1)  # picks the row of 1 in the F6 panel
    assert explanations.panel.chosen_digit() == 1
    qtbot.waitUntil(lambda: explanations.explanation is not None and not explanations.busy(), timeout=15_000)
    assert explanations.explanation.attribution.digit == 1
    assert "Penalty of <b>1</b>" in explanations.panel.summary.text()


def test_the_invariance_explorer_sweeps_scrubs_and_follows_the_drawing(qtbot, window):
    mouse_stroke(qtbot, window.canvas, BAR)
    mouse_stroke(qtbot, window.canvas, DIAGONAL)
    window.explanations.open_explorer()
    explorer = window.explanations.explorer
    qtbot.waitExposed(explorer)
    explorer.choose("rotate", "drawing", -180, 180, 5)
    qtbot.waitUntil(lambda: explorer.sweep is not None and not explorer.busy()
                    and len(explorer.sweep.steps) == 5, timeout=15_000)
    sweep = explorer.sweep
    zero = [s for s in sweep.steps if s.value == 0][0]
    np.testing.assert_array_equal(zero.recognition.penalties, window.last_recognition.penalties)
    assert explorer.slider.value() == 2 and "<b>7</b>" in explorer.step_text.text()
    explorer.slider.setValue(4)  # scrub to 180°
    assert "180" in explorer.step_text.text() and "<b>7</b>" not in explorer.step_text.text()
    assert explorer.plot.cursor == 4 and sweep.breaking_points[1] is not None
    window.drawing.undo()  # only the bar is left: the sweep follows
    qtbot.waitUntil(lambda: explorer.sweep is not None and not explorer.busy()
                    and explorer.sweep is not sweep, timeout=15_000)
    bar_alone = window.last_recognition.penalties
    assert not np.array_equal(bar_alone, zero.recognition.penalties)
    np.testing.assert_array_equal(explorer.sweep.untransformed.penalties, bar_alone)


def test_the_invariance_explorer_sweeps_an_opened_image(qtbot, window, tmp_path):
    path = tmp_path / "one.png"
    picture = Image.new("L", (400, 300), 255)  # a 1
    ImageDraw.Draw(picture).rectangle((265, 60, 284, 239), fill=0)
    picture.save(path)
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000):
        window.image_files.open_image(path)
    window.explanations.open_explorer()
    explorer = window.explanations.explorer
    qtbot.waitExposed(explorer)
    explorer.choose("rotate", "input", -30, 30, 3)
    qtbot.waitUntil(lambda: not explorer.busy() and explorer.status.text() != "Sweeping…", timeout=15_000)
    assert "Could not" not in explorer.status.text()
    assert explorer.sweep is not None and len(explorer.sweep.steps) == 3
    np.testing.assert_array_equal(explorer.sweep.untransformed.penalties, window.last_recognition.penalties)


def test_clicking_a_c3_unit_traces_it_to_table_one_s2_maps(qtbot, window):
    mouse_stroke(qtbot, window.canvas, BAR)
    mouse_stroke(qtbot, window.canvas, DIAGONAL)
    window.internals_dock.show()
    window.internals_dock.raise_()
    grid = window.internals_panel.grid("c3")
    rect = grid.map_rect(9)
    cell = rect.width() / 10
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton,
                     pos=QPoint(round(rect.x() + 7.5 * cell), round(rect.y() + 2.5 * cell)))
    trace_window = window.explanations.trace
    assert trace_window is not None and trace_window.isVisible()
    trace = trace_window.trace
    assert (trace.layer, trace.map, trace.row, trace.col) == ("c3", 9, 2, 7) and trace.source_maps == TABLE_I_C3_9
    assert trace_window.source_count() == 4 and trace_window.weight_count() == 4
    assert trace.value == pytest.approx(float(window.last_recognition.c3[9, trace.row, trace.col]))
    mouse_stroke(qtbot, window.canvas, [(60, 300), (90, 320)])  # the trace follows the drawing
    assert trace_window.trace.value == pytest.approx(float(window.last_recognition.c3[9, trace.row, trace.col]))


def test_why_over_a_stray_click_paints_without_an_error(qtbot, window):
    # A click (one point) and Why?: the overlay divided by the placement's scale of 0 in every
    # paint, and the app quit (seen under Xvfb at the end of the session).
    explanations = window.explanations
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    explanations.dock.show()
    qtbot.waitUntil(lambda: not explanations.busy(), timeout=15_000)
    explanations.overlay.repaint()
    window.canvas.repaint()
    assert explanations.overlay.canvas_rect() is None or explanations.overlay.canvas_rect().width() > 0


def test_why_over_a_speck_says_too_small_as_the_answer_does(qtbot, window):
    # The main answer said "Too small — draw bigger" while the Why? panel called the same speck
    # "not a digit" (or a digit): both now ask ink.too_small.
    explanations = window.explanations
    mouse_stroke(qtbot, window.canvas, [(200, 200), (205, 203), (209, 199)])  # 9 px on a wide canvas
    assert window.last_recognition.reason == "too small"
    assert "Too small — draw bigger" in window.prediction_view.verdict.text()
    explanations.dock.show()
    qtbot.waitUntil(lambda: explanations.explanation is not None and not explanations.busy(), timeout=15_000)
    summary = explanations.panel.summary.text()
    assert "Too small — draw bigger" in summary and "not a digit" not in summary


def test_the_invariance_explorer_over_a_speck_says_too_small_as_the_answer_does(qtbot, window):
    # It swept a speck as "not a digit" beside the answer's "Too small — draw bigger".
    mouse_stroke(qtbot, window.canvas, [(200, 200), (205, 203), (209, 199)])  # 9 px on a wide canvas
    assert window.last_recognition.reason == "too small"
    window.explanations.open_explorer()
    explorer = window.explanations.explorer
    qtbot.waitExposed(explorer)
    explorer.choose("rotate", "drawing", -90, 90, 3)
    qtbot.waitUntil(lambda: explorer.sweep is not None and not explorer.busy()
                    and len(explorer.sweep.steps) == 3, timeout=15_000)
    assert explorer.status.text().startswith("Untransformed: Too small — draw bigger.")
    assert "Too small — draw bigger" in explorer.step_text.text() and "not a digit" not in explorer.step_text.text()
    assert all(step.recognition.reason == "too small" for step in explorer.sweep.steps)


def test_the_why_picture_grows_with_the_panel_and_stays_whole(qtbot, window):
    # Maximised at 1920×1080 the picture stayed 192 px beside an empty list of strokes 600 px tall.
    mouse_stroke(qtbot, window.canvas, BAR)
    mouse_stroke(qtbot, window.canvas, DIAGONAL)
    explanations = window.explanations
    explanations.dock.show()
    qtbot.waitUntil(lambda: explanations.explanation is not None and not explanations.busy(), timeout=15_000)
    view = explanations.panel.view
    before = view.width()
    window.resize(1900, 1040)
    qtbot.waitUntil(lambda: view.width() >= 1.5 * before, timeout=5000)
    qtbot.wait(50)
    assert view.visibleRegion().boundingRect() == view.rect()  # whole, not scrolled out of sight
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: view.width() <= before, timeout=5000)


def ink_box(image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the dark pixels of a grabbed widget, its 2-px frame left out."""
    pixels = image.convertToFormat(image.Format.Format_Grayscale8)
    width, height = pixels.width(), pixels.height()
    grey = np.frombuffer(pixels.constBits(), np.uint8).reshape(height, pixels.bytesPerLine())[:, :width]
    rows, cols = np.nonzero(grey[2:-2, 2:-2] < 96)
    return cols.min() + 2, rows.min() + 2, cols.max() + 2, rows.max() + 2


def test_a_large_drawing_stays_whole_when_the_why_dock_narrows_the_canvas(qtbot, window):
    # With Why? in a column of its own the canvas narrowed and the drawing, kept in widget
    # pixels, was cut at the right edge (seen at 1280×800). The view now shrinks to fit it.
    canvas = window.canvas
    wide, high = canvas.width(), canvas.height()
    bar = [(20 + (wide - 60) * i / 20, 40) for i in range(21)]
    mouse_stroke(qtbot, canvas, bar + [(wide / 2, high - 40)])
    left, top, right, bottom = ink_box(canvas.grab().toImage())
    explanations = window.explanations
    explanations.panel.on_canvas.setChecked(False)  # only the ink on the canvas
    window.splitDockWidget(window.input_dock, explanations.dock, Qt.Orientation.Horizontal)
    explanations.dock.show()
    # Widened as a person would drag its edge, to read the stroke list; then a smaller window.
    window.resizeDocks([window.input_dock, explanations.dock], [300, 400], Qt.Orientation.Horizontal)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: canvas.width() < wide - 100, timeout=5000)
    qtbot.waitUntil(lambda: not explanations.busy(), timeout=15_000)
    new_left, new_top, new_right, new_bottom = ink_box(canvas.grab().toImage())
    assert new_right < canvas.width() - 3, "the drawing is cut at the canvas's right edge"
    # Whole, not squeezed: the ink keeps its proportions.
    assert (new_right - new_left) / (new_bottom - new_top) == pytest.approx((right - left) / (bottom - top), rel=0.05)
    assert window.last_recognition.digit == 7
    # The pen still lands where it is put: a dot drawn now is painted under the pointer.
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.width() - 30, canvas.height() - 30))
    image = canvas.grab().toImage()
    assert image.pixelColor(canvas.width() - 30, canvas.height() - 30).lightness() < 96
