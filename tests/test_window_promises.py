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


# ---- 13. Weights History: the name given at Adopt, the whole file name; 9: the data really used -


def test_weights_history_shows_the_adopted_name_the_whole_file_and_the_images_used(qtbot, monkeypatch):
    from PySide6.QtCore import QRect

    from digitpad.gui.windows import weights_history
    from digitpad.gui.windows.weights_history import COLUMNS, WeightsHistoryDialog
    from digitpad.network.lenet5 import LeNet5
    from digitpad.storage.checkpoints import save_checkpoint

    monkeypatch.setattr(weights_history, "screen_area", lambda widget: QRect(0, 0, 1280, 800), raising=False)
    folder = Path.home() / "weights"
    folder.mkdir()
    path = folder / "2026-12-03_12-40-11_fine-tune-on-my-samples-1-epoch-03-dec-12-40.pt"
    save_checkpoint(path, LeNet5(), {"epochs": 1, "optimizer": "adam", "train_limit": 24_000},
                    {"test_error": 0.012, "train_images": 5_000, "name": "My own hand, first try"})
    dialog = WeightsHistoryDialog(lambda: folder, lambda: None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.is_loading())
    qtbot.wait(10)
    row = {name: dialog.table.item(0, column).text() for column, name in enumerate(COLUMNS)}
    assert row["Name"] == "My own hand, first try"
    assert "5,000" in row["Training data"] and "24,000" not in row["Training data"]
    file_column = COLUMNS.index("File")
    header = dialog.table.horizontalHeader()
    text_width = dialog.table.fontMetrics().horizontalAdvance(path.name)
    assert header.sectionSize(file_column) >= text_width  # not elided
    right_edge = header.sectionViewportPosition(file_column) + header.sectionSize(file_column)
    assert right_edge <= dialog.table.viewport().width()  # and in view without scrolling
    assert dialog.width() <= 1280


# ---- 9, 11. The Retrain dialog's estimate and progress --------------------------------------------


@pytest.fixture
def retrain(qtbot, untrained_shipped_weights, message_boxes):
    from digitpad.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    dialog = window.model_dialogs.open_retrain()
    dialog.recipe.auto_estimate = False
    yield dialog
    dialog.shutdown()


def test_the_estimate_is_for_the_images_in_the_folder_and_agrees_with_the_preset_list(retrain):
    from digitpad.paths import shipped_mnist_dir
    from digitpad.training.estimate import SpeedProbe, estimate_seconds

    dialog = retrain
    dialog.source.folder.setText(str(shipped_mnist_dir()))  # the 5,000-image slice a fresh install has
    probe = SpeedProbe(train_images_per_second=1000.0, test_images_per_second=10_000.0, epoch_overhead_seconds=0.0)
    for key in ("quick", "full", "fine-tune"):
        dialog.recipe.choose_preset(key)
        dialog.recipe._probes[dialog.recipe._key()] = probe
        dialog.recipe.refresh_estimate()
        assert dialog.recipe.train_images == 5_000  # not 60,000, nor the fine-tune's 24,000
    dialog.recipe.choose_preset("quick")
    dialog.recipe.refresh_estimate()
    assert dialog.recipe.estimated_seconds() == pytest.approx(estimate_seconds(probe, 8, 5_000, 10_000))
    labels = [dialog.preset.itemText(i) for i in range(dialog.preset.count())]
    assert not [label for label in labels if "second" in label or "minute" in label], \
        "a time in the preset's label contradicts the Time line's estimate"


def test_a_two_stage_run_counts_epochs_per_stage_as_its_epochs_box_does(qtbot, retrain, monkeypatch):
    from digitpad.gui.jobs.training_worker import TrainingWorker
    from digitpad.training.loop import BatchProgress

    def work(worker):  # what run_two_stages reports: epochs numbered over both stages (40 + 12)
        worker.batchProgress.emit(BatchProgress(epoch=3, epochs=52, batch=5, batches=10, loss=-0.25,
                                                samples_per_second=900.0))
        worker.batchProgress.emit(BatchProgress(epoch=43, epochs=52, batch=5, batches=10, loss=-0.5,
                                                samples_per_second=900.0))
        worker._cancel.wait(10)
        worker.check_cancelled()

    monkeypatch.setattr(TrainingWorker, "work", work)
    dialog = retrain
    dialog.recipe.choose_preset("full")
    assert dialog.epochs.value() == 40
    texts = []
    dialog.batchProgressed.connect(lambda _p: texts.append(dialog.stage.text()))
    dialog.start()
    qtbot.waitUntil(lambda: len(texts) == 2, timeout=10_000)
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=10_000)
    assert texts[0].startswith("Stage 1 of 2: epoch 3 of 40") and "of 52" not in texts[0]
    assert texts[1].startswith("Stage 2 of 2") and "epoch 3 of 12" in texts[1]
    # eq. 9's loss can be negative: the plot says so
    assert "below 0" in dialog.loss_plot.title
