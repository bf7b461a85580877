"""What the window promises a new user, held to what it does (issue 22, items 8–15 and 17):
exporting works with what the app installs, estimates and records use the data actually used,
the help describes the screen, the smaller edges seen on screen."""

from __future__ import annotations

import logging
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

ROOT = Path(__file__).resolve().parent.parent


# ---- 8. Export as ONNX ----------------------------------------------------------------------------


def test_onnx_export_needs_nothing_beyond_the_apps_own_install():
    """The README starts the app with `pip install -e .`: that must bring the exporter's onnx."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.split(">")[0].split("=")[0].strip() == "onnx" for d in project["dependencies"])
    assert 'pip install -e . && digitpad' in (ROOT / "README.md").read_text() or \
        'pip install -e ".[onnx]"' in (ROOT / "README.md").read_text()


def test_export_without_onnx_says_how_to_get_it_without_a_traceback(window, message_boxes, tmp_path,
                                                                    monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    caplog.set_level(logging.DEBUG)
    target = tmp_path / "lenet5.onnx"
    assert window.model_dialogs.export_model(target) is False
    assert not target.exists()
    assert message_boxes and "pip install onnx" in message_boxes[-1][2]
    assert "pip install onnx" in window.model_dialogs.export_action.text()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


# ---- 10. Help describes what the screen shows ----------------------------------------------------


def test_how_it_works_says_the_answers_bar_is_the_longest_as_the_f6_panel_draws_it(window, qtbot):
    import numpy as np

    from digitpad.gui.panels.f6_panel import closeness
    from digitpad.gui.windows.help_dialogs import HOW_IT_WORKS_HTML
    from drawings import draw

    window.drawing.set_strokes(draw(7))
    recognition = window.recognize_now()
    bars = closeness(recognition.penalties)
    assert recognition.digit == 7 and int(np.argmax(bars)) == 7  # the F6 panel's longest bar is the answer
    text = " ".join(HOW_IT_WORKS_HTML.split())
    assert "shortest bar" not in text and "the answer's bar is full, the longest" in text
