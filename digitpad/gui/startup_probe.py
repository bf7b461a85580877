"""Start-up timings for benchmarks/startup.py, taken inside the app (DIGITPAD_STARTUP_PROBE).

benchmarks/startup.py launches `python -m digitpad` with DIGITPAD_STARTUP_PROBE set to the time
of the launch (`time.time()`, the same clock in both processes). The app then prints one line,
`digitpad-startup-probe {json}`, and quits as soon as the network is ready (or failed), with:

- `usable`: seconds from the launch until the window was shown and had one event-loop turn;
- `model_ready`: seconds until the network was installed (the first recognition possible);
- `max_stall`: the longest the GUI thread could not run a Python event handler while the model
  loaded in the background: a 5 ms timer runs from `usable` to `model_ready` and the largest
  gap between its ticks is reported (5 ms means never blocked), with `stall_at`, when it ended;
- `torch_threads`: torch.get_num_threads() on the GUI thread once the model is ready;
- `error`: why the network could not be loaded, or null.

If the variable holds no time (e.g. "1"), times count from when the window was created.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer

if TYPE_CHECKING:
    from digitpad.gui.context import WindowContext

PREFIX = "digitpad-startup-probe "
TICK_MS = 5


class StartupProbe(QObject):
    def __init__(self, context: WindowContext, launched: str):
        super().__init__(context)
        try:
            self.launched, self.launch_known = float(launched), True
        except ValueError:
            self.launched, self.launch_known = time.time(), False
        self.usable: float | None = None
        self.max_stall = 0.0
        self.stall_at: float | None = None
        self.stalls_over_50ms = 0
        self._last_tick = 0.0
        self._loaded: tuple[float | None, str | None] | None = None  # (when, error) once settled
        self._ticker = QTimer(self)
        self._ticker.setTimerType(Qt.TimerType.PreciseTimer)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        context.modelReady.connect(lambda: self._settled(None))
        context.modelFailed.connect(self._settled)

    def _now(self) -> float:
        return time.time() - self.launched

    def window_shown(self) -> None:
        """Call right after window.show(): the window is usable after one more event-loop turn."""
        QTimer.singleShot(0, self._on_usable)

    def _on_usable(self) -> None:
        self.usable = self._last_tick = self._now()
        if self._loaded is not None:  # settled before the window was even usable
            self._report()
        else:
            self._ticker.start()

    def _tick(self) -> None:
        now = self._now()
        gap = now - self._last_tick
        if gap > self.max_stall:
            self.max_stall, self.stall_at = gap, now
        self.stalls_over_50ms += gap > 0.05
        self._last_tick = now

    def _settled(self, error: str | None) -> None:
        if self._ticker.isActive():
            self._tick()  # the gap up to now includes installing the model on this thread
            self._ticker.stop()
        self._loaded = (None if error else self._now(), error)
        if self.usable is not None:  # else: reported when the window is usable
            self._report()

    def _report(self) -> None:
        model_ready, error = self._loaded
        torch = sys.modules.get("torch")  # imported by the loader, if it got that far
        report = {"usable": self.usable, "model_ready": model_ready,
                  "max_stall": self.max_stall, "stall_at": self.stall_at,
                  "stalls_over_50ms": self.stalls_over_50ms, "launch_time_known": self.launch_known,
                  "torch_threads": torch.get_num_threads() if torch is not None and model_ready else None,
                  "error": error}
        sys.stdout.write(PREFIX + json.dumps(report) + "\n")
        sys.stdout.flush()
        QCoreApplication.quit()
