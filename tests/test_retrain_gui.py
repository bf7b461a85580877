"""Model → Retrain…, Weights History, Export and Teach, driven through the real main window.

Training runs are tiny (a few hundred images, one epoch) and every wait is on a signal.
The "shipped weights" are a seeded untrained checkpoint, so the tests never depend on the
long training run that produces resources/lenet5.pt.
"""

from __future__ import annotations

import onnxruntime
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

import digitpad.training.config
import digitpad.training.run
from digitpad.gui import settings as keys
from digitpad.gui.jobs.background import BackgroundJob
from digitpad.gui.main_window import MainWindow
from digitpad.gui.widgets.plot import LinePlot
from digitpad.ticks import nice_ticks
from digitpad.gui.windows.retrain_dialog import RetrainDialog
from digitpad.storage.adopted_weights import adopted_weights_dir
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.samples import SampleStore, default_samples_path
from digitpad.storage.checkpoints import load_checkpoint, save_checkpoint
from digitpad.storage.snapshots import load_snapshots, snapshots_path
from digitpad.storage.run_metrics import RunMetrics

SEVEN = [(10, 10), (90, 10), (40, 100)]
TRAINING_TIMEOUT = 60_000


@pytest.fixture(autouse=True)
def shipped(untrained_shipped_weights):
    return untrained_shipped_weights


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch):
    """Every QMessageBox is recorded instead of blocking the test."""
    calls: list[tuple[str, str]] = []

    def recorder(kind):
        def record(parent, title, text, *args, **kwargs):
            calls.append((kind, text))
            return QMessageBox.StandardButton.Yes if kind == "question" else QMessageBox.StandardButton.Ok
        return record

    for kind in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))
    return calls


def make_window(qtbot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot):
    return make_window(qtbot)


@pytest.fixture
def dialog(window, mnist_dir) -> RetrainDialog:
    dialog = window.model_dialogs.open_retrain()
    dialog.source.folder.setText(str(mnist_dir))
    dialog.train_limit, dialog.test_limit, dialog.threads = 300, 200, 1
    dialog.recipe.auto_estimate = False  # no speed probe competing with the tiny runs
    dialog.epochs.setValue(1)
    return dialog


def state_of(window) -> dict:
    return {k: v.detach().cpu().clone() for k, v in window.session.model.state_dict().items()}


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def train_to_the_end(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.trainingFinished, timeout=TRAINING_TIMEOUT):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)


def test_the_dialog_offers_the_core_presets_quick_first(window):
    # The dialog's choices are train.py's --preset recipes (digitpad.training.presets), not a copy of them.
    dialog = window.model_dialogs.open_retrain()
    assert [dialog.preset.itemData(i) for i in range(dialog.preset.count())] == ["quick", "fine-tune", "full"]
    quick = dialog.config()
    assert (quick.epochs, quick.learning_rate, quick.batch_size) == (8, 0.01, 128)
    assert not dialog.fine_tune.isChecked()
    dialog.recipe.choose_preset("full")
    full, second = dialog.config(), dialog.recipe.second_stage()
    assert (full.epochs, full.optimizer, full.distort, full.learning_rate, full.weight_averaging) == \
        (40, "adam", True, 0.002, True)
    assert (second.epochs, second.negatives, second.rubbish_j, second.learning_rate) == (12, 11_000, 40.0, 3e-4)
    dialog.recipe.seed.setValue(9)  # the box's seed runs both stages
    assert dialog.recipe.second_stage().seed == 9
    small = dialog.recipe.second_stage(300, 100)  # and the dialog's limits (a small data set) both
    assert (small.train_limit, small.test_limit) == (300, 100)
    assert not dialog.fine_tune.isChecked() and not dialog.fine_tune.isEnabled()  # Full trains a new network
    dialog.recipe.choose_preset("fine-tune")
    assert dialog.fine_tune.isChecked() and dialog.fine_tune.isEnabled() and dialog.config().epochs == 1
    assert dialog.recipe.second_stage() is None
    assert dialog.config().train_limit == 24_000  # the preset's own limit survives the dialog
    assert dialog.device.itemData(0) == "cpu"


@pytest.mark.slow
def test_progress_and_curves_arrive_then_old_and_new_are_compared(qtbot, dialog):
    with qtbot.waitSignals([dialog.trainingStarted, dialog.batchProgressed, dialog.epochFinished,
                            dialog.trainingFinished], timeout=TRAINING_TIMEOUT):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.overall.value() == 100 and dialog.epoch_bar.value() == 100
    assert dialog.timing.text().startswith("Took") and "Elapsed" not in dialog.timing.text()  # one time
    assert len(dialog.loss_plot.series[0].points) >= 1 and len(dialog.error_plot.series[0].points) == 1
    outcome = dialog.outcome
    assert outcome.test_total == 200 and outcome.old_test_error is not None
    assert "model in use" in dialog.comparison.text() and f"{100 * outcome.new_test_error:.2f}%" in \
        dialog.comparison.text()
    assert dialog.adopt_button.isVisible() and dialog.discard_button.isVisible()
    assert not dialog.start_button.isVisible()


@pytest.mark.slow
def test_cancel_stops_quickly_and_leaves_the_model_alone(qtbot, window, dialog):
    dialog.train_limit = 3000  # × 5 epochs: far longer than the test waits
    dialog.epochs.setValue(5)
    before = state_of(window)
    with qtbot.waitSignal(dialog.batchProgressed, timeout=TRAINING_TIMEOUT):
        dialog.start()
    window.drawing.add_stroke(SEVEN)  # the window keeps recognising with its model meanwhile
    assert window.recognize_now() is not None and dialog.is_training()
    # Cancelled, not finished: 3,000 images × 5 epochs would take far longer than the wait.
    with qtbot.waitSignal(dialog.trainingCancelled, timeout=TRAINING_TIMEOUT):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert same_state(before, state_of(window))
    assert dialog.outcome is None and not list(adopted_weights_dir().glob("*.pt"))
    assert "cancelled" in dialog.stage.text() and dialog.start_button.isVisible()
    qtbot.waitUntil(lambda: not BackgroundJob.running)


@pytest.mark.slow
def test_adopt_switches_the_model_and_survives_a_restart(qtbot, window, dialog):
    train_to_the_end(qtbot, dialog)
    new_state = {k: v.clone() for k, v in dialog.outcome.result.model.state_dict().items()}
    new_error = dialog.outcome.new_test_error
    with qtbot.waitSignal(window.context.modelChanged):
        qtbot.mouseClick(dialog.adopt_button, Qt.MouseButton.LeftButton)
    (saved,) = adopted_weights_dir().glob("*.pt")
    assert window.session.weights_file == saved
    assert same_state(new_state, state_of(window))
    checkpoint = load_checkpoint(saved)
    assert checkpoint.config["epochs"] == 1 and checkpoint.config["optimizer"] == "adam"
    assert checkpoint.metrics.test_error == pytest.approx(new_error)
    assert checkpoint.data_checksum and checkpoint.created
    # The run's time-lapse is written beside it, off the GUI thread, and belongs to it.
    qtbot.waitUntil(lambda: dialog._snapshots_job is not None and not dialog._snapshots_job.is_running())
    assert load_snapshots(snapshots_path(saved)).matches(checkpoint.state)
    window.close()

    restarted = make_window(qtbot)
    assert restarted.session.weights_file == saved
    assert same_state(new_state, state_of(restarted))
    assert str(saved) in str(restarted.settings.value(keys.WEIGHTS_FILE))


@pytest.mark.slow
def test_discard_keeps_the_model_and_writes_nothing(qtbot, window, dialog):
    before = state_of(window)
    train_to_the_end(qtbot, dialog)
    with qtbot.waitSignal(dialog.discarded):
        qtbot.mouseClick(dialog.discard_button, Qt.MouseButton.LeftButton)
    assert same_state(before, state_of(window)) and window.session.weights_file is None
    assert not adopted_weights_dir().exists() or not list(adopted_weights_dir().glob("*.pt"))
    restarted = make_window(qtbot)
    assert same_state(before, state_of(restarted))


def test_a_crash_in_the_worker_is_reported_and_the_thread_ends(qtbot, window, dialog, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("simulated failure in the training loop")

    monkeypatch.setattr(digitpad.training.run, "train", explode)
    before = state_of(window)
    with qtbot.waitSignal(dialog.trainingFailed, timeout=TRAINING_TIMEOUT) as failure:
        dialog.start()
    assert "simulated failure" in failure.args[0] and "simulated failure" in dialog.stage.text()
    qtbot.waitUntil(lambda: not BackgroundJob.running)
    assert same_state(before, state_of(window)) and dialog.start_button.isVisible()


@pytest.mark.parametrize("closing", ["dialog", "window"])
@pytest.mark.slow
def test_closing_during_training_stops_and_joins_the_thread(qtbot, window, dialog, closing):
    dialog.train_limit = 3000
    dialog.epochs.setValue(5)
    before = state_of(window)
    with qtbot.waitSignal(dialog.batchProgressed, timeout=TRAINING_TIMEOUT):
        dialog.start()
    job = dialog.job
    (dialog if closing == "dialog" else window).close()
    assert job.thread.isFinished()  # stopped and joined before close() returned
    assert same_state(before, state_of(window)) and dialog.outcome is None
    assert not adopted_weights_dir().exists() or not list(adopted_weights_dir().glob("*.pt"))


@pytest.mark.slow
def test_fine_tuning_with_my_samples_reports_them_before_and_after(qtbot, window, dialog):
    store = SampleStore()
    for _ in range(5):
        store.add([SEVEN], 7)
    window.model_dialogs.open_retrain()  # re-opening counts the samples again
    dialog.use_samples.setChecked(True)
    dialog.fine_tune.setChecked(True)
    dialog.epochs.setValue(1)
    train_to_the_end(qtbot, dialog)
    outcome = dialog.outcome
    assert outcome.extra_total == 5 and outcome.old_extra_errors is not None
    assert outcome.new_extra_errors is not None and "Your samples" in dialog.comparison.text()
    assert outcome.metrics.fine_tuned and outcome.metrics.extra_samples == 5
    assert outcome.metrics.extra_repeat >= 1


def test_download_fills_the_user_data_folder_and_is_used(qtbot, window, mnist_served, isolated_user_data):
    mnist_dir = mnist_served
    dialog = window.model_dialogs.open_retrain()
    source = dialog.source
    source.folder.setText(str(isolated_user_data / "nowhere"))
    assert not dialog.start_button.isEnabled() and "not found" in source.status.text()
    source.mirror = mnist_dir.as_uri() + "/"  # a local "mirror": same code path, no network
    with qtbot.waitSignal(source.downloadEnded, timeout=TRAINING_TIMEOUT) as ended:
        qtbot.mouseClick(source.download_button, Qt.MouseButton.LeftButton)
        assert not dialog.start_button.isEnabled()  # not while the files are being written
    assert ended.args == [""]
    assert dialog.data_dir() == isolated_user_data / ".local/share/digitpad/mnist"
    assert dialog.start_button.isEnabled() and "found" in source.status.text()


def test_weights_history_switches_deletes_and_reverts(qtbot, window, shipped):
    folder = adopted_weights_dir()
    paths = []
    for n, error in enumerate((0.05, 0.04)):
        torch.manual_seed(n)
        paths.append(folder / f"2024-01-0{n + 1}_10-00-00.pt")
        save_checkpoint(paths[-1], LeNet5(), {"epochs": 2 + n, "optimizer": "sdlm"}, RunMetrics(test_error=error))
    (folder / "broken.pt").write_bytes(b"junk")
    history = window.model_dialogs.open_history()
    qtbot.waitUntil(lambda: not history.is_loading())  # read in the background
    # Adopted files newest first, then the weights shipped beside the default (pen strokes too).
    assert [e.path.name for e in history.entries] == ["broken.pt", paths[1].name, paths[0].name, "lenet5-mnist.pt"]
    assert history.table.item(1, 2).text() == "4.00%" and history.table.item(1, 4).text() == "SDLM"
    assert history.entries[0].checkpoint is None and history.table.item(0, 2).text() == "unusable"
    assert history.table.item(3, 6).text() == "lenet5-mnist.pt (shipped)"
    history.select_path(history.entries[3].path)
    assert not history.delete_button.isEnabled() and not history.delete_selected(confirm=False)
    with qtbot.waitSignal(window.context.modelChanged):
        qtbot.mouseClick(history.use_button, Qt.MouseButton.LeftButton)
    assert window.session.weights_file == history.entries[3].path and history.entries[3].path.exists()

    history.select_path(paths[0])
    with qtbot.waitSignal(window.context.modelChanged):
        qtbot.mouseClick(history.use_button, Qt.MouseButton.LeftButton)
    assert window.session.weights_file == paths[0]
    assert "(in use)" in history.table.item(2, 0).text()
    history.select_path(paths[0])
    assert not history.delete_button.isEnabled()  # not the weights in use
    history.select_path(paths[1])
    snapshots_path(paths[1]).write_bytes(b"its time-lapse")
    assert history.delete_selected() and not paths[1].exists()
    assert not snapshots_path(paths[1]).exists()  # deleted with its weights
    with qtbot.waitSignal(window.context.modelChanged):
        qtbot.mouseClick(history.revert_button, Qt.MouseButton.LeftButton)
    assert window.session.weights_file is None
    assert same_state(load_checkpoint(shipped).state, state_of(window))


def test_teach_keeps_labelled_drawings_and_the_browser_deletes_them(qtbot, window):
    qtbot.keyClick(window.canvas, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not default_samples_path().exists()  # nothing drawn: nothing kept
    window.drawing.add_stroke(SEVEN)
    window.canvas.setFocus()
    with qtbot.waitSignal(window.teach_menu.teachingDone):  # saved in the background
        qtbot.keyClick(window.canvas, Qt.Key.Key_7,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    window.drawing.set_strokes([[(50, 0), (50, 100)]])  # another drawing (the same one would be relabelled)
    with qtbot.waitSignal(window.teach_menu.teachingDone):
        window.teach_menu.teach_actions[1].trigger()
    assert [s.label for s in SampleStore().samples()] == [7, 1]
    assert "sample of 1" in window.statusBar().currentMessage()

    browser = window.teach_menu.open_samples()
    qtbot.waitUntil(lambda: browser.store is not None)  # the file is read in the background
    assert browser.grid.count() == 2 and browser.grid.item(0).text() == "7"
    browser.grid.item(0).setSelected(True)
    with qtbot.waitSignal(browser.changeEnded) as ended:  # deleted in the background
        assert browser.delete_selected()
    assert ended.args == [1]
    assert [s.label for s in SampleStore().samples()] == [1] and browser.grid.count() == 1


def test_browser_imports_exports_and_shows_unreadable_lines(qtbot, window, tmp_path):
    SampleStore().add([SEVEN], 7)
    with open(default_samples_path(), "a") as handle:
        handle.write("this is not a sample\n")
    browser = window.teach_menu.open_samples()
    qtbot.waitUntil(lambda: browser.store is not None)  # the file is read in the background
    assert browser.problems.isVisibleTo(browser) and "line 2" in browser.problems.text()
    assert browser.export_to(tmp_path / "out.jsonl") == 1
    other = SampleStore(tmp_path / "other.jsonl")
    other.add([SEVEN], 3)
    with qtbot.waitSignal(browser.changeEnded) as ended:  # imported in the background
        assert browser.import_from(other.path)
    assert ended.args == [1] and browser.grid.count() == 2


def test_export_writes_an_onnx_file_of_the_current_model(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.model_dialogs.exportEnded, timeout=60_000) as ended:  # in the background
        assert window.model_dialogs.export_model(tmp_path / "current.onnx")
    assert ended.args == [tmp_path / "current.onnx", ""]
    assert "Exported" in window.statusBar().currentMessage()
    session = onnxruntime.InferenceSession(str(tmp_path / "current.onnx"), providers=["CPUExecutionProvider"])
    x = torch.full((2, 1, 32, 32), -0.1)
    with torch.no_grad():
        expected = window.session.model(x).numpy()
    assert abs(session.run(None, {"input": x.numpy()})[0] - expected).max() < 1e-4


@pytest.mark.parametrize("low, high, ticks", [
    (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (0, 87.3, [0, 20, 40, 60, 80, 100]),
    (0.0123, 0.0161, [0.012, 0.013, 0.014, 0.015, 0.016, 0.017]),
    (5, 5, [4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6]),  # a flat line gets ±10 % of room
])
def test_plot_ticks_are_round_numbers_covering_the_data(low, high, ticks):
    assert nice_ticks(low, high, 5) == pytest.approx(ticks)


def test_plot_axes_grow_with_the_data_and_paint(qtbot):
    plot = LinePlot("Test error", "epoch", "error (%)")
    qtbot.addWidget(plot)
    plot.add_series("test error", "red")
    plot.clear(x_extent=20)
    assert plot.ranges()[0] == (1.0, 20.0)
    for epoch, error in ((1, 9.5), (2, 3.2), (3, float("nan"))):
        plot.append(0, epoch, error)
    assert len(plot.series[0].points) == 2  # a NaN is not drawn
    assert plot.ranges()[1] == (0, 10)
    plot.resize(320, 200)
    assert not plot.grab().isNull()


def test_my_samples_are_read_and_rendered_off_the_gui_thread(qtbot, window, dialog, monkeypatch):
    """Rendering a few thousand samples takes seconds: not on the GUI thread, at Start."""
    import threading

    from digitpad.gui.windows import retrain_dialog

    store = SampleStore()
    for _ in range(3):
        store.add([SEVEN], 7)
    window.model_dialogs.open_retrain()
    dialog.use_samples.setChecked(True)
    threads = []
    real = retrain_dialog.samples_dataset
    monkeypatch.setattr(retrain_dialog, "samples_dataset",
                        lambda samples: threads.append(threading.current_thread()) or real(samples))
    train_to_the_end(qtbot, dialog)
    assert threads and threading.main_thread() not in threads
    assert dialog.outcome.extra_total == 3


def test_a_samples_file_gone_bad_before_start_is_reported_not_raised(qtbot, window, dialog):
    store = SampleStore()
    store.add([SEVEN], 7)
    window.model_dialogs.open_retrain()
    dialog.use_samples.setChecked(True)
    path = default_samples_path()
    path.unlink()
    path.mkdir()  # another program put a folder there meanwhile
    with qtbot.waitSignal(dialog.trainingFailed, timeout=TRAINING_TIMEOUT) as failed:
        dialog.start()
    assert "folder" in failed.args[0] and dialog.outcome is None
    assert "The model in use is unchanged" in dialog.stage.text()
