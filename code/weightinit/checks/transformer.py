"""Feedback on chapter 11's exercise: GPT-2's initialization of a tiny transformer."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from weightinit.checks._core import Problem, call, raised, report

__all__ = ["check_gpt2_init"]

_PASSED = "GPT-2 init: std 0.02, and 0.02/sqrt(2N) on every c_proj weight, for N = 4 and 16"


def _std_hint(name: str, std: float, num_layers: int) -> str:
    proj_std = 0.02 / math.sqrt(2 * num_layers)
    if name.endswith("c_proj.weight"):
        hints = [
            (0.02, "scale the c_proj weights by 1/sqrt(2 * num_layers)"),
            (0.02 / math.sqrt(num_layers), "each block has two branches: use 2 * num_layers"),
            (0.02 / (2 * num_layers), "divide by the square root of 2 * num_layers"),
        ]
    else:
        hints = [(proj_std, "only the c_proj weights are scaled by 1/sqrt(2 * num_layers)")]
    return next((h for v, h in hints if 0.95 < std / v < 1.05), "")


def _parameter_problem(name: str, value: Any, num_layers: int) -> Problem | None:
    """What is wrong with one parameter after the learner's initialization, if anything."""
    import torch

    if "ln_" in name:
        target = 1.0 if name.endswith("weight") else 0.0
        if not torch.all(value == target):
            return Problem(f"{name} should be all {target:g}", "LayerNorm starts as the identity")
        return None
    if name.endswith(".bias"):
        if value.abs().max().item() != 0.0:
            return Problem(f"{name} should be zero", "GPT-2 starts every bias at 0")
        return None
    scaled = name.endswith("c_proj.weight")
    expected = 0.02 / math.sqrt(2 * num_layers) if scaled else 0.02
    std = value.std().item()
    if abs(value.mean().item()) <= 0.2 * expected and 0.9 < std / expected < 1.1:
        return None
    formula = f" = 0.02 / sqrt(2 * {num_layers})" if scaled else ""
    return Problem(
        f"{name} has std {std:.2g}, expected {expected:.3g}{formula}", _std_hint(name, std, num_layers)
    )


def _gpt2_problem(fn: Callable[[Any], object]) -> Problem | None:
    import torch

    from weightinit.transformer import TinyTransformer

    generator = torch.Generator().manual_seed(0)
    for num_layers in (4, 16):
        model = TinyTransformer(vocab_size=64, d_model=64, num_heads=4, num_layers=num_layers, max_len=16)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.normal_(0.0, 1.0, generator=generator)
        _, error = call(fn, model)
        if error is not None:
            return raised(error, f"on a TinyTransformer with {num_layers} blocks")
        for name, parameter in model.named_parameters():
            problem = _parameter_problem(name, parameter.detach(), num_layers)
            if problem is not None:
                return problem
    return None


def check_gpt2_init(fn: Callable[[Any], object], *, verbose: bool = True) -> bool:
    r"""Check a learner's ``fn(model)`` that should apply GPT-2's initialization in place.

    Builds two :class:`~weightinit.transformer.TinyTransformer` s (4 and 16 blocks) whose
    weights are all drawn with std 1, calls ``fn`` on each, and compares every parameter
    with :func:`~weightinit.transformer.gpt2_init_`: std 0.02 for ``Linear`` and
    ``Embedding`` weights, :math:`0.02/\sqrt{2N}` for the ``c_proj`` weights, zero biases,
    LayerNorm weight 1 and bias 0 (stds within 10%). Prints ``✓`` or ``✗`` with a hint.
    Never raises. Imports torch when called.

    Examples:
        >>> from weightinit.transformer import gpt2_init_
        >>> check_gpt2_init(lambda model: gpt2_init_(model, scale_residual=False))
        ... # doctest: +NORMALIZE_WHITESPACE
        ✗ GPT-2 init: blocks.0.attn.c_proj.weight has std 0.02, expected 0.00707
        = 0.02 / sqrt(2 * 4) — scale the c_proj weights by 1/sqrt(2 * num_layers)
        False
        >>> check_gpt2_init(gpt2_init_)
        ✓ GPT-2 init: std 0.02, and 0.02/sqrt(2N) on every c_proj weight, for N = 4 and 16
        True
    """
    problem = _gpt2_problem(fn)
    return report("GPT-2 init", [problem] if problem else [], _PASSED, verbose)
