r"""The standard parametrization (SP) and the maximal-update parametrization (µP) of an MLP.

Yang & Hu (2021), *Tensor Programs IV: Feature Learning in Infinite-Width Neural
Networks*; Yang et al. (2022), *Tensor Programs V: Tuning Large Neural Networks via
Zero-Shot Hyperparameter Transfer*. A parametrization says, for every layer, how the
initial scale, a constant multiplier and the learning rate change with the width
:math:`n`. Written relative to a *base width* :math:`n_0` at which it equals SP, with
the *width multiplier* :math:`m = n / n_0`, µP is (Tensor Programs V, Table 8; the
``mup`` package):

===================  ========================  ========================  ========================
\                     input weights, biases     hidden weights            output weights
===================  ========================  ========================  ========================
initial std          :math:`g/\sqrt{n_{in}}`   :math:`g/\sqrt{n_{in}}`   :math:`1/\sqrt{n_0}`
multiplier           1                         1                         :math:`1/m`
SGD learning rate    :math:`\eta\, m`          η                         :math:`\eta\, m`
Adam learning rate   η                         :math:`\eta / m`          η
===================  ========================  ========================  ========================

SP is the same table with :math:`m = 1` in every cell (the output std is then
:math:`1/\sqrt{n_{in}}`). Here *input* weights map a fixed number of features to the
width, *hidden* weights map width to width, and *output* weights (the readout) map the
width to a fixed number of outputs; :math:`g` is the gain of the nonlinearity
(:func:`weightinit.scratch.calculate_gain`).
The biases start at zero; the output layer's bias has no width dimension and keeps η.
Under µP every layer's activations change by an amount that does not depend on the
width during training, so the best learning rate found on a narrow model is the best one
for a wide model too (*µTransfer*).

This module builds such an MLP from scratch (:class:`MuMLP`), gives the per-parameter
learning rates as param groups for :mod:`torch.optim` (:func:`param_groups`), and measures
the change of every layer's activations after a few steps against width
(:func:`coord_check`, the *coordinate check*).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .models import ACTIVATIONS, make_activation
from .scratch import calculate_gain

__all__ = [
    "PARAMETRIZATIONS",
    "LAYER_KINDS",
    "OPTIMIZERS",
    "LayerRule",
    "layer_rule",
    "Readout",
    "MuMLP",
    "lr_multipliers",
    "param_groups",
    "make_optimizer",
    "CoordCheck",
    "coord_check",
    "final_loss",
]

#: The parametrizations: ``"sp"`` (standard) and ``"mup"`` (maximal update).
PARAMETRIZATIONS = ("sp", "mup")
#: The layer kinds, by which of their dimensions grow with the width.
LAYER_KINDS = ("input", "hidden", "output")
#: The optimizers whose learning rates :func:`param_groups` scales.
OPTIMIZERS = ("sgd", "adam")


def _check_choice(name: str, value: object, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise ValueError(f"{name} must be one of {valid}, got {value!r}")
    return value  # type: ignore[return-value]


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_positive(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating))
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class LayerRule:
    """One row of the parametrization's table, for one layer at one width.

    Attributes:
        kind: ``"input"``, ``"hidden"`` or ``"output"``.
        init_std: the std of the layer's stored weight at initialization.
        multiplier: the constant by which the layer multiplies its input in ``forward``.
        sgd_lr: the factor on the base learning rate of the weight under SGD.
        adam_lr: the same under Adam.
        bias_sgd_lr: the factor on the base learning rate of the bias under SGD.
        bias_adam_lr: the same under Adam.
    """

    kind: str
    init_std: float
    multiplier: float
    sgd_lr: float
    adam_lr: float
    bias_sgd_lr: float
    bias_adam_lr: float


def layer_rule(
    kind: str,
    fan_in: int,
    width_mult: float = 1.0,
    parametrization: str = "mup",
    gain: float = 1.0,
    readout_zero_init: bool = False,
) -> LayerRule:
    r"""The initial std, multiplier and learning-rate factors of one layer under SP or µP.

    Yang et al. (2022), *Tensor Programs V*, Table 8, relative to a base width
    :math:`n_0` at which µP equals SP. With the width multiplier :math:`m = n/n_0`:

    .. math::
        \sigma_\text{input} = \sigma_\text{hidden} = \frac{g}{\sqrt{n_\text{in}}}, \quad
        \sigma_\text{output} = \frac{\sqrt{m}}{\sqrt{n_\text{in}}} = \frac{1}{\sqrt{n_0}},
        \quad \text{multiplier}_\text{output} = \frac{1}{m},

    .. math::
        \eta^\text{SGD}_\text{input} = \eta^\text{SGD}_\text{output} = \eta\, m, \quad
        \eta^\text{Adam}_\text{hidden} = \frac{\eta}{m},

    and η everywhere else. Under SP every multiplier and factor is 1 and
    :math:`\sigma = g/\sqrt{n_\text{in}}` (1 for the output layer's :math:`g`).

    Args:
        kind: one of ``"input"``, ``"hidden"``, ``"output"``.
        fan_in: the layer's number of inputs, :math:`n_\text{in}`.
        width_mult: :math:`m = n / n_0`, the width over the base width (> 0).
        parametrization: ``"sp"`` or ``"mup"``.
        gain: :math:`g`, the gain of the nonlinearity after an input or hidden layer
            (ignored for the output layer).
        readout_zero_init: start the output layer's weight at zero (std 0).

    Returns:
        a :class:`LayerRule`.

    Examples:
        >>> rule = layer_rule("hidden", fan_in=1024, width_mult=4.0)
        >>> rule.init_std, rule.sgd_lr, rule.adam_lr
        (0.03125, 1.0, 0.25)
        >>> rule = layer_rule("output", fan_in=1024, width_mult=4.0)
        >>> rule.init_std, rule.multiplier, rule.sgd_lr, rule.adam_lr
        (0.0625, 0.25, 4.0, 1.0)
        >>> layer_rule("output", fan_in=1024, width_mult=4.0, parametrization="sp").init_std
        0.03125
    """
    _check_choice("kind", kind, LAYER_KINDS)
    fan_in = _check_positive_int("fan_in", fan_in)
    width_mult = _check_positive("width_mult", width_mult)
    _check_choice("parametrization", parametrization, PARAMETRIZATIONS)
    if (
        isinstance(gain, bool)
        or not isinstance(gain, (int, float))
        or not (math.isfinite(gain) and gain >= 0)
    ):
        raise ValueError(f"gain must be a finite number >= 0, got {gain!r}")
    m = width_mult if parametrization == "mup" else 1.0
    if kind == "output":
        std = 0.0 if readout_zero_init else math.sqrt(m / fan_in)
        return LayerRule(kind, std, 1.0 / m, sgd_lr=m, adam_lr=1.0, bias_sgd_lr=1.0, bias_adam_lr=1.0)
    std = float(gain) / math.sqrt(fan_in)
    if kind == "input":
        return LayerRule(kind, std, 1.0, sgd_lr=m, adam_lr=1.0, bias_sgd_lr=m, bias_adam_lr=1.0)
    return LayerRule(kind, std, 1.0, sgd_lr=1.0, adam_lr=1.0 / m, bias_sgd_lr=m, bias_adam_lr=1.0)


class Readout(nn.Linear):
    r"""A linear output layer that multiplies its input by a constant ``multiplier``.

    :math:`y = W (c\, x) + b`, the form of the ``mup`` package's ``MuReadout`` (there
    :math:`c = 1/m`), so the bias is not scaled.

    Examples:
        >>> layer = Readout(4, 2, multiplier=0.5)
        >>> with torch.no_grad():
        ...     _ = layer.weight.fill_(1.0), layer.bias.zero_()
        >>> layer(torch.ones(1, 4)).tolist()
        [[2.0, 2.0]]
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, multiplier: float = 1.0
    ) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.multiplier = float(multiplier)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x * self.multiplier, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, multiplier={self.multiplier:g}"


class MuMLP(nn.Module):
    r"""An MLP of a given width under the standard (SP) or maximal-update (µP) parametrization.

    Yang & Hu (2021); Yang et al. (2022). The layers are ``input`` (``in_features`` to
    ``width``), ``hidden`` (``num_hidden_layers`` layers from ``width`` to ``width``) and
    ``output`` (a :class:`Readout` from ``width`` to ``out_features``), with the
    nonlinearity after every layer but the last. Each is initialized by
    :func:`layer_rule` with :math:`m` = ``width / base_width``: normal weights, zero
    biases. At ``width == base_width`` µP and SP build the same network.

    Args:
        in_features: the number of input features (does not grow with the width).
        width: :math:`n`, the width of every hidden layer.
        out_features: the number of outputs (does not grow with the width).
        num_hidden_layers: the number of width-by-width layers (>= 1).
        base_width: :math:`n_0`, the width at which µP equals SP (default: ``width``).
        parametrization: ``"sp"`` or ``"mup"``.
        nonlinearity: an activation name of :data:`weightinit.models.ACTIVATIONS`; its
            gain scales the input and hidden weights.
        bias: whether the layers have biases (initialized to zero).
        readout_zero_init: start the output weight at zero (Tensor Programs V, D.2).
        generator: the torch generator of the initial weights.

    Attributes:
        width_mult: :math:`m`.
        layer_kinds: the kind of every linear layer, by module name.

    Examples:
        >>> g = torch.Generator().manual_seed(0)
        >>> net = MuMLP(64, width=1024, out_features=10, base_width=256, generator=g)
        >>> net.width_mult, net.output.multiplier
        (4.0, 0.25)
        >>> round(net.hidden[0].weight.std().item() * 1024 ** 0.5, 1)  # He: sqrt(2)
        1.4
        >>> round(net.output.weight.std().item() * 256 ** 0.5, 1)  # 1 / sqrt(n_0)
        1.0
        >>> tuple(net(torch.zeros(3, 64)).shape)
        (3, 10)
    """

    def __init__(
        self,
        in_features: int,
        width: int,
        out_features: int,
        *,
        num_hidden_layers: int = 1,
        base_width: int | None = None,
        parametrization: str = "mup",
        nonlinearity: str = "relu",
        bias: bool = True,
        readout_zero_init: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        in_features = _check_positive_int("in_features", in_features)
        width = _check_positive_int("width", width)
        out_features = _check_positive_int("out_features", out_features)
        num_hidden_layers = _check_positive_int("num_hidden_layers", num_hidden_layers)
        base_width = width if base_width is None else _check_positive_int("base_width", base_width)
        _check_choice("parametrization", parametrization, PARAMETRIZATIONS)
        _check_choice("nonlinearity", nonlinearity, tuple(sorted(ACTIVATIONS)))
        self.parametrization = parametrization
        self.width = width
        self.base_width = base_width
        self.width_mult = width / base_width
        self.nonlinearity = nonlinearity
        self.activation = make_activation(nonlinearity)
        self.input = nn.Linear(in_features, width, bias=bias)
        self.hidden = nn.ModuleList(nn.Linear(width, width, bias=bias) for _ in range(num_hidden_layers))
        self.output = Readout(width, out_features, bias=bias)
        self.layer_kinds = {
            "input": "input",
            **{f"hidden.{i}": "hidden" for i in range(num_hidden_layers)},
            "output": "output",
        }
        gain = _gain(nonlinearity)
        with torch.no_grad():
            for name, kind in self.layer_kinds.items():
                layer = self.get_submodule(name)
                rule = self.rule(kind, gain=gain, readout_zero_init=readout_zero_init)
                layer.weight.normal_(0.0, 1.0, generator=generator).mul_(rule.init_std)
                if layer.bias is not None:
                    layer.bias.zero_()
                if kind == "output":
                    layer.multiplier = rule.multiplier

    def rule(self, kind: str, gain: float | None = None, readout_zero_init: bool = False) -> LayerRule:
        """The :func:`layer_rule` of this network's layers of kind ``kind``."""
        _check_choice("kind", kind, LAYER_KINDS)
        fan_in = self.input.in_features if kind == "input" else self.width
        return layer_rule(
            kind,
            fan_in,
            self.width_mult,
            self.parametrization,
            gain=_gain(self.nonlinearity) if gain is None else gain,
            readout_zero_init=readout_zero_init,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activation(self.input(x))
        for layer in self.hidden:
            x = self.activation(layer(x))
        return self.output(x)


def _gain(nonlinearity: str) -> float:
    try:
        return calculate_gain(nonlinearity)
    except ValueError:  # gelu, silu, elu: no gain in torch's table; ReLU's is close
        return math.sqrt(2.0)


def _check_model(model: object) -> MuMLP:
    if not isinstance(model, MuMLP):
        raise ValueError(f"model must be a weightinit.mup.MuMLP, got {type(model).__name__}")
    return model


def lr_multipliers(model: MuMLP, optimizer: str = "adam") -> dict[str, float]:
    r"""The factor on the base learning rate of every parameter of ``model``, by name.

    The learning-rate rows of :func:`layer_rule`: under µP with Adam the hidden weights get
    :math:`1/m`, with SGD the input and output weights and the width-sized biases get
    :math:`m`; everything else (and everything under SP) gets 1.

    Args:
        model: a :class:`MuMLP`.
        optimizer: ``"sgd"`` or ``"adam"`` (Adam's rule also fits AdamW, RMSprop,
            Adagrad: any optimizer whose update has the size of the learning rate).

    Examples:
        >>> net = MuMLP(8, width=64, out_features=2, base_width=16)
        >>> {name: factor for name, factor in lr_multipliers(net, "adam").items() if factor != 1}
        {'hidden.0.weight': 0.25}
        >>> lr_multipliers(net, "sgd")["input.weight"], lr_multipliers(net, "sgd")["output.bias"]
        (4.0, 1.0)
    """
    model = _check_model(model)
    _check_choice("optimizer", optimizer, OPTIMIZERS)
    factors = {}
    for name, kind in model.layer_kinds.items():
        rule = model.rule(kind)
        for param_name, _ in model.get_submodule(name).named_parameters():
            is_weight = param_name == "weight"
            if optimizer == "adam":
                factor = rule.adam_lr if is_weight else rule.bias_adam_lr
            else:
                factor = rule.sgd_lr if is_weight else rule.bias_sgd_lr
            factors[f"{name}.{param_name}"] = factor
    return factors


def param_groups(model: MuMLP, lr: float, optimizer: str = "adam") -> list[dict[str, Any]]:
    r"""Parameter groups with µP's (or SP's) learning rates, ready for :mod:`torch.optim`.

    Yang et al. (2022), *Tensor Programs V*, Table 8. One group per parameter, with
    ``"lr"`` = ``lr`` times :func:`lr_multipliers` and its ``"name"``. Pass them to the
    optimizer named by ``optimizer``; other settings (momentum, betas) are shared.

    .. math::
        \eta_\text{hidden}^\text{Adam} = \frac{\eta}{m}, \qquad
        \eta_\text{input}^\text{SGD} = \eta_\text{output}^\text{SGD} = \eta\, m.

    Args:
        model: a :class:`MuMLP`.
        lr: η, the base learning rate (the one that is best at the base width).
        optimizer: ``"sgd"`` or ``"adam"``.

    Examples:
        >>> net = MuMLP(8, width=64, out_features=2, base_width=16, bias=False)
        >>> adam = torch.optim.Adam(param_groups(net, lr=0.01, optimizer="adam"))
        >>> [(group["name"], group["lr"]) for group in adam.param_groups]
        [('input.weight', 0.01), ('hidden.0.weight', 0.0025), ('output.weight', 0.01)]
    """
    lr = _check_positive("lr", lr)
    factors = lr_multipliers(model, optimizer)
    parameters = dict(model.named_parameters())
    return [
        {"params": [parameters[name]], "lr": lr * factor, "name": name} for name, factor in factors.items()
    ]


def make_optimizer(model: MuMLP, lr: float, optimizer: str = "adam", **kwargs: Any) -> torch.optim.Optimizer:
    """``torch.optim.Adam`` or ``torch.optim.SGD`` over :func:`param_groups`.

    Examples:
        >>> net = MuMLP(8, width=64, out_features=2, base_width=16)
        >>> type(make_optimizer(net, 0.1, "sgd", momentum=0.9)).__name__
        'SGD'
    """
    groups = param_groups(model, lr, optimizer)
    cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    return cls(groups, lr=lr, **kwargs)


def _loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if targets.dtype in (torch.int64, torch.int32):
        return F.cross_entropy(outputs, targets)
    return F.mse_loss(outputs, targets)


@dataclass
class CoordCheck:
    """What :func:`coord_check` measured.

    Attributes:
        widths: the widths, in increasing order.
        layers: the names of the linear layers, input to output.
        changes: the mean absolute change of every layer's output from initialization to
            the last step, shape ``(num_seeds, num_widths, num_layers)``.
    """

    widths: tuple[int, ...]
    layers: tuple[str, ...]
    changes: np.ndarray

    def mean(self) -> np.ndarray:
        """The changes averaged over seeds, shape ``(num_widths, num_layers)``."""
        return self.changes.mean(axis=0)

    def slopes(self) -> dict[str, float]:
        """The exponent :math:`a` of change :math:`\\propto` width\\ :sup:`a`, per layer.

        A least-squares line through log(mean change) against log(width): about 0 when the
        change does not depend on the width (µP), 1 when it grows like the width.
        """
        log_widths = np.log(np.asarray(self.widths, dtype=float))
        log_changes = np.log(self.mean())
        return {
            layer: float(np.polyfit(log_widths, log_changes[:, i], 1)[0])
            for i, layer in enumerate(self.layers)
        }

    def plot(self, ax: Any = None, title: str | None = None) -> Any:
        """Mean change of each layer's output against width, on log-log axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for i, layer in enumerate(self.layers):
            ax.plot(self.widths, self.mean()[:, i], marker="o", label=layer)
        ax.set(
            xscale="log", yscale="log", xlabel="width n", ylabel="mean |Δ output| after training", title=title
        )
        ax.set_xticks(self.widths, [str(w) for w in self.widths])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.legend()
        return ax


def coord_check(
    make_model: Callable[[int, torch.Generator], nn.Module],
    widths: Sequence[int],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    lr: float,
    optimizer: str | Callable[[nn.Module, float], torch.optim.Optimizer] = "adam",
    steps: int = 3,
    seeds: Sequence[int] = (0,),
) -> CoordCheck:
    r"""The coordinate check: how much each layer's output changes in training, against width.

    Yang et al. (2022), *Tensor Programs V*, Appendix D.1. For every width and seed: build
    ``make_model(width, generator)``, take ``steps`` full-batch steps on ``(inputs,
    targets)`` (cross-entropy for integer targets, mean squared error otherwise), and
    measure, for every ``nn.Linear`` in the model, the mean absolute change of its output
    on ``inputs``:

    .. math::
        \Delta_l = \operatorname{mean} |h_l^{(t)} - h_l^{(0)}|.

    Under µP every :math:`\Delta_l` stays of the same size as the width grows; under SP
    with Adam, the hidden and output layers' grow like the width.

    Args:
        make_model: builds a model of the given width from the given generator.
        widths: the widths, increasing.
        inputs: a batch of inputs.
        targets: class labels (int64) or regression targets.
        lr: the base learning rate.
        optimizer: ``"sgd"`` or ``"adam"`` for :func:`make_optimizer` (the model must be a
            :class:`MuMLP`), or a function ``(model, lr) -> torch.optim.Optimizer``.
        steps: optimizer steps before measuring (>= 1).
        seeds: seeds of the initializations.

    Returns:
        a :class:`CoordCheck`.

    Examples:
        >>> x = torch.randn(64, 8, generator=torch.Generator().manual_seed(0))
        >>> y = (x[:, 0] > 0).long()
        >>> def build(parametrization):
        ...     return lambda width, g: MuMLP(8, width, 2, base_width=32,
        ...                                   parametrization=parametrization, generator=g)
        >>> sp = coord_check(build("sp"), [32, 512], x, y, lr=0.01)
        >>> mu = coord_check(build("mup"), [32, 512], x, y, lr=0.01)
        >>> {layer: round(slope) for layer, slope in sp.slopes().items()}  # 1: grows like n
        {'input': 0, 'hidden.0': 1, 'output': 1}
        >>> {layer: round(slope) for layer, slope in mu.slopes().items()}  # 0: flat
        {'input': 0, 'hidden.0': 0, 'output': 0}
    """
    widths = tuple(_check_positive_int("widths", w) for w in widths)
    if len(widths) < 2 or list(widths) != sorted(set(widths)):
        raise ValueError(f"widths must be at least two increasing integers, got {widths!r}")
    lr = _check_positive("lr", lr)
    steps = _check_positive_int("steps", steps)
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed, got an empty sequence")
    if isinstance(optimizer, str):
        name = _check_choice("optimizer", optimizer, OPTIMIZERS)

        def build_optimizer(model: nn.Module, lr: float) -> torch.optim.Optimizer:
            return make_optimizer(_check_model(model), lr, name)
    elif callable(optimizer):
        build_optimizer = optimizer
    else:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS} or a function, got {optimizer!r}")

    layers: tuple[str, ...] = ()
    changes = np.zeros((len(seeds), len(widths), 0))
    for i, seed in enumerate(seeds):
        for j, width in enumerate(widths):
            model = make_model(width, torch.Generator().manual_seed(int(seed)))
            names = tuple(n for n, mod in model.named_modules() if isinstance(mod, nn.Linear))
            if not layers:
                layers = names
                changes = np.zeros((len(seeds), len(widths), len(layers)))
            before = _outputs(model, inputs, layers)
            opt = build_optimizer(model, lr)
            for _ in range(steps):
                opt.zero_grad()
                _loss(model(inputs), targets).backward()
                opt.step()
            after = _outputs(model, inputs, layers)
            changes[i, j] = [(after[n] - before[n]).abs().mean().item() for n in layers]
    return CoordCheck(widths, layers, changes)


def _outputs(model: nn.Module, inputs: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    outputs: dict[str, torch.Tensor] = {}
    handles = [
        model.get_submodule(name).register_forward_hook(
            lambda _module, _args, out, name=name: outputs.__setitem__(name, out.detach())
        )
        for name in names
    ]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def final_loss(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    lr: float,
    optimizer: str = "adam",
    steps: int = 20,
    batch_size: int = 64,
    generator: torch.Generator | None = None,
) -> float:
    """Train a :class:`MuMLP` for ``steps`` minibatch steps; return the loss on all of ``inputs``.

    The learning rates come from :func:`make_optimizer`. A loss that is not finite (a
    diverged run) comes back as ``inf``, so that it never wins a learning-rate sweep.

    Args:
        model: a :class:`MuMLP`.
        inputs, targets: the training set (integer targets: cross-entropy, else MSE).
        lr: the base learning rate.
        optimizer: ``"sgd"`` or ``"adam"``.
        steps: optimizer steps (>= 1).
        batch_size: examples per step, drawn without replacement within a step.
        generator: the torch generator of the batches.

    Examples:
        >>> g = torch.Generator().manual_seed(0)
        >>> x = torch.randn(256, 8, generator=g)
        >>> y = (x[:, 0] > 0).long()
        >>> net = MuMLP(8, width=64, out_features=2, base_width=64, generator=g)
        >>> final_loss(net, x, y, lr=0.01, steps=50, generator=g) < 0.693  # below chance
        True
    """
    opt = make_optimizer(_check_model(model), lr, optimizer)
    steps = _check_positive_int("steps", steps)
    batch_size = _check_positive_int("batch_size", batch_size)
    for _ in range(steps):
        batch = torch.randperm(len(inputs), generator=generator)[:batch_size]
        opt.zero_grad()
        loss = _loss(model(inputs[batch]), targets[batch])
        if not torch.isfinite(loss):
            return math.inf
        loss.backward()
        opt.step()
    with torch.no_grad():
        loss = _loss(model(inputs), targets).item()
    return loss if math.isfinite(loss) else math.inf
