r"""A report on a PyTorch model at initialization: :func:`diagnose`.

One forward and one backward pass on a batch, measured at every module that owns weights:
the mean and std of what comes out of it (after the activation that follows it, if any),
the std of the gradient that flows back into it, the share of dead ReLU units and of
saturated tanh or sigmoid outputs, and, for a classifier, the first loss against the loss
of a uniform guess, :math:`\ln C`. Problems are flagged in plain words, each with the
chapter of the course that explains it.

The model is left as it was: its weights, its ``.grad`` tensors (``None`` stays ``None``),
its buffers (BatchNorm's running statistics), the train/eval mode of every submodule and
torch's global random state are the same after the call as before it. Gradients are taken
with :func:`torch.autograd.grad`, which does not write ``.grad``; hooks are removed in a
``finally`` block.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .torch_helpers import CONV_LAYERS, WEIGHT_LAYERS, forward_hooks

__all__ = ["LayerRow", "Flag", "Diagnosis", "diagnose", "CHAPTERS", "THRESHOLDS"]

#: Where the course explains each problem that :func:`diagnose` flags.
CHAPTERS: dict[str, str] = {
    "vanishing": "04_he (He (Kaiming) initialization); 01_why_init (Why initialization matters)",
    "exploding": "04_he (He (Kaiming) initialization); 01_why_init (Why initialization matters)",
    "dead": "04_he (He (Kaiming) initialization); 02_zero_and_random (Zero and random initialization)",
    "saturated": "03_xavier (Xavier (Glorot) initialization)",
    "loss": "13_llm_practice (Initializing large language models in practice); "
    "07_pytorch_practice (Initialization in PyTorch practice)",
}

#: The limits behind the flags.
THRESHOLDS: dict[str, float] = {
    "depth_ratio": 10.0,  # std of the last layer over the first (or the reverse) beyond this
    "dead": 0.25,  # share of ReLU units that are zero for every example of the batch
    "saturated": 0.20,  # share of tanh/sigmoid outputs in the flat part
}

_RELUS = (nn.ReLU, nn.ReLU6)
_TANHS = (nn.Tanh, nn.Hardtanh)
_SIGMOIDS = (nn.Sigmoid, nn.Hardsigmoid)
_ACTIVATIONS = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Softplus,
    nn.Tanh,
    nn.Hardtanh,
    nn.Sigmoid,
    nn.Hardsigmoid,
    nn.Hardswish,
    nn.LogSigmoid,
    nn.Tanhshrink,
    nn.Softsign,
)


@dataclass(frozen=True)
class LayerRow:
    """What :func:`diagnose` measured at one module with weights (in the order they ran).

    Attributes:
        depth: 1 for the first module that ran, 2 for the next, ...
        name: the module's name in ``model.named_modules()``.
        kind: its class name (``"Linear"``, ``"Conv2d"``, ``"LayerNorm"``, ...).
        activation: class name of the activation module that follows it (before the next
            module with weights), or ``None`` when there is none.
        activation_mean: mean of the activation's output (of the module's output without one).
        activation_std: its std, over the batch and the units.
        gradient_std: std of the gradient of the loss with respect to the module's output.
        dead_fraction: share of units that a following ReLU sets to 0 for every example of
            the batch (a unit is a channel after a convolution, a feature otherwise); ``None``
            without a ReLU.
        saturated_fraction: share of a following tanh's outputs with :math:`|y| > 0.99`, or
            of a sigmoid's with :math:`y < 0.01` or :math:`y > 0.99`; ``None`` without one.
    """

    depth: int
    name: str
    kind: str
    activation: str | None
    activation_mean: float
    activation_std: float
    gradient_std: float
    dead_fraction: float | None = None
    saturated_fraction: float | None = None


@dataclass(frozen=True)
class Flag:
    """A problem :func:`diagnose` found, in plain words.

    Attributes:
        kind: ``"vanishing"``, ``"exploding"``, ``"dead"``, ``"saturated"`` or ``"loss"``.
        layer: the module where it shows (``None`` for the loss).
        message: what was measured and what to do about it.
        chapter: the chapter that explains it (file name and title).
    """

    kind: str
    layer: str | None
    message: str
    chapter: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message} (see {self.chapter})"


def _format(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


@dataclass
class Diagnosis:
    """The result of :func:`diagnose`: one :class:`LayerRow` per module, the loss, the flags.

    It prints as a table (an HTML table in a notebook); :meth:`plot` draws the activation
    and gradient std against depth.

    Attributes:
        rows: one row per module with weights, in the order they ran.
        flags: the problems found (empty for a healthy model).
        loss: the loss on the batch (``None`` without a target).
        chance_loss: :math:`\\ln C` for a classifier with :math:`C` classes, else ``None``.
    """

    rows: list[LayerRow]
    flags: list[Flag] = field(default_factory=list)
    loss: float | None = None
    chance_loss: float | None = None

    @property
    def ok(self) -> bool:
        """True when nothing was flagged."""
        return not self.flags

    @property
    def kinds(self) -> set[str]:
        """The kinds of the flags raised, e.g. ``{"dead", "vanishing"}``."""
        return {flag.kind for flag in self.flags}

    _COLUMNS = (
        "depth",
        "layer",
        "kind",
        "activation",
        "act. mean",
        "act. std",
        "grad std",
        "dead",
        "saturated",
    )

    def _cells(self, row: LayerRow) -> list[str]:
        return [
            str(row.depth),
            row.name or "(model)",
            row.kind,
            row.activation or "–",
            _format(row.activation_mean),
            _format(row.activation_std),
            _format(row.gradient_std),
            _format(row.dead_fraction, 2),
            _format(row.saturated_fraction, 2),
        ]

    def _loss_line(self) -> str | None:
        if self.loss is None:
            return None
        if self.chance_loss is None:
            return f"loss at initialization: {_format(self.loss, 4)}"
        return (
            f"loss at initialization: {_format(self.loss, 4)} "
            f"(a uniform guess over the classes: ln C = {_format(self.chance_loss, 4)})"
        )

    def _flag_lines(self) -> list[str]:
        if not self.flags:
            return ["no problem found"]
        return [f"⚠ {flag}" for flag in self.flags]

    def __str__(self) -> str:
        table = [list(self._COLUMNS)] + [self._cells(row) for row in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self._COLUMNS))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in table
        ]
        loss_line = self._loss_line()
        if loss_line:
            lines.append(loss_line)
        return "\n".join(lines + self._flag_lines())

    def __repr__(self) -> str:
        return str(self)

    def print(self) -> None:
        """Print the table, the loss and the flags."""
        print(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self._COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in self._cells(row)) + "</tr>"
            for row in self.rows
        )
        notes = [line for line in [self._loss_line()] if line] + self._flag_lines()
        items = "".join(f"<li>{html.escape(line)}</li>" for line in notes)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><ul>{items}</ul>"

    def plot(self, ax=None, title: str | None = None):
        """Activation std and gradient std against depth (log scale), in the course's style.

        Returns:
            the matplotlib ``Axes``.
        """
        from .plotting import plot_std_vs_depth

        stds = {
            "activation std": [row.activation_std for row in self.rows],
            "gradient std": [row.gradient_std for row in self.rows],
        }
        if title is None:
            title = "no problem found" if self.ok else "flags: " + ", ".join(sorted(self.kinds))
        ax = plot_std_vs_depth(stds, ax=ax, ylabel="std", title=title)
        ax.set_xlabel("module with weights, in the order it runs (depth)")
        return ax


# ---------------------------------------------------------------------- the checks


def _as_inputs(batch) -> tuple[torch.Tensor, ...]:
    inputs = tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)
    if not inputs or not all(isinstance(x, torch.Tensor) for x in inputs):
        raise ValueError(
            "batch must be a tensor or a tuple of tensors (the model's positional "
            f"arguments), got {type(batch).__name__}"
        )
    for x in inputs:
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"batch must hold at least one example along dim 0, got shape {tuple(x.shape)}")
        if x.is_floating_point() or x.is_complex():
            bad = int((~torch.isfinite(x)).sum())
            if bad:
                raise ValueError(
                    f"batch contains {bad} NaN or infinite values (of {x.numel()}, "
                    f"shape {tuple(x.shape)}): clean the data before diagnosing"
                )
    return inputs


def _check_model(model) -> None:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not list(model.parameters()):
        raise ValueError(f"model {type(model).__name__} has no parameters: there are no weights to diagnose")


def _weighted_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The leaf modules that own a parameter, with their names."""
    layers = [
        (name, module)
        for name, module in model.named_modules()
        if not list(module.children()) and any(p is not None for p in module._parameters.values())
    ]
    if not layers:
        raise ValueError(
            "model has parameters but no leaf module that owns them (diagnose "
            "measures modules such as Linear, Conv2d, Embedding, LayerNorm)"
        )
    return layers


def _shapes(args) -> str:
    shapes = [tuple(a.shape) for a in args if isinstance(a, torch.Tensor)]
    return ", ".join(str(s) for s in shapes) or "no tensor"


def _classifier_loss(output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Cross-entropy for integer targets with the classes in the last dim or in dim 1."""
    shape, target_shape = tuple(output.shape), tuple(target.shape)
    if output.ndim >= 2 and target_shape == shape[:-1]:
        logits, labels = output.reshape(-1, shape[-1]), target.reshape(-1)
    elif output.ndim >= 2 and target_shape == shape[:1] + shape[2:]:
        logits, labels = output, target
    else:
        raise ValueError(
            f"target of shape {target_shape} does not match the output of shape "
            f"{shape}: class labels need the output's shape without its class "
            "dimension (the last one, or dim 1)"
        )
    num_classes = logits.shape[1]
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"target holds labels from {low} to {high}, but the output has "
            f"{num_classes} classes (labels 0 to {num_classes - 1})"
        )
    return F.cross_entropy(logits.float(), labels), num_classes


def _loss(output: torch.Tensor, target, loss_fn) -> tuple[torch.Tensor, int | None]:
    """The loss on a tensor output, and the number of classes for a classifier."""
    if not isinstance(target, torch.Tensor):
        raise ValueError(f"target must be a tensor, got {type(target).__name__}")
    integer = not (target.is_floating_point() or target.is_complex() or target.dtype == torch.bool)
    cross_entropy = loss_fn is None or loss_fn is F.cross_entropy or isinstance(loss_fn, nn.CrossEntropyLoss)
    if integer and cross_entropy:
        return _classifier_loss(output, target)
    if target.is_floating_point() and bool((~torch.isfinite(target)).any()):
        raise ValueError("target contains NaN or infinite values")
    if loss_fn is None:
        if tuple(target.shape) != tuple(output.shape):
            raise ValueError(
                f"target of shape {tuple(target.shape)} does not match the output "
                f"of shape {tuple(output.shape)} (a float target is compared with "
                "the output by the mean squared error; pass loss_fn otherwise)"
            )
        return F.mse_loss(output, target.to(output.dtype)), None
    try:
        loss = loss_fn(output, target)
    except (RuntimeError, ValueError, IndexError) as error:
        raise ValueError(
            f"loss_fn failed on the output of shape {tuple(output.shape)} and the "
            f"target of shape {tuple(target.shape)}: {error}"
        ) from error
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError(f"loss_fn must return a single number, got {loss!r:.80}")
    return loss.reshape(()), None


def _units_dead(values: torch.Tensor, after_conv: bool) -> float:
    unit_dim = 1 if after_conv and values.ndim >= 3 else values.ndim - 1
    alive = (values != 0).movedim(unit_dim, -1).reshape(-1, values.shape[unit_dim]).any(dim=0)
    return float(1 - alive.float().mean())


def _saturated(values: torch.Tensor, module: nn.Module) -> float:
    if isinstance(module, nn.Tanh):
        flat = values.abs() > 0.99
    elif isinstance(module, nn.Hardtanh):
        flat = (values <= module.min_val) | (values >= module.max_val)
    else:  # a sigmoid
        flat = (values < 0.01) | (values > 0.99)
    return float(flat.float().mean())


# ---------------------------------------------------------------------- the flags

#: The layers whose activations and gradients are compared along depth (norm layers and
#: embeddings set their own scale). Matched by class name, as a :class:`LayerRow` holds it.
_DENSE_NAMES = frozenset(layer.__name__ for layer in (*WEIGHT_LAYERS, nn.Bilinear))


def _flag(kind: str, layer: str | None, message: str) -> Flag:
    return Flag(kind, layer, message, CHAPTERS[kind])


def _nonfinite_flags(rows: list[LayerRow]) -> list[Flag]:
    """The first layer whose output holds NaN or inf (nothing after it can be trusted)."""
    for row in rows:
        if not math.isfinite(row.activation_std):
            return [
                _flag(
                    "exploding",
                    row.name,
                    f"{row.name!r} outputs NaN or infinite values: the weights are far too large. "
                    "Draw them with He's or Xavier's std, which keeps the signal's std near 1.",
                )
            ]
    return []


def _compared_rows(rows: list[LayerRow]) -> list[LayerRow]:
    """The rows compared along depth: the dense layers that feed an activation.

    A residual branch's last layer (scaled down on purpose, GPT-2) and the readout (small
    or zero on purpose) do not feed one; the loss judges the readout.
    """
    dense = [row for row in rows if row.kind in _DENSE_NAMES]
    hidden = [row for row in dense if row.activation is not None]
    if len(hidden) >= 2:
        return hidden
    return dense[:-1] if len(dense) >= 3 else dense


def _depth_flags(compared: list[LayerRow]) -> list[Flag]:
    """The activations' std from the first compared layer to the last."""
    if len(compared) < 2:
        return []
    first, last = compared[0], compared[-1]
    ratio = last.activation_std / first.activation_std if first.activation_std > 0 else 0.0
    limit = THRESHOLDS["depth_ratio"]
    change = (
        f"from {_format(first.activation_std)} at {first.name!r} to "
        f"{_format(last.activation_std)} at {last.name!r}"
    )
    if ratio < 1 / limit:
        message = (
            f"the activations' std falls {change}: the weights are too small for the activation. "
            "Use He's rule for ReLU-like units, Xavier's (with gain) for tanh."
        )
        return [_flag("vanishing", last.name, message)]
    if ratio > limit:
        message = (
            f"the activations' std grows {change}: the weights are too large. Use He's rule for "
            "ReLU-like units, Xavier's for tanh, and scale residual branches down."
        )
        return [_flag("exploding", last.name, message)]
    return []


def _gradient_flags(compared: list[LayerRow], raised: set[str]) -> list[Flag]:
    """The gradient's std from the last compared layer back to the first, unless the
    activations already raised the same kind of flag."""
    grads = [row for row in compared if math.isfinite(row.gradient_std)]
    if len(grads) < 2 or grads[-1].gradient_std <= 0:
        return []
    first, last = grads[0], grads[-1]
    ratio = first.gradient_std / last.gradient_std
    limit = THRESHOLDS["depth_ratio"]
    kind = "vanishing" if ratio < 1 / limit else "exploding" if ratio > limit else None
    if kind is None or kind in raised:
        return []
    verb = "shrinks" if kind == "vanishing" else "grows"
    message = (
        f"the gradient's std {verb} from {_format(last.gradient_std)} at {last.name!r} to "
        f"{_format(first.gradient_std)} at {first.name!r} on the way back: the first layers will "
        "learn at a very different speed. Rescale the weights (He or Xavier)."
    )
    return [_flag(kind, first.name, message)]


def _unit_flags(rows: list[LayerRow]) -> list[Flag]:
    """Dead ReLU units and saturated tanh/sigmoid outputs, layer by layer."""
    flags = []
    for row in rows:
        if row.dead_fraction is not None and row.dead_fraction > THRESHOLDS["dead"]:
            message = (
                f"{row.dead_fraction:.0%} of the ReLU units after {row.name!r} output 0 for every "
                "example: they get no gradient and never learn. Start the biases at 0 (not "
                "negative) and the weights at He's std."
            )
            flags.append(_flag("dead", row.name, message))
        if row.saturated_fraction is not None and row.saturated_fraction > THRESHOLDS["saturated"]:
            message = (
                f"{row.saturated_fraction:.0%} of the {row.activation} outputs after {row.name!r} "
                "are in the flat part, where the gradient is almost 0. Shrink the weights to "
                "Xavier's std (times the gain 5/3 for tanh)."
            )
            flags.append(_flag("saturated", row.name, message))
    return flags


def _loss_flag(loss: float | None, chance: float | None) -> list[Flag]:
    """A first loss that overflows, or a classifier's far above ln C."""
    if loss is None:
        return []
    if not math.isfinite(loss):
        message = (
            f"the loss at initialization is {loss}: the output overflows. Shrink the weights, "
            "the last layer's first."
        )
        return [_flag("loss", None, message)]
    if chance is not None and loss > chance + max(chance, 1.0):
        message = (
            f"the loss at initialization, {_format(loss, 4)}, is far above ln C = "
            f"{_format(chance, 4)}, the loss of a uniform guess: the untrained model is "
            "confidently wrong. Make the last layer's weights small or zero, and its bias 0 "
            "(or the log of the class frequencies)."
        )
        return [_flag("loss", None, message)]
    return []


def _flags(rows: list[LayerRow], loss: float | None, chance: float | None) -> list[Flag]:
    """Every flag, in order: NaN or inf (alone), depth, gradient, units, loss."""
    nonfinite = _nonfinite_flags(rows)
    if nonfinite:
        return nonfinite
    compared = _compared_rows(rows)
    flags = _depth_flags(compared)
    flags += _gradient_flags(compared, {flag.kind for flag in flags})
    return flags + _unit_flags(rows) + _loss_flag(loss, chance)


# ---------------------------------------------------------------------- diagnose


def diagnose(
    model: nn.Module,
    batch,
    target: torch.Tensor | None = None,
    loss_fn: Callable | None = None,
) -> Diagnosis:
    r"""Diagnose a model's initialization on one batch: per-layer statistics and flags.

    Runs ``model(batch)`` (``model(*batch)`` for a tuple) and one backward pass, and
    measures every module that owns weights (``Linear``, ``Conv``, ``Embedding``, norm
    layers, ...) in the order it runs. A module's *activation* is the output of the
    first activation module (``nn.ReLU``, ``nn.Tanh``, ``nn.GELU``, ...) that runs after
    it and before the next module with weights; activations called as functions
    (``F.relu``) are not seen, so the row shows the module's own output. BatchNorm uses
    the batch's statistics (as in the first training step) and Dropout is off.

    The backward pass starts from the loss when ``target`` is given: with integer labels,
    cross-entropy (classes in the output's last dimension, or in dim 1 as for
    ``F.cross_entropy``), compared with :math:`\ln C`, the loss of a uniform guess over
    :math:`C` classes; with a float target of the output's shape, the mean squared error;
    or ``loss_fn(output, target)``. Without a target it starts from a fixed
    standard-normal gradient at the output (the same on every call).

    Flags (the limits are in :data:`THRESHOLDS`):

    - *vanishing* / *exploding*: the activations' std changes by more than 10 times
      between the first and the last ``Linear``/``Conv`` layer followed by an activation
      (not a residual branch's scaled-down last layer, nor the readout, which the loss
      judges), or the gradient's std on the way back; or a layer outputs NaN or inf;
    - *dead*: more than a quarter of a ReLU's units output 0 for every example;
    - *saturated*: more than 20% of a tanh's outputs have :math:`|y| > 0.99` (a
      sigmoid's :math:`y < 0.01` or :math:`> 0.99`);
    - *loss*: a classifier's first loss above :math:`\ln C + \max(\ln C, 1)`.

    Args:
        model: a ``torch.nn.Module`` with parameters.
        batch: the input, a tensor (or a tuple of tensors for a model with several
            arguments); use a batch of at least 64 examples for the dead-unit count.
        target: labels (integers) or targets (floats) for the loss; optional.
        loss_fn: ``loss_fn(output, target)`` returning a scalar; optional.

    Returns:
        a :class:`Diagnosis`: ``.rows``, ``.flags``, ``.loss``, ``.chance_loss``, printed
        as a table; ``.plot()`` draws the stds against depth.

    Raises:
        ValueError: the model has no parameters, the batch is not a tensor, is empty,
            holds NaN or inf, or does not fit the model (the message names the first
            layer that failed and the shapes), or the target does not match the output.
            The model is left as it was.

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> g = torch.Generator().manual_seed(0)
        >>> net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
        >>> with torch.no_grad():
        ...     _ = net[0].bias.fill_(-3.0)  # a bad idea: every ReLU starts off
        >>> report = diagnose(net, torch.randn(256, 64, generator=g),
        ...                   torch.randint(0, 10, (256,), generator=g))
        >>> sorted(report.kinds), report.rows[0].dead_fraction
        (['dead', 'vanishing'], 1.0)
    """
    _check_model(model)
    inputs = _as_inputs(batch)
    layers = _weighted_modules(model)
    with _left_as_it_was(model), torch.random.fork_rng(devices=[]):
        output, events = _forward(model, inputs, layers)
        loss, chance = _backward_start(output, target, loss_fn)
        rows = _rows(events, loss)
    loss_value = float(loss.detach()) if target is not None else None
    return Diagnosis(rows=rows, flags=_flags(rows, loss_value, chance), loss=loss_value, chance_loss=chance)


@contextmanager
def _left_as_it_was(model: nn.Module) -> Iterator[None]:
    """Train mode with Dropout off for the pass; every module's mode and every buffer
    (BatchNorm's running statistics) restored on exit, also after an error."""
    modes = {module: module.training for module in model.modules()}
    buffers = [(buffer, buffer.detach().clone()) for buffer in model.buffers()]
    try:
        model.train()
        for module in model.modules():
            if isinstance(module, nn.modules.dropout._DropoutNd):
                module.eval()
        yield
    finally:
        for module, training in modes.items():
            module.training = training
        with torch.no_grad():
            for buffer, saved in buffers:
                buffer.copy_(saved)


@dataclass
class _Trace:
    """What the forward hooks on the leaf modules see during one forward pass.

    ``events`` holds ``(kind, name, module, output)`` for each module with weights
    (``"layer"``) and each activation module (``"act"``), in the order they ran;
    ``running`` the leaf modules started and not finished, and ``finished`` the outputs of
    those that finished, for the message when the batch does not fit.
    """

    names: dict[int, str]
    weighted_ids: set[int]
    events: list[tuple[str, str, nn.Module, torch.Tensor]] = field(default_factory=list)
    running: list[tuple[str, nn.Module, tuple]] = field(default_factory=list)
    finished: list[tuple[str, torch.Tensor]] = field(default_factory=list)

    def pre_hook(self, module: nn.Module, args: tuple) -> None:
        self.running.append((self.names[id(module)], module, args))

    def post_hook(self, module: nn.Module, args: tuple, output) -> None:
        if self.running and self.running[-1][1] is module:
            self.running.pop()
        if not isinstance(output, torch.Tensor):
            return
        name = self.names[id(module)]
        self.finished.append((name, output))
        if id(module) in self.weighted_ids:
            self.events.append(("layer", name, module, output))
        elif isinstance(module, _ACTIVATIONS):
            self.events.append(("act", name, module, output))


def _forward(model: nn.Module, inputs: tuple[torch.Tensor, ...], layers: list[tuple[str, nn.Module]]):
    """``model(*inputs)`` with every leaf module hooked: the output and the trace's events."""
    trace = _Trace(
        names={id(module): name for name, module in model.named_modules()},
        weighted_ids={id(module) for _, module in layers},
    )
    leaves = [module for module in model.modules() if not list(module.children())]
    hooks = [(module, trace.post_hook) for module in leaves]
    pre_hooks = [(module, trace.pre_hook) for module in leaves]
    with forward_hooks(hooks, pre_hooks=pre_hooks):
        try:
            output = model(*inputs)
        except Exception as error:  # noqa: BLE001 (any failure: the batch does not fit)
            raise ValueError(_fit_message(trace.running, trace.finished, inputs, error)) from error
    return output, trace.events


def _backward_start(output, target, loss_fn) -> tuple[torch.Tensor, float | None]:
    """What the backward pass starts from, and ln C for a classifier (else ``None``).

    The loss with a target; without one, the output times a fixed standard-normal tensor
    (the same on every call), summed.
    """
    if target is None and loss_fn is not None:
        raise ValueError("loss_fn needs a target: pass target=... as well")
    if not isinstance(output, torch.Tensor):
        raise ValueError(f"diagnose needs a model that returns one tensor, got {type(output).__name__}")
    if target is not None:
        loss, num_classes = _loss(output, target, loss_fn)
        return loss, math.log(num_classes) if num_classes else None
    upstream = torch.randn(output.shape, generator=torch.Generator().manual_seed(0))
    return (output * upstream.to(output.device, output.dtype)).sum(), None


def _fit_message(running, finished, inputs, error) -> str:
    batch = f"batch of shape {_shapes(inputs)}"
    if running:
        name, module, args = running[-1]
        return (
            f"the {batch} does not fit the model: layer {name!r} ({module}) failed on an "
            f"input of shape {_shapes(args)}: {error}"
        )
    if finished:
        name, output = finished[-1]
        return (
            f"the {batch} does not fit the model: it failed after layer {name!r} (output "
            f"shape {tuple(output.shape)}), in the model's own forward code: {error}"
        )
    return f"the {batch} does not fit the model: it failed before any layer ran: {error}"


def _rows(events, loss: torch.Tensor) -> list[LayerRow]:
    layers = [
        (i, name, module, output) for i, (kind, name, module, output) in enumerate(events) if kind == "layer"
    ]
    outputs = [output for *_, output in layers if output.requires_grad]
    gradients = (
        torch.autograd.grad(loss, outputs, allow_unused=True) if loss.requires_grad and outputs else []
    )
    gradient_of = {id(output): g for output, g in zip(outputs, gradients, strict=True)}
    rows, seen = [], {}
    for number, (i, name, module, output) in enumerate(layers, start=1):
        activation_module, activation = None, output
        if i + 1 < len(events) and events[i + 1][0] == "act":
            _, _, activation_module, activation = events[i + 1]
        values = activation.detach().double()
        g = gradient_of.get(id(output))
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name} (call {seen[name]})"
        after_conv = isinstance(module, CONV_LAYERS)
        rows.append(
            LayerRow(
                depth=number,
                name=label,
                kind=type(module).__name__,
                activation=type(activation_module).__name__ if activation_module else None,
                activation_mean=float(values.mean()),
                activation_std=float(values.std()) if values.numel() > 1 else 0.0,
                gradient_std=float(g.double().std()) if g is not None and g.numel() > 1 else float("nan"),
                dead_fraction=_units_dead(values, after_conv)
                if isinstance(activation_module, _RELUS)
                else None,
                saturated_fraction=_saturated(values, activation_module)
                if isinstance(activation_module, (*_TANHS, *_SIGMOIDS))
                else None,
            )
        )
    return rows
