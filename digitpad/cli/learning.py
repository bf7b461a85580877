"""`digitpad evaluate --mistakes` and `digitpad timelapse`: what the network gets wrong, and how it
learned (the snapshots a run keeps beside its checkpoint). Importing this module imports no torch."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from digitpad.cli.failures import EXIT_OK, EXIT_USAGE, CliError, shown
from digitpad.cli.inputs import load_recognizer
from digitpad.cli.output import check_output, write_png
from digitpad.errors import WeightsError
from digitpad.paths import PENDIGITS_ENV, default_mnist_dir, default_pendigits_file

#: `evaluate --examples`: the sets whose mistakes can be listed.
EXAMPLE_SETS = ("mnist-test", "pen-held-out", "samples")


def add_mistakes_arguments(evaluate: argparse.ArgumentParser) -> None:
    evaluate.add_argument("--mistakes", nargs="?", const="", type=str, metavar="OUT.png",
                          help="list every example answered wrong, unsure-and-wrong or refused, most confidently "
                               "wrong first (margin = penalty of the answer − penalty of the true digit); with "
                               "OUT.png also draw them as a grid, the paper's Figure 8 for these weights; with "
                               '--json: {"mistakes": [{"index", "true", "answer", "margin", "reason"}, …], …}')
    evaluate.add_argument("--examples", choices=EXAMPLE_SETS, default="mnist-test",
                          help="with --mistakes: the MNIST test set (default), the pen digits of the held-out "
                               "writers ($DIGITPAD_PENDIGITS or ../shared/data/pendigits; --strokes-data FILE), "
                               "or your samples (--samples FILE, default: the app's samples file)")
    evaluate.add_argument("--samples", type=Path, metavar="FILE", help="with --examples samples: the samples file")


def add_timelapse_command(commands) -> None:
    timelapse = commands.add_parser(
        "timelapse", help="draw a training run's time-lapse: kernels and curves, one PNG per snapshot",
        description="Every training run keeps ~40 snapshots of the weights beside its checkpoint "
                    "(WEIGHTS with the suffix .snapshots). This writes, per snapshot, kernels-NN.png (C1's six "
                    "kernels and C3's as Table I, one colour scale per layer for the whole run) and curves-NN.png "
                    "(training loss and test error, the snapshot's point marked).")
    timelapse.add_argument("weights", type=Path, metavar="WEIGHTS", help="a checkpoint that has snapshots")
    timelapse.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the PNG files")
    timelapse.add_argument("--snapshots", type=Path, metavar="FILE",
                           help="the snapshots file (default: beside WEIGHTS)")
    timelapse.set_defaults(run=cmd_timelapse)


def cmd_evaluate_mistakes(args: argparse.Namespace, default_pen: Path) -> int:
    out = Path(args.mistakes) if args.mistakes else None
    check_output(out)
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.explain.mistakes import list_mistakes

    examples = _examples(args, default_pen)
    if examples.skipped:
        print(f"note: {examples.skipped_note()}", file=sys.stderr)
    if not len(examples):
        raise CliError(f"{examples.name}: no examples to evaluate")
    recognizer = load_recognizer(args.weights, args.device)
    report = list_mistakes(recognizer.model, examples, recognizer.device)
    if out is not None:
        from digitpad.explain.learning_pictures import mistakes_grid

        write_png(mistakes_grid(report), out)
    if args.json:
        print(json.dumps(report.to_json()))
        return EXIT_OK
    print(report.summary())
    print("index    true answer  margin  reason   example")
    for m in report.mistakes:
        print(f"{m.index:>6}  {m.true:>5} {m.answer:>6}  {m.margin:>6.1f}  {m.reason:<8} "
              f"{shown(examples.caption(m.index))}")
    if out is not None:
        print(f"wrote {shown(out)}")
    return EXIT_OK


def _examples(args: argparse.Namespace, default_pen: Path):
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.explain.mistakes import mnist_test_examples, pen_held_out_examples, sample_examples

    if args.examples == "pen-held-out":
        path = args.strokes_data if args.strokes_data not in (None, default_pen) else default_pendigits_file()
        if path is None:
            raise CliError(f"no pen-digits file: give --strokes-data FILE or set {PENDIGITS_ENV}", EXIT_USAGE)
        return pen_held_out_examples(path)
    if args.examples == "samples":
        return sample_examples(args.samples)
    return mnist_test_examples(args.data or default_mnist_dir())


def cmd_timelapse(args: argparse.Namespace) -> int:
    check_output(args.out / "kernels-00.png", "cannot write the frames there")
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.explain.learning_pictures import curves_picture, kernel_limits, kernels_picture
    from digitpad.storage.checkpoints import load_checkpoint
    from digitpad.storage.snapshots import load_snapshots, snapshots_path

    checkpoint = load_checkpoint(args.weights)
    path = args.snapshots or snapshots_path(args.weights)
    if not path.exists():
        raise CliError(f"{shown(path)}: no snapshots for {shown(args.weights)} (weights trained by this version of "
                       "digitpad keep them beside the checkpoint)")
    snapshots = load_snapshots(path)
    if not snapshots.matches(checkpoint.state):
        raise WeightsError(f"{path}: these snapshots are of another training run (their last weights are not "
                           f"those in {args.weights})")
    c1 = snapshots.weights["c1.weight"].float().numpy()
    c3 = snapshots.weights["c3.weight"].float().numpy()
    limits = kernel_limits(c1, c3)
    digits = len(str(len(snapshots) - 1))
    for index in range(len(snapshots)):
        title = (f"snapshot {index}/{len(snapshots) - 1}: epoch {snapshots.epochs[index]:.2f}, "
                 f"step {snapshots.steps[index]:,}")
        name = f"{index:0{max(2, digits)}d}"
        write_png(kernels_picture(c1[index], c3[index], limits, title), args.out / f"kernels-{name}.png")
        write_png(curves_picture(snapshots.epochs, snapshots.losses, snapshots.history, index),
                  args.out / f"curves-{name}.png")
    print(f"wrote {2 * len(snapshots)} frames of {len(snapshots)} snapshots to {shown(args.out)}")
    return EXIT_OK
