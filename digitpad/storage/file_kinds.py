"""What a file that is not a digitpad checkpoint is, from its first bytes, in words for people.

Used when loading weights: "not a readable weights file: 101" says nothing to someone who picked
a text file or an ONNX export by mistake. No torch and no Qt here.
"""

from __future__ import annotations

from pathlib import Path

HEAD_BYTES = 512
_OURS = "digitpad loads the .pt checkpoints it makes itself (Model → Retrain…, `digitpad train`)"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image, not weights (File → Open Image… recognises images)"),
    (b"\xff\xd8\xff", "a JPEG image, not weights (File → Open Image… recognises images)"),
    (b"GIF8", "a GIF image, not weights (File → Open Image… recognises images)"),
    (b"BM", "a BMP image, not weights (File → Open Image… recognises images)"),
    (b"%PDF", "a PDF document, not weights"),
    (b"\x89HDF", "an HDF5 file (e.g. a Keras model), not digitpad weights"),
    (b"\x93NUMPY", "a NumPy array file, not digitpad weights"),
)


def describe_foreign_file(head: bytes) -> str | None:
    """What the file starting with `head` is when it is certainly not a PyTorch checkpoint
    ("an ONNX model, …"), or None when it may be one (torch decides)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):
        return None  # a zip archive (torch's format) or a pickle (torch's legacy format)
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return f"{what}; {_OURS}"
    if head[:1] == b"\x08" and (b"onnx" in head.lower() or b"pytorch" in head.lower() or b"ai.onnx" in head):
        return f"an ONNX model (digitpad exports ONNX but cannot load it back); {_OURS}"
    if len(head) >= 10 and head[8:10] == b'{"':
        return f"a safetensors file, not a digitpad checkpoint; {_OURS}"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text.lstrip("\ufeff")):
        return f"a text file, not weights (weights are a binary file); {_OURS}"
    return None


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)
