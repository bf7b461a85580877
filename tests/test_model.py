"""The architecture as the paper describes it, the C3 table, the RBF output and the losses."""

import math

import pytest
import torch

from digitpad.network.architecture import NEGATIVE_LABEL
from digitpad.network.architecture import C3_TABLE
from digitpad.network.lenet5 import (
    LeNet5,
    count_parameters,
    map_loss,
    mse_loss,
    pick_device,
    rbf_penalties,
    rubbish_posterior,
    squash,
)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return LeNet5()


def test_every_internal_has_the_papers_shape(model):
    internals = model.forward_with_internals(torch.randn(3, 1, 32, 32))
    shapes = {name: tuple(getattr(internals, name).shape)
              for name in ("input", "c1", "s2", "c3", "s4", "c5", "f6", "penalties", "rubbish")}
    assert shapes == {"input": (3, 1, 32, 32), "c1": (3, 6, 28, 28), "s2": (3, 6, 14, 14),
                      "c3": (3, 16, 10, 10), "s4": (3, 16, 5, 5), "c5": (3, 120), "f6": (3, 84),
                      "penalties": (3, 10), "rubbish": (3,)}


def test_exactly_60000_trainable_parameters_with_1516_in_c3(model):
    assert count_parameters(model) == 60_000
    assert sum(p.numel() for p in model.c3.parameters()) == 1_516
    per_layer = {name: sum(p.numel() for p in getattr(model, name).parameters())
                 for name in ("c1", "s2", "c3", "s4", "c5", "f6")}
    assert per_layer == {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}


def test_rbf_prototypes_are_a_fixed_buffer_of_plus_minus_one(model):
    assert "prototypes" in dict(model.named_buffers())
    assert all(p is not model.prototypes for p in model.parameters())
    assert model.prototypes.shape == (10, 84)
    assert set(model.prototypes.unique().tolist()) == {-1.0, 1.0}


#: Table I of the paper as it is printed: a row per S2 map, a column per C3 map, X = connected.
PAPER_TABLE_I = """
X...XXX..XXXX.XX
XX...XXX..XXXX.X
XXX...XXX..X.XXX
.XXX..XXXX..X.XX
..XXX..XXXX.XX.X
...XXX..XXXX.XXX
"""


def test_c3_table_is_table_one_of_the_paper():
    rows = PAPER_TABLE_I.split()
    expected = tuple(tuple(s2 for s2 in range(6) if rows[s2][c3] == "X") for c3 in range(16))
    assert C3_TABLE == expected
    assert sum(len(inputs) for inputs in C3_TABLE) * 25 + 16 == 1_516  # the paper's parameter count


@pytest.mark.parametrize("changed_s2_map", range(6))
def test_a_c3_map_ignores_s2_maps_it_is_not_connected_to(model, changed_s2_map):
    s2 = torch.randn(2, 6, 14, 14)
    altered = s2.clone()
    altered[:, changed_s2_map] += torch.randn(2, 14, 14) * 3
    before, after = model.c3(s2), model.c3(altered)
    for k, inputs in enumerate(C3_TABLE):
        same = torch.allclose(before[:, k], after[:, k])
        assert same == (changed_s2_map not in inputs), (k, inputs)


def test_c3_gradient_reaches_only_connected_weights(model):
    model.c3(torch.randn(2, 6, 14, 14)).sum().backward()
    dense_grad = torch.zeros(16 * 6, 25).index_copy(0, model.c3.connection_index, model.c3.weight.grad)
    connected = model.c3.connection_mask().view(-1)
    assert (dense_grad[connected].abs().sum(1) > 0).all()
    assert (dense_grad[~connected] == 0).all()


def test_subsampling_is_sum_times_coefficient_plus_bias(model):
    x = torch.arange(16.0).view(1, 1, 4, 4).repeat(1, 6, 1, 1)
    with torch.no_grad():
        model.s2.coefficient.fill_(0.5)
        model.s2.bias.fill_(-1.0)
    out = model.s2(x)
    # top-left block: 0 + 1 + 4 + 5 = 10 → 0.5 · 10 − 1 = 4
    assert out[0, 0, 0, 0].item() == pytest.approx(4.0)
    assert out[0, 3, 1, 1].item() == pytest.approx(0.5 * (10 + 11 + 14 + 15) - 1)


def test_squash_is_scaled_tanh_with_f_of_one_equal_to_one():
    assert squash(torch.tensor(1.0)).item() == pytest.approx(1.0, abs=1e-4)
    assert squash(torch.tensor(-1.0)).item() == pytest.approx(-1.0, abs=1e-4)
    assert squash(torch.tensor(100.0)).item() == pytest.approx(1.7159)


def test_initialisation_is_uniform_within_2_4_over_fan_in(model):
    bounds = {"c1.weight": 2.4 / 25, "c5.weight": 2.4 / 400, "f6.weight": 2.4 / 120}
    params = dict(model.named_parameters())
    for name, bound in bounds.items():
        assert params[name].abs().max() <= bound
        assert params[name].abs().max() > 0.8 * bound  # really spread over the interval
    assert params["s2.coefficient"].abs().max() <= 2.4 / 4
    # C3's 3-input maps have fan-in 75, the 6-input map 150
    assert model.c3.weight[:18].abs().max() <= 2.4 / 75
    assert model.c3.weight[-6:].abs().max() <= 2.4 / 150


def test_rbf_penalty_is_squared_euclidean_distance_to_each_prototype():
    prototypes = torch.tensor([[1.0, -1.0], [-1.0, -1.0]])
    f6 = torch.tensor([[0.5, 0.0]])
    # (0.5−1)² + (0+1)² = 1.25 ; (0.5+1)² + (0+1)² = 3.25
    assert rbf_penalties(f6, prototypes).tolist() == [[1.25, 3.25]]



def test_forward_is_the_papers_layer_by_layer_definition(model):
    """The forward pass applies A and S to the weights; it must equal f(layer(x)) spelled out,
    with f = A·tanh(S·a) after every layer and penalties Σ (x − w)² by broadcasting."""
    torch.manual_seed(1)
    x = torch.randn(4, 1, 32, 32)
    with torch.no_grad():
        c1 = squash(torch.nn.functional.conv2d(x, model.c1.weight, model.c1.bias))
        blocks = c1.unfold(2, 2, 2).unfold(3, 2, 2).sum((-1, -2))
        s2 = squash(blocks * model.s2.coefficient.view(1, -1, 1, 1) + model.s2.bias.view(1, -1, 1, 1))
        c3 = squash(torch.nn.functional.conv2d(s2, model.c3.dense_weight(), model.c3.bias))
        blocks = c3.unfold(2, 2, 2).unfold(3, 2, 2).sum((-1, -2))
        s4 = squash(blocks * model.s4.coefficient.view(1, -1, 1, 1) + model.s4.bias.view(1, -1, 1, 1))
        c5 = squash(s4.flatten(1) @ model.c5.weight.flatten(1).T + model.c5.bias)
        f6 = squash(c5 @ model.f6.weight.T + model.f6.bias)
        penalties = (f6.unsqueeze(1) - model.prototypes.unsqueeze(0)).pow(2).sum(-1)
        internals = model.forward_with_internals(x)
        for name, expected in (("c1", c1), ("s2", s2), ("c3", c3), ("s4", s4), ("c5", c5), ("f6", f6)):
            torch.testing.assert_close(getattr(internals, name), expected, atol=1e-5, rtol=1e-5, msg=name)
        torch.testing.assert_close(internals.penalties, penalties, atol=1e-4, rtol=1e-5)
        torch.testing.assert_close(model(x), penalties, atol=1e-4, rtol=1e-5)

def test_map_loss_matches_equation_9_by_hand():
    penalties = torch.tensor([[1.0, 2.0, 4.0], [3.0, 0.5, 2.0]])
    labels = torch.tensor([0, 2])
    j = 3.0
    by_hand = ((1.0 + math.log(math.exp(-j) + math.exp(-1) + math.exp(-2) + math.exp(-4)))
               + (2.0 + math.log(math.exp(-j) + math.exp(-3) + math.exp(-0.5) + math.exp(-2)))) / 2
    assert map_loss(penalties, labels, j).item() == pytest.approx(by_hand, rel=1e-6)
    assert mse_loss(penalties, labels).item() == pytest.approx((1.0 + 2.0) / 2)


def test_the_loss_of_a_negative_is_the_rubbish_term_alone_by_hand():
    # j = 0 and ten penalties of ln 10: e^{−j} = 1 and Σ e^{−y_i} = 10 · 1/10 = 1.
    penalties = torch.full((2, 10), math.log(10.0), requires_grad=True)
    labels = torch.tensor([NEGATIVE_LABEL, 3])
    loss = map_loss(penalties, labels, j=0.0)
    negative, digit = math.log(1 + 1), math.log(10.0) + math.log(1 + 1)  # log(e^0 + 1); y_3 + the same
    assert loss.item() == pytest.approx((negative + digit) / 2, rel=1e-6)
    loss.backward()
    # The negative's gradient pushes every penalty up: ∂/∂y_i = −e^{−y_i} / 2 = −0.05, halved by the mean.
    torch.testing.assert_close(penalties.grad[0], torch.full((10,), -0.025))
    assert penalties.grad[1, 3] > 0  # the digit's own penalty is pulled down
    assert map_loss(penalties[:1], labels[:1], j=0.0).item() == pytest.approx(negative, rel=1e-6)


def test_eq_8_refuses_negatives_it_cannot_learn_from():
    with pytest.raises(ValueError, match="rubbish"):
        mse_loss(torch.ones(2, 10), torch.tensor([NEGATIVE_LABEL, 1]))


def test_rubbish_posterior_matches_its_definition():
    penalties = torch.tensor([[1.0, 2.0, 4.0]])
    j = 2.0
    expected = math.exp(-j) / (math.exp(-j) + math.exp(-1) + math.exp(-2) + math.exp(-4))
    assert rubbish_posterior(penalties, j).item() == pytest.approx(expected, rel=1e-6)
    # huge penalties (nothing like any prototype) → "rubbish" without overflow
    assert rubbish_posterior(torch.tensor([[500.0] * 10]), j).item() == pytest.approx(1.0)


def test_c5_is_a_convolution_that_slides_on_larger_inputs(model):
    # On a 36×36 input (C3 12×12, S4 6×6) the network's feature maps grow, C5 included: it is not a flatten + linear.
    c1 = squash(model.c1(torch.randn(1, 1, 36, 36)))
    s4 = squash(model.s4(squash(model.c3(squash(model.s2(c1))))))
    assert model.c5(s4).shape == (1, 120, 2, 2)


def test_device_choice_prefers_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    with pytest.raises(ValueError, match="CUDA is not available"):
        pick_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert pick_device() == torch.device("cuda")
    assert pick_device("cuda:1") == torch.device("cuda", 1)
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="only 2 CUDA"):
        pick_device("cuda:5")


def test_training_works_after_a_recognition_in_inference_mode(model):
    # Helpers the layers cache (S2/S4's pair-sum matrices) must not be inference tensors.
    with torch.inference_mode():
        model(torch.randn(1, 1, 32, 32))
    loss = map_loss(model(torch.randn(2, 1, 32, 32)), torch.tensor([1, 2]))
    loss.backward()
    assert model.s2.coefficient.grad is not None
