"""The course's figure style and the plots that recur across chapters.

Every chapter calls :func:`weightinit.setup`, which applies :func:`use_style`. The plots
return their ``Axes`` so a chapter can add a line or an annotation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

__all__ = ["COLORS", "use_style", "plot_std_vs_depth", "plot_layer_histograms", "plot_losses"]

#: Okabe-Ito palette: distinguishable with every common colour-vision deficiency.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_style() -> None:
    """Apply the course's figure style (size, grid, palette, fonts) to matplotlib.

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
            "axes.prop_cycle": mpl.cycler(color=COLORS),
            "lines.linewidth": 1.8,
        }
    )


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
