"""The diverging colour map reads for colour-blind people too: simulated protanopia, deuteranopia
and tritanopia (Machado et al. 2009, severity 1) keep the two ends apart and lightness ordered."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.gui.widgets.colormap import diverging_rgb

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def luminance(rgb: np.ndarray) -> np.ndarray:
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("vision", [None, *MACHADO])
def test_both_halves_get_lighter_towards_zero_and_the_ends_stay_apart(vision):
    values = np.linspace(-1.7159, 1.7159, 101)
    rgb = diverging_rgb(values).astype(np.float64) / 255
    if vision is not None:
        rgb = np.clip(rgb @ np.array(MACHADO[vision]).T, 0, 1)
    light = luminance(rgb)
    assert np.all(np.diff(light[:51]) >= -1e-3) and np.all(np.diff(light[50:]) <= 1e-3)  # white in the middle
    assert np.abs(rgb[0] - rgb[-1]).max() > 0.25  # −1.7 and +1.7 are not the same colour
