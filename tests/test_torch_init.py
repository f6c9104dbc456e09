"""weightinit.torch_init: every layer type and method, stats tables, LSTM biases, LeCun rules."""

from __future__ import annotations

import math
import re
import warnings

import pytest
import torch
from scipy import stats
from torch import nn
from weightinit import torch_init
from weightinit.torch_init import (
    METHODS,
    apply_weight_init,
    effective_forget_bias,
    init_lstm_,
    lecun_normal_,
    lecun_uniform_,
    print_weight_stats,
    weight_stats,
)

P_MIN = 1e-3  # KS p-value below which two samples are declared different
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm2d)


def make_model() -> nn.Module:
    """One of every supported layer type, each weight block with thousands of values."""
    torch.manual_seed(0)  # torch's default init, which every method must overwrite
    return nn.ModuleDict(
        {
            "linear": nn.Linear(256, 512),
            "conv1d": nn.Conv1d(32, 64, 5),
            "conv2d": nn.Conv2d(16, 32, 3),
            "conv3d": nn.Conv3d(8, 16, 3),
            "deconv2d": nn.ConvTranspose2d(16, 32, 3),
            "embedding": nn.Embedding(1000, 64, padding_idx=0),
            "rnn": nn.RNN(64, 128),
            "lstm": nn.LSTM(64, 96, num_layers=2, bidirectional=True),
            "gru": nn.GRU(48, 80),
            "lstm_cell": nn.LSTMCell(32, 64),
            "sequential": nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 200)),
            "bn1d": nn.BatchNorm1d(20),
            "bn2d": nn.BatchNorm2d(20),
            "bn3d": nn.BatchNorm3d(20),
            "layernorm": nn.LayerNorm(30),
            "groupnorm": nn.GroupNorm(4, 32),
            "instancenorm": nn.InstanceNorm2d(8, affine=True),
        }
    )


def weight_blocks(model: nn.Module) -> list[tuple[str, str, torch.Tensor]]:
    """(name, role, tensor) for every weight, recurrent ones split into gate blocks.

    role is "input" (rule of the method) or "recurrent" (hidden-to-hidden).
    """
    blocks = []
    for module_name, module in model.named_modules():
        if isinstance(module, nn.RNNBase | nn.RNNCellBase):
            for name, param in module.named_parameters(recurse=False):
                if name.startswith("weight_hr"):
                    blocks.append((f"{module_name}.{name}", "recurrent", param))
                elif name.startswith("weight"):
                    role = "input" if name.startswith("weight_ih") else "recurrent"
                    for index, block in enumerate(param.split(module.hidden_size)):
                        blocks.append((f"{module_name}.{name}[{index}]", role, block))
        elif isinstance(module, nn.Linear | nn.Embedding | nn.modules.conv._ConvNd):
            blocks.append((f"{module_name}.weight", "input", module.weight))
    return blocks


def expected_std(method: str, shape: torch.Size) -> float:
    """The std each method's rule gives a weight of this shape (torch's fans)."""
    receptive_field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive_field, shape[0] * receptive_field
    rows, cols = shape[0], math.prod(shape[1:])
    return {
        "normal": 0.01,
        "uniform": 0.05 / math.sqrt(3),
        "xavier": math.sqrt(2 / (fan_in + fan_out)),
        "he": math.sqrt(2 / fan_in),
        "kaiming": math.sqrt(2 / fan_in),
        "lecun": math.sqrt(1 / fan_in),
        "orthogonal": 1 / math.sqrt(max(rows, cols)),
    }[method]


def assert_orthonormal(block: torch.Tensor) -> None:
    matrix = block.detach().reshape(block.shape[0], -1).double()
    rows, cols = matrix.shape
    gram = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
    torch.testing.assert_close(gram, torch.eye(min(rows, cols), dtype=torch.float64), atol=1e-4, rtol=0)


@pytest.mark.parametrize("method", METHODS)
def test_apply_weight_init_every_layer(method: str) -> None:
    model = make_model()
    assert apply_weight_init(model, method, generator=torch.Generator().manual_seed(1)) is model
    blocks = weight_blocks(model)
    assert len(blocks) > 40  # every gate block of every recurrent layer is listed
    for name, role, tensor in blocks:
        values = tensor.detach()
        rule = method
        if role == "recurrent" and method not in ("zeros", "normal", "uniform"):
            assert_orthonormal(values)
            continue
        if rule == "zeros":
            assert values.abs().max().item() == 0, name
            continue
        if name == "embedding.weight":
            assert values[0].abs().max().item() == 0  # padding_idx stays 0
            values = values[1:]
        std = expected_std(rule, tensor.shape)
        assert values.std().item() == pytest.approx(std, rel=0.1), name
        assert abs(values.mean().item()) < 0.1 * std, name
    for name, param in model.named_parameters():
        if "bias" in name:
            assert param.abs().max().item() == 0, name
    for module in model.modules():
        if isinstance(module, NORM_TYPES):
            assert torch.equal(module.weight, torch.ones_like(module.weight))
            assert torch.equal(module.bias, torch.zeros_like(module.bias))


def test_recurrent_weights_are_orthogonal_per_gate_not_stacked() -> None:
    lstm = apply_weight_init(nn.LSTM(32, 48), "xavier", generator=torch.Generator().manual_seed(0))
    stacked = lstm.weight_hh_l0.detach().double()
    # each of the 4 blocks is orthogonal, so the stacked columns have squared norm 4
    torch.testing.assert_close(stacked.T @ stacked, 4 * torch.eye(48, dtype=torch.float64), atol=1e-4, rtol=0)
    # Xavier per gate: bound sqrt(6 / (in + H)), not sqrt(6 / (in + 4H)) of the stacked matrix
    bound = math.sqrt(6 / (32 + 48))
    assert 0.95 * bound < lstm.weight_ih_l0.abs().max().item() <= bound


def test_uniform_baseline_bounds() -> None:
    model = apply_weight_init(nn.Linear(300, 400), "uniform")
    assert 0.049 < model.weight.abs().max().item() <= 0.05


def test_unknown_method_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="glorot") as error:
        apply_weight_init(nn.Linear(3, 4), "glorot")
    for method in METHODS:
        assert repr(method) in str(error.value)


def test_generator_reproducible_and_leaves_global_state() -> None:
    def init(seed: int) -> dict[str, torch.Tensor]:
        model = apply_weight_init(make_model(), "orthogonal", generator=torch.Generator().manual_seed(seed))
        return model.state_dict()

    first, again, other = init(3), init(3), init(4)
    for key in first:
        assert torch.equal(first[key], again[key]), key
    assert not torch.equal(first["linear.weight"], other["linear.weight"])
    assert not torch.equal(first["lstm.weight_hh_l1_reverse"], other["lstm.weight_hh_l1_reverse"])
    model = make_model()
    state = torch.get_rng_state()
    apply_weight_init(model, "orthogonal", generator=torch.Generator().manual_seed(0))
    assert torch.equal(state, torch.get_rng_state())


def test_lazy_and_empty_layers_are_skipped() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own init warns about the empty weight
        model = nn.Sequential(nn.LazyLinear(4), nn.Linear(0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        apply_weight_init(model, "he")
    assert model[1].weight.shape == (3, 0)


def test_weight_stats_agree_with_torch() -> None:
    model = apply_weight_init(make_model(), "he", generator=torch.Generator().manual_seed(0))
    rows = weight_stats(model)
    params = dict(model.named_parameters())
    assert [row["name"] for row in rows] == list(params)
    for row in rows:
        param = params[row["name"]].detach()
        assert row["shape"] == tuple(param.shape)
        assert row["mean"] == pytest.approx(param.mean().item(), rel=1e-4, abs=1e-7)
        assert row["std"] == pytest.approx(param.std(correction=0).item(), rel=1e-4, abs=1e-7)
        assert row["min"] == pytest.approx(param.min().item())
        assert row["max"] == pytest.approx(param.max().item())


def test_weight_stats_one_element_parameter_has_std_zero() -> None:
    module = nn.Module()
    module.scale = nn.Parameter(torch.tensor([2.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (row,) = weight_stats(module)
    assert row == {"name": "scale", "shape": (1,), "mean": 2.5, "std": 0.0, "min": 2.5, "max": 2.5}


def test_print_weight_stats_table(capsys: pytest.CaptureFixture[str]) -> None:
    model = apply_weight_init(make_model(), "xavier")
    assert print_weight_stats(model) is None
    lines = capsys.readouterr().out.splitlines()
    assert re.split(r"\s+", lines[0]) == ["name", "shape", "mean", "std", "min", "max"]
    names = [name for name, _ in model.named_parameters()]
    assert [line.split()[0] for line in lines[1:]] == names
    assert len({len(line) for line in lines}) == 1  # right-aligned columns
    std_column = lines[0].index("std") + len("std")
    linear = next(line for line in lines if line.startswith("linear.weight "))
    assert float(linear[:std_column].split()[-1]) == pytest.approx(math.sqrt(2 / 768), rel=0.05)


@pytest.mark.parametrize("forget_bias", [1.0, 2.5])
def test_init_lstm_bidirectional_multilayer(forget_bias: float) -> None:
    input_size, hidden_size = 40, 64
    lstm = nn.LSTM(input_size, hidden_size, num_layers=2, bidirectional=True)
    assert init_lstm_(lstm, forget_bias, generator=torch.Generator().manual_seed(0)) is lstm
    effective = effective_forget_bias(lstm)
    assert effective.shape == (4, hidden_size)
    assert torch.equal(effective, torch.full_like(effective, forget_bias))
    for name, param in lstm.named_parameters():
        if name.startswith("bias_hh"):
            assert param.abs().max().item() == 0
        elif name.startswith("bias_ih"):
            others = torch.cat([param[:hidden_size], param[2 * hidden_size :]])
            assert others.abs().max().item() == 0
        else:
            fan_in = param.shape[1]
            bound = math.sqrt(6 / (fan_in + hidden_size))  # per gate: fan_out = H
            for block in param.split(hidden_size):
                assert 0.95 * bound < block.abs().max().item() <= bound, name
                assert block.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)


def test_init_lstm_projection_and_cell() -> None:
    lstm = init_lstm_(nn.LSTM(10, 32, num_layers=2, proj_size=8), forget_bias=1.0)
    assert torch.equal(effective_forget_bias(lstm), torch.ones(2, 32))
    hh_bound = math.sqrt(6 / (8 + 32))  # weight_hh blocks are (32, 8)
    assert lstm.weight_hh_l1.abs().max().item() <= hh_bound
    hr_bound = math.sqrt(6 / (32 + 8))  # weight_hr (8, 32), not gated
    assert 0.9 * hr_bound < lstm.weight_hr_l0.abs().max().item() <= hr_bound
    cell = init_lstm_(nn.LSTMCell(10, 16), forget_bias=3.0)
    assert torch.equal(effective_forget_bias(cell), torch.full((1, 16), 3.0))


def test_effective_forget_bias_sees_double_counting() -> None:
    lstm = nn.LSTM(4, 5)
    with torch.no_grad():
        lstm.bias_ih_l0[5:10] = 1.0
        lstm.bias_hh_l0[5:10] = 1.0
    assert torch.equal(effective_forget_bias(lstm), torch.full((1, 5), 2.0))


def test_init_lstm_errors() -> None:
    with pytest.raises(TypeError, match="GRU"):
        init_lstm_(nn.GRU(3, 4))
    with pytest.raises(TypeError, match="Linear"):
        init_lstm_(nn.Linear(3, 4))
    with pytest.raises(TypeError, match="GRU"):
        effective_forget_bias(nn.GRU(3, 4))
    with pytest.raises(ValueError, match="bias=False"):
        init_lstm_(nn.LSTM(3, 4, bias=False), forget_bias=1.0)
    no_bias = init_lstm_(nn.LSTM(3, 4, bias=False), forget_bias=0.0)
    assert torch.equal(effective_forget_bias(no_bias), torch.zeros(1, 4))


def ks_pvalue(ours: torch.Tensor, theirs: torch.Tensor) -> float:
    return float(stats.ks_2samp(ours.ravel().numpy(), theirs.ravel().numpy()).pvalue)


def test_lecun_normal_matches_kaiming_linear() -> None:
    shape = (512, 256)  # 131072 values
    ours = lecun_normal_(torch.empty(shape), torch.Generator().manual_seed(0))
    linear = nn.init.kaiming_normal_(
        torch.empty(shape), nonlinearity="linear", generator=torch.Generator().manual_seed(1)
    )
    relu = nn.init.kaiming_normal_(
        torch.empty(shape), nonlinearity="relu", generator=torch.Generator().manual_seed(1)
    )
    assert ks_pvalue(ours, linear) > P_MIN
    assert ks_pvalue(ours, relu) < 1e-10  # the test can tell a factor sqrt(2) apart


def test_lecun_uniform_matches_kaiming_linear_and_bounds() -> None:
    shape = (128, 64, 4, 4)  # 131072 values, fan_in = 1024
    ours = lecun_uniform_(torch.empty(shape), torch.Generator().manual_seed(0))
    linear = nn.init.kaiming_uniform_(
        torch.empty(shape), nonlinearity="linear", generator=torch.Generator().manual_seed(1)
    )
    normal = lecun_normal_(torch.empty(shape), torch.Generator().manual_seed(1))
    assert ks_pvalue(ours, linear) > P_MIN
    assert ks_pvalue(ours, normal) < 1e-10
    bound = math.sqrt(3 / 1024)
    assert 0.999 * bound < ours.abs().max().item() <= bound


def test_lecun_in_place_on_parameters_and_errors() -> None:
    weight = nn.Parameter(torch.empty(64, 32, 3))
    assert lecun_normal_(weight, torch.Generator().manual_seed(0)) is weight
    assert weight.requires_grad
    assert weight.std().item() == pytest.approx(1 / math.sqrt(96), rel=0.05)
    again = lecun_normal_(torch.empty(64, 32, 3), torch.Generator().manual_seed(0))
    assert torch.equal(weight.detach(), again)
    for init in (lecun_normal_, lecun_uniform_):
        with pytest.raises(ValueError, match="at least 2 dimensions"):
            init(torch.empty(5))


def test_module_exports() -> None:
    assert set(torch_init.__all__) >= {
        "apply_weight_init",
        "weight_stats",
        "print_weight_stats",
        "init_lstm_",
        "lecun_uniform_",
        "lecun_normal_",
        "effective_forget_bias",
    }
