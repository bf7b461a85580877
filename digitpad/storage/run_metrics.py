"""What a training run reached, as its checkpoint keeps it: `RunMetrics`, read by attribute.

A checkpoint file holds the metrics as a plain dict under the field names below (plain types
only, so `torch.load(weights_only=True)` reads them). `to_dict` and `from_dict` are the one
translation, at the storage boundary. `from_dict` reads every checkpoint digitpad has written:
older names are translated (`previous_test_error`, a fraction the GUI once saved, is now
`test_errors_before`, a count; `initial_weights` without `fine_tuned` meant a fine-tune), a
value of the wrong type is dropped (a file is hostile until checked), and names this version
does not know are kept in `unrecognised` and written back. No torch here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of the run, as plotted in the time-lapse and the Retrain dialog."""

    epoch: int
    train_loss: float | None
    test_error: float | None


@dataclass(frozen=True)
class FirstStage:
    """A two-stage recipe's first stage (training.presets.Preset.then)."""

    config: dict
    test_error: float | None
    epochs: int | None
    train_images: int | None


@dataclass(frozen=True)
class RunMetrics:
    """A run's figures; None (or 0 and False) where the run had no such thing."""

    test_error: float | None = None       # the new model on the test set: fraction (0 … 1),
    test_errors: int | None = None        # count
    test_total: int | None = None         # and images
    train_loss: float | None = None       # the last epoch's
    epochs: int | None = None             # both stages' of a two-stage recipe
    seconds: float | None = None
    history: tuple[EpochRecord, ...] = ()
    train_images: int | None = None       # MNIST training images used (after train_limit), no samples
    test_errors_before: int | None = None  # the model compared against (in use, or --init), same test set
    kept_epoch: int | None = None         # keep_best_epoch: the epoch whose weights were kept, chosen
    validation_errors: int | None = None  # by its errors on the validation images
    validation_total: int | None = None   # (MNIST training images after the limit, not trained on by this run;
    validation_unseen: bool | None = None  # nor by the weights it started from: True only when known)
    fine_tuned: bool = False              # started from existing weights,
    initial_weights: str | None = None    # their file when known
    extra_samples: int | None = None      # the user's own samples mixed in,
    extra_repeat: int | None = None       # repeated this often,
    extra_checksum: str | None = None
    extra_file: str | None = None
    extra_errors_before: int | None = None  # and the errors on them before and after
    extra_errors_after: int | None = None
    negatives: int | None = None          # generated non-digits mixed in; the share of held-out ones
    negatives_rejected: float | None = None  # (validation seed) and of test digits rejected as
    digits_rejected: float | None = None  # "not a digit"
    pen_digits: int | None = None         # training writers' pen digits rendered (all copies),
    pen_repeat: int | None = None         # their repeat in the mix,
    pen_file: str | None = None           # the file they came from;
    pen_missing: bool = False             # asked for, but the file was not found
    bad_cuts: int | None = None           # bad segmentation cuts mixed in (training.bad_cuts)
    first_stage: FirstStage | None = None
    name: str | None = None               # given by the user when the weights were adopted
    unrecognised: dict = field(default_factory=dict)  # names a newer digitpad wrote, kept as they were

    def lineage_train_images(self) -> int | None:
        """How many MNIST training images (the first N) these weights' whole history trained on:
        this run's and a two-stage recipe's first stage's. None when they were fine-tuned from
        other weights, whose own history the checkpoint does not keep."""
        if self.fine_tuned or self.train_images is None:
            return None
        first = self.first_stage.train_images if self.first_stage is not None else None
        if self.first_stage is not None and first is None:
            return None
        return max(self.train_images, first or 0)

    def to_dict(self) -> dict[str, Any]:
        """The checkpoint's plain dict: every field that is set (fine_tuned always)."""
        known: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "unrecognised" or value is None or value == () or (
                    value is False and f.name not in ("fine_tuned", "validation_unseen")):
                continue
            if f.name == "history":
                value = [{"epoch": e.epoch, "train_loss": e.train_loss, "test_error": e.test_error} for e in value]
            elif f.name == "first_stage":
                value = {"config": dict(value.config), "test_error": value.test_error, "epochs": value.epochs,
                         "train_images": value.train_images}
            known[f.name] = value
        return {**self.unrecognised, **known}

    @classmethod
    def from_dict(cls, raw: dict) -> RunMetrics:
        """Metrics from a checkpoint's dict (of plain values, as storage.checkpoints checks them)."""
        raw = _upgraded(raw)
        names = {f.name for f in fields(cls)} - {"unrecognised"}
        values: dict[str, Any] = {name: _READERS[name](raw[name]) for name in names - {"history", "first_stage"}
                                  if name in raw}
        values = {name: value for name, value in values.items() if value is not None}
        if not _is_fraction(values.get("test_error")):
            values.pop("test_error", None)
        return cls(**values, history=_history(raw.get("history")), first_stage=_first_stage(raw.get("first_stage")),
                   unrecognised={k: v for k, v in raw.items() if k not in names})


def _upgraded(raw: dict) -> dict:
    """Older checkpoints' names under today's, values kept."""
    raw = dict(raw)
    previous = raw.pop("previous_test_error", None)
    total = _integer(raw.get("test_total"))
    if "test_errors_before" not in raw and _is_fraction(_number(previous)) and total is not None:
        raw["test_errors_before"] = round(previous * total)
    if "fine_tuned" not in raw and raw.get("initial_weights"):
        raw["fine_tuned"] = True
    return raw


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _integer(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _is_fraction(value) -> bool:
    return value is not None and 0 <= value <= 1


_READERS = {"test_error": _number, "test_errors": _integer, "test_total": _integer, "train_loss": _number,
            "epochs": _integer, "seconds": _number, "train_images": _integer, "test_errors_before": _integer,
            "fine_tuned": _flag, "initial_weights": _text, "extra_samples": _integer, "extra_repeat": _integer,
            "kept_epoch": _integer, "validation_errors": _integer, "validation_total": _integer,
            "validation_unseen": _flag,
            "extra_checksum": _text, "extra_file": _text, "extra_errors_before": _integer,
            "extra_errors_after": _integer, "negatives": _integer, "negatives_rejected": _number,
            "digits_rejected": _number, "pen_digits": _integer, "pen_repeat": _integer, "pen_file": _text,
            "pen_missing": _flag, "bad_cuts": _integer, "name": _text}


def _history(raw) -> tuple[EpochRecord, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(EpochRecord(_integer(e.get("epoch")), _number(e.get("train_loss")), _number(e.get("test_error")))
                 for e in raw if isinstance(e, dict) and _integer(e.get("epoch")) is not None)


def _first_stage(raw) -> FirstStage | None:
    if not isinstance(raw, dict):
        return None
    config = raw.get("config")
    return FirstStage(config if isinstance(config, dict) else {}, _number(raw.get("test_error")),
                      _integer(raw.get("epochs")), _integer(raw.get("train_images")))
