"""One call to start a chapter: seed everything, pick the device, set the figure style."""

from __future__ import annotations

import os
import random

import numpy as np

from .validation import check_seed

__all__ = ["setup", "seed", "rng", "chapter_seed", "seed_everything", "progress", "SEED_VARIABLE"]

#: The environment variable that overrides the seed a chapter gives to :func:`setup`.
SEED_VARIABLE = "WEIGHTINIT_SEED"

_chapter_seed: int = 0


def chapter_seed() -> int:
    """The seed of the running chapter: the one given to :func:`setup`, or ``$WEIGHTINIT_SEED``.

    Examples:
        >>> _ = setup(5, style=False)
        >>> chapter_seed() == int(os.environ.get("WEIGHTINIT_SEED", 5))
        True
    """
    return _chapter_seed


def seed(stream: int = 0) -> int:
    """Seed number ``stream`` of the running chapter, an int derived from :func:`chapter_seed`.

    A chapter never writes a seed literal such as ``rng=0`` or ``torch.manual_seed(0)``: it
    writes ``rng=weightinit.seed(0)`` and ``torch.manual_seed(weightinit.seed(0))``, so that
    ``WEIGHTINIT_SEED=3`` reruns the whole chapter on another draw. Different streams give
    independent draws (NumPy's ``SeedSequence`` mixes the chapter seed and the stream).

    Args:
        stream: a non-negative integer that names one source of randomness in the chapter.

    Examples:
        >>> _ = setup(0, style=False)
        >>> seed(1) == seed(1), seed(1) == seed(2)
        (True, False)
    """
    stream = check_seed("stream", stream)
    return int(np.random.SeedSequence([_chapter_seed, stream]).generate_state(1)[0])


def rng(stream: int = 0) -> np.random.Generator:
    """A NumPy generator for seed number ``stream`` of the running chapter (see :func:`seed`).

    Examples:
        >>> _ = setup(0, style=False)
        >>> float(rng(4).random()) == float(rng(4).random())
        True
    """
    return np.random.default_rng(seed(stream))


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
    seed = check_seed("seed", seed)
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

    Every chapter calls this once, after its imports; every draw in the chapter derives from
    this seed (through :func:`seed` and :func:`rng`). When the environment variable
    ``WEIGHTINIT_SEED`` is set, its value replaces ``seed``, so that a chapter reruns on
    another draw unchanged (``make claims``). Everything in the course runs on a CPU
    in seconds; a GPU is used only when asked for with ``device="cuda"``, so that two runs
    print the same numbers on any machine.

    Args:
        seed: the chapter's seed, for Python, NumPy and torch (``$WEIGHTINIT_SEED`` wins).
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
    global _chapter_seed
    override = os.environ.get(SEED_VARIABLE, "").strip()
    if override:
        if not override.isdigit():
            raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer, got {override!r}")
        seed = int(override)
    _chapter_seed = check_seed("seed", seed)
    seed_everything(_chapter_seed)
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
