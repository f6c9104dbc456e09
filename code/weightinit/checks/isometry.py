"""Feedback on chapter 10's exercise: a learner's delta-orthogonal kernel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from weightinit.checks._core import Problem, call, raised, report

__all__ = ["check_delta_orthogonal"]

_SHAPES = ((16, 8, 3, 3), (8, 8, 5, 5), (12, 4, 3), (6, 6, 3, 3, 3), (10, 6, 4, 4))
_PASSED = "delta-orthogonal: zero but for an orthogonal centre tap, times gain, Haar-distributed, seeded"


def _centre(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple((k - 1) // 2 for k in shape[2:])


def _kernel(fn: Callable[..., object], shape: tuple[int, ...], **kwargs: Any) -> np.ndarray | Problem:
    """``fn(shape, **kwargs)`` as a float array of the right shape without NaN, or the problem."""
    result, error = call(fn, shape, **kwargs)
    where = f"fn({shape}, " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    if error is not None:
        return raised(error, where)
    if result is None:
        return Problem("not yet: the function returned None", "return the kernel as an array")
    try:
        kernel = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        return Problem(f"expected a NumPy array, got {type(result).__name__}", "return np.ndarray")
    if kernel.shape != shape:
        return Problem(
            f"{where} returned shape {kernel.shape}", "the layout is (out_channels, in_channels, *kernel)"
        )
    if not np.all(np.isfinite(kernel)):
        return Problem(f"{where} contains NaN or inf", "check the QR factorization's input")
    return kernel


def _structure_problem(kernel: np.ndarray, shape: tuple[int, ...], gain: float) -> Problem | None:
    """Zero outside the centre tap; a centre with orthonormal columns times gain."""
    index = (slice(None), slice(None), *_centre(shape))
    centre = kernel[index].copy()
    kernel[index] = 0.0
    if np.any(kernel != 0):
        return Problem(
            f"fn{shape} has nonzero taps outside the centre {_centre(shape)}",
            "only the centre tap (k - 1) // 2 may be nonzero",
        )
    gram = centre.T @ centre
    if np.allclose(gram, gain**2 * np.eye(shape[1]), atol=1e-4 * max(1.0, gain**2)):
        return None
    if np.allclose(gram, np.eye(shape[1]), atol=1e-4):
        hint = "multiply the orthogonal matrix by gain"
    else:
        hint = (
            "the centre's columns must be orthonormal (times gain): use the Q of a QR "
            "factorization of a Gaussian (out, in) matrix"
        )
    return Problem(f"with gain={gain}, fn{shape}'s centre W_c has W_c.T @ W_c != gain**2 * I", hint)


def _shapes_problem(fn: Callable[..., object]) -> Problem | None:
    for shape in _SHAPES:
        for gain in (1.0, 2.5):
            kernel = _kernel(fn, shape, gain=gain, rng=0)
            if isinstance(kernel, Problem):
                return kernel
            problem = _structure_problem(kernel, shape, gain)
            if problem is not None:
                return problem
    return None


def _seeding_problem(fn: Callable[..., object]) -> Problem | None:
    shape = _SHAPES[0]
    first, again, other = (_kernel(fn, shape, rng=seed) for seed in (0, 0, 1))
    problem = next((k for k in (first, again, other) if isinstance(k, Problem)), None)
    if problem is not None:
        return problem
    if not np.array_equal(first, again):
        return Problem(
            f"fn({shape}, rng=0) gives a different array each call",
            "build the generator from rng (np.random.default_rng(rng))",
        )
    if np.array_equal(first, other):
        return Problem(
            f"fn({shape}, rng=0) and fn({shape}, rng=1) are equal", "draw the orthogonal matrix with rng"
        )
    return None


def _haar_problem(fn: Callable[..., object]) -> Problem | None:
    diagonals = []
    for seed in range(100):
        kernel = _kernel(fn, (8, 8, 3, 3), rng=seed)
        if isinstance(kernel, Problem):
            return kernel
        diagonals.append(np.diagonal(kernel[:, :, 1, 1]))
    mean_diagonal = float(np.mean(diagonals))
    if abs(mean_diagonal) > 0.1:
        return Problem(
            f"the centre's diagonal averages {mean_diagonal:.2f} over 100 seeds (0 for "
            "a uniformly distributed orthogonal matrix)",
            "multiply Q's columns by the signs of R's diagonal (Mezzadri 2007)",
        )
    return None


def check_delta_orthogonal(fn: Callable[..., object], *, verbose: bool = True) -> bool:
    r"""Check a learner's ``fn(shape, gain=1.0, rng=None) -> numpy array`` against
    :func:`weightinit.isometry.delta_orthogonal`.

    Runs ``fn`` on Conv1d, Conv2d and Conv3d shapes, with ``in < out`` and ``in = out``,
    and requires, in order: an array of the requested shape without NaN; zeros at every
    tap but the centre ``(k - 1) // 2``; a centre with orthonormal columns times ``gain``,

    .. math::
        W_c^\top W_c = \text{gain}^2 I_\text{in};

    equal seeds giving equal arrays and different seeds different ones; and a centre that
    is uniformly distributed (the sign fix of Mezzadri 2007: the mean of its diagonal over
    100 seeds is near 0). Prints ``✓`` or ``✗`` with a hint, and returns True or False.
    Never raises on ``fn``'s mistakes.

    Examples:
        >>> def identity_centre(shape, gain=1.0, rng=None):
        ...     w = np.zeros(shape)
        ...     w[(slice(None), slice(None), *[(k - 1) // 2 for k in shape[2:]])] = gain * np.eye(*shape[:2])
        ...     return w
        >>> check_delta_orthogonal(identity_centre)  # doctest: +NORMALIZE_WHITESPACE
        ✗ delta-orthogonal: fn((16, 8, 3, 3), rng=0) and fn((16, 8, 3, 3), rng=1) are equal
        — draw the orthogonal matrix with rng
        False
    """
    problem = _shapes_problem(fn) or _seeding_problem(fn) or _haar_problem(fn)
    return report("delta-orthogonal", [problem] if problem else [], _PASSED, verbose)
