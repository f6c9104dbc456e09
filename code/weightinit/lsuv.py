r"""Layer-sequential unit-variance (LSUV) initialization, a data-dependent initialization.

Mishkin & Matas, *All you need is a good init* (ICLR 2016). Rules such as He or Xavier
choose the scale of every weight from a formula that assumes a particular activation and
independent, well-scaled inputs. LSUV measures instead: it shows the network a batch of
real data and rescales each layer until its output has unit variance,

1. pre-initialize every Linear and Conv weight with an orthogonal matrix (Saxe et al.);
2. for each layer :math:`l`, in the order the forward pass runs it: do a forward pass on
   the batch, measure the variance :math:`v_l` of the layer's output :math:`z_l = W_l x_l + b_l`
   (over all its elements), and while :math:`|v_l - 1| \ge \text{tol}` (and at most
   ``max_iter`` times) rescale

   .. math::
       W_l \leftarrow \frac{W_l}{\sqrt{v_l}}.

With zero biases the output is linear in :math:`W_l`, so one rescaling lands on variance 1
(up to rounding) for a fixed batch; biases, or a new batch at each step as in the paper,
make it take a few more. Each layer is fixed before the next one is measured, so every
layer sees the already normalized outputs of the layers below it, whatever the activation.

:func:`weightinit.checks.check_lsuv` gives feedback on a learner's own NumPy version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from weightinit.torch_helpers import WEIGHT_LAYERS, forward_hooks
from weightinit.validation import check_int, check_real

__all__ = ["LAYER_TYPES", "LSUVResult", "lsuv_init_", "output_variances"]

#: The layers LSUV rescales.
LAYER_TYPES = WEIGHT_LAYERS


@dataclass
class LSUVResult:
    """What :func:`lsuv_init_` did, one entry per layer in forward order.

    Attributes:
        names: module names of the layers.
        iterations: how many times each layer's weight was rescaled.
        variances: the variance of each layer's output after its last rescaling.
        converged: whether ``|variance - 1| < tol`` was reached within ``max_iter``.
    """

    names: list[str]
    iterations: list[int]
    variances: list[float]
    converged: list[bool]


class _StopForward(Exception):
    """Raised by a hook once the measured layer has run: the rest of the pass is not needed."""


def _check_inputs(inputs: object) -> torch.Tensor:
    if not isinstance(inputs, torch.Tensor):
        raise ValueError(f"inputs must be a torch.Tensor (a batch), got {type(inputs).__name__}")
    if not inputs.is_floating_point():
        raise ValueError(f"inputs must be a floating-point tensor, got dtype {inputs.dtype}")
    if inputs.ndim < 2 or inputs.shape[0] < 2:
        raise ValueError(
            f"inputs must be a batch of at least 2 examples, shape (batch, ...), "
            f"got shape {tuple(inputs.shape)}"
        )
    if not torch.isfinite(inputs).all():
        raise ValueError("inputs must not contain NaN or inf")
    return inputs


def _layers_in_order(model: nn.Module, inputs: torch.Tensor) -> list[tuple[str, nn.Module]]:
    """The Linear/Conv layers that run on ``inputs``, in the order they first run."""
    order: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()

    def remember(name: str):
        def hook(module, args, output):
            if id(module) not in seen:
                seen.add(id(module))
                order.append((name, module))

        return hook

    hooks = [
        (module, remember(name)) for name, module in model.named_modules() if isinstance(module, LAYER_TYPES)
    ]
    with forward_hooks(hooks):
        model(inputs)
    return order


def _output_variance(model: nn.Module, layer: nn.Module, inputs: torch.Tensor) -> float:
    """Variance of ``layer``'s output (first call) in a forward pass of ``model`` on ``inputs``."""
    captured: list[torch.Tensor] = []

    def hook(module, args, output):
        captured.append(output)
        raise _StopForward

    with forward_hooks([(layer, hook)]):
        try:
            model(inputs)
        except _StopForward:
            pass
    return captured[0].double().var().item()


def output_variances(model: nn.Module, inputs: torch.Tensor) -> list[float]:
    r"""Variance of the output of every Linear/Conv layer, in one forward pass on ``inputs``.

    .. math::
        v_l = \operatorname{Var}(z_l), \qquad z_l = W_l x_{l-1} + b_l,

    over all elements of each output (batch, units, and positions for a convolution), as
    LSUV measures it.

    Args:
        model: a ``torch.nn.Module``.
        inputs: a batch.

    Returns:
        one variance per layer, in forward order.

    Examples:
        >>> generator = torch.Generator().manual_seed(0)
        >>> net = nn.Sequential(nn.Linear(100, 100, bias=False), nn.Linear(100, 100, bias=False))
        >>> for layer in net:  # an orthogonal matrix times 2 doubles every norm
        ...     _ = nn.init.orthogonal_(layer.weight, gain=2.0, generator=generator)
        >>> x = torch.randn(1000, 100, generator=generator)
        >>> [round(v, 1) for v in output_variances(net, x)]
        [4.0, 16.0]
    """
    inputs = _check_inputs(inputs)
    captured: dict[int, torch.Tensor] = {}
    order: list[int] = []

    def hook(module, args, output):
        if id(module) not in captured:
            captured[id(module)] = output.detach()
            order.append(id(module))

    with forward_hooks((module, hook) for module in model.modules() if isinstance(module, LAYER_TYPES)):
        with torch.no_grad():
            model(inputs)
    if not order:
        raise ValueError("model has no Linear or Conv layer that runs on inputs")
    return [captured[key].double().var().item() for key in order]


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def lsuv_init_(
    model: nn.Module,
    inputs: torch.Tensor,
    tol: float = 0.1,
    max_iter: int = 10,
    *,
    orthogonal: bool = True,
    generator: torch.Generator | None = None,
) -> LSUVResult:
    r"""Initialize ``model`` in place by LSUV: orthogonal weights, then unit output variance.

    Described in *All you need is a good init*, Mishkin & Matas (2016). Every Linear and
    Conv1d/2d/3d weight is first filled with a (semi-)orthogonal matrix and every bias set
    to 0 (``orthogonal=True``). Then, layer by layer in forward order, the weight is divided
    by the square root of the variance :math:`v_l` of the layer's output on ``inputs``,

    .. math::
        W_l \leftarrow W_l / \sqrt{v_l}
        \quad \text{until} \quad |v_l - 1| < \text{tol}

    or ``max_iter`` rescalings. The output is measured before the activation. The model is
    put in eval mode while measuring (dropout off) and its mode restored afterwards.

    Args:
        model: the network; its layers are changed in place.
        inputs: a batch of training data, shape ``(batch, ...)``, at least 2 examples.
        tol: tolerance on the output variance, in (0, 1).
        max_iter: the most rescalings per layer, a positive integer.
        orthogonal: pre-initialize the weights orthogonally and zero the biases; with
            False, LSUV rescales whatever the weights and biases are.
        generator: a ``torch.Generator`` for the orthogonal draws (reproducible).

    Returns:
        an :class:`LSUVResult`: per layer, its name, the number of rescalings, the final
        variance and whether it converged.

    Examples:
        >>> from weightinit.models import mlp
        >>> net = mlp(depth=10, width=64, activation="elu")
        >>> x = torch.randn(256, 64, generator=torch.Generator().manual_seed(0))
        >>> result = lsuv_init_(net, x, generator=torch.Generator().manual_seed(0))
        >>> result.iterations  # the first layer's orthogonal weight is already close enough
        [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]
        >>> [round(v, 2) for v in output_variances(net, x)]
        [1.01, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    model = _check_model(model)
    inputs = _check_inputs(inputs)
    tol = check_real("tol", tol, minimum=0.0, maximum=1.0, strict=True)
    max_iter = check_int("max_iter", max_iter)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")

    was_training = {module: module.training for module in model.modules()}
    model.eval()
    try:
        with torch.no_grad():
            layers = _layers_in_order(model, inputs)
            if not layers:
                raise ValueError("model has no Linear or Conv layer that runs on inputs")
            if orthogonal:
                for _, layer in layers:
                    nn.init.orthogonal_(layer.weight, generator=generator)
                    if layer.bias is not None:
                        layer.bias.zero_()
            result = LSUVResult(names=[], iterations=[], variances=[], converged=[])
            for name, layer in layers:
                variance = _output_variance(model, layer, inputs)
                iterations = 0
                while True:
                    if not math.isfinite(variance) or variance <= 0.0:
                        raise ValueError(
                            f"the output of layer {name!r} has variance {variance!r} on inputs: "
                            "LSUV cannot rescale it (are the inputs constant, or a layer dead?)"
                        )
                    if abs(variance - 1.0) < tol or iterations >= max_iter:
                        break
                    layer.weight.div_(math.sqrt(variance))
                    iterations += 1
                    variance = _output_variance(model, layer, inputs)
                result.names.append(name)
                result.iterations.append(iterations)
                result.variances.append(variance)
                result.converged.append(abs(variance - 1.0) < tol)
    finally:
        for module, training in was_training.items():
            module.training = training
    return result
