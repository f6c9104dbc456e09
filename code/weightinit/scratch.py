r"""Every weight-initialization rule from scratch, with NumPy only.

Each function mirrors one of ``torch.nn.init`` (same name without the trailing
underscore, same arguments, same distribution) but builds a new array from a shape
instead of filling a tensor in place. This module never imports torch, so the rules can
be read, run and tested on their own.

Layout convention
-----------------
Shapes follow PyTorch's layout, ``(fan_out, fan_in, *kernel)``:

- a ``Linear(in_features, out_features)`` weight is ``(out_features, in_features)``
  and is used as ``x @ w.T``;
- a ``Conv2d(in_channels, out_channels, (kh, kw))`` weight is
  ``(out_channels, in_channels, kh, kw)``.

So, exactly as in ``torch.nn.init._calculate_fan_in_and_fan_out``,

.. math::
    \text{fan\_in} = \text{shape}[1] \prod_{k \ge 2} \text{shape}[k], \qquad
    \text{fan\_out} = \text{shape}[0] \prod_{k \ge 2} \text{shape}[k].

Keras and JAX store a dense kernel as ``(fan_in, fan_out)``: transpose before comparing.

Conventions shared by every function
------------------------------------
- ``shape`` is a tuple or list of non-negative ints, or a single int for a 1-D array
  where the rule allows one (the fan-based rules need at least two dimensions).
- ``rng`` is a :class:`numpy.random.Generator`, an int seed, or None (fresh entropy);
  see :func:`as_rng`. Equal seeds give equal arrays.
- The result is a new ``float32`` array, torch's default dtype. Cast it
  (``w.astype(np.float64)``) if you need double precision.
- A shape with a zero dimension gives an empty array of that shape (torch leaves a
  zero-element tensor alone); arguments are still validated.
- Bad arguments raise :class:`ValueError` with a message that names the argument.
- Every rule is vectorised: no Python loop over elements.

Examples:
    >>> w = kaiming_normal((64, 3, 3, 3), nonlinearity="relu", rng=0)
    >>> w.shape, w.dtype
    ((64, 3, 3, 3), dtype('float32'))
    >>> compute_fans(w.shape)
    (27, 576)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from weightinit.validation import check_choice, check_real

__all__ = [
    "as_rng",
    "compute_fans",
    "calculate_gain",
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "trunc_normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "eye",
    "variance_scaling",
    "NONLINEARITIES",
    "TRUNC_NORMAL_STD",
]

ShapeLike = int | Sequence[int]
RngLike = np.random.Generator | int | None
FloatArray = NDArray[np.float32]

DTYPE = np.float32

#: Every nonlinearity :func:`calculate_gain` accepts (the same set as torch's).
NONLINEARITIES: tuple[str, ...] = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
)
_UNIT_GAIN = NONLINEARITIES[:8]  # the linear maps and sigmoid
_KAIMING_MODES = ("fan_in", "fan_out")
_VARIANCE_SCALING_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")

#: Standard deviation of a standard normal truncated to [-2, 2]. Dividing by it makes a
#: normal truncated at +-2 std have exactly the intended variance (as Keras and JAX do).
TRUNC_NORMAL_STD = 0.87962566103423978

# Below this probability mass of [a, b], rejection sampling wastes too many draws and
# trunc_normal switches to the inverse CDF (torch switches at the same mass).
_REJECTION_MIN_MASS = 0.3


# ----------------------------------------------------------------------------- helpers


def as_rng(rng: RngLike = None) -> np.random.Generator:
    r"""Turn ``rng`` into a :class:`numpy.random.Generator`.

    A Generator is returned as it is (so successive calls continue its stream), an int
    seeds a new one, and None seeds a new one from fresh OS entropy.

    Args:
        rng: a :class:`numpy.random.Generator`, a non-negative int seed, or None.

    Examples:
        >>> as_rng(0).random() == as_rng(0).random()
        True
        >>> g = np.random.default_rng(1)
        >>> as_rng(g) is g
        True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative int seed, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy.random.Generator, a non-negative int seed or None, got {rng!r}")


def _as_shape(shape: ShapeLike, min_dims: int = 0) -> tuple[int, ...]:
    """Validate ``shape`` and return it as a tuple of ints."""
    if isinstance(shape, int | np.integer) and not isinstance(shape, bool):
        dims: tuple = (shape,)
    elif isinstance(shape, tuple | list):
        dims = tuple(shape)
    else:
        raise ValueError(f"shape must be a tuple or list of ints or an int, got {shape!r}")
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 0:
            raise ValueError(f"shape must contain non-negative ints, got {shape!r}")
    if len(dims) < min_dims:
        raise ValueError(
            f"shape must have at least {min_dims} dimensions "
            f"(fan_out, fan_in, *kernel) for this rule, got {shape!r}"
        )
    return tuple(int(dim) for dim in dims)


def _as_real(
    name: str, value: float, *, minimum: float | None = None, strict: bool = False, allow_inf: bool = False
) -> float:
    """Validate a real-valued argument and return it as a float."""
    return check_real(name, value, minimum=minimum, strict=strict, allow_inf=allow_inf)


def _leaky_relu_slope(value: float | None, name: str) -> float:
    # torch's rule: None means the default slope 0.01; a bool is not a number.
    if value is None:
        return 0.01
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number (the negative slope of leaky_relu), got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _empty(shape: tuple[int, ...]) -> FloatArray:
    return np.empty(shape, dtype=DTYPE)


def _uniform_symmetric(shape: tuple[int, ...], bound: float, generator: np.random.Generator) -> FloatArray:
    """U(-bound, bound) in float32, never outside [-bound, bound]."""
    values = generator.random(shape, dtype=DTYPE)
    values *= DTYPE(2.0 * bound)
    values -= DTYPE(bound)
    return values


def _normal(shape: tuple[int, ...], mean: float, std: float, generator: np.random.Generator) -> FloatArray:
    values = generator.standard_normal(shape, dtype=DTYPE)
    values *= DTYPE(std)
    if mean != 0.0:
        values += DTYPE(mean)
    return values


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _trunc_normal(
    shape: tuple[int, ...], mean: float, std: float, a: float, b: float, generator: np.random.Generator
) -> FloatArray:
    """N(mean, std^2) truncated to [a, b]; arguments already validated, std > 0, a < b."""
    low, high = DTYPE(a), DTYPE(b)
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if mass >= _REJECTION_MIN_MASS:
        # Redraw only the rejected entries: each pass keeps a fraction `mass`, so the
        # loop runs O(log n) times over ever fewer values.
        values = _normal(shape, mean, std, generator)
        flat = values.reshape(-1)
        rejected = np.flatnonzero((flat < low) | (flat > high))
        while rejected.size:
            redrawn = _normal((rejected.size,), mean, std, generator)
            flat[rejected] = redrawn
            rejected = rejected[(redrawn < low) | (redrawn > high)]
        return values

    # Inverse CDF for a small mass (bounds far in a tail or close together). Work in
    # the lower tail and in log space, so bounds many std from the mean keep precision.
    from scipy.special import log_ndtr, ndtri_exp

    alpha, beta = (a - mean) / std, (b - mean) / std
    flip = alpha > 0
    if flip:
        alpha, beta = -beta, -alpha
    log_cdf_low, log_cdf_high = float(log_ndtr(alpha)), float(log_ndtr(beta))
    ratio = math.exp(log_cdf_low - log_cdf_high)  # in [0, 1], cannot overflow
    uniform01 = generator.random(shape)
    # log(cdf_low + u (cdf_high - cdf_low)), written so that nothing over- or underflows
    log_cdf = log_cdf_high + np.log(uniform01 + (1.0 - uniform01) * ratio)
    standard = ndtri_exp(log_cdf)
    if flip:
        standard = -standard
        alpha, beta = -beta, -alpha
    np.clip(standard, alpha, beta, out=standard)
    values = (mean + std * standard).astype(DTYPE)
    np.clip(values, low, high, out=values)
    return values


def _fan(shape: tuple[int, ...], mode: str) -> float:
    fan_in, fan_out = compute_fans(shape)
    if mode == "fan_in":
        return float(fan_in)
    if mode == "fan_out":
        return float(fan_out)
    return (fan_in + fan_out) / 2.0


# ------------------------------------------------------------------------ fans and gain


def compute_fans(shape: ShapeLike) -> tuple[int, int]:
    r"""Return ``(fan_in, fan_out)`` of a weight of this shape, by torch's rule.

    The receptive field is the product of the kernel dimensions (1 for a dense layer):

    .. math::
        \text{fan\_in} = \text{in} \times \text{receptive\_field}, \qquad
        \text{fan\_out} = \text{out} \times \text{receptive\_field}

    for a shape ``(out, in, *kernel)``.

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.

    Examples:
        >>> compute_fans((128, 64))          # Linear(64, 128)
        (64, 128)
        >>> compute_fans((16, 3, 5, 5))      # Conv2d(3, 16, kernel_size=5)
        (75, 400)
    """
    dims = _as_shape(shape, min_dims=2)
    receptive_field = math.prod(dims[2:])
    return dims[1] * receptive_field, dims[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""Return the recommended gain for a nonlinearity, the same value as torch's.

    ================= ====================================================
    nonlinearity      gain
    ================= ====================================================
    linear, conv*     :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`\frac{5}{3}`
    relu              :math:`\sqrt{2}` (He et al. 2015)
    leaky_relu        :math:`\sqrt{\frac{2}{1 + \text{negative\_slope}^2}}`
    selu              :math:`\frac{3}{4}`
    ================= ====================================================

    For a self-normalizing network (Klambauer et al. 2017) use ``"linear"``, not
    ``"selu"``: SELU needs weights of variance exactly ``1 / fan_in``.

    Args:
        nonlinearity: one of :data:`NONLINEARITIES`.
        param: the negative slope of ``"leaky_relu"`` (default 0.01); ignored otherwise.
            Must be a real number (not a bool). Unlike torch, NumPy scalars are accepted.

    Examples:
        >>> round(calculate_gain("relu"), 4)
        1.4142
        >>> round(calculate_gain("leaky_relu", 0.2), 4)
        1.3868
        >>> calculate_gain("tanh") == 5 / 3
        True
    """
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        negative_slope = _leaky_relu_slope(param, "param")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    return 3.0 / 4  # selu; found empirically in pytorch/pytorch#50664


# ------------------------------------------------------------------- constant arrays


def zeros(shape: ShapeLike) -> FloatArray:
    """An array of zeros of ``shape`` (a tuple or an int): ``constant(shape, 0.0)``.

    >>> zeros((2, 3)).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    return constant(shape, 0.0)


def ones(shape: ShapeLike) -> FloatArray:
    """An array of ones, ``constant(shape, 1.0)``; for example ``ones(2).tolist() == [1.0, 1.0]``."""
    return constant(shape, 1.0)


def constant(shape: ShapeLike, val: float) -> FloatArray:
    r"""Return an array filled with the value :math:`\text{val}`.

    Args:
        shape: the array's shape (a tuple or an int).
        val: the value to fill the array with.

    Examples:
        >>> constant(3, 0.5).tolist()
        [0.5, 0.5, 0.5]
    """
    dims = _as_shape(shape)
    return np.full(dims, _as_real("val", val, allow_inf=True), dtype=DTYPE)


# ------------------------------------------------------------- plain distributions


def uniform(shape: ShapeLike, a: float = 0.0, b: float = 1.0, rng: RngLike = None) -> FloatArray:
    r"""Return an array of values drawn from the uniform distribution :math:`\mathcal{U}(a, b)`.

    Args:
        shape: the array's shape (a tuple or an int).
        a: the lower bound.
        b: the upper bound, at least ``a``.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = uniform((1000, 100), a=-0.5, b=0.5, rng=0)
        >>> bool(w.min() >= -0.5 and w.max() <= 0.5)
        True
        >>> round(float(w.var()) * 12, 2)    # var of U(a, b) is (b - a)^2 / 12
        1.0
    """
    dims = _as_shape(shape)
    a = _as_real("a", a)
    b = _as_real("b", b)
    if a > b:
        raise ValueError(f"a must be at most b, got a={a!r} > b={b!r}")
    generator = as_rng(rng)
    values = generator.random(dims, dtype=DTYPE)
    values *= DTYPE(b - a)
    values += DTYPE(a)
    return values


def normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, rng: RngLike = None) -> FloatArray:
    r"""Return an array of values drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Args:
        shape: the array's shape (a tuple or an int).
        mean: the mean of the normal distribution.
        std: its standard deviation, non-negative.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = normal((1000, 100), mean=1.0, std=0.1, rng=0)
        >>> round(float(w.mean()), 2), round(float(w.std()), 2)
        (1.0, 0.1)
    """
    dims = _as_shape(shape)
    mean = _as_real("mean", mean)
    std = _as_real("std", std, minimum=0.0)
    return _normal(dims, mean, std, as_rng(rng))


def trunc_normal(
    shape: ShapeLike,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    rng: RngLike = None,
) -> FloatArray:
    r"""Return values drawn from a normal distribution truncated to :math:`[a, b]`.

    The values follow :math:`\mathcal{N}(\text{mean}, \text{std}^2)` conditioned on
    :math:`a \le x \le b`. As in ``torch.nn.init.trunc_normal_``, ``a`` and ``b`` are
    *absolute* bounds, not multiples of ``std``: ``trunc_normal(s, std=0.02)`` cuts at
    :math:`\pm 2`, i.e. not at all. For a cut at two standard deviations pass
    ``a=-2 * std, b=2 * std``.

    When :math:`[a, b]` holds at least 30% of the normal's mass, out-of-range values
    are redrawn (rejection, exact); otherwise they come from the inverse CDF, computed
    in log space so that bounds far in a tail stay accurate.

    Args:
        shape: the array's shape (a tuple or an int).
        mean: the mean of the normal distribution before truncation.
        std: its standard deviation before truncation, positive.
        a: the minimum cutoff value (may be ``-inf``).
        b: the maximum cutoff value (may be ``inf``), at least ``a``.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = trunc_normal((1000, 100), std=1.0, rng=0)
        >>> bool(w.min() >= -2.0 and w.max() <= 2.0)
        True
        >>> round(float(w.std()), 2)   # the std of N(0, 1) truncated at +-2
        0.88
    """
    dims = _as_shape(shape)
    mean = _as_real("mean", mean)
    std = _as_real("std", std, minimum=0.0, strict=True)
    a = _as_real("a", a, allow_inf=True)
    b = _as_real("b", b, allow_inf=True)
    if a > b:
        raise ValueError(f"a must be at most b, got a={a!r} > b={b!r}")
    if a == b and math.isinf(a):
        raise ValueError(f"a and b must not both be {a!r}")
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    if a == b:
        return np.full(dims, a, dtype=DTYPE)
    return _trunc_normal(dims, mean, std, a, b, generator)


# ------------------------------------------------------------------- fan-based rules


def xavier_uniform(shape: ShapeLike, gain: float = 1.0, rng: RngLike = None) -> FloatArray:
    r"""Return an array drawn by the Xavier (Glorot) uniform rule.

    Described in *Understanding the difficulty of training deep feedforward neural
    networks*, Glorot and Bengio (2010). The values are drawn from
    :math:`\mathcal{U}(-b, b)` with

    .. math::
        b = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}},

    so that the variance is :math:`\text{gain}^2 \cdot 2 / (\text{fan\_in} + \text{fan\_out})`.

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        gain: a non-negative scaling factor, e.g. ``calculate_gain("tanh")``.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = xavier_uniform((256, 512), rng=0)
        >>> bound = math.sqrt(6 / (512 + 256))
        >>> bool(np.abs(w).max() <= bound), round(float(np.abs(w).max()) / bound, 3)
        (True, 1.0)
        >>> round(float(w.std()) / math.sqrt(2 / (512 + 256)), 2)
        1.0
    """
    dims = _as_shape(shape, min_dims=2)
    gain = _as_real("gain", gain, minimum=0.0)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    fan_in, fan_out = compute_fans(dims)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform_symmetric(dims, bound, generator)


def xavier_normal(shape: ShapeLike, gain: float = 1.0, rng: RngLike = None) -> FloatArray:
    r"""Return an array drawn by the Xavier (Glorot) normal rule.

    Described in *Understanding the difficulty of training deep feedforward neural
    networks*, Glorot and Bengio (2010). The values are drawn from
    :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}.

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        gain: a non-negative scaling factor.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = xavier_normal((64, 32, 3, 3), rng=0)
        >>> round(float(w.std()) / math.sqrt(2 / (32 * 9 + 64 * 9)), 2)
        1.0
    """
    dims = _as_shape(shape, min_dims=2)
    gain = _as_real("gain", gain, minimum=0.0)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    fan_in, fan_out = compute_fans(dims)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _normal(dims, 0.0, std, generator)


def _kaiming_std(dims: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    check_choice("mode", mode, _KAIMING_MODES)
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity == "leaky_relu":
        # validate `a` under its own name; calculate_gain would call it `param`
        a = _leaky_relu_slope(a, "a")
    gain = calculate_gain(nonlinearity, a)
    fan = _fan(dims, mode)
    return gain / math.sqrt(fan) if fan > 0 else 0.0


def kaiming_uniform(
    shape: ShapeLike,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: RngLike = None,
) -> FloatArray:
    r"""Return an array drawn by the Kaiming (He) uniform rule.

    Described in *Delving deep into rectifiers: Surpassing human-level performance on
    ImageNet classification*, He et al. (2015). The values are drawn from
    :math:`\mathcal{U}(-\text{bound}, \text{bound})` with

    .. math::
        \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}},
        \qquad \text{gain} = \text{calculate\_gain}(\text{nonlinearity}, a).

    The defaults (``a=0``, ``"leaky_relu"``) give the ReLU gain :math:`\sqrt{2}`.

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        a: the negative slope of the rectifier after this layer (only used with
            ``"leaky_relu"``; None means torch's default 0.01).
        mode: ``"fan_in"`` (default) keeps the variance of the activations in the
            forward pass, ``"fan_out"`` that of the gradients in the backward pass.
        nonlinearity: one of :data:`NONLINEARITIES`, best ``"relu"`` or ``"leaky_relu"``.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = kaiming_uniform((256, 512), nonlinearity="relu", rng=0)
        >>> bound = math.sqrt(2) * math.sqrt(3 / 512)
        >>> bool(np.abs(w).max() <= bound), round(float(w.var()) * 512 / 2, 2)
        (True, 1.0)
    """
    dims = _as_shape(shape, min_dims=2)
    std = _kaiming_std(dims, a, mode, nonlinearity)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    return _uniform_symmetric(dims, math.sqrt(3.0) * std, generator)


def kaiming_normal(
    shape: ShapeLike,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: RngLike = None,
) -> FloatArray:
    r"""Return an array drawn by the Kaiming (He) normal rule.

    Described in *Delving deep into rectifiers: Surpassing human-level performance on
    ImageNet classification*, He et al. (2015). The values are drawn from
    :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}},
        \qquad \text{gain} = \text{calculate\_gain}(\text{nonlinearity}, a).

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        a: the negative slope of the rectifier after this layer (only used with
            ``"leaky_relu"``; None means torch's default 0.01).
        mode: ``"fan_in"`` (default) or ``"fan_out"``.
        nonlinearity: one of :data:`NONLINEARITIES`, best ``"relu"`` or ``"leaky_relu"``.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = kaiming_normal((256, 128, 3, 3), mode="fan_out", nonlinearity="relu", rng=0)
        >>> round(float(w.std()), 3), round(math.sqrt(2 / (256 * 9)), 3)   # fan_out = 256 * 3 * 3
        (0.029, 0.029)
    """
    dims = _as_shape(shape, min_dims=2)
    std = _kaiming_std(dims, a, mode, nonlinearity)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    return _normal(dims, 0.0, std, generator)


def lecun_uniform(shape: ShapeLike, rng: RngLike = None) -> FloatArray:
    r"""Return an array drawn by the LeCun uniform rule.

    Described in *Efficient BackProp*, LeCun et al. (1998), and used by
    self-normalizing networks, Klambauer et al. (2017). The values are drawn from
    :math:`\mathcal{U}(-b, b)` with

    .. math::
        b = \sqrt{\frac{3}{\text{fan\_in}}},

    i.e. variance :math:`1 / \text{fan\_in}`. torch has no ``lecun_uniform_``: this
    equals ``kaiming_uniform_(w, nonlinearity="linear")``.

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = lecun_uniform((300, 400), rng=0)
        >>> bool(np.abs(w).max() <= math.sqrt(3 / 400)), round(float(w.var()) * 400, 2)
        (True, 1.0)
    """
    dims = _as_shape(shape, min_dims=2)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    fan_in, _ = compute_fans(dims)
    return _uniform_symmetric(dims, math.sqrt(3.0 / fan_in), generator)


def lecun_normal(shape: ShapeLike, rng: RngLike = None) -> FloatArray:
    r"""Return an array drawn by the LeCun normal rule.

    Described in *Efficient BackProp*, LeCun et al. (1998), and used by
    self-normalizing networks (SELU), Klambauer et al. (2017). The values are drawn
    from :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \frac{1}{\sqrt{\text{fan\_in}}}.

    torch has no ``lecun_normal_``: this equals
    ``kaiming_normal_(w, nonlinearity="linear")``. Keras and JAX's ``lecun_normal``
    draw a *truncated* normal of the same variance instead:
    ``variance_scaling(shape, 1.0, "fan_in", "truncated_normal")``.

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = lecun_normal((300, 400), rng=0)
        >>> round(float(w.std()) * math.sqrt(400), 2)
        1.0
    """
    dims = _as_shape(shape, min_dims=2)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    fan_in, _ = compute_fans(dims)
    return _normal(dims, 0.0, 1.0 / math.sqrt(fan_in), generator)


# ----------------------------------------------------------------- structured rules


def orthogonal(shape: ShapeLike, gain: float = 1.0, rng: RngLike = None) -> FloatArray:
    r"""Return a (semi-)orthogonal matrix, reshaped to ``shape``, times ``gain``.

    Described in *Exact solutions to the nonlinear dynamics of learning in deep linear
    neural networks*, Saxe et al. (2013). As ``torch.nn.init.orthogonal_`` does it:
    flatten to ``(rows, cols) = (shape[0], prod(shape[1:]))``, draw a Gaussian matrix
    :math:`A` of shape ``(max, min)`` of the two, factor :math:`A = QR`, and fix the
    signs,

    .. math::
        W = \text{gain} \times Q \, \operatorname{diag}(\operatorname{sign}(R_{ii})),

    transposed back when ``rows < cols``. Fixing the signs makes :math:`W` uniformly
    (Haar) distributed, Mezzadri (2007). The rows of :math:`W` are orthonormal when
    ``rows <= cols``, its columns when ``rows >= cols`` (times ``gain``).

    Args:
        shape: at least 2 dimensions; dimensions after the first are flattened.
        gain: a scaling factor.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = orthogonal((3, 5), rng=0)
        >>> np.allclose(w @ w.T, np.eye(3), atol=1e-6)
        True
        >>> w = orthogonal((8, 4), gain=2.0, rng=0)
        >>> np.allclose(w.T @ w, 4 * np.eye(4), atol=1e-5)
        True
    """
    dims = _as_shape(shape, min_dims=2)
    gain = _as_real("gain", gain)
    generator = as_rng(rng)
    size = math.prod(dims)
    if size == 0:
        return _empty(dims)
    rows = dims[0]
    cols = size // rows
    gaussian = generator.standard_normal((max(rows, cols), min(rows, cols)), dtype=DTYPE)
    # The QR runs in float64, so the result is orthogonal to float32 precision (powers of
    # it stay exact in chapter 6). SciPy's QR, loaded only here, is faster than
    # numpy.linalg.qr on large matrices: it works in place and skips the finiteness check.
    from scipy.linalg import qr

    q, r = qr(gaussian.astype(np.float64), mode="economic", overwrite_a=True, check_finite=False)
    q *= np.sign(np.diagonal(r))
    if rows < cols:
        q = q.T
    if gain != 1.0:
        q *= DTYPE(gain)
    return np.ascontiguousarray(q, dtype=DTYPE).reshape(dims)


def eye(shape: ShapeLike) -> FloatArray:
    r"""Return the 2-D identity matrix, rectangular allowed, as ``torch.nn.init.eye_``.

    Preserves the identity of the inputs in ``Linear`` layers, where as many inputs
    are preserved as possible; used for recurrent weights by Le et al. (2015).

    Args:
        shape: ``(rows, cols)``, exactly 2 dimensions.

    Examples:
        >>> eye((2, 3)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    dims = _as_shape(shape)
    if len(dims) != 2:
        raise ValueError(f"shape must have exactly 2 dimensions for eye, got {shape!r}")
    return np.eye(dims[0], dims[1], dtype=DTYPE)


def variance_scaling(
    shape: ShapeLike,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    rng: RngLike = None,
) -> FloatArray:
    r"""Return an array whose variance is ``scale / fan``: the one rule behind the others.

    As ``VarianceScaling`` in Keras and ``jax.nn.initializers.variance_scaling``, but
    with torch's layout ``(fan_out, fan_in, *kernel)``. With

    .. math::
        \sigma^2 = \frac{\text{scale}}{n}, \qquad
        n \in \left\{\text{fan\_in},\ \text{fan\_out},\
        \tfrac{\text{fan\_in} + \text{fan\_out}}{2}\right\},

    ``"normal"`` draws :math:`\mathcal{N}(0, \sigma^2)`, ``"uniform"`` draws
    :math:`\mathcal{U}(-\sqrt{3}\sigma, \sqrt{3}\sigma)`, and ``"truncated_normal"``
    draws :math:`\mathcal{N}(0, s^2)` truncated to :math:`[-2s, 2s]` with
    :math:`s = \sigma / 0.8796\ldots` (:data:`TRUNC_NORMAL_STD`), so that the variance
    after truncation is exactly :math:`\sigma^2`.

    ==================================== ===================================
    rule                                 arguments
    ==================================== ===================================
    :func:`xavier_uniform`               ``1, "fan_avg", "uniform"``
    :func:`xavier_normal`                ``1, "fan_avg", "normal"``
    :func:`kaiming_normal` (ReLU)        ``2, "fan_in", "normal"``
    :func:`kaiming_uniform` (ReLU)       ``2, "fan_in", "uniform"``
    :func:`lecun_normal`                 ``1, "fan_in", "normal"``
    :func:`lecun_uniform`                ``1, "fan_in", "uniform"``
    ==================================== ===================================

    Args:
        shape: ``(fan_out, fan_in, *kernel)``, at least 2 dimensions.
        scale: the variance times the fan, positive.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"normal"`` or ``"uniform"``.
        rng: a Generator, an int seed or None.

    Examples:
        >>> w = variance_scaling((256, 512), scale=2.0, rng=0)
        >>> round(float(w.var()) * 512 / 2.0, 2)
        1.0
        >>> s = math.sqrt(2.0 / 512) / TRUNC_NORMAL_STD
        >>> bool(np.abs(w).max() <= 2 * s)
        True
    """
    dims = _as_shape(shape, min_dims=2)
    scale = _as_real("scale", scale, minimum=0.0, strict=True)
    check_choice("mode", mode, _VARIANCE_SCALING_MODES)
    check_choice("distribution", distribution, _DISTRIBUTIONS)
    generator = as_rng(rng)
    if math.prod(dims) == 0:
        return _empty(dims)
    std = math.sqrt(scale / _fan(dims, mode))
    if distribution == "uniform":
        return _uniform_symmetric(dims, math.sqrt(3.0) * std, generator)
    if distribution == "normal":
        return _normal(dims, 0.0, std, generator)
    std /= TRUNC_NORMAL_STD
    return _trunc_normal(dims, 0.0, std, -2.0 * std, 2.0 * std, generator)
