"""The app's QSettings: one INI file, found from the environment each time it is opened.

Qt's default (native) settings location is computed once per process, so a test that changes
XDG_CONFIG_HOME after the first QSettings was made would still read the developer's real file.
Building the path ourselves from the current environment keeps every test (and every user
with a custom XDG_CONFIG_HOME) on the right file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

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
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    # INI files give back strings ("true"/"false"); QSettings' type= handles that conversion.
    value = settings.value(key, default, type=bool)
    return bool(value)


def read_float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_int(settings: QSettings, key: str, default: int) -> int:
    try:
        return int(settings.value(key, default))
    except (TypeError, ValueError):
        return default
