"""The F6 panel: made for comparing F6 with the prototypes, drawn from the model's own RBF weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from drawings import draw
from PySide6.QtCore import Qt

from digitpad.gui.panels.f6_panel import closeness
from digitpad.storage.checkpoints import load_model


def test_closeness_is_one_for_the_winner_and_the_penalty_ratio_for_the_others():
    np.testing.assert_allclose(closeness(np.array([10.0, 20.0, 40.0, 10.0])), [1, 0.5, 0.25, 1])
    assert closeness(np.array([0.0, 5.0]))[0] == 1 and closeness(np.array([0.0, 5.0]))[1] == 0


def test_the_winner_is_compared_with_f6_and_their_difference_is_the_penalty(window):
    window.drawing.set_strokes(draw(3))
    panel, recognition = window.f6_panel, window.last_recognition
    assert panel.compared_digit() == recognition.digit == 3
    difference = panel.difference_values()
    np.testing.assert_allclose(difference, panel.f6_values() - panel.prototype_values(3))
    assert float((difference ** 2).sum()) == pytest.approx(float(recognition.penalties[3]), rel=1e-4)
    shown = panel.closeness_values()
    assert shown[3] == 1 and shown.argmax() == 3 and np.sort(shown)[-2] < 1


def test_a_near_tie_is_shown_and_a_clear_win_is_not(window):
    window.drawing.set_strokes(draw(7))
    panel, recognition = window.f6_panel, window.last_recognition
    assert not panel.near_tie()
    penalties = recognition.penalties.copy()
    # 1 almost as close as 7: half a unit of penalty apart, so eq. 9's posterior of 7 is about
    # e^0.5 / (1 + e^0.5) ≈ 0.62 and the recognition itself says "not sure" (at any penalty scale).
    penalties[1] = penalties[7] + 0.5
    panel.show_recognition(dataclasses.replace(recognition, penalties=penalties))
    assert panel.near_tie()
    assert panel.closeness_values()[1] == pytest.approx(penalties[7] / penalties[1])


def test_the_panel_draws_the_prototypes_the_model_holds(window, use_weights):
    model, _ = load_model(use_weights)
    with torch.no_grad():
        model.prototypes[0] = -model.prototypes[0]  # a different (still ±1) bitmap for 0
    window.model_control.set_model(model, None, "flipped zero")
    np.testing.assert_array_equal(window.f6_panel.prototype_values(0).reshape(84), model.prototypes[0].numpy())


def test_clicking_a_row_or_pressing_a_digit_compares_f6_with_that_prototype(qtbot, window):
    window.drawing.set_strokes(draw(3))
    panel = window.f6_panel
    row = panel.geometry_of_rows()[8]
    qtbot.mouseClick(panel, Qt.MouseButton.LeftButton, pos=row.center())
    assert panel.compared_digit() == 8
    np.testing.assert_allclose(panel.difference_values(), panel.f6_values() - panel.prototype_values(8))
    qtbot.mouseClick(panel, Qt.MouseButton.LeftButton, pos=row.center())  # again: back to the winner
    assert panel.compared_digit() == 3
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_5)
    assert panel.compared_digit() == 5
    qtbot.keyClick(panel, Qt.Key.Key_Down)
    assert panel.compared_digit() == 6
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert panel.compared_digit() == 3
    assert panel.accessibleName() and "3" in panel.accessibleDescription()
