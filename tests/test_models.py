import pytest
import torch
from torch import nn
from weightinit.models import ACTIVATIONS, count_parameters, init_weights_, make_activation, mlp, small_cnn


def test_mlp_structure_and_sizes():
    net = mlp(depth=3, width=16, in_features=5, out_features=2, activation="relu", final_activation=False)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(5, 16), (16, 16), (16, 2)]
    assert sum(isinstance(m, nn.ReLU) for m in net) == 2


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_computes_its_function(name):
    functions = {
        "linear": lambda x: x,
        "relu": torch.relu,
        "leaky_relu": lambda x: torch.where(x > 0, x, 0.01 * x),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "selu": lambda x: 1.0507009873554805 * torch.where(x > 0, x, 1.6732632423543772 * torch.expm1(x)),
        "elu": lambda x: torch.where(x > 0, x, torch.expm1(x)),
        "gelu": lambda x: 0.5 * x * (1 + torch.erf(x / 2**0.5)),
        "silu": lambda x: x * torch.sigmoid(x),
    }
    assert set(functions) == set(ACTIVATIONS)
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    torch.testing.assert_close(make_activation(name)(x), functions[name](x))
    assert make_activation(name) is not make_activation(name)  # a new module each time


def test_float_init_is_a_fixed_std_and_zero_bias():
    torch.manual_seed(0)
    net = mlp(depth=2, width=400, init=0.05)
    assert net[0].weight.std().item() == pytest.approx(0.05, rel=0.02)
    assert torch.all(net[0].bias == 0)


def test_callable_init_is_applied_to_every_weight():
    net = init_weights_(mlp(depth=2, width=8), torch.nn.init.ones_)
    assert all(torch.all(m.weight == 1) for m in net if isinstance(m, nn.Linear))


def test_float_init_with_generator_is_reproducible():
    a = init_weights_(mlp(2, 8), 0.1, generator=torch.Generator().manual_seed(1))
    b = init_weights_(mlp(2, 8), 0.1, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a[0].weight, b[0].weight)


def test_small_cnn_forward_and_parameters():
    net = small_cnn(channels=(4,))
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert count_parameters(net) == (4 * 9 + 4) + (4 * 64 * 10 + 10)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mlp(0, 8), "depth"),
        (lambda: mlp(2, -1), "width"),
        (lambda: mlp(2, 8, activation="swish"), "activation"),
        (lambda: mlp(2, 8, init=-0.1), "init"),
        (lambda: mlp(2, 8, init=True), "init"),
        (lambda: small_cnn(channels=()), "channels"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
