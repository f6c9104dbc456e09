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
