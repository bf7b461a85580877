"""What digitpad answers for a recognised input: a digit, "not sure", "not a digit" or "too small".

Plain Python (no torch, no Qt): the window shows these words before torch has been loaded, and
the CLI prints the same ones. The two levels are chosen on validation data, never on the test
set (benchmarks/rejection.py prints how; benchmarks/README.md has the figures).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: "Not a digit" when the posterior of eq. 9's rubbish class, e^{−j} / (e^{−j} + Σ e^{−y_i}),
#: is above this. Chosen for the MNIST-only weights (j = 40) on validation data: the threshold that
#: rejects the most validation negatives while rejecting at most 0.3 % of the validation digits
#: (0.856, rounded; benchmarks/rejection.py prints the trade-off). For the default weights, which
#: also learnt pen strokes, the same rule on held-out data (negatives of the
#: held-out font families, the held-out writers' digits ≤ 1 %, MNIST validation ≤ 0.3 %) gives
#: 0.827 (benchmarks/real_strokes.py --choose); at 0.85 they meet every goal too.
REJECT_THRESHOLD = 0.85
#: "Not sure" when the best class's posterior, e^{−y_best} / (e^{−j} + Σ e^{−y_i}), is below this.
#: Chosen on validation digits: the highest level that flags at most 2 % of them (1.4 %), which
#: then holds 15 of the 19 validation errors.
UNSURE_LEVEL = 0.95

TOO_SMALL = "too small"
NOT_A_DIGIT = "not a digit"
NOT_A_NUMBER = "not a number"  # number mode: the drawing as a whole is no number (a wavy line, a scribble)
TOO_SMALL_TEXT = "Too small — draw bigger"


def best_posterior(penalties: Sequence[float], rubbish: float) -> float:
    """The best class's posterior: the digits' share (1 − rubbish) times the best one's share
    among the ten, e^{−y_best} / Σ e^{−y_i} (computed relative to the best, so it never overflows)."""
    best = min(penalties)
    return (1.0 - rubbish) / sum(math.exp(-(float(p) - best)) for p in penalties)


def rejection_reason(rubbish: float, too_small: bool) -> str | None:
    """Why no digit is given: TOO_SMALL, NOT_A_DIGIT, or None when there is an answer."""
    if too_small:
        return TOO_SMALL
    if rubbish > REJECT_THRESHOLD:
        return NOT_A_DIGIT
    return None


def short_answer(digit: int, reason: str | None) -> str:
    """The answer in a word or few, where a sentence would not fit (the Why? panel, `explain`):
    the digit, "not a digit", or TOO_SMALL_TEXT, as the window's answer says it."""
    if reason == TOO_SMALL:
        return TOO_SMALL_TEXT
    if reason == NOT_A_DIGIT:
        return NOT_A_DIGIT
    return str(digit)


def is_unsure(penalties: Sequence[float], rubbish: float, too_small: bool) -> bool:
    """A digit is given, but with a best-class posterior below UNSURE_LEVEL (a close runner-up)."""
    return rejection_reason(rubbish, too_small) is None and best_posterior(penalties, rubbish) < UNSURE_LEVEL


def explanation(penalties: Sequence[float], rubbish: float, too_small: bool) -> str:
    """The answer in plain words: "It looks like a 7.", "Not sure: 0 or 8?",
    "Not a digit: every penalty is high — the closest, 4, at 35.2" or "Too small — draw bigger"."""
    ranking = sorted(range(len(penalties)), key=lambda i: penalties[i])
    best, second = ranking[0], ranking[1]
    reason = rejection_reason(rubbish, too_small)
    if reason == TOO_SMALL:
        return TOO_SMALL_TEXT
    if reason == NOT_A_DIGIT:
        return f"Not a digit: every penalty is high — the closest, {best}, at {float(penalties[best]):.1f}"
    if is_unsure(penalties, rubbish, too_small):
        return f"Not sure: {best} or {second}?"
    return f"It looks like a {best}."


def penalty_change_text(change: float) -> str:
    """'its penalty 1.5 higher': a change in words (a bare '+39.0' read like a penalty)."""
    if abs(change) < 0.05:
        return "its penalty the same"
    return f"its penalty {abs(change):.1f} {'higher' if change > 0 else 'lower'}"
