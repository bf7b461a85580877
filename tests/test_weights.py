"""Checkpoints: round trip, and every kind of bad file refused with a message naming it."""

import os
import pickle

import pytest
import torch

from digitpad.network.lenet5 import LeNet5
from digitpad.storage.checkpoints import FORMAT_VERSION, load_checkpoint, load_model, save_checkpoint
from digitpad.errors import WeightsError
from digitpad.safe_files import atomic_write_bytes
from digitpad.storage.run_metrics import RunMetrics


@pytest.fixture
def model():
    torch.manual_seed(3)
    return LeNet5()


@pytest.fixture
def saved(tmp_path, model):
    path = tmp_path / "good.pt"
    save_checkpoint(path, model, {"epochs": 3, "optimizer": "adam"}, RunMetrics(test_error=0.0123), "abc123")
    return path


def _raw(path):
    return torch.load(path, weights_only=True)


def _rewrite(path, **changes):
    raw = _raw(path)
    raw.update(changes)
    torch.save(raw, path)


def test_round_trip_keeps_weights_and_metadata(saved, model):
    checkpoint = load_checkpoint(saved)
    assert checkpoint.config == {"epochs": 3, "optimizer": "adam"}
    assert checkpoint.test_error == pytest.approx(0.0123)
    assert checkpoint.data_checksum == "abc123"
    assert checkpoint.format_version == FORMAT_VERSION
    assert checkpoint.describe() == "good.pt (test error 1.23%)"
    loaded, _ = load_model(saved)
    x = torch.randn(4, 1, 32, 32)
    assert torch.equal(loaded(x), model.eval()(x))


@pytest.mark.parametrize("content, phrase", [
    (b"", "empty"),
    (b"\x00\x01garbage" * 50, "not a readable weights file"),
])
def test_empty_and_random_files_are_refused(tmp_path, content, phrase):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=phrase) as info:
        load_checkpoint(path)
    assert "bad.pt" in str(info.value)


def test_truncated_file_is_refused(tmp_path, saved):
    cut = tmp_path / "cut.pt"
    cut.write_bytes(saved.read_bytes()[:5000])
    with pytest.raises(WeightsError, match="cut.pt"):
        load_checkpoint(cut)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(WeightsError, match="file not found"):
        load_checkpoint(tmp_path / "nowhere.pt")


def test_a_pickle_that_runs_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"format_version": 1, "model": Exploit()}, handle, protocol=2)
    with pytest.raises(WeightsError, match="evil.pt"):
        load_checkpoint(path)
    assert not marker.exists()


def test_newer_format_version_is_refused(saved):
    _rewrite(saved, format_version=FORMAT_VERSION + 1)
    with pytest.raises(WeightsError, match="newer digitpad"):
        load_checkpoint(saved)


def test_nan_weights_are_refused(saved):
    raw = _raw(saved)
    raw["model"]["f6.weight"][0, 0] = float("nan")
    torch.save(raw, saved)
    with pytest.raises(WeightsError, match="f6.weight contains NaN"):
        load_checkpoint(saved)


def test_wrong_shape_is_refused(saved):
    raw = _raw(saved)
    raw["model"]["c1.weight"] = torch.zeros(8, 1, 5, 5)
    torch.save(raw, saved)
    with pytest.raises(WeightsError, match=r"c1.weight has shape \(8, 1, 5, 5\)"):
        load_checkpoint(saved)


def test_another_models_state_dict_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    other = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.Linear(10, 10))
    torch.save({"format_version": 1, "model": other.state_dict(), "config": {}, "metrics": {},
                "data_checksum": "", "created": ""}, path)
    with pytest.raises(WeightsError, match="not a digitpad LeNet-5 checkpoint"):
        load_checkpoint(path)


def test_a_bare_state_dict_is_refused(tmp_path, model):
    path = tmp_path / "bare.pt"
    torch.save(model.state_dict(), path)
    with pytest.raises(WeightsError, match="missing format_version"):
        load_checkpoint(path)


def test_changed_prototypes_are_refused(saved):
    raw = _raw(saved)
    raw["model"]["prototypes"] *= 0.5
    torch.save(raw, saved)
    with pytest.raises(WeightsError, match="prototypes"):
        load_checkpoint(saved)


def test_failed_write_keeps_the_previous_file(saved, model, monkeypatch):
    before = saved.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(WeightsError, match="No space left on device"):
        save_checkpoint(saved, model, {}, RunMetrics(test_error=0.5), "")
    assert saved.read_bytes() == before
    assert not [p for p in saved.parent.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


@pytest.mark.slow
def test_killed_writer_leaves_the_previous_file_loadable(tmp_path, saved):
    """A process killed in the middle of atomic_write_bytes: the target is old or new, never half."""
    import signal
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from digitpad.safe_files import atomic_write_bytes
        real_fsync = os.fsync
        def slow_fsync(fd):
            print("writing", flush=True)
            time.sleep(30)
        os.fsync = slow_fsync
        atomic_write_bytes(Path({str(saved)!r}), b"half-written" * 1000)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert load_checkpoint(saved).data_checksum == "abc123"


def test_atomic_write_replaces_content(tmp_path):
    path = tmp_path / "sub" / "f.bin"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert len(list(path.parent.iterdir())) == 1
