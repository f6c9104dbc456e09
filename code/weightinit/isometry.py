r"""Dynamical isometry: the input-output Jacobian of a deep network, and delta-orthogonal kernels.

A deep network :math:`x_L = f(x_0)` with layers :math:`h_l = W_l x_{l-1} + b_l`,
:math:`x_l = \phi(h_l)` has the input-output Jacobian

.. math::
    J = \frac{\partial x_L}{\partial x_0} = \prod_{l=L}^{1} D_l W_l, \qquad
    D_l = \operatorname{diag}(\phi'(h_l)).

Back-propagation multiplies the output gradient by :math:`J^\top`, so the singular values
of :math:`J` say how much each direction is stretched or squashed on the way back. The
variance rules (Xavier, He) make the *mean* squared singular value 1; *dynamical
isometry* (Saxe et al. 2014; Pennington, Schoenholz & Ganguli 2017) asks for all of them
to be close to 1. Orthogonal weights with a tanh network at a critical point with small
pre-activations get there; Gaussian weights, or ReLU with any weights, do not.

For convolutions, Xiao et al. (2018) give the *delta-orthogonal* kernel: zero everywhere
except its spatial centre, which is an orthogonal matrix, so that every pixel's channel
vector is rotated and nothing is mixed or lost.

- :func:`input_output_jacobian`, :func:`jacobian_singular_values`: the Jacobian on one input.
- :func:`tanh_critical_point`: weight and bias std that put a tanh network at criticality.
- :func:`delta_orthogonal` (NumPy), :func:`delta_orthogonal_` (torch, in place).
- :func:`deep_cnn`: a plain very deep CNN (no pooling, no head) for these experiments.
- :func:`weightinit.checks.check_delta_orthogonal`: feedback on a learner's own delta-orthogonal rule.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import scratch
from .validation import check_choice, check_int, check_real

__all__ = [
    "input_output_jacobian",
    "jacobian_singular_values",
    "tanh_critical_point",
    "delta_orthogonal",
    "delta_orthogonal_",
    "deep_cnn",
]


# --------------------------------------------------------------------------- Jacobian


def _check_single_input(x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor (one input), got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"x must not be empty, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("x must not contain NaN or inf")
    return x


def input_output_jacobian(model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    r"""The Jacobian of ``model`` at one input ``x``, as a matrix.

    .. math::
        J_{ij} = \frac{\partial\, \text{model}(x)_i}{\partial x_j}.

    ``x`` is a single input *without* the batch dimension (a vector for an MLP,
    ``(channels, height, width)`` for a CNN); the model is called on ``x[None]``, so it may
    expect batches. The Jacobian is computed by reverse mode with ``torch.func.jacrev`` and
    flattened to shape ``(outputs, inputs)``: row :math:`i` is the gradient of output
    :math:`i`.

    Args:
        model: a ``torch.nn.Module`` or function of a batch.
        x: one input.

    Returns:
        a detached tensor of shape ``(model(x[None]).numel(), x.numel())``.

    Examples:
        >>> layer = nn.Linear(3, 2, bias=False)
        >>> with torch.no_grad():
        ...     _ = layer.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        >>> input_output_jacobian(layer, torch.zeros(3))
        tensor([[1., 2., 3.],
                [4., 5., 6.]])
    """
    if not callable(model):
        raise ValueError(f"model must be a torch.nn.Module or a callable, got {model!r}")
    x = _check_single_input(x)

    def single(v: torch.Tensor) -> torch.Tensor:
        output = model(v.unsqueeze(0))
        if not isinstance(output, torch.Tensor):
            raise ValueError(f"model must return a tensor, got {type(output).__name__}")
        return output[0]

    jacobian = torch.func.jacrev(single)(x.detach())
    return jacobian.detach().reshape(-1, x.numel())


def jacobian_singular_values(
    model: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    dtype: torch.dtype | None = torch.float64,
) -> np.ndarray:
    r"""Singular values of the input-output Jacobian of ``model`` at one input ``x``.

    Described in *Resurrecting the sigmoid in deep learning through dynamical isometry*,
    Pennington, Schoenholz & Ganguli (2017). With :math:`J` from
    :func:`input_output_jacobian`, these are the square roots of the eigenvalues of
    :math:`J J^\top`,

    .. math::
        J = U \operatorname{diag}(s_1, \dots, s_n) V^\top, \qquad s_1 \ge \dots \ge s_n \ge 0,

    A network is *dynamically isometric* when they are all close to 1; a deep linear
    network with orthogonal weights has them all exactly 1.

    Deep networks have singular values far below float32's resolution (about
    :math:`10^{-7}` of the largest), so by default the Jacobian is computed in double
    precision, on a copy of the model converted to float64; the model itself is not changed.

    Args:
        model: a ``torch.nn.Module`` or function of a batch.
        x: one input, without the batch dimension.
        dtype: the precision of the computation when ``model`` is a ``torch.nn.Module``:
            a copy of it and ``x`` are converted to ``dtype``. None, or a model that is a
            plain function, uses them as they are.

    Returns:
        a float64 NumPy array of ``min(outputs, inputs)`` singular values, largest first.

    Examples:
        >>> generator = torch.Generator().manual_seed(0)
        >>> net = nn.Sequential(*[nn.Linear(64, 64, bias=False) for _ in range(20)])
        >>> for layer in net:
        ...     _ = nn.init.orthogonal_(layer.weight, generator=generator)
        >>> s = jacobian_singular_values(net, torch.randn(64, generator=generator))
        >>> s.shape, round(float(s.max()), 4), round(float(s.min()), 4)
        ((64,), 1.0, 1.0)
        >>> for layer in net:  # Gaussian weights with the same mean squared singular value
        ...     _ = nn.init.normal_(layer.weight, std=64 ** -0.5, generator=generator)
        >>> s = jacobian_singular_values(net, torch.randn(64, generator=generator))
        >>> bool(s.max() > 3), bool(s.min() < 1e-3)
        (True, True)
        >>> net[0].weight.dtype  # the computation ran on a float64 copy
        torch.float32
    """
    x = _check_single_input(x)
    if dtype is not None:
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating-point torch.dtype or None, got {dtype!r}")
        if isinstance(model, nn.Module):
            model, x = copy.deepcopy(model).to(dtype), x.to(dtype)
    jacobian = input_output_jacobian(model, x)
    return torch.linalg.svdvals(jacobian.double()).numpy()


def _gaussian_mean(f: Callable[[np.ndarray], np.ndarray], variance: float) -> float:
    """E[f(h)] for h ~ N(0, variance), by a Riemann sum over +-12 std (f varies on a scale >= 1)."""
    std = math.sqrt(variance)
    h = np.linspace(-12.0 * std, 12.0 * std, 24_001)
    density = np.exp(-0.5 * (h / std) ** 2)
    return float(np.sum(f(h) * density) / np.sum(density))


def tanh_critical_point(q_star: float) -> tuple[float, float]:
    r"""Weight and bias std that make a deep tanh network critical at pre-activation variance ``q_star``.

    Poole et al. (2016), Schoenholz et al. (2017). With weights of variance
    :math:`\sigma_w^2 / n` (Gaussian) or an orthogonal matrix times :math:`\sigma_w`, and
    biases :math:`\mathcal{N}(0, \sigma_b^2)`, the pre-activation variance :math:`q_l` of a
    wide tanh network follows :math:`q_{l+1} = \sigma_w^2\, \mathbb{E}[\tanh(h)^2] + \sigma_b^2`,
    :math:`h \sim \mathcal{N}(0, q_l)`, and the mean squared singular value of each layer's
    Jacobian is :math:`\chi = \sigma_w^2\, \mathbb{E}[\tanh'(h)^2]`. This returns the pair with
    :math:`q^*` as fixed point and :math:`\chi = 1`:

    .. math::
        \sigma_w^2 = \frac{1}{\mathbb{E}[\tanh'(h)^2]}, \qquad
        \sigma_b^2 = q^* - \sigma_w^2\, \mathbb{E}[\tanh(h)^2], \qquad h \sim \mathcal{N}(0, q^*).

    The expectations are computed numerically (a Riemann sum over :math:`\pm 12` standard
    deviations). A small :math:`q^*` keeps the pre-activations in tanh's linear region,
    which is what dynamical isometry needs (Pennington et al. 2017).

    Args:
        q_star: the fixed-point pre-activation variance, a positive number (at most about
            :math:`10^4`, where the sum still resolves tanh's transition).

    Returns:
        ``(weight_std, bias_std)``, i.e. :math:`(\sigma_w, \sigma_b)`.

    Examples:
        >>> [round(v, 4) for v in tanh_critical_point(1 / 64)]
        [1.0152, 0.0022]
        >>> [round(v, 3) for v in tanh_critical_point(1.0)]
        [1.467, 0.389]
    """
    q_star = check_real("q_star", q_star, minimum=0.0, maximum=1e4)
    if q_star == 0:
        raise ValueError(f"q_star must be a finite number in (0.0, 10000.0], got {q_star!r}")
    weight_var = 1.0 / _gaussian_mean(lambda h: (1.0 - np.tanh(h) ** 2) ** 2, q_star)
    # q* - E[tanh^2] / E[tanh'^2] >= 0 for every q* > 0: the critical line spans all q*.
    bias_var = max(q_star - weight_var * _gaussian_mean(lambda h: np.tanh(h) ** 2, q_star), 0.0)
    return math.sqrt(weight_var), math.sqrt(bias_var)


# ---------------------------------------------------------------------- delta-orthogonal


def _delta_shape(shape: Sequence[int]) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) or not isinstance(shape, (tuple, list, torch.Size)):
        raise ValueError(f"shape must be a tuple (out_channels, in_channels, *kernel), got {shape!r}")
    dims = tuple(shape)
    for d in dims:
        check_int("every dimension of shape", d, minimum=0)
    if not 3 <= len(dims) <= 5:
        raise ValueError(
            "shape must have 3, 4 or 5 dimensions (out_channels, in_channels, *kernel) "
            f"of a Conv1d, Conv2d or Conv3d weight, got {shape!r}"
        )
    if dims[1] > dims[0]:
        raise ValueError(
            f"shape must have in_channels <= out_channels for a delta-orthogonal kernel "
            f"(an orthogonal map cannot shrink the dimension), got in_channels={dims[1]} > "
            f"out_channels={dims[0]} in shape {shape!r}"
        )
    return tuple(int(d) for d in dims)


def _centre(dims: tuple[int, ...]) -> tuple[int, ...]:
    # (k - 1) // 2 as in the official implementation: the tap that padding="same" aligns
    # with the output pixel, for odd and even kernel sizes.
    return tuple((k - 1) // 2 for k in dims[2:])


def delta_orthogonal(shape: Sequence[int], gain: float = 1.0, rng: scratch.RngLike = None) -> np.ndarray:
    r"""A delta-orthogonal convolution kernel in NumPy: zero but for an orthogonal centre tap.

    Described in *Dynamical Isometry and a Mean Field Theory of CNNs: How to Train
    10,000-Layer Vanilla Convolutional Neural Networks*, Xiao et al. (2018), Algorithm 2.
    For a weight of shape ``(out, in, k_1, ..., k_d)`` with ``in <= out``,

    .. math::
        W[:, :, c] = \text{gain} \times Q, \quad Q^\top Q = I_\text{in}, \qquad
        W[:, :, p] = 0 \text{ for every other tap } p,

    where :math:`c = ((k_1 - 1) // 2, \dots)` is the centre and :math:`Q` is drawn uniformly
    (Haar) among ``(out, in)`` matrices with orthonormal columns. A stride-1 convolution with
    "same" padding then maps each pixel's channel vector :math:`x_p` to :math:`\text{gain}\,
    Q x_p`, so it multiplies the norm of every input by exactly ``gain``.

    Args:
        shape: ``(out_channels, in_channels, *kernel)`` with 1 to 3 kernel dimensions and
            ``in_channels <= out_channels``.
        gain: a scaling factor.
        rng: a ``numpy.random.Generator``, an int seed, or None.

    Returns:
        a float32 array of the given shape.

    Examples:
        >>> w = delta_orthogonal((4, 2, 3, 3), rng=0)
        >>> centre = w[:, :, 1, 1]
        >>> np.allclose(centre.T @ centre, np.eye(2), atol=1e-6)  # orthonormal columns
        True
        >>> int(np.count_nonzero(w)), int(np.count_nonzero(centre))  # only the centre is nonzero
        (8, 8)
    """
    dims = _delta_shape(shape)
    gain = check_real("gain", gain)
    generator = scratch.as_rng(rng)
    kernel = np.zeros(dims, dtype=np.float32)
    if kernel.size == 0:
        return kernel
    kernel[(slice(None), slice(None), *_centre(dims))] = scratch.orthogonal(
        (dims[0], dims[1]), gain=float(gain), rng=generator
    )
    return kernel


def delta_orthogonal_(
    tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Fill a Conv1d/2d/3d weight in place with a delta-orthogonal kernel (Xiao et al. 2018).

    The torch counterpart of :func:`delta_orthogonal`: every tap zero except the centre
    :math:`c`, which is ``gain`` times an orthogonal ``(out, in)`` matrix drawn with
    ``torch.nn.init.orthogonal_``,

    .. math::
        W[:, :, c] = \text{gain} \times Q, \qquad Q^\top Q = I_\text{in}.

    Args:
        tensor: a weight of shape ``(out_channels, in_channels, *kernel)``, 3 to 5
            dimensions, ``in_channels <= out_channels``.
        gain: a scaling factor.
        generator: a ``torch.Generator`` (reproducible draws) or None.

    Returns:
        ``tensor``.

    Examples:
        >>> conv = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular", bias=False)
        >>> _ = delta_orthogonal_(conv.weight, generator=torch.Generator().manual_seed(0))
        >>> x = torch.randn(2, 8, 5, 5)
        >>> torch.allclose(conv(x).norm(), x.norm())
        True
    """
    if not isinstance(tensor, torch.Tensor):
        raise ValueError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    dims = _delta_shape(tuple(tensor.shape))
    gain = check_real("gain", gain)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")
    with torch.no_grad():
        tensor.zero_()
        if tensor.numel() == 0:
            return tensor
        centre = torch.empty(dims[0], dims[1], dtype=tensor.dtype, device=tensor.device)
        nn.init.orthogonal_(centre, gain=float(gain), generator=generator)
        tensor[(slice(None), slice(None), *_centre(dims))] = centre
    return tensor


def deep_cnn(
    depth: int,
    channels: int,
    *,
    in_channels: int | None = None,
    kernel_size: int = 3,
    activation: str = "linear",
    padding_mode: str = "circular",
    bias: bool = False,
) -> nn.Sequential:
    r"""A plain very deep CNN: ``depth`` stride-1 Conv2d layers, each followed by the activation.

    .. math::
        x_l = \phi(W_l * x_{l-1}), \qquad l = 1, \dots, \text{depth}.

    Every convolution keeps the image size (padding ``kernel_size // 2``, odd kernel) and
    has ``channels`` output channels; there is no pooling and no classifier, as in the
    signal-propagation experiments of Xiao et al. (2018). Circular padding makes every
    pixel alike (no border). The weights keep PyTorch's default: initialize them after,
    e.g. with :func:`weightinit.models.init_weights_` and :func:`delta_orthogonal_`.

    Args:
        depth: number of convolutions (>= 1).
        channels: channels of every layer.
        in_channels: channels of the input (``channels`` when None).
        kernel_size: odd kernel size.
        activation: a key of :data:`weightinit.models.ACTIVATIONS`.
        padding_mode: ``"circular"``, ``"zeros"``, ``"reflect"`` or ``"replicate"``.
        bias: whether the convolutions have biases.

    Examples:
        >>> net = deep_cnn(3, 4, in_channels=1, activation="tanh")
        >>> [m.__class__.__name__ for m in net]
        ['Conv2d', 'Tanh', 'Conv2d', 'Tanh', 'Conv2d', 'Tanh']
        >>> net(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 4, 8, 8])
    """
    from .models import make_activation

    depth, channels = check_int("depth", depth), check_int("channels", channels)
    in_channels = channels if in_channels is None else check_int("in_channels", in_channels)
    if check_int("kernel_size", kernel_size) % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size!r}")
    check_choice("padding_mode", padding_mode, ("circular", "zeros", "reflect", "replicate"))
    layers: list[nn.Module] = []
    previous = int(in_channels)
    for _ in range(depth):
        layers.append(
            nn.Conv2d(
                previous,
                channels,
                kernel_size,
                padding=kernel_size // 2,
                padding_mode=padding_mode,
                bias=bias,
            )
        )
        layers.append(make_activation(activation))
        previous = channels
    return nn.Sequential(*layers)
