"""Tests of weightinit.explorer: the live widget, and the fixed figure that replaces it."""

from __future__ import annotations

import math
import sys

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from weightinit import explorer


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setenv("WEIGHTINIT_QUIET", "1")


@pytest.fixture
def live(monkeypatch):
    """As in a live notebook kernel: WEIGHTINIT_QUIET unset, an IPython shell with a kernel."""
    monkeypatch.delenv("WEIGHTINIT_QUIET", raising=False)

    class Events:
        def register(self, *args):
            pass

    class CommManager:  # ipywidgets 7 registers its comm target on import
        def register_target(self, *args):
            pass

    class Kernel:
        comm_manager = CommManager()

    class Shell:
        kernel = Kernel()
        events = Events()

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())


def test_profile_of_a_linear_network_follows_the_variance_rule():
    # Var(z_l) = n Var(w) Var(z_{l-1}): the std shrinks by sqrt(n) * 0.01 per layer.
    width, depth = 256, 10
    small = explorer.profile(depth, width, "linear", "N(0, 0.01²), fixed")
    factors = [b / a for a, b in zip(small.activation_std, small.activation_std[1:], strict=False)]
    assert all(abs(f / (math.sqrt(width) * 0.01) - 1) < 0.1 for f in factors)
    lecun = explorer.profile(depth, width, "linear", "LeCun")
    assert all(abs(s - 1) < 0.1 for s in lecun.activation_std)
    assert all(abs(s - 1) < 0.15 for s in lecun.gradient_std)


def test_profile_is_seeded_and_leaves_torch_random_state_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = explorer.profile(5, 32, "tanh", "He", seed=1)
    assert torch.equal(torch.rand(3), expected_next)
    assert explorer.profile(5, 32, "tanh", "He", seed=1) == first
    assert explorer.profile(5, 32, "tanh", "He", seed=2) != first


@pytest.mark.parametrize(
    ("stds", "finding"),
    [
        ([1.0, 0.5, 0.2], "keep their scale"),
        ([1.0, 1e-3], "vanish"),
        ([1.0, 50.0], "explode"),
        ([1.0, math.inf], "explode"),
        ([1.0, math.nan], "explode"),
    ],
)
def test_finding(stds, finding):
    assert explorer._finding(stds) == finding


def test_static_figure_under_quiet(quiet):
    figures_before = plt.get_fignums()
    result = explorer.explore(depth=8, width=64)
    assert isinstance(result, explorer.StaticExplorer)
    assert plt.get_fignums() == figures_before  # nothing left for pyplot to show twice
    png = result._repr_png_()
    assert png.startswith(b"\x89PNG")
    forward, backward = result.figure.axes
    assert forward.get_yscale() == backward.get_yscale() == "log"
    labels = [line.get_label() for line in forward.lines if not line.get_label().startswith("_")]
    assert labels == list(explorer.STATIC_INITS)
    assert "8" in result.figure.get_suptitle() and "static figure" in repr(result)


def test_static_figure_title_names_the_rules_that_keep_both_signals(quiet):
    title = explorer.explore(depth=20, width=256, activation="linear").figure.get_suptitle()
    # Linear network: Xavier's 2 / (fan_in + fan_out) = 1 / n keeps the scale; He's 2 / n
    # doubles the variance per layer (2^10 over 20 layers), the fixed scales are far off.
    assert title.endswith("only Xavier keep both signals' scale")


def test_live_widgets_available(monkeypatch, live):
    assert explorer.live_widgets_available()
    monkeypatch.setenv("WEIGHTINIT_QUIET", "1")
    assert not explorer.live_widgets_available()
    monkeypatch.setenv("WEIGHTINIT_QUIET", "0")
    assert explorer.live_widgets_available()
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed
    assert not explorer.live_widgets_available()
    assert isinstance(explorer.explore(depth=4, width=16), explorer.StaticExplorer)


def test_no_kernel_means_static(monkeypatch):
    monkeypatch.delenv("WEIGHTINIT_QUIET", raising=False)
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert not explorer.live_widgets_available()


def test_live_widget_follows_its_controls(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    assert int(ipywidgets.__version__.split(".")[0]) in (7, 8)
    calls = []

    def fake_plot(depth, width, activation, inits):
        calls.append((depth, width, activation, tuple(inits)))
        return Figure()

    monkeypatch.setattr(explorer, "plot_profile", fake_plot)
    box = explorer.explore(depth=10, width=64, activation="relu", init="He", interactive=True)
    assert isinstance(box, ipywidgets.VBox)
    controls = box.controls
    assert set(controls) == {"depth", "width", "activation", "init"}
    assert isinstance(controls["depth"], ipywidgets.IntSlider)
    assert list(controls["init"].options) == list(explorer.INITS)
    assert calls[-1] == (10, 64, "relu", ("He",))  # drawn once at the start
    controls["depth"].value = 30
    controls["init"].value = "Xavier"
    assert calls[-1] == (30, 64, "relu", ("Xavier",))


def test_live_update_draws_one_png(monkeypatch):
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    box = explorer.explore(depth=3, width=16, interactive=True)
    shown.clear()
    box.update(4, 16, "tanh", "He")
    assert len(shown) == 1 and shown[0]._repr_png_().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 1}, "depth must be"),
        ({"depth": 101}, "depth must be"),
        ({"depth": 2.0}, "depth"),
        ({"width": 100}, "width must be one of"),
        ({"activation": "swish"}, "activation must be"),
        ({"init": "glorot"}, "init must be one of"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explorer.explore(interactive=False, **kwargs)
    if "init" in kwargs:
        with pytest.raises(ValueError, match=message):
            explorer.profile(3, 16, "tanh", kwargs["init"])
