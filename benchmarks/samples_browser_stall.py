#!/usr/bin/env python3
"""The longest GUI-thread stall while Teach → Browse My Samples… opens with N personal samples.

Opening the browser reads the samples file (every line parsed and checked) and draws a thumbnail
of each sample (its 32×32 input). The samples are mouse-like drawings of two 40-point strokes. A
5 ms QTimer on the GUI thread records the gaps between its ticks from just before the browser is
opened until its grid shows every sample (as in history_stall.py); baseline in the same process:
the idle event loop for as long, and the ratio.

    python benchmarks/samples_browser_stall.py [--samples 500] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history_stall import TICK_MS, GapRecorder, measure, report, run_event_loop_until  # noqa: E402


def write_samples(path: Path, count: int) -> None:
    """`count` samples in the file's format (one JSON object per line)."""
    from digitpad.storage.samples import make_sample

    rng = random.Random(0)
    lines = [json.dumps(make_sample([[(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(40)]
                                     for _ in range(2)], n % 10).to_json()) for n in range(count)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def open_browser_once(app, count: int) -> tuple[float, float]:
    from PySide6.QtCore import QTimer

    from digitpad.gui.jobs.sample_changes import SampleChanges
    from digitpad.gui.windows.samples_browser import SamplesBrowser
    from digitpad.gui.teach_menu import TeachMenu

    recorder = GapRecorder()
    recorder.start()
    started = time.perf_counter()
    holder = {}

    def open_browser() -> None:
        try:  # the browser as the Teach menu makes it; older code took no queue of changes
            holder["browser"] = SamplesBrowser(TeachMenu.sample_store, SampleChanges(TeachMenu.sample_store))
        except TypeError:
            holder["browser"] = SamplesBrowser(TeachMenu.sample_store)

    QTimer.singleShot(0, open_browser)
    run_event_loop_until(app, lambda: "browser" in holder and holder["browser"].grid.count() == count)
    elapsed = time.perf_counter() - started
    stall = recorder.stop()
    holder["browser"].deleteLater()
    app.processEvents()
    return stall, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    os.environ["DIGITPAD_HOME"] = tempfile.mkdtemp(prefix="digitpad-browser-bench-")
    from PySide6.QtWidgets import QApplication

    from digitpad.storage.samples import default_samples_path

    app = QApplication.instance() or QApplication([])
    write_samples(default_samples_path(), args.samples)
    size_kb = default_samples_path().stat().st_size // 1024
    stalls, stall, fill, idle = measure(app, lambda: open_browser_once(app, args.samples), args.repeats)
    print(f"{args.samples} samples ({size_kb} KB), {args.repeats} openings, a {TICK_MS} ms timer on the GUI thread")
    report("Browse My Samples", "every sample shown", stalls, stall, fill, idle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
