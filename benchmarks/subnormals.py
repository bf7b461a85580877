#!/usr/bin/env python3
"""Training with subnormal floats treated as zero (as train.py and the Retrain dialog's job train
since 3 December: training.loop.subnormals_as_zero before any parallel work) against IEEE's
gradual underflow (before): seconds per epoch, and the ratio of whole runs. Each run is a fresh
process, alternating, because the mode must be set before torch starts its worker threads. From
scratch with TrainingConfig's defaults (the full preset's first stage, shorter): the first epochs
have few subnormals, the later ones many.

    python benchmarks/subnormals.py [--images 15000] [--epochs 4] [--threads 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(variant: str, images: int, epochs: int, threads: int) -> None:
    """In this (fresh) process: one training run, its history as JSON on stdout."""
    import torch

    sys.path.insert(0, str(ROOT))
    from digitpad.paths import default_mnist_dir
    from digitpad.training.config import TrainingConfig
    from digitpad.training.datasets import mnist_dataset
    from digitpad.training.loop import _train, subnormals_as_zero, train
    from digitpad.training.progress import SILENT

    torch.set_num_threads(threads)
    # "after" as train.py does it: the mode set before any parallel work, data loading included.
    with subnormals_as_zero() if variant == "after" else contextlib.nullcontext():
        data_dir = default_mnist_dir()
        train_set, test_set = mnist_dataset(data_dir, "train", images), mnist_dataset(data_dir, "test", 1000)
        config = TrainingConfig(epochs=epochs, seed=1)
        cpu = torch.device("cpu")
        result = (train(config, train_set, test_set, cpu) if variant == "after"
                  else _train(config, train_set, test_set, cpu, None, SILENT, None, None))
    print(json.dumps({"seconds": [e.seconds for e in result.history], "errors": result.history[-1].test_errors}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=15_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--variant", choices=("before", "after"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        one_run(args.variant, args.images, args.epochs, args.threads)
        return
    names = {"before": "gradual underflow (before)", "after": "subnormals as zero (now)"}
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for _ in range(args.repeats):
        for variant in runs:
            out = subprocess.run([sys.executable, __file__, "--variant", variant, "--images", str(args.images),
                                  "--epochs", str(args.epochs), "--threads", str(args.threads)],
                                 check=True, capture_output=True, text=True).stdout
            runs[variant].append(json.loads(out.strip().splitlines()[-1]))
    print(f"{args.threads} threads, {args.images:,} images, {args.epochs} epochs, {args.repeats} repeat(s), "
          "a fresh process per run")
    totals = {}
    for variant, results in runs.items():
        per_epoch = [statistics.median(r["seconds"][e] for r in results) for e in range(args.epochs)]
        totals[variant] = statistics.median(sum(r["seconds"]) for r in results)
        print(f"{names[variant]}: {totals[variant]:.1f} s (median); per epoch "
              + ", ".join(f"{s:.1f}" for s in per_epoch)
              + f" s; test errors after the run {[r['errors'] for r in results]} of 1,000")
    print(f"ratio before / now: {totals['before'] / totals['after']:.2f}x")


if __name__ == "__main__":
    main()
