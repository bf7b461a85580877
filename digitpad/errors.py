"""The errors digitpad reports to people, in one torch-free module.

Each says what is wrong in a message that names the file (where there is one); the CLI prints it
as one line, the GUI shows it in a message box. Kept free of torch and numpy so the command line
can report a bad argument without loading either.
"""

from __future__ import annotations

from pathlib import Path


class DigitpadError(Exception):
    """Any of the errors below: the command line prints it as one line and exits with 1."""


class DataError(DigitpadError):
    """A data file is missing, malformed, or not the expected content. `path` names the file."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class DownloadCancelled(DataError):
    """`fetch_mnist` was stopped by its `cancel` callable; nothing half-written is left behind."""


class WeightsError(DigitpadError):
    """A weights file that cannot be used; the message names the file and the reason."""


class SampleError(DigitpadError):
    """A samples file cannot be read or written; the message names the file and the reason."""


class ExportError(DigitpadError):
    """The model could not be exported or written; the message says why and names the file."""


class TrainingCancelled(Exception):
    """Raised out of training when its cancel callback says so; the caller's model is untouched."""


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one line for people, no traceback: an error of ours as its message (it
    names the file and the reason), anything else as "Type: first line of its message"."""
    text = str(exc).strip().splitlines()[0][:limit] if str(exc).strip() else ""
    if isinstance(exc, DigitpadError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
