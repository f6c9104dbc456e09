import math

import pytest
import torch
from weightinit.models import mlp
from weightinit.train import accuracy, train_classifier


def _data():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 4, generator=generator)
    y = (x[:, 0] > 0).long()
    return x, y


def test_training_learns_a_separable_problem_and_is_reproducible():
    x, y = _data()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = mlp(2, 16, in_features=4, out_features=2, activation="tanh", final_activation=False)
        runs.append(train_classifier(net, x, y, epochs=5, test_inputs=x, test_labels=y))
    assert runs[0].loss == runs[1].loss
    assert runs[0].loss[-1] < 0.5 * runs[0].loss[0]
    assert runs[0].test_accuracy[-1] > 0.9 and accuracy(net, x, y) > 0.9


def test_divergence_is_recorded_not_raised():
    x, y = _data()
    net = mlp(2, 16, in_features=4, out_features=2, final_activation=False)
    net[0].weight.data.fill_(float("nan"))
    history = train_classifier(net, x, y, epochs=4)
    assert history.diverged and len(history.loss) == 4 and math.isnan(history.loss[-1])


@pytest.mark.parametrize(
    "kwargs, match",
    [({"epochs": 0}, "epochs"), ({"batch_size": 1.5}, "batch_size"), ({"lr": 0.0}, "lr")],
)
def test_bad_input(kwargs, match):
    x, y = _data()
    with pytest.raises(ValueError, match=match):
        train_classifier(mlp(1, 2, in_features=4), x, y, **kwargs)


def test_mismatched_lengths():
    x, y = _data()
    with pytest.raises(ValueError, match="same length"):
        train_classifier(mlp(1, 2, in_features=4), x, y[:10])
