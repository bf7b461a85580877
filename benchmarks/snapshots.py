#!/usr/bin/env python3
"""The training time-lapse's cost: a run with its 41 snapshots vs the same run without, in one process.

Both runs train the same config (seed, data, epochs) through digitpad.training.loop.train; the
script alternates them --repeats times and prints the median seconds of each, the ratio, the
time to write the snapshots file (atomically, fsync'd) and its size. The goal (issue 24): ≤ 5 %
added to a run, ≤ 10 MB per run.

    python benchmarks/snapshots.py [--data DIR] [--samples 6000] [--epochs 2] [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.storage.snapshots import save_snapshots  # noqa: E402
from digitpad.training.config import TrainingConfig  # noqa: E402
from digitpad.training.datasets import mnist_dataset  # noqa: E402
from digitpad.training.loop import train  # noqa: E402
from digitpad.training.snapshot_recorder import SnapshotRecorder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    train_set = mnist_dataset(data_dir, "train", args.samples)
    test_set = mnist_dataset(data_dir, "test", 2000)
    config = TrainingConfig(epochs=args.epochs, train_limit=args.samples, test_limit=2000)
    device = torch.device("cpu")
    plain, recorded, writes = [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        train(config, train_set, test_set, device)
        plain.append(time.perf_counter() - started)
        recorder = SnapshotRecorder()
        started = time.perf_counter()
        train(config, train_set, test_set, device, recorder=recorder)
        snapshots = recorder.snapshots()
        recorded.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            path = save_snapshots(Path(folder) / "run.pt", snapshots)
            writes.append(time.perf_counter() - started)
            size = path.stat().st_size
    base, with_snapshots, write = (statistics.median(x) for x in (plain, recorded, writes))
    print(f"{args.samples:,} images × {args.epochs} epochs, {args.threads} threads, median of {args.repeats}:")
    print(f"  without snapshots: {base:.2f} s")
    print(f"  with {len(snapshots)} snapshots: {with_snapshots:.2f} s  (×{with_snapshots / base:.3f})")
    print(f"  writing them: {1000 * write:.0f} ms, {size / 1e6:.2f} MB "
          f"(with the run: ×{(with_snapshots + write) / base:.3f})")


if __name__ == "__main__":
    main()
