#!/usr/bin/env python3
"""Start-up time: launching `python -m digitpad` until its window is usable and its model ready.

Runs the app in a subprocess (offscreen, fresh settings) with DIGITPAD_STARTUP_PROBE set to the
launch time; the app reports (see digitpad/gui/startup_probe.py) and quits once the model is
ready:

- window usable: from the launch until the window is shown and has had one event-loop turn
  (the goal: ≤ 1.5 s);
- model ready:   until the network, loaded in a background thread, is installed (the first
  recognition possible);
- longest stall: the largest gap between the ticks of a 5 ms timer on the GUI thread while the
  model loads (5 ms = never blocked): how long the window could not react, at worst.

Baseline in the same run: a bare `python -c "import torch"`, the floor for anything that needs
torch. Prints medians over --repeats runs (runs alternate between the app and the baseline).

    python benchmarks/startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROBE_PREFIX = "digitpad-startup-probe "  # digitpad.gui.startup_probe.PREFIX (not imported: no Qt here)
GOAL_SECONDS = 1.5


def run(command: list[str], env: dict) -> tuple[float, str]:
    """Wall time from launch to exit, and standard output."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return time.perf_counter() - started, result.stdout


def probe_app(env: dict) -> dict:
    env = dict(env, DIGITPAD_STARTUP_PROBE=repr(time.time()))
    wall, out = run([sys.executable, "-m", "digitpad"], env)
    lines = [line for line in out.splitlines() if line.startswith(PROBE_PREFIX)]
    if not lines:
        raise SystemExit(f"the app printed no start-up report:\n{out}")
    report = json.loads(lines[-1][len(PROBE_PREFIX):])
    if report["error"]:
        raise SystemExit(f"the app could not load its model: {report['error']}")
    report["exit"] = wall
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    # Fresh settings and data: the default window and the shipped weights, as at a first start.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="digitpad-bench-"),
               DIGITPAD_HOME=tempfile.mkdtemp(prefix="digitpad-bench-home-"))
    reports, torch_only = [], []
    for _ in range(args.repeats):
        reports.append(probe_app(env))
        torch_only.append(run([sys.executable, "-c", "import torch"], env)[0])

    def median(key: str) -> float:
        return statistics.median(r[key] for r in reports)

    usable, ready, baseline = median("usable"), median("model_ready"), statistics.median(torch_only)
    stalls = sorted(1000 * r["max_stall"] for r in reports)
    n = args.repeats
    print(f"digitpad, process start → window shown and usable: median {usable:.2f} s over {n} runs "
          f"(goal ≤ {GOAL_SECONDS} s: {'met' if usable <= GOAL_SECONDS else 'not met'})")
    print(f"digitpad, process start → model ready (first recognition possible): median {ready:.2f} s")
    print(f"baseline, `python -c 'import torch'` (launch → exit): median {baseline:.2f} s")
    print(f"ratios to the baseline: window usable {usable / baseline:.2f}x, model ready {ready / baseline:.2f}x")
    print(f"longest GUI-thread stall while the model loads (5 ms timer): median {statistics.median(stalls):.0f} ms, "
          f"worst {stalls[-1]:.0f} ms; runs: {', '.join(f'{s:.0f}' for s in stalls)} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
