import math

import numpy as np
import pytest
import torch
from torch import nn
from weightinit.checks import check_delta_orthogonal
from weightinit.isometry import (
    deep_cnn,
    delta_orthogonal,
    delta_orthogonal_,
    input_output_jacobian,
    jacobian_singular_values,
    tanh_critical_point,
)
from weightinit.models import mlp


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _orthogonal_mlp(depth, width, activation="linear", gain=1.0, seed=0):
    net = mlp(depth, width, activation=activation, bias=False).double()  # exact to 1e-15
    generator = _generator(seed)
    for layer in net[::2]:
        nn.init.orthogonal_(layer.weight, gain=gain, generator=generator)
    return net


# ------------------------------------------------------------------- Jacobian


def test_singular_values_of_a_deep_linear_orthogonal_net_are_all_one():
    net = _orthogonal_mlp(depth=48, width=96)
    s = jacobian_singular_values(net, torch.randn(96, generator=_generator(1)).double())
    assert s.shape == (96,) and s.dtype == np.float64
    np.testing.assert_allclose(s, 1.0, atol=1e-10)
    assert np.all(np.diff(s) <= 0)  # largest first


def test_gain_scales_every_singular_value_by_gain_to_the_depth():
    net = _orthogonal_mlp(depth=10, width=32, gain=1.1)
    s = jacobian_singular_values(net, torch.randn(32, generator=_generator(1)).double())
    np.testing.assert_allclose(s, 1.1**10, rtol=1e-8)


def test_float32_orthogonal_weights_are_isometric_to_float32_precision():
    net = mlp(48, 96, activation="linear", bias=False)
    generator = _generator(0)
    for layer in net[::2]:
        nn.init.orthogonal_(layer.weight, generator=generator)
    s = jacobian_singular_values(net, torch.randn(96, generator=_generator(1)))
    np.testing.assert_allclose(s, 1.0, atol=1e-4)


def test_jacobian_is_the_product_of_the_layer_factors():
    torch.manual_seed(0)
    net = mlp(5, 12, in_features=7, out_features=3, activation="tanh")
    x = torch.randn(7)
    expected = torch.eye(7)
    h = x
    for layer in net[::2]:
        z = layer(h)
        expected = torch.diag(1 - torch.tanh(z) ** 2) @ layer.weight @ expected
        h = torch.tanh(z)
    jacobian = input_output_jacobian(net, x)
    assert jacobian.shape == (3, 7) and not jacobian.requires_grad
    torch.testing.assert_close(jacobian, expected.detach(), rtol=1e-5, atol=1e-6)
    s = jacobian_singular_values(net, x)
    np.testing.assert_allclose(s, torch.linalg.svdvals(expected.double()).detach().numpy(), rtol=1e-5)


def test_conv_jacobian_matches_autograd_and_has_one_row_per_output():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.Conv2d(3, 2, 3))
    x = torch.randn(2, 6, 6)
    jacobian = input_output_jacobian(net, x)
    reference = torch.autograd.functional.jacobian(lambda v: net(v[None])[0], x)
    assert jacobian.shape == (2 * 4 * 4, 2 * 6 * 6)
    torch.testing.assert_close(jacobian, reference.reshape(32, 72))


def test_gaussian_weights_spread_the_singular_values():
    net = mlp(32, 64, activation="linear", bias=False)
    generator = _generator(0)
    for layer in net[::2]:
        nn.init.normal_(layer.weight, std=64**-0.5, generator=generator)
    s = jacobian_singular_values(net, torch.randn(64, generator=_generator(1)))
    assert s.max() > 2 and np.mean(s < 1e-3) > 0.4


def test_double_precision_resolves_what_float32_cannot_and_leaves_the_model_alone():
    net = mlp(24, 48, activation="linear", bias=False)
    generator = _generator(0)
    for layer in net[::2]:
        nn.init.normal_(layer.weight, std=48**-0.5, generator=generator)
    x = torch.randn(48, generator=_generator(1))
    in_double = jacobian_singular_values(net, x)
    in_single = jacobian_singular_values(net, x, dtype=None)
    assert net[0].weight.dtype == torch.float32
    assert in_double.min() < 1e-3 * in_single.min()  # float32 bottoms out near 1e-7 * s_max
    np.testing.assert_allclose(in_double[:5], in_single[:5], rtol=1e-3)


def test_a_function_works_as_a_model():
    weight = torch.randn(4, 4, generator=_generator(0))
    s = jacobian_singular_values(lambda batch: batch @ weight.T, torch.zeros(4))
    np.testing.assert_allclose(s, torch.linalg.svdvals(weight.double()).numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    ("model", "x", "kwargs", "match"),
    [
        ("net", torch.zeros(3), {}, "model must be a torch.nn.Module or a callable"),
        (nn.Linear(3, 3), [0.0, 0.0, 0.0], {}, "x must be a torch.Tensor"),
        (nn.Linear(3, 3), torch.zeros(3, dtype=torch.int64), {}, "x must be a floating-point"),
        (nn.Linear(3, 3), torch.zeros(0), {}, "x must not be empty"),
        (nn.Linear(3, 3), torch.tensor([0.0, math.inf, 0.0]), {}, "x must not contain NaN"),
        (nn.Linear(3, 3), torch.zeros(3), {"dtype": torch.int32}, "dtype must be a floating"),
        (nn.Linear(3, 3), torch.zeros(3), {"dtype": "float64"}, "dtype must be a floating"),
        (lambda batch: [batch], torch.zeros(3), {}, "model must return a tensor"),
    ],
)
def test_jacobian_bad_input(model, x, kwargs, match):
    with pytest.raises(ValueError, match=match):
        jacobian_singular_values(model, x, **kwargs)


# ------------------------------------------------------------------- criticality


def _gaussian_mean(f, variance, samples=2_000_000):
    h = np.random.default_rng(0).normal(0.0, math.sqrt(variance), samples)
    return float(np.mean(f(h)))


@pytest.mark.parametrize("q_star", [1 / 64, 0.1, 0.5, 1.0, 2.0, 10.0, 100.0])
def test_tanh_critical_point_is_a_fixed_point_with_chi_one(q_star):
    weight_std, bias_std = tanh_critical_point(q_star)
    chi = weight_std**2 * _gaussian_mean(lambda h: (1 - np.tanh(h) ** 2) ** 2, q_star)
    q_next = weight_std**2 * _gaussian_mean(lambda h: np.tanh(h) ** 2, q_star) + bias_std**2
    assert chi == pytest.approx(1.0, rel=3e-3)
    assert q_next == pytest.approx(q_star, rel=3e-3)


def test_tanh_critical_point_tends_to_the_linear_network():
    weight_std, bias_std = tanh_critical_point(1e-6)
    assert weight_std == pytest.approx(1.0, abs=1e-5) and bias_std < 1e-3


def test_a_wide_critical_network_keeps_q_star():
    q_star, width = 0.25, 500
    weight_std, bias_std = tanh_critical_point(q_star)
    generator = _generator(0)
    h = math.sqrt(q_star) * torch.randn(100, width, generator=generator)
    variances = []
    for _ in range(20):
        w = torch.randn(width, width, generator=generator) * weight_std / math.sqrt(width)
        b = torch.randn(width, generator=generator) * bias_std
        h = torch.tanh(h) @ w.T + b
        variances.append(h.var().item())
    assert np.mean(variances) == pytest.approx(q_star, rel=0.05)


@pytest.mark.parametrize("q_star", [0.0, -1.0, math.nan, math.inf, True, "1", 1e5])
def test_tanh_critical_point_bad_input(q_star):
    with pytest.raises(ValueError, match="q_star"):
        tanh_critical_point(q_star)


# ------------------------------------------------------------------- delta-orthogonal


def _centre_index(shape):
    return (slice(None), slice(None), *[(k - 1) // 2 for k in shape[2:]])


@pytest.mark.parametrize(
    "shape", [(8, 8, 3), (16, 4, 3, 3), (6, 6, 5, 5), (10, 3, 3, 3, 3), (4, 2, 4, 4), (5, 5, 1, 1)]
)
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_delta_orthogonal_centre_is_orthogonal_and_the_rest_zero(shape, gain):
    for kernel in (
        delta_orthogonal(shape, gain=gain, rng=0),
        delta_orthogonal_(torch.empty(shape), gain=gain, generator=_generator()).numpy(),
    ):
        assert kernel.shape == shape and kernel.dtype == np.float32
        index = _centre_index(shape)
        centre = kernel[index].astype(np.float64)
        np.testing.assert_allclose(centre.T @ centre, gain**2 * np.eye(shape[1]), atol=1e-5)
        rest = kernel.copy()
        rest[index] = 0
        assert not np.any(rest)


def test_delta_orthogonal_seeds():
    shape = (8, 4, 3, 3)
    assert np.array_equal(delta_orthogonal(shape, rng=3), delta_orthogonal(shape, rng=3))
    assert not np.array_equal(delta_orthogonal(shape, rng=3), delta_orthogonal(shape, rng=4))
    generator = np.random.default_rng(0)
    assert not np.array_equal(delta_orthogonal(shape, rng=generator), delta_orthogonal(shape, rng=generator))
    first = delta_orthogonal_(torch.empty(shape), generator=_generator(3))
    again = delta_orthogonal_(torch.empty(shape), generator=_generator(3))
    other = delta_orthogonal_(torch.empty(shape), generator=_generator(4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_delta_orthogonal_centre_is_uniformly_distributed():
    # Without the sign fix of QR, the diagonal of Q has a clearly nonzero mean.
    numpy_diagonals = [
        np.diagonal(delta_orthogonal((8, 8, 3, 3), rng=seed)[:, :, 1, 1]) for seed in range(300)
    ]
    torch_diagonals = [
        torch.diagonal(delta_orthogonal_(torch.empty(8, 8, 3, 3), generator=_generator(seed))[:, :, 1, 1])
        for seed in range(300)
    ]
    assert abs(np.mean(numpy_diagonals)) < 0.05
    assert abs(torch.stack(torch_diagonals).mean().item()) < 0.05


def test_delta_orthogonal_in_place_returns_the_tensor_and_keeps_grad_tracking():
    conv = nn.Conv2d(4, 8, 3)
    result = delta_orthogonal_(conv.weight, generator=_generator())
    assert result is conv.weight and conv.weight.requires_grad


def test_delta_orthogonal_empty_shapes():
    assert delta_orthogonal((0, 0, 3, 3), rng=0).shape == (0, 0, 3, 3)
    assert delta_orthogonal((4, 2, 0, 3), rng=0).shape == (4, 2, 0, 3)
    assert delta_orthogonal_(torch.empty(4, 2, 0)).shape == (4, 2, 0)


@pytest.mark.parametrize("padding_mode", ["circular", "zeros"])
def test_a_deep_linear_cnn_preserves_the_norm_of_every_input(padding_mode):
    net = deep_cnn(60, 8, in_channels=3, padding_mode=padding_mode).double()
    generator = _generator(0)
    for conv in net[::2]:
        delta_orthogonal_(conv.weight, generator=generator)
    x = torch.randn(5, 3, 7, 7, generator=_generator(1), dtype=torch.float64)
    with torch.no_grad():
        y = net(x)
    torch.testing.assert_close(y.flatten(1).norm(dim=1), x.flatten(1).norm(dim=1), rtol=1e-12, atol=0.0)


def test_a_deep_linear_cnn_with_gain_scales_the_norm_and_is_isometric():
    net = deep_cnn(12, 4, padding_mode="circular").double()
    generator = _generator(0)
    for conv in net[::2]:
        delta_orthogonal_(conv.weight, gain=1.05, generator=generator)
    s = jacobian_singular_values(net, torch.randn(4, 5, 5, generator=_generator(1)).double())
    assert s.shape == (100,)
    np.testing.assert_allclose(s, 1.05**12, rtol=1e-8)


def test_he_normal_kernels_do_not_preserve_the_norm():
    net = deep_cnn(100, 4)
    generator = _generator(0)
    for conv in net[::2]:
        nn.init.kaiming_normal_(conv.weight, nonlinearity="linear", generator=generator)
    x = torch.randn(8, 4, 8, 8, generator=_generator(1))
    with torch.no_grad():
        ratio = net(x).flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)
    assert ratio.max().item() < 0.5


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((4, 8, 3, 3), "in_channels <= out_channels"),
        ((4, 4), "3, 4 or 5 dimensions"),
        ((4, 4, 3, 3, 3, 3), "3, 4 or 5 dimensions"),
        ((4, -1, 3), "every dimension of shape must be a non-negative integer, got -1"),
        ((4, 4.0, 3), "every dimension of shape must be a non-negative integer, got 4.0"),
        (12, "shape must be a tuple"),
    ],
)
def test_delta_orthogonal_bad_shape(shape, match):
    with pytest.raises(ValueError, match=match):
        delta_orthogonal(shape, rng=0)
    if isinstance(shape, tuple) and all(isinstance(d, int) and d >= 0 for d in shape):
        with pytest.raises(ValueError, match=match):
            delta_orthogonal_(torch.empty(shape))


def test_delta_orthogonal_bad_arguments():
    for gain in (math.nan, math.inf, "1", True):
        with pytest.raises(ValueError, match="gain"):
            delta_orthogonal((4, 4, 3), gain=gain)
        with pytest.raises(ValueError, match="gain"):
            delta_orthogonal_(torch.empty(4, 4, 3), gain=gain)
    with pytest.raises(ValueError, match="rng"):
        delta_orthogonal((4, 4, 3), rng=-1)
    with pytest.raises(ValueError, match="generator"):
        delta_orthogonal_(torch.empty(4, 4, 3), generator=0)
    with pytest.raises(ValueError, match="tensor must be a torch.Tensor"):
        delta_orthogonal_(np.zeros((4, 4, 3)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"depth": 0}, "depth"),
        ({"channels": 2.0}, "channels"),
        ({"in_channels": 0}, "in_channels"),
        ({"kernel_size": 4}, "kernel_size"),
        ({"padding_mode": "wrap"}, "padding_mode"),
        ({"activation": "swish"}, "activation"),
    ],
)
def test_deep_cnn_bad_input(kwargs, match):
    arguments = {"depth": 3, "channels": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        deep_cnn(arguments.pop("depth"), arguments.pop("channels"), **arguments)


# ------------------------------------------------------------------- check_delta_orthogonal


def _reference(shape, gain=1.0, rng=None):
    rng = np.random.default_rng(rng)
    q, r = np.linalg.qr(rng.standard_normal(shape[:2]))
    q *= np.sign(np.diagonal(r))
    kernel = np.zeros(shape)
    kernel[_centre_index(shape)] = gain * q
    return kernel


def test_check_delta_orthogonal_accepts_correct_solutions(capsys):
    assert check_delta_orthogonal(_reference) is True
    assert check_delta_orthogonal(delta_orthogonal) is True
    assert capsys.readouterr().out.count("✓ delta-orthogonal") == 2


def _no_sign_fix(shape, gain=1.0, rng=None):
    rng = np.random.default_rng(rng)
    q, _ = np.linalg.qr(rng.standard_normal(shape[:2]))
    kernel = np.zeros(shape)
    kernel[_centre_index(shape)] = gain * q
    return kernel


def _every_tap(shape, gain=1.0, rng=None):
    kernel = _reference(shape, gain, rng)
    kernel[_centre_index(shape)] *= 0.5
    return kernel + _reference(shape, gain, rng) * 0.0 + 0.01


def _centre_at_zero(shape, gain=1.0, rng=None):
    kernel = np.zeros(shape)
    kernel[(slice(None), slice(None), *[0] * (len(shape) - 2))] = _reference(shape, gain, rng)[
        _centre_index(shape)
    ]
    return kernel


def _gaussian_centre(shape, gain=1.0, rng=None):
    kernel = np.zeros(shape)
    kernel[_centre_index(shape)] = np.random.default_rng(rng).normal(size=shape[:2])
    return kernel


def _stub(shape, gain=1.0, rng=None):
    raise NotImplementedError


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda shape, gain=1.0, rng=None: None, "returned None"),
        (_stub, "NotImplementedError"),
        (lambda shape, gain=1.0, rng=None: np.zeros(shape[::-1]), "returned shape"),
        (lambda shape, gain=1.0, rng=None: "kernel", "expected a NumPy array"),
        (lambda shape, gain=1.0, rng=None: np.full(shape, np.nan), "NaN"),
        (_every_tap, "nonzero taps outside the centre"),
        (_centre_at_zero, "nonzero taps outside the centre"),
        (_gaussian_centre, "orthonormal"),
        (lambda shape, gain=1.0, rng=None: _reference(shape, 1.0, rng), "multiply the orthogonal"),
        (lambda shape, gain=1.0, rng=None: _reference(shape, gain, None), "different array each"),
        (lambda shape, gain=1.0, rng=None: _reference(shape, gain, 0), "are equal"),
        (_no_sign_fix, "signs of R's diagonal"),
        (lambda shape, gain=1.0, rng=None: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_delta_orthogonal_reports_mistakes_without_raising(fn, message, capsys):
    assert check_delta_orthogonal(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ delta-orthogonal") and message in out


def test_check_delta_orthogonal_not_a_function(capsys):
    assert check_delta_orthogonal("my_delta_orthogonal") is False
    assert "expected a function" in capsys.readouterr().out
