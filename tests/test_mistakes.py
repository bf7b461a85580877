"""Listing the network's mistakes: exactly the wrong and refused examples, judged as the window
judges a drawing, most confidently wrong first, with the confusion matrix; the CLI's grid and JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from digitpad.cli.main import main
from digitpad.explain.mistakes import (
    NOT_SURE,
    REFUSED,
    REFUSED_COLUMN,
    WRONG,
    ExampleSet,
    list_mistakes,
    mnist_test_examples,
)
from digitpad.reading.verdict import is_unsure, rejection_reason
from digitpad.storage.checkpoints import load_model


class KnownAnswers(torch.nn.Module):
    """A stand-in network whose penalties for example i are row i of a table (the example's
    first pixel holds i), so every verdict is known in advance."""

    def __init__(self, table: list[list[float]], rubbish_j: float = 20.0):
        super().__init__()
        self.table, self.rubbish_j = torch.tensor(table, dtype=torch.float32), rubbish_j

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.table[x[:, 0, 0, 0].long()]


def row(best: int, best_penalty: float = 0.0, others: float = 20.0, **extra: float) -> list[float]:
    values = [others] * 10
    values[best] = best_penalty
    for digit, penalty in extra.items():
        values[int(digit[1:])] = penalty
    return values


# example: (true label, penalties)        what the window would say
KNOWN = [
    (3, row(3)),                          # "It looks like a 3": right
    (4, row(9, 0.0, d4=12.0)),            # a confident 9: wrong, margin −12
    (7, row(1, 1.0, d7=1.2)),             # "Not sure: 1 or 7?": wrong but not sure, margin −0.2
    (5, [40.0] * 10),                     # every penalty high: "Not a digit": refused
    (2, row(2, 1.0, d8=1.1)),             # "Not sure: 2 or 8?" but right: not a mistake
    (0, row(6, 0.0, d0=3.0)),             # a confident 6: wrong, margin −3
]


def known_set(too_small: list[bool] | None = None) -> ExampleSet:
    inputs = torch.zeros(len(KNOWN), 1, 32, 32)
    inputs[:, 0, 0, 0] = torch.arange(len(KNOWN), dtype=torch.float32)
    labels = torch.tensor([label for label, _ in KNOWN])
    return ExampleSet("known answers", inputs, labels,
                      torch.tensor(too_small) if too_small is not None else None)


def test_exactly_the_wrong_and_refused_examples_are_listed_most_confident_first():
    progress = []
    report = list_mistakes(KnownAnswers([p for _, p in KNOWN]), known_set(), batch_size=4,
                           on_progress=lambda done, total: progress.append((done, total)))
    listed = [(m.index, m.true, m.answer, m.reason) for m in report.mistakes]
    assert listed == [(1, 4, 9, WRONG), (5, 0, 6, WRONG), (2, 7, 1, NOT_SURE), (3, 5, 0, REFUSED)]
    assert [m.margin for m in report.mistakes] == pytest.approx([-12.0, -3.0, -0.2, 0.0], abs=1e-5)
    assert progress == [(4, 6), (6, 6)]
    assert report.errors == 4  # `digitpad evaluate` counts the closest digit: 4→9, 7→1, 5→0, 0→6
    confusion = report.confusion
    assert confusion.sum() == 6 and confusion[4, 9] == 1 and confusion[5, REFUSED_COLUMN] == 1
    assert confusion[3, 3] == 1 and confusion[2, 2] == 1
    assert [m.index for m in report.filtered(true=4, column=9)] == [1]
    assert [m.index for m in report.filtered(column=REFUSED_COLUMN)] == [3]
    assert [m.index for m in report.filtered(reasons={NOT_SURE, REFUSED})] == [2, 3]


def test_too_small_drawings_are_refused_whatever_the_penalties():
    report = list_mistakes(KnownAnswers([p for _, p in KNOWN]), known_set([True] + [False] * 5))
    assert (0, REFUSED) in [(m.index, m.reason) for m in report.mistakes]


def test_the_verdicts_are_the_windows_on_real_digits(mnist_dir):
    model, _ = load_model()
    examples = mnist_test_examples(mnist_dir, limit=600)
    report = list_mistakes(model, examples)
    with torch.no_grad():
        penalties = model(examples.inputs).double()
        internals = model.forward_with_internals(examples.inputs)
    expected = []
    for i, (label, p, r) in enumerate(zip(examples.labels.tolist(), penalties.tolist(),
                                          internals.rubbish.tolist())):
        best = int(np.argmin(p))
        if rejection_reason(r, False) is not None:
            expected.append((i, REFUSED))
        elif best != label:
            expected.append((i, NOT_SURE if is_unsure(p, r, False) else WRONG))
    assert sorted((m.index, m.reason) for m in report.mistakes) == sorted(expected)
    assert report.confusion.sum() == 600


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_evaluate_lists_mistakes_as_json_and_draws_the_grid(capsys, tmp_path):
    grid = tmp_path / "figure8.png"
    code, out, err = run(capsys, "evaluate", "--mistakes", grid, "--json")
    assert code == 0, err
    result = json.loads(out)
    listed = result["list"]
    assert result["total"] == 10_000 and result["mistakes"] == len(listed) > 0
    assert set(listed[0]) == {"index", "true", "answer", "margin", "reason"}
    margins = [m["margin"] for m in listed]
    assert margins == sorted(margins) and all(m <= 0 for m in margins)
    assert {m["reason"] for m in listed} <= {"wrong", "not sure", "refused"}
    assert all(m["true"] != m["answer"] for m in listed if m["reason"] != "refused")
    assert result["wrong"] + result["not_sure"] + result["refused"] == len(listed)
    picture = Image.open(grid)
    rows = -(-len(listed) // 12)
    assert picture.width > 12 * 64 and picture.height > rows * 64
    code, out, _ = run(capsys, "evaluate", "--mistakes")  # the list for people, no picture
    assert code == 0 and out.splitlines()[0].startswith(f"{len(listed)} mistakes in 10,000 examples")
    first = out.splitlines()[2].split()
    assert [int(first[0]), int(first[1]), int(first[2])] == [listed[0]["index"], listed[0]["true"],
                                                             listed[0]["answer"]]


def test_evaluate_mistakes_of_the_samples_file(capsys, tmp_path):
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"label": 1, "strokes": [[[100, 20], [100, 180]]]}) + "\n"
                       + json.dumps({"label": 8, "strokes": [[[100, 20], [100, 180]]]}) + "\n")
    code, out, err = run(capsys, "evaluate", "--mistakes", "--examples", "samples", "--samples", samples, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["set"] == "your samples" and result["total"] == 2
    assert [m["index"] for m in result["list"]] == [1] and result["list"][0]["true"] == 8


def test_evaluate_mistakes_says_how_many_lines_of_the_samples_file_it_skipped(capsys, tmp_path):
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"label": 1, "strokes": [[[100, 20], [100, 180]]]}) + "\nnot json\n")
    code, out, err = run(capsys, "evaluate", "--mistakes", "--examples", "samples", "--samples", samples)
    assert code == 0, err
    assert err.startswith("note: 1 line of samples.jsonl skipped: not drawings (line 2: bad JSON")


def test_evaluate_mistakes_refuses_an_unwritable_picture_before_working(capsys, tmp_path):
    (tmp_path / "dir.png").mkdir()
    code, _, err = run(capsys, "evaluate", "--mistakes", tmp_path / "dir.png")
    assert code == 1 and "dir.png" in err and "Traceback" not in err


def test_the_pen_set_is_the_held_out_writers_only_judged_as_drawings():
    from digitpad.explain.mistakes import pen_held_out_examples
    from digitpad.paths import default_pendigits_file
    from digitpad.training.pen_split import HELD_OUT_WRITERS

    path = default_pendigits_file()
    if path is None:
        pytest.skip("no pen-digits file here ($DIGITPAD_PENDIGITS or ../shared/data/pendigits): the set needs it")
    examples = pen_held_out_examples(path)
    writers = {int(caption.split("writer ")[1].split(",")[0]) for caption in examples.captions}
    assert writers == set(HELD_OUT_WRITERS) and examples.too_small is not None
    model, _ = load_model()
    report = list_mistakes(model, examples)
    assert 0 < len(report.mistakes) < len(examples) / 5 and report.confusion.sum() == len(examples)


def test_evaluate_mistakes_of_a_samples_file_that_is_not_there_says_so(capsys, tmp_path):
    code, _, err = run(capsys, "evaluate", "--mistakes", "--examples", "samples", "--samples",
                       tmp_path / "typo.jsonl")
    assert code == 1 and "typo.jsonl: file not found" in err and "Traceback" not in err


def test_the_summary_names_each_set_in_plain_words(capsys, tmp_path):
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"label": 1, "strokes": [[[100, 20], [100, 180]]]}) + "\n")
    code, out, err = run(capsys, "evaluate", "--mistakes", "--examples", "samples", "--samples", samples)
    assert code == 0, err
    assert "the your" not in out and "examples (your samples)" in out.splitlines()[0]


def test_the_sets_kept_for_measuring_say_so_and_your_samples_do_not(mnist_dir, tmp_path):
    from digitpad.explain.mistakes import mnist_test_examples, sample_examples
    from digitpad.storage.samples import SampleStore

    assert mnist_test_examples(mnist_dir, limit=5).held_out is True  # Teach asks before keeping one
    store = SampleStore(tmp_path / "samples.jsonl")
    store.add([[(10.0, 10.0), (200.0, 200.0)]], 1)
    assert sample_examples(tmp_path / "samples.jsonl").held_out is False
