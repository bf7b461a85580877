"""Only the raster formats digitpad supports are opened, by content (issue 12, item 3): PostScript
named .png would be handed to Ghostscript (`{ } loop` never ends)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitpad.ink.images import image_to_array, ImageError

POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n"


@pytest.mark.parametrize("source", ["file", "bytes"])
def test_postscript_named_png_is_refused_by_content(tmp_path, source):
    path = tmp_path / "digit.png"
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(ImageError, match="not an image digitpad reads"):
        image_to_array(path if source == "file" else POSTSCRIPT)


@pytest.mark.slow
def test_recognize_returns_within_seconds_on_postscript_in_a_png(tmp_path):
    """The whole CLI, in a process that would hang in Ghostscript before the fix."""
    path = tmp_path / "scan.png"
    path.write_bytes(POSTSCRIPT)
    done = subprocess.run([sys.executable, "-m", "digitpad", "recognize", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "not an image digitpad reads" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("BMP", ".bmp"), ("GIF", ".gif"),
                                         ("TIFF", ".tif"), ("WEBP", ".webp"), ("PPM", ".pgm")])
def test_the_supported_formats_still_open(tmp_path, fmt, suffix):
    pixels = np.full((60, 60), 255, np.uint8)
    pixels[10:50, 28:33] = 0
    path = tmp_path / f"one{suffix}"
    Image.fromarray(pixels).save(path, format=fmt)
    array = image_to_array(path)
    assert array.shape == (32, 32) and array.max() > 1.0


def test_an_unsupported_raster_format_is_refused(tmp_path):
    path = tmp_path / "one.png"  # a TGA, whatever its name says
    Image.fromarray(np.zeros((20, 20), np.uint8) + 200).save(path, format="TGA")
    with pytest.raises(ImageError, match="not an image digitpad reads"):
        image_to_array(path)
