"""Several processes writing the same samples file or adopting weights at the same moment: every
change is kept (issue 12, item 1). Real processes, counted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from digitpad.storage.samples import SampleStore, make_sample

WRITERS = 4


def _wait_for(go) -> str:
    """Code that waits for the go-file, so the writers, started one by one, begin together."""
    return f"""
import os, time
while not os.path.exists({str(go)!r}):
    time.sleep(0.005)
"""


@pytest.mark.slow
def test_four_processes_adding_samples_keep_every_one(tmp_path):
    path, go = tmp_path / "samples.jsonl", tmp_path / "go"
    per_writer = 40
    scripts = [_wait_for(go) + textwrap.dedent(f"""
        from digitpad.storage.samples import SampleStore
        store = SampleStore({str(path)!r})
        for i in range({per_writer}):
            store.add([[({writer}, i), ({writer} + 10, i + 50)]], i % 10)
        """) for writer in range(WRITERS)]
    procs = [subprocess.Popen([sys.executable, "-c", s], stderr=subprocess.PIPE, text=True) for s in scripts]
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    store = SampleStore(path)
    assert store.problems == []
    assert len(store) == WRITERS * per_writer
    drawn = {(int(s.strokes[0][0][0]), int(s.strokes[0][0][1])) for s in store.samples()}
    assert drawn == {(w, i) for w in range(WRITERS) for i in range(per_writer)}


@pytest.mark.slow
def test_parallel_samples_imports_lose_nothing(tmp_path):
    """Four imports at once into one file (what `digitpad samples import` does, without the CLI's
    start-up cost)."""
    target, go = tmp_path / "mine.jsonl", tmp_path / "go"
    per_file = 25
    sources = []
    for writer in range(WRITERS):
        source = tmp_path / f"in{writer}.jsonl"
        source.write_text("".join(json.dumps(make_sample([[(writer, i), (writer + 5, i + 40)]], i % 10).to_json())
                                  + "\n" for i in range(per_file)))
        sources.append(source)
    scripts = [_wait_for(go) + textwrap.dedent(f"""
        from digitpad.storage.samples import SampleStore
        print(SampleStore({str(target)!r}).import_file({str(source)!r})[0])
        """) for source in sources]
    procs = [subprocess.Popen([sys.executable, "-c", s], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in scripts]
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == str(per_file)
    assert len(SampleStore(target)) == WRITERS * per_file


@pytest.mark.slow
def test_adopting_weights_at_the_same_moment_gives_each_its_own_file(tmp_path):
    """Four processes save new checkpoints with the same time stamp: all of them are kept."""
    folder, go = tmp_path / "weights", tmp_path / "go"
    per_writer = 6
    scripts = [textwrap.dedent("""
        import torch
        from digitpad.network.lenet5 import LeNet5
        from digitpad.storage.checkpoints import save_new_checkpoint
        from digitpad.storage.run_metrics import RunMetrics
        model = LeNet5()
        """) + _wait_for(go) + textwrap.dedent(f"""
        for i in range({per_writer}):
            save_new_checkpoint(__import__("pathlib").Path({str(folder)!r}), "2026-01-01_00-00-00", model,
                                {{}}, RunMetrics(name=f"{writer} {{i}}"))
        """) for writer in range(WRITERS)]
    procs = [subprocess.Popen([sys.executable, "-c", s], stderr=subprocess.PIPE, text=True) for s in scripts]
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=180) == 0, proc.stderr.read()
    from digitpad.storage.checkpoints import load_checkpoint

    files = sorted(folder.glob("*.pt"))
    assert len(files) == WRITERS * per_writer
    written = {load_checkpoint(f).metrics.name for f in files}
    assert written == {f"{w} {i}" for w in range(WRITERS) for i in range(per_writer)}
    assert not [p for p in folder.iterdir() if p.suffix == ".tmp"]
