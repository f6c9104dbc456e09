"""Shared test settings."""

import sys
from pathlib import Path

import matplotlib

# Tests draw figures without a screen.
matplotlib.use("Agg")

try:
    import torch
except ImportError:  # pragma: no cover - torch is a dependency; keep collection alive
    torch = None

if torch is not None:
    # As in the chapters (weightinit.setup): one thread is faster for small tensors on a
    # busy 2-core machine, and makes sums reproducible.
    torch.set_num_threads(1)


# The maintainer scripts of tools/ (student edition, Colab cell, chapter report) are not
# part of the package; the tests import them by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
