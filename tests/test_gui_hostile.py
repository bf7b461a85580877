"""The app against hostile settings and weights files (issue 12, items 4 and 8): it always
starts, falls back to the shipped weights with a message, and one bad adopted file does not
break the Weights History."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

import torch  # noqa: E402

from digitpad.app.drawing import MAX_PEN_WIDTH, MIN_PEN_WIDTH  # noqa: E402
from digitpad.gui import settings as keys  # noqa: E402
from digitpad.gui.windows import weights_history  # noqa: E402
from digitpad.gui.main_window import MainWindow  # noqa: E402
from digitpad.gui.settings import open_settings, settings_file  # noqa: E402
from digitpad.gui.windows.weights_history import WeightsHistoryDialog  # noqa: E402
from digitpad.network.lenet5 import LeNet5  # noqa: E402
from digitpad.storage.checkpoints import save_checkpoint  # noqa: E402
from digitpad.storage.run_metrics import RunMetrics


def _hostile_checkpoint(path, **changes):
    torch.manual_seed(0)
    save_checkpoint(path, LeNet5(), {"epochs": 1, "optimizer": "adam", "rubbish_j": 20.0}, RunMetrics(test_error=0.5),
                    "x")
    raw = torch.load(path, weights_only=True)
    for key, value in changes.items():
        outer, inner = key.split(".")
        raw[outer][inner] = value
    torch.save(raw, path)
    return path


def test_odd_settings_fall_back_and_the_window_starts(qtbot, use_weights, message_boxes):
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[canvas]\npen_width=nan\n"
                    "[window]\nstate=not bytes at all\ngeometry=12, 34\n"
                    "[view]\ninput_zoom=1e999\nshow_f6=maybe\nshow_internals=1, 2\n"
                    "[model]\ndevice=cpu, cuda\nweights_file=a, b\n")
    win = MainWindow()
    qtbot.addWidget(win)
    assert MIN_PEN_WIDTH <= win.drawing.pen_width <= MAX_PEN_WIDTH and math.isfinite(win.drawing.pen_width)
    assert win.f6_dock.isVisibleTo(win) and win.internals_dock.isVisibleTo(win)
    assert "shipped weights" in win.weights_status.text()
    assert message_boxes == []
    win.close()  # saving the settings again works too
    assert math.isfinite(float(open_settings().value(keys.PEN_WIDTH)))


@pytest.mark.parametrize("change", [{"metrics.test_error": 10**400}, {"config.rubbish_j": float("nan")},
                                    {"config.epochs": [[[[[[[[[[1]]]]]]]]]]}])
def test_a_hostile_remembered_weights_file_falls_back_to_the_shipped_weights(qtbot, use_weights, message_boxes,
                                                                            tmp_path, change):
    bad = _hostile_checkpoint(tmp_path / "mine.pt", **change)
    settings = open_settings()
    settings.setValue(keys.WEIGHTS_FILE, str(bad))
    settings.sync()
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.model_ready
    assert "mine.pt" in win.statusBar().currentMessage() and "shipped weights" in win.weights_status.text()
    assert message_boxes == []


def test_one_bad_adopted_file_does_not_break_the_weights_history(qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    folder.mkdir()
    save_checkpoint(folder / "2026-01-03_10-00-00.pt", LeNet5(), {"epochs": 2, "optimizer": "sdlm",
                                                                    "train_limit": "lots"}, RunMetrics(test_error=0.02))
    _hostile_checkpoint(folder / "2026-01-02_10-00-00.pt", **{"config.rubbish_j": -1e30})
    strange = folder / "2026-01-01_10-00-00.pt"
    save_checkpoint(strange, LeNet5(), {}, RunMetrics())
    real_load = weights_history.load_checkpoint

    def load(path):  # whatever a file might still provoke, beyond the refusals we know
        if path == strange:
            raise RecursionError("maximum recursion depth exceeded")
        return real_load(path)

    monkeypatch.setattr(weights_history, "load_checkpoint", load)
    dialog = WeightsHistoryDialog(lambda: folder, lambda: None)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 3
    qtbot.waitUntil(lambda: not dialog.is_loading())  # read in the background
    good, negative_j, broken = dialog.entries
    assert good.checkpoint is not None and good.cells()[4] == "SDLM" and "lots" in good.cells()[5]
    assert negative_j.checkpoint is None and "rubbish_j" in negative_j.problem
    assert broken.checkpoint is None and "RecursionError" in broken.problem


def test_images_are_decoded_off_the_gui_thread_and_postscript_is_refused(qtbot, use_weights, message_boxes,
                                                                          tmp_path, monkeypatch):
    import threading

    from digitpad.gui import image_io

    win = MainWindow()
    qtbot.addWidget(win)
    evil = tmp_path / "scan.png"
    evil.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n")
    release, decoding_threads = threading.Event(), []
    real_prepare = image_io.prepare_image

    def slow_prepare(source):  # a decoder that takes its time: the window must not wait for it
        decoding_threads.append(threading.current_thread())
        release.wait(10)
        return real_prepare(source)

    monkeypatch.setattr(image_io, "prepare_image", slow_prepare)
    with qtbot.waitSignal(win.image_files.opened, timeout=20_000) as opened:
        assert win.image_files.open_image(evil)
        assert not release.is_set()  # open_image returned while the decoder was still busy
        qtbot.waitUntil(lambda: bool(decoding_threads))
        release.set()
    assert opened.args == [False]
    assert decoding_threads[0] is not threading.main_thread()
    assert [kind for kind, _, _ in message_boxes] == ["warning"]
    assert "not an image digitpad reads" in message_boxes[0][2]


def test_saving_a_png_onto_a_device_is_refused_and_through_a_symlink_works(qtbot, use_weights, message_boxes,
                                                                         tmp_path):
    import os
    import stat

    win = MainWindow()
    qtbot.addWidget(win)
    win.drawing.add_stroke([(10, 10), (90, 10), (40, 100)])
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    assert win.image_files.save_drawing(node) is False
    assert "not a regular file" in message_boxes[-1][2] and stat.S_ISCHR(os.stat(node).st_mode)
    target = tmp_path / "real.png"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.png"
    link.symlink_to(target)
    assert win.image_files.save_drawing(link)
    assert link.is_symlink() and target.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
