"""Teach (Ctrl+Shift+digit) in number mode keeps the piece shown in the panels, not the whole
number (walk-through F30: "42" with the piece 2 shown was kept as a 2 of 3 strokes)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from digitpad.gui.main_window import MainWindow
from digitpad.storage.samples import SampleStore, default_samples_path
from drawings import draw
from test_number_mode_gui import GAP, SIZE, write


@pytest.fixture
def window(qtbot, use_weights, message_boxes):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.number_mode.shutdown()


def test_teach_in_number_mode_keeps_the_selected_piece_only(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.active and mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.text == "518"
    mode.panel.pieces.setCurrentRow(1)  # the 1 is shown in the panels
    with qtbot.waitSignal(window.teach_menu.teachingDone, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    samples = SampleStore(default_samples_path()).samples()
    assert [s.label for s in samples] == [1]
    one = draw(1, size=SIZE, origin=(20.0 + 0.7 * SIZE + GAP, 40.0))
    assert len(samples[0].strokes) == len(one)  # the 1's own stroke, not the three digits' strokes
    assert all(x >= 20.0 + 0.7 * SIZE for stroke in samples[0].strokes for x, _ in stroke)  # right of the 5


def test_teach_in_single_digit_mode_keeps_the_whole_drawing(qtbot, window):
    write(qtbot, window, [7])
    assert not window.number_mode.active
    with qtbot.waitSignal(window.teach_menu.teachingDone, timeout=10_000):
        assert window.teach_menu.teach(7)
    assert [len(s.strokes) for s in SampleStore(default_samples_path()).samples()] == [len(draw(7, size=SIZE))]
