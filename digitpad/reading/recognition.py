"""From a drawing or an image to everything the app shows: prediction, ranking, internals.

Plain numpy results, so the GUI only draws and the CLI only prints. No Qt here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitpad.network.lenet5 import LeNet5
from digitpad.ink.images import ImageSource, prepare_image
from digitpad.ink.strokes import render_strokes, Stroke
from digitpad.ink.too_small import drawing_too_small
from digitpad.ink.tensors import to_tensor
from digitpad.reading.verdict import (
    best_posterior, explanation, is_unsure,
    rejection_reason, short_answer)


@dataclass
class Recognition:
    """One recognised input with every internal of the forward pass (numpy, batch dimension dropped)."""

    input: np.ndarray      # 32×32, −0.1 … 1.175
    c1: np.ndarray         # 6×28×28
    s2: np.ndarray         # 6×14×14
    c3: np.ndarray         # 16×10×10
    s4: np.ndarray         # 16×5×5
    c5: np.ndarray         # 120
    f6: np.ndarray         # 84 (show as 12 rows × 7 columns, like the prototypes)
    penalties: np.ndarray  # 10, smaller is better
    rubbish: float         # posterior of the rubbish class
    seconds: float         # preprocessing + forward
    too_small: bool = False  # the ink was a speck (ink.too_small)

    @property
    def digit(self) -> int:
        return int(np.argmin(self.penalties))

    @property
    def ranking(self) -> list[int]:
        """Classes from most to least likely (increasing penalty)."""
        return [int(i) for i in np.argsort(self.penalties, kind="stable")]

    @property
    def runner_up(self) -> int:
        return self.ranking[1]

    @property
    def confidence(self) -> float:
        """Posterior of the best class in eq. 9's model, e^{−y_best} / (e^{−j} + Σ e^{−y_i})."""
        return best_posterior(self.penalties.tolist(), self.rubbish)

    @property
    def reason(self) -> str | None:
        """Why no digit is given: "too small", "not a digit", or None when there is an answer."""
        return rejection_reason(self.rubbish, self.too_small)

    @property
    def rejected(self) -> bool:
        """No digit is given (too small, or not a digit)."""
        return self.reason is not None

    @property
    def unsure(self) -> bool:
        """A digit is given but the runner-up is close (see verdict.UNSURE_LEVEL)."""
        return is_unsure(self.penalties.tolist(), self.rubbish, self.too_small)

    def short_answer(self) -> str:
        """The digit, "not a digit" or "Too small — draw bigger" (verdict.short_answer)."""
        return short_answer(self.digit, self.reason)

    def explanation(self) -> str:
        """The answer in plain words, e.g. "Not sure: 0 or 8?"."""
        return explanation(self.penalties.tolist(), self.rubbish, self.too_small)

    def to_json(self) -> dict:
        return {"digit": self.digit, "penalties": [round(float(p), 4) for p in self.penalties],
                "rubbish": round(self.rubbish, 6), "rejected": self.rejected, "unsure": self.unsure,
                "runner_up": self.runner_up, "reason": self.reason}


class Recognizer:
    """Holds one model on one device and turns inputs into `Recognition`s."""

    def __init__(self, model: LeNet5, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()

    @torch.inference_mode()
    def recognize_array(self, array32: np.ndarray, started: float | None = None,
                        too_small: bool = False) -> Recognition:
        started = time.perf_counter() if started is None else started
        internals = self.model.forward_with_internals(to_tensor(array32).to(self.device))
        first = [t[0].detach().cpu().numpy() for t in (internals.input, internals.c1, internals.s2, internals.c3,
                                                      internals.s4, internals.c5, internals.f6,
                                                      internals.penalties)]
        return Recognition(first[0][0], *first[1:], rubbish=float(internals.rubbish[0]),
                           seconds=time.perf_counter() - started, too_small=too_small)

    def recognize_strokes(self, strokes: list[Stroke], pen_width: float | None = None,
                          canvas_size: tuple[float, float] | None = None) -> Recognition:
        """`canvas_size` (width, height, in the strokes' units) decides "too small"; see
        ink.too_small.drawing_too_small. Raises EmptyDrawing when there is nothing to recognise."""
        started = time.perf_counter()
        strokes = list(strokes)
        array = render_strokes(strokes, pen_width)
        return self.recognize_array(array, started, drawing_too_small(strokes, canvas_size))

    def recognize_image(self, source: ImageSource | Path) -> Recognition:
        """Raises ImageError for unreadable images, EmptyDrawing for blank ones."""
        started = time.perf_counter()
        prepared = prepare_image(source)
        return self.recognize_array(prepared.array, started, prepared.too_small)
