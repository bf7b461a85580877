#!/usr/bin/env python3
"""The longest GUI-thread stall when Model → Retrain… is first opened in a running app, until its
time estimate (a short trial training run in a worker thread) is shown.

Only the first opening in a process costs anything (the training code's imports, and torch's
optimizer machinery the trial run pulls in), so each repeat is a fresh process: the window loads
its network in the background as the app does, waits 1.5 s, then a 5 ms QTimer on the GUI
thread records the gaps between its ticks from just before Retrain… opens until the estimate
is there. Baseline in the same process: the longest gap of the same timer over an idle event
loop of the same length, and the ratio.

    python benchmarks/retrain_stall.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_stall import TICK_MS, GapRecorder, idle_once, run_event_loop_until  # noqa: E402


def open_retrain_once() -> dict:
    """In this (fresh) process: (longest stall opening Retrain…, seconds to the estimate, the
    idle loop's longest gap for as long)."""
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(load_model_in_background=True)
    window.show()
    run_event_loop_until(app, lambda: window.session is not None)
    settle = time.perf_counter() + 1.5  # what the app does after start-up (dialog imports) settles
    run_event_loop_until(app, lambda: time.perf_counter() >= settle)
    recorder = GapRecorder()
    recorder.start()
    started = time.perf_counter()
    dialog = window.model_dialogs.open_retrain()
    run_event_loop_until(app, lambda: "about" in dialog.estimate.text() or "No estimate" in dialog.estimate.text())
    elapsed = time.perf_counter() - started
    stall = recorder.stop()
    idle = idle_once(app, elapsed)
    dialog.reject()
    window.close()
    return {"stall_ms": 1000 * stall, "seconds": elapsed, "idle_ms": 1000 * idle}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(open_retrain_once()))
        return 0
    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    stalls = [r["stall_ms"] for r in runs]
    stall, idle = statistics.median(stalls), statistics.median(r["idle_ms"] for r in runs)
    print(f"{args.repeats} fresh app processes, a {TICK_MS} ms timer on the GUI thread")
    print(f"opening Retrain… the first time: longest GUI stall median {stall:.0f} ms (each run: "
          f"{', '.join(f'{s:.0f}' for s in stalls)}); estimate shown after median "
          f"{statistics.median(r['seconds'] for r in runs):.2f} s")
    print(f"baseline, the idle event loop for as long: longest gap median {idle:.0f} ms; ratio {stall / idle:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
