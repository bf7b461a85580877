"""Training and test data as network-ready tensors: MNIST splits, personal samples, their mix.

The data live as one tensor each (inputs N×1×32×32, labels N) on the training device, and
batches are index slices of them, so the training loop does no per-sample Python work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitpad.ink.normalise import EmptyDrawing
from digitpad.ink.tensors import mnist_to_input
from digitpad.network.architecture import NEGATIVE_LABEL
from digitpad.storage.mnist import load_mnist
from digitpad.storage.samples import Sample
from digitpad.training.bad_cuts import generate_bad_cuts
from digitpad.training.negatives import HELD_OUT_FAMILIES, TRAINING_FAMILIES, generate_negatives


@dataclass
class TensorDataset:
    """Network-ready inputs (N×1×32×32 float) and labels (N int64) plus a content checksum."""

    inputs: torch.Tensor
    labels: torch.Tensor
    checksum: str = ""

    def to(self, device: torch.device | str) -> TensorDataset:
        return TensorDataset(self.inputs.to(device), self.labels.to(device), self.checksum)

    def __len__(self) -> int:
        return self.labels.shape[0]


def mnist_dataset(data_dir: Path | str, split: str, limit: int | None = None,
                  verify: bool = True) -> TensorDataset:
    """One MNIST split as network-ready tensors (N×1×32×32, −0.1 background, 1.175 ink).

    `limit` keeps only the first `limit` images, cut before they are converted (60,000 float
    images are 250 MB and take seconds to build). This is the one place a training set is limited.
    The checksum names the whole split, with the limit when there is one.
    """
    loaded = load_mnist(data_dir, split, verify=verify)
    images, labels, checksum = loaded.images, loaded.labels, loaded.checksum
    if limit is not None and limit < len(labels):
        images, labels = images[:limit], labels[:limit]
        checksum = hashlib.md5(f"{checksum}[:{limit}]".encode()).hexdigest()
    return TensorDataset(mnist_to_input(images), torch.from_numpy(labels.copy()), checksum)


def mnist_validation_dataset(data_dir: Path | str, train_limit: int, count: int, verify: bool = True) -> TensorDataset:
    """Up to `count` of MNIST's training images right after the first `train_limit`: a run limited
    to `train_limit` never trains on them, so it may choose on them (TrainingConfig.keep_best_epoch).
    Empty when the limit takes every image."""
    loaded = load_mnist(data_dir, "train", verify=verify)
    end = train_limit + count
    images, labels = loaded.images[train_limit:end], loaded.labels[train_limit:end]
    checksum = hashlib.md5(f"{loaded.checksum}[{train_limit}:{end}]".encode()).hexdigest()
    return TensorDataset(mnist_to_input(images), torch.from_numpy(labels.copy()), checksum)


def samples_dataset(samples: Sequence[Sample]) -> TensorDataset:
    """The user's samples as network-ready tensors; the checksum identifies the exact drawings and
    labels."""
    arrays, labels, digest = [], [], hashlib.md5()
    for sample in samples:
        try:
            arrays.append(sample.render())
        except EmptyDrawing:  # make_sample guarantees points; kept for safety with odd input
            continue
        labels.append(sample.label)
        digest.update(sample.to_line().encode("utf-8") + b"\n")
    inputs = (torch.from_numpy(np.stack(arrays)).unsqueeze(1) if arrays
              else torch.empty(0, 1, 32, 32, dtype=torch.float32))
    return TensorDataset(inputs, torch.tensor(labels, dtype=torch.int64), digest.hexdigest() if arrays else "")


#: Share of each fine-tuning epoch made of the user's own samples (repeated): enough for the
#: model to learn them, little enough that MNIST dominates and the model does not forget it.
EXTRA_FRACTION = 0.07


def extra_repeat(base_size: int, extra_size: int, fraction: float = EXTRA_FRACTION) -> int:
    """How many copies of `extra_size` samples make them `fraction` of a mix with `base_size`."""
    if extra_size <= 0:
        return 0
    return max(1, round(fraction * base_size / ((1 - fraction) * extra_size)))


def mix_datasets(base: TensorDataset, extra: TensorDataset, repeat: int | None = None) -> TensorDataset:
    """`base` followed by `repeat` copies of `extra` (default: `extra_repeat`, ~7 % of the mix).
    The order does not matter: train() reshuffles every epoch."""
    if repeat is None:
        repeat = extra_repeat(len(base), len(extra))
    if len(extra) == 0 or repeat <= 0:
        return base
    device = base.inputs.device
    inputs = torch.cat([base.inputs, extra.inputs.to(device).repeat(repeat, 1, 1, 1)])
    labels = torch.cat([base.labels, extra.labels.to(device).repeat(repeat)])
    checksum = hashlib.md5(f"{base.checksum}+{repeat}x{extra.checksum}".encode()).hexdigest()
    return TensorDataset(inputs, labels, checksum)


def negatives_dataset(count: int, seed: int, should_cancel: Callable[[], bool] | None = None,
                      held_out_families: bool = False) -> TensorDataset:
    """`count` generated non-digits (digitpad.training.negatives) labelled NEGATIVE_LABEL, network-ready:
    glyphs from the training font families, or from the held-out ones (to choose and measure the
    "not a digit" threshold on lettering training never saw).

    Generating takes about 2 ms a pattern; `should_cancel` is polled every few hundred."""
    families = HELD_OUT_FAMILIES if held_out_families else TRAINING_FAMILIES
    negatives = generate_negatives(count, seed, should_cancel=should_cancel, families=families)
    inputs = torch.from_numpy(negatives.images).unsqueeze(1)
    labels = torch.full((count,), NEGATIVE_LABEL, dtype=torch.int64)
    return TensorDataset(inputs, labels, hashlib.md5(f"negatives:{count}:{seed}:{families}".encode()).hexdigest())


def bad_cuts_dataset(data_dir: Path | str, config, should_cancel: Callable[[], bool] | None = None) -> TensorDataset:
    """`config.bad_cuts` bad segmentation cuts (digitpad.training.bad_cuts) of the run's own training
    images (the first `config.train_limit`), labelled NEGATIVE_LABEL, network-ready.

    About 5 ms a piece (composing, segmenting, rendering); `should_cancel` is polled."""
    loaded = load_mnist(data_dir, "train")
    images = loaded.images[: config.train_limit]
    pieces = generate_bad_cuts(images, config.bad_cuts, config.seed, should_cancel=should_cancel)
    labels = torch.full((len(pieces),), NEGATIVE_LABEL, dtype=torch.int64)
    checksum = hashlib.md5(f"bad cuts:{config.bad_cuts}:{config.seed}:{loaded.checksum}:{config.train_limit}".encode())
    return TensorDataset(torch.from_numpy(pieces).unsqueeze(1), labels, checksum.hexdigest())
