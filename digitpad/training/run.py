"""One retraining run, the same for `train.py`, `digitpad train` and the GUI's Retrain dialog.

Load MNIST (limited as the config says), mix in the user's own samples, evaluate the model in
use before, train, evaluate the new model after, and record what happened under one set of
metrics (storage.run_metrics.RunMetrics, as its checkpoint keeps them). No Qt here: the GUI
runs `load_run_data` and `run_training` in a worker thread and relays the callbacks as signals;
the CLI prints them.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from digitpad.errors import DataError
from digitpad.training.datasets import (
    TensorDataset, bad_cuts_dataset, extra_repeat, mix_datasets, mnist_dataset, mnist_validation_dataset,
)
from digitpad.errors import TrainingCancelled
from digitpad.network.lenet5 import LeNet5, pick_device
from digitpad.training.loop import (
    TrainingResult,
    evaluate,
    train,
)
from digitpad.training.config import VALIDATION_IMAGES, TrainingConfig
from digitpad.paths import PENDIGITS_ENV, default_pendigits_file
from digitpad.storage.run_metrics import EpochRecord, FirstStage, RunMetrics
from digitpad.storage.snapshots import Snapshots
from digitpad.training.pen_data import pen_images_wanted, pen_repeat, training_writers_dataset
from digitpad.training.progress import SILENT, RunProgress
from digitpad.training.snapshot_recorder import SNAPSHOT_POINTS, SnapshotPoint, SnapshotRecorder

log = logging.getLogger(__name__)

#: A model that gives one answer for more than this share of the test set has not learned digits.
ONE_CLASS_SHARE = 0.5


@dataclass
class RetrainRequest:
    """Everything a run needs, all of it copied: nothing is shared with the caller's model."""

    config: TrainingConfig
    data_dir: Path
    current_state: dict[str, torch.Tensor] | None = None   # the model in use, compared "before"
    current_rubbish_j: float | None = None
    fine_tune: bool = False                                 # start from current_state
    extra: TensorDataset | None = None                      # the user's samples, rendered
    threads: int | None = None                              # torch threads for the run (None: as is)
    initial_weights: str | None = None                      # file current_state came from, if any
    extra_file: str | None = None                           # file the samples came from, if any
    #: Or: gives the user's samples, rendered, when the run loads its data (in the run's thread:
    #: reading and rendering thousands of drawings takes seconds, too long for a GUI thread).
    extra_source: Callable[[], TensorDataset | None] | None = None
    #: Evaluate current_state first, for the before/after comparison (a two-stage recipe's second
    #: stage starts from the first's weights, which are not "the model in use").
    evaluate_before: bool = True
    #: The pen-digits file for `config.pen_share` (None: paths.default_pendigits_file()).
    pen_file: Path | None = None
    #: Or: the training writers' pen digits already rendered (a two-stage recipe's second stage
    #: reuses the first's rather than rendering them again).
    pen_set: TensorDataset | None = None
    #: Snapshots of the weights to keep for the time-lapse, besides the starting ones (0: none).
    snapshot_points: int = SNAPSHOT_POINTS
    #: The MNIST training images the weights started from were trained on, their whole lineage
    #: (None: not known, e.g. a fine-tune of a fine-tune): whether keep_best_epoch's validation
    #: images are unseen by them.
    initial_train_images: int | None = None

    def __post_init__(self) -> None:
        # A fine-tune keeps the model's eq. 9 constant j: it sets the scale of every penalty and
        # the rubbish posterior the thresholds were chosen for (a preset's default j of 20 would
        # retrain a j = 40 model toward other penalties and lose both).
        if self.fine_tune and self.current_rubbish_j is not None:
            self.config = replace(self.config, rubbish_j=self.current_rubbish_j)


@dataclass
class RunData:
    """The data of one run, loaded and mixed: what `run_training` trains and tests on."""

    train_set: TensorDataset      # MNIST (limited), any bad cuts, then the repeated samples
    test_set: TensorDataset
    mnist_images: int             # MNIST images in train_set
    extra: TensorDataset | None
    extra_repeat: int = 0
    bad_cuts: int = 0             # bad segmentation cuts in train_set (digitpad.training.bad_cuts)
    pen: TensorDataset | None = None  # the training writers' pen digits, rendered
    pen_repeat: int = 0
    pen_file: str | None = None
    pen_missing: bool = False     # pen strokes were asked for but no pen-digits file was found
    #: MNIST's training images after the limit, for TrainingConfig.keep_best_epoch (else None).
    validation_set: TensorDataset | None = None

    def describe(self) -> str:
        """'2,000 MNIST images + 5 of your samples (×26)', for people."""
        text = f"{self.mnist_images:,} MNIST images"
        if self.pen is not None:
            text += f" + {len(self.pen):,} renders of real pen digits (×{self.pen_repeat})"
        elif self.pen_missing:
            text += " (no pen-digits file: set DIGITPAD_PENDIGITS to train on real pen strokes too)"
        if self.bad_cuts:
            text += f" + {self.bad_cuts:,} bad cuts"
        if self.extra is not None:
            text += f" + {len(self.extra)} of your samples (×{self.extra_repeat})"
        return text


@dataclass
class RetrainOutcome:
    """A finished run: the new model, the before/after comparison, the checkpoint's metrics."""

    result: TrainingResult
    data_checksum: str
    old_test_error: float | None
    new_test_error: float
    test_total: int
    extra_total: int = 0
    old_extra_errors: int | None = None
    new_extra_errors: int | None = None
    metrics: RunMetrics = field(default_factory=RunMetrics)
    warning: str | None = None     # said plainly when the new model is useless (one class)
    snapshots: Snapshots | None = None   # the run's time-lapse, saved beside the checkpoint


def load_run_data(request: RetrainRequest, should_cancel: Callable[[], bool] | None = None) -> RunData:
    """MNIST's test and training sets, each cut to the config's limit (the one place a limit is
    applied), and the user's samples repeated to ~7 % of each epoch after them."""
    config = request.config
    config.validate()
    test_set = mnist_dataset(request.data_dir, "test", config.test_limit)
    _check(should_cancel)
    train_set = mnist_dataset(request.data_dir, "train", config.train_limit)
    _check(should_cancel)
    mnist_images = len(train_set)
    validation_set = None
    if config.keep_best_epoch:
        validation_set = mnist_validation_dataset(request.data_dir, config.train_limit, VALIDATION_IMAGES)
        if len(validation_set) == 0:
            raise DataError(f"no validation images: the limit {config.train_limit:,} leaves none of the "
                            f"{mnist_images:,} training images to choose the epoch on")
        _check(should_cancel)
    if config.bad_cuts:
        train_set = mix_datasets(train_set, bad_cuts_dataset(request.data_dir, config, should_cancel), 1)
    pen, pen_file, pen_missing, pen_times = request.pen_set, request.pen_file, False, 0
    if config.pen_share > 0:
        if pen is None:
            pen_file = pen_file or default_pendigits_file()
            if pen_file is None:
                pen_missing = True
                log.warning("no pen-digits file (set %s): training on MNIST alone", PENDIGITS_ENV)
            else:
                pen = training_writers_dataset(pen_file, config.pen_copies, config.seed, config.pen_augment,
                                               should_cancel, pen_images_wanted(len(train_set), config.pen_share))
        if pen is not None:
            pen_times = pen_repeat(len(train_set), len(pen), config.pen_share)
            train_set = mix_datasets(train_set, pen, pen_times)
    else:
        pen = None
    extra = request.extra
    if extra is None and request.extra_source is not None:
        extra = request.extra_source()
        _check(should_cancel)
    extra = extra if extra is not None and len(extra) else None
    repeat = 0
    if extra is not None:
        repeat = extra_repeat(mnist_images, len(extra))
        train_set = mix_datasets(train_set, extra, repeat)
    return RunData(train_set, test_set, mnist_images, extra, repeat, bad_cuts=config.bad_cuts, pen=pen,
                   pen_repeat=pen_times, pen_file=str(pen_file) if pen_file else None, pen_missing=pen_missing,
                   validation_set=validation_set)


def run_training(request: RetrainRequest, data: RunData, progress: RunProgress = SILENT) -> RetrainOutcome:
    """Evaluate the model in use, train a new one, evaluate it; the new model ends on the CPU.
    `progress` hears of the stages, batches, epochs and each snapshot of the time-lapse as it is
    taken (the outcome's `snapshots` has them all).

    Raises TrainingCancelled when `progress.should_cancel` says so (checked between stages and
    batches), ValueError for a config or device no run can use, DataError for unusable data.
    """
    config = request.config
    device = pick_device(config.device)
    stage = progress.stage
    with torch_threads(request.threads):
        test_set = data.test_set.to(device)
        extra = data.extra.to(device) if data.extra is not None else None
        old_test_errors = old_extra_errors = None
        if request.current_state is not None and request.evaluate_before:
            stage("Evaluating the current model…")
            old = _model_from_state(request.current_state, request.current_rubbish_j, device)
            old_test_errors = evaluate(old, test_set)[0]
            old_extra_errors = evaluate(old, extra)[0] if extra is not None else None
            del old
        progress.check()
        stage(f"Training on {data.describe()}…")
        initial = request.current_state if request.fine_tune else None
        recorder = SnapshotRecorder(request.snapshot_points, progress.on_snapshot) if request.snapshot_points else None
        result = train(config, data.train_set, data.test_set, device, initial_state=initial, progress=progress,
                       recorder=recorder, validation_set=data.validation_set)
        _, predictions = evaluate(result.model, test_set)
        new_extra_errors = evaluate(result.model, extra)[0] if extra is not None else None
    result.model.to("cpu")
    test_total = len(data.test_set)
    metrics = _metrics(request, data, result, old_test_errors, old_extra_errors, new_extra_errors)
    return RetrainOutcome(
        result, data.train_set.checksum,
        old_test_errors / test_total if old_test_errors is not None and test_total else None,
        result.test_error, test_total, len(data.extra) if data.extra is not None else 0,
        old_extra_errors, new_extra_errors, metrics, one_class_warning(predictions),
        recorder.snapshots() if recorder is not None else None)


def run_two_stages(request: RetrainRequest, second: TrainingConfig, data: RunData | None = None,
                   progress: RunProgress = SILENT) -> RetrainOutcome:
    """A two-stage recipe (presets.Preset.then): `request` as run_training runs it, then a
    fine-tune of its result with the config `second` (with its own data and its own j). Progress
    is numbered over both stages' epochs, and so is the time-lapse (its points shared by the
    stages' epochs); the outcome compares the model in use (if any) with the second stage's
    model, and its metrics say what the first stage reached."""
    second.validate()  # now, not after the first stage's minutes of training
    total = request.config.epochs + second.epochs
    first_points = round(request.snapshot_points * request.config.epochs / total)
    data = data if data is not None else load_run_data(request, progress.should_cancel)
    first = run_training(replace(request, snapshot_points=first_points), data,
                         progress.renumbered(0, total, on_snapshot=progress.on_snapshot))
    # current_rubbish_j stays None: the second stage sets its own j (that is its point).
    follow = RetrainRequest(second, request.data_dir, first.result.model.state_dict(), fine_tune=True,
                            extra=data.extra, threads=request.threads, evaluate_before=False,
                            pen_file=request.pen_file, pen_set=data.pen,
                            snapshot_points=request.snapshot_points - first_points,
                            initial_train_images=first.metrics.lineage_train_images())
    first_snapshots = first.snapshots or Snapshots()

    def continued(point: SnapshotPoint) -> None:  # the second stage's snapshots go on from the first's
        if progress.on_snapshot is not None and point.index > 0:  # its step 0 is the first stage's last
            progress.on_snapshot(replace(point, index=len(first_snapshots) + point.index - 1,
                                step=point.step + (first_snapshots.steps[-1] if len(first_snapshots) else 0),
                                epoch=point.epoch + request.config.epochs))
    progress.stage("Stage 2: loading…")
    second_data = load_run_data(follow, progress.should_cancel)
    outcome = run_training(follow, second_data,
                           progress.renumbered(request.config.epochs, total, "Stage 2: ", on_snapshot=continued))
    if outcome.snapshots is not None:
        first_snapshots.extend(outcome.snapshots)
    outcome.snapshots = first_snapshots if len(first_snapshots) else None
    outcome.old_test_error, outcome.old_extra_errors = first.old_test_error, first.old_extra_errors
    outcome.metrics = replace(
        outcome.metrics, fine_tuned=request.fine_tune, epochs=total, initial_weights=None,
        first_stage=FirstStage(request.config.to_dict(), first.new_test_error, request.config.epochs,
                               first.metrics.train_images),
        # "before" is the model in use, which the first stage was compared with
        test_errors_before=first.metrics.test_errors_before, extra_errors_before=first.metrics.extra_errors_before)
    return outcome


def one_class_warning(predictions: torch.Tensor) -> str | None:
    """A plain sentence when one digit is the answer for more than half of the test images."""
    if len(predictions) == 0:
        return None
    counts = torch.bincount(predictions.cpu(), minlength=10)
    digit = int(counts.argmax())
    share = int(counts[digit]) / len(predictions)
    if share <= ONE_CLASS_SHARE:
        return None
    return (f"the new model answers {digit} for {100 * share:.0f}% of the test images: it has not "
            "learned to tell the digits apart (train for more epochs or on more images)")


def _metrics(request: RetrainRequest, data: RunData, result: TrainingResult, test_errors_before: int | None,
             extra_errors_before: int | None, extra_errors_after: int | None) -> RunMetrics:
    """What the run reached, and on what data."""
    last = result.final  # the kept epoch's figures (the last epoch's, unless keep_best_epoch chose another)
    rejection = last.negatives_rejected is not None
    extra = data.extra
    return RunMetrics(
        test_error=last.test_error, test_errors=last.test_errors, test_total=last.test_total,
        train_loss=last.train_loss, epochs=len(result.history), seconds=round(result.seconds, 1),
        history=tuple(EpochRecord(e.epoch, e.train_loss, e.test_error) for e in result.history),
        train_images=data.mnist_images, fine_tuned=request.fine_tune, test_errors_before=test_errors_before,
        kept_epoch=result.kept_epoch, validation_errors=last.validation_errors,
        validation_total=len(data.validation_set) if data.validation_set is not None else None,
        validation_unseen=_validation_unseen(request) if data.validation_set is not None else None,
        initial_weights=request.initial_weights if request.fine_tune and request.initial_weights else None,
        bad_cuts=data.bad_cuts or None,
        pen_digits=len(data.pen) if data.pen is not None else None,
        pen_repeat=data.pen_repeat if data.pen is not None else None,
        pen_file=data.pen_file if data.pen is not None and data.pen_file else None,
        pen_missing=data.pen is None and data.pen_missing,
        negatives=request.config.negatives if rejection else None,
        negatives_rejected=last.negatives_rejected, digits_rejected=last.digits_rejected if rejection else None,
        extra_samples=len(extra) if extra is not None else None,
        extra_repeat=data.extra_repeat if extra is not None else None,
        extra_checksum=extra.checksum if extra is not None else None,
        extra_errors_before=extra_errors_before if extra is not None else None,
        extra_errors_after=extra_errors_after if extra is not None else None,
        extra_file=request.extra_file if extra is not None and request.extra_file else None)


def _validation_unseen(request: RetrainRequest) -> bool:
    """True when neither this run nor the weights it started from trained on the validation images
    (those after config.train_limit): a new network, or a start whose lineage used no more."""
    if not request.fine_tune:
        return True
    return request.initial_train_images is not None and request.initial_train_images <= request.config.train_limit


def _check(should_cancel: Callable[[], bool] | None) -> None:
    if should_cancel is not None and should_cancel():
        raise TrainingCancelled()


def _model_from_state(state: dict, rubbish_j: float | None, device: torch.device) -> LeNet5:
    model = LeNet5(**({"rubbish_j": rubbish_j} if rubbish_j is not None else {}))
    model.load_state_dict(state)
    return model.to(device).eval()


def training_threads(requested: int | None = None) -> int:
    """The torch threads a run in the app gets: as requested, else every core but one (the
    canvas keeps up while it trains)."""
    return requested or max(1, (os.cpu_count() or 2) - 1)


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's thread count for the run, restored after (it is process-wide)."""
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
