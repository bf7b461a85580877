"""The training engine: one config, one loop, progress events, cancel, checkpoints.

Used by `train.py`, by `digitpad train` and by the GUI's retraining worker. The data live as
one tensor on the training device and batches are index slices of it, so the hot loop does no
per-sample Python work.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from digitpad.model import DEFAULT_RUBBISH_J, LeNet5, map_loss, mse_loss
from digitpad.sdlm import SDLM, diagonal_hessian

log = logging.getLogger(__name__)

#: The paper's η schedule for SDLM: (first pass it applies to, η), passes counted from 1.
PAPER_ETA_SCHEDULE: tuple[tuple[int, float], ...] = ((1, 5e-4), (3, 2e-4), (6, 1e-4), (9, 5e-5), (13, 1e-5))


@dataclass
class TrainingConfig:
    """Everything that determines a training run; the defaults reproduce the shipped weights."""

    epochs: int = 40
    optimizer: str = "adam"            # "adam" or "sdlm" (the paper's method)
    batch_size: int = 64
    learning_rate: float = 2e-3        # Adam's peak rate; cosine-annealed to zero
    weight_averaging: bool = True       # Adam: evaluate an exponential moving average of the weights
    average_decay: float = 0.999
    loss: str = "map"                   # "map" (eq. 9) or "mse" (eq. 8)
    rubbish_j: float = DEFAULT_RUBBISH_J
    sdlm_mu: float = 0.02
    # SDLM: the paper's η schedule times `sdlm_eta_scale`, except the passes that begin within the
    # first `sdlm_warmup_patterns` patterns, which run at `sdlm_warmup_scale`. On MNIST that is
    # the paper's first η stage (passes 1–2) at ×0.2 and every later stage at ×2.5, so no step is
    # larger than the paper's largest η (0.0005). Why damp the start: at the initial weights h is
    # tiny in every layer below F6, and the paper's η made C5's weights grow several-fold within a
    # few hundred patterns and F6 saturate (traced; see benchmarks/README.md). Why ×2.5 later:
    # steps use the mean gradient of `sdlm_batch_size` patterns, so the paper's per-pattern step
    # would be ×8, which diverged; ×2.5 gave the lowest error of the scales measured. Counted in
    # patterns, not passes, so a short run on a small set stays damped.
    sdlm_eta_scale: float = 2.5
    sdlm_warmup_scale: float = 0.2
    sdlm_warmup_patterns: int = 120_000
    sdlm_hessian_samples: int = 500
    sdlm_batch_size: int = 8            # the paper updated after every pattern; small batches are close
    distort: bool = True                # the paper's affine distortions (0.95 % → 0.8 % there)
    max_shift: float = 2.0              # pixels
    max_scale: float = 0.15             # ±15 % size
    max_squeeze: float = 0.15           # one axis ×(1+s), the other ×1/(1+s)
    max_shear: float = 0.3              # horizontal shear (x += k·y)
    max_rotation: float = 0.0           # degrees; the paper used none
    seed: int = 0
    device: str | None = None
    train_limit: int | None = None      # use only the first N training images (tests, quick runs)
    test_limit: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainingConfig":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})


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


@dataclass
class TrainingResult:
    model: LeNet5
    config: TrainingConfig
    history: list[EpochResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def test_error(self) -> float:
        return self.history[-1].test_error if self.history else math.nan


class TrainingCancelled(Exception):
    """Raised out of `train` when the cancel callback says so; the caller's model is untouched."""


@dataclass
class TensorDataset:
    """Network-ready inputs (N×1×32×32 float) and labels (N int64) plus a content checksum."""

    inputs: torch.Tensor
    labels: torch.Tensor
    checksum: str = ""

    def to(self, device: torch.device) -> "TensorDataset":
        return TensorDataset(self.inputs.to(device), self.labels.to(device), self.checksum)

    def __len__(self) -> int:
        return self.labels.shape[0]


def random_affine(x: torch.Tensor, config: TrainingConfig, generator: torch.Generator) -> torch.Tensor:
    """The paper's distortions for a whole batch at once: translation, scaling, squeezing and
    horizontal shearing (one random planar affine map per image), background kept at −0.1."""
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
    background = -0.1
    return F.grid_sample(x - background, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False) + background


@torch.no_grad()
def evaluate(model: LeNet5, data: TensorDataset, batch_size: int = 2000) -> tuple[int, torch.Tensor]:
    """(errors, predictions) of `model` on `data`; prediction = the class with the smallest penalty."""
    model.eval()
    predictions = torch.cat([model(data.inputs[i:i + batch_size]).argmin(1)
                             for i in range(0, len(data), batch_size)])
    return int((predictions != data.labels).sum()), predictions


def sdlm_eta(epoch: int, schedule: tuple[tuple[int, float], ...] = PAPER_ETA_SCHEDULE) -> float:
    eta = schedule[0][1]
    for first, value in schedule:
        if epoch >= first:
            eta = value
    return eta


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


def _estimate_hessian(optimizer: SDLM, model: LeNet5, data: TensorDataset, config: TrainingConfig,
                      generator: torch.Generator) -> None:
    """SDLM's curvature estimate on `sdlm_hessian_samples` random training patterns."""
    pick = torch.randperm(len(data), generator=generator, device=generator.device)[:config.sdlm_hessian_samples]
    optimizer.set_hessian(diagonal_hessian(model, data.inputs[pick]))


def warmup_cosine(total_steps: int, warmup_fraction: float = 0.05) -> Callable[[int], float]:
    """Learning-rate factor: a short linear warm-up, then a cosine decay to zero at the last step."""
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return 0.1 + 0.9 * step / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def _loss_fn(config: TrainingConfig):
    if config.loss == "map":
        return lambda penalties, labels: map_loss(penalties, labels, config.rubbish_j)
    if config.loss == "mse":
        return mse_loss
    raise ValueError(f"unknown loss {config.loss!r}: use 'map' (eq. 9) or 'mse' (eq. 8)")


def train(config: TrainingConfig, train_set: TensorDataset, test_set: TensorDataset,
          device: torch.device, initial_state: dict | None = None,
          on_batch: Callable[[BatchProgress], None] | None = None,
          on_epoch: Callable[[EpochResult], None] | None = None,
          should_cancel: Callable[[], bool] | None = None,
          progress_every: int = 20) -> TrainingResult:
    """Train a fresh (or `initial_state`-initialised) LeNet-5 and return it with its history.

    `should_cancel` is polled every batch; when it returns True, TrainingCancelled is raised and
    nothing outside this function has been changed.
    """
    if config.optimizer not in ("adam", "sdlm"):
        raise ValueError(f"unknown optimizer {config.optimizer!r}: use 'adam' or 'sdlm'")
    if config.epochs < 1:
        raise ValueError("epochs must be at least 1")
    torch.manual_seed(config.seed)
    generator = torch.Generator(device=device)
    generator.manual_seed(config.seed)

    if config.train_limit:
        train_set = TensorDataset(train_set.inputs[:config.train_limit], train_set.labels[:config.train_limit],
                                  train_set.checksum)
    if config.test_limit:
        test_set = TensorDataset(test_set.inputs[:config.test_limit], test_set.labels[:config.test_limit],
                                 test_set.checksum)
    train_set, test_set = train_set.to(device), test_set.to(device)

    model = LeNet5(rubbish_j=config.rubbish_j)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    model.to(device)
    loss_fn = _loss_fn(config)

    sdlm = config.optimizer == "sdlm"
    batch_size = config.sdlm_batch_size if sdlm else config.batch_size
    n = len(train_set)
    batches = math.ceil(n / batch_size)
    if sdlm:
        optimizer = SDLM(model.named_parameters(), lr=sdlm_eta(1), mu=config.sdlm_mu)
        scheduler = None
    else:
        # fused: one kernel updates every parameter (CPU and CUDA), instead of a dozen small ops each.
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, fused=True)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(config.epochs * batches))
    averaged = WeightAverage(model, config.average_decay) if not sdlm and config.weight_averaging else None

    result = TrainingResult(model=model, config=config)
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        model.train()
        if sdlm:
            warming_up = (epoch - 1) * n < config.sdlm_warmup_patterns
            for group in optimizer.param_groups:
                group["lr"] = sdlm_eta(epoch) * (config.sdlm_warmup_scale if warming_up else
                                                 config.sdlm_eta_scale)
            _estimate_hessian(optimizer, model, train_set, config, generator)
        order = torch.randperm(n, generator=generator, device=device)
        total_loss = torch.zeros((), device=device)
        for b in range(batches):
            if should_cancel is not None and should_cancel():
                raise TrainingCancelled()
            index = order[b * batch_size:(b + 1) * batch_size]
            inputs, labels = train_set.inputs[index], train_set.labels[index]
            if config.distort:
                inputs = random_affine(inputs, config, generator)
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            if averaged is not None:
                averaged.update()
            total_loss += loss.detach()
            if on_batch is not None and ((b + 1) % progress_every == 0 or b + 1 == batches):
                done = b + 1
                elapsed = time.perf_counter() - epoch_started
                on_batch(BatchProgress(epoch, config.epochs, done, batches, float(total_loss) / done,
                                       done * batch_size / max(elapsed, 1e-9)))
        if averaged is not None:
            with averaged.swapped_in():
                errors, _ = evaluate(model, test_set)
        else:
            errors, _ = evaluate(model, test_set)
        train_loss = float(total_loss) / batches
        if not math.isfinite(train_loss):
            raise FloatingPointError(f"training diverged in epoch {epoch} (loss {train_loss})")
        epoch_result = EpochResult(epoch, config.epochs, train_loss, errors / len(test_set), errors,
                                   len(test_set), time.perf_counter() - epoch_started,
                                   optimizer.param_groups[0]["lr"])
        result.history.append(epoch_result)
        log.info("epoch %d/%d: loss %.4f, test error %.2f%%", epoch, config.epochs, train_loss,
                 100 * epoch_result.test_error)
        if on_epoch is not None:
            on_epoch(epoch_result)
    if averaged is not None:
        averaged.copy_to_model()
    result.seconds = time.perf_counter() - started
    model.eval()
    return result


def mnist_dataset(data_dir, split: str, verify: bool = True) -> TensorDataset:
    """One MNIST split as network-ready tensors (N×1×32×32, −0.1 background, 1.175 ink)."""
    from digitpad.data import load_mnist
    from digitpad.preprocess import mnist_to_input

    loaded = load_mnist(data_dir, split, verify=verify)
    return TensorDataset(mnist_to_input(loaded.images), torch.from_numpy(loaded.labels), loaded.checksum)


def checkpoint_metrics(result: TrainingResult) -> dict:
    """What a checkpoint records about the run that produced it (plain types only)."""
    last = result.history[-1]
    return {"test_error": last.test_error, "test_errors": last.test_errors, "test_total": last.test_total,
            "train_loss": last.train_loss, "epochs": len(result.history), "seconds": round(result.seconds, 1),
            "history": [{"epoch": e.epoch, "train_loss": e.train_loss, "test_error": e.test_error}
                        for e in result.history]}


#: Share of each fine-tuning epoch made of the user's own samples (repeated): enough for the
#: model to learn them, little enough that MNIST dominates and the model does not forget it.
EXTRA_FRACTION = 0.07


def extra_repeat(base_size: int, extra_size: int, fraction: float = EXTRA_FRACTION) -> int:
    """How many copies of `extra_size` samples make them `fraction` of a mix with `base_size`."""
    if extra_size <= 0:
        return 0
    return max(1, round(fraction * base_size / ((1 - fraction) * extra_size)))


def head(data: TensorDataset, limit: int | None) -> TensorDataset:
    """The first `limit` items (all when limit is None), as train()'s train_limit would take."""
    if not limit:
        return data
    return TensorDataset(data.inputs[:limit], data.labels[:limit], data.checksum)


def mix_datasets(base: TensorDataset, extra: TensorDataset, repeat: int | None = None) -> TensorDataset:
    """`base` followed by `repeat` copies of `extra` (default: `extra_repeat`, ~7 % of the mix).

    train() reshuffles every epoch, so the order does not matter; but its `train_limit` keeps the
    *first* images, so limit `base` with `head` before mixing and pass train_limit=None.
    """
    if repeat is None:
        repeat = extra_repeat(len(base), len(extra))
    if len(extra) == 0 or repeat <= 0:
        return base
    device = base.inputs.device
    inputs = torch.cat([base.inputs, extra.inputs.to(device).repeat(repeat, 1, 1, 1)])
    labels = torch.cat([base.labels, extra.labels.to(device).repeat(repeat)])
    checksum = hashlib.md5(f"{base.checksum}+{repeat}x{extra.checksum}".encode()).hexdigest()
    return TensorDataset(inputs, labels, checksum)
