"""Drawings as JSON records, one a line: ``{"strokes": [[[x, y], ...], ...], "canvas": [w, h]}``.

The one validator of strokes that come from outside (the command line's ``--strokes`` files,
the samples file) and the one reader of a file or pipe of such records. Reading goes through
`storage.jsonlines`, line by line with its length cap, so ``--strokes /dev/zero`` ends in one
line for every command. No torch, no Qt.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import sys
from collections.abc import Iterator
from pathlib import Path

from digitpad.storage.jsonlines import StreamError, decode_line, is_blank, iter_lines

Point = tuple[float, float]
Strokes = list[list[Point]]
#: "-" as a file name: standard input.
STDIN = "-"


def _is_coordinate(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _preview(value) -> str:
    try:
        return json.dumps(value)[:40]
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__


def parse_strokes(value, *, finite: bool = False) -> Strokes:
    """A record's "strokes" → a list of strokes, each a list of (x, y) floats; ValueError says
    what is wrong. `finite`: refuse NaN and infinite coordinates too (the samples file keeps only
    drawable points; the command line leaves them to the renderer, which skips them)."""
    if not isinstance(value, (list, tuple)):
        raise ValueError('"strokes" must be a list of strokes')
    wanted = "finite numbers" if finite else "numbers"
    parsed = []
    for s, stroke in enumerate(value):
        if not isinstance(stroke, (list, tuple)):
            raise ValueError(f"stroke {s} must be a list of [x, y] points")
        points = []
        for p, point in enumerate(stroke):
            try:
                if not (isinstance(point, (list, tuple)) and len(point) == 2 and all(map(_is_coordinate, point))):
                    raise ValueError
                x, y = float(point[0]), float(point[1])  # OverflowError: an integer too large for a float
                if finite and not (math.isfinite(x) and math.isfinite(y)):
                    raise ValueError
            except (ValueError, OverflowError):
                raise ValueError(f"stroke {s}, point {p}: expected [x, y] {wanted}, got {_preview(point)}") from None
            points.append((x, y))
        parsed.append(points)
    return parsed


def parse_canvas(record) -> tuple[float, float] | None:
    """A record's optional "canvas": [width, height] (how big the canvas was, for "too small")."""
    canvas = record.get("canvas") if isinstance(record, dict) else None
    if canvas is None:
        return None
    try:
        if not (isinstance(canvas, list) and len(canvas) == 2 and all(map(_is_coordinate, canvas))):
            raise ValueError
        width, height = float(canvas[0]), float(canvas[1])
    except (ValueError, OverflowError):
        raise ValueError('"canvas" must be [width, height], two positive numbers') from None
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise ValueError('"canvas" must be [width, height], two positive numbers')
    return width, height


def decode_record(line: str | bytes):
    """One line's JSON value (str lines are encoded back losslessly); ValueError with a reason."""
    return decode_line(line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line)


def parse_drawing(line: str | bytes) -> tuple[Strokes, tuple[float, float] | None]:
    """One line → (its strokes, its "canvas" size or None); ValueError if it is not a drawing."""
    record = decode_record(line)
    if not isinstance(record, dict) or "strokes" not in record:
        raise ValueError('expected an object like {"strokes": [[[x, y], ...], ...]}')
    return parse_strokes(record["strokes"]), parse_canvas(record)


@contextlib.contextmanager
def _opened(path: Path | str):
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise StreamError(f"cannot read: {exc.strerror or exc}") from exc
    with stream:
        yield stream


def drawing_lines(path: Path | str) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every non-blank line of a file of drawings ('-': standard input),
    as they arrive. StreamError if it cannot be read; LineTooLong ends the reading at a line over
    the cap (an endless stream of zeros is one such line)."""
    with _opened(path) as stream:
        for number, raw in iter_lines(stream):
            if not is_blank(raw):
                yield number, raw
