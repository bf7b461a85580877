"""A run's metrics: read by attribute, kept in checkpoints as a plain dict, old files still read."""

from dataclasses import fields

import torch

from digitpad.network.lenet5 import LeNet5
from digitpad.storage.checkpoints import load_checkpoint, save_checkpoint
from digitpad.storage.run_metrics import EpochRecord, FirstStage, RunMetrics

#: Every field set, as a two-stage fine-tune with samples, pen strokes and negatives sets them.
FULL = RunMetrics(
    test_error=0.0093, test_errors=93, test_total=10_000, train_loss=0.12, epochs=3, seconds=41.5,
    history=(EpochRecord(1, 0.4, 0.02), EpochRecord(2, 0.2, 0.011), EpochRecord(3, 0.12, 0.0093)),
    train_images=60_000, test_errors_before=101, fine_tuned=True, initial_weights="old.pt", extra_samples=5,
    extra_repeat=12, extra_checksum="abc", extra_file="samples.jsonl", extra_errors_before=2,
    extra_errors_after=0, negatives=40, negatives_rejected=0.97, digits_rejected=0.004, pen_digits=120,
    pen_repeat=2, pen_file="pen.gz", pen_missing=False, bad_cuts=25, kept_epoch=2, validation_errors=34,
    validation_total=5_000, validation_unseen=False,
    first_stage=FirstStage({"epochs": 2, "optimizer": "adam"}, 0.012, 2, 60_000), name="Ada's model")


def _save_raw(path, metrics: dict) -> None:
    """A checkpoint as an older digitpad wrote it: the metrics a plain dict under the names of the time."""
    torch.save({"format_version": 1, "model": LeNet5().state_dict(), "config": {"epochs": 2},
                "metrics": metrics, "data_checksum": "", "created": "2025-06-01T10:00:00+00:00"}, path)


def test_every_field_is_kept_through_a_checkpoint_file(tmp_path):
    assert all(getattr(FULL, f.name) not in (None, ()) for f in fields(FULL) if f.name not in ("unrecognised",
                                                                                                   "pen_missing"))
    save_checkpoint(tmp_path / "w.pt", LeNet5(), {}, FULL)
    assert load_checkpoint(tmp_path / "w.pt").metrics == FULL
    assert RunMetrics.from_dict(FULL.to_dict()) == FULL


def test_a_file_keeps_only_what_a_run_had():
    assert RunMetrics(test_error=0.5).to_dict() == {"test_error": 0.5, "fine_tuned": False}
    assert RunMetrics(pen_missing=True).to_dict()["pen_missing"] is True


def test_an_old_checkpoints_metrics_dict_still_loads(tmp_path):
    path = tmp_path / "old-gui.pt"
    _save_raw(path, {"test_error": 0.01, "test_errors": 100, "test_total": 10_000, "previous_test_error": 0.0062,
                     "train_loss": 0.3, "epochs": 2, "history": [{"epoch": 1, "train_loss": 0.5, "test_error": 0.02},
                                                                 {"epoch": 2, "train_loss": 0.3, "test_error": 0.01}],
                     "initial_weights": "w.pt", "extra_samples": 5, "name": "first try"})
    checkpoint = load_checkpoint(path)
    metrics = checkpoint.metrics
    assert metrics.test_errors_before == 62  # the GUI's old fraction, as a count on the same test set
    assert metrics.fine_tuned is True  # started from w.pt
    assert metrics.history[-1] == EpochRecord(2, 0.3, 0.01) and metrics.extra_samples == 5
    assert metrics.unrecognised == {} and "previous_test_error" not in metrics.to_dict()
    assert checkpoint.test_error == 0.01 and checkpoint.describe() == "first try (test error 1.00%)"


def test_names_it_does_not_know_are_kept_and_wrong_types_dropped(tmp_path):
    path = tmp_path / "strange.pt"
    _save_raw(path, {"test_error": 1.5, "epochs": "many", "name": 7, "fine_tuned": "yes", "seconds": True,
                     "history": [{"epoch": "one"}, "junk", {"epoch": 3, "train_loss": "x", "test_error": 0.1}],
                     "first_stage": [1, 2], "from_the_future": {"a": [1, 2]}})
    metrics = load_checkpoint(path).metrics
    assert metrics.test_error is None  # not a fraction: not shown as one
    assert (metrics.epochs, metrics.name, metrics.fine_tuned, metrics.seconds) == (None, None, False, None)
    assert metrics.history == (EpochRecord(3, None, 0.1),) and metrics.first_stage is None
    assert metrics.unrecognised == {"from_the_future": {"a": [1, 2]}}
    assert metrics.to_dict()["from_the_future"] == {"a": [1, 2]}  # written back as it was


def test_the_images_a_lineage_trained_on_are_known_only_without_an_unknown_start():
    assert RunMetrics(train_images=55_000).lineage_train_images() == 55_000
    two_stages = RunMetrics(train_images=55_000, first_stage=FirstStage({}, 0.01, 40, 60_000))
    assert two_stages.lineage_train_images() == 60_000  # the first stage saw all of them
    # Fine-tuned from other weights: what those trained on is not in this checkpoint.
    assert RunMetrics(train_images=55_000, fine_tuned=True).lineage_train_images() is None
    assert RunMetrics().lineage_train_images() is None
