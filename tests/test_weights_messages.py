"""A weights file that is not one gets a message a person understands (what the file is)."""

from __future__ import annotations

import pytest

from digitpad.storage.onnx_export import export_onnx
from digitpad.network.lenet5 import LeNet5
from digitpad.errors import WeightsError
from digitpad.storage.checkpoints import load_checkpoint


@pytest.mark.parametrize("name, content, says", [
    ("notes.txt", b"101\n", "a text file"),
    ("weights.pt", "ünïcode text, with a BOM\n".encode("utf-8-sig"), "a text file"),
    ("scan.pt", b"\x89PNG\r\n\x1a\n" + bytes(40), "a PNG image"),
    ("photo.pt", b"\xff\xd8\xff\xe0" + bytes(40), "a JPEG image"),
    ("model.h5", b"\x89HDF\r\n\x1a\n" + bytes(40), "an HDF5 file"),
])
def test_foreign_files_are_named_for_what_they_are(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WeightsError) as refused:
        load_checkpoint(path)
    assert says in str(refused.value) and str(path) in str(refused.value)
    assert "101" not in str(refused.value).split(":", 1)[1]  # not the parser's "not readable: 101"


def test_an_onnx_export_is_called_an_onnx_model(tmp_path):
    path = tmp_path / "lenet5.onnx"
    export_onnx(LeNet5(), path)
    with pytest.raises(WeightsError, match="an ONNX model"):
        load_checkpoint(path)
