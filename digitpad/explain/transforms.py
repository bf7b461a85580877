"""The transforms of an invariance sweep: names, units, default ranges and stages (no numpy, so
`digitpad sweep --help` lists them without loading anything). The sweeps are in digitpad/explain/sweep.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DRAWING, INPUT = "drawing", "input"


@dataclass(frozen=True)
class Transform:
    """One kind of transform, its unit and default range (value 0 = untransformed)."""

    name: str
    unit: str
    start: float
    stop: float
    steps: int
    default_stage: str
    stages: tuple[str, ...]
    description: str
    # The values accepted: what makes sense (a scale of −100 % is nothing), and what bounds the
    # work (a stroke 1,000 pixels wider costs minutes, a scale of 10⁶ a 40,000² sheet).
    lowest: float = -1e6
    highest: float = 1e6

    def check(self, value: float) -> None:
        if not (math.isfinite(value) and self.lowest <= value <= self.highest):
            limits = [f"at least {self.lowest:g}" if value < self.lowest else "",
                      f"at most {self.highest:g}" if value > self.highest else ""]
            reason = " and ".join(x for x in limits if x) or "a finite number"
            raise ValueError(f"{self.name}: {value:g} is out of range (must be {reason} {self.unit})")

    def removed_by_normalisation(self, stage: str) -> bool:
        """True when normalisation undoes the transform completely at this stage."""
        return stage == DRAWING and self.name in ("shift-x", "shift-y", "scale")


#: Values per sweep (each is one recognition).
MIN_STEPS, MAX_STEPS = 2, 1000
_BOTH = (DRAWING, INPUT)
TRANSFORMS: dict[str, Transform] = {t.name: t for t in (
    Transform("shift-x", "input pixels", -8, 8, 17, INPUT, _BOTH, "move right (negative: left)",
              lowest=-32, highest=32),
    Transform("shift-y", "input pixels", -8, 8, 17, INPUT, _BOTH, "move down (negative: up)",
              lowest=-32, highest=32),
    Transform("scale", "%", -50, 50, 21, INPUT, _BOTH, "enlarge by this percentage (negative: shrink)",
              lowest=-99, highest=1000),
    Transform("rotate", "degrees", -180, 180, 37, DRAWING, _BOTH, "turn anticlockwise (negative: clockwise)",
              lowest=-360, highest=360),
    Transform("squeeze", "%", -50, 50, 21, DRAWING, _BOTH,
              "narrower and taller by this percentage (negative: wider and lower)", lowest=-99, highest=99),
    Transform("shear", "x per y", -1, 1, 21, DRAWING, _BOTH, "slant the top to the right (negative: left)",
              lowest=-10, highest=10),
    Transform("width", "input pixels", -2, 4, 13, INPUT, (INPUT,),
              "make the strokes this much wider (negative: thinner)", lowest=-8, highest=8),
    Transform("noise", "% of pixels", 0, 50, 11, INPUT, (INPUT,),
              "replace this share of the pixels by random paper or ink", lowest=0, highest=100),
)}
