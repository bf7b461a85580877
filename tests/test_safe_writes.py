"""Writes go through symlinks, never replace what is not a regular file, keep the file's mode
(issue 12, item 2). Device nodes are made in a temporary folder, never the real /dev ones."""

from __future__ import annotations

import os
import stat

import pytest

from digitpad.safe_files import NotARegularFileError, atomic_write_bytes, check_output_path
from digitpad.errors import SampleError
from digitpad.storage.samples import SampleStore

SEVEN = [[(10, 10), (90, 10), (40, 100)]]


def _null_device(folder):
    """A character device like /dev/null (1, 3), made inside `folder`; skipped where not permitted."""
    node = folder / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return node


def test_a_device_node_is_refused_and_left_a_device(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    node = _null_device(folder)
    with pytest.raises(NotARegularFileError, match="character device"):
        atomic_write_bytes(node, b"data")
    with pytest.raises(NotARegularFileError):
        check_output_path(node)
    assert stat.S_ISCHR(os.stat(node).st_mode)
    assert sorted(p.name for p in folder.iterdir()) == ["null"]  # no temporary file left


def test_a_symlink_to_a_device_is_refused_too(tmp_path):
    node = _null_device(tmp_path)
    link = tmp_path / "out.pt"
    link.symlink_to(node)
    with pytest.raises(NotARegularFileError):
        atomic_write_bytes(link, b"data")
    assert link.is_symlink() and stat.S_ISCHR(os.stat(node).st_mode)


def test_a_fifo_and_a_folder_are_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFileError, match="named pipe"):
        atomic_write_bytes(fifo, b"data")
    (tmp_path / "dir").mkdir()
    with pytest.raises(NotARegularFileError, match="folder"):
        atomic_write_bytes(tmp_path / "dir", b"data")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and (tmp_path / "dir").is_dir()


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "real" / "samples.jsonl"
    target.parent.mkdir()
    target.write_bytes(b"old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    atomic_write_bytes(link, b"new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["samples.jsonl"]


def test_the_samples_file_keeps_its_mode_and_its_symlink(tmp_path):
    target = tmp_path / "samples.jsonl"
    SampleStore(target).add(SEVEN, 7)
    os.chmod(target, 0o600)
    link = tmp_path / "via-link.jsonl"
    link.symlink_to(target)
    SampleStore(link).add(SEVEN, 1)
    assert link.is_symlink()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [s.label for s in SampleStore(target).samples()] == [7, 1]


def test_exporting_samples_onto_a_device_says_why_and_leaves_it(tmp_path):
    node = _null_device(tmp_path)
    store = SampleStore(tmp_path / "s.jsonl")
    store.add(SEVEN, 7)
    with pytest.raises(SampleError, match="not a regular file"):
        store.export_file(node)
    assert stat.S_ISCHR(os.stat(node).st_mode)


def test_check_output_path_finds_an_unwritable_place_before_any_work(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "file").write_text("x")
    with pytest.raises(OSError):
        check_output_path(folder / "file" / "inside.pt")  # a file where the folder should be
    check_output_path(folder / "new" / "deeper" / "out.pt")  # missing folders are made when writing
    check_output_path(folder / "out.pt")
    assert sorted(p.name for p in folder.iterdir()) == ["file"]  # nothing left behind


def test_export_onnx_writes_through_a_symlink_and_refuses_a_device(tmp_path, capsys):
    from digitpad.cli.main import main

    target = tmp_path / "models" / "lenet5.onnx"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "current.onnx"
    link.symlink_to(target)
    assert main(["export", "--onnx", str(link)]) == 0
    assert link.is_symlink() and target.stat().st_size > 10_000
    node = _null_device(tmp_path)
    capsys.readouterr()
    assert main(["export", "--onnx", str(node)]) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err and len(err.strip().splitlines()) == 1
    assert stat.S_ISCHR(os.stat(node).st_mode)
