"""A training run's time-lapse: float16 snapshots of the weights at ~40 points, beside the checkpoint.

`lenet5.pt`'s snapshots are `lenet5.snapshots` in the same folder (not `*.pt`: the weights folder
lists `*.pt` files as checkpoints). The file is a plain dict read with `torch.load(weights_only=True)`:

| key | value |
|---|---|
| `format_version`, `kind` | 1, "digitpad-snapshots" |
| `steps` | optimizer steps done when each snapshot was taken (0: the weights training started from) |
| `epochs` | the same points in epochs (fractional: 2.5 is half-way through the third epoch) |
| `losses` | the running mean training loss of the epoch at that point (None at step 0) |
| `history` | per epoch: `{"epoch", "train_loss", "test_error"}` (the curves) |
| `weights` | each state-dict entry stacked over the snapshots, float16: shape (n, *entry's shape) |

The snapshots are the weights the run would have kept at that point (with weight averaging, the
average), so the last one is the checkpoint's model rounded to float16. 41 snapshots of LeNet-5's
60,840 numbers take 4.9 MB. A file is validated like a checkpoint (every snapshot's tensors as the
model's, finite as float32) and `Snapshots.matches` tells whether it belongs to a given model.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from digitpad.errors import WeightsError
from digitpad.network.lenet5 import LeNet5
from digitpad.storage.checkpoints import check_plain, read_torch_file, validate_state
from digitpad.safe_files import atomic_write_bytes

FORMAT_VERSION = 1
KIND = "digitpad-snapshots"
SUFFIX = ".snapshots"
#: 41 snapshots are ~5 MB; a file far larger is not ours.
MAX_SNAPSHOTS_BYTES = 24 * 1024 * 1024
MAX_SNAPSHOTS = 200
MAX_HISTORY_EPOCHS = 10_000
#: float16 holds LeNet-5's weights (|w| ≤ a few units) to about 3 significant digits; a snapshot
#: "is" a model when every weight agrees this closely.
MATCH_TOLERANCE = 2e-3


def snapshots_path(checkpoint_path: Path | str) -> Path:
    """Where the snapshots of the checkpoint at `checkpoint_path` live: beside it, `<stem>.snapshots`."""
    return Path(checkpoint_path).with_suffix(SUFFIX)


@dataclass
class Snapshots:
    """The snapshots of one run, oldest first; `weights[key][i]` is entry `key` of snapshot i."""

    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    losses: list[float | None] = field(default_factory=list)
    weights: dict[str, torch.Tensor] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.steps)

    def state(self, index: int) -> dict[str, torch.Tensor]:
        """Snapshot `index` as a float32 state dict a LeNet5 loads."""
        return {key: stack[index].to(torch.float32) for key, stack in self.weights.items()}

    def model(self, index: int, rubbish_j: float | None = None) -> LeNet5:
        model = LeNet5(**({"rubbish_j": rubbish_j} if rubbish_j is not None else {}))
        model.load_state_dict(self.state(index))
        return model.eval()

    def nbytes(self) -> int:
        return sum(stack.numel() * stack.element_size() for stack in self.weights.values())

    def matches(self, state: dict[str, torch.Tensor]) -> bool:
        """True when the last snapshot is `state` (to float16's precision): these are its run's."""
        if not len(self) or set(state) != set(self.weights):
            return False
        last = self.state(len(self) - 1)
        return all(torch.allclose(last[key], value.to(torch.float32), atol=MATCH_TOLERANCE, rtol=MATCH_TOLERANCE)
                   for key, value in state.items())

    def extend(self, later: Snapshots) -> None:
        """Append a later stage's snapshots (its steps and epochs counted on from this one's)."""
        if not len(later):
            return
        step_offset = self.steps[-1] if self.steps else 0
        epoch_offset = self.epochs[-1] if self.epochs else 0.0
        start = 1 if len(self) else 0  # the later stage's step 0 is this stage's last snapshot
        self.steps += [s + step_offset for s in later.steps[start:]]
        self.epochs += [e + epoch_offset for e in later.epochs[start:]]
        self.losses += later.losses[start:]
        self.history += [dict(h, epoch=h["epoch"] + round(epoch_offset)) for h in later.history]
        self.weights = ({key: torch.cat([stack, later.weights[key][start:]]) for key, stack in self.weights.items()}
                        if self.weights else {key: stack[start:].clone() for key, stack in later.weights.items()})


def snapshots_bytes(snapshots: Snapshots) -> bytes:
    buffer = io.BytesIO()
    torch.save({"format_version": FORMAT_VERSION, "kind": KIND, "steps": list(snapshots.steps),
                "epochs": list(snapshots.epochs), "losses": list(snapshots.losses),
                "history": list(snapshots.history),
                "weights": {key: stack.to(torch.float16).contiguous() for key, stack in snapshots.weights.items()}},
               buffer)
    return buffer.getvalue()


def save_snapshots(checkpoint_path: Path | str, snapshots: Snapshots) -> Path:
    """Write `snapshots` beside the checkpoint (atomically); WeightsError naming the file on failure."""
    path = snapshots_path(checkpoint_path)
    try:
        atomic_write_bytes(path, snapshots_bytes(snapshots))
    except OSError as exc:
        raise WeightsError(f"{path}: could not save the training snapshots: {exc.strerror or exc}") from exc
    return path


#: How a file that is not one is told apart (storage.file_kinds): it was said to be "not weights",
#: and that digitpad loads the .pt checkpoints it makes.
SNAPSHOTS_KIND = ("training snapshots", "digitpad keeps a run's snapshots beside its checkpoint, as "
                  "<checkpoint name>.snapshots (Model → Retrain…, `digitpad train`)")


def load_snapshots(path: Path | str) -> Snapshots:
    """Read and validate a snapshots file; anything unusable raises WeightsError naming the file."""
    path = Path(path)
    raw = read_torch_file(path, MAX_SNAPSHOTS_BYTES, "a file of training snapshots", SNAPSHOTS_KIND)
    if not isinstance(raw, dict) or raw.get("kind") != KIND:
        raise WeightsError(f"{path}: not a digitpad file of training snapshots")
    version = raw.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 10**6:
        raise WeightsError(f"{path}: invalid format version {str(version)[:20]}")
    if version > FORMAT_VERSION:
        raise WeightsError(f"{path}: written by a newer digitpad (format {version}; this one reads up to "
                           f"{FORMAT_VERSION})")
    steps, epochs, losses = raw.get("steps"), raw.get("epochs"), raw.get("losses")
    if not all(isinstance(v, list) for v in (steps, epochs, losses)):
        raise WeightsError(f"{path}: steps, epochs and losses must be lists")
    count = len(steps)
    if not 1 <= count <= MAX_SNAPSHOTS or len(epochs) != count or len(losses) != count:
        raise WeightsError(f"{path}: unusable snapshot counts ({len(steps)} steps, {len(epochs)} epochs, "
                           f"{len(losses)} losses; 1 to {MAX_SNAPSHOTS} of each expected)")
    if not all(_is_int(s) and 0 <= s < 2**53 for s in steps) or any(b < a for a, b in zip(steps, steps[1:])):
        raise WeightsError(f"{path}: the snapshots' steps must be counts in increasing order")
    if not all(_is_finite(e) and 0 <= e <= MAX_HISTORY_EPOCHS for e in epochs):
        raise WeightsError(f"{path}: the snapshots' epochs must be finite numbers")
    losses = [float(v) if _is_finite(v) else None for v in losses]
    history = _history(raw.get("history"), path)
    return Snapshots(list(steps), [float(e) for e in epochs], losses, _weights(raw.get("weights"), count, path),
                     history)


def _weights(weights: Any, count: int, path: Path) -> dict[str, torch.Tensor]:
    """The stacked tensors, checked as `count` LeNet-5 states (keys, shapes, finite as float32, ±1
    prototypes); kept float16."""
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise WeightsError(f"{path}: the snapshots' weights entry is not a dict of tensors")
    if any(v.dim() == 0 or v.shape[0] != count for v in weights.values()):
        raise WeightsError(f"{path}: every stacked weight must hold {count} snapshots")
    for index in range(count):
        validate_state({key: stack[index] for key, stack in weights.items()}, f"{path} (snapshot {index + 1})")
    return {key: stack.to(torch.float16) for key, stack in weights.items()}


def _history(history: Any, path: Path) -> list[dict]:
    if history is None:
        return []
    if not isinstance(history, list) or len(history) > MAX_HISTORY_EPOCHS:
        raise WeightsError(f"{path}: the snapshots' history must be a list of epochs")
    history = check_plain(history, "history", str(path))
    kept = []
    for item in history:
        if not (isinstance(item, dict) and _is_int(item.get("epoch"))):
            raise WeightsError(f"{path}: each epoch of the snapshots' history needs its number")
        kept.append({"epoch": item["epoch"],
                     "train_loss": float(item["train_loss"]) if _is_finite(item.get("train_loss")) else None,
                     "test_error": float(item["test_error"]) if _is_finite(item.get("test_error"))
                     and 0 <= item["test_error"] <= 1 else None})
    return kept


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
