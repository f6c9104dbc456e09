"""Argument checks shared by the package, on the model of scikit-learn's ``check_scalar``.

Every public function of the package validates its arguments with these, so that bad
input gets one kind of error everywhere: a :class:`ValueError` that names the argument,
the value given and what is allowed. Python and NumPy integers are both accepted as
integers, ``bool`` never is (``True`` is not a width).

Examples:
    >>> import numpy as np
    >>> check_int("width", np.int64(64))
    64
    >>> check_int("width", 0)
    Traceback (most recent call last):
        ...
    ValueError: width must be a positive integer, got 0
    >>> check_real("std", 0.0, minimum=0.0, strict=True)
    Traceback (most recent call last):
        ...
    ValueError: std must be a finite number > 0.0, got 0.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = ["check_int", "check_real", "check_choice", "check_seed"]


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if maximum is not None:
        low = "" if minimum is None else f"{minimum} <= "
        return f"an integer {low}n <= {maximum}"
    if minimum == 0:
        return "a non-negative integer"
    if minimum == 1:
        return "a positive integer"
    return "an integer" if minimum is None else f"an integer >= {minimum}"


def check_int(
    name: str, value: object, *, minimum: int | None = 1, maximum: int | None = None, allow_none: bool = False
) -> int | None:
    """``value`` as an ``int``, if it is a Python or NumPy integer in [minimum, maximum].

    With ``allow_none``, None is accepted too (and returned).

    Raises:
        ValueError: naming ``name``, ``value`` and the allowed range, otherwise.
    """
    if allow_none and value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        allowed = _int_range(minimum, maximum) + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def check_seed(name: str, value: object) -> int:
    """A seed: a non-negative Python or NumPy integer."""
    return check_int(name, value, minimum=0)


def check_real(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    allow_inf: bool = False,
) -> float:
    """``value`` as a ``float``, if it is a real number (not a bool, not NaN) in range.

    Args:
        minimum, maximum: bounds, inclusive unless ``strict`` (then both are exclusive).
        allow_inf: accept infinities (within the bounds).
    """
    allowed = "a finite number" if not allow_inf else "a number"
    if minimum is not None and maximum is not None:
        brackets = "()" if strict else "[]"
        allowed += f" in {brackets[0]}{minimum}, {maximum}{brackets[1]}"
    elif minimum is not None:
        allowed += f" {'>' if strict else '>='} {minimum}"
    elif maximum is not None:
        allowed += f" {'<' if strict else '<='} {maximum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    number = float(value)
    below = minimum is not None and (number <= minimum if strict else number < minimum)
    above = maximum is not None and (number >= maximum if strict else number > maximum)
    if math.isnan(number) or (math.isinf(number) and not allow_inf) or below or above:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def check_choice(name: str, value: object, valid: Sequence[str]) -> str:
    """``value``, if it is one of the strings ``valid``."""
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"{name} must be one of {tuple(valid)}, got {value!r}")
    return value
