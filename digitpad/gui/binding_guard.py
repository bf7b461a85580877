"""A guard against a reference-counting bug of PySide6 6.12 on Python 3.11 and older.

There, every call of a Qt method that returns void (`setText`, `update`, `QPainter.drawRect`…)
drops a reference to None that it never took, and every `Signal.emit` one to True. Before
Python 3.12 their reference counts are kept like any object's, so after some thousands of such
calls — a few dozen recognitions, each repainting the panels — one reaches zero and the
interpreter aborts with "Fatal Python error: none_dealloc: deallocating None" (or bool_dealloc).
From Python 3.12 on these objects are immortal (PEP 683) and the bug is harmless.

`guard_singleton_refcounts()` measures the leak once and, only if there is one, gives None,
True and False reference counts so large that no session can use them up: what PEP 683 does.
They are static objects that are never freed, so larger counts change nothing else.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_PROBE_CALLS = 64
#: Added to None's reference count: at one leaked reference per Qt call, never used up.
_RESERVE = 1 << 60
_guarded = False


def refs_leaked_per_call() -> float:
    """References to None lost by one void Qt call plus those to True lost by one emit
    (0 with a correct binding)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
        probe.objectNameChanged.emit("probe")
    lost = (none_before - sys.getrefcount(None)) + (true_before - sys.getrefcount(True))
    return lost / _PROBE_CALLS


def guard_singleton_refcounts() -> bool:
    """Protect this process from the leak if it has it; returns True when the guard is on."""
    global _guarded
    if _guarded:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False  # None, True and False are immortal there
    leak = refs_leaked_per_call()
    if leak < 0.5:
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in release builds of CPython; check
        # that before writing there (getrefcount counts its own argument too).
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if abs(refcount.value - (sys.getrefcount(singleton) - 1)) > 2:
            log.warning("PySide6 leaks references to %r, but this interpreter's object layout is "
                        "unknown: not guarded", singleton)
            return False
        refcount.value += _RESERVE
    _guarded = True
    log.info("PySide6 %s loses references to None/True (%.1f per call) on Python %d.%d; guarded "
             "against the crash it would cause", _pyside_version(), leak, *sys.version_info[:2])
    return True


def _pyside_version() -> str:
    try:
        import PySide6

        return PySide6.__version__
    except (ImportError, AttributeError):
        return "?"
