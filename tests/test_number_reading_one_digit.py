"""Number mode on a picture of ONE digit (walk-through F21/F40): a wide digit in an image is cut
finely into more than four segments, and its uncut ink must still be a candidate piece."""

import pytest
from PIL import Image, ImageDraw

from digitpad.reading.number_reading import MAX_SEGMENTS_PER_PIECE, NumberReader
from digitpad.storage.checkpoints import load_model


@pytest.fixture(scope="module")
def reader(gui_weights):
    return NumberReader(load_model(gui_weights)[0])


def picture(draw_digit) -> Image.Image:
    """A 200×200 white picture with one digit drawn by Pillow with a 14 px pen, as a user makes one."""
    image = Image.new("L", (200, 200), 255)
    draw_digit(ImageDraw.Draw(image))
    return image


SEVEN = picture(lambda pen: pen.line([(35, 30), (165, 30), (80, 178)], fill=0, width=14, joint="curve"))
FOUR = picture(lambda pen: (pen.line([(120, 20), (35, 130), (170, 130)], fill=0, width=14, joint="curve"),
                            pen.line([(130, 60), (130, 185)], fill=0, width=14)))


@pytest.mark.parametrize(("image", "digit"), [(SEVEN, "7"), (FOUR, "4")])
def test_a_picture_of_one_wide_digit_reads_as_that_digit(reader, image, digit):
    reading = reader.read_image(image)
    assert len(reading.segmentation.segments) > MAX_SEGMENTS_PER_PIECE  # cut finely, as a touching pair would be
    assert reading.reason is None
    assert reading.text == digit
    assert len(reading.pieces) == 1
