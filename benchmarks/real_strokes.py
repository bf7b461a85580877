#!/usr/bin/env python3
"""Real handwriting: the MNIST-only and the pen-stroke weights on writers they never saw.

For each weights file, in one run:

* the held-out writers' pen digits (digitpad.training.pen_split.HELD_OUT_WRITERS), each read
  exactly as a drawing on the canvas is (render_strokes, "too small", the verdict's levels):
  accepted and right, writer by writer, confidently wrong, refused, the top confusions;
* the MNIST test error and the share of MNIST test digits refused ("not a digit");
* the share of negatives refused whose lettering comes from font families never used in training
  (URW base35, Noto; digitpad.training.negatives.HELD_OUT_FAMILIES), test seed.

With --choose it also prints how the "not a digit" threshold is chosen for the new weights, on
held-out data only: negatives of the held-out families from the VALIDATION seed, the held-out
writers' digits (refused at most 1 %) and the last 5,000 MNIST training images (refused at most
0.3 %); the threshold rejecting the most such negatives within both budgets.

    python benchmarks/real_strokes.py [--old resources/lenet5-mnist.pt] [--new resources/lenet5.pt]
        [--pen FILE] [--negatives 2000] [--choose] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.reading.verdict import REJECT_THRESHOLD, UNSURE_LEVEL  # noqa: E402
from digitpad.storage.checkpoints import load_model, shipped_mnist_weights_path, shipped_weights_path  # noqa: E402
from digitpad.paths import default_mnist_dir, default_pendigits_file  # noqa: E402
from digitpad.storage.pendigits import read_pendigits  # noqa: E402
from digitpad.training.config import TEST_NEGATIVES_SEED, VALIDATION_NEGATIVES_SEED  # noqa: E402
from digitpad.training.datasets import mnist_dataset, negatives_dataset  # noqa: E402
from digitpad.training.pen_evaluation import format_report, render_pen_digits, score_pen_digits  # noqa: E402
from digitpad.training.pen_split import HELD_OUT_WRITERS, split_by_writer  # noqa: E402

VALIDATION_IMAGES = 5000
MAX_PEN_REFUSED = 0.01
MAX_VALIDATION_REFUSED = 0.003


@torch.no_grad()
def rubbish_of(model, inputs: torch.Tensor, batch: int = 2000) -> tuple[torch.Tensor, torch.Tensor]:
    """(penalties, rubbish posterior) of every input."""
    penalties, rubbish = [], []
    for start in range(0, len(inputs), batch):
        internals = model.forward_with_internals(inputs[start:start + batch])
        penalties.append(internals.penalties)
        rubbish.append(internals.rubbish)
    return torch.cat(penalties), torch.cat(rubbish)


def share(mask: torch.Tensor) -> float:
    return float(mask.float().mean()) if len(mask) else 0.0


def choose_threshold(model, pen_inputs: torch.Tensor, validation: torch.Tensor, negatives: torch.Tensor) -> None:
    """Print the trade-off and the threshold chosen on held-out data (see the module doc)."""
    j = model.rubbish_j
    odds = {}
    for name, inputs in (("pen", pen_inputs), ("val", validation), ("neg", negatives)):
        penalties, _ = rubbish_of(model, inputs)
        odds[name] = -torch.logsumexp(-penalties, 1) - j  # log-odds of the rubbish class
    print("\"not a digit\" threshold t on the rubbish posterior, chosen on held-out data:")
    print(f"{'t':>8} {'held-out writers':>17} {'MNIST validation':>17} {'held-out-family negatives':>26}")
    for t in (0.999, 0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5, 0.3, 0.1):
        cut = math.log(t / (1 - t))
        print(f"{t:>8g} {100 * share(odds['pen'] > cut):>16.2f}% {100 * share(odds['val'] > cut):>16.2f}% "
              f"{100 * share(odds['neg'] > cut):>25.1f}%")
    # The lowest cut (most negatives refused) that keeps both digit sets within their budgets.
    cuts = []
    for name, budget in (("pen", MAX_PEN_REFUSED), ("val", MAX_VALIDATION_REFUSED)):
        allowed = int(budget * len(odds[name]))
        cuts.append(float(torch.sort(odds[name], descending=True).values[allowed]))
    cut = max(cuts)
    chosen = 1 / (1 + math.exp(-cut))
    print(f"chosen: t = {chosen:.3g}: held-out writers refused {100 * share(odds['pen'] > cut):.2f}% "
          f"(at most {100 * MAX_PEN_REFUSED:.0f} %), MNIST validation refused {100 * share(odds['val'] > cut):.2f}% "
          f"(at most {100 * MAX_VALIDATION_REFUSED:.1f} %), held-out-family validation negatives refused "
          f"{100 * share(odds['neg'] > cut):.1f}%; digitpad uses t = {REJECT_THRESHOLD:g} (verdict.REJECT_THRESHOLD)\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, default=shipped_mnist_weights_path(),
                        help="the weights to compare with (default: the shipped MNIST-only weights)")
    parser.add_argument("--new", type=Path, default=shipped_weights_path(),
                        help="default: the shipped default weights, which also learnt pen strokes")
    parser.add_argument("--pen", type=Path, default=None, help="the pen-digits file (default: as the app finds it)")
    parser.add_argument("--data", type=Path, default=None, help="the MNIST folder (default: as the app finds it)")
    parser.add_argument("--negatives", type=int, default=2000, help="held-out-family negatives (default 2000)")
    parser.add_argument("--choose", action="store_true", help="print how the threshold is chosen (new weights)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    pen_file = args.pen or default_pendigits_file()
    if pen_file is None:
        print("no pen-digits file: give --pen FILE or set DIGITPAD_PENDIGITS", file=sys.stderr)
        return 2
    started = time.perf_counter()
    _, held_out = split_by_writer(read_pendigits(pen_file))
    pen_arrays = render_pen_digits(held_out)
    pen_inputs = torch.from_numpy(pen_arrays).unsqueeze(1)
    data_dir = args.data or default_mnist_dir()
    test = mnist_dataset(data_dir, "test")
    test_negatives = negatives_dataset(args.negatives, TEST_NEGATIVES_SEED, held_out_families=True).inputs
    print(f"held-out writers {sorted(HELD_OUT_WRITERS)}: {len(held_out):,} digits from {pen_file}; "
          f"MNIST test: {len(test):,}; negatives: {args.negatives:,} (held-out font families, seed "
          f"{TEST_NEGATIVES_SEED}); verdict levels: not a digit over {REJECT_THRESHOLD:g}, not sure under "
          f"{UNSURE_LEVEL:g}\n")
    summary = []
    for label, path in (("old", args.old), ("new", args.new)):
        model, checkpoint = load_model(path, "cpu")
        report = score_pen_digits(model, held_out, inputs=pen_arrays)
        print("\n".join(format_report(report, f"{label}: {path}")))
        penalties, rubbish = rubbish_of(model, test.inputs)
        mnist_error = share(penalties.argmin(1) != test.labels)
        mnist_refused = share(rubbish > REJECT_THRESHOLD)
        _, negative_rubbish = rubbish_of(model, test_negatives)
        negatives_refused = share(negative_rubbish > REJECT_THRESHOLD)
        print(f"MNIST test error {100 * mnist_error:.2f}%, MNIST test digits refused {100 * mnist_refused:.2f}%, "
              f"held-out-family negatives refused {100 * negatives_refused:.1f}%\n")
        total = report.overall
        worst_writer, worst = report.worst_writer()
        summary.append((label, 100 * total.share(total.right), 100 * worst, worst_writer,
                        100 * total.share(total.confidently_wrong), 100 * total.share(total.refused),
                        100 * mnist_error, 100 * mnist_refused, 100 * negatives_refused))
        if args.choose and label == "new":
            train = mnist_dataset(data_dir, "train")
            validation = train.inputs[-VALIDATION_IMAGES:]
            val_negatives = negatives_dataset(args.negatives, VALIDATION_NEGATIVES_SEED,
                                              held_out_families=True).inputs
            choose_threshold(model, pen_inputs, validation, val_negatives)
    print("weights  pen right  worst writer  conf. wrong  pen refused  MNIST error  MNIST refused  negatives refused")
    for label, right, worst, writer, wrong, refused, error, mnist_refused, negatives in summary:
        print(f"{label:<7} {right:>9.2f}% {worst:>7.1f}% (#{writer:<2}) {wrong:>10.2f}% {refused:>11.2f}% "
              f"{error:>11.2f}% {mnist_refused:>13.2f}% {negatives:>17.1f}%")
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    sys.exit(main())
