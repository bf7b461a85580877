"""Bad cuts: which pieces of a composed number count as 'not one digit', and the generator."""

import numpy as np
import pytest

from digitpad.training.bad_cuts import classify_piece, compose_number, generate_bad_cuts
from digitpad.errors import TrainingCancelled
from digitpad.ink.normalise import normalise_ink


def block(height: int, width: int) -> np.ndarray:
    return np.full((height, width), 255, np.uint8)


@pytest.fixture
def two_blocks():
    """A 20×8 block, 3 px of paper, a 20×16 block: ink, owner and each block's ink."""
    ink, owner = compose_number([block(20, 8), block(20, 16)], gaps=[3], rises=[0, 0])
    mass = np.array([160.0, 320.0])
    return ink, owner, mass


def columns(owner, which: int, first: int, stop: int):
    """Pixels of block `which`, its columns first … stop-1 counted from its left edge."""
    rows, cols = np.nonzero(owner == which)
    left = cols.min()
    keep = (cols >= left + first) & (cols < left + stop)
    return rows[keep], cols[keep]


def join(*pieces):
    return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])


def test_compose_places_digits_left_to_right_with_the_gap_and_owns_each_pixel(two_blocks):
    ink, owner, _ = two_blocks
    assert ink.sum() == 160 + 320
    cols_a = np.nonzero(owner == 0)[1]
    cols_b = np.nonzero(owner == 1)[1]
    assert cols_b.min() - cols_a.max() - 1 == 3
    overlapping, owner2 = compose_number([block(20, 8), block(20, 16)], gaps=[-3], rises=[0, 0])
    assert overlapping.max() == 1.0 and np.count_nonzero(overlapping) == 20 * (8 + 16 - 3)
    assert np.count_nonzero(owner2 == 0) == 20 * 8  # ties go to the left digit


def test_whole_digit_merge_fragment_sliver_and_ambiguous(two_blocks):
    ink, owner, mass = two_blocks
    a_whole, b_whole = columns(owner, 0, 0, 8), columns(owner, 1, 0, 16)
    assert classify_piece(a_whole, ink, owner, mass, width=8 / 20) == "digit"
    assert classify_piece(b_whole, ink, owner, mass, width=16 / 20) == "digit"
    assert classify_piece(join(a_whole, b_whole), ink, owner, mass, width=27 / 20) == "merge"
    # A and 10 of B's 16 columns: 62.5 % of B is over MERGE_SHARE.
    assert classify_piece(join(a_whole, columns(owner, 1, 0, 10)), ink, owner, mass, width=21 / 20) == "merge"
    # 10 of B's columns alone: a fragment; 4 of them, an upright sliver (a fair "1"): not used.
    assert classify_piece(columns(owner, 1, 0, 10), ink, owner, mass, width=10 / 20) == "fragment"
    assert classify_piece(columns(owner, 1, 0, 4), ink, owner, mass, width=4 / 20) == "ambiguous"
    # A with one column of B: 89 % A — neither a clean digit nor a bad cut.
    assert classify_piece(join(a_whole, columns(owner, 1, 0, 1)), ink, owner, mass, width=12 / 20) == "ambiguous"
    # 13 of B's 16 columns: 81 % of it, between a fragment and the digit.
    assert classify_piece(columns(owner, 1, 0, 13), ink, owner, mass, width=13 / 20) == "ambiguous"


def bars(count: int) -> np.ndarray:
    """MNIST-style images of one upright bar, 20 tall and 4 wide: a '1' with no width to cut."""
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, 4:24, 12:16] = 255
    return images


def aspect(piece: np.ndarray) -> float:
    ink = piece > 0.3
    return ink.any(axis=0).sum() / ink.any(axis=1).sum()


def test_from_bars_only_pieces_of_two_or_more_bars_come_out():
    # A single bar is a whole digit and its parts are upright slivers: neither may be a bad cut,
    # so every piece holds at least two bars side by side, wider for its height than one bar.
    images = bars(30)
    one_bar = aspect(normalise_ink(images[0] / 255.0))
    pieces = generate_bad_cuts(images, 60, seed=3)
    assert pieces.shape == (60, 32, 32) and pieces.dtype == np.float32
    assert pieces.min() >= -0.1 - 1e-6 and pieces.max() <= 1.175 + 1e-6
    assert min(aspect(p) for p in pieces) > one_bar + 0.02


def test_generation_is_repeatable_for_a_seed_and_differs_between_seeds(mnist_dir):
    from digitpad.storage.mnist import load_mnist

    images = load_mnist(mnist_dir, "test").images[:300]
    first = generate_bad_cuts(images, 40, seed=1)
    assert np.array_equal(first, generate_bad_cuts(images, 40, seed=1))
    assert not np.array_equal(first, generate_bad_cuts(images, 40, seed=2))
    assert generate_bad_cuts(images, 0, seed=1).shape == (0, 32, 32)


def test_generation_can_be_cancelled_and_refuses_images_with_no_ink():
    with pytest.raises(TrainingCancelled):
        generate_bad_cuts(bars(30), 10_000, seed=0, should_cancel=lambda: True)
    with pytest.raises(ValueError, match="no bad cuts"):
        generate_bad_cuts(np.zeros((5, 28, 28), np.uint8), 3, seed=0)
