#!/usr/bin/env python3
"""Recognition latency: strokes → 32×32 → forward with all internals → panels painted.

Two measurements over realistic drawings (the ten digits in six styles, replayed as they grow
stroke by stroke, as during live recognition):

- core: `Recognizer.recognize_strokes` (rendering, normalisation, forward with internals);
- GUI:  the real MainWindow offscreen — set the strokes on the canvas, `recognize_now()`
        (core + every panel updated), then let the event loop paint what changed, as after a
        mouse move; and, as a worst case, `repaint()` of the whole window. The baseline in
        the same process is the core alone.

Prints p50 and p95 in milliseconds: wall time, and the GUI thread's CPU time (time.thread_time),
which other programs on a busy machine inflate much less.   python benchmarks/latency.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Fresh settings, so the window has its default layout (every panel shown), not the last session's.
os.environ["XDG_CONFIG_HOME"] = __import__("tempfile").mkdtemp(prefix="digitpad-bench-")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from drawings import VARIANTS, draw  # noqa: E402


def growing_drawings():
    """Every digit in every style, cut at several points of its drawing (live recognition)."""
    for variant in VARIANTS.values():
        for digit in range(10):
            strokes = draw(digit, **variant)
            points = sum(len(s) for s in strokes)
            for fraction in (0.3, 0.6, 1.0):
                budget, partial = int(points * fraction), []
                for stroke in strokes:
                    if budget <= 0:
                        break
                    partial.append(stroke[:max(1, budget)])
                    budget -= len(stroke)
                yield partial


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {1000 * statistics.median(ordered):.2f} ms, p95 {1000 * p95:.2f} ms ({len(ordered)} runs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import torch
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.app import make_application

    torch.set_num_threads(1)  # what the app uses for recognition
    app = make_application(["latency"])
    from digitpad.gui.main_window import MainWindow

    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    QApplication.processEvents()
    recognizer = window.recognizer
    drawings = list(growing_drawings())

    core, gui, gui_internals, gui_full, gui_internals_full = [], [], [], [], []
    cpu = {"core": [], "f6": [], "internals": []}  # the GUI thread's CPU time per update
    # Setting the strokes is an edit of the drawing (Change.EDITED), as releasing the pen is, and
    # the window recognises on that notification: one recognition per update, counted to make sure.
    recognitions = []
    window.context.recognized.connect(recognitions.append)
    for _ in range(args.rounds):
        for strokes in drawings:
            started, started_cpu = time.perf_counter(), time.thread_time()
            recognizer.recognize_strokes(strokes)
            core.append(time.perf_counter() - started)
            cpu["core"].append(time.thread_time() - started_cpu)
        # The F6 and internals panels share a tab at this window size: time the window with each,
        # painting as the app does (only what changed, when the event loop runs) and, as a worst
        # case, repainting the whole window.
        for dock, updated, repainted, cpu_used in ((window.f6_dock, gui, gui_full, cpu["f6"]),
                                                   (window.internals_dock, gui_internals, gui_internals_full,
                                                    cpu["internals"])):
            dock.raise_()
            QApplication.processEvents()
            recognitions.clear()
            for strokes in drawings:
                started, started_cpu = time.perf_counter(), time.thread_time()
                window.drawing.set_strokes(strokes)  # recognises, updates every panel
                QApplication.processEvents()  # runs the paint events of the widgets that changed
                updated.append(time.perf_counter() - started)
                cpu_used.append(time.thread_time() - started_cpu)
                started = time.perf_counter()
                window.drawing.set_strokes(strokes)
                window.repaint()
                repainted.append(time.perf_counter() - started)
            if len(recognitions) != 2 * len(drawings) or not all(recognitions):
                raise SystemExit(f"expected one recognition per update, got {len(recognitions)} "
                                 f"for {2 * len(drawings)} updates")
    print(f"device: {recognizer.device}, torch threads: {torch.get_num_threads()}")
    print(f"core (strokes → 32×32 → forward with internals): {percentiles(core)}")
    print(f"GUI update, F6 panel shown:                 {percentiles(gui)}")
    print(f"GUI update, internals shown:                {percentiles(gui_internals)}")
    print(f"whole window repainted, F6 panel shown:     {percentiles(gui_full)}")
    print(f"whole window repainted, internals shown:    {percentiles(gui_internals_full)}")
    print(f"GUI thread CPU time: core {percentiles(cpu['core'])}")
    print(f"                     GUI update, F6 panel shown  {percentiles(cpu['f6'])}")
    print(f"                     GUI update, internals shown {percentiles(cpu['internals'])}")
    print(f"ratio GUI (F6 panel) / core (median): {statistics.median(gui) / statistics.median(core):.2f}x")
    print(f"ratio GUI (internals) / core (median): {statistics.median(gui_internals) / statistics.median(core):.2f}x")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
