"""Small networks for the chapters, with depth, width, activation and init as arguments."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from weightinit.torch_helpers import WEIGHT_LAYERS
from weightinit.validation import check_int

__all__ = ["ACTIVATIONS", "make_activation", "mlp", "small_cnn", "init_weights_", "count_parameters"]

#: Activation names accepted by :func:`mlp` and :func:`small_cnn`.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "linear": nn.Identity,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "selu": nn.SELU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}

Init = str | float | Callable[[torch.Tensor], object] | None


def make_activation(name: str) -> nn.Module:
    """A new activation module by name (one of :data:`ACTIVATIONS`).

    Examples:
        >>> make_activation("tanh")
        Tanh()
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def init_weights_(model: nn.Module, init: Init, generator: torch.Generator | None = None) -> nn.Module:
    r"""Initialize every Linear and Conv weight of ``model`` in place; biases become zero.

    Args:
        model: the network.
        init: ``None`` keeps PyTorch's default; a float ``s`` draws :math:`\mathcal{N}(0, s^2)`
            (a fixed scale, whatever the fan); a string is a method of
            :func:`weightinit.torch_init.apply_weight_init`; a callable is applied to each
            weight tensor (for example ``torch.nn.init.xavier_normal_``).
        generator: a ``torch.Generator`` for reproducible draws (float and method-name cases).

    Returns:
        the model.

    Examples:
        >>> net = mlp(depth=2, width=64, init=0.5)
        >>> round(net[0].weight.std().item(), 1)
        0.5
    """
    if init is None:
        return model
    if isinstance(init, str):
        from .torch_init import apply_weight_init

        return apply_weight_init(model, method=init, generator=generator)
    layers = [m for m in model.modules() if isinstance(m, WEIGHT_LAYERS)]
    with torch.no_grad():
        for layer in layers:
            if isinstance(init, bool) or not (isinstance(init, (int, float)) or callable(init)):
                raise ValueError(
                    f"init must be None, a method name, a std (float) or a callable, got {init!r}"
                )
            if callable(init):
                init(layer.weight)
            else:
                if not math.isfinite(init) or init < 0:
                    raise ValueError(f"init as a std must be a finite number >= 0, got {init!r}")
                layer.weight.normal_(0.0, float(init), generator=generator)
            if layer.bias is not None:
                layer.bias.zero_()
    return model


def mlp(
    depth: int,
    width: int,
    *,
    in_features: int | None = None,
    out_features: int | None = None,
    activation: str = "tanh",
    init: Init = None,
    bias: bool = True,
    final_activation: bool = True,
) -> nn.Sequential:
    """A plain fully connected network: ``depth`` Linear layers, each followed by the activation.

    Args:
        depth: number of Linear layers (>= 1).
        width: units of every hidden layer.
        in_features: input size (``width`` when None).
        out_features: output size (``width`` when None).
        activation: a key of :data:`ACTIVATIONS`.
        init: see :func:`init_weights_`.
        bias: whether the Linear layers have biases.
        final_activation: put the activation after the last layer too (True for signal
            propagation studies; False for a classifier whose last layer gives logits).

    Examples:
        >>> net = mlp(depth=3, width=16, in_features=4, out_features=2, activation="relu")
        >>> [m.__class__.__name__ for m in net]
        ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear', 'ReLU']
    """
    depth, width = check_int("depth", depth), check_int("width", width)
    sizes = [in_features or width] + [width] * (depth - 1) + [out_features or width]
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], bias=bias))
        if i < depth - 1 or final_activation:
            layers.append(make_activation(activation))
    return init_weights_(nn.Sequential(*layers), init)


def small_cnn(
    in_channels: int = 1,
    num_classes: int = 10,
    channels: tuple[int, ...] = (16, 32),
    *,
    image_size: int = 8,
    activation: str = "relu",
    init: Init = None,
) -> nn.Sequential:
    """A small CNN for 8x8 images (scikit-learn's digits): 3x3 convolutions, then a Linear head.

    Examples:
        >>> net = small_cnn()
        >>> net(torch.zeros(5, 1, 8, 8)).shape
        torch.Size([5, 10])
    """
    if not channels:
        raise ValueError(f"channels must be a non-empty tuple of positive integers, got {channels!r}")
    channels = tuple(check_int("every entry of channels", c) for c in channels)
    layers: list[nn.Module] = []
    previous = in_channels
    for c in channels:
        layers += [nn.Conv2d(previous, c, kernel_size=3, padding=1), make_activation(activation)]
        previous = c
    layers += [nn.Flatten(), nn.Linear(previous * image_size * image_size, num_classes)]
    return init_weights_(nn.Sequential(*layers), init)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters.

    Examples:
        >>> count_parameters(nn.Linear(3, 2))
        8
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
