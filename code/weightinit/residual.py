r"""Residual networks without normalization at initialization (chapter 8).

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

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from weightinit.torch_helpers import forward_hooks
from weightinit.validation import check_int

__all__ = [
    "BRANCH_INITS",
    "fixup_scale",
    "ResidualBlock",
    "ResidualNet",
    "residual_mlp",
    "residual_cnn",
    "residual_stream_variance",
]

#: Values of ``branch_init`` accepted by :class:`ResidualBlock` and the network builders.
BRANCH_INITS = ("he", "scaled", "zero", "fixup")


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
    check_int("num_blocks", num_blocks)
    check_int("layers_per_branch", layers_per_branch, minimum=2)
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
        >>> round(block.layers[0].weight.std().item() / (2 / 64) ** 0.5, 1)  # He / sqrt(4)
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
        check_int("width", width)
        check_int("num_blocks", num_blocks)
        check_int("layers_per_branch", layers_per_branch)
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
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu", generator=generator)
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
            nn.init.kaiming_normal_(classifier.weight, nonlinearity="relu", generator=generator)
        classifier.bias.zero_()
    return nn.Sequential(nn.ReLU(), *([features] if features is not None else []), classifier)


def _stem(layer: nn.Module, generator) -> nn.Module:
    # LeCun (He with gain 1): the stream starts with the input's variance.
    with torch.no_grad():
        nn.init.kaiming_normal_(layer.weight, nonlinearity="linear", generator=generator)
        layer.bias.zero_()
    return layer


def _block_args(
    num_blocks: int, branch_init: str, layers_per_branch: int, skip: bool, generator: torch.Generator | None
) -> dict:
    return {
        "num_blocks": num_blocks,
        "branch_init": branch_init,
        "layers_per_branch": layers_per_branch,
        "skip": skip,
        "generator": generator,
    }


def residual_mlp(
    width: int,
    num_blocks: int,
    *,
    branch_init: str = "he",
    in_features: int | None = None,
    out_features: int | None = None,
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
    check_int("width", width)
    check_int("num_blocks", num_blocks)
    check_int("in_features", in_features, allow_none=True)
    check_int("out_features", out_features, allow_none=True)
    stem = nn.Identity() if in_features is None else _stem(nn.Linear(in_features, width), generator)
    block_args = _block_args(num_blocks, branch_init, layers_per_branch, skip, generator)
    blocks = [ResidualBlock(width, kind="linear", **block_args) for _ in range(num_blocks)]
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
    check_int("channels", channels)
    check_int("num_blocks", num_blocks)
    check_int("in_channels", in_channels, allow_none=True)
    check_int("num_classes", num_classes, allow_none=True)
    stem = (
        nn.Identity()
        if in_channels is None
        else _stem(nn.Conv2d(in_channels, channels, kernel_size=3, padding=1), generator)
    )
    block_args = _block_args(num_blocks, branch_init, layers_per_branch, skip, generator)
    blocks = [ResidualBlock(channels, kind="conv", **block_args) for _ in range(num_blocks)]
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

    with forward_hooks([(block, after) for block in blocks], pre_hooks=[(blocks[0], before)]):
        with torch.no_grad():
            model(inputs)
    return np.array(variances)
