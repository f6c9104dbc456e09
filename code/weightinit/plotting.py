"""The course's figure style and the plots that recur across chapters.

Every chapter calls :func:`weightinit.setup`, which applies :func:`use_style`. The plots
return their ``Axes`` so a chapter can add a line or an annotation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "COLORS",
    "LINESTYLES",
    "use_style",
    "describe_figure",
    "plot_std_vs_depth",
    "plot_layer_histograms",
    "plot_losses",
]

#: Okabe-Ito palette: distinguishable with every common colour-vision deficiency.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: One dash pattern per colour, so that lines differ by more than colour (and in grey print).
LINESTYLES = ["-", "--", ":", "-.", (0, (6, 2)), (0, (1, 1)), (0, (4, 1, 1, 1, 1, 1)), (0, (8, 2, 2, 2))]


def use_style() -> None:
    """Apply the course's figure style (size, grid, palette, dashes, fonts) to matplotlib.

    Each line of a plot gets its own colour (Okabe-Ito) and its own dash pattern. In IPython
    (Jupyter, Colab, the book's build) every figure shown also carries alt text made by
    :func:`describe_figure` from its titles, axis labels and legend, so that no figure of the
    book reaches a reader without a description.

    Examples:
        >>> use_style()
        >>> plt.rcParams["axes.grid"]
        True
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.8),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "savefig.bbox": "tight",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.prop_cycle": mpl.cycler(color=COLORS) + mpl.cycler(linestyle=LINESTYLES),
            "lines.linewidth": 1.8,
        }
    )
    _describe_shown_figures()


def describe_figure(fig: Figure) -> str:
    """Alt text for a figure: what it shows, from its titles, axis labels and legends.

    Examples:
        >>> fig, ax = plt.subplots()
        >>> _ = ax.plot([1, 2], label="he"); _ = ax.plot([2, 1], label="xavier")
        >>> _ = ax.set(title="He keeps the std near 1", xlabel="layer", ylabel="std", yscale="log")
        >>> _ = ax.legend()
        >>> describe_figure(fig)
        'Figure: He keeps the std near 1: std (log scale) against layer; lines: he, xavier.'
        >>> plt.close("all")
    """
    panels = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        title = " ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t)
        x, y = _axis_label(ax, "x"), _axis_label(ax, "y")
        text = title
        if x or y:
            axes_text = f"{y} against {x}" if x and y else x or y
            text = f"{title}: {axes_text}" if title else axes_text
        legend = ax.get_legend()
        labels = [t.get_text() for t in legend.get_texts()] if legend else []
        if labels:
            text += ("; " if text else "") + "lines: " + ", ".join(labels)
        if text:
            panels.append(text)
    for legend in fig.legends:
        panels.append("legend: " + ", ".join(t.get_text() for t in legend.get_texts()))
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    panels, suptitle = [_plain(p) for p in panels], _plain(suptitle)
    if not panels:
        return f"Figure: {suptitle}." if suptitle else "Figure without title or axis labels."
    if len(panels) == 1:
        body = panels[0]
    else:
        body = f"{len(panels)} panels: " + " | ".join(f"({i}) {p}" for i, p in enumerate(panels, 1))
    return f"Figure: {suptitle}. {body}." if suptitle else f"Figure: {body}."


def _plain(text: str) -> str:
    r"""Text without mathtext's markup, to be read aloud: ``$\sigma_w$`` -> ``sigma_w``.

    Examples:
        >>> _plain(r"std of $x_{20}$, $(\sqrt{n}\,\sigma_w)^l$")
        'std of x_20, (sqrt n sigma_w)^l'
    """
    text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt \1", text)
    text = text.replace(r"\,", " ").replace("$", "").replace("\\", "")
    return re.sub(r"[{}]", "", text)


def _axis_label(ax: Axes, axis: str) -> str:
    label = getattr(ax, f"get_{axis}label")()
    if label and getattr(ax, f"get_{axis}scale")() == "log":
        label += " (log scale)"
    return label


def _describe_shown_figures() -> None:
    """In IPython, give every figure shown alt text (output metadata ``{"image/png": {"alt": ...}}``).

    The book's build turns that metadata into the ``alt`` of the figure's ``<img>``
    (``_ext/nb_image_alt.py``). The hook wraps the shell's display formatter, which matplotlib's
    inline backend keeps when it (re)configures itself; it is installed once.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    formatter = getattr(shell, "display_formatter", None)
    if formatter is None or getattr(formatter.format, "_weightinit_alt", False):
        return
    original = formatter.format

    def format_with_alt(obj, include=None, exclude=None):
        data, metadata = original(obj, include=include, exclude=exclude)
        # A figure, or an object that shows one (explorer.StaticExplorer's .figure).
        figure = obj if isinstance(obj, Figure) else getattr(obj, "figure", None)
        if isinstance(figure, Figure):
            alt = describe_figure(figure)
            for mime in data:
                if mime.startswith("image/"):
                    metadata.setdefault(mime, {})["alt"] = alt
        return data, metadata

    format_with_alt._weightinit_alt = True
    formatter.format = format_with_alt


def _axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _plot_by_label(ax: Any, series: Mapping[str, Any], **style: Any) -> None:
    """One line per label, against 1, 2, ... (layers or epochs)."""
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, label=label, **style)


def plot_std_vs_depth(
    stds: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    ylabel: str = "std of activations",
    title: str | None = None,
    logy: bool = True,
    reference: float | None = 1.0,
) -> Axes:
    """Plot one line of per-layer standard deviations for each labelled run.

    Args:
        stds: label -> std of layer 1, 2, ... (layer index starts at 1 on the x axis).
        ax: axes to draw on; a new figure when None.
        ylabel: y-axis label.
        title: the finding the figure shows.
        logy: log scale on y, for anything that vanishes or explodes with depth.
        reference: draw a dashed horizontal line here (None: no line).

    Examples:
        >>> ax = plot_std_vs_depth({"he": [1.0, 1.1, 0.9]}, title="He keeps std near 1")
        >>> ax.get_yscale(), len(ax.lines)
        ('log', 2)
        >>> plt.close("all")
    """
    if not isinstance(stds, Mapping) or not stds:
        raise ValueError(f"stds must be a non-empty mapping label -> values, got {stds!r}")
    ax = _axes(ax)
    _plot_by_label(ax, stds, marker="o", markersize=3)
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", linewidth=1)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (depth)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_layer_histograms(
    values_per_layer: Sequence[np.ndarray],
    *,
    ax: Axes | None = None,
    bins: int = 60,
    value_range: tuple[float, float] | None = None,
    xlabel: str = "activation value",
    title: str | None = None,
    layer_names: Sequence[str] | None = None,
) -> Axes:
    """Overlay one normalized histogram (as a line) per layer, as in Glorot & Bengio (2010).

    Args:
        values_per_layer: one array of values per layer.
        ax: axes to draw on; a new figure when None.
        bins: number of bins.
        value_range: (low, high) of the bins; the joint range of all layers when None.
        xlabel: x-axis label.
        title: the finding the figure shows.
        layer_names: legend labels; "layer 1", "layer 2", ... when None.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> ax = plot_layer_histograms([rng.normal(size=100), rng.normal(size=100)])
        >>> len(ax.lines)
        2
        >>> plt.close("all")
    """
    if len(values_per_layer) == 0:
        raise ValueError("values_per_layer must hold at least one layer, got an empty sequence")
    arrays = [np.asarray(v, dtype=float).ravel() for v in values_per_layer]
    if value_range is None:
        low = min(float(a.min()) for a in arrays)
        high = max(float(a.max()) for a in arrays)
        value_range = (low, high if high > low else low + 1.0)
    names = layer_names or [f"layer {i}" for i in range(1, len(arrays) + 1)]
    ax = _axes(ax)
    cmap = plt.get_cmap("viridis")
    for i, (array, name) in enumerate(zip(arrays, names, strict=True)):
        density, edges = np.histogram(array, bins=bins, range=value_range, density=True)
        centers = (edges[:-1] + edges[1:]) / 2
        ax.plot(centers, density, color=cmap(i / max(len(arrays) - 1, 1)), label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_losses(
    histories: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    xlabel: str = "epoch",
    ylabel: str = "training loss (cross-entropy)",
    title: str | None = None,
    logy: bool = False,
) -> Axes:
    """Plot one loss curve per labelled run.

    Examples:
        >>> ax = plot_losses({"he": [2.3, 1.0, 0.5]}, title="He learns")
        >>> len(ax.lines)
        1
        >>> plt.close("all")
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError(f"histories must be a non-empty mapping label -> losses, got {histories!r}")
    ax = _axes(ax)
    _plot_by_label(ax, histories)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
