#!/usr/bin/env python3
"""How well the rubbish class says "not a digit", and how "not sure" is calibrated.

Chooses, on VALIDATION data only, the two levels digitpad uses (digitpad/reading/verdict.py):

* the rejection threshold on eq. 9's rubbish posterior: the one rejecting the most validation
  negatives while rejecting at most 0.3 % of validation digits (a margin under the 0.5 % target,
  because validation digits are easier than test digits for weights fine-tuned from a model that
  saw them);
* the "not sure" level on the best class's posterior: the highest level that flags at most 2 %
  of the validation digits (the most errors caught for that price).

Validation data: the last 5,000 MNIST training images (the shipped weights were fine-tuned with
`--limit 55000`, so without them) and negatives from the validation seed. Then it reports, on
data never used to choose anything, the MNIST test error, the share of MNIST test digits
rejected and the share of held-out negatives (the test seed) rejected, with a table of the
trade-off for a few thresholds.

    python benchmarks/rejection.py [--weights FILE] [--negatives 3000] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.training.datasets import mnist_dataset, negatives_dataset  # noqa: E402
from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.training.config import TEST_NEGATIVES_SEED, VALIDATION_NEGATIVES_SEED  # noqa: E402
from digitpad.reading.verdict import REJECT_THRESHOLD, UNSURE_LEVEL  # noqa: E402
from digitpad.storage.checkpoints import load_model  # noqa: E402

VALIDATION_IMAGES = 5000        # the last of the 60,000 MNIST training images
MAX_VALIDATION_REJECTED = 0.003  # digits wrongly rejected, on validation
MAX_UNSURE = 0.02                # digits flagged "not sure", on validation
#: Thresholds on the rubbish posterior shown in the trade-off table.
TABLE_THRESHOLDS = (0.999, 0.99, 0.9, 0.85, 0.5, 0.1, 0.01, 1e-3)
UNSURE_LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


@torch.no_grad()
def penalties_of(model, inputs: torch.Tensor, batch: int = 2000) -> torch.Tensor:
    return torch.cat([model(inputs[i:i + batch]) for i in range(0, len(inputs), batch)])


def log_odds_rubbish(penalties: torch.Tensor, j: float) -> torch.Tensor:
    """log(P_rubbish / (1 − P_rubbish)) = −j + soft-min of the penalties: rejecting where the
    posterior is over t is rejecting where this is over logit(t)."""
    return -torch.logsumexp(-penalties, 1) - j


def best_posterior(penalties: torch.Tensor, j: float) -> torch.Tensor:
    rubbish = torch.full_like(penalties[:, :1], -j)
    return torch.softmax(torch.cat([rubbish, -penalties], 1), 1)[:, 1:].max(1).values


def logit(t: float) -> float:
    return math.log(t / (1 - t))


def share(mask: torch.Tensor) -> float:
    return float(mask.float().mean()) if len(mask) else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=None, help="checkpoint (default: the shipped weights)")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--negatives", type=int, default=3000, help="negatives per held-out set (default 3000)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    model, checkpoint = load_model(args.weights, "cpu")
    j = model.rubbish_j
    started = time.perf_counter()
    train = mnist_dataset(data_dir, "train")
    val_digits, val_labels = train.inputs[-VALIDATION_IMAGES:], train.labels[-VALIDATION_IMAGES:]
    test = mnist_dataset(data_dir, "test")
    val_neg = negatives_dataset(args.negatives, VALIDATION_NEGATIVES_SEED).inputs
    test_neg = negatives_dataset(args.negatives, TEST_NEGATIVES_SEED).inputs
    p_val, p_test = penalties_of(model, val_digits), penalties_of(model, test.inputs)
    p_val_neg, p_test_neg = penalties_of(model, val_neg), penalties_of(model, test_neg)
    odds = {name: log_odds_rubbish(p, j) for name, p in
            (("val", p_val), ("test", p_test), ("val_neg", p_val_neg), ("test_neg", p_test_neg))}
    trained_on = checkpoint.metrics.train_images
    print(f"weights: {args.weights or 'shipped'} (j = {j:g}, trained on "
          f"{trained_on if trained_on is not None else 'an unrecorded number of'} MNIST images, "
          f"{checkpoint.config.get('negatives', 0)} negatives)")
    if trained_on is not None and trained_on > 60_000 - VALIDATION_IMAGES:
        print("warning: these weights saw the validation digits in training; the levels chosen here are optimistic")
    print(f"validation: the last {VALIDATION_IMAGES:,} MNIST training images, {args.negatives:,} negatives "
          f"(seed {VALIDATION_NEGATIVES_SEED}); test: the 10,000 MNIST test images, {args.negatives:,} "
          f"negatives (seed {TEST_NEGATIVES_SEED})\n")

    # ---- the rejection threshold -------------------------------------------------------------
    print("rejection threshold (rubbish posterior over t → \"not a digit\"):")
    print(f"{'t':>8} {'val digits':>11} {'val negatives':>14} {'test digits':>12} {'test negatives':>15}")
    for t in TABLE_THRESHOLDS:
        cut = logit(t)
        print(f"{t:>8g} {100 * share(odds['val'] > cut):>10.2f}% {100 * share(odds['val_neg'] > cut):>13.1f}% "
              f"{100 * share(odds['test'] > cut):>11.2f}% {100 * share(odds['test_neg'] > cut):>14.1f}%")
    # The cut rejecting the most validation negatives within the validation digits' budget.
    allowed = int(MAX_VALIDATION_REJECTED * len(odds["val"]))
    cut = float(torch.sort(odds["val"], descending=True).values[allowed])
    chosen = 1 / (1 + math.exp(-cut))
    print(f"chosen on validation: t = {chosen:.3g} (log-odds {cut:+.2f}): validation digits rejected "
          f"{100 * share(odds['val'] > cut):.2f}% (at most {100 * MAX_VALIDATION_REJECTED:.1f} %), validation "
          f"negatives rejected {100 * share(odds['val_neg'] > cut):.1f}%, validation error "
          f"{100 * share(p_val.argmin(1) != val_labels):.2f}%; digitpad uses t = {REJECT_THRESHOLD:g} "
          f"(verdict.REJECT_THRESHOLD)\n")

    # ---- the "not sure" level ------------------------------------------------------------------
    used = logit(REJECT_THRESHOLD)
    accepted = odds["val"] <= used
    confidence = best_posterior(p_val, j)[accepted]
    wrong = (p_val.argmin(1) != val_labels)[accepted]
    print("\"not sure\" level (best class's posterior under L), validation digits not rejected:")
    print(f"{'L':>6} {'flagged':>8} {'errors caught':>14} {'error rate, sure':>17} {'error rate, flagged':>20}")
    best_level = None
    for level in UNSURE_LEVELS:
        flagged = confidence < level
        caught = int((flagged & wrong).sum())
        print(f"{level:>6g} {100 * share(flagged):>7.2f}% {caught:>6}/{int(wrong.sum()):<7} "
              f"{100 * share(wrong[~flagged]):>16.2f}% {100 * share(wrong[flagged]):>19.1f}%")
        if share(flagged) <= MAX_UNSURE:
            best_level = level
    print(f"chosen on validation: L = {best_level} (the highest flagging at most {100 * MAX_UNSURE:.0f} % "
          f"of the digits); digitpad uses L = {UNSURE_LEVEL:g} (verdict.UNSURE_LEVEL)\n")

    # ---- the figures, on test data -------------------------------------------------------------
    errors = int((p_test.argmin(1) != test.labels).sum())
    test_rejected = share(odds["test"] > used)
    neg_rejected = share(odds["test_neg"] > used)
    test_conf = best_posterior(p_test, j)[odds["test"] <= used]
    print(f"test, with t = {REJECT_THRESHOLD:g} and L = {UNSURE_LEVEL:g}:")
    print(f"  MNIST test error:                 {100 * errors / len(test):.2f}% ({errors}/{len(test)})  "
          f"target ≤ 0.70%")
    print(f"  MNIST test digits rejected:       {100 * test_rejected:.2f}%  target ≤ 0.5%")
    print(f"  held-out negatives rejected:      {100 * neg_rejected:.1f}%  target ≥ 90%")
    print(f"  MNIST test digits \"not sure\":     {100 * share(test_conf < UNSURE_LEVEL):.2f}%")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
