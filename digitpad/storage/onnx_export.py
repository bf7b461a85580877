"""Export the current LeNet-5 as an ONNX model that other programs can run without digitpad.

The contract of the exported file
---------------------------------
- **Input** ``"input"``: float32, shape ``N×1×32×32`` with a dynamic batch size ``N``. One
  channel, rows top to bottom, columns left to right. Values are the paper's normalised grey
  levels: background (paper) = **−0.1**, full ink = **1.175**, linear in between. An MNIST image
  (28×28 bytes, 0 = paper, 255 = ink) becomes an input by ``-0.1 + byte × 1.275 / 255`` and
  2 pixels of −0.1 padding on each side; a drawing should first be normalised the MNIST way
  (ink bounding box scaled to 20 px, centre of mass at the centre), as `digitpad.ink`
  does.
- **Output** ``"penalties"``: float32, shape ``N×10``. Entry ``[n, d]`` is the RBF output of
  class ``d``: the squared Euclidean distance between the 84 F6 activations and the fixed ±1
  prototype (bitmap) of digit ``d``. **Smaller is better**: the recognised digit is
  ``argmin`` over the 10 penalties; they are not probabilities. The rubbish-class posterior of
  the paper's eq. 9 is ``exp(-j) / (exp(-j) + Σ_d exp(-penalty_d))`` with the checkpoint's
  ``j`` (digitpad's default is 20; see `digitpad.network.lenet5.rubbish_posterior`); digitpad shows
  "not a digit" when it is above 0.5.
- Opset 17, exported with PyTorch's TorchScript-based exporter (it needs no onnxscript), and
  checked against PyTorch on real MNIST test images to 1e-4.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import warnings
from pathlib import Path

import torch

from digitpad.errors import ExportError
from digitpad.network.lenet5 import LeNet5
from digitpad.safe_files import atomic_write_bytes

log = logging.getLogger(__name__)

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "penalties"


#: What a person types to get the piece torch's exporter needs (an install without digitpad's
#: dependencies, e.g. a checkout run with PYTHONPATH).
ONNX_INSTALL_HINT = "pip install onnx"


def missing_exporter() -> str:
    """Why exporting cannot work here, in one line with what to install ("" when it can)."""
    if importlib.util.find_spec("onnx") is None:
        return f"exporting to ONNX needs the onnx package, which is not installed: {ONNX_INSTALL_HINT}"
    return ""


def onnx_bytes(model: LeNet5) -> bytes:
    """The model as a serialised ONNX graph (see the module docstring for the contract)."""
    model = model.to("cpu").eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The dynamo exporter needs onnxscript, which we do not depend on; the legacy one is exact
        # for this graph. Its DeprecationWarning is for PyTorch's users at large, not ours.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.full((1, 1, 32, 32), -0.1),), buffer, dynamo=False,
                          opset_version=OPSET, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})
    return buffer.getvalue()


def export_onnx(model: LeNet5, path: Path | str) -> Path:
    """Write the model to `path` as ONNX, atomically; raises ExportError (one clear line)."""
    path = Path(path)
    if missing := missing_exporter():
        raise ExportError(f"{path}: {missing}")
    try:
        data = onnx_bytes(model)
    except Exception as exc:  # the exporter raises many kinds; a user only needs the reason
        raise ExportError(f"{path}: the model could not be exported to ONNX: {exc}") from exc
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise ExportError(f"{path}: could not write: {exc.strerror or exc}") from exc
    log.info("exported ONNX model to %s (%d bytes)", path, len(data))
    return path
