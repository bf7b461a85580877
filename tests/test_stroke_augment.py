"""Stroke-level distortions for training on pen strokes: deterministic, in the canvas, and real."""

import numpy as np
import pytest

from digitpad.ink.strokes import render_strokes
from digitpad.ink.stroke_augment import augment_strokes
from digitpad.storage.pendigits import TABLET_SIZE, PenDigit
from digitpad.training.pen_data import pen_dataset, pen_repeat

FOUR = [[(120.0, 60.0), (80.0, 300.0), (330.0, 300.0)], [(260.0, 140.0), (250.0, 460.0)]]  # two strokes
NEAR_EDGE = [[(0.0, 0.0), (500.0, 0.0), (500.0, 500.0)], [(0.0, 500.0), (250.0, 250.0)]]


def test_the_same_seed_gives_the_same_drawing_and_another_seed_another():
    first = augment_strokes(FOUR, np.random.default_rng(5), 1.0, (TABLET_SIZE, TABLET_SIZE))
    again = augment_strokes(FOUR, np.random.default_rng(5), 1.0, (TABLET_SIZE, TABLET_SIZE))
    other = augment_strokes(FOUR, np.random.default_rng(6), 1.0, (TABLET_SIZE, TABLET_SIZE))
    assert first == again and first != other
    assert len(first[0]) == 2 and first[1] > 0  # still two strokes, and a pen width


@pytest.mark.parametrize("strokes", [FOUR, NEAR_EDGE])
def test_the_strokes_stay_in_the_canvas_at_any_strength(strokes):
    for seed in range(40):
        for strength in (1.0, 3.0):
            moved, _ = augment_strokes(strokes, np.random.default_rng(seed), strength, (TABLET_SIZE, TABLET_SIZE))
            points = np.concatenate([np.asarray(s) for s in moved])
            assert points.min() >= 0 and points.max() <= TABLET_SIZE


def test_each_stroke_moves_on_its_own_and_the_points_bend():
    rng = np.random.default_rng(1)
    moved, _ = augment_strokes(FOUR, rng, 1.0, (TABLET_SIZE, TABLET_SIZE))
    original = render_strokes(FOUR)
    assert np.abs(render_strokes(moved) - original).max() > 0.5  # a visibly different drawing
    # The straight second stroke gets points along it, and they no longer lie on one line.
    stem = np.asarray(moved[1])
    assert len(stem) > 2
    direction = stem[-1] - stem[0]
    rel = stem - stem[0]
    off_line = np.abs(direction[0] * rel[:, 1] - direction[1] * rel[:, 0]) / np.hypot(*direction)
    assert off_line.max() > 0.5
    # Strength 0 leaves the shape as it was: the same corners, points added only along the strokes.
    still, _ = augment_strokes(FOUR, rng, 0.0, (TABLET_SIZE, TABLET_SIZE))
    for before, after in zip(FOUR, still, strict=True):
        kept = {(round(x, 6), round(y, 6)) for x, y in after}
        assert {(round(x, 6), round(y, 6)) for x, y in before} <= kept


def test_the_pen_digits_render_as_deterministic_labelled_copies():
    digits = [PenDigit(4, 1, 1, FOUR), PenDigit(7, 2, 1, [[(100.0, 100.0), (400.0, 100.0), (200.0, 450.0)]])]
    made = pen_dataset(digits, copies=3, seed=2, strength=1.0)
    again = pen_dataset(digits, copies=3, seed=2, strength=1.0)
    assert made.inputs.shape == (6, 1, 32, 32) and made.labels.tolist() == [4, 4, 4, 7, 7, 7]
    assert (made.inputs == again.inputs).all() and made.checksum == again.checksum
    np.testing.assert_array_equal(made.inputs[0, 0].numpy(), render_strokes(FOUR))  # the first copy as written
    assert not (made.inputs[1] == made.inputs[0]).all()
    assert pen_dataset(digits, copies=3, seed=3, strength=1.0).checksum != made.checksum


def test_the_pen_share_of_the_mix():
    assert pen_repeat(60_000, 10_000, 0.0) == 0 and pen_repeat(60_000, 0, 0.2) == 0
    assert pen_repeat(60_000, 10_000, 0.2) == 2  # 20,000 of 80,000
    assert pen_repeat(60_000, 100_000, 0.1) == 1  # at least once
