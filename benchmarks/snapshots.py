#!/usr/bin/env python3
"""The training time-lapse's cost: a run with its 41 snapshots vs the same run without, in one process.

Both runs train the same config (seed, data, epochs) through digitpad.training.loop.train; the
script alternates them --repeats times and prints the median seconds of each, the ratio, the
time to write the snapshots file (atomically, fsync'd) and its size. On a shared machine two whole
runs differ by more than the snapshots cost, so the time spent inside the recorder (copying the
weights, swapping the averaged ones in and out) is also summed, as a share of its run. The goal
(issue 24): ≤ 5 % added to a run, ≤ 10 MB per run.

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


class TimedRecorder(SnapshotRecorder):
    """A recorder that sums the seconds spent taking its snapshots."""

    seconds = 0.0

    def take(self, step, model, loss) -> None:
        started = time.perf_counter()
        super().take(step, model, loss)
        self.seconds += time.perf_counter() - started


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
    plain, recorded, writes, inside = [], [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        train(config, train_set, test_set, device)
        plain.append(time.perf_counter() - started)
        recorder = TimedRecorder()
        started = time.perf_counter()
        train(config, train_set, test_set, device, recorder=recorder)
        snapshots = recorder.snapshots()
        recorded.append(time.perf_counter() - started)
        inside.append(recorder.seconds / recorded[-1])
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
    print(f"  time inside the recorder: {100 * statistics.median(inside):.2f} % of its run "
          f"(+ writing: {100 * (statistics.median(inside) + write / with_snapshots):.2f} %)")


if __name__ == "__main__":
    main()
