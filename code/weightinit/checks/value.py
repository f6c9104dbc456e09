"""Feedback on a learner's number (or array of numbers): :func:`check_value`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from weightinit.checks._core import Problem, report

__all__ = ["check_value"]


def _value_hint(got: float, expected: float, rtol: float) -> str:
    def near(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=max(rtol, 1e-9), abs_tol=1e-12)

    if expected == 0:
        return "off by more than the absolute tolerance atol"
    ratio = got / expected
    if near(ratio, -1.0):
        return "the sign is wrong"
    if expected > 0 and not near(expected, 1.0):
        if near(got, expected**2):
            return "you gave the square: a variance where a standard deviation belongs?"
        if got > 0 and near(got**2, expected):
            return "you gave the square root: a standard deviation where a variance belongs?"
    for factor, name, cause in (
        (2.0, "2", "a factor 2 in the wrong place?"),
        (math.sqrt(2.0), "sqrt(2)", "a gain? a fan halved?"),
        (math.sqrt(3.0), "sqrt(3)", "a uniform's bound is sqrt(3) times its std"),
        (3.0, "3", "a uniform's variance is bound^2 / 3"),
    ):
        if near(ratio, factor):
            return f"too large by a factor {name}: {cause}"
        if near(ratio, 1 / factor):
            return f"too small by a factor {name}: {cause}"
    return f"off by more than {rtol:.0%}"


def _as_array(got: Any) -> np.ndarray | Problem:
    if got is None:
        return Problem("not yet (got None)")
    try:
        if hasattr(got, "detach"):  # a torch tensor, possibly requiring grad
            got = got.detach().cpu().numpy()
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Problem(f"expected a number, got a {type(got).__name__} ({got!r})")


def _value_problem(got: Any, expected: np.ndarray, rtol: float, atol: float, reveal: bool) -> Problem | None:
    array = _as_array(got)
    if isinstance(array, Problem):
        return array
    if array.shape != expected.shape:
        return Problem(f"shape {array.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(array)):
        return Problem("contains NaN or inf")
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if close.all():
        return None
    if array.ndim == 0:
        reveal_text = f" (expected {float(expected):.4g})" if reveal else ""
        return Problem(
            f"got {float(array):.4g}{reveal_text}", _value_hint(float(array), float(expected), rtol)
        )
    reveal_text = f"; expected {expected.tolist()}" if reveal else ""
    return Problem(
        f"{int(close.size - close.sum())} of {close.size} values are off by more "
        f"than the tolerance{reveal_text}"
    )


def check_value(
    name: str,
    got: Any,
    expected: Any,
    rtol: float = 1e-2,
    atol: float = 0.0,
    *,
    reveal: bool = False,
    verbose: bool = True,
) -> bool:
    r"""Check a learner's numeric answer (a number or an array of numbers).

    Passes when :math:`|\text{got} - \text{expected}| \le \text{atol} + \text{rtol}
    \cdot |\text{expected}|` element-wise (``numpy.isclose``). The default relative
    tolerance of 1% accepts an answer typed with three significant digits. On failure
    it names a likely cause for a single number (a factor 2, :math:`\sqrt{2}`,
    :math:`\sqrt{3}`, a square or square root, the sign) without giving the answer away
    unless ``reveal`` is True. Never raises on the answer: None reads "not yet".

    Args:
        name: what the number is, for the message (e.g. ``"Xavier bound"``).
        got: the learner's answer: a number, NumPy array, or torch tensor.
        expected: the correct value(s).
        rtol: relative tolerance.
        atol: absolute tolerance (use it when ``expected`` may be 0).
        reveal: print the expected value on failure.
        verbose: print the verdict (default True).

    Returns:
        True when the answer is close enough.

    Examples:
        >>> check_value("Xavier bound", 0.0884, (6 / (256 + 512)) ** 0.5)
        ✓ Xavier bound = 0.0884
        True
        >>> check_value("Xavier bound", 0.125, (6 / (256 + 512)) ** 0.5)
        ✗ Xavier bound: got 0.125 — too large by a factor sqrt(2): a gain? a fan halved?
        False
        >>> check_value("bound", None, 0.1)
        ✗ bound: not yet (got None)
        False
    """
    expected_array = np.asarray(expected, dtype=np.float64)
    problem = _value_problem(got, expected_array, rtol, atol, reveal)
    if problem is not None:
        return report(name, [problem], "", verbose)
    if expected_array.ndim == 0:
        return report(name, [], f"{name} = {float(np.asarray(_as_array(got))):.4g}", verbose)
    return report(name, [], f"{name}: all {expected_array.size} values match", verbose)
