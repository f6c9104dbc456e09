"""weightinit.frameworks: every row of the framework table is the rule it claims to be."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from weightinit import scratch
from weightinit.frameworks import DEFAULTS, FRAMEWORKS, FrameworkDefault, defaults_table, find

P_MIN = 1e-3  # KS p-value below which two samples are declared different
SHAPES = ((256, 512), (64, 32, 3, 3))


@pytest.mark.parametrize("row", DEFAULTS, ids=lambda r: f"{r.framework}:{r.initializer}")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_each_row_has_its_variance_and_bound(row: FrameworkDefault, shape: tuple) -> None:
    weights = row.sample(shape, rng=0).astype(np.float64)
    fan_in, fan_out = scratch.compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[row.mode]
    assert math.isclose(row.std(shape), math.sqrt(row.scale / fan))
    assert abs(weights.var() / (row.scale / fan) - 1) < 0.03
    assert np.abs(weights).max() <= row.bound(shape) * (1 + 1e-6)
    if row.distribution != "normal":  # the bound is reached, not just respected
        assert np.abs(weights).max() > 0.99 * row.bound(shape)


def test_truncated_rows_are_truncated_at_two_stds_of_the_normal() -> None:
    row = find("Keras", "he_normal")
    shape = (256, 512)
    weights = row.sample(shape, rng=0)
    sigma = math.sqrt(2 / 512) / scratch.TRUNC_NORMAL_STD  # the normal before truncation
    assert math.isclose(row.bound(shape), 2 * sigma)
    assert np.abs(weights).max() <= 2 * sigma * (1 + 1e-6)
    reference = stats.truncnorm(-2, 2, scale=sigma).rvs(size=100_000, random_state=0)
    assert stats.ks_2samp(weights.ravel(), reference).pvalue > P_MIN


def test_truncation_constant() -> None:
    assert math.isclose(stats.truncnorm(-2, 2).std(), scratch.TRUNC_NORMAL_STD, rel_tol=1e-12)


TORCH_RULES = {
    "xavier_uniform_": nn.init.xavier_uniform_,
    "xavier_normal_": nn.init.xavier_normal_,
    "kaiming_uniform_(w, nonlinearity='relu')": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
    "kaiming_normal_(w, nonlinearity='relu')": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "kaiming_uniform_(w, a=math.sqrt(5))": lambda w: nn.init.kaiming_uniform_(w, a=math.sqrt(5)),
}


@pytest.mark.parametrize("name", sorted(TORCH_RULES))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pytorch_rows_match_torch(name: str, shape: tuple) -> None:
    row = find("PyTorch", name)
    torch.manual_seed(0)
    theirs = TORCH_RULES[name](torch.empty(shape)).numpy().ravel()
    ours = row.sample(shape, rng=0).ravel()
    assert stats.ks_2samp(ours, theirs).pvalue > P_MIN


def test_pytorch_default_is_what_linear_and_conv_draw() -> None:
    torch.manual_seed(0)
    for layer in (nn.Linear(512, 256), nn.Conv2d(32, 64, 3)):
        weight = layer.weight.detach().numpy()
        ours = find("PyTorch", "kaiming_uniform_(w, a=math.sqrt(5))").sample(weight.shape, rng=0)
        assert stats.ks_2samp(ours.ravel(), weight.ravel()).pvalue > P_MIN
        fan_in = scratch.compute_fans(weight.shape)[0]
        assert math.isclose(
            find("PyTorch", "kaiming_uniform_(w, a=math.sqrt(5))").bound(weight.shape), 1 / math.sqrt(fan_in)
        )


def test_every_framework_has_rows_and_sources() -> None:
    assert {row.framework for row in DEFAULTS} == set(FRAMEWORKS)
    for row in DEFAULTS:
        assert row.source.startswith("https://")
        assert row.call().startswith("variance_scaling(shape, scale=")
    assert len({(row.framework, row.initializer) for row in DEFAULTS}) == len(DEFAULTS)


def test_defaults_table() -> None:
    table = defaults_table()
    assert len(table) == len(DEFAULTS)
    keras = defaults_table("Keras", shape=(10, 30))
    assert {row["framework"] for row in keras} == {"Keras"}
    glorot = next(row for row in keras if row["initializer"] == "glorot_uniform")
    assert math.isclose(glorot["bound"], math.sqrt(6 / (10 + 30)))
    assert find("PyTorch", "xavier_normal_").bound((3, 4)) == math.inf


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: find("MXNet", "xavier"), "framework must be one of"),
        (lambda: find("Keras", "xavier_uniform_"), "initializer must be one of"),
        (lambda: defaults_table("caffe"), "framework must be None or one of"),
        (lambda: defaults_table(shape=(5,)), "shape must have at least 2 dimensions"),
        (
            lambda: FrameworkDefault("Caffe", "x", "", 1.0, "fan_in", "normal", "https://x"),
            "framework must be one of",
        ),
        (
            lambda: FrameworkDefault("Keras", "x", "", 1.0, "fan_sum", "normal", "https://x"),
            "mode must be one of",
        ),
        (
            lambda: FrameworkDefault("Keras", "x", "", 1.0, "fan_in", "cauchy", "https://x"),
            "distribution must be one of",
        ),
        (
            lambda: FrameworkDefault("Keras", "x", "", -2.0, "fan_in", "normal", "https://x"),
            "scale must be a finite number > 0",
        ),
    ],
)
def test_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_no_torch_import() -> None:
    code = "import sys, weightinit.frameworks; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# The table against the real Keras 3 and JAX (test dependencies pinned in requirements.txt).
# Keras and JAX store a dense kernel as (fan_in, fan_out) and a 2-d convolution kernel as
# (height, width, in, out): `_their_layout` turns torch's layout into theirs, `.T`-like
# transposes bring the draw back.
def _their_layout(shape: tuple) -> tuple:
    out_channels, in_channels, *kernel = shape
    return (*kernel, in_channels, out_channels)


def _to_torch_layout(weights: np.ndarray) -> np.ndarray:
    *kernel, in_channels, out_channels = range(weights.ndim)
    return np.transpose(weights, (out_channels, in_channels, *kernel))


@pytest.fixture(scope="module")
def real_initializers() -> dict:
    """(framework, initializer) -> a function of a shape in torch's layout that draws with
    the library itself and returns the weights in torch's layout."""
    import os

    os.environ["KERAS_BACKEND"] = "jax"  # Keras defaults to TensorFlow, not installed
    jax = pytest.importorskip("jax")
    keras = pytest.importorskip("keras")
    assert keras.backend.backend() == "jax"
    init = jax.nn.initializers

    def with_jax(initializer):
        def draw(shape):
            with jax.disable_jit():  # eager: no compilation per shape, 10x faster here
                weights = initializer(jax.random.key(1), _their_layout(shape))
            return _to_torch_layout(np.asarray(weights, dtype=np.float64))

        return draw

    def with_keras(initializer_class):
        def draw(shape):
            with jax.disable_jit():
                weights = initializer_class(seed=1)(_their_layout(shape))
            return _to_torch_layout(np.asarray(weights, dtype=np.float64))

        return draw

    k = keras.initializers
    return {
        ("Keras", "glorot_uniform"): with_keras(k.GlorotUniform),
        ("Keras", "glorot_normal"): with_keras(k.GlorotNormal),
        ("Keras", "he_normal"): with_keras(k.HeNormal),
        ("Keras", "he_uniform"): with_keras(k.HeUniform),
        ("Keras", "lecun_normal"): with_keras(k.LecunNormal),
        ("Keras", "VarianceScaling()"): with_keras(k.VarianceScaling),
        ("JAX", "jax.nn.initializers.glorot_uniform"): with_jax(init.glorot_uniform()),
        ("JAX", "jax.nn.initializers.he_normal"): with_jax(init.he_normal()),
        ("JAX", "jax.nn.initializers.lecun_normal"): with_jax(init.lecun_normal()),
        # flax.linen's default kernel_init is jax.nn.initializers.lecun_normal() itself
        # (flax.linen.initializers re-exports JAX's); Flax is not a test dependency.
        ("Flax", "lecun_normal"): with_jax(init.lecun_normal()),
    }


NON_TORCH_ROWS = tuple(row for row in DEFAULTS if row.framework != "PyTorch")


def test_every_non_torch_row_has_a_real_counterpart(real_initializers: dict) -> None:
    assert set(real_initializers) == {(row.framework, row.initializer) for row in NON_TORCH_ROWS}


@pytest.mark.parametrize("row", NON_TORCH_ROWS, ids=lambda r: f"{r.framework}:{r.initializer}")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_keras_and_jax_rows_match_the_libraries(
    row: FrameworkDefault, shape: tuple, real_initializers: dict
) -> None:
    theirs = real_initializers[row.framework, row.initializer](shape)
    assert theirs.shape == shape
    ours = row.sample(shape, rng=0)
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue > P_MIN
    # The same largest |w|: catches a row that is normal where the library truncates.
    assert np.abs(theirs).max() <= row.bound(shape) * (1 + 1e-5)


def test_keras_layers_use_the_rows_defaults(real_initializers: dict) -> None:
    import keras

    assert find("Keras", "glorot_uniform").used_by == "Dense, Conv2D, LSTM kernels"
    for layer in (keras.layers.Dense(4), keras.layers.Conv2D(4, 3), keras.layers.LSTM(4)):
        initializer = getattr(layer, "kernel_initializer", None) or layer.cell.kernel_initializer
        assert type(initializer).__name__ == "GlorotUniform"
