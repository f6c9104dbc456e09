"""Tests of weightinit.diagnose on models whose problems are known."""

import math
import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import pytest
import torch
import weightinit
from torch import nn
from weightinit.diagnosis import Diagnosis, Flag, LayerRow, _flags, diagnose

WIDTH, BATCH, CLASSES = 128, 256, 10


def _data(seed=0, classes=CLASSES):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, WIDTH, generator=g), torch.randint(0, classes, (BATCH,), generator=g)


def _mlp(activation, depth=6, seed=0):
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(WIDTH, WIDTH), activation()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, CLASSES))


def _he_net(seed=0):
    net = _mlp(nn.ReLU, seed=seed)
    g = torch.Generator().manual_seed(seed)
    for module in net:
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu", generator=g)
            nn.init.zeros_(module.bias)
    nn.init.xavier_normal_(net[-1].weight, generator=g)
    return net


def test_top_level_lazy_and_no_torch_on_import():
    assert weightinit.diagnose is diagnose
    code = "import sys, weightinit; assert 'torch' not in sys.modules; weightinit.diagnose"
    subprocess.run([sys.executable, "-c", code + "; assert 'torch' in sys.modules"], check=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_healthy_he_net_raises_no_flag(seed):
    x, y = _data(seed)
    report = diagnose(_he_net(seed), x, y)
    assert report.ok, report.flags
    assert math.log(CLASSES) < report.loss < 2 * math.log(CLASSES)
    assert report.chance_loss == pytest.approx(math.log(CLASSES))
    # a few units of the deeper layers are off for the whole batch even in a healthy ReLU net
    assert all(row.dead_fraction < 0.1 for row in report.rows if row.activation == "ReLU")
    assert [row.depth for row in report.rows] == list(range(1, 8))
    assert all(isinstance(row, LayerRow) for row in report.rows)


def test_dead_relu_net():
    net = _he_net()
    with torch.no_grad():
        net[2].bias.fill_(-10.0)  # the second layer's pre-activations: std ~1.5, mean ~-10
    report = diagnose(net, *_data())
    dead = [flag for flag in report.flags if flag.kind == "dead"]
    # layer 2 is off, so every later layer sees zeros (zero biases): dead from 2 on, not 0
    assert [flag.layer for flag in dead] == ["2", "4", "6", "8", "10"]
    assert report.rows[1].dead_fraction > 0.9 and report.rows[0].dead_fraction == 0
    assert "04_he" in dead[0].chapter


def test_dead_fraction_counts_units_not_values():
    # half of the units always off, the other half on for every example: 50% dead
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.copy_(torch.tensor([-1.0, 1.0] * 4))
    report = diagnose(net, torch.randn(64, 4))
    assert report.rows[0].dead_fraction == 0.5


def test_dead_units_of_a_convolution_are_channels():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.copy_(torch.tensor([-1.0, 1.0, 1.0, 1.0]))
    report = diagnose(nn.Sequential(conv, nn.ReLU()), torch.randn(8, 3, 5, 5))
    assert report.rows[0].dead_fraction == 0.25


def test_saturated_tanh_net():
    net = _mlp(nn.Tanh)
    for module in net:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=1.0)  # preactivations of std ~ sqrt(128)
    report = diagnose(net, *_data())
    assert "saturated" in report.kinds
    assert all(row.saturated_fraction > 0.8 for row in report.rows[:-1])
    assert report.rows[-1].saturated_fraction is None
    xavier = _mlp(nn.Tanh)
    for module in xavier:
        if isinstance(module, nn.Linear):
            nn.init.xavier_normal_(module.weight, gain=5 / 3)
            nn.init.zeros_(module.bias)
    assert "saturated" not in diagnose(xavier, *_data()).kinds


def test_saturated_sigmoid():
    net = nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.Sigmoid())
    nn.init.normal_(net[0].weight, std=1.0)
    # pre-activations of std sqrt(128): P(|z| > 4.6) = 0.68
    assert 0.6 < diagnose(net, _data()[0]).rows[0].saturated_fraction < 0.76


def test_classifier_with_huge_last_layer():
    net = _he_net()
    with torch.no_grad():
        net[-1].weight.mul_(30)
    report = diagnose(net, *_data())
    assert "loss" in report.kinds and report.loss > 10 * math.log(CLASSES)
    loss_flag = next(flag for flag in report.flags if flag.kind == "loss")
    assert loss_flag.layer is None and "13_llm_practice" in loss_flag.chapter


def test_loss_flag_threshold_near_miss():
    # the limit is ln C + max(ln C, 1): 2 ln C for 10 classes, ln 2 + 1 for 2
    for chance, limit in ((math.log(10), 2 * math.log(10)), (math.log(2), math.log(2) + 1)):
        assert not _flags([], 0.97 * limit, chance)
        assert [flag.kind for flag in _flags([], 1.03 * limit, chance)] == ["loss"]
    assert not _flags([], 100.0, None)  # not a classifier: no chance level
    assert [flag.kind for flag in _flags([], float("inf"), None)] == ["loss"]


def test_vanishing_and_exploding():
    small, large = _mlp(nn.ReLU), _mlp(nn.ReLU)
    for net, gain in ((small, 0.5), (large, 2.0)):
        for module in net:
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=gain * math.sqrt(2 / WIDTH))
                nn.init.zeros_(module.bias)
    assert "vanishing" in diagnose(small, _data()[0]).kinds
    assert "exploding" in diagnose(large, _data()[0]).kinds


def test_loss_functions():
    x, y = _data()
    net = _he_net()
    explicit = diagnose(net, x, y, loss_fn=nn.CrossEntropyLoss())
    assert explicit.loss == pytest.approx(diagnose(net, x, y).loss)
    assert explicit.chance_loss == pytest.approx(math.log(CLASSES))
    regression = diagnose(net, x, torch.zeros(BATCH, CLASSES))
    assert regression.chance_loss is None and regression.loss > 0
    custom = diagnose(net, x, torch.zeros(BATCH, CLASSES), loss_fn=nn.L1Loss())
    assert custom.chance_loss is None


def test_sequence_labels_in_last_dim():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(16, 32), nn.Linear(32, 16))
    tokens = torch.randint(0, 16, (4, 12))
    report = diagnose(model, tokens, tokens)
    assert report.chance_loss == pytest.approx(math.log(16))
    assert [row.kind for row in report.rows] == ["Embedding", "Linear"]


def test_repr_html_and_plot():
    report = diagnose(_mlp(nn.Tanh), *_data())
    text = repr(report)
    assert text.splitlines()[0].split()[:3] == ["depth", "layer", "kind"]
    assert "ln C" in text and len(text.splitlines()) >= 8
    assert "<table>" in report._repr_html_() and "Tanh" in report._repr_html_()
    ax = report.plot()
    assert ax.get_yscale() == "log" and len(ax.lines) == 3  # two curves and the reference
    plt.close("all")
    assert isinstance(report, Diagnosis)
    assert all(isinstance(flag, Flag) and str(flag).startswith("[") for flag in report.flags)


# ---------------------------------------------------------------------- bad input


def _sentinel_model():
    """A model in a known state: sentinel weights, some .grad set and some None, mixed modes."""
    # RReLU draws its slopes from the global generator in train mode: the call must not show
    model = nn.Sequential(
        nn.Linear(WIDTH, 64), nn.BatchNorm1d(64), nn.RReLU(), nn.Dropout(0.5), nn.Linear(64, CLASSES)
    )
    with torch.no_grad():
        for i, parameter in enumerate(model.parameters()):
            parameter.fill_(7.0 + i)
    model[0].weight.grad = torch.full_like(model[0].weight, 3.0)
    model.eval()
    model[1].train()  # a mixed state that model.train(False) would not restore
    model[1].running_mean.fill_(5.0)
    return model


def _state(model):
    return (
        {k: v.clone() for k, v in model.state_dict().items()},
        [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        [m.training for m in model.modules()],
    )


def _same(model, state):
    weights, grads, modes = state
    now_weights, now_grads, now_modes = _state(model)
    assert all(torch.equal(weights[k], now_weights[k]) for k in weights)
    assert len(grads) == len(now_grads)
    for before, after in zip(grads, now_grads, strict=True):
        assert (before is None) == (after is None)
        assert before is None or torch.equal(before, after)
    assert modes == now_modes


def test_left_as_it_was_after_a_good_call():
    model = _sentinel_model()
    state = _state(model)
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    report = diagnose(model, *_data())
    assert torch.equal(torch.rand(3), expected_draw)  # global random state untouched
    _same(model, state)
    assert report.rows[1].kind == "BatchNorm1d"
    # BatchNorm (weight 9, bias 10) ran on the batch's statistics, not on its running ones:
    # after the ReLU, mean ~10 and std ~9 (eval mode would give a std of hundreds)
    assert 5 < report.rows[1].activation_std < 13
    assert report.loss is not None and report.rows[0].gradient_std > 0


@pytest.mark.parametrize("target", [None, "labels"])
def test_left_as_it_was_for_every_error(target):
    model = _sentinel_model()
    state = _state(model)
    x, y = _data()
    bad_batches = [torch.randn(BATCH, WIDTH + 1), x.clone().index_fill_(0, torch.tensor([3]), float("nan"))]
    for bad in bad_batches:
        with pytest.raises(ValueError):
            diagnose(model, bad, y if target else None)
        _same(model, state)
    for bad_target in (
        torch.randint(0, CLASSES, (BATCH + 1,)),
        torch.full((BATCH,), CLASSES),
        torch.zeros(BATCH, CLASSES + 1),
    ):
        with pytest.raises(ValueError):
            diagnose(model, x, bad_target)
        _same(model, state)


def test_error_no_parameters():
    with pytest.raises(ValueError, match="no parameters"):
        diagnose(nn.Sequential(nn.ReLU()), torch.randn(4, 3))
    with pytest.raises(ValueError, match="torch.nn.Module"):
        diagnose(lambda x: x, torch.randn(4, 3))


def test_error_batch_does_not_fit_names_the_layer_and_shapes():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(32, 4))
    with pytest.raises(ValueError) as info:
        diagnose(model, torch.randn(5, 8))
    message = str(info.value)
    assert "'2'" in message and "in_features=32" in message and "(5, 16)" in message
    assert "(5, 8)" in message  # the batch's shape


def test_error_batch_fails_in_forward_code_names_the_last_layer():
    class Reshaping(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(8, 6)

        def forward(self, x):
            return self.first(x).view(-1, 4, 4)

    with pytest.raises(ValueError, match="after layer 'first'.*\\(5, 6\\)"):
        diagnose(Reshaping(), torch.randn(5, 8))


def test_error_bad_batches():
    model = nn.Linear(4, 2)
    with pytest.raises(ValueError, match="NaN"):
        diagnose(model, torch.tensor([[0.0, float("inf"), 0.0, 0.0]]))
    with pytest.raises(ValueError, match="at least one example"):
        diagnose(model, torch.randn(0, 4))
    with pytest.raises(ValueError, match="tensor"):
        diagnose(model, [[1.0, 2.0, 3.0, 4.0]])


def test_error_targets():
    model = nn.Linear(4, 3)
    x = torch.randn(6, 4)
    with pytest.raises(ValueError, match=r"\(5,\) does not match .* \(6, 3\)"):
        diagnose(model, x, torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="labels from 0 to 3"):
        diagnose(model, x, torch.tensor([0, 1, 2, 3, 0, 1]))
    with pytest.raises(ValueError, match="NaN"):
        diagnose(model, x, torch.full((6, 3), float("nan")))
    with pytest.raises(ValueError, match="loss_fn failed"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about broadcasting, then fails
        diagnose(model, x, torch.zeros(6, 5), loss_fn=nn.MSELoss())
    with pytest.raises(ValueError, match="single number"):
        diagnose(model, x, torch.zeros(6, 3), loss_fn=nn.MSELoss(reduction="none"))
    with pytest.raises(ValueError, match="needs a target"):
        diagnose(model, x, loss_fn=nn.MSELoss())


def test_frozen_model_and_tuple_batch(capsys):
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.left, self.right = nn.Linear(4, 3), nn.Linear(5, 3)

        def forward(self, a, b):
            return self.left(a) + self.right(b)

    model = TwoInputs()
    report = diagnose(model, (torch.randn(16, 4), torch.randn(16, 5)))
    assert [row.name for row in report.rows] == ["left", "right"]
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    frozen = diagnose(model, (torch.randn(16, 4), torch.randn(16, 5)))
    assert all(math.isnan(row.gradient_std) for row in frozen.rows)
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())
    frozen.print()
    assert "right" in capsys.readouterr().out
