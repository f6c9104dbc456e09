"""weightinit.checks: correct initializers pass, the usual mistakes fail with a useful hint."""

from __future__ import annotations

import math
import subprocess
import sys
import typing

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (loaded before the thread limit below, so it applies)
import torch
from threadpoolctl import threadpool_limits
from torch import nn
from weightinit import checks
from weightinit.checks import check_forget_bias, check_initializer, check_value
from weightinit.torch_init import init_lstm_

Init = typing.Callable[..., typing.Any]


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread() -> typing.Iterator[None]:
    # Small matrices: on a busy 2-core machine a second BLAS thread only contends (a QR
    # factorization took seconds instead of milliseconds). conftest.py does the same for torch.
    with threadpool_limits(limits=1):
        yield


# ------------------------------------------------ learners' functions, written by hand


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def xavier_uniform(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = fans(shape)
    bound = math.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def xavier_normal_tanh(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = fans(shape)
    return rng.normal(0, 5 / 3 * math.sqrt(2 / (fan_in + fan_out)), size=shape)


def kaiming_normal(shape, rng=None):
    rng = np.random.default_rng(rng)
    return rng.normal(0, math.sqrt(2 / fans(shape)[0]), size=shape)


def lecun_uniform(shape, rng=None):
    rng = np.random.default_rng(rng)
    bound = math.sqrt(3 / fans(shape)[0])
    return rng.uniform(-bound, bound, size=shape)


def orthogonal(shape, rng=None, sign_fix=True):
    rng = np.random.default_rng(rng)
    rows, cols = shape[0], math.prod(shape[1:])
    q, r = np.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
    if sign_fix:
        q = q * np.sign(np.diag(r))
    return (q.T if rows < cols else q).reshape(shape)


def trunc_normal(shape, rng=None):
    rng = np.random.default_rng(rng)
    values = rng.normal(size=shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.normal(size=outside.sum())
        outside = np.abs(values) > 2
    return values


CORRECT = [
    (xavier_uniform, "xavier_uniform", None),
    (xavier_normal_tanh, "xavier_normal", {"gain": 5 / 3}),
    (kaiming_normal, "kaiming_normal", {"nonlinearity": "relu"}),
    (lecun_uniform, "lecun_uniform", None),
    (orthogonal, "orthogonal", None),
    (trunc_normal, "trunc_normal", None),
]


@pytest.mark.parametrize(
    ("fn", "reference", "kwargs"), CORRECT, ids=[reference for _, reference, _ in CORRECT]
)
def test_correct_initializers_pass(
    fn: Init, reference: str, kwargs: dict | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_initializer(fn, reference, reference_kwargs=kwargs) is True
    out = capsys.readouterr().out
    n_checks = 10 if reference == "orthogonal" else 9
    assert out == f"✓ {reference}: all {n_checks} checks passed (4 shapes, seeds (0, 1))\n"


def test_custom_shapes_and_one_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_initializer(xavier_uniform, "xavier_uniform", shapes=[(300, 200)], seeds=(7,))
    assert "all 8 checks passed (1 shapes, seeds (7,))" in capsys.readouterr().out


def test_verbose_false_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_initializer(xavier_uniform, "xavier_uniform", verbose=False) is True
    assert check_initializer(lambda shape, rng=None: None, "xavier_uniform", verbose=False) is False
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------- the usual mistakes


def seed_003_xavier(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = fans(shape)
    bound = math.sqrt(6 / ((fan_in + fan_out) / 2))
    return rng.uniform(-bound, bound, size=shape)


def kaiming_fan_out(shape, rng=None):
    rng = np.random.default_rng(rng)
    return rng.normal(0, math.sqrt(2 / fans(shape)[1]), size=shape)


def lecun_fan_out(shape, rng=None):
    rng = np.random.default_rng(rng)
    return rng.normal(0, math.sqrt(1 / fans(shape)[1]), size=shape)


def kaiming_without_gain(shape, rng=None):
    rng = np.random.default_rng(rng)
    return rng.normal(0, math.sqrt(1 / fans(shape)[0]), size=shape)


def kaiming_variance_as_std(shape, rng=None):
    rng = np.random.default_rng(rng)
    return rng.normal(0, 2 / fans(shape)[0], size=shape)


def kaiming_without_kernel(shape, rng=None):
    rng = np.random.default_rng(rng)
    return rng.normal(0, math.sqrt(2 / shape[1]), size=shape)


def xavier_fan_out_without_kernel(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, _ = fans(shape)
    bound = math.sqrt(6 / (fan_in + shape[0]))
    return rng.uniform(-bound, bound, size=shape)


def transposed(shape, rng=None):
    return xavier_uniform(shape, rng).T


def with_nan(shape, rng=None):
    weights = xavier_uniform(shape, rng)
    weights[0, 0] = np.nan
    return weights


def raises(shape, rng=None):
    raise ValueError("boom")


def ignores_rng(shape, rng=None):
    generator = np.random.default_rng()
    fan_in, fan_out = fans(shape)
    bound = math.sqrt(6 / (fan_in + fan_out))
    return generator.uniform(-bound, bound, size=shape)


def constant_seed(shape, rng=None):
    return xavier_uniform(shape, 0)


def normal_not_uniform(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = fans(shape)
    return rng.normal(0, math.sqrt(2 / (fan_in + fan_out)), size=shape)


def bound_as_std(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = fans(shape)
    return rng.normal(0, math.sqrt(6 / (fan_in + fan_out)), size=shape)


def stub(shape, rng=None):
    return None


def not_implemented(shape, rng=None):
    raise NotImplementedError


def generator_only(shape, rng=None):
    fan_in, fan_out = fans(shape)
    bound = math.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def nonnegative(shape, rng=None):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = fans(shape)
    return rng.uniform(0, math.sqrt(6 / (fan_in + fan_out)), size=shape)


def integers(shape, rng=None):
    return np.random.default_rng(rng).integers(-1, 2, size=shape)


def single_number(shape, rng=None):
    return np.random.default_rng(rng).uniform(-0.1, 0.1)


def clipped(shape, rng=None):
    return np.clip(np.random.default_rng(rng).normal(size=shape), -2, 2)


def untruncated(shape, rng=None):
    return np.random.default_rng(rng).normal(size=shape)


def variance_scaling_unrescaled(shape, rng=None):
    std = math.sqrt(1 / fans(shape)[0])
    rng = np.random.default_rng(rng)
    values = rng.normal(0, std, size=shape)
    outside = np.abs(values) > 2 * std
    while outside.any():
        values[outside] = rng.normal(0, std, size=outside.sum())
        outside = np.abs(values) > 2 * std
    return values


def orthogonal_without_sign_fix(shape, rng=None):
    return orthogonal(shape, rng, sign_fix=False)


def gaussian_not_orthogonal(shape, rng=None):
    rows, cols = shape[0], math.prod(shape[1:])
    return np.random.default_rng(rng).normal(0, 1 / math.sqrt(max(rows, cols)), size=shape)


def no_rng_argument(shape):
    return xavier_uniform(shape, 0)


def dense_only(shape, rng=None):
    fan_out, fan_in = shape
    return xavier_uniform(shape, rng)


def returns_tensor(shape, rng=None):
    return torch.zeros(shape)


MISTAKES = [
    (
        seed_003_xavier,
        "xavier_uniform",
        ["1.4", "variance 2.00x", "widely copied", "sqrt(6 / (fan_in + fan_out))"],
    ),
    (kaiming_fan_out, "kaiming_normal", ["depending on the shape", "fan_out where the rule uses fan_in"]),
    (lecun_fan_out, "lecun_normal", ["fan_out where the rule uses fan_in"]),
    (kaiming_without_gain, "kaiming_normal", ["0.71x", "gain sqrt(2) is missing"]),
    (kaiming_variance_as_std, "kaiming_normal", ["square root too few"]),
    (kaiming_without_kernel, "kaiming_normal", ["the fans leave out the kernel"]),
    (xavier_fan_out_without_kernel, "xavier_uniform", ["fan_out leaves out the kernel"]),
    (transposed, "xavier_uniform", ["transposed", "(512, 256)", "(fan_out, fan_in, *kernel)"]),
    (with_nan, "xavier_uniform", ["NaN"]),
    (raises, "xavier_uniform", ["ValueError", "boom"]),
    (ignores_rng, "xavier_uniform", ["same seed gave different arrays", "np.random.default_rng(rng)"]),
    (constant_seed, "xavier_uniform", ["seeds 0 and 1 gave the same array"]),
    (normal_not_uniform, "xavier_uniform", ["look normal", "the rule is uniform"]),
    (xavier_uniform, "xavier_normal", ["look uniform", "the rule is a normal"]),
    (bound_as_std, "xavier_uniform", ["sqrt(3)", "look normal"]),
    (stub, "xavier_uniform", ["not yet: your function returned None"]),
    (not_implemented, "kaiming_normal", ["not yet", "NotImplementedError"]),
    (generator_only, "xavier_uniform", ["an int seed fails", "np.random.default_rng(rng)"]),
    (nonnegative, "xavier_uniform", ["U(0, b) instead of U(-b, b)"]),
    (integers, "xavier_uniform", ["dtype int64"]),
    (single_number, "xavier_uniform", ["single number", "size=shape"]),
    (clipped, "trunc_normal", ["pile up", "np.clip is not truncation"]),
    (untruncated, "trunc_normal", ["outside the truncation interval", "untruncated"]),
    (variance_scaling_unrescaled, "variance_scaling", ["0.8796"]),
    (orthogonal_without_sign_fix, "orthogonal", ["not uniformly distributed", "np.sign"]),
    (gaussian_not_orthogonal, "orthogonal", ["not orthogonal"]),
    (no_rng_argument, "xavier_uniform", ["unexpected keyword", "def f(shape, rng=None)"]),
    (dense_only, "xavier_uniform", ["(64, 32, 3, 3)", "conv shape"]),
    (returns_tensor, "xavier_uniform", ["Tensor", "not a NumPy array"]),
]


@pytest.mark.parametrize(("fn", "reference", "phrases"), MISTAKES, ids=[fn.__name__ for fn, _, _ in MISTAKES])
def test_mistakes_fail_with_a_hint(
    fn: Init, reference: str, phrases: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = check_initializer(fn, reference)  # never raises: no pytest.raises needed
    out = capsys.readouterr().out
    assert result is False
    assert out.startswith(f"✗ {reference}: ")
    assert "✓" not in out
    for phrase in phrases:
        assert phrase in out, (phrase, out)
    lines = out.splitlines()
    problem_lines = lines if len(lines) == 1 else lines[1:]  # one problem: one line
    assert problem_lines and all(" — " in line for line in problem_lines)  # each has a hint


def test_fan_out_mode_reference() -> None:
    assert check_initializer(
        kaiming_fan_out, "kaiming_normal", reference_kwargs={"mode": "fan_out"}, verbose=False
    )
    assert not check_initializer(
        kaiming_normal, "kaiming_normal", reference_kwargs={"mode": "fan_out"}, verbose=False
    )


def test_caller_errors_raise_value_error() -> None:
    with pytest.raises(ValueError, match="xavier_uniform") as error:
        check_initializer(xavier_uniform, "glorot_uniform")
    assert "glorot_uniform" in str(error.value)
    with pytest.raises(ValueError, match="reference 'kaiming_normal' rejects"):
        check_initializer(kaiming_normal, "kaiming_normal", reference_kwargs={"mode": "fan"})
    with pytest.raises(ValueError, match="reference"):
        check_initializer(xavier_uniform, "xavier_uniform", shapes=[(10,)])


def test_import_does_not_import_torch() -> None:
    code = "import sys, weightinit.checks; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------- check_value


@pytest.mark.parametrize(
    ("got", "expected", "passes", "phrase"),
    [
        (0.0884, math.sqrt(6 / 768), True, "✓ bound = 0.0884"),
        (0.125, math.sqrt(6 / 768), False, "too large by a factor sqrt(2)"),
        (0.0625, 0.125, False, "too small by a factor 2"),
        (0.0625, 0.25, False, "the square"),
        (0.5, 0.25, False, "the square root"),
        (-0.25, 0.25, False, "sign"),
        (None, 0.25, False, "not yet"),
        ("abc", 0.25, False, "expected a number"),
        (float("nan"), 0.25, False, "NaN"),
        ([1.0, 2.0], [1.0, 2.0], True, "all 2 values match"),
        ([1.0, 3.0], [1.0, 2.0], False, "1 of 2 values"),
        ([1.0], [1.0, 2.0], False, "shape"),
        (torch.tensor(0.25, requires_grad=True), 0.25, True, "✓"),
    ],
)
def test_check_value(
    got: typing.Any, expected: typing.Any, passes: bool, phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_value("bound", got, expected) is passes
    out = capsys.readouterr().out
    assert phrase in out
    assert "(expected" not in out and "; expected" not in out  # the answer stays hidden


def test_check_value_reveal(capsys: pytest.CaptureFixture[str]) -> None:
    assert not check_value("std", 0.3, 0.5, reveal=True)
    assert "expected 0.5" in capsys.readouterr().out


# ----------------------------------------------------------------- check_forget_bias

H = 16  # check_forget_bias builds nn.LSTM(12, 16, num_layers=2)


def set_forget(
    lstm: nn.LSTM,
    ih: float,
    hh: float,
    layers: typing.Iterable[int] = (0, 1),
    start: int = H,
    zero_first: bool = True,
) -> None:
    with torch.no_grad():
        for layer in layers:
            bias_ih, bias_hh = getattr(lstm, f"bias_ih_l{layer}"), getattr(lstm, f"bias_hh_l{layer}")
            if zero_first:
                bias_ih.zero_()
                bias_hh.zero_()
            bias_ih[start : start + H] = ih
            bias_hh[start : start + H] = hh


def fill_every_gate(lstm: nn.LSTM) -> None:
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param.fill_(1.0)
            elif name.startswith("bias_hh"):
                param.zero_()


def without_no_grad(lstm: nn.LSTM) -> None:
    lstm.bias_ih_l0[H : 2 * H] = 1.0


def not_implemented_lstm(lstm: nn.LSTM) -> None:
    raise NotImplementedError


FORGET_MISTAKES = {
    "double_counted": (
        lambda lstm: set_forget(lstm, 1.0, 1.0),
        ["both bias_ih and bias_hh", "the effective bias is 2"],
    ),
    "first_layer_only": (lambda lstm: set_forget(lstm, 1.0, 0.0, layers=[0]), ["only layer 0"]),
    "input_gate_slice": (lambda lstm: set_forget(lstm, 1.0, 0.0, start=0), ["input gate's slice", "[H:2H]"]),
    "every_gate": (fill_every_gate, ["other gates' biases changed"]),
    "stub_does_nothing": (lambda lstm: None, ["not yet", "unchanged"]),
    "stub_raises": (not_implemented_lstm, ["not yet", "NotImplementedError"]),
    "without_no_grad": (without_no_grad, ["RuntimeError", "torch.no_grad()"]),
}


def test_check_forget_bias_passes(capsys: pytest.CaptureFixture[str]) -> None:
    state = torch.get_rng_state()
    assert check_forget_bias(init_lstm_) is True
    assert check_forget_bias(lambda lstm: set_forget(lstm, 0.5, 0.5)) is True
    # other gates keeping their default biases is fine too
    assert check_forget_bias(lambda lstm: set_forget(lstm, 1.0, 0.0, zero_first=False)) is True
    assert check_forget_bias(lambda lstm: init_lstm_(lstm, 2.0), forget_bias=2.0) is True
    assert torch.equal(state, torch.get_rng_state())  # the check leaves the global state
    assert capsys.readouterr().out.count("✓ forget-gate bias") == 4


def test_check_forget_bias_bias_hh_left_at_default(capsys: pytest.CaptureFixture[str]) -> None:
    def ih_only(lstm: nn.LSTM) -> None:
        with torch.no_grad():
            for layer in range(2):
                getattr(lstm, f"bias_ih_l{layer}")[H : 2 * H] = 1.0

    assert check_forget_bias(ih_only) is False
    assert "bias_hh's forget slice still holds its random default" in capsys.readouterr().out


@pytest.mark.parametrize(("fn", "phrases"), FORGET_MISTAKES.values(), ids=FORGET_MISTAKES)
def test_check_forget_bias_mistakes(fn: Init, phrases: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert check_forget_bias(fn) is False  # and no exception escapes
    out = capsys.readouterr().out
    assert out.startswith("✗ forget-gate bias")
    for phrase in phrases:
        assert phrase in out, (phrase, out)


def test_check_forget_bias_wrong_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_forget_bias(init_lstm_, forget_bias=3.0) is False
    assert "not 3 everywhere" in capsys.readouterr().out


def test_module_lists() -> None:
    from weightinit import scratch

    assert set(checks.REFERENCES) <= set(dir(scratch))
    assert all(len(set(shape[:2])) == 2 for shape in checks.DEFAULT_SHAPES)  # non-square
    assert sum(math.prod(shape) for shape in checks.DEFAULT_SHAPES) >= 100_000


# ------------------------------------------------------------- Keras' LSTM defaults


def keras_like_lstm_(
    lstm: nn.LSTM, per_gate: bool = False, orthogonal_blocks: bool = False, forget_in_both: bool = False
) -> nn.LSTM:
    H = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            w_ih, w_hh = getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")
            for block in w_ih.split(H) if per_gate else [w_ih]:
                nn.init.xavier_uniform_(block)
            for block in w_hh.split(H) if orthogonal_blocks else [w_hh]:
                nn.init.orthogonal_(block)
            for kind in ("ih", "hh"):
                bias = getattr(lstm, f"bias_{kind}_l{layer}")
                nn.init.zeros_(bias)
                if kind == "ih" or forget_in_both:
                    bias[H : 2 * H] = 1.0
    return lstm


def test_check_keras_lstm_accepts_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.check_keras_lstm(keras_like_lstm_) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ Keras-like LSTM: all 7 checks passed")


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"per_gate": True}, "glorot_uniform per gate"),
        ({"orthogonal_blocks": True}, "each gate block is orthogonal on its own"),
        ({"forget_in_both": True}, "in both bias_ih and bias_hh"),
    ],
)
def test_check_keras_lstm_names_the_mistake(
    kwargs: dict, phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert checks.check_keras_lstm(lambda lstm: keras_like_lstm_(lstm, **kwargs)) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ Keras-like LSTM") and phrase in out, out


def test_check_keras_lstm_checks_more_than_the_biases(capsys: pytest.CaptureFixture[str]) -> None:
    # init_lstm_ gets the biases right but draws Xavier per gate block: the bias check passes
    # and the Keras check does not.
    assert checks.check_forget_bias(init_lstm_, verbose=False)
    assert not checks.check_keras_lstm(init_lstm_, verbose=False)
    assert capsys.readouterr().out == ""


# ------------------------------------------------- no false alarms (slow: make test only)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fn", "reference", "kwargs"), CORRECT, ids=[reference for _, reference, _ in CORRECT]
)
def test_correct_initializers_never_fail_over_20_seed_pairs(
    fn: Init, reference: str, kwargs: dict | None
) -> None:
    # A learner with a correct rule must never read ✗: every tolerance is several standard
    # errors wide, so 20 seed pairs (40 draws of every default shape) give zero false alarms.
    failures = [
        (seed, seed + 1)
        for seed in range(0, 40, 2)
        if not check_initializer(
            fn, reference, seeds=(seed, seed + 1), reference_kwargs=kwargs, verbose=False
        )
    ]
    assert failures == []
