"""An interactive explorer: how depth, width, activation and initialization shape the signal.

In a live notebook (Jupyter, or Colab), :func:`explore` shows four controls (depth, width,
activation, initialization rule) and a plot of the per-layer standard deviation of the
activations on the forward pass, and of the gradients on the backward pass, of a plain
MLP (:func:`weightinit.models.mlp`) on a batch of standard-normal inputs; the plot follows
the controls. It needs ``ipywidgets`` (7 or 8; Colab ships 7).

Where no one can move a slider (the rendered book, the tests, any run with
``WEIGHTINIT_QUIET=1``), or without ``ipywidgets``, or outside a notebook kernel,
:func:`explore` shows a fixed figure instead: the same plot for several initialization
rules at once. Nothing breaks without a live kernel.

The figures are drawn with :class:`matplotlib.figure.Figure`, not pyplot, and displayed
as PNG images, so they show once, whatever matplotlib backend the kernel uses.

Examples:
    >>> result = explore(depth=6, width=32, interactive=False)
    >>> type(result).__name__, result.figure.axes[0].get_yscale()
    ('StaticExplorer', 'log')
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .validation import check_int

__all__ = ["INITS", "profile", "plot_profile", "explore", "StaticExplorer", "live_widgets_available"]

#: Initialization rules offered by the explorer: label -> ``init`` argument of
#: :func:`weightinit.models.mlp` (a method name, a fixed std, or None for PyTorch's default).
INITS: dict[str, str | float | None] = {
    "N(0, 0.01²), fixed": "normal",
    "N(0, 0.1²), fixed": 0.1,
    "N(0, 1), fixed": 1.0,
    "LeCun": "lecun",
    "Xavier": "xavier",
    "He": "he",
    "orthogonal": "orthogonal",
    "PyTorch default": None,
}

#: Activations offered by the explorer (keys of :data:`weightinit.models.ACTIVATIONS`).
ACTIVATION_CHOICES: tuple[str, ...] = ("tanh", "relu", "linear", "sigmoid", "selu", "gelu")
WIDTH_CHOICES: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024)
DEPTH_RANGE: tuple[int, int] = (2, 100)
#: The fixed figure compares these rules.
STATIC_INITS: tuple[str, ...] = ("N(0, 0.01²), fixed", "N(0, 1), fixed", "Xavier", "He")


@dataclass
class Profile:
    """Per-layer standard deviations of one network (index 0 is the first layer)."""

    activation_std: list[float]
    gradient_std: list[float]


def profile(
    depth: int, width: int, activation: str, init: str, *, batch_size: int = 256, seed: int = 0
) -> Profile:
    """Per-layer activation and gradient std of a seeded MLP on standard-normal inputs.

    Args:
        depth: number of Linear layers.
        width: units per layer (also the input size).
        activation: a key of :data:`weightinit.models.ACTIVATIONS`.
        init: a key of :data:`INITS`.
        batch_size: inputs in the batch.
        seed: seed of the weights, the inputs and the output gradient; torch's global
            random state is left as it was.

    Returns:
        a :class:`Profile`.

    Examples:
        >>> p = profile(10, 64, "linear", "N(0, 0.01²), fixed")
        >>> len(p.activation_std), p.activation_std[-1] < 1e-6
        (10, True)
    """
    import torch

    from weightinit.models import mlp
    from weightinit.stats import layer_stats

    if init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = mlp(depth, width, activation=activation, init=INITS[init])
        inputs = torch.randn(batch_size, width)
        stats = layer_stats(model, inputs, seed=seed, keep_values=False)
    return Profile([float(s) for s in stats.activation_std], [float(s) for s in stats.gradient_std])


def _finding(stds: Sequence[float]) -> str:
    """'vanish', 'explode' or 'keep their scale': the signal's std where it leaves the
    network against where it enters (``stds`` in the order the signal travels), with a
    factor 10 either way."""
    start, end = stds[0], stds[-1]
    if not (math.isfinite(start) and math.isfinite(end)) or end > 10 * start:
        return "explode"
    if end < 0.1 * start:
        return "vanish"
    return "keep their scale"


def plot_profile(depth: int, width: int, activation: str, inits: Sequence[str]) -> Any:
    """Two panels against the layer: the std of the activations and of the gradients.

    One line per rule of ``inits`` (keys of :data:`INITS`). The titles state what happens
    to each signal over the depth: "vanish" or "explode" when its std changes by more
    than a factor 10 between where it enters the network and where it leaves.

    Returns:
        a :class:`matplotlib.figure.Figure`, not managed by pyplot.
    """
    from matplotlib.figure import Figure

    from weightinit.plotting import plot_std_vs_depth

    figure = Figure(figsize=(11.0, 3.8), layout="constrained")
    forward, backward = figure.subplots(1, 2, sharex=True)
    profiles = {label: profile(depth, width, activation, label) for label in inits}

    # A dead signal has std 0, which a log axis cannot show: clip it to the smallest float.
    def clip(values: Sequence[float]) -> list[float]:
        return [max(v, 1e-300) if math.isfinite(v) else math.nan for v in values]

    findings = {}
    for label, p in profiles.items():
        findings[label] = (_finding(p.activation_std), _finding(p.gradient_std[::-1]))
    if len(inits) == 1:
        (label,) = inits
        titles = (f"activations {findings[label][0]}", f"gradients {findings[label][1]}")
        figure.suptitle(f"{activation}, {label}, depth {depth}, width {width}")
    else:
        both = [label for label, f in findings.items() if f == ("keep their scale",) * 2]
        titles = ("activations (forward pass)", "gradients (backward pass)")
        figure.suptitle(
            f"{activation}, depth {depth}, width {width}: "
            + (
                f"only {' and '.join(both)} keep both signals' scale"
                if both
                else "no rule keeps both signals' scale"
            )
        )
    plot_std_vs_depth(
        {k: clip(p.activation_std) for k, p in profiles.items()},
        ax=forward,
        ylabel="std of activations (log scale)",
        title=titles[0],
    )
    plot_std_vs_depth(
        {k: clip(p.gradient_std) for k, p in profiles.items()},
        ax=backward,
        ylabel="std of gradients ∂L/∂z (log scale)",
        title=titles[1],
    )
    backward.get_legend().remove()  # same colours as on the left
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class StaticExplorer:
    """The fixed figure :func:`explore` shows where no slider can move.

    Displays as a PNG image in a notebook (and in the book), as a line of text elsewhere.
    """

    def __init__(self, figure: Any, note: str) -> None:
        self.figure = figure
        self.note = note

    def _repr_png_(self) -> bytes:
        return _png(self.figure)

    def __repr__(self) -> str:
        return f"<weightinit explorer, static figure: {self.note}>"


def live_widgets_available() -> bool:
    """True in a notebook kernel with ipywidgets, unless ``WEIGHTINIT_QUIET`` is set."""
    if os.environ.get("WEIGHTINIT_QUIET", "") not in ("", "0"):
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _PngImage:
    """A PNG for IPython's display (no pyplot figure left behind)."""

    def __init__(self, figure: Any) -> None:
        self.data = _png(figure)

    def _repr_png_(self) -> bytes:
        return self.data


def _widget(depth: int, width: int, activation: str, init: str) -> Any:
    import ipywidgets as widgets
    from IPython.display import display

    style = {"description_width": "initial"}
    controls = {
        "depth": widgets.IntSlider(
            value=depth,
            min=DEPTH_RANGE[0],
            max=DEPTH_RANGE[1],
            description="depth (layers)",
            continuous_update=False,
            style=style,
        ),
        "width": widgets.SelectionSlider(
            options=list(WIDTH_CHOICES),
            value=width,
            description="width (units)",
            continuous_update=False,
            style=style,
        ),
        "activation": widgets.Dropdown(
            options=list(ACTIVATION_CHOICES), value=activation, description="activation", style=style
        ),
        "init": widgets.Dropdown(options=list(INITS), value=init, description="initialization", style=style),
    }

    def update(depth: int, width: int, activation: str, init: str) -> None:
        display(_PngImage(plot_profile(depth, width, activation, [init])))

    output = widgets.interactive_output(update, controls)
    box = widgets.VBox(
        [
            widgets.HBox([controls["depth"], controls["width"]]),
            widgets.HBox([controls["activation"], controls["init"]]),
            output,
        ]
    )
    box.controls = controls  # for the tests, and for anyone scripting the explorer
    box.update = update
    return box


def explore(
    depth: int = 20,
    width: int = 256,
    activation: str = "tanh",
    init: str = "Xavier",
    *,
    interactive: bool | None = None,
) -> Any:
    """Explore how depth, width, activation and initialization shape the signal.

    Live (a notebook kernel with ipywidgets, ``WEIGHTINIT_QUIET`` unset): returns the
    controls and a plot that follows them. Otherwise: a :class:`StaticExplorer`, the plot
    for the rules of :data:`STATIC_INITS` at the given depth, width and activation.

    Args:
        depth: initial number of layers (2 to 100).
        width: initial width, one of :data:`WIDTH_CHOICES`.
        activation: initial activation, one of :data:`ACTIVATION_CHOICES`.
        init: initial rule, a key of :data:`INITS`.
        interactive: force the live (True) or static (False) version; None decides
            with :func:`live_widgets_available`.

    Returns:
        an ``ipywidgets.VBox`` or a :class:`StaticExplorer`; either displays itself as the
        last expression of a cell.
    """
    depth = check_int("depth", depth, minimum=DEPTH_RANGE[0], maximum=DEPTH_RANGE[1])
    if width not in WIDTH_CHOICES:
        raise ValueError(f"width must be one of {WIDTH_CHOICES}, got {width!r}")
    if activation not in ACTIVATION_CHOICES:
        raise ValueError(f"activation must be one of {ACTIVATION_CHOICES}, got {activation!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
    if interactive is None:
        interactive = live_widgets_available()
    if interactive:
        return _widget(depth, width, activation, init)
    figure = plot_profile(depth, width, activation, STATIC_INITS)
    return StaticExplorer(
        figure,
        f"{activation}, depth {depth}, width {width}; run the notebook "
        "live (Jupyter or Colab) to move the sliders",
    )
