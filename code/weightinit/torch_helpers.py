"""The torch helpers the other modules share: which layers carry weights, and forward hooks.

Examples:
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> seen = []
    >>> with forward_hooks((m, lambda module, args, out: seen.append(tuple(out.shape)))
    ...                    for m in net if isinstance(m, WEIGHT_LAYERS)):
    ...     _ = net(torch.zeros(5, 3))
    >>> seen
    [(5, 4), (5, 2)]
    >>> net(torch.zeros(5, 3)).shape  # the hooks are gone
    torch.Size([5, 2])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from torch import nn

__all__ = ["WEIGHT_LAYERS", "CONV_LAYERS", "forward_hooks"]

#: Convolutions, transposed ones included (their weight is stored (in, out / groups, *kernel)).
CONV_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)

#: The layers whose ``weight`` an initialization rule fills and whose output the course
#: measures: Linear and every convolution.
WEIGHT_LAYERS: tuple[type[nn.Module], ...] = (nn.Linear, *CONV_LAYERS)

Hook = Callable[..., object]


@contextmanager
def forward_hooks(
    hooks: Iterable[tuple[nn.Module, Hook]], pre_hooks: Iterable[tuple[nn.Module, Hook]] = ()
) -> Iterator[None]:
    """Register forward hooks (and forward pre-hooks) on modules, and remove them on exit.

    Args:
        hooks: ``(module, hook)`` pairs, ``hook(module, args, output)``.
        pre_hooks: ``(module, hook)`` pairs, ``hook(module, args)``.
    """
    handles = [module.register_forward_pre_hook(hook) for module, hook in pre_hooks]
    try:
        handles += [module.register_forward_hook(hook) for module, hook in hooks]
        yield
    finally:
        for handle in handles:
            handle.remove()
