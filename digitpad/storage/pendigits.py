"""Real pen strokes: the UNIPEN-style text of the pen-based digits data set, read into drawings.

The data set (Alimoglu & Alpaydin 1997; UCI "Pen-Based Recognition of Handwritten Digits", CC BY
4.0) holds digits written with a stylus on a tablet, the pen's position sampled every 100 ms::

    .SEGMENT DIGIT 0 ? "8"      a new digit; its label is the quoted character
    .COMMENT 8  6  138          label, writer, the writer's sample number
    .PEN_DOWN                   a stroke begins
     273  323                   x y, integers 0..500, y pointing UP
    .PEN_UP                     the stroke ends; a digit has one or more strokes
    .DT 100                     time between strokes (ms)

Header lines (.INCLUDE, .LEXICON, .HIERARCHY) and blank lines are skipped. Each digit becomes a
`PenDigit` whose strokes are in the canvas's orientation (y flipped to point down, on a
`TABLET_SIZE` square "canvas"), so `strokes_as_records` gives exactly the records a drawing on
the canvas gives and `render_strokes` treats them as it treats a drawing.

Reading is bounded (MAX_TEXT_BYTES of text after decompression, MAX_POINTS points per digit) and a
malformed file is one `DataError` naming the file and line. No torch, no Qt.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from digitpad.errors import DataError
from digitpad.safe_files import NotARegularFileError, open_regular_file

#: The tablet's box: coordinates run 0..500 in both directions.
TABLET_SIZE = 500.0
#: The real file is 3.6 MB of text; anything past this is not that file (or a gzip bomb).
MAX_TEXT_BYTES = 64 * 1024 * 1024
#: A digit is a few dozen points at 10 per second; this many is not a digit.
MAX_POINTS = 10_000
_GZIP_MAGIC = b"\x1f\x8b"

Point = tuple[float, float]


@dataclass(frozen=True)
class PenDigit:
    """One written digit: its label, its writer's id, the writer's sample number, and its strokes
    as lists of (x, y) points in canvas orientation (y down, 0..TABLET_SIZE)."""

    label: int
    writer: int
    sample: int
    strokes: list[list[Point]]

    def record(self) -> dict:
        """The drawing as the canvas's stroke record (what `recognize --strokes` reads and the
        samples file stores), with the tablet's size as its canvas."""
        return {"label": self.label, "strokes": [[[x, y] for x, y in stroke] for stroke in self.strokes],
                "canvas": [TABLET_SIZE, TABLET_SIZE]}


def strokes_as_records(digits: Iterable[PenDigit]) -> Iterator[dict]:
    """Each digit's canvas stroke record (see `PenDigit.record`), in order."""
    for digit in digits:
        yield digit.record()


def _read_text(path: Path) -> str:
    """The file's text (gzip or plain), at most MAX_TEXT_BYTES of it."""
    try:
        # A folder, a FIFO, a device is refused by the descriptor it would be read through, so
        # nothing put in the file's place after a look can make the read wait or never end.
        with open_regular_file(path) as raw:
            head = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if head == _GZIP_MAGIC else raw
            data = stream.read(MAX_TEXT_BYTES + 1)
    except NotARegularFileError as exc:
        raise DataError(f"{path}: it is {exc.kind}, not a regular file", path) from None
    except (OSError, EOFError, zlib.error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise DataError(f"{path}: cannot read the pen data: {reason}", path) from exc
    if len(data) > MAX_TEXT_BYTES:
        raise DataError(f"{path}: over {MAX_TEXT_BYTES:,} bytes of text, not the pen-digits file", path)
    return data.decode("latin-1")


def read_pendigits(path: Path | str) -> list[PenDigit]:
    """Every digit in a pen-digits file (UNIPEN-style text, gzip-compressed or plain).

    Raises DataError ("FILE: line N: reason") on the first malformed line, and when the file holds
    no digit at all."""
    path = Path(path)
    digits = parse_pendigits(_read_text(path), str(path))
    if not digits:
        raise DataError(f"{path}: no digits in the file (expected .SEGMENT DIGIT records)", path)
    return digits


def parse_pendigits(text: str, name: str = "<pen data>") -> list[PenDigit]:
    """The digits in pen-digits text; DataError naming `name` and the line on malformed input."""
    digits: list[PenDigit] = []
    label: int | None = None  # from .SEGMENT, until the digit is finished by the next one
    meta: tuple[int, int, int] | None = None
    strokes: list[list[Point]] = []
    stroke: list[Point] | None = None
    points = 0
    number = 0

    def fail(reason: str) -> DataError:
        return DataError(f"{name}: line {number}: {reason}", name)

    def finish() -> None:
        if label is None:
            return
        if stroke is not None:
            raise fail("a stroke is still open (.PEN_DOWN without .PEN_UP) where the digit ends")
        if meta is None:
            raise fail(f'the digit "{label}" before this line has no .COMMENT (label, writer, sample)')
        if not strokes:
            raise fail(f'the digit "{label}" before this line has no strokes')
        digits.append(PenDigit(label, meta[1], meta[2], strokes))

    for number, line in enumerate(text.splitlines(), start=1):  # noqa: B007 (fail() reads it)
        fields = line.split()
        if not fields:
            continue
        keyword = fields[0]
        if keyword == ".SEGMENT":
            finish()
            if len(fields) < 5 or fields[1] != "DIGIT":
                raise fail('expected .SEGMENT DIGIT <n> ? "<digit>"')
            quoted = fields[-1]
            if len(quoted) != 3 or quoted[0] != '"' or quoted[2] != '"' or not quoted[1].isdigit():
                raise fail(f'the digit\'s label must be one quoted digit, got {quoted[:20]!r}')
            label, meta, strokes, stroke, points = int(quoted[1]), None, [], None, 0
        elif keyword == ".COMMENT":
            if label is None:
                raise fail(".COMMENT before any .SEGMENT DIGIT")
            try:
                values = tuple(int(v) for v in fields[1:4])
            except ValueError:
                values = ()
            if len(values) != 3 or len(fields) != 4:
                raise fail("expected .COMMENT <label> <writer> <sample>, three whole numbers")
            if values[0] != label:
                raise fail(f'.COMMENT says {values[0]} but the .SEGMENT says "{label}"')
            meta = values  # type: ignore[assignment]
        elif keyword == ".PEN_DOWN":
            if label is None:
                raise fail(".PEN_DOWN before any .SEGMENT DIGIT")
            if stroke is not None:
                raise fail(".PEN_DOWN inside a stroke (the previous .PEN_DOWN has no .PEN_UP)")
            stroke = []
        elif keyword == ".PEN_UP":
            if stroke is None:
                raise fail(".PEN_UP without a .PEN_DOWN")
            if stroke:
                strokes.append(stroke)
            stroke = None
        elif keyword.startswith("."):
            continue  # .DT, .INCLUDE, .LEXICON, .HIERARCHY and other UNIPEN keywords carry no ink
        else:
            if stroke is None:
                raise fail(f"a point outside a stroke (no .PEN_DOWN before it): {line.strip()[:40]!r}")
            try:
                x, y = (float(v) for v in fields)
            except ValueError:
                raise fail(f"expected a point 'x y' (two numbers), got {line.strip()[:40]!r}") from None
            if not (0 <= x <= TABLET_SIZE and 0 <= y <= TABLET_SIZE):
                raise fail(f"point ({x:g}, {y:g}) is outside the tablet's 0..{TABLET_SIZE:g} box")
            points += 1
            if points > MAX_POINTS:
                raise fail(f"over {MAX_POINTS:,} points in one digit")
            stroke.append((x, TABLET_SIZE - y))  # the tablet's y points up, the canvas's down
    number += 1  # "line N" past the last line: where an unfinished digit ends
    finish()
    return digits


def writers(digits: Iterable[PenDigit]) -> list[int]:
    """The writers' ids present, in ascending order."""
    return sorted({d.writer for d in digits})
