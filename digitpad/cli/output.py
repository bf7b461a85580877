"""What the commands print and write: a recognition or a reading per input, a failure per input,
and picture files (checked before any work, written atomically)."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

from digitpad.cli.failures import CliError
from digitpad.safe_files import atomic_write_bytes, check_output_path


class NonFiniteOutput(ValueError):
    """The network gave NaN or infinite penalties: no digit can be named."""


def print_result(result, label: str, as_json: bool) -> None:
    """One recognised input: the verdict, the winner and runner-up with their penalties."""
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


def print_reading(reading, label: str, as_json: bool) -> None:
    """A whole number (--string): the digits, then how sure."""
    if as_json:
        print(json.dumps(reading.to_json(), allow_nan=False), flush=True)
        return
    print(f"{label}: {reading.describe()}", flush=True)


def print_failure(label: str, message: str, as_json: bool) -> None:
    """One input that gave no result: a line on standard error (and {"error"} in the JSON output,
    so the results stay one per input); the command goes on with the next input."""
    if as_json:
        print(json.dumps({"error": message}), flush=True)
    print(f"error: {label}: {message}" if not message.startswith(label) else f"error: {message}", file=sys.stderr)


def check_output(path: Path | None, what: str = "cannot write") -> None:
    """Refuse an unwritable output file before any work (a folder, a device, a read-only place)."""
    if path is not None:
        try:
            check_output_path(path)
        except OSError as exc:
            raise CliError(f"{path}: {what}: {exc.strerror or exc}") from exc


def write_png(image, path: Path) -> None:
    """A PIL image as a PNG file, atomically."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        raise CliError(f"{path}: cannot write: {exc.strerror or exc}") from exc
