"""The weights a person adopted from a retraining run: where they live, what they are called, and
their history (newest first). The Retrain dialog saves here, the Weights History lists it; no Qt,
no torch, so any front end (the command line too) can list them.

Files: <user data>/weights/<YYYY-MM-DD_HH-MM-SS>[_<name>].pt — sorted by name is sorted by date,
and `storage.checkpoints.save_new_checkpoint` adds `_2`, `_3`, … when another window or process
took the name at the same moment.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from digitpad.paths import user_data_dir


def adopted_weights_dir() -> Path:
    """Where adopted checkpoints live: <user data>/weights."""
    return user_data_dir() / "weights"


def slug(name: str) -> str:
    """A file-name-safe short form of a model's name: 'Quick, 2 epochs' -> 'quick-2-epochs'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")


def new_weights_stem(name: str = "") -> str:
    """An adopted file's name without `.pt`: when it was adopted, then its name."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    return f"{stamp}_{slug(name)}" if slug(name) else stamp


def history_files(folder: Path | None = None) -> list[Path]:
    """The .pt files in `folder` (default: the adopted weights), newest first."""
    folder = adopted_weights_dir() if folder is None else folder
    return sorted(folder.glob("*.pt"), key=lambda p: p.name, reverse=True)
