"""The negatives generator: deterministic, MNIST-shaped, and free of anything a person reads as a digit."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from digitpad.training import negatives
from digitpad.training.negatives import (DIGIT_LIKE, FONT_FAMILIES, GLYPHS, HELD_OUT_FAMILIES, KINDS, SHAPE_KINDS,
                                         TRAINING_FAMILIES, FontFamily, available_fonts, generate_negatives)
from digitpad.ink.normalise import BACKGROUND, INK

needs_fonts = pytest.mark.skipif(not available_fonts(),
                                 reason="needs the training font families (apt-get install fonts-dejavu-core "
                                        "fonts-liberation fonts-freefont-ttf, as .ci/run does)")
_MISSING = [name for name, family in FONT_FAMILIES.items() if len(family.faces()) < len(family.files)]
needs_all_families = pytest.mark.skipif(
    bool(_MISSING), reason=f"font families not installed here: {', '.join(_MISSING)} (apt-get install "
                           + " ".join(FONT_FAMILIES[name].package for name in _MISSING) + ", as .ci/run does)")


def test_the_same_seed_gives_the_same_negatives_and_another_seed_others():
    a, b = generate_negatives(60, seed=7), generate_negatives(60, seed=7)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.kinds == b.kinds
    other = generate_negatives(60, seed=8)
    assert not np.array_equal(a.images, other.images)


def test_negatives_are_normalised_like_mnist_inputs():
    made = generate_negatives(80, seed=3)
    assert made.images.shape == (80, 32, 32) and made.images.dtype == np.float32
    assert made.images.min() >= np.float32(BACKGROUND) and made.images.max() <= np.float32(INK)
    frame = np.concatenate([made.images[:, :2].reshape(80, -1), made.images[:, -2:].reshape(80, -1),
                            made.images[:, :, :2].reshape(80, -1), made.images[:, :, -2:].reshape(80, -1)], 1)
    assert (frame == np.float32(BACKGROUND)).all(), "the 2 px frame is paper, as in MNIST"
    assert (made.images.max(axis=(1, 2)) > 1.0).all(), "every pattern has full ink somewhere"
    # The ink's bounding box is 20 px on its longer side, as MNIST's (the paper's normalisation).
    ink = made.images > BACKGROUND + 1e-3
    spans = [max(np.ptp(np.flatnonzero(m.any(1))), np.ptp(np.flatnonzero(m.any(0)))) + 1 for m in ink]
    assert set(spans) <= {19, 20, 21}


def test_no_glyph_a_person_would_read_as_a_digit_is_used():
    assert not set(GLYPHS) & DIGIT_LIKE
    for char in "0123456789OoIlSsZzBGgqb|":
        assert char in DIGIT_LIKE


def test_every_glyph_drawn_is_one_of_the_allowed(monkeypatch):
    drawn = []
    original = negatives._normalise_glyphs

    def spy(chars, rng, fonts):
        drawn.append(chars)
        return original(chars, rng, fonts)

    monkeypatch.setattr(negatives, "_normalise_glyphs", spy)
    made = generate_negatives(150, seed=11)
    singles = [c for chars in drawn if len(chars) == 1 for c in chars]
    pairs = [chars for chars in drawn if len(chars) == 2]
    if available_fonts():
        assert singles and pairs
    assert set(singles) <= set(GLYPHS)
    assert all(a.isdigit() and b.isdigit() for a, b in pairs)  # "two digits" are always two
    assert set(made.kinds) <= set(KINDS)


@needs_fonts
def test_with_the_fonts_every_kind_is_made():
    assert set(generate_negatives(400, seed=5).kinds) == set(KINDS)


def test_without_fonts_only_drawn_shapes_are_made_and_the_log_says_why(monkeypatch, tmp_path, caplog):
    empty = {name: FontFamily(name, family.package, tmp_path, family.files)  # an empty folder: no fonts
             for name, family in FONT_FAMILIES.items()}
    monkeypatch.setattr(negatives, "FONT_FAMILIES", empty)
    available_fonts.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="digitpad.training.negatives"):
            made = generate_negatives(100, seed=2)
        assert set(made.kinds) <= set(SHAPE_KINDS)
        assert "fonts-dejavu-core" in caplog.text and "fonts-liberation" in caplog.text
    finally:
        available_fonts.cache_clear()


def test_no_font_family_is_both_trained_on_and_held_out():
    assert not set(TRAINING_FAMILIES) & set(HELD_OUT_FAMILIES)
    assert len(TRAINING_FAMILIES) >= 3 and len(HELD_OUT_FAMILIES) >= 2
    assert set(TRAINING_FAMILIES) | set(HELD_OUT_FAMILIES) == set(FONT_FAMILIES)
    packages = [family.package for family in FONT_FAMILIES.values()]
    assert len(set(packages)) == len(packages)  # a family is one Debian package, named in .ci/run
    ci = (negatives.Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert all(package in ci for package in packages)


@needs_all_families
def test_training_negatives_use_only_the_training_families_and_held_out_ones_only_theirs():
    training, held_out = available_fonts(TRAINING_FAMILIES), available_fonts(HELD_OUT_FAMILIES)
    assert not set(training) & set(held_out)
    assert {p.parent for p in training} == {FONT_FAMILIES[n].folder for n in TRAINING_FAMILIES}
    assert {p.parent for p in held_out} == {FONT_FAMILIES[n].folder for n in HELD_OUT_FAMILIES}
    opened = []
    real = negatives._font
    negatives._font.cache_clear()
    try:
        negatives._font = lambda path, size: opened.append(path) or real(path, size)
        generate_negatives(200, seed=4)
        assert opened and set(opened) <= set(training)
        opened.clear()
        generate_negatives(200, seed=4, families=HELD_OUT_FAMILIES)
        assert opened and set(opened) <= set(held_out)
    finally:
        negatives._font = real
