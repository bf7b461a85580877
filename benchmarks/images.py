#!/usr/bin/env python3
"""Opening images: a large photo is reduced, not refused; a decompression bomb is refused at once.

For a 3000×3000 drawing saved as PNG and as JPEG, the median time of digitpad's
`image_to_array` (open, reduce, normalise to the 32×32 input) against Pillow decoding the same
file to pixels (the floor for anything that looks at every pixel), and the ratio. For a PNG
whose header claims 20000×20000 pixels, the time to refuse it against opening a 1×1 PNG.
(These were wall-clock assertions in tests/test_preprocess.py; the tests now check behaviour.)

    python benchmarks/images.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import functools
import io
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.ink.images import image_to_array, ImageError


def median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def big_drawing(size: int = 3000) -> Image.Image:
    image = Image.new("L", (size, size), 255)
    ImageDraw.Draw(image).line([(size * 0.3, size * 0.2), (size * 0.7, size * 0.2), (size * 0.4, size * 0.85)],
                               fill=0, width=size // 20)
    return image


def png_claiming(width: int, height: int) -> bytes:
    """A valid 1×1 PNG whose header is patched to claim width×height."""
    data = io.BytesIO()
    Image.new("L", (1, 1), 255).save(data, "PNG")
    png = bytearray(data.getvalue())
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


def decode(path: Path) -> None:
    with Image.open(path) as image:
        image.load()


def refuse(path: Path) -> None:
    try:
        image_to_array(path)
    except ImageError:
        return
    raise AssertionError(f"{path} was not refused")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        drawing = big_drawing()
        for suffix in ("png", "jpg"):
            path = folder / f"big.{suffix}"
            drawing.save(path)
            ours = median_seconds(functools.partial(image_to_array, path), args.repeats)
            pillow = median_seconds(functools.partial(decode, path), args.repeats)
            print(f"3000×3000 {suffix.upper()}: image_to_array {1000 * ours:.0f} ms, Pillow decode alone "
                  f"{1000 * pillow:.0f} ms, ratio {ours / pillow:.2f}")
        bomb, tiny = folder / "bomb.png", folder / "tiny.png"
        bomb.write_bytes(png_claiming(20_000, 20_000))
        Image.new("L", (1, 1), 255).save(tiny)
        refused = median_seconds(lambda: refuse(bomb), args.repeats)
        opened = median_seconds(lambda: decode(tiny), args.repeats)
        print(f"PNG claiming 20000×20000: refused in {1000 * refused:.2f} ms, a 1×1 PNG decoded in "
              f"{1000 * opened:.2f} ms, ratio {refused / opened:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
