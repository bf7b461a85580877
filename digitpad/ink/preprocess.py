"""Strokes or images -> the normalised 32×32 input of LeNet-5 (no Qt).

The paper's MNIST recipe (LeCun et al. 1998, Section III.A): the ink's bounding box is scaled
so its longer side is 20 px (aspect ratio kept, anti-aliased), the result is placed in a 28×28
field so that its centre of mass is at the field's centre, the field is extended to 32×32 with
background, and grey levels map to background = -0.1 .. ink = 1.175. Strokes and images share
`normalise_ink` so a drawn digit and a loaded one go through exactly the same steps.

Centre-of-mass convention: pixel *index* coordinates (pixel i covers [i-0.5, i+0.5]). Real
MNIST digits have their centre of mass in [13.5, 14.5] in those coordinates, i.e. MNIST shifted
by whole pixels to put it at (14, 14); we do the same, so in the 32×32 output it is at (16, 16).
"""

from __future__ import annotations

import io
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from digitpad.safe_files import NotARegularFileError, open_regular_file

if TYPE_CHECKING:
    # Only the two functions that make tensors import torch: the GUI normalises drawings and
    # images before torch has been loaded.
    import torch

log = logging.getLogger(__name__)

BACKGROUND = -0.1
INK = 1.175
INPUT_SIZE = 32

FIELD = 28  # MNIST's field, padded by (INPUT_SIZE - FIELD) / 2 on each side
BOX = 20  # longer side of the ink bounding box inside the field
_CENTRE = 14.0  # target centre of mass in the 28×28 field, index coordinates (see module doc)

#: Default pen width as a fraction of the drawing's longer side (skeleton, without the pen).
#: Calibrated on the MNIST test set: a plain "0", "1", "2", "4" and "7" drawn with it have the
#: mean ink mass of their class within -8..+7 % (mass = sum of grey levels in [0, 1]; 0.14 gave
#: -20..-1 %, 0.18 gave -2..+19 %). The stroke is then 20·r/(1+r) ≈ 2.8 px wide in the 20 px
#: box, within MNIST's 2–3 px.
DEFAULT_RELATIVE_PEN = 0.16
#: A user's pen width may change the relative width by at most this factor either way, so the
#: drawing stays (nearly) independent of the size it was drawn at.
_PEN_MODULATION = 1.2
_SUPERSAMPLE = 4  # render strokes at 4× the 20 px box, then box-filter down (anti-aliasing)

#: Images above this many pixels are refused from their header, before anything is decoded.
MAX_IMAGE_PIXELS = 40_000_000
_WORK_SIDE = 1024  # larger images are box-reduced to about this before analysis
_INK_EPS = 1e-3  # "any ink at all": below one grey level of an 8-bit image
_NOISE_FLOOR = 0.03  # image ink weaker than this (of the peak) is paper or JPEG noise

Point = tuple[float, float]
Stroke = Sequence[Point]
ImageSource = str | os.PathLike | bytes | bytearray | memoryview | Image.Image


#: A drawing whose strokes span less than this fraction of the canvas's shorter side is "too
#: small to read": a click, a tremor, a dot. 6 % is 26 px on the default 440 px canvas; the
#: smallest digit in the tests' drawings spans 60 px (14 %), a click spans 0 and a tremor a few px.
MIN_DRAWING_FRACTION = 0.06
#: An image's ink is a speck below this span (pixels, after reduction to at most _WORK_SIDE)...
MIN_IMAGE_INK_SPAN = 6
#: ...or below this much ink (sum of ink levels, i.e. pixels of full ink).
MIN_IMAGE_INK_MASS = 8.0


@dataclass(frozen=True)
class PreparedInput:
    """A network input and whether the ink it came from was too small to read."""

    array: np.ndarray  # (32, 32) float32, −0.1 … 1.175
    too_small: bool = False
    placement: Placement | None = None  # where the (upright) source image's pixels landed on `array`


class EmptyDrawing(ValueError):
    """There is no ink: no strokes, only invalid points, or a blank/uniform image."""


class ImageError(ValueError):
    """The image could not be read, is not an image, or is too large; the message names it."""


@dataclass(frozen=True)
class Placement:
    """Where normalisation put a drawing: a point (x, y) of the source (canvas pixels, or the
    pixels of the ink image; x right, y down, pixel edges at whole numbers) lands at
    (scale·x + offset_x, scale·y + offset_y) on the 32×32 input. Lets attributions computed on
    the input be drawn back onto the canvas."""

    scale: float
    offset_x: float
    offset_y: float

    def to_input(self, x: float, y: float) -> tuple[float, float]:
        return self.scale * x + self.offset_x, self.scale * y + self.offset_y

    def to_source(self, u: float, v: float) -> tuple[float, float]:
        return (u - self.offset_x) / self.scale, (v - self.offset_y) / self.scale

    def then(self, scale: float, offset_x: float, offset_y: float) -> Placement:
        """This placement preceded by source' = scale·source + offset (composition)."""
        return Placement(self.scale * scale, self.scale * offset_x + self.offset_x,
                         self.scale * offset_y + self.offset_y)


def normalise_ink(ink: np.ndarray) -> np.ndarray:
    """Grey ink image (float, 0 = paper, 1 = ink, any size) -> normalised (32, 32) float32: the one
    normalisation of drawings, images, parts of images (segmentation) and generated negatives."""
    return normalise_ink_placed(ink)[0]


def normalise_ink_placed(ink: np.ndarray) -> tuple[np.ndarray, Placement]:
    """Grey ink image (float, 0 = paper, 1 = ink, any size) -> normalised (32, 32) float32, and
    where the ink image's pixels landed on it."""
    rows = np.flatnonzero(ink.max(axis=1) > _INK_EPS)
    cols = np.flatnonzero(ink.max(axis=0) > _INK_EPS)
    if rows.size == 0:
        raise EmptyDrawing("no ink in the drawing")
    crop = np.ascontiguousarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], np.float32)
    h, w = crop.shape
    scale = BOX / max(h, w)
    ex = ey = 0.0
    if scale != 1:
        # Resample at exactly `scale` (not to a rounded size, which would distort thin shapes
        # such as a "1"): the source box is centred on the ink and widened to whole output
        # pixels, with zero padding. BOX averages the covered area when shrinking (MNIST's
        # anti-aliasing); bilinear enlarges small images without ringing.
        out_w, out_h = max(1, math.ceil(w * scale - 1e-6)), max(1, math.ceil(h * scale - 1e-6))
        ex, ey = (out_w / scale - w) / 2, (out_h / scale - h) / 2
        m = math.ceil(max(ex, ey)) + 1
        padded = np.pad(crop, m)
        box = (m - ex, m - ey, m + w + ex, m + h + ey)
        resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
        img = Image.fromarray(padded, "F").resize((out_w, out_h), resample, box=box)
        crop = np.asarray(img, np.float32)
    crop = np.clip(crop, 0.0, 1.0)
    mass = float(crop.sum())
    if not mass > 0:
        raise EmptyDrawing("no ink in the drawing")
    h, w = crop.shape
    cy = float(crop.sum(axis=1) @ np.arange(h)) / mass
    cx = float(crop.sum(axis=0) @ np.arange(w)) / mass
    # Whole-pixel shift like MNIST (no extra blur); clamped so ink never leaves the 28×28
    # field, which keeps the 2 px frame pure background (only lopsided shapes are affected).
    top = min(max(round(_CENTRE - cy), 0), FIELD - h)
    left = min(max(round(_CENTRE - cx), 0), FIELD - w)
    pad = (INPUT_SIZE - FIELD) // 2
    grey = np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32)
    grey[pad + top : pad + top + h, pad + left : pad + left + w] = crop
    # Output pixel edge u covers source edge cols[0] − ex + u / scale (the resampling box above).
    placement = Placement(scale, pad + left - (cols[0] - ex) * scale, pad + top - (rows[0] - ey) * scale)
    # Clipped because float32 rounding can overshoot the ends by one ulp.
    return np.clip(BACKGROUND + grey * (INK - BACKGROUND), BACKGROUND, INK).astype(np.float32), placement


def _clean_strokes(strokes: Iterable[Stroke]) -> list[np.ndarray]:
    """Each stroke as a float64 (n, 2) array of finite points; empty strokes dropped."""
    cleaned = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=np.float64)
        if pts.size == 0:
            continue
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ValueError(f"a stroke must be a sequence of (x, y) points, got shape {pts.shape}")
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts):
            cleaned.append(pts)
    return cleaned


def render_strokes(strokes: Iterable[Stroke], pen_width: float | None = None) -> np.ndarray:
    """Vector strokes (canvas pixels, y down) -> normalised (32, 32) float32 in [-0.1, 1.175];
    see `render_strokes_placed`."""
    return render_strokes_placed(strokes, pen_width)[0]


def render_strokes_placed(strokes: Iterable[Stroke], pen_width: float | None = None) -> tuple[np.ndarray, Placement]:
    """Vector strokes (canvas pixels, y down) -> normalised (32, 32) float32 in [-0.1, 1.175].

    Only the shape matters: the drawing is taken relative to its bounding box, and the pen
    width is relative to the drawing's size, so the same digit drawn anywhere at any size gives
    (nearly) the same array. `pen_width` (canvas pixels) only nudges the relative width, by at
    most ×1.2 either way.
    """
    parts = _clean_strokes(strokes)
    if not parts:
        raise EmptyDrawing("no strokes with finite points")
    allpts = np.concatenate(parts)
    magnitude = float(np.abs(allpts).max())
    unit = 1.0
    if magnitude > 1e150:  # keep max - min finite for coordinates near the float limit
        parts = [p / magnitude for p in parts]
        allpts = allpts / magnitude
        unit = 1.0 / magnitude
    origin = allpts.min(axis=0)
    extent = allpts.max(axis=0) - origin
    size = float(extent.max())

    relative = DEFAULT_RELATIVE_PEN
    if pen_width is not None and math.isfinite(pen_width) and pen_width > 0 and size > 0:
        ratio = math.sqrt(pen_width / size / DEFAULT_RELATIVE_PEN)
        relative *= min(max(ratio, 1 / _PEN_MODULATION), _PEN_MODULATION)
    # Pillow pens have whole-pixel widths, so fix the pen and derive the scale from it: the
    # drawing's longer side lands near BOX * _SUPERSAMPLE px and the relative width is exact.
    pen = max(3, round(relative * BOX * _SUPERSAMPLE))
    scale = pen / relative / size if size > 0 else 0.0  # (relative * size) may underflow
    if not math.isfinite(scale):  # extent so tiny that it's a dot at any useful scale
        scale = 0.0
    margin = pen / 2 + 2
    width = int(math.ceil(extent[0] * scale + 2 * margin))
    height = int(math.ceil(extent[1] * scale + 2 * margin))
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    r = pen / 2
    for pts in parts:
        xy = (pts - origin) * scale + margin
        # Points closer than a quarter supersampled pixel add nothing but drawing time.
        q = np.round(xy * 2) / 2
        keep = np.ones(len(q), bool)
        keep[1:] = (q[1:] != q[:-1]).any(axis=1)
        xy = xy[keep].tolist()
        if len(xy) > 1:
            draw.line([tuple(p) for p in xy], fill=255, width=pen)
        for x, y in xy:  # round caps and joins; a single point is a dot
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    ink = np.asarray(canvas, np.float32) / 255.0
    array, placement = normalise_ink_placed(ink)
    # Pillow draws a point at (x, y) centred on pixel edge x + 0.5: canvas → ink image is
    # scale·(p − origin) + margin + 0.5.
    placement = placement.then(scale, margin + 0.5 - scale * origin[0], margin + 0.5 - scale * origin[1])
    return array, placement.then(unit, 0.0, 0.0)


#: The raster formats digitpad opens (Pillow's names; PPM covers PGM and PBM, JPEG also opens the
#: MPO files many cameras write). Anything else is refused by content, whatever the file is called: Pillow
#: would otherwise hand PostScript named .png to Ghostscript, or decode exotic formats nobody draws in.
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")


def _open_image(source: ImageSource) -> tuple[Image.Image, str]:
    if isinstance(source, Image.Image):
        return source, "<image>"
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = "<bytes>"
        fp: object = io.BytesIO(bytes(source))
    else:
        name = os.fspath(source)
        try:  # a named pipe would block until a writer came, a device may never end: refused unopened
            fp = open_regular_file(name)
        except NotARegularFileError as exc:
            raise ImageError(f"{name}: it is {exc.kind}, not an image file") from None
        except OSError as exc:
            raise ImageError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return Image.open(fp, formats=IMAGE_FORMATS), str(name)  # closing the image closes the file
    except BaseException as exc:
        if not isinstance(fp, io.BytesIO):
            fp.close()
        if isinstance(exc, UnidentifiedImageError):
            raise ImageError(f"{name}: not an image digitpad reads (PNG, JPEG, BMP, GIF, TIFF, WebP or "
                             "PGM/PPM/PBM)") from None
        if isinstance(exc, Image.DecompressionBombError):
            raise ImageError(f"{name}: image is too large ({exc})") from exc
        if isinstance(exc, (OSError, ValueError, SyntaxError)):
            raise ImageError(f"{name}: not a readable image ({exc})") from exc
        raise


def _grey(im: Image.Image) -> np.ndarray:
    """Decoded image -> float64 grey levels in [0, 1], transparency composited on white."""
    full = None  # no known bit depth for "I"/"F": their range is stretched to [0, 1]
    if im.mode.startswith("I;16"):
        im, full = im.convert("I"), 65535.0  # "L" would clip at 255; keep all 16 bits
    if im.mode in ("I", "F"):
        if max(im.size) > _WORK_SIDE:
            im = im.reduce(math.ceil(max(im.size) / _WORK_SIDE))
        g = np.asarray(im, np.float64)
        if full is None:
            span = float(np.ptp(g))
            return (g - g.min()) / span if span > 0 else np.zeros_like(g)
        return g / full
    alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    im = im.convert("RGBA").convert("LA") if alpha else im.convert("L")
    if max(im.size) > _WORK_SIDE:  # box-average: thin strokes keep their mass
        im = im.reduce(math.ceil(max(im.size) / _WORK_SIDE))
    a = np.asarray(im, np.float64) / 255.0
    if not alpha:
        return a
    grey, opacity = a[..., 0], a[..., 1]
    composited = grey * opacity + (1.0 - opacity)
    # Light ink on a transparent background vanishes on white: the alpha is then the drawing.
    if np.ptp(composited) < 2 / 255 and np.ptp(opacity) >= 2 / 255:
        return opacity
    return composited


def image_to_array(source: ImageSource) -> np.ndarray:
    """An image file, its bytes or a PIL image -> normalised (32, 32) float32 in [-0.1, 1.175].

    Dark-on-light and light-on-dark both work (see `prepare_image`). Raises ImageError for
    anything unreadable or over MAX_IMAGE_PIXELS, EmptyDrawing for a blank image.
    """
    return prepare_image(source).array


def prepare_image(source: ImageSource) -> PreparedInput:
    """An image -> its network input, and whether its ink is too small to read.

    Paper and ink are told apart by the whole image's histogram (`find_paper`), not by its
    border, so a digit that touches one or all four edges (a tight crop, a scan normalised to
    fill its box) is read like any other. Raises like `image_to_array`.
    """
    ink_image = image_ink(source)
    array, placement = normalise_ink_placed(ink_image.ink)
    # One ink pixel covers source_pixels × source_pixels pixels of the source image.
    placement = placement.then(1 / ink_image.source_pixels, 0.0, 0.0)
    return PreparedInput(array, image_ink_too_small(ink_image.ink), placement)


@dataclass
class InkImage:
    """An image as ink before normalisation: `ink` is 0 (paper) … 1 (ink), one pixel of it is
    `source_pixels` × `source_pixels` pixels of the (upright) source image."""

    ink: np.ndarray
    source_pixels: float


def image_ink(source: ImageSource) -> InkImage:
    """An image's ink, paper and noise removed, at most about 1024 px a side (see image_to_array)."""
    im, name = _open_image(source)
    ours = not isinstance(source, Image.Image)  # a caller's image is used as it is, and kept open
    try:
        w, h = im.size
        if w * h > MAX_IMAGE_PIXELS:  # only the header has been read so far
            raise ImageError(f"{name}: {w}×{h} pixels is over the limit of {MAX_IMAGE_PIXELS}")
        if ours:
            im.seek(0)  # animated images: the first frame
            if im.format == "JPEG":
                im.draft("L", (_WORK_SIDE, _WORK_SIDE))  # let the decoder shrink big photos
        im.load()
        g = _grey(ImageOps.exif_transpose(im))  # photos: upright as the camera meant them
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{name}: image is too large ({exc})") from exc
    except (OSError, ValueError, SyntaxError, EOFError, KeyError) as exc:
        raise ImageError(f"{name}: cannot decode image ({exc})") from exc
    finally:
        if ours:
            im.close()
    if float(np.ptp(g)) < 2 / 255:
        raise EmptyDrawing(f"{name}: the image is blank")
    paper, light_paper, spread = find_paper(g)
    ink = paper - g if light_paper else g - paper
    peak = float(ink.max())
    if peak < 2 / 255:
        raise EmptyDrawing(f"{name}: the image is blank")
    ink = np.clip(ink / peak, 0.0, 1.0)  # faint pencil counts as full ink, like MNIST's scans
    noise = 3 * spread / peak
    ink[ink < _NOISE_FLOOR + noise] = 0.0
    log.debug("%s: %dx%d, paper %.3f (%s), noise %.3f", name, w, h, paper, "light" if light_paper else "dark",
              noise)
    return InkImage(ink, max(w, h) / max(ink.shape))


def find_paper(grey: np.ndarray) -> tuple[float, bool, float]:
    """(paper level, whether the paper is the lighter side, the paper's spread) of an image.

    Otsu's threshold splits the grey levels into the two groups that are most distinct. Which
    group is paper is voted, the first clear vote (over 60 %) deciding: the four corners (a
    tenth of the shorter side each), then the whole border, then the whole image. Corners first
    because a digit cropped to its ink (a scan normalised to fill its box) touches all four
    edges, often with more ink than paper along them, yet rarely fills a corner. The paper's
    level is its group's median over the whole image, its spread the median absolute deviation
    (noise, JPEG ringing).
    """
    threshold = otsu_threshold(grey)
    light = grey > threshold
    h, w = light.shape
    k = max(1, min(h, w) // 10)
    corners = np.concatenate([light[:k, :k].ravel(), light[:k, -k:].ravel(), light[-k:, :k].ravel(),
                              light[-k:, -k:].ravel()])
    border = np.concatenate([light[0], light[-1], light[1:-1, 0], light[1:-1, -1]])
    light_paper = bool(light.mean() >= 0.5)
    for share in (corners.mean(), border.mean()):
        if abs(share - 0.5) > 0.1:
            light_paper = bool(share > 0.5)
            break
    paper_pixels = grey[light] if light_paper else grey[~light]
    paper = float(np.median(paper_pixels))
    return paper, light_paper, float(np.median(np.abs(paper_pixels - paper)))


def otsu_threshold(grey: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of grey levels in [0, 1]: the level maximising the between-group variance."""
    counts, edges = np.histogram(grey, bins=bins, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    mass_low = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = mass_low / weight_low
        mean_high = (mass_low[-1] - mass_low) / weight_high
        between = weight_low * weight_high * (mean_low - mean_high) ** 2
    between = np.nan_to_num(between, nan=-1.0)
    return float(edges[int(np.argmax(between)) + 1])


def image_ink_too_small(ink: np.ndarray) -> bool:
    """True when an image's ink (0..1, paper 0) is a speck: spanning fewer than
    MIN_IMAGE_INK_SPAN pixels, or less than MIN_IMAGE_INK_MASS pixels' worth of full ink."""
    rows = np.flatnonzero(ink.max(axis=1) > _INK_EPS)
    cols = np.flatnonzero(ink.max(axis=0) > _INK_EPS)
    if rows.size == 0:
        return True
    span = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    return bool(span < MIN_IMAGE_INK_SPAN or float(ink.sum()) < MIN_IMAGE_INK_MASS)


def drawing_too_small(strokes: Iterable[Stroke], canvas_size: tuple[float, float] | None = None) -> bool:
    """True when the drawing's ink spans less than MIN_DRAWING_FRACTION of the canvas's shorter side.

    The span is the longer side of the bounding box of its largest stroke (the pen not counted, so
    a click is 0 whatever the pen): a drawing made only of specks is too small however far apart
    they are, while any real digit has at least one stroke of its size. Screen-independent: only
    the ratio to the canvas matters. Without a `canvas_size` the canvas is taken to reach from
    (0, 0) to the furthest point drawn (what a stroke file in canvas pixels implies).
    Raises EmptyDrawing when there are no points.
    """
    parts = _clean_strokes(strokes)
    if not parts:
        raise EmptyDrawing("no strokes with finite points")
    points = np.concatenate(parts)
    # A drawing made only of specks (two dots far apart) is as unreadable as one speck: its span
    # is that of its largest stroke, not the distance between the specks.
    span = max(float((part.max(axis=0) - part.min(axis=0)).max()) for part in parts)
    if canvas_size is None:
        shorter = float(np.maximum(points.max(axis=0), 0.0).min())
    else:
        shorter = float(min(canvas_size))
    if not (math.isfinite(shorter) and shorter > 0) or not math.isfinite(span):
        return False  # no usable canvas to compare with: judge the drawing by its shape alone
    return span < MIN_DRAWING_FRACTION * shorter


def mnist_to_input(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """MNIST bytes (N, 28, 28), 0 = paper, 255 = ink -> (N, 1, 32, 32) float32 (the paper's
    conversion: pad 2 px of background each side, map grey levels linearly to -0.1 .. 1.175)."""
    import torch

    if isinstance(images, torch.Tensor):
        x = images.to(torch.float32)
    else:  # a copy, also of read-only buffers such as np.frombuffer over an IDX file
        x = torch.from_numpy(np.array(images, dtype=np.float32))
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim != 3 or tuple(x.shape[1:]) != (FIELD, FIELD):
        raise ValueError(f"expected (N, 28, 28) images, got shape {tuple(x.shape)}")
    x = (BACKGROUND + x * ((INK - BACKGROUND) / 255.0)).clamp_(BACKGROUND, INK)
    pad = (INPUT_SIZE - FIELD) // 2
    return torch.nn.functional.pad(x, (pad, pad, pad, pad), value=BACKGROUND).unsqueeze(1)


def to_tensor(array32: np.ndarray) -> torch.Tensor:
    """A (32, 32) array from render_strokes/image_to_array -> a (1, 1, 32, 32) float32 batch."""
    import torch

    a = np.asarray(array32, np.float32)
    if a.shape != (INPUT_SIZE, INPUT_SIZE):
        raise ValueError(f"expected a ({INPUT_SIZE}, {INPUT_SIZE}) array, got {a.shape}")
    return torch.from_numpy(a.copy()).reshape(1, 1, INPUT_SIZE, INPUT_SIZE)
