"""Closing the main window loses no work (issue 22, items 1–3): a new model waiting for Adopt
and a training run are asked about first, Cancel keeps both, and weights adopted in answer are
the ones the next start uses."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from digitpad.gui import settings as keys  # noqa: E402
from digitpad.gui.main_window import MainWindow  # noqa: E402

TRAINING_TIMEOUT = 120_000
Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, untrained_shipped_weights, mnist_dir):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    dialog = win.model_dialogs.open_retrain()
    dialog.recipe.auto_estimate = False
    dialog.source.folder.setText(str(mnist_dir))
    dialog.train_limit, dialog.test_limit, dialog.threads = 300, 200, 1
    dialog.epochs.setValue(1)
    yield win
    win.model_dialogs.shutdown()


def train_to_the_end(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.trainingFinished, timeout=TRAINING_TIMEOUT):
        dialog.start()


def test_cancel_or_escape_at_adopt_before_closing_keeps_the_window_and_the_model(qtbot, window, answers):
    queue, asked = answers
    dialog = window.model_dialogs.retrain_dialog
    train_to_the_end(qtbot, dialog)
    outcome = dialog.outcome
    queue.append(Button.Cancel)  # Esc on the question answers Cancel too
    window.close()
    assert asked == ["Keep the new model?"]
    assert window.isVisible() and dialog.outcome is outcome  # still waiting to be adopted
    dialog.discard()  # so that closing at the end of the test asks nothing


def test_closing_while_training_asks_first_and_no_keeps_it_training(qtbot, window, answers):
    queue, asked = answers
    dialog = window.model_dialogs.retrain_dialog
    dialog.train_limit = 3000
    dialog.epochs.setValue(5)
    with qtbot.waitSignal(dialog.batchProgressed, timeout=TRAINING_TIMEOUT):
        dialog.start()
    queue.append(Button.No)
    window.close()
    assert asked == ["Stop training?"] and window.isVisible() and dialog.is_training()
    assert window.model_dialogs.retrain_dialog is dialog
    queue.append(Button.Yes)
    window.close()
    assert not window.isVisible() and not dialog.job.is_running()  # stopped and joined


def test_weights_adopted_as_the_window_closes_are_the_next_starts(qtbot, window, answers):
    queue, _asked = answers
    dialog = window.model_dialogs.retrain_dialog
    train_to_the_end(qtbot, dialog)
    queue.append(Button.Yes)  # "Adopt it before closing?"
    window.close()
    assert not window.isVisible() and dialog.last_adopted is not None and dialog.last_adopted.exists()
    settings = QSettings(window.settings.fileName(), QSettings.Format.IniFormat)
    assert settings.value(keys.WEIGHTS_FILE) == str(dialog.last_adopted.resolve())
