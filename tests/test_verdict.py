"""The answer in words: a digit, "not sure", "not a digit" or "too small" (digitpad.reading.verdict, Recognition)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from digitpad.reading.verdict import (REJECT_THRESHOLD, UNSURE_LEVEL, best_posterior, explanation, is_unsure,
                              rejection_reason)

CLEAR_SEVEN = [40.0, 35.0, 30.0, 28.0, 50.0, 33.0, 45.0, 2.5, 31.0, 29.0]
ZERO_OR_EIGHT = [4.6, 30.0, 28.0, 27.0, 35.0, 26.0, 24.0, 33.0, 4.9, 25.0]


def test_best_posterior_is_eq_9s_posterior_of_the_best_class():
    j = 6.0
    penalties = [1.0, 2.0, 4.0]
    z = math.exp(-j) + sum(math.exp(-y) for y in penalties)
    rubbish = math.exp(-j) / z
    assert best_posterior(penalties, rubbish) == pytest.approx(math.exp(-1.0) / z, rel=1e-12)
    assert best_posterior([800.0, 900.0], 0.0) == pytest.approx(1.0)  # no underflow at large penalties


def test_a_close_runner_up_makes_it_unsure_and_a_clear_winner_does_not():
    assert not is_unsure(CLEAR_SEVEN, 0.0, False)
    assert explanation(CLEAR_SEVEN, 0.0, False) == "It looks like a 7."
    assert is_unsure(ZERO_OR_EIGHT, 0.0, False)
    assert best_posterior(ZERO_OR_EIGHT, 0.0) < UNSURE_LEVEL
    assert explanation(ZERO_OR_EIGHT, 0.0, False) == "Not sure: 0 or 8?"


def test_rejections_explain_themselves():
    high = [35.2 + d for d in (3, 7, 2, 9, 0, 5, 4, 8, 6, 1)]  # the closest is 4, at 35.2
    assert rejection_reason(REJECT_THRESHOLD + 0.1, False) == "not a digit"
    assert explanation(high, REJECT_THRESHOLD + 0.1, False) == (
        "Not a digit: every penalty is high — the closest, 4, at 35.2")
    assert rejection_reason(0.0, True) == "too small"
    assert explanation(CLEAR_SEVEN, 0.0, True) == "Too small — draw bigger"
    assert rejection_reason(REJECT_THRESHOLD + 0.1, True) == "too small"  # the size is said first
    assert rejection_reason(REJECT_THRESHOLD, False) is None
    assert not is_unsure(ZERO_OR_EIGHT, 0.0, True), "a rejected input is not also 'not sure'"


@pytest.fixture(scope="module")
def recognition():
    import torch

    from digitpad.network.lenet5 import LeNet5
    from digitpad.reading.recognition import Recognizer
    from drawings import draw

    torch.manual_seed(0)
    return Recognizer(LeNet5()).recognize_strokes(draw(7))


def test_recognition_json_keeps_its_fields_and_adds_unsure_runner_up_and_reason(recognition):
    seven = dataclasses.replace(recognition, penalties=np.array(CLEAR_SEVEN, np.float32), rubbish=0.0)
    assert seven.to_json() == {"digit": 7, "penalties": CLEAR_SEVEN, "rubbish": 0.0, "rejected": False,
                               "unsure": False, "runner_up": 3, "reason": None}
    unsure = dataclasses.replace(seven, penalties=np.array(ZERO_OR_EIGHT, np.float32))
    assert unsure.to_json()["unsure"] is True and unsure.to_json()["runner_up"] == 8
    assert unsure.explanation() == "Not sure: 0 or 8?"
    rubbish = dataclasses.replace(seven, rubbish=0.9)
    assert (rubbish.to_json()["reason"], rubbish.to_json()["rejected"], rubbish.to_json()["unsure"]) == (
        "not a digit", True, False)
    small = dataclasses.replace(seven, too_small=True)
    assert (small.to_json()["reason"], small.to_json()["rejected"]) == ("too small", True)
    assert small.to_json()["digit"] == 7  # the network's answer is still there, for the curious


def test_the_recognizer_judges_size_against_the_canvas(recognition):
    import torch

    from digitpad.network.lenet5 import LeNet5
    from digitpad.reading.recognition import Recognizer
    from drawings import draw

    torch.manual_seed(0)
    recognizer = Recognizer(LeNet5())
    small_seven = draw(7, size=30.0, origin=(10.0, 10.0))
    assert not recognizer.recognize_strokes(small_seven, canvas_size=(300, 300)).too_small
    assert recognizer.recognize_strokes(small_seven, canvas_size=(900, 900)).too_small
    assert recognizer.recognize_strokes(iter(small_seven), canvas_size=(900, 900)).reason == "too small"
