import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from weightinit.plotting import COLORS, plot_layer_histograms, plot_losses, plot_std_vs_depth, use_style  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_style_sets_the_palette():
    use_style()
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == COLORS


def test_std_vs_depth_draws_a_line_per_run_on_a_log_axis():
    ax = plot_std_vs_depth({"a": [1, 0.1, 0.01], "b": [1, 1, 1]}, title="t", reference=None)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log" and ax.get_title() == "t"
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]


def test_histograms_are_densities():
    rng = np.random.default_rng(0)
    ax = plot_layer_histograms([rng.normal(size=5000)], bins=50, value_range=(-5, 5))
    x, y = ax.lines[0].get_data()
    assert np.sum(y) * (x[1] - x[0]) == pytest.approx(1.0, abs=0.01)


def test_losses():
    ax = plot_losses({"a": [3, 2, 1]}, logy=True)
    assert ax.get_yscale() == "log" and list(ax.lines[0].get_ydata()) == [3, 2, 1]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plot_std_vs_depth({}), r"stds must be a non-empty mapping label -> values, got \{\}"),
        (lambda: plot_losses([]), r"histories must be a non-empty mapping label -> losses, got \[\]"),
        (lambda: plot_layer_histograms([]), "values_per_layer must hold at least one layer"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
