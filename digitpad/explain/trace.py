"""Where a unit's signal comes from: its receptive field, the units feeding it, its weights, its value.

For any unit of C1 … F6: the box of the 32×32 input it can see, the units of the layer below
that feed it (for C3 only the S2 maps Table I connects), the trainable weights on those
connections as the paper defines them (f(Σ w·x + b) for convolutions and F6, f(c·Σ₂ₓ₂ x + b)
for subsampling), and its value for the current input. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from digitpad.network.architecture import C3_TABLE
from digitpad.network.lenet5 import LeNet5
from digitpad.reading.recognition import Recognition

#: Each layer: (maps, side of a map, the layer it reads, kernel side, stride).
LAYERS: dict[str, tuple[int, int, str, int, int]] = {
    "c1": (6, 28, "input", 5, 1),
    "s2": (6, 14, "c1", 2, 2),
    "c3": (16, 10, "s2", 5, 1),
    "s4": (16, 5, "c3", 2, 2),
    "c5": (120, 1, "s4", 5, 1),
    "f6": (84, 1, "c5", 1, 1),
}
_INPUT_SIDE = 32


@dataclass(frozen=True)
class Box:
    """Rows top … bottom − 1 and columns left … right − 1 of a map (or of the input)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def size(self) -> tuple[int, int]:
        return self.bottom - self.top, self.right - self.left


@dataclass
class UnitTrace:
    layer: str                     # "c1" … "f6"
    map: int                       # the unit's map (C5, F6: the unit's index)
    row: int
    col: int
    receptive_field: Box           # on the 32×32 input
    source_layer: str              # "input", "c1", … "c5"
    source_maps: tuple[int, ...]   # maps (or C5 units) of the layer below that feed the unit
    source_box: Box                # the block of each of those maps that feeds it
    weights: np.ndarray            # per source map: C1/C3/C5 a 5×5 kernel each (len(source_maps)×5×5),
                                   # S2/S4 the one coefficient (1,), F6 one weight per C5 unit (120,)
    bias: float
    value: float | None            # the unit's output for the current input, if one was given

    def describe(self) -> str:
        r = self.receptive_field
        where = f"{self.layer.upper()} map {self.map}" + (f" ({self.row}, {self.col})" if self.layer not in ("c5", "f6")
                                                        else "")
        feeds = ", ".join(str(m) for m in self.source_maps)
        if len(self.source_maps) > 6:
            feeds = f"all {len(self.source_maps)}"
        value = "" if self.value is None else f" = {self.value:+.3f}"
        return (f"{where}{value}: sees input rows {r.top}–{r.bottom - 1}, columns {r.left}–{r.right - 1}; "
                f"fed by {self.source_layer.upper()} {feeds}")


def receptive_field(layer: str, row: int, col: int) -> Box:
    """The input pixels a unit depends on, followed down through every layer below it."""
    top, left, bottom, right = row, col, row + 1, col + 1
    while layer != "input":
        _, _, below, kernel, stride = LAYERS[layer]
        if layer == "f6":  # fully connected to C5, whose one unit per map sees everything
            top, left, bottom, right = 0, 0, 1, 1
        else:
            top, left = top * stride, left * stride
            bottom, right = (bottom - 1) * stride + kernel, (right - 1) * stride + kernel
        layer = below
    return Box(top, left, min(bottom, _INPUT_SIDE), min(right, _INPUT_SIDE))


def trace_unit(model: LeNet5, layer: str, map_index: int, row: int = 0, col: int = 0,
               recognition: Recognition | None = None) -> UnitTrace:
    """The trace of one unit; `recognition` (of the current input) supplies its value."""
    layer = layer.lower()
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {', '.join(LAYERS)}, got {layer!r}")
    maps, side, below, kernel, stride = LAYERS[layer]
    if not (0 <= map_index < maps and 0 <= row < side and 0 <= col < side):
        raise ValueError(f"{layer.upper()} has {maps} maps of {side}×{side}; no unit {map_index} ({row}, {col})")
    with torch.no_grad():
        if layer == "c1":
            sources = (0,)
            weights = model.c1.weight[map_index].cpu().numpy()            # 1×5×5
            bias = float(model.c1.bias[map_index].detach())
        elif layer in ("s2", "s4"):
            sources = (map_index,)
            subsampling = getattr(model, layer)
            weights = subsampling.coefficient[map_index:map_index + 1].cpu().numpy()
            bias = float(subsampling.bias[map_index].detach())
        elif layer == "c3":
            sources = C3_TABLE[map_index]
            weights = model.c3.dense_weight()[map_index, list(sources)].cpu().numpy()  # k×5×5
            bias = float(model.c3.bias[map_index].detach())
        elif layer == "c5":
            sources = tuple(range(16))
            weights = model.c5.weight[map_index].cpu().numpy()            # 16×5×5
            bias = float(model.c5.bias[map_index].detach())
        else:
            sources = tuple(range(120))
            weights = model.f6.weight[map_index].cpu().numpy()            # 120
            bias = float(model.f6.bias[map_index].detach())
    if layer == "f6":
        source_box = Box(0, 0, 1, 1)
    else:
        source_box = Box(row * stride, col * stride, row * stride + kernel, col * stride + kernel)
    value = None
    if recognition is not None:
        values = getattr(recognition, layer)
        value = float(values[map_index] if layer in ("c5", "f6") else values[map_index, row, col])
    return UnitTrace(layer, map_index, row, col, receptive_field(layer, row, col), below, tuple(sources),
                     source_box, np.array(weights, np.float32), float(bias), value)
