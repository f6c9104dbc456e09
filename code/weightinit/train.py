"""A short, seeded training loop shared by the chapters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from .session import progress
from .validation import check_int, check_real

__all__ = ["History", "train_classifier", "accuracy"]


@dataclass
class History:
    """What :func:`train_classifier` records.

    Attributes:
        loss: mean training loss of each epoch (NaN from the epoch it diverged on).
        test_accuracy: accuracy on the test split after each epoch (empty without one).
    """

    loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def diverged(self) -> bool:
        """True when the loss became NaN or infinite."""
        return any(not math.isfinite(v) for v in self.loss)


def accuracy(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``inputs`` that ``model`` classifies as ``labels``."""
    model.eval()
    with torch.no_grad():
        predicted = model(inputs).argmax(dim=1)
    model.train()
    return (predicted == labels).float().mean().item()


def train_classifier(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 0.05,
    momentum: float = 0.9,
    seed: int = 0,
    test_inputs: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
    desc: str | None = None,
) -> History:
    """Train ``model`` with SGD (momentum) and cross-entropy; return the loss per epoch.

    The shuffling uses its own generator seeded by ``seed``, so the same model, data and
    seed give the same curve. Training stops early, filling the rest with NaN, if the
    loss stops being finite.

    Args:
        model: a classifier returning logits.
        inputs, labels: the training set.
        epochs: passes over the training set.
        batch_size: examples per step.
        lr: learning rate.
        momentum: SGD momentum.
        seed: seed of the shuffling.
        test_inputs, test_labels: an optional test split, measured after every epoch.
        desc: label of the progress bar.

    Examples:
        >>> from weightinit.data import digits
        >>> from weightinit.models import mlp
        >>> _ = torch.manual_seed(0)
        >>> x, y, _, _ = digits()
        >>> net = mlp(2, 32, in_features=64, out_features=10, activation="relu",
        ...           init="he", final_activation=False)
        >>> history = train_classifier(net, x, y, epochs=3)
        >>> len(history.loss), history.loss[-1] < history.loss[0]
        (3, True)
    """
    epochs, batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
    lr = check_real("lr", lr, minimum=0.0, strict=True)
    if len(inputs) != len(labels):
        raise ValueError(f"inputs and labels must have the same length, got {len(inputs)} and {len(labels)}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    history = History()
    model.train()
    for _ in progress(range(epochs), desc=desc):
        order = torch.randperm(len(inputs), generator=generator)
        total, count = 0.0, 0
        for start in range(0, len(inputs), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[batch]), labels[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            count += len(batch)
        history.loss.append(total / count)
        if test_inputs is not None and test_labels is not None:
            history.test_accuracy.append(accuracy(model, test_inputs, test_labels))
        if not math.isfinite(history.loss[-1]):
            history.loss += [float("nan")] * (epochs - len(history.loss))
            break
    return history
