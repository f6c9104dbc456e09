r"""Residual networks without normalization, and a tiny pre-LN transformer, at initialization.

A residual block adds a branch :math:`F` to its input, :math:`x_{l+1} = x_l + F(x_l)`.
Because the last weights of :math:`F` have mean zero, :math:`F(x_l)` is uncorrelated with
:math:`x_l`, and the variances add:

.. math::
    \operatorname{Var}(x_{l+1}) = \operatorname{Var}(x_l) + \operatorname{Var}(F(x_l)).

A pre-activation branch :math:`F(x) = W_2\, \mathrm{ReLU}(W_1\, \mathrm{ReLU}(x))` with He
weights keeps the variance, :math:`\operatorname{Var}(F(x_l)) = \operatorname{Var}(x_l)`, so
every block doubles it and after :math:`L` blocks it is :math:`2^L \operatorname{Var}(x_0)`.
The branch initializations of this module (argument ``branch_init``) are the cures:

- ``"he"``: He everywhere, the naive choice (the variance doubles at every block);
- ``"scaled"``: Fixup's rescaling alone: the inner layers of each branch are He times
  :math:`L^{-1/(2m-2)}` (:func:`fixup_scale`), the last layer stays He, so each branch adds
  :math:`\operatorname{Var}(x_l)/L` and the variance stays below :math:`e \operatorname{Var}(x_0)`;
- ``"zero"``: SkipInit (De & Smith, 2020), like zero-:math:`\gamma` (Goyal et al., 2017):
  He branches times a learnable scalar :math:`\alpha` that starts at 0;
- ``"fixup"``: Fixup (Zhang et al., 2019): the rescaled inner layers, the last layer of every
  branch (and the classifier) zero, scalar biases (0) and a scalar multiplier (1) per branch.

Every network here keeps its blocks in a ``blocks`` attribute, which is what
:func:`residual_stream_variance` measures.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BRANCH_INITS",
    "fixup_scale",
    "ResidualBlock",
    "ResidualNet",
    "residual_mlp",
    "residual_cnn",
    "residual_stream_variance",
    "TransformerBlock",
    "TinyTransformer",
    "tiny_transformer",
    "gpt2_init_",
    "check_fixup_scale",
    "check_gpt2_init",
]

#: Values of ``branch_init`` accepted by :class:`ResidualBlock` and the network builders.
BRANCH_INITS = ("he", "scaled", "zero", "fixup")


def _check_positive_int(name: str, value: object, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_std(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _normal_fan_in_(weight: torch.Tensor, gain: float, generator) -> None:
    # He (gain sqrt 2) or LeCun (gain 1) normal, fan_in mode. Tensor.normal_ takes a
    # generator in every torch this package supports; torch.nn.init takes one only in newer ones.
    fan_in = weight[0].numel()
    weight.normal_(0.0, gain / math.sqrt(fan_in), generator=generator)


def fixup_scale(num_blocks: int, layers_per_branch: int = 2) -> float:
    r"""Fixup's factor for the weights of the inner layers of each residual branch.

    Zhang, Dauphin & Ma (2019), *Fixup Initialization: Residual Learning Without
    Normalization*. With :math:`L` residual branches of :math:`m` layers each, the inner
    layers get He weights times

    .. math::
        s = L^{-1/(2m-2)},

    so that the :math:`m - 1` scaled layers together multiply the branch's variance by
    :math:`s^{2(m-1)} = 1/L`.

    Args:
        num_blocks: :math:`L`, the number of residual branches (>= 1).
        layers_per_branch: :math:`m`, the weight layers in one branch (>= 2; with one
            layer the exponent is undefined).

    Returns:
        the factor :math:`s`, a float in (0, 1].

    Examples:
        >>> round(fixup_scale(16), 4)          # m = 2: 16 ** (-1/2)
        0.25
        >>> round(fixup_scale(16, 3), 4)       # m = 3: 16 ** (-1/4)
        0.5
        >>> round(fixup_scale(16, 3) ** 4, 4)  # the two scaled layers' variance: 1/L
        0.0625
    """
    _check_positive_int("num_blocks", num_blocks)
    _check_positive_int("layers_per_branch", layers_per_branch, minimum=2)
    return float(num_blocks) ** (-1.0 / (2 * layers_per_branch - 2))


class ResidualBlock(nn.Module):
    r"""A pre-activation residual block without normalization.

    .. math::
        x_{l+1} = x_l + \alpha\, W_m \phi(\cdots W_1 \phi(x_l)), \qquad \phi = \mathrm{ReLU},

    where :math:`\alpha` is a learnable scalar for ``"zero"`` (SkipInit, starting at 0) and
    ``"fixup"`` (Fixup's multiplier, starting at 1) and the constant 1 otherwise. Fixup
    also adds a learnable scalar bias (starting at 0) before every activation, before every
    layer and at the end of the branch; its layers have no other bias. With ``skip=False``
    the block is the branch alone, :math:`x_{l+1} = F(x_l)`: a plain network.

    Args:
        width: features (``kind="linear"``) or channels (``kind="conv"``) of the stream.
        num_blocks: the number of blocks of the whole network, :math:`L` in
            :func:`fixup_scale`.
        branch_init: one of :data:`BRANCH_INITS` (see the module docstring).
        layers_per_branch: :math:`m`, weight layers in the branch (>= 2 for ``"scaled"``
            and ``"fixup"``).
        kind: ``"linear"`` layers or ``"conv"`` (3x3, padding 1) layers.
        skip: keep the identity path (False: a plain block; needs ``branch_init="he"``).
        generator: a ``torch.Generator`` for reproducible weights.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> block = ResidualBlock(64, num_blocks=4, branch_init="fixup")
        >>> x = torch.randn(8, 64)
        >>> bool(torch.equal(block(x), x))  # the last layer is zero: the identity
        True
        >>> round(block.layers[0].weight.std().item() / math.sqrt(2 / 64), 1)  # He / sqrt(4)
        0.5
    """

    def __init__(
        self,
        width: int,
        *,
        num_blocks: int,
        branch_init: str = "he",
        layers_per_branch: int = 2,
        kind: str = "linear",
        skip: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        _check_positive_int("width", width)
        _check_positive_int("num_blocks", num_blocks)
        _check_positive_int("layers_per_branch", layers_per_branch)
        if branch_init not in BRANCH_INITS:
            raise ValueError(f"branch_init must be one of {BRANCH_INITS}, got {branch_init!r}")
        if kind not in ("linear", "conv"):
            raise ValueError(f"kind must be one of ('linear', 'conv'), got {kind!r}")
        if not skip and branch_init != "he":
            raise ValueError(
                f"skip=False (a plain network) needs branch_init='he', got {branch_init!r}: "
                "a zero or rescaled branch without the identity path passes nothing on"
            )
        if branch_init in ("scaled", "fixup") and layers_per_branch < 2:
            raise ValueError(
                f"layers_per_branch must be >= 2 for branch_init={branch_init!r} "
                f"(Fixup's exponent -1/(2m-2)), got {layers_per_branch!r}"
            )
        self.branch_init = branch_init
        self.skip = skip
        fixup = branch_init == "fixup"

        def layer() -> nn.Module:
            if kind == "linear":
                return nn.Linear(width, width, bias=not fixup)
            return nn.Conv2d(width, width, kernel_size=3, padding=1, bias=not fixup)

        self.layers = nn.ModuleList(layer() for _ in range(layers_per_branch))
        scale = fixup_scale(num_blocks, layers_per_branch) if fixup or branch_init == "scaled" else 1.0
        with torch.no_grad():
            for i, module in enumerate(self.layers):
                _normal_fan_in_(module.weight, math.sqrt(2.0), generator)
                if i < layers_per_branch - 1:
                    module.weight.mul_(scale)
                elif fixup:
                    module.weight.zero_()
                if module.bias is not None:
                    module.bias.zero_()
        self.alpha: nn.Parameter | None = None
        if branch_init == "zero":
            self.alpha = nn.Parameter(torch.zeros(()))
        if fixup:
            self.alpha = nn.Parameter(torch.ones(()))
            self.bias_before_activation = nn.Parameter(torch.zeros(layers_per_branch))
            self.bias_before_layer = nn.Parameter(torch.zeros(layers_per_branch))
            self.bias_out = nn.Parameter(torch.zeros(()))

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """The residual branch :math:`F(x)`, including :math:`\\alpha` and Fixup's biases."""
        fixup = self.branch_init == "fixup"
        h = x
        for i, layer in enumerate(self.layers):
            if fixup:
                h = F.relu(h + self.bias_before_activation[i]) + self.bias_before_layer[i]
            else:
                h = F.relu(h)
            h = layer(h)
        if self.alpha is not None:
            h = self.alpha * h
        if fixup:
            h = h + self.bias_out
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x) if self.skip else self.branch(x)


class ResidualNet(nn.Module):
    """``stem``, then the residual ``blocks``, then ``head``: the shape every builder returns."""

    def __init__(self, stem: nn.Module, blocks: list[nn.Module], head: nn.Module) -> None:
        super().__init__()
        self.stem = stem
        self.blocks = nn.ModuleList(blocks)
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def _head(features: nn.Module, classifier: nn.Linear, zero: bool, generator) -> nn.Sequential:
    with torch.no_grad():
        if zero:  # Fixup's first rule also zeroes the classification layer
            classifier.weight.zero_()
        else:
            _normal_fan_in_(classifier.weight, math.sqrt(2.0), generator)
        classifier.bias.zero_()
    return nn.Sequential(nn.ReLU(), *([features] if features is not None else []), classifier)


def _stem(layer: nn.Module, generator) -> nn.Module:
    # LeCun (He with gain 1): the stream starts with the input's variance.
    with torch.no_grad():
        _normal_fan_in_(layer.weight, 1.0, generator)
        layer.bias.zero_()
    return layer


def residual_mlp(
    width: int,
    num_blocks: int,
    *,
    in_features: int | None = None,
    out_features: int | None = None,
    branch_init: str = "he",
    layers_per_branch: int = 2,
    skip: bool = True,
    generator: torch.Generator | None = None,
) -> ResidualNet:
    r"""A fully connected residual network without normalization.

    ``stem`` is a LeCun-initialized ``Linear(in_features, width)`` (the identity when
    ``in_features`` is None), ``blocks`` are ``num_blocks`` :class:`ResidualBlock` s and
    ``head`` is ReLU then ``Linear(width, out_features)`` (He; zero for ``"fixup"``), or
    the identity when ``out_features`` is None.

    Args:
        width: features of the residual stream.
        num_blocks: :math:`L`, the number of residual blocks.
        in_features: input size, or None for no stem.
        out_features: number of outputs (classes), or None for no head.
        branch_init: one of :data:`BRANCH_INITS`.
        layers_per_branch: weight layers per branch, :math:`m`.
        skip: False builds the same layers without identity paths (a plain network).
        generator: a ``torch.Generator`` for reproducible weights.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(512, 256)
        >>> naive = residual_mlp(256, 10, branch_init="he")
        >>> v = residual_stream_variance(naive, x)
        >>> round(float(np.log2(v[-1] / v[0])))  # doubled ten times: 2 ** 10
        10
        >>> fixup = residual_mlp(256, 10, branch_init="fixup")
        >>> round(float(residual_stream_variance(fixup, x)[-1] / v[0]), 2)
        1.0
    """
    _check_positive_int("width", width)
    _check_positive_int("num_blocks", num_blocks)
    for name, value in (("in_features", in_features), ("out_features", out_features)):
        if value is not None:
            _check_positive_int(name, value)
    stem = nn.Identity() if in_features is None else _stem(nn.Linear(in_features, width), generator)
    blocks = [
        ResidualBlock(
            width,
            num_blocks=num_blocks,
            branch_init=branch_init,
            layers_per_branch=layers_per_branch,
            kind="linear",
            skip=skip,
            generator=generator,
        )
        for _ in range(num_blocks)
    ]
    head = (
        nn.Identity()
        if out_features is None
        else _head(None, nn.Linear(width, out_features), branch_init == "fixup", generator)
    )
    return ResidualNet(stem, blocks, head)


def residual_cnn(
    channels: int,
    num_blocks: int,
    *,
    in_channels: int | None = 1,
    num_classes: int | None = 10,
    branch_init: str = "he",
    layers_per_branch: int = 2,
    skip: bool = True,
    generator: torch.Generator | None = None,
) -> ResidualNet:
    r"""A convolutional residual network without normalization (3x3 convolutions, padding 1).

    ``stem`` is a LeCun-initialized ``Conv2d(in_channels, channels, 3)`` (the identity when
    ``in_channels`` is None); ``head`` is ReLU, global average pooling and a
    ``Linear(channels, num_classes)`` (He; zero for ``"fixup"``), or the identity when
    ``num_classes`` is None. Inputs are images ``(batch, in_channels, height, width)``,
    such as scikit-learn's digits reshaped to ``(n, 1, 8, 8)``.

    Args: as :func:`residual_mlp`, with channels instead of features.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> net = residual_cnn(8, 3, branch_init="fixup")
        >>> net(torch.randn(5, 1, 8, 8)).abs().max().item()  # Fixup zeroes the classifier
        0.0
    """
    _check_positive_int("channels", channels)
    _check_positive_int("num_blocks", num_blocks)
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes)):
        if value is not None:
            _check_positive_int(name, value)
    stem = (
        nn.Identity()
        if in_channels is None
        else _stem(nn.Conv2d(in_channels, channels, kernel_size=3, padding=1), generator)
    )
    blocks = [
        ResidualBlock(
            channels,
            num_blocks=num_blocks,
            branch_init=branch_init,
            layers_per_branch=layers_per_branch,
            kind="conv",
            skip=skip,
            generator=generator,
        )
        for _ in range(num_blocks)
    ]
    head = (
        nn.Identity()
        if num_classes is None
        else _head(
            nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),
            nn.Linear(channels, num_classes),
            branch_init == "fixup",
            generator,
        )
    )
    return ResidualNet(stem, blocks, head)


def residual_stream_variance(model: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    r"""The variance of the residual stream before the first block and after every block.

    Runs one forward pass (without gradients) and records :math:`\operatorname{Var}(x_l)`,
    the variance over every entry (batch, positions, features) of the input of the first
    block (:math:`l = 0`) and of the output of block :math:`l = 1, \dots, L`.

    Args:
        model: a network with its blocks in a non-empty ``blocks`` ``nn.ModuleList``
            (:class:`ResidualNet`, :class:`TinyTransformer`).
        inputs: a batch for ``model`` (token ids for a transformer).

    Returns:
        an array of :math:`L + 1` variances.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> net = residual_mlp(128, 5, branch_init="zero")
        >>> residual_stream_variance(net, torch.ones(4, 128)).round(2).tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    blocks = getattr(model, "blocks", None)
    if not isinstance(blocks, nn.ModuleList) or len(blocks) == 0:
        raise ValueError(
            f"model must keep its residual blocks in a non-empty nn.ModuleList `blocks`, "
            f"got {type(model).__name__} with blocks={blocks!r}"
        )
    variances: list[float] = []

    def before(module, args):
        if not variances:
            variances.append(args[0].double().var(unbiased=False).item())

    def after(module, args, output):
        variances.append(output.double().var(unbiased=False).item())

    handles = [blocks[0].register_forward_pre_hook(before)]
    handles += [block.register_forward_hook(after) for block in blocks]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return np.array(variances)


class _CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.c_attn = nn.Linear(d_model, 3 * d_model)
        self.c_proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, d_model = x.shape
        q, k, v = self.c_attn(x).split(d_model, dim=2)
        heads = [t.view(batch, length, self.num_heads, -1).transpose(1, 2) for t in (q, k, v)]
        y = F.scaled_dot_product_attention(*heads, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(batch, length, d_model))


class _MLP(nn.Module):
    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.c_fc = nn.Linear(d_model, 4 * d_model)
        self.c_proj = nn.Linear(4 * d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))


class TransformerBlock(nn.Module):
    r"""A pre-LN transformer block, GPT-2's layout and names (``attn.c_proj``, ``mlp.c_proj``).

    .. math::
        x \leftarrow x + \mathrm{Attn}(\mathrm{LN}_1(x)), \qquad
        x \leftarrow x + \mathrm{MLP}(\mathrm{LN}_2(x)).
    """

    def __init__(self, d_model: int, num_heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = _CausalSelfAttention(d_model, num_heads)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = _MLP(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TinyTransformer(nn.Module):
    """A small GPT-2-style language model: token and position embeddings, ``blocks``,
    a final LayerNorm and an output layer tied to the token embedding. Returns logits."""

    def __init__(
        self, vocab_size: int, d_model: int, num_heads: int, num_layers: int, max_len: int
    ) -> None:
        super().__init__()
        self.max_len = max_len
        self.wte = nn.Embedding(vocab_size, d_model)
        self.wpe = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(TransformerBlock(d_model, num_heads) for _ in range(num_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as in GPT-2

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 2 or tokens.shape[1] > self.max_len:
            raise ValueError(
                f"tokens must have shape (batch, length <= {self.max_len}), got {tuple(tokens.shape)}"
            )
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.wte(tokens) + self.wpe(positions)
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def gpt2_init_(
    model: nn.Module,
    std: float = 0.02,
    *,
    scale_residual: bool = True,
    generator: torch.Generator | None = None,
) -> nn.Module:
    r"""GPT-2's initialization, in place (Radford et al., 2019).

    Every ``Linear`` and ``Embedding`` weight is drawn from :math:`\mathcal{N}(0, \sigma^2)`
    with :math:`\sigma` = ``std``, biases are zero, LayerNorms are weight 1, bias 0. Then the
    weights that write into the residual stream (names ending in ``c_proj.weight``) are
    redrawn with

    .. math::
        \sigma_\text{proj} = \frac{\sigma}{\sqrt{2 N}},

    :math:`N` = ``len(model.blocks)``: each block has two residual branches (attention and
    MLP), so the stream receives :math:`2N` additions.

    Args:
        model: a network with its transformer blocks in ``model.blocks``.
        std: :math:`\sigma`, 0.02 in GPT-2.
        scale_residual: False keeps ``std`` for the projections too.
        generator: a ``torch.Generator`` for reproducible weights.

    Returns:
        the model.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> model = tiny_transformer(num_layers=8)  # calls gpt2_init_
        >>> round(model.blocks[0].mlp.c_proj.weight.std().item(), 4)  # 0.02 / sqrt(16)
        0.005
        >>> round(model.blocks[0].mlp.c_fc.weight.std().item(), 3)
        0.02
    """
    _check_std("std", std)
    blocks = getattr(model, "blocks", None)
    if not isinstance(blocks, nn.ModuleList) or len(blocks) == 0:
        raise ValueError(
            f"model must keep its transformer blocks in a non-empty nn.ModuleList `blocks`, "
            f"got {type(model).__name__} with blocks={blocks!r}"
        )
    proj_std = std / math.sqrt(2 * len(blocks)) if scale_residual else std
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.normal_(0.0, std, generator=generator)
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
        for name, parameter in model.named_parameters():
            if name.endswith("c_proj.weight"):
                parameter.normal_(0.0, proj_std, generator=generator)
    return model


def tiny_transformer(
    vocab_size: int = 64,
    d_model: int = 64,
    num_heads: int = 4,
    num_layers: int = 12,
    max_len: int = 32,
    *,
    std: float = 0.02,
    scale_residual: bool = True,
    generator: torch.Generator | None = None,
) -> TinyTransformer:
    r"""A :class:`TinyTransformer` initialized by :func:`gpt2_init_`.

    Args:
        vocab_size: number of token ids.
        d_model: width of the residual stream (a multiple of ``num_heads``).
        num_heads: attention heads.
        num_layers: :math:`N`, the number of blocks.
        max_len: the longest sequence.
        std: :math:`\sigma` of every weight.
        scale_residual: GPT-2's :math:`1/\sqrt{2N}` on the ``c_proj`` weights (False: ``std``
            everywhere).
        generator: a ``torch.Generator`` for reproducible weights.

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> model = tiny_transformer(num_layers=2)
        >>> model(torch.zeros(3, 16, dtype=torch.long)).shape
        torch.Size([3, 16, 64])
    """
    for name, value in (
        ("vocab_size", vocab_size),
        ("d_model", d_model),
        ("num_heads", num_heads),
        ("num_layers", num_layers),
        ("max_len", max_len),
    ):
        _check_positive_int(name, value)
    _check_std("std", std)
    if d_model % num_heads:
        raise ValueError(f"d_model must be a multiple of num_heads={num_heads}, got {d_model!r}")
    model = TinyTransformer(vocab_size, d_model, num_heads, num_layers, max_len)
    return gpt2_init_(model, std, scale_residual=scale_residual, generator=generator)


def _call(fn: Callable, *args) -> tuple[object, str | None]:
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, "not yet (the function raises NotImplementedError: fill it in)"
    except Exception as error:  # the learner's bug is reported, never raised
        return None, f"the function raised {type(error).__name__}: {error}"


def check_fixup_scale(fn: Callable[[int, int], float]) -> bool:
    r"""Check a learner's ``fn(num_blocks, layers_per_branch)`` against :func:`fixup_scale`.

    Prints ``✓`` or ``✗`` (as :mod:`weightinit.checks` does) with a hint for the first
    mistake found (the variance instead of the std, a sign, an exponent that ignores
    :math:`m`). Never raises.

    Returns:
        True when ``fn`` agrees with :math:`L^{-1/(2m-2)}` on every case tried.

    Examples:
        >>> check_fixup_scale(lambda num_blocks, layers_per_branch: num_blocks ** -0.5)
        ... # doctest: +NORMALIZE_WHITESPACE
        ✗ fixup scale: fn(16, 3) = 0.25, expected 0.5 — the exponent must depend on
        layers_per_branch: -1/(2m-2)
        False
        >>> check_fixup_scale(fixup_scale)
        ✓ fixup scale: L ** (-1/(2m-2)) for all 6 cases (L, m)
        True
    """
    cases = [(1, 2), (16, 2), (100, 2), (16, 3), (81, 3), (64, 4)]
    for num_blocks, m in cases:
        got, error = _call(fn, num_blocks, m)
        if error:
            print(f"✗ fixup scale: {error}")
            return False
        expected = fixup_scale(num_blocks, m)
        try:
            value = float(got)
        except (TypeError, ValueError):
            print(f"✗ fixup scale: fn({num_blocks}, {m}) returned {got!r}, expected a number")
            return False
        if math.isclose(value, expected, rel_tol=1e-6):
            continue
        hints = [
            (num_blocks**-0.5, "the exponent must depend on layers_per_branch: -1/(2m-2)"),
            (expected**2, "that is the factor on the variance; Fixup scales the weights (std)"),
            (1 / expected, "check the sign of the exponent: deeper networks need smaller weights"),
            (num_blocks ** (-1 / (2 * m)), "the exponent is -1/(2m-2), not -1/(2m)"),
        ]
        hint = next((h for v, h in hints if math.isclose(value, v, rel_tol=1e-6)), "")
        print(f"✗ fixup scale: fn({num_blocks}, {m}) = {value:.4g}, expected {expected:.4g}"
              + (f" — {hint}" if hint else ""))
        return False
    print(f"✓ fixup scale: L ** (-1/(2m-2)) for all {len(cases)} cases (L, m)")
    return True


def check_gpt2_init(fn: Callable[[nn.Module], object]) -> bool:
    r"""Check a learner's ``fn(model)`` that should apply GPT-2's initialization in place.

    Builds two :class:`TinyTransformer` s (4 and 16 blocks) whose weights are all drawn with
    std 1, calls ``fn`` on each, and compares every parameter with :func:`gpt2_init_`:
    std 0.02 for ``Linear`` and ``Embedding`` weights, :math:`0.02/\sqrt{2N}` for the
    ``c_proj`` weights, zero biases, LayerNorm weight 1 and bias 0 (stds within 10%).
    Prints ``✓`` or ``✗`` with a hint. Never raises.

    Examples:
        >>> check_gpt2_init(lambda model: gpt2_init_(model, scale_residual=False))
        ... # doctest: +NORMALIZE_WHITESPACE
        ✗ GPT-2 init: blocks.0.attn.c_proj.weight has std 0.02, expected 0.00707
        = 0.02 / sqrt(2 * 4) — scale the c_proj weights by 1/sqrt(2 * num_layers)
        False
        >>> check_gpt2_init(gpt2_init_)
        ✓ GPT-2 init: std 0.02, and 0.02/sqrt(2N) on every c_proj weight, for N = 4 and 16
        True
    """
    generator = torch.Generator().manual_seed(0)
    for num_layers in (4, 16):
        model = TinyTransformer(vocab_size=64, d_model=64, num_heads=4, num_layers=num_layers, max_len=16)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.normal_(0.0, 1.0, generator=generator)
        _, error = _call(fn, model)
        if error:
            print(f"✗ GPT-2 init: {error}")
            return False
        proj_std = 0.02 / math.sqrt(2 * num_layers)
        for name, parameter in model.named_parameters():
            value = parameter.detach()
            if "ln_" in name:
                target = 1.0 if name.endswith("weight") else 0.0
                if not torch.all(value == target):
                    print(f"✗ GPT-2 init: {name} should be all {target:g} (LayerNorm starts as the identity)")
                    return False
                continue
            if name.endswith(".bias"):
                if value.abs().max().item() != 0.0:
                    print(f"✗ GPT-2 init: {name} should be zero (GPT-2 starts every bias at 0)")
                    return False
                continue
            expected = proj_std if name.endswith("c_proj.weight") else 0.02
            std = value.std().item()
            if abs(value.mean().item()) > 0.2 * expected or not 0.9 < std / expected < 1.1:
                if name.endswith("c_proj.weight"):
                    hints = [
                        (0.02, "scale the c_proj weights by 1/sqrt(2 * num_layers)"),
                        (0.02 / math.sqrt(num_layers), "each block has two branches: use 2 * num_layers"),
                        (0.02 / (2 * num_layers), "divide by the square root of 2 * num_layers"),
                    ]
                else:
                    hints = [(proj_std, "only the c_proj weights are scaled by 1/sqrt(2 * num_layers)")]
                hint = next((h for v, h in hints if 0.95 < std / v < 1.05), "")
                print(
                    f"✗ GPT-2 init: {name} has std {std:.2g}, expected {expected:.3g}"
                    + (f" = 0.02 / sqrt(2 * {num_layers})" if expected != 0.02 else "")
                    + (f" — {hint}" if hint else "")
                )
                return False
    print("✓ GPT-2 init: std 0.02, and 0.02/sqrt(2N) on every c_proj weight, for N = 4 and 16")
    return True
