r"""A tiny GPT-2-style transformer and GPT-2's initialization (chapter 11).

GPT-2 (Radford et al., 2019) draws every weight from :math:`\mathcal{N}(0, 0.02^2)` and the
weights that write into the residual stream (``c_proj``) with :math:`0.02 / \sqrt{2N}`,
:math:`N` blocks: :func:`gpt2_init_`. :func:`tiny_transformer` builds a
:class:`TinyTransformer` so initialized; :func:`weightinit.residual.residual_stream_variance`
measures its residual stream.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from weightinit.validation import check_int, check_real

__all__ = ["TransformerBlock", "TinyTransformer", "gpt2_init_", "tiny_transformer"]


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

    def __init__(self, vocab_size: int, d_model: int, num_heads: int, num_layers: int, max_len: int) -> None:
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
    check_real("std", std, minimum=0.0, strict=True)
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
        check_int(name, value)
    check_real("std", std, minimum=0.0, strict=True)
    if d_model % num_heads:
        raise ValueError(f"d_model must be a multiple of num_heads={num_heads}, got {d_model!r}")
    model = TinyTransformer(vocab_size, d_model, num_heads, num_layers, max_len)
    return gpt2_init_(model, std, scale_residual=scale_residual, generator=generator)
