"""Files: remembered folder, suggested names, Copy of the drawing and the input, Open Recent,
the 32×32 export in greyscale."""

from __future__ import annotations

from PIL import Image, ImageDraw
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog

from drawings import draw


def digit_image(path):
    image = Image.new("L", (100, 140), 255)
    ImageDraw.Draw(image).line([(50, 10), (50, 130)], fill=0, width=12)
    image.save(path)
    return path


def open_and_wait(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000):
        window.image_files.open_image(path)


def test_the_save_dialog_suggests_a_name_in_the_last_folder_and_the_export_is_greyscale(qtbot, window, tmp_path,
                                                                                       monkeypatch):
    open_and_wait(qtbot, window, digit_image(tmp_path / "one.png"))
    window.drawing.set_strokes(draw(7))
    asked = []

    def save_name(parent, title, suggested, filters):
        asked.append(suggested)
        return suggested, filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    window.window_actions.save_drawing.trigger()
    window.window_actions.export_input.trigger()
    assert asked == [str(tmp_path / "drawing-7.png"), str(tmp_path / "input-32x32-7.png")]
    exported = QImage(str(tmp_path / "input-32x32-7.png"))
    assert exported.size().toTuple() == (32, 32) and exported.isGrayscale()
    window.window_actions.save_drawing.trigger()  # taken now: the next suggestion overwrites nothing
    assert asked[-1] == str(tmp_path / "drawing-7-2.png")


def test_copy_puts_the_drawing_and_the_input_on_the_clipboard(window):
    window.drawing.set_strokes(draw(4))
    window.window_actions.copy_drawing.trigger()
    assert QGuiApplication.clipboard().image().size() == window.canvas.size()
    window.window_actions.copy_input.trigger()
    copied = QGuiApplication.clipboard().image()
    assert copied.size().toTuple() == (32, 32) and copied.isGrayscale()


def test_open_recent_lists_opened_images_newest_first(qtbot, window, tmp_path):
    first, second = digit_image(tmp_path / "a.png"), digit_image(tmp_path / "b.png")
    open_and_wait(qtbot, window, first)
    open_and_wait(qtbot, window, second)
    window.image_files.fill_recent_menu(window.recent_menu)
    names = [action.text() for action in window.recent_menu.actions()]
    assert names == ["&1 b.png", "&2 a.png"]
    window.drawing.clear()
    with qtbot.waitSignal(window.image_files.opened, timeout=20_000):
        window.recent_menu.actions()[1].trigger()
    assert window.drawing.image is not None and "a.png" in window.drawing.image.caption
