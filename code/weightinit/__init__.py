"""weightinit: the helper package of the course on initializing neural-network weights.

Modules, by concern:

- :mod:`weightinit.scratch`: every initialization rule from scratch, NumPy only.
- :mod:`weightinit.torch_init`: the same rules applied to PyTorch modules.
- :mod:`weightinit.checks`: feedback on the learners' answers, one protocol, a module per topic.
- :mod:`weightinit.stats`: per-layer activation and gradient statistics.
- :mod:`weightinit.models`: small networks with depth, width, activation and init as arguments.
- :mod:`weightinit.train`: a short, seeded training loop.
- :mod:`weightinit.data`: small data sets, generated or shipped with scikit-learn.
- :mod:`weightinit.plotting`: the course's figure style and its recurring plots.
- :mod:`weightinit.recurrent`: gradients through time, and the LSTM model of chapter 6.
- :mod:`weightinit.frameworks`: PyTorch, Keras and JAX defaults as variance-scaling rules.
- :mod:`weightinit.residual`: residual networks (zero-init, SkipInit, Fixup).
- :mod:`weightinit.transformer`: a tiny GPT-2-style transformer and GPT-2's initialization.
- :mod:`weightinit.lsuv`: data-dependent initialization (LSUV).
- :mod:`weightinit.isometry`: Jacobian spectra and delta-orthogonal kernels.
- :mod:`weightinit.explorer`: an interactive explorer of signal propagation.
- :mod:`weightinit.mup`: the standard and maximal-update (µP) parametrizations of an MLP.
- :mod:`weightinit.diagnosis`: :func:`weightinit.diagnose`, a report on a model at initialization.

Shared by the modules above: :mod:`weightinit.validation` (argument checks, one error
style), :mod:`weightinit.activations` (NumPy activations) and
:mod:`weightinit.torch_helpers` (the weight-layer types, forward hooks).

``import weightinit`` is light: it imports neither torch nor NumPy-heavy modules. Submodules
load on first use (``weightinit.scratch``, ``weightinit.models`` ...), and only the modules
that need torch import it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .session import chapter_seed, rng, seed, setup

#: The course's release (CHANGELOG.md; git tag v<version>); pyproject.toml reads it.
__version__ = "0.2.0"

_SUBMODULES = (
    "scratch",
    "torch_init",
    "checks",
    "stats",
    "models",
    "train",
    "data",
    "plotting",
    "session",
    "recurrent",
    "frameworks",
    "residual",
    "transformer",
    "lsuv",
    "isometry",
    "explorer",
    "validation",
    "activations",
    "torch_helpers",
    "mup",
    "diagnosis",
)

#: Functions exposed at the top level, loaded (with their module) on first use.
_LAZY_FUNCTIONS = {"diagnose": "diagnosis"}

__all__ = ["setup", "seed", "rng", "chapter_seed", "__version__", *_SUBMODULES, *_LAZY_FUNCTIONS]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(f".{_LAZY_FUNCTIONS[name]}", __name__), name)
    raise AttributeError(f"module 'weightinit' has no attribute {name!r}")
