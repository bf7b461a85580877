"""The `digitpad` command: the GUI with no arguments, else recognize / evaluate / train / fetch-data /
samples / export.

People read this output, so errors are one clear line on stderr and a non-zero exit, never a
traceback. Heavy imports (torch, Qt) happen inside the subcommands that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from pathlib import Path

from digitpad import __version__

EXIT_USAGE = 2
EXIT_FAILURE = 1


_DEFAULT_PEN = Path("\0default")  # --strokes-data without a FILE: found through digitpad.storage.paths


class CliError(Exception):
    """An error to print as one line and exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


def _load_recognizer(weights: Path | None, device_name: str | None):
    from digitpad.network.lenet5 import pick_device
    from digitpad.reading.recognition import Recognizer
    from digitpad.storage.checkpoints import WeightsError, load_model

    try:
        device = pick_device(device_name)
        model, _ = load_model(weights, device)
    except (ValueError, RuntimeError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except WeightsError as exc:
        raise CliError(str(exc)) from exc
    return Recognizer(model, device)


def shown(name: str) -> str:
    """A file name as one line of output: control characters (a newline in a name would split the
    result line in two) written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(name))


class NonFiniteOutput(ValueError):
    """The network gave NaN or infinite penalties: no digit can be named."""


def _print_result(result, label: str, as_json: bool) -> None:
    penalties = result.penalties
    if not (all(math.isfinite(float(p)) for p in penalties) and math.isfinite(float(result.rubbish))):
        raise NonFiniteOutput("the network's output is not finite (NaN or infinite penalties); no digit to report")
    if as_json:
        print(json.dumps(result.to_json(), allow_nan=False), flush=True)
        return
    verdict = str(result.digit) if result.reason is None and not result.unsure else result.explanation()
    print(f"{label}: {verdict} (digit {result.digit}, penalty {penalties[result.digit]:.2f}; "
          f"runner-up {result.runner_up}, penalty {penalties[result.runner_up]:.2f}; "
          f"rubbish {result.rubbish:.3f})", flush=True)


def _print_reading(reading, label: str, as_json: bool) -> None:
    """A whole number (--string): the digits, then how sure."""
    if as_json:
        print(json.dumps(reading.to_json(), allow_nan=False), flush=True)
        return
    print(f"{label}: {reading.describe()}", flush=True)


def _print_failure(label: str, message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message}), flush=True)
    print(f"error: {label}: {message}" if not message.startswith(label) else f"error: {message}", file=sys.stderr)


def parse_strokes_record(record) -> list[list[tuple[float, float]]]:
    """A decoded JSON Lines record → a list of strokes, each a list of (x, y) floats; ValueError if malformed."""
    if not isinstance(record, dict) or "strokes" not in record:
        raise ValueError('expected an object like {"strokes": [[[x, y], ...], ...]}')
    strokes = record["strokes"]
    if not isinstance(strokes, list):
        raise ValueError('"strokes" must be a list of strokes')
    parsed = []
    for s, stroke in enumerate(strokes):
        if not isinstance(stroke, list):
            raise ValueError(f"stroke {s} must be a list of [x, y] points")
        points = []
        for p, point in enumerate(stroke):
            try:
                if (not isinstance(point, list) or len(point) != 2
                        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
                    raise ValueError
                points.append((float(point[0]), float(point[1])))
            except (ValueError, OverflowError):  # OverflowError: an integer too large for a float
                raise ValueError(f"stroke {s}, point {p}: expected [x, y] numbers, got "
                                 f"{_preview(point)}") from None
        parsed.append(points)
    return parsed


def parse_canvas(record) -> tuple[float, float] | None:
    """A record's optional "canvas": [width, height] (how big the canvas was, for "too small")."""
    canvas = record.get("canvas") if isinstance(record, dict) else None
    if canvas is None:
        return None
    try:
        if (not isinstance(canvas, list) or len(canvas) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in canvas)):
            raise ValueError
        width, height = float(canvas[0]), float(canvas[1])
    except (ValueError, OverflowError):
        raise ValueError('"canvas" must be [width, height], two positive numbers') from None
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise ValueError('"canvas" must be [width, height], two positive numbers')
    return width, height


def _preview(value) -> str:
    try:
        return json.dumps(value)[:40]
    except (ValueError, RecursionError):
        return type(value).__name__


def parse_strokes_line(line: str | bytes) -> list[list[tuple[float, float]]]:
    """One JSON Lines record → a list of strokes, each a list of (x, y) floats; ValueError if malformed."""
    return parse_drawing_line(line)[0]


def parse_drawing_line(line: str | bytes) -> tuple[list[list[tuple[float, float]]], tuple[float, float] | None]:
    """One JSON Lines record → (its strokes, its "canvas" size or None); ValueError if malformed."""
    from digitpad.storage.jsonlines import decode_line

    record = decode_line(line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line)
    return parse_strokes_record(record), parse_canvas(record)


def _strokes_source(path: Path):
    """The binary stream to read drawings from ('-': standard input)."""
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise CliError(f"{shown(path)}: cannot read: {exc.strerror or exc}") from exc


def cmd_recognize(args: argparse.Namespace) -> int:
    if not args.images and not args.strokes:
        raise CliError("recognize: give one or more IMAGE files or --strokes FILE", EXIT_USAGE)
    from digitpad.storage.jsonlines import LineTooLong, StreamError, is_blank, iter_lines
    from digitpad.ink.preprocess import EmptyDrawing, ImageError

    recognizer = _load_recognizer(args.weights, args.device)
    read_image, show, reader = recognizer.recognize_image, _print_result, None
    if args.string:  # whole numbers: segmentation by recognition
        from digitpad.reading.number_reading import NumberReader

        reader = NumberReader(recognizer.model, recognizer.device)
        read_image, show = reader.read_image, _print_reading
    failures = 0
    for image in args.images:
        label = shown(image)
        try:
            show(read_image(Path(image)), label, args.json)
        except EmptyDrawing:
            failures += 1
            _print_failure(label, "blank image: nothing to recognise", args.json)
        except ValueError as exc:  # ImageError, NonFiniteOutput
            failures += 1
            _print_failure(label, shown(str(exc)) if isinstance(exc, ImageError) else str(exc), args.json)
    if args.strokes:
        with _strokes_source(args.strokes) as stream:
            try:
                for number, raw in iter_lines(stream):
                    if is_blank(raw):
                        continue
                    label = f"{shown(args.strokes)}:{number}"
                    try:
                        strokes, canvas = parse_drawing_line(raw)
                        show(reader.read_strokes(strokes, canvas_size=canvas) if reader else
                             recognizer.recognize_strokes(strokes, canvas_size=canvas), label, args.json)
                    except EmptyDrawing:
                        failures += 1
                        _print_failure(label, "empty drawing: no strokes with finite points", args.json)
                    except ValueError as exc:
                        failures += 1
                        _print_failure(label, str(exc), args.json)
            except LineTooLong as exc:
                failures += 1
                _print_failure(shown(args.strokes), str(exc), args.json)
            except StreamError as exc:
                raise CliError(f"{shown(args.strokes)}: {exc}") from exc
    return EXIT_FAILURE if failures else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.strokes_data is not None:
        return _evaluate_pen_strokes(args)
    import torch

    from digitpad.storage.mnist import DataError
    from digitpad.training.datasets import mnist_dataset
    from digitpad.storage.paths import default_mnist_dir
    from digitpad.training.loop import evaluate

    recognizer = _load_recognizer(args.weights, args.device)
    data_dir = args.data or default_mnist_dir()
    try:
        test_set = mnist_dataset(data_dir, "test").to(recognizer.device)
    except DataError as exc:
        raise CliError(str(exc)) from exc
    errors, predictions = evaluate(recognizer.model, test_set)
    total = len(test_set)
    if args.json:
        print(json.dumps({"errors": errors, "total": total, "error_rate": errors / total}))
        return 0
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    confusion.index_put_((test_set.labels.cpu(), predictions.cpu()), torch.ones(total, dtype=torch.int64),
                         accumulate=True)
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + "".join(f"{d:>6}" for d in range(10)))
    for d in range(10):
        print(f"{d:>6}" + "".join(f"{int(v):>6}" for v in confusion[d]))
    print(f"test error: {100 * errors / total:.2f}% ({errors}/{total})")
    return 0


def _evaluate_pen_strokes(args: argparse.Namespace) -> int:
    """`evaluate --strokes-data`: real pen digits read as drawings, writer by writer."""
    from digitpad.errors import DataError
    from digitpad.storage.paths import PENDIGITS_ENV, default_pendigits_file
    from digitpad.storage.pendigits import read_pendigits
    from digitpad.training.pen_evaluation import format_report, score_pen_digits
    from digitpad.training.pen_split import split_by_writer

    path = args.strokes_data if args.strokes_data != _DEFAULT_PEN else default_pendigits_file()
    if path is None:
        raise CliError(f"no pen-digits file: give --strokes-data FILE or set {PENDIGITS_ENV}", EXIT_USAGE)
    recognizer = _load_recognizer(args.weights, args.device)
    try:
        digits = read_pendigits(path)
    except DataError as exc:
        raise CliError(shown(str(exc))) from exc
    training, held_out = split_by_writer(digits)
    chosen = {"held-out": held_out, "training": training, "all": digits}[args.writers]
    report = score_pen_digits(recognizer.model, chosen, recognizer.device)
    if args.json:
        print(json.dumps({"file": str(path), "writers_group": args.writers, **report.to_json()}))
        return 0
    title = f"{shown(path)}: {len(chosen):,} digits by the {args.writers} writers, read as drawings"
    print("\n".join(format_report(report, title)))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from digitpad.cli.train import run_training

    return run_training(args)


def cmd_fetch_data(args: argparse.Namespace) -> int:
    from digitpad.storage.mnist import DEFAULT_MIRROR, DataError, fetch_mnist
    from digitpad.storage.paths import user_data_dir

    dest = args.dest or user_data_dir() / "mnist"

    def progress(name: str, done: int, total: int | None) -> None:
        size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        sys.stderr.write(f"\r{name}: {size}   ")
        sys.stderr.flush()

    try:
        paths = fetch_mnist(dest, base_url=args.mirror or DEFAULT_MIRROR, progress=progress)
    except DataError as exc:
        sys.stderr.write("\n")
        raise CliError(str(exc)) from exc
    sys.stderr.write("\n")
    print(f"MNIST is in {dest} ({len(paths)} files, checksums verified)")
    return 0


def _samples_store(path: Path | None):
    from digitpad.storage.samples import SampleError, SampleStore

    try:
        store = SampleStore(path)
    except SampleError as exc:
        raise CliError(str(exc)) from exc
    for problem in store.problems:
        print(f"warning: {store.path}: {problem}", file=sys.stderr)
    return store


def cmd_samples(args: argparse.Namespace) -> int:
    from digitpad.storage.samples import SampleError

    store = _samples_store(args.file)
    try:
        if args.action == "list":
            samples = store.samples()
            if args.json:
                print(json.dumps({"file": str(store.path), "counts": store.counts(),
                                  "samples": [{"label": s.label, "created": s.created, "strokes": len(s.strokes)}
                                              for s in samples], "problems": store.problems}))
                return 0
            for index, sample in enumerate(samples):
                print(f"{index:>4}  {sample.label}  {sample.created or '-':<25}  {len(sample.strokes)} stroke(s)")
            counts = ", ".join(f"{d}: {n}" for d, n in enumerate(store.counts()) if n)
            print(f"{len(samples)} sample(s) in {store.path}" + (f" ({counts})" if counts else ""))
        elif args.action == "export":
            count = store.export_file(args.path)
            print(f"wrote {count} sample(s) to {args.path}")
        else:
            added, problems = store.import_file(args.path)
            for problem in problems:
                print(f"warning: {args.path}: {problem} (skipped)", file=sys.stderr)
            print(f"imported {added} new sample(s) into {store.path} ({len(store)} in all)")
    except SampleError as exc:
        raise CliError(str(exc)) from exc
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from digitpad.storage.onnx_export import ExportError, export_onnx
    from digitpad.storage.safe_files import check_output_path
    from digitpad.storage.checkpoints import WeightsError, load_model

    try:
        check_output_path(args.onnx)
    except OSError as exc:
        raise CliError(f"{args.onnx}: cannot write there: {exc.strerror or exc}") from exc
    try:
        model, checkpoint = load_model(args.weights)
        export_onnx(model, args.onnx)
    except (WeightsError, ExportError) as exc:
        raise CliError(str(exc)) from exc
    print(f"wrote {args.onnx} (ONNX, input 'input' N×1×32×32, output 'penalties' N×10) from {checkpoint.describe()}")
    return 0


def _no_display_reason() -> str | None:
    """Why Qt could not show a window here, before Qt aborts the process trying."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display to show the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
                "use the recognize/evaluate/train commands, or set QT_QPA_PLATFORM=offscreen")
    return None


def cmd_gui(args: argparse.Namespace) -> int:
    reason = _no_display_reason()
    if reason:
        raise CliError(f"the desktop app cannot start: {reason}")
    try:
        from digitpad.gui.app import run_gui
    except ImportError as exc:
        raise CliError(f"the desktop app cannot start: {exc}") from exc
    return run_gui([sys.argv[0]])


def build_parser() -> argparse.ArgumentParser:
    # Nothing here may import torch (or numpy): `--help`, `--version` and argument errors are
    # answered from this parser alone, at once.
    from digitpad.cli.train import add_training_arguments

    parser = argparse.ArgumentParser(
        prog="digitpad", description="Draw a digit and watch a faithful LeNet-5 recognise it. "
                                     "With no command, starts the desktop app.")
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="start the desktop app (the default)")
    gui.set_defaults(run=cmd_gui)

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
    recognize.add_argument("--weights", type=Path, help="checkpoint to use (default: the shipped weights)")
    recognize.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    recognize.set_defaults(run=cmd_recognize)

    evaluate = commands.add_parser("evaluate", help="test error and confusion matrix on the MNIST test set")
    evaluate.add_argument("--data", type=Path, help="folder with the MNIST IDX files")
    evaluate.add_argument("--weights", type=Path, help="checkpoint to evaluate (default: the shipped weights)")
    evaluate.add_argument("--device", help="cpu, cuda or cuda:N")
    evaluate.add_argument("--json", action="store_true", help='print {"errors", "total", "error_rate"}')
    evaluate.add_argument("--strokes-data", nargs="?", const=_DEFAULT_PEN, type=Path, metavar="FILE",
                          help="evaluate on real pen strokes instead (the pen-digits file; without FILE: "
                               "$DIGITPAD_PENDIGITS or ../shared/data/pendigits), writer by writer")
    evaluate.add_argument("--writers", choices=("held-out", "training", "all"), default="held-out",
                          help="with --strokes-data: which writers (default: those held out from training)")
    evaluate.set_defaults(run=cmd_evaluate)

    train = commands.add_parser("train", help="train LeNet-5 on MNIST (same as train.py)")
    add_training_arguments(train)
    train.set_defaults(run=cmd_train)

    fetch = commands.add_parser("fetch-data", help="download MNIST into the user data directory")
    fetch.add_argument("--dest", type=Path, help="target folder (default: <user data>/mnist)")
    fetch.add_argument("--mirror", default=None, help="base URL of an MNIST mirror (default: "
                       "a copy of the original files on Google Cloud Storage)")
    fetch.set_defaults(run=cmd_fetch_data)

    samples = commands.add_parser("samples", help="list, export or import your own labelled drawings",
                                  description="Your samples live in <user data>/samples.jsonl, one JSON object "
                                              'per line: {"label": 7, "strokes": [[[x, y], ...]], "created": …}.')
    samples_actions = samples.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = samples_actions.add_parser("list", help="one line per sample, then the counts per digit")
    listing.add_argument("--json", action="store_true", help="one JSON object with counts and samples")
    exporting = samples_actions.add_parser("export", help="copy your samples to a file")
    exporting.add_argument("path", type=Path, metavar="OUT")
    importing = samples_actions.add_parser("import", help="add the samples of a file (duplicates skipped)")
    importing.add_argument("path", type=Path, metavar="IN")
    for sub in (listing, exporting, importing):
        sub.add_argument("--file", type=Path, help="samples file to use (default: <user data>/samples.jsonl)")
    samples.set_defaults(run=cmd_samples)

    export = commands.add_parser("export", help="write the model as ONNX for other programs",
                                 description="Input 'input': float32 N×1×32×32, −0.1 background .. 1.175 ink; "
                                             "output 'penalties': N×10 RBF distances, the digit is the argmin.")
    export.add_argument("--onnx", type=Path, required=True, metavar="FILE", help="ONNX file to write")
    export.add_argument("--weights", type=Path, help="checkpoint to export (default: the shipped weights)")
    export.set_defaults(run=cmd_export)

    from digitpad.cli.explain import add_explain_commands  # explain, sweep: digitpad/cli/explain.py

    add_explain_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv in ([], ["gui"]):
        # The desktop app, without building the parser (a few ms the window need not wait for).
        args = argparse.Namespace(command="gui", run=cmd_gui)
    else:
        args = build_parser().parse_args(argv)
        if args.command is None:
            args.run = cmd_gui
    try:
        code = args.run(args)
        sys.stdout.flush()  # here, where a full disk is one line, not at exit where it is a traceback
        return code
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as exc:  # what no command expects, e.g. writing the output to a full disk (/dev/full)
        _silence_stdout()
        where = shown(exc.filename) if exc.filename else "writing the output"
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's own flush at exit cannot
    fail again and print a traceback (Python's documented recipe for a closed pipe)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
