"""`digitpad recognize` and `digitpad evaluate`: the network's answer for images and drawings,
and its error on the MNIST test set or on real pen strokes (writer by writer). Importing this
module imports no torch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from digitpad.cli.failures import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, shown
from digitpad.cli.learning import add_mistakes_arguments, cmd_evaluate_mistakes
from digitpad.cli.inputs import add_model_options, drawing_inputs, load_recognizer
from digitpad.cli.output import print_failure, print_reading, print_result
from digitpad.paths import default_mnist_dir
from digitpad.storage.stroke_records import parse_drawing
from digitpad.paths import PENDIGITS_ENV, default_pendigits_file
from digitpad.storage.pendigits import read_pendigits
from digitpad.training.pen_split import split_by_writer

_DEFAULT_PEN = Path("\0default")  # --strokes-data without a FILE: found through digitpad.paths


def add_recognize_commands(commands) -> None:
    """Register `recognize` and `evaluate` on the `digitpad` command's subparsers."""
    recognize = commands.add_parser("recognize", help="recognise digits in image files or stroke drawings",
                                    description="Print, per input, the digit, its penalty and the runner-up, "
                                                "or why there is none: not a digit, not sure, too small.")
    recognize.add_argument("images", nargs="*", metavar="IMAGE", help="image files (PNG, JPEG, BMP, …)")
    recognize.add_argument("--strokes", type=Path, metavar="FILE",
                           help='JSON Lines, one drawing per line: {"strokes": [[[x, y], ...], ...]} '
                                '(canvas pixels, y down), optionally with "canvas": [width, height] for '
                                "the too-small check (default: from (0, 0) to the furthest point); "
                                "'-' reads standard input")
    recognize.add_argument("--string", action="store_true",
                           help="read each input as a whole number of one or more digits (segmentation by "
                                'recognition); with --json: {"text", "digits": [{"digit", "penalty", "box", '
                                '"strokes"}, …], "cost", "unsure"}')
    recognize.add_argument("--json", action="store_true", help="one JSON object per input, in order")
    add_model_options(recognize)
    recognize.set_defaults(run=cmd_recognize)

    evaluate = commands.add_parser("evaluate", help="test error and confusion matrix on the MNIST test set")
    evaluate.add_argument("--data", type=Path, help="folder with the MNIST IDX files")
    add_model_options(evaluate, "evaluate")
    evaluate.add_argument("--json", action="store_true", help='print {"errors", "total", "error_rate"}')
    evaluate.add_argument("--strokes-data", nargs="?", const=_DEFAULT_PEN, type=Path, metavar="FILE",
                          help="evaluate on real pen strokes instead, read as drawings (the pen-digits file; "
                               "without FILE: $DIGITPAD_PENDIGITS or ../shared/data/pendigits), writer by writer")
    evaluate.add_argument("--writers", choices=("held-out", "training", "all"), default="held-out",
                          help="with --strokes-data: which writers (default: those held out from training)")
    add_mistakes_arguments(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)


def cmd_recognize(args: argparse.Namespace) -> int:
    if not args.images and not args.strokes:
        raise CliError("recognize: give one or more IMAGE files or --strokes FILE", EXIT_USAGE)
    # numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.ink.normalise import EmptyDrawing
    from digitpad.ink.images import ImageError

    recognizer = load_recognizer(args.weights, args.device)
    read_image, show, reader = recognizer.recognize_image, print_result, None
    if args.string:  # whole numbers: segmentation by recognition
        from digitpad.reading.number_reading import NumberReader

        reader = NumberReader(recognizer.model, recognizer.device)
        read_image, show = reader.read_image, print_reading
    failures = 0
    for image in args.images:
        label = shown(image)
        try:
            show(read_image(Path(image)), label, args.json)
        except EmptyDrawing:
            failures += 1
            print_failure(label, "blank image: nothing to recognise", args.json)
        except ValueError as exc:  # ImageError, NonFiniteOutput
            failures += 1
            print_failure(label, shown(str(exc)) if isinstance(exc, ImageError) else str(exc), args.json)
    for label, line in drawing_inputs(args.strokes) if args.strokes else ():
        try:
            if isinstance(line, Exception):
                raise line
            strokes, canvas = parse_drawing(line)
            show(reader.read_strokes(strokes, canvas_size=canvas) if reader else
                 recognizer.recognize_strokes(strokes, canvas_size=canvas), label, args.json)
        except EmptyDrawing:
            failures += 1
            print_failure(label, "empty drawing: no strokes with finite points", args.json)
        except ValueError as exc:
            failures += 1
            print_failure(label, str(exc), args.json)
    return EXIT_FAILURE if failures else EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.mistakes is not None:
        return cmd_evaluate_mistakes(args, _DEFAULT_PEN)
    if args.strokes_data is not None:
        return _evaluate_pen_strokes(args)
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    import torch

    from digitpad.training.datasets import mnist_dataset
    from digitpad.training.loop import evaluate

    recognizer = load_recognizer(args.weights, args.device)
    test_set = mnist_dataset(args.data or default_mnist_dir(), "test").to(recognizer.device)
    errors, predictions = evaluate(recognizer.model, test_set)
    total = len(test_set)
    if args.json:
        print(json.dumps({"errors": errors, "total": total, "error_rate": errors / total}))
        return EXIT_OK
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    confusion.index_put_((test_set.labels.cpu(), predictions.cpu()), torch.ones(total, dtype=torch.int64),
                         accumulate=True)
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + "".join(f"{d:>6}" for d in range(10)))
    for d in range(10):
        print(f"{d:>6}" + "".join(f"{int(v):>6}" for v in confusion[d]))
    print(f"test error: {100 * errors / total:.2f}% ({errors}/{total})")
    return EXIT_OK


def _evaluate_pen_strokes(args: argparse.Namespace) -> int:
    """`evaluate --strokes-data`: real pen digits read as drawings, writer by writer."""
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.training.pen_evaluation import format_report, score_pen_digits

    path = args.strokes_data if args.strokes_data != _DEFAULT_PEN else default_pendigits_file()
    if path is None:
        raise CliError(f"no pen-digits file: give --strokes-data FILE or set {PENDIGITS_ENV}", EXIT_USAGE)
    recognizer = load_recognizer(args.weights, args.device)
    digits = read_pendigits(path)
    training, held_out = split_by_writer(digits)
    chosen = {"held-out": held_out, "training": training, "all": digits}[args.writers]
    report = score_pen_digits(recognizer.model, chosen, recognizer.device)
    if args.json:
        print(json.dumps({"file": str(path), "writers_group": args.writers, **report.to_json()}))
        return EXIT_OK
    title = f"{shown(path)}: {len(chosen):,} digits by the {args.writers} writers, read as drawings"
    print("\n".join(format_report(report, title)))
    return EXIT_OK
