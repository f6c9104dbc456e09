"""Hints for a wrong scale: the std ratio (learner / rule) that each usual mistake gives.

Used by :mod:`weightinit.checks.initializer`: a mistake is recognized when the learner's
ratios, shape by shape, match one of the patterns below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from weightinit import scratch

MATCH_TOLERANCE = 0.06  # how close a ratio pattern must be to a known mistake
_UNIFORM_RULES = ("uniform", "xavier_uniform", "kaiming_uniform", "lecun_uniform")

__all__ = [
    "MATCH_TOLERANCE",
    "Hypothesis",
    "constant_hint",
    "distribution_family",
    "scale_hypotheses",
    "shape_text",
]


def shape_text(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def distribution_family(reference: str, kwargs: dict[str, Any]) -> str:
    """ "uniform", "normal" or "truncated": the shape of the reference's distribution."""
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


def _fan(shape: Sequence[int], kind: str, kernel_in: bool = True, kernel_out: bool = True) -> float:
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
    ("fan_in", "fan_avg"): "(fan_in + fan_out) / 2, Glorot's average, where the rule uses fan_in alone",
    ("fan_out", "fan_avg"): "(fan_in + fan_out) / 2, Glorot's average, where the rule uses fan_out alone",
    ("fan_avg", "fan_in"): "fan_in alone where Glorot's rule uses both: Var(w) = 2 / (fan_in + fan_out)",
    ("fan_avg", "fan_out"): "fan_out alone where Glorot's rule uses both: Var(w) = 2 / (fan_in + fan_out)",
}


def constant_hint(reference: str, variance_ratio: float) -> str:
    """Likely causes of a std that is off by the same factor on every shape."""
    xavier = reference.startswith("xavier")
    kaiming = reference.startswith("kaiming")
    lecun = reference.startswith("lecun")
    if math.isclose(variance_ratio, 2.0):
        if xavier:
            return (
                "a widely copied Xavier bound, sqrt(6 / n) with n = (fan_in + fan_out) / 2, doubles "
                "the variance: Glorot's bound is sqrt(6 / (fan_in + fan_out)) "
                "(normal: std sqrt(2 / (fan_in + fan_out)))"
            )
        if lecun:
            return (
                "that is He's rule, Var(w) = 2 / fan_in: LeCun's is 1 / fan_in "
                "(gain 1, nonlinearity='linear')"
            )
        if kaiming:
            return (
                "the gain enters the std, not the variance: gain = sqrt(2) for ReLU, "
                "std = gain / sqrt(fan); a gain of 2 (or a fan halved) doubles the variance"
            )
        return "a stray factor 2 in the variance (a gain squared, or the fan halved)"
    if math.isclose(variance_ratio, 0.5):
        if kaiming:
            return (
                "the ReLU gain sqrt(2) is missing: std = sqrt(2 / fan_in) (without it you get LeCun's rule)"
            )
        if xavier:
            return (
                "Glorot's variance is 2 / (fan_in + fan_out): the bound is "
                "sqrt(6 / (fan_in + fan_out)), not sqrt(3 / (fan_in + fan_out))"
            )
        return "a missing factor 2 in the variance (a missing gain sqrt(2)?)"
    if math.isclose(variance_ratio, 3.0):
        return (
            "a factor sqrt(3) in the std: U(-b, b) has std b / sqrt(3), so you likely "
            "used a uniform's bound where a std belongs (e.g. rng.normal(0, bound))"
        )
    if math.isclose(variance_ratio, 1 / 3):
        return (
            "a factor 1/sqrt(3) in the std: you likely used the std as the bound of "
            "U(-b, b); the bound is sqrt(3) * std"
        )
    if math.isclose(variance_ratio, 4.0) or math.isclose(variance_ratio, 0.25):
        return (
            "the std is off by a factor 2: a gain squared (2 instead of sqrt(2)), a "
            "bound halved or doubled, or U(0, b) instead of U(-b, b)"
        )
    if math.isclose(variance_ratio, scratch.TRUNC_NORMAL_STD**-2):
        return (
            "an untruncated normal: truncating at +-2 std removes the tails, which "
            "shrinks the std to 0.88 of the normal's"
        )
    if math.isclose(variance_ratio, scratch.TRUNC_NORMAL_STD**2):
        return (
            "the truncated normal's std must be divided by 0.8796 (the std of N(0, 1) "
            "truncated at +-2; scratch.TRUNC_NORMAL_STD) so the variance after "
            "truncation is scale / fan"
        )
    return "a constant factor: check the gain and the constant in the formula"


@dataclass
class Hypothesis:
    ratios: list[float]
    hint: str


def _times_factors(base: list[float], hint: str, joiner: str) -> list[Hypothesis]:
    """The mistake ``base`` alone, and with the variance off by a factor 2 or 1/2 as well."""
    hypotheses = [Hypothesis(base, hint)]
    for factor in (2.0, 0.5):
        extra = f"{joiner} the variance is off by a factor {factor:g} as well"
        hypotheses.append(Hypothesis([r * math.sqrt(factor) for r in base], hint + extra))
    return hypotheses


def scale_hypotheses(
    reference: str, kwargs: dict[str, Any], shapes: list[tuple[int, ...]], ref_stds: list[float]
) -> list[Hypothesis]:
    """Known mistakes, each as the std ratio (learner / rule) it would give per shape."""
    hypotheses = []
    constants = [2.0, 0.5, 3.0, 1 / 3, 4.0, 0.25]
    if distribution_family(reference, kwargs) == "truncated":
        constants += [scratch.TRUNC_NORMAL_STD**-2, scratch.TRUNC_NORMAL_STD**2]
    for variance_ratio in constants:
        hypotheses.append(
            Hypothesis([math.sqrt(variance_ratio)] * len(shapes), constant_hint(reference, variance_ratio))
        )
    kind = _fan_kind(reference, kwargs)
    if kind is not None:
        for wrong in ("fan_in", "fan_out", "fan_avg"):
            if wrong == kind:
                continue
            base = [math.sqrt(_fan(s, kind) / _fan(s, wrong)) for s in shapes]
            hypotheses += _times_factors(base, "you used " + _FAN_HINTS[(kind, wrong)], ", and")
        kernel_hint = (
            "{} the kernel: for a conv weight (out, in, *kernel), "
            "fan_in = in * prod(kernel) and fan_out = out * prod(kernel)"
        )
        for kernel_in, kernel_out, which in (
            (False, False, "the fans leave out"),
            (True, False, "fan_out leaves out"),
            (False, True, "fan_in leaves out"),
        ):
            base = [math.sqrt(_fan(s, kind) / _fan(s, kind, kernel_in, kernel_out)) for s in shapes]
            hypotheses += _times_factors(base, kernel_hint.format(which), ";")
    root_hint = (
        "a square root too {}: rng.normal(0, std) takes the standard deviation, "
        "not the variance, and a uniform's bound is sqrt(3 * variance)"
    )
    for factor in (1.0, math.sqrt(3.0)):
        hypotheses.append(Hypothesis([s * factor for s in ref_stds], root_hint.format("few")))
        hypotheses.append(Hypothesis([1 / math.sqrt(s * factor) for s in ref_stds], root_hint.format("many")))
    # A pattern that is 1 on every shape is no mistake at all (e.g. fans on square shapes).
    return [h for h in hypotheses if max(abs(r - 1) for r in h.ratios) > MATCH_TOLERANCE]


# ---------------------------------------------------------------------- running fn
