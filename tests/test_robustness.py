"""Hostile and broken input across the core: strokes from JSON, read-only folders, odd files."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitpad.cli.main import main
from digitpad.storage.stroke_records import parse_drawing
from digitpad.network.lenet5 import LeNet5
from digitpad.ink.normalise import BACKGROUND, EmptyDrawing, INK
from digitpad.ink.strokes import render_strokes
from digitpad.errors import WeightsError
from digitpad.storage.checkpoints import load_checkpoint, save_checkpoint
from digitpad.storage.run_metrics import RunMetrics

# JSON values of every type, nested a little, to throw at the stroke parser.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=20)
coordinates = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**12, 10**12)
point_lists = st.lists(st.lists(st.lists(coordinates, min_size=2, max_size=2), max_size=30), max_size=5)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(json_values, st.fixed_dictionaries({"strokes": json_values}),
                 st.fixed_dictionaries({"strokes": point_lists})))
def test_stroke_parser_and_renderer_give_a_result_or_a_clean_error(record):
    line = json.dumps(record)  # json.dumps writes NaN/Infinity, which json.loads (and we) accept
    try:
        strokes = parse_drawing(line)[0]
    except ValueError:
        return
    try:
        array = render_strokes(strokes)
    except EmptyDrawing:
        return
    assert array.shape == (32, 32) and np.isfinite(array).all()
    assert array.min() >= BACKGROUND - 1e-6 and array.max() <= INK + 1e-6


def _cli_json(capsys, tmp_path, records):
    path = tmp_path / "strokes.jsonl"
    path.write_text("\n".join(records) + "\n")
    code = main(["recognize", "--json", "--strokes", str(path)])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.strip().splitlines()], err


def test_extreme_strokes_each_get_a_result_or_a_per_line_error(capsys, tmp_path):
    many = [[[200 + 80 * math.sin(i / 300), 40 + i * 0.1] for i in range(5000)]]
    records = [
        json.dumps({"strokes": [[[10, 10]]]}),                                # one point: a dot
        json.dumps({"strokes": [[[10, 10]] * 50]}),                            # repeated points
        json.dumps({"strokes": many}),                                          # thousands of points
        '{"strokes": [[[NaN, 1], [Infinity, 2], [3, -Infinity]]]}',            # nothing finite
        json.dumps({"strokes": [[[-5000, -300], [-5010, -100]]]}),             # negative coordinates
        json.dumps({"strokes": [[[1e300, 1e300], [1.0000001e300, 1.0001e300]]]}),  # huge coordinates
        json.dumps({"strokes": "1,2,3"}),                                       # wrong type
    ]
    code, results, err = _cli_json(capsys, tmp_path, records)
    assert code == 1
    assert len(results) == len(records)
    assert ["digit" in r for r in results] == [True, True, True, False, True, True, False]
    assert results[4]["digit"] == 1  # a short vertical line is a one wherever it is
    assert "strokes.jsonl:4: empty drawing" in err and "strokes.jsonl:7:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("module, function, message", [
    # A read-only folder refuses the temporary file. CI runs as root, which ignores permission
    # bits, so the refusal is made the way the OS reports it (EACCES from creating the file).
    ("tempfile", "mkstemp", "could not save weights: Permission denied"),
    ("os", "replace", "could not save weights: Permission denied"),  # the final rename refused
])
def test_a_refused_write_reports_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, module,
                                                                             function, message):
    import importlib

    path = tmp_path / "w.pt"
    save_checkpoint(path, LeNet5(), {}, RunMetrics(test_error=0.01), "old")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(importlib.import_module(module), function, refuse)
    with pytest.raises(WeightsError, match=message):
        save_checkpoint(path, LeNet5(), {}, RunMetrics(test_error=0.5), "new")
    monkeypatch.undo()
    assert load_checkpoint(path).data_checksum == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
