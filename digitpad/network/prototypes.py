"""The 7×12 RBF prototype bitmaps of LeNet-5's output layer, kept as ASCII art in resources/.

The paper fixes each output unit's 84 weights to a stylised ±1 picture of its character; F6 is
trained to reproduce that picture. Keeping them as readable text lets a person see and check them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitpad.paths import resource_path

WIDTH = 7
HEIGHT = 12
INK_CHAR = "#"
BACKGROUND_CHAR = "."
PROTOTYPES_FILE = "prototypes.txt"


class PrototypeError(ValueError):
    """The prototype file is malformed; the message names the file and line."""


def parse_prototypes(text: str, source: str = "<text>") -> np.ndarray:
    """Parse the ASCII bitmaps into a float32 array of shape (10, 12, 7) holding +1 / -1."""
    bitmaps: dict[int, list[str]] = {}
    current: int | None = None
    last_header_line = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("# ") or line == "#":
            continue
        if line.startswith("digit"):
            if current is not None and len(bitmaps[current]) != HEIGHT:
                raise PrototypeError(
                    f"{source}:{number}: digit {current} has {len(bitmaps[current])} rows, expected {HEIGHT}")
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) > 9:
                raise PrototypeError(f"{source}:{number}: expected 'digit N' with N in 0-9, got {line!r}")
            current = int(parts[1])
            if current in bitmaps:
                raise PrototypeError(f"{source}:{number}: digit {current} is defined twice")
            bitmaps[current] = []
            last_header_line = number
            continue
        if current is None:
            raise PrototypeError(f"{source}:{number}: bitmap row before any 'digit N' header")
        if len(line) != WIDTH:
            raise PrototypeError(f"{source}:{number}: row {line!r} has {len(line)} characters, expected {WIDTH}")
        bad = set(line) - {INK_CHAR, BACKGROUND_CHAR}
        if bad:
            raise PrototypeError(
                f"{source}:{number}: unexpected character(s) {''.join(sorted(bad))!r}; "
                f"use '{INK_CHAR}' and '{BACKGROUND_CHAR}'")
        if len(bitmaps[current]) == HEIGHT:
            raise PrototypeError(f"{source}:{number}: digit {current} has more than {HEIGHT} rows")
        bitmaps[current].append(line)
    if current is not None and len(bitmaps[current]) != HEIGHT:
        raise PrototypeError(
            f"{source}:{last_header_line}: digit {current} has {len(bitmaps[current])} rows, expected {HEIGHT}")
    missing = sorted(set(range(10)) - set(bitmaps))
    if missing:
        raise PrototypeError(f"{source}: missing digit(s) {missing}")
    array = np.array([[[1.0 if c == INK_CHAR else -1.0 for c in row] for row in bitmaps[d]] for d in range(10)],
                     dtype=np.float32)
    return array


def load_prototypes(path: Path | None = None) -> np.ndarray:
    """The shipped prototypes (or those in `path`) as a (10, 12, 7) array of ±1."""
    path = path or resource_path(PROTOTYPES_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PrototypeError(f"{path}: cannot read prototypes: {exc}") from exc
    return parse_prototypes(text, source=str(path))
