"""The constants of LeNet-5 that are facts of the paper, not of PyTorch (no torch here).

`digitpad.network.lenet5` builds the network from them; the GUI's panels draw with them (colour scale,
C3's connection table) without importing torch, so the window can appear before torch is loaded.
"""

from __future__ import annotations

#: The squashing function f(a) = A·tanh(S·a) after C1…F6, with f(±1) = ±1.
SQUASH_A = 1.7159
SQUASH_S = 2.0 / 3.0
#: The rubbish-class constant j of eq. 9 (any j > 0 works; larger j makes "not a digit" rarer).
DEFAULT_RUBBISH_J = 20.0
#: The label of a negative pattern (not a digit) in a training set: eq. 9's rubbish class.
NEGATIVE_LABEL = -1
#: The j digitpad accepts (from a checkpoint or an argument): above 0, and comparable with the RBF
#: penalties (0 … about 620); beyond that the rubbish class could never win.
RUBBISH_J_RANGE = (0.0, 1000.0)

#: Table I of the paper: the S2 maps each C3 map takes input from.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)
