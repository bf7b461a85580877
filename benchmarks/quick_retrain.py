#!/usr/bin/env python3
"""Quick retrain: the `quick` preset from scratch beside the tutorial baseline, in one process.

digitpad: `python train.py --preset quick` without the file writing, i.e. the retraining pipeline
(`training_run.load_run_data` + `run_training`) with the preset's config, timed from loading
MNIST to the last test pass; the start-up of a fresh interpreter that imports it (measured in a
subprocess) is added, so the figure is what `train.py --preset quick` costs end to end.

Baseline: the tutorial way of benchmarks/train_speed.py (per-sample PIL Dataset, DataLoader,
the tutorial's LeNet-5, SGD with momentum), the whole test set after every epoch, timed from
loading MNIST, plus the same start-up. The script prints the baseline's error after the same
time as the quick preset took, its time to reach the quick preset's error (if it does within
--baseline-epochs), and the ratio.

    python benchmarks/quick_retrain.py [--data DIR] [--threads N] [--baseline-epochs 12] [--preset quick]

With a CUDA device the preset is run (and reported) on it too.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_speed import TutorialLeNet5, TutorialMnist

from digitpad.storage.mnist import load_mnist
from digitpad.paths import default_mnist_dir
from digitpad.training.presets import get_preset
from digitpad.training.run import RetrainRequest, load_run_data, run_training


def startup_seconds(repeats: int = 3) -> float:
    """A fresh interpreter importing the training pipeline (what train.py pays before any work)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import digitpad.training.run, digitpad.cli.train"], check=True,
                       cwd=ROOT)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def run_preset(name: str, data_dir: Path, device: str) -> tuple[float, float, list]:
    """(seconds from loading data to the last test, final test error, per-epoch history)."""
    config = get_preset(name).config(device=device)
    started = time.perf_counter()
    request = RetrainRequest(config, data_dir)
    outcome = run_training(request, load_run_data(request))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - started, outcome.new_test_error, outcome.result.history


def run_baseline(data_dir: Path, epochs: int, stop_below: float, seed: int = 0) -> list[tuple[float, float]]:
    """(seconds since loading began, test error) after each epoch of the tutorial's training."""
    started = time.perf_counter()
    train, test = load_mnist(data_dir, "train"), load_mnist(data_dir, "test")
    torch.manual_seed(seed)
    model = TutorialLeNet5()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = torch.utils.data.DataLoader(TutorialMnist(train.images, train.labels), batch_size=64, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    test_labels = torch.from_numpy(test.labels)
    points = []
    for _ in range(epochs):
        model.train()
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():  # the tutorial's test transform, on the whole test set
            x = (nn.functional.pad(torch.from_numpy(test.images).float() / 255, (2, 2, 2, 2)).unsqueeze(1)
                 - 0.1307) / 0.3081
            error = float((model(x).argmax(1) != test_labels).float().mean())
        points.append((time.perf_counter() - started, error))
        print(f"  baseline epoch {len(points)}: test error {100 * error:.2f}% at {points[-1][0]:.1f} s", flush=True)
        if error <= stop_below:
            break
    return points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="MNIST folder (default: $DIGITPAD_MNIST or "
                                                                 "../shared/data/mnist)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--baseline-epochs", type=int, default=12, help="give up on the baseline after this many")
    parser.add_argument("--preset", default="quick", help="the preset to measure (default quick)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, preset {args.preset}")
    startup = startup_seconds()
    print(f"start-up (fresh interpreter importing the training pipeline): {startup:.2f} s")

    results = {}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        seconds, error, history = run_preset(args.preset, data_dir, device)
        results[device] = (startup + seconds, error)
        epochs = ", ".join(f"{100 * e.test_error:.2f}%" + ("" if e.test_total == 10_000 else f" ({e.test_total})")
                           for e in history)
        print(f"digitpad {args.preset} preset on {device}: test error {100 * error:.2f}% in "
              f"{startup + seconds:.1f} s (start-up, loading, training and tests); per epoch: {epochs}", flush=True)

    quick_seconds, quick_error = results["cpu"]
    points = [(startup + t, e) for t, e in run_baseline(data_dir, args.baseline_epochs, quick_error)]
    within = [e for t, e in points if t <= quick_seconds]
    same_time = (f"{100 * within[-1]:.2f}% (its last epoch ending within {quick_seconds:.1f} s)" if within else
                 f"no epoch finished within {quick_seconds:.1f} s (first: {100 * points[0][1]:.2f}% at "
                 f"{points[0][0]:.1f} s)")
    print(f"baseline (tutorial network and loop) error after the same time: {same_time}")
    reached = [t for t, e in points if e <= quick_error]
    if reached:
        print(f"baseline time to {100 * quick_error:.2f}%: {reached[0]:.1f} s; "
              f"ratio baseline / digitpad {reached[0] / quick_seconds:.2f}x")
    else:
        print(f"baseline did not reach {100 * quick_error:.2f}% in {len(points)} epochs ({points[-1][0]:.1f} s, "
              f"best {100 * min(e for _, e in points):.2f}%): ratio baseline / digitpad > "
              f"{points[-1][0] / quick_seconds:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
