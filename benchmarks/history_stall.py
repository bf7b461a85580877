#!/usr/bin/env python3
"""The longest GUI-thread stall while Model → Weights History… opens with N adopted checkpoints.

Each adopted checkpoint is loaded and validated (torch.load with weights_only, the metadata
checks, a probe forward pass): tens of milliseconds a file. A 5 ms QTimer on the GUI thread
records the gaps between its ticks from just before the dialog is opened until every row of the
list is filled in; the longest gap is how long the window could not react, at worst (5 ms: never
blocked). Baseline in the same process: the longest gap of the same timer over an idle event loop
of the same length (what the machine's scheduling costs on its own), and the ratio.

    python benchmarks/history_stall.py [--checkpoints 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

TICK_MS = 5


def make_checkpoints(folder: Path, count: int) -> None:
    import torch

    from digitpad.network.lenet5 import LeNet5
    from digitpad.storage.checkpoints import save_checkpoint
    from digitpad.storage.run_metrics import RunMetrics

    for n in range(count):
        save_checkpoint(folder / f"2026-01-{n + 1:02d}_10-00-00.pt", LeNet5(generator=torch.Generator().manual_seed(n)),
                        {"epochs": 2, "optimizer": "adam"}, RunMetrics(test_error=0.01 + n / 1000))


class GapRecorder:
    """The longest gap between ticks of a TICK_MS timer on the GUI thread while it runs."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.longest = 0.0
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def start(self) -> None:
        self.longest, self._last = 0.0, time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self._tick()  # the time since the last tick counts too
        self.timer.stop()
        return self.longest


def run_event_loop_until(app, done, timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out waiting for the weights history to fill in")
        app.processEvents()
        time.sleep(0.001)  # not a busy loop: the timer's events still arrive on time


def open_history_once(app, folder: Path, count: int) -> tuple[float, float]:
    """(longest stall, seconds until every row is filled in) for one opening of the dialog."""
    from digitpad.gui.windows.weights_history import WeightsHistoryDialog

    recorder = GapRecorder()
    recorder.start()
    started = time.perf_counter()
    holder = {}
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, lambda: holder.setdefault("dialog", WeightsHistoryDialog(lambda: folder, lambda: None)))

    def filled() -> bool:
        dialog = holder.get("dialog")
        # the older dialog loads everything in its constructor; the newer one says when it is done
        return dialog is not None and len(dialog.entries) == count and not getattr(dialog, "is_loading", bool)()

    run_event_loop_until(app, filled)
    elapsed = time.perf_counter() - started
    stall = recorder.stop()
    dialog = holder["dialog"]
    dialog.close()
    dialog.deleteLater()
    app.processEvents()
    return stall, elapsed


def idle_once(app, seconds: float) -> float:
    recorder = GapRecorder()
    recorder.start()
    deadline = time.perf_counter() + seconds
    run_event_loop_until(app, lambda: time.perf_counter() >= deadline)
    return recorder.stop()


def measure(app, open_once, repeats: int) -> tuple[list[float], float, float, float]:
    """Open a window `repeats` times with `open_once()`, which returns (longest stall, seconds to fill in):
    (each run's stall in ms, the median stall, the median fill time, the median longest gap of
    the idle event loop for as long, the baseline)."""
    stalls, fills, idles = [], [], []
    for _ in range(repeats):
        stall, fill = open_once()
        stalls.append(1000 * stall)
        fills.append(fill)
        idles.append(1000 * idle_once(app, fill))
    return stalls, statistics.median(stalls), statistics.median(fills), statistics.median(idles)


def report(opening: str, filled: str, stalls: list[float], stall: float, fill: float, idle: float) -> None:
    """The benchmark's two lines: the stall opening the window, and the idle baseline."""
    each = ", ".join(f"{s:.0f}" for s in stalls)
    print(f"opening {opening}: longest GUI stall median {stall:.0f} ms (each run: {each}); "
          f"{filled} after median {fill:.2f} s")
    print(f"baseline, the idle event loop for as long: longest gap median {idle:.0f} ms; ratio {stall / idle:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import torch
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(1)  # as the app does for recognition; and the machine is shared
    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="digitpad-history-bench-"))
    make_checkpoints(folder, args.checkpoints)
    from digitpad.storage.checkpoints import load_checkpoint

    load_checkpoint(next(folder.glob("*.pt")))  # warm up: torch's first load pays for its imports

    stalls, stall, fill, idle = measure(app, lambda: open_history_once(app, folder, args.checkpoints), args.repeats)
    print(f"torch {torch.__version__}, {args.checkpoints} adopted checkpoints, {args.repeats} openings, "
          f"a {TICK_MS} ms timer on the GUI thread")
    report("Weights History", "every row filled in", stalls, stall, fill, idle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
