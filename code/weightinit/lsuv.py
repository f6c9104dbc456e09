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

:func:`check_lsuv` gives feedback on a learner's own NumPy version.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["LAYER_TYPES", "LSUVResult", "lsuv_init_", "output_variances", "check_lsuv"]

#: The layers LSUV rescales.
LAYER_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


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
    handles = []

    def remember(name: str):
        def hook(module, args, output):
            if id(module) not in seen:
                seen.add(id(module))
                order.append((name, module))

        return hook

    for name, module in model.named_modules():
        if isinstance(module, LAYER_TYPES):
            handles.append(module.register_forward_hook(remember(name)))
    try:
        model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return order


def _output_variance(model: nn.Module, layer: nn.Module, inputs: torch.Tensor) -> float:
    """Variance of ``layer``'s output (first call) in a forward pass of ``model`` on ``inputs``."""
    captured: list[torch.Tensor] = []

    def hook(module, args, output):
        captured.append(output)
        raise _StopForward

    handle = layer.register_forward_hook(hook)
    try:
        model(inputs)
    except _StopForward:
        pass
    finally:
        handle.remove()
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
    handles = []

    def hook(module, args, output):
        if id(module) not in captured:
            captured[id(module)] = output.detach()
            order.append(id(module))

    for module in model.modules():
        if isinstance(module, LAYER_TYPES):
            handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
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
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 < tol < 1.0:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
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


# ----------------------------------------------------------------------- feedback

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
}


def _numpy_preactivation_variances(
    weights: Sequence[np.ndarray], inputs: np.ndarray, activation: str
) -> list[float]:
    f = _ACTIVATIONS[activation]
    x, variances = inputs, []
    for w in weights:
        z = x @ np.asarray(w, dtype=np.float64).T
        variances.append(float(z.var()))
        x = f(z)
    return variances


def check_lsuv(fn: Callable[..., object], tol: float = 0.1) -> bool:
    r"""Check a learner's NumPy LSUV, ``fn(weights, inputs, activation, tol) -> new weights``.

    ``weights`` is a list of matrices in PyTorch's layout ``(fan_out, fan_in)`` (used as
    ``x @ w.T``), ``inputs`` a batch ``(batch, fan_in)``, ``activation`` one of ``"tanh"``,
    ``"relu"``, ``"elu"``; there are no biases. The check runs ``fn`` on three deep networks
    whose layers are badly scaled, and requires that it returns a list of arrays of the
    same shapes, that every layer's pre-activation variance on the batch is within ``tol``
    of 1,

    .. math::
        \bigl|\operatorname{Var}(x_{l-1} W_l^\top) - 1\bigr| < \text{tol}
        \quad \text{for every layer } l,

    that each new weight is a positive multiple of the old one (LSUV only rescales),
    and that the weights given to ``fn`` are left unchanged. Prints ``correct`` or
    ``not yet`` with a hint, and returns True or False. Never raises on ``fn``'s mistakes.

    Examples:
        >>> def rescale_all_by_the_input_variance(weights, inputs, activation, tol=0.1):
        ...     return [w / np.sqrt(inputs.var()) for w in weights]
        >>> check_lsuv(rescale_all_by_the_input_variance)  # doctest: +NORMALIZE_WHITESPACE
        not yet: with activation='tanh', layer 1 has output variance 4.88 (|v - 1| must be
        < 0.1). Rescale each layer by the variance of its own output, measured after the
        layers before it are fixed.
        False
    """
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 < tol < 1.0:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if not callable(fn):
        print(f"not yet: expected a function, got {type(fn).__name__}.")
        return False
    rng = np.random.default_rng(12345)
    cases = [("tanh", 12, 64, 2.2), ("relu", 15, 48, 0.6), ("elu", 10, 32, 1.7)]
    for activation, depth, width, std in cases:
        inputs = rng.standard_normal((512, width))
        weights = [rng.normal(0.0, std / math.sqrt(width), size=(width, width)) for _ in range(depth)]
        originals = [w.copy() for w in weights]
        try:
            new = fn(weights, inputs, activation, tol)
        except NotImplementedError:
            print("not yet: the function still raises NotImplementedError: fill it in.")
            return False
        except Exception as error:  # the learner's bug is reported, never raised
            print(f"not yet: the function raised {type(error).__name__}: {error}.")
            return False
        if new is None:
            print("not yet: the function returned None; return the list of rescaled weights.")
            return False
        try:
            new = [np.asarray(w, dtype=np.float64) for w in new]
        except (TypeError, ValueError):
            print(f"not yet: expected a list of arrays, got {type(new).__name__}.")
            return False
        if len(new) != depth or any(w.shape != o.shape for w, o in zip(new, originals, strict=False)):
            print(f"not yet: expected {depth} arrays of shape {originals[0].shape}, got "
                  f"{[w.shape for w in new]}.")
            return False
        if any(not np.array_equal(w, o) for w, o in zip(weights, originals, strict=True)):
            print("not yet: the weights passed in were changed in place; return new arrays "
                  "(w = w / s, not w /= s).")
            return False
        if not all(np.all(np.isfinite(w)) for w in new):
            print(f"not yet: with activation={activation!r}, some weights are NaN or inf.")
            return False
        for index, (w, o) in enumerate(zip(new, originals, strict=True), start=1):
            scale = float(np.sum(w * o) / np.sum(o * o))
            if not scale > 0 or not np.allclose(w, scale * o, rtol=1e-5, atol=1e-12):
                print(f"not yet: layer {index}'s new weight is not a positive multiple of the "
                      "old one: LSUV only rescales each weight matrix.")
                return False
        variances = _numpy_preactivation_variances(new, inputs, activation)
        for index, variance in enumerate(variances, start=1):
            if not abs(variance - 1.0) < tol:
                print(f"not yet: with activation={activation!r}, layer {index} has output "
                      f"variance {variance:.3g} (|v - 1| must be < {tol:g}). Rescale each layer "
                      "by the variance of its own output, measured after the layers before it "
                      "are fixed.")
                return False
    print(f"correct: every layer's output variance is within {tol:g} of 1 "
          f"({len(cases)} networks: tanh, relu, elu), by rescaling alone.")
    return True
