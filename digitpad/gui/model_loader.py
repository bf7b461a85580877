"""Loading the network off the GUI thread, so the window appears before torch is imported.

`ModelLoadWorker` runs `digitpad.model_loading.load_model_session` in a `BackgroundJob` (the
app's one pattern for background work, gui/background.py) and hands the finished `LoadedModel`
to the GUI thread through `finished`; `failed` says in one line why there is no network.
No torch at module level here (checked by a test): this module is imported with the window.
"""

from __future__ import annotations

from digitpad import model_loading
from digitpad.gui.background import Worker


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

