"""Reading, verifying and downloading the MNIST IDX files.

No Qt here, so the CLI, the GUI (from a worker thread) and the tests share one implementation.
Every failure a user can cause (missing, truncated, corrupt or substituted files, network
trouble) surfaces as `DataError` with a message naming the file and what is wrong, never as a
zlib/EOFError/struct traceback.

Longer than ~400 lines: reading and downloading share the checksums, the file names and the
size limits; the download half could move to its own module, but the tests bound it by patching
this module's constants, so it stays here until they move with it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import io
import logging
import math
import os
import socket
import struct
import threading
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from digitpad.errors import DataError, DownloadCancelled
from digitpad.paths import MNIST_FILES

log = logging.getLogger(__name__)

#: md5 of the *uncompressed* IDX content. The .gz md5 is useless for verification because a
#: re-compressed copy (like our train-images) has identical content but different gzip bytes.
KNOWN_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
#: The first 5,000 training images and labels, shipped in resources/mnist/ so the tests run on a
#: fresh clone (see resources/mnist/README.md). Accepted when loading, never when downloading.
SHIPPED_SLICE_MD5 = {
    "train-images-idx3-ubyte": "6f01f69da69dedc2c8bc8526d38da71b",
    "train-labels-idx1-ubyte": "10803020b92ddef7969be21e3eb2c75c",
}
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
#: A public mirror of the original .gz files (yann.lecun.com itself now refuses most clients).
DEFAULT_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08
_CHUNK = 64 * 1024
#: Largest IDX content read, compressed or not (MNIST's largest, the training images, is 47 MB
#: uncompressed): a file, or a .gz that expands without end, is refused past it.
MAX_IDX_BYTES = 128 * 1024 * 1024
#: Largest download accepted (MNIST's largest .gz is 9.9 MB): a mirror that streams without end
#: is cut off here.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
#: A download that takes longer than this in all (however slowly the bytes trickle) is abandoned.
DOWNLOAD_DEADLINE_SECONDS = 15 * 60

ProgressFn = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True)
class MnistSplit:
    images: np.ndarray  # uint8 (N, 28, 28), 0 = background, 255 = ink
    labels: np.ndarray  # int64 (N,), 0..9
    checksum: str  # md5 of images-md5 + labels-md5 (uncompressed content): identifies the data


def _too_large(path: Path, what: str) -> DataError:
    return DataError(f"{path.name}: {what} more than {MAX_IDX_BYTES // (1024 * 1024)} MB, far more than "
                     "any MNIST file (refused)", path)


def _read_content(path: Path) -> bytes:
    """The file's bytes, gunzipped if they start with the gzip magic (names can lie); at most
    MAX_IDX_BYTES of either, so a device, a pipe or a gzip bomb costs no more than that."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_IDX_BYTES + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found", path) from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}", path) from None
    if len(raw) > MAX_IDX_BYTES:
        raise _too_large(path, "the file has")
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            content = stream.read(MAX_IDX_BYTES + 1)
            if len(content) <= MAX_IDX_BYTES:
                stream.read(1)  # reaches the end of the stream, so its CRC and length are checked
    except (OSError, EOFError, zlib.error, struct.error, ValueError) as e:
        # BadGzipFile (an OSError) for bad CRC/headers, EOFError for a cut-off stream.
        raise DataError(f"{path.name}: corrupt gzip stream ({e})", path) from None
    if len(content) > MAX_IDX_BYTES:
        raise _too_large(path, "it expands to")
    return content


def _describe(dims: tuple[int, ...]) -> str:
    if len(dims) == 3:
        return f"{dims[0]:,} images of {dims[1]}×{dims[2]}"
    if len(dims) == 1:
        return f"{dims[0]:,} labels"
    return f"{dims[0]:,} rows of {dims[1]:,}"


def _parse_idx(content: bytes, path: Path, ndim: int | None = None) -> np.ndarray:
    name = path.name
    if len(content) < 4:
        raise DataError(f"{name}: truncated header: file has {len(content)} bytes, "
                        "an IDX header needs at least 4", path)
    zero, dtype, dims_count = struct.unpack(">HBB", content[:4])
    if zero != 0:
        magic = int.from_bytes(content[:4], "big")
        raise DataError(f"{name}: not an IDX file: bad magic number 0x{magic:08X} "
                        "(expected 0x00000803 for images or 0x00000801 for labels)", path)
    if dtype != _UBYTE:
        raise DataError(f"{name}: unsupported IDX data type 0x{dtype:02X} "
                        "(only unsigned byte, 0x08, is supported)", path)
    if not 1 <= dims_count <= 3:
        raise DataError(f"{name}: unsupported number of dimensions {dims_count} "
                        "(expected 1 to 3)", path)
    if ndim is not None and dims_count != ndim:
        raise DataError(f"{name}: wrong number of dimensions: expected {ndim} "
                        f"but header has {dims_count}", path)
    header_len = 4 + 4 * dims_count
    if len(content) < header_len:
        raise DataError(f"{name}: truncated header: {dims_count} dimensions need "
                        f"{header_len} header bytes but file has {len(content)}", path)
    dims = struct.unpack(f">{dims_count}I", content[4:header_len])
    # Python ints, so a corrupt header claiming 2^96 items cannot overflow or allocate anything.
    expected = header_len + math.prod(dims)
    have = len(content)
    if have != expected:
        extra = have - expected
        what = "truncated" if have < expected else f"{extra:,} trailing byte{'s' * (extra != 1)} after the data"
        raise DataError(f"{name}: {what}: header says {_describe(dims)} ({expected:,} bytes) "
                        f"but file has {have:,} bytes" + (" uncompressed" if path.suffix == ".gz" else ""),
                        path)
    array = np.frombuffer(content, dtype=np.uint8, offset=header_len).reshape(dims)
    # frombuffer over `bytes` is read-only; callers (torch.from_numpy, augmentation) need writable.
    return array.copy()


def read_idx(path: Path | str, *, ndim: int | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (raw or gzipped) into a uint8 array, checking everything.

    `ndim`, if given, is the required number of dimensions (3 for images, 1 for labels)."""
    path = Path(path)
    return _parse_idx(_read_content(path), path, ndim)


def _check_pair(images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path,
                image_shape: tuple[int, int] | None) -> None:
    if image_shape is not None and images.shape[1:] != image_shape:
        raise DataError(f"{images_path.name}: images are {images.shape[1]}×{images.shape[2]}, "
                        f"expected {image_shape[0]}×{image_shape[1]}", images_path)
    if len(labels) != len(images):
        raise DataError(f"{labels_path.name}: label count mismatch: {len(labels):,} labels but "
                        f"{images_path.name} has {len(images):,} images", labels_path)
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(f"{labels_path.name}: label {labels[bad[0]]} at index {bad[0]} "
                        "is outside 0..9", labels_path)


def load_labelled_arrays(images_path: Path | str, labels_path: Path | str,
                         image_shape: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, N×H×W) and labels (int64, N) from any IDX pair, e.g. user-collected samples."""
    images_path, labels_path = Path(images_path), Path(labels_path)
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    _check_pair(images, labels, images_path, labels_path, image_shape)
    return images, labels.astype(np.int64)


def find_mnist_file(data_dir: Path | str, name: str) -> Path | None:
    """`<name>.gz` or `<name>` in data_dir. The .gz wins because that is what fetch_mnist
    writes, so a stale uncompressed copy can never shadow a freshly downloaded file."""
    for candidate in (Path(data_dir) / f"{name}.gz", Path(data_dir) / name):
        if candidate.is_file():
            return candidate
    return None


def count_images(data_dir: Path | str, split: Literal["train", "test"]) -> int | None:
    """How many images the split's file in `data_dir` says it holds (its IDX header, the first
    8 bytes: cheap enough for a dialog to ask), or None when there is no readable file. Not a
    check of the data: `load_mnist` does that when the images are used."""
    path = find_mnist_file(data_dir, SPLITS[split][0])
    if path is None:
        return None
    try:
        with open(path, "rb") as raw:
            head = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if head == _GZIP_MAGIC else raw
            header = stream.read(8)
    except (OSError, EOFError, zlib.error):
        return None
    if len(header) < 8 or header[:4] != b"\x00\x00\x08\x03":
        return None
    return struct.unpack(">I", header[4:])[0]


def load_mnist(data_dir: Path | str, split: Literal["train", "test"],
               verify: bool = True) -> MnistSplit:
    """Load one MNIST split, checking structure, labels and (if `verify`) the known md5s."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    contents, paths = [], []
    for name in SPLITS[split]:
        path = find_mnist_file(data_dir, name)
        if path is None:
            raise DataError(f"{name}: not found in {data_dir} (looked for {name}.gz and {name})",
                            Path(data_dir) / name)
        paths.append(path)
        contents.append(_read_content(path))
    images = _parse_idx(contents[0], paths[0], ndim=3)
    labels = _parse_idx(contents[1], paths[1], ndim=1)
    _check_pair(images, labels, paths[0], paths[1], (28, 28))
    digests = [hashlib.md5(c).hexdigest() for c in contents]  # hash once, from memory
    if verify:
        for name, path, digest in zip(SPLITS[split], paths, digests):
            if digest not in (KNOWN_MD5[name], SHIPPED_SLICE_MD5.get(name)):
                raise DataError(f"{path.name}: checksum mismatch: md5 of the uncompressed content "
                                f"is {digest}, expected {KNOWN_MD5[name]} (corrupt or not the "
                                "original MNIST file)", path)
    checksum = hashlib.md5((digests[0] + digests[1]).encode("ascii")).hexdigest()
    log.info("loaded MNIST %s: %d images from %s", split, len(images), paths[0].parent)
    return MnistSplit(images=images, labels=labels.astype(np.int64), checksum=checksum)


def _content_md5(path: Path) -> str:
    return hashlib.md5(_read_content(path)).hexdigest()


class _Deadline:
    """Ends a download at its deadline however slowly the bytes come: a timer shuts the download's
    sockets down, which wakes a read blocked on a mirror sending a byte now and then (a socket
    timeout bounds only the wait for each byte). Every connection the opener makes (redirects
    included) is watched from the moment it connects, TLS handshake and headers included."""

    def __init__(self, seconds: float):
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []  # duplicates: ours to close, the same connections
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        deadline = self

        def connect(*args, **kwargs) -> socket.socket:
            sock = socket.create_connection(*args, **kwargs)
            deadline._watch(sock)
            return sock

        def watched(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
            class Watched(base):  # type: ignore[misc, valid-type]
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self._create_connection = connect

            return Watched

        class HTTP(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(watched(http.client.HTTPConnection), req)

        class HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(watched(http.client.HTTPSConnection), req, context=self._context)

        self.opener = urllib.request.build_opener(HTTP(), HTTPS())

    def _watch(self, sock: socket.socket) -> None:
        copy = sock.dup()  # shutting the duplicate down ends the connection; closing it does not
        with self._lock:
            self._sockets.append(copy)
            if self.expired:
                self._shut(copy)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _create_part(part: Path):
    """A fresh `.part` file, opened for writing: whatever was at that name (a stale part, or a
    symlink planted to make the download overwrite a file elsewhere) is removed, not followed,
    and the name is created exclusively (O_EXCL fails on a link put back meanwhile)."""
    if os.path.lexists(part):
        os.unlink(part)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.fdopen(os.open(part, flags, 0o644), "wb")


def _download(url: str, part: Path, label: str, timeout: float, progress: ProgressFn | None,
              cancel: Callable[[], bool] | None) -> None:
    """Stream `url` into `part`: `timeout` seconds at most for each read, DOWNLOAD_DEADLINE_SECONDS
    for the whole file (connection and headers included), MAX_DOWNLOAD_BYTES at most."""
    with _Deadline(DOWNLOAD_DEADLINE_SECONDS) as deadline:
        try:
            _stream(url, part, label, timeout, progress, cancel, deadline)
        except (OSError, http.client.HTTPException):
            if deadline.expired:
                raise _too_slow(label, url, part) from None
            raise
        if deadline.expired:
            raise _too_slow(label, url, part)


def _too_slow(label: str, url: str, part: Path) -> DataError:
    seconds = DOWNLOAD_DEADLINE_SECONDS
    took = f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"
    return DataError(f"{label}: download from {url} took over {took}; abandoned", part)


def _stream(url: str, part: Path, label: str, timeout: float, progress: ProgressFn | None,
            cancel: Callable[[], bool] | None, deadline: _Deadline) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "digitpad"})
    with deadline.opener.open(request, timeout=timeout) as response, _create_part(part) as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() and len(length) < 20 else None
        if total is not None and total > MAX_DOWNLOAD_BYTES:
            raise DataError(f"{label}: {url} announces {total:,} bytes, far more than an MNIST file "
                            f"(refused; at most {MAX_DOWNLOAD_BYTES:,})", part)
        done = 0
        if progress:
            progress(label, 0, total)
        while True:
            if cancel is not None and cancel():
                raise DownloadCancelled(f"{label}: download cancelled", part)
            chunk = response.read1(_CHUNK)  # whatever has arrived: cancel and progress keep up with a slow mirror
            if deadline.expired:
                raise _too_slow(label, url, part)
            if not chunk:
                break
            if done + len(chunk) > MAX_DOWNLOAD_BYTES:
                raise DataError(f"{label}: {url} sent more than {MAX_DOWNLOAD_BYTES:,} bytes, far more "
                                "than an MNIST file; abandoned", part)
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(label, done, total)
    if total is not None and done != total:
        raise DataError(f"{label}: download from {url} ended after {done:,} of {total:,} bytes", part)


def fetch_mnist(dest_dir: Path | str, base_url: str = DEFAULT_MIRROR,
                progress: ProgressFn | None = None, timeout: float = 30,
                cancel: Callable[[], bool] | None = None) -> list[Path]:
    """Download the four MNIST .gz files into dest_dir, skipping files already there and valid.

    Each file is streamed into `<name>.gz.part`, its decompressed md5 checked, and only then
    renamed into place, so an interrupted or failed run never leaves a bad file under the real
    name and simply rerunning completes. `progress(file_name, bytes_done, bytes_total_or_None)`
    and `cancel()` are called from the calling thread between chunks."""
    dest = Path(dest_dir)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DataError(f"{dest}: is a file, not a folder to download into", dest) from None
    except OSError as e:
        raise DataError(f"{dest}: cannot make the folder: {e.strerror or e}", dest) from None
    result = []
    for name in MNIST_FILES:
        if cancel is not None and cancel():
            raise DownloadCancelled(f"{name}.gz: download cancelled", dest / f"{name}.gz")
        existing = find_mnist_file(dest, name)
        if existing is not None:
            try:
                if _content_md5(existing) == KNOWN_MD5[name]:
                    log.info("%s already present and verified", existing)
                    result.append(existing)
                    continue
                log.warning("%s has the wrong content; downloading it again", existing)
            except DataError as e:
                log.warning("%s; downloading it again", e)
        final = dest / f"{name}.gz"
        part = dest / f"{name}.gz.part"
        url = base_url.rstrip("/") + f"/{name}.gz"
        log.info("downloading %s", url)
        try:
            try:
                _download(url, part, final.name, timeout, progress, cancel)
            except (OSError, http.client.HTTPException) as e:  # URLError, HTTPError, timeouts, disk
                reason = " ".join(str(e).split())  # urllib's redirect-loop error runs over three lines
                raise DataError(f"{final.name}: download from {url} failed: {reason}", final) from None
            try:
                digest = _content_md5(part)
            except DataError as e:
                raise DataError(f"{final.name}: downloaded file is unusable: {e}", final) from None
            if digest != KNOWN_MD5[name]:
                raise DataError(f"{final.name}: checksum mismatch after download from {url}: md5 of "
                                f"the uncompressed content is {digest}, expected {KNOWN_MD5[name]}",
                                final)
            os.replace(part, final)  # atomic: the real name only ever holds verified content
        except BaseException:
            # Also on KeyboardInterrupt/cancel: a leftover .part is harmless but untidy.
            part.unlink(missing_ok=True)
            raise
        result.append(final)
    return result
