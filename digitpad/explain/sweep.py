"""How far the network's invariance goes: one transform swept over a range, all ten penalties.

LeCun showed LeNet-5's invariance with fixed animations (translation, scale, rotation,
squeezing, stroke width, noise). Here any drawing or image is transformed step by step and
recognised at every step; the breaking point is the first value, going out from the
untransformed input, where the answer changes.

Where a transform happens matters. `drawing`: to the strokes (or an image's ink) *before*
normalisation, as a person would tilt or slant their writing; normalisation then re-centres and
re-sizes, so a shift or a change of size of the drawing disappears entirely (the sweep shows a
flat line, and says so). `input`: to the 32×32 array *after* normalisation, what the paper's
demonstrations show. No Qt here, and no torch until a Recognizer is passed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from digitpad.ink.normalise import BACKGROUND, INK, INPUT_SIZE, EmptyDrawing, normalise_ink
from digitpad.ink.strokes import Stroke, render_strokes_placed
from digitpad.ink.too_small import drawing_too_small
from digitpad.explain.transforms import INPUT, MAX_STEPS, MIN_STEPS, TRANSFORMS, Transform

if TYPE_CHECKING:  # imports torch, which this module needs only through the Recognizer passed in
    from digitpad.reading.recognition import Recognition, Recognizer

_SUPERSAMPLE = 4  # drawing-stage warps of an image and stroke-width changes work at 4× the input
#: The largest side of the sheet a drawing-stage warp of an image works on (the input at 4× is 128).
MAX_SHEET_SIDE = 4096
_NOISE_SEED = 0  # one fixed noise pattern, so the pixels corrupted at 10 % are also corrupted at 20 %


def sweep_values(transform: Transform, start: float | None = None, stop: float | None = None,
                 steps: int | None = None) -> list[float]:
    """Evenly spaced values from start to stop (the transform's defaults where not given), with 0
    added when it lies inside the range, so the untransformed input is always one of the steps."""
    start = transform.start if start is None else float(start)
    stop = transform.stop if stop is None else float(stop)
    steps = transform.steps if steps is None else int(steps)
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be {MIN_STEPS} … {MAX_STEPS}, got {steps}")
    if start >= stop:
        raise ValueError(f"--from ({start:g}) must be below --to ({stop:g})")
    for value in (start, stop):
        transform.check(value)
    values = [float(v) for v in np.linspace(start, stop, steps)]
    values = [0.0 if abs(v) < 1e-9 * (stop - start) else v for v in values]
    if start < 0 < stop and 0.0 not in values:
        values = sorted(values + [0.0])
    return values


def _matrix(transform: Transform, value: float) -> tuple[np.ndarray, np.ndarray]:
    """The affine map of a geometric transform about the origin: p' = M·p + t (x right, y down;
    t in input pixels)."""
    m, t = np.eye(2), np.zeros(2)
    if transform.name == "shift-x":
        t[0] = value
    elif transform.name == "shift-y":
        t[1] = value
    elif transform.name == "scale":
        m *= 1 + value / 100
    elif transform.name == "rotate":  # anticlockwise as seen on the screen, where y points down
        c, s = math.cos(math.radians(value)), math.sin(math.radians(value))
        m = np.array([[c, s], [-s, c]])
    elif transform.name == "squeeze":
        m = np.diag([1 - value / 100, 1 + value / 100])
    elif transform.name == "shear":  # points above the centre (smaller y) move right
        m = np.array([[1.0, -value], [0.0, 1.0]])
    else:
        raise ValueError(f"{transform.name} is not a geometric transform")
    return m, t


def _warp(ink: np.ndarray, m: np.ndarray, t: np.ndarray, centre: tuple[float, float],
          out_size: tuple[int, int], out_origin: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """`ink` mapped by p' = M·(p − centre) + centre + t, sampled bilinearly on an out_size grid
    whose pixel edge (0, 0) is at out_origin (pixel edges at whole numbers)."""
    inverse = np.linalg.inv(m)
    c = np.asarray(centre)
    # p = M⁻¹·(p' − centre − t) + centre, with p' = q + out_origin for the output grid's q.
    offset = inverse @ (np.asarray(out_origin) - c - t) + c
    data = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    image = Image.fromarray(np.ascontiguousarray(ink, np.float32), "F")
    warped = image.transform(out_size, Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR,
                             fillcolor=0.0)
    return np.asarray(warped, np.float32)


def _ink(array32: np.ndarray) -> np.ndarray:
    return np.clip((np.asarray(array32, np.float32) - BACKGROUND) / (INK - BACKGROUND), 0.0, 1.0)


def _to_input(ink: np.ndarray) -> np.ndarray:
    return np.clip(BACKGROUND + ink * (INK - BACKGROUND), BACKGROUND, INK).astype(np.float32)


def _upsample(ink: np.ndarray) -> np.ndarray:
    side = ink.shape[0] * _SUPERSAMPLE
    image = Image.fromarray(np.ascontiguousarray(ink, np.float32), "F")
    return np.asarray(image.resize((side, side), Image.Resampling.BILINEAR), np.float32)


def _downsample(ink: np.ndarray) -> np.ndarray:
    side = ink.shape[0] // _SUPERSAMPLE
    return ink.reshape(side, _SUPERSAMPLE, side, _SUPERSAMPLE).mean(axis=(1, 3))


def _change_width(ink: np.ndarray, change: float) -> np.ndarray:
    """Grey-level dilation (wider) or erosion (thinner) by a disc of radius |change|/2 input
    pixels, at 4× resolution so that half pixels count."""
    big = _upsample(ink)
    radius = abs(change) / 2 * _SUPERSAMPLE
    reach = math.floor(radius)
    padded = np.pad(big, reach)
    combine = np.maximum if change > 0 else np.minimum
    out = big.copy()
    side = big.shape[0]
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if (dy or dx) and dy * dy + dx * dx <= radius * radius:
                out = combine(out, padded[reach + dy: reach + dy + side, reach + dx: reach + dx + side])
    return np.clip(_downsample(out), 0.0, 1.0)


def _add_noise(ink: np.ndarray, percent: float) -> np.ndarray:
    """Salt and pepper: `percent` of the pixels become paper or ink at random (a fixed pattern)."""
    rng = np.random.default_rng(_NOISE_SEED)
    order, salt = rng.random(ink.shape), rng.random(ink.shape) < 0.5
    return np.where(order < percent / 100, salt.astype(np.float32), ink)


def transform_input(array32: np.ndarray, transform: Transform, value: float) -> np.ndarray:
    """The 32×32 input transformed after normalisation (about its centre; ink pushed off the
    edge is lost, uncovered area is paper)."""
    ink = _ink(array32)
    if transform.name == "width":
        return _to_input(_change_width(ink, value))
    if transform.name == "noise":
        return _to_input(_add_noise(ink, value))
    m, t = _matrix(transform, value)
    half = INPUT_SIZE / 2
    return _to_input(_warp(ink, m, t, (half, half), (INPUT_SIZE, INPUT_SIZE)))


def transform_strokes(strokes: Sequence[Stroke], transform: Transform, value: float,
                      input_scale: float) -> list[list[tuple[float, float]]]:
    """The strokes mapped about the centre of their bounding box; `input_scale` (input pixels
    per canvas pixel, from the drawing's Placement) turns shifts into canvas pixels."""
    points = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    finite = np.concatenate([p[np.isfinite(p).all(axis=1)] for p in points])
    centre = (finite.min(axis=0) + finite.max(axis=0)) / 2
    m, t = _matrix(transform, value)
    # A single dot has no size to scale by (0 / 0 made its points NaN): its shift stays in input pixels.
    shift = t / input_scale if math.isfinite(input_scale) and input_scale > 0 else t
    return [[tuple(q) for q in (p - centre) @ m.T + centre + shift] for p in points]


def transform_drawing_ink(array32: np.ndarray, transform: Transform, value: float) -> np.ndarray:
    """An image's drawing transformed before normalisation: its normalised ink, at 4× resolution,
    mapped about its centre onto a sheet large enough for all of it, then normalised again."""
    big = _upsample(_ink(array32))
    side = big.shape[0]
    m, t = _matrix(transform, value)
    t = t * _SUPERSAMPLE
    centre = np.array([side / 2, side / 2])
    corners = np.array([[0, 0], [side, 0], [0, side], [side, side]], np.float64)
    moved = (corners - centre) @ m.T + centre + t
    low, high = np.floor(moved.min(axis=0)), np.ceil(moved.max(axis=0))
    size = (int(high[0] - low[0]), int(high[1] - low[1]))
    if max(size) > MAX_SHEET_SIDE:  # the transforms' limits keep it far below; a guard, not a path
        raise ValueError(f"{transform.name} {value:g} would need a {size[0]}×{size[1]} sheet")
    warped = _warp(big, m, t, (side / 2, side / 2), size, (float(low[0]), float(low[1])))
    return normalise_ink(warped)


@dataclass
class SweepStep:
    value: float
    input: np.ndarray          # the transformed 32×32 the network saw
    recognition: Recognition

    @property
    def answer(self) -> int | None:
        """The digit, or None for "not a digit" or "too small"."""
        return None if self.recognition.rejected else self.recognition.digit

    def short_answer(self) -> str:
        """The digit, "not a digit" or "Too small — draw bigger" (verdict.short_answer)."""
        return self.recognition.short_answer()

    def to_json(self) -> dict:
        return {"value": round(self.value, 6), **self.recognition.to_json()}


@dataclass
class Sweep:
    transform: Transform
    stage: str
    steps: list[SweepStep]
    untransformed: Recognition

    @property
    def answer(self) -> int | None:
        """The untransformed input's answer (None for "not a digit" or "too small")."""
        return None if self.untransformed.rejected else self.untransformed.digit

    def short_answer(self) -> str:
        """The untransformed input's answer in words (verdict.short_answer), as the window says it."""
        return self.untransformed.short_answer()

    @property
    def breaking_points(self) -> tuple[float | None, float | None]:
        """Going out from 0 downwards and upwards, the first value whose answer differs (None
        when the answer holds to the end of the range on that side)."""
        below = [s for s in reversed(self.steps) if s.value < 0 and s.answer != self.answer]
        above = [s for s in self.steps if s.value > 0 and s.answer != self.answer]
        return (below[0].value if below else None, above[0].value if above else None)

    @property
    def note(self) -> str | None:
        if self.transform.removed_by_normalisation(self.stage):
            return (f"normalisation re-centres and re-sizes every drawing, so {self.transform.name} before "
                    f"normalisation changes nothing; the paper's demonstration applies it to the 32×32 input "
                    f"(stage '{INPUT}')")
        return None

    def penalties(self) -> np.ndarray:
        """steps × 10."""
        return np.stack([s.recognition.penalties for s in self.steps])


def run_sweep(recognizer: Recognizer, transform: Transform | str, values: Sequence[float], *,
              strokes: Sequence[Stroke] | None = None, pen_width: float | None = None,
              array32: np.ndarray | None = None, stage: str | None = None,
              canvas_size: tuple[float, float] | None = None, too_small: bool = False) -> Sweep:
    """Recognise the drawing (`strokes`) or the image's input (`array32`) at every value.

    At value 0 the input is the untransformed one, so that step equals plain recognition. "Too
    small" is decided as for recognition (ink.too_small): a drawing's on `canvas_size`, an image's
    by whoever prepared `array32` (`too_small`); a speck stays one at every step (no transform
    here makes a click a digit), so its sweep says so throughout instead of "not a digit"."""
    transform = TRANSFORMS[transform] if isinstance(transform, str) else transform
    stage = stage or transform.default_stage
    if stage not in transform.stages:
        raise ValueError(f"{transform.name} applies to the 32×32 input only (stage '{INPUT}')")
    if (strokes is None) == (array32 is None):
        raise ValueError("give either strokes or array32")
    for value in values:
        transform.check(value)
    placement = None
    if strokes is not None:
        array32, placement = render_strokes_placed(strokes, pen_width)
        too_small = drawing_too_small(strokes, canvas_size)
    untransformed = recognizer.recognize_array(array32, None, too_small)
    steps = []
    for value in values:
        if value == 0:
            step_input, recognition = array32, untransformed
        else:
            if stage == INPUT:
                step_input = transform_input(array32, transform, value)
            elif strokes is not None:
                moved = transform_strokes(strokes, transform, value, placement.scale)
                try:
                    step_input = render_strokes_placed(moved, pen_width)[0]
                except EmptyDrawing:  # squeezed to nothing: the network sees blank paper
                    step_input = np.full((INPUT_SIZE, INPUT_SIZE), BACKGROUND, np.float32)
            else:
                step_input = transform_drawing_ink(array32, transform, value)
            recognition = recognizer.recognize_array(step_input, None, too_small)
        steps.append(SweepStep(float(value), step_input, recognition))
    return Sweep(transform, stage, steps, untransformed)
