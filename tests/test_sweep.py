"""Invariance sweeps: digitpad/explain/sweep.py."""

import numpy as np
import pytest

from digitpad.ink.normalise import BACKGROUND, INK
from digitpad.ink.strokes import render_strokes
from digitpad.reading.recognition import Recognizer
from digitpad.explain.transforms import TRANSFORMS
from digitpad.explain.sweep import run_sweep, sweep_values, transform_input
from digitpad.storage.checkpoints import load_model
from drawings import draw

SEVEN = [[(100, 60), (200, 60), (300, 62)], [(300, 62), (260, 150), (220, 250), (190, 340)]]


@pytest.fixture(scope="module")
def recognizer():
    model, _ = load_model(None, "cpu")
    return Recognizer(model)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_the_step_at_zero_is_plain_recognition(recognizer, name):
    transform = TRANSFORMS[name]
    values = sweep_values(transform, steps=4)  # 0 is not on this grid: it is added
    assert 0.0 in values and values == sorted(values)
    sweep = run_sweep(recognizer, transform, values, strokes=SEVEN)
    (zero,) = [s for s in sweep.steps if s.value == 0]
    plain = recognizer.recognize_strokes(SEVEN)
    np.testing.assert_array_equal(zero.recognition.penalties, plain.penalties)
    np.testing.assert_array_equal(zero.input, plain.input)
    assert zero.to_json()["penalties"] == plain.to_json()["penalties"]


def test_turning_a_seven_upside_down_changes_the_answer(recognizer):
    for source in ({"strokes": SEVEN}, {"array32": render_strokes(SEVEN)}):
        for stage in ("drawing", "input"):
            sweep = run_sweep(recognizer, "rotate", [0.0, 180.0], stage=stage, **source)
            assert sweep.answer == 7 and sweep.steps[1].answer != 7
            assert sweep.breaking_points == (None, 180.0)


def test_a_shift_before_normalisation_disappears_and_the_sweep_says_so(recognizer):
    sweep = run_sweep(recognizer, "shift-x", [-6.0, 0.0, 6.0], strokes=draw(2), stage="drawing")
    penalties = sweep.penalties()
    np.testing.assert_allclose(penalties, penalties[[1, 1, 1]], atol=1e-4)
    assert "changes nothing" in sweep.note
    after = run_sweep(recognizer, "shift-x", [-6.0, 0.0, 6.0], strokes=draw(2), stage="input")
    assert after.note is None and np.abs(after.penalties()[0] - after.penalties()[1]).max() > 1


def test_input_transforms_do_what_they_say():
    array = render_strokes(draw(1))
    ink = (array - BACKGROUND) / (INK - BACKGROUND)
    shifted = (transform_input(array, TRANSFORMS["shift-x"], 3) - BACKGROUND) / (INK - BACKGROUND)
    np.testing.assert_allclose(shifted[:, 3:], ink[:, :-3], atol=1e-5)
    wider = transform_input(array, TRANSFORMS["width"], 2)
    thinner = transform_input(array, TRANSFORMS["width"], -1)
    assert wider.sum() > array.sum() > thinner.sum()
    noisy = transform_input(array, TRANSFORMS["noise"], 20)
    changed = np.count_nonzero(noisy != array)
    corrupted = noisy[noisy != array]
    assert 0.05 * 1024 < changed < 0.2 * 1024
    assert np.all(np.isclose(corrupted, BACKGROUND) | np.isclose(corrupted, INK))  # salt and pepper


def test_impossible_values_are_refused():
    with pytest.raises(ValueError, match="at least -99"):
        sweep_values(TRANSFORMS["scale"], -100, 10)
    with pytest.raises(ValueError, match="below --to"):
        sweep_values(TRANSFORMS["rotate"], 10, -10)
    with pytest.raises(ValueError, match="input only"):
        run_sweep(None, "noise", [0.0], strokes=SEVEN, stage="drawing")
