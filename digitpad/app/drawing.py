"""What is on the canvas, as plain data: strokes, undo/redo, the pen width, or an opened image.

The GUI's canvas draws a `Drawing` and feeds it the pen's positions; the main window observes
it and recognises what it holds. Observers are plain callables, called with a `Change` after
every change, so the model is testable without Qt (and imports none).

An opened image replaces the strokes as the network's input until something is drawn; it is
one step in the undo history like any stroke, so Undo after opening an image brings the
drawing back, and Redo the image.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from digitpad.ink.normalise import Placement

Point = tuple[float, float]
Stroke = tuple[Point, ...]

DEFAULT_PEN_WIDTH = 30.0
MIN_PEN_WIDTH = 4.0
MAX_PEN_WIDTH = 60.0


class Change(enum.Enum):
    """What happened to the drawing, for its observers."""

    GROWING = "growing"  # the stroke under the pen began or grew (many times a second)
    EDITED = "edited"    # a resting state: a stroke finished, undo, redo, clear, an image opened
    PEN = "pen"          # the pen width changed


@dataclass(frozen=True, eq=False)
class OpenedImage:
    """An image shown instead of strokes: the network's 32×32 input made from it, a caption,
    and what a view paints for it (the GUI puts its decoded picture here; the core never
    reads it, and it may be None when the picture cannot be shown)."""

    input: np.ndarray
    caption: str
    preview: object = None
    too_small: bool = False  # its ink was a speck (ink.too_small.image_ink_too_small)
    placement: Placement | None = None  # where the image's pixels landed on `input`
    #: The evaluation set it comes from ("the MNIST test set"), if any: teaching it would train
    #: on data kept for measuring (the Mistakes browser opens such examples).
    held_out_from: str | None = None


@dataclass(frozen=True)
class DrawingState:
    """One step of the undo history."""

    strokes: tuple[Stroke, ...] = ()
    image: OpenedImage | None = None


def _stroke(points: Iterable[Iterable[float]]) -> Stroke:
    return tuple((float(x), float(y)) for x, y in points)


class Drawing:
    """Strokes (in the canvas's coordinates) with whole-stroke undo/redo, or an opened image."""

    def __init__(self, pen_width: float = DEFAULT_PEN_WIDTH):
        self._state = DrawingState()
        self._undo: list[DrawingState] = []
        self._redo: list[DrawingState] = []
        self._current: list[Point] | None = None
        self._over_image = False  # the stroke being drawn replaced an opened image
        self._pen_width = self._clamp(pen_width)
        self._observers: list[Callable[[Change], None]] = []

    # ---- observing -------------------------------------------------------------------------
    def subscribe(self, observer: Callable[[Change], None]) -> None:
        """Call `observer(change)` after every change, in the order of subscription."""
        self._observers.append(observer)

    def unsubscribe(self, observer: Callable[[Change], None]) -> None:
        self._observers.remove(observer)

    def _notify(self, change: Change) -> None:
        for observer in list(self._observers):
            observer(change)

    # ---- reading ---------------------------------------------------------------------------
    def strokes(self) -> list[list[Point]]:
        """Every stroke, including the one being drawn, as lists of (x, y)."""
        strokes = [list(s) for s in self._state.strokes]
        if self._current:
            strokes.append(list(self._current))
        return strokes

    @property
    def finished_strokes(self) -> tuple[Stroke, ...]:
        return self._state.strokes

    @property
    def current_stroke(self) -> tuple[Point, ...] | None:
        """The stroke under the pen, or None between strokes."""
        return tuple(self._current) if self._current is not None else None

    @property
    def image(self) -> OpenedImage | None:
        """The opened image shown instead of strokes, if any."""
        return self._state.image

    @property
    def pen_width(self) -> float:
        return self._pen_width

    def is_empty(self) -> bool:
        """No strokes (an opened image does not count: it is not a drawing)."""
        return not self._state.strokes and not self._current

    def is_drawing(self) -> bool:
        return self._current is not None

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # ---- the pen ---------------------------------------------------------------------------
    def begin_stroke(self, point: Point) -> None:
        """The pen touched down. Over an opened image, the image goes (one undo step)."""
        # Drawing over an image: the image goes at once (so it is no longer the input), and the
        # stroke, once finished, is part of that same undo step.
        self._over_image = self._state.image is not None
        if self._over_image:
            self._push(DrawingState())
        self._current = [(float(point[0]), float(point[1]))]
        self._notify(Change.GROWING)

    def extend_stroke(self, point: Point) -> bool:
        """The pen moved; False (and no notification) between strokes or for the same point."""
        if self._current is None:
            return False
        point = (float(point[0]), float(point[1]))
        if point == self._current[-1]:
            return False
        self._current.append(point)
        self._notify(Change.GROWING)
        return True

    def finish_stroke(self) -> None:
        """The pen lifted: the stroke becomes one undo step."""
        if self._current is None:
            return
        state = DrawingState(self._state.strokes + (tuple(self._current),))
        if self._over_image:
            self._state, self._current = state, None
            self._notify(Change.EDITED)
        else:
            self._commit(state)

    def set_pen_width(self, width: float) -> None:
        width = self._clamp(width)
        if width != self._pen_width:
            self._pen_width = width
            self._notify(Change.PEN)

    @staticmethod
    def _clamp(width: float) -> float:
        return float(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH))

    # ---- whole edits (each one undo step) -------------------------------------------------
    def add_stroke(self, points: Iterable[Iterable[float]]) -> None:
        """Add a finished stroke (e.g. from a test or a script) as if it had just been drawn."""
        stroke = _stroke(points)
        if stroke:
            self._commit(DrawingState(self._state.strokes + (stroke,)))

    def set_strokes(self, strokes: Iterable[Iterable[Iterable[float]]]) -> None:
        """Replace the drawing (undoable)."""
        self._commit(DrawingState(tuple(s for s in (_stroke(p) for p in strokes) if s)))

    def clear(self) -> None:
        if self._state != DrawingState() or self._current is not None:
            self._commit(DrawingState())

    def open_image(self, image: OpenedImage) -> None:
        """Show `image` instead of the strokes (undoable: Undo brings the drawing back)."""
        self._commit(DrawingState((), image))

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._state)
            self._set(self._undo.pop())

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._state)
            self._set(self._redo.pop())

    def _push(self, state: DrawingState) -> None:
        """Make `state` current as a new undo step, without notifying."""
        self._undo.append(self._state)
        self._redo.clear()
        self._state = state

    def _commit(self, state: DrawingState) -> None:
        self._push(state)
        self._current = None
        self._notify(Change.EDITED)

    def _set(self, state: DrawingState) -> None:
        self._state = state
        self._current = None
        self._notify(Change.EDITED)
