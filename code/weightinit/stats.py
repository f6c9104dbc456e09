r"""Per-layer statistics of one forward and one backward pass.

The chapters measure the same two things again and again: how the spread of the
activations changes from layer to layer on the way forward, and how the spread of the
gradients changes on the way back. :func:`layer_stats` does both for a PyTorch model;
:func:`propagate` does the forward half in NumPy for the from-scratch sections.

For a layer :math:`y = W x` with independent, zero-mean weights and inputs,

.. math::
    \operatorname{Var}(y_i) = n_\text{in} \operatorname{Var}(w) \operatorname{Var}(x),

so the std is multiplied by :math:`\sqrt{n_\text{in} \operatorname{Var}(w)}` at every layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from weightinit.activations import NUMPY_ACTIVATIONS

__all__ = ["LayerStats", "layer_stats", "propagate", "NUMPY_ACTIVATIONS"]


@dataclass
class LayerStats:
    """Statistics per layer (index 0 is the first Linear/Conv layer).

    Attributes:
        names: module names of the layers.
        preactivation_std: std of each layer's output :math:`z = W x + b`.
        activation_std: std after the activation that follows the layer (equal to
            ``preactivation_std`` for a layer with no activation after it).
        activation_mean: mean after the activation.
        gradient_std: std of the back-propagated gradient :math:`\\partial L / \\partial z`.
        weight_gradient_std: std of :math:`\\partial L / \\partial W`.
        activations: the activations themselves (flattened NumPy arrays), for histograms.
        gradients: the back-propagated gradients (flattened NumPy arrays).
    """

    names: list[str]
    preactivation_std: np.ndarray
    activation_std: np.ndarray
    activation_mean: np.ndarray
    gradient_std: np.ndarray
    weight_gradient_std: np.ndarray
    activations: list[np.ndarray] = field(repr=False)
    gradients: list[np.ndarray] = field(repr=False)


def layer_stats(
    model,
    inputs,
    *,
    targets=None,
    loss_fn: Callable | None = None,
    seed: int = 0,
    keep_values: bool = True,
) -> LayerStats:
    r"""One forward and one backward pass through ``model``, measured at every layer.

    The layers are the model's ``Linear`` and convolution modules (``WEIGHT_LAYERS``), in the order they
    run. The activation of a layer is the output of the first activation module that runs
    after it (before the next layer).

    Without ``targets``, the backward pass starts from a standard-normal gradient at the
    output (seeded by ``seed``): this measures how the network itself scales gradients,
    independent of a loss. With ``targets`` and ``loss_fn``, it back-propagates that loss.

    Args:
        model: a ``torch.nn.Module``.
        inputs: a batch, as a tensor.
        targets: labels for ``loss_fn`` (optional).
        loss_fn: e.g. ``torch.nn.functional.cross_entropy``; needed with ``targets``.
        seed: seed of the output gradient when there are no targets.
        keep_values: keep the activations and gradients (for histograms).

    Returns:
        a :class:`LayerStats`.

    Examples:
        >>> import torch
        >>> from weightinit.models import mlp
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> net = mlp(depth=5, width=256, activation="tanh", init=0.1)
        >>> s = layer_stats(net, torch.randn(512, 256))
        >>> len(s.names), bool(s.activation_std[-1] < s.activation_std[0])
        (5, True)
    """
    if (targets is None) != (loss_fn is None):
        raise ValueError("targets and loss_fn must be given together (or neither)")
    order, outputs = _forward_backward(model, inputs, targets, loss_fn, seed)
    names = [name for kind, name in order if kind == "layer"]
    post: dict[str, Any] = {}  # a layer's activation: the first activation after it
    current = None
    for kind, name in order:
        if kind == "layer":
            current = name
        elif current is not None and current not in post:
            post[current] = outputs[f"act:{name}"]
    return _summarize(dict(model.named_modules()), names, outputs, post, keep_values)


def _forward_backward(model, inputs, targets, loss_fn, seed: int) -> tuple[list, dict]:
    """The (kind, name) of every layer and activation in execution order, and their outputs."""
    import torch
    from torch import nn

    from weightinit.torch_helpers import WEIGHT_LAYERS, forward_hooks

    order: list[tuple[str, str]] = []  # (kind, name) in execution order
    outputs: dict[str, torch.Tensor] = {}

    def remember(kind: str, name: str):
        def hook(module, args, output):
            order.append((kind, name))
            if kind == "layer" and output.requires_grad:
                output.retain_grad()
            outputs[f"{kind}:{name}"] = output

        return hook

    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, WEIGHT_LAYERS):
            hooks.append((module, remember("layer", name)))
        elif not list(module.children()) and not isinstance(module, (nn.Flatten, nn.Dropout)):
            hooks.append((module, remember("act", name)))
    with forward_hooks(hooks):
        model.zero_grad(set_to_none=True)
        output = model(inputs)
        if not any(kind == "layer" for kind, _ in order):
            raise ValueError("model has no Linear or Conv layer to measure")
        if targets is None:
            generator = torch.Generator().manual_seed(seed)
            upstream = torch.randn(output.shape, generator=generator, dtype=output.dtype)
            output.backward(upstream.to(output.device))
        else:
            loss_fn(output, targets).backward()
    return order, outputs


def _summarize(modules: dict, names: list[str], outputs: dict, post: dict, keep_values: bool) -> LayerStats:
    pre_std, act_std, act_mean, grad_std, wgrad_std = [], [], [], [], []
    activations, gradients = [], []
    for name in names:
        z = outputs[f"layer:{name}"].detach()
        a = post.get(name, outputs[f"layer:{name}"]).detach()
        g = outputs[f"layer:{name}"].grad
        w = modules[name].weight.grad
        pre_std.append(z.std().item())
        act_std.append(a.std().item())
        act_mean.append(a.mean().item())
        grad_std.append(g.std().item() if g is not None else float("nan"))
        wgrad_std.append(w.std().item() if w is not None else float("nan"))
        if keep_values:
            activations.append(a.flatten().cpu().numpy().copy())
            gradients.append(g.flatten().cpu().numpy().copy() if g is not None else np.array([]))
    return LayerStats(
        names=names,
        preactivation_std=np.array(pre_std),
        activation_std=np.array(act_std),
        activation_mean=np.array(act_mean),
        gradient_std=np.array(grad_std),
        weight_gradient_std=np.array(wgrad_std),
        activations=activations,
        gradients=gradients,
    )


def propagate(
    inputs: np.ndarray,
    weights: Sequence[np.ndarray],
    activation: str = "linear",
) -> list[np.ndarray]:
    r"""Forward pass of a plain network in NumPy: :math:`x_{l+1} = f(W_l x_l)`, no biases.

    Weights use PyTorch's layout ``(fan_out, fan_in)``; ``inputs`` has shape
    ``(batch, fan_in)``.

    Args:
        inputs: the input batch.
        weights: one weight matrix per layer.
        activation: a key of :data:`NUMPY_ACTIVATIONS`.

    Returns:
        the activations after every layer.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(1000, 100))
        >>> ws = [rng.normal(0, 1 / np.sqrt(100), size=(100, 100)) for _ in range(10)]
        >>> std_last = float(propagate(x, ws)[-1].std())
        >>> 0.8 < std_last < 1.25  # a linear network with Var(w) = 1/fan_in keeps std near 1
        True
    """
    if activation not in NUMPY_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(NUMPY_ACTIVATIONS)}, got {activation!r}")
    f = NUMPY_ACTIVATIONS[activation]
    x = np.asarray(inputs, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"inputs must be a 2-D array (batch, features), got shape {x.shape}")
    outputs = []
    for i, w in enumerate(weights):
        w = np.asarray(w)
        if w.ndim != 2 or w.shape[1] != x.shape[1]:
            raise ValueError(f"weights[{i}] must have shape (fan_out, {x.shape[1]}), got {w.shape}")
        x = f(x @ w.T)
        outputs.append(x)
    return outputs
