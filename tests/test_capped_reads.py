"""Reads that could run without end are capped (issue 12, item 7): a .gz expanding far beyond any
MNIST file, a mirror that streams forever or trickles, a file where the download folder should be.
The caps are patched down so the tests stay small; the behaviour is the same at full size."""

from __future__ import annotations

import gzip
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from digitpad.storage import mnist
from digitpad.cli.main import main
from digitpad.errors import DataError
from digitpad.storage.mnist import fetch_mnist, read_idx

MB = 1024 * 1024


def test_a_gz_that_expands_past_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_IDX_BYTES", 2 * MB, raising=False)
    header = struct.pack(">HBBIII", 0, 8, 3, 20_000, 28, 28)  # claims 15.7 MB of images
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + bytes(20_000 * 28 * 28), compresslevel=1))
    assert path.stat().st_size < 100_000
    with pytest.raises(DataError, match="expands to more than 2 MB") as info:
        read_idx(path)
    assert info.value.path == path


def test_an_uncompressed_file_past_the_cap_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MAX_IDX_BYTES", 1 * MB, raising=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(struct.pack(">HBBIII", 0, 8, 3, 2000, 28, 28) + bytes(2000 * 784))
    with pytest.raises(DataError, match="the file has more than 1 MB"):
        read_idx(path)


class _Endless(BaseHTTPRequestHandler):
    """Streams zeros with no Content-Length: forever, as far as a client can tell (stops after
    `limit` bytes only so that a client without a cap fails the test instead of hanging it)."""

    limit = 64 * MB
    pause = 0.0

    def do_GET(self):
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        sent, chunk = 0, bytes(64 * 1024)
        try:
            while sent < self.limit:
                self.wfile.write(chunk)
                sent += len(chunk)
                if self.pause:
                    time.sleep(self.pause)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def endless_mirror():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_mirror_that_streams_forever_is_cut_off_and_leaves_nothing(tmp_path, monkeypatch, endless_mirror):
    monkeypatch.setattr(mnist, "MAX_DOWNLOAD_BYTES", 3 * MB, raising=False)
    dest = tmp_path / "mnist"
    with pytest.raises(DataError, match="sent more than 3,145,728 bytes"):
        fetch_mnist(dest, base_url=endless_mirror, timeout=10)
    assert list(dest.iterdir()) == []  # the .part is gone


def test_a_mirror_that_trickles_is_abandoned_at_the_deadline(tmp_path, monkeypatch, endless_mirror):
    monkeypatch.setattr(_Endless, "pause", 0.05)
    monkeypatch.setattr(_Endless, "limit", 4 * MB)
    monkeypatch.setattr(mnist, "DOWNLOAD_DEADLINE_SECONDS", 0.5, raising=False)
    dest = tmp_path / "mnist"
    with pytest.raises(DataError, match="abandoned"):  # the deadline, not the 4 MB cap, ended it
        fetch_mnist(dest, base_url=endless_mirror, timeout=10)
    assert list(dest.iterdir()) == []


class _Trickle(BaseHTTPRequestHandler):
    """Sends one byte every 50 ms, never stopping by itself (`stop` ends it once the test is done):
    in the headers (`headers_too`) or in the body. Each byte comes well within any socket timeout."""

    stop = threading.Event()
    headers_too = False

    def do_GET(self):
        head = b"HTTP/1.0 200 OK\r\nContent-Length: 10000000\r\n\r\n"
        try:
            if not self.headers_too:
                self.wfile.write(head)
                head = b""
            while not self.stop.wait(0.05):
                self.wfile.write(head[:1] or b"\0")
                self.wfile.flush()
                head = head[1:]
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("headers_too", [False, True])
def test_a_mirror_sending_a_byte_at_a_time_is_abandoned_at_the_deadline(tmp_path, monkeypatch, headers_too):
    """Issue 25, item 15: the deadline held only between 64 KB reads; a read (or the headers)
    trickling in byte by byte held it indefinitely."""
    monkeypatch.setattr(_Trickle, "headers_too", headers_too)
    monkeypatch.setattr(_Trickle, "stop", threading.Event())
    monkeypatch.setattr(mnist, "DOWNLOAD_DEADLINE_SECONDS", 1.0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    outcome: list[BaseException] = []

    def fetch():
        try:
            fetch_mnist(tmp_path / "mnist", base_url=f"http://127.0.0.1:{server.server_address[1]}/", timeout=10)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    fetcher = threading.Thread(target=fetch, daemon=True)
    fetcher.start()
    fetcher.join(30)  # a bound on a hang, thirty times the deadline: not a timing measurement
    still_running = fetcher.is_alive()
    _Trickle.stop.set()
    fetcher.join(30)
    server.shutdown()
    server.server_close()
    assert not still_running, "the download outlived its deadline"
    (error,) = outcome
    assert isinstance(error, DataError) and "took over 1 seconds; abandoned" in str(error)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_fetch_data_into_a_file_is_one_clear_error(tmp_path, capsys):
    target = tmp_path / "not-a-folder"
    target.write_text("mine")
    assert main(["fetch-data", "--dest", str(target), "--mirror", "http://127.0.0.1:9/"]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "mine"
