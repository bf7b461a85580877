"""LeNet-5 exactly as LeCun, Bottou, Bengio and Haffner (1998) describe it.

C1 → S2 → C3 → S4 → C5 → F6 → RBF. Every layer up to F6 is followed by the scaled tanh
f(a) = 1.7159·tanh(2/3·a). S2 and S4 are the paper's trainable subsampling (2×2 sum × a
coefficient + a bias per map), C3 is wired by Table I, and the output is ten Euclidean RBF
units whose ±1 weights are the fixed 7×12 prototype bitmaps. 60,000 trainable parameters.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# The paper's constants live in a torch-free module (the GUI draws with them before torch is
# loaded); they are imported from here too, by sdlm, training and the tests.
from digitpad.network.architecture import C3_TABLE, DEFAULT_RUBBISH_J, NEGATIVE_LABEL, SQUASH_A, SQUASH_S
from digitpad.network.prototypes import load_prototypes

log = logging.getLogger(__name__)


def squash(a: torch.Tensor) -> torch.Tensor:
    """The paper's sigmoid: A·tanh(S·a), with f(±1) = ±1."""
    return SQUASH_A * torch.tanh(SQUASH_S * a)


def _uniform_fan_in_(tensor: torch.Tensor, fan_in: int, generator: torch.Generator | None = None) -> None:
    """Appendix A: weights and biases uniform in ±2.4 / fan-in."""
    bound = 2.4 / fan_in
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)


class Subsampling(nn.Module):
    """S2/S4: each unit sums a 2×2 block, multiplies by its map's coefficient, adds its bias."""

    def __init__(self, maps: int, generator: torch.Generator | None = None):
        super().__init__()
        self.coefficient = nn.Parameter(torch.empty(maps))
        self.bias = nn.Parameter(torch.empty(maps))
        _uniform_fan_in_(self.coefficient, 4, generator)
        _uniform_fan_in_(self.bias, 4, generator)

    def forward(self, x: torch.Tensor, input_scale: float = 1.0, output_scale: float = 1.0) -> torch.Tensor:
        """output_scale · S(input_scale · x), the scales applied to the parameters (see LeNet5)."""
        shape = (1, -1, 1, 1)
        return torch.addcmul((self.bias * output_scale).view(shape), block_sums(x),
                             (self.coefficient * (input_scale * output_scale)).view(shape))


def block_sums(x: torch.Tensor) -> torch.Tensor:
    """The sum of each non-overlapping 2×2 block, as P·X·Pᵀ with P adding pairs of rows: two
    small matrix products are twice as fast as avg_pool2d on the CPU, forward and backward."""
    rows = pair_sum_matrix(x.shape[-2], x.device, x.dtype)
    cols = rows if x.shape[-1] == x.shape[-2] else pair_sum_matrix(x.shape[-1], x.device, x.dtype)
    return rows @ x @ cols.T


@functools.lru_cache(maxsize=16)
def pair_sum_matrix(size: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(size // 2) × size matrix of 0/1 that adds rows 2i and 2i+1 (a trailing odd row is dropped,
    as 2×2 pooling drops it)."""
    half = size // 2
    # Cached and shared: made outside inference mode, or a first recognition (which runs in
    # inference mode) would leave a tensor that training then may not use.
    with torch.inference_mode(False), torch.no_grad():
        matrix = torch.zeros(half, size, device=device, dtype=dtype)
        index = torch.arange(half, device=device)
        matrix[index, 2 * index] = 1.0
        matrix[index, 2 * index + 1] = 1.0
    return matrix


class Convolution(nn.Conv2d):
    """C1: a plain convolution whose forward takes the same scales as the other layers."""

    def forward(self, x: torch.Tensor, input_scale: float = 1.0, output_scale: float = 1.0) -> torch.Tensor:
        return F.conv2d(x, self.weight * (input_scale * output_scale), self.bias * output_scale)


class FullConnection(nn.Linear):
    """F6: a plain fully connected layer whose forward takes the same scales as the other layers."""

    def forward(self, x: torch.Tensor, input_scale: float = 1.0, output_scale: float = 1.0) -> torch.Tensor:
        return F.linear(x, self.weight * (input_scale * output_scale), self.bias * output_scale)


class SparseC3(nn.Module):
    """C3: 16 5×5 convolutions, each over only the S2 maps Table I gives it.

    Only the 1,500 connected kernel weights (+16 biases) are parameters. They are scattered
    into a dense 16×6×5×5 kernel with zeros where Table I has no connection, so the whole
    layer is one convolution call (fast) while the gradient reaches only real connections.
    """

    def __init__(self, table: tuple[tuple[int, ...], ...] = C3_TABLE, in_maps: int = 6, kernel: int = 5,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.table = table
        self.in_maps = in_maps
        self.kernel = kernel
        pairs = [(out, inp) for out, inputs in enumerate(table) for inp in inputs]
        self.register_buffer("connection_index",
                             torch.tensor([out * in_maps + inp for out, inp in pairs]), persistent=False)
        self.weight = nn.Parameter(torch.empty(len(pairs), kernel * kernel))
        self.bias = nn.Parameter(torch.empty(len(table)))
        for row, (out, _) in enumerate(pairs):
            _uniform_fan_in_(self.weight.data[row], len(table[out]) * kernel * kernel, generator)
        for out, inputs in enumerate(table):
            _uniform_fan_in_(self.bias.data[out:out + 1], len(inputs) * kernel * kernel, generator)

    def dense_weight(self, weight: torch.Tensor | None = None) -> torch.Tensor:
        """The 16×6×5×5 kernel with zeros for the connections Table I leaves out, made from
        `weight` (default: the layer's own; SDLM passes the squared weights)."""
        weight = self.weight if weight is None else weight
        out_maps = len(self.table)
        dense = weight.new_zeros(out_maps * self.in_maps, self.kernel * self.kernel)
        dense = dense.index_copy(0, self.connection_index, weight)
        return dense.view(out_maps, self.in_maps, self.kernel, self.kernel)

    def connection_mask(self) -> torch.Tensor:
        """16×6 booleans: True where C3 map k reads S2 map i."""
        mask = torch.zeros(len(self.table), self.in_maps, dtype=torch.bool)
        for out, inputs in enumerate(self.table):
            mask[out, list(inputs)] = True
        return mask

    def forward(self, x: torch.Tensor, input_scale: float = 1.0, output_scale: float = 1.0) -> torch.Tensor:
        return F.conv2d(x, self.dense_weight() * (input_scale * output_scale), self.bias * output_scale)


class C5Convolution(nn.Conv2d):
    """C5: 120 5×5 convolutions over all 16 S4 maps. On the 5×5 maps of a 32×32 input each
    unit sees the whole input, so the convolution *is* a matrix product, which we compute as
    one (15× faster than the convolution kernel, forward and backward); on a larger input it
    slides like any convolution."""

    def forward(self, x: torch.Tensor, input_scale: float = 1.0, output_scale: float = 1.0) -> torch.Tensor:
        weight, bias = self.weight * (input_scale * output_scale), self.bias * output_scale
        if x.shape[-2:] == self.weight.shape[-2:]:
            out = F.linear(x.flatten(1), weight.flatten(1), bias)
            return out.view(out.shape[0], -1, 1, 1)
        return F.conv2d(x, weight, bias)


def rbf_penalties(f6: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """y_i = Σ_j (x_j − w_ij)²: the squared distance from F6's output to each prototype, expanded
    as |x|² − 2x·w_i + |w_i|² so that the cross terms are one matrix product (no N×10×84 tensor);
    clamped at 0, where rounding could leave a perfect match a hair below."""
    return ((f6 * f6).sum(1, keepdim=True) - 2.0 * f6 @ prototypes.T
            + (prototypes * prototypes).sum(1)).clamp_min(0.0)


def rubbish_posterior(penalties: torch.Tensor, j: float = DEFAULT_RUBBISH_J) -> torch.Tensor:
    """Posterior of eq. 9's rubbish class, e^{−j} / (e^{−j} + Σ_i e^{−y_i}), computed stably."""
    rubbish = torch.full_like(penalties[..., :1], -j)
    return torch.softmax(torch.cat([rubbish, -penalties], dim=-1), dim=-1)[..., 0]


def map_loss(penalties: torch.Tensor, labels: torch.Tensor, j: float = DEFAULT_RUBBISH_J) -> torch.Tensor:
    """Eq. 9: mean of y_D + log(e^{−j} + Σ_i e^{−y_i}) — pulls the right penalty down, the others up.

    A negative pattern (label NEGATIVE_LABEL) has no correct class among the ten: its loss is the
    rubbish term alone, log(e^{−j} + Σ_i e^{−y_i}), which pushes every penalty up until the
    rubbish class's e^{−j} dominates (it is −log of the rubbish posterior, minus the constant j).
    """
    digit = labels != NEGATIVE_LABEL
    correct = penalties.gather(1, torch.where(digit, labels, 0).view(-1, 1)).squeeze(1)
    rubbish = torch.full_like(penalties[:, :1], -j)
    competition = torch.logsumexp(torch.cat([rubbish, -penalties], dim=1), dim=1)
    return (torch.where(digit, correct, 0.0) + competition).mean()


def mse_loss(penalties: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Eq. 8: the mean penalty of the correct class (works only because the prototypes are fixed).
    It has no rubbish class, so it cannot learn from negatives: they are refused."""
    if bool((labels == NEGATIVE_LABEL).any()):
        raise ValueError("eq. 8 (loss 'mse') has no rubbish class: train with negatives only with 'map'")
    return penalties.gather(1, labels.view(-1, 1)).mean()


@dataclass
class Internals:
    """Every intermediate of one forward pass (batch first), for the panels and the tests."""

    input: torch.Tensor      # N×1×32×32
    c1: torch.Tensor         # N×6×28×28
    s2: torch.Tensor         # N×6×14×14
    c3: torch.Tensor         # N×16×10×10
    s4: torch.Tensor         # N×16×5×5
    c5: torch.Tensor         # N×120 (the 1×1 maps)
    f6: torch.Tensor         # N×84
    penalties: torch.Tensor  # N×10
    rubbish: torch.Tensor    # N


class LeNet5(nn.Module):
    """The network of Fig. 2 of the paper; `forward` returns the ten RBF penalties."""

    def __init__(self, prototypes: np.ndarray | None = None, rubbish_j: float = DEFAULT_RUBBISH_J,
                 generator: torch.Generator | None = None):
        """`generator` draws the initial weights (default: torch's global one); training passes
        its own, seeded, so a run is repeatable without reseeding the caller's global state."""
        super().__init__()
        if prototypes is None:
            prototypes = load_prototypes()
        self.rubbish_j = rubbish_j
        # skip_init: PyTorch's own initialisation would only be overwritten below, and would
        # draw from the global random generator (a side effect on the caller's random state).
        self.c1 = nn.utils.skip_init(Convolution, 1, 6, 5)
        self.s2 = Subsampling(6, generator)
        self.c3 = SparseC3(generator=generator)
        self.s4 = Subsampling(16, generator)
        self.c5 = nn.utils.skip_init(C5Convolution, 16, 120, 5)
        self.f6 = nn.utils.skip_init(FullConnection, 120, 84)
        # Fixed RBF weights: a buffer, saved with the model but never trained.
        self.register_buffer("prototypes", torch.as_tensor(prototypes, dtype=torch.float32).reshape(10, 84).clone())
        for layer, fan_in in ((self.c1, 25), (self.c5, 400), (self.f6, 120)):
            _uniform_fan_in_(layer.weight, fan_in, generator)
            _uniform_fan_in_(layer.bias, fan_in, generator)

    def _tanh_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output divided by A, tanh(S·a), for C1 … F6.

        Each unit computes A·tanh(S·(w·x + b)) on the A-scaled outputs of the layer below. The
        constants are applied to the few weights (w·A·S, b·S) instead of to the large feature
        maps: the same function, four fewer passes over every map, a fifth less time per
        training step on the CPU (benchmarks/README.md)."""
        a, s = SQUASH_A, SQUASH_S
        t1 = torch.tanh(self.c1(x, 1.0, s))
        t2 = torch.tanh(self.s2(t1, a, s))
        t3 = torch.tanh(self.c3(t2, a, s))
        t4 = torch.tanh(self.s4(t3, a, s))
        t5 = torch.tanh(self.c5(t4, a, s)).flatten(1)
        t6 = torch.tanh(self.f6(t5, a, s))
        return [t1, t2, t3, t4, t5, t6]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f6 = SQUASH_A * self._tanh_layers(x)[-1]
        return rbf_penalties(f6, self.prototypes)

    def forward_sliding(self, x: torch.Tensor) -> torch.Tensor:
        """The paper's space-displacement network (Section VII): on an input 32 px tall and W ≥ 32
        wide, C1 … C5 are convolutions and slide along it, F6 and the RBF units are applied at
        every C5 position: N×T×10 penalties, one per 32-px window at a stride of 4 px,
        T = (W − 28) // 4. The same layers as `_tanh_layers`, without flattening C5."""
        a, s = SQUASH_A, SQUASH_S
        t = torch.tanh(self.c1(x, 1.0, s))
        for layer in (self.s2, self.c3, self.s4, self.c5):
            t = torch.tanh(layer(t, a, s))
        f6 = SQUASH_A * torch.tanh(self.f6(t.squeeze(2).transpose(1, 2), a, s))  # N×T×84
        return rbf_penalties(f6.reshape(-1, f6.shape[-1]), self.prototypes).view(f6.shape[0], f6.shape[1], -1)

    def forward_with_internals(self, x: torch.Tensor) -> Internals:
        c1, s2, c3, s4, c5, f6 = (SQUASH_A * t for t in self._tanh_layers(x))
        penalties = rbf_penalties(f6, self.prototypes)
        return Internals(x, c1, s2, c3, s4, c5, f6, penalties, rubbish_posterior(penalties, self.rubbish_j))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def pick_device(name: str | None = None) -> torch.device:
    """An explicit device name wins; otherwise CUDA when there is one, else the CPU. Only the CPU
    and CUDA devices that exist are accepted (ValueError): a device torch names but cannot run the
    model on here (meta, mps, …) would fail later, in the middle of a recognition."""
    if name:
        try:
            device = torch.device(name)
        except RuntimeError:  # "Expected one of cpu, cuda, … device type at start of device string"
            raise ValueError(f"device {name[:40]!r} is not a device name; use cpu, cuda or cuda:N") from None
        if device.type not in ("cpu", "cuda"):  # meta, mps, xpu …: torch names them, digitpad runs on neither
            raise ValueError(f"device {name[:40]!r} cannot run digitpad here; use cpu, cuda or cuda:N")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {name!r} requested but CUDA is not available")
        if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_description(device: torch.device) -> str:
    """'CPU' or the CUDA device's name, for people."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return "CPU"


def available_devices() -> list[tuple[torch.device, str]]:
    """CPU and every CUDA device torch can see, with names for the Device menu."""
    devices = [(torch.device("cpu"), "CPU")]
    try:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:  # a broken driver must not stop the app (or a dialog) from opening
        log.exception("could not count CUDA devices")
        count = 0
    for index in range(count):
        try:
            name = torch.cuda.get_device_name(index)
        except Exception:
            name = "unknown device"
        devices.append((torch.device("cuda", index), f"CUDA {index}: {name}"))
    return devices
