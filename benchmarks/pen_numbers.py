"""Numbers written by real people: one writer's stylus digits placed side by side (for strings.py).

The pen-digits data set (digitpad.storage.pendigits) holds single digits, each written in its own
box. A number is composed from ONE writer's digits (a person does not borrow another's 4), each
scaled by the same factor so the number is about `size` px tall with the writer's own variation in
height kept, standing on a common baseline that wobbles a little as a hand's does, placed left to
right with a gap between one digit's ink and the next:

- apart: 8–40 % of the height between their boxes;
- overlapping: at least one pair (each with probability ½) whose boxes overlap by 0–15 % of the
  height — their ink may still be apart, as a slanted writer's is;
- touching: at least one pair slid together until their ink touches (the nearest points of the two
  digits within 1.5 % of the height), the pen's strokes still separate.

Deterministic for a seed: the digits, the writer, every sample and offset come from `rng`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np

Stroke = list[tuple[float, float]]
MODES = ("apart", "overlapping", "touching")
#: Touching: the nearest points of two neighbours' ink this close (× the height).
TOUCH = 0.015


def by_writer(digits: Sequence) -> dict[int, list[list]]:
    """writer -> ten lists (one per label) of that writer's digits (anything with .label, .writer,
    .strokes), writers with every digit only."""
    writers: dict[int, list[list]] = {}
    for digit in digits:
        writers.setdefault(digit.writer, [[] for _ in range(10)])[digit.label].append(digit)
    return {w: classes for w, classes in sorted(writers.items()) if all(classes)}


def _pairs(rng: random.Random, pairs: int, some: bool) -> list[bool]:
    if not some or pairs == 0:
        return [False] * pairs
    chosen = [rng.random() < 0.5 for _ in range(pairs)]
    if not any(chosen):
        chosen[rng.randrange(pairs)] = True
    return chosen


def _nearest(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest distance between the points of two point sets, along their polylines (points
    resampled densely enough that a crossing shows as a small distance)."""
    return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)).min())


def _dense(strokes: list[np.ndarray], step: float) -> np.ndarray:
    out = []
    for pts in strokes:
        out.append(pts[:1])
        for p, q in zip(pts[:-1], pts[1:]):
            n = max(1, math.ceil(float(np.hypot(*(q - p))) / step))
            out.append(p + (q - p) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(out)


def compose_number(digits: Sequence[int], classes: list[list], rng: random.Random, mode: str,
                   size: float = 160.0) -> tuple[list[Stroke], list[int]]:
    """The strokes of `digits` written by the writer whose digits are `classes` (see by_writer),
    and how many of them each digit has (in order: digit k's strokes follow digit k−1's)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
    samples = [[np.asarray(s, float) for s in rng.choice(classes[d]).strokes] for d in digits]
    heights = [float(np.ptp(np.concatenate(s)[:, 1])) for s in samples]
    scale = size / max(float(np.median(heights)), 1.0)
    pairs = len(digits) - 1
    overlap = _pairs(rng, pairs, mode == "overlapping")
    touch = _pairs(rng, pairs, mode == "touching")
    baseline = 20.0 + size
    wobble = [rng.gauss(0.0, 0.04) * size for _ in digits]
    placed: list[list[np.ndarray]] = []
    x = 20.0
    for k, strokes in enumerate(samples):
        points = np.concatenate(strokes)
        left, bottom = points[:, 0].min(), points[:, 1].max()
        moved = [(s - (left, bottom)) * scale + (x, baseline + wobble[k]) for s in strokes]
        if k and touch[k - 1]:
            moved = _slide_until_touching(placed[-1], moved, size)
        placed.append(moved)
        right = max(float(s[:, 0].max()) for s in moved)
        if k < pairs:
            gap = -rng.uniform(0.0, 0.15) if overlap[k] else rng.uniform(0.08, 0.4)
            x = right + gap * size
    strokes = [[(float(round(px, 1)), float(round(py, 1))) for px, py in s] for digit in placed for s in digit]
    return strokes, [len(digit) for digit in placed]


def _slide_until_touching(before: list[np.ndarray], after: list[np.ndarray], size: float) -> list[np.ndarray]:
    """`after` moved left (from a small gap) until its ink comes within TOUCH × size of `before`'s."""
    step = 0.01 * size
    a = _dense(before, step)
    right = a[:, 0].max()
    left = min(float(s[:, 0].min()) for s in after)
    shifted = [s + (right - left + 0.1 * size, 0.0) for s in after]
    for _ in range(80):
        b = _dense(shifted, step)
        if _nearest(a, b) <= TOUCH * size:
            break
        shifted = [s - (step, 0.0) for s in shifted]
    return shifted
