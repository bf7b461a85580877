#!/usr/bin/env python3
"""The paper's SDLM against Adam: test error and time for the paper's 20 passes.

Both train the faithful LeNet-5 with eq. 9 on the 60,000 MNIST training images in one process,
with the paper's random affine distortions (--no-distort: the plain training set, as in the
paper's 0.95 % run), and report the test error after every pass and the total time. Takes
20–25 minutes on one CPU thread.

    python benchmarks/optimizers.py [--epochs 20] [--threads 1] [--no-distort] [--eta-scale 2.5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.training.datasets import mnist_dataset  # noqa: E402
from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.training.config import TrainingConfig
from digitpad.training.loop import train
from digitpad.training.progress import RunProgress


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--eta-scale", type=float, default=TrainingConfig().sdlm_eta_scale,
                        help="SDLM: multiply the paper's η schedule by this")
    parser.add_argument("--distort", action=argparse.BooleanOptionalAction, default=True,
                        help="the paper's random affine distortions for both (default: on)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    train_set, test_set = mnist_dataset(data_dir, "train"), mnist_dataset(data_dir, "test")
    device = torch.device("cpu")
    data_note = "with distortions" if args.distort else "without distortions"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.epochs} passes, {data_note}",
          flush=True)
    runs = {
        f"SDLM (paper: μ 0.02, η schedule ×{args.eta_scale:g}, 500-pattern Hessian; {data_note})":
            TrainingConfig(epochs=args.epochs, optimizer="sdlm", distort=args.distort,
                           sdlm_eta_scale=args.eta_scale),
        f"Adam (digitpad's recipe; {data_note})": TrainingConfig(epochs=args.epochs, distort=args.distort),
    }
    for name, config in runs.items():
        started = time.perf_counter()
        result = train(config, train_set, test_set, device,
                       progress=RunProgress(on_epoch=lambda e: print(f"  pass {e.epoch}: test error "
                                                                     f"{100 * e.test_error:.2f}%", flush=True)))
        best = min(result.history, key=lambda e: e.test_error)
        print(f"{name}: test error {100 * result.test_error:.2f}% after {args.epochs} passes "
              f"(best {100 * best.test_error:.2f}% at pass {best.epoch}), {time.perf_counter() - started:.0f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
