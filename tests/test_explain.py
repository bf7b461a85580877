"""Attribution (integrated gradients) and per-stroke effects: digitpad/explain/attribution.py."""

import numpy as np
import pytest

from digitpad.explain.attribution import integrated_gradients, stroke_effects
from digitpad.ink.normalise import BACKGROUND
from digitpad.ink.strokes import render_strokes
from digitpad.reading.recognition import Recognizer
from digitpad.storage.checkpoints import load_model
from drawings import draw

SEVEN = [[(100, 60), (200, 60), (300, 62)], [(300, 62), (260, 150), (220, 250), (190, 340)]]


@pytest.fixture(scope="module")
def recognizer():
    model, _ = load_model(None, "cpu")
    return Recognizer(model)


@pytest.mark.parametrize("digit", [0, 3, 7])
def test_attributions_add_up_to_the_penalty_difference_from_the_blank_input(recognizer, digit):
    array = render_strokes(draw(digit))
    full = recognizer.recognize_array(array)
    blank = recognizer.recognize_array(np.full((32, 32), BACKGROUND, np.float32))
    for explained in (full.digit, (full.digit + 4) % 10):  # the winner and a loser
        result = integrated_gradients(recognizer.model, array, explained)
        difference = full.penalties[explained] - blank.penalties[explained]
        assert result.penalty == pytest.approx(full.penalties[explained], rel=1e-4)
        assert result.baseline_penalty == pytest.approx(blank.penalties[explained], rel=1e-4)
        assert abs(result.attribution.sum(dtype=np.float64) - difference) <= 0.01 * abs(difference)


def test_paper_pixels_get_exactly_zero_and_the_winner_is_the_default(recognizer):
    array = render_strokes(draw(4))
    result = integrated_gradients(recognizer.model, array)
    assert result.digit == recognizer.recognize_array(array).digit
    assert np.all(result.attribution[array == BACKGROUND] == 0)
    assert np.count_nonzero(result.attribution) > 20  # the ink is attributed


def test_the_ink_of_the_answer_mostly_supports_it(recognizer):
    result = integrated_gradients(recognizer.model, render_strokes(SEVEN))
    assert result.digit == 7
    attribution = result.attribution
    supports, opposes = -attribution[attribution < 0].sum(), attribution[attribution > 0].sum()
    assert supports > 2 * opposes


def test_each_stroke_effect_is_the_drawing_recognised_without_it(recognizer):
    full = recognizer.recognize_strokes(SEVEN)
    effects = stroke_effects(recognizer, SEVEN)
    assert [e.stroke for e in effects] == [0, 1]
    alone = recognizer.recognize_strokes([SEVEN[1]])
    np.testing.assert_allclose(effects[0].recognition.penalties, alone.penalties, rtol=1e-6)
    assert effects[0].digit == 1 and effects[0].describe(full) == "without stroke 1 it would be a 1"
    assert effects[0].penalty_changes(full)[7] > 0  # the top bar is what made it a 7


def test_a_one_stroke_drawing_has_nothing_left_without_its_stroke(recognizer):
    full = recognizer.recognize_strokes(draw(1))
    (effect,) = stroke_effects(recognizer, draw(1))
    assert effect.recognition is None and effect.describe(full) == "without stroke 1 nothing is left"
