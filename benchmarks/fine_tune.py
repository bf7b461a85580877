#!/usr/bin/env python3
"""Fine-tune on a person's samples: the `fine-tune` preset from the shipped weights.

The samples stand in for one person's handwriting: the mouse-drawn digits of tests/drawings.py
with that person's habits (a 1 with a flag and a foot, a 7 with a bar, a 4 drawn closed, a
strong slant, narrow letters, shaky strokes), 20 of each digit with random size, place, slant and
tremor. 200 (--samples) of them are trained on; 200 more drawn the same way but with another
seed are held out, to see whether the network learned the *style* and not just those drawings.

Prints, for the shipped weights and for the fine-tuned ones: MNIST test error (all 10,000), the
trained samples right, the held-out samples right; and the time of the run as
`train.py --preset fine-tune --init W --extra S` spends it (fresh interpreter start-up measured in
a subprocess, loading MNIST, evaluating before and after, training).

    python benchmarks/fine_tune.py [--data DIR] [--samples 200] [--threads N] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from drawings import UNIT_DIGITS, _arc, _line

from digitpad.network.lenet5 import LeNet5
from digitpad.paths import default_mnist_dir
from digitpad.training.presets import get_preset
from digitpad.storage.samples import make_sample
from digitpad.training.datasets import samples_dataset
from digitpad.training.loop import evaluate
from digitpad.training.run import RetrainRequest, load_run_data, run_training
from digitpad.storage.checkpoints import load_checkpoint, model_from_checkpoint, shipped_weights_path

#: This person's habits: digits drawn differently from tests/drawings.py (unit box, y down).
HABITS = {
    0: UNIT_DIGITS[0] + [_line((0.85, 0.05), (0.15, 0.95))],                        # slashed zero
    1: [_line((0.05, 0.4), (0.6, 0.02), (0.55, 0.98)), _line((0.25, 0.98), (0.85, 0.98))],  # long flag, foot
    2: [_arc(0.5, 0.3, 0.32, 0.28, 190, 380) + _line((0.8, 0.4), (0.25, 0.85))[1:]
        + _arc(0.3, 0.85, 0.12, 0.12, -90, 270)[1:] + _line((0.3, 0.97), (0.95, 0.97))[1:]],  # looped 2
    4: [_line((0.55, 0.0), (0.1, 0.62), (0.9, 0.62)), _line((0.55, 0.0), (0.62, 1.0))],   # closed 4
    7: UNIT_DIGITS[7] + [_line((0.3, 0.5), (0.8, 0.5))],                                # crossed 7
}


def person_drawing(digit: int, rng: random.Random) -> list[list[tuple[float, float]]]:
    """One drawing of `digit` in this person's style, on a 400×400 canvas."""
    unit = HABITS.get(digit, UNIT_DIGITS[digit])
    size = rng.uniform(120, 340)
    aspect = rng.uniform(0.45, 0.6)          # narrow
    slant = rng.uniform(0.25, 0.45)          # strongly slanted to the right
    ox, oy = rng.uniform(10, 400 - size * (aspect + slant) - 10), rng.uniform(10, 390 - size)
    wobble_phase = rng.uniform(0, 2 * math.pi)
    strokes = []
    for stroke in unit:
        points = []
        for i, (x, y) in enumerate(stroke):
            tremor = 0.012 * math.sin(0.7 * i + wobble_phase) + rng.gauss(0, 0.004)
            px = ox + ((x + tremor) * aspect + slant * (1 - y)) * size
            py = oy + (y + rng.gauss(0, 0.004)) * size
            points.append((px, py))
        strokes.append(points)
    return strokes


def person_samples(count: int, seed: int):
    rng = random.Random(seed)
    return samples_dataset([make_sample(person_drawing(i % 10, rng), i % 10) for i in range(count)])


def right(model: LeNet5, data) -> int:
    return len(data) - evaluate(model, data)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0, help="seed of the trained samples (held-out: seed + 1000)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, preset fine-tune, "
          f"{args.samples} samples")

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import digitpad.training.run, digitpad.cli.train"], check=True, cwd=ROOT)
    startup = time.perf_counter() - started

    samples, held_out = person_samples(args.samples, args.seed), person_samples(args.samples, args.seed + 1000)
    shipped = load_checkpoint(shipped_weights_path())
    config = get_preset("fine-tune").config()
    started = time.perf_counter()
    before = model_from_checkpoint(shipped)
    request = RetrainRequest(config, data_dir, shipped.state, before.rubbish_j, fine_tune=True, extra=samples)
    outcome = run_training(request, load_run_data(request))
    seconds = startup + time.perf_counter() - started

    after = outcome.result.model
    n = len(samples)
    print(f"shipped weights: MNIST test error {100 * outcome.old_test_error:.2f}%, "
          f"samples right {right(before, samples)}/{n}, held-out samples right {right(before, held_out)}/{n}")
    print(f"fine-tuned:      MNIST test error {100 * outcome.new_test_error:.2f}%, "
          f"samples right {right(after, samples)}/{n}, held-out samples right {right(after, held_out)}/{n}")
    print(f"change in MNIST test error: {100 * (outcome.new_test_error - outcome.old_test_error):+.2f} points; "
          f"time {seconds:.1f} s (start-up {startup:.1f} s, loading, evaluating before and after, training)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
