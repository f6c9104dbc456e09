import math

import numpy as np
import pytest
import torch
from torch import nn
from weightinit.checks import check_fixup_scale, check_gpt2_init
from weightinit.residual import (
    BRANCH_INITS,
    ResidualBlock,
    fixup_scale,
    residual_cnn,
    residual_mlp,
    residual_stream_variance,
)
from weightinit.transformer import TinyTransformer, gpt2_init_, tiny_transformer


def he_std(fan_in):
    return math.sqrt(2 / fan_in)


# --- Fixup's factor -------------------------------------------------------------------------


@pytest.mark.parametrize("num_blocks, m", [(1, 2), (4, 2), (16, 2), (16, 3), (81, 3), (64, 4), (110, 5)])
def test_fixup_scale_is_L_to_the_minus_one_over_2m_minus_2(num_blocks, m):
    scale = fixup_scale(num_blocks, m)
    assert scale == pytest.approx(num_blocks ** (-1 / (2 * m - 2)), rel=1e-12)
    # the m - 1 scaled layers together multiply the branch's variance by 1 / L
    assert scale ** (2 * (m - 1)) == pytest.approx(1 / num_blocks, rel=1e-12)


def test_fixup_scale_known_values():
    assert fixup_scale(100) == pytest.approx(0.1)
    assert fixup_scale(16, 3) == pytest.approx(0.5)
    assert fixup_scale(1, 7) == 1.0


@pytest.mark.parametrize(
    "args, match",
    [
        ((0, 2), "num_blocks"),
        ((True, 2), "num_blocks"),
        ((2.0, 2), "num_blocks"),
        ((10, 1), "layers_per_branch"),
        ((10, 0), "layers_per_branch"),
    ],
)
def test_fixup_scale_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        fixup_scale(*args)


# --- blocks ---------------------------------------------------------------------------------


def test_fixup_block_rules():
    torch.manual_seed(0)
    width, num_blocks = 512, 16
    block = ResidualBlock(width, num_blocks=num_blocks, branch_init="fixup")
    first, last = block.layers
    assert first.weight.std().item() == pytest.approx(he_std(width) * num_blocks**-0.5, rel=0.02)
    assert torch.all(last.weight == 0)  # the last layer of the branch is zero
    assert first.bias is None and last.bias is None  # scalar biases instead
    assert block.alpha.item() == 1.0  # the scalar multiplier starts at 1
    assert torch.all(block.bias_before_activation == 0) and torch.all(block.bias_before_layer == 0)
    assert block.bias_out.item() == 0.0
    x = torch.randn(8, width)
    assert torch.equal(block(x), x)


def test_fixup_block_with_three_layers_scales_the_two_inner_ones():
    torch.manual_seed(0)
    block = ResidualBlock(512, num_blocks=81, branch_init="fixup", layers_per_branch=3)
    expected = he_std(512) * 81 ** (-1 / 4)
    for layer in block.layers[:2]:
        assert layer.weight.std().item() == pytest.approx(expected, rel=0.02)
    assert torch.all(block.layers[2].weight == 0)


def test_scaled_block_keeps_the_last_layer_he():
    torch.manual_seed(0)
    block = ResidualBlock(512, num_blocks=25, branch_init="scaled")
    assert block.layers[0].weight.std().item() == pytest.approx(he_std(512) / 5, rel=0.02)
    assert block.layers[1].weight.std().item() == pytest.approx(he_std(512), rel=0.02)
    assert block.alpha is None


def test_skipinit_block_is_identity_with_he_branch_and_alpha_zero():
    torch.manual_seed(0)
    block = ResidualBlock(512, num_blocks=10, branch_init="zero")
    assert isinstance(block.alpha, nn.Parameter) and block.alpha.item() == 0.0
    for layer in block.layers:
        assert layer.weight.std().item() == pytest.approx(he_std(512), rel=0.02)
        assert torch.all(layer.bias == 0)
    x = torch.randn(4, 512)
    assert torch.equal(block(x), x)


def test_skipinit_alpha_gets_a_gradient():
    torch.manual_seed(0)
    block = ResidualBlock(32, num_blocks=3, branch_init="zero")
    block(torch.randn(16, 32)).square().sum().backward()
    assert block.alpha.grad.abs().item() > 0


def test_he_block_has_no_scalar_and_he_layers():
    torch.manual_seed(0)
    block = ResidualBlock(512, num_blocks=50, branch_init="he")
    assert block.alpha is None
    for layer in block.layers:
        assert layer.weight.std().item() == pytest.approx(he_std(512), rel=0.02)


def test_plain_block_is_the_branch_alone():
    torch.manual_seed(0)
    block = ResidualBlock(16, num_blocks=2, skip=False)
    x = torch.randn(3, 16)
    assert torch.equal(block(x), block.branch(x))


def test_conv_block_uses_the_fan_in_of_a_3x3_kernel():
    torch.manual_seed(0)
    block = ResidualBlock(64, num_blocks=4, branch_init="scaled", kind="conv")
    assert isinstance(block.layers[0], nn.Conv2d)
    assert block.layers[0].weight.std().item() == pytest.approx(he_std(64 * 9) / 2, rel=0.03)
    x = torch.randn(2, 64, 5, 5)
    assert block(x).shape == x.shape


def test_generator_makes_blocks_reproducible():
    a = residual_mlp(16, 3, branch_init="scaled", generator=torch.Generator().manual_seed(5))
    b = residual_mlp(16, 3, branch_init="scaled", generator=torch.Generator().manual_seed(5))
    c = residual_mlp(16, 3, branch_init="scaled", generator=torch.Generator().manual_seed(6))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not torch.equal(a.blocks[0].layers[0].weight, c.blocks[0].layers[0].weight)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(width=0, num_blocks=2), "width"),
        (dict(width=8, num_blocks=0), "num_blocks"),
        (dict(width=8, num_blocks=2, branch_init="xavier"), "branch_init"),
        (dict(width=8, num_blocks=2, kind="rnn"), "kind"),
        (dict(width=8, num_blocks=2, branch_init="fixup", skip=False), "skip"),
        (dict(width=8, num_blocks=2, branch_init="zero", skip=False), "skip"),
        (dict(width=8, num_blocks=2, branch_init="fixup", layers_per_branch=1), "layers_per_branch"),
        (dict(width=8, num_blocks=2, branch_init="scaled", layers_per_branch=1), "layers_per_branch"),
        (dict(width=8, num_blocks=2, layers_per_branch=0), "layers_per_branch"),
    ],
)
def test_block_bad_input(kwargs, match):
    width = kwargs.pop("width")
    with pytest.raises(ValueError, match=match):
        ResidualBlock(width, **kwargs)


# --- networks -------------------------------------------------------------------------------


def test_residual_mlp_shapes_and_structure():
    net = residual_mlp(32, 5, in_features=64, out_features=10, branch_init="zero")
    assert len(net.blocks) == 5
    assert net(torch.randn(7, 64)).shape == (7, 10)
    assert isinstance(residual_mlp(8, 2).stem, nn.Identity)
    assert isinstance(residual_mlp(8, 2).head, nn.Identity)


def test_fixup_zeroes_the_classifier_and_others_do_not():
    torch.manual_seed(0)
    fixup = residual_mlp(32, 3, in_features=64, out_features=10, branch_init="fixup")
    assert torch.all(fixup.head[-1].weight == 0) and torch.all(fixup.head[-1].bias == 0)
    he = residual_mlp(32, 3, in_features=64, out_features=10, branch_init="he")
    assert he.head[-1].weight.abs().max() > 0


def test_residual_cnn_forward_and_fixup_start():
    torch.manual_seed(0)
    net = residual_cnn(8, 2, branch_init="fixup")
    images = torch.randn(3, 1, 8, 8)
    assert net(images).shape == (3, 10)
    assert torch.all(net(images) == 0)
    features = residual_cnn(8, 2, in_channels=None, num_classes=None, branch_init="fixup")
    x = torch.randn(2, 8, 6, 6)
    assert torch.equal(features(x), x)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: residual_mlp(0, 2), "width"),
        (lambda: residual_mlp(8, -1), "num_blocks"),
        (lambda: residual_mlp(8, 2, in_features=0), "in_features"),
        (lambda: residual_mlp(8, 2, out_features=2.5), "out_features"),
        (lambda: residual_mlp(8, 2, branch_init="lsuv"), "branch_init"),
        (lambda: residual_cnn(0, 2), "channels"),
        (lambda: residual_cnn(8, 0), "num_blocks"),
        (lambda: residual_cnn(8, 2, in_channels=0), "in_channels"),
        (lambda: residual_cnn(8, 2, num_classes=-3), "num_classes"),
    ],
)
def test_network_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the variance against depth -------------------------------------------------------------


def test_stream_variance_records_input_and_every_block():
    torch.manual_seed(0)
    net = residual_mlp(64, 6, branch_init="he")
    x = torch.randn(128, 64)
    variances = residual_stream_variance(net, x)
    assert variances.shape == (7,)
    assert variances[0] == pytest.approx(x.double().var(unbiased=False).item(), rel=1e-9)
    with torch.no_grad():
        assert variances[-1] == pytest.approx(net(x).double().var(unbiased=False).item(), rel=1e-9)
    assert all(not block._forward_hooks and not block._forward_pre_hooks for block in net.blocks)


def test_naive_residual_variance_doubles_per_block():
    x = torch.randn(256, 256, generator=torch.Generator().manual_seed(0))
    log2_growth = []
    for seed in range(3):
        torch.manual_seed(seed)
        variances = residual_stream_variance(residual_mlp(256, 12), x)
        log2_growth.append(np.log2(variances[-1] / variances[0]) / 12)
    assert 1.8 < 2 ** np.mean(log2_growth) < 2.2


@pytest.mark.parametrize("branch_init", ["zero", "fixup"])
def test_zero_started_branches_keep_the_input_variance_exactly(branch_init):
    torch.manual_seed(0)
    variances = residual_stream_variance(residual_mlp(64, 30, branch_init=branch_init), torch.randn(32, 64))
    assert np.all(variances == variances[0])


def test_fixup_scaling_alone_stays_below_e():
    x = torch.randn(256, 256, generator=torch.Generator().manual_seed(0))
    ratios = []
    for seed in range(3):
        torch.manual_seed(seed)
        variances = residual_stream_variance(residual_mlp(256, 20, branch_init="scaled"), x)
        ratios.append(variances[-1] / variances[0])
    assert np.mean(ratios) == pytest.approx((1 + 1 / 20) ** 20, rel=0.1)


def test_stream_variance_needs_blocks():
    with pytest.raises(ValueError, match="blocks"):
        residual_stream_variance(nn.Linear(3, 3), torch.randn(2, 3))
    empty = residual_mlp(4, 1)
    empty.blocks = nn.ModuleList()
    with pytest.raises(ValueError, match="blocks"):
        residual_stream_variance(empty, torch.randn(2, 4))


# --- the transformer ------------------------------------------------------------------------


@pytest.mark.parametrize("num_layers", [2, 12])
def test_gpt2_init_scales_c_proj_by_one_over_sqrt_2n(num_layers):
    torch.manual_seed(0)
    model = tiny_transformer(d_model=128, num_heads=4, num_layers=num_layers)
    expected = 0.02 / math.sqrt(2 * num_layers)
    names = [name for name, _ in model.named_parameters() if name.endswith("c_proj.weight")]
    assert len(names) == 2 * num_layers
    for name, parameter in model.named_parameters():
        if name.endswith("c_proj.weight"):
            assert parameter.std().item() == pytest.approx(expected, rel=0.05), name
        elif "ln_" in name:
            assert torch.all(parameter == (1.0 if name.endswith("weight") else 0.0)), name
        elif name.endswith("bias"):
            assert torch.all(parameter == 0), name
        else:
            assert parameter.std().item() == pytest.approx(0.02, rel=0.05), name
    assert model.lm_head.weight is model.wte.weight


def test_gpt2_init_without_scaling_uses_std_everywhere():
    torch.manual_seed(0)
    model = tiny_transformer(d_model=128, num_layers=6, std=0.05, scale_residual=False)
    assert model.blocks[3].mlp.c_proj.weight.std().item() == pytest.approx(0.05, rel=0.05)
    assert model.blocks[3].attn.c_proj.weight.std().item() == pytest.approx(0.05, rel=0.05)


def test_gpt2_scaling_keeps_the_stream_small():
    tokens = torch.randint(0, 64, (4, 32), generator=torch.Generator().manual_seed(0))
    growth = {}
    for scale_residual in (False, True):
        torch.manual_seed(0)
        model = tiny_transformer(num_layers=16, scale_residual=scale_residual)
        variances = residual_stream_variance(model, tokens)
        assert variances.shape == (17,)
        growth[scale_residual] = variances[-1] / variances[0]
    assert growth[False] > 5 * growth[True]
    assert growth[True] < 2


def test_transformer_forward_is_causal():
    torch.manual_seed(0)
    model = tiny_transformer(num_layers=2)
    tokens = torch.randint(0, 64, (1, 10))
    changed = tokens.clone()
    changed[0, -1] = (tokens[0, -1] + 1) % 64
    with torch.no_grad():
        assert torch.allclose(model(tokens)[0, :-1], model(changed)[0, :-1])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tiny_transformer(d_model=30, num_heads=4), "d_model"),
        (lambda: tiny_transformer(num_layers=0), "num_layers"),
        (lambda: tiny_transformer(vocab_size=True), "vocab_size"),
        (lambda: tiny_transformer(num_heads=0), "num_heads"),
        (lambda: tiny_transformer(max_len=-1), "max_len"),
        (lambda: tiny_transformer(std=-0.02), "std"),
        (lambda: tiny_transformer(std=float("nan")), "std"),
        (lambda: gpt2_init_(nn.Linear(3, 3)), "blocks"),
        (lambda: tiny_transformer(max_len=8)(torch.zeros(2, 9, dtype=torch.long)), "tokens"),
    ],
)
def test_transformer_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- feedback for learners ------------------------------------------------------------------


def test_check_fixup_scale_accepts_the_rule(capsys):
    assert check_fixup_scale(lambda num_blocks, m: num_blocks ** (-1 / (2 * m - 2))) is True
    assert capsys.readouterr().out.startswith("✓")


def _raise_type_error(num_blocks, m):
    raise TypeError("oops")


def _not_implemented(*args):
    raise NotImplementedError


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_not_implemented, "not yet"),
        (_raise_type_error, "TypeError"),
        (lambda num_blocks, m: None, "expected a number"),
        (lambda num_blocks, m: "0.5", None),
        (lambda num_blocks, m: num_blocks**-0.5, "layers_per_branch"),
        (lambda num_blocks, m: num_blocks ** (-1 / (m - 1)), "variance"),
        (lambda num_blocks, m: num_blocks ** (1 / (2 * m - 2)), "sign"),
        (lambda num_blocks, m: num_blocks ** (-1 / (2 * m)), "2m-2"),
    ],
)
def test_check_fixup_scale_reports_mistakes_without_raising(fn, hint, capsys):
    assert check_fixup_scale(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("✗")
    if hint:
        assert hint in out


def test_check_gpt2_init_accepts_gpt2_init(capsys):
    assert check_gpt2_init(gpt2_init_) is True
    assert capsys.readouterr().out.startswith("✓")


def _keeps_biases(model):
    gpt2_init_(model)
    with torch.no_grad():
        model.blocks[0].mlp.c_fc.bias.fill_(0.1)


def _half_scaled(model):
    gpt2_init_(model, scale_residual=False)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("c_proj.weight"):
                parameter.normal_(0.0, 0.02 / math.sqrt(len(model.blocks)))


def _forgets_layernorm(model):
    gpt2_init_(model)
    with torch.no_grad():
        model.ln_f.weight.fill_(0.5)


def _scales_everything(model):
    gpt2_init_(model, std=0.02 / math.sqrt(2 * len(model.blocks)))


def _fixed_depth(model):
    gpt2_init_(model)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("c_proj.weight"):
                parameter.normal_(0.0, 0.02 / math.sqrt(8))  # right for 4 blocks only


@pytest.mark.parametrize(
    "fn, hint",
    [
        (_not_implemented, "not yet"),
        (lambda model: gpt2_init_(model, scale_residual=False), "1/sqrt(2 * num_layers)"),
        (_scales_everything, "only the c_proj weights"),
        (_half_scaled, "two branches"),
        (_keeps_biases, "c_fc.bias"),
        (_forgets_layernorm, "LayerNorm"),
        (_fixed_depth, "sqrt(2 * 16)"),
        (lambda model: None, "std"),  # does nothing: the weights keep std 1
    ],
)
def test_check_gpt2_init_reports_mistakes_without_raising(fn, hint, capsys):
    assert check_gpt2_init(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and hint in out


def test_check_gpt2_init_models_are_tiny_transformers():
    seen = []
    check_gpt2_init(lambda model: seen.append(model))
    assert seen and isinstance(seen[0], TinyTransformer)


@pytest.mark.parametrize(
    ("branch_init", "low", "high"),
    # Var(block(x)) / Var(x) for x ~ N(0, 1), width 256, L = 4 blocks of m = 2 layers:
    # He doubles it, Fixup's rescaling alone adds 1/L, SkipInit and Fixup start as the identity.
    [("he", 1.8, 2.2), ("scaled", 1.15, 1.35), ("zero", 1.0, 1.0), ("fixup", 1.0, 1.0)],
)
def test_each_branch_init_gives_its_variance_growth(branch_init, low, high):
    assert set(BRANCH_INITS) == {"he", "scaled", "zero", "fixup"}
    generator = torch.Generator().manual_seed(0)
    block = ResidualBlock(256, num_blocks=4, branch_init=branch_init, generator=generator)
    x = torch.randn(512, 256, generator=generator)
    with torch.no_grad():
        y = block(x)
    if low == high:  # the branch adds exactly nothing at initialization
        assert torch.equal(y, x)
    else:
        assert low < (y.var() / x.var()).item() < high
