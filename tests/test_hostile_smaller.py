"""The smaller findings of issue 25: a NaN pixel, Pillow's EXIF warnings, a redirect loop and a
symlink loop each give the one line they should."""

from __future__ import annotations

import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from limited import one_error_line
from PIL import Image

from digitpad.cli.main import main
from digitpad.errors import DataError
from digitpad.ink.images import image_to_array
from digitpad.storage.mnist import fetch_mnist


def test_a_float_image_with_one_nan_pixel_is_read_not_blank(tmp_path):
    seven = np.zeros((64, 64), np.float32)
    seven[10:14, 12:52] = 1.0
    for i in range(40):
        seven[14 + i, 48 - i // 2: 52 - i // 2] = 1.0
    path = tmp_path / "seven.tif"
    clean = tmp_path / "clean.tif"
    Image.fromarray(seven, "F").save(clean)
    seven[0, 0] = np.nan
    Image.fromarray(seven, "F").save(path)
    np.testing.assert_allclose(image_to_array(path), image_to_array(clean), atol=1e-6)


def test_odd_exif_data_gives_no_warning(tmp_path):
    image = Image.new("L", (64, 64), 255)
    image.paste(0, (30, 8, 34, 56))
    exif = Image.Exif()
    exif[0x010E] = "a description of 40 characters, or so.."
    path = tmp_path / "odd.jpg"
    image.save(path, exif=exif.tobytes()[:16])  # cut short: "Corrupt EXIF data", says Pillow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image_to_array(path)


class _Loop(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(308)
        self.send_header("Location", self.path)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_loop_is_one_line(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Loop)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with pytest.raises(DataError) as info:
            fetch_mnist(tmp_path / "mnist", base_url=f"http://127.0.0.1:{server.server_address[1]}/", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert "\n" not in str(info.value) and "infinite loop" in str(info.value)


@pytest.mark.parametrize("arguments", [
    ["samples", "import", "--file", "STORE", "LOOP"],
    ["train", "--extra", "LOOP", "--epochs", "1", "--limit", "64", "--out", "OUT"],
])
def test_a_symlink_loop_is_not_file_not_found(tmp_path, capsys, arguments):
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    replace = {"LOOP": str(loop), "STORE": str(tmp_path / "s.jsonl"), "OUT": str(tmp_path / "w.pt")}
    assert main([replace.get(a, a) for a in arguments]) == 1
    err = one_error_line(capsys.readouterr().err)
    assert "Too many levels of symbolic links" in err and "not found" not in err


def test_huge_coordinates_give_no_numpy_warning(tmp_path, capsys):
    """Numpy's overflow warnings leaked to stderr beside the one error line."""
    path = tmp_path / "huge.jsonl"
    path.write_text('{"strokes": [[[-1.7e308, 0], [1.7e308, 90]], [[0, 0], [5, 90]]]}\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["recognize", "--string", "--strokes", str(path)]) == 1
    assert [str(w.message) for w in caught] == []
    assert "too far out to read as a number" in one_error_line(capsys.readouterr().err)
