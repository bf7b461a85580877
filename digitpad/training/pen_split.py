"""Which of the pen-digits writers train the network and which are held out to choose and report.

Real handwriting is judged on writers the network has never seen, so the pen data are split BY
WRITER, never by sample: a writer's style (how their 4 opens, how their 7 hooks) is what has to
generalise. The held-out writers were drawn once — `random.Random(20).shuffle` of the ids 1..30,
the first nine (issue 20) — and are written out here so the split never changes under a result.
Every choice made on the pen data (the share of pen strokes in a batch, augmentation strength,
thresholds) is made on these writers, and the figures reported for real handwriting are theirs.
"""

from __future__ import annotations

from collections.abc import Iterable

from digitpad.storage.pendigits import PenDigit

#: The nine writers (of 30) held out from training: choices and reported figures use only them.
HELD_OUT_WRITERS = frozenset({10, 12, 13, 15, 17, 20, 23, 27, 30})


def split_by_writer(digits: Iterable[PenDigit],
                    held_out: frozenset[int] = HELD_OUT_WRITERS) -> tuple[list[PenDigit], list[PenDigit]]:
    """(training writers' digits, held-out writers' digits), each in the input's order."""
    training: list[PenDigit] = []
    kept: list[PenDigit] = []
    for digit in digits:
        (kept if digit.writer in held_out else training).append(digit)
    return training, kept
