"""Reading JSON Lines from files and pipes one line at a time, where every line may be hostile.

Lines end in LF, CRLF or CR; a UTF-8 byte order mark starting a line is skipped. Each line is
decoded on its own, so bad UTF-8, JSON nested 100,000 deep or a number of 5,000 digits in one
line is that line's error (ValueError) and the next line still reads. A line longer than
`max_line_bytes` ends the reading (`LineTooLong`): skipping it would mean reading on through
whatever endless stream produced it (``--strokes /dev/zero``). No torch, no Qt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import BinaryIO

#: A drawing is a few KB; a line of this size is not one.
MAX_LINE_BYTES = 2_000_000
_BOM = b"\xef\xbb\xbf"
_CHUNK = 64 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")


class LineTooLong(ValueError):
    """A line over the limit: the reading stops there."""


class StreamError(ValueError):
    """The stream itself could not be read (an I/O error, a folder): the reading stops there."""


def iter_lines(stream: BinaryIO, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes without the line end) for every line of a binary stream, read in
    chunks (a pipe's lines are handled as they arrive). Raises LineTooLong past the limit."""
    buffer = b""
    number = 0
    pending_cr = False  # the last chunk ended in CR: an LF starting the next one belongs to it
    while True:
        try:
            chunk = stream.read(_CHUNK)
        except OSError as exc:
            raise StreamError(f"cannot read: {exc.strerror or exc}") from exc
        if not chunk:
            break
        if pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        pending_cr = chunk.endswith(b"\r")
        buffer += chunk
        start = 0
        while True:
            cr, lf = buffer.find(b"\r", start), buffer.find(b"\n", start)
            ends = [i for i in (cr, lf) if i >= 0]
            if not ends:
                break
            end = min(ends)
            number += 1
            yield number, buffer[start:end]
            start = end + (2 if buffer[end:end + 2] == b"\r\n" else 1)
        buffer = buffer[start:]
        if len(buffer) > max_line_bytes:
            raise LineTooLong(f"line {number + 1} is over {max_line_bytes:,} bytes, far too long for a drawing; "
                              "stopped reading")
    if buffer:
        yield number + 1, buffer


def split_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) for every line of bytes already in memory, with `iter_lines`' line
    ends and numbering; no length cap (the caller capped the whole)."""
    return enumerate(_LINE_END.split(data), start=1)


def decode_line(raw: bytes):
    """One line's JSON value; ValueError with a short reason for anything else."""
    try:
        text = raw.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"bad JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("bad JSON: nested far too deep") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ValueError(f"bad JSON: {exc}") from None


def is_blank(raw: bytes) -> bool:
    return not raw.removeprefix(_BOM).strip()
