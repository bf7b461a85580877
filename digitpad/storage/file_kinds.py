"""What a file that is not a digitpad checkpoint is, from its first bytes, in words for people.

Used when loading weights: "not a readable weights file: 101" says nothing to someone who picked
a text file or an ONNX export by mistake. No torch and no Qt here.
"""

from __future__ import annotations

from pathlib import Path

HEAD_BYTES = 512
_OURS = "digitpad loads the .pt checkpoints it makes itself (Model → Retrain…, `digitpad train`)"

#: (first bytes, what the file is, a hint); said as "<what>, not <expected><hint>".
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG", "a PNG image", " (File → Open Image… recognises images)"),
    (b"\xff\xd8\xff", "a JPEG image", " (File → Open Image… recognises images)"),
    (b"GIF8", "a GIF image", " (File → Open Image… recognises images)"),
    (b"BM", "a BMP image", " (File → Open Image… recognises images)"),
    (b"%PDF", "a PDF document", ""),
    (b"\x89HDF", "an HDF5 file (e.g. a Keras model)", ""),
    (b"\x93NUMPY", "a NumPy array file", ""),
)


def describe_foreign_file(head: bytes, expected: str = "weights", ours: str = _OURS) -> str | None:
    """What the file starting with `head` is when it is certainly not a PyTorch file ("an ONNX
    model, …"), or None when it may be one (torch decides). `expected` names what was wanted
    ("weights", "training snapshots") and `ours` where digitpad's own files of that kind come from."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):
        return None  # a zip archive (torch's format) or a pickle (torch's legacy format)
    for signature, what, hint in _SIGNATURES:
        if head.startswith(signature):
            return f"{what}, not {expected}{hint}; {ours}"
    if head[:1] == b"\x08" and (b"onnx" in head.lower() or b"pytorch" in head.lower() or b"ai.onnx" in head):
        return f"an ONNX model (digitpad exports ONNX but cannot load it back); {ours}"
    if len(head) >= 10 and head[8:10] == b'{"':
        return f"a safetensors file, not {expected}; {ours}"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text.lstrip("\ufeff")):
        return f"a text file, not {expected} (digitpad writes them as binary files); {ours}"
    return None


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)
