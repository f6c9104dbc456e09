r"""Feedback on a learner's own initializer (the scratch signature ``fn(shape, rng=None)``).

The exercises of the course ask learners to write an initialization rule themselves.
The functions here run what they wrote, compare it with the course's reference, print a
short verdict with a hint for each mistake, and return True or False, so that a notebook
can ``assert`` the solution passes. They never raise on the learner's mistakes (an
exception inside the learner's code is reported, not propagated); they raise
:class:`ValueError` only for the caller's own errors, such as an unknown reference.

- :func:`check_initializer` checks a function with the scratch signature
  ``fn(shape, rng=None) -> numpy.ndarray`` against a rule of :mod:`weightinit.scratch`.
- :func:`check_value` checks a number (or an array of numbers).
- :func:`check_forget_bias` checks a function that sets an LSTM's forget-gate bias
  (it imports torch when called; importing this module does not).

How :func:`check_initializer` decides, in order (a problem in steps 1 to 4 stops it):

1. the function runs (an exception is reported with its type and message);
2. it returns a float NumPy array (``None``, the stub's answer, reads "not yet");
3. of the requested shape (a transposed shape is named as such);
4. without NaN or inf;
5. equal seeds give equal arrays, different seeds different ones (``rng`` is used);
6. the mean, 7. the standard deviation (per shape, so a wrong fan shows up as a ratio
   that changes with the shape), 8. the distribution's shape (excess kurtosis: -1.2 for
   a uniform, 0 for a normal), bounds, truncation and clipping, and 9. for
   ``"orthogonal"``, orthogonality and the sign fix that makes it uniformly distributed.

The statistics compare the learner's values with samples from the reference rule drawn
with other seeds, on shapes holding about 220,000 values per seed: the standard error of
a std ratio is about 1% on the smallest default shape, so the ±10% tolerance is several
standard errors wide, and the kurtosis is known to about ±0.01.

Examples:
    >>> import numpy as np
    >>> def my_xavier_uniform(shape, rng=None):
    ...     rng = np.random.default_rng(rng)
    ...     receptive_field = int(np.prod(shape[2:]))
    ...     fan_in, fan_out = shape[1] * receptive_field, shape[0] * receptive_field
    ...     bound = np.sqrt(6 / (fan_in + fan_out))
    ...     return rng.uniform(-bound, bound, size=shape)
    >>> check_initializer(my_xavier_uniform, "xavier_uniform")
    ✓ xavier_uniform: all 9 checks passed (4 shapes, seeds (0, 1))
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from weightinit import scratch
from weightinit.checks._core import Check, Problem, call, raised, verdict
from weightinit.checks._scale_hints import (
    MATCH_TOLERANCE,
    constant_hint,
    distribution_family,
    scale_hypotheses,
    shape_text,
)

__all__ = ["REFERENCES", "DEFAULT_SHAPES", "check_initializer"]

#: Scratch rules :func:`check_initializer` can compare with (the random ones).
REFERENCES: tuple[str, ...] = tuple(
    "uniform normal trunc_normal xavier_uniform xavier_normal kaiming_uniform kaiming_normal "
    "lecun_uniform lecun_normal orthogonal variance_scaling".split()
)

#: Dense and convolutional shapes, none square, so that fan_in and fan_out differ.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = (
    (256, 512),
    (512, 128),
    (64, 32, 3, 3),
    (32, 16, 5),
)

_SCALE_TOLERANCE = 0.10  # the std ratio must lie in [0.9, 1.1]
_KURTOSIS_TOLERANCE = 0.3  # a uniform is at -1.2, a normal at 0, +-2 sd truncation -0.63
_MIN_REFERENCE_VALUES = 20_000
_REFERENCE_SEED = 1_000_003
_HAAR_Z_LIMIT = 6.0


def _exception_problem(error: BaseException, shape: tuple[int, ...], rng: object, dense_ok: bool) -> Problem:
    message = str(error)
    if isinstance(error, TypeError) and "rng" in message and "argument" in message:
        hint = "it must accept rng as a keyword argument: def f(shape, rng=None)"
    elif isinstance(error, AttributeError) and "'int'" in message:
        hint = "rng may be an int seed, a Generator or None: start with rng = np.random.default_rng(rng)"
    elif isinstance(error, ZeroDivisionError):
        hint = "a division by zero: check the fans, fan_in = shape[1] * prod(shape[2:])"
    elif dense_ok and len(shape) > 2:
        hint = (
            "it works on dense shapes but not on a conv shape (out, in, *kernel): "
            "the receptive field is prod(shape[2:])"
        )
    else:
        hint = f"call fn({shape_text(shape)}, rng=0) yourself to see the traceback"
    return raised(error, f"for shape {shape_text(shape)}, rng={rng!r}", hint)


def _as_array_problem(result: Any, shape: tuple[int, ...]) -> Problem | None:
    if result is None:
        return Problem(
            "not yet: your function returned None",
            "fill in its body so that it returns a NumPy array of shape `shape`",
        )
    if type(result).__module__.split(".")[0] == "torch":
        return Problem(
            f"your function returned a {type(result).__name__}, not a NumPy array",
            "build the array with NumPy (rng.uniform, rng.normal) and return it",
        )
    if isinstance(result, (int, float, np.generic)) and not isinstance(result, np.ndarray):
        return Problem(
            f"your function returned a single number ({result!r})",
            "pass size=shape to the generator: rng.uniform(-b, b, size=shape)",
        )
    if not isinstance(result, np.ndarray):
        return Problem(
            f"your function returned a {type(result).__name__}, not a NumPy array",
            "return a numpy.ndarray, e.g. rng.normal(0, std, size=shape)",
        )
    if not np.issubdtype(result.dtype, np.floating):
        return Problem(
            f"the array has dtype {result.dtype}, not a float dtype",
            "weights are real numbers: draw them with rng.uniform or rng.normal "
            "(rng.integers draws integers)",
        )
    return None


def _shape_problem(array: np.ndarray, shape: tuple[int, ...]) -> Problem | None:
    if array.shape == shape:
        return None
    got = shape_text(array.shape)
    swapped = (shape[1], shape[0], *shape[2:])
    if array.shape == swapped or array.shape == shape[::-1]:
        return Problem(
            f"transposed: shape {got} for shape {shape_text(shape)}",
            "torch's layout is (fan_out, fan_in, *kernel); draw with size=shape "
            "(Keras and JAX store a dense kernel the other way round)",
        )
    if array.size == math.prod(shape):
        return Problem(
            f"shape {got} instead of {shape_text(shape)} (same number of values)",
            "draw with size=shape (or reshape(shape))",
        )
    return Problem(
        f"shape {got} instead of {shape_text(shape)}", "return an array of the requested shape: size=shape"
    )


# ---------------------------------------------------------------------- statistics


def _kurtosis(values: np.ndarray) -> float:
    """Excess kurtosis of already standardized values: -1.2 uniform, 0 normal."""
    return float(np.mean(values**4) - 3.0)


def _standardize(array: np.ndarray) -> np.ndarray:
    flat = array.ravel()
    return (flat - flat.mean()) / flat.std()


def _mean_problem(shapes, got, ref) -> Problem | None:
    for shape, values, reference in zip(shapes, got, ref, strict=True):
        n = values.size
        difference = abs(values.mean() - reference.mean())
        tolerance = 0.1 * reference.std() + 6 * values.std() / math.sqrt(n)
        if difference <= tolerance:
            continue
        message = (
            f"mean {values.mean():.3g} where the rule's is {reference.mean():.3g} (shape {shape_text(shape)})"
        )
        if values.min() >= 0 and reference.min() < 0:
            hint = (
                "all values are >= 0: U(0, b) instead of U(-b, b)? rng.random() and "
                "rng.uniform(0, b) draw from [0, b)"
            )
        else:
            hint = "the rule is centred at its mean: rng.normal(mean, std) / rng.uniform(-b, b), no shift"
        return Problem(message, hint)
    return None


def _scale_problem(reference, kwargs, shapes, got, ref) -> Problem | None:
    got_stds = [float(v.std()) for v in got]
    ref_stds = [float(r.std()) for r in ref]
    for shape, std in zip(shapes, got_stds, strict=True):
        if std == 0:
            return Problem(
                f"all values are equal on shape {shape_text(shape)} (std 0)",
                "every unit would compute the same thing: draw random values",
            )
    ratios = [g / r for g, r in zip(got_stds, ref_stds, strict=True)]
    if all(abs(r - 1) <= _SCALE_TOLERANCE for r in ratios):
        return None
    low, high = min(ratios), max(ratios)
    if high / low < 1 + MATCH_TOLERANCE:
        mean_ratio = math.exp(np.mean(np.log(ratios)))
        message = f"the std is {mean_ratio:.2f}x the rule's on every shape (variance {mean_ratio**2:.2f}x)"
    else:
        worst = max(range(len(ratios)), key=lambda i: abs(math.log(ratios[i])))
        message = (
            f"the std is {low:.2f}x to {high:.2f}x the rule's, depending on the shape "
            f"({ratios[worst]:.2f}x on {shape_text(shapes[worst])})"
        )
    best, best_error = None, MATCH_TOLERANCE
    for hypothesis in scale_hypotheses(reference, kwargs, shapes, ref_stds):
        error = max(abs(r / p - 1) for r, p in zip(ratios, hypothesis.ratios, strict=True))
        if error < best_error:
            best, best_error = hypothesis, error
    if best is not None:
        return Problem(message, best.hint)
    if high / low < 1 + MATCH_TOLERANCE:
        hint = constant_hint(reference, float(np.mean(ratios)) ** 2)
    else:
        hint = (
            "a ratio that changes with the shape points at the fan: fan_in = shape[1] * "
            "prod(shape[2:]), fan_out = shape[0] * prod(shape[2:]); check fan_out vs "
            "fan_in, a missing gain, std vs variance"
        )
    return Problem(message, hint)


def _distribution_problems(reference, kwargs, shapes, got, ref, scale_ok: bool) -> list[Problem]:
    family = distribution_family(reference, kwargs)
    for shape, values in zip(shapes, got, strict=True):
        low, high = values.min(), values.max()
        at_bounds = np.count_nonzero(values == low) + np.count_nonzero(values == high)
        if at_bounds > max(10, 0.002 * values.size):
            return [
                Problem(
                    f"{at_bounds} values pile up at the extremes {low:.3g} and {high:.3g} "
                    f"(shape {shape_text(shape)})",
                    "np.clip is not truncation: redraw the values outside the interval instead"
                    if family == "truncated"
                    else "the rule does not clip: keep the values as drawn",
                )
            ]
    if family == "truncated":
        bounds = _bounds_problem(shapes, got, ref, truncated=True)
        if bounds is not None:
            return [bounds]
    got_kurtosis = _kurtosis(np.concatenate([_standardize(v) for v in got]))
    ref_kurtosis = _kurtosis(np.concatenate([_standardize(r) for r in ref]))
    numbers = f"(excess kurtosis {got_kurtosis:.2f}, the rule's {ref_kurtosis:.2f})"
    if abs(got_kurtosis - ref_kurtosis) <= _KURTOSIS_TOLERANCE:
        if family == "uniform" and scale_ok:
            bounds = _bounds_problem(shapes, got, ref, truncated=False)
            if bounds is not None:
                return [bounds]
        return []
    if family == "uniform" and got_kurtosis > -0.7:
        return [
            Problem(
                f"the values look normal, the rule is uniform {numbers}",
                "draw rng.uniform(-bound, bound, size=shape) with bound = sqrt(3) * std",
            )
        ]
    if family in ("normal", "truncated") and got_kurtosis < -0.9:
        return [
            Problem(
                f"the values look uniform, the rule is a normal {numbers}",
                "draw rng.normal(0, std, size=shape); a uniform has kurtosis -1.2, a normal 0",
            )
        ]
    if family == "normal" and got_kurtosis < ref_kurtosis:
        return [
            Problem(
                f"the values look truncated, the rule is a plain normal {numbers}",
                "draw rng.normal(0, std, size=shape) and keep the tails",
            )
        ]
    name = {"uniform": "uniform", "normal": "a normal", "truncated": "a truncated normal"}
    return [
        Problem(
            f"the values are not distributed like the rule's {numbers}",
            f"the rule is {name[family]}: compare your histogram with weightinit.scratch.{reference}'s",
        )
    ]


def _bounds_problem(shapes, got, ref, truncated: bool) -> Problem | None:
    """Values beyond the reference's support (by 1% of its width), or None."""
    for shape, values, reference_values in zip(shapes, got, ref, strict=True):
        low, high = reference_values.min(), reference_values.max()
        slack = 0.01 * (high - low)
        if values.min() >= low - slack and values.max() <= high + slack:
            continue
        interval = f"[{low:.3g}, {high:.3g}]"
        if truncated:
            return Problem(
                f"values outside the truncation interval {interval} (shape {shape_text(shape)})",
                "a truncated normal redraws (rejects) the values outside [a, b]; plain rng.normal does not",
            )
        return Problem(
            f"values outside the rule's bounds {interval} (shape {shape_text(shape)})",
            "a uniform rule draws from U(-bound, bound) and nothing beyond",
        )
    return None


def _orthogonal_problem(kwargs, shapes, arrays_by_shape) -> Problem | None:
    gain = float(kwargs.get("gain", 1.0))
    trace_sum, trace_variance = 0.0, 0.0
    for shape, arrays in zip(shapes, arrays_by_shape, strict=True):
        for array in arrays:
            matrix = array.reshape(shape[0], -1).astype(np.float64)
            rows, cols = matrix.shape
            gram = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
            deviation = float(np.abs(gram - gain**2 * np.eye(min(rows, cols))).max())
            if deviation > 1e-3 * max(gain**2, 1e-12):
                side = "rows" if rows <= cols else "columns"
                return Problem(
                    f"not orthogonal: the {side} of the flattened {rows}x{cols} matrix are not "
                    f"orthonormal (max |gram - gain^2 I| = {deviation:.2g}, shape "
                    f"{shape_text(shape)})",
                    "take Q from q, r = np.linalg.qr(A) of a Gaussian A of shape (max, min) of "
                    "(rows, cols), transpose it when rows < cols, and multiply by gain",
                )
            if gain != 0:
                trace_sum += float(np.trace(matrix)) / gain
                trace_variance += min(rows, cols) / max(rows, cols)
    z = trace_sum / math.sqrt(trace_variance) if trace_variance else 0.0
    if abs(z) > _HAAR_Z_LIMIT:
        return Problem(
            f"orthogonal, but not uniformly distributed: the diagonal is biased (z = {z:.1f})",
            "multiply Q's columns by np.sign(np.diag(r)), as torch does (Mezzadri 2007)",
        )
    return None


# ---------------------------------------------------------------------- the checks


def _reference_samples(
    reference: str, kwargs: dict[str, Any], shapes: list[tuple[int, ...]]
) -> list[list[np.ndarray]]:
    rule = getattr(scratch, reference)
    samples = []
    for index, shape in enumerate(shapes):
        size = max(math.prod(shape), 1)
        repeats = min(8, max(1, math.ceil(_MIN_REFERENCE_VALUES / size)))
        try:
            samples.append(
                [
                    np.asarray(rule(shape, rng=_REFERENCE_SEED + 100 * index + k, **kwargs), dtype=np.float64)
                    for k in range(repeats)
                ]
            )
        except Exception as error:  # the caller's arguments, not the learner's code
            raise ValueError(
                f"reference {reference!r} rejects shape {shape!r} with arguments {kwargs!r}: {error}"
            ) from error
    return samples


@dataclass
class _State:
    """What the checks of one :func:`check_initializer` call share."""

    fn: Callable[..., Any]
    reference: str
    kwargs: dict[str, Any]
    shapes: list[tuple[int, ...]]
    seeds: list[int]
    references: list[list[np.ndarray]]
    results: list[list[Any]] = field(default_factory=list)  # per shape: one per seed, then seed 0 again
    int_seed_error: BaseException | None = None
    scale_ok: bool = True

    def rng_for(self, seed: int) -> object:
        return np.random.default_rng(seed) if self.int_seed_error else seed

    @cached_property
    def got(self) -> list[np.ndarray]:
        """Per shape, the learner's values over all seeds (float64, flattened)."""
        return [
            np.concatenate([np.ravel(r) for r in results[:-1]]).astype(np.float64) for results in self.results
        ]

    @cached_property
    def ref(self) -> list[np.ndarray]:
        return [np.concatenate([r.ravel() for r in samples]) for samples in self.references]


def _call_once(
    state: _State, shape: tuple[int, ...], seed: int, dense_ok: bool
) -> tuple[Any, Problem | None]:
    result, error = call(state.fn, shape, rng=state.rng_for(seed))
    if error is None:
        return result, None
    if state.int_seed_error is None and isinstance(error, AttributeError | TypeError):
        result, second = call(state.fn, shape, rng=np.random.default_rng(seed))
        if second is None:  # an int seed fails, a Generator works: reported by _rng_used
            state.int_seed_error = error
            return result, None
    return None, _exception_problem(error, shape, state.rng_for(seed), dense_ok)


def _runs(state: _State) -> Problem | None:
    """1. The function runs on every shape and seed (and once more with the first seed)."""
    for index, shape in enumerate(state.shapes):
        # earlier shapes all ran, so a dense one among them means dense shapes work
        dense_ok = any(len(earlier) == 2 for earlier in state.shapes[:index])
        results = []
        for seed in [*state.seeds, state.seeds[0]]:
            result, problem = _call_once(state, shape, seed, dense_ok)
            if problem is not None:
                return problem
            results.append(result)
        state.results.append(results)
    return None


def _each_result(
    find: Callable[[Any, tuple[int, ...]], Problem | None],
) -> Callable[[_State], Problem | None]:
    """A check that applies ``find(result, shape)`` to every result, and stops at the first problem."""

    def check(state: _State) -> Problem | None:
        pairs = (
            (r, shape) for shape, results in zip(state.shapes, state.results, strict=True) for r in results
        )
        return next((p for r, shape in pairs if (p := find(r, shape)) is not None), None)

    return check


_NAN_HINT = "a 0 / 0, a division by a zero fan, or the sqrt of a negative number? check the fans"


def _finite(state: _State) -> Problem | None:
    """4. Without NaN or inf."""
    for shape, results in zip(state.shapes, state.results, strict=True):
        bad = sum(int(np.count_nonzero(~np.isfinite(result))) for result in results)
        if bad:
            return Problem(f"{bad} NaN or inf values for shape {shape_text(shape)}", _NAN_HINT)
    return None


def _rng_used(state: _State) -> Problem | None:
    """5. ``rng`` accepts an int seed, and equal seeds give equal arrays."""
    if state.int_seed_error is not None:
        error = state.int_seed_error
        return Problem(
            f"an int seed fails ({type(error).__name__}: {error}), a Generator works",
            "rng may be an int seed, a Generator or None: start with rng = np.random.default_rng(rng)",
        )
    for shape, results in zip(state.shapes, state.results, strict=True):
        if not np.array_equal(results[0], results[-1]):
            return Problem(
                f"the same seed gave different arrays (shape {shape_text(shape)}): your function ignores rng",
                "draw from the generator you are given: rng = np.random.default_rng(rng), "
                "then rng.uniform(...) / rng.normal(...); np.random.default_rng() without "
                "rng, or np.random.uniform(...), ignore it",
            )
    return None


_OWN_SEED_HINT = (
    "your function ignores rng and seeds its own generator (np.random.default_rng(0)?): "
    "use np.random.default_rng(rng)"
)


def _seeds_differ(state: _State) -> Problem | None:
    """6. Different seeds give different arrays."""
    first = state.seeds[0]
    index, second = next((i, s) for i, s in enumerate(state.seeds) if s != first)
    for shape, results in zip(state.shapes, state.results, strict=True):
        if np.array_equal(results[0], results[index]):
            where = f"(shape {shape_text(shape)})"
            return Problem(f"seeds {first} and {second} gave the same array {where}", _OWN_SEED_HINT)
    return None


def _mean(state: _State) -> Problem | None:
    """7. The mean."""
    return _mean_problem(state.shapes, state.got, state.ref)


def _scale(state: _State) -> Problem | None:
    """8. The standard deviation, shape by shape."""
    problem = _scale_problem(state.reference, state.kwargs, state.shapes, state.got, state.ref)
    state.scale_ok = problem is None
    return problem


def _distribution(state: _State) -> list[Problem]:
    """9. The distribution's shape: kurtosis, bounds, truncation, clipping."""
    got = state.got
    if not all(v.std() > 0 for v in got):
        return []  # all-equal values: reported by the std check
    return _distribution_problems(
        state.reference, state.kwargs, state.shapes, got, state.ref, scale_ok=state.scale_ok
    )


def _orthogonal(state: _State) -> Problem | None:
    """10. For "orthogonal": orthogonality, and the sign fix."""
    arrays = [[np.asarray(r, dtype=np.float64) for r in results[:-1]] for results in state.results]
    return _orthogonal_problem(state.kwargs, state.shapes, arrays)


def _checks(reference: str, seeds: list[int]) -> list[Check]:
    checks = [
        Check("runs", _runs, blocking=True),
        Check("arrays", _each_result(_as_array_problem), blocking=True),  # 2. float NumPy arrays
        Check("shape", _each_result(_shape_problem), blocking=True),  # 3. of the requested shape
        Check("finite", _finite, blocking=True),
        Check("rng", _rng_used),
    ]
    if len(set(seeds)) > 1:
        checks.append(Check("seeds differ", _seeds_differ))
    checks += [Check("mean", _mean), Check("std", _scale), Check("distribution", _distribution)]
    if reference == "orthogonal":
        checks.append(Check("orthogonal", _orthogonal))
    return checks


def check_initializer(
    fn: Callable[..., Any],
    reference: str,
    *,
    shapes: Sequence[Sequence[int]] | None = None,
    seeds: Sequence[int] = (0, 1),
    reference_kwargs: dict[str, Any] | None = None,
    verbose: bool = True,
) -> bool:
    r"""Check a learner's initializer against a rule of :mod:`weightinit.scratch`.

    Calls ``fn(shape, rng=seed)`` for every shape and seed (an int seed, as the scratch
    rules accept; if only a :class:`numpy.random.Generator` works, that is reported and
    the remaining checks use Generators), compares the arrays with samples of the
    reference rule, prints a verdict and returns whether every check passed:

    .. code-block:: text

        ✓ xavier_uniform: all 9 checks passed (4 shapes, seeds (0, 1))

    or one line per problem, ``✗ problem — hint``. The std check compares, shape by
    shape, the ratio :math:`\hat\sigma_\text{yours} / \hat\sigma_\text{rule}` with
    :math:`[0.9, 1.1]`, and names the likely cause from the pattern of the ratios:
    a constant :math:`\sqrt{2}` (the variance doubled, as a widely copied Xavier bound
    does), :math:`\sqrt{\text{fan\_in} / \text{fan\_out}}` (the wrong fan), the
    receptive field (fans without the kernel), :math:`\sqrt{3}` (a uniform's bound
    used as a std), a missing or extra square root (std vs variance).

    Args:
        fn: the learner's function, ``fn(shape, rng=None) -> numpy.ndarray``.
        reference: the name of a rule in :data:`REFERENCES`, e.g. ``"xavier_uniform"``.
        shapes: shapes to try, in torch's layout ``(fan_out, fan_in, *kernel)``; default
            :data:`DEFAULT_SHAPES` (about 220,000 values per seed). Keep them non-square
            and large (thousands of values each) for reliable verdicts.
        seeds: int seeds; each shape is drawn once per seed, and once more with the first
            seed to check reproducibility. Two or more distinct seeds also check that
            different seeds give different arrays.
        reference_kwargs: extra arguments of the reference rule, e.g.
            ``{"gain": 5 / 3}`` or ``{"mode": "fan_out"}``; ``fn`` gets none of them.
        verbose: print the verdict (default True).

    Returns:
        True when every check passed, False otherwise. Never raises on the learner's
        mistakes, including exceptions raised inside ``fn``.

    Raises:
        ValueError: if ``reference`` is not in :data:`REFERENCES`, or the reference rule
            rejects ``shapes`` or ``reference_kwargs`` (the caller's errors).

    Examples:
        >>> import numpy as np
        >>> def doubled_variance(shape, rng=None):  # a widely copied, wrong Xavier bound
        ...     rng = np.random.default_rng(rng)
        ...     receptive_field = np.prod(shape[2:])
        ...     n = (shape[0] + shape[1]) * receptive_field / 2
        ...     return rng.uniform(-np.sqrt(6 / n), np.sqrt(6 / n), size=shape)
        >>> ok = check_initializer(doubled_variance, "xavier_uniform")  # doctest: +ELLIPSIS
        ✗ xavier_uniform: the std is 1.4...x the rule's on every shape (variance 2.00x) — a widely copied ...
        >>> ok
        False
        >>> check_initializer(lambda shape, rng=None: None, "he_normal")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
            ...
        ValueError: reference must be one of ('uniform', 'normal', ...), got 'he_normal'
    """
    if not isinstance(reference, str) or reference not in REFERENCES:
        raise ValueError(f"reference must be one of {REFERENCES}, got {reference!r}")
    kwargs = dict(reference_kwargs or {})
    shape_list = [tuple(int(d) for d in shape) for shape in (shapes or DEFAULT_SHAPES)]
    seed_list = [int(seed) for seed in seeds]
    if not shape_list or not seed_list:
        raise ValueError(f"shapes and seeds must not be empty, got shapes={shapes!r}, seeds={seeds!r}")
    state = _State(
        fn, reference, kwargs, shape_list, seed_list, _reference_samples(reference, kwargs, shape_list)
    )
    detail = f" ({len(shape_list)} shapes, seeds {tuple(seed_list)})"
    return verdict(reference, _checks(reference, seed_list), state, detail, verbose)
