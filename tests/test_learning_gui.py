"""Model → Mistakes… and Model → Training Time-lapse…, driven through real widgets (pytest-qt)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from digitpad.explain.colours import diverging_rgb
from digitpad.explain.learning_pictures import kernel_limits
from digitpad.explain.mistakes import list_mistakes
from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.windows import mistakes_window
from digitpad.gui.windows.mistakes_window import SAMPLES
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.checkpoints import save_checkpoint
from digitpad.storage.samples import SampleStore
from digitpad.storage.snapshots import Snapshots, save_snapshots
from test_mistakes import KNOWN, KnownAnswers, known_set

LINE = [(100.0, 20.0), (100.0, 180.0)]   # a vertical stroke: read as 1
SEVEN = [(40.0, 30.0), (160.0, 30.0), (90.0, 190.0)]


def evaluated(qtbot, mistakes, which):
    mistakes.set_choice.setCurrentIndex(mistakes.set_choice.findData(which))
    with qtbot.waitSignal(mistakes.evaluated, timeout=120_000):
        qtbot.mouseClick(mistakes.evaluate_button, Qt.MouseButton.LeftButton)
    return mistakes.report


def test_the_browser_lists_exactly_the_mistakes_and_a_confusion_click_filters(qtbot, window):
    store = SampleStore()
    for label, stroke in ((1, LINE), (8, LINE), (7, SEVEN), (3, LINE)):
        store.add([stroke], label)
    qtbot.waitUntil(lambda: window.recognizer is not None)
    mistakes = window.learning.open_mistakes()
    report = evaluated(qtbot, mistakes, SAMPLES)
    answers = [window.recognizer.recognize_strokes([stroke]).digit for stroke in (LINE, LINE, SEVEN, LINE)]
    assert answers[0] == 1  # what the test relies on: the line is read as 1
    expected = {i for i, (label, answer) in enumerate(zip((1, 8, 7, 3), answers)) if label != answer}
    assert {m.index for m in report.mistakes} == expected and {1, 3} <= expected
    assert mistakes.model.rowCount() == len(report.mistakes)
    assert mistakes.confusion.counts.sum() == 4
    # A click on the (true 8, answer 1) cell lists that one example.
    column = report.mistakes[0].column() if report.mistakes[0].true == 8 else [
        m for m in report.mistakes if m.true == 8][0].column()
    qtbot.mouseClick(mistakes.confusion, Qt.MouseButton.LeftButton, pos=mistakes.confusion.cell_centre(8, column))
    assert [m.index for m in mistakes.model.shown] == [1]
    assert mistakes.true_choice.currentData() == 8 and mistakes.confusion.selected == (8, column)
    mistakes.kind_boxes[report.mistakes[0].reason].setChecked(False)  # its kind hidden: nothing left
    assert mistakes.model.rowCount() == 0


def test_unreadable_lines_of_the_samples_file_are_counted_and_said_in_the_status(qtbot, window):
    # They were skipped silently: the browser judged the readable samples as if they were all.
    store = SampleStore()
    for label, stroke in ((1, LINE), (7, SEVEN)):
        store.add([stroke], label)
    with open(store.path, "a", encoding="utf-8") as file:
        file.write('not json\n{"label": 12, "strokes": [[[0, 0], [5, 5]]]}\n')
    qtbot.waitUntil(lambda: window.recognizer is not None)
    mistakes = window.learning.open_mistakes()
    report = evaluated(qtbot, mistakes, SAMPLES)
    assert report.total == 2
    status = mistakes.summary.text().splitlines()
    assert len(status) == 2 and status[0] == report.summary() + ". Most confidently wrong first."
    assert status[1].startswith("2 lines of samples.jsonl skipped: not drawings (line 3: bad JSON")


def test_opening_an_example_shows_it_in_every_panel_and_teach_keeps_it(qtbot, window):
    SampleStore().add([LINE], 8)   # read as 1: a mistake
    qtbot.waitUntil(lambda: window.recognizer is not None)
    mistakes = window.learning.open_mistakes()
    report = evaluated(qtbot, mistakes, SAMPLES)
    assert len(report.mistakes) == 1
    expected = report.examples.input(0)
    mistakes.grid.setFocus()
    index = mistakes.model.index(0)
    rect = mistakes.grid.visualRect(index)
    qtbot.waitExposed(mistakes)
    with qtbot.waitSignal(mistakes.opened):  # a double-click: press, release, then the double press
        qtbot.mouseClick(mistakes.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(mistakes.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.drawing.image is not None and np.array_equal(window.drawing.image.input, expected)
    assert np.array_equal(window.input_view.array(), expected)
    recognition = window.context.last_recognition
    assert recognition is not None and np.array_equal(recognition.input, expected) and recognition.digit == 1
    assert window.f6_panel._f6 is not None and np.allclose(window.f6_panel._f6.ravel(), recognition.f6)
    with qtbot.waitSignal(window.teach_menu.teachingDone):
        window.teach_menu.teach_actions[8].trigger()
    kept = SampleStore().samples()
    assert len(kept) == 2 and kept[1].pixels is not None and kept[1].label == 8
    # Enter opens the selected one too.
    window.drawing.clear()
    mistakes.grid.setCurrentIndex(index)
    with qtbot.waitSignal(mistakes.opened):
        qtbot.keyClick(mistakes.grid, Qt.Key.Key_Return)
    assert np.array_equal(window.drawing.image.input, expected)


def test_a_mistake_opened_brings_the_main_window_forward_over_the_list(qtbot, window):
    # The list was the main window's child, kept above it by the window manager: at 1024×700 it
    # covered the canvas the double-click had just put the mistake on.
    SampleStore().add([LINE], 8)   # read as 1: a mistake
    qtbot.waitUntil(lambda: window.recognizer is not None)
    mistakes = window.learning.open_mistakes()
    qtbot.waitExposed(mistakes)
    assert mistakes.windowHandle().transientParent() is None  # a window of its own
    evaluated(qtbot, mistakes, SAMPLES)
    qtbot.waitUntil(mistakes.isActiveWindow)
    rect = mistakes.grid.visualRect(mistakes.model.index(0))
    with qtbot.waitSignal(mistakes.opened):
        qtbot.mouseClick(mistakes.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(mistakes.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(window.isActiveWindow)
    assert window.drawing.image is not None and "Model → Mistakes…" in window.statusBar().currentMessage()
    window.learning.open_mistakes()  # and the menu brings the list back
    qtbot.waitUntil(mistakes.isActiveWindow)
    window.close()  # closing the main window closes the list, which nothing else would
    assert not mistakes.isVisible()


def test_mnist_test_mistakes_fill_the_grid_and_the_heat_map(qtbot, window):
    qtbot.waitUntil(lambda: window.recognizer is not None)
    mistakes = window.learning.open_mistakes()
    report = evaluated(qtbot, mistakes, "mnist")
    assert report.total == 10_000 and mistakes.model.rowCount() == len(report.mistakes) > 0
    margins = [m.margin for m in mistakes.model.shown]
    assert margins == sorted(margins)
    assert "mistakes in 10,000 examples" in mistakes.summary.text()
    qtbot.waitUntil(lambda: not BackgroundJob.running)


def tiny_snapshots(count: int = 4) -> tuple[Snapshots, LeNet5]:
    torch.manual_seed(3)
    models = [LeNet5() for _ in range(count)]
    states = [m.state_dict() for m in models]
    snapshots = Snapshots(list(range(0, 10 * count, 10)), [i / 2 for i in range(count)],
                          [None] + [1.0 / (i + 1) for i in range(1, count)],
                          {key: torch.stack([s[key] for s in states]).half() for key in states[0]},
                          [{"epoch": 1, "train_loss": 0.5, "test_error": 0.2}])
    return snapshots, models[-1]


def kernel_pixel(window, index):
    """The colour of C1 kernel 0's top-left weight in the time-lapse's kernel picture."""
    image = window.kernels.pixmap().toImage()
    colour = image.pixelColor(5 + 2, 5 + 2)   # gap = zoom = 5
    return colour.red(), colour.green(), colour.blue()


def test_the_timelapse_scrubs_through_the_snapshots_kernels(qtbot, window, tmp_path):
    snapshots, last = tiny_snapshots()
    weights = tmp_path / "run.pt"
    save_checkpoint(weights, last)
    save_snapshots(weights, snapshots)
    qtbot.waitUntil(lambda: window.recognizer is not None)
    window.drawing.add_stroke(SEVEN)
    timelapse = window.learning.open_timelapse(weights)
    qtbot.waitUntil(lambda: len(timelapse.snapshots) == 4, timeout=30_000)
    c1 = snapshots.weights["c1.weight"].float().numpy()
    limits = kernel_limits(c1, snapshots.weights["c3.weight"].float().numpy())
    for index in (0, 2):
        timelapse.slider.setFocus()
        qtbot.keyClick(timelapse.slider, Qt.Key.Key_Home)
        for _ in range(index):
            qtbot.keyClick(timelapse.slider, Qt.Key.Key_Right)
        assert timelapse.slider.value() == index
        assert kernel_pixel(timelapse, index) == tuple(diverging_rgb(c1[index, 0, 0, 0, 0], limits[0]))
        with torch.no_grad():
            model = snapshots.model(index)
            expected = model(torch.from_numpy(window.context.last_recognition.input)[None, None])[0].numpy()
        assert np.allclose(timelapse.penalties.penalties, expected, atol=1e-4)
    with qtbot.waitSignal(timelapse.shown_snapshot, timeout=5000):
        qtbot.mouseClick(timelapse.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not timelapse.play_button.isChecked(), timeout=10_000)
    assert timelapse.slider.value() == 3


def test_the_timelapse_of_a_fine_tuning_run_whose_loss_is_below_zero_opens(qtbot, window, tmp_path):
    snapshots, last = tiny_snapshots()
    snapshots.losses = [None, -2.4, -3.6, -2.9]  # eq. 9 below 0: fine-tuning good weights starts there
    weights = tmp_path / "fine-tune.pt"
    save_checkpoint(weights, last)
    save_snapshots(weights, snapshots)
    timelapse = window.learning.open_timelapse(weights)
    qtbot.waitUntil(lambda: len(timelapse.snapshots) == 4, timeout=30_000)  # it raised ZeroDivisionError
    assert timelapse.curves.pixmap() is not None and not timelapse.curves.pixmap().isNull()
    assert "4 snapshots" in timelapse.status.text()


def test_the_timelapse_says_when_the_weights_have_none(qtbot, window, tmp_path):
    weights = tmp_path / "old.pt"
    save_checkpoint(weights, LeNet5())
    timelapse = window.learning.open_timelapse(weights)
    assert "No time-lapse for old.pt" in timelapse.status.text() and len(timelapse.snapshots) == 0


def test_without_snapshots_the_timelapse_neither_plays_nor_asks_for_a_digit_already_drawn(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.recognizer is not None)
    window.drawing.add_stroke(SEVEN)
    save_checkpoint(weights := tmp_path / "no-run.pt", LeNet5())  # no snapshots beside them
    timelapse = window.learning.open_timelapse(weights)
    assert len(timelapse.snapshots) == 0
    assert not timelapse.play_button.isEnabled() and not timelapse.slider.isEnabled()  # it did nothing
    assert window.context.shown_recognition is not None
    assert "Draw a digit" not in timelapse.penalties.message and "No snapshots" in timelapse.penalties.message


@pytest.mark.slow
def test_the_timelapse_follows_a_retraining_live(qtbot, window, mnist_dir):
    qtbot.waitUntil(lambda: window.recognizer is not None)
    dialog = window.model_dialogs.open_retrain()
    dialog.source.folder.setText(str(mnist_dir))
    dialog.train_limit, dialog.test_limit, dialog.threads = 300, 200, 1
    dialog.recipe.auto_estimate = False
    dialog.epochs.setValue(1)
    qtbot.mouseClick(dialog.timelapse_button, Qt.MouseButton.LeftButton)
    timelapse = window.learning.timelapse_window
    assert timelapse.isVisible() and "No run yet" in timelapse.status.text()
    seen = []
    timelapse.shown_snapshot.connect(seen.append)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=300_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(timelapse.snapshots) == 41)
    assert "This run: 41 snapshots" in timelapse.status.text() and timelapse.slider.maximum() == 40
    assert len(set(seen)) > 10  # drawn as they arrived, not only at the end


def test_thumbnails_are_made_off_the_gui_thread_and_a_blank_square_shows_meanwhile(qtbot, monkeypatch):
    made_on = []
    real = mistakes_window.thumbnail_image
    monkeypatch.setattr(mistakes_window, "thumbnail_image",
                        lambda array, *size: made_on.append(threading.current_thread()) or real(array, *size))
    report = list_mistakes(KnownAnswers([penalties for _, penalties in KNOWN]), known_set())
    model = mistakes_window.MistakeListModel()
    model.set_report(report)
    first = model.index(0)
    blank = model.data(first, Qt.ItemDataRole.DecorationRole)   # asked for before the job has made it
    assert threading.main_thread() not in made_on
    qtbot.waitUntil(lambda: len(model._thumbnails) == len(report.mistakes), timeout=10_000)
    model.shutdown()
    made = model.data(first, Qt.ItemDataRole.DecorationRole)
    assert made is not blank and made.toImage() != blank.toImage()
    assert len(made_on) == len(report.mistakes) and threading.main_thread() not in made_on


def test_teaching_an_example_of_a_set_kept_for_measuring_asks_first(qtbot, window, answers):
    # An MNIST test image opened from the Mistakes browser and taught went into the samples
    # without a word, and a retraining with them then trained on the test set.
    from dataclasses import replace

    from PySide6.QtWidgets import QMessageBox

    queue, asked = answers
    qtbot.waitUntil(lambda: window.recognizer is not None)
    mistakes = window.learning.open_mistakes()
    report = list_mistakes(KnownAnswers([penalties for _, penalties in KNOWN]), replace(known_set(), held_out=True))
    mistakes.show_report(report)
    with qtbot.waitSignal(mistakes.opened):
        mistakes.open_example(mistakes.model.index(0))
    assert window.drawing.image.held_out_from == "known answers"
    queue.append(QMessageBox.StandardButton.No)
    assert not window.teach_menu.teach(4)
    assert asked == ["Keep a test example as a sample?"] and SampleStore().samples() == []
    queue.append(QMessageBox.StandardButton.Yes)  # the person's choice, knowingly
    with qtbot.waitSignal(window.teach_menu.teachingDone):
        assert window.teach_menu.teach(4)
    assert [s.label for s in SampleStore().samples()] == [4]
    window.drawing.add_stroke(SEVEN)  # a drawing of one's own: not asked
    with qtbot.waitSignal(window.teach_menu.teachingDone):
        window.teach_menu.teach(7)
    assert len(asked) == 2
