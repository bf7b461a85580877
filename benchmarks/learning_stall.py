#!/usr/bin/env python3
"""The longest GUI-thread stall in Model → Mistakes… and Model → Training Time-lapse… (issue 24).

A 5 ms QTimer on the GUI thread records the gaps between its ticks (history_stall.GapRecorder)
while, in the main window with the shipped weights:

1. evaluating: Mistakes… judges the MNIST test set (the background job, its progress and the
   grid and heat map filling in), from the click until the report is shown;
2. filtering: a report of an untrained network's 10,000 mistakes (as many as a set can list) is
   shown, then filtered by every true digit and every confusion cell in turn, 20 ms apart;
3. scrolling: that grid scrolled from top to bottom a page at a time (each page painted while its
   thumbnails arrive from their background job), 20 ms apart;
4. scrubbing: the time-lapse of 41 snapshots stepped through one by one (kernels, F6, penalties
   and curves redrawn for a drawing on the canvas), 20 ms apart.

Baseline in the same process: the idle event loop for as long, and the ratio.

    python benchmarks/learning_stall.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_stall import TICK_MS, GapRecorder, idle_once, run_event_loop_until  # noqa: E402

STEP_MS = 20


GC_PAUSES: list[float] = []   # seconds of each full (generation 2) garbage collection


def _time_gc(phase: str, info: dict, started: list[float] = [0.0]) -> None:  # noqa: B006 - a static
    if info.get("generation") == 2:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            GC_PAUSES.append(time.perf_counter() - started[0])


def run_steps(app, steps) -> tuple[float, float]:
    """Run each of `steps` from the event loop, each STEP_MS after the previous one ended (not on a
    fixed schedule: a backlog of due steps would run back to back and add up to one long gap):
    (longest gap, seconds)."""
    from PySide6.QtCore import QTimer

    recorder = GapRecorder()
    recorder.start()
    started = time.perf_counter()
    remaining = list(steps)

    def next_step() -> None:
        if remaining:
            remaining.pop(0)()
            QTimer.singleShot(STEP_MS, next_step)

    QTimer.singleShot(STEP_MS, next_step)
    run_event_loop_until(app, lambda: not remaining, timeout_s=600)
    return recorder.stop(), time.perf_counter() - started


def evaluate_once(app, mistakes) -> tuple[float, float]:
    from PySide6.QtCore import QTimer

    recorder = GapRecorder()
    recorder.start()
    started = time.perf_counter()
    finished = []
    mistakes.evaluated.connect(lambda: finished.append(True))
    QTimer.singleShot(0, mistakes.evaluate)
    run_event_loop_until(app, lambda: bool(finished), timeout_s=600)
    mistakes.evaluated.disconnect()
    return recorder.stop(), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ["DIGITPAD_HOME"] = tempfile.mkdtemp(prefix="digitpad-learning-bench-")

    import torch
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(1)  # as the app does for recognition; and the machine is shared
    app = QApplication.instance() or QApplication([])
    from digitpad.explain.mistakes import list_mistakes, mnist_test_examples
    from digitpad.gui.main_window import MainWindow
    from digitpad.network.lenet5 import LeNet5
    from digitpad.paths import default_mnist_dir
    from digitpad.storage.snapshots import Snapshots

    window = MainWindow()
    window.resize(1024, 700)
    window.show()
    run_event_loop_until(app, lambda: window.recognizer is not None)
    window.drawing.add_stroke([(60.0, 40.0), (180.0, 40.0), (110.0, 220.0)])
    mistakes = window.learning.open_mistakes()
    results = {}
    gc.callbacks.append(_time_gc)

    def record(name, measure_once):
        stalls, seconds = [], []
        GC_PAUSES.clear()
        for _ in range(args.repeats):
            stall, elapsed = measure_once()
            stalls.append(1000 * stall)
            seconds.append(elapsed)
        idle = 1000 * statistics.median(idle_once(app, statistics.median(seconds)) for _ in range(args.repeats))
        results[name] = (stalls, statistics.median(stalls), statistics.median(seconds), idle, max(GC_PAUSES, default=0))

    record("evaluating the MNIST test set", lambda: evaluate_once(app, mistakes))

    torch.manual_seed(0)
    untrained = list_mistakes(LeNet5(), mnist_test_examples(default_mnist_dir()))
    mistakes.show_report(untrained)
    cells = [(t, c) for t in range(10) for c in range(11) if t != c]
    filters = [lambda t=t: mistakes.true_choice.setCurrentIndex(t + 1) for t in range(10)]
    filters += [lambda t=t, c=c: mistakes.filter_to_cell(t, c) for t, c in cells]
    record(f"filtering {len(untrained.mistakes):,} mistakes ({len(filters)} filters)",
           lambda: run_steps(app, filters))

    def scroll_all() -> tuple[float, float]:
        mistakes.show_report(untrained)
        run_event_loop_until(app, lambda: mistakes.grid.verticalScrollBar().maximum() > 0)
        for _ in range(200):  # the batched layout of 10,000 items ends
            app.processEvents()
        bar = mistakes.grid.verticalScrollBar()
        pages = range(0, bar.maximum() + bar.pageStep(), bar.pageStep())
        return run_steps(app, [lambda v=v: (bar.setValue(v), mistakes.grid.viewport().repaint()) for v in pages])

    record(f"scrolling the grid of {len(untrained.mistakes):,}", scroll_all)

    states = [LeNet5().state_dict() for _ in range(41)]
    snapshots = Snapshots(list(range(41)), [i / 4 for i in range(41)], [None] + [1.0 / i for i in range(1, 41)],
                          {k: torch.stack([s[k] for s in states]).half() for k in states[0]},
                          [{"epoch": e, "train_loss": 1.0 / e, "test_error": 0.1 / e} for e in range(1, 11)])
    timelapse = window.learning._timelapse()
    timelapse.show()
    timelapse._set(snapshots, "benchmark")
    record("scrubbing 41 snapshots", lambda: run_steps(app, [lambda i=i: timelapse.slider.setValue(i)
                                                             for i in range(41)]))

    print(f"window 1024×700, a {TICK_MS} ms timer on the GUI thread, {args.repeats} runs each (median):")
    for name, (stalls, stall, seconds, idle, gc_pause) in results.items():
        each = ", ".join(f"{s:.0f}" for s in stalls)
        print(f"  {name}: longest GUI stall {stall:.0f} ms (each run: {each}) over {seconds:.1f} s; "
              f"idle baseline {idle:.0f} ms, ratio {stall / idle:.1f}x; longest full garbage collection "
              f"{1000 * gc_pause:.0f} ms")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
