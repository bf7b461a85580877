"""The Retrain dialog as a person meets it: closing in every state, the time estimate before
starting, curves that move during the first epoch, a clean state after Cancel, named models."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.main_window import MainWindow
from digitpad.storage.adopted_weights import adopted_weights_dir
from digitpad.training.config import TrainingConfig
from digitpad.training.estimate import SpeedProbe, estimate_seconds, probe_speed
from digitpad.storage.checkpoints import load_checkpoint

TRAINING_TIMEOUT = 60_000


@pytest.fixture(autouse=True)
def shipped(untrained_shipped_weights):
    return untrained_shipped_weights


@pytest.fixture
def dialog(qtbot, mnist_dir, message_boxes):  # closing the window asks about a model left waiting
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    dialog = window.model_dialogs.open_retrain()
    dialog.recipe.auto_estimate = False
    dialog.source.folder.setText(str(mnist_dir))
    dialog.train_limit, dialog.test_limit, dialog.threads = 300, 200, 1
    dialog.epochs.setValue(1)
    return dialog


def start_long_run(qtbot, dialog) -> None:
    dialog.train_limit = 3000
    dialog.epochs.setValue(5)
    with qtbot.waitSignal(dialog.batchProgressed, timeout=TRAINING_TIMEOUT):
        dialog.start()


def test_close_and_escape_close_the_idle_dialog(qtbot, dialog):
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    dialog.show()
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_escape_while_training_asks_first_and_stops_only_if_told(qtbot, dialog, answers):
    queue, asked = answers
    start_long_run(qtbot, dialog)
    queue.append(QMessageBox.StandardButton.No)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["Stop training?"] and dialog.isVisible() and dialog.is_training()
    job = dialog.job
    queue.append(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and job.thread.isFinished()
    qtbot.waitUntil(lambda: not BackgroundJob.running and dialog.job is None)
    assert not adopted_weights_dir().exists() or not list(adopted_weights_dir().glob("*.pt"))


@pytest.mark.slow
def test_closing_a_finished_run_asks_about_the_new_model(qtbot, dialog, answers):
    queue, asked = answers
    with qtbot.waitSignal(dialog.trainingFinished, timeout=TRAINING_TIMEOUT):
        dialog.start()
    queue.append(QMessageBox.StandardButton.Discard)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["Keep the new model?"] and not dialog.isVisible() and dialog.outcome is None


def test_cancel_leaves_a_clean_state(qtbot, dialog):
    start_long_run(qtbot, dialog)
    assert dialog.overall.value() > 0 or dialog.epoch_bar.value() > 0
    with qtbot.waitSignal(dialog.trainingCancelled, timeout=TRAINING_TIMEOUT):
        dialog.cancel()
    assert dialog.overall.value() == 0 and dialog.epoch_bar.value() == 0
    assert dialog.timing.text() == "" and "remaining" not in dialog.stage.text()
    assert dialog.start_button.isVisible() and dialog.preset.isEnabled()


@pytest.mark.slow
def test_the_loss_curve_moves_during_the_first_epoch(qtbot, dialog):
    dialog.train_limit = 1300  # 21 batches of 64: a loss point every 5 batches
    with qtbot.waitSignal(dialog.trainingFinished, timeout=TRAINING_TIMEOUT):
        dialog.start()
    xs = [x for x, _ in dialog.loss_plot.series[0].points]
    assert len([x for x in xs if x < 1]) >= 3 and xs == sorted(xs)
    assert [x for x, _ in dialog.error_plot.series[0].points] == [1.0]


@pytest.mark.slow
def test_an_adopted_model_keeps_its_name_and_becomes_the_model_in_use(qtbot, dialog):
    window = dialog.parent()
    with qtbot.waitSignal(dialog.trainingFinished, timeout=TRAINING_TIMEOUT):
        dialog.start()
    assert dialog.model_name.isVisible() and dialog.model_name.text()  # a suggestion
    dialog.model_name.setText("Ada's quick model")
    with qtbot.waitSignal(window.context.modelChanged):
        qtbot.mouseClick(dialog.adopt_button, Qt.MouseButton.LeftButton)
    (saved,) = adopted_weights_dir().glob("*.pt")
    assert load_checkpoint(saved).metrics.name == "Ada's quick model" and "ada-s-quick-model" in saved.name
    assert "Ada's quick model" in window.weights_status.text()
    assert "Ada's quick model" in dialog.current_label.text() and dialog.comparison.text() == ""
    window.model_dialogs.open_retrain()  # reopened: still the model in use
    assert "Ada's quick model" in dialog.current_label.text()


@pytest.mark.slow
def test_the_time_is_estimated_before_starting(qtbot, dialog):
    dialog.recipe.auto_estimate = True
    dialog.recipe.refresh_estimate()
    qtbot.waitUntil(lambda: "about" in dialog.estimate.text(), timeout=TRAINING_TIMEOUT)
    first = dialog.recipe.estimated_seconds()
    dialog.epochs.setValue(2)  # same recipe, twice the passes: no new probe needed
    assert "about" in dialog.estimate.text() and dialog.recipe.estimated_seconds() > first
    qtbot.waitUntil(lambda: not BackgroundJob.running, timeout=TRAINING_TIMEOUT)


def test_the_estimate_scales_the_probe_to_the_run():
    probe = SpeedProbe(train_images_per_second=1000.0, test_images_per_second=5000.0, epoch_overhead_seconds=1.0)
    one = estimate_seconds(probe, 1, 60_000, 10_000)
    assert one == pytest.approx(2.0 + 2.0 + (1.0 + 60.0 + 2.0))
    assert estimate_seconds(probe, 3, 60_000, 10_000) - one == pytest.approx(2 * 63.0)


@pytest.mark.slow
def test_the_probe_measures_this_recipe():
    probe = probe_speed(TrainingConfig(epochs=40, distort=False))
    assert probe.train_images_per_second > 0 and probe.test_images_per_second > 0


def test_the_probe_times_batches_of_the_recipes_size_and_makes_no_negatives(monkeypatch):
    import digitpad.training.estimate as estimate

    seen = []
    real_train = estimate.train

    def spy(config, train_set, *args, **kwargs):
        seen.append((config.step_batch_size(len(train_set)), config.negatives))
        return real_train(config, train_set, *args, **kwargs)

    monkeypatch.setattr(estimate, "train", spy)
    probe_speed(TrainingConfig(batch_size=128, distort=False, negatives=2_000))
    assert seen[-1] == (128, 0)  # the timed run: batches of 128, as the real run trains


@pytest.mark.parametrize("bad", ["folder", "malformed"])
def test_samples_that_cannot_be_counted_say_why_in_one_line(qtbot, dialog, bad):
    # The dialog said "Include my own samples (0)" and nothing else when the file was a folder
    # (or unreadable) or held no readable drawing.
    from digitpad.storage.samples import default_samples_path

    path = default_samples_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if bad == "folder":
        path.mkdir()
    else:
        path.write_text('{"label": 7, "strokes": [[[0, 0], [1, 1]]\n' + "not json\n")
    dialog.refresh()  # counts again, in the background
    qtbot.waitUntil(lambda: not dialog._counts.busy(), timeout=10_000)
    assert dialog.use_samples.text() == "Include my own samples (0)" and not dialog.use_samples.isEnabled()
    note = dialog.samples_note
    assert note.isVisibleTo(dialog) and "\n" not in note.text()
    assert ("folder" in note.text()) if bad == "folder" else ("2 lines" in note.text() and "line 1" in note.text())
