"""The `digitpad` command end to end: recognize, evaluate, train, fetch-data, and its error paths."""

import functools
import http.server
import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from digitpad.cli.main import main
from digitpad.storage.stroke_records import parse_drawing
from digitpad.storage.mnist import load_mnist
from digitpad.storage.checkpoints import load_checkpoint
from digitpad.storage.snapshots import load_snapshots


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return load_mnist(mnist_dir, "test")


@pytest.fixture
def digit_pngs(tmp_path, mnist_test):
    paths = []
    for i in range(5):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(255 - mnist_test.images[i]).save(path)  # dark ink on white, like a scan
        paths.append(path)
    return paths, [int(v) for v in mnist_test.labels[:5]]


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def test_recognize_images_prints_digit_penalty_and_runner_up(capsys, digit_pngs):
    paths, labels = digit_pngs
    code, out, err = run(capsys, "recognize", *paths)
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert len(lines) == 5
    for path, label, line in zip(paths, labels, lines):
        assert line.startswith(f"{path}: {label} (digit {label}, penalty ")
        assert "runner-up" in line


def test_recognize_json_gives_one_object_per_input_in_order(capsys, digit_pngs):
    paths, labels = digit_pngs
    code, out, _ = run(capsys, "recognize", "--json", *paths)
    records = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 0
    assert [r["digit"] for r in records] == labels
    for r in records:
        assert set(r) == {"digit", "penalties", "rubbish", "rejected", "unsure", "runner_up", "reason"}
        assert len(r["penalties"]) == 10 and r["digit"] == int(np.argmin(r["penalties"]))
        assert r["rejected"] is False and 0 <= r["rubbish"] < 0.5 and r["reason"] is None
        assert r["runner_up"] == int(np.argsort(r["penalties"], kind="stable")[1])
        assert isinstance(r["unsure"], bool)


def _one_and_seven():
    one = {"strokes": [[[200, 50], [196, 150], [192, 250], [190, 330]]]}
    seven = {"strokes": [[[100, 60], [200, 60], [300, 62]], [[300, 62], [260, 150], [220, 250], [190, 340]]]}
    return one, seven


def test_recognize_strokes_reads_json_lines_in_order(capsys, tmp_path):
    one, seven = _one_and_seven()
    path = tmp_path / "drawings.jsonl"
    path.write_text(json.dumps(one) + "\n" + json.dumps(seven) + "\n")
    code, out, err = run(capsys, "recognize", "--json", "--strokes", path)
    assert code == 0, err
    assert [json.loads(line)["digit"] for line in out.strip().splitlines()] == [1, 7]


def test_a_bad_strokes_line_is_reported_and_the_others_still_run(capsys, tmp_path):
    one, seven = _one_and_seven()
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([json.dumps(one), "{not json", json.dumps({"strokes": [[["a", 1]]]}),
                               json.dumps({"strokes": []}), json.dumps(seven)]) + "\n")
    code, out, err = run(capsys, "recognize", "--json", "--strokes", path)
    records = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 1
    assert [r.get("digit", "error") for r in records] == [1, "error", "error", "error", 7]
    assert f"{path}:2: bad JSON" in err
    assert f"{path}:3: stroke 0, point 0" in err
    assert f"{path}:4: empty drawing" in err
    assert "Traceback" not in err


def test_a_click_is_too_small_in_json_and_in_words(capsys, tmp_path):
    one, _ = _one_and_seven()
    click = {"strokes": [[[120, 80], [121, 80]]], "canvas": [440, 440]}
    small_one = {"strokes": [[[20, 5], [19, 25]]], "canvas": [400, 300]}  # 20 px: 6.7 % of 300
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (one, click, small_one)) + "\n")
    code, out, err = run(capsys, "recognize", "--json", "--strokes", path)
    records = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 0, err
    assert [r["reason"] for r in records] == [None, "too small", None]
    assert [r["rejected"] for r in records] == [False, True, False]
    code, out, _ = run(capsys, "recognize", "--strokes", path)
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{path}:1: 1 (digit 1, ")
    assert lines[1].startswith(f"{path}:2: Too small — draw bigger (digit ")


def test_two_specks_far_apart_are_too_small_not_a_confident_digit(capsys, tmp_path):
    path = tmp_path / "specks.jsonl"
    path.write_text('{"strokes": [[[150, 150], [151, 152]], [[300, 300], [301, 300]]]}\n')
    code, out, err = run(capsys, "recognize", "--json", "--strokes", path)
    assert code == 0, err
    assert json.loads(out)["reason"] == "too small"


def test_a_bad_canvas_is_reported_on_its_line():
    with pytest.raises(ValueError, match="canvas"):
        parse_drawing('{"strokes": [[[1, 2]]], "canvas": [0, 100]}')
    assert parse_drawing('{"strokes": [[[1, 2]]], "canvas": [300, 200]}')[1] == (300.0, 200.0)


@pytest.mark.parametrize("line, phrase", [
    ('[1, 2]', "expected an object"),
    ('{"strokes": {"a": 1}}', "must be a list of strokes"),
    ('{"strokes": [5]}', "stroke 0 must be a list"),
    ('{"strokes": [[[1, 2, 3]]]}', "expected [x, y] numbers"),
    ('{"strokes": [[[true, 2]]]}', "expected [x, y] numbers"),
])
def test_stroke_parser_explains_wrong_types(line, phrase):
    with pytest.raises(ValueError) as info:
        parse_drawing(line)[0]
    assert phrase in str(info.value)


def test_evaluate_prints_confusion_matrix_and_error_as_last_line(capsys):
    code, out, _ = run(capsys, "evaluate")
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[0].startswith("confusion matrix")
    rows = [list(map(int, line.split())) for line in lines[2:12]]
    assert [r[0] for r in rows] == list(range(10))
    assert sum(sum(r[1:]) for r in rows) == 10_000
    errors = 10_000 - sum(rows[d][d + 1] for d in range(10))
    assert lines[-1] == f"test error: {100 * errors / 10_000:.2f}% ({errors}/10000)"


def test_evaluate_json(capsys):
    code, out, _ = run(capsys, "evaluate", "--json")
    record = json.loads(out)
    assert code == 0 and record["total"] == 10_000
    assert record["error_rate"] == pytest.approx(record["errors"] / 10_000)


@pytest.mark.parametrize("argv, phrase", [
    (["recognize", "/no/such/file.png"], "/no/such/file.png"),
    (["recognize", "--strokes", "/no/such.jsonl"], "/no/such.jsonl: cannot read"),
    (["recognize"], "give one or more IMAGE files"),
    (["evaluate", "--data", "/no/such/dir"], "/no/such/dir"),
    (["evaluate", "--weights", "/no/weights.pt"], "/no/weights.pt: file not found"),
    (["recognize", "--device", "cuda:3", "x.png"], "CUDA is not available"),
])
def test_wrong_paths_give_one_clear_line_and_nonzero_exit(capsys, argv, phrase):
    code, out, err = run(capsys, *argv)
    assert code != 0
    assert phrase in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_non_image_and_a_corrupt_weights_file_are_reported(capsys, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    code, _, err = run(capsys, "recognize", text)
    assert code == 1 and "notes.png" in err and "Traceback" not in err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x02garbage")
    code, _, err = run(capsys, "evaluate", "--weights", bad)
    assert code == 1 and "bad.pt" in err


@pytest.mark.slow
def test_python_m_digitpad_help_and_errors_never_show_a_traceback(tmp_path):
    help_run = subprocess.run([sys.executable, "-m", "digitpad", "--help"], capture_output=True, text=True)
    assert help_run.returncode == 0
    for command in ("recognize", "evaluate", "train", "fetch-data", "gui"):
        assert command in help_run.stdout
    bad = subprocess.run([sys.executable, "-m", "digitpad", "recognize", str(tmp_path / "missing.png")],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "missing.png" in bad.stderr and "Traceback" not in bad.stderr


NO_TORCH_PROBE = """
import sys
from digitpad.cli.main import main
for argv in (["--help"], ["--version"], ["train", "--help"], ["recognize", "--help"], ["fetch-data", "--help"],
             ["train", "--epochs", "x", "--out", "w.pt"], ["train", "--epochs", "0", "--out", "w.pt"],
             ["train", "--optimizer", "sgd", "--out", "w.pt"], ["no-such-command"], ["recognize"]):
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    print(argv, code, file=sys.stderr)
print(sorted(name for name in ("torch", "numpy", "PySide6") if name in sys.modules))
"""


@pytest.mark.slow
def test_help_version_and_argument_errors_import_neither_torch_nor_numpy():
    probe = subprocess.run([sys.executable, "-c", NO_TORCH_PROBE], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "[]"
    codes = [line.rsplit(" ", 1)[1] for line in probe.stderr.splitlines() if line.startswith("[")]
    assert codes == ["0", "0", "0", "0", "0", "2", "2", "2", "2", "2"]
    assert "epochs must be at least 1" in probe.stderr and "Traceback" not in probe.stderr


@pytest.mark.slow
def test_train_writes_a_checkpoint_that_evaluate_reads(capsys, tmp_path):
    out_file = tmp_path / "tiny.pt"
    code, out, err = run(capsys, "train", "--epochs", "1", "--limit", "500", "--out", out_file)
    assert code == 0, err
    assert out_file.exists() and "wrote" in out
    assert "41 snapshots of the weights for the training time-lapse" in out
    assert load_snapshots(tmp_path / "tiny.snapshots").matches(load_checkpoint(out_file).state)
    code, out, _ = run(capsys, "evaluate", "--weights", out_file, "--json")
    assert code == 0 and json.loads(out)["total"] == 10_000


def test_a_train_command_that_fails_leaves_subnormal_floats_as_they_were(capsys, tmp_path):
    # Subnormals are zero for a training command only: one that failed after setting the mode
    # (here: no MNIST in the folder) left it on, and a later test's floats in the same process broke.
    import torch

    code, _, err = run(capsys, "train", "--epochs", "1", "--limit", "100", "--data", tmp_path, "--out",
                       tmp_path / "w.pt")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert float(torch.tensor([1e-39]) * 1.0) != 0.0


@pytest.mark.slow
def test_train_to_an_unwritable_place_reports_and_writes_nothing(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "train", "--epochs", "1", "--limit", "100", "--out", blocker / "w.pt")
    assert code == 1 and "cannot write the checkpoint there: Not a directory" in err  # before training


def test_fetch_data_downloads_from_a_mirror_and_verifies(capsys, tmp_path, mnist_served, monkeypatch):
    mnist_dir = mnist_served
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mnist_dir))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        dest = tmp_path / "mnist"
        code, out, err = run(capsys, "fetch-data", "--dest", dest,
                             "--mirror", f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
    assert code == 0, err
    assert "checksums verified" in out
    assert load_mnist(dest, "test").images.shape == (10_000, 28, 28)


def test_the_app_without_a_display_says_so_instead_of_aborting(capsys, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, _, err = run(capsys)
    assert code == 1
    assert "no display" in err and "QT_QPA_PLATFORM=offscreen" in err
