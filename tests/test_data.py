"""Tests for digitpad.storage.mnist: IDX reading, MNIST loading/verification and the resumable download."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import socket
import struct
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitpad.storage import mnist
from digitpad.storage.mnist import KNOWN_MD5, fetch_mnist, load_labelled_arrays, load_mnist, read_idx
from digitpad.paths import MNIST_FILES
from digitpad.errors import DataError, DownloadCancelled


def idx_bytes(shape: tuple[int, ...], payload: bytes, type_code: int = 0x08) -> bytes:
    """An IDX file built by hand: two zero bytes, type code, ndim, big-endian sizes, data."""
    return struct.pack(">HBB", 0, type_code, len(shape)) + struct.pack(f">{len(shape)}I", *shape) + payload


def images_bytes(n: int = 3, rows: int = 28, cols: int = 28, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    return idx_bytes((n, rows, cols), rng.integers(0, 256, n * rows * cols, dtype=np.uint8).tobytes())


def labels_bytes(labels: list[int]) -> bytes:
    return idx_bytes((len(labels),), bytes(labels))


def write(path: Path, content: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


def expect_error(path: Path, phrase: str, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        read_idx(path, **kwargs)
    message = str(info.value)
    assert path.name in message and phrase in message, message
    assert info.value.path == path
    return info.value


# --- the real MNIST files -------------------------------------------------------------------


def test_real_test_split(mnist_dir):
    split = load_mnist(mnist_dir, "test")
    assert split.images.shape == (10_000, 28, 28) and split.images.dtype == np.uint8
    assert split.labels.shape == (10_000,) and split.labels.dtype == np.int64
    assert set(np.unique(split.labels).tolist()) == set(range(10))
    assert split.images.max() == 255 and split.images.min() == 0
    expected = hashlib.md5((KNOWN_MD5["t10k-images-idx3-ubyte"]
                            + KNOWN_MD5["t10k-labels-idx1-ubyte"]).encode()).hexdigest()
    assert split.checksum == expected
    assert split.images.flags.writeable  # torch.from_numpy warns on read-only arrays


def test_real_train_split(mnist_dir):
    # All 60,000 images, or the first 5,000 shipped in resources/mnist (a fresh clone).
    split = load_mnist(mnist_dir, "train")
    count = 60_000 if len(split.labels) == 60_000 else 5_000
    assert split.images.shape == (count, 28, 28)
    assert split.labels.shape == (count,)
    assert set(np.unique(split.labels).tolist()) == set(range(10))
    assert split.checksum != load_mnist(mnist_dir, "test").checksum


def test_uncompressed_copy_loads_identically(mnist_dir, tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
    raw, packed = load_mnist(tmp_path, "test"), load_mnist(mnist_dir, "test")
    assert np.array_equal(raw.images, packed.images) and np.array_equal(raw.labels, packed.labels)
    assert raw.checksum == packed.checksum


def test_checksum_mismatch_on_one_changed_label(mnist_dir, tmp_path):
    shutil.copy(mnist_dir / "t10k-images-idx3-ubyte.gz", tmp_path)
    content = bytearray(gzip.decompress((mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    content[8] = (content[8] + 1) % 10  # still a valid label: only the checksum can catch it
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", bytes(content), gz=True)
    with pytest.raises(DataError) as info:
        load_mnist(tmp_path, "test", verify=True)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and "checksum mismatch" in message and "md5" in message
    assert KNOWN_MD5["t10k-labels-idx1-ubyte"] in message
    assert hashlib.md5(bytes(content)).hexdigest() in message
    # verify=False accepts it, and the split checksum tells it apart from the genuine data
    assert load_mnist(tmp_path, "test", verify=False).checksum != load_mnist(mnist_dir, "test").checksum


def test_load_mnist_missing_file_and_bad_split(tmp_path):
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: not found in"):
        load_mnist(tmp_path, "test")
    with pytest.raises(ValueError):
        load_mnist(tmp_path, "validation")  # type: ignore[arg-type]


# --- synthetic IDX files --------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_good_file_reads_back(tmp_path, gz):
    content = images_bytes(4, 5, 6)
    array = read_idx(write(tmp_path / "x-idx3-ubyte", content, gz=gz))
    assert array.dtype == np.uint8 and array.shape == (4, 5, 6)
    assert array.tobytes() == content[16:]
    labels = read_idx(write(tmp_path / "y-idx1-ubyte", labels_bytes([3, 1, 4]), gz=gz), ndim=1)
    assert labels.tolist() == [3, 1, 4]
    two_d = read_idx(write(tmp_path / "z", idx_bytes((2, 3), bytes(range(6))), gz=gz))
    assert two_d.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_gzip_detected_by_content_not_name(tmp_path):
    content = images_bytes(2, 3, 3)
    gz_named_plain = write(tmp_path / "images-idx3-ubyte", content, gz=True)
    plain_named_gz = write(tmp_path / "images-idx3-ubyte.gz", content)
    assert np.array_equal(read_idx(gz_named_plain), read_idx(plain_named_gz))


def test_truncated_header(tmp_path):
    expect_error(write(tmp_path / "a.idx", b"\x00\x00\x08"), "truncated header")
    expect_error(write(tmp_path / "b.idx", b""), "truncated header")
    expect_error(write(tmp_path / "c.idx", images_bytes(1, 2, 2)[:10]), "truncated header")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data(tmp_path, gz):
    path = write(tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else "")), images_bytes(3)[:-5], gz=gz)
    error = expect_error(path, "truncated: header says 3 images of 28×28 (2,368 bytes) but file has 2,363 bytes")
    assert ("uncompressed" in str(error)) == gz


def test_trailing_bytes(tmp_path):
    path = write(tmp_path / "labels-idx1-ubyte", labels_bytes([1, 2]) + b"\x00\x07")
    expect_error(path, "2 trailing bytes after the data: header says 2 labels")


def test_wrong_magic(tmp_path):
    expect_error(write(tmp_path / "m.idx", b"\x12\x34\x56\x78" + bytes(20)), "bad magic number 0x12345678")
    expect_error(write(tmp_path / "t.idx", idx_bytes((2,), bytes(8), type_code=0x0D)),
                 "unsupported IDX data type 0x0D")


def test_wrong_number_of_dimensions(tmp_path):
    four = write(tmp_path / "four.idx", idx_bytes((1, 1, 1, 1), b"\x00"))
    expect_error(four, "unsupported number of dimensions 4")
    zero = write(tmp_path / "zero.idx", struct.pack(">HBB", 0, 8, 0))
    expect_error(zero, "unsupported number of dimensions 0")
    labels = write(tmp_path / "labels-idx1-ubyte", labels_bytes([1, 2, 3]))
    expect_error(labels, "wrong number of dimensions: expected 3 but header has 1", ndim=3)


def test_labels_file_in_place_of_images(tmp_path):
    write(tmp_path / "t10k-images-idx3-ubyte", labels_bytes([1, 2, 3]))
    write(tmp_path / "t10k-labels-idx1-ubyte", labels_bytes([1, 2, 3]))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: wrong number of dimensions"):
        load_mnist(tmp_path, "test", verify=False)


def test_label_count_mismatch(tmp_path):
    write(tmp_path / "t10k-images-idx3-ubyte.gz", images_bytes(3), gz=True)
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", labels_bytes([1, 2]), gz=True)
    with pytest.raises(DataError) as info:
        load_mnist(tmp_path, "test", verify=False)
    assert str(info.value).startswith("t10k-labels-idx1-ubyte.gz: label count mismatch: 2 labels")
    assert "t10k-images-idx3-ubyte.gz has 3 images" in str(info.value)


def test_label_out_of_range(tmp_path):
    images = write(tmp_path / "imgs-idx3-ubyte", images_bytes(3))
    labels = write(tmp_path / "lbls-idx1-ubyte", labels_bytes([9, 10, 0]))
    with pytest.raises(DataError, match=r"^lbls-idx1-ubyte: label 10 at index 1 is outside 0\.\.9"):
        load_labelled_arrays(images, labels)
    write(tmp_path / "t10k-images-idx3-ubyte", images_bytes(3))
    write(tmp_path / "t10k-labels-idx1-ubyte", labels_bytes([0, 255, 1]))
    with pytest.raises(DataError, match=r"^t10k-labels-idx1-ubyte: label 255 at index 1"):
        load_mnist(tmp_path, "test", verify=False)


def test_wrong_image_size_for_mnist(tmp_path):
    write(tmp_path / "train-images-idx3-ubyte", images_bytes(2, 20, 20))
    write(tmp_path / "train-labels-idx1-ubyte", labels_bytes([0, 1]))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: images are 20×20, expected 28×28"):
        load_mnist(tmp_path, "train", verify=False)


def test_load_labelled_arrays_good_pair(tmp_path):
    images, labels = load_labelled_arrays(write(tmp_path / "i", images_bytes(3, 8, 8)),
                                          write(tmp_path / "l", labels_bytes([0, 5, 9]), gz=True))
    assert images.shape == (3, 8, 8) and labels.dtype == np.int64 and labels.tolist() == [0, 5, 9]


def test_corrupt_gzip(tmp_path):
    packed = gzip.compress(images_bytes(3))
    cut = tmp_path / "cut-idx3-ubyte.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    expect_error(cut, "corrupt gzip stream")
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0xFF
    bad = tmp_path / "flipped-idx3-ubyte.gz"
    bad.write_bytes(bytes(flipped))
    expect_error(bad, "corrupt gzip stream")
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"\x1f\x8b" + bytes(range(40)))
    expect_error(garbage, "corrupt gzip stream")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "t10k-images-idx3-ubyte.gz"
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "not found" in str(info.value)


_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=16)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gz=st.booleans(), ops=st.lists(_mutation, min_size=1, max_size=4))
def test_mutated_files_never_crash(tmp_path, gz, ops):
    blob = bytearray(images_bytes(3, 2, 2))
    if gz:
        blob = bytearray(gzip.compress(bytes(blob)))
    for op in ops:
        if op[0] == "flip" and blob:
            blob[op[1] % len(blob)] ^= op[2]
        elif op[0] == "truncate":
            del blob[op[1] % (len(blob) + 1):]
        elif op[0] == "append":
            blob += op[1]
    path = tmp_path / "fuzz-idx3-ubyte"
    path.write_bytes(bytes(blob))
    try:
        array = read_idx(path)
    except DataError as e:
        assert "fuzz-idx3-ubyte" in str(e)
    else:
        assert isinstance(array, np.ndarray) and array.dtype == np.uint8


# --- fetch_mnist against a local server -----------------------------------------------------


@pytest.fixture
def server(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # 127.0.0.1 must never go through a proxy
    root = tmp_path / "www" / "mnist"
    root.mkdir(parents=True)
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root.parent), **kwargs)

        def do_GET(self):
            requests.append(self.path.rsplit("/", 1)[-1])
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{httpd.server_address[1]}/mnist/", root=root, requests=requests)
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def synthetic(server, monkeypatch):
    """Small stand-ins for the four files, with the known-checksum table pointed at them.
    train-images is ~1 MB of incompressible bytes so a download spans many chunks."""
    contents = {}
    for i, name in enumerate(MNIST_FILES):
        content = images_bytes(1300 if name.startswith("train-images") else 2, seed=i) \
            if "images" in name else labels_bytes([i, 9 - i])
        contents[name] = content
        write(server.root / f"{name}.gz", content, gz=True)
    monkeypatch.setattr(mnist, "KNOWN_MD5", {n: hashlib.md5(c).hexdigest() for n, c in contents.items()})
    return contents


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.glob("*.part"))


def test_fetch_real_files_then_nothing(server, mnist_served, tmp_path):
    mnist_dir = mnist_served
    for name in MNIST_FILES:
        (server.root / f"{name}.gz").symlink_to(mnist_dir / f"{name}.gz")
    seen: dict[str, tuple[int, int | None]] = {}
    dest = tmp_path / "dest"
    paths = fetch_mnist(dest, base_url=server.url.rstrip("/"), progress=lambda n, d, t: seen.__setitem__(n, (d, t)))
    assert paths == [dest / f"{name}.gz" for name in MNIST_FILES]
    assert sorted(server.requests) == sorted(f"{n}.gz" for n in MNIST_FILES)
    for name in MNIST_FILES:
        size = (mnist_dir / f"{name}.gz").stat().st_size
        assert seen[f"{name}.gz"] == (size, size)
        assert (dest / f"{name}.gz").read_bytes() == (mnist_dir / f"{name}.gz").read_bytes()
    assert leftovers(dest) == []
    assert load_mnist(dest, "test").images.shape == (10_000, 28, 28)
    assert fetch_mnist(dest, base_url=server.url) == paths
    assert len(server.requests) == 4  # second run verified the files and downloaded nothing


def test_fetch_keeps_valid_uncompressed_file(server, synthetic, tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "t10k-labels-idx1-ubyte").write_bytes(synthetic["t10k-labels-idx1-ubyte"])
    paths = fetch_mnist(dest, base_url=server.url)
    assert dest / "t10k-labels-idx1-ubyte" in paths
    assert "t10k-labels-idx1-ubyte.gz" not in server.requests and len(server.requests) == 3


def test_fetch_wrong_content_leaves_nothing(server, synthetic, tmp_path):
    write(server.root / "train-labels-idx1-ubyte.gz", labels_bytes([7, 7]), gz=True)
    dest = tmp_path / "dest"
    with pytest.raises(DataError) as info:
        fetch_mnist(dest, base_url=server.url)
    assert "train-labels-idx1-ubyte.gz: checksum mismatch" in str(info.value)
    assert not (dest / "train-labels-idx1-ubyte.gz").exists()
    assert (dest / "train-images-idx3-ubyte.gz").exists()  # earlier file completed and stays
    assert leftovers(dest) == []


def test_fetch_not_gzip_content(server, synthetic, tmp_path):
    (server.root / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b<html>not found</html>")
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: downloaded file is unusable"):
        fetch_mnist(dest, base_url=server.url)
    assert not (dest / "t10k-images-idx3-ubyte.gz").exists() and leftovers(dest) == []


def test_fetch_http_error(server, synthetic, tmp_path):
    (server.root / "t10k-labels-idx1-ubyte.gz").unlink()
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: download from .* failed: HTTP Error 404"):
        fetch_mnist(dest, base_url=server.url)
    assert not (dest / "t10k-labels-idx1-ubyte.gz").exists() and leftovers(dest) == []


def test_fetch_connection_refused(synthetic, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again on exit: nothing listens there
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: download from .* failed"):
        fetch_mnist(dest, base_url=f"http://127.0.0.1:{port}/", timeout=5)
    assert list(dest.iterdir()) == []


def test_fetch_overwrites_stale_part_and_bad_final(server, synthetic, tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "train-labels-idx1-ubyte.gz.part").write_bytes(b"stale" * 100_000)
    (dest / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels_bytes([5, 5])))  # wrong content
    fetch_mnist(dest, base_url=server.url)
    assert len(server.requests) == 4
    for name, content in synthetic.items():
        assert gzip.decompress((dest / f"{name}.gz").read_bytes()) == content
    assert leftovers(dest) == []


def test_fetch_cancel_then_resume(server, synthetic, tmp_path):
    dest = tmp_path / "dest"
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 5  # a few chunks into the ~1 MB train-images download

    progress: list[tuple[str, int, int | None]] = []
    with pytest.raises(DownloadCancelled) as info:
        fetch_mnist(dest, base_url=server.url, cancel=cancel, progress=lambda *a: progress.append(a))
    assert isinstance(info.value, DataError) and "train-images-idx3-ubyte.gz" in str(info.value)
    done, total = progress[-1][1], progress[-1][2]
    assert 0 < done < total  # really interrupted mid-file
    assert list(dest.iterdir()) == []  # no final file, no .part
    paths = fetch_mnist(dest, base_url=server.url)
    assert [gzip.decompress(p.read_bytes()) for p in paths] == list(synthetic.values())
    with pytest.raises(DownloadCancelled):  # an immediate cancel stops before any work
        fetch_mnist(tmp_path / "other", base_url=server.url, cancel=lambda: True)


def test_fetch_never_writes_through_a_planted_part_symlink(server, synthetic, tmp_path):
    """Issue 25, item 2: a `.part` symlink pointing outside --dest must not make the download
    overwrite its target; the link is replaced by a fresh file of our own."""
    dest = tmp_path / "dest"
    dest.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("mine")
    for name in MNIST_FILES:
        (dest / f"{name}.gz.part").symlink_to(outside)
    fetch_mnist(dest, base_url=server.url)
    assert outside.read_text() == "mine"
    for name, content in synthetic.items():
        final = dest / f"{name}.gz"
        assert not final.is_symlink() and gzip.decompress(final.read_bytes()) == content
    assert leftovers(dest) == []
