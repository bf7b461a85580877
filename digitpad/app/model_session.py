"""Which network the window uses: its weights, where they came from, and its device.

Every change is all-or-nothing: a bad weights file or a device that fails raises before
anything is replaced, so the window keeps recognising with the old model. Reading a weights
file (tens of milliseconds: torch.load, the checks, a probe forward pass) is `read_weights`,
which touches no session, so the GUI runs it off its thread and hands the result to `use`.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from digitpad.network.lenet5 import LeNet5, device_description, pick_device
from digitpad.reading.recognition import Recognizer
from digitpad.storage.checkpoints import Checkpoint, load_checkpoint, model_from_checkpoint, shipped_weights_path
from digitpad.errors import WeightsError, one_line

log = logging.getLogger(__name__)

UNTRAINED_LABEL = "untrained network (no shipped weights found)"


def _reason(exc: BaseException) -> str:
    """One short line for the status bar."""
    return one_line(exc)


def shipped_weights_file() -> Path:
    """The shipped weights; the one place a session asks for them (tests may point it elsewhere)."""
    return shipped_weights_path()


def check_device(model: LeNet5, device: torch.device) -> LeNet5:
    """`model` on `device`, after one tiny forward pass there (an unusable GPU fails here, now).
    A model on another device is copied, never moved: a loaded model is immutable, as background
    jobs (explanations, sweeps, number readings) may be running on it."""
    if next(model.parameters()).device != device:
        model = copy.deepcopy(model).to(device)
    with torch.inference_mode():
        model(torch.zeros(1, 1, 32, 32, device=device))
    return model


def _runnable(model: LeNet5, label: str, device: torch.device) -> LeNet5:
    """`model` in eval mode on `device`, tried there; WeightsError naming `label` if it does not run."""
    try:
        return check_device(model.eval(), device)
    except Exception as exc:
        raise WeightsError(f"{label}: the model does not run on {device_description(device)}: {exc}") from exc


@dataclass(frozen=True)
class ReadWeights:
    """A weights file read, validated and tried on `device`: ready for `ModelSession.use`."""

    model: LeNet5
    checkpoint: Checkpoint
    label: str                  # for the status bar: 'shipped weights, test error 0.85%' or 'mine.pt (…)'
    weights_file: Path | None   # None: the shipped weights
    device: torch.device


def read_weights(path: Path | None, device: torch.device | str) -> ReadWeights:
    """Read and validate `path` (None: the shipped weights) and try the model on `device`.
    Touches no session, so it runs on any thread. Raises WeightsError naming the file."""
    device = torch.device(device)
    if path is None:
        checkpoint = load_checkpoint(shipped_weights_file())
        error = checkpoint.test_error
        label = "shipped weights" + (f", test error {100 * error:.2f}%" if error is not None else "")
    else:
        path = Path(path)
        checkpoint = load_checkpoint(path)
        label = checkpoint.describe()
    model = _runnable(model_from_checkpoint(checkpoint), label, device)
    return ReadWeights(model, checkpoint, label, path, device)


class ModelSession:
    """The current model, its checkpoint and source, and the Recognizer built on them."""

    def __init__(self, device: torch.device | str = "cpu"):
        self._device = torch.device(device)
        self._checkpoint: Checkpoint | None = None
        self._source_label = UNTRAINED_LABEL
        self._weights_file: Path | None = None
        self._recognizer = Recognizer(LeNet5(), self._device)

    # ---- what is loaded --------------------------------------------------------------------
    @property
    def recognizer(self) -> Recognizer:
        return self._recognizer

    @property
    def model(self) -> LeNet5:
        return self._recognizer.model

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def checkpoint(self) -> Checkpoint | None:
        return self._checkpoint

    @property
    def weights_file(self) -> Path | None:
        """The user's weights file, or None for the shipped weights (or another source)."""
        return self._weights_file

    @property
    def source_label(self) -> str:
        return self._source_label

    def weights_text(self) -> str:
        """For the status bar: 'shipped weights, test error 0.85%' or 'mine.pt (test error 1.10%)'."""
        return self._source_label

    def device_text(self) -> str:
        return device_description(self._device)

    # ---- changing it -----------------------------------------------------------------------
    def start(self, device_name: str | None, weights_file: Path | None) -> list[str]:
        """The saved device and weights if they work, else the CPU and the shipped weights (else
        an untrained network). Never raises: returns what went wrong, in words, for the status bar."""
        problems = []
        try:
            self.set_device(pick_device(device_name))
        except Exception as exc:  # a missing or broken GPU must not stop the app from starting
            problems.append(f"Device {device_name or 'cuda'} is not usable ({exc}); using the CPU.")
            self.set_device("cpu")
        if weights_file is not None:
            try:
                self.load_file(weights_file)
                return problems
            except Exception as exc:  # WeightsError, or anything a hostile file may still cause
                if not isinstance(exc, WeightsError):
                    log.exception("could not load %s", weights_file)
                problems.append(f"Could not load your last weights: {_reason(exc)}. Using the shipped weights.")
        try:
            self.load_shipped()
        except Exception as exc:
            if not isinstance(exc, WeightsError):
                log.exception("could not load the shipped weights")
            problems.append(f"No usable shipped weights ({_reason(exc)}): the network is untrained.")
        return problems

    def load_shipped(self) -> None:
        """Raises WeightsError (naming the file) when the shipped weights are missing or bad."""
        self.use(read_weights(None, self._device))

    def load_file(self, path: Path) -> None:
        """Raises WeightsError naming the file; on failure the current model stays."""
        self.use(read_weights(Path(path), self._device))

    def use(self, weights: ReadWeights) -> None:
        """Use weights `read_weights` has read (on this thread or another); tried again only if
        the device changed meanwhile (WeightsError if they do not run on it)."""
        self._adopt(weights.model, weights.checkpoint, weights.label, weights.weights_file,
                    tried=weights.device == self._device)

    def set_model(self, model: LeNet5, checkpoint: Checkpoint | None, source_label: str,
                  weights_file: Path | None = None) -> None:
        """Use an already built model (e.g. one just trained); raises if it cannot run here."""
        self._adopt(model, checkpoint, source_label, weights_file)

    def set_device(self, device: torch.device | str) -> None:
        """Use a copy of the model on `device`; the recognizer jobs hold keeps its own model. Any
        failure (no such GPU, out of memory…) leaves everything as it was."""
        device = torch.device(device)
        if device == self._device:
            return
        model = check_device(self.model, device)
        self._device = device
        self._recognizer = Recognizer(model, device)

    def _adopt(self, model: LeNet5, checkpoint: Checkpoint | None, label: str, weights_file: Path | None,
               tried: bool = False) -> None:
        if not tried:
            model = _runnable(model, label, self._device)
        self._recognizer = Recognizer(model, self._device)
        self._checkpoint, self._source_label, self._weights_file = checkpoint, label, weights_file
