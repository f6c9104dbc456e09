import numpy as np
import pytest
import torch
from weightinit.data import adding_problem, digits, gaussian_inputs


def test_digits_split_is_standardized_and_stratified():
    x_train, y_train, x_test, y_test = digits(test_size=0.2, seed=1)
    assert len(x_train) + len(x_test) == 1797
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    used = x_train.std(dim=0) > 0
    assert torch.allclose(x_train.mean(dim=0), torch.zeros(64), atol=1e-5)
    assert torch.allclose(x_train.std(dim=0, unbiased=False)[used], torch.ones(int(used.sum())), atol=1e-3)
    assert set(y_test.tolist()) == set(range(10))


def test_digits_is_deterministic():
    assert torch.equal(digits(seed=3)[0], digits(seed=3)[0])
    assert not torch.equal(digits(seed=3)[0], digits(seed=4)[0])


def test_gaussian_inputs():
    x = gaussian_inputs(2000, 30, seed=5)
    assert x.shape == (2000, 30) and x.dtype == np.float32
    assert np.array_equal(x, gaussian_inputs(2000, 30, seed=5))
    assert abs(x.std() - 1) < 0.02


def test_adding_problem_targets_are_the_marked_sums():
    x, y = adding_problem(50, 12, seed=0)
    marked = (x[..., 0] * x[..., 1]).sum(dim=1, keepdim=True)
    assert torch.allclose(marked, y)
    half = 12 // 2
    assert torch.all(x[:, :half, 1].sum(dim=1) == 1) and torch.all(x[:, half:, 1].sum(dim=1) == 1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: digits(test_size=1.5), "test_size"),
        (lambda: gaussian_inputs(0, 3), "batch_size"),
        (lambda: gaussian_inputs(3, 2.5), "features"),
        (lambda: adding_problem(4, 1), "seq_len"),
        (lambda: adding_problem(-1, 5), "num_sequences"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_digits_constant_pixels_do_not_blow_up_the_test_split():
    # A pixel that is always 0 in the training split must not be divided by ~0.
    for seed in range(3):
        _, _, x_test, _ = digits(seed=seed)
        assert x_test.abs().max() < 100
