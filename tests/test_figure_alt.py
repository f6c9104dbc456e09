"""Figures reach every reader: alt text set where a figure is shown, lines that differ by more
than colour (weightinit.plotting.use_style; the book's side is _ext/nb_image_alt.py and
tests/test_browser.py, which checks every <img> of the built book)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from weightinit import plotting


def test_every_line_of_the_cycle_has_its_own_colour_and_dashes() -> None:
    plotting.use_style()
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert cycle["color"] == plotting.COLORS
    assert len(cycle["linestyle"]) == len(cycle["color"])
    assert len({str(style) for style in cycle["linestyle"]}) == len(cycle["linestyle"])


def test_alt_text_says_what_the_figure_shows() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([1, 2], label="he")
    left.plot([1, 3], label="xavier")
    left.set(title="He keeps the std near 1", xlabel="layer", ylabel="std", yscale="log")
    left.legend()
    right.set(xlabel="epoch", ylabel="loss")
    fig.suptitle("Two runs")
    alt = plotting.describe_figure(fig)
    plt.close(fig)
    assert alt == (
        "Figure: Two runs. 2 panels: (1) He keeps the std near 1: std (log scale) "
        "against layer; lines: he, xavier | (2) loss against epoch."
    )


def test_a_bare_figure_says_so() -> None:
    fig = plt.figure()
    assert plotting.describe_figure(fig) == "Figure without title or axis labels."
    plt.close(fig)


def test_ipython_shows_figures_with_their_alt_text() -> None:
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from IPython.core.pylabtools import select_figure_formats

    shell = interactiveshell.InteractiveShell.instance()
    try:
        _check_alt_text_in(shell, select_figure_formats)
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def _check_alt_text_in(shell, select_figure_formats) -> None:
    select_figure_formats(shell, {"png"})
    plotting.use_style()
    plotting.use_style()  # a second call does not wrap the formatter twice
    # matplotlib's inline backend re-registers its figure formatter when it is (re)configured:
    # the alt text must survive that.
    select_figure_formats(shell, {"png"})
    fig, ax = plt.subplots()
    ax.plot([1, 2], label="he")
    ax.set(title="A title", xlabel="x", ylabel="y")
    data, metadata = shell.display_formatter.format(fig)
    plt.close(fig)
    assert "image/png" in data
    assert metadata["image/png"]["alt"] == "Figure: A title: y against x."

    class ShowsAFigure:  # as explorer.StaticExplorer: a PNG of its .figure
        def __init__(self, figure):
            self.figure = figure

        def _repr_png_(self):
            return data["image/png"]

    _, metadata = shell.display_formatter.format(ShowsAFigure(fig))
    assert metadata["image/png"]["alt"] == "Figure: A title: y against x."
    data, metadata = shell.display_formatter.format([1, 2])  # anything else: no alt text
    assert "image/png" not in metadata
