"""Cutting a scanned number into candidate pieces: ink components, wide ones cut along seams.

The image half of digitpad.reading.segmentation (which holds the shared Segment, Segmentation
and the strokes' half): each connected component of ink is a segment (a photo of a ZIP code); a
component clearly wider than a digit (digits that touch) is cut along the path of least ink (a
seam that may bend around strokes) at the minima of its vertical ink projection. No Qt, no torch.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from digitpad.ink.images import ImageError, InkImage
from digitpad.ink.normalise import EmptyDrawing
from digitpad.reading.segmentation import (
    MAX_MARKS,
    MAX_SEGMENTS,
    SPECK,
    Box,
    CutSpacing,
    Segment,
    Segmentation,
    _profile_minima,
)

#: An ink component wider than this × the number's height may hold more than one digit, and is
#: cut (benchmarks/strings.py, validation split).
WIDE_COMPONENT = 0.75
#: Image components of touching digits need many candidate cuts, since only the recogniser can
#: tell the right ones (benchmarks/strings.py, validation split: MNIST touching 62 → 68 % read
#: exactly; strokes are cut sparingly, segmentation.STROKE_CUTS).
IMAGE_CUTS = CutSpacing(margin=0.08, spacing=0.1, every=0.1)
#: A seam may bend this far (× height) either side of its ink minimum to pass between strokes.
SEAM_REACH = 0.1
#: Analysed with the number about this tall (bigger ones are box-reduced).
ANALYSIS_HEIGHT = 64
_INK_THRESHOLD = 0.25  # image ink above this connects components; fainter ink joins a neighbour


def segment_image(image: InkImage) -> Segmentation:
    """An image's ink -> segments: connected components, wide ones cut along seams."""
    ink = np.asarray(image.ink, np.float32)
    rows = np.flatnonzero(ink.max(axis=1) > _INK_THRESHOLD)
    cols = np.flatnonzero(ink.max(axis=0) > _INK_THRESHOLD)
    if rows.size == 0:
        raise EmptyDrawing("no ink in the image")
    top, left = max(rows[0] - 1, 0), max(cols[0] - 1, 0)
    ink = ink[top : rows[-1] + 2, left : cols[-1] + 2]
    reduce = max(1, math.floor((rows[-1] - rows[0] + 1) / ANALYSIS_HEIGHT))
    if reduce > 1:  # box-average: thin strokes keep their mass
        size = (max(1, ink.shape[1] // reduce), max(1, ink.shape[0] // reduce))
        ink = np.asarray(Image.fromarray(ink, "F").resize(size, Image.Resampling.BOX), np.float32)
    scale = reduce * image.source_pixels

    def to_input(r0: float, c0: float, r1: float, c1: float) -> Box:
        return ((left + c0 * reduce) * image.source_pixels, (top + r0 * reduce) * image.source_pixels,
                (left + c1 * reduce) * image.source_pixels, (top + r1 * reduce) * image.source_pixels)

    labels, count = label_components(ink > _INK_THRESHOLD)
    if count == 0:  # ink too faint once box-averaged
        raise EmptyDrawing("no ink in the image")
    if count > MAX_MARKS:  # before any work per mark (32,768 dots took 43 s to be refused)
        raise ImageError(f"{count:,} separate marks: too many to read as one number (at most {MAX_SEGMENTS})")
    labels = _attach_faint_ink(labels, ink)
    found = _component_pixels(labels, count)
    heights = [r.max() - r.min() + 1 for r, _ in found]
    height = max(heights)
    masses = [float(ink[r, c].sum()) for r, c in found]
    segments: list[Segment] = []
    cut_xs: list[float] = []
    for component, ((r, c), h, mass) in enumerate(zip(found, heights, masses)):
        if max(h, c.max() - c.min() + 1) < SPECK * height and mass < 0.02 * max(masses):
            continue
        for pr, pc, cut_x, crossed in _cut_component(ink, r, c, height):
            box = to_input(pr.min(), pc.min(), pr.max() + 1, pc.max() + 1)
            segments.append(Segment(box, pixels=(pr, pc), cut_crossings=crossed, source=component))
            if cut_x is not None:
                cut_xs.append((left + cut_x * reduce) * image.source_pixels)
    segments.sort(key=lambda s: (s.centre_x, s.box[0]))
    if len(segments) > MAX_SEGMENTS:
        raise ImageError(f"{len(segments)} separate marks: too many to read as one number (at most {MAX_SEGMENTS})")
    return Segmentation(segments, float(height * scale), ink=ink, cut_xs=sorted(set(cut_xs)))


def _component_pixels(labels: np.ndarray, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, cols) of the pixels of each label 1 … count, in one pass (not one per label)."""
    rows, cols = np.nonzero(labels)
    values = labels[rows, cols]
    order = np.argsort(values, kind="stable")  # stable: row-major order within a label, as np.nonzero
    bounds = np.searchsorted(values[order], np.arange(1, count + 2))
    return [(rows[order[a:b]], cols[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:])]


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean image: labels 1 … count (0 = background).

    Union-find over the runs of each row: a run joins every run of the row above that touches
    it, diagonally included."""
    h, w = mask.shape
    parent: list[int] = [0]

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    runs_by_row = []
    previous: list[tuple[int, int, int]] = []
    for r in range(h):
        edges = np.diff(np.concatenate(([0], mask[r].astype(np.int8), [0])))
        current = []
        j = 0
        for s, e in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
            while j < len(previous) and previous[j][1] < s:  # ends left of s-1: touches no later run
                j += 1
            label = 0
            k = j
            while k < len(previous) and previous[k][0] <= e:
                other = find(previous[k][2])
                if label == 0:
                    label = other
                elif other != label:
                    parent[max(other, label)] = min(other, label)
                    label = min(other, label)
                k += 1
            if label == 0:
                label = len(parent)
                parent.append(label)
            current.append((s, e, label))
        runs_by_row.append(current)
        previous = current
    roots = {}
    labels = np.zeros((h, w), np.int32)
    for r, runs in enumerate(runs_by_row):
        for s, e, label in runs:
            labels[r, s:e] = roots.setdefault(find(label), len(roots) + 1)
    return labels, len(roots)


def _attach_faint_ink(labels: np.ndarray, ink: np.ndarray, passes: int = 2) -> np.ndarray:
    """Faint (anti-aliased) ink next to a component joins it, so a piece keeps its soft edges."""
    labels = labels.copy()
    for _ in range(passes):
        faint = (labels == 0) & (ink > 0)
        if not faint.any():
            break
        padded = np.pad(labels, 1)
        h, w = labels.shape
        neighbour = np.zeros_like(labels)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                shifted = padded[1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w]
                neighbour = np.where(neighbour == 0, shifted, neighbour)
        labels = np.where(faint, neighbour, labels)
    return labels


def _cut_component(ink: np.ndarray, rows: np.ndarray, cols: np.ndarray, height: int):
    """A component's pixels as one segment, or, when it is wider than a digit, as the bands
    between seams through its ink minima. Yields, per band, its rows and cols, the x of the seam
    on its left (None for the first band) and about how many strokes that seam crosses."""
    c0, c1 = int(cols.min()), int(cols.max())
    if c1 - c0 + 1 <= WIDE_COMPONENT * height:
        yield rows, cols, None, 0.0
        return
    r0, r1 = int(rows.min()), int(rows.max())
    local = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.float32)
    local[rows - r0, cols - c0] = ink[rows, cols]
    minima = _profile_minima(local.sum(axis=0), height, IMAGE_CUTS)
    seams = [_seam(local, x, max(1, int(SEAM_REACH * height))) for x in minima]
    # A stroke is about a tenth of the height thick (MNIST: 2–3 px of 20): ink on a seam / that.
    crossed = [float(local[np.arange(len(seam)), seam].sum()) / (0.12 * height) for seam in seams]
    band = np.zeros(len(rows), np.int64)
    for seam in seams:
        band += (cols - c0) >= seam[rows - r0]
    for b in range(len(seams) + 1):
        keep = band == b
        if keep.any():
            yield rows[keep], cols[keep], (c0 + minima[b - 1] if b else None), (crossed[b - 1] if b else 0.0)


def _seam(local: np.ndarray, x: int, reach: int) -> np.ndarray:
    """Per row, the column of a top-to-bottom path within x ± reach crossing the least ink
    (moving at most one column per row): a cut that can pass between touching strokes."""
    h, w = local.shape
    lo, hi = max(0, x - reach), min(w, x + reach + 1)
    cost = local[:, lo:hi].astype(np.float64) + 0.02 * np.abs(np.arange(lo, hi) - x)
    total = cost.copy()
    step = np.zeros(cost.shape, np.int64)
    for r in range(1, h):
        prev = total[r - 1]
        options = np.stack([np.r_[np.inf, prev[:-1]], prev, np.r_[prev[1:], np.inf]])
        step[r] = options.argmin(axis=0) - 1
        total[r] += options.min(axis=0)
    path = np.zeros(h, np.int64)
    path[-1] = int(total[-1].argmin())
    for r in range(h - 1, 0, -1):
        path[r - 1] = path[r] + step[r, path[r]]
    return path + lo
