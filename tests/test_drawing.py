"""The drawing model (digitpad/app/drawing.py): strokes, undo/redo, an opened image, notifications.
Plain Python: no QApplication."""

from __future__ import annotations

import numpy as np

from digitpad.app.drawing import MAX_PEN_WIDTH, MIN_PEN_WIDTH, Change, Drawing, OpenedImage


def observed(drawing: Drawing) -> list[Change]:
    changes: list[Change] = []
    drawing.subscribe(changes.append)
    return changes


def draw(drawing: Drawing, *points) -> None:
    drawing.begin_stroke(points[0])
    for point in points[1:]:
        drawing.extend_stroke(point)
    drawing.finish_stroke()


def test_a_stroke_grows_while_drawn_and_is_one_edit_when_finished():
    drawing = Drawing()
    changes = observed(drawing)
    drawing.begin_stroke((1, 2))
    assert drawing.is_drawing() and drawing.strokes() == [[(1.0, 2.0)]]
    assert drawing.extend_stroke((3, 4))
    assert not drawing.extend_stroke((3, 4))  # the same point again: nothing happens
    assert changes == [Change.GROWING, Change.GROWING]
    assert drawing.finished_strokes == () and not drawing.can_undo()
    drawing.finish_stroke()
    assert changes[-1] is Change.EDITED and not drawing.is_drawing()
    assert drawing.finished_strokes == (((1.0, 2.0), (3.0, 4.0)),)
    assert drawing.can_undo()


def test_moves_between_strokes_change_nothing():
    drawing = Drawing()
    changes = observed(drawing)
    assert not drawing.extend_stroke((5, 5))
    drawing.finish_stroke()
    assert changes == [] and drawing.is_empty()


def test_undo_redo_and_clear_walk_the_history_one_stroke_at_a_time():
    drawing = Drawing()
    draw(drawing, (0, 0), (1, 1))
    draw(drawing, (5, 5), (6, 6))
    two = drawing.strokes()
    drawing.undo()
    assert drawing.strokes() == two[:1] and drawing.can_redo()
    drawing.redo()
    assert drawing.strokes() == two and not drawing.can_redo()
    drawing.clear()
    assert drawing.is_empty()
    drawing.undo()  # a clear can be undone
    assert drawing.strokes() == two
    drawing.undo()
    drawing.add_stroke([(9, 9)])  # a new edit drops what could be redone
    assert not drawing.can_redo() and len(drawing.strokes()) == 2


def test_an_opened_image_replaces_the_strokes_and_is_one_undo_step():
    drawing = Drawing()
    changes = observed(drawing)
    draw(drawing, (0, 0), (1, 1))
    strokes = drawing.strokes()
    image = OpenedImage(np.zeros((32, 32), np.float32), "scan.png")
    drawing.open_image(image)
    assert drawing.image is image and drawing.is_empty() and changes[-1] is Change.EDITED
    drawing.undo()
    assert drawing.image is None and drawing.strokes() == strokes
    drawing.redo()
    assert drawing.image is image


def test_drawing_over_an_image_removes_it_at_once_and_undo_brings_it_back():
    drawing = Drawing()
    image = OpenedImage(np.zeros((32, 32), np.float32), "scan.png")
    drawing.open_image(image)
    drawing.begin_stroke((3, 3))
    assert drawing.image is None  # no longer the network's input while the pen is down
    drawing.extend_stroke((4, 4))
    drawing.finish_stroke()
    assert drawing.strokes() == [[(3.0, 3.0), (4.0, 4.0)]]
    drawing.undo()  # one step: the stroke and the image's removal together
    assert drawing.image is image and drawing.is_empty()


def test_clearing_an_image_is_an_edit_but_clearing_nothing_is_not():
    drawing = Drawing()
    changes = observed(drawing)
    drawing.clear()
    assert changes == [] and not drawing.can_undo()
    drawing.open_image(OpenedImage(np.zeros((32, 32), np.float32), "x"))
    drawing.clear()
    assert drawing.image is None and changes == [Change.EDITED, Change.EDITED]


def test_the_pen_width_is_kept_in_range_and_notified_when_it_changes():
    drawing = Drawing()
    changes = observed(drawing)
    drawing.set_pen_width(1000)
    assert drawing.pen_width == MAX_PEN_WIDTH
    drawing.set_pen_width(MAX_PEN_WIDTH)  # unchanged: no notification
    drawing.set_pen_width(0)
    assert drawing.pen_width == MIN_PEN_WIDTH
    assert changes == [Change.PEN, Change.PEN]


def test_observers_are_called_in_order_and_can_unsubscribe():
    drawing = Drawing()
    calls = []
    first, second = (lambda change: calls.append(("first", change))), (lambda change: calls.append(("second", change)))
    drawing.subscribe(first)
    drawing.subscribe(second)
    drawing.add_stroke([(0, 0)])
    drawing.unsubscribe(first)
    drawing.clear()
    assert calls == [("first", Change.EDITED), ("second", Change.EDITED), ("second", Change.EDITED)]
