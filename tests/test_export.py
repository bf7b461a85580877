"""ONNX export (checked with onnxruntime against PyTorch on real MNIST images) and the command
lines for export, samples and fine-tuning (`train --init --extra`)."""

import json

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from digitpad.cli.main import main
from digitpad.training.datasets import mnist_dataset
from digitpad.errors import ExportError
from digitpad.storage.onnx_export import export_onnx
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.samples import SampleStore
from digitpad.storage.checkpoints import load_checkpoint, save_checkpoint
from digitpad.storage.run_metrics import RunMetrics

SEVEN = [[(10, 10), (90, 10), (40, 100)], [(30, 55), (75, 55)]]


@pytest.fixture
def model():
    torch.manual_seed(3)
    return LeNet5().eval()


@pytest.fixture
def weights(tmp_path, model):
    path = tmp_path / "w.pt"
    save_checkpoint(path, model, {"epochs": 1}, RunMetrics(test_error=0.5))
    return path


@pytest.fixture(scope="module")
def mnist_images(mnist_dir):
    return mnist_dataset(mnist_dir, "test").inputs[:257]


def test_onnx_round_trip_matches_pytorch_on_mnist(tmp_path, model, mnist_images):
    path = export_onnx(model, tmp_path / "lenet5.onnx")
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    assert graph.opset_import[0].version >= 17
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.type, out.name) == ("input", "tensor(float)", "penalties")
    assert inp.shape[1:] == [1, 32, 32] and not isinstance(inp.shape[0], int)  # dynamic batch
    for batch in (mnist_images[:1], mnist_images):  # two batch sizes through one file
        ours = session.run(["penalties"], {"input": batch.numpy()})[0]
        with torch.no_grad():
            reference = model(batch).numpy()
        assert ours.shape == (len(batch), 10)
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4)
        assert (ours.argmin(1) == reference.argmin(1)).all()


def test_export_to_an_unwritable_place_is_a_clear_error(tmp_path, model):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="could not write"):
        export_onnx(model, tmp_path / "file" / "model.onnx")


def test_cli_export_writes_onnx(tmp_path, weights, capsys):
    assert main(["export", "--onnx", str(tmp_path / "m.onnx"), "--weights", str(weights)]) == 0
    assert "m.onnx" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))


def test_cli_export_with_bad_weights_is_one_line_without_traceback(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    assert main(["export", "--onnx", str(tmp_path / "m.onnx"), "--weights", str(tmp_path / "bad.pt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "m.onnx").exists()


def test_cli_samples_list_export_import(tmp_path, capsys):
    store = SampleStore(tmp_path / "a.jsonl")
    store.add(SEVEN, 7)
    store.add(SEVEN, 1)
    with open(store.path, "a") as handle:
        handle.write("garbage\n")
    assert main(["samples", "list", "--file", str(store.path)]) == 0
    out, err = capsys.readouterr()
    assert "2 sample(s)" in out and "1: 1, 7: 1" in out and "line 3" in err
    assert main(["samples", "list", "--json", "--file", str(store.path)]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in listing["samples"]] == [7, 1] and listing["problems"]

    assert main(["samples", "export", str(tmp_path / "out.jsonl"), "--file", str(store.path)]) == 0
    assert main(["samples", "import", str(tmp_path / "out.jsonl")]) == 0  # into the default file
    assert "imported 2 new" in capsys.readouterr().out
    assert [s.label for s in SampleStore().samples()] == [7, 1]
    assert main(["samples", "import", str(tmp_path / "missing.jsonl")]) == 1
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.slow
def test_cli_fine_tunes_from_weights_with_extra_samples(tmp_path, weights, mnist_dir, capsys):
    store = SampleStore(tmp_path / "mine.jsonl")
    for _ in range(5):
        store.add(SEVEN, 7)
    out_path = tmp_path / "tuned.pt"
    code = main(["train", "--data", str(mnist_dir), "--epochs", "1", "--limit", "300", "--init", str(weights),
                     "--extra", str(store.path), "--out", str(out_path), "--device", "cpu"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fine-tuning" in out and "your samples before" in out and "your samples after" in out
    assert "MNIST test error before" in out
    tuned = load_checkpoint(out_path)
    assert tuned.metrics.extra_samples == 5 and tuned.metrics.initial_weights == str(weights)
    assert tuned.metrics.extra_repeat == round(0.07 * 300 / (0.93 * 5))
    assert tuned.config["train_limit"] == 300
    assert not torch.equal(tuned.state["c1.weight"], load_checkpoint(weights).state["c1.weight"])


@pytest.mark.parametrize("option, content, phrase", [
    ("--init", b"junk", "a text file, not weights"),
    ("--extra", b"nothing useful\n", "no usable samples"),
])
def test_cli_train_refuses_bad_init_or_extra_in_one_line(tmp_path, mnist_dir, capsys, option, content, phrase):
    (tmp_path / "input").write_bytes(content)
    code = main(["train", "--data", str(mnist_dir), "--epochs", "1", "--limit", "10", option,
                     str(tmp_path / "input"), "--out", str(tmp_path / "o.pt")])
    err = capsys.readouterr().err
    assert code == 1 and phrase in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert not (tmp_path / "o.pt").exists()
