import numpy as np
import pytest
import torch
from torch import nn
from weightinit.models import mlp
from weightinit.stats import layer_stats, propagate


def test_layer_stats_matches_a_manual_forward_pass():
    torch.manual_seed(0)
    net = mlp(depth=3, width=32, in_features=8, activation="tanh", init=0.3)
    x = torch.randn(64, 8)
    stats = layer_stats(net, x)
    z1 = net[0](x)
    a1 = torch.tanh(z1)
    assert stats.names == ["0", "2", "4"]
    assert stats.preactivation_std[0] == pytest.approx(z1.std().item(), rel=1e-6)
    assert stats.activation_std[0] == pytest.approx(a1.std().item(), rel=1e-6)
    assert stats.activation_mean[0] == pytest.approx(a1.mean().item(), abs=1e-6)
    assert len(stats.activations) == 3 and stats.activations[0].size == 64 * 32


def test_layer_stats_gradient_is_the_backpropagated_one():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4, bias=False))
    x = torch.randn(10, 4)
    stats = layer_stats(net, x, seed=3)
    upstream = torch.randn(10, 4, generator=torch.Generator().manual_seed(3))
    # With no activation after it, dL/dz is the upstream gradient itself.
    assert stats.gradient_std[0] == pytest.approx(upstream.std().item(), rel=1e-6)
    assert stats.weight_gradient_std[0] == pytest.approx((upstream.T @ x).std().item(), rel=1e-5)


def test_layer_stats_with_a_loss_and_conv_layers():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 3))
    x, y = torch.randn(5, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1])
    stats = layer_stats(net, x, targets=y, loss_fn=nn.functional.cross_entropy)
    assert stats.names == ["0", "3"]
    assert np.all(stats.activation_std[0] <= stats.preactivation_std[0] + 1e-6)  # ReLU shrinks
    assert np.all(np.isfinite(stats.gradient_std))


def test_layer_stats_bad_input():
    with pytest.raises(ValueError, match="targets and loss_fn"):
        layer_stats(nn.Linear(2, 2), torch.randn(3, 2), targets=torch.zeros(3))
    with pytest.raises(ValueError, match="no Linear or Conv"):
        layer_stats(nn.Sequential(nn.ReLU()), torch.randn(3, 2))


def test_propagate_variance_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 200))
    w = rng.normal(0.0, 0.1, size=(200, 200))  # n Var(w) = 200 * 0.01 = 2
    (y,) = propagate(x, [w])
    assert y.var() / x.var() == pytest.approx(2.0, rel=0.05)


def test_propagate_bad_input():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="activation"):
        propagate(x, [np.zeros((4, 4))], activation="swish")
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        propagate(x, [np.zeros((5, 4)), np.zeros((5, 4))])
    with pytest.raises(ValueError, match="inputs"):
        propagate(np.zeros(4), [np.zeros((4, 4))])
