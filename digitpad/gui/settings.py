"""The app's QSettings: one INI file, found from the environment each time it is opened.

Qt's default (native) settings location is computed once per process, so a test that changes
XDG_CONFIG_HOME after the first QSettings was made would still read the developer's real file.
Building the path ourselves from the current environment keeps every test (and every user
with a custom XDG_CONFIG_HOME) on the right file.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from digitpad.storage.settings_file import UntrustedSettings, vet_settings_file

ORGANISATION = "digitpad"
APPLICATION = "digitpad"

# Keys, in one place so the window and the tests agree on them.
PEN_WIDTH = "canvas/pen_width"
GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
WEIGHTS_FILE = "model/weights_file"
DEVICE = "model/device"
INPUT_ZOOM = "view/input_zoom"
SHOW_INTERNALS = "view/show_internals"
SHOW_F6 = "view/show_f6"


def settings_file() -> Path:
    """digitpad.ini under the user's configuration directory (XDG_CONFIG_HOME on Linux)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    else:
        base = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation))
    return base / ORGANISATION / f"{APPLICATION}.ini"


def open_settings() -> QSettings:
    """The settings, from a file vetted first (see `open_vetted_settings`)."""
    return open_vetted_settings()[0]


def open_vetted_settings() -> tuple[QSettings, str | None]:
    """The settings, and the sentence to show when the file could not be trusted (None: all well).

    Qt decodes every value of the file as it reads it, before any per-key check below, so a
    hostile value could stop the app from ever starting: `vet_settings_file` reads it first and
    moves an untrusted file aside. Should it not be movable, the settings live in memory only
    (a file in a fresh temporary folder) for this run."""
    path = settings_file()
    try:
        message = vet_settings_file(path)
    except UntrustedSettings as exc:
        scratch = Path(tempfile.mkdtemp(prefix="digitpad-settings-")) / path.name
        return QSettings(str(scratch), QSettings.Format.IniFormat), str(exc)
    return QSettings(str(path), QSettings.Format.IniFormat), message


# Readers: a settings file is edited by hand, synced between machines, or left by another version,
# so every value is checked by type and range and a bad one gives the default: the app always starts.

def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # how INI files give them back
        return value.lower() == "true"
    return default


def read_float(settings: QSettings, key: str, default: float, low: float = -math.inf,
               high: float = math.inf) -> float:
    """A finite number in [low, high], else `default` (pen_width=nan, a list, 1e999 …)."""
    try:
        value = float(settings.value(key, default))
    except (TypeError, ValueError, OverflowError):
        return default
    return value if math.isfinite(value) and low <= value <= high else default


def read_int(settings: QSettings, key: str, default: int, low: int = -(2**31), high: int = 2**31 - 1) -> int:
    try:
        value = settings.value(key, default)
        if isinstance(value, float) and not value.is_integer():
            return default
        value = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return value if low <= value <= high else default


def read_text(settings: QSettings, key: str, max_length: int = 4096) -> str:
    """A short single-line text (a file name, a device name), else ""."""
    value = settings.value(key, "")
    if not isinstance(value, str) or len(value) > max_length or any(c in value for c in "\0\n\r"):
        return ""
    return value
