"""Where digitpad finds its shipped resources, the MNIST files and the user's data directory.

No Qt here: the GUI uses QStandardPaths for the same directory (see `user_data_dir`), and both
agree because Qt's AppDataLocation on Linux is $XDG_DATA_HOME/<org>/<app>.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "digitpad"

#: Environment variable naming the folder that holds the four MNIST IDX files.
MNIST_ENV = "DIGITPAD_MNIST"
#: Environment variable overriding the user's data directory (weights, samples, logs, MNIST).
DATA_HOME_ENV = "DIGITPAD_HOME"

_REPO_ROOT = Path(__file__).resolve().parent.parent


def resource_path(name: str) -> Path:
    """Path of a file shipped in `resources/` (installed as the `digitpad.resources` package)."""
    try:
        from importlib.resources import files

        candidate = Path(str(files("digitpad.resources").joinpath(name)))
        if candidate.exists():
            return candidate
    except (ModuleNotFoundError, TypeError):
        pass
    return _REPO_ROOT / "resources" / name


def user_data_dir() -> Path:
    """The per-user directory for adopted weights, personal samples, logs and downloaded data."""
    override = os.environ.get(DATA_HOME_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / APP_NAME


def default_mnist_dir() -> Path:
    """Where MNIST is looked for: $DIGITPAD_MNIST, else the checkout's ../shared/data/mnist,
    else the user's data directory (where `digitpad fetch-data` puts it)."""
    override = os.environ.get(MNIST_ENV)
    if override:  # made absolute now, so a later change of working directory cannot break it
        return Path(override).expanduser().resolve()
    shared = _REPO_ROOT.parent / "shared" / "data" / "mnist"
    if shared.is_dir():
        return shared
    return user_data_dir() / "mnist"
