"""The samples file against hostile content: one bad line is one problem, the rest loads and
survives a rewrite byte for byte; odd line ends and a BOM are read; size is capped (issue 12,
items 6 and 7). Property-based: any bytes at all give a store or a SampleError."""

from __future__ import annotations

import json
import os
import threading

import pytest
from limited import call_beside_a_pipe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitpad.storage import samples as samples_module
from digitpad.errors import SampleError
from digitpad.storage.samples import SampleStore, make_sample

SEVEN = [[(10, 10), (90, 10), (40, 100)]]
GOOD = json.dumps(make_sample(SEVEN, 7, created="2024-01-01T00:00:00+00:00").to_json())


@pytest.mark.parametrize("bad, phrase", [
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"label": 7, "strokes": [[[' + "9" * 400 + ", 1]]]}", "expected [x, y] finite numbers"),
    ('{"label": ' + "9" * 400 + ', "strokes": [[[1, 1]]]}', "0-9"),
    ('{"label": 7, "strokes": [[[' + "9" * 5000 + ", 1]]]}", "bad JSON"),
    ('{"label": 7, "strokes": [[[1e400, 1]]]}', "finite"),
], ids=["100000-deep", "400-digit-x", "400-digit-label", "5000-digit-x", "1e400"])
def test_a_deep_or_huge_line_is_one_problem_and_the_next_line_loads(tmp_path, bad, phrase):
    path = tmp_path / "s.jsonl"
    path.write_text(bad + "\n" + GOOD + "\n")
    store = SampleStore(path)
    assert [s.label for s in store.samples()] == [7]
    assert len(store.problems) == 1 and store.problems[0].startswith("line 1:") and phrase in store.problems[0]


def test_bad_utf8_in_one_line_a_bom_and_cr_only_line_ends(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\r" + b'{"label": 1, "strokes": [[[0, 0], [0, 9]]], '
                     b'"created": "caf\xe9"}\r' + GOOD.replace("7", "3", 1).encode() + b"\r\n")
    store = SampleStore(path)
    assert [s.label for s in store.samples()] == [7, 3]
    assert store.problems == ["line 2: not UTF-8 text"]


def test_a_huge_samples_file_is_refused_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(samples_module, "MAX_FILE_BYTES", 10_000)
    path = tmp_path / "big.jsonl"
    path.write_text((GOOD + "\n") * 200)
    with pytest.raises(SampleError, match="too large"):
        SampleStore(path)
    with pytest.raises(SampleError, match="too large"):
        SampleStore(tmp_path / "mine.jsonl").import_file(path)


def test_importing_from_a_pipe_is_refused_unopened(tmp_path):
    """A fifo (fed without end like /dev/zero, or never: `samples import` then hung) is not a
    samples file: refused before it is opened (issue 25, item 14)."""
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    returned, error = call_beside_a_pipe(lambda: SampleStore(tmp_path / "mine.jsonl").import_file(fifo), fifo)
    assert not returned and isinstance(error, SampleError) and "is a named pipe, not a samples file" in str(error)
    assert not (tmp_path / "mine.jsonl").exists()


def test_a_folder_instead_of_a_samples_file_is_one_clear_error(tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(SampleError, match="is a folder, not"):
        SampleStore(tmp_path / "dir.jsonl")


lines = st.one_of(
    st.binary(max_size=60),
    st.just(GOOD.encode()),
    st.text(max_size=40).map(str.encode),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["label", "strokes", "created"]),
                                                                     c, max_size=3),
                 max_leaves=12).map(lambda v: json.dumps(v).encode()),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines, max_size=8), st.sampled_from([b"\n", b"\r\n", b"\r"]), st.booleans())
def test_any_content_loads_or_is_refused_and_a_rewrite_keeps_every_line(tmp_path, content, newline, bom):
    path = tmp_path / "h.jsonl"
    data = (b"\xef\xbb\xbf" if bom else b"") + newline.join(content)
    path.write_bytes(data)
    try:
        store = SampleStore(path)
    except SampleError:
        return
    before = list(store.samples())
    for problem in store.problems:
        assert problem.startswith("line ") and "\n" not in problem
    store.add(SEVEN, 4)
    after = SampleStore(path)
    assert after.samples() == before + [store.samples()[-1]]
    assert len(after.problems) == len(store.problems)  # unreadable lines are kept, not dropped


def test_teach_adds_a_drawing_once_relabels_it_and_take_back_undoes_each(tmp_path):
    from digitpad.storage.samples import Taught

    path = tmp_path / "samples.jsonl"
    store = SampleStore(path)
    seven = make_sample([[(10, 10), (90, 10), (40, 100)]], 7)
    added = store.teach(seven)
    assert added == Taught("added", seven, None)
    before = path.stat().st_mtime_ns, path.read_bytes()
    again = store.teach(make_sample([[(10, 10), (90, 10), (40, 100)]], 7))
    assert again.outcome == "already kept" and again.sample == seven
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before  # nothing written
    relabelled = store.teach(make_sample([[(10, 10), (90, 10), (40, 100)]], 1))
    assert relabelled.outcome == "relabelled" and relabelled.old_label == 7
    assert relabelled.sample.created == seven.created  # the drawing keeps its date
    assert [s.label for s in SampleStore(path).samples()] == [1]
    assert store.take_back(relabelled) and [s.label for s in SampleStore(path).samples()] == [7]
    assert not store.take_back(relabelled)  # no longer there as taught
    assert not store.take_back(again)  # "already kept" changed nothing
    assert store.take_back(added) and SampleStore(path).samples() == []


def test_a_change_waiting_for_the_lock_gives_up_when_cancelled(tmp_path):
    from digitpad.safe_files import LockWaitCancelled, locked

    path = tmp_path / "samples.jsonl"
    cancel = threading.Event()
    taken, release = threading.Event(), threading.Event()

    def other_process() -> None:
        with locked(path):
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=other_process)
    holder.start()
    try:
        assert taken.wait(10)
        store = SampleStore(path, should_cancel=cancel.is_set)
        cancel.set()
        with pytest.raises(LockWaitCancelled):
            store.add([[(0, 0), (0, 50)]], 1)
    finally:
        release.set()
        holder.join(10)
    assert SampleStore(path).samples() == []
