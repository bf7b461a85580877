#!/usr/bin/env python3
"""How fast the command line answers: `digitpad --help` against `python -c "import torch"`.

`--help`, `--version`, `<command> --help` and argument errors import neither torch nor numpy
(digitpad/cli/main.py builds its parser from torch-free modules), so they should cost a small
fraction of importing torch. Both run as fresh processes, alternating, in one run; prints the
medians and their ratio (the goal: ≤ 0.3).

    python benchmarks/cli_startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.3


def seconds(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=120)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    commands = {
        "digitpad --help": [sys.executable, "-m", "digitpad", "--help"],
        "digitpad train --help": [sys.executable, "-m", "digitpad", "train", "--help"],
        "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    seconds(commands["python -c 'import torch'"], env)  # warm the file cache once
    for _ in range(args.repeats):
        for name, command in commands.items():
            times[name].append(seconds(command, env))
    torch = statistics.median(times["python -c 'import torch'"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<26} median {1000 * median:6.0f} ms  ({median / torch:.2f}× import torch)")
    ratio = statistics.median(times["digitpad --help"]) / torch
    print(f"digitpad --help / import torch: {ratio:.2f} (goal ≤ {GOAL_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
