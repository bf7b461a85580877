"""Loading the network, and later other weights, off the GUI thread.

`ModelLoadWorker` runs `digitpad.app.model_loading.load_model_session` in a `BackgroundJob` (the
app's one pattern for background work, gui/jobs/background.py) and hands the finished `LoadedModel`
to the GUI thread through `finished`; `failed` says in one line why there is no network. So the
window appears before torch is imported. `WeightsReadWorker` reads one weights file (Load
Weights…, Weights History, Revert to Shipped Weights) the same way: reading and validating one
takes tens of milliseconds, longer for a large or hostile file.
No torch at module level here (checked by a test): this module is imported with the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from digitpad.app import model_loading
from digitpad.gui.jobs.background import Worker
from digitpad.errors import WeightsError

if TYPE_CHECKING:
    import torch

    from digitpad.app.model_session import ReadWeights


class ModelLoadWorker(Worker):
    """Imports torch and the model and loads the saved (or shipped) weights; cannot be cancelled
    (an import cannot be interrupted), so closing the app waits for it (see app.py)."""

    failure_log = "could not load the network"

    def __init__(self, request: model_loading.LoadRequest):
        super().__init__()
        self.request = request

    def work(self) -> model_loading.LoadedModel:
        with model_loading.no_gc_pauses():
            model_loading.preload_torch_library()
            return model_loading.load_model_session(self.request)  # looked up here: tests replace it

    def describe_failure(self, exc: BaseException) -> str:
        return model_loading.describe_failure(exc)



class WeightsReadWorker(Worker):
    """Reads and validates one weights file (None: the shipped weights) and tries it on `device`;
    `finished` carries the `ReadWeights`, `failed` one line naming the file. Not cancellable
    (one file is read in bounded time); a result no longer wanted is ignored by its receiver."""

    failure_log = "could not read the weights"

    def __init__(self, path: Path | None, device: torch.device):
        super().__init__()
        self.path, self.device = path, device

    def work(self) -> ReadWeights:
        # torch: imported on the worker thread, not at start-up
        from digitpad.app import model_session

        return model_session.read_weights(self.path, self.device)

    def describe_failure(self, exc: BaseException) -> str:
        if isinstance(exc, WeightsError):
            return str(exc)  # it names the file
        return f"{self.path or 'the shipped weights'}: {super().describe_failure(exc)}"
