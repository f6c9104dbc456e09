"""Feedback on chapter 9's exercise: a learner's NumPy LSUV."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from weightinit.activations import NUMPY_ACTIVATIONS
from weightinit.checks._core import Problem, call, raised, report
from weightinit.validation import check_real

__all__ = ["check_lsuv"]

#: (activation, depth, width, std of the badly scaled weights times sqrt(width))
_CASES = (("tanh", 12, 64, 2.2), ("relu", 15, 48, 0.6), ("elu", 10, 32, 1.7))


def _preactivation_variances(
    weights: Sequence[np.ndarray], inputs: np.ndarray, activation: str
) -> list[float]:
    f = NUMPY_ACTIVATIONS[activation]
    x, variances = inputs, []
    for w in weights:
        z = x @ np.asarray(w, dtype=np.float64).T
        variances.append(float(z.var()))
        x = f(z)
    return variances


def _as_arrays(new: object, originals: list[np.ndarray]) -> list[np.ndarray] | Problem:
    if new is None:
        return Problem("not yet: the function returned None", "return the list of rescaled weights")
    try:
        arrays = [np.asarray(w, dtype=np.float64) for w in new]
    except (TypeError, ValueError):
        return Problem(
            f"expected a list of arrays, got {type(new).__name__}",
            "return [w_1, ..., w_L], one NumPy array per layer",
        )
    if len(arrays) != len(originals) or any(
        w.shape != o.shape for w, o in zip(arrays, originals, strict=False)
    ):
        return Problem(
            f"expected {len(originals)} arrays of shape {originals[0].shape}, got "
            f"{[w.shape for w in arrays]}",
            "one rescaled weight per layer, same shapes",
        )
    return arrays


def _rescaling_problem(new: list[np.ndarray], originals: list[np.ndarray], activation: str) -> Problem | None:
    if not all(np.all(np.isfinite(w)) for w in new):
        return Problem(
            f"with activation={activation!r}, some weights are NaN or inf",
            "a variance of 0 or a division by zero?",
        )
    for index, (w, o) in enumerate(zip(new, originals, strict=True), start=1):
        scale = float(np.sum(w * o) / np.sum(o * o))
        if not scale > 0 or not np.allclose(w, scale * o, rtol=1e-5, atol=1e-12):
            return Problem(
                f"layer {index}'s new weight is not a positive multiple of the old one",
                "LSUV only rescales each weight matrix",
            )
    return None


def _case_problem(
    fn: Callable[..., object], case: tuple, tol: float, rng: np.random.Generator
) -> Problem | None:
    activation, depth, width, std = case
    inputs = rng.standard_normal((512, width))
    weights = [rng.normal(0.0, std / math.sqrt(width), size=(width, width)) for _ in range(depth)]
    originals = [w.copy() for w in weights]
    result, error = call(fn, weights, inputs, activation, tol)
    if error is not None:
        return raised(error, f"activation={activation!r}")
    new = _as_arrays(result, originals)
    if isinstance(new, Problem):
        return new
    if any(not np.array_equal(w, o) for w, o in zip(weights, originals, strict=True)):
        return Problem(
            "the weights passed in were changed in place", "return new arrays (w = w / s, not w /= s)"
        )
    problem = _rescaling_problem(new, originals, activation)
    if problem is not None:
        return problem
    for index, variance in enumerate(_preactivation_variances(new, inputs, activation), start=1):
        if not abs(variance - 1.0) < tol:
            return Problem(
                f"with activation={activation!r}, layer {index} has output variance "
                f"{variance:.3g} (|v - 1| must be < {tol:g})",
                "rescale each layer by the variance of its own output, measured "
                "after the layers before it are fixed",
            )
    return None


def check_lsuv(fn: Callable[..., object], tol: float = 0.1, *, verbose: bool = True) -> bool:
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
    and that the weights given to ``fn`` are left unchanged. Prints ``✓`` or ``✗`` with a
    hint, and returns True or False. Never raises on ``fn``'s mistakes.

    Raises:
        ValueError: if ``tol`` is not a number in (0, 1) (the caller's error).

    Examples:
        >>> def rescale_all_by_the_input_variance(weights, inputs, activation, tol=0.1):
        ...     return [w / np.sqrt(inputs.var()) for w in weights]
        >>> check_lsuv(rescale_all_by_the_input_variance)  # doctest: +NORMALIZE_WHITESPACE
        ✗ LSUV: with activation='tanh', layer 1 has output variance 4.88 (|v - 1| must be
        < 0.1) — rescale each layer by the variance of its own output, measured after the
        layers before it are fixed
        False
    """
    tol = check_real("tol", tol, minimum=0.0, maximum=1.0, strict=True)
    rng = np.random.default_rng(12345)
    problem = next((p for case in _CASES if (p := _case_problem(fn, case, tol, rng))), None)
    passed = (
        f"LSUV: every layer's output variance is within {tol:g} of 1 ({len(_CASES)} "
        "networks: tanh, relu, elu), by rescaling alone"
    )
    return report("LSUV", [problem] if problem else [], passed, verbose)
