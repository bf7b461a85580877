"""Teaching: one sample per drawing ("already kept"), relabelling, Undo Teach, teaching an image."""

from __future__ import annotations

from PIL import Image, ImageDraw
from PySide6.QtCore import Qt

from digitpad.storage.samples import SampleStore, default_samples_path, parse_sample

SEVEN = [(10, 10), (90, 10), (40, 100)]


def labels() -> list[int]:
    return [s.label for s in SampleStore().samples()]


def teach(qtbot, window, digit: int) -> bool:
    """Teach → This Is a `digit`, waiting for the sample to be saved (in the background): whether
    the samples file changed."""
    with qtbot.waitSignal(window.teach_menu.teachingDone, timeout=10_000) as done:
        assert window.teach_menu.teach(digit)
    return done.args[0]


def undo_teach(qtbot, window) -> bool:
    with qtbot.waitSignal(window.teach_menu.teachingDone, timeout=10_000) as done:
        window.teach_menu.undo_action.trigger()
    return done.args[0]


def test_teaching_the_same_drawing_twice_keeps_one_sample(qtbot, window):
    window.drawing.add_stroke(SEVEN)
    assert teach(qtbot, window, 7)
    assert not teach(qtbot, window, 7)
    assert labels() == [7] and "already kept" in window.statusBar().currentMessage().lower()


def test_teaching_it_with_another_digit_relabels_it_and_undo_gives_the_old_label_back(qtbot, window):
    window.drawing.add_stroke(SEVEN)
    teach(qtbot, window, 7)
    teach(qtbot, window, 1)
    assert labels() == [1] and "relabelled" in window.statusBar().currentMessage().lower()
    assert undo_teach(qtbot, window)
    assert labels() == [7]


def test_undo_teach_removes_the_sample_just_kept(qtbot, window):
    window.drawing.add_stroke(SEVEN)
    teach(qtbot, window, 7)
    window.drawing.add_stroke([(0, 50), (100, 50)])
    teach(qtbot, window, 4)
    assert labels() == [7, 4] and window.teach_menu.undo_action.isEnabled()
    assert undo_teach(qtbot, window)
    assert labels() == [7]
    window.teach_menu.undo_action.trigger()  # a second time: nothing to take back, and it says so
    assert labels() == [7] and "Nothing to undo" in window.statusBar().currentMessage()


def test_an_opened_image_can_be_taught(qtbot, window, tmp_path):
    path = tmp_path / "three.png"
    image = Image.new("L", (120, 160), 255)
    ImageDraw.Draw(image).line([(20, 20), (100, 20), (60, 80), (100, 140), (20, 140)], fill=0, width=12)
    image.save(path)
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000) as opened:  # decoded in the background
        window.image_files.open_image(path)
    assert opened.args == [True]
    assert teach(qtbot, window, 3)
    (sample,) = SampleStore().samples()
    assert sample.label == 3 and sample.pixels is not None
    assert abs(sample.render() - window.drawing.image.input).max() < 1e-3
    assert not teach(qtbot, window, 3)  # the same image: already kept
    line = default_samples_path().read_text().strip()
    assert parse_sample(line) == sample  # the file round-trips


def test_the_browser_relabels_with_a_digit_key_and_counts_every_digit(qtbot, window):
    window.drawing.add_stroke(SEVEN)
    teach(qtbot, window, 1)
    browser = window.teach_menu.open_samples()
    qtbot.waitUntil(lambda: browser.store is not None)  # the file is read in the background
    assert "<b>1</b>: 1" in browser.counts.text() and "<b>7</b>: 0" in browser.counts.text()
    browser.grid.item(0).setSelected(True)
    with qtbot.waitSignal(browser.changeEnded, timeout=10_000) as ended:  # saved in the background
        qtbot.keyClick(browser.grid, Qt.Key.Key_7)
    assert ended.args == [1]
    assert labels() == [7] and "<b>7</b>: 1" in browser.counts.text()
    assert "taught" in browser.grid.item(0).toolTip() and "T" not in browser.grid.item(0).toolTip().split("taught")[1]
