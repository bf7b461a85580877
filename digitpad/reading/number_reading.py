"""Reading a whole number by segmentation by recognition (LeCun et al. 1998, Sections IV–V). No Qt.

digitpad.reading.segmentation proposes more cuts than needed. Every run of 1–4 consecutive segments is
a candidate piece: an arc of a graph whose nodes are the cuts. All pieces are rendered as single
digits and scored by LeNet-5 in one forward pass; the cost of reading piece p as digit d is

    cost = y_d − log(1 − P_rubbish)

the RBF penalty of d (an unnormalised negative log-likelihood) plus the negative log of the
posterior that the piece is a digit at all, under eq. 9's rubbish class: about y_d for a good
piece, and far more for a piece that is not a digit (half a digit, two digits squeezed into
one), so a bad cut is expensive. The cheapest path from the first node to the last (Viterbi,
keeping a few cheapest distinct readings per node) gives the number; the cheapest path that
reads differently is kept as the runner-up, and a small gap between the two means "unsure".
A drawing whose cheapest path still costs more per digit than real numbers do (a wavy line, a
scribble, cut into slivers) is "not a number"; a click or a speck is "too small", as for one digit.

Longer than ~400 lines because the reading's settings (each with the measurement it was chosen
on), its result types and the path search are one algorithm read together; the cuts it searches
over are made elsewhere (segmentation.py, image_segmentation.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from digitpad.network.lenet5 import LeNet5, rubbish_posterior
from digitpad.ink.images import ImageSource, image_ink
from digitpad.ink.strokes import Stroke
from digitpad.ink.too_small import drawing_too_small, image_ink_too_small
from digitpad.reading.verdict import REJECT_THRESHOLD
from digitpad.reading.image_segmentation import segment_image
from digitpad.reading.segmentation import HOSTED, Box, Segmentation, segment_strokes
from digitpad.reading.verdict import NOT_A_NUMBER, TOO_SMALL, TOO_SMALL_TEXT, UNSURE_LEVEL, best_posterior

#: A piece holds at most this many consecutive segments (the paper used 1–3; touching digits in
#: images are cut finely, image_segmentation.IMAGE_CUTS, and one digit can span 4 of those pieces).
MAX_SEGMENTS_PER_PIECE = 4
#: Runs of 2–4 segments wider than this × the number's height are not one digit (not scored).
MAX_PIECE_WIDTH = 1.3
#: Pieces wider than this × the number's height start to cost extra (ReadingConfig.width_weight).
WIDE_PIECE = 0.8


@dataclass(frozen=True)
class ReadingConfig:
    """How pieces and paths are priced (tuned on the validation split of benchmarks/strings.py).

    Every number is in units of the rubbish class's constant j (eq. 9), the network's own yardstick
    for "this is a digit": a network trained with j = 40 has penalties about twice those of one
    trained with j = 20, and the same config serves both."""

    #: Subtracted from every piece's cost (× j): a piece pays y_d − bonus·j, so reading two
    #: well-formed digits is not dearer than squeezing them into one (costs only ever add up).
    piece_bonus: float = 0.0
    #: Shape cues, which the recogniser cannot see once a piece is normalised to 20 px: the cost
    #: per unit of a piece's width beyond WIDE_PIECE × the number's height (two digits squeezed
    #: into one are wide), and of the horizontal overlap of consecutive pieces as a fraction of
    #: the narrower one (a 9's tail or a 7's bar lies within its digit's columns; a neighbour
    #: digit overlaps little).
    width_weight: float = 0.0
    overlap_weight: float = 0.0
    #: Cost per stroke crossed by a cut made inside a stroke or an ink component.
    cut_weight: float = 0.0
    #: Cost of a piece holding two strokes that each look like a whole digit beside the other
    #: (segmentation.apart_strokes): two digits squeezed into one, which the recogniser may still
    #: read as one (a 1 and a 2 as a 2), since no digit is written as two tall strokes side by side.
    apart_weight: float = 0.0
    #: Extra cost of consecutive pieces when one lies within the other's columns (at least
    #: segmentation.HOSTED of the narrower's width): a stem, a bar, a retraced pass split off the
    #: body it was written on, which overlap_weight alone prices like neighbours that overlap.
    hosted_weight: float = 0.0
    #: Unsure when the runner-up reading costs less than this more than the best one. For strokes,
    #: the largest margin that flags at most 5 % of right readings of the held-out writers'
    #: numbers (validation seed, 450 numbers: 0.045 j flags 18 of 359 right and, with the rejected
    #: pieces, 35 of 91 wrong; 0.05 j flags 19 right, 0.1 j 44); for images, on MNIST's validation half.
    unsure_margin: float = 0.05
    #: Not a number when the cheapest path costs more than this per digit, the bonus not counted
    #: (its pieces' y_d − log(1 − P_rubbish), shape cues and cut costs, averaged): the pieces of a
    #: real number are good digits on average, the slivers a wavy line or a scribble is cut into
    #: are not (validation split: every number read right under 1.15 j, scribbles and lines
    #: mostly 1.2–2 j; benchmarks/README.md). The held-out writers' numbers (validation seed, 600)
    #: cost 0.71 j per digit at the median, 0.95 j at the 99.5th percentile: at most 1 in 600 refused.
    #: Chosen again for the default weights that also learnt pen strokes (validation seed, 150 a
    #: set): 1.2 j refuses fewer clean drawings (joined 5 → 3, delayed 2 → 1 of 150; real writers'
    #: none at either) and reads one more of 150 drawn non-numbers as a number (4, the rest unsure
    #: or refused); at 1.15 j a clean two-stroke 4 and 5 side by side (1.16 j) was "not a number".
    #: Kept for the default weights of 16:40 (validation seed, 300 a set): drawn numbers read right
    #: cost at most 1.19 j per digit; 1.15 j would refuse 4 of them, 1.2 j one (at 1.34 j).
    max_digit_cost: float = 1.2
    #: A piece is rejected ('?') when its rubbish posterior is above this (for a single drawing,
    #: verdict.REJECT_THRESHOLD). For strokes chosen on the held-out writers' numbers (validation
    #: seed): their plain 1s are often over 0.85 (a third of the wrong readings were a '?' in a
    #: right path); 0.99 reads 3 points more of them exactly, and a drawn triangle is still '?'.
    reject_level: float = REJECT_THRESHOLD
    #: Unsure when more pieces than this are all cut out of one stroke (or one ink component):
    #: people lift the pen between digits, and digits that touch do so in twos and threes, but a
    #: zigzag cut into teeth reads "111111" at a fair cost per digit.
    max_pieces_of_one_stroke: int = 3
    #: Not a number when more pieces than this are all cut out of one stroke (or ink component):
    #: nobody writes a number that long without lifting the pen, but a zigzag or a wave, measured
    #: by its real height, is cut into a long row of teeth that each pass as a "1" (validation seed:
    #: clean numbers read from one stroke or ink component have at most 4 pieces, 3 when read
    #: right; the drawn non-numbers that were only unsure have 4–23). 8 leaves room for a
    #: joined-up ZIP code or a date. Checked again for the default weights of 16:40 (same counts).
    max_digits_of_one_stroke: int = 8
    #: Not a number when it reads as two or more digits and not one of them is a digit the
    #: single-digit reader would give without doubt (best posterior under verdict.UNSURE_LEVEL):
    #: a picture of random grey noise cut in two read "88" at 1.145 j per digit, just under
    #: max_digit_cost, each half "not sure" alone. Images only: real writers' plain 1s are often
    #: doubtful alone (see reject_level), and the stroke settings are chosen without this rule.
    refuse_all_doubtful: bool = False


#: Strokes: chosen on the validation seed of benchmarks/strings.py's real writers' numbers (the
#: pen data's held-out writers, training.pen_split) together with the generator's styles, the
#: best sum of numbers read exactly (benchmarks/README.md); images: on the MNIST validation half.
#: Strokes rarely need cutting, so a larger bonus and stronger shape cues; image components often do.
STROKE_READING = ReadingConfig(piece_bonus=0.75, width_weight=1.5, overlap_weight=0.5, cut_weight=0.3,
                               apart_weight=1.0, hosted_weight=1.0, reject_level=0.99, unsure_margin=0.045)
#: Images keep the "not a number" level chosen for them, 1.15 j (1.2 j was chosen for drawings): with
#: the default weights (before and after those of 16:40) every MNIST validation number read right
#: costs at most 1.07 j per digit, and at 1.2 j scanned scribbles and waves at 1.17–1.19 j were
#: read as numbers (validation seed).
IMAGE_READING = ReadingConfig(piece_bonus=0.7, width_weight=1.0, overlap_weight=0.5, cut_weight=0.15,
                              refuse_all_doubtful=True, max_digit_cost=1.15)

#: Why a reading of slivers is unsure, in plain words.
SLIVERS = "every piece is cut out of one stroke"
#: Why a long row of slivers is not a number (ReadingConfig.max_digits_of_one_stroke).
ONE_STROKE_ROW = "all cut out of one stroke"
#: Why a reading none of whose digits is clear is not a number (ReadingConfig.refuse_all_doubtful).
ALL_DOUBTFUL = "not one of its digits is clearly a digit"

_KEEP_PER_NODE = 6  # distinct readings kept per node: enough for an exact runner-up in practice


@dataclass
class PieceReading:
    """One piece of the chosen path, read as one digit."""

    first: int  # its segments are first … stop-1
    stop: int
    digit: int
    penalties: np.ndarray  # the ten RBF penalties
    rubbish: float  # eq. 9's rubbish posterior
    cost: float  # what this piece adds to the path
    input: np.ndarray  # the 32×32 the network saw
    box: Box  # in input coordinates
    strokes: tuple[int, ...] = ()
    fixed: bool = False  # a person said which digit it is (NumberReading.corrected)
    reject_level: float = REJECT_THRESHOLD  # rejected ('?') above this rubbish posterior (ReadingConfig)

    @property
    def penalty(self) -> float:
        return float(self.penalties[self.digit])

    @property
    def rejected(self) -> bool:
        return not self.fixed and self.rubbish > self.reject_level

    def to_json(self, with_strokes: bool) -> dict:
        entry = {"digit": self.digit, "penalty": round(self.penalty, 4),
                 "box": [round(v, 1) for v in self.box], "rejected": self.rejected}
        if with_strokes:
            entry["strokes"] = list(self.strokes)
        return entry


@dataclass
class ScoredPieces:
    """Every candidate piece as scored, kept with a reading so that a correction can choose the
    path again at once, without the network (NumberReading.corrected)."""

    spans: list[tuple[int, int]]
    inputs: np.ndarray
    penalties: np.ndarray
    rubbish: np.ndarray
    rubbish_j: float
    config: ReadingConfig
    fixed: dict[tuple[int, int], int]


@dataclass
class NumberReading:
    """The cheapest reading of a number, the runner-up reading and how sure it is."""

    pieces: list[PieceReading]
    cost: float
    runner_up: str | None  # the cheapest reading with a different text, if any
    runner_up_cost: float | None
    segmentation: Segmentation
    from_strokes: bool
    seconds: float = 0.0
    pieces_scored: int = 0
    unsure_margin: float = 3.0  # in penalty units: choose_reading sets j × ReadingConfig.unsure_margin
    too_small: bool = False  # the whole drawing or image is a speck: nothing was read
    digit_cost: float = 0.0  # the path's cost per digit, the piece bonus not counted
    max_digit_cost: float = float("inf")  # above it, not a number (choose_reading: j × ReadingConfig's)
    one_stroke_slivers: bool = False  # many pieces, all cut out of one stroke or ink component
    one_stroke_row: bool = False  # too many of them to be a number (ReadingConfig.max_digits_of_one_stroke)
    all_doubtful: bool = False  # several pieces, none clearly a digit (ReadingConfig.refuse_all_doubtful)
    scored: ScoredPieces | None = None  # what the path was chosen from (None for a speck)

    @classmethod
    def of_a_speck(cls, segmentation: Segmentation, from_strokes: bool, started: float) -> NumberReading:
        """The answer for a drawing or image too small to read (a click, a dot): no pieces."""
        return cls([], 0.0, None, None, segmentation, from_strokes,
                   seconds=time.perf_counter() - started, too_small=True)

    def corrected(self, index: int, digit: int) -> NumberReading:
        """The reading again with piece `index` fixed as `digit` (and earlier corrections kept):
        the cheapest path that reads it so, which may cut its neighbours differently. No network
        pass: the pieces' scores are reused (a few ms)."""
        if self.scored is None or not 0 <= index < len(self.pieces) or not 0 <= digit <= 9:
            raise ValueError(f"no piece {index} to read as {digit}")
        piece, scored = self.pieces[index], self.scored
        reading = choose_reading(self.segmentation, scored.spans, scored.inputs, scored.penalties, scored.rubbish,
                                 scored.rubbish_j, scored.config, {**scored.fixed, (piece.first, piece.stop): digit})
        reading.from_strokes, reading.seconds = self.from_strokes, self.seconds
        return reading

    @property
    def not_a_number(self) -> bool:
        return self.digit_cost > self.max_digit_cost or self.all_doubtful or self.one_stroke_row

    @property
    def reason(self) -> str | None:
        """Why no number is given: verdict.TOO_SMALL, NOT_A_NUMBER, or None when there is a reading."""
        if self.too_small:
            return TOO_SMALL
        return NOT_A_NUMBER if self.not_a_number else None

    @property
    def text(self) -> str:
        """The digits read; a piece the rubbish class rejects reads as '?'; '' when no number is
        given (see `reason`)."""
        return "" if self.reason is not None else self.pieces_text

    @property
    def unsure(self) -> bool:
        """A number is given, but the runner-up is close, a piece is rejected ('?') or the pieces
        are slivers of one stroke."""
        if self.reason is not None:
            return False
        close = self.runner_up_cost is not None and self.runner_up_cost - self.cost < self.unsure_margin
        return bool(close) or any(p.rejected for p in self.pieces) or self.one_stroke_slivers

    @property
    def pieces_text(self) -> str:
        """What the pieces read, even when no number is given ('?' for a rejected piece)."""
        return "".join("?" if p.rejected else str(p.digit) for p in self.pieces)

    @property
    def cuts(self) -> list[float]:
        """x of the chosen cuts: midway between consecutive pieces' boxes."""
        return [(a.box[2] + b.box[0]) / 2 for a, b in zip(self.pieces, self.pieces[1:])]

    def describe(self) -> str:
        """'2048 (cost -52.31; runner-up 2046, cost -40.12)', for people; 'unsure' when it is;
        the single-digit mode's words when the drawing is too small."""
        if self.too_small:
            return TOO_SMALL_TEXT
        if self.all_doubtful:
            return f"Not a number: its best reading, {self.pieces_text}, has {len(self.pieces)} digits: {ALL_DOUBTFUL}"
        if self.one_stroke_row:
            return (f"Not a number: its best reading, {self.pieces_text}, has {len(self.pieces)} digits: "
                    f"{ONE_STROKE_ROW}")
        if self.not_a_number:
            return (f"Not a number: its best reading, {self.pieces_text}, costs {self.digit_cost:.1f} per digit "
                    f"(a number's digits cost under {self.max_digit_cost:.1f})")
        runner = f"; runner-up {self.runner_up}, cost {self.runner_up_cost:.2f}" if self.runner_up else ""
        unsure = f"unsure{', ' + SLIVERS if self.one_stroke_slivers else ''}; " if self.unsure else ""
        return f"{self.text} ({unsure}cost {self.cost:.2f}{runner})"

    def to_json(self) -> dict:
        digits = [] if self.reason is not None else [p.to_json(self.from_strokes) for p in self.pieces]
        return {"text": self.text, "digits": digits,
                "cost": round(self.cost, 4), "unsure": self.unsure, "reason": self.reason,
                "runner_up": self.runner_up,
                "runner_up_cost": None if self.runner_up_cost is None else round(self.runner_up_cost, 4)}


class NumberReader:
    """Reads numbers with one LeNet-5 on one device."""

    def __init__(self, model: LeNet5, device: torch.device | str = "cpu",
                 stroke_config: ReadingConfig = STROKE_READING, image_config: ReadingConfig = IMAGE_READING):
        self.stroke_config, self.image_config = stroke_config, image_config
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()

    def read_strokes(self, strokes: Sequence[Stroke], canvas_size: tuple[float, float] | None = None) -> NumberReading:
        """A drawing spanning less than ink.too_small.MIN_DRAWING_FRACTION of the canvas's shorter side
        (`canvas_size`, as for one digit: ink.too_small.drawing_too_small) is too small to read.
        Raises EmptyDrawing when there is nothing to read."""
        started = time.perf_counter()
        segmentation = segment_strokes(strokes)
        if drawing_too_small(strokes, canvas_size):
            return NumberReading.of_a_speck(segmentation, True, started)
        return self.read(segmentation, from_strokes=True, started=started)

    def read_image(self, source: ImageSource) -> NumberReading:
        """An image whose ink is a speck (ink.too_small.image_ink_too_small) is too small to read.
        Raises ImageError for unreadable images, EmptyDrawing for blank ones."""
        started = time.perf_counter()
        ink = image_ink(source)
        segmentation = segment_image(ink)
        if image_ink_too_small(ink.ink):
            return NumberReading.of_a_speck(segmentation, False, started)
        return self.read(segmentation, from_strokes=False, started=started)

    @torch.inference_mode()
    def score(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P, 32, 32) inputs -> (P, 10) penalties and (P,) rubbish posteriors, one forward pass."""
        batch = torch.from_numpy(np.ascontiguousarray(inputs, np.float32)).unsqueeze(1).to(self.device)
        penalties = self.model(batch)
        rubbish = rubbish_posterior(penalties, self.model.rubbish_j)
        return penalties.cpu().numpy().astype(np.float64), rubbish.cpu().numpy().astype(np.float64)

    def read(self, segmentation: Segmentation, from_strokes: bool, started: float | None = None) -> NumberReading:
        started = time.perf_counter() if started is None else started
        spans = candidate_pieces(segmentation)
        inputs = np.stack([segmentation.render_piece(first, stop) for first, stop in spans])
        penalties, rubbish = self.score(inputs)
        config = self.stroke_config if from_strokes else self.image_config
        reading = choose_reading(segmentation, spans, inputs, penalties, rubbish, self.model.rubbish_j, config)
        reading.from_strokes = from_strokes
        reading.seconds = time.perf_counter() - started
        return reading


def choose_reading(segmentation: Segmentation, spans: list[tuple[int, int]], inputs: np.ndarray,
                   penalties: np.ndarray, rubbish: np.ndarray, rubbish_j: float,
                   config: ReadingConfig, fixed: dict[tuple[int, int], int] | None = None) -> NumberReading:
    """The cheapest path through the scored pieces, and the runner-up reading.

    `fixed` maps pieces (first, stop) a person said are digits to those digits: every path then
    reads each of them as its digit, and no other piece may hold part of it."""
    fixed = dict(fixed or {})
    boxes = [segmentation.box(first, stop) for first, stop in spans]
    height = segmentation.height
    widths = np.array([(b[2] - b[0]) / height for b in boxes])
    j = rubbish_j  # the config's unit
    apart = np.array([segmentation.apart_strokes(first, stop) for first, stop in spans], float)
    shape = j * (config.width_weight * np.maximum(0.0, widths - WIDE_PIECE) - config.piece_bonus
                 + config.apart_weight * apart)
    costs = piece_costs(penalties, rubbish_j) + shape[:, None]
    cheapest = costs.min(axis=1)  # before any correction: what the network thinks of the ink
    for index, (first, stop) in enumerate(spans):
        for (fixed_first, fixed_stop), digit in fixed.items():
            if (first, stop) == (fixed_first, fixed_stop):
                costs[index, np.arange(10) != digit] = np.inf
            elif first < fixed_stop and fixed_first < stop:  # holds part of a fixed piece
                costs[index] = np.inf

    def overlap_cost(before: int, after: int) -> float:
        a, b = boxes[before], boxes[after]
        overlap = min(a[2], b[2]) - max(a[0], b[0])
        narrower = max(min(a[2] - a[0], b[2] - b[0]), 0.05 * height)
        cut = config.cut_weight * segmentation.segments[spans[after][0]].cut_crossings
        hosted = overlap >= 0 and overlap >= HOSTED * min(a[2] - a[0], b[2] - b[0])  # a stem is 0 wide
        share = min(1.0, max(0.0, overlap) / narrower)
        return j * (config.overlap_weight * share + config.hosted_weight * hosted + cut)

    paths = cheapest_paths(len(segmentation.segments), spans, costs, overlap_cost)
    best_cost, best = paths[0]
    pieces = []
    for index, digit in best:
        first, stop = spans[index]
        pieces.append(PieceReading(first, stop, digit, penalties[index], float(rubbish[index]),
                                   float(costs[index, digit]), inputs[index], boxes[index],
                                   segmentation.strokes(first, stop), fixed=(first, stop) in fixed,
                                   reject_level=config.reject_level))
    runner_up = paths[1] if len(paths) > 1 else None
    # The "not a number" gate judges the ink: a piece a person fixed counts at its cheapest digit's
    # cost, not at the dearer one they chose.
    overruled = sum(float(costs[index, digit] - cheapest[index]) for index, digit in best
                    if spans[index] in fixed)
    sources = {segment.source for piece in pieces for segment in segmentation.segments[piece.first:piece.stop]}
    return NumberReading(pieces, best_cost, _text(runner_up[1]) if runner_up else None,
                         runner_up[0] if runner_up else None, segmentation, from_strokes=False,
                         pieces_scored=len(spans),
                         scored=ScoredPieces(spans, inputs, penalties, rubbish, rubbish_j, config, fixed),
                         unsure_margin=j * config.unsure_margin,
                         digit_cost=(best_cost - overruled) / len(pieces) + j * config.piece_bonus,
                         max_digit_cost=j * config.max_digit_cost,
                         one_stroke_slivers=len(pieces) > config.max_pieces_of_one_stroke and len(sources) == 1,
                         one_stroke_row=len(pieces) > config.max_digits_of_one_stroke and len(sources) == 1,
                         all_doubtful=config.refuse_all_doubtful and len(pieces) >= 2 and not any(
                             p.fixed or best_posterior(p.penalties, p.rubbish) >= UNSURE_LEVEL for p in pieces))


def candidate_pieces(segmentation: Segmentation) -> list[tuple[int, int]]:
    """(first, stop) of every run of 1–4 consecutive segments that could be one digit, and of
    every longer run that holds whole strokes or ink components only (`whole_runs`)."""
    n = len(segmentation.segments)
    spans = []
    for first in range(n):
        for stop in range(first + 1, min(n, first + MAX_SEGMENTS_PER_PIECE) + 1):
            x0, _, x1, _ = segmentation.box(first, stop)
            if stop - first == 1 or x1 - x0 <= MAX_PIECE_WIDTH * segmentation.height:
                spans.append((first, stop))
    return spans + whole_runs(segmentation)


def whole_runs(segmentation: Segmentation) -> list[tuple[int, int]]:
    """(first, stop) of the runs of more than MAX_SEGMENTS_PER_PIECE segments, no wider than
    MAX_PIECE_WIDTH × the height, that hold every part of each stroke or ink component they touch.

    A wide component is cut finely (image_segmentation.IMAGE_CUTS: one candidate per tenth of the height),
    so one wide digit, a 7 or a 0 drawn broad, can be more than 4 segments: without this its
    uncut ink was never scored, and the cheapest path had to read it as two digits ("7" → "77",
    "0" → "12", noise → "88")."""
    segments = segmentation.segments
    first_of: dict[int, int] = {}
    last_of: dict[int, int] = {}
    for index, segment in enumerate(segments):
        first_of.setdefault(segment.source, index)
        last_of[segment.source] = index
    runs = []
    for first in range(len(segments)):
        if first_of[segments[first].source] != first:
            continue
        reach = first  # the last segment the run must hold so far
        for stop in range(first + 1, len(segments) + 1):
            x0, _, x1, _ = segmentation.box(first, stop)
            if x1 - x0 > MAX_PIECE_WIDTH * segmentation.height:
                break
            source = segments[stop - 1].source
            if first_of[source] < first:  # part of a component that started before the run
                break
            reach = max(reach, last_of[source])
            if stop - 1 == reach and stop - first > MAX_SEGMENTS_PER_PIECE:
                runs.append((first, stop))
    return runs


def piece_costs(penalties: np.ndarray, rubbish_j: float) -> np.ndarray:
    """(P, 10) cost of reading each piece as each digit: y_d − log(1 − P_rubbish), where
    −log(1 − P_rubbish) = log(e^{−j} + Σ_i e^{−y_i}) − log(Σ_i e^{−y_i}) (computed in float64,
    stable however large the penalties: about max(0, y_min − j))."""
    digits = np.logaddexp.reduce(-penalties, axis=1)
    not_digit = np.logaddexp(-rubbish_j, digits) - digits
    return penalties + not_digit[:, None]


Path = list[tuple[int, int]]  # (index of the piece in spans, digit) from left to right


def cheapest_paths(segments: int, spans: list[tuple[int, int]], costs: np.ndarray,
                   transition: Callable[[int, int], float] | None = None) -> list[tuple[float, Path]]:
    """Viterbi through the graph of pieces, keeping at each node the cheapest path per distinct
    reading (a few of them): [(cost, path)] of the best readings with different texts, best first.
    `transition(before, after)` is the extra cost of piece `after` following piece `before`."""
    arriving: dict[int, list[int]] = {}
    for index, (_, stop) in enumerate(spans):
        arriving.setdefault(stop, []).append(index)
    best: list[list[tuple[float, str, Path]]] = [[] for _ in range(segments + 1)]
    best[0] = [(0.0, "", [])]
    for node in range(1, segments + 1):
        readings: dict[str, tuple[float, str, Path]] = {}
        for index in arriving.get(node, []):
            start = spans[index][0]
            for cost, text, path in best[start]:
                if transition is not None and path:
                    cost += transition(path[-1][0], index)
                for digit in np.argsort(costs[index])[:3].tolist():  # worse digits never make a top reading
                    if not np.isfinite(costs[index, digit]):  # ruled out (a person fixed the digit)
                        continue
                    total, reading = cost + float(costs[index, digit]), text + str(digit)
                    if reading not in readings or total < readings[reading][0]:
                        readings[reading] = (total, reading, path + [(index, digit)])
        best[node] = sorted(readings.values(), key=lambda r: r[0])[:_KEEP_PER_NODE]
    return [(cost, path) for cost, _, path in best[segments]]


def _text(path: tuple[float, Path] | Path) -> str:
    return "".join(str(digit) for _, digit in path)
