"""Slow work runs off the GUI thread: the window keeps processing events while Weights History
reads its files, Load Weights reads one, and Teach waits for the samples file's lock.

Each test makes the slow part wait until a timer on the GUI thread releases it. If that part ran
on the GUI thread, the timer could not fire: the wait would give up after HOLD_SECONDS and the
test fails, saying the GUI thread was blocked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402

from digitpad.gui.windows import weights_history  # noqa: E402
from digitpad.gui.jobs.background import BackgroundJob  # noqa: E402
from digitpad.gui.windows.weights_history import WeightsHistoryDialog  # noqa: E402
from digitpad.network.lenet5 import LeNet5  # noqa: E402
from digitpad.storage.checkpoints import save_checkpoint  # noqa: E402
from digitpad.storage.run_metrics import RunMetrics

#: How long a held call waits for the GUI thread before giving up (only when the GUI is blocked).
HOLD_SECONDS = 2.0
#: Long enough for a background thread on a busy shared machine.
DONE_MS = 20_000
#: What a row says while its file is read.
LOADING = "Loading…"


class HeldCall:
    """Stands in for a slow call: waits until released, then does the real call. `released`
    records, per call, whether it was released (True) or gave up waiting (False)."""

    def __init__(self, real: Callable):
        self.real = real
        self.started = threading.Event()
        self.release = threading.Event()
        self.released: list[bool] = []

    def __call__(self, *args, **kwargs):
        self.started.set()
        self.released.append(self.release.wait(HOLD_SECONDS))
        return self.real(*args, **kwargs)


@contextmanager
def released_by_the_gui_thread(held: HeldCall, while_pending: Callable[[], None] = lambda: None) -> Iterator[None]:
    """A 5 ms timer on the GUI thread releases `held` once it has started, after calling
    `while_pending` (which looks at the window while the work is pending)."""
    timer = QTimer()
    timer.setInterval(5)

    def tick() -> None:
        if held.started.is_set() and not held.release.is_set():
            while_pending()
            held.release.set()

    timer.timeout.connect(tick)
    timer.start()
    try:
        yield
    finally:
        timer.stop()


def adopted_checkpoints(folder, count: int) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        paths.append(folder / f"2026-01-0{n + 1}_10-00-00.pt")
        save_checkpoint(paths[-1], LeNet5(generator=torch.Generator().manual_seed(n)),
                        {"epochs": 1 + n, "optimizer": "adam"}, RunMetrics(test_error=0.01 * (n + 1)))
    return paths[::-1]  # newest first, as listed


def hold_one_file(monkeypatch, path) -> HeldCall:
    """Weights History's reading of `path` is held; the other files are read as usual."""
    real = weights_history.load_checkpoint
    held = HeldCall(real)
    monkeypatch.setattr(weights_history, "load_checkpoint", lambda p: held(p) if p == path else real(p))
    return held


# ---- Weights History ----------------------------------------------------------------------------


def test_weights_history_lists_its_files_at_once_and_reads_them_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    paths = adopted_checkpoints(tmp_path / "weights", 3)
    held = hold_one_file(monkeypatch, paths[0])
    dialog = None
    rows_while_pending = []
    with released_by_the_gui_thread(held, lambda: rows_while_pending.append(
            [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())])):
        dialog = WeightsHistoryDialog(lambda: tmp_path / "weights", lambda: None)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: all(dialog.table.item(row, 0).text() != LOADING for row in range(3)),
                        timeout=DONE_MS)
    assert held.released == [True], "the GUI thread was blocked while the history was read"
    assert rows_while_pending[0][0] == LOADING  # the held file's row said so meanwhile
    assert [entry.path for entry in dialog.entries] == paths
    assert [dialog.table.item(row, 2).text() for row in range(3)] == ["3.00%", "2.00%", "1.00%"]
    dialog.select_path(paths[0])
    assert dialog.use_button.isEnabled()


def test_refreshing_the_history_reads_only_new_or_changed_files(qtbot, tmp_path, monkeypatch):
    paths = adopted_checkpoints(tmp_path / "weights", 2)
    reads = []
    real = weights_history.load_checkpoint
    monkeypatch.setattr(weights_history, "load_checkpoint", lambda p: reads.append(p.name) or real(p))
    dialog = WeightsHistoryDialog(lambda: tmp_path / "weights", lambda: None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=DONE_MS)
    assert sorted(reads) == sorted(p.name for p in paths)
    reads.clear()
    newer = tmp_path / "weights" / "2026-02-01_10-00-00.pt"
    save_checkpoint(newer, LeNet5(generator=torch.Generator().manual_seed(9)), {}, RunMetrics(test_error=0.5))
    paths[0].unlink()
    with qtbot.waitSignal(dialog.loaded, timeout=DONE_MS):
        dialog.refresh()
    assert reads == [newer.name]
    assert [entry.path for entry in dialog.entries] == [newer, paths[1]]
    assert [dialog.table.item(row, 2).text() for row in range(2)] == ["50.00%", "1.00%"]
    reads.clear()
    with qtbot.waitSignal(dialog.loaded, timeout=DONE_MS):
        dialog.refresh()
    assert reads == [] and not dialog.is_loading()


def test_closing_the_window_while_the_history_is_read_stops_the_reading(qtbot, window, monkeypatch):
    from digitpad.storage.adopted_weights import adopted_weights_dir

    paths = adopted_checkpoints(adopted_weights_dir(), 2)
    held = hold_one_file(monkeypatch, paths[0])
    history = window.model_dialogs.open_history()
    qtbot.waitUntil(held.started.is_set, timeout=DONE_MS)
    assert history.is_loading() and history.table.item(0, 0).text() == LOADING
    held.release.set()  # the file is still being read while the window closes
    window.close()
    qtbot.waitUntil(lambda: not BackgroundJob.running, timeout=DONE_MS)


# ---- Load Weights… ------------------------------------------------------------------------------


def hold_weights_file(monkeypatch, path) -> HeldCall:
    """Reading `path` to use it (Load Weights…, Weights History's Use) is held."""
    from digitpad.app import model_session

    real = model_session.load_checkpoint
    held = HeldCall(real)
    monkeypatch.setattr(model_session, "load_checkpoint", lambda p: held(p) if p == path else real(p))
    return held


def test_load_weights_reads_the_file_off_the_gui_thread_and_switches_only_then(qtbot, window, tmp_path,
                                                                                monkeypatch):
    from digitpad.gui import settings as keys

    (path,) = adopted_checkpoints(tmp_path, 1)
    held = hold_weights_file(monkeypatch, path)
    seen_while_pending = []
    with released_by_the_gui_thread(held, lambda: seen_while_pending.append(
            (window.session.weights_file, window.statusBar().currentMessage()))):
        window.model_control.load_weights_file(path)
        qtbot.waitUntil(lambda: window.session.weights_file == path, timeout=DONE_MS)
    assert held.released == [True], "the GUI thread was blocked while the weights were read"
    assert seen_while_pending == [(None, f"Loading {path.name}…")]  # the shipped weights meanwhile
    assert path.name in window.weights_status.text() and path.name in window.statusBar().currentMessage()
    assert window.settings.value(keys.WEIGHTS_FILE) == str(path.resolve())


def test_the_newest_request_for_weights_wins(qtbot, window, tmp_path, monkeypatch, message_boxes):
    slow, quick = adopted_checkpoints(tmp_path, 2)
    held = hold_weights_file(monkeypatch, slow)
    window.model_control.load_weights_file(slow)
    qtbot.waitUntil(held.started.is_set, timeout=DONE_MS)
    with qtbot.waitSignal(window.model_control.weightsLoaded, timeout=DONE_MS) as loaded:
        window.model_control.load_weights_file(quick)
    assert loaded.args == [quick, ""] and window.session.weights_file == quick
    held.release.set()  # the first file arrives last: no longer wanted
    qtbot.waitUntil(lambda: not BackgroundJob.running, timeout=DONE_MS)
    assert window.session.weights_file == quick and message_boxes == []


def test_closing_the_window_while_weights_are_read_keeps_the_model_and_does_not_crash(qtbot, window, tmp_path,
                                                                                      monkeypatch):
    (path,) = adopted_checkpoints(tmp_path, 1)
    held = hold_weights_file(monkeypatch, path)
    window.model_control.load_weights_file(path)
    qtbot.waitUntil(held.started.is_set, timeout=DONE_MS)
    held.release.set()  # still being read while the window closes
    window.close()
    qtbot.waitUntil(lambda: not BackgroundJob.running, timeout=DONE_MS)
    assert window.session.weights_file is None


# ---- Teach --------------------------------------------------------------------------------------

SEVEN = [(10, 10), (90, 10), (40, 100)]
ONE = [(50, 0), (50, 100)]


@contextmanager
def samples_lock_held_by_another_thread() -> Iterator[HeldCall]:
    """The real lock of the samples file in the test's data folder, held (as another digitpad
    process would) until `release` is set, or HOLD_SECONDS have passed."""
    from digitpad.safe_files import locked
    from digitpad.storage.samples import default_samples_path

    held = HeldCall(lambda: None)

    def hold() -> None:
        with locked(default_samples_path()):
            held()

    thread = threading.Thread(target=hold, name="other-digitpad", daemon=True)
    thread.start()
    assert held.started.wait(10), "could not take the samples lock"
    try:
        yield held
    finally:
        held.release.set()
        thread.join(10)


def labels() -> list[int]:
    from digitpad.storage.samples import SampleStore

    return [sample.label for sample in SampleStore().samples()]


def test_teach_waits_for_the_samples_lock_off_the_gui_thread(qtbot, window):
    window.drawing.add_stroke(SEVEN)
    seen_while_pending = []
    with samples_lock_held_by_another_thread() as held:
        with released_by_the_gui_thread(held, lambda: seen_while_pending.append(
                (window.statusBar().currentMessage(), window.teach_menu.undo_action.isEnabled()))):
            window.teach_menu.teach(7)
            qtbot.waitUntil(lambda: labels() == [7], timeout=DONE_MS)
    assert held.released == [True], "the GUI thread was blocked while Teach waited for the samples lock"
    assert seen_while_pending == [("Saving the sample…", False)]
    qtbot.waitUntil(lambda: "Kept as a sample of 7" in window.statusBar().currentMessage(), timeout=DONE_MS)
    assert window.teach_menu.undo_action.isEnabled()


def test_teaching_again_before_the_first_is_saved_keeps_each_drawing_once_in_order(qtbot, window):
    menu = window.teach_menu
    with samples_lock_held_by_another_thread() as held:
        window.drawing.add_stroke(SEVEN)
        menu.teach(7)
        menu.teach(7)  # the same drawing again: already kept, once saved
        window.drawing.set_strokes([ONE])
        menu.teach(1)
        menu.teach(4)  # changed one's mind: relabelled
        assert menu.is_busy() and not menu.undo_action.isEnabled()
        assert not menu.undo_teach()  # nothing to take back yet
        held.release.set()
        qtbot.waitUntil(lambda: not menu.is_busy(), timeout=DONE_MS)
    assert held.released == [True]
    assert labels() == [7, 4]
    assert "Relabelled" in window.statusBar().currentMessage() and menu.undo_action.isEnabled()
    with qtbot.waitSignal(menu.teachingDone, timeout=DONE_MS) as done:
        menu.undo_action.trigger()
    assert done.args == [True] and labels() == [7, 1]


def test_closing_the_window_saves_the_changes_queued_first_then_closes(qtbot, window):
    # A Teach queued behind another was dropped at quit (only the log said so).
    window.drawing.add_stroke(SEVEN)
    with samples_lock_held_by_another_thread() as held:
        window.teach_menu.teach(7)
        window.drawing.set_strokes([ONE])
        window.teach_menu.teach(1)  # queued behind the first
        window.close()
        assert window.isVisible(), "the window closed with two samples not saved yet"
        assert window.statusBar().currentMessage() == "Saving 2 changes to your samples before closing…"
        held.release.set()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=DONE_MS)
    assert held.released == [True]
    assert labels() == [7, 1]


def test_closing_while_another_process_holds_the_samples_asks_after_a_while(qtbot, window, answers, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from digitpad.gui import teach_menu

    monkeypatch.setattr(teach_menu, "CLOSE_WAIT_MS", 50)
    queue, asked = answers
    window.drawing.add_stroke(SEVEN)
    with samples_lock_held_by_another_thread() as held:
        window.teach_menu.teach(7)
        queue.append(QMessageBox.StandardButton.Cancel)  # keep the window: the sample is still saved
        window.close()
        qtbot.waitUntil(lambda: asked == ["Close without saving your samples?"], timeout=DONE_MS)
        assert window.isVisible() and window.teach_menu.is_busy()
        queue.append(QMessageBox.StandardButton.Discard)  # the person chose to lose it
        window.close()
        qtbot.waitUntil(lambda: len(asked) == 2 and not window.isVisible(), timeout=DONE_MS)
        assert held.released == []  # closed while the other process still held the file
        qtbot.waitUntil(lambda: not BackgroundJob.running, timeout=DONE_MS)
    assert labels() == []


@pytest.mark.parametrize("answer", ["Discard", "Cancel"])
def test_samples_saved_while_the_close_question_is_open_do_not_close_the_window_behind_it(qtbot, window,
                                                                                       monkeypatch, answer):
    # QMessageBox.question runs its own event loop: the other process let go of the file meanwhile,
    # the queued sample was saved and the window closed behind the box; Discard then called None
    # (a TypeError from a slot) and Cancel wrote on a closed window.
    from PySide6.QtWidgets import QApplication, QMessageBox

    from digitpad.gui import teach_menu

    monkeypatch.setattr(teach_menu, "CLOSE_WAIT_MS", 50)
    window.drawing.add_stroke(SEVEN)
    with samples_lock_held_by_another_thread() as held:
        seen = []

        def question(parent, title, *args, **kwargs):  # a modal box: events run until answered
            seen.append(window.isVisible())
            held.release.set()
            qtbot.waitUntil(lambda: not window.teach_menu.is_busy(), timeout=DONE_MS)
            for _ in range(20):
                QApplication.processEvents()
            seen.append(window.isVisible())
            return getattr(QMessageBox.StandardButton, answer)

        monkeypatch.setattr(QMessageBox, "question", question)
        window.teach_menu.teach(7)
        window.close()
        qtbot.waitUntil(lambda: len(seen) == 2, timeout=DONE_MS)
    assert seen == [True, True], "the window closed behind the question"
    assert labels() == [7]  # saved, whatever the answer
    if answer == "Discard":
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=DONE_MS)
    else:
        assert window.isVisible() and "saved" in window.statusBar().currentMessage()


def test_the_samples_browser_relabels_and_deletes_off_the_gui_thread_in_order_with_teach(qtbot, window):
    from PySide6.QtCore import Qt

    from digitpad.storage.samples import SampleStore

    SampleStore().add([SEVEN], 1)
    browser = window.teach_menu.open_samples()
    qtbot.waitUntil(lambda: browser.store is not None)  # the file is read in the background
    browser.grid.item(0).setSelected(True)
    with samples_lock_held_by_another_thread() as held:
        with released_by_the_gui_thread(held):
            qtbot.keyClick(browser.grid, Qt.Key.Key_7)  # relabels the selected sample
            qtbot.waitUntil(lambda: browser.grid.item(0).text() == "7", timeout=DONE_MS)
    assert held.released == [True], "the GUI thread was blocked while the browser waited for the samples lock"
    assert labels() == [7]

    with samples_lock_held_by_another_thread() as held:
        window.drawing.set_strokes([ONE])
        window.teach_menu.teach(1)      # asked first: made first
        browser.grid.item(0).setSelected(True)
        assert browser.delete_selected(confirm=False)
        held.release.set()
        qtbot.waitUntil(lambda: not window.teach_menu.is_busy(), timeout=DONE_MS)
    assert labels() == [1] and browser.grid.count() == 1 and browser.grid.item(0).text() == "1"


# ---- Export as ONNX… ----------------------------------------------------------------------------


def test_export_as_onnx_runs_off_the_gui_thread_on_a_copy_of_the_model(qtbot, window, tmp_path, monkeypatch):
    from digitpad.storage import onnx_export

    held = HeldCall(onnx_export.export_onnx)
    exported_models = []
    monkeypatch.setattr(onnx_export, "export_onnx",
                        lambda model, path: exported_models.append(model) or held(model, path))
    target = tmp_path / "lenet5.onnx"
    seen_while_pending = []
    with released_by_the_gui_thread(held, lambda: seen_while_pending.append(window.statusBar().currentMessage())):
        window.model_dialogs.export_model(target)
        qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=DONE_MS)
    assert held.released == [True], "the GUI thread was blocked while the model was exported"
    assert seen_while_pending[0].startswith("Exporting") and target.stat().st_size > 0
    assert exported_models[0] is not window.session.model  # recognition never shared its model


def test_a_failed_export_says_why_in_one_line(qtbot, window, tmp_path, message_boxes):
    folder = tmp_path / "a folder"
    folder.mkdir()
    with qtbot.waitSignal(window.model_dialogs.exportEnded, timeout=DONE_MS) as ended:
        assert window.model_dialogs.export_model(folder)  # a folder is never replaced
    assert ended.args[0] == folder and str(folder) in ended.args[1]
    assert [kind for kind, _, _ in message_boxes] == ["warning"] and "Traceback" not in message_boxes[0][2]
    assert folder.is_dir()


def test_the_samples_browser_reads_the_file_off_the_gui_thread(qtbot, window, monkeypatch):
    from digitpad.storage import samples
    from digitpad.storage.samples import SampleStore

    SampleStore().add([SEVEN], 7)
    held = HeldCall(samples.read_capped)  # a large samples file, or a slow disk
    monkeypatch.setattr(samples, "read_capped", held)
    browser = None
    seen_while_pending = []
    with released_by_the_gui_thread(held, lambda: seen_while_pending.append(browser.summary.text())):
        browser = window.teach_menu.open_samples()
        qtbot.waitUntil(lambda: browser.grid.count() == 1, timeout=DONE_MS)
    assert held.released and all(held.released), "the GUI thread was blocked while the browser read the file"
    assert seen_while_pending == ["Reading your samples…"]
    assert browser.grid.item(0).text() == "7" and "<b>7</b>: 1" in browser.counts.text()


def test_the_retrain_dialog_counts_my_samples_off_the_gui_thread(qtbot, window, monkeypatch):
    from digitpad.storage import samples
    from digitpad.storage.samples import SampleStore

    for drawing in ([SEVEN], [ONE]):
        SampleStore().add(drawing, 7)
    held = HeldCall(samples.read_capped)
    monkeypatch.setattr(samples, "read_capped", held)
    dialog = None
    seen_while_pending = []
    with released_by_the_gui_thread(held, lambda: seen_while_pending.append(dialog.use_samples.text())):
        dialog = window.model_dialogs.open_retrain()
        qtbot.waitUntil(lambda: dialog.use_samples.text() == "Include my own samples (2)", timeout=DONE_MS)
    assert held.released and all(held.released), "the GUI thread was blocked while the samples were counted"
    assert seen_while_pending == ["Include my own samples (counting…)"]
    assert dialog.use_samples.isEnabled()
