"""One call to start a chapter: seed everything, pick the device, set the figure style."""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["setup", "seed_everything", "progress"]


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's legacy and (if installed) torch's random generators.

    Args:
        seed: a non-negative integer.

    Examples:
        >>> seed_everything(3)
        >>> a = np.random.rand()
        >>> seed_everything(3)
        >>> a == np.random.rand()
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    os.environ["PYTHONHASHSEED"] = str(int(seed))
    try:
        import torch
    except ImportError:  # the scratch chapters work without torch
        return
    torch.manual_seed(int(seed))


def setup(seed: int = 0, *, device: str | None = None, style: bool = True) -> str:
    """Seed every generator, use one CPU thread, choose the device and apply the figure style.

    Every chapter calls this once, after its imports. Everything in the course runs on a CPU
    in seconds; a GPU is used only when asked for with ``device="cuda"``, so that two runs
    print the same numbers on any machine.

    Args:
        seed: seed for Python, NumPy and torch.
        device: ``"cpu"`` (the default when None) or ``"cuda"``.
        style: apply :func:`weightinit.plotting.use_style`.

    Returns:
        the device name, for ``tensor.to(device)``.

    Examples:
        >>> setup(0, style=False)
        'cpu'
    """
    valid = ("cpu", "cuda")
    if device is None:
        device = "cpu"
    if device not in valid:
        raise ValueError(f"device must be one of {valid}, got {device!r}")
    seed_everything(seed)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' was asked for, but torch sees no CUDA device")
        # One thread: two runs of a chapter print the same numbers on any machine (the
        # order of a parallel sum changes its last bits), and the course's small networks
        # run faster on one thread than on two busy ones. (torch's CPU kernels used here are
        # deterministic; use_deterministic_algorithms would only add seconds of imports.)
        torch.set_num_threads(1)
    if style:
        from .plotting import use_style

        use_style()
    return device


def progress(iterable, *, desc: str | None = None, total: int | None = None):
    """Wrap a long loop in a progress bar in a live notebook; stay quiet in the build.

    The book's build and the tests set ``WEIGHTINIT_QUIET=1`` (see the Makefile), so the
    rendered pages and the test logs carry no progress bars. Elsewhere this is
    ``tqdm.auto.tqdm``: a widget in Jupyter and Colab, text in a terminal.

    Examples:
        >>> os.environ["WEIGHTINIT_QUIET"] = "1"
        >>> list(progress(range(3)))
        [0, 1, 2]
    """
    if os.environ.get("WEIGHTINIT_QUIET", "") not in ("", "0"):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)
