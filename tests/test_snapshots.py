"""The training time-lapse: snapshots taken at the planned steps of every run (one stage or two),
saved beside the checkpoint, read back with weights_only=True and refused when hostile."""

from __future__ import annotations

import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from digitpad.errors import WeightsError
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.checkpoints import save_checkpoint
from digitpad.storage.snapshots import (
    MAX_SNAPSHOTS,
    Snapshots,
    load_snapshots,
    save_snapshots,
    snapshots_bytes,
    snapshots_path,
)
from digitpad.training.config import TrainingConfig
from digitpad.training.progress import RunProgress
from digitpad.training.run import RetrainRequest, load_run_data, run_training, run_two_stages
from digitpad.training.snapshot_recorder import SNAPSHOT_POINTS, planned_steps

TINY = dict(train_limit=64, test_limit=32, min_steps=2, distort=False, batch_size=8)


def test_the_plan_is_the_start_and_forty_evenly_spaced_steps_to_the_last():
    steps = planned_steps(800)
    assert len(steps) == SNAPSHOT_POINTS + 1 == 41
    assert steps[0] == 0 and steps[-1] == 800 and set(b - a for a, b in zip(steps, steps[1:])) == {20}
    assert planned_steps(10) == list(range(11))  # a short run: every step, once


@pytest.fixture(scope="module")
def tiny_run(mnist_dir):
    config = TrainingConfig(epochs=3, **TINY)
    points = []
    outcome = run_training(RetrainRequest(config, mnist_dir, snapshot_points=6), load_run_data(
        RetrainRequest(config, mnist_dir)), RunProgress(on_snapshot=points.append))
    return outcome, points


def test_a_run_keeps_snapshots_at_the_planned_steps_ending_with_its_model(tiny_run):
    outcome, points = tiny_run
    snapshots = outcome.snapshots
    steps_per_epoch = 64 // 8
    assert snapshots.steps == planned_steps(3 * steps_per_epoch, 6) == [0, 4, 8, 12, 16, 20, 24]
    assert snapshots.epochs == [s / steps_per_epoch for s in snapshots.steps]
    assert snapshots.losses[0] is None and all(loss > 0 for loss in snapshots.losses[1:])
    assert [h["epoch"] for h in snapshots.history] == [1, 2, 3]
    assert snapshots.history[-1]["test_error"] == outcome.new_test_error
    assert all(stack.dtype == torch.float16 and stack.shape[0] == 7 for stack in snapshots.weights.values())
    assert snapshots.matches(outcome.result.model.state_dict())
    assert not snapshots.matches(LeNet5().state_dict())
    # The live callback heard of each one, in order, with the same weights.
    assert [p.index for p in points] == list(range(7)) and [p.step for p in points] == snapshots.steps
    assert torch.equal(points[3].state["c1.weight"], snapshots.weights["c1.weight"][3])


def test_snapshots_round_trip_beside_the_checkpoint(tiny_run, tmp_path, monkeypatch):
    outcome, _ = tiny_run
    checkpoint = tmp_path / "run.pt"
    save_checkpoint(checkpoint, outcome.result.model)
    path = save_snapshots(checkpoint, outcome.snapshots)
    assert path == tmp_path / "run.snapshots"
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k.get("weights_only")) or real_load(*a, **k))
    loaded = load_snapshots(path)
    assert loads == [True]
    assert loaded.steps == outcome.snapshots.steps and loaded.history == outcome.snapshots.history
    assert torch.equal(loaded.weights["c3.weight"], outcome.snapshots.weights["c3.weight"])
    model = loaded.model(len(loaded) - 1)
    assert torch.allclose(model.c1.weight, outcome.result.model.c1.weight, atol=2e-3)


def test_a_two_stage_run_numbers_its_snapshots_over_both_stages(mnist_dir):
    first, second = TrainingConfig(epochs=2, **TINY), TrainingConfig(epochs=2, negatives=16, **TINY)
    request = RetrainRequest(first, mnist_dir, snapshot_points=8)
    points = []
    outcome = run_two_stages(request, second, progress=RunProgress(on_snapshot=points.append))
    snapshots = outcome.snapshots
    assert len(snapshots) == 9 and snapshots.steps[0] == 0
    assert snapshots.steps == sorted(set(snapshots.steps))
    assert snapshots.epochs[4] == 2.0 and snapshots.epochs[-1] == 4.0
    assert [h["epoch"] for h in snapshots.history] == [1, 2, 3, 4]
    assert snapshots.matches(outcome.result.model.state_dict())
    assert [p.index for p in points] == list(range(9)) and [p.epoch for p in points] == snapshots.epochs


def test_no_snapshots_when_none_are_asked_for(mnist_dir):
    config = TrainingConfig(epochs=1, **TINY)
    request = RetrainRequest(config, mnist_dir, snapshot_points=0)
    assert run_training(request, load_run_data(request)).snapshots is None


# ---- hostile files ------------------------------------------------------------------------------

def _snapshots(count: int = 3) -> Snapshots:
    torch.manual_seed(0)
    states = [LeNet5().state_dict() for _ in range(count)]
    return Snapshots(list(range(count)), [float(i) for i in range(count)], [None] + [1.0] * (count - 1),
                     {key: torch.stack([s[key] for s in states]).half() for key in states[0]},
                     [{"epoch": 1, "train_loss": 1.0, "test_error": 0.5}])


def _raw(**changes) -> dict:
    raw = torch.load(__import__("io").BytesIO(snapshots_bytes(_snapshots())), weights_only=True)
    raw.update(changes)
    return raw


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.snapshots"
    path.write_bytes(snapshots_bytes(_snapshots()))
    return path


def _write(path, raw):
    torch.save(raw, path)
    return path


def test_a_good_file_loads(good):
    assert len(load_snapshots(good)) == 3


@pytest.mark.parametrize("changes, message", [
    ({"kind": "something else"}, "not a digitpad file of training snapshots"),
    ({"format_version": 99}, "written by a newer digitpad"),
    ({"steps": [0, 2, 1]}, "increasing order"),
    ({"steps": [0, 1]}, "unusable snapshot counts"),
    ({"epochs": [0.0, float("nan"), 2.0]}, "epochs must be finite"),
    ({"history": [{"train_loss": 1.0}]}, "needs its number"),
    ({"weights": "no"}, "not a dict of tensors"),
])
def test_malformed_files_are_refused_naming_the_file(tmp_path, changes, message):
    path = _write(tmp_path / "bad.snapshots", _raw(**changes))
    with pytest.raises(WeightsError, match=message) as info:
        load_snapshots(path)
    assert str(path) in str(info.value)


def test_weights_that_are_not_lenet5s_are_refused(tmp_path):
    raw = _raw()
    raw["weights"]["c1.weight"] = torch.zeros(3, 6, 1, 3, 3)
    with pytest.raises(WeightsError, match=r"snapshot 1\).*c1.weight has shape"):
        load_snapshots(_write(tmp_path / "shape.snapshots", raw))
    raw = _raw()
    raw["weights"]["f6.bias"][2, 5] = float("inf")
    with pytest.raises(WeightsError, match=r"snapshot 3\).*NaN or infinite"):
        load_snapshots(_write(tmp_path / "inf.snapshots", raw))
    raw = _raw()
    raw["weights"]["c5.bias"] = raw["weights"]["c5.bias"][:2]
    with pytest.raises(WeightsError, match="must hold 3 snapshots"):
        load_snapshots(_write(tmp_path / "short.snapshots", raw))


def test_too_many_snapshots_are_refused(tmp_path):
    count = MAX_SNAPSHOTS + 1
    raw = _raw(steps=list(range(count)), epochs=[0.0] * count, losses=[None] * count)
    with pytest.raises(WeightsError, match="unusable snapshot counts"):
        load_snapshots(_write(tmp_path / "many.snapshots", raw))


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch /nonexistent-should-never-run",))


def test_a_file_that_would_run_code_is_refused_not_run(tmp_path):
    path = tmp_path / "evil.snapshots"
    torch.save({"kind": "digitpad-snapshots", "payload": RunsCode()}, path, pickle_module=pickle)
    with pytest.raises(WeightsError, match="refused for safety"):
        load_snapshots(path)


def test_an_archive_declaring_gigabytes_is_refused_before_reading(good):
    with zipfile.ZipFile(good, "a") as archive:
        archive.writestr("good/data/999", b"\0" * (80 * 1024 * 1024), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(WeightsError, match="refused before reading them"):
        load_snapshots(good)


def test_not_a_regular_file_empty_or_huge_is_refused(tmp_path):
    fifo = tmp_path / "fifo.snapshots"
    os.mkfifo(fifo)
    with pytest.raises(WeightsError, match="not a regular file"):
        load_snapshots(fifo)
    empty = tmp_path / "empty.snapshots"
    empty.touch()
    with pytest.raises(WeightsError, match="empty"):
        load_snapshots(empty)
    huge = tmp_path / "huge.snapshots"
    with open(huge, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no disk used
    with pytest.raises(WeightsError, match="far too large"):
        load_snapshots(huge)


def test_saving_never_replaces_a_non_regular_file(tmp_path):
    (tmp_path / "w.snapshots").mkdir()
    with pytest.raises(WeightsError, match="could not save the training snapshots"):
        save_snapshots(tmp_path / "w.pt", _snapshots())
    assert (tmp_path / "w.snapshots").is_dir()


def test_the_path_is_beside_the_checkpoint_and_not_a_checkpoint_name():
    assert snapshots_path("/x/lenet5.pt").name == "lenet5.snapshots"


# ---- the time-lapse's pictures and command ------------------------------------------------------

def test_the_kernel_sheet_shows_each_snapshots_own_kernels(tiny_run):
    from digitpad.explain.colours import diverging_rgb
    from digitpad.explain.learning_pictures import kernel_limits, kernel_sheet

    snapshots = tiny_run[0].snapshots
    c1 = snapshots.weights["c1.weight"].float().numpy()
    c3 = snapshots.weights["c3.weight"].float().numpy()
    limits = kernel_limits(c1, c3)
    zoom = 6
    for index in (0, len(snapshots) - 1):
        sheet = kernel_sheet(c1[index], c3[index], limits, zoom)
        # C1's kernel 2, weight (row 1, column 3), sits at gap + 2·(tile + gap) + 3·zoom across.
        tile, gap = 5 * zoom, zoom
        y, x = gap + 1 * zoom, gap + 2 * (tile + gap) + 3 * zoom
        assert tuple(sheet[y, x]) == tuple(diverging_rgb(c1[index, 2, 0, 1, 3], limits[0]))
        # C3's first connection (map 0 reads S2 map 0): its weight 7 (row 1, column 2).
        top = tile + 2 * gap + gap
        assert tuple(sheet[top + 1 * zoom, gap + 2 * zoom]) == tuple(diverging_rgb(c3[index, 0, 7], limits[1]))
    # Table I leaves C3 map 0 unconnected to S2 map 3: that tile stays blank.
    assert (sheet[top + 3 * (tile + gap):top + 3 * (tile + gap) + tile, gap:gap + tile] == 255).all()


def test_timelapse_writes_kernel_and_curve_frames(tiny_run, tmp_path, capsys):
    from PIL import Image

    from digitpad.cli.main import main

    outcome, _ = tiny_run
    weights = tmp_path / "run.pt"
    save_checkpoint(weights, outcome.result.model)
    code = main(["timelapse", str(weights), "--out", str(tmp_path / "frames")])
    assert code == 1 and "no snapshots for" in capsys.readouterr().err
    save_snapshots(weights, outcome.snapshots)
    code = main(["timelapse", str(weights), "--out", str(tmp_path / "frames")])
    out, err = capsys.readouterr()
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == sorted([f"kernels-{i:02d}.png" for i in range(7)] + [f"curves-{i:02d}.png" for i in range(7)])
    first, last = (np.asarray(Image.open(tmp_path / "frames" / f"kernels-{i:02d}.png")) for i in (0, 6))
    assert not np.array_equal(first, last)  # the kernels changed as it learned
    other = tmp_path / "other.pt"
    save_checkpoint(other, LeNet5())
    code = main(["timelapse", str(other), "--snapshots", str(snapshots_path(weights)), "--out", str(tmp_path / "x")])
    assert code == 1 and "another training run" in capsys.readouterr().err


def test_the_curves_of_a_fine_tuning_run_whose_loss_is_below_zero_are_drawn():
    # Eq. 9's loss is negative once F6 is close to the prototypes: the curve's top was then 0,
    # and the picture divided by it (the time-lapse of a Fine-tune run showed "Something went wrong").
    from digitpad.explain.learning_pictures import curves_picture

    epochs, losses = [0.0, 0.5, 1.0], [-2.4, -3.6, -2.9]
    picture = np.asarray(curves_picture(epochs, losses, [{"epoch": 1, "test_error": 0.0071}], 1, (860, 260)))
    loss_panel = picture[:, : 860 // 2]
    curve = np.all(loss_panel == (0x33, 0x22, 0x88), axis=-1)
    assert curve.sum() > 100  # the line is there, inside the panel
    rows = np.flatnonzero(curve.any(axis=1))
    assert 30 <= rows.min() and rows.max() <= 260 - 40


@pytest.mark.parametrize("content", [b"step,epoch,loss\n0,0.0,1.5\n", b"\x89PNG\r\n\x1a\n" + bytes(64)])
def test_another_kind_of_file_given_as_snapshots_is_said_not_to_be_snapshots(tmp_path, capsys, content):
    # `timelapse --snapshots notes.txt` said "a text file, not weights (…); digitpad loads the
    # .pt checkpoints it makes itself": neither is what was asked for.
    from digitpad.cli.main import main

    weights, wrong = tmp_path / "run.pt", tmp_path / "notes.snapshots"
    save_checkpoint(weights, LeNet5())
    wrong.write_bytes(content)
    code = main(["timelapse", str(weights), "--snapshots", str(wrong), "--out", str(tmp_path / "frames")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "not training snapshots" in err and "weights" not in err and ".snapshots" in err
