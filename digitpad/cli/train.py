"""`python train.py` / `digitpad train`: train LeNet-5 on MNIST and write a checkpoint."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from digitpad.cli.failures import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError, run_command
from digitpad.cli.output import check_output
from digitpad.errors import SampleError, TrainingCancelled
from digitpad.paths import default_mnist_dir, shipped_mnist_dir
from digitpad.training.config import TrainingConfig
from digitpad.training.progress import RunProgress
from digitpad.training.presets import PRESETS, get_preset
from digitpad.errors import WeightsError

DEFAULTS = TrainingConfig()


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    # Options that set the config default to None: given, they override the preset (or the defaults).
    parser.add_argument("--preset", choices=tuple(PRESETS), default=None,
                        help="a named recipe; options given with it override its settings: "
                             + "; ".join(f"{p.name}: {p.description.rstrip('.')} ({p.duration_text()} on 2 CPU cores)"
                                         for p in PRESETS.values()).replace("%", "%%"))
    parser.add_argument("--data", type=Path, default=None,
                        help="folder with the four MNIST IDX files (.gz or raw); default: $DIGITPAD_MNIST, "
                             "../shared/data/mnist, the user data directory, or the slice shipped in resources/mnist")
    parser.add_argument("--epochs", type=int, default=None, help=f"passes over the training set "
                        f"(default {DEFAULTS.epochs}, or the preset's)")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint file to write (atomically)")
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: CUDA when available)")
    parser.add_argument("--optimizer", choices=("adam", "sdlm"), default=None,
                        help="adam (default), or sdlm: the paper's stochastic diagonal Levenberg-Marquardt")
    parser.add_argument("--lr", type=float, default=None, help=f"Adam's peak learning rate (default "
                        f"{DEFAULTS.learning_rate})")
    parser.add_argument("--eta-scale", type=float, default=None,
                        help=f"SDLM: multiply the paper's η schedule by this (default {DEFAULTS.sdlm_eta_scale})")
    parser.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: 64 for Adam, "
                        f"{DEFAULTS.sdlm_batch_size} for SDLM)")
    parser.add_argument("--loss", choices=("map", "mse"), default=None,
                        help="map: eq. 9 with the rubbish class (default); mse: eq. 8")
    parser.add_argument("--rubbish-j", type=float, default=None, help=f"eq. 9's constant j (default "
                        f"{DEFAULTS.rubbish_j:g})")
    parser.add_argument("--distort", action=argparse.BooleanOptionalAction, default=None,
                        help="random affine distortions of the training images (default: on)")
    parser.add_argument("--no-averaging", action="store_true", help="Adam: do not average the weights")
    parser.add_argument("--seed", type=int, default=None, help=f"(default {DEFAULTS.seed})")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--keep-best-epoch", action="store_true", default=None,
                        help="keep the weights of the epoch with the fewest errors on the 5,000 training "
                             "images after --limit (not trained on by this run), not the last epoch's: early "
                             "stopping chosen on validation data, never on the test set")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's)")
    parser.add_argument("--init", type=Path, default=None, metavar="WEIGHTS",
                        help="fine-tune: start from this checkpoint instead of random weights "
                             "(needed by --preset fine-tune)")
    parser.add_argument("--extra", type=Path, default=None, metavar="SAMPLES",
                        help="mix in a samples.jsonl of your own labelled drawings (repeated to be "
                             "~7%% of each epoch)")
    parser.add_argument("--negatives", type=int, default=None, metavar="N",
                        help="mix in N generated non-digits (letters, symbols, scribbles) trained toward "
                             "eq. 9's rubbish class, so the network learns to say \"not a digit\" "
                             f"(default {DEFAULTS.negatives})")
    parser.add_argument("--pen-share", type=float, default=None, metavar="X",
                        help="share of the training set made of real pen strokes: the training writers' "
                             "digits of the pen-digits file, rendered with stroke-level distortions "
                             f"(default {DEFAULTS.pen_share}, or the preset's; 0: MNIST alone)")
    parser.add_argument("--pen-augment", type=float, default=None, metavar="X",
                        help="strength of the pen strokes' stroke-level distortions, 0 (none) to 3 "
                             f"(default {DEFAULTS.pen_augment})")
    parser.add_argument("--pen-data", type=Path, default=None, metavar="FILE",
                        help="the pen-digits file (default: $DIGITPAD_PENDIGITS, else "
                             "../shared/data/pendigits/pendigits-orig-train.gz beside the checkout)")
    parser.add_argument("--bad-cuts", type=int, default=None, metavar="N",
                        help="mix in N pieces of composed numbers that are not one digit (half a digit, two "
                             "digits squeezed together), cut from the training images by digitpad's own "
                             f"segmenter, trained toward the rubbish class (default {DEFAULTS.bad_cuts})")


#: Command-line options that set a TrainingConfig field of the same meaning.
_CONFIG_OPTIONS = {"epochs": "epochs", "optimizer": "optimizer", "lr": "learning_rate",
                   "eta_scale": "sdlm_eta_scale", "loss": "loss", "rubbish_j": "rubbish_j",
                   "distort": "distort", "seed": "seed", "device": "device", "limit": "train_limit",
                   "negatives": "negatives", "bad_cuts": "bad_cuts", "pen_share": "pen_share",
                   "pen_augment": "pen_augment", "keep_best_epoch": "keep_best_epoch"}


def config_from_arguments(args: argparse.Namespace) -> TrainingConfig:
    """The preset's config (or the defaults), with every option given on the command line on top."""
    overrides = _overrides(args)
    preset = getattr(args, "preset", None)
    return get_preset(preset).config(**overrides) if preset else replace(DEFAULTS, **overrides)


def second_stage_from_arguments(args: argparse.Namespace, first: TrainingConfig) -> TrainingConfig | None:
    """A two-stage preset's second stage (presets.Preset.then), with the options on top; else None."""
    preset = getattr(args, "preset", None)
    return get_preset(preset).second_stage(first, **_overrides(args)) if preset else None


def _overrides(args: argparse.Namespace) -> dict:
    """The TrainingConfig fields the command line sets."""
    overrides = {field: getattr(args, option) for option, field in _CONFIG_OPTIONS.items()
                 if getattr(args, option, None) is not None}
    if getattr(args, "no_averaging", False):
        overrides["weight_averaging"] = False
    if getattr(args, "batch_size", None) is not None:  # 0 and -1 are refused by validate(), not silently the default
        sdlm = overrides.get("optimizer", DEFAULTS.optimizer) == "sdlm"
        overrides["sdlm_batch_size" if sdlm else "batch_size"] = args.batch_size
    return overrides


class ProgressBar:
    """A one-line text progress bar with loss and rate, redrawn in place."""

    def __init__(self, stream=None, width: int = 30):
        # sys.stderr looked up now, not at import: it may have been replaced since (tests, IDEs).
        self.stream, self.width = stream or sys.stderr, width
        self._mid_line = False  # a bar is drawn and its line not ended

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info) -> None:
        """End the bar's line, so what comes next (an error, Ctrl-C) starts on its own."""
        self._end_line()

    def _end_line(self) -> None:
        if self._mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self._mid_line = False

    def line(self, text: str) -> None:
        """A line of its own on standard output (a two-stage run's stage)."""
        self._end_line()
        print(text, flush=True)

    def batch(self, p) -> None:
        filled = int(self.width * p.batch / p.batches)
        bar = "█" * filled + "·" * (self.width - filled)
        self.stream.write(f"\repoch {p.epoch}/{p.epochs} {bar} {p.batch}/{p.batches} "
                          f"loss {p.loss:.4f} {p.samples_per_second:,.0f} img/s ")
        self.stream.flush()
        self._mid_line = True

    def epoch(self, e) -> None:
        self._end_line()
        rejection = ("" if e.negatives_rejected is None else
                     f", held-out negatives rejected {100 * e.negatives_rejected:.1f}%, "
                     f"test digits rejected {100 * e.digits_rejected:.2f}%")
        validation = "" if e.validation_errors is None else f", validation errors {e.validation_errors}"
        print(f"epoch {e.epoch}/{e.epochs}: train loss {e.train_loss:.4f}, test error "
              f"{100 * e.test_error:.2f}% ({e.test_errors}/{e.test_total}){rejection}{validation}, {e.seconds:.1f} s",
              flush=True)


#: More threads than this is a typing mistake, not a machine.
MAX_THREADS = 1024


def add_train_command(commands) -> None:
    """Register `train` on the `digitpad` command's subparsers."""
    train = commands.add_parser("train", help="train LeNet-5 on MNIST (same as train.py)")
    add_training_arguments(train)
    train.set_defaults(run=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    """Train as the arguments say; the exit code. Ctrl-C at any moment writes nothing."""
    try:
        return _train(args)
    except KeyboardInterrupt:
        raise CliError("interrupted: nothing written", EXIT_INTERRUPTED) from None


def _check_arguments(args: argparse.Namespace, config: TrainingConfig, second: TrainingConfig | None) -> None:
    """Every argument checked before torch is imported: a bad one is answered at once."""
    try:
        config.validate()
        if second is not None:
            second.validate()
            if args.init is not None:
                raise ValueError(f"--preset {args.preset} trains a new network in two stages: --init does not apply")
        if args.preset and get_preset(args.preset).fine_tune and args.init is None:
            raise ValueError(f"--preset {args.preset} starts from existing weights: give them with --init WEIGHTS")
        if args.threads is not None and not 1 <= args.threads <= MAX_THREADS:
            raise ValueError(f"--threads must be from 1 to {MAX_THREADS}")
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    check_output(args.out, "cannot write the checkpoint there")  # now, not after an hour of training


def _request(args: argparse.Namespace, config: TrainingConfig, data_dir: Path):
    """The run's RetrainRequest: the config, the data, and the weights to start from (--init)."""
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.storage.checkpoints import load_checkpoint
    from digitpad.training.run import RetrainRequest

    initial = load_checkpoint(args.init) if args.init else None
    return RetrainRequest(
        config, data_dir, initial.state if initial else None,
        _rubbish_j(initial.config) if initial else None, fine_tune=initial is not None,
        extra=_load_extra(args.extra) if args.extra else None, threads=args.threads,
        initial_weights=str(args.init) if args.init else None,
        initial_train_images=initial.metrics.lineage_train_images() if initial else None,
        extra_file=str(args.extra) if args.extra else None, pen_file=getattr(args, "pen_data", None))


def _train(args: argparse.Namespace) -> int:
    config = config_from_arguments(args)
    second = second_stage_from_arguments(args, config)
    _check_arguments(args, config, second)
    # torch: imported when the command runs, not for `--help`
    from digitpad.training.loop import subnormals_as_zero

    # Subnormals as zero for the run, set before torch starts its worker threads so that they
    # copy it (training.loop.subnormals_as_zero); then this thread's own mode again.
    with subnormals_as_zero():
        return _run_command(args, config, second)


def _run_command(args: argparse.Namespace, config: TrainingConfig, second: TrainingConfig | None) -> int:
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.network.lenet5 import pick_device
    from digitpad.storage.checkpoints import save_checkpoint
    from digitpad.training.run import load_run_data, run_training, run_two_stages

    try:
        device = pick_device(config.device)
    except (ValueError, RuntimeError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    data_dir = args.data or default_mnist_dir()
    request = _request(args, config, data_dir)
    data = load_run_data(request)
    _print_plan(args, request, second, data, data_dir, device)
    started = time.perf_counter()
    with ProgressBar() as bar:
        try:
            if second is None:
                outcome = run_training(request, data, RunProgress(on_batch=bar.batch, on_epoch=bar.epoch))
            else:
                outcome = run_two_stages(request, second, data,
                                         RunProgress(on_stage=bar.line, on_batch=bar.batch, on_epoch=bar.epoch))
        except (TrainingCancelled, FloatingPointError) as exc:
            raise CliError(f"{exc or 'cancelled'}: nothing written") from exc
    _print_comparison(outcome)
    if outcome.warning:
        print(f"warning: {outcome.warning}", file=sys.stderr, flush=True)
    save_checkpoint(args.out, outcome.result.model, (second or request.config).to_dict(), outcome.metrics,
                    data_checksum=outcome.data_checksum)
    epochs = config.epochs + (second.epochs if second else 0)
    metrics = outcome.metrics
    kept = ("" if metrics.kept_epoch is None else
            f" (kept epoch {metrics.kept_epoch}: {metrics.validation_errors}/{metrics.validation_total} "
            "validation errors, the fewest" + ("" if metrics.validation_unseen else
                                                 "; the starting weights may have trained on those images") + ")")
    print(f"test error: {100 * outcome.new_test_error:.2f}% after {epochs} epochs{kept}, "
          f"{time.perf_counter() - started:.0f} s; wrote {args.out}")
    if outcome.snapshots is not None:
        _save_snapshots(args.out, outcome.snapshots)
    return EXIT_OK


def _save_snapshots(checkpoint: Path, snapshots) -> None:
    """The run's time-lapse beside the checkpoint; the checkpoint is written by now, so a time-lapse
    that cannot be is a warning, not a failure."""
    # torch, numpy: imported when the command runs, not for `--help`
    from digitpad.storage.snapshots import save_snapshots

    try:
        path = save_snapshots(checkpoint, snapshots)
    except WeightsError as exc:
        print(f"warning: {exc}", file=sys.stderr)
        return
    print(f"wrote {path}: {len(snapshots)} snapshots of the weights for the training time-lapse "
          f"({path.stat().st_size / 1e6:.1f} MB)")


def _print_plan(args, request, second: TrainingConfig | None, data, data_dir: Path, device) -> None:
    """What is about to be trained, on what, and where the data comes from."""
    config = request.config
    batch_size = config.step_batch_size(len(data.train_set))
    print(f"{'fine-tuning' if request.fine_tune else 'training'} LeNet-5 on {data.describe()} from {data_dir} "
          f"({device}){f', preset {args.preset}' if args.preset else ''}, optimizer {config.optimizer}, "
          f"{config.epochs} epoch{'s' * (config.epochs != 1)} in batches of {batch_size}"
          f"{', distorted' if config.distort else ''}; testing on {len(data.test_set):,} images", flush=True)
    if second is not None:
        print(f"then stage 2: {second.epochs} epochs from stage 1's weights with {second.negatives:,} non-digits, "
              f"j = {second.rubbish_j:g}, peak rate {second.learning_rate:g}", flush=True)
    if Path(data_dir).resolve() == shipped_mnist_dir().resolve():
        print("note: this is the 5,000-image training slice shipped with digitpad, for tests and quick tries; "
              "`digitpad fetch-data` downloads all 60,000 images", flush=True)


def _rubbish_j(config: dict) -> float | None:
    value = config.get("rubbish_j")
    return float(value) if isinstance(value, (int, float)) else None


def _print_comparison(outcome) -> None:
    """The test error and the user's samples before (when there is a before) and after."""
    total, metrics = outcome.test_total, outcome.metrics
    if outcome.old_test_error is not None:
        print(f"MNIST test error before: {100 * outcome.old_test_error:.2f}% "
              f"({metrics.test_errors_before}/{total})")
        print(f"MNIST test error after: {100 * outcome.new_test_error:.2f}% ({metrics.test_errors}/{total})")
    for when, errors in (("before", outcome.old_extra_errors), ("after", outcome.new_extra_errors)):
        if outcome.extra_total and errors is not None:
            print(f"your samples {when}: {outcome.extra_total - errors}/{outcome.extra_total} right")


def _load_extra(path: Path):
    """The samples in `path` as a dataset; its unreadable lines are reported, an empty file refused."""
    from digitpad.storage.samples import SampleStore, require_file  # numpy
    from digitpad.training.datasets import samples_dataset  # torch

    require_file(path)
    store = SampleStore(path)
    for problem in store.problems:
        print(f"warning: {path}: {problem} (skipped)", file=sys.stderr)
    if not len(store):
        raise SampleError(f"{path}: no usable samples to train on")
    return samples_dataset(store.samples())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train.py", description="Train digitpad's LeNet-5 on MNIST.")
    add_training_arguments(parser)
    return run_command(cmd_train, parser.parse_args(argv))
