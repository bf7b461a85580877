#!/usr/bin/env python3
"""Training with subnormal floats treated as zero (training.loop.train, since 3 December) against
the same run with IEEE's gradual underflow (the loop called directly on this thread, as before),
in one process, alternating: seconds per epoch, and the ratio of whole runs. From scratch with
TrainingConfig's defaults (the full preset's first stage, shorter); the first epochs have few
subnormals, the later ones many.

    python benchmarks/subnormals.py [--images 15000] [--epochs 4] [--threads 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.training.config import TrainingConfig  # noqa: E402
from digitpad.training.datasets import mnist_dataset  # noqa: E402
from digitpad.training.loop import _train, train  # noqa: E402
from digitpad.training.progress import SILENT  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=15_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data_dir = default_mnist_dir()
    train_set = mnist_dataset(data_dir, "train", args.images)
    test_set = mnist_dataset(data_dir, "test", 1000)
    config = TrainingConfig(epochs=args.epochs, seed=1, test_limit=1000)
    cpu = torch.device("cpu")
    runs = {"gradual underflow (before)": [], "subnormals as zero (train)": []}
    for _ in range(args.repeats):
        for name in runs:
            if name.startswith("gradual"):
                result = _train(config, train_set, test_set, cpu, None, SILENT, None, None)
            else:
                result = train(config, train_set, test_set, cpu)
            runs[name].append(result)
    print(f"torch {torch.__version__}, {args.threads} threads, {args.images:,} images, {args.epochs} epochs, "
          f"{args.repeats} repeat(s)")
    totals = {}
    for name, results in runs.items():
        per_epoch = [statistics.median(r.history[e].seconds for r in results) for e in range(args.epochs)]
        totals[name] = statistics.median(sum(e.seconds for e in r.history) for r in results)
        errors = [r.history[-1].test_errors for r in results]
        print(f"{name}: {totals[name]:.1f} s (median); per epoch " + ", ".join(f"{s:.1f}" for s in per_epoch)
              + f" s; test errors after the run {errors} of 1,000")
    before, after = totals.values()
    print(f"ratio before / after: {before / after:.2f}x")


if __name__ == "__main__":
    main()
