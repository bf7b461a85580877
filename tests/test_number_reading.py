"""Reading whole numbers: over-segmentation, the graph of pieces, the cheapest path, the CLI."""

import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from drawings import draw
from PIL import Image, ImageDraw

from digitpad.cli.main import main
from digitpad.reading.number_reading import NumberReader, cheapest_paths
from digitpad.ink.strokes import render_strokes
from digitpad.reading.recognition import Recognizer
from digitpad.reading.image_segmentation import _seam, label_components
from digitpad.reading.segmentation import segment_strokes
from digitpad.storage.checkpoints import load_model

SIZE = 200.0


@pytest.fixture(scope="module")
def model(gui_weights):
    return load_model(gui_weights)[0]


@pytest.fixture(scope="module")
def reader(model):
    return NumberReader(model)


def written(digits, gap=40.0, **style):
    """Strokes of `digits` left to right, `gap` px between one digit's box and the next."""
    strokes = []
    x = 20.0
    for digit in digits:
        strokes += draw(digit, size=SIZE, origin=(x, 20.0), **style)
        x += 0.7 * SIZE + gap
    return strokes


def image_of(strokes, scale=1.0, pen=14):
    """Dark ink on white paper, as a scan of the strokes `scale` times as large."""
    image = Image.new("L", (int(900 * scale), int(260 * scale)), 255)
    pencil = ImageDraw.Draw(image)
    for stroke in strokes:
        pencil.line([(x * scale, y * scale) for x, y in stroke], fill=0, width=int(pen * scale), joint="curve")
    return image


def test_separated_digits_are_read_with_their_strokes_and_boxes(reader):
    strokes = written([2, 0, 4, 8])
    reading = reader.read_strokes(strokes)
    assert reading.text == "2048" and not reading.unsure
    assert [p.strokes for p in reading.pieces] == [(0,), (1,), (2, 3), (4,)]  # the 4 has two strokes
    for piece, (first, last) in zip(reading.pieces, [(0, 0), (1, 1), (2, 3), (4, 4)]):
        points = np.concatenate([np.asarray(strokes[i]) for i in range(first, last + 1)])
        assert piece.box == pytest.approx((*points.min(axis=0), *points.max(axis=0)))
    assert reading.runner_up != "2048" and reading.runner_up_cost > reading.cost


def test_overlapping_bounding_boxes_of_slanted_digits(reader):
    strokes = written([1, 7, 4], gap=-25, slant=0.25)
    reading = reader.read_strokes(strokes)
    boxes = [p.box for p in reading.pieces]
    assert reading.text == "174"
    assert any(a[2] > b[0] for a, b in itertools.pairwise(boxes))  # the boxes really overlap


def test_touching_strokes_stay_separate_digits(reader):
    reading = reader.read_strokes(written([4, 7, 0], gap=-30))
    assert reading.text == "470"


def test_digits_written_in_one_stroke_are_cut_apart(reader):
    one, seven = draw(1, size=SIZE, origin=(20, 20)), draw(7, size=SIZE, origin=(100, 20))
    joined = [one[0] + seven[0]]  # the pen runs on from the 1 into the 7
    assert len(segment_strokes(joined).segments) > 1
    reading = reader.read_strokes(joined)
    assert reading.text == "17"
    assert [p.strokes for p in reading.pieces] == [(0,), (0,)]


def test_a_single_digit_in_number_mode_is_read_as_alone(reader, model):
    strokes = draw(7)
    reading = reader.read_strokes(strokes)
    alone = Recognizer(model).recognize_strokes(strokes)
    assert reading.text == "7" and len(reading.pieces) == 1
    np.testing.assert_array_equal(reading.pieces[0].input, render_strokes(strokes))
    np.testing.assert_allclose(reading.pieces[0].penalties, alone.penalties, rtol=1e-4, atol=1e-4)


def test_a_non_digit_among_digits_is_a_rejected_piece(reader):
    triangle = [[(330.0, 20.0), (420.0, 220.0), (300.0, 220.0), (330.0, 20.0)]]
    strokes = draw(2, size=SIZE, origin=(20, 20)) + triangle + draw(7, size=SIZE, origin=(500, 20))
    reading = reader.read_strokes(strokes)
    assert reading.text == "2?7" and reading.unsure
    assert [p.rejected for p in reading.pieces] == [False, True, False]
    assert reading.pieces[1].strokes == (1,)


def test_an_image_is_read_with_boxes_in_its_own_pixels(reader):
    strokes = written([2, 0, 4, 8])
    small, large = reader.read_image(image_of(strokes)), reader.read_image(image_of(strokes, scale=3))
    assert small.text == large.text == "2048"
    first = np.asarray(strokes[0])
    x0, y0 = first.min(axis=0)
    x1, y1 = first.max(axis=0)
    assert small.pieces[0].box == pytest.approx((x0, y0, x1, y1), abs=10)  # the pen adds 7 px a side
    assert large.pieces[0].box == pytest.approx(tuple(3 * v for v in small.pieces[0].box), abs=8)


def test_touching_digits_in_an_image_are_cut(reader):
    image = image_of(written([2, 0, 4, 8], gap=-30))
    reading = reader.read_image(image)
    assert reading.text == "2048"
    assert reading.segmentation.cut_xs  # at least one pair touched and was cut inside a component


def test_labels_follow_8_connectivity():
    mask = np.array([[1, 1, 0, 0, 1],
                     [0, 0, 1, 0, 1],
                     [0, 0, 0, 0, 0],
                     [1, 0, 0, 1, 1]], bool)
    labels, count = label_components(mask)
    assert count == 4  # the diagonal joins the first two runs; the right column is its own
    assert labels[0, 0] == labels[0, 1] == labels[1, 2] != labels[0, 4]
    assert labels[0, 4] == labels[1, 4] and len({labels[3, 0], labels[3, 3], labels[0, 0], labels[0, 4]}) == 4
    assert (labels[~mask] == 0).all()


def test_a_seam_passes_between_touching_strokes():
    ink = np.zeros((10, 12), np.float32)
    ink[:, 3] = ink[:, 8] = 1.0  # two vertical strokes
    ink[4, 3:9] = 1.0  # touching through a bar
    seam = _seam(ink, 5, 2)  # may go from column 3 to 7
    assert ((seam > 3) & (seam < 8)).all()  # never through either stroke; it must cross the bar once


def test_the_runner_up_is_the_cheapest_different_reading():
    # Two segments: as two digits 1,2 (cost 1 + 1) or as one piece read 7 (cost 3) or 4 (cost 2.5).
    spans = [(0, 1), (1, 2), (0, 2)]
    costs = np.full((3, 10), 50.0)
    costs[0, 1] = costs[1, 2] = 1.0
    costs[2, 7], costs[2, 4] = 3.0, 2.5
    paths = cheapest_paths(2, spans, costs)
    readings = ["".join(str(d) for _, d in path) for _, path in paths]
    assert readings[:3] == ["12", "4", "7"]
    assert [cost for cost, _ in paths[:3]] == [2.0, 2.5, 3.0]


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def test_recognize_string_json_format(capsys, tmp_path):
    drawing = tmp_path / "number.jsonl"
    drawing.write_text(json.dumps({"strokes": [[list(p) for p in s] for s in written([3, 1, 5])]}) + "\n")
    scan = tmp_path / "scan.png"
    image_of(written([2, 0, 4, 8])).save(scan)
    code, out, err = run(capsys, "recognize", "--string", "--json", scan, "--strokes", drawing)
    assert code == 0 and err == ""
    from_image, from_strokes = (json.loads(line) for line in out.strip().splitlines())
    for record, text in ((from_image, "2048"), (from_strokes, "315")):
        assert {"text", "digits", "cost", "unsure"} <= set(record)
        assert record["text"] == text and record["unsure"] is False
        assert [d["digit"] for d in record["digits"]] == [int(c) for c in text]
        for d in record["digits"]:
            assert {"digit", "penalty", "box"} <= set(d) and len(d["box"]) == 4 and d["penalty"] >= 0
    assert "strokes" not in from_image["digits"][0]
    assert [d["strokes"] for d in from_strokes["digits"]] == [[0], [1], [2]]
    assert all(0 <= d["box"][0] < d["box"][2] <= 900 for d in from_image["digits"])


def test_recognize_string_prints_one_line_per_input(capsys, tmp_path):
    drawing = tmp_path / "numbers.jsonl"
    lines = [json.dumps({"strokes": [[list(p) for p in s] for s in written(digits)]}) for digits in ([4, 2], [9])]
    drawing.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "recognize", "--string", "--strokes", drawing)
    assert code == 0
    assert [line.split(" (")[0] for line in out.strip().splitlines()] == [f"{drawing}:1: 42", f"{drawing}:2: 9"]


def test_the_swept_network_answers_for_every_window_as_on_that_window_alone(model):
    import torch

    from digitpad.reading.space_displacement import slide, strokes_strip

    strip = strokes_strip(written([2, 0, 4]))
    outputs = slide(model, strip)
    assert strip.shape[0] == 32 and len(outputs.penalties) == (strip.shape[1] - 28) // 4
    for t in (0, len(outputs.penalties) // 2, len(outputs.penalties) - 1):
        window = torch.from_numpy(strip[:, 4 * t : 4 * t + 32].copy())[None, None]
        with torch.no_grad():
            alone = model(window)[0].numpy()
        np.testing.assert_allclose(outputs.penalties[t], alone, rtol=1e-3, atol=1e-3)


def test_the_strip_puts_a_window_centre_near_every_column_of_ink(model):
    from digitpad.ink.normalise import BACKGROUND
    from digitpad.reading.space_displacement import slide, strokes_strip

    for digits in ([1], [1, 7, 1], [4, 0]):  # thin digits first and last: the edge cases
        strip = strokes_strip(written(digits))
        outputs = slide(model, strip)
        ink = np.flatnonzero(strip.max(axis=0) > BACKGROUND + 0.05)
        nearest = np.abs(ink[:, None] + 0.5 - outputs.centres[None, :]).min(axis=1)
        assert nearest.max() <= 2.0, digits
        assert strip.shape[1] == 4 * (len(outputs.penalties) - 1) + 32  # the last window ends at the end


def _swept(windows, j=40.0):
    """SlidingOutputs for a sequence of window answers: a digit (penalty 10 for it, 60 for the
    others) or None (every penalty 60: rubbish)."""
    import torch

    from digitpad.network.lenet5 import rubbish_posterior
    from digitpad.reading.space_displacement import SlidingOutputs

    penalties = np.full((len(windows), 10), 60.0)
    for t, digit in enumerate(windows):
        if digit is not None:
            penalties[t, digit] = 10.0
    rubbish = rubbish_posterior(torch.from_numpy(penalties), j).numpy()
    return SlidingOutputs(np.zeros((32, 28 + 4 * len(windows))), penalties, rubbish, j)


def test_the_swept_reading_collapses_runs_and_drops_flickers():
    x = None  # a rubbish window
    windows = [2, 2, x, 0, 0, 0, x, 1, x, 4, 4, 4, 1, x, 4, 4]
    outputs = _swept(windows)
    assert outputs.confident.tolist() == [w is not None for w in windows]
    # A lone window (a half digit at a window's edge) is not a digit; rubbish separates two 4s.
    assert outputs.reading() == "2044"
    assert _swept([x, x, x]).reading() == ""


def test_the_swept_network_reads_a_plainly_written_number(model):
    from digitpad.reading.space_displacement import slide, strokes_strip

    assert slide(model, strokes_strip(written([7, 9, 0, 1]))).reading() == "7901"


def test_a_page_of_specks_is_refused_in_one_line_not_read(capsys, tmp_path):
    rng = np.random.default_rng(0)
    page = np.full((200, 400), 255, np.uint8)
    for y, x in zip(rng.integers(5, 195, 400), rng.integers(5, 395, 400)):
        page[y - 2 : y + 2, x - 2 : x + 2] = 0  # 400 dots of the same size: no digit among them
    scan = tmp_path / "specks.png"
    Image.fromarray(page).save(scan)
    drawing = tmp_path / "dots.jsonl"
    drawing.write_text(json.dumps({"strokes": [[[float(i * 10), 0.0]] for i in range(200)]}) + "\n")
    code, out, err = run(capsys, "recognize", "--string", scan, "--strokes", drawing)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("too many to read as one number" in line for line in lines)


# ---------------------------------------------------------------------------------------------
# Too small: a click, a speck


CANVAS = (900.0, 440.0)


def test_a_click_a_tremor_or_a_tiny_number_is_too_small_to_read(reader):
    from digitpad.reading.verdict import TOO_SMALL, TOO_SMALL_TEXT

    tiny_number = [[(100 + x / 15, 100 + y / 15) for x, y in stroke] for stroke in written([4, 2])]
    for strokes in ([[(100.0, 100.0)]], [[(100.0, 100.0), (105.0, 103.0), (108.0, 101.0)]], tiny_number):
        reading = reader.read_strokes(strokes, canvas_size=CANVAS)
        assert reading.too_small and reading.reason == TOO_SMALL
        assert reading.text == "" and reading.pieces == [] and not reading.unsure
        assert reading.describe() == TOO_SMALL_TEXT  # the single-digit mode's words
        assert reading.to_json()["reason"] == "too small"
    assert not reader.read_strokes(written([4, 2]), canvas_size=CANVAS).too_small


def test_an_image_of_a_speck_is_too_small_to_read(reader):
    page = np.full((200, 300), 255, np.uint8)
    page[100:103, 150:153] = 0
    reading = reader.read_image(Image.fromarray(page))
    assert reading.too_small and reading.text == "" and reading.pieces == []


def test_a_stray_click_beside_a_number_is_not_a_digit(reader):
    number = written([4, 2])
    right = max(x for stroke in number for x, _ in stroke)
    for click in ([(right + 60.0, 120.0)], [(right + 60.0, 120.0), (right + 63.0, 122.0)], [(5.0, 230.0)]):
        reading = reader.read_strokes(number + [click], canvas_size=CANVAS)
        assert reading.text == "42", click
        assert all(len(number) not in piece.strokes for piece in reading.pieces)  # the click is in no piece


def test_the_swept_view_leaves_a_stray_click_out_as_the_reader_does():
    from digitpad.reading.space_displacement import strokes_strip

    number = written([4, 2])
    np.testing.assert_array_equal(strokes_strip(number + [[(300.0, 400.0)]]), strokes_strip(number))


def test_a_fleck_beside_a_scanned_number_is_not_a_digit(reader):
    scan = image_of(written([4, 2]))
    ImageDraw.Draw(scan).ellipse((520, 130, 526, 136), fill=0)
    reading = reader.read_image(scan)
    assert reading.text == "42" and not reading.too_small


def test_recognize_string_says_too_small_for_a_click(capsys, tmp_path):
    drawing = tmp_path / "click.jsonl"
    drawing.write_text(json.dumps({"strokes": [[[200.0, 200.0]]], "canvas": [440, 440]}) + "\n")
    code, out, err = run(capsys, "recognize", "--string", "--strokes", drawing)
    assert code == 0 and err == "" and out == f"{drawing}:1: Too small — draw bigger\n"
    code, out, _ = run(capsys, "recognize", "--string", "--json", "--strokes", drawing)
    record = json.loads(out)
    assert record["text"] == "" and record["digits"] == [] and record["reason"] == "too small"


# ---------------------------------------------------------------------------------------------
# Not a number: a wide mark in one stroke, cut into slivers


def wavy_line(amplitude, wavelength, width=600.0):
    """One stroke: a sine wave `width` px long, from (40, 120)."""
    n = int(width / 3)
    return [[(40.0 + width * i / n, 120.0 + amplitude * math.sin(2 * math.pi * width * i / n / wavelength))
             for i in range(n + 1)]]


def scribble(seed, width=600.0):
    """One stroke: a random walk with momentum drifting right, a person's scribble."""
    rng = random.Random(seed)
    x, y, heading = 40.0, 120.0, 0.0
    points = [(x, y)]
    while x < 40.0 + width:
        heading += rng.gauss(0.0, 1.2)
        step = rng.uniform(8.0, 30.0)
        x += math.cos(heading) * step + 5.0
        y = min(max(y + math.sin(heading) * step, 30.0), 210.0)
        points.append((float(round(x)), float(round(y))))
    return [points]


def zigzag(tooth, height, width=600.0):
    return [[(40.0 + k * tooth, 60.0 + height * (k % 2)) for k in range(int(width / tooth) + 1)]]


def test_a_gentle_wavy_line_or_a_scribble_is_not_a_number(reader):
    from digitpad.reading.verdict import NOT_A_NUMBER

    for strokes in (wavy_line(30, 100), wavy_line(15, 60), scribble(4), scribble(11)):
        reading = reader.read_strokes(strokes, canvas_size=CANVAS)
        assert reading.reason == NOT_A_NUMBER, reading.describe()
        assert reading.text == "" and reading.pieces  # its pieces are kept, to be shown
        assert reading.describe().startswith("Not a number: its best reading, ")
        assert reading.to_json()["reason"] == "not a number" and reading.to_json()["digits"] == []


def test_slivers_cut_out_of_one_stroke_are_no_confident_number(reader):
    # A steep wavy line and a zigzag are cut into teeth that each pass as a "1": "11111111" at
    # a fair cost per digit. Many pieces, all out of one stroke or ink blot: unsure.
    for reading in (reader.read_strokes(wavy_line(80, 150)), reader.read_strokes(zigzag(80, 120)),
                    reader.read_image(image_of(zigzag(80, 120)))):
        assert reading.reason is not None or reading.unsure, reading.describe()
        assert len(reading.pieces) <= 3 or reading.one_stroke_slivers
        if reading.reason is None and reading.one_stroke_slivers:
            assert "(unsure, every piece is cut out of one stroke; cost" in reading.describe()


def cursive_loops(radius, count, width):
    """One stroke of `count` loops ("eeee") `width` px wide, as benchmarks/mouse_digits draws them."""
    n = 60 * count
    return [[(40.0 + width / count * a / (2 * math.pi) - radius * math.sin(a), 200.0 - radius * (1 - math.cos(a)))
             for a in (2 * math.pi * count * i / n for i in range(n + 1))]]


def test_a_row_of_cursive_loops_is_not_a_number(reader):
    # About 1:6 tall to wide: it was measured by its width as if it were one digit tall, cut into
    # two or three squashed pieces that passed for 7s, and read "77" without doubt (issue 21).
    from digitpad.reading.verdict import NOT_A_NUMBER

    for strokes in (cursive_loops(50, 3, 600), cursive_loops(60, 3, 700), cursive_loops(50, 4, 700)):
        reading = reader.read_strokes(strokes, canvas_size=CANVAS)
        assert reading.reason == NOT_A_NUMBER, reading.describe()


def test_a_flat_drawing_is_measured_by_its_ink_height():
    loops = segment_strokes(cursive_loops(50, 3, 600))
    assert loops.height == pytest.approx(100.0, abs=1.0)
    eight_digits = written([1, 2, 3, 4, 5, 6, 7, 8], gap=0.4 * SIZE)  # as flat as 1:7
    points = np.concatenate([np.asarray(s) for s in eight_digits])
    assert segment_strokes(eight_digits).height == pytest.approx(np.ptp(points[:, 1]))
    line = [[(40.0 + x, 100.0 + 0.01 * x) for x in range(0, 600, 5)]]  # almost no height at all
    assert segment_strokes(line).height == pytest.approx(0.1 * 595, rel=0.01)


def test_a_scanned_scribble_is_not_a_number(reader):
    # Images keep their own level (1.15 j per digit): at the drawings' 1.2 j this scan read
    # "13235" without doubt at 1.17 j per digit.
    from digitpad.reading.verdict import NOT_A_NUMBER

    reading = reader.read_image(image_of(scribble(17), pen=20))
    assert reading.reason == NOT_A_NUMBER, reading.describe()


def test_a_long_row_of_teeth_out_of_one_stroke_is_not_a_number(reader):
    # A wave measured by its real height is cut into teeth that each pass as a "1": more of them
    # than anyone writes without lifting the pen is not a number, whatever they cost.
    from digitpad.reading.verdict import NOT_A_NUMBER

    reading = reader.read_strokes(wavy_line(40, 60), canvas_size=CANVAS)
    assert reading.reason == NOT_A_NUMBER and len(reading.pieces) > 8, reading.describe()
    assert reading.describe().endswith(f"has {len(reading.pieces)} digits: all cut out of one stroke")


def test_numbers_in_separate_strokes_are_no_slivers(reader):
    reading = reader.read_strokes(written([1, 1, 1, 1]), canvas_size=CANVAS)
    assert reading.text == "1111" and reading.reason is None and not reading.one_stroke_slivers


# Strokes that belong together (issue 21): a digit's strokes stay one piece whatever their order.

def unit(points, size=SIZE, origin=(20.0, 20.0), aspect=0.7):
    """A stroke given in a unit box (x right, y down), placed like drawings.draw places digits."""
    ox, oy = origin
    return [(ox + x * aspect * size, oy + y * size) for x, y in points]


def line(*points, steps=20):
    out = [points[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        out += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return out


def test_a_sevens_crossbar_drawn_after_the_next_digit_joins_the_seven(reader):
    seven = unit(line((0.05, 0.02), (1.0, 0.02), (0.4, 1.0)))
    bar = unit(line((0.35, 0.52), (0.95, 0.5)))
    one = draw(1, size=SIZE, origin=(20 + 0.42 * SIZE, 20))  # within the 7's columns, left of its bar's middle
    reading = reader.read_strokes([seven, *one, bar])  # the bar comes last, after the 1
    assert reading.text == "71", reading.describe()
    assert [p.strokes for p in reading.pieces] == [(0, 2), (1,)]


def test_a_two_stroke_four_and_five_overlapping_are_two_digits(reader):
    four = draw(4, size=SIZE, origin=(20, 20))  # its body, then its stem in its right part
    body = unit(line((0.25, 0.02), (0.2, 0.45))) + unit([(0.48 + 0.35 * math.cos(math.radians(a)),
                                                         0.7 + 0.3 * math.sin(math.radians(a)))
                                                        for a in range(-140, 156, 5)])[1:]
    flag = unit(line((0.22, 0.03), (0.85, 0.02)))
    shift = 0.55 * SIZE  # the 5 begins left of the 4's stem
    five = [[(x + shift, y) for x, y in stroke] for stroke in (body, flag)]
    reading = reader.read_strokes([*four, *five])
    assert reading.text == "45", reading.describe()
    assert [p.strokes for p in reading.pieces] == [(0, 1), (2, 3)]


def test_a_retraced_zero_stays_one_digit(reader):
    zero = draw(0, size=SIZE, origin=(20, 20))[0]
    again = [(x + 4.0, y - 3.0) for x, y in zero[::-1]]  # gone over again, a little off
    three = draw(3, size=SIZE, origin=(20 + 0.7 * SIZE + 40, 20))
    for strokes, pieces in (([zero, again, *three], [(0, 1), (2,)]), ([zero + again, *three], [(0,), (1,)])):
        reading = reader.read_strokes(strokes)
        assert reading.text == "03", reading.describe()
        assert [p.strokes for p in reading.pieces] == pieces


def test_two_tall_strokes_side_by_side_are_no_single_digit_but_a_zero_in_two_arcs_is():
    from digitpad.reading.segmentation import segment_strokes

    one, seven = draw(1, size=SIZE, origin=(20, 20)), draw(7, size=SIZE, origin=(20 + 0.4 * SIZE, 20))
    segmentation = segment_strokes(one + seven)
    assert segmentation.apart_strokes(0, 2) == 1
    zero = draw(0, size=SIZE, origin=(20, 20))[0]
    halves = segment_strokes([zero[:21], zero[20:]])  # the pen lifted at the bottom and put down again
    assert halves.apart_strokes(0, 2) == 0


def recorded_numbers():
    """Drawings made by benchmarks/mouse_digits.py's multi-stroke, retraced and delayed styles that
    were misread before strokes were grouped (each record says how)."""
    path = Path(__file__).parent / "data" / "written_numbers.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("record", recorded_numbers(), ids=lambda r: r["writing"])
def test_digits_in_several_retraced_or_delayed_strokes_are_read(reader, record):
    reading = reader.read_strokes(record["strokes"])
    assert reading.text == record["text"], f"{record['why']}: {reading.describe()}"


def test_a_correction_reads_the_number_again_with_that_digit_fixed(reader):
    reading = reader.read_strokes(written([2, 0, 4, 8]))
    assert reading.text == "2048"
    as_three = reading.corrected(0, 3)
    assert as_three.text == "3048" and as_three.pieces[0].fixed and not as_three.pieces[1].fixed
    assert reading.text == "2048"  # the reading corrected is left as it was
    both = as_three.corrected(3, 9)  # a second correction keeps the first
    assert both.text == "3049" and both.scored.fixed == {(0, 1): 3, (4, 5): 9}
    with pytest.raises(ValueError):
        reading.corrected(7, 3)


def test_a_correction_can_change_where_the_number_is_cut(reader):
    one, seven = draw(1, size=SIZE, origin=(20, 20)), draw(7, size=SIZE, origin=(100, 20))
    reading = reader.read_strokes([one[0] + seven[0]])  # "17" in one stroke, cut inside it
    assert reading.text == "17" and len(reading.pieces) == 2
    # A person says the first piece is a 4: it stays that piece, and no other piece takes its ink.
    fixed = reading.corrected(0, 4)
    assert fixed.pieces[0].digit == 4 and (fixed.pieces[0].first, fixed.pieces[0].stop) == (
        reading.pieces[0].first, reading.pieces[0].stop)
    assert all(p.first >= reading.pieces[0].stop for p in fixed.pieces[1:])
