r"""PyTorch's, Keras' and JAX's initializers as data: each one a variance-scaling rule.

Every fan-based initializer of the three libraries draws weights of variance

.. math::
    \operatorname{Var}(w) = \frac{\text{scale}}{n}, \qquad
    n \in \left\{\text{fan\_in},\ \text{fan\_out},\
    \tfrac{\text{fan\_in} + \text{fan\_out}}{2}\right\},

from a uniform, a normal, or a normal truncated at two standard deviations and rescaled
by :math:`1 / 0.8796` (:data:`weightinit.scratch.TRUNC_NORMAL_STD`) so that the variance
after truncation is still :math:`\text{scale} / n`. They differ only in the three
arguments of :func:`weightinit.scratch.variance_scaling`. :data:`DEFAULTS` lists them,
one :class:`FrameworkDefault` per row, each with the documentation that states it.

Shapes here are in PyTorch's layout ``(fan_out, fan_in, *kernel)``. Keras and JAX store
a dense kernel as ``(fan_in, fan_out)``; the fans, and so the rule, are the same.

Examples:
    >>> row = find("Keras", "he_normal")
    >>> row.call()
    "variance_scaling(shape, scale=2.0, mode='fan_in', distribution='truncated_normal')"
    >>> round(row.std((256, 512)) ** 2 * 512, 6)   # Var(w) * fan_in
    2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import scratch
from .validation import check_real

__all__ = ["FRAMEWORKS", "FrameworkDefault", "DEFAULTS", "find", "defaults_table"]

#: The libraries in :data:`DEFAULTS`.
FRAMEWORKS: tuple[str, ...] = ("PyTorch", "Keras", "JAX", "Flax")

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


@dataclass(frozen=True)
class FrameworkDefault:
    r"""One initializer of one library, written as a variance-scaling rule.

    Attributes:
        framework: one of :data:`FRAMEWORKS`.
        initializer: the library's own name for it.
        used_by: where the library uses it by default ("" when it is only available).
        scale: variance times the fan.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"uniform"``, ``"normal"`` or ``"truncated_normal"``.
        source: the documentation (or source file) that states the rule.
    """

    framework: str
    initializer: str
    used_by: str
    scale: float
    mode: str
    distribution: str
    source: str

    def __post_init__(self) -> None:
        if self.framework not in FRAMEWORKS:
            raise ValueError(f"framework must be one of {FRAMEWORKS}, got {self.framework!r}")
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {self.mode!r}")
        if self.distribution not in _DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}, got {self.distribution!r}")
        check_real("scale", self.scale, minimum=0.0, strict=True)

    def fan(self, shape: tuple[int, ...]) -> float:
        """The fan this rule divides by, for a weight of ``shape`` (torch's layout)."""
        fan_in, fan_out = scratch.compute_fans(shape)
        return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]

    def std(self, shape: tuple[int, ...]) -> float:
        r"""The standard deviation of the weights, :math:`\sqrt{\text{scale} / n}`."""
        return math.sqrt(self.scale / self.fan(shape))

    def bound(self, shape: tuple[int, ...]) -> float:
        r"""The largest :math:`|w|` the rule can draw.

        :math:`\sqrt{3}\,\sigma` for a uniform, :math:`2\sigma / 0.8796` for the
        truncated normal (two standard deviations of the normal before truncation), and
        infinity for a normal.
        """
        std = self.std(shape)
        if self.distribution == "uniform":
            return math.sqrt(3.0) * std
        if self.distribution == "truncated_normal":
            return 2.0 * std / scratch.TRUNC_NORMAL_STD
        return math.inf

    def sample(self, shape: tuple[int, ...], rng: scratch.RngLike = None) -> np.ndarray:
        """Draw a weight of ``shape`` with :func:`weightinit.scratch.variance_scaling`."""
        return scratch.variance_scaling(
            shape, scale=self.scale, mode=self.mode, distribution=self.distribution, rng=rng
        )

    def call(self) -> str:
        """The :func:`weightinit.scratch.variance_scaling` call this row stands for."""
        scale = "1/3" if math.isclose(self.scale, 1 / 3) else repr(float(self.scale))
        return (
            f"variance_scaling(shape, scale={scale}, mode={self.mode!r}, distribution={self.distribution!r})"
        )


_TORCH_INIT = "https://docs.pytorch.org/docs/stable/nn.init.html"
_JAX = "https://docs.jax.dev/en/latest/_autosummary/jax.nn.initializers.{}.html"
_KERAS_INIT = "https://keras.io/api/layers/initializers/"

#: Every row of the framework table. PyTorch's Linear and Conv default,
#: ``kaiming_uniform_(w, a=math.sqrt(5))``, has gain :math:`\sqrt{2 / (1 + 5)}`, so its
#: bound is :math:`\sqrt{1/3} \sqrt{3 / \text{fan\_in}} = 1 / \sqrt{\text{fan\_in}}`
#: and its variance :math:`1 / (3\,\text{fan\_in})`.
DEFAULTS: tuple[FrameworkDefault, ...] = (
    FrameworkDefault(
        "PyTorch",
        "kaiming_uniform_(w, a=math.sqrt(5))",
        "nn.Linear, nn.Conv1d/2d/3d weights",
        1 / 3,
        "fan_in",
        "uniform",
        "https://docs.pytorch.org/docs/stable/generated/torch.nn.Linear.html",
    ),
    FrameworkDefault("PyTorch", "xavier_uniform_", "", 1.0, "fan_avg", "uniform", _TORCH_INIT),
    FrameworkDefault("PyTorch", "xavier_normal_", "", 1.0, "fan_avg", "normal", _TORCH_INIT),
    FrameworkDefault(
        "PyTorch", "kaiming_uniform_(w, nonlinearity='relu')", "", 2.0, "fan_in", "uniform", _TORCH_INIT
    ),
    FrameworkDefault(
        "PyTorch", "kaiming_normal_(w, nonlinearity='relu')", "", 2.0, "fan_in", "normal", _TORCH_INIT
    ),
    FrameworkDefault(
        "Keras",
        "glorot_uniform",
        "Dense, Conv2D, LSTM kernels",
        1.0,
        "fan_avg",
        "uniform",
        "https://keras.io/api/layers/core_layers/dense/",
    ),
    FrameworkDefault("Keras", "glorot_normal", "", 1.0, "fan_avg", "truncated_normal", _KERAS_INIT),
    FrameworkDefault("Keras", "he_normal", "", 2.0, "fan_in", "truncated_normal", _KERAS_INIT),
    FrameworkDefault("Keras", "he_uniform", "", 2.0, "fan_in", "uniform", _KERAS_INIT),
    FrameworkDefault("Keras", "lecun_normal", "", 1.0, "fan_in", "truncated_normal", _KERAS_INIT),
    FrameworkDefault("Keras", "VarianceScaling()", "", 1.0, "fan_in", "truncated_normal", _KERAS_INIT),
    FrameworkDefault(
        "JAX",
        "jax.nn.initializers.glorot_uniform",
        "",
        1.0,
        "fan_avg",
        "uniform",
        _JAX.format("glorot_uniform"),
    ),
    FrameworkDefault(
        "JAX",
        "jax.nn.initializers.he_normal",
        "",
        2.0,
        "fan_in",
        "truncated_normal",
        _JAX.format("kaiming_normal"),
    ),
    FrameworkDefault(
        "JAX",
        "jax.nn.initializers.lecun_normal",
        "",
        1.0,
        "fan_in",
        "truncated_normal",
        _JAX.format("lecun_normal"),
    ),
    FrameworkDefault(
        "Flax",
        "lecun_normal",
        "flax.linen.Dense, flax.linen.Conv kernels",
        1.0,
        "fan_in",
        "truncated_normal",
        "https://github.com/google/flax/blob/main/flax/linen/linear.py",
    ),
)


def find(framework: str, initializer: str) -> FrameworkDefault:
    """The row of :data:`DEFAULTS` for ``initializer`` of ``framework``.

    Examples:
        >>> find("PyTorch", "xavier_normal_").mode
        'fan_avg'
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    names = tuple(row.initializer for row in DEFAULTS if row.framework == framework)
    for row in DEFAULTS:
        if row.framework == framework and row.initializer == initializer:
            return row
    raise ValueError(f"initializer must be one of {names} for {framework}, got {initializer!r}")


def defaults_table(
    framework: str | None = None, shape: tuple[int, ...] = (256, 512)
) -> list[dict[str, object]]:
    r"""The rows of :data:`DEFAULTS` as dicts, with the std and bound for one ``shape``.

    Args:
        framework: keep only this library's rows (one of :data:`FRAMEWORKS`), or None.
        shape: a weight shape in torch's layout, for the ``std`` and ``bound`` columns;
            the default is a dense layer with 512 inputs and 256 outputs.

    Returns:
        one dict per row: ``framework``, ``initializer``, ``used_by``, ``call`` (the
        variance-scaling call), ``std``, ``bound`` and ``source``.

    Examples:
        >>> for row in defaults_table("Flax"):
        ...     print(row["initializer"], row["call"], round(row["std"] * 512**0.5, 3))
        lecun_normal variance_scaling(shape, scale=1.0, mode='fan_in', distribution='truncated_normal') 1.0
    """
    if framework is not None and framework not in FRAMEWORKS:
        raise ValueError(f"framework must be None or one of {FRAMEWORKS}, got {framework!r}")
    scratch.compute_fans(shape)  # validates the shape
    return [
        {
            "framework": row.framework,
            "initializer": row.initializer,
            "used_by": row.used_by,
            "call": row.call(),
            "std": row.std(shape),
            "bound": row.bound(shape),
            "source": row.source,
        }
        for row in DEFAULTS
        if framework is None or row.framework == framework
    ]
