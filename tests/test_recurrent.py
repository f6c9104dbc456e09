"""weightinit.recurrent: hidden-to-hidden matrices, Jacobians through time, models, trainer."""

from __future__ import annotations

import math
import typing

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from weightinit import recurrent
from weightinit.recurrent import (
    ADDING_BASELINE_MSE,
    RECURRENT_INITS,
    EmbeddingLSTMClassifier,
    RNNRegressor,
    jacobian_norms,
    recurrent_weight,
    rnn_regressor,
    train_adding,
)
from weightinit.torch_init import effective_forget_bias

P_MIN = 1e-3  # KS p-value below which two samples are declared different


# ----------------------------------------------------------------- recurrent_weight


def test_recurrent_weight_distributions() -> None:
    size = 300
    gaussian = recurrent_weight("gaussian", size, rng=0)
    default = recurrent_weight("pytorch_default", size, rng=0)
    orthogonal = recurrent_weight("orthogonal", size, rng=0)
    assert gaussian.shape == default.shape == orthogonal.shape == (size, size)
    assert abs(gaussian.std() * math.sqrt(size) - 1) < 0.01
    assert np.abs(default).max() <= 1 / math.sqrt(size)
    assert abs(default.var() * 3 * size - 1) < 0.02
    assert np.allclose(orthogonal @ orthogonal.T, np.eye(size), atol=1e-4)
    assert np.array_equal(recurrent_weight("identity", 5), np.eye(5, dtype=np.float32))
    assert abs(recurrent_weight("gaussian", size, std=0.5, rng=0).std() - 0.5) < 0.01


def test_recurrent_weight_matches_torch_default_rnn() -> None:
    """'pytorch_default' is the distribution nn.RNN draws its weight_hh from."""
    size = 200
    torch.manual_seed(0)
    torch_weight = nn.RNN(4, size).weight_hh_l0.detach().numpy().ravel()
    ours = recurrent_weight("pytorch_default", size, rng=0).ravel()
    assert stats.ks_2samp(ours, torch_weight).pvalue > P_MIN


def test_recurrent_weight_seeds() -> None:
    for init in ("gaussian", "pytorch_default", "orthogonal"):
        first = recurrent_weight(init, 16, rng=3)
        assert np.array_equal(first, recurrent_weight(init, 16, rng=3))
        assert not np.array_equal(first, recurrent_weight(init, 16, rng=4))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"init": "xavier", "hidden_size": 4}, "init must be one of"),
        ({"init": "orthogonal", "hidden_size": 0}, "hidden_size must be a positive integer"),
        ({"init": "orthogonal", "hidden_size": 2.5}, "hidden_size must be a positive integer"),
        ({"init": "orthogonal", "hidden_size": True}, "hidden_size must be a positive integer"),
        ({"init": "identity", "hidden_size": 4, "std": 0.1}, "std is only used"),
        ({"init": "gaussian", "hidden_size": 4, "std": -1.0}, "std"),
    ],
)
def test_recurrent_weight_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        recurrent_weight(**kwargs)


# ------------------------------------------------------------------- jacobian_norms


def test_jacobian_norms_linear_is_matrix_power() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, size=(6, 6))
    norms = jacobian_norms(w, 12, "linear")
    expected = [np.linalg.norm(np.linalg.matrix_power(w, t), 2) for t in range(1, 13)]
    assert np.allclose(norms, expected, rtol=1e-10)


def test_jacobian_norms_tanh_at_rest_equals_linear() -> None:
    """Without drive, h stays 0 and tanh'(0) = 1: the same norms as the linear map."""
    w = recurrent_weight("gaussian", 16, rng=1).astype(np.float64)
    assert np.allclose(jacobian_norms(w, 30, "tanh"), jacobian_norms(w, 30, "linear"))


def test_jacobian_norms_match_autograd() -> None:
    """The NumPy recursion agrees with torch's autograd through a real nn.RNN."""
    hidden_size, num_steps = 8, 15
    torch.manual_seed(0)
    for nonlinearity in ("tanh", "relu"):
        rnn = nn.RNN(3, hidden_size, nonlinearity=nonlinearity, bias=False, batch_first=True)
        rnn = rnn.double()
        inputs = torch.rand(1, num_steps, 3, dtype=torch.float64)
        h0 = torch.rand(hidden_size, dtype=torch.float64)
        jacobian = torch.autograd.functional.jacobian(
            lambda h, rnn=rnn, inputs=inputs: rnn(inputs, h.view(1, 1, -1))[0][0, -1], h0
        )
        drive = (inputs[0] @ rnn.weight_ih_l0.T).detach().numpy()
        norms = jacobian_norms(
            rnn.weight_hh_l0.detach().numpy(), num_steps, nonlinearity, drive=drive, initial_state=h0.numpy()
        )
        assert math.isclose(norms[-1], torch.linalg.matrix_norm(jacobian, 2).item(), rel_tol=1e-9)


def test_jacobian_norms_orthogonal_and_identity() -> None:
    orthogonal = recurrent_weight("orthogonal", 32, rng=0)
    assert np.allclose(jacobian_norms(orthogonal, 200, "linear"), 1.0, atol=1e-4)
    # IRNN: with a positive drive on some units, they stay active and pass the gradient
    drive = np.tile(np.linspace(-0.1, 0.1, 32), (200, 1))
    norms = jacobian_norms(np.eye(32), 200, "relu", drive=drive)
    assert np.allclose(norms, 1.0, rtol=0, atol=1e-12)


def test_jacobian_norms_pytorch_default_vanishes_at_spectral_radius() -> None:
    w = recurrent_weight("pytorch_default", 64, rng=0).astype(np.float64)
    norms = jacobian_norms(w, 200, "linear")
    radius = np.abs(np.linalg.eigvals(w)).max()
    assert 0.45 < radius < 0.7  # about 1 / sqrt(3)
    rate = (norms[199] / norms[99]) ** (1 / 100)
    assert abs(rate / radius - 1) < 0.02
    assert norms[-1] < 1e-30  # far below float32's range: the renormalization works


def test_jacobian_norms_relu_dead_state() -> None:
    """ReLU with h = 0 and no drive: every unit is off, the Jacobian is 0."""
    assert np.all(jacobian_norms(np.eye(4), 5, "relu") == 0.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.eye(3), 5, "sigmoid"), {}, "nonlinearity must be one of"),
        ((np.eye(3), 0), {}, "num_steps must be a positive integer"),
        ((np.ones((3, 4)), 5), {}, "w_hh must be a non-empty square matrix"),
        ((np.ones(3), 5), {}, "w_hh must be a non-empty square matrix"),
        ((np.eye(3), 5), {"drive": np.zeros((4, 3))}, "drive must have shape"),
        ((np.eye(3), 5), {"initial_state": np.zeros(4)}, "initial_state must have shape"),
    ],
)
def test_jacobian_norms_bad_input(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        jacobian_norms(*args, **kwargs)


# ------------------------------------------------------------------ models and trainer


def test_rnn_regressor_inits() -> None:
    hidden_size = 64
    default = rnn_regressor("pytorch_default", hidden_size, seed=0)
    bound = 1 / math.sqrt(hidden_size)
    assert default.rnn.weight_hh_l0.abs().max().item() <= bound
    gaussian = rnn_regressor("gaussian", hidden_size, seed=0).rnn.weight_hh_l0.detach()
    assert abs(gaussian.std().item() * math.sqrt(hidden_size) - 1) < 0.05
    orthogonal = rnn_regressor("orthogonal", hidden_size, seed=0).rnn.weight_hh_l0.detach()
    assert torch.allclose(orthogonal @ orthogonal.T, torch.eye(hidden_size), atol=1e-5)
    irnn = rnn_regressor("identity", hidden_size, seed=0).rnn
    assert irnn.nonlinearity == "relu" and default.rnn.nonlinearity == "tanh"
    assert torch.equal(irnn.weight_hh_l0, torch.eye(hidden_size))
    assert irnn.bias_ih_l0.abs().max().item() == 0 and irnn.bias_hh_l0.abs().max().item() == 0


def test_rnn_regressor_seed_and_global_state() -> None:
    torch.manual_seed(5)
    expected_next = torch.rand(1)
    torch.manual_seed(5)
    first = rnn_regressor("orthogonal", 8, seed=1)
    assert torch.equal(torch.rand(1), expected_next)  # the global state is untouched
    second = rnn_regressor("orthogonal", 8, seed=1)
    other = rnn_regressor("orthogonal", 8, seed=2)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(first.rnn.weight_hh_l0, other.rnn.weight_hh_l0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rnn_regressor("he", 8), "init must be one of"),
        (lambda: rnn_regressor("orthogonal", 0), "hidden_size must be a positive integer"),
        (lambda: RNNRegressor(2, 8, nonlinearity="sigmoid"), "nonlinearity must be one of"),
        (lambda: RNNRegressor(0, 8), "input_size must be a positive integer"),
        (lambda: rnn_regressor("identity", 8, seed=-1), "seed must be a non-negative integer"),
    ],
)
def test_rnn_regressor_bad_input(call: typing.Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_train_adding_learns_and_is_reproducible() -> None:
    losses = train_adding(rnn_regressor("identity", 16, seed=0), steps=150, seed=0)
    again = train_adding(rnn_regressor("identity", 16, seed=0), steps=150, seed=0)
    assert losses.shape == (150,) and np.array_equal(losses, again)
    assert losses[:20].mean() > ADDING_BASELINE_MSE  # it starts worse than predicting 1
    assert losses[-20:].mean() < 0.5 * ADDING_BASELINE_MSE


def test_adding_baseline() -> None:
    from weightinit.data import adding_problem

    _, targets = adding_problem(100_000, 10, seed=0)
    assert abs(((targets - 1) ** 2).mean().item() / ADDING_BASELINE_MSE - 1) < 0.02


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seq_len": 0}, "seq_len must be a positive integer"),
        ({"steps": -1}, "steps must be a positive integer"),
        ({"batch_size": 1.5}, "batch_size must be a positive integer"),
        ({"lr": 0.0}, "lr must be positive"),
        ({"max_grad_norm": -1.0}, "max_grad_norm must be positive"),
        ({"seed": -2}, "seed must be a non-negative integer"),
        ({"seed": 1.5}, "seed must be a non-negative integer"),
    ],
)
def test_train_adding_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        train_adding(rnn_regressor("identity", 4), **kwargs)


# --------------------------------------------------------------- EmbeddingLSTMClassifier


def test_embedding_lstm_classifier_init() -> None:
    vocab, dim, hidden, classes = 500, 32, 48, 5
    model = EmbeddingLSTMClassifier(
        vocab, dim, hidden, classes, num_layers=2, padding_idx=0, generator=torch.Generator().manual_seed(0)
    )
    embedding = model.embedding.weight.detach()
    assert embedding[0].abs().max().item() == 0
    assert abs(embedding[1:].std().item() - 1) < 0.03  # torch's default N(0, 1)
    assert torch.equal(effective_forget_bias(model.lstm), torch.ones(2, hidden))
    for layer in range(2):
        total = (getattr(model.lstm, f"bias_ih_l{layer}") + getattr(model.lstm, f"bias_hh_l{layer}")).detach()
        others = torch.cat([total[:hidden], total[2 * hidden :]])
        assert others.abs().max().item() == 0
        for block in getattr(model.lstm, f"weight_hh_l{layer}").detach().split(hidden):
            assert torch.allclose(block @ block.T, torch.eye(hidden), atol=1e-5)
        fan_in = dim if layer == 0 else hidden
        bound = math.sqrt(6 / (fan_in + hidden))  # Xavier, one gate block at a time
        weight_ih = getattr(model.lstm, f"weight_ih_l{layer}").detach()
        assert weight_ih.abs().max().item() <= bound
        assert weight_ih.abs().max().item() > 0.95 * bound
    head_bound = math.sqrt(6 / (hidden + classes))
    assert model.head.weight.abs().max().item() <= head_bound
    assert model.head.bias.abs().max().item() == 0
    logits = model(torch.randint(0, vocab, (3, 11)))
    assert logits.shape == (3, classes)


def test_embedding_lstm_classifier_xavier_recurrent_and_forget_bias() -> None:
    model = EmbeddingLSTMClassifier(50, 8, 16, 2, forget_bias=2.0, orthogonal_recurrent=False)
    assert torch.equal(effective_forget_bias(model.lstm), torch.full((1, 16), 2.0))
    weight_hh = model.lstm.weight_hh_l0.detach()
    assert weight_hh.abs().max().item() <= math.sqrt(6 / (16 + 16))
    assert not torch.allclose(weight_hh[:16] @ weight_hh[:16].T, torch.eye(16), atol=1e-2)


def test_embedding_lstm_classifier_generator() -> None:
    def build(seed: int) -> EmbeddingLSTMClassifier:
        return EmbeddingLSTMClassifier(40, 6, 10, 3, generator=torch.Generator().manual_seed(seed))

    torch.manual_seed(0)  # the module's own default draws use the global generator
    first = build(0)
    torch.manual_seed(1)
    second = build(0)
    third = build(1)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(first.embedding.weight, third.embedding.weight)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vocab_size": 0}, "vocab_size must be a positive integer"),
        ({"hidden_size": -3}, "hidden_size must be a positive integer"),
        ({"num_layers": 0}, "num_layers must be a positive integer"),
        ({"forget_bias": math.nan}, "forget_bias must be a finite number"),
        ({"forget_bias": "1"}, "forget_bias must be a finite number"),
        ({"padding_idx": 10}, "padding_idx must be None or in"),
    ],
)
def test_embedding_lstm_classifier_bad_input(kwargs: dict, match: str) -> None:
    arguments = {"vocab_size": 10, "embedding_dim": 4, "hidden_size": 6, "num_classes": 2}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        EmbeddingLSTMClassifier(**arguments)


def test_module_exports() -> None:
    assert set(recurrent.__all__) <= set(dir(recurrent))
    assert RECURRENT_INITS == ("gaussian", "pytorch_default", "orthogonal", "identity")
