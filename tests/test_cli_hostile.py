"""The command line against hostile arguments and input (issue 12, items 2, 6, 7, 9, 10): one
clear line and an exit code, never a traceback, in bounded time; nothing written where it must not."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from digitpad.cli import train
from digitpad.cli.main import main

GOOD = json.dumps({"strokes": [[[50, 10], [50, 90]]]})  # a one


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("argument, phrase", [
    (["--epochs", "0"], "epochs"),
    (["--epochs", "-1"], "epochs"),
    (["--lr", "nan"], "learning rate"),
    (["--lr", "-1"], "learning rate"),
    (["--lr", "inf"], "learning rate"),
    (["--threads", "-1"], "--threads"),
    (["--threads", "0"], "--threads"),
    (["--batch-size", "-1"], "batch size"),
    (["--batch-size", "0"], "batch size"),
    (["--seed", str(2**70)], "seed"),
    (["--seed", "-5"], "seed"),
    (["--rubbish-j", "nan"], "j must be"),
    (["--rubbish-j=-1e30"], "j must be"),
    (["--eta-scale", "nan"], "η scale"),
])
def test_bad_training_arguments_are_one_line_before_any_work(tmp_path, capsys, argument, phrase):
    out = tmp_path / "w.pt"
    assert main(["train", "--out", str(out), "--epochs", "1", "--limit", "64", *argument]) == 2
    captured = capsys.readouterr()
    assert phrase in _one_error_line(captured.err)
    assert "training LeNet-5" not in captured.out and not out.exists()


def _device(folder, name="null", minor=3):
    node = folder / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except (PermissionError, AttributeError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return node


def test_training_onto_a_device_is_refused_before_training(tmp_path, capsys):
    node = _device(tmp_path)
    assert train.main(["--out", str(node), "--epochs", "1", "--limit", "64"]) == 1
    captured = capsys.readouterr()
    assert "not a regular file" in _one_error_line(captured.err)
    assert "training LeNet-5" not in captured.out
    assert stat.S_ISCHR(os.stat(node).st_mode)


def test_ctrl_c_before_training_starts_is_one_line(tmp_path, capsys, monkeypatch):
    """train.py's entry point (not only `digitpad train`): Ctrl-C while the data load."""
    import digitpad.training.run  # noqa: F401  (imported first: it must keep the real pick_device)
    from digitpad.network import lenet5

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lenet5, "pick_device", interrupted)
    try:
        code = train.main(["--out", str(tmp_path / "w.pt"), "--epochs", "1", "--limit", "64"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped from train.py's main (a traceback for the user)")
    assert code == 130
    assert "interrupted: nothing written" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "w.pt").exists()


def test_hostile_stroke_lines_each_get_their_own_error(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\r"                        # 1: BOM, CR end
                     + b"[" * 100_000 + b"]" * 100_000 + b"\r\n"                    # 2: 100,000 deep
                     + b'{"strokes": [[[' + b"9" * 400 + b", 1], [3, 4]]]}\n"       # 3: 400 digits
                     + b'{"strokes": [[[' + b"9" * 5000 + b", 1]]]}\n"              # 4: 5,000 digits
                     + b'{"strokes": [[[1, 2]]], "note": "caf\xe9"}\n'              # 5: not UTF-8
                     + GOOD.encode() + b"\n")                                       # 6
    assert main(["recognize", "--json", "--strokes", str(path)]) == 1
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert [r.get("digit") for r in results] == [1, None, None, None, None, 1]
    assert "Traceback" not in captured.err
    errors = {line.split("s.jsonl:")[1].split(":")[0]: line for line in captured.err.splitlines()}
    assert sorted(errors) == ["2", "3", "4", "5"]
    for number, phrase in (("2", "nested far too deep"), ("3", "expected [x, y] numbers"), ("4", "bad JSON"),
                           ("5", "not UTF-8")):
        assert phrase in errors[number]


def test_strokes_from_an_endless_stream_stop_at_the_line_cap(tmp_path, capsys):
    """Like --strokes /dev/zero: a fifo fed zeros (it stops after 64 MB only so that a reader
    without a cap fails this test instead of hanging it)."""
    fifo = tmp_path / "zero"
    os.mkfifo(fifo)

    def feed():
        try:
            with open(fifo, "wb") as out:
                for _ in range(1024):
                    out.write(bytes(65536))
        except OSError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    assert main(["recognize", "--strokes", str(fifo)]) == 1
    feeder.join(30)
    assert "far too long for a drawing; stopped reading" in _one_error_line(capsys.readouterr().err)


def test_non_finite_penalties_are_an_error_not_digit_zero(capsys, tmp_path, monkeypatch):
    from digitpad.reading.recognition import Recognizer

    real = Recognizer.recognize_strokes

    def nan_penalties(self, strokes, *args, **kwargs):
        result = real(self, strokes, *args, **kwargs)
        result.penalties = np.full(10, np.nan, np.float32)
        return result

    monkeypatch.setattr(Recognizer, "recognize_strokes", nan_penalties)
    path = tmp_path / "s.jsonl"
    path.write_text(GOOD + "\n")
    for as_json in (False, True):
        assert main(["recognize", *(["--json"] if as_json else []), "--strokes", str(path)]) == 1
        captured = capsys.readouterr()
        assert "not finite" in captured.err and "digit 0" not in captured.out
        if as_json:  # strict JSON: a bare NaN would not parse
            (record,) = [json.loads(line, parse_constant=lambda name: pytest.fail(f"bare {name} in JSON"))
                         for line in captured.out.splitlines()]
            assert "not finite" in record["error"] and "digit" not in record


def test_a_newline_in_a_file_name_stays_on_one_result_line(tmp_path, capsys):
    image = np.full((64, 64), 255, np.uint8)
    image[8:56, 30:34] = 0
    path = tmp_path / "one\nfake: 7 (digit 7).png"
    Image.fromarray(image).save(path, format="PNG")
    assert main(["recognize", str(path)]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1 and "one\\nfake" in out


@pytest.mark.slow
def test_sample_problems_are_printed_once(tmp_path):
    """A real process: in-process, pytest's log capture would hide a second copy printed by logging."""
    path = tmp_path / "s.jsonl"
    path.write_text('{"label": 3, "strokes": [[[0, 0], [5, 9]]]}\n{broken\n')
    done = subprocess.run([sys.executable, "-m", "digitpad", "samples", "list", "--file", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stderr.count("line 2") == 1, done.stderr


@pytest.mark.slow
def test_output_to_a_full_device_is_one_line(tmp_path):
    full = _device(tmp_path, "full", minor=7)  # like /dev/full: every write fails with ENOSPC
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"label": 3, "strokes": [[[0, 0], [5, 9]]]}\n')
    with open(full, "w") as stdout:
        done = subprocess.run([sys.executable, "-m", "digitpad", "samples", "list", "--file", str(samples)],
                              stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "No space left on device" in _one_error_line(done.stderr)


def _limit_memory():
    """The child may use 3 GB of address space: a reader without a line cap meets MemoryError
    in seconds instead of filling the machine's memory."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@pytest.mark.parametrize("command", [["explain"], ["sweep", "--transform", "rotate"]])
def test_explain_and_sweep_on_dev_zero_end_in_one_line(command):
    """Every command reads --strokes through one reader with the line cap (they once ended in a
    MemoryError traceback while `recognize` stopped at the cap)."""
    done = subprocess.run([sys.executable, "-m", "digitpad", *command, "--strokes", "/dev/zero"],
                          capture_output=True, text=True, timeout=120, check=False, preexec_fn=_limit_memory)
    assert done.returncode == 1
    assert "far too long for a drawing; stopped reading" in _one_error_line(done.stderr)
