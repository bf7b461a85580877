"""The newer commands against hostile input (issue 25, items 7, 8, 9, 12 and 13): one line and an
exit code, never a traceback, in bounded memory and time. Cases that cost minutes or gigabytes
when unbounded run in a limited subprocess (tests/limited.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
import threading

import numpy as np
import pytest
from limited import one_error_line, run_digitpad

from digitpad.cli.main import main

ONE = json.dumps({"strokes": [[[50, 10], [50, 90]]]})


@pytest.fixture
def zeros(tmp_path):
    """A device node like /dev/zero, made in the test's own folder."""
    node = tmp_path / "zero"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return node


@pytest.mark.slow
def test_explain_of_an_endless_device_stops_at_the_line_cap(zeros):
    """Item 7: `explain --strokes /dev/zero` read everything (readlines) up to a MemoryError at 3.9 GB."""
    done = run_digitpad("explain", "--strokes", zeros, timeout=60)
    assert done.returncode == 1
    assert "far too long for a drawing; stopped reading" in one_error_line(done.stderr)


def test_sweep_of_a_stream_of_zeros_stops_at_the_line_cap(tmp_path, capsys):
    """Item 7, `sweep --strokes /dev/zero`, in-process: a pipe fed 64 MB of zeros and then closed,
    so that a reader without the cap costs the test process that much, not all it can get."""
    fifo = tmp_path / "zeros"
    os.mkfifo(fifo)

    def feed():
        with contextlib.suppress(OSError), open(fifo, "wb") as out:
            for _ in range(1024):
                out.write(bytes(65536))

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    assert main(["sweep", "--strokes", str(fifo), "--transform", "rotate"]) == 1
    feeder.join(30)
    assert "far too long for a drawing; stopped reading" in one_error_line(capsys.readouterr().err)


def test_explain_reads_an_endless_stream_line_by_line_and_stops_at_its_cap(monkeypatch, capsys):
    """Item 7: `yes '{}' | digitpad explain --strokes -` was gathered whole before any work."""
    from digitpad.cli import explain

    stream = io.BytesIO(b"{}\n" * (explain.MAX_EXPLAIN_INPUTS + 100_000))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
    assert main(["explain", "--strokes", "-"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == explain.MAX_EXPLAIN_INPUTS + 1 and "Traceback" not in lines
    assert lines[-1] == "error: explain: stopped after 10,000 inputs (at most 10,000 a run)"
    assert stream.tell() < len(stream.getvalue())  # it stopped reading, too


@pytest.mark.parametrize("arguments, phrase", [
    (["--transform", "width", "--to", "1000"], "width: 1000 is out of range (must be at most 8 input pixels)"),
    (["--transform", "width", "--to", "10000"], "at most 8"),
    (["--transform", "scale", "--stage", "drawing", "--to", "1e6"], "at most 1000 %"),
    (["--transform", "shear", "--stage", "drawing", "--to", "1e6"], "at most 10 x per y"),
    (["--transform", "shift-x", "--from=-1e9"], "at least -32"),
    (["--transform", "rotate", "--steps", "100000"], "steps must be 2 … 1000"),
])
def test_sweep_values_beyond_their_bounds_are_refused_at_once(tmp_path, arguments, phrase):
    """Item 8: `--to 1000` took minutes, 10,000 or a scale of 10⁶ ended in MemoryError."""
    strokes = tmp_path / "one.jsonl"
    strokes.write_text(ONE + "\n")
    done = run_digitpad("sweep", "--strokes", strokes, *arguments, timeout=60)
    assert done.returncode == 2
    assert phrase in one_error_line(done.stderr)


def test_sweep_help_gives_every_range():
    done = run_digitpad("sweep", "--help", timeout=60)
    assert "width: input pixels, -2 to 4 (-8 … 8)" in " ".join(done.stdout.split())
    assert "--steps: 2 … 1000" in " ".join(done.stdout.split())


def test_a_sweep_of_a_single_dot_is_a_sweep_not_a_traceback(tmp_path, capsys):
    """Item 8: `squeeze --from 98 --to 99` ended in an EmptyDrawing traceback."""
    strokes = tmp_path / "one.jsonl"
    strokes.write_text(json.dumps({"strokes": [[[50, 50]]]}) + "\n")  # a dot: its points became NaN
    assert main(["sweep", "--strokes", str(strokes), "--transform", "squeeze", "--from", "98", "--to", "99",
                 "--steps", "3", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


@pytest.mark.slow
def test_explain_of_a_thousand_strokes_skips_the_per_stroke_effects_and_says_so(tmp_path):
    """Item 9: each stroke left out re-rendered the whole drawing: 1,000 strokes took 64 s."""
    strokes = [[[x, 10 + (x * 7) % 80], [x + 3, 20 + (x * 7) % 70]] for x in range(1000)]
    path = tmp_path / "many.jsonl"
    path.write_text(json.dumps({"strokes": strokes}) + "\n")
    done = run_digitpad("explain", "--strokes", path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "per-stroke effects not computed: 1,000 strokes (at most 100, each left out in turn)" in done.stdout


@pytest.mark.parametrize("arguments", [["samples", "list"]])  # recognize >&- went the same way (main's flush)
def test_a_closed_standard_output_is_one_line(tmp_path, arguments):
    """Item 12: `digitpad … >&-` ended in AttributeError ('NoneType' object has no attribute 'flush')."""
    strokes = tmp_path / "one.jsonl"
    strokes.write_text(ONE + "\n")
    arguments = [str(strokes) if a == "STROKES" else a for a in arguments]
    done = run_digitpad(*arguments, stdout=None, preexec_fn=lambda: os.close(1), timeout=60)
    assert done.returncode == 1
    assert "standard output is closed" in one_error_line(done.stderr)


@pytest.mark.parametrize("arguments", [
    ["recognize", "--strokes", "STROKES"],
    ["recognize", "--string", "--strokes", "STROKES"],
    ["evaluate"],
    ["explain", "--strokes", "STROKES"],
    ["sweep", "--strokes", "STROKES", "--transform", "rotate"],
    ["train", "--epochs", "1", "--limit", "64", "--out", "OUT"],
])
@pytest.mark.parametrize("device", ["meta", "cuda:99", "nonsense"])
def test_a_device_that_cannot_run_here_is_a_usage_error(tmp_path, capsys, arguments, device):
    """Item 13: `--device meta` (torch names it, nothing runs on it) reached the model: a traceback."""
    strokes = tmp_path / "one.jsonl"
    strokes.write_text(ONE + "\n")
    replace = {"STROKES": str(strokes), "OUT": str(tmp_path / "w.pt")}
    assert main([replace.get(a, a) for a in arguments] + ["--device", device]) == 2
    err = one_error_line(capsys.readouterr().err)
    assert "use cpu, cuda or cuda:N" in err or "CUDA" in err
    assert not (tmp_path / "w.pt").exists()


@pytest.mark.slow
def test_reading_a_number_from_one_huge_zigzag_stroke_is_refused_at_once(tmp_path):
    """Item 11: a 2 MB zigzag stroke took 60 s and 3.3 GB under `recognize --string`."""
    zigzag = [[i // 10, 90 * (i % 2)] for i in range(150_000)]
    path = tmp_path / "zigzag.jsonl"
    path.write_text(json.dumps({"strokes": [zigzag]}, separators=(",", ":")) + "\n")
    assert path.stat().st_size < 2_000_000
    done = run_digitpad("recognize", "--string", "--strokes", path, timeout=120)
    assert done.returncode == 1
    assert "150,000 points: too many to read as one number (at most 50,000)" in one_error_line(done.stderr)


def test_reading_a_number_from_an_image_of_32768_dots_is_refused_at_once(tmp_path):
    """Item 11: 43 s before "too many marks" (every mark's pixels were looked for in the whole
    image). In a thread, so that the old behaviour fails the test at a bound 100 times the work."""
    import threading

    from PIL import Image

    from digitpad.ink.images import ImageError, image_ink
    from digitpad.reading.image_segmentation import segment_image

    dots = np.full((126, 1024), 255, np.uint8)  # under 2 × 64 rows and 1024 columns: not box-reduced
    dots[::2, ::2] = 0  # 32,256 separate one-pixel dots
    path = tmp_path / "dots.png"
    Image.fromarray(dots).save(path)
    errors: list[Exception] = []

    def segment():
        try:
            segment_image(image_ink(path))
        except ImageError as exc:
            errors.append(exc)

    worker = threading.Thread(target=segment, daemon=True)
    worker.start()
    worker.join(15)
    assert not worker.is_alive(), "still segmenting 15 s later"
    (error,) = errors
    assert "32,256 separate marks: too many to read as one number" in str(error)


def test_reading_faint_noise_as_a_number_is_a_blank_image_not_an_internal_message(tmp_path, capsys):
    """Item 11: noise gave "max() arg is an empty sequence"."""
    from PIL import Image

    rng = np.random.default_rng(0)
    noise = np.where(rng.random((800, 800)) < 0.002, 200, 255).astype(np.uint8)  # sparse faint specks
    path = tmp_path / "noise.png"
    Image.fromarray(noise).save(path)
    assert main(["recognize", "--string", str(path)]) == 1
    err = one_error_line(capsys.readouterr().err)
    assert "max() arg" not in err and "blank image" in err


@pytest.mark.parametrize("as_json", [False, True])
def test_coordinates_near_the_float_limit_are_refused_on_their_line(tmp_path, capsys, as_json):
    """Item 11: ±1.7e308 gave "cost nan", or with --json an internal "Out of range float values"."""
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"strokes": [[[-1.7e308, 0], [1.7e308, 90]], [[0, 0], [5, 90]]]}) + "\n")
    assert main(["recognize", "--string", "--strokes", str(path), *(["--json"] if as_json else [])]) == 1
    captured = capsys.readouterr()
    assert "coordinates beyond ±1,000,000 pixels: too far out to read as a number" in one_error_line(captured.err)
    assert "nan" not in captured.out.lower()


def test_one_bad_utf8_line_is_that_lines_error_only(tmp_path, capsys):
    """Item 7: one bad UTF-8 line refused the whole --strokes file of `explain`."""
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(ONE.encode() + b"\n" + b'{"strokes": [[[1, 2]]], "note": "caf\xe9"}\n' + ONE.encode() + b"\n")
    assert main(["explain", "--strokes", str(path)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "mixed.jsonl:2" in one_error_line(captured.err) and "not UTF-8" in captured.err
