#!/usr/bin/env python3
"""Explanations: integrated gradients, per-stroke effects, a default sweep, against one recognition.

Over the ten digits of tests/drawings.py (plain style), on one thread: the median time of
- the baseline, `Recognizer.recognize_strokes` (what the window does on every update);
- `integrated_gradients` for the answer (steps refined until completeness holds to 0.5 %),
  with the steps it needed and the worst completeness error seen;
- `stroke_effects` (each stroke left out, the rest normalised and recognised);
- `run_sweep` of each transform over its default range.
Each is also printed as a ratio to the baseline.   python benchmarks/explain.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from drawings import draw  # noqa: E402


def median_seconds(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    from digitpad.explain.attribution import integrated_gradients, stroke_effects
    from digitpad.ink.strokes import render_strokes
    from digitpad.reading.recognition import Recognizer
    from digitpad.explain.transforms import TRANSFORMS
    from digitpad.explain.sweep import run_sweep, sweep_values
    from digitpad.storage.checkpoints import load_model

    torch.set_num_threads(1)
    recognizer = Recognizer(load_model(None, "cpu")[0])
    drawings = [draw(d) for d in range(10)]
    arrays = [render_strokes(s) for s in drawings]
    for strokes in drawings:  # warm-up
        recognizer.recognize_strokes(strokes)
    base = statistics.median(median_seconds(lambda s=s: recognizer.recognize_strokes(s), args.repeats * 5)
                             for s in drawings)
    print(f"torch {torch.__version__}, 1 thread, the ten digits, median of {args.repeats} repeats each")
    print(f"baseline, one recognition (strokes → forward with internals): {1000 * base:.2f} ms")
    steps, errors = [], []

    def explain(array):
        result = integrated_gradients(recognizer.model, array)
        steps.append(result.steps)
        errors.append(result.completeness_error)

    ig = statistics.median(median_seconds(lambda a=a: explain(a), args.repeats) for a in arrays)
    print(f"integrated gradients, the answer: {1000 * ig:.1f} ms ({ig / base:.0f}× the baseline); steps used "
          f"{min(steps)}–{max(steps)}, worst completeness error {100 * max(errors):.2f} %")
    multi = [s for s in drawings if len(s) > 1] or drawings
    effects = statistics.median(median_seconds(lambda s=s: stroke_effects(recognizer, s), args.repeats)
                                for s in multi)
    print(f"stroke effects ({len(multi)} drawings of 2 strokes): {1000 * effects:.1f} ms ({effects / base:.1f}×)")
    for name, transform in TRANSFORMS.items():
        values = sweep_values(transform)
        seconds = statistics.median(median_seconds(
            lambda s=s, t=transform, v=values: run_sweep(recognizer, t, v, strokes=s), args.repeats)
            for s in drawings[:3])
        print(f"sweep {name:8} ({len(values)} steps, {transform.default_stage} stage): {1000 * seconds:.1f} ms "
              f"({seconds / base:.0f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
