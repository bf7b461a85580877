"""Why the network decided: integrated gradients on the 32×32 input, and what each stroke does.

Attribution (Sundararajan et al. 2017, integrated gradients) of one class's RBF penalty y_D to
the input pixels, with the blank input (every pixel paper, −0.1) as the baseline:

    a_i = (x_i − b_i) · ∫₀¹ ∂y_D/∂x_i (b + α(x − b)) dα

so a pixel that is paper in the drawing gets exactly 0, and the attributions add up to
y_D(x) − y_D(blank) (completeness). A negative a_i lowered the penalty: that ink *supports*
class D; a positive one raised it: that ink *opposes* D. The integral is the trapezoid rule
over a batch of inputs on the straight path, refined until completeness holds to `tolerance`.

Stroke effects: each stroke removed in turn, the rest normalised again exactly as a drawing is,
and all ten penalties compared ("without stroke 2 it would be a 1"). No Qt here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from digitpad.ink.normalise import BACKGROUND, EmptyDrawing, INPUT_SIZE, Placement
from digitpad.ink.strokes import render_strokes, render_strokes_placed, Stroke
from digitpad.ink.tensors import to_tensor
from digitpad.ink.too_small import drawing_too_small
from digitpad.reading.recognition import Recognition, Recognizer
from digitpad.reading.verdict import TOO_SMALL, penalty_change_text

log = logging.getLogger(__name__)

#: Trapezoid steps to start with, and the most the refinement may use.
FIRST_STEPS = 32
MAX_STEPS = 1024
#: Completeness required: |Σ a_i − (y_D(x) − y_D(blank))| ≤ tolerance · |y_D(x) − y_D(blank)|.
COMPLETENESS_TOLERANCE = 0.005


def blank_input() -> np.ndarray:
    """The baseline: a 32×32 sheet of paper, no ink."""
    return np.full((INPUT_SIZE, INPUT_SIZE), BACKGROUND, np.float32)


@dataclass
class Attribution:
    """Integrated gradients of class `digit`'s penalty over the 32×32 input."""

    digit: int
    attribution: np.ndarray   # 32×32; negative = supports `digit` (lowers its penalty)
    penalty: float            # y_D(input)
    baseline_penalty: float   # y_D(blank input)
    steps: int                # trapezoid steps used

    @property
    def completeness_error(self) -> float:
        """|Σ attributions − penalty difference| relative to the difference."""
        difference = self.penalty - self.baseline_penalty
        return abs(float(self.attribution.sum(dtype=np.float64)) - difference) / max(abs(difference), 1e-12)

    def to_json(self) -> dict:
        return {"digit": self.digit,
                "attribution": [[round(float(v), 6) + 0.0 for v in row] for row in self.attribution],  # no -0.0
                "penalty": round(self.penalty, 4), "baseline_penalty": round(self.baseline_penalty, 4)}


def _gradients(model: torch.nn.Module, x: torch.Tensor, baseline: torch.Tensor, digit: int,
               alphas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """∂y_D/∂x and y_D at the points baseline + α(x − baseline) of the path, as one batch."""
    path = (baseline + alphas.view(-1, 1, 1, 1) * (x - baseline)).requires_grad_(True)
    with torch.inference_mode(False), torch.enable_grad():
        penalties = model(path)[:, digit]
        (gradients,) = torch.autograd.grad(penalties.sum(), path)
    return gradients, penalties.detach()


def integrated_gradients(model: torch.nn.Module, array32: np.ndarray, digit: int | None = None,
                         tolerance: float = COMPLETENESS_TOLERANCE) -> Attribution:
    """Attribution of class `digit`'s penalty (default: the winner) to each input pixel.

    The trapezoid rule with n steps is refined to 2n by adding only the n midpoints (the old
    points are reused), from FIRST_STEPS until completeness holds to `tolerance`, MAX_STEPS at
    most; this smooth network needs 32 to 256."""
    device = next(model.parameters()).device
    x = to_tensor(array32).to(device)
    baseline = to_tensor(blank_input()).to(device)
    if digit is None:
        with torch.inference_mode():
            digit = int(model(x).argmin(1))
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be 0 … 9, got {digit}")
    ends, end_penalties = _gradients(model, x, baseline, digit, torch.tensor([0.0, 1.0], device=device))
    baseline_penalty, penalty = float(end_penalties[0]), float(end_penalties[1])
    integral = ends.mean(0, keepdim=True)  # the trapezoid rule with one step
    steps = 1
    while True:
        midpoints = (torch.arange(steps, device=device, dtype=x.dtype) + 0.5) / steps
        gradients, _ = _gradients(model, x, baseline, digit, midpoints)
        integral = integral / 2 + gradients.sum(0, keepdim=True) / (2 * steps)
        steps *= 2
        if steps < FIRST_STEPS:
            continue
        values = ((x - baseline) * integral)[0, 0].cpu().numpy().astype(np.float32)
        result = Attribution(digit, values, penalty, baseline_penalty, steps)
        if result.completeness_error <= tolerance or steps >= MAX_STEPS:
            break
    log.debug("integrated gradients for %d: %d steps, completeness error %.2e", digit, steps,
              result.completeness_error)
    return result


@dataclass
class StrokeEffect:
    """The drawing without one of its strokes."""

    stroke: int                        # index of the stroke left out
    recognition: Recognition | None    # None when nothing is left (a one-stroke drawing)

    @property
    def digit(self) -> int | None:
        return None if self.recognition is None else self.recognition.digit

    def penalty_changes(self, full: Recognition) -> np.ndarray | None:
        """How each class's penalty moves when the stroke goes (positive: the stroke helped it)."""
        return None if self.recognition is None else self.recognition.penalties - full.penalties

    def describe(self, full: Recognition) -> str:
        """One line for people, e.g. 'without stroke 2 it would be a 1', or 'without stroke 1 it
        would still be a 7, its penalty 1.5 higher'."""
        name = f"stroke {self.stroke + 1}"
        if self.recognition is None:
            return f"without {name} nothing is left"
        if self.recognition.reason == TOO_SMALL:
            return f"without {name} it would be too small to read"
        if self.recognition.rejected:
            return f"without {name} it would not be a digit"
        if self.recognition.digit == full.digit:
            change = self.recognition.penalties[full.digit] - full.penalties[full.digit]
            return f"without {name} it would still be a {full.digit}, {penalty_change_text(change)}"
        return f"without {name} it would be a {self.recognition.digit}"

    def to_json(self, full: Recognition) -> dict:
        if self.recognition is None:
            return {"stroke": self.stroke, "digit": None, "penalties": None, "rejected": None}
        return {"stroke": self.stroke, **self.recognition.to_json()}


#: Leaving each stroke out re-renders the rest: strokes × points of work, quadratic in the
#: strokes. Beyond these, the per-stroke effects are not computed (and the output says so).
MAX_EFFECT_STROKES = 100
MAX_EFFECT_WORK = 2_000_000  # strokes × points


def stroke_effects_skipped(strokes: Sequence[Stroke]) -> str | None:
    """Why the per-stroke effects of `strokes` are not computed (too much work), or None."""
    points = sum(len(stroke) for stroke in strokes)
    if len(strokes) > MAX_EFFECT_STROKES:
        return (f"per-stroke effects not computed: {len(strokes):,} strokes (at most {MAX_EFFECT_STROKES:,}, "
                "each left out in turn)")
    if len(strokes) * points > MAX_EFFECT_WORK:
        return (f"per-stroke effects not computed: {len(strokes):,} strokes of {points:,} points in all "
                f"(strokes × points at most {MAX_EFFECT_WORK:,})")
    return None


def stroke_effects(recognizer: Recognizer, strokes: Sequence[Stroke], pen_width: float | None = None,
                   canvas_size: tuple[float, float] | None = None) -> list[StrokeEffect]:
    """For each stroke, the drawing recognised without it (normalised again, as drawn, and judged
    too small on `canvas_size` as the whole drawing is: ink.too_small); none when that is too much
    work (`stroke_effects_skipped` says why)."""
    if stroke_effects_skipped(strokes):
        return []
    effects = []
    for left_out in range(len(strokes)):
        rest = [stroke for index, stroke in enumerate(strokes) if index != left_out]
        try:
            recognition = recognizer.recognize_array(render_strokes(rest, pen_width), None,
                                                     drawing_too_small(rest, canvas_size)) if rest else None
        except EmptyDrawing:
            recognition = None
        effects.append(StrokeEffect(left_out, recognition))
    return effects


@dataclass
class Explanation:
    """Everything the attribution views show for one drawing or image."""

    recognition: Recognition
    attribution: Attribution
    placement: Placement | None         # where the drawing (canvas pixels) or image (its pixels) landed on the input
    stroke_effects: list[StrokeEffect]  # empty for an image or a one-stroke drawing


def explain_input(recognizer: Recognizer, digit: int | None = None, *, strokes: Sequence[Stroke] | None = None,
                  pen_width: float | None = None, canvas_size: tuple[float, float] | None = None,
                  array32: np.ndarray | None = None, placement: Placement | None = None,
                  too_small: bool = False) -> Explanation:
    """Attribution for `digit` (default: the answer) and, for a drawing of several strokes, what
    each stroke does. "Too small" is decided as for recognition (ink.too_small): a drawing's on
    `canvas_size`, an image's by whoever prepared `array32` (`too_small`, as
    ink.images.prepare_image says). `placement` says where an image given as `array32` lies on
    it, if known. Raises EmptyDrawing when there is nothing to explain."""
    if strokes is not None:
        array32, placement = render_strokes_placed(strokes, pen_width)
        too_small = drawing_too_small(strokes, canvas_size)
    elif array32 is None:
        raise ValueError("give strokes or array32")
    recognition = recognizer.recognize_array(array32, None, too_small)
    attribution = integrated_gradients(recognizer.model, array32, digit)
    effects = (stroke_effects(recognizer, strokes, pen_width, canvas_size)
               if strokes is not None and len(strokes) > 1 else [])
    return Explanation(recognition, attribution, placement, effects)
