r"""Initialization rules applied to PyTorch modules.

:mod:`weightinit.scratch` builds the rules from scratch with NumPy; this module applies
them to real ``torch.nn`` models, the way a practitioner would:

- :func:`apply_weight_init` initializes every supported layer of a model by one method;
- :func:`weight_stats` / :func:`print_weight_stats` summarize every parameter;
- :func:`init_lstm_` gives an LSTM Xavier weights and a forget-gate bias;
  :func:`effective_forget_bias` reads that bias back;
- :func:`lecun_uniform_` / :func:`lecun_normal_` fill a tensor by LeCun's rule, which
  ``torch.nn.init`` lacks (in torch it is ``kaiming_normal_(w, nonlinearity="linear")``).

Every function that draws random numbers takes an optional ``generator``
(:class:`torch.Generator`): with one, the result depends only on its seed and the global
random state is left alone. The generator must live on the parameters' device.

PyTorch stacks the gates of a recurrent layer into one matrix: an LSTM's
``weight_ih_l0`` is ``(4 * hidden_size, input_size)``, gates in the order input, forget,
cell (g), output; a GRU stacks 3 gates (reset, update, new), a plain RNN 1. The functions
here initialize each gate's ``(hidden_size, ...)`` block as a layer of its own (see
:func:`apply_weight_init` for why).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from weightinit.torch_helpers import WEIGHT_LAYERS

__all__ = [
    "METHODS",
    "apply_weight_init",
    "weight_stats",
    "print_weight_stats",
    "init_lstm_",
    "effective_forget_bias",
    "lecun_uniform_",
    "lecun_normal_",
]

#: The methods :func:`apply_weight_init` accepts ("kaiming" is an alias of "he").
METHODS: tuple[str, ...] = (
    "zeros",
    "normal",
    "uniform",
    "xavier",
    "he",
    "kaiming",
    "lecun",
    "orthogonal",
)

#: Standard deviation of the naive "normal" baseline, N(0, 0.01^2).
NORMAL_STD = 0.01
#: Bound of the naive "uniform" baseline, U(-0.05, 0.05).
UNIFORM_BOUND = 0.05

# Methods whose hidden-to-hidden weights use the method itself rather than orthogonal_.
_NAIVE_METHODS = ("zeros", "normal", "uniform")

_NORM_LAYERS = tuple(
    layer
    for layer in (
        nn.BatchNorm1d,
        nn.BatchNorm2d,
        nn.BatchNorm3d,
        nn.SyncBatchNorm,
        nn.InstanceNorm1d,
        nn.InstanceNorm2d,
        nn.InstanceNorm3d,
        nn.LayerNorm,
        nn.GroupNorm,
        getattr(nn, "RMSNorm", None),  # torch >= 2.4
    )
    if layer is not None
)
_RECURRENT_LAYERS = (nn.RNNBase, nn.RNNCellBase)


def _fan_in(tensor: torch.Tensor) -> int:
    if tensor.dim() < 2:
        raise ValueError(
            f"LeCun initialization needs a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}"
        )
    return tensor.shape[1] * math.prod(tensor.shape[2:])


def lecun_uniform_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Fill ``tensor`` in place with LeCun's uniform rule.

    Described in *Efficient BackProp*, LeCun, Bottou, Orr and Müller (1998): keep the
    variance of a unit's input equal to that of its inputs, :math:`\operatorname{Var}(w)
    = 1 / \text{fan\_in}`. The result has values sampled from
    :math:`\mathcal{U}(-\text{bound}, \text{bound})` where

    .. math::
        \text{bound} = \sqrt{\frac{3}{\text{fan\_in}}}

    the same distribution as ``torch.nn.init.kaiming_uniform_(tensor,
    nonlinearity="linear")``.

    Args:
        tensor: an n-dimensional :class:`torch.Tensor`, :math:`n \geq 2`, in torch's
            layout ``(fan_out, fan_in, *kernel)``.
        generator: the torch Generator to sample from (default: None, the global one).

    Returns:
        ``tensor``, filled.

    Examples:
        >>> w = lecun_uniform_(torch.empty(256, 100), torch.Generator().manual_seed(0))
        >>> round(w.abs().max().item() * 100 ** 0.5, 2)  # the bound, sqrt(3) = 1.73
        1.73
        >>> round(w.var().item() * 100, 1)  # Var(w) * fan_in
        1.0
    """
    fan_in = _fan_in(tensor)
    if tensor.numel() == 0:
        return tensor
    bound = math.sqrt(3.0 / fan_in)
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def lecun_normal_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Fill ``tensor`` in place with LeCun's normal rule.

    Described in *Efficient BackProp*, LeCun, Bottou, Orr and Müller (1998), and used
    with SELU in *Self-Normalizing Neural Networks*, Klambauer et al. (2017). The result
    has values sampled from :math:`\mathcal{N}(0, \text{std}^2)` where

    .. math::
        \text{std} = \frac{1}{\sqrt{\text{fan\_in}}}

    the same distribution as ``torch.nn.init.kaiming_normal_(tensor,
    nonlinearity="linear")``. It is not truncated (Keras' ``lecun_normal`` is a normal
    truncated at two standard deviations and rescaled; the variance is the same). Takes
    the same arguments as :func:`lecun_uniform_` and returns ``tensor``, filled.

    Examples:
        >>> w = lecun_normal_(torch.empty(512, 64, 3, 3), torch.Generator().manual_seed(0))
        >>> round(w.std().item() * (64 * 3 * 3) ** 0.5, 2)  # std * sqrt(fan_in)
        1.0
    """
    fan_in = _fan_in(tensor)
    if tensor.numel() == 0:
        return tensor
    with torch.no_grad():
        return tensor.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)


def _init_weight_(weight: torch.Tensor, method: str, generator: torch.Generator | None) -> None:
    """Fill one weight (or one gate block of one) by ``method``."""
    if weight.numel() == 0:
        return  # torch's init functions warn on zero-element tensors; nothing to fill
    if method == "zeros":
        nn.init.zeros_(weight)
    elif method == "normal":
        nn.init.normal_(weight, mean=0.0, std=NORMAL_STD, generator=generator)
    elif method == "uniform":
        nn.init.uniform_(weight, -UNIFORM_BOUND, UNIFORM_BOUND, generator=generator)
    elif method == "xavier":
        nn.init.xavier_uniform_(weight, generator=generator)
    elif method in ("he", "kaiming"):
        nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu", generator=generator)
    elif method == "lecun":
        lecun_normal_(weight, generator)
    elif method == "orthogonal":
        nn.init.orthogonal_(weight, generator=generator)
    else:  # pragma: no cover - callers validate method first
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _gate_blocks(weight: torch.Tensor, hidden_size: int) -> list[torch.Tensor]:
    """Views of the ``(hidden_size, ...)`` gate blocks stacked in a recurrent weight."""
    return list(weight.split(hidden_size, dim=0))


def _init_recurrent_(module: nn.Module, method: str, generator: torch.Generator | None) -> None:
    recurrent_method = method if method in _NAIVE_METHODS else "orthogonal"
    hidden_size = module.hidden_size
    for name, param in module.named_parameters(recurse=False):
        if name.startswith("bias"):
            nn.init.zeros_(param)
        elif name.startswith("weight_ih"):
            for block in _gate_blocks(param, hidden_size):
                _init_weight_(block, method, generator)
        elif name.startswith("weight_hh"):
            for block in _gate_blocks(param, hidden_size):
                _init_weight_(block, recurrent_method, generator)
        elif name.startswith("weight_hr"):
            # LSTM projection (proj_size > 0): it maps the hidden state back into the
            # recurrence, so it is treated as a hidden-to-hidden weight (not gated).
            _init_weight_(param, recurrent_method, generator)


def apply_weight_init(
    model: nn.Module, method: str = "he", *, generator: torch.Generator | None = None
) -> nn.Module:
    r"""Initialize every supported layer of ``model`` in place by ``method``.

    Two naive baselines with a fixed scale, whatever the layer's size, and the rules
    that scale with the fans:

    ================  ==========================================================
    method            weights of Linear, Conv, ConvTranspose, Embedding, RNN input
    ================  ==========================================================
    ``"zeros"``       0 (every unit computes the same thing: the symmetry problem)
    ``"normal"``      :math:`\mathcal{N}(0, 0.01^2)`, the fixed std of AlexNet
                      (Krizhevsky et al. 2012), with which He et al. (2015) found
                      deep networks hard to train
    ``"uniform"``     :math:`\mathcal{U}(-0.05, 0.05)`, Keras' ``RandomUniform``
                      default
    ``"xavier"``      ``xavier_uniform_``, Glorot and Bengio (2010): bound
                      :math:`\sqrt{6/(\text{fan\_in}+\text{fan\_out})}`
    ``"he"``          ``kaiming_normal_(mode="fan_in", nonlinearity="relu")``, He et
                      al. (2015): std :math:`\sqrt{2/\text{fan\_in}}` (alias ``"kaiming"``)
    ``"lecun"``       :func:`lecun_normal_`, LeCun et al. (1998): std
                      :math:`\sqrt{1/\text{fan\_in}}`
    ``"orthogonal"``  ``orthogonal_``, Saxe et al. (2013): a random (semi-)orthogonal
                      matrix
    ================  ==========================================================

    For every method:

    - biases are 0;
    - normalization layers (BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm) with
      affine parameters get weight 1 and bias 0;
    - RNN, LSTM, GRU (and their ``*Cell`` versions): input-to-hidden weights follow the
      method; hidden-to-hidden weights (and an LSTM's projection ``weight_hr``) are
      orthogonal, Saxe et al. (2013), except for ``"zeros"`` (all 0), ``"normal"`` and
      ``"uniform"`` (the method itself); biases are 0, including the LSTM forget gate
      (use :func:`init_lstm_` for a forget-gate bias);
    - an ``Embedding``'s ``padding_idx`` row is set back to 0, as torch's default does;
    - other modules (``nn.Bilinear``, ``nn.MultiheadAttention``'s packed
      ``in_proj_weight``, custom parameters ...) and buffers are left as they are.

    Fans follow ``torch.nn.init``: ``fan_in = shape[1] * prod(kernel)``. For a
    ``ConvTranspose`` weight, stored ``(in, out / groups, *kernel)``, that "fan_in" is
    ``out / groups * prod(kernel)``, exactly what torch's own rules use.

    Recurrent weights are initialized gate by gate: each ``(hidden_size, ...)`` block of
    the stacked matrix is treated as the layer it is (one affine map followed by its own
    nonlinearity), so the scale does not depend on how many gates a library stacks into
    one tensor. It matters for ``"xavier"`` (a block's fan_out is ``hidden_size``, the
    stacked matrix's would be ``4 * hidden_size``) and ``"orthogonal"`` (each block is
    orthogonal, so every gate sees an isometry of :math:`h_{t-1}`; ``orthogonal_`` on
    the stacked ``(4H, H)`` matrix would give each block singular values below 1).
    Fan-in rules (``"he"``, ``"lecun"``) and the naive ones are the same either way.

    Args:
        model: the module to initialize, in place; it is searched recursively.
        method: one of :data:`METHODS`.
        generator: the torch Generator to sample from (default: None, the global one).
            With one, the weights depend only on its seed and the global state is
            untouched.

    Returns:
        ``model``, for chaining.

    Examples:
        >>> model = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        >>> model = apply_weight_init(model, "he", generator=torch.Generator().manual_seed(0))
        >>> round(model[0].weight.std().item() * 512 ** 0.5, 1)  # sqrt(2)
        1.4
        >>> model[0].bias.abs().max().item()
        0.0
        >>> apply_weight_init(model, "glorot")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
            ...
        ValueError: method must be one of ('zeros', 'normal', ..., 'orthogonal'), got 'glorot'
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    with torch.no_grad():
        for module in model.modules():
            if any(nn.parameter.is_lazy(p) for p in module.parameters(recurse=False)):
                continue  # a Lazy* layer has no shape yet: run a forward pass first
            if isinstance(module, WEIGHT_LAYERS):
                _init_weight_(module.weight, method, generator)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                _init_weight_(module.weight, method, generator)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, _RECURRENT_LAYERS):
                _init_recurrent_(module, method, generator)
            elif isinstance(module, _NORM_LAYERS):
                if getattr(module, "weight", None) is not None:
                    nn.init.ones_(module.weight)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
    return model


def weight_stats(model: nn.Module) -> list[dict[str, object]]:
    r"""Return the mean, std, min and max of every parameter of ``model``.

    One dict per parameter, in ``named_parameters()`` order, with keys ``name`` (str),
    ``shape`` (tuple of ints), ``mean``, ``std``, ``min``, ``max`` (floats, computed in
    float64). ``std`` is the population standard deviation of the values,

    .. math::
        \text{std} = \sqrt{\tfrac{1}{n} \textstyle\sum_i (w_i - \bar w)^2},

    so a one-element parameter has std 0 (not NaN); on large tensors it agrees with
    ``tensor.std()`` to many digits. An empty parameter has NaN statistics; lazy
    (not yet shaped) parameters are skipped.

    Args:
        model: any module.

    Examples:
        >>> model = apply_weight_init(nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3)), "zeros")
        >>> for row in weight_stats(model):
        ...     print(row["name"], row["shape"], row["mean"], row["std"])
        0.weight (3, 4) 0.0 0.0
        0.bias (3,) 0.0 0.0
        1.weight (3,) 1.0 0.0
        1.bias (3,) 0.0 0.0
    """
    rows: list[dict[str, object]] = []
    for name, param in model.named_parameters():
        if nn.parameter.is_lazy(param):
            continue
        values = param.detach().to(torch.float64)
        if values.numel() == 0:
            mean = std = low = high = math.nan
        else:
            mean = values.mean().item()
            std = values.std(correction=0).item()
            low = values.min().item()
            high = values.max().item()
        rows.append(
            {"name": name, "shape": tuple(param.shape), "mean": mean, "std": std, "min": low, "max": high}
        )
    return rows


def print_weight_stats(model: nn.Module) -> None:
    r"""Print :func:`weight_stats` of ``model`` as an aligned table.

    Columns: name, shape, mean, std, min, max (4 decimals). Useful right after an
    initialization to see that every layer got the scale it should.

    Args:
        model: any module.

    Examples:
        >>> model = apply_weight_init(nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3)), "zeros")
        >>> print_weight_stats(model)
        name      shape     mean     std     min     max
        0.weight  (3, 4)  0.0000  0.0000  0.0000  0.0000
        0.bias    (3,)    0.0000  0.0000  0.0000  0.0000
        1.weight  (3,)    1.0000  0.0000  1.0000  1.0000
        1.bias    (3,)    0.0000  0.0000  0.0000  0.0000
    """
    rows = weight_stats(model)
    columns = ("mean", "std", "min", "max")
    cells = [[str(row["name"]), str(row["shape"]), *(f"{row[key]:.4f}" for key in columns)] for row in rows]
    header = ["name", "shape", *columns]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    for line in [header, *cells]:
        text = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        text += [cell.rjust(width) for cell, width in zip(line[2:], widths[2:], strict=True)]
        print("  ".join(text).rstrip())


def _lstm_layers(lstm: nn.Module) -> list[str]:
    """Suffixes of an LSTM's per-layer, per-direction parameters, in torch's order."""
    if isinstance(lstm, nn.LSTMCell):
        return [""]
    if isinstance(lstm, nn.LSTM):
        directions = ("", "_reverse") if lstm.bidirectional else ("",)
        return [f"_l{layer}{direction}" for layer in range(lstm.num_layers) for direction in directions]
    raise TypeError(
        f"expected an nn.LSTM or nn.LSTMCell, got {type(lstm).__name__}"
        + (" (a GRU has no forget gate)" if isinstance(lstm, nn.GRU | nn.GRUCell) else "")
    )


def init_lstm_(
    lstm: nn.LSTM | nn.LSTMCell, forget_bias: float = 1.0, *, generator: torch.Generator | None = None
) -> nn.LSTM | nn.LSTMCell:
    r"""Initialize an LSTM in place: Xavier weights and a forget-gate bias.

    The forget-gate bias comes from *Learning to Forget: Continual Prediction with
    LSTM*, Gers, Schmidhuber and Cummins (2000), and was shown to matter in *An
    Empirical Exploration of Recurrent Network Architectures*, Jozefowicz, Zaremba and
    Sutskever (2015): starting with :math:`b_f = 1` keeps the gate open (about 0.73),
    so the cell state and its gradient are carried across time steps from the start.

    PyTorch's LSTM adds two biases, so the forget gate's pre-activation at time
    :math:`t` is

    .. math::
        W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf},

    and the bias that counts is :math:`b_{if} + b_{hf}` (the slice ``[H:2H]`` of
    ``bias_ih + bias_hh``, gates ordered input, forget, cell, output). This function
    puts ``forget_bias`` in ``bias_ih`` and leaves ``bias_hh`` at 0; setting both to 1
    would give an effective bias of 2.

    The weights are Xavier uniform, one gate block of shape ``(H, in)`` at a time:
    :math:`\mathcal{U}(-b, b)` with :math:`b = \sqrt{6 / (\text{in} + H)}`. Each gate
    is its own affine map followed by its own nonlinearity, so Glorot's fan_out is H;
    ``xavier_uniform_`` on the stacked ``(4H, in)`` tensor would use 4H and shrink the
    weights by up to a factor 2 (Keras does that; implementations that keep one matrix
    per gate, such as Flax's ``LSTMCell``, do not). An LSTM's projection ``weight_hr``
    (``proj_size > 0``) is not gated and is Xavier uniform as a whole.

    Args:
        lstm: an :class:`torch.nn.LSTM` (any number of layers, bidirectional,
            ``proj_size``) or :class:`torch.nn.LSTMCell`.
        forget_bias: the effective forget-gate bias :math:`b_{if} + b_{hf}`.
        generator: the torch Generator to sample from (default: None, the global one).

    Returns:
        ``lstm``, for chaining.

    Raises:
        TypeError: for a module that is not an LSTM.
        ValueError: for an LSTM built with ``bias=False`` and a nonzero ``forget_bias``.

    Examples:
        >>> lstm = init_lstm_(nn.LSTM(10, 20, num_layers=2), forget_bias=1.0)
        >>> effective_forget_bias(lstm).unique().tolist()
        [1.0]
        >>> lstm.bias_ih_l0[:20].abs().max().item()  # the input gate's bias
        0.0
    """
    suffixes = _lstm_layers(lstm)
    if not lstm.bias and forget_bias != 0:
        raise ValueError(f"cannot set forget_bias={forget_bias!r} on an LSTM built with bias=False")
    hidden_size = lstm.hidden_size
    with torch.no_grad():
        for suffix in suffixes:
            for kind in ("ih", "hh"):
                weight = getattr(lstm, f"weight_{kind}{suffix}")
                for block in _gate_blocks(weight, hidden_size):
                    nn.init.xavier_uniform_(block, generator=generator)
            projection = getattr(lstm, f"weight_hr{suffix}", None)
            if projection is not None:
                nn.init.xavier_uniform_(projection, generator=generator)
            if lstm.bias:
                bias_ih = getattr(lstm, f"bias_ih{suffix}")
                nn.init.zeros_(bias_ih)
                nn.init.zeros_(getattr(lstm, f"bias_hh{suffix}"))
                bias_ih[hidden_size : 2 * hidden_size] = forget_bias
    return lstm


def effective_forget_bias(lstm: nn.LSTM | nn.LSTMCell) -> torch.Tensor:
    r"""Return the forget gate's effective bias :math:`b_{if} + b_{hf}` of every layer.

    Args:
        lstm: an :class:`torch.nn.LSTM` or :class:`torch.nn.LSTMCell`.

    Returns:
        A new tensor of shape ``(num_layers * num_directions, hidden_size)``, rows in
        torch's order (layer 0, layer 0 reverse, layer 1, ...); ``(1, hidden_size)`` for
        a cell. Zeros for an LSTM without biases.

    Examples:
        >>> lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
        >>> effective_forget_bias(init_lstm_(lstm, forget_bias=2.0))
        tensor([[2., 2., 2., 2.],
                [2., 2., 2., 2.],
                [2., 2., 2., 2.],
                [2., 2., 2., 2.]])
    """
    suffixes = _lstm_layers(lstm)
    hidden_size = lstm.hidden_size
    rows = []
    with torch.no_grad():
        for suffix in suffixes:
            if lstm.bias:
                total = getattr(lstm, f"bias_ih{suffix}") + getattr(lstm, f"bias_hh{suffix}")
                rows.append(total[hidden_size : 2 * hidden_size].clone())
            else:
                rows.append(getattr(lstm, f"weight_ih{suffix}").new_zeros(hidden_size))
    return torch.stack(rows)
