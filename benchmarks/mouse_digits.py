"""Mouse-style drawings of digits and numbers, deterministic for a seed (for benchmarks/strings.py).

Each digit has one to three hand-made styles (strokes in a unit box, x right, y down, 1 tall);
a drawing picks a style and varies it as people do: size, width, slant, a slow wobble of the
hand, and points sampled like mouse-move events (uneven spacing, whole pixels). Numbers place
digits left to right with a gap (a fraction of the height; negative gaps overlap), and may join
two digits into one stroke, as joined-up handwriting does.
"""

from __future__ import annotations

import itertools
import math
import random

Stroke = list[tuple[float, float]]


def _arc(cx, cy, rx, ry, start, end, steps=36) -> Stroke:
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start + (end - start) * i / steps for i in range(steps + 1))]


def _line(*points) -> Stroke:
    return list(points)


STYLES: dict[int, list[list[Stroke]]] = {
    0: [[_arc(0.5, 0.5, 0.36, 0.5, -100, 265)], [_arc(0.5, 0.5, 0.3, 0.48, -80, 290)]],
    1: [[_line((0.5, 0.0), (0.48, 1.0))], [_line((0.25, 0.2), (0.55, 0.0), (0.52, 1.0))]],
    2: [[_arc(0.48, 0.28, 0.32, 0.27, 195, 380) + _line((0.78, 0.38), (0.1, 1.0), (0.92, 0.98))],
        [_arc(0.5, 0.3, 0.34, 0.3, 180, 400) + _line((0.75, 0.5), (0.12, 0.98), (0.9, 1.0))]],
    3: [[_arc(0.47, 0.25, 0.31, 0.25, 200, 450) + _arc(0.47, 0.74, 0.35, 0.26, -90, 165)[1:]],
        [_line((0.15, 0.02), (0.82, 0.02), (0.4, 0.42)) + _arc(0.48, 0.7, 0.34, 0.29, -80, 160)[1:]]],
    4: [[_line((0.6, 0.0), (0.06, 0.66), (0.94, 0.66)), _line((0.66, 0.28), (0.64, 1.0))],
        [_line((0.2, 0.0), (0.14, 0.58), (0.9, 0.58)), _line((0.7, 0.05), (0.68, 1.0))]],
    5: [[_line((0.82, 0.02), (0.26, 0.02), (0.2, 0.46)) + _arc(0.48, 0.7, 0.35, 0.3, -140, 155)[1:]],
        [_line((0.22, 0.02), (0.18, 0.45)) + _arc(0.48, 0.7, 0.35, 0.3, -140, 155)[1:],
         _line((0.22, 0.03), (0.84, 0.02))]],
    6: [[_arc(0.62, 0.55, 0.45, 0.55, -75, -200) + _arc(0.5, 0.73, 0.3, 0.26, 180, 540)[1:]],
        [_line((0.72, 0.0), (0.2, 0.62)) + _arc(0.5, 0.73, 0.3, 0.26, 200, 560)[1:]]],
    7: [[_line((0.06, 0.02), (0.92, 0.02), (0.36, 1.0))],
        [_line((0.06, 0.04), (0.92, 0.02), (0.4, 1.0)), _line((0.3, 0.52), (0.78, 0.5))]],
    8: [[_arc(0.5, 0.25, 0.25, 0.24, 90, 450) + _arc(0.5, 0.73, 0.3, 0.26, -90, 270)[1:]],
        [_arc(0.5, 0.26, 0.26, 0.25, 30, 400) + _line((0.2, 0.6)) + _arc(0.5, 0.74, 0.3, 0.25, 180, 545)[1:]]],
    9: [[_arc(0.46, 0.3, 0.31, 0.28, 0, 360), _line((0.77, 0.3), (0.7, 1.0))],
        [_arc(0.5, 0.3, 0.3, 0.28, -10, -370) + _line((0.8, 0.35), (0.62, 1.0))]],
}


def _resample(stroke: Stroke, step: float) -> Stroke:
    """Points every `step` along the stroke (mouse events come at the pen's pace, not at corners)."""
    out = [stroke[0]]
    carry = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        length = math.hypot(x1 - x0, y1 - y0)
        t = step - carry
        while t <= length:
            out.append((x0 + (x1 - x0) * t / length, y0 + (y1 - y0) * t / length))
            t += step
        carry = length - (t - step)
    if out[-1] != stroke[-1]:
        out.append(stroke[-1])
    return out


def draw_digit(digit: int, rng: random.Random, size: float, origin: tuple[float, float],
               style: int | None = None) -> list[Stroke]:
    """One mouse-style drawing of `digit`, `size` px tall with its top-left near `origin`, in
    STYLES[digit][style] (a style at random when None)."""
    style = rng.choice(STYLES[digit]) if style is None else STYLES[digit][style]
    aspect = rng.uniform(0.55, 0.8)
    slant = rng.uniform(-0.08, 0.25)
    scale = size * rng.uniform(0.85, 1.1)
    # The hand's wobble: two slow sine waves in x and y, a few % of the size.
    waves = [(rng.uniform(0.01, 0.03), rng.uniform(2, 6), rng.uniform(0, 2 * math.pi)) for _ in range(4)]
    ox, oy = origin[0], origin[1] + rng.uniform(-0.06, 0.06) * size
    strokes = []
    for stroke in style:
        pts = _resample(stroke, rng.uniform(0.012, 0.03))
        drawn = []
        for x, y in pts:
            wx = sum(a * math.sin(f * (x + y) + p) for a, f, p in waves[:2])
            wy = sum(a * math.sin(f * (x - y) + p) for a, f, p in waves[2:])
            px = ox + ((x + wx) * aspect + slant * (1 - y)) * scale
            py = oy + (y + wy) * scale
            drawn.append((float(round(px)), float(round(py))))
        strokes.append(drawn)
    return strokes


#: How a number's digits may be written besides one style per digit in its own strokes
#: (benchmarks/strings.py's "drawings, …" sets):
#: - multi-stroke: the pen lifted inside digits — a stroke broken in two where it turns (a 0 in
#:   two arcs, an 8's loops apart), and the separate-bar style of 4, 5 and 7 whenever there is one;
#: - retraced: a digit's longest stroke gone over again, by a second stroke or by the pen turning
#:   back along it, a few pixels off the first pass;
#: - delayed: the bar or flag of a 4, 5 or 7 (and a 9's stem) drawn after the next digit, as
#:   people add a 7's crossbar when the number is done.
WRITING = ("plain", "multi-stroke", "retraced", "delayed")
#: Digits with a style whose last stroke is a bar, flag or stem added to the body (STYLES' index).
SEPARATE_BAR = {4: 0, 5: 1, 7: 1, 9: 0}


def _broken(stroke: Stroke, rng: random.Random) -> list[Stroke]:
    """The stroke in two, the pen lifted somewhere in its middle third (the second part starts
    where the first ended, as a hand resumes)."""
    if len(stroke) < 8:
        return [stroke]
    at = rng.randint(len(stroke) // 3, 2 * len(stroke) // 3)
    return [stroke[: at + 1], stroke[at:]]


def _retraced(stroke: Stroke, rng: random.Random, size: float) -> list[Stroke]:
    """The stroke and a second pass over 60–100 % of it, 1–2.5 % of the size off the first: as a
    separate stroke, or (half the time) as the pen turning back along it."""
    keep = max(2, int(len(stroke) * rng.uniform(0.6, 1.0)))
    dx, dy = (rng.uniform(-0.025, 0.025) * size for _ in range(2))
    again = [(float(round(x + dx)), float(round(y + dy))) for x, y in stroke[-keep:][::-1]]
    return [stroke, again] if rng.random() < 0.5 else [stroke + again]


def draw_number(digits: list[int], rng: random.Random, gaps: list[float], join: list[bool] | None = None,
                size: float = 160.0, writing: str = "plain") -> list[list[tuple[float, float]]]:
    """A number's strokes: digit k+1 starts `gaps[k]`·size right of digit k's rightmost ink
    (negative: overlapping); where `join[k]`, digit k's last stroke runs on into digit k+1's first;
    `writing` is one of WRITING."""
    if writing not in WRITING:
        raise ValueError(f"unknown way of writing {writing!r} (one of {', '.join(WRITING)})")
    join = join or [False] * (len(digits) - 1)
    strokes: list[Stroke] = []
    delayed: list[Stroke] = []  # a bar to draw after the next digit
    x = 20.0
    joined_next = False
    for k, digit in enumerate(digits):
        style = SEPARATE_BAR.get(digit) if writing in ("multi-stroke", "delayed") else None
        drawn = draw_digit(digit, rng, size, (x, 20.0), style)
        if writing == "multi-stroke":
            drawn = [part for stroke in drawn for part in (_broken(stroke, rng) if rng.random() < 0.6 else [stroke])]
        elif writing == "retraced":
            longest = max(range(len(drawn)), key=lambda i: len(drawn[i]))
            drawn = drawn[:longest] + _retraced(drawn[longest], rng, size) + drawn[longest + 1:]
        left = min(px for s in drawn for px, _ in s)
        drawn = [[(px - left + x, py) for px, py in s] for s in drawn]
        if joined_next:
            strokes[-1] = strokes[-1] + drawn[0]
            drawn = drawn[1:]
        bar = drawn.pop() if writing == "delayed" and style is not None and len(drawn) > 1 else None
        strokes += drawn + delayed
        delayed = [bar] if bar is not None else []
        right = max(px for s in strokes for px, _ in s)
        if k < len(digits) - 1:
            x = right + gaps[k] * size
            joined_next = join[k]
    return strokes + delayed


#: Wide marks in one stroke that are not numbers (benchmarks/strings.py's "not numbers" set).
NON_NUMBERS = ("wavy line", "zigzag", "scribble", "loops", "line")


def draw_non_number(kind: str, rng: random.Random, size: float = 160.0) -> list[Stroke]:
    """One stroke 2–6 × `size` wide that is not a number: a wavy line, a zigzag, a scribble
    (a random walk with momentum), cursive loops ("eeee") or a long line; mouse-sampled."""
    width = size * rng.uniform(2.0, 6.0)
    if kind == "wavy line":
        wavelength, amplitude = size * rng.uniform(0.3, 1.2), size * rng.uniform(0.05, 0.4)
        phase = rng.uniform(0, 2 * math.pi)
        path = [(t, amplitude * math.sin(2 * math.pi * t / wavelength + phase))
                for t in (width * i / 400 for i in range(401))]
    elif kind == "zigzag":
        tooth, height = size * rng.uniform(0.15, 0.5), size * rng.uniform(0.3, 1.0)
        path = [(k * tooth, height * (k % 2)) for k in range(int(width / tooth) + 1)]
    elif kind == "scribble":
        x, y, heading = 0.0, 0.0, rng.uniform(-1, 1)
        path = [(x, y)]
        while x < width:
            heading += rng.gauss(0, 1.2)
            step = size * rng.uniform(0.05, 0.2)
            x += math.cos(heading) * step + 0.03 * size  # back and forth, drifting to the right
            y = min(max(y + math.sin(heading) * step, -0.6 * size), 0.6 * size)
            path.append((x, y))
    elif kind == "loops":
        radius, count = size * rng.uniform(0.15, 0.4), rng.randint(3, 8)
        pitch = width / count
        path = [(pitch * a / (2 * math.pi) - radius * math.sin(a), -radius * (1 - math.cos(a)))
                for a in (2 * math.pi * count * i / (60 * count) for i in range(60 * count + 1))]
    elif kind == "line":
        slope, bend = rng.uniform(-0.15, 0.15), size * rng.uniform(-0.2, 0.2)
        path = [(t, slope * t + bend * math.sin(math.pi * t / width)) for t in (width * i / 50 for i in range(51))]
    else:
        raise ValueError(f"unknown kind of non-number {kind!r}")
    # The hand's wobble and mouse sampling, as for digits.
    wobble = [(size * rng.uniform(0.005, 0.02), rng.uniform(0.01, 0.04) / size * 100, rng.uniform(0, 6.3))
              for _ in range(2)]
    points = _resample(path, size * rng.uniform(0.012, 0.03))
    return [[(float(round(100 + x + wobble[0][0] * math.sin(wobble[0][1] * y + wobble[0][2]))),
              float(round(200 + y + wobble[1][0] * math.sin(wobble[1][1] * x + wobble[1][2]))))
             for x, y in points]]
