"""Number reading on a picture of ONE digit or of noise (walk-through F21/F39/F40): a wide digit in
an image is cut finely into more than four segments, and its uncut ink must still be a candidate
piece; noise cut in two is no number; and opening either leaves number mode off."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpad.reading.number_reading import MAX_SEGMENTS_PER_PIECE, NumberReader
from digitpad.reading.verdict import NOT_A_NUMBER
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


def noise(seed: int) -> Image.Image:
    """200×200, every pixel a random grey."""
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (200, 200), dtype=np.uint8), "L")


NOISE = noise(0)
FOUR = picture(lambda pen: (pen.line([(120, 20), (35, 130), (170, 130)], fill=0, width=14, joint="curve"),
                            pen.line([(130, 60), (130, 185)], fill=0, width=14)))


@pytest.mark.parametrize(("image", "digit"), [(SEVEN, "7"), (FOUR, "4")])
def test_a_picture_of_one_wide_digit_reads_as_that_digit(reader, image, digit):
    reading = reader.read_image(image)
    assert len(reading.segmentation.segments) > MAX_SEGMENTS_PER_PIECE  # cut finely, as a touching pair would be
    assert reading.reason is None
    assert reading.text == digit
    assert len(reading.pieces) == 1


@pytest.mark.parametrize("seed", [0, 6, 8])  # each read "88" at a cost just under the gate's
def test_a_picture_of_random_grey_noise_is_not_a_number(reader, seed):
    reading = reader.read_image(noise(seed))
    assert reading.reason == NOT_A_NUMBER and reading.text == ""
    assert "Not a number" in reading.describe()


@pytest.mark.parametrize("image", [SEVEN, NOISE])
def test_opening_a_picture_of_one_digit_or_noise_leaves_number_mode_off(qtbot, use_weights, message_boxes,
                                                                         tmp_path, image):
    from digitpad.gui.main_window import MainWindow
    from digitpad.gui.panels.number_mode import HINT

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    mode = window.number_mode
    try:
        image.save(tmp_path / "picture.png")
        with qtbot.waitSignal(mode.jobs.finished, timeout=20_000):  # read in the background to decide
            assert window.image_files.open_image(tmp_path / "picture.png")
        qtbot.waitUntil(lambda: not mode.busy(), timeout=20_000)
        assert not mode.active and not mode.overlay.isVisible()
        assert not window.prediction_view.verdict_text().startswith("Number")
        assert window.statusBar().currentMessage() != HINT  # noise is no number to hint at either
    finally:
        mode.shutdown()
