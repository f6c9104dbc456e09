import subprocess
import sys

import numpy as np
import pytest
import torch
import weightinit
from weightinit.session import progress, seed_everything, setup


def test_setup_seeds_numpy_and_torch():
    assert setup(7, style=False) == "cpu"
    a, t = np.random.rand(), torch.rand(1)
    setup(7, style=False)
    assert a == np.random.rand() and torch.equal(t, torch.rand(1))


def test_setup_bad_input():
    with pytest.raises(ValueError, match="device"):
        setup(0, device="tpu")
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)
    with pytest.raises(ValueError, match="seed"):
        seed_everything(1.5)


def test_progress_is_silent_when_quiet(monkeypatch, capsys):
    monkeypatch.setenv("WEIGHTINIT_QUIET", "1")
    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_progress_shows_a_bar_when_not_quiet(monkeypatch, capsys):
    monkeypatch.setenv("WEIGHTINIT_QUIET", "0")
    assert list(progress(range(3), desc="sweep")) == [0, 1, 2]
    assert "sweep" in capsys.readouterr().err


def test_import_weightinit_does_not_import_torch():
    code = "import weightinit, weightinit.scratch, weightinit.checks, sys; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_lazy_submodules():
    assert weightinit.plotting.__name__ == "weightinit.plotting"
    with pytest.raises(AttributeError, match="nonexistent"):
        weightinit.nonexistent  # noqa: B018


def test_environment_variable_overrides_the_chapter_seed(monkeypatch):
    monkeypatch.setenv("WEIGHTINIT_SEED", "3")
    setup(0, style=False)
    assert weightinit.chapter_seed() == 3
    overridden = (weightinit.seed(0), float(weightinit.rng(1).random()), np.random.rand())
    monkeypatch.delenv("WEIGHTINIT_SEED")
    setup(3, style=False)
    assert (weightinit.seed(0), float(weightinit.rng(1).random()), np.random.rand()) == overridden
    setup(0, style=False)
    assert weightinit.chapter_seed() == 0 and weightinit.seed(0) != overridden[0]


def test_streams_are_distinct_and_depend_on_the_chapter_seed():
    setup(0, style=False)
    streams = [weightinit.seed(k) for k in range(50)]
    assert len(set(streams)) == 50
    setup(1, style=False)
    assert not set(streams) & {weightinit.seed(k) for k in range(50)}


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_bad_seed_variable(monkeypatch, value):
    monkeypatch.setenv("WEIGHTINIT_SEED", value)
    with pytest.raises(ValueError, match=f"WEIGHTINIT_SEED must be a non-negative integer, got '{value}'"):
        setup(0, style=False)


def test_bad_stream():
    with pytest.raises(ValueError, match="stream must be a non-negative integer, got -2"):
        weightinit.seed(-2)
