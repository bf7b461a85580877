"""Negative patterns: things that are not digits, for training and measuring the rubbish class.

Eq. 9 of the paper has a "rubbish" class with posterior e^{−j} / (e^{−j} + Σ e^{−y_i}). It only
means something if the network has seen rubbish: this module makes it, deterministically from a
seed, with no data files and no network access:

* letters and symbols rendered from several font families (`FONT_FAMILIES`: DejaVu, Liberation
  and FreeFont train; URW base35 and Noto are held out to choose and measure the threshold),
  with random affine distortions (rotation, shear, squeeze) and random stroke widths;
* shapes drawn as pen strokes, like a mouse would: scribbles, random walks, crosses, circles with
  a cross, smileys, stars, dots, short dashes, hatching;
* two digit glyphs overlapping side by side (a person sees "two digits", not one).

Every pattern goes through the same normalisation as a drawing or an image (`ink.normalise`):
strokes through `render_strokes`, glyph images through `normalise_ink`, so a negative is a
(32, 32) float32 array in −0.1 … 1.175 exactly like an MNIST input.

Without the fonts (a bare machine) only the drawn shapes are made, and a warning says so once.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitpad.errors import TrainingCancelled
from digitpad.ink.normalise import EmptyDrawing, normalise_ink
from digitpad.ink.strokes import render_strokes

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class FontFamily:
    """A font family from one Debian package: the faces used (whichever exist are used)."""

    name: str
    package: str
    folder: Path
    files: tuple[str, ...]

    def faces(self) -> tuple[Path, ...]:
        return tuple(self.folder / name for name in self.files if (self.folder / name).is_file())


#: Where glyph negatives come from. Training uses TRAINING_FAMILIES only; the "not a digit"
#: threshold is chosen, and refusals reported, on HELD_OUT_FAMILIES, so the figure says how the
#: rubbish class generalises to lettering it has never seen, not to a new seed of the same fonts.
FONT_FAMILIES = {family.name: family for family in (
    FontFamily("DejaVu", "fonts-dejavu-core", Path("/usr/share/fonts/truetype/dejavu"),
               ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
                "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")),
    FontFamily("Liberation", "fonts-liberation", Path("/usr/share/fonts/truetype/liberation"),
               ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf",
                "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf",
                "LiberationMono-Regular.ttf", "LiberationSansNarrow-Regular.ttf")),
    FontFamily("FreeFont", "fonts-freefont-ttf", Path("/usr/share/fonts/truetype/freefont"),
               ("FreeSans.ttf", "FreeSansBold.ttf", "FreeSansOblique.ttf", "FreeSerif.ttf", "FreeSerifBold.ttf",
                "FreeSerifItalic.ttf", "FreeMono.ttf", "FreeMonoBold.ttf")),
    FontFamily("URW base35", "fonts-urw-base35", Path("/usr/share/fonts/opentype/urw-base35"),
               ("NimbusSans-Regular.otf", "NimbusSans-Bold.otf", "NimbusRoman-Regular.otf",
                "NimbusRoman-Italic.otf", "NimbusMonoPS-Regular.otf", "URWBookman-Light.otf",
                "URWGothic-Book.otf", "C059-Roman.otf", "P052-Roman.otf", "Z003-MediumItalic.otf")),
    FontFamily("Noto", "fonts-noto-core", Path("/usr/share/fonts/truetype/noto"),
               ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf", "NotoSerif-Regular.ttf",
                "NotoSerif-Bold.ttf", "NotoSerif-Italic.ttf")),
)}
TRAINING_FAMILIES = ("DejaVu", "Liberation", "FreeFont")
HELD_OUT_FAMILIES = ("URW base35", "Noto")

#: Characters a person would read as a digit once the shape is normalised to MNIST's 20 px box.
#: They are never used as negatives: training them as "not a digit" would teach the network to
#: refuse real digits. Why each is left out:
#:   O o Q D  – a closed oval: 0              I l i j | ! / \ ( ) [ ]  – one upright stroke: 1
#:   Z z ?    – 2 (Z is a 2 with a flat top; ? is a 2 without its base)
#:   S s $ §  – 5               B & ß  – 8           G b  – 6 (a loop at the bottom, stem up)
#:   g q      – 9 (a loop at the top, a stem down)    { } £  – 3 and 2 in handwriting
#:   ↑ ↓      – an upright stroke with a small head: 1     ¶  – a filled loop on a stem: 9
DIGIT_LIKE = frozenset("OoQDIlij|!/\\()[]Zz?Ss$§B&ßGbgq{}£↑↓¶") | frozenset("0123456789")

#: Letters and symbols used as negatives (none of DIGIT_LIKE; checked by the tests).
GLYPHS = ("ACEFHKLMNPRTUVWXY" "acdefhkmnprtuvwxy"
          "#%*+<=>@^~×÷±∞πΩΣΔλμ€¥♠♣♥♦★☺✓✗→←")

#: The kinds of negative and their share of a generated set. Fonts first: without them their
#: share goes to the drawn shapes.
FONT_KINDS = {"glyph": 0.42, "two digits": 0.08}
SHAPE_KINDS = {"scribble": 0.12, "random walk": 0.08, "cross": 0.05, "circle with cross": 0.05,
               "smiley": 0.05, "star": 0.05, "dot": 0.03, "dash": 0.03, "hatching": 0.04}
KINDS = tuple(FONT_KINDS) + tuple(SHAPE_KINDS)

_GLYPH_SIZE = 64  # font size in pixels for rendering one glyph
_CANVAS = 200.0   # drawn shapes are made in a 200 px box (the size does not matter: normalised)

Strokes = list[list[tuple[float, float]]]


@dataclass
class NegativeSet:
    """`images`: (N, 32, 32) float32 network inputs; `kinds[i]`: what pattern i is."""

    images: np.ndarray
    kinds: list[str]

    def __len__(self) -> int:
        return len(self.kinds)


@functools.lru_cache(maxsize=8)
def available_fonts(families: tuple[str, ...] = TRAINING_FAMILIES) -> tuple[Path, ...]:
    """The faces of `families` found on this machine (each missing family logged once)."""
    found: tuple[Path, ...] = ()
    for name in families:
        family = FONT_FAMILIES[name]
        faces = family.faces()
        if not faces:
            log.warning("no %s fonts in %s (install %s): its glyph negatives are left out", name,
                        family.folder, family.package)
        found += faces
    return found


@functools.lru_cache(maxsize=32)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def generate_negatives(count: int, seed: int, fonts: tuple[Path, ...] | None = None,
                       should_cancel: Callable[[], bool] | None = None,
                       families: tuple[str, ...] = TRAINING_FAMILIES) -> NegativeSet:
    """`count` negative patterns, the same for the same seed (and the same fonts).

    `fonts` defaults to the faces found of `families` (the training families unless told);
    pass () for drawn shapes only. `should_cancel` is
    polled every 256 patterns; when it returns True, TrainingCancelled is raised.
    """
    fonts = available_fonts(tuple(families)) if fonts is None else tuple(fonts)
    weights = dict(SHAPE_KINDS)
    if fonts:
        weights.update(FONT_KINDS)
    names = list(weights)
    shares = np.array([weights[k] for k in names])
    rng = np.random.default_rng(seed)
    images = np.empty((count, 32, 32), np.float32)
    kinds = []
    for index in range(count):
        if should_cancel is not None and index % 256 == 0 and should_cancel():
            raise TrainingCancelled()
        kind = names[rng.choice(len(names), p=shares / shares.sum())]
        images[index] = make_negative(kind, rng, fonts)
        kinds.append(kind)
    return NegativeSet(images, kinds)


def make_negative(kind: str, rng: np.random.Generator, fonts: tuple[Path, ...] = ()) -> np.ndarray:
    """One negative of `kind` as a normalised (32, 32) array."""
    if kind == "glyph":
        return _normalise_glyphs([str(rng.choice(list(GLYPHS)))], rng, fonts)
    if kind == "two digits":
        # Side by side, overlapping by at most 40 % of a glyph: clearly two characters.
        first, second = rng.integers(0, 10, size=2)
        return _normalise_glyphs([str(first), str(second)], rng, fonts)
    draw = _SHAPES[kind]
    strokes = draw(rng)
    pen = _CANVAS * rng.uniform(0.08, 0.3)  # render_strokes turns this into ±20 % of its default width
    try:
        return render_strokes(strokes, pen)
    except EmptyDrawing:  # cannot happen with the shapes below; a dot is the safe answer
        return render_strokes([[(0.0, 0.0)]])


# ---- glyphs ------------------------------------------------------------------------------------

def _normalise_glyphs(chars: list[str], rng: np.random.Generator, fonts: tuple[Path, ...]) -> np.ndarray:
    if not fonts:
        raise ValueError("glyph negatives need fonts (FONT_FAMILIES)")
    # Only faces that have every character: a missing one is drawn as nothing or as the font's
    # "missing glyph" box, and a box is a 0 to a person.
    having = [path for path in fonts if all(_has_glyph(path, char) for char in chars)]
    if not having:
        return render_strokes(_scribble(rng))
    font = _font(having[int(rng.integers(len(having)))], _GLYPH_SIZE)
    stroke = int(rng.choice([0, 0, 1, 2, 3]))  # thin to heavy; Pillow's stroke thickens the outline
    side = _GLYPH_SIZE * 3
    canvas = Image.new("L", (side * len(chars), side), 0)
    draw = ImageDraw.Draw(canvas)
    x = side * 0.5
    for char in chars:
        draw.text((x, side / 2), char, font=font, fill=255, anchor="mm", stroke_width=stroke, stroke_fill=255)
        advance = font.getlength(char)
        x += advance * rng.uniform(0.6, 0.85)
    return normalise_ink(_random_affine(canvas, rng))


_SURELY_MISSING = "\U000f0000"  # a private-use code point no font here draws


@functools.lru_cache(maxsize=4096)
def _has_glyph(path: Path, char: str) -> bool:
    """Whether the face draws `char` itself: some ink, and not the same as its missing-glyph mark."""
    font = _font(path, _GLYPH_SIZE)
    mask = font.getmask(char)
    if mask.getbbox() is None:
        return False
    missing = font.getmask(_SURELY_MISSING)
    return not (mask.size == missing.size and bytes(mask) == bytes(missing))


def _random_affine(image: Image.Image, rng: np.random.Generator) -> np.ndarray:
    """Rotation ±15°, horizontal shear ±0.3, squeeze ±20 %, about the image centre; as 0..1 ink.

    Rotations stay small so that no letter turns into another (N into Z, u into n)."""
    angle = math.radians(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    squeeze = 1 + rng.uniform(-0.2, 0.2)
    cos, sin = math.cos(angle), math.sin(angle)
    # Forward map (output = M · input): rotation · shear · squeeze. Pillow wants the inverse.
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([squeeze, 1 / squeeze])
    inverse = np.linalg.inv(forward)
    cx, cy = image.width / 2, image.height / 2
    offset = np.array([cx, cy]) - inverse @ np.array([cx, cy])
    data = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    warped = image.transform(image.size, Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)
    return np.asarray(warped, np.float32) / 255.0


# ---- drawn shapes (unit box, y down, scaled to a 200 px canvas) --------------------------------

def _scale(strokes: list[np.ndarray]) -> Strokes:
    return [[(float(x) * _CANVAS, float(y) * _CANVAS) for x, y in s] for s in strokes]


def _ellipse(cx: float, cy: float, rx: float, ry: float, start: float = 0.0, end: float = 2 * math.pi,
             steps: int = 48) -> np.ndarray:
    t = np.linspace(start, end, steps)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _line(a, b, steps: int = 12) -> np.ndarray:
    t = np.linspace(0, 1, steps)[:, None]
    return np.asarray(a) * (1 - t) + np.asarray(b) * t


def _jitter(points: np.ndarray, rng: np.random.Generator, amount: float = 0.01) -> np.ndarray:
    return points + rng.normal(0, amount, points.shape)


def _scribble(rng: np.random.Generator) -> Strokes:
    """A smooth curve through 7–14 random points: many turns, so it is not one digit's path."""
    knots = rng.uniform(0, 1, (int(rng.integers(7, 15)), 2))
    t = np.linspace(0, len(knots) - 1, 30 * len(knots))
    # Catmull-Rom through the knots (ends repeated).
    padded = np.concatenate([knots[:1], knots, knots[-1:]])
    i = np.minimum(t.astype(int), len(knots) - 2)
    u = (t - i)[:, None]
    p0, p1, p2, p3 = padded[i], padded[i + 1], padded[i + 2], padded[i + 3]
    curve = 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u ** 2
                   + (3 * p1 - p0 - 3 * p2 + p3) * u ** 3)
    return _scale([curve])


def _random_walk(rng: np.random.Generator) -> Strokes:
    """A jittery path of 25–80 short steps with a wandering heading (a nervous doodle)."""
    steps = int(rng.integers(25, 80))
    heading = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0, 0.9, steps))
    lengths = rng.uniform(0.02, 0.08, steps)
    path = np.cumsum(np.stack([np.cos(heading) * lengths, np.sin(heading) * lengths], 1), 0)
    return _scale([np.concatenate([[[0.0, 0.0]], path])])


def _cross(rng: np.random.Generator) -> Strokes:
    """An X or a +, arms of unequal length and slightly off-centre."""
    tilt = rng.uniform(-0.3, 0.3) + (math.pi / 4 if rng.random() < 0.6 else 0.0)
    arms = []
    for base in (tilt, tilt + math.pi / 2 + rng.uniform(-0.25, 0.25)):
        r1, r2 = rng.uniform(0.3, 0.5, 2)
        d = np.array([math.cos(base), math.sin(base)])
        centre = 0.5 + rng.uniform(-0.06, 0.06, 2)
        arms.append(_jitter(_line(centre - r1 * d, centre + r2 * d), rng, 0.004))
    return _scale(arms)


def _circle_with_cross(rng: np.random.Generator) -> Strokes:
    """⊕ or ⊗: a circle with a cross reaching (about) its rim."""
    r = rng.uniform(0.35, 0.45)
    circle = _jitter(_ellipse(0.5, 0.5, r, r * rng.uniform(0.85, 1.15), 0, 2 * math.pi + 0.3), rng, 0.006)
    tilt = math.pi / 4 if rng.random() < 0.5 else 0.0
    arms = []
    for angle in (tilt, tilt + math.pi / 2):
        d = np.array([math.cos(angle), math.sin(angle)]) * r * rng.uniform(0.85, 1.15)
        arms.append(_line(0.5 - d, 0.5 + d))
    return _scale([circle] + arms)


def _smiley(rng: np.random.Generator) -> Strokes:
    """A face: outline, two eyes, a smile (or a frown)."""
    r = 0.45
    face = _jitter(_ellipse(0.5, 0.5, r, r * rng.uniform(0.9, 1.1), 0, 2 * math.pi + 0.2), rng, 0.006)
    eye_y = 0.5 - rng.uniform(0.1, 0.2)
    eyes = [np.array([[0.5 - rng.uniform(0.12, 0.2), eye_y]]), np.array([[0.5 + rng.uniform(0.12, 0.2), eye_y]])]
    mouth_y = 0.5 + rng.uniform(0.05, 0.15)
    if rng.random() < 0.8:
        mouth = _ellipse(0.5, mouth_y, 0.22, 0.12, 0.2, math.pi - 0.2, 16)
    else:
        mouth = _ellipse(0.5, mouth_y + 0.15, 0.2, 0.1, math.pi + 0.2, 2 * math.pi - 0.2, 16)
    return _scale([face, *eyes, mouth])


def _star(rng: np.random.Generator) -> Strokes:
    """A five-pointed star in one stroke (pentagram), or an asterisk of 3–4 crossing lines."""
    turn = rng.uniform(0, 2 * math.pi)
    if rng.random() < 0.6:
        corners = [turn + 4 * math.pi / 5 * k for k in range(6)]
        points = np.array([[0.5 + 0.45 * math.cos(a), 0.5 + 0.45 * math.sin(a)] for a in corners])
        path = np.concatenate([_line(points[k], points[k + 1], 8) for k in range(5)])
        return _scale([_jitter(path, rng, 0.006)])
    lines = int(rng.integers(3, 5))
    arms = []
    for k in range(lines):
        d = np.array([math.cos(turn + math.pi * k / lines), math.sin(turn + math.pi * k / lines)]) * 0.45
        arms.append(_line(0.5 - d, 0.5 + d))
    return _scale(arms)


def _dot(rng: np.random.Generator) -> Strokes:
    """A click, or the pen held still and wobbling a little: a blob after normalisation."""
    n = int(rng.integers(1, 12))
    return _scale([0.5 + rng.normal(0, 0.004, (n, 2))])


def _dash(rng: np.random.Generator) -> Strokes:
    """One or two short, nearly horizontal dashes (±15°): a steeper stroke would read as 1."""
    angle = math.radians(rng.uniform(-15, 15))
    d = np.array([math.cos(angle), math.sin(angle)]) * rng.uniform(0.1, 0.4)
    centre = np.array([0.5, 0.5])
    dashes = [_line(centre - d, centre + d)]
    if rng.random() < 0.3:
        offset = np.array([rng.uniform(-0.1, 0.1), rng.uniform(0.12, 0.3)])
        dashes.append(_line(centre - d + offset, centre + d + offset))
    return _scale(dashes)


def _hatching(rng: np.random.Generator) -> Strokes:
    """3–7 parallel strokes (sometimes crossed by a second set), like shading."""
    sets = 2 if rng.random() < 0.35 else 1
    strokes = []
    base = rng.uniform(0, math.pi)
    for s in range(sets):
        angle = base + s * rng.uniform(math.pi / 3, 2 * math.pi / 3)
        d = np.array([math.cos(angle), math.sin(angle)])
        normal = np.array([-d[1], d[0]])
        count = int(rng.integers(3, 8))
        for k in np.linspace(-0.35, 0.35, count):
            centre = 0.5 + normal * k
            half = rng.uniform(0.25, 0.45)
            strokes.append(_jitter(_line(centre - d * half, centre + d * half), rng, 0.003))
    return _scale(strokes)


_SHAPES = {"scribble": _scribble, "random walk": _random_walk, "cross": _cross,
           "circle with cross": _circle_with_cross, "smiley": _smiley, "star": _star, "dot": _dot,
           "dash": _dash, "hatching": _hatching}
assert set(_SHAPES) == set(SHAPE_KINDS)
