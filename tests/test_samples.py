"""Personal samples: the JSON Lines store (persistence, corrupt lines, atomic writes, import and
export) and fine-tuning on them mixed with MNIST."""

import json
import os
import random

import pytest
import torch

from digitpad.training.datasets import TensorDataset, extra_repeat, mix_datasets, mnist_dataset, samples_dataset
from digitpad.errors import SampleError
from digitpad.storage.samples import SampleStore, default_samples_path, make_sample
from digitpad.training.config import TrainingConfig
from digitpad.training.loop import evaluate, train

CPU = torch.device("cpu")
SEVEN = [[(10, 10), (90, 10), (40, 100)], [(30, 55), (75, 55)]]


def odd_four(rng: random.Random) -> list:
    """A closed triangle, jittered: nothing like MNIST's 4s, so the model must learn it."""
    def j(v):
        return v + rng.uniform(-4, 4)
    return [[(j(50), j(10)), (j(90), j(80)), (j(10), j(80)), (j(50), j(10))]]


def test_labelled_drawings_persist_in_a_new_store(tmp_path):
    path = tmp_path / "samples.jsonl"
    store = SampleStore(path)
    store.add(SEVEN, 7)
    store.add([[(0, 0), (0, 50)]], 1)
    again = SampleStore(path)
    assert [s.label for s in again.samples()] == [7, 1]
    assert again.samples()[0].strokes == tuple(tuple((float(x), float(y)) for x, y in s) for s in SEVEN)
    assert again.samples()[0].created.endswith("+00:00")
    assert again.counts()[7] == 1 and again.problems == []
    record = json.loads(path.read_text().splitlines()[0])
    assert set(record) == {"label", "strokes", "created"} and record["strokes"][1] == [[30, 55], [75, 55]]


def test_default_location_is_the_user_data_directory(isolated_user_data):
    SampleStore().add(SEVEN, 7)
    assert default_samples_path() == isolated_user_data / ".local/share/digitpad/samples.jsonl"
    assert default_samples_path().exists()


def test_delete_removes_exactly_that_sample(tmp_path):
    store = SampleStore(tmp_path / "s.jsonl")
    for label in (3, 4, 5):
        store.add(SEVEN, label)
    assert store.delete(1).label == 4
    assert [s.label for s in SampleStore(tmp_path / "s.jsonl").samples()] == [3, 5]
    with pytest.raises(IndexError):
        store.delete(5)


@pytest.mark.parametrize("label", [-1, 10, 2.0, True, "7"])
def test_bad_labels_and_empty_drawings_are_refused(tmp_path, label):
    store = SampleStore(tmp_path / "s.jsonl")
    with pytest.raises(ValueError, match="label"):
        store.add(SEVEN, label)
    with pytest.raises(ValueError, match="no points"):
        store.add([[]], 3)
    assert not (tmp_path / "s.jsonl").exists()


def test_a_corrupt_line_is_reported_and_the_others_load_and_survive_a_rewrite(tmp_path):
    path = tmp_path / "s.jsonl"
    good = json.dumps(make_sample(SEVEN, 7).to_json())
    path.write_bytes((good + "\n{not json\n\n" + '{"label": 12, "strokes": [[[1, 2]]]}\n' + good + "\n"
                      + '{"label": 1, "strokes": [[[1, "x"]]]}\n').encode() + b"\xff\xfe\n")
    store = SampleStore(path)
    assert len(store) == 2
    assert [p.split(":")[0] for p in store.problems] == ["line 2", "line 4", "line 6", "line 7"]
    assert "bad JSON" in store.problems[0] and "0-9" in store.problems[1] and "UTF-8" in store.problems[3]
    store.add(SEVEN, 1)
    data = path.read_bytes()
    assert b"\n{not json\n" in data and b"\n\xff\xfe\n" in data  # kept verbatim, to repair by hand
    assert len(SampleStore(path)) == 3


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failing_write_keeps_the_previous_file_and_says_why(tmp_path, monkeypatch, failing):
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "s.jsonl"
    store = SampleStore(path)
    store.add(SEVEN, 7)
    before = path.read_bytes()

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, no_space)
    with pytest.raises(SampleError, match="No space left on device") as error:
        store.add(SEVEN, 2)
    assert str(path) in str(error.value)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [s.label for s in store.samples()] == [7]
    # no temporary file left behind (the lock file stays: see digitpad.safe_files.locked)
    assert sorted(p.name for p in path.parent.iterdir()) == [".s.jsonl.lock", "s.jsonl"]


def test_export_then_import_skips_duplicates(tmp_path):
    mine = SampleStore(tmp_path / "mine.jsonl")
    mine.add(SEVEN, 7)
    mine.add(SEVEN, 1)
    assert mine.export_file(tmp_path / "out.jsonl") == 2
    theirs = SampleStore(tmp_path / "theirs.jsonl")
    theirs.add([[(0, 0), (10, 10)]], 0)
    assert theirs.import_file(tmp_path / "out.jsonl") == (2, [])
    assert theirs.import_file(tmp_path / "out.jsonl") == (0, [])
    assert sorted(s.label for s in SampleStore(tmp_path / "theirs.jsonl").samples()) == [0, 1, 7]
    with pytest.raises(SampleError, match="not found"):
        theirs.import_file(tmp_path / "missing.jsonl")


def test_dataset_renders_each_sample_as_a_network_input(tmp_path):
    store = SampleStore(tmp_path / "s.jsonl")
    store.add(SEVEN, 7)
    store.add(odd_four(random.Random(0)), 4)
    data = samples_dataset(store.samples())
    assert data.inputs.shape == (2, 1, 32, 32) and data.labels.tolist() == [7, 4]
    assert data.inputs.min() == pytest.approx(-0.1) and data.inputs.max() <= 1.175 + 1e-6
    assert data.checksum and data.checksum != samples_dataset(store.samples()[:1]).checksum
    assert len(samples_dataset(SampleStore(tmp_path / "empty.jsonl").samples())) == 0


def test_mixing_repeats_the_extra_samples_to_a_small_share(tmp_path):
    base = TensorDataset(torch.zeros(930, 1, 32, 32), torch.zeros(930, dtype=torch.int64), "m")
    extra = TensorDataset(torch.ones(10, 1, 32, 32), torch.full((10,), 4), "e")
    assert extra_repeat(930, 10) == 7
    mixed = mix_datasets(base, extra)
    assert len(mixed) == 1000 and int((mixed.labels == 4).sum()) == 70
    assert mixed.checksum not in ("m", "e")
    assert mix_datasets(base, extra, repeat=0) is base


@pytest.fixture(scope="module")
def mnist_small(mnist_dir):
    data = mnist_dataset(mnist_dir, "test")  # the 10k test file loads fastest; split it
    return (TensorDataset(data.inputs[:3500], data.labels[:3500], "a"),
            TensorDataset(data.inputs[9000:], data.labels[9000:], "b"))


@pytest.mark.slow
def test_fine_tuning_learns_an_odd_glyph_and_keeps_mnist(mnist_small):
    train_set, test_set = mnist_small
    first_3000 = TensorDataset(train_set.inputs[:3000], train_set.labels[:3000], "a")
    base = train(TrainingConfig(epochs=3, batch_size=32, distort=False), first_3000, test_set, CPU)
    rng = random.Random(0)
    mine = samples_dataset([make_sample(odd_four(rng), 4) for _ in range(10)])
    mine_errors_before, _ = evaluate(base.model, mine)
    mnist_errors_before, _ = evaluate(base.model, test_set)
    assert mine_errors_before >= 8  # the triangle is not a 4 to a model trained on MNIST

    mixed = mix_datasets(TensorDataset(train_set.inputs[3000:], train_set.labels[3000:], "c"), mine)
    tuned = train(TrainingConfig(epochs=3, distort=False, min_steps=0), mixed, test_set, CPU,
                  initial_state=base.model.state_dict())
    mine_errors_after, _ = evaluate(tuned.model, mine)
    mnist_errors_after, _ = evaluate(tuned.model, test_set)
    assert mine_errors_after == 0
    assert mnist_errors_after < 0.5 * len(test_set)  # still a digit recogniser, far from chance
    assert mnist_errors_after <= mnist_errors_before + 0.1 * len(test_set)
