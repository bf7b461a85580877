"""Start-up: the window comes before torch, the network arrives in the background.

The app (`run_gui`) shows the window without importing torch and loads the model in a
background thread. These tests hold that thread back (or make it fail) and drive the real
window meanwhile; two subprocess tests check the imports and the app's own start-up path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from drawings import draw
from mouse import mouse_stroke
from PIL import Image

from digitpad.app import model_loading
from digitpad.storage.mnist import load_mnist
from digitpad.gui.main_window import MainWindow
from digitpad.gui.startup_probe import PREFIX

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_MS = 30_000


@pytest.fixture
def held_loader(monkeypatch):
    """The background loader waits until the test sets the returned event, then loads as usual."""
    release = threading.Event()
    real = model_loading.load_model_session

    def held(request):
        if not release.wait(60):
            raise TimeoutError("the test never released the model loader")
        return real(request)

    monkeypatch.setattr(model_loading, "load_model_session", held)
    yield release
    release.set()  # never leave the thread waiting, whatever the test did


def open_window(qtbot) -> MainWindow:
    window = MainWindow(load_model_in_background=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def model_actions(window: MainWindow) -> list:
    r = window.model_dialogs
    return [window.window_actions.load_weights, window.window_actions.revert_weights,
            window.model_control.device_menu.menuAction(), r.retrain_action, r.history_action, r.export_action]


def draw_with_mouse(qtbot, canvas, digit: int) -> None:
    """The digit from tests/drawings.py, stroke by stroke with mouse events, fitted to the canvas."""
    size = 0.7 * min(canvas.width(), canvas.height())
    origin = ((canvas.width() - 0.7 * size) / 2, (canvas.height() - size) / 2)
    for stroke in draw(digit, size=size, origin=origin):
        mouse_stroke(qtbot, canvas, stroke)


@pytest.mark.slow
def test_the_window_and_its_modules_do_not_import_torch():
    code = ("import sys, digitpad.gui.app, digitpad.gui.main_window; "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_drawing_while_the_network_loads_is_recognised_when_it_arrives(qtbot, use_weights, held_loader,
                                                                       message_boxes):
    window = open_window(qtbot)
    assert not window.model_ready and window.session is None
    assert "Loading" in window.statusBar().currentMessage()
    assert not any(action.isEnabled() for action in model_actions(window))
    assert window.teach_menu.teach_actions[4].isEnabled()  # keeping samples needs no network

    draw_with_mouse(qtbot, window.canvas, 4)  # two strokes, drawn while the loader is held back
    assert len(window.drawing.strokes()) == 2
    assert window.last_recognition is None and window.prediction_view.shown_digit() is None
    assert "Loading" in window.prediction_view.verdict_text()
    # The network's 32×32 input needs no network: it is shown while the model loads.
    waiting_input = window.input_view.array()
    assert waiting_input is not None and waiting_input.shape == (32, 32) and waiting_input.max() > 1.0
    assert window.window_actions.export_input.isEnabled()

    with qtbot.waitSignal(window.context.modelReady, timeout=READY_TIMEOUT_MS):
        held_loader.set()
    assert window.model_ready
    assert window.last_recognition is not None and window.last_recognition.digit == 4
    np.testing.assert_array_equal(window.input_view.array(), waiting_input)
    assert window.prediction_view.shown_digit() == 4
    assert all(action.isEnabled() for action in model_actions(window))
    assert window.model_control.device_menu.actions()[0].text() == "CPU"
    assert window.model_control.device_actions["cpu"].isChecked()
    assert window.device_status.text() == "Device: CPU"
    assert "shipped weights" in window.weights_status.text()
    assert "Loading" not in window.statusBar().currentMessage()
    assert message_boxes == []
    assert window.model_control.loader.wait(10)

    window.drawing.clear()
    draw_with_mouse(qtbot, window.canvas, 7)  # and on it goes, recognised at once
    assert window.prediction_view.shown_digit() == 7


def test_an_image_opened_while_the_network_loads_is_recognised_when_it_arrives(qtbot, use_weights, held_loader,
                                                                              message_boxes, mnist_dir, tmp_path):
    test_set = load_mnist(mnist_dir, "test")
    path = tmp_path / "early.png"
    Image.fromarray(255 - test_set.images[0]).save(path)
    window = open_window(qtbot)
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000) as opened:
        assert window.image_files.open_image(path)
    assert opened.args == [True]
    assert window.drawing.image is not None and window.prediction_view.shown_digit() is None

    with qtbot.waitSignal(window.context.modelReady, timeout=READY_TIMEOUT_MS):
        held_loader.set()
    assert window.prediction_view.shown_digit() == int(test_set.labels[0])
    assert window.model_control.loader.wait(10)


def test_a_network_that_cannot_load_is_explained_and_the_window_keeps_working(qtbot, message_boxes, monkeypatch,
                                                                            caplog):
    def no_torch(request):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    monkeypatch.setattr(model_loading, "load_model_session", no_torch)
    window = open_window(qtbot)
    qtbot.waitUntil(lambda: len(message_boxes) > 0, timeout=READY_TIMEOUT_MS)

    assert len(message_boxes) == 1
    kind, _, text = message_boxes[0]
    assert kind == "critical"
    assert "PyTorch" in text and "pip install torch" in text and "Traceback" not in text
    assert "could not load the network" in caplog.text  # the traceback is in the log instead
    assert window.isVisible() and not window.model_ready
    assert "could not be loaded" in window.statusBar().currentMessage()
    assert not any(action.isEnabled() for action in model_actions(window))
    assert window.model_control.load_weights_file(Path("whatever.pt")) is False  # refused quietly, no crash
    assert window.model_dialogs.export_model(Path("x.onnx")) is False

    draw_with_mouse(qtbot, window.canvas, 1)  # drawing still works; it just is not recognised
    assert len(window.drawing.strokes()) == 1
    assert window.last_recognition is None
    assert "could not be loaded" in window.prediction_view.verdict_text()
    assert len(message_boxes) == 1  # said once, not at every stroke


@pytest.mark.slow
def test_the_app_shows_its_window_first_and_reports_when_the_model_is_ready(tmp_path):
    """`python -m digitpad` itself, with benchmarks/startup.py's probe: it quits once ready."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               DIGITPAD_HOME=str(tmp_path / "home"), DIGITPAD_STARTUP_PROBE=repr(time.time()))
    result = subprocess.run([sys.executable, "-m", "digitpad"], capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line[len(PREFIX):]) for line in result.stdout.splitlines() if line.startswith(PREFIX)]
    assert len(reports) == 1, result.stdout
    report = reports[0]
    assert report["error"] is None
    assert 0 < report["usable"] <= report["model_ready"]
    assert report["max_stall"] > 0
    assert report["torch_threads"] == 1  # run_gui's setting, applied by the loader thread
    assert "Traceback" not in result.stderr
