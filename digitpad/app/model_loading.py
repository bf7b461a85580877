"""Loading the network (torch, the model, the saved weights) for the app, on any thread.

Importing torch takes about a second; the window needs none of it to be shown and drawn on, so
the GUI runs `load_model_session` in a background worker (gui/jobs/model_loader.py) and installs the
finished `LoadedModel` on its own thread; tests and benchmarks call it directly. This module
imports no torch (nor Qt) until `load_model_session` runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digitpad.errors import one_line

if TYPE_CHECKING:
    import torch

    from digitpad.app.model_session import ModelSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadRequest:
    """What to load: the saved device and weights file (None: the defaults)."""

    device_name: str | None = None
    weights_file: Path | None = None
    #: torch's intra-op threads, set before any inference (None: leave torch's default).
    torch_threads: int | None = None


@dataclass
class LoadedModel:
    """A ready session, what went wrong on the way (in words), and the devices torch can use."""

    session: ModelSession
    problems: list[str]
    devices: list[tuple[torch.device, str]]


def load_model_session(request: LoadRequest) -> LoadedModel:
    """Import torch and the model, load and validate the weights (the saved ones, falling back to
    the shipped ones with a message, as `ModelSession.start` does). Runs on any thread, no Qt.
    Raises only when torch or the model cannot be used at all (e.g. torch is not installed)."""
    # the app's first import of torch, on the loader thread
    import torch

    if request.torch_threads is not None:
        torch.set_num_threads(request.torch_threads)  # before the first inference, in check_device
    from digitpad.app import model_session  # torch
    from digitpad.network.lenet5 import available_devices  # torch

    session = model_session.ModelSession("cpu")
    problems = session.start(request.device_name, request.weights_file)
    return LoadedModel(session, problems, available_devices())


def describe_failure(exc: BaseException) -> str:
    """One line for people (no traceback): what could not be loaded and why."""
    if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] == "torch":
        return f"PyTorch could not be imported ({exc}). Install it with: pip install torch"
    return one_line(exc)


def preload_torch_library() -> None:
    """Load libtorch_cpu, most of torch's native code, with the GIL released (Linux, best effort).

    Python holds the GIL while it dlopen()s an extension module, and loading torch._C pulls in
    libtorch_cpu (hundreds of MB, thousands of static initialisers): about 0.2 s in which the
    GUI thread cannot run a single Python event handler. Calling dlopen() through ctypes releases
    the GIL for that time; torch's own import then finds the library already loaded. The flags
    are the ones Python's import uses, so the library is loaded exactly as it would be anyway.
    Any problem here is ignored: `import torch` then simply does the work itself.
    """
    if not sys.platform.startswith("linux") or "torch" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("torch")
        if spec is None or spec.origin is None:
            return
        library = Path(spec.origin).parent / "lib" / "libtorch_cpu.so"
        if not library.is_file():
            return
        dlopen = ctypes.CDLL(None).dlopen
        dlopen.restype = ctypes.c_void_p
        dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
        if not dlopen(os.fsencode(library), sys.getdlopenflags()):
            log.debug("could not preload %s; torch will load it itself", library)
    except Exception:  # never let an optimisation stop the model from loading
        log.debug("preloading libtorch failed", exc_info=True)


@contextlib.contextmanager
def no_gc_pauses(module: str = "torch"):
    """No garbage collection while torch is imported, and none of its objects scanned after.

    Importing torch creates a few hundred thousand long-lived objects, which triggers full
    collections of the whole heap (60 ms each, about 180 ms in all on the project's machine);
    whichever thread allocates runs them holding the GIL, so the window freezes for as long.
    Those objects live as long as the process, so once they exist they are moved out of the
    collector's sight (gc.freeze, as CPython's documentation suggests after start-up) instead
    of being scanned by every later full collection, on the GUI thread, while someone draws.
    """
    if not gc.isenabled() or module in sys.modules:  # nothing to gain (e.g. in the tests)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


#: What torch.optim imports the first time an optimizer is made (its @_disable_dynamo decorator):
#: about 2 s of modules and a million objects, whose full collections froze the window for
#: 200–350 ms when Retrain… opened and its speed probe built the first optimizer.
TRAINING_STACK = "torch._dynamo"


def import_training_stack() -> None:
    """Import what training needs beyond the network, without garbage-collection pauses and
    frozen out of later collections (`no_gc_pauses`); for a worker thread, before it trains."""
    with no_gc_pauses(TRAINING_STACK):
        importlib.import_module(TRAINING_STACK)
