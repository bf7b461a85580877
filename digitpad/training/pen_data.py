"""The training writers' pen strokes as network-ready training data.

Each digit of the writers not held out (`pen_split`) is rendered `copies` times through
`render_strokes`, as a drawing is: the first copy as written, the others through the stroke-level
distortions of `ink.stroke_augment` at the config's strength, all drawn from the run's seed, so
the same config gives the same tensors. The training loop then adds the paper's affine
distortions to these images as to MNIST's. Rendering costs about half a millisecond a copy.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from digitpad.errors import TrainingCancelled
from digitpad.ink.strokes import render_strokes
from digitpad.ink.stroke_augment import augment_strokes
from digitpad.storage.pendigits import TABLET_SIZE, PenDigit, read_pendigits
from digitpad.training.datasets import TensorDataset
from digitpad.training.pen_split import split_by_writer

log = logging.getLogger(__name__)


def pen_dataset(digits: Sequence[PenDigit], copies: int, seed: int, strength: float,
                should_cancel: Callable[[], bool] | None = None, checksum: str = "") -> TensorDataset:
    """`copies` renders of each digit (the first undistorted), labelled, as a TensorDataset."""
    rng = np.random.default_rng([seed, 20])  # its own stream: MNIST's shuffles are not disturbed
    inputs = np.empty((len(digits) * copies, 1, 32, 32), np.float32)
    labels = np.empty(len(digits) * copies, np.int64)
    row = 0
    for index, digit in enumerate(digits):
        if should_cancel is not None and index % 256 == 0 and should_cancel():
            raise TrainingCancelled()
        for copy in range(copies):
            if copy == 0 or strength == 0:
                strokes, pen = digit.strokes, None
            else:
                strokes, pen = augment_strokes(digit.strokes, rng, strength, (TABLET_SIZE, TABLET_SIZE))
            inputs[row, 0] = render_strokes(strokes, pen)
            labels[row] = digit.label
            row += 1
    tag = hashlib.md5(f"{checksum}:{copies}:{seed}:{strength}".encode()).hexdigest()
    return TensorDataset(torch.from_numpy(inputs), torch.from_numpy(labels), tag)


def training_writers_dataset(path: Path, copies: int, seed: int, strength: float,
                             should_cancel: Callable[[], bool] | None = None,
                             max_images: int | None = None) -> TensorDataset:
    """The training writers' digits in `path` (never the held-out writers'), rendered as above;
    at most about `max_images` renders (a run on a few hundred MNIST images gets a few hundred
    pen digits, drawn at random from the seed, not all 5,000). Raises DataError for an
    unreadable or malformed file."""
    digits = read_pendigits(path)
    training, _ = split_by_writer(digits)
    if max_images is not None and len(training) * copies > max_images:
        keep = max(1, math.ceil(max_images / copies))
        chosen = np.random.default_rng([seed, 21]).permutation(len(training))[:keep]
        training = [training[i] for i in sorted(chosen)]
    checksum = hashlib.md5(repr([(d.label, d.writer, d.sample) for d in training]).encode()).hexdigest()
    log.info("pen data: %d digits by %d training writers, %d copies each", len(training),
             len({d.writer for d in training}), copies)
    return pen_dataset(training, copies, seed, strength, should_cancel, checksum)


def pen_images_wanted(base_size: int, share: float) -> int:
    """How many pen images make `share` of a mix with `base_size` others."""
    return round(share * base_size / (1 - share)) if share > 0 else 0


def pen_repeat(base_size: int, pen_size: int, share: float) -> int:
    """How many times `pen_size` pen images are repeated to make about `share` of a mix with
    `base_size` others (at least once when there are any and the share is above 0)."""
    if pen_size <= 0 or share <= 0:
        return 0
    return max(1, round(share * base_size / ((1 - share) * pen_size)))
