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
