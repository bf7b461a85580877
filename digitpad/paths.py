"""Where digitpad finds its shipped resources, the MNIST files and the user's data directory.

No Qt here: the GUI uses QStandardPaths for the same directory (see `user_data_dir`), and both
agree because Qt's AppDataLocation on Linux is $XDG_DATA_HOME/<org>/<app>.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from importlib.resources import files

APP_NAME = "digitpad"

#: Environment variable naming the folder that holds the four MNIST IDX files.
MNIST_ENV = "DIGITPAD_MNIST"
#: Environment variable overriding the user's data directory (weights, samples, logs, MNIST).
DATA_HOME_ENV = "DIGITPAD_HOME"

#: Base names of the four MNIST files; on disk each is `<name>` or `<name>.gz`.
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

_REPO_ROOT = Path(__file__).resolve().parents[1]


def resource_path(name: str) -> Path:
    """Path of a file shipped in `resources/` (installed as the `digitpad.resources` package).

    Run from a source checkout, the checkout's own `resources/` wins: an editable install maps
    `digitpad.resources` to the checkout it was made from, which need not be this one (another
    worktree, a branch with new weights). `name` may be a file or a folder (`mnist`)."""
    local = _REPO_ROOT / "resources" / name
    if (_REPO_ROOT / "pyproject.toml").is_file() and local.exists():
        return local
    try:
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


def shipped_mnist_dir() -> Path:
    """The MNIST test set and a 5,000-image training slice shipped with digitpad (for the tests
    and quick tries; resources/mnist/README.md)."""
    return resource_path("mnist")


def downloaded_mnist_dir() -> Path:
    """Where `digitpad fetch-data` and the GUI's download put MNIST: <user data>/mnist."""
    return user_data_dir() / "mnist"


def has_mnist(folder: Path) -> bool:
    """Whether `folder` holds the four MNIST files (`.gz` or raw; their content is checked on load)."""
    return all((folder / f"{name}.gz").is_file() or (folder / name).is_file() for name in MNIST_FILES)


def default_mnist_dir() -> Path:
    """Where MNIST is looked for, first match wins: $DIGITPAD_MNIST, the checkout's
    ../shared/data/mnist, the user's data directory (where `digitpad fetch-data` puts it) when
    the files are there, else the test set and training slice shipped in resources/mnist."""
    override = os.environ.get(MNIST_ENV)
    if override:  # made absolute now, so a later change of working directory cannot break it
        return Path(override).expanduser().resolve()
    shared = _REPO_ROOT.parent / "shared" / "data" / "mnist"
    if shared.is_dir():
        return shared
    downloaded = downloaded_mnist_dir()
    if has_mnist(downloaded) or not has_mnist(shipped_mnist_dir()):
        return downloaded
    return shipped_mnist_dir()


#: Environment variable naming the pen-digits file (real pen strokes by 30 writers, for training
#: and for measuring how well real handwriting is read).
PENDIGITS_ENV = "DIGITPAD_PENDIGITS"
#: Its name in the shared data folder beside a checkout (gzip-compressed UNIPEN-style text).
PENDIGITS_FILE = "pendigits-orig-train.gz"


def default_pendigits_file() -> Path | None:
    """Where the pen-digits file is looked for, first match wins: $DIGITPAD_PENDIGITS, the
    checkout's ../shared/data/pendigits/pendigits-orig-train.gz; None when neither names it (the
    data set is not shipped: training then uses MNIST alone and the pen figures cannot be made)."""
    override = os.environ.get(PENDIGITS_ENV)
    if override:  # made absolute now, so a later change of working directory cannot break it
        return Path(override).expanduser().resolve()
    shared = _REPO_ROOT.parent / "shared" / "data" / "pendigits" / PENDIGITS_FILE
    if shared.is_file():
        return shared
    return None
