"""Image files, their bytes or PIL images -> ink (paper and noise removed, paper told from ink
by the histogram) -> LeNet-5's 32×32 input. Only raster formats, only regular files, bounded
in size before anything is decoded. No Qt, no torch."""

from __future__ import annotations

import io
import logging
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitpad.ink.normalise import EmptyDrawing, PreparedInput, normalise_ink_placed
from digitpad.ink.too_small import image_ink_too_small
from digitpad.safe_files import NotARegularFileError, open_regular_file

log = logging.getLogger(__name__)

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | Image.Image

#: Images above this many pixels are refused from their header, before anything is decoded.
MAX_IMAGE_PIXELS = 40_000_000
_WORK_SIDE = 1024  # larger images are box-reduced to about this before analysis
_NOISE_FLOOR = 0.03  # image ink weaker than this (of the peak) is paper or JPEG noise


class ImageError(ValueError):
    """The image could not be read, is not an image, or is too large; the message names it."""


#: The raster formats digitpad opens (Pillow's names; PPM covers PGM and PBM, JPEG also opens the
#: MPO files many cameras write). Anything else is refused by content, whatever the file is called: Pillow
#: would otherwise hand PostScript named .png to Ghostscript, or decode exotic formats nobody draws in.
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")


def _open_image(source: ImageSource) -> tuple[Image.Image, str, io.IOBase | None]:
    """The image (not decoded yet), its name for messages, and the file we opened for it (to be
    closed by the caller once decoded: Pillow leaves a file it was handed open)."""
    if isinstance(source, Image.Image):
        return source, "<image>", None
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
        return Image.open(fp, formats=IMAGE_FORMATS), str(name), fp
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
        finite = np.isfinite(g)
        if not finite.all():  # a float image's NaN or infinite pixels are no grey level: paper's, say
            g = np.where(finite, g, float(np.median(g[finite])) if finite.any() else 0.0)
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


def _decode_grey(source: ImageSource) -> tuple[np.ndarray, str, tuple[int, int]]:
    """The image decoded to grey levels (`_grey`), upright, its name and its size as stored;
    ImageError if it cannot be."""
    im, name, opened = _open_image(source)
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
        if opened is not None:
            opened.close()
    return g, name, (w, h)


def image_ink(source: ImageSource) -> InkImage:
    """An image's ink, paper and noise removed, at most about 1024 px a side (see image_to_array)."""
    with warnings.catch_warnings():  # Pillow warns on stderr about odd EXIF data, which is ignored anyway
        warnings.simplefilter("ignore")
        g, name, (w, h) = _decode_grey(source)
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
