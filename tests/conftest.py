"""Shared test settings."""

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
