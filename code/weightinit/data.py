"""Small data sets: generated, or shipped with scikit-learn. Nothing is ever downloaded."""

from __future__ import annotations

import numpy as np

from weightinit.validation import check_int, check_real

__all__ = ["digits", "gaussian_inputs", "adding_problem"]


def _check_fraction(name: str, value: float) -> None:
    check_real(name, value, minimum=0.0, maximum=1.0, strict=True)


def digits(test_size: float = 0.25, seed: int = 0, *, standardize: bool = True):
    """scikit-learn's handwritten digits (1,797 8x8 images, 10 classes), split and as tensors.

    The data set ships inside scikit-learn, so this works offline. Pixels are standardized
    with the training split's mean and std (per pixel) when ``standardize``.

    Args:
        test_size: fraction held out for testing.
        seed: seed of the split.
        standardize: zero mean, unit variance inputs.

    Returns:
        ``(x_train, y_train, x_test, y_test)``: float32 tensors of shape ``(n, 64)`` and int64 labels.

    Examples:
        >>> x_train, y_train, x_test, y_test = digits()
        >>> tuple(x_train.shape), tuple(x_test.shape), int(y_train.max())
        ((1347, 64), (450, 64), 9)
    """
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    _check_fraction("test_size", test_size)
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)  # border pixels that are always 0 stay 0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return (
        torch.tensor(x_train, dtype=torch.float32),
        torch.tensor(y_train, dtype=torch.int64),
        torch.tensor(x_test, dtype=torch.float32),
        torch.tensor(y_test, dtype=torch.int64),
    )


def gaussian_inputs(batch_size: int, features: int, seed: int = 0) -> np.ndarray:
    """A batch of standard-normal inputs, shape ``(batch_size, features)``, float32.

    Examples:
        >>> x = gaussian_inputs(1000, 50)
        >>> x.shape, round(float(x.std()), 1)
        ((1000, 50), 1.0)
    """
    batch_size, features = check_int("batch_size", batch_size), check_int("features", features)
    return np.random.default_rng(seed).standard_normal((batch_size, features), dtype=np.float32)


def adding_problem(num_sequences: int, seq_len: int, seed: int = 0):
    """The adding problem (Hochreiter & Schmidhuber 1997): a classic test of long memory.

    Each sequence has two channels: random numbers in [0, 1), and a marker that is 1 at
    exactly two positions (one in each half). The target is the sum of the two marked
    numbers. Predicting 1 always gives a mean squared error of about 0.167, the baseline.

    Returns:
        ``(inputs, targets)``: float32 tensors of shape ``(num_sequences, seq_len, 2)`` and
        ``(num_sequences, 1)``.

    Examples:
        >>> x, y = adding_problem(4, 10)
        >>> tuple(x.shape), tuple(y.shape), x[..., 1].sum(dim=1).tolist()
        ((4, 10, 2), (4, 1), [2.0, 2.0, 2.0, 2.0])
    """
    import torch

    num_sequences = check_int("num_sequences", num_sequences)
    seq_len = check_int("seq_len (two marked positions)", seq_len, minimum=2)
    rng = np.random.default_rng(seed)
    values = rng.random((num_sequences, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=num_sequences)
    second = rng.integers(half, seq_len, size=num_sequences)
    markers = np.zeros((num_sequences, seq_len))
    rows = np.arange(num_sequences)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = values[rows, first] + values[rows, second]
    inputs = np.stack([values, markers], axis=-1)
    return (
        torch.tensor(inputs, dtype=torch.float32),
        torch.tensor(targets[:, None], dtype=torch.float32),
    )
