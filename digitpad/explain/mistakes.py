"""The network's mistakes on a set of examples: what it gets wrong or refuses, and how confidently.

Each example is judged as the window judges a drawing (digitpad.reading.verdict): refused when
"not a digit" or "too small", else the digit with the smallest penalty, "not sure" when that
digit's posterior is under the verdict's level. A mistake is an example

* refused ("refused": no digit given; its answer is the closest digit),
* given a wrong digit with "not sure" ("not sure"), or
* given a wrong digit without ("wrong": the mistake a user sees).

Its margin is the penalty of the answer minus the penalty of the true digit: the more negative,
the more confidently wrong; mistakes are listed most confident first (the paper's Figure 8 for
our weights, on the MNIST test set). The confusion matrix counts every example: rows the true
digit, columns the answer, column 10 the refused ones. No Qt; torch only for the forward passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from digitpad.errors import TrainingCancelled
from digitpad.network.lenet5 import LeNet5, rubbish_posterior
from digitpad.reading.verdict import REJECT_THRESHOLD, UNSURE_LEVEL
from digitpad.storage.pendigits import TABLET_SIZE, read_pendigits
from digitpad.training.datasets import mnist_dataset
from digitpad.training.pen_split import split_by_writer
from digitpad.ink.strokes import render_strokes
from digitpad.ink.too_small import drawing_too_small
from digitpad.storage.samples import SampleStore, require_file

WRONG, NOT_SURE, REFUSED = "wrong", "not sure", "refused"
REASONS = (WRONG, NOT_SURE, REFUSED)
#: The confusion matrix's column for refused examples (after the ten digits).
REFUSED_COLUMN = 10


@dataclass(frozen=True)
class Mistake:
    index: int      # the example's place in its set
    true: int
    answer: int     # the digit given (refused: the closest digit)
    margin: float   # penalty of the answer − penalty of the true digit (≤ 0)
    reason: str     # WRONG, NOT_SURE or REFUSED

    def column(self) -> int:
        """The confusion matrix's column this mistake is counted in."""
        return REFUSED_COLUMN if self.reason == REFUSED else self.answer

    def to_json(self) -> dict:
        return {"index": self.index, "true": self.true, "answer": self.answer, "margin": round(self.margin, 4),
                "reason": self.reason}


@dataclass
class ExampleSet:
    """Labelled network inputs to judge: `inputs` N×1×32×32 (CPU), `labels` N (0–9), and which
    ones are too small to read (drawings only; None: none are)."""

    name: str
    inputs: torch.Tensor
    labels: torch.Tensor
    too_small: torch.Tensor | None = None
    captions: list[str] | None = None   # per example, for people ("writer 12, sample 3")
    item: str = "example"               # else "<item> <index>": "MNIST test image 1,234"
    #: Lines of the source that are not examples and were left out, as "line N: reason".
    skipped: list[str] = field(default_factory=list)
    source: str = ""                    # the file they were skipped from, for people
    #: Kept for measuring (a test set, held-out writers): training on its examples would make the
    #: figures measured on it dishonest, so Teach asks before keeping one.
    held_out: bool = False

    def skipped_note(self) -> str:
        """One line saying what was left out and why ("" when nothing was)."""
        if not self.skipped:
            return ""
        many = len(self.skipped) != 1
        note = (f"{len(self.skipped):,} line{'s' * many} of {self.source or 'the file'} skipped: not drawings "
                f"({self.skipped[0]}{'; …' if many else ''})")
        return " ".join(note.split())

    def __len__(self) -> int:
        return len(self.labels)

    def caption(self, index: int) -> str:
        if self.captions is not None:
            return self.captions[index]
        return f"{self.item} {index:,}"

    def input(self, index: int) -> np.ndarray:
        """Example `index` as the (32, 32) float32 array the network reads."""
        return self.inputs[index, 0].numpy()


@dataclass
class MistakeReport:
    """Every mistake on a set, most confident first, and the confusion matrix of the whole set."""

    examples: ExampleSet
    mistakes: list[Mistake]
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((10, 11), np.int64))
    #: Examples whose closest digit is not the true one, refused or not: `digitpad evaluate`'s errors.
    errors: int = 0

    @property
    def total(self) -> int:
        return len(self.examples)

    def count(self, reason: str) -> int:
        return sum(m.reason == reason for m in self.mistakes)

    def filtered(self, true: int | None = None, column: int | None = None,
                 reasons: frozenset[str] | set[str] | None = None) -> list[Mistake]:
        """The mistakes with this true digit, in this confusion column (an answer, or
        REFUSED_COLUMN), of these kinds; None: any. Order kept (most confident first)."""
        return [m for m in self.mistakes
                if (true is None or m.true == true) and (column is None or m.column() == column)
                and (reasons is None or m.reason in reasons)]

    def summary(self) -> str:
        wrong, unsure, refused = (self.count(r) for r in REASONS)
        return (f"{len(self.mistakes):,} mistakes in {self.total:,} examples ({self.examples.name}): "
                f"{wrong:,} wrong, {unsure:,} wrong but not sure, {refused:,} refused")

    def to_json(self) -> dict:
        return {"set": self.examples.name, "total": self.total, "errors": self.errors,
                "error_rate": self.errors / self.total if self.total else 0.0, "mistakes": len(self.mistakes),
                **{reason.replace(" ", "_"): self.count(reason) for reason in REASONS},
                "confusion": self.confusion.tolist(), "list": [m.to_json() for m in self.mistakes]}


@torch.no_grad()
def list_mistakes(model: LeNet5, examples: ExampleSet, device: torch.device | str = "cpu", batch_size: int = 2000,
                  on_progress: Callable[[int, int], None] | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> MistakeReport:
    """Judge every example of `examples` with `model` (its own eq. 9 constant j) and list the
    mistakes. `on_progress(done, total)` after each batch; `should_cancel` is polled between
    batches (TrainingCancelled). The model is put in eval mode on `device`."""
    model = model.to(device).eval()
    total = len(examples)
    penalties = []
    for start in range(0, total, batch_size):
        if should_cancel is not None and should_cancel():
            raise TrainingCancelled()
        penalties.append(model(examples.inputs[start:start + batch_size].to(device)).cpu())
        if on_progress is not None:
            on_progress(min(total, start + batch_size), total)
    if not penalties:
        return MistakeReport(examples, [])
    penalties = torch.cat(penalties).double()
    labels = examples.labels.cpu()
    rubbish = rubbish_posterior(penalties, model.rubbish_j)
    best = penalties.argmin(1)
    too_small = examples.too_small.cpu() if examples.too_small is not None else torch.zeros(total, dtype=torch.bool)
    refused = too_small | (rubbish > REJECT_THRESHOLD)
    # verdict.best_posterior, for all at once: (1 − rubbish) / Σ e^{−(y_i − y_best)}.
    spread = torch.exp(-(penalties - penalties.gather(1, best[:, None]))).sum(1)
    unsure = ~refused & ((1 - rubbish) / spread < UNSURE_LEVEL)
    wrong = ~refused & (best != labels)
    margin = penalties.gather(1, best[:, None])[:, 0] - penalties.gather(1, labels[:, None])[:, 0]
    confusion = np.zeros((10, 11), np.int64)
    columns = torch.where(refused, torch.full_like(best, REFUSED_COLUMN), best)
    np.add.at(confusion, (labels.numpy(), columns.numpy()), 1)
    chosen = torch.nonzero(refused | wrong)[:, 0]
    order = chosen[torch.argsort(margin[chosen], stable=True)]
    mistakes = [Mistake(int(i), int(labels[i]), int(best[i]), float(margin[i]),
                        REFUSED if refused[i] else NOT_SURE if unsure[i] else WRONG) for i in order.tolist()]
    return MistakeReport(examples, mistakes, confusion, int((best != labels).sum()))


# ---- the sets ------------------------------------------------------------------------------------

def mnist_test_examples(data_dir: Path | str, limit: int | None = None) -> ExampleSet:
    """The MNIST test set (DataError if missing)."""
    data = mnist_dataset(data_dir, "test", limit)
    return ExampleSet("MNIST test set", data.inputs, data.labels, item="MNIST test image", held_out=True)


def pen_held_out_examples(path: Path | str, should_cancel: Callable[[], bool] | None = None) -> ExampleSet:
    """The pen-digits file's held-out writers (training.pen_split), rendered as drawings are, each
    judged "too small" against the tablet as the window judges the canvas (DataError if unreadable)."""
    _, held_out = split_by_writer(read_pendigits(path))
    inputs = np.empty((len(held_out), 1, 32, 32), np.float32)
    too_small = np.zeros(len(held_out), bool)
    for index, digit in enumerate(held_out):
        if should_cancel is not None and index % 256 == 0 and should_cancel():
            raise TrainingCancelled()
        inputs[index, 0] = render_strokes(digit.strokes)
        too_small[index] = drawing_too_small(digit.strokes, (TABLET_SIZE, TABLET_SIZE))
    return ExampleSet("pen digits of the held-out writers", torch.from_numpy(inputs),
                      torch.tensor([d.label for d in held_out], dtype=torch.int64), torch.from_numpy(too_small),
                      [f"pen digit: writer {d.writer}, sample {d.sample}" for d in held_out], held_out=True)


def sample_examples(path: Path | str | None = None, should_cancel: Callable[[], bool] | None = None) -> ExampleSet:
    """The user's labelled samples (storage.samples; the default file when `path` is None, where
    no file is no samples). A file named by the caller must be there (SampleError)."""
    if path is not None:
        require_file(Path(path))
    store = SampleStore(path, should_cancel=should_cancel)
    samples = [s for s in store.samples() if 0 <= s.label <= 9]
    inputs = np.empty((len(samples), 1, 32, 32), np.float32)
    for index, sample in enumerate(samples):
        if should_cancel is not None and index % 256 == 0 and should_cancel():
            raise TrainingCancelled()
        inputs[index, 0] = sample.render()
    return ExampleSet("your samples", torch.from_numpy(inputs),
                      torch.tensor([s.label for s in samples], dtype=torch.int64),
                      captions=[f"your sample {i + 1:,}" + (f" ({s.created[:10]})" if s.created else "")
                                for i, s in enumerate(samples)],
                      skipped=list(store.problems), source=store.path.name)
