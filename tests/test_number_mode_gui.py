"""Number mode in the window: automatic switching, one box per digit, correcting a piece."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from drawings import draw
from mouse import mouse_stroke
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from digitpad.app.drawing import Drawing
from digitpad.app.model_session import ModelSession
from digitpad.gui.context import WindowContext
from digitpad.gui.jobs.sample_changes import SampleChanges
from digitpad.gui.main_window import MainWindow
from digitpad.gui.panels.number_mode import NumberMode
from digitpad.gui.widgets.canvas import DrawingCanvas
from digitpad.storage.samples import SampleStore, default_samples_path


@pytest.fixture
def window(qtbot, use_weights, message_boxes):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.number_mode.shutdown()


SIZE, GAP = 150.0, 30.0


def write(qtbot, window, digits, first=0):
    """`digits` with the mouse, the first of them in the `first`-th place of the line."""
    size = SIZE
    x = 20.0 + first * (0.7 * SIZE + GAP)
    for digit in digits:
        for stroke in draw(digit, size=size, origin=(x, 40.0)):
            mouse_stroke(qtbot, window.canvas, stroke)
        x += 0.7 * SIZE + GAP


def test_a_wide_drawing_switches_number_mode_on_and_shows_one_box_per_digit(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [4])
    assert not mode.active  # one digit: single-digit mode
    write(qtbot, window, [2, 7], first=1)
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    reading = mode.reading
    assert mode.active and reading.text == "427"
    assert len(mode.overlay.piece_rects()) == 3 and mode.overlay.isVisible()
    assert mode.panel.pieces.count() == 3
    assert [mode.panel.pieces.item(i).text().split(" ")[0] for i in range(3)] == ["4", "2", "7"]
    assert len(mode.panel.sliding.outputs.digits) > 3  # the swept view along the same number


def test_number_mode_can_be_switched_off_by_hand_and_a_single_digit_reads_in_it(qtbot, window):
    mode = window.number_mode
    mode.action.trigger()  # on by hand, with nothing wide drawn
    write(qtbot, window, [3])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.text == "3" and len(mode.overlay.piece_rects()) == 1
    mode.action.trigger()  # off by hand: stays off however wide the drawing gets
    write(qtbot, window, [1, 5], first=1)
    assert not mode.active and not mode.overlay.isVisible()


def test_correcting_a_piece_keeps_it_as_a_sample(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert window.prediction_view.shown_digit() is None  # the whole drawing is not judged as one digit
    assert window.prediction_view.verdict_text().startswith("Number: 518")
    pieces = mode.panel.pieces
    pieces.setFocus()
    pieces.setCurrentRow(1)  # a click on the second piece
    assert mode.overlay.selected == 1
    assert window.prediction_view.shown_digit() == mode.reading.pieces[1].digit  # the piece is
    assert (window.input_view.array() == mode.reading.pieces[1].input).all()  # the piece is what the panels show
    qtbot.keyClick(pieces, Qt.Key.Key_7)
    qtbot.waitUntil(lambda: pieces.item(1).text() == "7 · taught")  # saved in the background
    samples = SampleStore(default_samples_path()).samples()
    assert [s.label for s in samples] == [7]
    one = draw(1, size=SIZE, origin=(20.0 + 0.7 * SIZE + GAP, 40.0))[0]
    taught = samples[0].strokes
    assert len(taught) == 1 and len(taught[0]) == len(one)  # the piece's own stroke, not the whole number
    assert pieces.item(1).text() == "7 · taught"
    qtbot.keyClick(pieces, Qt.Key.Key_4)  # changed their mind: the same piece is relabelled, not kept twice
    qtbot.waitUntil(lambda: pieces.item(1).text() == "4 · taught")
    assert [s.label for s in SampleStore(default_samples_path()).samples()] == [4]


def test_correcting_a_piece_waits_for_the_samples_lock_off_the_gui_thread(qtbot, window):
    from test_gui_thread import released_by_the_gui_thread, samples_lock_held_by_another_thread

    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    pieces = mode.panel.pieces
    with samples_lock_held_by_another_thread() as held:
        with released_by_the_gui_thread(held):
            assert mode.correct_piece(1, 7)
            qtbot.waitUntil(lambda: pieces.item(1).text() == "7 · taught", timeout=10_000)
    assert held.released == [True], "the GUI thread was blocked while the piece waited for the samples lock"
    assert [s.label for s in SampleStore(default_samples_path()).samples()] == [7]


def test_an_opened_image_is_read_as_a_number_with_boxes_over_its_picture(qtbot, window, tmp_path):
    from test_number_reading import image_of, written

    scan = tmp_path / "zip.png"
    image_of(written([2, 0, 4, 8])).save(scan)
    mode = window.number_mode
    mode.action.trigger()
    assert window.image_files.open_image(scan)
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.text == "2048" and not mode.reading.from_strokes
    picture = window.canvas.image_rect()
    rects = mode.overlay.piece_rects()
    assert len(rects) == 4 and all(picture.contains(r) for r in rects)
    assert [r.left() for r in rects] == sorted(r.left() for r in rects)
    assert not mode.correct_piece(0, 2)  # an image has no strokes to keep as a sample


def test_a_click_in_number_mode_is_too_small_and_shows_no_digit(qtbot, window):
    from digitpad.reading.verdict import TOO_SMALL_TEXT

    mode = window.number_mode
    mode.action.trigger()
    mouse_stroke(qtbot, window.canvas, [(200.0, 150.0)])  # a stray click
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.too_small and mode.reading.text == ""
    assert mode.panel.summary.text() == TOO_SMALL_TEXT
    assert mode.panel.pieces.count() == 0 and mode.overlay.piece_rects() == []
    assert mode.panel.sliding.outputs is None


def test_a_stray_click_beside_a_number_is_no_digit(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [4, 2])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    with qtbot.waitSignal(mode.readingShown, timeout=10_000) as shown:  # the reading with the click
        mouse_stroke(qtbot, window.canvas, [(20.0 + 2 * (0.7 * SIZE + GAP) + 20.0, 120.0)])
    assert shown.args[0] is mode.reading and len(window.drawing.strokes()) == 4
    assert mode.active and mode.reading.text == "42"
    assert len(mode.overlay.piece_rects()) == 2 and mode.panel.pieces.count() == 2


def test_a_wavy_line_in_number_mode_is_not_a_number(qtbot, window):
    from test_number_reading import wavy_line

    mode = window.number_mode
    mode.action.trigger()
    with qtbot.waitSignal(mode.readingShown, timeout=10_000):
        mouse_stroke(qtbot, window.canvas, wavy_line(30, 100, width=400)[0])
    qtbot.waitUntil(lambda: not mode.busy(), timeout=10_000)
    reading = mode.reading
    assert reading.reason == "not a number" and reading.text == ""
    assert mode.panel.summary.text().startswith("Not a number: its best reading, ")
    assert len(mode.overlay.piece_rects()) == len(reading.pieces) > 0  # its pieces still shown, in red


def test_a_stray_click_below_a_number_leaves_number_mode_on(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [4, 2])
    qtbot.waitUntil(lambda: mode.active and mode.reading is not None and not mode.busy(), timeout=10_000)
    with qtbot.waitSignal(mode.readingShown, timeout=10_000):
        mouse_stroke(qtbot, window.canvas, [(60.0, 380.0)])  # far below: the drawing is now as tall as wide
    qtbot.waitUntil(lambda: not mode.busy(), timeout=10_000)
    assert mode.active and mode.reading.text == "42"


def test_a_click_on_a_piece_is_emitted_and_the_window_shows_it_in_its_panels(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    pieces = mode.panel.pieces
    other = next(k for k in range(3) if k != pieces.currentRow())  # not the piece shown by default
    shown_c1 = window.internals_panel.grid("c1").packed().copy()
    centre = pieces.visualItemRect(pieces.item(other)).center()
    with qtbot.waitSignal(mode.pieceShown, timeout=5_000) as shown:
        qtbot.mouseClick(pieces.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    piece = shown.args[0]
    assert shown.args[1] is True  # a person's choice
    assert (piece.input == mode.reading.pieces[other].input).all()  # the piece's recognition, not the drawing's
    assert window.prediction_view.recognition() is piece
    assert (window.f6_panel.f6_values().ravel() == np.asarray(piece.f6).ravel()).all()
    assert not (window.internals_panel.grid("c1").packed() == shown_c1).all()  # that piece's maps now
    assert (window.input_view.array() == piece.input).all()


def test_switching_number_mode_off_brings_back_the_drawings_verdict(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert window.prediction_view.verdict_text().startswith("Number: 518")
    mode.action.trigger()  # off by hand
    assert not mode.active
    assert window.prediction_view.recognition() is window.last_recognition  # its single-digit verdict again
    assert not window.prediction_view.verdict_text().startswith("Number")


# Issue 21: the window shows the reading.

def test_42_written_close_together_switches_number_mode_on(qtbot, window):
    mode = window.number_mode
    x = 20.0
    for digit in (4, 2):  # 5 px apart: the drawing is only about 1.3 times as wide as tall
        for stroke in draw(digit, size=SIZE, origin=(x, 40.0)):
            mouse_stroke(qtbot, window.canvas, stroke)
        x += 0.7 * SIZE + 5.0
    qtbot.waitUntil(lambda: mode.active and mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.text == "42"
    assert window.prediction_view.verdict_text().startswith("Number: 42")


def test_an_opened_image_of_a_number_switches_number_mode_on(qtbot, window, tmp_path):
    from test_number_reading import image_of, written

    scan = tmp_path / "zip.png"
    image_of(written([2, 0, 4, 8])).save(scan)
    mode = window.number_mode
    assert not mode.active
    assert window.image_files.open_image(scan)
    qtbot.waitUntil(lambda: mode.active and mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.text == "2048" and len(mode.overlay.piece_rects()) == 4


def test_an_equals_sign_does_not_switch_number_mode_on_but_hints_at_it(qtbot, window):
    from digitpad.gui.panels.number_mode import HINT

    mode = window.number_mode
    with qtbot.waitSignal(mode.jobs.finished, timeout=10_000):
        mouse_stroke(qtbot, window.canvas, [(60.0 + 4 * i, 120.0) for i in range(60)])
        mouse_stroke(qtbot, window.canvas, [(60.0 + 4 * i, 170.0) for i in range(60)])
    qtbot.waitUntil(lambda: not mode.busy(), timeout=10_000)
    assert not mode.active and not mode.overlay.isVisible()
    assert window.statusBar().currentMessage() == HINT


def test_the_panels_show_the_least_certain_piece_never_the_squashed_number(qtbot, window):
    from digitpad.reading.verdict import best_posterior

    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    pieces = mode.reading.pieces
    posteriors = [best_posterior(p.penalties, p.rubbish) for p in pieces]
    least = posteriors.index(min(posteriors))
    assert mode.panel.pieces.currentRow() == least and mode.overlay.selected == least
    assert (window.input_view.array() == pieces[least].input).all()
    assert not (window.input_view.array() == window.last_recognition.input).all()  # not the whole drawing
    assert window.prediction_view.verdict_text().startswith("Number: 518")  # the number's verdict stays
    write(qtbot, window, [1], first=3)  # a new stroke: the whole drawing is recognised again ...
    qtbot.waitUntil(lambda: mode.reading.text == "5181" and not mode.busy(), timeout=10_000)
    shown = window.input_view.array()
    assert any((shown == p.input).all() for p in mode.reading.pieces)  # ... and the panels keep a piece


def test_a_click_on_a_pieces_box_selects_it_and_a_drag_from_it_still_draws(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    strokes = len(window.drawing.strokes())
    other = next(k for k in range(3) if k != mode.overlay.selected)
    box = mode.overlay.piece_rects()[other]
    with qtbot.waitSignal(mode.pieceShown, timeout=5_000) as shown:
        qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert mode.overlay.selected == other and mode.panel.pieces.currentRow() == other
    assert (shown.args[0].input == mode.reading.pieces[other].input).all() and shown.args[1] is True
    assert len(window.drawing.strokes()) == strokes  # no dot drawn
    assert (window.input_view.array() == mode.reading.pieces[other].input).all()
    start = box.center()
    with qtbot.waitSignal(mode.readingShown, timeout=10_000):
        mouse_stroke(qtbot, window.canvas, [(start.x() + 3 * i, start.y() + 2 * i) for i in range(12)])
    assert len(window.drawing.strokes()) == strokes + 1  # a drag that starts in a box is a stroke
    assert window.drawing.strokes()[-1][0] == (start.x(), start.y())  # from where the press was


def test_a_correction_changes_the_reading_at_once_and_is_kept(qtbot, window):
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.reading.text == "518"
    pieces = mode.panel.pieces
    pieces.setFocus()
    pieces.setCurrentRow(1)
    qtbot.keyClick(pieces, Qt.Key.Key_7)
    assert mode.reading.text == "578" and mode.reading.pieces[1].fixed  # read again, with the 7 fixed
    assert mode.overlay.selected == 1 and window.prediction_view.verdict_text().startswith("Number: 578")
    qtbot.waitUntil(lambda: pieces.item(1).text() == "7 · taught")
    assert [s.label for s in SampleStore(default_samples_path()).samples()] == [7]


def test_number_mode_needs_only_a_window_context_not_the_main_window(qtbot, use_weights):
    """Features get what they need (gui/context.py): number mode over a bare canvas, no MainWindow."""
    host = QWidget()
    qtbot.addWidget(host)
    session, statuses, shown = ModelSession(), [], []
    session.load_shipped()
    drawing = Drawing()
    canvas = DrawingCanvas(drawing, host)
    host.resize(900, 400)
    canvas.resize(900, 400)
    context = WindowContext(drawing, canvas, recognizer=lambda: session.recognizer, last_recognition=lambda: None,
                            show_status=lambda text, _ms: statuses.append(text),
                            sample_changes=SampleChanges(lambda _cancel=None: None, host), parent=host)
    mode = NumberMode(context, host)
    mode.pieceShown.connect(lambda recognition, chosen: shown.append((recognition, chosen)))
    host.show()
    qtbot.waitExposed(host)
    write(qtbot, SimpleNamespace(canvas=canvas), [2, 5])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    assert mode.active and mode.reading.text == "25"
    mode.panel.pieces.setCurrentRow(1 - mode.panel.pieces.currentRow())  # as a click on the other piece
    recognition, chosen = shown[-1]
    assert chosen and (recognition.input == mode.reading.pieces[mode.panel.pieces.currentRow()].input).all()
    assert statuses[-1].startswith(f"Piece {mode.panel.pieces.currentRow() + 1} of 2")
    mode.shutdown()


def test_a_new_reading_selects_its_least_certain_piece_not_a_persons_pick(qtbot, window):
    from test_number_reading import written

    mode = window.number_mode
    window.drawing.set_strokes(written([2, 0, 4, 7]))
    qtbot.waitUntil(lambda: mode.active and mode.reading is not None and not mode.busy(), timeout=10_000)
    picks = []
    mode.pieceShown.connect(lambda recognition, chosen: picks.append(chosen))
    equals = [[(60.0 + 4 * i, 120.0) for i in range(60)], [(60.0 + 4 * i, 170.0) for i in range(60)]]
    with qtbot.waitSignal(mode.readingShown, timeout=10_000):
        window.drawing.set_strokes(equals)  # read in many pieces: the list is refilled
    qtbot.waitUntil(lambda: mode.reading is not None and mode.reading.reason and not mode.busy(), timeout=10_000)
    shown = mode.reading
    mode.set_active(True)  # read again: the list of many pieces is emptied and refilled
    qtbot.waitUntil(lambda: mode.reading is not shown and not mode.busy(), timeout=10_000)
    assert picks and not any(picks)  # the list's row moving as it is refilled is no person's pick
    assert window.prediction_view.verdict_text().startswith("Not a number")


def test_a_stale_or_background_failure_leaves_the_reading_shown(qtbot, window):
    # The failure handler wrote "Could not read the number" for any failure, also for a request
    # the drawing had moved past, or for the check made while number mode is off (review finding).
    mode = window.number_mode
    write(qtbot, window, [4, 2])
    qtbot.waitUntil(lambda: mode.active and not mode.busy() and mode.reading is not None, timeout=20_000)
    shown = mode.panel.summary.text()
    mode.jobs.failed.emit(("an older drawing",), "boom")
    assert mode.panel.summary.text() == shown and mode.reading is not None
    mode.set_active(False)
    mode.jobs.failed.emit(mode._key(), "boom")
    assert "Could not read" not in mode.panel.summary.text()


# Teach (Ctrl+Shift+digit) in number mode keeps the piece shown in the panels, not the whole number
# (walk-through F30: "42" with the piece 2 shown was kept as a 2 of 3 strokes).
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


def test_why_the_explorer_and_the_unit_trace_look_at_the_piece_shown_not_the_whole_number(qtbot, window):
    mode, explanations = window.number_mode, window.explanations
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.active and mode.reading is not None and not mode.busy(), timeout=10_000)
    pieces = mode.panel.pieces
    explanations.dock.show()

    def click_piece(index):
        centre = pieces.visualItemRect(pieces.item(index)).center()
        qtbot.mouseClick(pieces.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        piece = mode.reading.pieces[index]
        qtbot.waitUntil(lambda: not explanations.busy() and explanations.explanation is not None
                        and (explanations.explanation.recognition.input == piece.input).all(), timeout=15_000)
        return piece

    for index in (0, 2):  # the 5, then the 8: Why? follows the piece picked
        piece = click_piece(index)
        shown = explanations.explanation
        # Why? explains what the answer panel says of the piece (it said "not a digit" of the
        # whole number squashed into one 32×32), over the piece's ink on the canvas.
        assert shown.recognition.digit == piece.digit == window.prediction_view.recognition().digit
        assert f"Answer: <b>{piece.digit}</b>" in explanations.panel.summary.text()
        np.testing.assert_allclose(shown.recognition.penalties, window.prediction_view.recognition().penalties,
                                   rtol=1e-5)
        box = mode.overlay.piece_rects()[index]
        assert box.contains(explanations.overlay.canvas_rect().center())

    explanations.open_explorer()
    explorer = explanations.explorer
    qtbot.waitExposed(explorer)
    explorer.choose("rotate", "drawing", -30, 30, 3)
    qtbot.waitUntil(lambda: explorer.sweep is not None and not explorer.busy()
                    and len(explorer.sweep.steps) == 3, timeout=15_000)
    np.testing.assert_allclose(explorer.sweep.untransformed.input, mode.reading.pieces[2].input, atol=1e-6)

    explanations.open_trace("c1", 0, 14, 14)
    piece_maps = window.context.recognizer.recognize_array(mode.reading.pieces[2].input)
    assert explanations.trace.trace.value == pytest.approx(float(piece_maps.c1[0][14, 14]), abs=1e-5)
    explorer.close()
    explanations.trace.close()


def test_a_click_on_the_piece_selected_by_default_shows_it_in_the_answer_panel(qtbot, window):
    # The least certain piece is selected when a reading arrives; clicking it (as the panel's
    # "click a piece to see it here" asks) changed no row, so nothing happened.
    mode = window.number_mode
    write(qtbot, window, [5, 1, 8])
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy(), timeout=10_000)
    selected = mode.panel.pieces.currentRow()
    piece = mode.reading.pieces[selected]
    assert window.prediction_view.recognition() is None  # the answer panel speaks of the number
    box = mode.overlay.piece_rects()[selected]
    with qtbot.waitSignal(mode.pieceShown, timeout=5_000) as shown:
        qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert shown.args[1] is True and (shown.args[0].input == piece.input).all()
    assert window.prediction_view.recognition().digit == piece.digit
    assert window.statusBar().currentMessage().startswith(f"Piece {selected + 1} of 3")
    # The same in the dock, after a new reading selected the least certain piece again.
    window.drawing.undo()
    write(qtbot, window, [8], first=2)
    qtbot.waitUntil(lambda: mode.reading is not None and not mode.busy()
                    and window.prediction_view.recognition() is None, timeout=10_000)
    pieces = mode.panel.pieces
    centre = pieces.visualItemRect(pieces.item(pieces.currentRow())).center()
    with qtbot.waitSignal(mode.pieceShown, timeout=5_000) as shown:
        qtbot.mouseClick(pieces.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert shown.args[1] is True and window.prediction_view.recognition() is shown.args[0]
