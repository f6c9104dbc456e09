import math

import numpy as np
import pytest
import torch
from torch import nn
from weightinit.checks import check_lsuv
from weightinit.lsuv import LSUVResult, lsuv_init_, output_variances
from weightinit.models import mlp, small_cnn


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _batch(*shape: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(*shape, generator=_generator(seed))


@pytest.mark.parametrize("activation", ["tanh", "relu", "elu", "sigmoid"])
def test_every_layer_output_variance_is_within_tol(activation):
    net = mlp(25, 48, in_features=20, out_features=5, activation=activation, final_activation=False)
    x = 3.0 * _batch(200, 20)  # badly scaled inputs: LSUV must not care
    result = lsuv_init_(net, x, tol=0.05, generator=_generator())
    assert isinstance(result, LSUVResult)
    assert result.names == [str(i) for i in range(0, 50, 2)]
    assert all(result.converged)
    variances = output_variances(net, x)
    assert all(abs(v - 1) < 0.05 for v in variances)
    assert variances == pytest.approx(result.variances, rel=1e-5)


def test_conv_layers_are_measured_over_all_elements():
    net = nn.Sequential(
        nn.Conv1d(3, 8, 5, padding=2),
        nn.ELU(),
        nn.Conv1d(8, 16, 3),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(16 * 30, 4),
    )
    x = _batch(64, 3, 32)
    result = lsuv_init_(net, x, tol=0.01, generator=_generator())
    assert result.names == ["0", "2", "5"]
    with torch.no_grad():
        first = net[0](x)
    assert first.var().item() == pytest.approx(1.0, abs=0.01)  # variance of every element
    assert all(abs(v - 1) < 0.01 for v in output_variances(net, x))


def test_conv2d_and_conv3d():
    cnn = small_cnn(activation="elu")
    images = _batch(32, 1, 8, 8)
    assert all(lsuv_init_(cnn, images, generator=_generator()).converged)
    assert all(abs(v - 1) < 0.1 for v in output_variances(cnn, images))
    net3d = nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv3d(4, 4, 3, padding=1))
    volumes = _batch(8, 2, 5, 5, 5)
    lsuv_init_(net3d, volumes, generator=_generator())
    assert all(abs(v - 1) < 0.1 for v in output_variances(net3d, volumes))


def test_weights_are_orthogonal_times_a_scalar_and_biases_zero():
    net = mlp(4, 32, activation="tanh")
    nn.init.normal_(net[2].bias, std=1.0)
    lsuv_init_(net, 5.0 * _batch(100, 32), generator=_generator())
    for layer in net[::2]:
        w = layer.weight.detach().double()
        gram = w @ w.T
        scale = gram.diagonal().mean()
        assert torch.allclose(gram, scale * torch.eye(32, dtype=torch.float64), atol=1e-4 * scale)
        assert torch.all(layer.bias == 0)


def test_one_rescaling_per_layer_without_biases_and_reproducible():
    x = _batch(128, 16)
    first = mlp(6, 16, activation="elu", bias=False)
    second = mlp(6, 16, activation="elu", bias=False)
    result = lsuv_init_(first, 4.0 * x, generator=_generator(5))
    lsuv_init_(second, 4.0 * x, generator=_generator(5))
    assert result.iterations == [1] * 6  # the variance is quadratic in the weight's scale
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_orthogonal_false_keeps_directions_and_biases():
    net = mlp(3, 16, activation="tanh")
    with torch.no_grad():
        for layer in net[::2]:
            layer.weight.normal_(0.0, 1.0, generator=_generator())
            layer.bias.normal_(0.0, 0.3, generator=_generator(1))
    before = [(layer.weight.clone(), layer.bias.clone()) for layer in net[::2]]
    result = lsuv_init_(net, _batch(256, 16), tol=0.02, max_iter=50, orthogonal=False)
    assert all(result.converged)
    for (weight, bias), layer in zip(before, net[::2], strict=True):
        ratio = layer.weight / weight
        assert torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-4)
        assert torch.equal(layer.bias, bias)


def test_max_iter_bounds_the_rescalings_and_reports_non_convergence():
    net = mlp(2, 16, activation="linear")
    with torch.no_grad():
        for layer in net[::2]:  # the biases alone give each output a variance above 1
            layer.bias.normal_(0.0, 1.5, generator=_generator())
    result = lsuv_init_(net, _batch(64, 16), max_iter=3, orthogonal=False)
    assert max(result.iterations) <= 3
    assert not all(result.converged)


def test_model_mode_is_restored_and_dropout_is_off_while_measuring():
    net = nn.Sequential(nn.Linear(16, 16), nn.Dropout(0.5), nn.Linear(16, 16))
    net.train()
    x = _batch(512, 16)
    lsuv_init_(net, x, tol=0.01, generator=_generator())
    assert net.training and all(m.training for m in net.modules())
    net.eval()
    assert all(abs(v - 1) < 0.01 for v in output_variances(net, x))


def test_shared_layer_is_initialized_once_and_unused_layers_are_skipped():
    shared = nn.Linear(8, 8)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared, self.unused = shared, nn.Linear(8, 8)

        def forward(self, x):
            return self.shared(torch.tanh(self.shared(x)))

    result = lsuv_init_(Twice(), _batch(64, 8), generator=_generator())
    assert result.names == ["shared"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "net"}, "model must be a torch.nn.Module"),
        ({"inputs": [[1.0, 2.0]]}, "inputs must be a torch.Tensor"),
        ({"inputs": torch.ones(8, 4, dtype=torch.int64)}, "inputs must be a floating-point"),
        ({"inputs": torch.ones(1, 4)}, "inputs must be a batch of at least 2"),
        ({"inputs": torch.ones(4)}, "inputs must be a batch of at least 2"),
        ({"inputs": torch.full((8, 4), math.nan)}, "inputs must not contain NaN"),
        ({"tol": 0.0}, "tol must be a finite number in"),
        ({"tol": 1.5}, "tol must be a finite number in"),
        ({"tol": True}, "tol must be a finite number in"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"max_iter": 2.5}, "max_iter must be a positive integer"),
        ({"generator": 3}, "generator must be a torch.Generator"),
        ({"model": nn.Sequential(nn.ReLU())}, "no Linear or Conv layer"),
    ],
)
def test_bad_input(kwargs, match):
    arguments = {"model": mlp(2, 4), "inputs": torch.randn(8, 4), **kwargs}
    with pytest.raises(ValueError, match=match):
        lsuv_init_(arguments.pop("model"), arguments.pop("inputs"), **arguments)


def test_constant_inputs_cannot_be_normalized():
    with pytest.raises(ValueError, match="variance 0.0 on inputs"):
        lsuv_init_(mlp(2, 4), torch.zeros(8, 4), generator=_generator())


def test_output_variances_bad_input():
    with pytest.raises(ValueError, match="inputs must be a torch.Tensor"):
        output_variances(mlp(2, 4), np.zeros((8, 4)))
    with pytest.raises(ValueError, match="no Linear or Conv layer"):
        output_variances(nn.Sequential(nn.Tanh()), torch.zeros(8, 4))


# ----------------------------------------------------------------- check_lsuv

_ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
}


def _reference_lsuv(weights, inputs, activation, tol=0.1, max_iter=10):
    new, x = [], inputs
    for w in weights:
        for _ in range(max_iter):
            variance = (x @ w.T).var()
            if abs(variance - 1) < tol:
                break
            w = w / np.sqrt(variance)
        new.append(w)
        x = _ACTIVATIONS[activation](x @ w.T)
    return new


def test_check_lsuv_accepts_a_correct_solution(capsys):
    assert check_lsuv(_reference_lsuv) is True
    assert capsys.readouterr().out.startswith("✓ LSUV")


def _in_place(weights, inputs, activation, tol=0.1):
    result = _reference_lsuv(weights, inputs, activation, tol)
    for w, new in zip(weights, result, strict=True):
        w *= new[0, 0] / w[0, 0]
    return weights


def _input_variance_only(weights, inputs, activation, tol=0.1):
    return [w / np.sqrt(inputs.var()) for w in weights]


def _fresh_weights(weights, inputs, activation, tol=0.1):
    rng = np.random.default_rng(0)
    return _reference_lsuv([rng.normal(size=w.shape) for w in weights], inputs, activation, tol)


def _measured_before_the_rescaling_of_earlier_layers(weights, inputs, activation, tol=0.1):
    new = []
    x = inputs
    for w in weights:
        variance = (x @ w.T).var()
        new.append(w / np.sqrt(variance))
        x = _ACTIVATIONS[activation](x @ w.T)  # the old weight: a mistake
    return new


def _raises(weights, inputs, activation, tol=0.1):
    raise KeyError(activation)


def _stub(weights, inputs, activation, tol=0.1):
    raise NotImplementedError


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda *args: None, "returned None"),
        (_stub, "NotImplementedError"),
        (_raises, "raised KeyError"),
        (lambda weights, *args: weights[:-1], "expected 12 arrays"),
        (lambda weights, *args: 7, "expected a list of arrays"),
        (_in_place, "changed in place"),
        (_fresh_weights, "not a positive multiple"),
        (_input_variance_only, "layer 1 has output variance"),
        (_measured_before_the_rescaling_of_earlier_layers, "has output variance"),
    ],
)
def test_check_lsuv_reports_mistakes_without_raising(fn, message, capsys):
    assert check_lsuv(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ LSUV") and message in out


def test_check_lsuv_not_a_function_and_bad_tol(capsys):
    assert check_lsuv(None) is False
    assert "expected a function" in capsys.readouterr().out
    for tol in (0.0, 1.0, "0.1", True):
        with pytest.raises(ValueError, match="tol must be a finite number in"):
            check_lsuv(_reference_lsuv, tol=tol)


def test_check_lsuv_with_a_tighter_tolerance(capsys):
    assert check_lsuv(lambda w, x, a, tol: _reference_lsuv(w, x, a, tol, max_iter=50), tol=0.01)

    def slightly_large(weights, inputs, activation, tol):
        return [1.03 * w for w in _reference_lsuv(weights, inputs, activation, tol)]

    assert check_lsuv(slightly_large, tol=0.01) is False  # layer 1: variance 1.03 ** 2
    assert "must be < 0.01" in capsys.readouterr().out
