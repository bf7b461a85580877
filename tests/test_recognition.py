"""The Qt-free recognizer the GUI and CLI share."""

import numpy as np
import pytest
import torch
from drawings import draw

from digitpad.network.lenet5 import LeNet5
from digitpad.ink.normalise import EmptyDrawing
from digitpad.ink.images import ImageError
from digitpad.ink.strokes import render_strokes
from digitpad.ink.tensors import to_tensor
from digitpad.reading.verdict import REJECT_THRESHOLD
from digitpad.reading.recognition import Recognizer


@pytest.fixture
def recognizer():
    torch.manual_seed(0)
    return Recognizer(LeNet5())


def test_recognition_carries_every_internal_of_the_forward_pass(recognizer):
    result = recognizer.recognize_strokes(draw(3))
    shapes = {name: getattr(result, name).shape for name in ("input", "c1", "s2", "c3", "s4", "c5", "f6",
                                                               "penalties")}
    assert shapes == {"input": (32, 32), "c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10),
                      "s4": (16, 5, 5), "c5": (120,), "f6": (84,), "penalties": (10,)}
    np.testing.assert_array_equal(result.input, render_strokes(draw(3)))
    with torch.no_grad():
        expected = recognizer.model(to_tensor(result.input))[0].numpy()
    np.testing.assert_allclose(result.penalties, expected, rtol=1e-5)
    assert result.seconds > 0


def test_digit_ranking_and_rejection_follow_the_penalties(recognizer):
    result = recognizer.recognize_strokes(draw(7))
    result.penalties = np.array([5.0, 1.0, 9.0, 3.0, 8.0, 7.0, 6.0, 4.0, 2.0, 10.0], dtype=np.float32)
    assert result.digit == 1 and result.runner_up == 8
    assert result.ranking == [1, 8, 3, 7, 0, 6, 5, 4, 2, 9]
    result.rubbish = REJECT_THRESHOLD + 0.01
    assert result.rejected and result.to_json()["rejected"] is True
    assert result.to_json()["digit"] == 1


def test_empty_drawing_and_bad_image_raise_clear_errors(recognizer, tmp_path):
    with pytest.raises(EmptyDrawing):
        recognizer.recognize_strokes([])
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"nope")
    with pytest.raises(ImageError, match="junk.png"):
        recognizer.recognize_image(junk)
