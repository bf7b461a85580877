"""The pen-digits reader (UNIPEN-style text -> canvas stroke records) and the split by writer."""

import gzip
import os
import threading
from pathlib import Path

import pytest

from digitpad.errors import DataError
from digitpad.ink.strokes import render_strokes
from digitpad import paths
from digitpad.storage.pendigits import TABLET_SIZE, parse_pendigits, read_pendigits, strokes_as_records
from digitpad.training.pen_split import HELD_OUT_WRITERS, split_by_writer

SMALL = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7  3  12
.PEN_DOWN
 100  400
 300  400
 200  100
.PEN_UP
.DT 100
.PEN_DOWN
 150  250
 250  250
.PEN_UP
.DT 100

.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 4  5
.PEN_DOWN
 250  450
 250   50
.PEN_UP
"""


def test_a_small_file_gives_two_digits_with_y_flipped_to_the_canvas(tmp_path):
    path = tmp_path / "pen.txt"
    path.write_text(SMALL, encoding="latin-1")
    seven, one = read_pendigits(path)
    assert (seven.label, seven.writer, seven.sample) == (7, 3, 12)
    assert seven.strokes == [[(100.0, 100.0), (300.0, 100.0), (200.0, 400.0)], [(150.0, 250.0), (250.0, 250.0)]]
    assert (one.label, one.writer, one.sample, len(one.strokes)) == (1, 4, 5, 1)
    assert one.strokes[0][0][1] < one.strokes[0][1][1]  # written top to bottom: y grows downwards
    records = list(strokes_as_records([seven, one]))
    assert records[0] == {"label": 7, "strokes": [[[100.0, 100.0], [300.0, 100.0], [200.0, 400.0]],
                                                  [[150.0, 250.0], [250.0, 250.0]]],
                          "canvas": [TABLET_SIZE, TABLET_SIZE]}
    # The same input the canvas's drawing gives: a 7's bar is at the top of the 32×32 input.
    array = render_strokes(records[0]["strokes"])
    assert array[8:12].max() > 1.0 and array[:, 16].argmax() < 16


def test_gzip_and_plain_read_alike(tmp_path):
    plain, packed = tmp_path / "pen.txt", tmp_path / "pen.gz"
    plain.write_text(SMALL, encoding="latin-1")
    packed.write_bytes(gzip.compress(SMALL.encode("latin-1")))
    assert read_pendigits(plain) == read_pendigits(packed)


@pytest.mark.parametrize("line, reason", [
    (" 12  abc", "line 10: expected a point 'x y'"),
    (" 12  900", "line 10: point (12, 900) is outside"),
    (".PEN_DOWN", "line 10: .PEN_DOWN inside a stroke"),
])
def test_a_malformed_line_is_one_error_naming_the_file_and_line(tmp_path, line, reason):
    lines = SMALL.splitlines()
    lines.insert(9, line)  # inside the first digit's first stroke
    path = tmp_path / "bad.txt"
    path.write_text("\n".join(lines), encoding="latin-1")
    with pytest.raises(DataError) as caught:
        read_pendigits(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and reason in message and "\n" not in message


@pytest.mark.parametrize("text, reason", [
    ('.SEGMENT DIGIT 0 ? "x"\n', "one quoted digit"),
    ('.SEGMENT DIGIT 0 ? "3"\n.COMMENT 4 1 1\n', "says 4"),
    ('.SEGMENT DIGIT 0 ? "3"\n.COMMENT 3 1 1\n.PEN_DOWN\n 1 1\n', "still open"),
    ('.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n 1 1\n.PEN_UP\n', "no .COMMENT"),
    (' 1 1\n', "outside a stroke"),
])
def test_broken_structure_is_named(text, reason):
    with pytest.raises(DataError, match=reason):
        parse_pendigits(text, "f")


def test_unreadable_inputs_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="not a regular file"):
        read_pendigits(tmp_path)
    with pytest.raises(DataError, match="cannot read"):
        read_pendigits(tmp_path / "missing.gz")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(SMALL.encode())[:40])
    with pytest.raises(DataError, match="cannot read"):
        read_pendigits(tmp_path / "broken.gz")
    (tmp_path / "empty.txt").write_text(".INCLUDE x\n")
    with pytest.raises(DataError, match="no digits"):
        read_pendigits(tmp_path / "empty.txt")


def test_a_gzip_bomb_stops_at_the_text_limit(tmp_path, monkeypatch):
    from digitpad.storage import pendigits

    monkeypatch.setattr(pendigits, "MAX_TEXT_BYTES", 1000)
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b" " * 100_000))
    with pytest.raises(DataError, match="over 1,000 bytes"):
        read_pendigits(tmp_path / "bomb.gz")


def test_the_split_puts_no_writer_on_both_sides(tmp_path):
    path = tmp_path / "pen.txt"
    path.write_text(SMALL.replace("COMMENT 1 4", "COMMENT 1 10"), encoding="latin-1")
    digits = read_pendigits(path)
    training, held_out = split_by_writer(digits)
    assert [d.writer for d in training] == [3] and [d.writer for d in held_out] == [10]
    assert len(HELD_OUT_WRITERS) >= 8 and HELD_OUT_WRITERS <= set(range(1, 31))


def test_the_pen_file_is_looked_for_in_env_then_shared(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.PENDIGITS_ENV, raising=False)
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "checkout")
    assert paths.default_pendigits_file() is None  # a clone without ../shared
    shared = tmp_path / "shared" / "data" / "pendigits" / paths.PENDIGITS_FILE
    shared.parent.mkdir(parents=True)
    shared.write_bytes(b"")
    assert paths.default_pendigits_file() == shared
    monkeypatch.setenv(paths.PENDIGITS_ENV, str(tmp_path / "mine.gz"))
    assert paths.default_pendigits_file() == tmp_path / "mine.gz"


def test_the_real_file_splits_thirty_writers_by_writer():
    path = paths.default_pendigits_file()
    if path is None or not path.is_file():
        pytest.skip("the pen-digits file is not here (set DIGITPAD_PENDIGITS or keep ../shared beside the "
                    "checkout); the reader itself is tested on the small file above")
    digits = read_pendigits(path)
    training, held_out = split_by_writer(digits)
    assert len(digits) == 7494 and {d.writer for d in digits} == set(range(1, 31))
    assert {d.writer for d in held_out} == HELD_OUT_WRITERS
    assert not {d.writer for d in training} & HELD_OUT_WRITERS
    assert all(0 <= x <= TABLET_SIZE and 0 <= y <= TABLET_SIZE for d in digits for s in d.strokes for x, y in s)


def _run(capsys, *argv):
    from digitpad.cli.main import main

    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_reads_pen_strokes_writer_by_writer(capsys, tmp_path, monkeypatch):
    import json

    path = tmp_path / "pen.txt"
    path.write_text(SMALL.replace("COMMENT 1 4", "COMMENT 1 10"), encoding="latin-1")  # writer 10 is held out
    code, out, err = _run(capsys, "evaluate", "--strokes-data", path, "--writers", "all", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["total"] == 2 and set(report["writers"]) == {"3", "10"}
    assert all(w["total"] == 1 for w in report["writers"].values())
    counted = report["right"] + report["refused"] + sum(c["count"] for c in report["confusions"])
    assert counted == 2
    code, out, _ = _run(capsys, "evaluate", "--strokes-data", path)  # the held-out writers only
    assert code == 0 and "1 digits by the held-out writers" in out
    assert "    10       1" in out and "\n     3 " not in out
    monkeypatch.setenv(paths.PENDIGITS_ENV, str(path))
    code, out, _ = _run(capsys, "evaluate", "--strokes-data", "--writers", "training")
    assert code == 0 and "\n     3       1" in out


def test_evaluate_on_a_bad_pen_file_is_one_line(capsys, tmp_path, monkeypatch):
    path = tmp_path / "bad.txt"
    path.write_text(SMALL.replace(" 300  400", " 300  x"), encoding="latin-1")
    code, out, err = _run(capsys, "evaluate", "--strokes-data", path)
    assert code == 1 and err.count("\n") == 1 and "line 10: expected a point" in err
    monkeypatch.delenv(paths.PENDIGITS_ENV, raising=False)
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "checkout")
    code, _, err = _run(capsys, "evaluate", "--strokes-data")
    assert code == 2 and "DIGITPAD_PENDIGITS" in err


def test_a_named_pipe_put_in_the_files_place_after_it_was_looked_at_is_refused(tmp_path, monkeypatch):
    # The file is looked at, then opened: a pipe taking its place in between must not be opened
    # waiting for a writer. The look is made to see the regular file that was there.
    path = tmp_path / "pendigits.txt"
    os.mkfifo(path)
    real_is_file, real_exists = Path.is_file, Path.exists
    monkeypatch.setattr(Path, "is_file", lambda p: True if p == path else real_is_file(p))
    monkeypatch.setattr(Path, "exists", lambda p: True if p == path else real_exists(p))
    outcome: list = []

    def read() -> None:
        try:
            read_pendigits(path)
        except DataError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # blocked in open(): give it a writer so the thread ends
        with open(path, "wb"):
            pass
        reader.join(10)
    assert outcome and "named pipe" in outcome[0]
