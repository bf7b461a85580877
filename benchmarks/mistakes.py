#!/usr/bin/env python3
"""Listing the mistakes on the MNIST test set vs `digitpad evaluate`'s error count, in one process.

Both take the shipped weights and the MNIST test set already in memory: `evaluate` is what
`digitpad evaluate` runs (training.loop.evaluate: a forward pass, argmin); `list_mistakes` judges
each example as the window does (rubbish posterior, "not sure"), lists the mistakes sorted by
margin and counts the confusion matrix. Median of --repeats each, alternated, and the ratio
(goal, issue 24: ≤ 2×). Also the whole commands, `digitpad evaluate` and `digitpad evaluate
--mistakes --json`, timed as processes (median of 3; they include starting Python and torch).

    python benchmarks/mistakes.py [--repeats 7] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.explain.mistakes import list_mistakes, mnist_test_examples  # noqa: E402
from digitpad.storage.checkpoints import load_model  # noqa: E402
from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.training.datasets import mnist_dataset  # noqa: E402
from digitpad.training.loop import evaluate  # noqa: E402


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = load_model()
    data_dir = default_mnist_dir()
    test_set = mnist_dataset(data_dir, "test")
    examples = mnist_test_examples(data_dir)
    plain, listed = [], []
    for _ in range(args.repeats):
        plain.append(timed(lambda: evaluate(model, test_set)))
        listed.append(timed(lambda: list_mistakes(model, examples)))
    report = list_mistakes(model, examples)
    base, mistakes = statistics.median(plain), statistics.median(listed)
    print(f"MNIST test set ({len(examples):,} images), {args.threads} threads, median of {args.repeats}:")
    print(f"  evaluate (digitpad evaluate's count): {1000 * base:.0f} ms")
    print(f"  list_mistakes ({len(report.mistakes)} mistakes, confusion matrix): {1000 * mistakes:.0f} ms "
          f"(×{mistakes / base:.2f})")
    commands = {"digitpad evaluate": [], "digitpad evaluate --mistakes --json": []}
    for _ in range(3):
        for command, times in commands.items():
            argv = [sys.executable, "-m", "digitpad", *command.split()[1:]]
            times.append(timed(lambda argv=argv: subprocess.run(argv, check=True, capture_output=True)))
    (a, b) = (statistics.median(t) for t in commands.values())
    print(f"  as commands (processes, median of 3): {a:.2f} s and {b:.2f} s (×{b / a:.2f})")


if __name__ == "__main__":
    main()
