"""Checkpoints: saved atomically, versioned, and validated before any model uses them.

A checkpoint is a plain dict (so `torch.load(weights_only=True)` can read it without running
any pickled code): format version, the model's tensors, the training config, metrics, the
training data's checksum and the creation time.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import math
import pickletools
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from digitpad.network.architecture import RUBBISH_J_RANGE
from digitpad.errors import WeightsError
from digitpad.storage.file_kinds import describe_foreign_file, read_head
from digitpad.safe_files import atomic_write_bytes, write_new_file
from digitpad.network.lenet5 import LeNet5
from digitpad.paths import resource_path
from digitpad.storage.run_metrics import RunMetrics

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
SHIPPED_WEIGHTS = "lenet5.pt"
#: The default weights learnt MNIST and real pen strokes (they read people's handwriting better:
#: README, "Real handwriting"); shipped beside them, the paper's reproduction, trained on MNIST only.
SHIPPED_MNIST_WEIGHTS = "lenet5-mnist.pt"
#: A LeNet-5 checkpoint is ~250 KB; anything far larger is not one of ours.
MAX_CHECKPOINT_BYTES = 50 * 1024 * 1024
#: The archive inside a checkpoint may declare no more than this once decompressed (a 3 MB file
#: can declare a 3 GB record; torch would allocate it before anything else is checked).
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_ENTRIES = 1000
#: The pickle that describes a checkpoint (its tensors are separate records) is a few KB for
#: LeNet-5; the declared-size cap above bounds bytes, not the objects unpickling builds (a 413 KB
#: file can declare 60 MB of one-byte "empty dict" opcodes: gigabytes once built). So the pickle
#: records are bounded in size and in opcodes (each builds at most one object) before torch.load.
MAX_PICKLE_BYTES = 1024 * 1024
MAX_PICKLE_OPCODES = 200_000
_REQUIRED_KEYS = ("format_version", "model", "config", "metrics", "data_checksum", "created")
#: Limits for the metadata (config, metrics, checksum, date): plain JSON-like values only, so
#: nothing in a checkpoint can make printing or comparing it slow (a list of shared references
#: expands without bound when printed) or overflow (a 400-digit integer has no float).
MAX_METADATA_ITEMS = 20_000
MAX_METADATA_DEPTH = 8
MAX_METADATA_STRING = 4096
MAX_METADATA_INT = 2**53


@dataclass
class Checkpoint:
    state: dict[str, torch.Tensor]
    config: dict[str, Any] = field(default_factory=dict)
    metrics: RunMetrics = field(default_factory=RunMetrics)
    data_checksum: str = ""
    created: str = ""
    format_version: int = FORMAT_VERSION
    path: Path | None = None

    @property
    def test_error(self) -> float | None:
        return self.metrics.test_error

    def describe(self) -> str:
        """'lenet5.pt (test error 0.85%)', or the name given when it was adopted, for people."""
        given = self.metrics.name
        name = given if given and given.strip() else self.path.name if self.path else "unsaved weights"
        error = self.test_error
        return f"{name} (test error {100 * error:.2f}%)" if error is not None else name


def shipped_weights_path() -> Path:
    return resource_path(SHIPPED_WEIGHTS)


def shipped_mnist_weights_path() -> Path:
    """The weights trained on MNIST alone (the paper's training data), shipped beside the default."""
    return resource_path(SHIPPED_MNIST_WEIGHTS)


def _checkpoint_bytes(model: LeNet5, config: dict | None, metrics: RunMetrics | None,
                      data_checksum: str) -> tuple[Checkpoint, bytes]:
    checkpoint = Checkpoint(
        state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        config=dict(config or {}), metrics=metrics or RunMetrics(), data_checksum=data_checksum,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    buffer = io.BytesIO()
    torch.save({"format_version": FORMAT_VERSION, "model": checkpoint.state, "config": checkpoint.config,
                "metrics": checkpoint.metrics.to_dict(), "data_checksum": data_checksum, "created": checkpoint.created},
               buffer)
    return checkpoint, buffer.getvalue()


def save_checkpoint(path: Path, model: LeNet5, config: dict | None = None, metrics: RunMetrics | None = None,
                    data_checksum: str = "") -> Checkpoint:
    """Save `model` with its metadata atomically; raises WeightsError (naming the file) on failure."""
    checkpoint, data = _checkpoint_bytes(model, config, metrics, data_checksum)
    try:
        atomic_write_bytes(Path(path), data)
    except OSError as exc:
        raise WeightsError(f"{path}: could not save weights: {exc.strerror or exc}") from exc
    checkpoint.path = Path(path)
    return checkpoint


def save_new_checkpoint(folder: Path, stem: str, model: LeNet5, config: dict | None = None,
                        metrics: RunMetrics | None = None, data_checksum: str = "") -> Checkpoint:
    """Save under a new name in `folder` (`<stem>.pt`, else `<stem>_2.pt`, …) that no other
    process saving at the same moment can also take; the checkpoint's `path` says which."""
    checkpoint, data = _checkpoint_bytes(model, config, metrics, data_checksum)
    try:
        checkpoint.path = write_new_file(Path(folder), stem, ".pt", data)
    except OSError as exc:
        raise WeightsError(f"{folder}: could not save weights: {exc.strerror or exc}") from exc
    return checkpoint


def _expected_state() -> dict[str, torch.Tensor]:
    return LeNet5().state_dict()


def validate_state(state: Any, source: str) -> dict[str, torch.Tensor]:
    """Check keys, shapes, dtypes and finiteness (as float32, the model's type: 1e300 is not)
    against a fresh LeNet-5; return the state as float32."""
    if not isinstance(state, dict):
        raise WeightsError(f"{source}: the model entry is not a dict of tensors")
    if len(state) > 1000 or not all(isinstance(key, str) and len(key) < 200 for key in state):
        raise WeightsError(f"{source}: not a digitpad LeNet-5 checkpoint (its model entry has odd names)")
    expected = _expected_state()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing[:4])}")
        if extra:
            detail.append(f"unexpected {', '.join(extra[:4])}")
        raise WeightsError(f"{source}: not a digitpad LeNet-5 checkpoint ({'; '.join(detail)})")
    converted = {}
    for key, reference in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor):
            raise WeightsError(f"{source}: {key} is not a tensor")
        if tuple(value.shape) != tuple(reference.shape):
            raise WeightsError(f"{source}: {key} has shape {tuple(value.shape)}, expected {tuple(reference.shape)}")
        if not value.is_floating_point():
            raise WeightsError(f"{source}: {key} has dtype {value.dtype}, expected floating point")
        value = value.to(torch.float32)  # checked after the cast: a finite float64 may overflow
        if not bool(torch.isfinite(value).all()):
            raise WeightsError(f"{source}: {key} contains NaN or infinite values (as 32-bit floats)")
        converted[key] = value
    if not bool((converted["prototypes"].abs() == 1).all()):
        raise WeightsError(f"{source}: the RBF prototypes must be ±1 bitmaps")
    return converted


def check_archive(path: Path) -> None:
    """Refuse, from the zip directory alone, an archive that would inflate far beyond a checkpoint."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise WeightsError(f"{path}: not a readable weights file: not a PyTorch checkpoint archive ({exc})") from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise WeightsError(f"{path}: not a digitpad checkpoint ({len(entries):,} records in the archive)")
    declared = sum(entry.file_size for entry in entries)
    if declared > MAX_ARCHIVE_BYTES:
        raise WeightsError(f"{path}: its records declare {declared:,} bytes, far too large for a LeNet-5 "
                           "checkpoint (refused before reading them)")
    for entry in entries:
        if entry.filename.endswith(".pkl"):
            _check_pickle(path, entry)


def _check_pickle(path: Path, entry: zipfile.ZipInfo) -> None:
    """Refuse a pickle record that is large, or would build many objects, before torch unpickles it."""
    if entry.file_size > MAX_PICKLE_BYTES:
        raise WeightsError(f"{path}: its pickle record declares {entry.file_size:,} bytes, far more than "
                           f"a LeNet-5 checkpoint's (at most {MAX_PICKLE_BYTES:,}; refused before unpickling)")
    try:
        with zipfile.ZipFile(path) as archive, archive.open(entry) as record:
            data = record.read(MAX_PICKLE_BYTES + 1)
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, zlib.error) as exc:
        raise WeightsError(f"{path}: not a readable weights file: a damaged record ({exc})") from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_PICKLE_BYTES:
        raise WeightsError(f"{path}: its pickle record is over {MAX_PICKLE_BYTES:,} bytes (refused before unpickling)")
    count = 0
    try:
        for _ in pickletools.genops(data):
            count += 1
            if count > MAX_PICKLE_OPCODES:
                raise WeightsError(f"{path}: its pickle would build over {MAX_PICKLE_OPCODES:,} objects, far more "
                                   "than a LeNet-5 checkpoint (refused before unpickling)")
    except (ValueError, EOFError) as exc:  # pickletools' word for a malformed stream
        raise WeightsError(f"{path}: not a readable weights file: a malformed pickle ({str(exc)[:100]})") from None


def check_plain(value: Any, what: str, source: str) -> Any:
    """`value` if it is JSON-like (dicts with string keys, lists, strings, bools, None, numbers) and
    small (MAX_METADATA_*); non-finite floats become None. Iterative: no recursion to exhaust."""
    def refuse(reason: str) -> WeightsError:
        return WeightsError(f"{source}: unusable metadata in {what} ({reason})")

    def plain_scalar(item: Any) -> Any:
        if item is None or isinstance(item, bool):
            return item
        if isinstance(item, int):
            if abs(item) > MAX_METADATA_INT:
                raise refuse("an integer too large")
            return item
        if isinstance(item, float):
            return item if math.isfinite(item) else None
        if isinstance(item, str):
            if len(item) > MAX_METADATA_STRING:
                raise refuse(f"a text of {len(item):,} characters")
            return item
        raise refuse(f"a value of type {type(item).__name__}")

    count = 0
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]  # (value, container, key, depth)
    while stack:
        item, container, key, depth = stack.pop()
        count += 1
        if count > MAX_METADATA_ITEMS:
            raise refuse(f"more than {MAX_METADATA_ITEMS:,} values")
        if isinstance(item, (dict, list, tuple)):
            if depth >= MAX_METADATA_DEPTH:
                raise refuse(f"nested more than {MAX_METADATA_DEPTH} deep")
            if isinstance(item, dict):
                copy: Any = {}
                for k, v in item.items():
                    if not isinstance(k, str) or len(k) > 200:
                        raise refuse("a key that is not a short text")
                    stack.append((v, copy, k, depth + 1))
            else:
                copy = [None] * len(item)
                stack.extend((v, copy, i, depth + 1) for i, v in enumerate(item))
            container[key] = copy
        else:
            container[key] = plain_scalar(item)
    return root[0]


def _metadata(raw: dict, path: Path) -> tuple[dict, RunMetrics, str, str]:
    """Config, metrics, data checksum and creation date, each checked by type and size."""
    config = check_plain(raw["config"], "config", str(path)) if isinstance(raw["config"], dict) else {}
    metrics = check_plain(raw["metrics"], "metrics", str(path)) if isinstance(raw["metrics"], dict) else {}
    texts = []
    for key in ("data_checksum", "created"):
        value = raw[key]
        if not isinstance(value, str) or len(value) > 200:
            raise WeightsError(f"{path}: unusable metadata in {key} (expected a short text)")
        texts.append(value)
    if "rubbish_j" in config:  # non-finite values are None by now
        rubbish_j, (low, high) = config["rubbish_j"], RUBBISH_J_RANGE
        if isinstance(rubbish_j, bool) or not isinstance(rubbish_j, (int, float)) or not low < rubbish_j <= high:
            raise WeightsError(f"{path}: unusable rubbish_j {str(rubbish_j)[:20]} in config "
                               f"(eq. 9's j must be a number in ({low:g}, {high:g}])")
    return config, RunMetrics.from_dict(metrics), texts[0], texts[1]


def _probe(state: dict[str, torch.Tensor], config: dict, path: Path) -> None:
    """A forward pass on a blank, a full-ink and a striped input must give finite penalties:
    finite weights can still overflow (weights near 3e38 give NaN penalties)."""
    model = _model(state, config)
    probe = torch.full((3, 1, 32, 32), -0.1)
    probe[1] = 1.175
    probe[2, :, ::2] = 1.175
    with torch.inference_mode():
        internals = model.forward_with_internals(probe)
    if not (bool(torch.isfinite(internals.penalties).all()) and bool(torch.isfinite(internals.rubbish).all())):
        raise WeightsError(f"{path}: the network gives NaN or infinite outputs with these weights")


def read_torch_file(path: Path, max_bytes: int = MAX_CHECKPOINT_BYTES, what: str = "a LeNet-5 checkpoint",
                    kind: tuple[str, str] | None = None) -> Any:
    """What a file saved by torch.save holds, read as safely as torch allows; WeightsError naming
    the file for anything else (missing, not a regular file, empty, too large, another kind of
    file, an archive declaring too much, objects other than tensors and plain values).

    Uses weights_only=True, so a file that tries to run code when unpickled is refused, not run;
    before that, the archive's declared sizes are checked. `kind`: (what was wanted, where
    digitpad's own come from) to say what another kind of file is not (default: weights)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WeightsError(f"{path}: file not found") from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise WeightsError(f"{path}: not a regular file")
    if size == 0:
        raise WeightsError(f"{path}: the file is empty")
    if size > max_bytes:
        raise WeightsError(f"{path}: {size:,} bytes is far too large for {what}")
    try:
        foreign = describe_foreign_file(read_head(path), *(kind or ()))
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if foreign is not None:
        raise WeightsError(f"{path}: {foreign}")
    check_archive(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for bad bytes: report, never crash
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            reason = "it contains objects other than plain tensors and numbers (refused for safety)"
        raise WeightsError(f"{path}: not a readable weights file: {reason[:300]}") from exc


def load_checkpoint(path: Path) -> Checkpoint:
    """Read and validate a checkpoint; anything unusable raises WeightsError naming the file.

    Read by `read_torch_file` (weights_only=True, sizes checked first); then the tensors (as
    float32), the metadata (type and size) and a probe forward pass are checked.
    """
    path = Path(path)
    raw = read_torch_file(path)
    if not isinstance(raw, dict):
        raise WeightsError(f"{path}: not a digitpad checkpoint (top level is {type(raw).__name__})")
    missing = [k for k in _REQUIRED_KEYS if k not in raw]
    if missing:
        raise WeightsError(f"{path}: not a digitpad checkpoint (missing {', '.join(missing)})")
    version = raw["format_version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 10**6:
        raise WeightsError(f"{path}: invalid format version {str(version)[:20]}")
    if version > FORMAT_VERSION:
        raise WeightsError(f"{path}: written by a newer digitpad (format {version}; this one reads up to "
                           f"{FORMAT_VERSION})")
    config, metrics, data_checksum, created = _metadata(raw, path)
    state = validate_state(raw["model"], str(path))
    _probe(state, config, path)
    return Checkpoint(state=state, config=config, metrics=metrics, data_checksum=data_checksum,
                      created=created, format_version=version, path=path)


def _model(state: dict[str, torch.Tensor], config: dict) -> LeNet5:
    rubbish_j = config.get("rubbish_j")
    model = LeNet5(**({"rubbish_j": float(rubbish_j)} if isinstance(rubbish_j, (int, float))
                      and not isinstance(rubbish_j, bool) else {}))
    model.load_state_dict(state)
    return model.eval()


def model_from_checkpoint(checkpoint: Checkpoint, device: torch.device | str = "cpu") -> LeNet5:
    return _model(checkpoint.state, checkpoint.config).to(device).eval()


def load_model(path: Path | None = None, device: torch.device | str = "cpu") -> tuple[LeNet5, Checkpoint]:
    """The model in `path` (default: the shipped weights), validated, on `device`, in eval mode."""
    checkpoint = load_checkpoint(Path(path) if path else shipped_weights_path())
    return model_from_checkpoint(checkpoint, device), checkpoint
