"""What determines a training run, without torch: the CLI builds its `--help` from these
defaults, and the GUI's dialog fills them in, before PyTorch has been imported."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from digitpad.network.architecture import DEFAULT_RUBBISH_J, RUBBISH_J_RANGE

#: Seeds of the negatives kept out of training: validation (choosing j and the thresholds) and
#: test (benchmarks/rejection.py). A training run with negatives refuses them as its seed.
VALIDATION_NEGATIVES_SEED = 1_000_001
TEST_NEGATIVES_SEED = 2_000_001
HELD_OUT_NEGATIVE_SEEDS = (VALIDATION_NEGATIVES_SEED, TEST_NEGATIVES_SEED)

OPTIMIZERS = ("adam", "sdlm")
LOSSES = ("map", "mse")
#: Seeds torch's generators take (they take any 64-bit value; 2^63 keeps it signed-safe).
MAX_SEED = 2**63 - 1
MAX_EPOCHS = 10_000
#: Generated training patterns (negatives, bad cuts): about 2–5 ms and 4 KB each.
MAX_GENERATED = 1_000_000

#: The paper's η schedule for SDLM: (first pass it applies to, η), passes counted from 1.
PAPER_ETA_SCHEDULE: tuple[tuple[int, float], ...] = (
    (1, 5e-4), (3, 2e-4), (6, 1e-4), (9, 5e-5), (13, 1e-5))


def sdlm_eta(epoch: int, schedule: tuple[tuple[int, float], ...] = PAPER_ETA_SCHEDULE) -> float:
    """The paper's η for pass `epoch` (1-based)."""
    eta = schedule[0][1]
    for first, value in schedule:
        if epoch >= first:
            eta = value
    return eta


#: keep_best_epoch's validation images: at most this many, right after the training limit.
VALIDATION_IMAGES = 5_000


@dataclass
class TrainingConfig:
    """Everything that determines a training run; the defaults are the first of the shipped weights' two steps
    (the digits alone; README, Training)."""

    epochs: int = 40
    optimizer: str = "adam"            # "adam" or "sdlm" (the paper's method)
    batch_size: int = 64
    learning_rate: float = 2e-3        # Adam's peak rate; cosine-annealed to zero
    warmup_fraction: float = 0.05       # Adam: share of the steps over which the rate rises to its peak
    # Adam: each layer's rate is learning_rate × (100 / fan-in)^power, at most ×4. The paper's
    # initial weights are U(±2.4/fan-in), so one rate for all layers moves C5's (fan-in 400) 16×
    # faster relative to their size than C1's (25); 0.5 evens that out partly (SDLM does it fully).
    lr_fan_in_power: float = 0.0
    # Short runs. From the paper's small initial weights LeNet-5 first answers one digit for
    # everything and needs a few hundred steps to leave that start, whatever the data size. So
    # Adam makes at least `min_steps` steps (on a small data set the batch shrinks, not below
    # `min_batch_size`) and holds its peak rate for the first `hold_steps` before decaying.
    # A full run (60,000 images, 40 epochs: 37,500 steps, 1,875 of warm-up) is not affected.
    # `train.py --epochs 1 --limit 2000`: 89.9 % test error without these, about 20 % with.
    min_steps: int = 500
    min_batch_size: int = 4
    hold_steps: int = 300
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
    # Share of each distorted batch that is only shifted by whole pixels (±max_shift), a cheap
    # copy, instead of resampled through the affine map (grid_sample costs about a third of a step).
    shift_only_fraction: float = 0.0
    seed: int = 0
    # Negative patterns (digitpad.training.negatives: letters, symbols, scribbles) mixed into the training
    # set with the rubbish class as their target (eq. 9's rubbish term alone), so the network
    # learns to say "not a digit". 0 = none. Generated from `seed`.
    negatives: int = 0
    # Bad cuts (digitpad.training.bad_cuts): pieces of composed numbers that are not one digit (half a
    # digit, two digits squeezed together), cut by digitpad's own segmenter from the training
    # images and trained toward the rubbish class, as the paper trained its string reader. 0 = none.
    bad_cuts: int = 0
    # Real pen strokes (digitpad.training.pen_data): the training writers' digits of the pen-digits
    # file, rendered `pen_copies` times each (the first as written, the rest through the
    # stroke-level distortions at strength `pen_augment`) and repeated to about `pen_share` of the
    # training set. 0 = MNIST alone. Without the file (digitpad.paths.default_pendigits_file)
    # the run trains on MNIST alone and says so.
    pen_share: float = 0.0
    pen_copies: int = 4
    pen_augment: float = 1.0
    device: str | None = None
    # Applied when the data are loaded (digitpad.training.run), never by train() itself, so the
    # personal samples mixed in after the limit are never cut off.
    train_limit: int | None = None      # use only the first N training images (tests, quick runs)
    test_limit: int | None = None
    # Test images evaluated after each epoch but the last (None: all of them); the last epoch is
    # always evaluated on the whole test set. Saves time in short runs.
    epoch_test_limit: int | None = None
    # Early stopping chosen on validation data, never on the test set: up to VALIDATION_IMAGES of
    # MNIST's training images right after `train_limit` (which this run never trains on; with the
    # usual limit of 55,000, the last 5,000, the project's validation block) are scored after every
    # epoch, and the run keeps the weights of the epoch with the fewest errors on them (the later
    # one on a tie), not the last epoch's. The schedule is still planned for all `epochs`. Whether
    # the weights a fine-tune starts from had seen those images is recorded, not assumed
    # (RunMetrics.validation_unseen).
    keep_best_epoch: bool = False

    def validate(self) -> None:
        """Raise ValueError, with a message for people, for a config no run can use."""
        self._check_recipe()
        self._check_data()
        self._check_numbers()

    def _check_recipe(self) -> None:
        """The optimiser, the loss, the epochs and the batches."""
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: use 'adam' or 'sdlm'")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}: use 'map' (eq. 9) or 'mse' (eq. 8)")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be at least 1 (and at most {MAX_EPOCHS:,})")
        if self.batch_size < 1 or self.sdlm_batch_size < 1 or self.min_batch_size < 1:
            raise ValueError("the batch size must be at least 1")
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise ValueError("warmup_fraction must be in [0, 1)")
        if not 0.0 <= self.shift_only_fraction <= 1.0:
            raise ValueError("shift_only_fraction must be in [0, 1]")

    def _check_data(self) -> None:
        """What is mixed into the training set (negatives, bad cuts, pen strokes) and the limits."""
        if self.negatives < 0:
            raise ValueError("negatives must be 0 (none) or more")
        if not (math.isfinite(self.pen_share) and 0.0 <= self.pen_share < 1.0):
            raise ValueError("pen_share must be in [0, 1): the share of the training set made of pen strokes")
        if not 1 <= self.pen_copies <= 100:
            raise ValueError("pen_copies must be from 1 to 100 (renders of each pen digit)")
        if not (math.isfinite(self.pen_augment) and 0.0 <= self.pen_augment <= 3.0):
            raise ValueError("pen_augment must be from 0 (no distortion) to 3")
        if self.bad_cuts < 0:
            raise ValueError("bad_cuts must be 0 (none) or more")
        for name in ("negatives", "bad_cuts"):
            if getattr(self, name) > MAX_GENERATED:
                raise ValueError(f"{name} must be at most {MAX_GENERATED:,} (each is generated before training)")
        if (self.negatives or self.bad_cuts) and self.loss != "map":
            raise ValueError("negatives and bad cuts need eq. 9's rubbish class: use loss 'map'")
        if self.negatives and self.seed in HELD_OUT_NEGATIVE_SEEDS:
            raise ValueError(f"seed {self.seed} makes the held-out negatives: train with another seed")
        if self.keep_best_epoch and self.train_limit is None:
            raise ValueError("keep_best_epoch chooses on the training images after train_limit: "
                             "set a limit (e.g. 55,000 keeps 5,000 for validation)")
        for name in ("train_limit", "test_limit", "epoch_test_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (or None for all images)")

    def _check_numbers(self) -> None:
        """The seed, the rates, eq. 9's j, the averaging and the distortions."""
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"the seed must be from 0 to 2^63 - 1, got {str(self.seed)[:30]}")
        _positive(self.learning_rate, "the learning rate", 1.0)
        _positive(self.sdlm_eta_scale, "the η scale", 1000.0)
        _positive(self.sdlm_warmup_scale, "the η warm-up scale", 1000.0)
        _positive(self.sdlm_mu, "SDLM's μ", 1000.0)
        low, high = RUBBISH_J_RANGE
        if not (math.isfinite(self.rubbish_j) and low < self.rubbish_j <= high):
            raise ValueError(f"eq. 9's j must be above {low:g} and at most {high:g}, got {self.rubbish_j}")
        if not (math.isfinite(self.average_decay) and 0 <= self.average_decay < 1):
            raise ValueError(f"the averaging decay must be in [0, 1), got {self.average_decay}")
        for name in ("max_shift", "max_scale", "max_squeeze", "max_shear", "max_rotation"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number ≥ 0, got {value}")

    def step_batch_size(self, train_images: int) -> int:
        """Images per optimiser step for a data set of `train_images` (see `min_steps`)."""
        if self.optimizer == "sdlm":
            return self.sdlm_batch_size
        enough_steps = train_images * self.epochs // max(1, self.min_steps)
        return max(min(self.batch_size, self.min_batch_size), min(self.batch_size, enough_steps))

    def to_dict(self) -> dict:
        return asdict(self)


def _positive(value: float, what: str, largest: float) -> None:
    """ValueError unless `value` is a finite number above 0 and at most `largest`."""
    if not (math.isfinite(value) and 0 < value <= largest):
        raise ValueError(f"{what} must be a number above 0 and at most {largest:g}, got {value}")
