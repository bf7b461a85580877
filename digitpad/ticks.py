"""Round tick values for a plot's axes: one computation for the Qt plots (training curves, the
invariance explorer) and the sweep pictures the command line writes. Plain Python, no Qt."""

from __future__ import annotations

import math


def nice_ticks(low: float, high: float, count: int = 5, *, inside: bool = False) -> list[float]:
    """About `count` steps of round tick values (1, 2 or 5 × 10^k apart) covering [low, high];
    `inside`: only the ticks within [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    n = int(round((last - first) / step))
    ticks = [round(first + i * step, 12) for i in range(n + 1)]
    if inside:
        ticks = [t for t in ticks if low - 1e-9 * step <= t <= high + 1e-9 * step]
    return ticks


def format_tick(value: float, step: float) -> str:
    """A tick's label with as many decimals as the step between ticks needs."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    return f"{value:.{decimals}f}"
