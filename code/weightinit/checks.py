r"""Feedback on a learner's own initializer, numbers and LSTM biases.

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
from dataclasses import dataclass
from typing import Any

import numpy as np

from weightinit import scratch

__all__ = [
    "REFERENCES",
    "DEFAULT_SHAPES",
    "check_initializer",
    "check_value",
    "check_forget_bias",
]

#: Scratch rules :func:`check_initializer` can compare with (the random ones).
REFERENCES: tuple[str, ...] = (
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
    "variance_scaling",
)

#: Dense and convolutional shapes, none square, so that fan_in and fan_out differ.
DEFAULT_SHAPES: tuple[tuple[int, ...], ...] = (
    (256, 512),
    (512, 128),
    (64, 32, 3, 3),
    (32, 16, 5),
)

_SCALE_TOLERANCE = 0.10  # the std ratio must lie in [0.9, 1.1]
_MATCH_TOLERANCE = 0.06  # how close a ratio pattern must be to a known mistake
_KURTOSIS_TOLERANCE = 0.3  # a uniform is at -1.2, a normal at 0, +-2 sd truncation -0.63
_MIN_REFERENCE_VALUES = 20_000
_REFERENCE_SEED = 1_000_003
_HAAR_Z_LIMIT = 6.0

_UNIFORM_RULES = ("uniform", "xavier_uniform", "kaiming_uniform", "lecun_uniform")
_NORMAL_RULES = ("normal", "xavier_normal", "kaiming_normal", "lecun_normal", "orthogonal")


@dataclass
class _Problem:
    message: str
    hint: str = ""

    def line(self) -> str:
        return f"✗ {self.message}" + (f" — {self.hint}" if self.hint else "")


class _Stop(Exception):
    """Raised internally when a blocking check fails; never escapes this module."""


def _shape_text(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def _family(reference: str, kwargs: dict[str, Any]) -> str:
    """"uniform", "normal" or "truncated": the shape of the reference's distribution."""
    if reference == "variance_scaling":
        distribution = kwargs.get("distribution", "truncated_normal")
        return {"uniform": "uniform", "normal": "normal"}.get(distribution, "truncated")
    if reference == "trunc_normal":
        return "truncated"
    return "uniform" if reference in _UNIFORM_RULES else "normal"


def _fan_kind(reference: str, kwargs: dict[str, Any]) -> str | None:
    """The fan a rule divides by: "fan_in", "fan_out", "fan_avg", or None."""
    if reference.startswith("xavier"):
        return "fan_avg"
    if reference.startswith(("kaiming", "variance_scaling")):
        return kwargs.get("mode", "fan_in")
    if reference.startswith("lecun"):
        return "fan_in"
    return None


def _fan(shape: Sequence[int], kind: str, kernel_in: bool = True,
         kernel_out: bool = True) -> float:
    """A fan of ``shape``; ``kernel_in=False`` leaves the kernel out of fan_in (a mistake)."""
    fan_in, fan_out = scratch.compute_fans(shape)
    receptive_field = math.prod(shape[2:])
    fan_in = fan_in if kernel_in else fan_in // receptive_field
    fan_out = fan_out if kernel_out else fan_out // receptive_field
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[kind]


# ------------------------------------------------------------------------ hints


_FAN_HINTS = {
    ("fan_in", "fan_out"): "fan_out where the rule uses fan_in: fan_in = shape[1] * "
    "prod(shape[2:]), since torch's layout is (fan_out, fan_in, *kernel)",
    ("fan_out", "fan_in"): "fan_in where the rule uses fan_out (mode='fan_out'): "
    "fan_out = shape[0] * prod(shape[2:])",
    ("fan_in", "fan_avg"): "(fan_in + fan_out) / 2, Glorot's average, where the rule "
    "uses fan_in alone",
    ("fan_out", "fan_avg"): "(fan_in + fan_out) / 2, Glorot's average, where the rule "
    "uses fan_out alone",
    ("fan_avg", "fan_in"): "fan_in alone where Glorot's rule uses both: "
    "Var(w) = 2 / (fan_in + fan_out)",
    ("fan_avg", "fan_out"): "fan_out alone where Glorot's rule uses both: "
    "Var(w) = 2 / (fan_in + fan_out)",
}


def _constant_hint(reference: str, variance_ratio: float) -> str:
    """Likely causes of a std that is off by the same factor on every shape."""
    xavier = reference.startswith("xavier")
    kaiming = reference.startswith("kaiming")
    lecun = reference.startswith("lecun")
    if math.isclose(variance_ratio, 2.0):
        if xavier:
            return ("a widely copied Xavier bound, sqrt(6 / n) with n = (fan_in + fan_out) / 2, doubles "
                    "the variance: Glorot's bound is sqrt(6 / (fan_in + fan_out)) "
                    "(normal: std sqrt(2 / (fan_in + fan_out)))")
        if lecun:
            return ("that is He's rule, Var(w) = 2 / fan_in: LeCun's is 1 / fan_in "
                    "(gain 1, nonlinearity='linear')")
        if kaiming:
            return ("the gain enters the std, not the variance: gain = sqrt(2) for ReLU, "
                    "std = gain / sqrt(fan); a gain of 2 (or a fan halved) doubles the variance")
        return "a stray factor 2 in the variance (a gain squared, or the fan halved)"
    if math.isclose(variance_ratio, 0.5):
        if kaiming:
            return ("the ReLU gain sqrt(2) is missing: std = sqrt(2 / fan_in) "
                    "(without it you get LeCun's rule)")
        if xavier:
            return ("Glorot's variance is 2 / (fan_in + fan_out): the bound is "
                    "sqrt(6 / (fan_in + fan_out)), not sqrt(3 / (fan_in + fan_out))")
        return "a missing factor 2 in the variance (a missing gain sqrt(2)?)"
    if math.isclose(variance_ratio, 3.0):
        return ("a factor sqrt(3) in the std: U(-b, b) has std b / sqrt(3), so you likely "
                "used a uniform's bound where a std belongs (e.g. rng.normal(0, bound))")
    if math.isclose(variance_ratio, 1 / 3):
        return ("a factor 1/sqrt(3) in the std: you likely used the std as the bound of "
                "U(-b, b); the bound is sqrt(3) * std")
    if math.isclose(variance_ratio, 4.0) or math.isclose(variance_ratio, 0.25):
        return ("the std is off by a factor 2: a gain squared (2 instead of sqrt(2)), a "
                "bound halved or doubled, or U(0, b) instead of U(-b, b)")
    if math.isclose(variance_ratio, scratch.TRUNC_NORMAL_STD**-2):
        return ("an untruncated normal: truncating at +-2 std removes the tails, which "
                "shrinks the std to 0.88 of the normal's")
    if math.isclose(variance_ratio, scratch.TRUNC_NORMAL_STD**2):
        return ("the truncated normal's std must be divided by 0.8796 (the std of N(0, 1) "
                "truncated at +-2; scratch.TRUNC_NORMAL_STD) so the variance after "
                "truncation is scale / fan")
    return "a constant factor: check the gain and the constant in the formula"


@dataclass
class _Hypothesis:
    ratios: list[float]
    hint: str


def _scale_hypotheses(reference: str, kwargs: dict[str, Any], shapes: list[tuple[int, ...]],
                      ref_stds: list[float]) -> list[_Hypothesis]:
    """Known mistakes, each as the std ratio (learner / rule) it would give per shape."""
    hypotheses = []
    constants = [2.0, 0.5, 3.0, 1 / 3, 4.0, 0.25]
    if _family(reference, kwargs) == "truncated":
        constants += [scratch.TRUNC_NORMAL_STD**-2, scratch.TRUNC_NORMAL_STD**2]
    for variance_ratio in constants:
        hypotheses.append(_Hypothesis([math.sqrt(variance_ratio)] * len(shapes),
                                      _constant_hint(reference, variance_ratio)))
    kind = _fan_kind(reference, kwargs)
    if kind is not None:
        for wrong in ("fan_in", "fan_out", "fan_avg"):
            if wrong == kind:
                continue
            base = [math.sqrt(_fan(s, kind) / _fan(s, wrong)) for s in shapes]
            for factor in (1.0, 2.0, 0.5):
                hint = "you used " + _FAN_HINTS[(kind, wrong)]
                if factor != 1.0:
                    hint += f", and the variance is off by a factor {factor:g} as well"
                hypotheses.append(
                    _Hypothesis([r * math.sqrt(factor) for r in base], hint))
        kernel_hint = ("{} the kernel: for a conv weight (out, in, *kernel), "
                       "fan_in = in * prod(kernel) and fan_out = out * prod(kernel)")
        for kernel_in, kernel_out, which in ((False, False, "the fans leave out"),
                                             (True, False, "fan_out leaves out"),
                                             (False, True, "fan_in leaves out")):
            base = [math.sqrt(_fan(s, kind) / _fan(s, kind, kernel_in, kernel_out))
                    for s in shapes]
            for factor in (1.0, 2.0, 0.5):
                hint = kernel_hint.format(which)
                if factor != 1.0:
                    hint += f"; the variance is off by a factor {factor:g} as well"
                hypotheses.append(
                    _Hypothesis([r * math.sqrt(factor) for r in base], hint))
    root_hint = ("a square root too {}: rng.normal(0, std) takes the standard deviation, "
                 "not the variance, and a uniform's bound is sqrt(3 * variance)")
    for factor in (1.0, math.sqrt(3.0)):
        hypotheses.append(_Hypothesis([s * factor for s in ref_stds], root_hint.format("few")))
        hypotheses.append(_Hypothesis([1 / math.sqrt(s * factor) for s in ref_stds],
                                      root_hint.format("many")))
    # A pattern that is 1 on every shape is no mistake at all (e.g. fans on square shapes).
    return [h for h in hypotheses if max(abs(r - 1) for r in h.ratios) > _MATCH_TOLERANCE]


# ---------------------------------------------------------------------- running fn


def _exception_problem(error: Exception, shape: tuple[int, ...], rng: object,
                       dense_ok: bool) -> _Problem:
    kind = type(error).__name__
    if isinstance(error, NotImplementedError):
        return _Problem("not yet: your function raises NotImplementedError",
                        "replace the stub's `raise` with your code")
    text = f"your function raised {kind}: {error} (for shape {_shape_text(shape)}, rng={rng!r})"
    message = str(error)
    if isinstance(error, TypeError) and "rng" in message and "argument" in message:
        hint = "it must accept rng as a keyword argument: def f(shape, rng=None)"
    elif isinstance(error, AttributeError) and "'int'" in message:
        hint = ("rng may be an int seed, a Generator or None: start with "
                "rng = np.random.default_rng(rng)")
    elif isinstance(error, ZeroDivisionError):
        hint = "a division by zero: check the fans, fan_in = shape[1] * prod(shape[2:])"
    elif dense_ok and len(shape) > 2:
        hint = ("it works on dense shapes but not on a conv shape (out, in, *kernel): "
                "the receptive field is prod(shape[2:])")
    else:
        hint = f"call fn({_shape_text(shape)}, rng=0) yourself to see the traceback"
    return _Problem(text, hint)


def _call(fn: Callable[..., Any], shape: tuple[int, ...], rng: object) -> Any:
    return fn(shape, rng=rng)


def _as_array_problem(result: Any, shape: tuple[int, ...]) -> _Problem | None:
    if result is None:
        return _Problem("not yet: your function returned None",
                        "fill in its body so that it returns a NumPy array of shape `shape`")
    if type(result).__module__.split(".")[0] == "torch":
        return _Problem(f"your function returned a {type(result).__name__}, not a NumPy array",
                        "build the array with NumPy (rng.uniform, rng.normal) and return it")
    if isinstance(result, (int, float, np.generic)) and not isinstance(result, np.ndarray):
        return _Problem(f"your function returned a single number ({result!r})",
                        "pass size=shape to the generator: rng.uniform(-b, b, size=shape)")
    if not isinstance(result, np.ndarray):
        return _Problem(f"your function returned a {type(result).__name__}, not a NumPy array",
                        "return a numpy.ndarray, e.g. rng.normal(0, std, size=shape)")
    if not np.issubdtype(result.dtype, np.floating):
        return _Problem(f"the array has dtype {result.dtype}, not a float dtype",
                        "weights are real numbers: draw them with rng.uniform or rng.normal "
                        "(rng.integers draws integers)")
    return None


def _shape_problem(array: np.ndarray, shape: tuple[int, ...]) -> _Problem | None:
    if array.shape == shape:
        return None
    got = _shape_text(array.shape)
    swapped = (shape[1], shape[0], *shape[2:])
    if array.shape == swapped or array.shape == shape[::-1]:
        return _Problem(f"transposed: shape {got} for shape {_shape_text(shape)}",
                        "torch's layout is (fan_out, fan_in, *kernel); draw with size=shape "
                        "(Keras and JAX store a dense kernel the other way round)")
    if array.size == math.prod(shape):
        return _Problem(f"shape {got} instead of {_shape_text(shape)} (same number of values)",
                        "draw with size=shape (or reshape(shape))")
    return _Problem(f"shape {got} instead of {_shape_text(shape)}",
                    "return an array of the requested shape: size=shape")


# ---------------------------------------------------------------------- statistics


def _kurtosis(values: np.ndarray) -> float:
    """Excess kurtosis of already standardized values: -1.2 uniform, 0 normal."""
    return float(np.mean(values**4) - 3.0)


def _standardize(array: np.ndarray) -> np.ndarray:
    flat = array.ravel()
    return (flat - flat.mean()) / flat.std()


def _mean_problem(shapes, got, ref) -> _Problem | None:
    for shape, values, reference in zip(shapes, got, ref, strict=True):
        n = values.size
        difference = abs(values.mean() - reference.mean())
        tolerance = 0.1 * reference.std() + 6 * values.std() / math.sqrt(n)
        if difference <= tolerance:
            continue
        message = (f"mean {values.mean():.3g} where the rule's is {reference.mean():.3g} "
                   f"(shape {_shape_text(shape)})")
        if values.min() >= 0 and reference.min() < 0:
            hint = ("all values are >= 0: U(0, b) instead of U(-b, b)? rng.random() and "
                    "rng.uniform(0, b) draw from [0, b)")
        else:
            hint = ("the rule is centred at its mean: rng.normal(mean, std) / "
                    "rng.uniform(-b, b), no shift")
        return _Problem(message, hint)
    return None


def _scale_problem(reference, kwargs, shapes, got, ref) -> _Problem | None:
    got_stds = [float(v.std()) for v in got]
    ref_stds = [float(r.std()) for r in ref]
    for shape, std in zip(shapes, got_stds, strict=True):
        if std == 0:
            return _Problem(f"all values are equal on shape {_shape_text(shape)} (std 0)",
                            "every unit would compute the same thing: draw random values")
    ratios = [g / r for g, r in zip(got_stds, ref_stds, strict=True)]
    if all(abs(r - 1) <= _SCALE_TOLERANCE for r in ratios):
        return None
    low, high = min(ratios), max(ratios)
    if high / low < 1 + _MATCH_TOLERANCE:
        mean_ratio = math.exp(np.mean(np.log(ratios)))
        message = (f"the std is {mean_ratio:.2f}x the rule's on every shape "
                   f"(variance {mean_ratio**2:.2f}x)")
    else:
        worst = max(range(len(ratios)), key=lambda i: abs(math.log(ratios[i])))
        message = (f"the std is {low:.2f}x to {high:.2f}x the rule's, depending on the shape "
                   f"({ratios[worst]:.2f}x on {_shape_text(shapes[worst])})")
    best, best_error = None, _MATCH_TOLERANCE
    for hypothesis in _scale_hypotheses(reference, kwargs, shapes, ref_stds):
        error = max(abs(r / p - 1) for r, p in zip(ratios, hypothesis.ratios, strict=True))
        if error < best_error:
            best, best_error = hypothesis, error
    if best is not None:
        return _Problem(message, best.hint)
    if high / low < 1 + _MATCH_TOLERANCE:
        hint = _constant_hint(reference, float(np.mean(ratios)) ** 2)
    else:
        hint = ("a ratio that changes with the shape points at the fan: fan_in = shape[1] * "
                "prod(shape[2:]), fan_out = shape[0] * prod(shape[2:]); check fan_out vs "
                "fan_in, a missing gain, std vs variance")
    return _Problem(message, hint)


def _distribution_problems(reference, kwargs, shapes, got, ref,
                           scale_ok: bool) -> list[_Problem]:
    family = _family(reference, kwargs)
    for shape, values in zip(shapes, got, strict=True):
        low, high = values.min(), values.max()
        at_bounds = np.count_nonzero(values == low) + np.count_nonzero(values == high)
        if at_bounds > max(10, 0.002 * values.size):
            return [_Problem(
                f"{at_bounds} values pile up at the extremes {low:.3g} and {high:.3g} "
                f"(shape {_shape_text(shape)})",
                "np.clip is not truncation: redraw the values outside the interval instead"
                if family == "truncated" else "the rule does not clip: keep the values as drawn")]
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
        return [_Problem(
            f"the values look normal, the rule is uniform {numbers}",
            "draw rng.uniform(-bound, bound, size=shape) with bound = sqrt(3) * std")]
    if family in ("normal", "truncated") and got_kurtosis < -0.9:
        return [_Problem(
            f"the values look uniform, the rule is a normal {numbers}",
            "draw rng.normal(0, std, size=shape); a uniform has kurtosis -1.2, a normal 0")]
    if family == "normal" and got_kurtosis < ref_kurtosis:
        return [_Problem(
            f"the values look truncated, the rule is a plain normal {numbers}",
            "draw rng.normal(0, std, size=shape) and keep the tails")]
    name = {"uniform": "uniform", "normal": "a normal", "truncated": "a truncated normal"}
    return [_Problem(
        f"the values are not distributed like the rule's {numbers}",
        f"the rule is {name[family]}: compare your histogram with "
        f"weightinit.scratch.{reference}'s")]


def _bounds_problem(shapes, got, ref, truncated: bool) -> _Problem | None:
    """Values beyond the reference's support (by 1% of its width), or None."""
    for shape, values, reference_values in zip(shapes, got, ref, strict=True):
        low, high = reference_values.min(), reference_values.max()
        slack = 0.01 * (high - low)
        if values.min() >= low - slack and values.max() <= high + slack:
            continue
        interval = f"[{low:.3g}, {high:.3g}]"
        if truncated:
            return _Problem(
                f"values outside the truncation interval {interval} "
                f"(shape {_shape_text(shape)})",
                "a truncated normal redraws (rejects) the values outside [a, b]; "
                "plain rng.normal does not")
        return _Problem(
            f"values outside the rule's bounds {interval} (shape {_shape_text(shape)})",
            "a uniform rule draws from U(-bound, bound) and nothing beyond")
    return None


def _orthogonal_problem(kwargs, shapes, arrays_by_shape) -> _Problem | None:
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
                return _Problem(
                    f"not orthogonal: the {side} of the flattened {rows}x{cols} matrix are not "
                    f"orthonormal (max |gram - gain^2 I| = {deviation:.2g}, shape "
                    f"{_shape_text(shape)})",
                    "take Q from q, r = np.linalg.qr(A) of a Gaussian A of shape (max, min) of "
                    "(rows, cols), transpose it when rows < cols, and multiply by gain")
            if gain != 0:
                trace_sum += float(np.trace(matrix)) / gain
                trace_variance += min(rows, cols) / max(rows, cols)
    z = trace_sum / math.sqrt(trace_variance) if trace_variance else 0.0
    if abs(z) > _HAAR_Z_LIMIT:
        return _Problem(
            f"orthogonal, but not uniformly distributed: the diagonal is biased (z = {z:.1f})",
            "multiply Q's columns by np.sign(np.diag(r)), as torch does (Mezzadri 2007)")
    return None


# ---------------------------------------------------------------------- reporting


def _report(title: str, problems: list[_Problem], n_checks: int, detail: str,
            verbose: bool) -> bool:
    if verbose:
        if problems:
            count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
            print(f"✗ {title}: {count}")
            for problem in problems:
                print(f"  {problem.line()}")
        else:
            print(f"✓ {title}: all {n_checks} checks passed{detail}")
    return not problems


def _reference_samples(reference: str, kwargs: dict[str, Any],
                       shapes: list[tuple[int, ...]]) -> list[list[np.ndarray]]:
    rule = getattr(scratch, reference)
    samples = []
    for index, shape in enumerate(shapes):
        size = max(math.prod(shape), 1)
        repeats = min(8, max(1, math.ceil(_MIN_REFERENCE_VALUES / size)))
        try:
            samples.append([
                np.asarray(rule(shape, rng=_REFERENCE_SEED + 100 * index + k, **kwargs),
                           dtype=np.float64)
                for k in range(repeats)
            ])
        except Exception as error:  # the caller's arguments, not the learner's code
            raise ValueError(
                f"reference {reference!r} rejects shape {shape!r} with arguments {kwargs!r}: "
                f"{error}"
            ) from error
    return samples


def check_initializer(fn: Callable[..., Any], reference: str, *,
                      shapes: Sequence[Sequence[int]] | None = None,
                      seeds: Sequence[int] = (0, 1),
                      reference_kwargs: dict[str, Any] | None = None,
                      verbose: bool = True) -> bool:
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
        ✗ xavier_uniform: 1 problem
          ✗ the std is 1.4...x the rule's on every shape (variance 2.00x) — a widely copied ...
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
        raise ValueError("shapes and seeds must not be empty")
    references = _reference_samples(reference, kwargs, shape_list)
    detail = f" ({len(shape_list)} shapes, seeds {tuple(seed_list)})"
    distinct_seeds = len(set(seed_list)) > 1
    n_checks = 8 + distinct_seeds + (reference == "orthogonal")
    problems: list[_Problem] = []
    use_generator = False

    def rng_for(seed: int) -> object:
        return np.random.default_rng(seed) if use_generator else seed

    def run(shape: tuple[int, ...], seed: int, dense_ok: bool) -> np.ndarray:
        nonlocal use_generator
        try:
            result = _call(fn, shape, rng_for(seed))
        except Exception as error:
            if not use_generator and isinstance(error, AttributeError | TypeError):
                try:
                    result = _call(fn, shape, np.random.default_rng(seed))
                except Exception:
                    result = None
                else:
                    use_generator = True
                    problems.append(_Problem(
                        f"an int seed fails ({type(error).__name__}: {error}), a Generator "
                        "works", "rng may be an int seed, a Generator or None: start with "
                        "rng = np.random.default_rng(rng)"))
                    return _validate(result, shape)
            problems.append(_exception_problem(error, shape, rng_for(seed), dense_ok))
            raise _Stop from error
        return _validate(result, shape)

    def _validate(result: Any, shape: tuple[int, ...]) -> np.ndarray:
        problem = _as_array_problem(result, shape) or _shape_problem(result, shape)
        if problem is not None:
            problems.append(problem)
            raise _Stop
        if not np.all(np.isfinite(result)):
            bad = int(np.count_nonzero(~np.isfinite(result)))
            problems.append(_Problem(
                f"{bad} NaN or inf values for shape {_shape_text(shape)}",
                "a 0 / 0, a division by a zero fan, or the sqrt of a negative number? "
                "check the fans for this shape"))
            raise _Stop
        return np.asarray(result, dtype=np.float64)

    arrays_by_shape: list[list[np.ndarray]] = []
    try:
        for index, shape in enumerate(shape_list):
            # earlier shapes all ran, so a dense one among them means dense shapes work
            dense_ok = any(len(earlier) == 2 for earlier in shape_list[:index])
            arrays_by_shape.append([run(shape, seed, dense_ok) for seed in seed_list])
    except _Stop:
        return _report(reference, problems, n_checks, detail, verbose)

    # rng: equal seeds give equal arrays, different seeds different ones
    try:
        for shape, arrays in zip(shape_list, arrays_by_shape, strict=True):
            again = run(shape, seed_list[0], True)
            if not np.array_equal(again, arrays[0]):
                problems.append(_Problem(
                    f"the same seed gave different arrays (shape {_shape_text(shape)}): "
                    "your function ignores rng",
                    "draw from the generator you are given: rng = np.random.default_rng(rng), "
                    "then rng.uniform(...) / rng.normal(...); np.random.default_rng() without "
                    "rng, or np.random.uniform(...), ignore it"))
                break
    except _Stop:
        return _report(reference, problems, n_checks, detail, verbose)
    if distinct_seeds:
        first, second = seed_list[0], next(s for s in seed_list if s != seed_list[0])
        index = seed_list.index(second)
        for shape, arrays in zip(shape_list, arrays_by_shape, strict=True):
            if np.array_equal(arrays[0], arrays[index]):
                problems.append(_Problem(
                    f"seeds {first} and {second} gave the same array (shape "
                    f"{_shape_text(shape)})",
                    "your function ignores rng and seeds its own generator "
                    "(np.random.default_rng(0)?): use np.random.default_rng(rng)"))
                break

    got = [np.concatenate([a.ravel() for a in arrays]) for arrays in arrays_by_shape]
    ref = [np.concatenate([r.ravel() for r in samples]) for samples in references]
    mean_problem = _mean_problem(shape_list, got, ref)
    if mean_problem is not None:
        problems.append(mean_problem)
    scale_problem = _scale_problem(reference, kwargs, shape_list, got, ref)
    if scale_problem is not None:
        problems.append(scale_problem)
    if all(v.std() > 0 for v in got):
        problems += _distribution_problems(reference, kwargs, shape_list, got, ref,
                                           scale_ok=scale_problem is None)
    if reference == "orthogonal":
        orthogonal_problem = _orthogonal_problem(kwargs, shape_list, arrays_by_shape)
        if orthogonal_problem is not None:
            problems.append(orthogonal_problem)
    return _report(reference, problems, n_checks, detail, verbose)


# ---------------------------------------------------------------------- numbers


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


def check_value(name: str, got: Any, expected: Any, rtol: float = 1e-2, atol: float = 0.0,
                *, reveal: bool = False, verbose: bool = True) -> bool:
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
    def say(text: str) -> None:
        if verbose:
            print(text)

    if got is None:
        say(f"✗ {name}: not yet (got None)")
        return False
    try:
        if hasattr(got, "detach"):  # a torch tensor, possibly requiring grad
            got = got.detach().cpu().numpy()
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        say(f"✗ {name}: expected a number, got a {type(got).__name__} ({got!r})")
        return False
    expected_array = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected_array.shape:
        say(f"✗ {name}: shape {got_array.shape}, expected {expected_array.shape}")
        return False
    if not np.all(np.isfinite(got_array)):
        say(f"✗ {name}: contains NaN or inf")
        return False
    close = np.isclose(got_array, expected_array, rtol=rtol, atol=atol)
    if got_array.ndim == 0:
        got_value, expected_value = float(got_array), float(expected_array)
        if bool(close):
            say(f"✓ {name} = {got_value:.4g}")
            return True
        reveal_text = f" (expected {expected_value:.4g})" if reveal else ""
        say(f"✗ {name}: got {got_value:.4g}{reveal_text} — "
            f"{_value_hint(got_value, expected_value, rtol)}")
        return False
    if bool(close.all()):
        say(f"✓ {name}: all {close.size} values match")
        return True
    reveal_text = f"; expected {expected_array.tolist()}" if reveal else ""
    say(f"✗ {name}: {int(close.size - close.sum())} of {close.size} values are off by more "
        f"than the tolerance{reveal_text}")
    return False


# ---------------------------------------------------------------------- LSTM bias


_GATES = ("input", "forget", "cell", "output")


def check_forget_bias(init_fn: Callable[[Any], Any], forget_bias: float = 1.0, *,
                      verbose: bool = True) -> bool:
    r"""Check a function that sets an LSTM's forget-gate bias.

    Builds a seeded 2-layer ``nn.LSTM(input_size=12, hidden_size=16)``, calls
    ``init_fn(lstm)`` (in place; a returned ``nn.LSTM`` is checked instead; the global
    torch random state is restored afterwards), and checks, for both layers, that the
    effective forget-gate bias

    .. math::
        b_f = b_{if} + b_{hf} \quad (\text{slice } [H:2H] \text{ of }
        \texttt{bias\_ih} + \texttt{bias\_hh},\ \text{gates } i, f, g, o)

    equals ``forget_bias``, and that the other gates' biases are left as they were or
    set to 0. It recognizes the usual mistakes: ``forget_bias`` put in both
    ``bias_ih`` and ``bias_hh`` (the effective bias doubles), ``bias_hh`` left at its
    random default, only the first layer set, the wrong slice (gate order or
    ``input_size`` used for H), every gate filled, and a stub that changes nothing.
    Imports torch when called.

    Args:
        init_fn: the learner's function, ``init_fn(lstm)``.
        forget_bias: the effective forget-gate bias it should produce.
        verbose: print the verdict (default True).

    Returns:
        True when every check passed. Never raises on the learner's mistakes.

    Examples:
        >>> from weightinit.torch_init import init_lstm_
        >>> check_forget_bias(init_lstm_)
        ✓ forget-gate bias: b_ih + b_hh = 1 on [H:2H] in every layer, other gates unchanged or 0
        True
    """
    import torch
    from torch import nn

    from weightinit.torch_init import effective_forget_bias

    input_size, hidden_size, num_layers = 12, 16, 2
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers)
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    problems: list[_Problem] = []
    title = "forget-gate bias"

    def finish() -> bool:
        if problems:
            return _report(title, problems, 0, "", verbose)
        if verbose:
            print(f"✓ {title}: b_ih + b_hh = {forget_bias:g} on [H:2H] in every layer, "
                  "other gates unchanged or 0")
        return True

    try:
        with torch.random.fork_rng(devices=[]):  # the learner's draws leave no trace
            result = init_fn(lstm)
    except NotImplementedError:
        problems.append(_Problem("not yet: your function raises NotImplementedError",
                                 "replace the stub's `raise` with your code"))
        return finish()
    except Exception as error:
        hint = "call it on nn.LSTM(12, 16, num_layers=2) yourself to see the traceback"
        if "leaf Variable" in str(error) or "in-place" in str(error):
            hint = ("assign inside `with torch.no_grad():` (or use nn.init.constant_ / "
                    "nn.init.zeros_ on the slices)")
        problems.append(_Problem(f"your function raised {type(error).__name__}: {error}",
                                 hint))
        return finish()
    same_module = True
    if isinstance(result, nn.LSTM) and result is not lstm:
        if (result.hidden_size, result.num_layers) != (hidden_size, num_layers):
            problems.append(_Problem("your function returned a different LSTM",
                                     "modify the LSTM you are given, in place"))
            return finish()
        lstm, same_module = result, False

    after = {name: p.detach() for name, p in lstm.named_parameters()}
    biases = [name for name in before if name.startswith("bias")]
    if same_module and all(torch.equal(before[n], after[n]) for n in biases):
        problems.append(_Problem("not yet: the biases are unchanged",
                                 "set the forget gate's slice [H:2H] of bias_ih_l0 and "
                                 "bias_ih_l1, under torch.no_grad()"))
        return finish()

    def gate(tensor: torch.Tensor, index: int) -> torch.Tensor:
        return tensor[index * hidden_size:(index + 1) * hidden_size]

    def equals(tensor: torch.Tensor, value: float) -> bool:
        return bool(torch.allclose(tensor, torch.full_like(tensor, value), atol=1e-6))

    effective = effective_forget_bias(lstm)
    layer_ok = [equals(effective[layer], forget_bias) for layer in range(num_layers)]
    by_text: dict[tuple[str, str], list[int]] = {}  # the same mistake in several layers
    for layer in range(num_layers):
        if layer_ok[layer]:
            continue
        b_ih, b_hh = after[f"bias_ih_l{layer}"], after[f"bias_hh_l{layer}"]
        old_ih, old_hh = before[f"bias_ih_l{layer}"], before[f"bias_hh_l{layer}"]
        forget_ih, forget_hh = gate(b_ih, 1), gate(b_hh, 1)
        total = b_ih + b_hh
        if forget_bias != 0 and equals(forget_ih, forget_bias) and equals(forget_hh,
                                                                          forget_bias):
            text = (f"you set {forget_bias:g} in both bias_ih and bias_hh: the effective "
                    f"bias is {2 * forget_bias:g}")
            hint = ("PyTorch adds the two biases; put the value in one (bias_ih) and 0 in "
                    "the other's forget slice")
        elif same_module and equals(forget_ih, forget_bias) and torch.equal(
                gate(old_hh, 1), forget_hh):
            text = (f"bias_hh's forget slice still holds its random default, so "
                    f"b_ih + b_hh is not {forget_bias:g}")
            hint = "the effective bias is bias_ih + bias_hh: zero bias_hh (or its slice [H:2H])"
        elif same_module and equals(forget_hh, forget_bias) and torch.equal(
                gate(old_ih, 1), forget_ih):
            text = (f"bias_ih's forget slice still holds its random default, so "
                    f"b_ih + b_hh is not {forget_bias:g}")
            hint = "the effective bias is bias_ih + bias_hh: zero bias_ih (or its slice [H:2H])"
        elif (same_module and layer > 0 and layer_ok[0] and torch.equal(old_ih, b_ih)
              and torch.equal(old_hh, b_hh)):
            text = "unchanged: only layer 0 is set"
            hint = ("set every layer: loop over range(lstm.num_layers) (bias_ih_l0, "
                    "bias_ih_l1, ...) or over lstm.named_parameters()")
        else:
            others = [i for i in (0, 2, 3) if equals(gate(total, i), forget_bias)]
            means = ", ".join(f"{letter} {gate(total, i).mean().item():.2f}"
                              for i, letter in enumerate("ifgo"))
            text = (f"b_ih + b_hh on [H:2H] is not {forget_bias:g} everywhere "
                    f"(mean per gate: {means})")
            if others and len(others) < 3:
                hint = (f"you set the {_GATES[others[0]]} gate's slice: PyTorch orders the "
                        "gates input, forget, cell, output, so the forget gate is [H:2H] "
                        "with H = hidden_size")
            else:
                hint = ("the forget slice is [H:2H] with H = lstm.hidden_size (16 here; "
                        "input_size is 12)")
        by_text.setdefault((text, hint), []).append(layer)
    for (text, hint), layers in by_text.items():
        where = "layers " + " and ".join(map(str, layers)) if len(layers) > 1 else (
            f"layer {layers[0]}")
        problems.append(_Problem(f"{where}: {text}", hint))
    if same_module:
        for layer in range(num_layers):
            changed = []
            for index in (0, 2, 3):
                for kind in ("ih", "hh"):
                    new = gate(after[f"bias_{kind}_l{layer}"], index)
                    old = gate(before[f"bias_{kind}_l{layer}"], index)
                    if not (torch.equal(new, old) or equals(new, 0.0)):
                        changed.append(f"{_GATES[index]} (bias_{kind})")
            if changed:
                problems.append(_Problem(
                    f"layer {layer}: other gates' biases changed: {', '.join(changed)}",
                    "set only the forget slice [H:2H] (zeroing the others is fine), "
                    "not the whole bias"))
                break
    return finish()
