#!/usr/bin/env python3
"""Reading whole numbers: segmentation by recognition on composed numbers of 2–8 digits.

Sets of numbers, each digit drawn at random:
- real writers, apart / overlapping / touching: numbers of 2–8 digits composed from ONE writer's
  stylus digits of the pen data's held-out writers (training.pen_split; benchmarks/pen_numbers.py:
  a common baseline that wobbles, gaps of 8–40 % of the height, boxes overlapping by up to 15 %,
  or ink slid until it touches); skipped, saying so, when the pen data is not found
  ($DIGITPAD_PENDIGITS or ../shared/data/pendigits/);
- MNIST, apart: MNIST digits (tight crops) side by side with 1–8 px between their ink;
- MNIST, touching: at least one pair (each pair with probability ½) pushed together by 0–3 px
  (up to 15 % of the height, as for the drawings) so that their ink touches or overlaps (read
  from the image: one component to cut);
- drawings, apart / touching: mouse-style drawings of 2–6 digits (benchmarks/mouse_digits.py);
  touching pairs overlap by 0–15 % of the height; joined: one pair written in one stroke;
- drawings, multi-stroke / retraced / delayed (apart): the pen lifted inside digits and the
  separate-bar styles, a stroke gone over twice, a 4's, 5's, 7's bar or 9's stem drawn after the
  next digit (mouse_digits.WRITING).

And wide marks made in one stroke that are not numbers (wavy lines, zigzags, scribbles, cursive
loops, long lines; mouse_digits.draw_non_number), drawn and as scans: how many are read as a
number with confidence (they should be refused as "not a number", or at least be unsure).

Honest numbers: the network was trained on MNIST's training images and (issue 20) the training
writers' pen digits, so the sets come from MNIST's test images and the held-out writers; the
seeds split them: `--split validation` composes from test images 0–4999 and seed 1000 (the
reading settings are chosen there), `--split test` (the default) from test images 5000–9999 and
seed 1.

Prints, per set, the share of numbers read exactly, of digits in place (the digit at each place
read right) and right (1 − edit distance / length), how many were refused (not a number, too
small), how often a wrong reading was flagged unsure, and the median time per number with its
ratio to one single-digit recognition measured in the same run; the median time to read a
6-digit real writer's number; and, for comparison, how often the paper's space-displacement view
(LeNet-5 swept along the number, digitpad.reading.space_displacement) reads the number exactly.

    python benchmarks/strings.py [--split validation|test] [--numbers 200] [--weights FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import torch
from mouse_digits import NON_NUMBERS, draw_non_number, draw_number
from pen_numbers import by_writer, compose_number

from digitpad.storage.mnist import MnistSplit, load_mnist
from digitpad.reading.number_reading import (
    IMAGE_READING,
    STROKE_READING,
    NumberReader,
    ReadingConfig,
)
from digitpad.paths import default_mnist_dir, default_pendigits_file
from digitpad.storage.pendigits import read_pendigits
from digitpad.training.pen_split import split_by_writer
from digitpad.ink.images import image_ink
from digitpad.reading.recognition import Recognizer
from digitpad.reading.space_displacement import image_strip, slide, strokes_strip
from digitpad.storage.checkpoints import load_model


def mnist_half(test: MnistSplit, split: str) -> MnistSplit:
    """Test images 0–4999 for validation, 5000–9999 for the report."""
    half = slice(0, 5000) if split == "validation" else slice(5000, 10000)
    return MnistSplit(test.images[half], test.labels[half], test.checksum)


def random_digits(rng: random.Random) -> list[int]:
    return [rng.randrange(10) for _ in range(rng.randint(2, 6))]


def touching_pairs(rng: random.Random, pairs: int, touching: bool) -> list[bool]:
    if not touching:
        return [False] * pairs
    chosen = [rng.random() < 0.5 for _ in range(pairs)]
    if not any(chosen):
        chosen[rng.randrange(pairs)] = True
    return chosen


def mnist_number(digits: list[int], rng: random.Random, by_class: list[np.ndarray], images: np.ndarray,
                 touching: bool) -> Image.Image:
    """Dark digits on white paper, tight ink crops placed left to right."""
    crops = []
    for d in digits:
        image = images[rng.choice(by_class[d])]
        cols = np.flatnonzero(image.max(axis=0) > 0)
        crops.append(image[:, cols[0] : cols[-1] + 1])
    touch = touching_pairs(rng, len(digits) - 1, touching)
    gaps = [-rng.randint(0, 3) if t else rng.randint(1, 8) for t in touch]
    margin = 8
    width = 2 * margin + sum(c.shape[1] for c in crops) + sum(gaps)
    canvas = np.zeros((28 + 2 * margin, width), np.uint8)
    x = margin
    for k, crop in enumerate(crops):
        y = margin + rng.randint(-2, 2)
        region = canvas[y : y + 28, x : x + crop.shape[1]]
        np.maximum(region, crop, out=region)
        x += crop.shape[1] + (gaps[k] if k < len(gaps) else 0)
    return Image.fromarray(255 - canvas, "L")


def drawn_number(digits: list[int], rng: random.Random, mode: str) -> list:
    """apart: gaps of 8–40 % of the height; touching: at least one pair overlapping by 0–15 %;
    joined: one pair written in one stroke (the pen runs on from one digit into the next);
    multi-stroke, retraced, delayed: apart, written that way (mouse_digits.WRITING)."""
    pairs = len(digits) - 1
    touch = touching_pairs(rng, pairs, mode == "touching")
    gaps = [-rng.uniform(0.0, 0.15) if t else rng.uniform(0.08, 0.4) for t in touch]
    join = [False] * pairs
    if mode == "joined":
        join[rng.randrange(pairs)] = True
    writing = mode if mode in ("multi-stroke", "retraced", "delayed") else "plain"
    return draw_number(digits, rng, gaps, join, writing=writing)


#: (name, source, mode) of the sets measured.
SETS = (("real writers, apart", "pen", "apart"), ("real writers, overlapping", "pen", "overlapping"),
        ("real writers, touching", "pen", "touching"),
        ("MNIST, apart", "mnist", "apart"), ("MNIST, touching", "mnist", "touching"),
        ("drawings, apart", "drawings", "apart"), ("drawings, touching", "drawings", "touching"),
        ("drawings, joined", "drawings", "joined"), ("drawings, multi-stroke", "drawings", "multi-stroke"),
        ("drawings, retraced", "drawings", "retraced"), ("drawings, delayed", "drawings", "delayed"))


def held_out_writers() -> dict[int, list[list]] | None:
    """The pen data's held-out writers' digits (pen_numbers.by_writer), None when not found."""
    path = default_pendigits_file()
    if path is None or not path.is_file():
        return None
    return by_writer(split_by_writer(read_pendigits(path))[1])


def make_number(source: str, mode: str, rng: random.Random, mnist, writers) -> tuple[list[int], Image.Image | list]:
    """The digits and an image (MNIST) or strokes (drawings, real writers) of a number."""
    if source == "pen":
        digits = [rng.randrange(10) for _ in range(rng.randint(2, 8))]
        return digits, compose_number(digits, writers[rng.choice(sorted(writers))], rng, mode)[0]
    digits = random_digits(rng)
    if source == "mnist":
        by_class = [np.flatnonzero(mnist.labels == d) for d in range(10)]
        return digits, mnist_number(digits, rng, by_class, mnist.images, mode == "touching")
    return digits, drawn_number(digits, rng, mode)


def six_digit_time(reader: NumberReader, writers, seed: int, count: int = 60) -> float:
    """Median seconds to read a 6-digit number by one real writer (overlapping boxes)."""
    rng = random.Random(f"{seed}-six digits")
    times = []
    for _ in range(count):
        digits = [rng.randrange(10) for _ in range(6)]
        strokes = compose_number(digits, writers[rng.choice(sorted(writers))], rng, "overlapping")[0]
        started = time.perf_counter()
        reader.read_strokes(strokes)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def digits_right(truth: str, read: str) -> int:
    """len(truth) − edit distance (substitutions, insertions, deletions), at least 0."""
    previous = list(range(len(read) + 1))
    for i, t in enumerate(truth, 1):
        current = [i]
        for j, r in enumerate(read, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (t != r)))
        previous = current
    return max(0, len(truth) - previous[-1])


def ink_image(strokes: list, rng: random.Random) -> Image.Image:
    """Strokes as a scan: dark ink 10–20 px wide on white paper."""
    points = np.concatenate([np.asarray(s) for s in strokes])
    pen = rng.randint(10, 20)
    origin = points.min(axis=0) - 20
    image = Image.new("L", tuple((points.max(axis=0) - origin + 20).astype(int)), 255)
    pencil = ImageDraw.Draw(image)
    for stroke in strokes:
        pencil.line([tuple(p) for p in (np.asarray(stroke) - origin).tolist()], fill=0, width=pen, joint="curve")
    return image


def measure_non_numbers(reader: NumberReader, seed: int, per_kind: int) -> None:
    """Wide marks in one stroke that are not numbers (mouse_digits.draw_non_number), drawn and
    scanned: how many come out as a number read with confidence (the failure), unsure, or refused
    (not a number, or too many marks to be one)."""
    rng = random.Random(f"{seed}-not numbers")
    for medium in ("drawn", "scanned"):
        counts = {kind: [0, 0, 0] for kind in NON_NUMBERS}  # confident, unsure, refused
        for _ in range(per_kind):
            for kind in NON_NUMBERS:
                strokes = draw_non_number(kind, rng)
                try:
                    scan = ink_image(strokes, rng) if medium == "scanned" else None
                    reading = reader.read_strokes(strokes) if scan is None else reader.read_image(scan)
                except ValueError:
                    counts[kind][2] += 1
                    continue
                counts[kind][2 if reading.reason else 1 if reading.unsure else 0] += 1
        total = [sum(c[i] for c in counts.values()) for i in range(3)]
        detail = ", ".join(f"{kind} {c[0]}/{c[1]}/{c[2]}" for kind, c in counts.items())
        print(f"non-numbers, {medium:<8} read as a number {total[0]}, unsure {total[1]}, refused {total[2]} "
              f"of {sum(total)}   ({detail}: number/unsure/refused)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("validation", "test"), default="test")
    parser.add_argument("--numbers", type=int, default=200, help="numbers per set")
    parser.add_argument("--weights", type=Path, help="checkpoint (default: the shipped weights)")
    parser.add_argument("--data", type=Path, default=None, help="MNIST folder")
    parser.add_argument("--stroke-config", metavar="B,W,O,C", help="tuning: ReadingConfig piece_bonus, "
                        "width_weight, overlap_weight, cut_weight for drawings (on the validation split)")
    parser.add_argument("--image-config", metavar="B,W,O,C", help="the same for images")
    parser.add_argument("--unsure-margin", type=float, help="tuning (default: the reader's)")
    parser.add_argument("--max-digit-cost", type=float, help="tuning (default: the reader's)")
    parser.add_argument("--max-pieces-of-one-stroke", type=int, help="tuning (default: the reader's)")
    parser.add_argument("--non-numbers", type=int, default=None,
                        help="wide non-numbers per kind, drawn and as images (default: numbers / 5)")
    parser.add_argument("--show-errors", type=int, default=0, help="print this many wrong readings per set")
    args = parser.parse_args()
    torch.set_num_threads(1)

    model, checkpoint = load_model(args.weights)
    def config(given: str | None, default: ReadingConfig) -> ReadingConfig:
        weights = dict(zip(("piece_bonus", "width_weight", "overlap_weight", "cut_weight"),
                           map(float, given.split(",")))) if given else {}
        given_levels = {"unsure_margin": args.unsure_margin, "max_digit_cost": args.max_digit_cost,
                        "max_pieces_of_one_stroke": args.max_pieces_of_one_stroke}
        return dataclasses.replace(default, **weights, **{k: v for k, v in given_levels.items() if v is not None})

    reader = NumberReader(model, stroke_config=config(args.stroke_config, STROKE_READING),
                          image_config=config(args.image_config, IMAGE_READING))
    recognizer = Recognizer(model)
    mnist = mnist_half(load_mnist(args.data or default_mnist_dir(), "test"), args.split)
    seed = 1000 if args.split == "validation" else 1
    images = "0–4999" if seed == 1000 else "5000–9999"
    print(f"weights: {checkpoint.describe()}; split: {args.split} (MNIST test images {images}, "
          f"drawing seed {seed}); {args.numbers} numbers per set")

    writers = held_out_writers()
    if writers is None:
        print("real writers' sets skipped: no pen data (set DIGITPAD_PENDIGITS to pendigits-orig-train.gz)")
    single_times = []
    for name, source, mode in SETS:
        if source == "pen" and writers is None:
            continue
        rng = random.Random(f"{seed}-{name}")
        exact = right = in_place = total = refused = unsure_wrong = wrong = unsure_right = swept = 0
        times = []
        shown = 0
        for _ in range(args.numbers):
            digits, number = make_number(source, mode, rng, mnist, writers)
            truth = "".join(map(str, digits))
            started = time.perf_counter()
            reading = reader.read_image(number) if source == "mnist" else reader.read_strokes(number)
            times.append(time.perf_counter() - started)
            strip = image_strip(image_ink(number)) if source == "mnist" else strokes_strip(number)
            swept += slide(model, strip).reading() == truth
            if name == "drawings, apart" and len(single_times) < 200:
                t = time.perf_counter()
                recognizer.recognize_strokes(number[:1])
                single_times.append(time.perf_counter() - t)
            exact += reading.text == truth
            right += digits_right(truth, reading.text)
            in_place += sum(t == r for t, r in zip(truth, reading.text))
            total += len(truth)
            refused += reading.reason is not None
            flagged = reading.unsure or reading.reason is not None
            if reading.text != truth:
                wrong += 1
                unsure_wrong += flagged
                if shown < args.show_errors:
                    shown += 1
                    print(f"    {truth} read {reading.pieces_text} {reading.reason or ''}(runner-up "
                          f"{reading.runner_up}, gap {(reading.runner_up_cost or 0) - reading.cost:.1f})")
            else:
                unsure_right += flagged
        n = args.numbers
        if name == "drawings, apart":
            drawn_times = times
        print(f"{name:<26} exact {100 * exact / n:5.1f} %   digits in place {100 * in_place / total:5.1f} %   "
              f"right {100 * right / total:5.1f} %   refused {refused}   "
              f"unsure or refused: {unsure_wrong}/{wrong} wrong, {unsure_right}/{n - wrong} right   "
              f"median {1000 * statistics.median(times):.1f} ms/number   "
              f"swept network exact {100 * swept / n:.1f} %")
    if writers is not None:
        six = six_digit_time(reader, writers, seed)
        print(f"a 6-digit real writer's number (overlapping): median {1000 * six:.1f} ms to read (one thread)")
    measure_non_numbers(reader, seed, args.non_numbers or max(1, args.numbers // 5))
    single = statistics.median(single_times)
    print(f"one single-digit recognition (baseline, same run): median {1000 * single:.2f} ms; "
          f"a drawn number takes {statistics.median(drawn_times) / single:.1f}× that")


if __name__ == "__main__":
    main()
