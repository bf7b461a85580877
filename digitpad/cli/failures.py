"""How every command ends: the exit codes and the one place that turns an error into one line.

A command returns its exit code, or raises: `CliError` (a message and a code), any
`errors.DigitpadError` (a bad file: exit 1), KeyboardInterrupt (exit 130), or an OSError no
command expects (writing the output to a full disk). `run_command` prints each as one line on
standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from digitpad.errors import DigitpadError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(DigitpadError):
    """An error to print as one line and exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILURE):
        super().__init__(message)
        self.code = code


def shown(name) -> str:
    """A file name as one line of output: control characters (a newline in a name would split the
    result line in two) written as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(name))


def run_command(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command and return its exit code; every failure is one line on standard error."""
    try:
        code = command(args)
        sys.stdout.flush()  # here, where a full disk is one line, not at exit where it is a traceback
        return code
    except DigitpadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # what no command expects, e.g. writing the output to a full disk (/dev/full)
        _silence_stdout()
        where = shown(exc.filename) if exc.filename else "writing the output"
        print(f"error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's own flush at exit cannot
    fail again and print a traceback (Python's documented recipe for a closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
