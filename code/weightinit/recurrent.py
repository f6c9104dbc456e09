r"""Recurrent networks: gradients through time, small models and a trainer.

A recurrent layer applies the same hidden-to-hidden matrix :math:`W` at every step,

.. math::
    h_t = f(a_t), \qquad a_t = W h_{t-1} + u_t,

where :math:`u_t = W_{ih} x_t + b` is the input's contribution (the *drive*). By the
chain rule the Jacobian through :math:`T` steps is a product of :math:`T` factors that
all contain the same :math:`W`,

.. math::
    \frac{\partial h_T}{\partial h_0}
    = \prod_{t=T}^{1} \operatorname{diag}\bigl(f'(a_t)\bigr)\, W,

so its size is at most :math:`\sigma_{\max}(W)^T \prod_t \max_i |f'(a_{t,i})|`, and its
linear part :math:`\lVert W^T \rVert` changes like :math:`\rho(W)^T` for large :math:`T`,
with :math:`\rho` the spectral radius (Bengio et al. 1994; Pascanu et al. 2013). The functions here measure it
(:func:`jacobian_norms`), draw the hidden-to-hidden matrices the chapter compares
(:func:`recurrent_weight`), build small recurrent models (:func:`rnn_regressor`,
:class:`EmbeddingLSTMClassifier`) and train them on the adding problem
(:func:`train_adding`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from . import scratch
from .activations import activation_and_derivative
from .data import adding_problem
from .session import progress
from .torch_init import init_lstm_
from .validation import check_choice, check_int, check_real, check_seed

__all__ = [
    "RECURRENT_INITS",
    "RNN_NONLINEARITIES",
    "ADDING_BASELINE_MSE",
    "recurrent_weight",
    "jacobian_norms",
    "RNNRegressor",
    "rnn_regressor",
    "train_adding",
    "EmbeddingLSTMClassifier",
]

#: Hidden-to-hidden initializations compared in the chapter, see :func:`recurrent_weight`.
RECURRENT_INITS: tuple[str, ...] = ("gaussian", "pytorch_default", "orthogonal", "identity")

#: Nonlinearities :func:`jacobian_norms` knows the derivative of.
RNN_NONLINEARITIES: tuple[str, ...] = ("tanh", "relu", "linear")

#: Mean squared error of always predicting 1 on the adding problem: the target is the sum
#: of two independent U(0, 1) numbers, with mean 1 and variance 2 / 12.
ADDING_BASELINE_MSE = 1.0 / 6.0


# ------------------------------------------------------------- NumPy: W_hh and Jacobians


def recurrent_weight(
    init: str, hidden_size: int, *, std: float | None = None, rng: scratch.RngLike = None
) -> np.ndarray:
    r"""Draw a ``(hidden_size, hidden_size)`` hidden-to-hidden matrix by ``init``.

    ======================  ==================================================================
    init                    distribution
    ======================  ==================================================================
    ``"gaussian"``          :math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = 1/\sqrt{H}` by
                            default (the feed-forward rule: :math:`\operatorname{Var}(w) =
                            1/\text{fan\_in}`); its singular values spread over
                            :math:`[0, 2]`, its eigenvalues fill the unit disc
    ``"pytorch_default"``   :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`, what ``nn.RNN``,
                            ``nn.LSTM`` and ``nn.GRU`` draw: variance :math:`1/(3H)`, so the
                            eigenvalues fill a disc of radius about :math:`1/\sqrt{3}`
    ``"orthogonal"``        a uniformly distributed orthogonal matrix,
                            :func:`weightinit.scratch.orthogonal` (Saxe et al. 2014): every
                            singular value is 1
    ``"identity"``          :math:`I`, used with ReLU in the IRNN (Le et al. 2015)
    ======================  ==================================================================

    Args:
        init: one of :data:`RECURRENT_INITS`.
        hidden_size: :math:`H`, a positive integer.
        std: the standard deviation of ``"gaussian"`` (default :math:`1/\sqrt{H}`); only
            allowed with ``"gaussian"``.
        rng: a NumPy Generator, an int seed or None.

    Returns:
        a float32 array of shape ``(hidden_size, hidden_size)``.

    Examples:
        >>> w = recurrent_weight("orthogonal", 64, rng=0)
        >>> bool(np.allclose(w @ w.T, np.eye(64), atol=1e-5))
        True
        >>> w = recurrent_weight("pytorch_default", 400, rng=0)
        >>> round(float(w.var()) * 3 * 400, 2)   # Var(w) = 1 / (3 H)
        1.0
    """
    check_choice("init", init, RECURRENT_INITS)
    hidden_size = check_int("hidden_size", hidden_size)
    shape = (hidden_size, hidden_size)
    if std is not None and init != "gaussian":
        raise ValueError(f"std is only used with init='gaussian', got init={init!r}")
    if init == "gaussian":
        std = 1.0 / math.sqrt(hidden_size) if std is None else std
        return scratch.normal(shape, std=std, rng=rng)
    if init == "pytorch_default":
        bound = 1.0 / math.sqrt(hidden_size)
        return scratch.uniform(shape, -bound, bound, rng=rng)
    if init == "orthogonal":
        return scratch.orthogonal(shape, rng=rng)
    return scratch.eye(shape)


def jacobian_norms(
    w_hh: np.ndarray,
    num_steps: int,
    nonlinearity: str = "tanh",
    *,
    drive: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
) -> np.ndarray:
    r"""Spectral norm of :math:`\partial h_t / \partial h_0` for :math:`t = 1, \dots, T`.

    Runs the recurrence :math:`h_t = f(W h_{t-1} + u_t)` from ``initial_state`` (zeros by
    default) and accumulates the Jacobian

    .. math::
        J_t = \frac{\partial h_t}{\partial h_0}
        = \operatorname{diag}\bigl(f'(a_t)\bigr)\, W\, J_{t-1}, \qquad J_0 = I,

    returning :math:`\lVert J_t \rVert_2`, its largest singular value: the most that a
    change of :math:`h_0` can be amplified after :math:`t` steps, and equally (since
    :math:`\lVert J^\top \rVert_2 = \lVert J \rVert_2`) the most that a gradient
    :math:`\partial L / \partial h_t` can be amplified on its way back to :math:`h_0`.
    The computation runs in float64 and renormalizes :math:`J_t` at every step, so
    norms far below or above the float range of a single product stay exact.

    With ``nonlinearity="linear"`` (or with tanh, no drive and :math:`h_0 = 0`, where
    :math:`\tanh'(0) = 1`) the result is :math:`\lVert W^t \rVert_2`.

    Args:
        w_hh: the square hidden-to-hidden matrix :math:`W`, shape ``(H, H)``.
        num_steps: :math:`T`, the number of steps.
        nonlinearity: ``"tanh"``, ``"relu"`` or ``"linear"``.
        drive: the input term :math:`u_t = W_{ih} x_t + b` of every step, shape
            ``(num_steps, H)``; zeros when None.
        initial_state: :math:`h_0`, shape ``(H,)``; zeros when None.

    Returns:
        a float64 array of length ``num_steps``; entry ``t - 1`` is
        :math:`\lVert \partial h_t / \partial h_0 \rVert_2`.

    Examples:
        >>> q = recurrent_weight("orthogonal", 32, rng=0)
        >>> norms = jacobian_norms(q, 100, "linear")
        >>> round(float(norms.min()), 4), round(float(norms.max()), 4)   # W^t is orthogonal
        (1.0, 1.0)
        >>> float(jacobian_norms(0.5 * np.eye(4), 10, "linear")[-1]) == 0.5**10
        True
    """
    check_choice("nonlinearity", nonlinearity, RNN_NONLINEARITIES)
    num_steps = check_int("num_steps", num_steps)
    w = np.asarray(w_hh, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
        raise ValueError(f"w_hh must be a non-empty square matrix, got shape {w.shape}")
    hidden_size = w.shape[0]
    if drive is None:
        drive = np.zeros((num_steps, hidden_size))
    drive = np.asarray(drive, dtype=np.float64)
    if drive.shape != (num_steps, hidden_size):
        raise ValueError(
            f"drive must have shape (num_steps, H) = {(num_steps, hidden_size)}, got {drive.shape}"
        )
    if initial_state is None:
        initial_state = np.zeros(hidden_size)
    hidden = np.asarray(initial_state, dtype=np.float64)
    if hidden.shape != (hidden_size,):
        raise ValueError(f"initial_state must have shape ({hidden_size},), got {hidden.shape}")

    jacobian = np.eye(hidden_size)
    log_scale = 0.0  # J_t = exp(log_scale) * jacobian
    norms = np.zeros(num_steps)
    for step in range(num_steps):
        hidden, slope = activation_and_derivative(nonlinearity, w @ hidden + drive[step])
        jacobian = slope[:, None] * (w @ jacobian)
        size = np.linalg.norm(jacobian)
        if size == 0.0:
            break  # every later Jacobian is 0 too
        jacobian /= size
        log_scale += math.log(size)
        norms[step] = math.exp(log_scale + math.log(np.linalg.norm(jacobian, 2)))
    return norms


# ------------------------------------------------------------------- torch: models


class RNNRegressor(nn.Module):
    """A one-layer ``nn.RNN`` whose last hidden state a Linear layer maps to one number.

    Args:
        input_size: features per time step.
        hidden_size: units of the recurrent layer.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Examples:
        >>> model = RNNRegressor(2, 8)
        >>> model(torch.zeros(5, 10, 2)).shape
        torch.Size([5, 1])
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        super().__init__()
        check_int("input_size", input_size)
        check_int("hidden_size", hidden_size)
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        self.rnn = nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """``inputs`` of shape ``(batch, seq_len, input_size)`` -> ``(batch, 1)``."""
        outputs, _ = self.rnn(inputs)
        return self.head(outputs[:, -1])


def rnn_regressor(init: str, hidden_size: int = 32, *, input_size: int = 2, seed: int = 0) -> RNNRegressor:
    r"""An :class:`RNNRegressor` whose hidden-to-hidden weight is initialized by ``init``.

    Everything else keeps PyTorch's default, :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`,
    except for ``"identity"``, the IRNN of Le et al. (2015): ReLU units, :math:`W_{hh} = I`
    and zero biases. ``"gaussian"`` draws :math:`W_{hh}` from
    :math:`\mathcal{N}(0, 1/H)`, ``"orthogonal"`` uses ``torch.nn.init.orthogonal_``.
    The model is built from its own generator seeded by ``seed``: the global random state
    is left as it was.

    Args:
        init: one of :data:`RECURRENT_INITS`.
        hidden_size: units of the recurrent layer.
        input_size: features per time step (2 for the adding problem).
        seed: seed of every random draw of the model.

    Examples:
        >>> model = rnn_regressor("identity", 16)
        >>> model.rnn.nonlinearity, bool(torch.equal(model.rnn.weight_hh_l0, torch.eye(16)))
        ('relu', True)
    """
    check_choice("init", init, RECURRENT_INITS)
    seed = check_seed("seed", seed)
    nonlinearity = "relu" if init == "identity" else "tanh"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RNNRegressor(input_size, hidden_size, nonlinearity)
        weight = model.rnn.weight_hh_l0
        with torch.no_grad():
            if init == "gaussian":
                nn.init.normal_(weight, 0.0, 1.0 / math.sqrt(hidden_size))
            elif init == "orthogonal":
                nn.init.orthogonal_(weight)
            elif init == "identity":
                nn.init.eye_(weight)
                nn.init.zeros_(model.rnn.bias_ih_l0)
                nn.init.zeros_(model.rnn.bias_hh_l0)
    return model


def train_adding(
    model: nn.Module,
    *,
    seq_len: int = 10,
    lr: float = 0.01,
    steps: int = 300,
    desc: str | None = None,
    max_grad_norm: float = 1.0,
    batch_size: int = 64,
    seed: int = 0,
) -> np.ndarray:
    r"""Train ``model`` on the adding problem with Adam; return the loss of every step.

    Each step draws a fresh batch of :func:`weightinit.data.adding_problem` sequences
    (all drawn up front from ``seed``) and minimizes the mean squared error between
    ``model(inputs)`` and the sum of the two marked numbers. Gradients are clipped to a
    total norm of ``max_grad_norm`` (Pascanu et al. 2013), so that a rare exploding step
    does not wreck a run. A model that always predicts 1 scores
    :data:`ADDING_BASELINE_MSE` :math:`= 1/6`.

    Args:
        model: maps ``(batch, seq_len, 2)`` to ``(batch, 1)``, e.g. :func:`rnn_regressor`.
        seq_len: length of the sequences.
        steps: number of Adam steps.
        batch_size: sequences per step.
        lr: Adam's learning rate.
        max_grad_norm: the clipping threshold (``math.inf`` for none).
        seed: seed of the data.
        desc: label of the progress bar.

    Returns:
        the mean squared error of each step's batch, before the step (float64 array).

    Examples:
        >>> losses = train_adding(rnn_regressor("identity", 16), steps=60)
        >>> len(losses), bool(losses[-20:].mean() < losses[:20].mean())
        (60, True)
    """
    seq_len = check_int("seq_len", seq_len)
    steps = check_int("steps", steps)
    batch_size = check_int("batch_size", batch_size)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if not max_grad_norm > 0:
        raise ValueError(f"max_grad_norm must be positive, got {max_grad_norm!r}")
    seed = check_seed("seed", seed)
    inputs, targets = adding_problem(steps * batch_size, seq_len, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.zeros(steps)
    model.train()
    for step in progress(range(steps), desc=desc):
        batch = slice(step * batch_size, (step + 1) * batch_size)
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(inputs[batch]), targets[batch])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        losses[step] = loss.item()
    return losses


class EmbeddingLSTMClassifier(nn.Module):
    r"""Embedding, LSTM and a Linear head: the model of a popular tutorial, initialized correctly.

    :meth:`reset_parameters` (called by the constructor) sets

    - the embedding to :math:`\mathcal{N}(0, 1)`, PyTorch's default (an embedding looks
      up one row, it sums nothing, so no fan enters its scale), with the
      ``padding_idx`` row at 0;
    - the LSTM by :func:`weightinit.torch_init.init_lstm_`: Xavier-uniform weights one
      gate block at a time, zero biases and an effective forget-gate bias
      :math:`b_{if} + b_{hf}` of ``forget_bias`` (Gers et al. 2000; Jozefowicz et al.
      2015); then, with ``orthogonal_recurrent``, each gate's ``(H, H)`` block of every
      ``weight_hh`` orthogonal (Saxe et al. 2014; Keras' default recurrent initializer is
      orthogonal too, applied to the stacked matrix);
    - the head to Xavier-uniform weights and a zero bias.

    The logits come from the last layer's hidden state after the last token.

    Args:
        vocab_size: number of tokens.
        embedding_dim: size of a token's vector.
        hidden_size: units of each LSTM layer.
        num_classes: number of outputs.
        num_layers: LSTM layers.
        forget_bias: the effective forget-gate bias.
        orthogonal_recurrent: orthogonal hidden-to-hidden gate blocks (else Xavier's).
        padding_idx: a token whose vector stays 0, or None.
        generator: a ``torch.Generator`` for every draw (default: the global one).

    Examples:
        >>> model = EmbeddingLSTMClassifier(100, 16, 32, 3, generator=torch.Generator().manual_seed(0))
        >>> model(torch.zeros(4, 7, dtype=torch.long)).shape
        torch.Size([4, 3])
        >>> from weightinit.torch_init import effective_forget_bias
        >>> effective_forget_bias(model.lstm).unique().tolist()
        [1.0]
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        num_classes: int,
        *,
        num_layers: int = 1,
        forget_bias: float = 1.0,
        orthogonal_recurrent: bool = True,
        padding_idx: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("vocab_size", vocab_size),
            ("embedding_dim", embedding_dim),
            ("hidden_size", hidden_size),
            ("num_classes", num_classes),
            ("num_layers", num_layers),
        ):
            check_int(name, value)
        check_real("forget_bias", forget_bias)
        if padding_idx is not None and not -vocab_size <= padding_idx < vocab_size:
            raise ValueError(f"padding_idx must be None or in [-vocab_size, vocab_size), got {padding_idx!r}")
        self.forget_bias = float(forget_bias)
        self.orthogonal_recurrent = bool(orthogonal_recurrent)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """(Re)initialize every parameter as the class docstring says."""
        kwargs = {} if generator is None else {"generator": generator}
        hidden_size = self.lstm.hidden_size
        with torch.no_grad():
            nn.init.normal_(self.embedding.weight, 0.0, 1.0, **kwargs)
            if self.embedding.padding_idx is not None:
                self.embedding.weight[self.embedding.padding_idx].zero_()
            init_lstm_(self.lstm, forget_bias=self.forget_bias, generator=generator)
            if self.orthogonal_recurrent:
                for layer in range(self.lstm.num_layers):
                    weight = getattr(self.lstm, f"weight_hh_l{layer}")
                    for block in weight.split(hidden_size, dim=0):
                        nn.init.orthogonal_(block, **kwargs)
            nn.init.xavier_uniform_(self.head.weight, **kwargs)
            nn.init.zeros_(self.head.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens`` of shape ``(batch, seq_len)`` (int64) -> logits ``(batch, num_classes)``."""
        _, (hidden, _) = self.lstm(self.embedding(tokens))
        return self.head(hidden[-1])
