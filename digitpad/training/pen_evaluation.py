"""How well a model reads real pen strokes, writer by writer, judged as the app judges a drawing.

Each digit goes through exactly what a drawing on the canvas goes through: `render_strokes` for
the network's input, `drawing_too_small` against the tablet's box for "Too small", and the
verdict's levels for "Not a digit" and "Not sure". The outcomes:

* right — a digit is given (maybe "not sure") and it is the one written;
* confidently wrong — a wrong digit given without "not sure": the mistake a user sees;
* unsure — given with "not sure" (right or wrong: counted in right/wrong too);
* refused — "not a digit" or "too small": no digit given.

"Accepted and right" is `right / total`. No Qt; torch only through the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from digitpad.ink.too_small import drawing_too_small
from digitpad.ink.strokes import render_strokes
from digitpad.network.lenet5 import LeNet5
from digitpad.reading.verdict import is_unsure, rejection_reason
from digitpad.storage.pendigits import TABLET_SIZE, PenDigit


@dataclass
class PenScore:
    """Counts over a group of digits (one writer, or all of them)."""

    total: int = 0
    right: int = 0
    confidently_wrong: int = 0
    unsure: int = 0
    refused: int = 0
    confusions: Counter = field(default_factory=Counter)  # (written, read) -> count, digits given wrong

    def add(self, label: int, read: int, refused: bool, unsure: bool) -> None:
        self.total += 1
        if refused:
            self.refused += 1
            return
        self.unsure += unsure
        if read == label:
            self.right += 1
        else:
            self.confusions[(label, read)] += 1
            self.confidently_wrong += not unsure

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0

    def to_json(self) -> dict:
        return {"total": self.total, "right": self.right, "confidently_wrong": self.confidently_wrong,
                "unsure": self.unsure, "refused": self.refused,
                "accepted_and_right": self.share(self.right)}


@dataclass
class PenReport:
    """All digits together and writer by writer."""

    overall: PenScore
    writers: dict[int, PenScore]

    def worst_writer(self) -> tuple[int, float]:
        writer = min(self.writers, key=lambda w: self.writers[w].share(self.writers[w].right))
        return writer, self.writers[writer].share(self.writers[writer].right)

    def top_confusions(self, count: int = 5) -> list[tuple[tuple[int, int], int]]:
        return self.overall.confusions.most_common(count)

    def to_json(self) -> dict:
        return {**self.overall.to_json(), "writers": {str(w): s.to_json() for w, s in sorted(self.writers.items())},
                "confusions": [{"written": a, "read": b, "count": n} for (a, b), n in self.top_confusions(10)]}


def render_pen_digits(digits: Sequence[PenDigit]) -> np.ndarray:
    """(N, 32, 32) float32: each digit's strokes through `render_strokes`, as a drawing would go."""
    out = np.empty((len(digits), 32, 32), np.float32)
    for index, digit in enumerate(digits):
        out[index] = render_strokes(digit.strokes)
    return out


@torch.no_grad()
def score_pen_digits(model: LeNet5, digits: Sequence[PenDigit], device: torch.device | str = "cpu",
                     inputs: np.ndarray | None = None, batch_size: int = 1000) -> PenReport:
    """`model`'s verdicts on `digits` (`inputs`: their renders, if already made), per writer."""
    model = model.to(device).eval()
    inputs = render_pen_digits(digits) if inputs is None else inputs
    penalties, rubbish = [], []
    for start in range(0, len(digits), batch_size):
        batch = torch.from_numpy(np.ascontiguousarray(inputs[start:start + batch_size])).unsqueeze(1).to(device)
        internals = model.forward_with_internals(batch)
        penalties.append(internals.penalties.cpu())
        rubbish.append(internals.rubbish.cpu())
    penalty_rows = torch.cat(penalties).tolist() if penalties else []
    rubbish_values = torch.cat(rubbish).tolist() if rubbish else []
    overall, writers = PenScore(), {}
    canvas = (TABLET_SIZE, TABLET_SIZE)
    for digit, row, posterior in zip(digits, penalty_rows, rubbish_values, strict=True):
        too_small = drawing_too_small(digit.strokes, canvas)
        refused = rejection_reason(posterior, too_small) is not None
        unsure = is_unsure(row, posterior, too_small)
        read = int(np.argmin(row))
        for score in (overall, writers.setdefault(digit.writer, PenScore())):
            score.add(digit.label, read, refused, unsure)
    return PenReport(overall, writers)


def format_report(report: PenReport, title: str = "") -> list[str]:
    """The report as lines for people: one per writer, then the totals and the top confusions."""
    lines = [title] if title else []
    lines.append("writer  digits  right    conf. wrong  unsure  refused")
    for writer, score in sorted(report.writers.items()):
        lines.append(f"{writer:>6}  {score.total:>6}  {100 * score.share(score.right):6.2f} %  "
                     f"{100 * score.share(score.confidently_wrong):8.2f} %  {100 * score.share(score.unsure):5.1f} %  "
                     f"{100 * score.share(score.refused):5.2f} %")
    total = report.overall
    worst, worst_share = report.worst_writer() if report.writers else (0, 0.0)
    lines.append(f"all     {total.total:>6}  {100 * total.share(total.right):6.2f} %  "
                 f"{100 * total.share(total.confidently_wrong):8.2f} %  {100 * total.share(total.unsure):5.1f} %  "
                 f"{100 * total.share(total.refused):5.2f} %")
    lines.append(f"accepted and right {100 * total.share(total.right):.2f} %; worst writer {worst} at "
                 f"{100 * worst_share:.1f} %; confidently wrong {100 * total.share(total.confidently_wrong):.2f} %")
    pairs = ", ".join(f"{a}→{b} ×{n}" for (a, b), n in report.top_confusions())
    lines.append(f"top confusions (written→read): {pairs or 'none'}")
    return lines
