"""End-to-end tests of the desktop app: real widgets driven with qtbot mouse and key events.

The window uses the shipped weights (resources/lenet5.pt). Before they exist (a fresh checkout
still training), $DIGITPAD_GUI_TEST_WEIGHTS may name another checkpoint; otherwise these skip.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QImage  # noqa: E402

from digitpad.storage.mnist import load_mnist  # noqa: E402
from digitpad.gui import settings as keys  # noqa: E402
from digitpad.gui.app import ExceptionHook, log_file  # noqa: E402
from digitpad.gui.main_window import MainWindow  # noqa: E402
from digitpad.gui.settings import open_settings, settings_file  # noqa: E402
from digitpad.network.prototypes import load_prototypes  # noqa: E402
from digitpad.reading.recognition import Recognizer  # noqa: E402
from digitpad.storage.checkpoints import load_model, save_checkpoint  # noqa: E402
from digitpad.storage.run_metrics import RunMetrics

# ---- fixtures -------------------------------------------------------------------------------


# ---- drawing like a person ------------------------------------------------------------------------


def _points(canvas, path: list[tuple[float, float]], steps: int = 12) -> list[QPoint]:
    """A polyline in fractions of the canvas, sampled densely like mouse-move events."""
    w, h = canvas.width(), canvas.height()
    points = [QPoint(round(path[0][0] * w), round(path[0][1] * h))]
    for (x0, y0), (x1, y1) in zip(path, path[1:]):
        for i in range(1, steps + 1):
            t = i / steps
            points.append(QPoint(round((x0 + (x1 - x0) * t) * w), round((y0 + (y1 - y0) * t) * h)))
    return points


def draw_stroke(qtbot, canvas, path, steps: int = 12, release: bool = True) -> None:
    points = _points(canvas, path, steps)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(canvas, point)
    if release:
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])


ONE = [(0.55, 0.18), (0.47, 0.82)]                 # a slightly slanted vertical line
SEVEN = [(0.3, 0.2), (0.7, 0.2), (0.46, 0.82)]     # top bar, then the diagonal, one stroke
SEVEN_BAR, SEVEN_DIAGONAL = [(0.3, 0.2), (0.7, 0.2)], [(0.7, 0.2), (0.46, 0.82)]


# ---- drawing and live recognition ---------------------------------------------------------------


def test_a_drawn_one_is_recognised_while_drawing_and_on_release(qtbot, window):
    assert window.prediction_view.shown_digit() is None
    draw_stroke(qtbot, window.canvas, ONE, release=False)
    # The throttling timer recognises the stroke before the pen is lifted.
    qtbot.waitUntil(lambda: window.last_recognition is not None, timeout=2000)
    points = _points(window.canvas, ONE)
    qtbot.mouseRelease(window.canvas, Qt.MouseButton.LeftButton, pos=points[-1])
    assert len(window.drawing.strokes()) == 1
    assert window.prediction_view.shown_digit() == 1
    assert window.timing_status.text().endswith("ms")


def test_a_drawn_seven_is_recognised(qtbot, window):
    draw_stroke(qtbot, window.canvas, SEVEN)
    assert window.prediction_view.shown_digit() == 7
    assert window.f6_panel.winner() == 7


def test_undo_redo_and_clear_change_the_drawing_and_the_prediction(qtbot, window):
    canvas = window.canvas
    draw_stroke(qtbot, canvas, SEVEN_BAR)
    draw_stroke(qtbot, canvas, SEVEN_DIAGONAL)
    assert window.prediction_view.shown_digit() == 7
    seven = window.f6_panel.penalty_texts()

    window.window_actions.undo.trigger()
    assert len(window.drawing.strokes()) == 1
    assert window.f6_panel.penalty_texts() != seven
    window.window_actions.redo.trigger()
    assert len(window.drawing.strokes()) == 2
    assert window.f6_panel.penalty_texts() == seven

    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert window.drawing.is_empty()
    assert window.prediction_view.shown_digit() is None
    assert window.prediction_view.shown_text() == "—"
    assert window.f6_panel.penalty_texts() == ["—"] * 10
    assert window.input_view.array() is None

    window.window_actions.undo.trigger()  # a clear can be undone
    assert window.prediction_view.shown_digit() == 7
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert window.drawing.is_empty() and window.last_recognition is None


def test_drawing_survives_a_resize(qtbot, window):
    draw_stroke(qtbot, window.canvas, SEVEN)
    before = window.drawing.strokes()
    window.resize(1000, 700)
    qtbot.wait(10)
    assert window.drawing.strokes() == before
    assert window.prediction_view.shown_digit() == 7


def test_a_rejected_drawing_says_not_a_digit_instead_of_guessing(qtbot, window):
    draw_stroke(qtbot, window.canvas, SEVEN)
    doubtful = dataclasses.replace(window.last_recognition, rubbish=0.9)
    assert doubtful.rejected
    window.prediction_view.show_recognition(doubtful)
    assert window.prediction_view.shown_digit() is None
    assert "Not a digit: every penalty is high" in window.prediction_view.verdict_text()


@pytest.mark.parametrize("stroke", [
    [(120.0, 80.0)],                                              # a stray click
    [(200.0, 150.0), (203.0, 151.0), (201.0, 154.0), (204.0, 152.0)],  # a tremor of a few pixels
    [(300.0 + 2 * math.cos(a / 3), 100.0 + 2 * math.sin(a / 3)) for a in range(30)],  # a dot, circled
])
def test_a_stray_mark_says_too_small_instead_of_a_digit(qtbot, window, stroke):
    window.drawing.add_stroke(stroke)
    result = window.recognize_now()
    assert result.reason == "too small"
    assert window.prediction_view.shown_digit() is None
    assert "Too small — draw bigger" in window.prediction_view.verdict_text()


def test_an_x_says_not_a_digit_with_its_closest_class(qtbot, window):
    draw_stroke(qtbot, window.canvas, [(0.3, 0.25), (0.7, 0.75)])
    draw_stroke(qtbot, window.canvas, [(0.7, 0.25), (0.3, 0.75)])
    result = window.last_recognition
    assert result.reason == "not a digit"
    assert window.prediction_view.shown_digit() is None
    closest = result.ranking[0]
    assert (f"Not a digit: every penalty is high — the closest, {closest}, at {result.penalties[closest]:.1f}"
            in window.prediction_view.verdict_text())


def test_a_near_tie_says_not_sure_and_shows_both(qtbot, window):
    draw_stroke(qtbot, window.canvas, SEVEN)
    tie = dataclasses.replace(window.last_recognition, rubbish=0.0, penalties=np.array(
        [4.6, 30.0, 28.0, 27.0, 35.0, 26.0, 24.0, 33.0, 4.9, 25.0], np.float32))
    assert tie.unsure
    window.prediction_view.show_recognition(tie)
    window.f6_panel.show_recognition(tie)
    assert "Not sure:</b> 0 or 8?" in window.prediction_view.verdict_text()
    assert window.prediction_view.shown_digit() is None and window.prediction_view.shown_text() == "0?"
    assert window.f6_panel.winner() == 0 and window.f6_panel.near_tie()


# ---- the F6 panel -----------------------------------------------------------------------------------


def test_f6_panel_shows_the_prototypes_and_the_recognizers_penalties(qtbot, window, gui_weights):
    draw_stroke(qtbot, window.canvas, SEVEN)
    panel = window.f6_panel
    assert panel.prototype_count() == 10
    prototypes = load_prototypes()
    for digit in range(10):
        np.testing.assert_array_equal(panel.prototype_values(digit), prototypes[digit])

    model, _ = load_model(gui_weights)
    expected = Recognizer(model).recognize_strokes(window.drawing.strokes(), window.drawing.pen_width)
    shown = [float(text) for text in panel.penalty_texts()]
    np.testing.assert_allclose(shown, expected.penalties, atol=0.051)
    np.testing.assert_allclose(panel.f6_values(), expected.f6.reshape(12, 7), atol=1e-5)
    assert panel.winner() == expected.digit == 7


# ---- model, device and status bar -----------------------------------------------------------------


def test_status_bar_names_the_device_and_the_weights(window):
    assert window.device_status.text() == "Device: CPU"
    assert "shipped weights" in window.weights_status.text()
    assert window.model_control.device_actions["cpu"].isChecked()


def test_a_cuda_device_is_listed_and_a_failing_one_is_refused(qtbot, use_weights, message_boxes, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: "Imaginary GPU 9000")
    win = MainWindow()
    qtbot.addWidget(win)
    labels = [action.text() for action in win.model_control.device_menu.actions()]
    assert labels == ["CPU", "CUDA 0: Imaginary GPU 9000"]
    # CUDA looked available, so the start tried it, failed quietly and says so in the status bar.
    assert win.session.device.type == "cpu"
    assert "using the CPU" in win.model_control.startup_message
    assert message_boxes == []

    win.model_control.device_actions["cuda:0"].trigger()
    assert [kind for kind, _, _ in message_boxes] == ["warning"]
    assert win.session.device.type == "cpu"
    assert win.model_control.device_actions["cpu"].isChecked()
    assert win.device_status.text() == "Device: CPU"


def test_a_corrupt_weights_file_is_refused_and_the_old_model_kept(qtbot, window, message_boxes, tmp_path):
    draw_stroke(qtbot, window.canvas, SEVEN)
    before = window.f6_panel.penalty_texts()
    status = window.weights_status.text()
    bad = tmp_path / "broken.pt"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))

    with qtbot.waitSignal(window.model_control.weightsLoaded, timeout=20_000) as loaded:  # read in the background
        assert window.model_control.load_weights_file(bad)
    assert loaded.args[0] == bad and "broken.pt" in loaded.args[1]
    assert len(message_boxes) == 1
    kind, _, text = message_boxes[0]
    assert kind == "critical" and "broken.pt" in text
    window.recognize_now()
    assert window.f6_panel.penalty_texts() == before
    assert window.weights_status.text() == status
    assert open_settings().value(keys.WEIGHTS_FILE) is None


def test_a_corrupt_last_weights_file_falls_back_quietly_at_start(qtbot, use_weights, message_boxes, tmp_path):
    bad = tmp_path / "gone-bad.pt"
    bad.write_bytes(b"not a checkpoint")
    settings = open_settings()
    settings.setValue(keys.WEIGHTS_FILE, str(bad))
    settings.sync()
    win = MainWindow()
    qtbot.addWidget(win)
    assert message_boxes == []
    assert "gone-bad.pt" in win.statusBar().currentMessage()
    assert "shipped weights" in win.weights_status.text()


def test_model_menu_accepts_actions_from_other_parts_of_the_app(window):
    retrain = QAction("Retrain…", window)
    window.add_model_action(retrain)
    actions = window.model_menu.actions()
    assert actions.index(retrain) < actions.index(window.model_control.device_menu.menuAction())


# ---- images in and out ------------------------------------------------------------------------------


def open_image(qtbot, window, path) -> bool:
    """Open an image as the File menu does and wait for the background decoding: opened or not."""
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000) as opened:
        window.image_files.open_image(path)
    return opened.args[0]


def test_opened_mnist_digits_are_recognised(qtbot, window, mnist_dir, tmp_path):
    test_set = load_mnist(mnist_dir, "test")
    for index in range(4):
        path = tmp_path / f"mnist-{index}.png"
        Image.fromarray(255 - test_set.images[index]).save(path)  # dark ink on white paper
        assert open_image(qtbot, window, path)
        assert window.prediction_view.shown_digit() == int(test_set.labels[index])
        assert window.drawing.image is not None
        assert window.input_view.array() is not None


def test_a_non_image_file_is_reported_and_the_window_keeps_working(qtbot, window, message_boxes, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("these are not pixels")
    assert open_image(qtbot, window, notes) is False
    assert [kind for kind, _, _ in message_boxes] == ["warning"]
    assert "notes.png" in message_boxes[0][2]
    draw_stroke(qtbot, window.canvas, ONE)
    assert window.prediction_view.shown_digit() == 1


def test_a_pasted_image_is_recognised(qtbot, window, mnist_dir):
    test_set = load_mnist(mnist_dir, "test")
    pixels = np.ascontiguousarray(255 - test_set.images[1])
    image = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000) as opened:
        assert window.image_files.paste_image()
    assert opened.args == [True]
    assert window.prediction_view.shown_digit() == int(test_set.labels[1])


def test_a_saved_drawing_reopens_as_the_same_digit(qtbot, window, tmp_path):
    draw_stroke(qtbot, window.canvas, SEVEN)
    path = tmp_path / "seven.png"
    assert window.image_files.save_drawing(path)
    assert open_image(qtbot, window, path)
    assert window.prediction_view.shown_digit() == 7


def test_an_image_file_dropped_on_the_window_is_recognised(qtbot, window, mnist_dir, tmp_path):
    test_set = load_mnist(mnist_dir, "test")
    path = tmp_path / "dropped.png"
    Image.fromarray(test_set.images[2]).save(path)  # light ink on black, as MNIST stores it
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000):
        window.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                    Qt.KeyboardModifier.NoModifier))
    assert window.prediction_view.shown_digit() == int(test_set.labels[2])


def test_export_input_writes_the_32x32_the_network_sees(qtbot, window, tmp_path):
    draw_stroke(qtbot, window.canvas, ONE)
    path = tmp_path / "input.png"
    assert window.image_files.export_input(path)
    pixels = np.asarray(Image.open(path).convert("L"), np.float64)
    assert pixels.shape == (32, 32)
    ink = window.last_recognition.input > 0.5
    assert pixels[ink].mean() < 100 < pixels[~ink].mean()  # dark ink on light paper


# ---- settings and safety net ----------------------------------------------------------------------------


def test_settings_persist_across_windows_in_the_tests_own_config(qtbot, use_weights, isolated_user_data):
    assert settings_file().is_relative_to(isolated_user_data)
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.pen_width_spin.setValue(17)
    first.set_input_zoom(10)
    first.internals_dock.toggleViewAction().trigger()  # hide the internals
    first.close()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.drawing.pen_width == 17
    assert second.pen_width_spin.value() == 17
    assert second.input_view.zoom() == 10
    assert not second.internals_dock.isVisibleTo(second)
    assert second.f6_dock.isVisibleTo(second)


def test_qt_calls_and_signals_do_not_leak_references_to_none_or_true(window):
    # PySide6 6.12.0 on Python 3.11 dropped a reference to None per void call and to True per
    # emit, so a long session ended in a fatal abort; pyproject.toml excludes it. This catches
    # any installed version with the same bug.
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(500):
        window.canvas.setObjectName("canvas")
        window.context.modelChanged.emit()
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert after[0] >= before[0] - 50 and after[1] >= before[1] - 50, (before, after)


def test_uncaught_exceptions_are_logged_and_shown_not_crashes(message_boxes):
    hook = ExceptionHook()
    try:
        raise RuntimeError("something broke in a slot")
    except RuntimeError as exc:
        hook(type(exc), exc, exc.__traceback__)
    assert [kind for kind, _, _ in message_boxes] == ["critical"]
    assert "something broke in a slot" in log_file().read_text(encoding="utf-8")


def test_internals_tooltips_name_the_map_and_its_value_range(qtbot, window):
    panel = window.internals_panel
    assert "reads S2 maps 1, 2, 3, 4" in panel.map_tooltip("c3", 7)
    assert "min" not in panel.map_tooltip("c3", 7)  # nothing recognised yet
    draw_stroke(qtbot, window.canvas, ONE)
    c3_map = window.last_recognition.c3[7]
    assert f"max {c3_map.max():+.3f}" in panel.map_tooltip("c3", 7)


@pytest.mark.parametrize("stroke", [
    [(120.0, 80.0)],                                                   # one click: a dot
    [(120.0, 80.0)] * 40,                                              # the mouse held still
    [(200 + 60 * np.sin(i / 400), 20 + i * 0.08) for i in range(5000)],  # thousands of points
    [(-300.0, -200.0), (-310.0, 900.0)],                               # dragged outside the canvas
])
def test_odd_strokes_on_the_canvas_give_a_result_and_keep_the_window_working(qtbot, window, stroke):
    window.drawing.add_stroke(stroke)
    result = window.recognize_now()
    assert result is not None
    assert np.isfinite(result.input).all() and result.input.shape == (32, 32)
    draw_stroke(qtbot, window.canvas, ONE)  # and drawing goes on as usual
    assert window.last_recognition is not None


def test_the_user_data_directory_is_qts_app_data_location(window, isolated_user_data):
    from PySide6.QtCore import QStandardPaths

    from digitpad.paths import user_data_dir

    qt_location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    assert Path(qt_location) == user_data_dir()
    assert str(isolated_user_data) in qt_location  # and it is the test's, not the developer's


def test_feature_maps_are_painted_unit_by_unit_and_answer_the_pointer(qtbot, window):
    """The internals draw each layer as one picture: every unit in its colour, at its place."""
    from digitpad.gui.widgets.colormap import diverging_rgb

    window.internals_dock.show()
    window.internals_dock.raise_()
    draw_stroke(qtbot, window.canvas, SEVEN)
    recognition = window.last_recognition
    grid = window.internals_panel.grid("c3")
    qtbot.waitUntil(lambda: grid.isVisible())
    picture = grid.grab().toImage()
    ratio = picture.devicePixelRatio()
    for index, (row, column) in ((0, (0, 0)), (7, (4, 6)), (15, (9, 9))):
        rect = grid.map_rect(index)
        x = rect.x() + (column + 0.5) * rect.width() / 10
        y = rect.y() + (row + 0.5) * rect.height() / 10
        shown = picture.pixelColor(round(x * ratio), round(y * ratio))
        expected = diverging_rgb(recognition.c3[index][row, column])
        assert (shown.red(), shown.green(), shown.blue()) == tuple(int(v) for v in expected)

    centre = grid.map_rect(7).center()
    tooltip = grid.tooltip_at(QPointF(centre))
    assert "map 7" in tooltip and "reads S2 maps 1, 2, 3, 4" in tooltip
    row, column = grid.unit_at(7, QPointF(centre))
    assert f"({row}, {column}) = {recognition.c3[7][row, column]:+.3f}" in tooltip

    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=centre)
    assert window.internals_panel.selected_map() == ("c3", 7)
    assert grid.highlighted() == 7 and window.internals_panel.c3_table.highlighted() == 7
    np.testing.assert_array_equal(window.internals_panel.detail.view.values(), recognition.c3[7])


def test_the_ranking_strip_lists_all_ten_classes_best_first_with_whole_penalties(qtbot, window):
    draw_stroke(qtbot, window.canvas, SEVEN)
    recognition = window.last_recognition
    strip = window.prediction_view.ranking
    assert strip.digits() == list(recognition.ranking) and strip.digits()[0] == 7
    assert strip.penalty_texts() == [f"{recognition.penalties[c]:.0f}" for c in recognition.ranking]
    window.drawing.clear()
    assert strip.digits() == [] and strip.penalty_texts() == []


def test_the_custom_widgets_have_accessible_names(window):
    # Screen readers name what they read: the canvas, the input, the F6 panel and every layer's maps.
    named = [window.canvas, window.internals_panel.detail, *window.internals_panel.grids.values()]
    assert all(widget.accessibleName() for widget in named)
    assert window.internals_panel.grids["c3"].accessibleName().startswith("C3 ")


def test_a_name_typed_at_adopt_is_shown_as_typed_not_as_html(qtbot, window, gui_weights, tmp_path):
    # "name<b>x</b>" showed as a bold "namex" in the status bar (the label took it for rich text).
    named = tmp_path / "named.pt"
    save_checkpoint(named, load_model(gui_weights)[0], metrics=RunMetrics(name="name<b>x</b>"))
    with qtbot.waitSignal(window.model_control.weightsLoaded, timeout=20_000):
        assert window.model_control.load_weights_file(named)
    assert "name<b>x</b>" in window.weights_status.text()
    assert window.weights_status.textFormat() == Qt.TextFormat.PlainText
