"""The paper's stochastic diagonal Levenberg-Marquardt method (Appendix C).

Each parameter w_k gets its own step η / (μ + h_kk), where h_kk is a Gauss-Newton estimate of
∂²E/∂w_k², obtained by back-propagating *second* derivatives the way the paper does:

- through a squashing unit x = f(a):        ∂²E/∂a² = f'(a)² · ∂²E/∂x²
- through a weighted sum a_i = Σ_j w_ij x_j: ∂²E/∂x_j² = Σ_i w_ij² · ∂²E/∂a_i²
- for a weight (shared over connections):   ∂²E/∂w² = Σ_connections ∂²E/∂a_i² · x_j²

starting from ∂²E/∂x² = 2 at F6 (the second derivative of the RBF penalty (x − w)²), with the
off-diagonal terms and f'' dropped (the Gauss-Newton approximation keeps h ≥ 0).

Rather than hand-writing the transposed convolutions, we let autograd do that linear backward
pass on a *proxy* of the network: each layer applies w² instead of w to inputs whose values are
x², and each squashing step multiplies by f'(a)². The gradient of 2·Σ(F6 proxy) with respect to
the w² leaves is then exactly the sum of diagonal second derivatives above.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from digitpad.network.architecture import SQUASH_A, SQUASH_S
from digitpad.network.lenet5 import LeNet5, block_sums


def _squash_derivative_squared(a: torch.Tensor) -> torch.Tensor:
    t = torch.tanh(SQUASH_S * a)
    return (SQUASH_A * SQUASH_S * (1.0 - t * t)) ** 2


def _through_squash(pre_proxy: torch.Tensor, pre_activation: torch.Tensor) -> torch.Tensor:
    """Value x² (the next layer's input for the w² rule), gradient path through f'(a)²."""
    scaled = pre_proxy * _squash_derivative_squared(pre_activation)
    value = (SQUASH_A * torch.tanh(SQUASH_S * pre_activation)) ** 2
    return value + (scaled - scaled.detach())


@torch.no_grad()
def _pre_activations(model: LeNet5, x: torch.Tensor) -> list[torch.Tensor]:
    out, pre = x, []
    for layer in (model.c1, model.s2, model.c3, model.s4, model.c5, model.f6):
        if layer is model.f6:
            out = out.flatten(1)
        a = layer(out)
        pre.append(a)
        out = SQUASH_A * torch.tanh(SQUASH_S * a)
    return pre


def diagonal_hessian(model: LeNet5, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean over the patterns in `x` of the Gauss-Newton diagonal ∂²E/∂w², one tensor per parameter."""
    a1, a2, a3, a4, a5, a6 = _pre_activations(model, x)
    params = dict(model.named_parameters())
    squares = {name: p.detach().pow(2).requires_grad_(True) for name, p in params.items()}

    u = x.detach().pow(2)
    u = _through_squash(F.conv2d(u, squares["c1.weight"], squares["c1.bias"]), a1)
    u = _through_squash(block_sums(u) * squares["s2.coefficient"].view(1, -1, 1, 1)
                        + squares["s2.bias"].view(1, -1, 1, 1), a2)
    u = _through_squash(F.conv2d(u, model.c3.dense_weight(squares["c3.weight"]), squares["c3.bias"]), a3)
    u = _through_squash(block_sums(u) * squares["s4.coefficient"].view(1, -1, 1, 1)
                        + squares["s4.bias"].view(1, -1, 1, 1), a4)
    u = _through_squash(F.conv2d(u, squares["c5.weight"], squares["c5.bias"]), a5).flatten(1)
    u = _through_squash(F.linear(u, squares["f6.weight"], squares["f6.bias"]), a6)
    # ∂²(x − w)²/∂x² = 2 for every F6 output.
    (2.0 * u).sum().backward()
    return {name: sq.grad.detach() / x.shape[0] for name, sq in squares.items()}


class SDLM(torch.optim.Optimizer):
    """w ← w − η/(μ + h) · g, with h set by `set_hessian` before each pass (the paper: 500 patterns)."""

    def __init__(self, named_params, lr: float = 0.0005, mu: float = 0.02):
        named = list(named_params)
        self.names = {id(p): name for name, p in named}
        super().__init__([p for _, p in named], dict(lr=lr, mu=mu))

    def set_hessian(self, hessian: dict[str, torch.Tensor]) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["h"] = hessian[self.names[id(p)]].to(p.device)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, mu = group["lr"], group["mu"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                h = self.state[p].get("h")
                if h is None:
                    raise RuntimeError("SDLM.step() before set_hessian(): estimate the Hessian first")
                p.addcdiv_(p.grad, h + mu, value=-lr)
        return None
