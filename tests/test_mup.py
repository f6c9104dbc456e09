"""weightinit.mup against Microsoft's `mup` package, and its rules on their own.

The same MLP is built twice: with :class:`weightinit.mup.MuMLP`, and with plain ``nn.Linear``
layers and ``mup.MuReadout`` whose base shapes ``mup.set_base_shapes`` sets. Their initial
weight scales (how they change with width), output multipliers, learning rates (``MuAdam``,
``MuSGD``) and coordinate checks must agree.
"""

from __future__ import annotations

import math

import mup as mspackage
import numpy as np
import pytest
import torch
from torch import nn
from weightinit import mup

IN, OUT, BASE = 16, 32, 32


class PackageMLP(nn.Module):
    """The MLP of MuMLP (same module names), written as the ``mup`` package asks."""

    def __init__(self, width: int, num_hidden_layers: int = 1) -> None:
        super().__init__()
        self.activation = nn.ReLU()
        self.input = nn.Linear(IN, width)
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(num_hidden_layers))
        self.output = mspackage.MuReadout(width, OUT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activation(self.input(x))
        for layer in self.hidden:
            x = self.activation(layer(x))
        return self.output(x)


def package_model(
    width: int, *, state: dict | None = None, sp: bool = False, num_hidden_layers: int = 1
) -> PackageMLP:
    """A PackageMLP with its base shapes set (µP, or SP with ``sp``), optionally loaded."""
    model = PackageMLP(width, num_hidden_layers)
    if state is not None:
        model.load_state_dict(state)
    base = None if sp else PackageMLP(BASE, num_hidden_layers)
    delta = None if sp else PackageMLP(2 * BASE, num_hidden_layers)
    # rescale_params: the package's own µP init from PyTorch's default; off when loading ours
    return mspackage.set_base_shapes(model, base, delta=delta, rescale_params=state is None)


def ours(width: int, parametrization: str = "mup", seed: int = 0, **kwargs) -> mup.MuMLP:
    return mup.MuMLP(
        IN,
        width,
        OUT,
        base_width=BASE,
        parametrization=parametrization,
        generator=torch.Generator().manual_seed(seed),
        **kwargs,
    )


def effective_stds(model: nn.Module, multiplier: float) -> dict[str, float]:
    """Std of each weight as the layer applies it (the readout's multiplier included)."""
    return {
        "input": model.input.weight.std().item(),
        "hidden": model.hidden[0].weight.std().item(),
        "output": model.output.weight.std().item() * multiplier,
    }


def test_initial_scales_change_with_width_as_in_mup_package():
    torch.manual_seed(0)
    stds = {}
    for width in (BASE, 8 * BASE):
        package = package_model(width)
        stds["package", width] = effective_stds(package, 1 / package.output.width_mult())
        stds["ours", width] = effective_stds(ours(width), ours(width).output.multiplier)
    for kind in ("input", "hidden", "output"):
        package_ratio = stds["package", 8 * BASE][kind] / stds["package", BASE][kind]
        our_ratio = stds["ours", 8 * BASE][kind] / stds["ours", BASE][kind]
        # µP: input 1 (fan_in fixed), hidden 1/sqrt(8), output 1/8; sampling error < 2%
        assert our_ratio == pytest.approx(package_ratio, rel=0.04), kind
    assert stds["ours", 8 * BASE]["output"] / stds["ours", BASE]["output"] == pytest.approx(1 / 8, rel=0.04)


@pytest.mark.parametrize("width", [BASE, 4 * BASE, 16 * BASE])
def test_output_multiplier_is_the_packages(width):
    assert ours(width).output.multiplier == 1 / package_model(width).output.width_mult()
    assert ours(width, "sp").output.multiplier == 1.0


def lrs_by_name(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, float]:
    names = {id(p): name for name, p in model.named_parameters()}
    return {names[id(p)]: group["lr"] for group in optimizer.param_groups for p in group["params"]}


@pytest.mark.parametrize("parametrization", ["mup", "sp"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_learning_rates_are_the_packages(parametrization, optimizer):
    width, lr = 8 * BASE, 0.01
    net = ours(width, parametrization, num_hidden_layers=2)
    package = package_model(width, sp=parametrization == "sp", num_hidden_layers=2)
    package_optimizer = {"adam": mspackage.MuAdam, "sgd": mspackage.MuSGD}[optimizer]
    expected = lrs_by_name(package, package_optimizer(package.parameters(), lr=lr))
    got = lrs_by_name(net, mup.make_optimizer(net, lr, optimizer))
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-12), name
    if parametrization == "mup":  # the package's rules are not all 1 here
        assert len(set(expected.values())) > 1


def test_hidden_adam_lr_is_divided_by_the_width_multiplier():
    """Fails if a hidden layer's Adam learning rate were not lr / m (m = 8 here)."""
    net = ours(8 * BASE, num_hidden_layers=2)
    groups = {g["name"]: g["lr"] for g in mup.param_groups(net, lr=0.1, optimizer="adam")}
    assert groups["hidden.0.weight"] == pytest.approx(0.1 / 8)
    assert groups["hidden.1.weight"] == pytest.approx(0.1 / 8)
    assert groups["input.weight"] == groups["output.weight"] == pytest.approx(0.1)
    # and the point of it: with it, a hidden layer's change does not grow with the width
    x = torch.randn(64, IN, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, OUT, (64,), generator=torch.Generator().manual_seed(2))
    result = mup.coord_check(
        lambda w, g: mup.MuMLP(IN, w, OUT, base_width=BASE, generator=g),
        [BASE, 4 * BASE, 16 * BASE],
        x,
        y,
        lr=0.01,
        steps=2,
    )
    assert abs(result.slopes()["hidden.0"]) < 0.2


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_coordinate_checks_agree_with_mup_package(optimizer):
    x = torch.randn(64, IN, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, OUT, (64,), generator=torch.Generator().manual_seed(2))
    widths, lr = [BASE, 4 * BASE, 16 * BASE], 0.02 if optimizer == "adam" else 0.05
    package_optimizer = {"adam": mspackage.MuAdam, "sgd": mspackage.MuSGD}[optimizer]

    def build_ours(width, generator):
        return mup.MuMLP(IN, width, OUT, base_width=BASE, generator=generator)

    def build_package(width, generator):  # the same initial weights, in the package's model
        return package_model(width, state=build_ours(width, generator).state_dict())

    result = {
        "ours": mup.coord_check(build_ours, widths, x, y, lr=lr, optimizer=optimizer, steps=3),
        "package": mup.coord_check(
            build_package,
            widths,
            x,
            y,
            lr=lr,
            steps=3,
            optimizer=lambda m, lr: package_optimizer(m.parameters(), lr=lr),
        ),
    }
    assert result["ours"].layers == result["package"].layers == ("input", "hidden.0", "output")
    np.testing.assert_allclose(result["ours"].changes, result["package"].changes, rtol=1e-4)
    assert np.all(result["ours"].changes > 0)


def test_coord_check_separates_sp_from_mup_under_adam():
    x = torch.randn(64, IN, generator=torch.Generator().manual_seed(3))
    y = torch.randint(0, OUT, (64,), generator=torch.Generator().manual_seed(4))
    slopes = {
        p: mup.coord_check(
            lambda w, g, p=p: ours(w, p, seed=int(g.initial_seed())),
            [BASE, 4 * BASE, 16 * BASE],
            x,
            y,
            lr=0.01,
            steps=3,
        ).slopes()
        for p in mup.PARAMETRIZATIONS
    }
    assert slopes["sp"]["hidden.0"] > 0.6 and slopes["sp"]["output"] > 0.6  # theory: 1
    assert all(abs(s) < 0.2 for s in slopes["mup"].values())  # theory: 0


def test_sp_and_mup_agree_at_the_base_width():
    sp, mu = ours(BASE, "sp", seed=5), ours(BASE, "mup", seed=5)
    for (name, p), q in zip(sp.named_parameters(), mu.parameters(), strict=True):
        assert torch.equal(p, q), name
    assert mup.lr_multipliers(sp, "adam") == mup.lr_multipliers(mu, "adam")
    assert set(mup.lr_multipliers(mu, "sgd").values()) == {1.0}


def test_layer_rule_table():
    m, fan_in = 4.0, 1024
    hidden = mup.layer_rule("hidden", fan_in, m, gain=math.sqrt(2))
    assert hidden.init_std == pytest.approx(math.sqrt(2 / fan_in))
    assert (hidden.sgd_lr, hidden.adam_lr, hidden.multiplier) == (1.0, 1 / m, 1.0)
    inp = mup.layer_rule("input", 64, m)
    assert (inp.init_std, inp.sgd_lr, inp.adam_lr, inp.bias_sgd_lr) == (1 / 8, m, 1.0, m)
    out = mup.layer_rule("output", fan_in, m)
    assert out.init_std == pytest.approx(1 / math.sqrt(fan_in / m))
    assert (out.multiplier, out.sgd_lr, out.adam_lr, out.bias_sgd_lr) == (1 / m, m, 1.0, 1.0)
    assert mup.layer_rule("output", fan_in, m, readout_zero_init=True).init_std == 0.0
    for kind in mup.LAYER_KINDS:
        rule = mup.layer_rule(kind, fan_in, m, "sp")
        assert (rule.multiplier, rule.sgd_lr, rule.adam_lr) == (1.0, 1.0, 1.0)


def test_readout_zero_init_and_biases_start_at_zero():
    net = ours(4 * BASE, readout_zero_init=True)
    assert torch.count_nonzero(net.output.weight) == 0
    assert all(torch.count_nonzero(layer.bias) == 0 for layer in (net.input, net.hidden[0], net.output))
    assert torch.count_nonzero(net(torch.randn(3, IN))) == 0


def test_same_generator_same_weights():
    a, b, c = ours(64, seed=1), ours(64, seed=1), ours(64, seed=2)
    assert torch.equal(a.hidden[0].weight, b.hidden[0].weight)
    assert not torch.equal(a.hidden[0].weight, c.hidden[0].weight)


def test_final_loss_learns_and_reports_divergence_as_inf():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, IN, generator=g)
    y = (x[:, 0] > 0).long()
    assert mup.final_loss(ours(64, seed=1), x, y, lr=0.01, steps=30, generator=g) < 0.5
    assert mup.final_loss(ours(64, seed=1), x, y, lr=1e8, optimizer="sgd", steps=30, generator=g) == math.inf


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: mup.layer_rule("conv", 8), "kind"),
        (lambda: mup.layer_rule("hidden", 0), "fan_in"),
        (lambda: mup.layer_rule("hidden", 8, width_mult=-1.0), "width_mult"),
        (lambda: mup.layer_rule("hidden", 8, width_mult=float("nan")), "width_mult"),
        (lambda: mup.layer_rule("hidden", 8, parametrization="ntk"), "parametrization"),
        (lambda: mup.layer_rule("hidden", 8, gain=-1.0), "gain"),
        (lambda: mup.MuMLP(8, 0, 2), "width"),
        (lambda: mup.MuMLP(8, 16, 2, base_width=0), "base_width"),
        (lambda: mup.MuMLP(8, 16, 2, num_hidden_layers=0), "num_hidden_layers"),
        (lambda: mup.MuMLP(8, 16, 2, nonlinearity="swish"), "nonlinearity"),
        (lambda: mup.MuMLP(8, 16, 2, parametrization="SP"), "parametrization"),
        (lambda: mup.param_groups(nn.Linear(2, 2), 0.1), "model"),
        (lambda: mup.param_groups(ours(64), 0.1, optimizer="rmsprop"), "optimizer"),
        (lambda: mup.param_groups(ours(64), 0.0), "lr"),
        (lambda: mup.param_groups(ours(64), float("inf")), "lr"),
        (lambda: mup.coord_check(ours, [64], torch.zeros(2, IN), torch.zeros(2, OUT), lr=0.1), "widths"),
        (lambda: mup.coord_check(ours, [128, 64], torch.zeros(2, IN), torch.zeros(2, OUT), lr=0.1), "widths"),
        (
            lambda: mup.coord_check(
                ours, [64, 128], torch.zeros(2, IN), torch.zeros(2, OUT), lr=0.1, steps=0
            ),
            "steps",
        ),
        (
            lambda: mup.coord_check(
                ours, [64, 128], torch.zeros(2, IN), torch.zeros(2, OUT), lr=0.1, seeds=()
            ),
            "seeds",
        ),
        (
            lambda: mup.coord_check(
                ours, [64, 128], torch.zeros(2, IN), torch.zeros(2, OUT), lr=0.1, optimizer=3
            ),
            "optimizer",
        ),
    ],
)
def test_bad_input_names_the_argument_and_the_value(call, argument):
    with pytest.raises(ValueError, match=argument) as error:
        call()
    assert "got" in str(error.value)


def test_import_weightinit_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, weightinit; assert 'torch' not in sys.modules; weightinit.mup"
    code += "; assert 'torch' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
