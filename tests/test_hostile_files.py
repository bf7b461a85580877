"""Files a user can lose or no longer use, and files that are not files (issue 25, items 4, 5, 6
and 14): a samples file never grows past what digitpad reads back, export never clobbers its
own source, a killed writer's leftovers are cleaned, and a named pipe is refused unopened."""

from __future__ import annotations

import os
import re
import time

import pytest
from limited import call_beside_a_pipe, one_error_line, run_digitpad

from digitpad.cli.main import main
from digitpad.storage import samples as samples_module
from digitpad.storage.samples import SampleStore

GOOD = '{{"label": {label}, "strokes": [[[{x}, 0], [5, 9]]]}}\n'


def _samples_text(count: int, start: int = 0) -> str:
    return "".join(GOOD.format(label=i % 10, x=start + i) for i in range(count))


def test_an_import_that_would_take_the_store_past_the_limit_is_refused_before_writing(
        tmp_path, capsys, monkeypatch):
    """Item 4: the source is under the limit, but the lines we write are longer than its terse
    ones (a date, floats), so the store would be a file every later command refuses."""
    monkeypatch.setattr(samples_module, "MAX_FILE_BYTES", 64 * 1024)
    source, store_file = tmp_path / "in.jsonl", tmp_path / "store.jsonl"
    source.write_text(_samples_text(1300))
    assert 40_000 < source.stat().st_size < 64 * 1024
    assert main(["samples", "import", "--file", str(store_file), str(source)]) == 1
    err = one_error_line(capsys.readouterr().err)
    assert re.search(r"would grow to 0\.07\d* MB, over the 0\.0625 MB a samples file may have; nothing was changed$",
                     err), err
    assert not store_file.exists()
    assert main(["samples", "list", "--file", str(store_file)]) == 0


def test_exporting_the_samples_file_onto_itself_is_refused(tmp_path, capsys):
    """Item 5: `samples export --file S S` rewrote S without its unreadable lines."""
    path = tmp_path / "s.jsonl"
    original = _samples_text(6) + "{broken\n" * 12
    path.write_text(original)
    link = tmp_path / "link.jsonl"
    link.symlink_to(path)
    for target in (path, link):
        assert main(["samples", "export", "--file", str(path), str(target)]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and "is the samples file being exported" in err.splitlines()[-1]
    assert path.read_text() == original
    assert main(["samples", "export", "--file", str(path), str(tmp_path / "copy.jsonl")]) == 0
    assert len((tmp_path / "copy.jsonl").read_text().splitlines()) == 6


def test_a_killed_writers_temporary_files_are_removed_on_the_next_write(tmp_path):
    """Item 6: `kill -9` mid-write left `.samples.jsonl.*.tmp` files that nothing removed. Ours,
    if unchanged for ten minutes, go with the next write; a fresh one (a writer at work) and
    other files stay."""
    path = tmp_path / "samples.jsonl"
    path.write_text(_samples_text(2))
    stale = tmp_path / ".samples.jsonl.k9ab_x2z.tmp"
    fresh = tmp_path / ".samples.jsonl.q1w2e3r4.tmp"
    other = tmp_path / ".other.jsonl.k9ab_x2z.tmp"
    for leftover in (stale, fresh, other):
        leftover.write_bytes(b"x" * 1000)
    an_hour_ago = time.time() - 3600
    for old in (stale, other):
        os.utime(old, (an_hour_ago, an_hour_ago))
    SampleStore(path).add([[(1, 2), (3, 4)]], 3)
    assert not stale.exists()
    assert fresh.exists() and other.exists()
    assert len(SampleStore(path)) == 3


@pytest.fixture
def fifo(tmp_path):
    """A named pipe nothing writes to (subprocesses that open it hang until their timeout)."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_a_named_pipe_as_the_source_of_samples_import_is_refused(fifo, tmp_path):
    done = run_digitpad("samples", "import", "--file", tmp_path / "store.jsonl", fifo, timeout=30)
    assert done.returncode == 1
    assert "is a named pipe, not a samples file" in one_error_line(done.stderr)


def test_a_named_pipe_as_an_image_is_refused(fifo, capsys):
    returned, code = call_beside_a_pipe(lambda: main(["recognize", str(fifo)]), fifo)
    assert returned and code == 1
    assert "it is a named pipe, not an image file" in one_error_line(capsys.readouterr().err)


def test_a_named_pipe_as_extra_samples_is_refused_before_training(fifo, tmp_path, capsys):
    out = tmp_path / "w.pt"
    returned, code = call_beside_a_pipe(
        lambda: main(["train", "--extra", str(fifo), "--epochs", "1", "--limit", "64", "--out", str(out)]), fifo)
    assert returned and code == 1
    assert "is a named pipe, not a samples file" in one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_a_named_pipe_in_place_of_the_store_is_refused(fifo):
    returned, error = call_beside_a_pipe(lambda: SampleStore(fifo), fifo)
    assert not returned and isinstance(error, samples_module.SampleError)
    assert "is a named pipe, not a samples file" in str(error)


def test_fine_tuning_on_a_file_of_too_many_drawings_is_refused_before_reading_them(tmp_path, monkeypatch, capsys):
    """Item 10: 64 MB of 1.4 million one-point drawings (which `samples` accepted) cost 5.5 min and
    3.5 GB, then a MemoryError traceback. A file over MAX_SAMPLES lines is refused before any is
    parsed, for training as for every other use; the cap is patched down to keep the test small."""
    monkeypatch.setattr(samples_module, "MAX_SAMPLES", 2_000)
    extra = tmp_path / "tiny.jsonl"
    extra.write_text("".join(f'{{"label":{i % 10},"strokes":[[[{i},0]]]}}\n' for i in range(2_001)))
    parsed = []
    real = samples_module.parse_sample
    monkeypatch.setattr(samples_module, "parse_sample", lambda raw: parsed.append(1) or real(raw))
    out = tmp_path / "w.pt"
    assert main(["train", "--extra", str(extra), "--epochs", "1", "--limit", "64", "--out", str(out)]) == 1
    assert not out.exists() and not parsed
    err = one_error_line(capsys.readouterr().err)
    assert "2,001 lines, more than the 2,000 drawings a samples file may hold" in err


def test_importing_a_binary_file_is_one_line_not_a_warning_per_line(tmp_path, capsys):
    """Smaller item: a binary file printed 1,506 warnings and exited 0."""
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(bytes(range(256)) * 400)
    store_file = tmp_path / "store.jsonl"
    assert main(["samples", "import", "--file", str(store_file), str(binary)]) == 1
    err = one_error_line(capsys.readouterr().err)
    assert "not a samples file: none of its" in err and "lines is a drawing" in err
    assert not store_file.exists()
