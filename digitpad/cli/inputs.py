"""What the commands read: the network (a checkpoint on a device) and the drawings of a
``--strokes`` file. Importing this module imports no torch; `load_recognizer` does."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from digitpad.cli.failures import EXIT_USAGE, CliError, shown
from digitpad.storage.jsonlines import LineTooLong, StreamError
from digitpad.storage.stroke_records import drawing_lines


def add_model_options(parser: argparse.ArgumentParser, purpose: str = "use", device: bool = True) -> None:
    """--weights (and --device): the network a command runs, as `load_recognizer` reads them."""
    parser.add_argument("--weights", type=Path, help=f"checkpoint to {purpose} (default: the shipped weights)")
    if device:
        parser.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")


def load_recognizer(weights: Path | None, device_name: str | None):
    """A Recognizer over the checkpoint (default: the shipped weights) on the named device; a bad
    device name is a usage error, a bad file a failure (errors.WeightsError)."""
    # torch, numpy, PIL: imported when the command runs, not for `--help`
    from digitpad.network.lenet5 import pick_device
    from digitpad.reading.recognition import Recognizer
    from digitpad.storage.checkpoints import load_model

    try:
        device = pick_device(device_name)
        model, _ = load_model(weights, device)
    except (ValueError, RuntimeError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    return Recognizer(model, device)


def drawing_inputs(path: Path) -> Iterator[tuple[str, bytes | LineTooLong]]:
    """(label "file:line", the line) per drawing of a --strokes file, as the lines arrive. A line
    over the cap ends the reading and comes last as (file, the LineTooLong): one more input that
    failed. CliError if the file cannot be read at all."""
    source = shown(path)
    try:
        for number, raw in drawing_lines(path):
            yield f"{source}:{number}", raw
    except LineTooLong as exc:
        yield source, exc
    except StreamError as exc:
        raise CliError(f"{source}: {exc}") from exc
