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

from digitpad.gui import weights_history  # noqa: E402
from digitpad.gui.background import BackgroundJob  # noqa: E402
from digitpad.gui.weights_history import WeightsHistoryDialog  # noqa: E402
from digitpad.model import LeNet5  # noqa: E402
from digitpad.weights import save_checkpoint  # noqa: E402

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
                        {"epochs": 1 + n, "optimizer": "adam"}, {"test_error": 0.01 * (n + 1)})
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
    assert [dialog.table.item(row, 1).text() for row in range(3)] == ["3.00%", "2.00%", "1.00%"]
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
    save_checkpoint(newer, LeNet5(generator=torch.Generator().manual_seed(9)), {}, {"test_error": 0.5})
    paths[0].unlink()
    with qtbot.waitSignal(dialog.loaded, timeout=DONE_MS):
        dialog.refresh()
    assert reads == [newer.name]
    assert [entry.path for entry in dialog.entries] == [newer, paths[1]]
    assert [dialog.table.item(row, 1).text() for row in range(2)] == ["50.00%", "1.00%"]
    reads.clear()
    with qtbot.waitSignal(dialog.loaded, timeout=DONE_MS):
        dialog.refresh()
    assert reads == [] and not dialog.is_loading()


def test_closing_the_window_while_the_history_is_read_stops_the_reading(qtbot, window, monkeypatch):
    from digitpad.gui.retrain_dialog import weights_dir

    paths = adopted_checkpoints(weights_dir(), 2)
    held = hold_one_file(monkeypatch, paths[0])
    history = window.model_dialogs.open_history()
    qtbot.waitUntil(held.started.is_set, timeout=DONE_MS)
    assert history.is_loading() and history.table.item(0, 0).text() == LOADING
    held.release.set()  # the file is still being read while the window closes
    window.close()
    qtbot.waitUntil(lambda: not BackgroundJob.running, timeout=DONE_MS)
