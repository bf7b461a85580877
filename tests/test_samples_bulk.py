"""Relabelling or deleting many samples at once is ONE rewrite of the samples file (walk-through
F36: 3,000 selected samples were rewritten one by one, ~2 a second, and a quit left half undone)."""

from __future__ import annotations

from PySide6.QtCore import Qt

import digitpad.storage.samples as samples_module
from digitpad.storage.samples import SampleStore, default_samples_path, make_sample


def write_samples(path, count: int) -> list:
    """`count` different drawings labelled 0-9 in turn, written straight to the file."""
    samples = [make_sample([[(10.0, 10.0 + k % 50), (60.0 + k // 50, 90.0)]], k % 10) for k in range(count)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(sample.to_line() + "\n" for sample in samples), encoding="utf-8")
    return samples


def count_rewrites(monkeypatch) -> list:
    written = []
    real = samples_module.atomic_write_bytes

    def counting(path, data):
        written.append(path)
        real(path, data)

    monkeypatch.setattr(samples_module, "atomic_write_bytes", counting)
    return written


def test_relabel_many_and_delete_many_rewrite_the_file_once(tmp_path, monkeypatch):
    path = tmp_path / "samples.jsonl"
    samples = write_samples(path, 300)
    store = SampleStore(path)
    written = count_rewrites(monkeypatch)
    assert store.relabel_many(samples[:200], 3) == 180  # the 20 already labelled 3 are left as they are
    assert len(written) == 1
    assert [s.label for s in SampleStore(path).samples()[:200]] == [3] * 200
    gone = SampleStore(path).samples()[100:]
    assert store.delete_many(gone + gone[:5]) == 200  # a sample asked twice is deleted once
    assert len(written) == 2 and len(SampleStore(path)) == 100


def test_the_browser_relabels_and_deletes_all_selected_in_one_rewrite_and_shows_it(qtbot, window, monkeypatch):
    write_samples(default_samples_path(), 400)
    browser = window.teach_menu.open_samples()
    qtbot.waitUntil(lambda: browser.store is not None and browser.grid.count() == 400, timeout=20_000)
    written = count_rewrites(monkeypatch)
    browser.grid.setFocus()
    browser.grid.selectAll()
    with qtbot.waitSignal(browser.changeEnded, timeout=20_000) as ended:
        qtbot.keyClick(browser.grid, Qt.Key.Key_1)
    assert ended.args == [360] and len(written) == 1
    assert {s.label for s in SampleStore().samples()} == {1}
    assert "<b>1</b>: 400" in browser.counts.text()  # the view shows it when done
    browser.grid.selectAll()
    with qtbot.waitSignal(browser.changeEnded, timeout=20_000) as ended:
        assert browser.delete_selected(confirm=False)
    assert ended.args == [400] and len(written) == 2
    assert len(SampleStore()) == 0 and browser.grid.count() == 0
