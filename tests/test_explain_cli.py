"""`digitpad explain` and `digitpad sweep` end to end."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitpad.cli.main import main

SEVEN = {"strokes": [[[100, 60], [200, 60], [300, 62]], [[300, 62], [260, 150], [220, 250], [190, 340]]]}
ONE = {"strokes": [[[200, 50], [196, 150], [192, 250], [190, 330]]]}


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def seven_file(tmp_path):
    path = tmp_path / "seven.jsonl"
    path.write_text(json.dumps(SEVEN) + "\n")
    return path


def test_explain_json_gives_the_attribution_that_adds_up(capsys, seven_file, tmp_path):
    code, out, err = run(capsys, "explain", "--json", "--strokes", seven_file, "--out", tmp_path / "o.png")
    assert code == 0, err
    record = json.loads(out)
    assert record["digit"] == 7
    attribution = np.array(record["attribution"])
    assert attribution.shape == (32, 32)
    difference = record["penalty"] - record["baseline_penalty"]
    assert abs(attribution.sum() - difference) <= 0.01 * abs(difference)
    assert [s["stroke"] for s in record["strokes"]] == [0, 1] and record["strokes"][0]["digit"] == 1
    with Image.open(tmp_path / "o.png") as picture:
        assert picture.format == "PNG" and picture.width >= 32 * 8


def test_explain_another_digit_in_words(capsys, seven_file):
    code, out, _ = run(capsys, "explain", "--digit", "1", "--strokes", seven_file)
    assert code == 0
    assert "attribution for 1:" in out.splitlines()[0] and "without stroke 1 it would be a 1" in out


def test_sweep_json_at_zero_matches_recognize(capsys, seven_file, tmp_path):
    code, out, err = run(capsys, "recognize", "--json", "--strokes", seven_file)
    recognized = json.loads(out)
    code, out, err = run(capsys, "sweep", "--strokes", seven_file, "--transform", "rotate", "--from", "-90",
                         "--to", "180", "--steps", "4", "--json", "--out", tmp_path / "plot.png")
    assert code == 0, err
    steps = [json.loads(line) for line in out.splitlines()]
    assert [s["value"] for s in steps] == [-90, 0, 90, 180]
    (zero,) = [s for s in steps if s["value"] == 0]
    assert zero["penalties"] == recognized["penalties"] and zero["digit"] == recognized["digit"] == 7
    assert steps[-1]["digit"] != 7 or steps[-1]["rejected"]
    assert all(set(s) >= {"value", "digit", "penalties", "rejected"} for s in steps)
    with Image.open(tmp_path / "plot.png") as plot:
        assert plot.format == "PNG"


def test_sweep_says_when_normalisation_removes_the_transform(capsys, seven_file):
    code, out, err = run(capsys, "sweep", "--strokes", seven_file, "--transform", "shift-y", "--stage", "drawing",
                         "--steps", "3")
    assert code == 0 and "changes nothing" in err
    assert "breaking point: none in this range" in out


@pytest.mark.parametrize("argv, message", [
    (["sweep", "--transform", "noise", "--stage", "drawing"], "input only"),
    (["sweep", "--transform", "scale", "--from", "-150"], "at least -99"),
    (["sweep", "--transform", "rotate", "--steps", "1"], "steps must be"),
])
def test_sweep_refuses_bad_ranges_in_one_line(capsys, seven_file, argv, message):
    code, out, err = run(capsys, *argv, "--strokes", seven_file)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_one_input_for_sweep_and_for_a_picture(capsys, tmp_path):
    two = tmp_path / "two.jsonl"
    two.write_text(json.dumps(SEVEN) + "\n" + json.dumps(ONE) + "\n")
    code, _, err = run(capsys, "sweep", "--strokes", two, "--transform", "rotate")
    assert code == 2 and "exactly one drawing" in err
    code, _, err = run(capsys, "explain", "--strokes", two, "--out", tmp_path / "x.png")
    assert code == 2 and "one input" in err and not (tmp_path / "x.png").exists()


def test_out_refuses_what_is_not_a_regular_file_before_any_work(capsys, seven_file, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for command in (["explain"], ["sweep", "--transform", "rotate"]):
        code, out, err = run(capsys, *command, "--strokes", seven_file, "--out", folder)
        assert code == 1 and out == "" and "not a regular file" in err and len(err.strip().splitlines()) == 1
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.slow
def test_the_new_commands_import_no_torch_until_they_run():
    probe = ("import sys, digitpad.explain.sweep, digitpad.explain.pictures; "
             "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def a_click_and_a_speck(folder):
    """A stray click as a stroke record, and a 3-pixel speck as an image: both 'too small'."""
    click = folder / "click.jsonl"
    click.write_text(json.dumps({"strokes": [[[120, 80], [121, 80]]], "canvas": [440, 440]}) + "\n")
    speck = folder / "speck.png"
    picture = np.full((200, 200), 255, np.uint8)
    picture[100:103, 100:103] = 0
    Image.fromarray(picture).save(speck)
    return click, speck


def test_explain_calls_a_click_and_a_speck_too_small_as_recognize_does(capsys, tmp_path):
    # `recognize` said "Too small — draw bigger" where `explain` said "not a digit" (or a digit).
    click, speck = a_click_and_a_speck(tmp_path)
    _, recognized, _ = run(capsys, "recognize", "--strokes", click, speck)
    assert recognized.count("Too small — draw bigger") == 2
    code, out, err = run(capsys, "explain", "--strokes", click, speck)
    assert code == 0, err
    lines = [line for line in out.splitlines() if not line.startswith(" ")]
    assert [line.split(";")[0] for line in lines] == [f"{speck}: Too small — draw bigger",
                                                      f"{click}:1: Too small — draw bigger"]
    code, out, err = run(capsys, "explain", "--json", "--strokes", click, speck)
    assert [json.loads(line)["reason"] for line in out.splitlines()] == ["too small", "too small"]


def test_sweep_calls_a_click_and_a_speck_too_small_as_recognize_does(capsys, tmp_path):
    # `sweep` said "answer at 0: not a digit" of what `recognize` calls too small.
    click, speck = a_click_and_a_speck(tmp_path)
    for source in (["--strokes", str(click)], [str(speck)]):
        code, out, err = run(capsys, "sweep", *source, "--transform", "rotate", "--steps", "3")
        assert code == 0, err
        assert out.splitlines()[0].endswith("answer at 0: Too small — draw bigger")
        code, out, err = run(capsys, "sweep", *source, "--transform", "rotate", "--steps", "3", "--json")
        assert [json.loads(line)["reason"] for line in out.splitlines()] == ["too small"] * 3
