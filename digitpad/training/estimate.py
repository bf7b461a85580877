"""How long a training run will take, from a short measured probe on this machine.

The probe trains a fresh LeNet-5 for a few batches of random images with the run's own recipe
(optimizer, batch size, distortions) on the run's device, through the same `train` loop, and
times a test pass; the estimate scales those rates to the run's image counts. It costs well under
a second, so the dialog can show "about 9 minutes" before anyone presses Start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from digitpad.training.datasets import TensorDataset
from digitpad.training.progress import RunProgress
from digitpad.training.loop import evaluate, train
from digitpad.training.config import TrainingConfig
from digitpad.paths import default_pendigits_file
from digitpad.training.pen_data import pen_images_wanted

#: Batches timed by the probe (after the first, which pays for warm-up).
PROBE_BATCHES = 12
PROBE_TEST_IMAGES = 1000
#: Reading and converting MNIST before the first batch (measured ~1–2 s; cached files are faster).
LOADING_SECONDS = 2.0


@dataclass
class SpeedProbe:
    """Measured rates on one device for one recipe."""

    train_images_per_second: float
    test_images_per_second: float
    epoch_overhead_seconds: float  # per-epoch set-up (e.g. SDLM's Hessian estimate)


def _random_set(count: int, generator: torch.Generator) -> TensorDataset:
    inputs = torch.rand(count, 1, 32, 32, generator=generator) * 1.275 - 0.1
    labels = torch.randint(0, 10, (count,), generator=generator)
    return TensorDataset(inputs, labels)


def probe_speed(config: TrainingConfig, device: torch.device | str = "cpu") -> SpeedProbe:
    """Time a few training batches and a test pass of `config`'s recipe on `device`."""
    device = torch.device(device)
    generator = torch.Generator().manual_seed(0)
    batch_size = config.sdlm_batch_size if config.optimizer == "sdlm" else config.batch_size
    # min_steps off: on the probe's few images it would shrink the batch to 4 (TrainingConfig.
    # step_batch_size) and the rate, measured per batch, would be the rate of batches of 4 taken
    # for batches of `batch_size` (the Quick preset was estimated at 20 s; it takes 55).
    # Negatives off: generating them is not training speed (`negatives_seconds` adds it).
    one_epoch = replace(config, epochs=1, train_limit=None, test_limit=None, min_steps=0, negatives=0)
    test_set = _random_set(64, generator)
    # A first, tiny run pays for the one-time costs (first kernels, allocations, lazy imports).
    train(one_epoch, _random_set(2 * batch_size, generator), test_set, device)
    stamps: list[float] = []
    started = time.perf_counter()
    result = train(one_epoch, _random_set(batch_size * PROBE_BATCHES, generator), test_set, device,
                   progress=RunProgress(on_batch=lambda _progress: stamps.append(time.perf_counter()), batch_every=1))
    per_batch = (stamps[-1] - stamps[0]) / max(1, len(stamps) - 1)
    overhead = max(0.0, (stamps[0] - started) - per_batch)
    evaluation_set = _random_set(PROBE_TEST_IMAGES, generator).to(device)
    test_started = time.perf_counter()
    evaluate(result.model, evaluation_set)
    test_seconds = max(time.perf_counter() - test_started, 1e-6)
    return SpeedProbe(batch_size / max(per_batch, 1e-9), PROBE_TEST_IMAGES / test_seconds, overhead)


#: Generating one negative pattern (digitpad.training.negatives: fonts and drawn shapes), measured ~2 ms.
NEGATIVE_SECONDS = 0.002


def negatives_seconds(config: TrainingConfig) -> float:
    """Time to generate a run's negatives (they are made before training, not timed by the probe)."""
    return config.negatives * NEGATIVE_SECONDS


#: Rendering one pen digit (a distorted copy through render_strokes), measured ~2 ms.
PEN_RENDER_SECONDS = 0.002
#: The training writers' digits in the pen-digits file (21 writers of 30: digitpad.training.pen_split).
TRAINING_PEN_DIGITS = 5249


def pen_load(config: TrainingConfig, base_images: int) -> tuple[int, float]:
    """(pen images a run adds to each epoch beside `base_images`, seconds to render them), for a
    config with a pen share, when the pen-digits file is found (else the run trains without)."""
    if config.pen_share <= 0 or default_pendigits_file() is None:
        return 0, 0.0
    wanted = pen_images_wanted(base_images, config.pen_share)
    return wanted, min(wanted, TRAINING_PEN_DIGITS * config.pen_copies) * PEN_RENDER_SECONDS


def estimate_seconds(probe: SpeedProbe, epochs: int, train_images: int, test_images: int,
                     evaluate_current: bool = True) -> float:
    """Wall time of a run: loading, the current model's test pass, and per epoch a training pass
    and a test pass."""
    test_pass = test_images / probe.test_images_per_second
    epoch = probe.epoch_overhead_seconds + train_images / probe.train_images_per_second + test_pass
    return LOADING_SECONDS + (test_pass if evaluate_current else 0.0) + epochs * epoch

