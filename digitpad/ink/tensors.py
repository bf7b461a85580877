"""32×32 inputs and MNIST images -> torch tensors, the network's batches. The one module of ink/
that imports torch."""

from __future__ import annotations

import numpy as np
import torch

from digitpad.ink.normalise import BACKGROUND, FIELD, INK, INPUT_SIZE


def mnist_to_input(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """MNIST bytes (N, 28, 28), 0 = paper, 255 = ink -> (N, 1, 32, 32) float32 (the paper's
    conversion: pad 2 px of background each side, map grey levels linearly to -0.1 .. 1.175)."""
    if isinstance(images, torch.Tensor):
        x = images.to(torch.float32)
    else:  # a copy, also of read-only buffers such as np.frombuffer over an IDX file
        x = torch.from_numpy(np.array(images, dtype=np.float32))
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim != 3 or tuple(x.shape[1:]) != (FIELD, FIELD):
        raise ValueError(f"expected (N, 28, 28) images, got shape {tuple(x.shape)}")
    x = (BACKGROUND + x * ((INK - BACKGROUND) / 255.0)).clamp_(BACKGROUND, INK)
    pad = (INPUT_SIZE - FIELD) // 2
    return torch.nn.functional.pad(x, (pad, pad, pad, pad), value=BACKGROUND).unsqueeze(1)


def to_tensor(array32: np.ndarray) -> torch.Tensor:
    """A (32, 32) array from render_strokes/image_to_array -> a (1, 1, 32, 32) float32 batch."""
    a = np.asarray(array32, np.float32)
    if a.shape != (INPUT_SIZE, INPUT_SIZE):
        raise ValueError(f"expected a ({INPUT_SIZE}, {INPUT_SIZE}) array, got {a.shape}")
    return torch.from_numpy(a.copy()).reshape(1, 1, INPUT_SIZE, INPUT_SIZE)
