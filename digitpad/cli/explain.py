"""`digitpad explain` and `digitpad sweep`: attribution and invariance sweeps from the command line.

Importing this module imports no torch (so `digitpad --help` stays fast); the handlers import
the torch modules when they run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from digitpad.cli.failures import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, shown
from digitpad.cli.inputs import add_model_options, drawing_inputs, load_recognizer
from digitpad.cli.output import check_output, print_failure, write_png
from digitpad.explain.transforms import DRAWING, INPUT, MAX_STEPS, MIN_STEPS, TRANSFORMS
from digitpad.storage.stroke_records import parse_drawing


def add_explain_commands(commands) -> None:
    """Register `explain` and `sweep` on the `digitpad` command's subparsers."""
    explain = commands.add_parser(
        "explain", help="which ink pushed the answer: integrated gradients and per-stroke effects",
        description="Integrated gradients of a class's RBF penalty with respect to the 32×32 input, with the "
                    "blank input as baseline: paper pixels get 0, and the attributions add up to the penalty "
                    "minus the blank input's penalty. Negative = the ink supports the class. For drawings, "
                    "also what each stroke does.")
    explain.add_argument("images", nargs="*", metavar="IMAGE", help="image files")
    explain.add_argument("--strokes", type=Path, metavar="FILE",
                         help="JSON Lines of drawings, as for `recognize` ('-' reads standard input)")
    explain.add_argument("--digit", type=int, choices=range(10), metavar="D",
                         help="the class to explain (default: the winner)")
    explain.add_argument("--json", action="store_true",
                         help='one object per input: {"digit", "attribution": 32×32, "penalty", "baseline_penalty", '
                              '"reason": why no digit is given ("too small", "not a digit") or null} (and '
                              '"strokes" for drawings)')
    explain.add_argument("--out", type=Path, metavar="PNG", help="write the overlay picture (one input only)")
    add_model_options(explain)
    explain.set_defaults(run=cmd_explain)

    sweep = commands.add_parser(
        "sweep", help="how far the invariance goes: recognise one input under a growing transform",
        description="Transform one image or drawing step by step and recognise every step; the breaking point "
                    "is the first value, going out from 0, where the answer changes. Value 0 is the "
                    "untransformed input. Per transform: the default range (the values accepted), stage: "
                    + "; ".join(f"{t.name}: {t.unit}, {t.start:g} to {t.stop:g} ({t.lowest:g} … {t.highest:g}), "
                                f"{t.default_stage}" for t in TRANSFORMS.values())
                    + f". --steps: {MIN_STEPS} … {MAX_STEPS}.")
    sweep.add_argument("image", nargs="?", metavar="IMAGE", help="an image file")
    sweep.add_argument("--strokes", type=Path, metavar="FILE", help="a JSON Lines file with one drawing")
    sweep.add_argument("--transform", required=True, choices=list(TRANSFORMS))
    sweep.add_argument("--from", dest="start", type=float, metavar="A", help="first value")
    sweep.add_argument("--to", dest="stop", type=float, metavar="B", help="last value")
    sweep.add_argument("--steps", type=int, metavar="N",
                       help=f"number of values, {MIN_STEPS} … {MAX_STEPS} (0 is added inside the range)")
    sweep.add_argument("--stage", choices=(DRAWING, INPUT),
                       help="'drawing': transform the drawing before normalisation (a shift or a change of "
                            "size then disappears); 'input': transform the 32×32 input, as the paper's demos")
    sweep.add_argument("--json", action="store_true",
                       help='one object per step: {"value", "digit", "penalties", "rejected", …}')
    sweep.add_argument("--out", type=Path, metavar="PNG", help="write the plot of the ten penalties")
    add_model_options(sweep)
    sweep.set_defaults(run=cmd_sweep)


#: Inputs one `explain` run takes (each costs an integrated-gradients pass); reading stops there.
MAX_EXPLAIN_INPUTS = 10_000


def _inputs(images: list[str], strokes_file: Path | None) -> Iterator[tuple[str, str, object]]:
    """(label, kind, payload) per input, as they arrive (a --strokes pipe is never held whole):
    kind "image" with a path, or "strokes" with the line's bytes (or the LineTooLong that ended
    the reading of the file: one more input that failed)."""
    for image in images:
        yield shown(image), "image", Path(image)
    if strokes_file is not None:
        for label, line in drawing_inputs(strokes_file):
            yield label, "strokes", line


def _peek(inputs: Iterator, count: int) -> tuple[list, Iterator]:
    """The first `count` items (fewer if there are not so many), and all items again."""
    head = list(itertools.islice(inputs, count))
    return head, itertools.chain(head, inputs)


def _prepare(kind: str, payload):
    """The input's 32×32 array, for a drawing its strokes and canvas size (None, None for an
    image), and whether it is too small to read (ink.too_small, as `recognize` decides it); raises ValueError (incl. the
    preprocessing errors) with a message for people."""
    # numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.ink.normalise import EmptyDrawing
    from digitpad.ink.images import prepare_image
    from digitpad.ink.strokes import render_strokes
    from digitpad.ink.too_small import drawing_too_small

    if isinstance(payload, Exception):
        raise payload
    try:
        if kind == "image":
            prepared = prepare_image(payload)
            return prepared.array, None, None, prepared.too_small
        strokes, canvas = parse_drawing(payload)
        return render_strokes(strokes), strokes, canvas, drawing_too_small(strokes, canvas)
    except EmptyDrawing:
        raise ValueError("blank image: nothing to explain" if kind == "image"
                         else "empty drawing: no strokes with finite points") from None


def cmd_explain(args: argparse.Namespace) -> int:
    if not args.images and not args.strokes:
        raise CliError("explain: give one or more IMAGE files or --strokes FILE", EXIT_USAGE)
    head, inputs = _peek(_inputs(args.images, args.strokes), 2)
    if args.out is not None and len(head) != 1:
        raise CliError(f"explain: --out draws one input, but there are {'none' if not head else 'more'}",
                       EXIT_USAGE)
    check_output(args.out)
    recognizer = load_recognizer(args.weights, args.device)
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.explain.attribution import integrated_gradients, stroke_effects, stroke_effects_skipped
    from digitpad.explain.pictures import attribution_picture

    failures = 0
    for number, (label, kind, payload) in enumerate(inputs, start=1):
        if number > MAX_EXPLAIN_INPUTS:
            raise CliError(f"explain: stopped after {MAX_EXPLAIN_INPUTS:,} inputs (at most {MAX_EXPLAIN_INPUTS:,} "
                           "a run)")
        try:
            array32, strokes, canvas, too_small = _prepare(kind, payload)
        except ValueError as exc:
            failures += 1
            print_failure(label, str(exc), args.json)
            continue
        attribution = integrated_gradients(recognizer.model, array32, args.digit)
        full = recognizer.recognize_array(array32, None, too_small)
        effects = stroke_effects(recognizer, strokes, None, canvas) if strokes and len(strokes) > 1 else []
        skipped = stroke_effects_skipped(strokes) if strokes else None
        if args.json:
            record = {**attribution.to_json(), "reason": full.reason}
            if strokes is not None:
                record["strokes"] = [effect.to_json(full) for effect in effects]
                if skipped:
                    record["strokes_note"] = skipped
            print(json.dumps(record), flush=True)
        else:
            a = attribution.attribution
            print(f"{label}: {full.short_answer()}; attribution for "
                  f"{attribution.digit}: penalty {attribution.penalty:.2f}, blank input "
                  f"{attribution.baseline_penalty:.2f}; ink that lowered it {a[a < 0].sum():+.2f}, "
                  f"ink that raised it {a[a > 0].sum():+.2f}", flush=True)
            for effect in effects:
                print(f"  {effect.describe(full)}", flush=True)
            if skipped:
                print(f"  {skipped}", flush=True)
        if args.out is not None:
            write_png(attribution_picture(array32, attribution.attribution, attribution.digit), args.out)
    return EXIT_FAILURE if failures else EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    if (args.image is None) == (args.strokes is None):
        raise CliError("sweep: give one IMAGE or --strokes FILE", EXIT_USAGE)
    inputs, _ = _peek(_inputs([args.image] if args.image else [], args.strokes), 2)  # not read further
    if len(inputs) != 1:
        raise CliError(f"sweep: {shown(args.strokes)} must hold exactly one drawing, it has "
                       f"{'none' if not inputs else 'more'}", EXIT_USAGE)
    # numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.explain.sweep import run_sweep, sweep_values

    transform = TRANSFORMS[args.transform]
    stage = args.stage or transform.default_stage
    try:
        values = sweep_values(transform, args.start, args.stop, args.steps)
        if stage not in transform.stages:
            raise ValueError(f"{transform.name} applies to the 32×32 input only (--stage input)")
    except ValueError as exc:
        raise CliError(f"sweep: {exc}", EXIT_USAGE) from exc
    check_output(args.out)
    label, kind, payload = inputs[0]
    try:
        array32, strokes, canvas, too_small = _prepare(kind, payload)
    except ValueError as exc:
        raise CliError(f"{label}: {exc}") from exc
    recognizer = load_recognizer(args.weights, args.device)
    source = ({"strokes": strokes, "canvas_size": canvas} if strokes is not None
              else {"array32": array32, "too_small": too_small})
    sweep = run_sweep(recognizer, transform, values, stage=stage, **source)
    if sweep.note:
        print(f"note: {sweep.note}", file=sys.stderr)
    below, above = sweep.breaking_points
    if args.json:
        for step in sweep.steps:
            print(json.dumps(step.to_json()), flush=True)
    else:
        print(f"{label}: {transform.name} ({transform.unit}, {stage} stage), answer at 0: "
              f"{sweep.short_answer()}")
        print(f"{'value':>9}  answer  " + "".join(f"{d:>8}" for d in range(10)))
        for step in sweep.steps:
            answer = "-" if step.answer is None else str(step.answer)
            print(f"{step.value:>9g}  {answer:>6}  " + "".join(f"{p:>8.2f}" for p in step.recognition.penalties))
        print("breaking point: " + (", ".join(f"{v:g}" for v in (below, above) if v is not None)
                                    or "none in this range (the answer holds throughout)"))
    if args.out is not None:
        from digitpad.explain.pictures import sweep_plot

        title = f"{label}: {transform.name}, {stage} stage ({transform.description})"
        plot = sweep_plot([s.value for s in sweep.steps], sweep.penalties(), [s.answer for s in sweep.steps],
                          title, f"{transform.name} ({transform.unit})", sweep.breaking_points)
        write_png(plot, args.out)
    return EXIT_OK
