"""The `digitpad` command: the GUI with no arguments, else one of the commands below.

| module | commands |
|---|---|
| cli/recognize.py | recognize, evaluate |
| cli/train.py | train (also `python train.py`) |
| cli/explain.py | explain, sweep |
| cli/files.py | fetch-data, samples, export |
| cli/learning.py | evaluate --mistakes, timelapse |

People read this output, so every failure is one line on stderr and an exit code
(cli/failures.py), never a traceback. Nothing here imports torch, numpy or Qt: `--help`,
`--version` and argument errors are answered at once; the commands import them when they run.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from digitpad import __version__
from digitpad.cli.explain import add_explain_commands
from digitpad.cli.failures import EXIT_FAILURE, CliError, run_command
from digitpad.cli.files import add_file_commands
from digitpad.cli.learning import add_timelapse_command
from digitpad.cli.recognize import add_recognize_commands
from digitpad.cli.train import add_train_command


def _no_display_reason() -> str | None:
    """Why Qt could not show a window here, before Qt aborts the process trying."""
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
        from digitpad.gui.app import run_gui  # Qt
    except ImportError as exc:
        raise CliError(f"the desktop app cannot start: {exc}") from exc
    return run_gui([sys.argv[0]])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad", description="Draw a digit and watch a faithful LeNet-5 recognise it. "
                                     "With no command, starts the desktop app.")
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = commands.add_parser("gui", help="start the desktop app (the default)")
    gui.set_defaults(run=cmd_gui)
    add_recognize_commands(commands)
    add_train_command(commands)
    add_file_commands(commands)
    add_explain_commands(commands)
    add_timelapse_command(commands)
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
    if sys.stdout is None and args.run is not cmd_gui:  # `digitpad … >&-`: Python's stdout is then None
        print("error: standard output is closed: nowhere to print the results", file=sys.stderr)
        return EXIT_FAILURE
    with warnings.catch_warnings():
        # numpy's floating-point warnings (an overflow on coordinates near 1e308, which the
        # checks then refuse or normalise away) are no line for people reading the output.
        warnings.simplefilter("ignore", RuntimeWarning)
        return run_command(args.run, args)
