"""Feedback on chapter 8's exercise: Fixup's scale of the residual branches."""

from __future__ import annotations

import math
from collections.abc import Callable

from weightinit.checks._core import Problem, call, raised, report

__all__ = ["check_fixup_scale"]

_CASES = ((1, 2), (16, 2), (100, 2), (16, 3), (81, 3), (64, 4))


def _fixup_scale(num_blocks: int, layers_per_branch: int) -> float:
    return num_blocks ** (-1 / (2 * layers_per_branch - 2))


def _fixup_hint(value: float, num_blocks: int, m: int) -> str:
    expected = _fixup_scale(num_blocks, m)
    hints = [
        (num_blocks**-0.5, "the exponent must depend on layers_per_branch: -1/(2m-2)"),
        (expected**2, "that is the factor on the variance; Fixup scales the weights (std)"),
        (1 / expected, "check the sign of the exponent: deeper networks need smaller weights"),
        (num_blocks ** (-1 / (2 * m)), "the exponent is -1/(2m-2), not -1/(2m)"),
    ]
    return next((h for v, h in hints if math.isclose(value, v, rel_tol=1e-6)), "")


def _fixup_problem(fn: Callable[[int, int], float]) -> Problem | None:
    for num_blocks, m in _CASES:
        got, error = call(fn, num_blocks, m)
        if error is not None:
            return raised(error, f"fn({num_blocks}, {m})")
        try:
            value = float(got)
        except (TypeError, ValueError):
            return Problem(
                f"fn({num_blocks}, {m}) returned {got!r}, expected a number",
                "return L ** (-1 / (2 * m - 2)) as a float",
            )
        expected = _fixup_scale(num_blocks, m)
        if not math.isclose(value, expected, rel_tol=1e-6):
            return Problem(
                f"fn({num_blocks}, {m}) = {value:.4g}, expected {expected:.4g}",
                _fixup_hint(value, num_blocks, m),
            )
    return None


def check_fixup_scale(fn: Callable[[int, int], float], *, verbose: bool = True) -> bool:
    r"""Check a learner's ``fn(num_blocks, layers_per_branch)`` against Fixup's
    :math:`L^{-1/(2m-2)}` (:func:`weightinit.residual.fixup_scale`).

    Prints ``✓`` or ``✗`` with a hint for the first mistake found (the variance instead of
    the std, a sign, an exponent that ignores :math:`m`). Never raises.

    Returns:
        True when ``fn`` agrees with :math:`L^{-1/(2m-2)}` on every case tried.

    Examples:
        >>> check_fixup_scale(lambda num_blocks, layers_per_branch: num_blocks ** -0.5)
        ... # doctest: +NORMALIZE_WHITESPACE
        ✗ fixup scale: fn(16, 3) = 0.25, expected 0.5 — the exponent must depend on
        layers_per_branch: -1/(2m-2)
        False
        >>> check_fixup_scale(_fixup_scale)
        ✓ fixup scale: L ** (-1/(2m-2)) for all 6 cases (L, m)
        True
    """
    problem = _fixup_problem(fn)
    passed = f"fixup scale: L ** (-1/(2m-2)) for all {len(_CASES)} cases (L, m)"
    return report("fixup scale", [problem] if problem else [], passed, verbose)
