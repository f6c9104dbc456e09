"""weightinit.scratch against torch.nn.init: distributions, bounds, fans, gains, errors, seeds."""

from __future__ import annotations

import math
import subprocess
import sys
import typing
import warnings

import numpy as np
import pytest
import torch
from scipy import stats
from weightinit import scratch

P_MIN = 1e-3  # KS p-value below which two samples are declared different
DENSE = (256, 512)  # 131072 values
CONV1D = (128, 64, 16)
CONV2D = (64, 32, 8, 8)
CONV3D = (64, 32, 4, 4, 4)
SHAPES = [DENSE, CONV1D, CONV2D, CONV3D]
SHAPE_IDS = ["dense", "conv1d", "conv2d", "conv3d"]


def torch_sample(
    init: typing.Callable, shape: tuple[int, ...], seed: int = 0, **kwargs: typing.Any
) -> np.ndarray:
    torch.manual_seed(seed)
    weight = torch.empty(shape)
    with warnings.catch_warnings():
        # torch warns for bounds far from the mean, yet samples them exactly
        warnings.filterwarnings("ignore", message="mean is more than 2 std")
        init(weight, **kwargs)
    return weight.numpy()


def ks_pvalue(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


# --------------------------------------------------------------------- distributions

TI = torch.nn.init
# (our function, our kwargs, torch init, torch kwargs)
CASES = {
    "uniform": (scratch.uniform, {"a": -0.3, "b": 0.7}, TI.uniform_, {"a": -0.3, "b": 0.7}),
    "normal": (scratch.normal, {"mean": 0.5, "std": 2.0}, TI.normal_, {"mean": 0.5, "std": 2.0}),
    "trunc_normal": (scratch.trunc_normal, {}, TI.trunc_normal_, {}),
    "trunc_normal_narrow": (
        scratch.trunc_normal,
        {"mean": 0.1, "std": 0.02, "a": 0.07, "b": 0.16},
        TI.trunc_normal_,
        {"mean": 0.1, "std": 0.02, "a": 0.07, "b": 0.16},
    ),
    # mass < 0.3: inverse CDF here (upper side mirrored to the lower tail), and torch
    # switches to uniform proposals
    "trunc_normal_low_mass": (
        scratch.trunc_normal,
        {"a": 0.0, "b": 0.5},
        TI.trunc_normal_,
        {"a": 0.0, "b": 0.5},
    ),
    "trunc_normal_low_mass_upper_side": (
        scratch.trunc_normal,
        {"mean": 1.0, "std": 2.0, "a": 1.4, "b": 2.4},
        TI.trunc_normal_,
        {"mean": 1.0, "std": 2.0, "a": 1.4, "b": 2.4},
    ),
    "xavier_uniform": (scratch.xavier_uniform, {}, TI.xavier_uniform_, {}),
    "xavier_uniform_tanh": (
        scratch.xavier_uniform,
        {"gain": 5 / 3},
        TI.xavier_uniform_,
        {"gain": 5 / 3},
    ),
    "xavier_normal": (scratch.xavier_normal, {"gain": 0.5}, TI.xavier_normal_, {"gain": 0.5}),
    "kaiming_uniform": (scratch.kaiming_uniform, {}, TI.kaiming_uniform_, {}),
    "kaiming_uniform_leaky": (
        scratch.kaiming_uniform,
        {"a": 0.2, "mode": "fan_out"},
        TI.kaiming_uniform_,
        {"a": 0.2, "mode": "fan_out"},
    ),
    "kaiming_uniform_sqrt5": (  # what nn.Linear uses for its weight
        scratch.kaiming_uniform,
        {"a": math.sqrt(5)},
        TI.kaiming_uniform_,
        {"a": math.sqrt(5)},
    ),
    "kaiming_normal": (
        scratch.kaiming_normal,
        {"nonlinearity": "relu"},
        TI.kaiming_normal_,
        {"nonlinearity": "relu"},
    ),
    "kaiming_normal_fan_out_tanh": (
        scratch.kaiming_normal,
        {"mode": "fan_out", "nonlinearity": "tanh"},
        TI.kaiming_normal_,
        {"mode": "fan_out", "nonlinearity": "tanh"},
    ),
    "lecun_uniform": (
        scratch.lecun_uniform,
        {},
        TI.kaiming_uniform_,
        {"nonlinearity": "linear"},
    ),
    "lecun_normal": (scratch.lecun_normal, {}, TI.kaiming_normal_, {"nonlinearity": "linear"}),
    "variance_scaling_xavier": (
        scratch.variance_scaling,
        {"mode": "fan_avg", "distribution": "uniform"},
        TI.xavier_uniform_,
        {},
    ),
    "variance_scaling_he": (
        scratch.variance_scaling,
        {"scale": 2.0, "distribution": "normal"},
        TI.kaiming_normal_,
        {"nonlinearity": "relu"},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_distribution_as_torch(name: str) -> None:
    ours_fn, ours_kwargs, torch_fn, torch_kwargs = CASES[name]
    ours = ours_fn(CONV2D, rng=0, **ours_kwargs)
    theirs = torch_sample(torch_fn, CONV2D, **torch_kwargs)
    assert ours.shape == CONV2D and ours.dtype == np.float32
    assert ks_pvalue(ours, theirs) > P_MIN


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize(
    "ours_fn, torch_fn",
    [
        (scratch.xavier_normal, TI.xavier_normal_),
        (scratch.kaiming_uniform, TI.kaiming_uniform_),
    ],
    ids=["xavier_normal", "kaiming_uniform"],
)
def test_same_distribution_for_every_shape_family(ours_fn, torch_fn, shape) -> None:
    assert ks_pvalue(ours_fn(shape, rng=1), torch_sample(torch_fn, shape, seed=1)) > P_MIN


def test_variance_scaling_truncated_normal_matches_torch_trunc_normal() -> None:
    fan_in, _ = fans(CONV2D)
    std = math.sqrt(1.0 / fan_in) / scratch.TRUNC_NORMAL_STD
    theirs = torch_sample(TI.trunc_normal_, CONV2D, std=std, a=-2 * std, b=2 * std)
    ours = scratch.variance_scaling(CONV2D, rng=0)
    assert ks_pvalue(ours, theirs) > P_MIN


def test_ks_detects_a_wrong_rule() -> None:
    """The KS check has power: Xavier uniform is not Xavier normal, nor Kaiming uniform."""
    ours = scratch.xavier_uniform(DENSE, rng=0)
    assert ks_pvalue(ours, torch_sample(TI.xavier_normal_, DENSE)) < 1e-10
    assert ks_pvalue(ours, torch_sample(TI.kaiming_uniform_, DENSE)) < 1e-10


# ---------------------------------------------------------------------------- bounds


def _bound_cases() -> list[tuple]:
    fan_in, fan_out = fans(CONV2D)
    relu, leaky = math.sqrt(2.0), math.sqrt(2.0 / (1 + 0.2**2))
    return [
        (scratch.xavier_uniform, {}, TI.xavier_uniform_, {}, math.sqrt(6.0 / (fan_in + fan_out))),
        (
            scratch.xavier_uniform,
            {"gain": 2.0},
            TI.xavier_uniform_,
            {"gain": 2.0},
            2 * math.sqrt(6.0 / (fan_in + fan_out)),
        ),
        (scratch.kaiming_uniform, {}, TI.kaiming_uniform_, {}, relu * math.sqrt(3 / fan_in)),
        (
            scratch.kaiming_uniform,
            {"a": 0.2, "mode": "fan_out"},
            TI.kaiming_uniform_,
            {"a": 0.2, "mode": "fan_out"},
            leaky * math.sqrt(3 / fan_out),
        ),
        (scratch.lecun_uniform, {}, TI.kaiming_uniform_, {"nonlinearity": "linear"}, math.sqrt(3 / fan_in)),
        (
            scratch.variance_scaling,
            {"scale": 3.0, "mode": "fan_out", "distribution": "uniform"},
            TI.uniform_,
            {"a": -math.sqrt(9 / fan_out), "b": math.sqrt(9 / fan_out)},
            math.sqrt(9 / fan_out),
        ),
    ]


@pytest.mark.parametrize("case", _bound_cases(), ids=lambda case: case[0].__name__)
def test_uniform_rules_reach_but_never_pass_the_bound(case) -> None:
    ours_fn, ours_kwargs, torch_fn, torch_kwargs, bound = case
    ours = np.abs(ours_fn(CONV2D, rng=0, **ours_kwargs)).max()
    theirs = np.abs(torch_sample(torch_fn, CONV2D, **torch_kwargs)).max()
    for largest in (ours, theirs):
        assert bound * (1 - 1e-3) < largest <= bound * (1 + 1e-6)


@pytest.mark.parametrize(
    "kwargs, with_torch",
    [
        ({}, True),
        ({"std": 0.02, "a": -0.04, "b": 0.04}, True),
        ({"mean": 0.1, "std": 0.02, "a": 0.07, "b": 0.16}, True),
        ({"mean": 1.0, "a": 1.5, "b": 3.0}, False),  # torch is slow on these (rejection)
        ({"a": 8.0, "b": 9.0}, False),
        ({"a": -1.0, "b": 0.1}, False),
    ],
)
def test_trunc_normal_stays_within_absolute_bounds(kwargs, with_torch: bool) -> None:
    low, high = kwargs.get("a", -2.0), kwargs.get("b", 2.0)
    samples = [scratch.trunc_normal(DENSE, rng=0, **kwargs)]
    if with_torch:
        samples.append(torch_sample(TI.trunc_normal_, DENSE, **kwargs))
    for values in samples:
        assert np.float32(low) <= values.min() < low + 0.01 * (high - low)
        assert high - 0.01 * (high - low) < values.max() <= np.float32(high)


@pytest.mark.parametrize(
    "a, b", [(-9.0, -8.0), (8.0, 9.0), (1.5, 3.0), (-3.0, -1.0), (-2.0, 2.0), (-0.5, 4.0), (6.0, np.inf)]
)
def test_trunc_normal_matches_the_exact_distribution(a: float, b: float) -> None:
    """One-sample KS against scipy's exact truncated normal, tails included."""
    mean, std = 0.5, 2.0
    values = scratch.trunc_normal(DENSE, mean, std, mean + a * std, mean + b * std, rng=0)
    exact = stats.truncnorm(a, b, loc=mean, scale=std)
    assert stats.kstest(values.ravel().astype(np.float64), exact.cdf).pvalue > P_MIN


def test_trunc_normal_far_tail_has_the_exact_mean() -> None:
    values = scratch.trunc_normal(DENSE, a=20.0, b=np.inf, rng=0).astype(np.float64)
    assert values.min() >= 20.0
    assert values.mean() == pytest.approx(stats.truncnorm.mean(20.0, np.inf), rel=1e-4)


def test_trunc_normal_bounds_are_absolute_not_in_std_units() -> None:
    values = scratch.trunc_normal(DENSE, std=0.02, rng=0)  # cut at +-2 = 100 std: no cut
    assert ks_pvalue(values, torch_sample(TI.normal_, DENSE, std=0.02)) > P_MIN


def test_trunc_normal_equal_bounds_give_a_constant() -> None:
    assert np.all(scratch.trunc_normal((3, 4), a=0.5, b=0.5, rng=0) == np.float32(0.5))


# ------------------------------------------------------------------------ fans, gains


@pytest.mark.parametrize(
    "shape",
    [(3, 5), (1, 1), (7, 2), *SHAPES, (16, 3, 5, 5), (4, 6, 1, 2, 3), (0, 5), (5, 0), (2, 3, 0), [10, 20]],
)
def test_fans_match_torch(shape) -> None:
    assert scratch.compute_fans(shape) == fans(tuple(shape))


def test_fans_follow_the_out_in_kernel_layout() -> None:
    assert scratch.compute_fans((16, 3, 5, 5)) == (3 * 25, 16 * 25)


def test_nonlinearities_are_exactly_torchs() -> None:
    torch_names = typing.get_args(getattr(TI, "_NonlinearityType", None))
    if not torch_names:
        pytest.skip("this torch does not list its nonlinearities")
    assert set(scratch.NONLINEARITIES) == set(torch_names)


@pytest.mark.parametrize("nonlinearity", scratch.NONLINEARITIES)
def test_gain_matches_torch(nonlinearity: str) -> None:
    assert scratch.calculate_gain(nonlinearity) == pytest.approx(TI.calculate_gain(nonlinearity), rel=1e-15)


@pytest.mark.parametrize("param", [None, 0, 0.01, 0.2, 1, -0.5, 3.0, math.sqrt(5)])
def test_leaky_relu_gain_matches_torch(param) -> None:
    ours = scratch.calculate_gain("leaky_relu", param)
    assert ours == pytest.approx(TI.calculate_gain("leaky_relu", param), rel=1e-15)
    slope = 0.01 if param is None else param
    assert ours == pytest.approx(math.sqrt(2 / (1 + slope**2)), rel=1e-15)


def test_gain_values() -> None:
    assert scratch.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert scratch.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert scratch.calculate_gain("selu") == pytest.approx(3 / 4)
    assert scratch.calculate_gain("sigmoid") == 1.0


@pytest.mark.parametrize("nonlinearity", ["softmax", "ReLU", "gelu", None, 1])
def test_unknown_nonlinearity_raises_like_torch(nonlinearity) -> None:
    with pytest.raises(ValueError):
        TI.calculate_gain(nonlinearity)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        scratch.calculate_gain(nonlinearity)


@pytest.mark.parametrize("param", [True, False, "0.1", [0.1]])
def test_bad_leaky_relu_param_raises_like_torch(param) -> None:
    with pytest.raises(ValueError):
        TI.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError, match="param"):
        scratch.calculate_gain("leaky_relu", param)


def test_param_is_ignored_for_other_nonlinearities_as_in_torch() -> None:
    assert scratch.calculate_gain("relu", "anything") == TI.calculate_gain("relu", "anything")


# ---------------------------------------------------------------- orthogonal and eye


@pytest.mark.parametrize(
    "shape",
    [(8, 4), (4, 8), (16, 16), (16, 4, 3, 3), (64, 4, 2, 2), (1, 5), (5, 1)],
    ids=["tall", "wide", "square", "conv-wide", "conv-tall", "row", "column"],
)
@pytest.mark.parametrize("gain", [1.0, 0.5, math.sqrt(2)])
def test_orthogonal_is_semi_orthogonal(shape, gain: float) -> None:
    weight = scratch.orthogonal(shape, gain=gain, rng=0)
    assert weight.shape == tuple(shape) and weight.dtype == np.float32
    matrix = weight.reshape(shape[0], -1).astype(np.float64)
    rows, cols = matrix.shape
    gram = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_entries_match_torch() -> None:
    ours = scratch.orthogonal((320, 320), rng=0)
    theirs = torch_sample(TI.orthogonal_, (320, 320))
    assert ks_pvalue(ours, theirs) > P_MIN


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6)])
def test_orthogonal_is_haar_distributed(shape) -> None:
    """With signs fixed by R's diagonal every entry has the Haar marginal.

    An entry of a Haar-random n x n orthogonal matrix (or of its first k columns) is
    x with (x + 1) / 2 ~ Beta((n - 1) / 2, (n - 1) / 2). Without the sign fix LAPACK's
    QR makes the diagonal one-signed, which this test catches.
    """
    generator = np.random.default_rng(0)
    n = max(shape)
    diagonals = np.concatenate(
        [np.diag(scratch.orthogonal(shape, rng=generator)) for _ in range(1000)]
    ).astype(np.float64)
    haar = stats.beta((n - 1) / 2, (n - 1) / 2, loc=-1, scale=2)
    assert stats.kstest(diagonals, haar.cdf).pvalue > P_MIN


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (1, 1), (0, 3)])
def test_eye_matches_torch(shape) -> None:
    np.testing.assert_array_equal(scratch.eye(shape), TI.eye_(torch.empty(shape)).numpy())
    assert scratch.eye(shape).dtype == np.float32


# ------------------------------------------------------------------ variance scaling

VS_SHAPE = (256, 1024)  # fan_in 1024, fan_out 256, fan_avg 640: every mode differs


def test_trunc_normal_std_constant() -> None:
    assert scratch.TRUNC_NORMAL_STD == pytest.approx(stats.truncnorm.std(-2, 2), rel=1e-12)


@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
@pytest.mark.parametrize("mode, fan", [("fan_in", 1024), ("fan_out", 256), ("fan_avg", 640)])
def test_variance_scaling_variance(distribution: str, mode: str, fan: int) -> None:
    scale = 2.0
    values = scratch.variance_scaling(VS_SHAPE, scale, mode, distribution, rng=0)
    assert values.astype(np.float64).var() == pytest.approx(scale / fan, rel=0.01)
    if distribution == "truncated_normal":
        cut = 2 * math.sqrt(scale / fan) / scratch.TRUNC_NORMAL_STD
        assert np.abs(values).max() <= cut * (1 + 1e-6)


@pytest.mark.parametrize(
    "rule, rule_kwargs, vs_kwargs",
    [
        (scratch.xavier_uniform, {}, {"mode": "fan_avg", "distribution": "uniform"}),
        (scratch.xavier_normal, {}, {"mode": "fan_avg", "distribution": "normal"}),
        (scratch.kaiming_normal, {"nonlinearity": "relu"}, {"scale": 2.0, "distribution": "normal"}),
        (
            scratch.kaiming_uniform,
            {"mode": "fan_out", "nonlinearity": "relu"},
            {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"},
        ),
        (scratch.lecun_normal, {}, {"distribution": "normal"}),
        (scratch.lecun_uniform, {}, {"distribution": "uniform"}),
    ],
    ids=[
        "xavier_uniform",
        "xavier_normal",
        "he_normal",
        "he_uniform_fan_out",
        "lecun_normal",
        "lecun_uniform",
    ],
)
def test_variance_scaling_is_the_rule_behind_the_others(rule, rule_kwargs, vs_kwargs) -> None:
    """Same seed, same distribution and scale: the same array up to rounding."""
    np.testing.assert_allclose(
        scratch.variance_scaling(CONV2D, rng=3, **vs_kwargs),
        rule(CONV2D, rng=3, **rule_kwargs),
        rtol=1e-5,
        atol=1e-8,
    )


# --------------------------------------------------------------------------- errors

RANDOM_RULES = [
    scratch.uniform,
    scratch.normal,
    scratch.trunc_normal,
    scratch.xavier_uniform,
    scratch.xavier_normal,
    scratch.kaiming_uniform,
    scratch.kaiming_normal,
    scratch.lecun_uniform,
    scratch.lecun_normal,
    scratch.orthogonal,
    scratch.variance_scaling,
]
FAN_RULES = RANDOM_RULES[3:]
ALL_RULES = [*RANDOM_RULES, scratch.zeros, scratch.ones, scratch.eye, scratch.compute_fans]
RULE_IDS = [rule.__name__ for rule in RANDOM_RULES]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.__name__)
@pytest.mark.parametrize("shape", [(3, -1), (2.5, 3), (True, 3), "abc", None, (3, "4")])
def test_bad_shape_raises(rule, shape) -> None:
    with pytest.raises(ValueError, match="shape"):
        rule(shape)


@pytest.mark.parametrize("rule", [*FAN_RULES, scratch.compute_fans], ids=lambda r: r.__name__)
@pytest.mark.parametrize("shape", [(5,), 5, ()])
def test_fan_rules_need_two_dimensions(rule, shape) -> None:
    with pytest.raises(ValueError, match="shape must have at least 2 dimensions"):
        rule(shape)


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), 4])
def test_eye_needs_exactly_two_dimensions(shape) -> None:
    with pytest.raises(ValueError, match="shape must have exactly 2 dimensions"):
        scratch.eye(shape)


@pytest.mark.parametrize("rule", [scratch.kaiming_uniform, scratch.kaiming_normal])
@pytest.mark.parametrize("mode", ["fan_avg", "FAN_IN", "in", None])
def test_kaiming_bad_mode_raises(rule, mode) -> None:
    with pytest.raises(ValueError, match=r"mode must be one of \('fan_in', 'fan_out'\)"):
        rule(DENSE, mode=mode)


@pytest.mark.parametrize("rule", [scratch.kaiming_uniform, scratch.kaiming_normal])
def test_kaiming_bad_nonlinearity_and_slope_raise(rule) -> None:
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        rule(DENSE, nonlinearity="gelu")
    with pytest.raises(ValueError, match="a must be a number"):
        rule(DENSE, a="0.2")
    with pytest.raises(ValueError, match="a must be a number"):
        rule(DENSE, a=True)


def test_kaiming_a_is_ignored_unless_leaky_relu_as_in_torch() -> None:
    np.testing.assert_array_equal(
        scratch.kaiming_normal(DENSE, a=0.7, nonlinearity="relu", rng=0),
        scratch.kaiming_normal(DENSE, nonlinearity="relu", rng=0),
    )
    # a=None is torch's default slope 0.01, not 0
    none_slope = scratch.kaiming_uniform((64, 100), a=None, rng=0)
    default_slope = scratch.kaiming_uniform((64, 100), a=0.01, rng=0)
    np.testing.assert_array_equal(none_slope, default_slope)


def test_variance_scaling_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match=r"mode must be one of \('fan_in', 'fan_out', 'fan_avg'"):
        scratch.variance_scaling(DENSE, mode="fan_sum")
    with pytest.raises(ValueError, match="distribution must be one of"):
        scratch.variance_scaling(DENSE, distribution="untruncated_normal")
    for scale in (-1.0, 0.0, math.nan, math.inf, "1"):
        with pytest.raises(ValueError, match="scale"):
            scratch.variance_scaling(DENSE, scale=scale)


@pytest.mark.parametrize(
    "rule, kwargs, name",
    [
        (scratch.normal, {"std": -1.0}, "std"),
        (scratch.normal, {"mean": math.nan}, "mean"),
        (scratch.trunc_normal, {"std": 0.0}, "std"),
        (scratch.trunc_normal, {"std": -0.1}, "std"),
        (scratch.trunc_normal, {"a": 1.0, "b": -1.0}, "a must be at most b"),
        (scratch.trunc_normal, {"a": math.nan}, "a must be"),
        (scratch.trunc_normal, {"a": math.inf, "b": math.inf}, "a and b"),
        (scratch.uniform, {"a": 1.0, "b": 0.0}, "a must be at most b"),
        (scratch.uniform, {"b": math.inf}, "b must be"),
        (scratch.xavier_uniform, {"gain": -1.0}, "gain"),
        (scratch.xavier_normal, {"gain": "1"}, "gain"),
        (scratch.orthogonal, {"gain": math.nan}, "gain"),
    ],
)
def test_bad_numbers_raise(rule, kwargs, name) -> None:
    with pytest.raises(ValueError, match=name):
        rule(DENSE, **kwargs)


def test_constant_bad_value_raises() -> None:
    with pytest.raises(ValueError, match="val"):
        scratch.constant((2, 2), "one")


@pytest.mark.parametrize("rule", RANDOM_RULES, ids=RULE_IDS)
@pytest.mark.parametrize("rng", ["seed", 1.5, -1, True, np.random.RandomState(0)])
def test_bad_rng_raises(rule, rng) -> None:
    with pytest.raises(ValueError, match="rng"):
        rule((4, 5), rng=rng)


# ---------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("rule", RANDOM_RULES, ids=RULE_IDS)
def test_equal_seeds_equal_arrays_different_seeds_different(rule) -> None:
    shape = (16, 8, 3)
    np.testing.assert_array_equal(rule(shape, rng=7), rule(shape, rng=7))
    np.testing.assert_array_equal(rule(shape, rng=np.int64(7)), rule(shape, rng=7))
    assert not np.array_equal(rule(shape, rng=7), rule(shape, rng=8))


@pytest.mark.parametrize("rule", RANDOM_RULES, ids=RULE_IDS)
def test_generator_and_none_are_accepted(rule) -> None:
    shape = (16, 8)
    generator = np.random.default_rng(5)
    first, second = rule(shape, rng=generator), rule(shape, rng=generator)
    assert not np.array_equal(first, second)  # the generator's stream moves on
    np.testing.assert_array_equal(first, rule(shape, rng=np.random.default_rng(5)))
    assert not np.array_equal(rule(shape), rule(shape))  # None: fresh entropy each call
    assert rule(shape).shape == shape


def test_as_rng() -> None:
    generator = np.random.default_rng(0)
    assert scratch.as_rng(generator) is generator
    assert scratch.as_rng(3).integers(1 << 30) == np.random.default_rng(3).integers(1 << 30)
    assert isinstance(scratch.as_rng(None), np.random.Generator)


# ----------------------------------------------------------------- shapes and dtype


@pytest.mark.parametrize("rule", RANDOM_RULES, ids=RULE_IDS)
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 3, 3, 3), (4, 0, 3), (0, 0)])
def test_zero_sized_shapes_give_empty_arrays_without_warnings(rule, shape) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = rule(shape, rng=0)
    assert values.shape == shape and values.size == 0 and values.dtype == np.float32


def test_plain_rules_accept_one_dimension_and_an_int() -> None:
    for rule in (scratch.uniform, scratch.normal, scratch.trunc_normal):
        assert rule(7, rng=0).shape == (7,)
        assert rule([2, 3], rng=0).shape == (2, 3)
    assert scratch.zeros(0).shape == (0,)
    assert scratch.ones((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(scratch.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(scratch.ones(4), np.ones(4))
    np.testing.assert_array_equal(scratch.constant((2, 2), -0.25), np.full((2, 2), -0.25))
    assert scratch.constant((2, 2), 3).dtype == np.float32


def test_torch_size_and_numpy_ints_are_valid_shapes() -> None:
    assert scratch.xavier_uniform(torch.Size([4, 5]), rng=0).shape == (4, 5)
    assert scratch.kaiming_normal((np.int64(4), np.int32(5)), rng=0).shape == (4, 5)


# ------------------------------------------------------------------------- no torch


def test_import_does_not_import_torch() -> None:
    code = (
        "import sys, weightinit.scratch as s\n"
        "s.orthogonal((4, 3), rng=0); s.trunc_normal((5,), a=3.0, b=4.0, rng=0)\n"
        "s.variance_scaling((4, 3), rng=0)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
