"""Tracing a unit to its inputs: digitpad/explain/trace.py."""

import numpy as np
import pytest

from digitpad.network.architecture import SQUASH_A, SQUASH_S
from digitpad.reading.recognition import Recognizer
from digitpad.explain.trace import receptive_field, trace_unit
from digitpad.storage.checkpoints import load_model
from drawings import draw

# Table I of the paper, written out again here (not taken from the code under test).
PAPER_TABLE_I = ["012", "123", "234", "345", "045", "015", "0123", "1234", "2345", "0345", "0145", "0125",
                 "0134", "1245", "0235", "012345"]


def f(a):
    return SQUASH_A * np.tanh(SQUASH_S * a)


@pytest.fixture(scope="module")
def model_and_recognition():
    model, _ = load_model(None, "cpu")
    return model, Recognizer(model).recognize_strokes(draw(3))


def test_a_c3_unit_is_fed_by_exactly_table_one_s2_maps_and_they_give_its_value(model_and_recognition):
    model, recognition = model_and_recognition
    for k, maps in enumerate(PAPER_TABLE_I):
        trace = trace_unit(model, "c3", k, 2, 7, recognition)
        assert trace.source_layer == "s2" and trace.source_maps == tuple(int(m) for m in maps)
        box = trace.source_box
        block = recognition.s2[list(trace.source_maps), box.top:box.bottom, box.left:box.right]
        assert trace.weights.shape == (len(maps), 5, 5)
        assert f((trace.weights * block).sum() + trace.bias) == pytest.approx(trace.value, abs=1e-4)


def test_a_c1_unit_sees_a_5x5_patch_of_the_input_through_its_kernel(model_and_recognition):
    model, recognition = model_and_recognition
    trace = trace_unit(model, "c1", 4, 10, 12, recognition)
    r = trace.receptive_field
    assert (r.top, r.left, r.size) == (10, 12, (5, 5))
    patch = recognition.input[r.top:r.bottom, r.left:r.right]
    assert f((trace.weights[0] * patch).sum() + trace.bias) == pytest.approx(trace.value, abs=1e-4)


def test_receptive_fields_grow_through_the_layers_to_the_whole_input():
    assert receptive_field("s2", 3, 5).size == (6, 6)
    assert receptive_field("c3", 0, 0).size == (14, 14)
    assert receptive_field("s4", 4, 4) == receptive_field("s4", 4, 4).__class__(16, 16, 32, 32)
    assert receptive_field("c5", 0, 0).size == (32, 32) == receptive_field("f6", 0, 0).size


def test_subsampling_and_f6_units_list_their_feeds(model_and_recognition):
    model, recognition = model_and_recognition
    s4 = trace_unit(model, "s4", 9, 1, 2, recognition)
    assert s4.source_maps == (9,) and s4.weights.shape == (1,)
    block = recognition.c3[9, 2:4, 4:6]
    assert f(s4.weights[0] * block.sum() + s4.bias) == pytest.approx(s4.value, abs=1e-4)
    f6 = trace_unit(model, "f6", 40, recognition=recognition)
    assert f6.source_maps == tuple(range(120)) and f6.weights.shape == (120,)
    assert f(f6.weights @ recognition.c5 + f6.bias) == pytest.approx(f6.value, abs=1e-4)
    with pytest.raises(ValueError, match="no unit"):
        trace_unit(model, "c3", 16)
