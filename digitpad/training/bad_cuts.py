"""Bad cuts: pieces of written numbers that are not one digit, to train eq. 9's rubbish class.

When LeNet-5 reads a string (Sections IV–V of the paper), the segmenter proposes more pieces
than there are digits, and a piece that is half a digit, or a digit and a bit of its neighbour,
or two digits squeezed together, must cost a lot. The paper's recogniser learned that from
examples of such pieces trained toward the rubbish class. This module makes them the same way:
it writes numbers of 2–3 training digits side by side (some apart, some touching), runs
digitpad's own segmenter on the picture (digitpad.reading.segmentation, exactly what reading an image
does), and keeps the candidate pieces that are not one digit, rendered as LeNet-5's 32×32 input.

Which pieces count as bad is decided from where each digit's ink went (every pixel of the
composed picture is owned by the digit that put the most ink there):

* a *merge*: the piece holds at least MERGE_SHARE of the ink of two or more digits;
* a *fragment*: the piece is ink of one digit only, less than FRAGMENT_SHARE of it, and not an
  upright sliver (a 4's stem or a 7's downstroke, alone, is a fair "1": training it as rubbish
  would teach the network to refuse real 1s; the other piece of that cut is rubbish enough to
  make the cut expensive);
* pieces holding GOOD_SHARE of one digit and little else are that digit and are not used, and
  pieces between these cases are left out as ambiguous.

Deterministic for a seed; no files, no network. Uses only the images it is given: pass the
training images, never the test set.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from digitpad.errors import TrainingCancelled
from digitpad.ink.images import InkImage
from digitpad.reading.image_segmentation import segment_image
from digitpad.reading.number_reading import candidate_pieces

#: A merge holds at least this share of each of two digits' ink.
MERGE_SHARE = 0.3
#: A fragment holds less than this share of its digit's ink.
FRAGMENT_SHARE = 0.7
#: A piece with this share of one digit's ink, made of that digit's ink to this share, is that digit.
GOOD_SHARE = 0.9
#: Fragments narrower than this × the number's height are upright slivers, fair 1s: not used.
SLIVER_WIDTH = 0.3
#: Spaces between neighbouring digits in pixels of the 28-px MNIST digits: negative = overlap.
GAP_RANGE = (-4, 6)
#: Numbers where a digit shows less than this share of its ink (the rest under its neighbour's)
#: are not used.
HIDDEN_SHARE = 0.6
TOUCHING_PROBABILITY = 0.6


def compose_number(crops: list[np.ndarray], gaps: list[int], rises: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Ink crops (uint8, 0 = paper) side by side -> (ink 0…1 float32, owner: index of the digit
    with the most ink at each pixel, −1 on paper)."""
    margin = 4
    height = max(c.shape[0] for c in crops) + 2 * margin + 2 * max(abs(r) for r in rises)
    width = 2 * margin + sum(c.shape[1] for c in crops) + sum(gaps)
    layers = np.zeros((len(crops), height, width), np.float32)
    x = margin
    for k, crop in enumerate(crops):
        y = margin + max(abs(r) for r in rises) + rises[k]
        layers[k, y : y + crop.shape[0], x : x + crop.shape[1]] = crop / 255.0
        x += crop.shape[1] + (gaps[k] if k < len(gaps) else 0)
    ink = layers.max(axis=0)
    owner = np.where(ink > 0, layers.argmax(axis=0), -1)
    return ink, owner


def classify_piece(pixels: tuple[np.ndarray, np.ndarray], ink: np.ndarray, owner: np.ndarray,
                   digit_mass: np.ndarray, width: float) -> str:
    """'merge', 'fragment', 'digit' or 'ambiguous' for a piece's pixels (in `ink` coordinates);
    `width` is the piece's width as a share of the number's height."""
    rows, cols = pixels
    mass = np.bincount(owner[rows, cols] + 1, weights=ink[rows, cols], minlength=len(digit_mass) + 1)[1:]
    total = mass.sum()
    if total <= 0:
        return "ambiguous"
    of_digit = mass / digit_mass
    of_piece = mass / total
    main = int(of_piece.argmax())
    if of_digit[main] >= GOOD_SHARE and of_piece[main] >= GOOD_SHARE:
        return "digit"
    if np.count_nonzero(of_digit >= MERGE_SHARE) >= 2:
        return "merge"
    if of_piece[main] >= GOOD_SHARE and of_digit[main] < FRAGMENT_SHARE and width >= SLIVER_WIDTH:
        return "fragment"
    return "ambiguous"


def generate_bad_cuts(images: np.ndarray, count: int, seed: int,
                      should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """`count` bad cuts, (count, 32, 32) float32 network inputs, from MNIST-style digit images
    (N, 28, 28) uint8 (ink 255 on 0). Raises TrainingCancelled when `should_cancel` says so."""
    if count <= 0:
        return np.zeros((0, 32, 32), np.float32)
    if len(images) < 3:
        raise ValueError("bad cuts need at least 3 digit images")
    rng = np.random.default_rng(seed)
    found: list[np.ndarray] = []
    numbers = 0
    while len(found) < count:
        numbers += 1
        if should_cancel is not None and numbers % 64 == 0 and should_cancel():
            raise TrainingCancelled()
        if numbers > 50 * count + 1000:  # images with no ink at all never give a piece
            raise ValueError("these images give no bad cuts")
        chosen = rng.choice(len(images), size=int(rng.integers(2, 4)), replace=False)
        crops = []
        for image in images[chosen]:
            cols = np.flatnonzero(image.max(axis=0) > 0)
            if cols.size:
                crops.append(image[:, cols[0] : cols[-1] + 1])
        if len(crops) < 2:
            continue
        touching = rng.random(len(crops) - 1) < TOUCHING_PROBABILITY
        gaps = [int(rng.integers(GAP_RANGE[0], 1)) if t else int(rng.integers(1, GAP_RANGE[1] + 1))
                for t in touching]
        rises = [int(v) for v in rng.integers(-2, 3, size=len(crops))]
        ink, owner = compose_number(crops, gaps, rises)
        digit_mass = np.bincount(owner[owner >= 0], weights=ink[owner >= 0], minlength=len(crops))
        if np.any(digit_mass < HIDDEN_SHARE * np.array([c.sum() / 255.0 for c in crops])):
            continue  # a digit mostly covered by its neighbour: what is a piece of it?
        segmentation = segment_image(InkImage(ink, 1.0))
        if segmentation.ink.shape != ink.shape:  # segment_image crops to the ink: map pixels back
            offsets = [(s.box[1] - s.pixels[0].min(), s.box[0] - s.pixels[1].min()) for s in segmentation.segments]
        else:
            offsets = [(0, 0)] * len(segmentation.segments)
        bad = []
        for first, stop in candidate_pieces(segmentation):
            rows = np.concatenate([segmentation.segments[i].pixels[0] + int(offsets[i][0]) for i in range(first, stop)])
            cols = np.concatenate([segmentation.segments[i].pixels[1] + int(offsets[i][1]) for i in range(first, stop)])
            box = segmentation.box(first, stop)
            kind = classify_piece((rows, cols), ink, owner, digit_mass, (box[2] - box[0]) / segmentation.height)
            if kind in ("merge", "fragment"):
                bad.append((first, stop))
        for index in rng.permutation(len(bad))[:2]:  # a few per number: many different numbers
            found.append(segmentation.render_piece(*bad[index]))
    return np.stack(found[:count]).astype(np.float32)
