#!/usr/bin/env python3
"""The paper's SDLM against Adam: test error and time for the paper's 20 passes, no distortions.

Both train the faithful LeNet-5 with eq. 9 on the 60,000 MNIST training images in one process
and report the test error after every pass and the total time. Takes about 25 minutes on two
CPU cores.

    python benchmarks/optimizers.py [--epochs 20] [--threads 1] [--eta-scale 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.training import TrainingConfig, mnist_dataset, train  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--eta-scale", type=float, default=TrainingConfig().sdlm_eta_scale)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    train_set, test_set = mnist_dataset(data_dir, "train"), mnist_dataset(data_dir, "test")
    device = torch.device("cpu")
    runs = {
        "SDLM (paper: μ 0.02, η schedule, 500-pattern Hessian)":
            TrainingConfig(epochs=args.epochs, optimizer="sdlm", distort=False, sdlm_eta_scale=args.eta_scale),
        "Adam (digitpad's recipe without distortions)": TrainingConfig(epochs=args.epochs, distort=False),
    }
    for name, config in runs.items():
        started = time.perf_counter()
        result = train(config, train_set, test_set, device,
                       on_epoch=lambda e: print(f"  pass {e.epoch}: test error {100 * e.test_error:.2f}%",
                                                flush=True))
        best = min(result.history, key=lambda e: e.test_error)
        print(f"{name}: test error {100 * result.test_error:.2f}% after {args.epochs} passes "
              f"(best {100 * best.test_error:.2f}% at pass {best.epoch}), {time.perf_counter() - started:.0f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
