"""The training loop: one function, `train`, and the two optimisers it can use.

Used by the retraining pipeline (`digitpad.training.run`: `train.py`, `digitpad train`, the
GUI's Retrain dialog) and by the benchmarks. Each optimiser is a small strategy that says what
happens at the start of an epoch and after each step; the loop itself is the same for both.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F

from digitpad.network.architecture import NEGATIVE_LABEL
from digitpad.training.datasets import (
    TensorDataset, mix_datasets, negatives_dataset)
from digitpad.network.lenet5 import LeNet5, map_loss, mse_loss
from digitpad.ink.normalise import BACKGROUND
from digitpad.network.sdlm import SDLM, diagonal_hessian
from digitpad.training.config import (
    VALIDATION_NEGATIVES_SEED, TrainingConfig, sdlm_eta)
from digitpad.reading.verdict import REJECT_THRESHOLD
from digitpad.training.progress import SILENT, RunProgress
from digitpad.training.snapshot_recorder import SnapshotRecorder

log = logging.getLogger(__name__)

#: Held-out negatives (validation seed, held-out font families) whose rejection is reported after every epoch.
REJECTION_CHECK_NEGATIVES = 1000


@dataclass
class BatchProgress:
    epoch: int          # 1-based
    epochs: int
    batch: int          # 1-based within the epoch
    batches: int
    loss: float         # running mean loss of this epoch so far
    samples_per_second: float


@dataclass
class EpochResult:
    epoch: int
    epochs: int
    train_loss: float
    test_error: float   # fraction, 0..1
    test_errors: int
    test_total: int
    seconds: float
    learning_rate: float
    # With negatives: the share of held-out negatives (validation seed) rejected as "not a
    # digit", and of test digits wrongly rejected, at verdict.REJECT_THRESHOLD.
    negatives_rejected: float | None = None
    digits_rejected: float | None = None
    # With TrainingConfig.keep_best_epoch: errors on the validation images (never trained on).
    validation_errors: int | None = None


@dataclass
class TrainingResult:
    model: LeNet5
    config: TrainingConfig
    history: list[EpochResult] = field(default_factory=list)
    seconds: float = 0.0
    #: keep_best_epoch: the figures, on the whole test set, of the epoch whose weights the model
    #: has (None: the last epoch's, as always).
    kept: EpochResult | None = None

    @property
    def kept_epoch(self) -> int | None:
        return self.kept.epoch if self.kept is not None else None

    @property
    def final(self) -> EpochResult:
        """The figures of the weights the run ends with."""
        return self.kept if self.kept is not None else self.history[-1]

    @property
    def test_error(self) -> float:
        return self.final.test_error if self.history else math.nan


def random_affine(x: torch.Tensor, config: TrainingConfig, generator: torch.Generator) -> torch.Tensor:
    """The paper's distortions for a whole batch at once: translation, scaling, squeezing and
    horizontal shearing (one random planar affine map per image), the background kept."""
    n = x.shape[0]

    def uniform(limit: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator, device=generator.device) * 2 - 1) * limit

    scale = 1 + uniform(config.max_scale)
    squeeze = 1 + uniform(config.max_squeeze)
    shear = uniform(config.max_shear)
    angle = uniform(math.radians(config.max_rotation))
    size = x.shape[-1]
    shift_x = uniform(config.max_shift) * 2 / size
    shift_y = uniform(config.max_shift) * 2 / size
    # affine_grid maps output coordinates to input coordinates, so this is the inverse map:
    # dividing by the scale makes the digit bigger when scale > 1.
    sx, sy = scale * squeeze, scale / squeeze
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([
        torch.stack([cos / sx, (-sin + shear) / sx, shift_x], 1),
        torch.stack([sin / sy, cos / sy, shift_y], 1),
    ], 1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Sampled around the background, so what moves in from outside the image is paper.
    return F.grid_sample(x - BACKGROUND, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False) + BACKGROUND


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image moved by a whole number of pixels, independently in x and y within ±max_shift,
    the background filling in: one gather from the padded images, far cheaper than resampling
    through an affine map (and 3× faster than indexing with three broadcast index tensors)."""
    n, size = x.shape[0], x.shape[-1]
    if n == 0 or max_shift <= 0:
        return x
    padded = F.pad(x, (max_shift,) * 4, value=BACKGROUND).view(n, -1)
    width, span = size + 2 * max_shift, 2 * max_shift + 1
    dy = torch.randint(0, span, (n, 1), generator=generator, device=generator.device)
    dx = torch.randint(0, span, (n, 1), generator=generator, device=generator.device)
    pixels = torch.arange(size, device=x.device)
    top_left = (pixels[:, None] * width + pixels[None, :]).view(1, -1)  # the unshifted window, offset (0, 0)
    return padded.gather(1, top_left + dy * width + dx).view(n, 1, size, size)


def distort(x: torch.Tensor, config: TrainingConfig, generator: torch.Generator) -> torch.Tensor:
    """The batch distorted as the config says: the last `shift_only_fraction` of it shifted by
    whole pixels, the rest through the paper's random affine maps (the batch is already shuffled)."""
    shifted = round(config.shift_only_fraction * x.shape[0])
    if shifted == 0:
        return random_affine(x, config, generator)
    moved = random_shift(x[x.shape[0] - shifted:], int(config.max_shift), generator)
    if shifted == x.shape[0]:
        return moved
    return torch.cat([random_affine(x[:x.shape[0] - shifted], config, generator), moved])


@torch.no_grad()
def evaluate(model: LeNet5, data: TensorDataset, batch_size: int = 2000) -> tuple[int, torch.Tensor]:
    """(errors, predictions) of `model` on `data`; prediction = the class with the smallest penalty.
    Only digits count as errors: a negative (NEGATIVE_LABEL) has no right digit to miss."""
    model.eval()
    if len(data) == 0:
        return 0, data.labels.new_zeros(0)
    predictions = torch.cat([model(data.inputs[i:i + batch_size]).argmin(1)
                             for i in range(0, len(data), batch_size)])
    wrong = (predictions != data.labels) & (data.labels != NEGATIVE_LABEL)
    return int(wrong.sum()), predictions


@torch.no_grad()
def rejection_rate(model: LeNet5, inputs: torch.Tensor, batch_size: int = 2000) -> float:
    """The share of `inputs` whose rubbish posterior is over verdict.REJECT_THRESHOLD ("not a digit")."""
    model.eval()
    if len(inputs) == 0:
        return 0.0
    rubbish = torch.cat([model.forward_with_internals(inputs[i:i + batch_size]).rubbish
                         for i in range(0, len(inputs), batch_size)])
    return float((rubbish > REJECT_THRESHOLD).float().mean())


class WeightAverage:
    """An exponential moving average of the parameters (Polyak averaging), which smooths the
    noise of the last steps out of the weights we ship. The decay warms up, (1+t)/(10+t), so
    a short run is not dominated by the random initial weights."""

    def __init__(self, model: LeNet5, decay: float):
        self.model, self.decay, self.steps = model, decay, 0
        self.params = list(model.parameters())
        self.average = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self) -> None:
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        torch._foreach_lerp_(self.average, [p.detach() for p in self.params], 1 - decay)

    @torch.no_grad()
    def copy_to_model(self) -> None:
        for p, a in zip(self.params, self.average):
            p.copy_(a)

    @contextlib.contextmanager
    def swapped_in(self):
        """Temporarily put the averaged weights into the model (for evaluation)."""
        saved = [p.detach().clone() for p in self.params]
        self.copy_to_model()
        try:
            yield
        finally:
            with torch.no_grad():
                for p, s in zip(self.params, saved):
                    p.copy_(s)


def warmup_cosine(total_steps: int, warmup_fraction: float = 0.05, hold_steps: int = 0) -> Callable[[int], float]:
    """Learning-rate factor: a short linear warm-up, the peak held until `hold_steps` (when the
    warm-up ends earlier), then a cosine decay to zero at the last step."""
    warmup = max(1, int(total_steps * warmup_fraction))
    decay_from = min(max(warmup, hold_steps), max(warmup, total_steps - 1))

    def factor(step: int) -> float:
        if step < warmup:
            return 0.1 + 0.9 * step / warmup
        progress = min(1.0, max(0, step - decay_from) / max(1, total_steps - decay_from))
        return 0.5 * (1 + math.cos(math.pi * progress))

    return factor


#: Fan-in of each trainable layer's units (C3's vary with Table I: 75, 100 or 150; 100 stands for all).
LAYER_FAN_IN = {"c1": 25, "s2": 4, "c3": 100, "s4": 4, "c5": 400, "f6": 120}
#: No layer's rate is raised more than this by `lr_fan_in_power` (S2/S4 have fan-in 4).
MAX_LAYER_RATE_FACTOR = 4.0


def layer_rates(model: LeNet5, config: TrainingConfig) -> list[dict]:
    """Adam's parameter groups, one per layer, each with learning_rate × (100/fan-in)^power."""
    groups = []
    for name, layer in model.named_children():
        params = list(layer.parameters())
        if params:
            factor = min(MAX_LAYER_RATE_FACTOR, (100 / LAYER_FAN_IN[name]) ** config.lr_fan_in_power)
            groups.append({"params": params, "lr": config.learning_rate * factor})
    return groups


class AdamStrategy:
    """Adam with a warm-up and cosine decay of the learning rate, and optionally an average of
    the weights that is what gets evaluated and kept."""

    def __init__(self, model: LeNet5, config: TrainingConfig, steps_per_epoch: int):
        # fused: one kernel updates every parameter (CPU and CUDA), instead of a dozen small ops each.
        self.learning_rate = config.learning_rate
        self.optimizer = torch.optim.Adam(layer_rates(model, config), lr=config.learning_rate, fused=True)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, warmup_cosine(config.epochs * steps_per_epoch, config.warmup_fraction,
                                          hold_steps=config.hold_steps))
        self.average = WeightAverage(model, config.average_decay) if config.weight_averaging else None

    def start_epoch(self, epoch: int, train_set: TensorDataset, generator: torch.Generator) -> None:
        pass  # the schedule advances per step

    def after_step(self) -> None:
        self.schedule.step()
        if self.average is not None:
            self.average.update()

    def rate(self) -> float:
        """The scheduled rate now (before the per-layer factors)."""
        return self.learning_rate * self.schedule.lr_lambdas[0](self.schedule.last_epoch)

    def evaluation_weights(self) -> AbstractContextManager:
        return self.average.swapped_in() if self.average is not None else contextlib.nullcontext()

    def finish(self) -> None:
        if self.average is not None:
            self.average.copy_to_model()


class SdlmStrategy:
    """The paper's SDLM: before each pass, set η from the schedule and re-estimate the diagonal
    Hessian on a few hundred random training patterns; nothing after a step."""

    def __init__(self, model: LeNet5, config: TrainingConfig, steps_per_epoch: int):
        self.model, self.config = model, config
        self.optimizer = SDLM(model.named_parameters(), lr=sdlm_eta(1), mu=config.sdlm_mu)

    def start_epoch(self, epoch: int, train_set: TensorDataset, generator: torch.Generator) -> None:
        config = self.config
        warming_up = (epoch - 1) * len(train_set) < config.sdlm_warmup_patterns
        scale = config.sdlm_warmup_scale if warming_up else config.sdlm_eta_scale
        for group in self.optimizer.param_groups:
            group["lr"] = sdlm_eta(epoch) * scale
        pick = torch.randperm(len(train_set), generator=generator, device=generator.device)
        self.optimizer.set_hessian(diagonal_hessian(self.model,
                                                    train_set.inputs[pick[:config.sdlm_hessian_samples]]))

    def after_step(self) -> None:
        pass

    def rate(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def evaluation_weights(self) -> AbstractContextManager:
        return contextlib.nullcontext()

    def finish(self) -> None:
        pass


STRATEGIES = {"adam": AdamStrategy, "sdlm": SdlmStrategy}


def _loss_fn(config: TrainingConfig) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if config.loss == "mse":
        return mse_loss
    return lambda penalties, labels: map_loss(penalties, labels, config.rubbish_j)


def train(config: TrainingConfig, train_set: TensorDataset, test_set: TensorDataset,
          device: torch.device, initial_state: dict | None = None,
          progress: RunProgress = SILENT, recorder: SnapshotRecorder | None = None,
          validation_set: TensorDataset | None = None) -> TrainingResult:
    """Train a fresh (or `initial_state`-initialised) LeNet-5 on all of `train_set`, evaluating
    on `test_set` after every epoch, and return it with its history.

    Repeatable for a given `config.seed`, with generators of its own (torch's global random
    state is left alone). `progress.should_cancel` is polled every batch; when it returns True,
    TrainingCancelled is raised and nothing outside this function has been changed. A `recorder`
    gets the weights the run would keep (the average, with weight averaging) at its planned steps.
    With `config.keep_best_epoch`, `validation_set` (images never trained on) is scored after
    every epoch and the model ends with the weights of the epoch with the fewest errors on it.
    """
    # Subnormal floats (under 1.2e-38) appear as examples are learnt (their gradients vanish)
    # and make the CPU's convolution backward pass several times slower: a from-scratch run on one
    # thread slowed from 1.7 to 2.5 s an epoch by its third epoch, the full preset's first stage
    # to a quarter of its first epoch's speed. Treated as zero they change nothing measurable
    # (benchmarks/README.md, "Subnormal numbers"; benchmarks/subnormals.py).
    with subnormals_as_zero():
        return _train(config, train_set, test_set, device, initial_state, progress, recorder, validation_set)


#: How deep each thread is in subnormals_as_zero blocks (train.py's command holds one around
#: train()'s own): only the outermost gives the thread back IEEE's gradual underflow.
_flushing = threading.local()


@contextlib.contextmanager
def subnormals_as_zero():
    """Subnormal floats as zero on this thread for the block, then IEEE's gradual underflow again.
    The mode is per thread, and the worker threads torch starts for a thread's parallel work copy
    it when they are made: a front-end whose thread trains (train.py, the Retrain dialog's job)
    enters this before its first parallel operation, and the workers flush too (on a thread whose
    workers already exist, only its own share of the work does)."""
    depth = getattr(_flushing, "depth", 0)
    _flushing.depth = depth + 1
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        _flushing.depth = depth
        if depth == 0:
            torch.set_flush_denormal(False)


def _train(config: TrainingConfig, train_set: TensorDataset, test_set: TensorDataset, device: torch.device,
           initial_state: dict | None, progress: RunProgress, recorder: SnapshotRecorder | None,
           validation_set: TensorDataset | None) -> TrainingResult:
    config.validate()
    if len(train_set) == 0:
        raise ValueError("no training images")
    held_out_negatives = None
    if config.negatives:
        train_set = mix_datasets(train_set, negatives_dataset(config.negatives, config.seed, progress.should_cancel), 1)
        held_out_negatives = negatives_dataset(REJECTION_CHECK_NEGATIVES, VALIDATION_NEGATIVES_SEED,
                                               progress.should_cancel, held_out_families=True).inputs.to(device)
    model = LeNet5(rubbish_j=config.rubbish_j, generator=torch.Generator().manual_seed(config.seed))
    if initial_state is not None:
        model.load_state_dict(initial_state)
    model.to(device)
    generator = torch.Generator(device=device).manual_seed(config.seed)  # shuffles, distortions
    train_set, test_set = train_set.to(device), test_set.to(device)
    if config.keep_best_epoch and (validation_set is None or len(validation_set) == 0):
        raise ValueError("keep_best_epoch needs validation images")
    validation_set = validation_set.to(device) if config.keep_best_epoch else None
    best: tuple[int, int, dict] | None = None  # (epoch, validation errors, weights)
    loss_fn = _loss_fn(config)
    batch_size = config.step_batch_size(len(train_set))
    batches = math.ceil(len(train_set) / batch_size)
    strategy = STRATEGIES[config.optimizer](model, config, batches)

    result = TrainingResult(model=model, config=config)
    started = time.perf_counter()
    if recorder is not None:
        recorder.start(config.epochs * batches, batches)
        recorder.take(0, model, None)
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        strategy.start_epoch(epoch, train_set, generator)
        order = torch.randperm(len(train_set), generator=generator, device=device)
        total_loss = torch.zeros((), device=device)
        for b in range(batches):
            progress.check()
            index = order[b * batch_size:(b + 1) * batch_size]
            inputs, labels = train_set.inputs[index], train_set.labels[index]
            if config.distort:
                inputs = distort(inputs, config, generator)
            loss = loss_fn(model(inputs), labels)
            strategy.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            strategy.optimizer.step()
            strategy.after_step()
            total_loss += loss.detach()
            step = (epoch - 1) * batches + b + 1
            if recorder is not None and recorder.wants(step):
                with strategy.evaluation_weights():
                    recorder.take(step, model, float(total_loss) / (b + 1))
            if progress.on_batch is not None and ((b + 1) % progress.batch_every == 0 or b + 1 == batches):
                rate = (b + 1) * batch_size / max(time.perf_counter() - epoch_started, 1e-9)
                progress.batch(BatchProgress(epoch, config.epochs, b + 1, batches, float(total_loss) / (b + 1), rate))
        train_loss = float(total_loss) / batches
        if not math.isfinite(train_loss):
            raise FloatingPointError(f"training diverged in epoch {epoch} (loss {train_loss})")
        tested = test_set
        if config.epoch_test_limit is not None and epoch < config.epochs:
            tested = TensorDataset(test_set.inputs[:config.epoch_test_limit],
                                   test_set.labels[:config.epoch_test_limit], test_set.checksum)
        with strategy.evaluation_weights():
            figures = _epoch_figures(model, tested, held_out_negatives)
            if validation_set is not None:
                figures["validation_errors"] = evaluate(model, validation_set)[0]
                if best is None or figures["validation_errors"] <= best[1]:  # a tie: the later epoch
                    best = (epoch, figures["validation_errors"], copy.deepcopy(model.state_dict()))
        epoch_result = EpochResult(epoch, config.epochs, train_loss, seconds=time.perf_counter() - epoch_started,
                                   learning_rate=strategy.rate(), **figures)
        result.history.append(epoch_result)
        if recorder is not None:
            recorder.add_epoch(epoch, train_loss, epoch_result.test_error)
        log.info("epoch %d/%d: loss %.4f, test error %.2f%%", epoch, config.epochs, train_loss,
                 100 * epoch_result.test_error)
        progress.epoch(epoch_result)
    strategy.finish()
    if best is not None:
        model.load_state_dict(best[2])
        kept = result.history[best[0] - 1]
        if kept.test_total < len(test_set):  # it was tested on the first epoch_test_limit images only
            kept = replace(kept, **_epoch_figures(model, test_set, held_out_negatives))
        result.kept = kept
        if recorder is not None:
            recorder.end_at(best[0] * batches, best[0], model, kept.train_loss)
    result.seconds = time.perf_counter() - started
    model.eval()
    return result


def _epoch_figures(model: LeNet5, tested: TensorDataset, held_out_negatives: torch.Tensor | None) -> dict:
    """EpochResult's test figures for `model` (as it is now) on `tested`, and its rejections."""
    errors, _ = evaluate(model, tested)
    figures = {"test_error": errors / max(1, len(tested)), "test_errors": errors, "test_total": len(tested)}
    if held_out_negatives is not None:
        figures.update(negatives_rejected=rejection_rate(model, held_out_negatives),
                       digits_rejected=rejection_rate(model, tested.inputs))
    return figures
