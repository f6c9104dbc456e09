"""Feedback on a learner's LSTM initialization: the forget-gate bias, and Keras' defaults.

Both checkers import torch when called; importing this module does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from weightinit.checks._core import Check, Problem, call, raised, report, run_checks, verdict

__all__ = ["check_forget_bias", "check_keras_lstm"]

_GATES = ("input", "forget", "cell", "output")


@dataclass
class _State:
    """What the checks of one LSTM checker share (torch objects, typed loosely)."""

    lstm: Any
    forget_bias: float
    before: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    same_module: bool = True
    layer_ok: list[bool] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.lstm.hidden_size

    def param(self, name: str) -> Any:
        return getattr(self.lstm, name).detach()

    def gate(self, tensor: Any, index: int) -> Any:
        return tensor[index * self.hidden : (index + 1) * self.hidden]


def _seeded_lstm(input_size: int, hidden_size: int, num_layers: int) -> Any:
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers)
    return lstm


def _equals(tensor: Any, value: float) -> bool:
    import torch

    return bool(torch.allclose(tensor, torch.full_like(tensor, value), atol=1e-6))


def _runs(init_fn: Callable[[Any], Any]) -> Callable[[_State], Problem | None]:
    def runs(state: _State) -> Problem | None:
        """The function runs on the LSTM (its draws leave the global random state alone)."""
        import torch

        state.before = {name: p.detach().clone() for name, p in state.lstm.named_parameters()}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1)  # the same verdict on every run
            state.result, error = call(init_fn, state.lstm)
        if error is None:
            return None
        hint = (
            f"call it on nn.LSTM({state.lstm.input_size}, {state.hidden}, num_layers="
            f"{state.lstm.num_layers}) yourself to see the traceback"
        )
        if "leaf Variable" in str(error) or "in-place" in str(error):
            hint = (
                "assign inside `with torch.no_grad():` (or use nn.init.constant_ / "
                "nn.init.zeros_ on the slices)"
            )
        return raised(error, hint=hint)

    return runs


def _same_lstm(state: _State) -> Problem | None:
    """A returned LSTM (instead of changing the given one in place) has the same sizes."""
    from torch import nn

    result = state.result
    if not isinstance(result, nn.LSTM) or result is state.lstm:
        return None
    if (result.hidden_size, result.num_layers) != (state.hidden, state.lstm.num_layers):
        return Problem("your function returned a different LSTM", "modify the LSTM you are given, in place")
    state.lstm, state.same_module = result, False
    return None


def _biases_changed(state: _State) -> Problem | None:
    import torch

    biases = [name for name in state.before if name.startswith("bias")]
    if state.same_module and all(torch.equal(state.before[n], state.param(n)) for n in biases):
        return Problem(
            "not yet: the biases are unchanged",
            "set the forget gate's slice [H:2H] of bias_ih_l0 and bias_ih_l1, under torch.no_grad()",
        )
    return None


def _wrong_slice(state: _State, layer: int) -> tuple[str, str]:
    total = state.param(f"bias_ih_l{layer}") + state.param(f"bias_hh_l{layer}")
    others = [i for i in (0, 2, 3) if _equals(state.gate(total, i), state.forget_bias)]
    means = ", ".join(f"{letter} {state.gate(total, i).mean().item():.2f}" for i, letter in enumerate("ifgo"))
    text = f"b_ih + b_hh on [H:2H] is not {state.forget_bias:g} everywhere (mean per gate: {means})"
    if others and len(others) < 3:
        return text, (
            f"you set the {_GATES[others[0]]} gate's slice: PyTorch orders the "
            "gates input, forget, cell, output, so the forget gate is [H:2H] "
            "with H = hidden_size"
        )
    return text, (
        f"the forget slice is [H:2H] with H = lstm.hidden_size ({state.hidden} here; "
        f"input_size is {state.lstm.input_size})"
    )


def _layer_mistake(state: _State, layer: int) -> tuple[str, str]:
    """What is wrong with one layer's forget-gate bias: a message and a hint."""
    import torch

    value = state.forget_bias
    b_ih, b_hh = state.param(f"bias_ih_l{layer}"), state.param(f"bias_hh_l{layer}")
    old_ih, old_hh = state.before[f"bias_ih_l{layer}"], state.before[f"bias_hh_l{layer}"]
    forget_ih, forget_hh = state.gate(b_ih, 1), state.gate(b_hh, 1)
    if value != 0 and _equals(forget_ih, value) and _equals(forget_hh, value):
        return (
            f"you set {value:g} in both bias_ih and bias_hh: the effective bias is {2 * value:g}",
            "PyTorch adds the two biases; put the value in one (bias_ih) and 0 in the other's forget slice",
        )
    same = state.same_module
    for mine, other, name in ((forget_ih, forget_hh, "hh"), (forget_hh, forget_ih, "ih")):
        old_other = state.gate(old_hh if name == "hh" else old_ih, 1)
        if same and _equals(mine, value) and torch.equal(old_other, other):
            return (
                f"bias_{name}'s forget slice still holds its random default, so b_ih + b_hh is not {value:g}",
                f"the effective bias is bias_ih + bias_hh: zero bias_{name} (or its slice [H:2H])",
            )
    if same and layer > 0 and state.layer_ok[0] and torch.equal(old_ih, b_ih) and torch.equal(old_hh, b_hh):
        return (
            "unchanged: only layer 0 is set",
            "set every layer: loop over "
            "range(lstm.num_layers) (bias_ih_l0, bias_ih_l1, ...) or over "
            "lstm.named_parameters()",
        )
    return _wrong_slice(state, layer)


def _forget_bias(state: _State) -> list[Problem]:
    """The effective forget-gate bias b_ih + b_hh on [H:2H] is ``forget_bias`` in every layer."""
    from weightinit.torch_init import effective_forget_bias

    effective = effective_forget_bias(state.lstm)
    layers = range(state.lstm.num_layers)
    state.layer_ok = [_equals(effective[layer], state.forget_bias) for layer in layers]
    by_mistake: dict[tuple[str, str], list[int]] = {}  # the same mistake in several layers
    for layer in layers:
        if not state.layer_ok[layer]:
            by_mistake.setdefault(_layer_mistake(state, layer), []).append(layer)
    problems = []
    for (text, hint), bad in by_mistake.items():
        where = "layers " + " and ".join(map(str, bad)) if len(bad) > 1 else f"layer {bad[0]}"
        problems.append(Problem(f"{where}: {text}", hint))
    return problems


def _other_gates_kept(state: _State) -> Problem | None:
    """The other gates' biases are unchanged or 0."""
    import torch

    if not state.same_module:
        return None
    for layer in range(state.lstm.num_layers):
        changed = []
        for index in (0, 2, 3):
            for kind in ("ih", "hh"):
                new = state.gate(state.param(f"bias_{kind}_l{layer}"), index)
                old = state.gate(state.before[f"bias_{kind}_l{layer}"], index)
                if not (torch.equal(new, old) or _equals(new, 0.0)):
                    changed.append(f"{_GATES[index]} (bias_{kind})")
        if changed:
            return Problem(
                f"layer {layer}: other gates' biases changed: {', '.join(changed)}",
                "set only the forget slice [H:2H] (zeroing the others is fine), not the whole bias",
            )
    return None


def _bias_checks(init_fn: Callable[[Any], Any]) -> list[Check]:
    return [
        Check("runs", _runs(init_fn), blocking=True),
        Check("same LSTM", _same_lstm, blocking=True),
        Check("biases changed", _biases_changed, blocking=True),
        Check("forget bias", _forget_bias),
    ]


def check_forget_bias(
    init_fn: Callable[[Any], Any], forget_bias: float = 1.0, *, verbose: bool = True
) -> bool:
    r"""Check a function that sets an LSTM's forget-gate bias.

    Builds a seeded 2-layer ``nn.LSTM(input_size=12, hidden_size=16)``, calls
    ``init_fn(lstm)`` (in place; a returned ``nn.LSTM`` is checked instead; the global
    torch random state is restored afterwards), and checks, for both layers, that the
    effective forget-gate bias

    .. math::
        b_f = b_{if} + b_{hf} \quad (\text{slice } [H:2H] \text{ of }
        \texttt{bias\_ih} + \texttt{bias\_hh},\ \text{gates } i, f, g, o)

    equals ``forget_bias``, and that the other gates' biases are left as they were or
    set to 0. It recognizes the usual mistakes: ``forget_bias`` put in both
    ``bias_ih`` and ``bias_hh`` (the effective bias doubles), ``bias_hh`` left at its
    random default, only the first layer set, the wrong slice (gate order or
    ``input_size`` used for H), every gate filled, and a stub that changes nothing.
    Imports torch when called.

    Args:
        init_fn: the learner's function, ``init_fn(lstm)``.
        forget_bias: the effective forget-gate bias it should produce.
        verbose: print the verdict (default True).

    Returns:
        True when every check passed. Never raises on the learner's mistakes.

    Examples:
        >>> from weightinit.torch_init import init_lstm_
        >>> check_forget_bias(init_lstm_)
        ✓ forget-gate bias: b_ih + b_hh = 1 on [H:2H] in every layer, other gates unchanged or 0
        True
    """
    state = _State(_seeded_lstm(12, 16, 2), forget_bias)
    checks = [*_bias_checks(init_fn), Check("other gates", _other_gates_kept)]
    problems, _ = run_checks(checks, state)
    return report(
        "forget-gate bias",
        problems,
        f"forget-gate bias: b_ih + b_hh = {forget_bias:g} "
        "on [H:2H] in every layer, other gates unchanged or 0",
        verbose,
    )


# ------------------------------------------------------------------ Keras' LSTM defaults


_KERAS_BIAS_HINT = (
    "Keras' bias is zeros with 1 on the forget gate: zero both biases, then set the forget "
    "slice [H:2H] of one"
)


def _other_gates_zero(state: _State) -> Problem | None:
    """Keras: the input, cell and output gates' effective biases are 0."""
    for layer in range(state.lstm.num_layers):
        total = state.param(f"bias_ih_l{layer}") + state.param(f"bias_hh_l{layer}")
        nonzero = [_GATES[i] for i in (0, 2, 3) if not _equals(state.gate(total, i), 0.0)]
        if nonzero:
            gates = ", ".join(nonzero)
            return Problem(f"layer {layer}: b_ih + b_hh is not 0 for the {gates} gate(s)", _KERAS_BIAS_HINT)
    return None


def _stacked_glorot(state: _State) -> Problem | None:
    """Keras: glorot_uniform over the whole stacked input kernel, fans (input, 4H)."""
    four_h = 4 * state.hidden
    for layer in range(state.lstm.num_layers):
        weight = state.param(f"weight_ih_l{layer}")
        fan_in = weight.shape[1]
        bound = math.sqrt(6 / (fan_in + four_h))
        largest, std = weight.abs().max().item(), weight.std().item()
        if largest <= bound * (1 + 1e-6) and abs(std / (bound / math.sqrt(3)) - 1) < 0.1:
            continue
        per_gate = math.sqrt(6 / (fan_in + state.hidden))
        if math.isclose(largest, per_gate, rel_tol=0.05):
            hint = (
                "glorot_uniform per gate: Keras draws the whole stacked kernel at once, so "
                "fan_out = 4H (nn.init.xavier_uniform_ on the (4H, input) weight)"
            )
        elif largest > bound * (1 + 1e-6):
            hint = (
                f"values beyond Glorot's bound sqrt(6 / (input + 4H)) = {bound:.3g}: a "
                "normal, a per-gate or a wrong fan? use nn.init.xavier_uniform_"
            )
        else:
            hint = "glorot_uniform draws U(-b, b) with b = sqrt(6 / (input + 4H))"
        return Problem(
            f"layer {layer}: weight_ih has max |w| {largest:.3g} and std {std:.3g}, "
            f"expected U(-{bound:.3g}, {bound:.3g}) (std {bound / math.sqrt(3):.3g})",
            hint,
        )
    return None


def _orthonormal_columns(state: _State) -> Problem | None:
    """Keras: an orthogonal recurrent kernel (H, 4H), so PyTorch's (4H, H) has orthonormal columns."""
    import torch

    eye = torch.eye(state.hidden)
    for layer in range(state.lstm.num_layers):
        weight = state.param(f"weight_hh_l{layer}")
        gram = weight.T @ weight
        if torch.allclose(gram, eye, atol=1e-4):
            continue
        hint = (
            "nn.init.orthogonal_ on the whole (4H, H) weight gives orthonormal columns, the "
            "transpose of Keras' orthogonal (H, 4H) kernel"
        )
        if torch.allclose(gram, 4 * eye, atol=4e-4):
            hint = "each gate block is orthogonal on its own: " + hint
        deviation = (gram - eye).abs().max().item()
        return Problem(
            f"layer {layer}: weight_hh's columns are not orthonormal (max |W^T W - I| = {deviation:.2g})",
            hint,
        )
    return None


def check_keras_lstm(init_fn: Callable[[Any], Any], *, verbose: bool = True) -> bool:
    r"""Check a function that gives an ``nn.LSTM`` the initialization of Keras' ``LSTM`` layer.

    Keras draws its kernel ``(input, 4H)`` with ``glorot_uniform`` over the whole stacked
    matrix (so :math:`b = \sqrt{6 / (\text{input} + 4H)}`), its recurrent kernel
    ``(H, 4H)`` with ``orthogonal`` (PyTorch's transposed ``(4H, H)`` weight then has
    orthonormal columns, :math:`W^\top W = I_H`), and its bias with zeros and 1 on the
    forget gate. Builds a seeded 2-layer ``nn.LSTM(40, 32)``, calls ``init_fn(lstm)`` and
    checks all three in every layer, recognizing per-gate fans and per-gate orthogonal
    blocks. Imports torch when called.

    Returns:
        True when every check passed. Never raises on the learner's mistakes.

    Examples:
        >>> from weightinit.torch_init import init_lstm_
        >>> check_keras_lstm(init_lstm_)  # doctest: +ELLIPSIS
        ✗ Keras-like LSTM: 2 problems
          ✗ layer 0: weight_ih has max |w| 0.289 and std 0.1..., expected U(-0.189, 0.189) ... per gate: ...
          ✗ layer 0: weight_hh's columns are not orthonormal (max |W^T W - I| = ...) — ...
        False
    """
    state = _State(_seeded_lstm(40, 32, 2), 1.0)
    checks = [
        *_bias_checks(init_fn),
        Check("other gates zero", _other_gates_zero),
        Check("stacked glorot_uniform", _stacked_glorot),
        Check("orthonormal columns", _orthonormal_columns),
    ]
    detail = (
        " (glorot_uniform over the stacked (4H, input) weights, orthonormal recurrent "
        "columns, biases 0 with 1 on the forget gate)"
    )
    return verdict("Keras-like LSTM", checks, state, detail, verbose)
