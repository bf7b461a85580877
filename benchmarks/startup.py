#!/usr/bin/env python3
"""Start-up time: launching `python -m digitpad` until its window is shown and usable.

Runs the app in a subprocess (offscreen) with DIGITPAD_STARTUP_PROBE set, which makes the main
window print the time since process start once the model is loaded and the window is shown,
then quit. Baseline in the same run: a bare `python -c "import torch"` — the floor no app
that uses torch can go below. Prints medians over --repeats runs.

    python benchmarks/startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import tempfile

    # Fresh settings: the default window, shipped weights, as at a first start.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DIGITPAD_STARTUP_PROBE="1",
               XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="digitpad-bench-"))
    app, torch_only = [], []
    for _ in range(args.repeats):
        app.append(timed([sys.executable, "-m", "digitpad"], env))
        torch_only.append(timed([sys.executable, "-c", "import torch"], env))
    print(f"digitpad to a usable window (process start → window shown with model loaded → exit): "
          f"median {statistics.median(app):.2f} s over {args.repeats} runs")
    print(f"baseline, `python -c 'import torch'`: median {statistics.median(torch_only):.2f} s")
    print(f"ratio: {statistics.median(app) / statistics.median(torch_only):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
