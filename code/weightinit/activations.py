"""The activations, in NumPy, and their derivatives (the package's one definition of them).

Examples:
    >>> import numpy as np
    >>> NUMPY_ACTIVATIONS["relu"](np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    >>> value, slope = activation_and_derivative("tanh", np.array([0.0]))
    >>> value.tolist(), slope.tolist()
    ([0.0], [1.0])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from weightinit.validation import check_choice

__all__ = ["NUMPY_ACTIVATIONS", "activation_and_derivative"]

#: Activations by name, applied element-wise to a NumPy array.
NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
}


def activation_and_derivative(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The activation ``name`` at ``x`` and its derivative (torch's convention: relu'(0) = 0)."""
    check_choice("name", name, ("linear", "relu", "tanh"))
    if name == "tanh":
        value = np.tanh(x)
        return value, 1.0 - value**2
    if name == "relu":
        return np.maximum(x, 0.0), (x > 0).astype(float)
    return x, np.ones_like(x)
