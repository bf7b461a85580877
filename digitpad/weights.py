"""Checkpoints: saved atomically, versioned, and validated before any model uses them.

A checkpoint is a plain dict (so `torch.load(weights_only=True)` can read it without running
any pickled code): format version, the model's tensors, the training config, metrics, the
training data's checksum and the creation time.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

# atomic_write_bytes lives in digitpad.files (no torch); it stays importable from here.
from digitpad.errors import WeightsError
from digitpad.files import atomic_write_bytes
from digitpad.model import LeNet5
from digitpad.paths import resource_path

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
SHIPPED_WEIGHTS = "lenet5.pt"
#: A LeNet-5 checkpoint is ~250 KB; anything far larger is not one of ours.
MAX_CHECKPOINT_BYTES = 50 * 1024 * 1024
_REQUIRED_KEYS = ("format_version", "model", "config", "metrics", "data_checksum", "created")


@dataclass
class Checkpoint:
    state: dict[str, torch.Tensor]
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    data_checksum: str = ""
    created: str = ""
    format_version: int = FORMAT_VERSION
    path: Path | None = None

    @property
    def test_error(self) -> float | None:
        value = self.metrics.get("test_error")
        return float(value) if isinstance(value, (int, float)) else None

    def describe(self) -> str:
        """'lenet5.pt (test error 0.85%)', for people."""
        name = self.path.name if self.path else "unsaved weights"
        error = self.test_error
        return f"{name} (test error {100 * error:.2f}%)" if error is not None else name


def shipped_weights_path() -> Path:
    return resource_path(SHIPPED_WEIGHTS)


def save_checkpoint(path: Path, model: LeNet5, config: dict | None = None, metrics: dict | None = None,
                    data_checksum: str = "") -> Checkpoint:
    """Save `model` with its metadata atomically; raises WeightsError (naming the file) on failure."""
    import io

    checkpoint = Checkpoint(
        state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        config=dict(config or {}), metrics=dict(metrics or {}), data_checksum=data_checksum,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), path=Path(path))
    buffer = io.BytesIO()
    torch.save({"format_version": FORMAT_VERSION, "model": checkpoint.state, "config": checkpoint.config,
                "metrics": checkpoint.metrics, "data_checksum": data_checksum, "created": checkpoint.created},
               buffer)
    try:
        atomic_write_bytes(Path(path), buffer.getvalue())
    except OSError as exc:
        raise WeightsError(f"{path}: could not save weights: {exc.strerror or exc}") from exc
    return checkpoint


def _expected_state() -> dict[str, torch.Tensor]:
    return LeNet5().state_dict()


def validate_state(state: Any, source: str) -> dict[str, torch.Tensor]:
    """Check keys, shapes, dtypes and finiteness against a fresh LeNet-5; return the state."""
    if not isinstance(state, dict):
        raise WeightsError(f"{source}: the model entry is not a dict of tensors")
    expected = _expected_state()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing[:4])}")
        if extra:
            detail.append(f"unexpected {', '.join(str(e) for e in extra[:4])}")
        raise WeightsError(f"{source}: not a digitpad LeNet-5 checkpoint ({'; '.join(detail)})")
    for key, reference in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor):
            raise WeightsError(f"{source}: {key} is not a tensor")
        if tuple(value.shape) != tuple(reference.shape):
            raise WeightsError(f"{source}: {key} has shape {tuple(value.shape)}, expected {tuple(reference.shape)}")
        if not value.is_floating_point():
            raise WeightsError(f"{source}: {key} has dtype {value.dtype}, expected floating point")
        if not bool(torch.isfinite(value).all()):
            raise WeightsError(f"{source}: {key} contains NaN or infinite values")
    if not bool((state["prototypes"].abs() == 1).all()):
        raise WeightsError(f"{source}: the RBF prototypes must be ±1 bitmaps")
    return {k: v.float() for k, v in state.items()}


def load_checkpoint(path: Path) -> Checkpoint:
    """Read and validate a checkpoint; anything unusable raises WeightsError naming the file.

    Uses weights_only=True, so a file that tries to run code when unpickled is refused, not run.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WeightsError(f"{path}: file not found") from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise WeightsError(f"{path}: the file is empty")
    if size > MAX_CHECKPOINT_BYTES:
        raise WeightsError(f"{path}: {size:,} bytes is far too large for a LeNet-5 checkpoint")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for bad bytes: report, never crash
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            reason = "it contains objects other than plain tensors and numbers (refused for safety)"
        raise WeightsError(f"{path}: not a readable weights file: {reason}") from exc
    if not isinstance(raw, dict):
        raise WeightsError(f"{path}: not a digitpad checkpoint (top level is {type(raw).__name__})")
    missing = [k for k in _REQUIRED_KEYS if k not in raw]
    if missing:
        raise WeightsError(f"{path}: not a digitpad checkpoint (missing {', '.join(missing)})")
    version = raw["format_version"]
    if not isinstance(version, int) or version < 1:
        raise WeightsError(f"{path}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise WeightsError(f"{path}: written by a newer digitpad (format {version}; this one reads up to "
                           f"{FORMAT_VERSION})")
    state = validate_state(raw["model"], str(path))
    config = raw["config"] if isinstance(raw["config"], dict) else {}
    metrics = raw["metrics"] if isinstance(raw["metrics"], dict) else {}
    error = metrics.get("test_error")
    if error is not None and not (isinstance(error, (int, float)) and math.isfinite(error)):
        metrics = {k: v for k, v in metrics.items() if k != "test_error"}
    return Checkpoint(state=state, config=config, metrics=upgrade_metric_names(metrics), data_checksum=str(raw["data_checksum"]),
                      created=str(raw["created"]), format_version=version, path=path)


def upgrade_metric_names(metrics: dict) -> dict:
    """Older checkpoints' metrics under today's names (see digitpad.training_run), values kept."""
    metrics = dict(metrics)
    previous = metrics.pop("previous_test_error", None)
    total = metrics.get("test_total")
    if ("test_errors_before" not in metrics and isinstance(previous, (int, float))
            and isinstance(total, int) and 0 <= previous <= 1):
        metrics["test_errors_before"] = round(previous * total)
    if "fine_tuned" not in metrics and metrics.get("initial_weights"):
        metrics["fine_tuned"] = True
    return metrics


def model_from_checkpoint(checkpoint: Checkpoint, device: torch.device | str = "cpu") -> LeNet5:
    rubbish_j = checkpoint.config.get("rubbish_j")
    model = LeNet5(**({"rubbish_j": float(rubbish_j)} if isinstance(rubbish_j, (int, float)) else {}))
    model.load_state_dict(checkpoint.state)
    return model.to(device).eval()


def load_model(path: Path | None = None, device: torch.device | str = "cpu") -> tuple[LeNet5, Checkpoint]:
    """The model in `path` (default: the shipped weights), validated, on `device`, in eval mode."""
    checkpoint = load_checkpoint(Path(path) if path else shipped_weights_path())
    return model_from_checkpoint(checkpoint, device), checkpoint
