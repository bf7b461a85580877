"""A loaded model is immutable: switching the device makes a new module, so a background job
holding the old recognizer (an explanation, a sweep, a number reading) is not broken by it.
PyTorch's `meta` device stands in for CUDA (every machine has it; a tensor there has no data)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from digitpad.app.model_session import ModelSession  # noqa: E402
from digitpad.ink.strokes import render_strokes

ONE = [[(100.0, 20.0), (100.0, 180.0)]]


def test_a_job_holding_the_recognizer_survives_a_device_switch():
    session = ModelSession("cpu")
    session.load_shipped()
    array32 = render_strokes(ONE, 12.0)
    before = session.recognizer.recognize_array(array32)
    may_run, results = threading.Event(), []

    def job(recognizer=session.recognizer):  # what a background job holds: the recognizer it was given
        may_run.wait(10)
        try:
            results.append(recognizer.recognize_array(array32))
        except Exception as exc:  # reported, as Worker.failed would
            results.append(exc)

    thread = threading.Thread(target=job)
    thread.start()
    session.set_device("meta")  # Device → CUDA while the job runs
    may_run.set()
    thread.join(10)
    assert session.device == torch.device("meta") and session.model.prototypes.device.type == "meta"
    (after,) = results
    assert not isinstance(after, Exception), f"the running job broke: {after}"
    assert after.digit == before.digit and np.allclose(after.penalties, before.penalties)


def test_a_failed_device_switch_leaves_the_model_in_use_untouched():
    session = ModelSession("cpu")
    session.load_shipped()
    recognizer, weights = session.recognizer, session.model.prototypes.detach().clone()
    with pytest.raises((RuntimeError, AssertionError)):  # torch without CUDA asserts; with it, raises
        session.set_device("cuda:99")  # no such GPU (or no CUDA at all)
    assert session.recognizer is recognizer and session.device == torch.device("cpu")
    assert session.model.prototypes.device.type == "cpu" and torch.equal(session.model.prototypes, weights)
