"""Cutting a written number into candidate pieces (heuristic over-segmentation, no Qt, no torch).

LeCun et al. (1998, Sections IV–V) read a string by proposing more cuts than needed and letting
the recogniser judge every piece. Here the first cuts come from the way the ink was made:

- strokes: each stroke is a segment (people lift the pen between digits, so digits that touch
  or overlap on the screen are still separate strokes); a stroke clearly wider than a digit
  (a "joined-up" 11 or 23) is cut where little of it lies, at the minima of its horizontal
  ink profile;
- images (digitpad.reading.image_segmentation): each connected component of ink is a segment
  (a photo of a ZIP code); a component clearly wider than a digit (digits that touch) is cut
  along the path of least ink (a seam that may bend around strokes) at the minima of its
  vertical ink projection.

Segments are ordered left to right; digitpad.reading.number_reading scores every run of 1–4 consecutive
segments as one digit and keeps the cheapest path. `render_piece` turns such a run into
LeNet-5's 32×32 input with exactly the normalisation a single drawing or image gets.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from digitpad.ink.normalise import EmptyDrawing, normalise_ink
from digitpad.ink.strokes import Stroke, clean_strokes, render_strokes

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in input coordinates

#: A stroke wider than this × the number's height may hold more than one digit, and is cut
#: (benchmarks/strings.py, validation split; images: image_segmentation.WIDE_COMPONENT).
WIDE_STROKE = 0.7
#: The number's height is its ink's height, but at least this × its width: a straight line has no
#: height to measure digits by. (It was the width for any drawing flatter than 1:5, but a real
#: writer's 8-digit number is as flat as 1:7, and a row of cursive loops, measured by its width,
#: was cut into a few squashed pieces that passed the width cue and read "77": issue 21.)
FLAT = 0.1
@dataclass(frozen=True)
class CutSpacing:
    """Where candidate cuts may go, in units of the number's height: at least `margin` from a
    segment's ends, `spacing` apart, at most one per `every` of width."""

    margin: float
    spacing: float
    every: float


#: Strokes are cut rarely (people lift the pen between digits) and sparingly, never within a
#: quarter of the height of a stroke's ends (real writers' wide 2s and 5s were cut into a sliver
#: and the rest, "5" → "55"); image components are cut far more often (image_segmentation.IMAGE_CUTS).
STROKE_CUTS = CutSpacing(margin=0.25, spacing=0.25, every=0.3)
#: More segments than this are not a number someone wrote (and would take long to score).
MAX_SEGMENTS = 60
#: Points of a drawing read as a number (a drawn digit has some hundreds) and separate marks of
#: an image (specks included, before they are dropped): bounds on the work, checked first.
MAX_POINTS = 50_000
MAX_COORDINATE = 1e6  # canvas pixels (±1.7e308 made the sizes overflow: "cost nan", then invalid JSON)
MAX_MARKS = 5_000
#: A stroke, or an image's ink component with little ink, spanning less than this × the tallest
#: stroke or component is a speck (a stray click, a fleck of dirt), not part of any digit: dropped.
#: (The smallest strokes of real digits, a 7's bar or a 5's flag, span 0.3 × the height or more.)
SPECK = 0.15
#: reading_order: a stroke with this share of its width within a wider stroke's columns is hosted.
HOSTED = 0.8
#: Segmentation.apart_strokes: a stroke this tall (× the number's height) may be a digit alone;
#: two such strokes overlapping less than SIDE_BY_SIDE × the narrower one's width stand apart.
TALL_STROKE = 0.6
SIDE_BY_SIDE = 0.5
RESUMED = 0.04


@dataclass
class Segment:
    """A candidate piece of a number: one stroke (or part), or one ink component (or part)."""

    box: Box
    strokes: tuple[int, ...] = ()  # stroke input: indices of the strokes it holds ink of
    polylines: tuple[np.ndarray, ...] = ()  # stroke input: its ink, (n, 2) points each
    pixels: tuple[np.ndarray, np.ndarray] | None = None  # image input: rows, cols in the ink image
    #: When this segment was cut off its left neighbour inside one stroke or component: about how
    #: many strokes that cut crosses (a cut between touching digits crosses few).
    cut_crossings: float = 0.0
    #: The stroke (its index) or the ink component (its number) this segment is all or part of.
    source: int = 0

    @property
    def centre_x(self) -> float:
        return (self.box[0] + self.box[2]) / 2


@dataclass
class Segmentation:
    """Segments left to right and what is needed to render any run of them."""

    segments: list[Segment]
    height: float  # the number's height in input coordinates
    ink: np.ndarray | None = None  # image input: the analysed ink image
    cut_xs: list[float] = field(default_factory=list)  # where cuts were made inside segments

    def box(self, first: int, stop: int) -> Box:
        boxes = [s.box for s in self.segments[first:stop]]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                max(b[3] for b in boxes))

    def strokes(self, first: int, stop: int) -> tuple[int, ...]:
        return tuple(sorted({i for s in self.segments[first:stop] for i in s.strokes}))

    def apart_strokes(self, first: int, stop: int) -> int:
        """How many pairs of whole strokes in segments first … stop-1 stand side by side, each
        tall enough to be a digit (TALL_STROKE × the number's height) and overlapping little in x
        (less than SIDE_BY_SIDE of the narrower): no digit is written that way (a 4's stem stands
        within its bar's columns, a 5's flag and a 7's bar are short), two neighbours are.
        0 for images and for the parts of one cut stroke."""
        if self.ink is not None:
            return 0
        parts = Counter(s.source for s in self.segments)
        whole = [s for s in self.segments[first:stop] if parts[s.source] == 1]
        tall = [s for s in whole if s.box[3] - s.box[1] >= TALL_STROKE * self.height]
        count = 0
        for k, a in enumerate(tall):
            for b in tall[k + 1:]:
                overlap = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
                narrower = max(min(a.box[2] - a.box[0], b.box[2] - b.box[0]), 0.05 * self.height)
                count += overlap < SIDE_BY_SIDE * narrower and not _resumed(a, b, self.height)
        return count

    def render_piece(self, first: int, stop: int) -> np.ndarray:
        """Segments first … stop-1 as one digit: LeNet-5's normalised (32, 32) input."""
        chosen = self.segments[first:stop]
        if self.ink is None:
            return render_strokes([p for s in chosen for p in s.polylines])
        rows = np.concatenate([s.pixels[0] for s in chosen])
        cols = np.concatenate([s.pixels[1] for s in chosen])
        r0, c0 = rows.min(), cols.min()
        crop = np.zeros((rows.max() - r0 + 1, cols.max() - c0 + 1), np.float32)
        crop[rows - r0, cols - c0] = self.ink[rows, cols]
        return normalise_ink(crop)


# ---------------------------------------------------------------------------------------------
# Strokes


def segment_strokes(strokes: Sequence[Stroke]) -> Segmentation:
    """Strokes (canvas pixels, y down) -> segments: one per stroke, wide strokes cut."""
    points_count = sum(len(stroke) for stroke in strokes)
    if points_count > MAX_POINTS:  # the cuts' ink profile is as long as the strokes: bounded first
        raise ValueError(f"{points_count:,} points: too many to read as one number (at most {MAX_POINTS:,})")
    cleaned = [(index, parts[0]) for index, stroke in enumerate(strokes) if (parts := clean_strokes([stroke]))]
    if not cleaned:
        raise EmptyDrawing("no strokes with finite points")
    if max(float(np.abs(pts).max()) for _, pts in cleaned) > MAX_COORDINATE:  # sizes, cuts, costs stay finite
        raise ValueError(f"coordinates beyond ±{MAX_COORDINATE:,.0f} pixels: too far out to read as a number")
    cleaned = [stroke for stroke, speck in zip(cleaned, specks([pts for _, pts in cleaned])) if not speck]
    points = np.concatenate([pts for _, pts in cleaned])
    extent = points.max(axis=0) - points.min(axis=0)
    height = max(float(extent[1]), FLAT * float(extent[0]))
    segments: list[Segment] = []
    cut_xs: list[float] = []
    for index, pts in cleaned:
        bands = _stroke_cuts(pts, height)
        cut_xs += bands
        crossings = [float(np.count_nonzero(np.diff(np.sign(pts[:, 0] - x)) != 0)) for x in bands]
        for piece, crossed in zip(_split_stroke(pts, bands), [0.0] + crossings):
            segments.append(Segment(_points_box(piece), (index,), tuple(piece), cut_crossings=crossed, source=index))
    segments = reading_order(segments, max(height, 1e-9))
    if len(segments) > MAX_SEGMENTS:
        raise ValueError(f"{len(segments)} strokes and parts: too many to read as one number (at most {MAX_SEGMENTS})")
    return Segmentation(segments, max(height, 1e-9), cut_xs=sorted(cut_xs))


def reading_order(segments: list[Segment], height: float) -> list[Segment]:
    """Segments left to right, each stroke that lies within another's columns right after it.

    A piece is a run of consecutive segments, so a digit's strokes must come together. Sorting by
    centre alone splits them when the next digit overlaps: a 4's stem or a 5's flag stands in the
    right part of its digit, where the next digit's stroke may already begin. So a stroke whose
    columns lie mostly (HOSTED) within a wider stroke's is ordered with that "host" (by the host's
    centre): a bar, a flag, a stem, a dot, a retraced outline stay with the body they were written
    on, whenever they were written — the drawing order is not used, since a crossbar may come
    after the next digit. Among a host's strokes the short ones (bars, flags: under TALL_STROKE ×
    the number's height) come first, then the tall ones by centre: a neighbour's narrow 1 hosted by
    a wide 7 then never stands between the 7 and its bar, and keeps its own place among the tall.
    """

    def hosted_by(segment: Segment) -> Segment | None:
        x0, _, x1, _ = segment.box
        width = max(x1 - x0, 1e-9)
        hosts = [other for other in segments
                 if other.source != segment.source and other.box[2] - other.box[0] > width
                 and min(x1, other.box[2]) - max(x0, other.box[0]) >= HOSTED * width]
        return max(hosts, key=lambda h: h.box[2] - h.box[0], default=None)

    def key(segment: Segment) -> tuple[float, bool, float, float]:
        host = hosted_by(segment)
        tall = segment.box[3] - segment.box[1] >= TALL_STROKE * height
        return (host.centre_x if host is not None else segment.centre_x, tall, segment.centre_x, segment.box[0])

    return sorted(segments, key=key)


def drop_specks(strokes: Sequence[Stroke]) -> list[np.ndarray]:
    """The strokes as (n, 2) arrays of finite points, without the specks (see `specks`)."""
    parts = clean_strokes(strokes)
    return [pts for pts, speck in zip(parts, specks(parts)) if not speck]


def specks(strokes: Sequence[np.ndarray]) -> list[bool]:
    """For each stroke ((n, 2) points), whether it spans less than SPECK × the tallest stroke (the
    pen not counted: a click spans 0): a stray click beside a number, not part of any digit."""
    tallest = max((float(np.ptp(pts[:, 1])) for pts in strokes), default=0.0)
    # Never all of them: the tallest stroke spans at least its own height.
    return [float(np.ptp(pts, axis=0).max()) < SPECK * tallest for pts in strokes]


def _resumed(a: Segment, b: Segment, height: float) -> bool:
    """Whether one stroke starts or ends where the other does (within RESUMED × the height): the
    pen lifted inside a digit and put down again (a 0 in two arcs), not two digits side by side."""
    ends_a = np.array([p for line in a.polylines for p in (line[0], line[-1])])
    ends_b = np.array([p for line in b.polylines for p in (line[0], line[-1])])
    nearest = np.sqrt(((ends_a[:, None, :] - ends_b[None, :, :]) ** 2).sum(axis=2)).min()
    return bool(nearest <= RESUMED * height)


def _points_box(polylines: Sequence[np.ndarray]) -> Box:
    allpts = np.concatenate(polylines)
    x0, y0 = allpts.min(axis=0)
    x1, y1 = allpts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _stroke_cuts(pts: np.ndarray, height: float) -> list[float]:
    """x positions where a stroke wider than a digit holds the least ink (none for a narrow one)."""
    x0, x1 = float(pts[:, 0].min()), float(pts[:, 0].max())
    if height <= 0 or x1 - x0 <= WIDE_STROKE * height:
        return []
    # Ink profile: the stroke's length per column, from points resampled every 1/64 of the height.
    step = height / 64
    seg = np.diff(pts, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    if along[-1] <= 0:
        return []
    t = np.arange(0.0, along[-1], step)
    xs = np.interp(t, along, pts[:, 0])
    bins = max(1, math.ceil((x1 - x0) / step))
    profile = np.bincount(np.minimum(((xs - x0) / step).astype(int), bins - 1), minlength=bins).astype(float)
    return [x0 + (i + 0.5) * step for i in _profile_minima(profile, height / step, STROKE_CUTS)]


def _split_stroke(pts: np.ndarray, cuts: list[float]) -> list[list[np.ndarray]]:
    """The stroke's points grouped by the band between cuts they fall in; each band's runs of
    consecutive points become the polylines of one segment."""
    if not cuts:
        return [[pts]]
    band = np.searchsorted(np.asarray(cuts), pts[:, 0])
    pieces: dict[int, list[np.ndarray]] = {}
    start = 0
    for i in range(1, len(pts) + 1):
        if i == len(pts) or band[i] != band[start]:
            pieces.setdefault(int(band[start]), []).append(pts[start:i])
            start = i
    return [pieces[b] for b in sorted(pieces)]


def _profile_minima(profile: np.ndarray, height: float, cuts: CutSpacing) -> list[int]:
    """Indices of the deepest local minima of an ink profile, placed as `cuts` allows."""
    n = len(profile)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    margin = max(1, int(cuts.margin * height))
    candidates = [i for i in range(margin, n - margin)
                  if smooth[i] <= smooth[i - 1] and smooth[i] <= smooth[i + 1]]
    chosen: list[int] = []
    most = max(1, int(n / (cuts.every * height)))
    for i in sorted(candidates, key=lambda i: (smooth[i], i)):
        if all(abs(i - c) >= cuts.spacing * height for c in chosen):
            chosen.append(i)
        if len(chosen) == most:
            break
    return sorted(chosen)
