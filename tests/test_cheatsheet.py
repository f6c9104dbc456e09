"""chapters/cheatsheet.md: every row of its tables is executed and checked against its rule.

The page's tables are parsed. In a *rule table* (columns "Var(w) or value" and "torch",
or "torch / scratch" with the two lines in one cell, optionally "PyTorch default, pitfall") each
line of code is run on real tensors and the result is compared with the rule column: a
formula in a small vocabulary (``2/fan_in``, ``(5/3)² · 2/(fan_in + fan_out)``,
``0.02² / (2 · N)``, ...) or a named structure (``orthogonal``, ``identity``, ``all 0``, ...).
In the *defaults table* each layer is built fresh and its parameters are compared with the
stated distribution. Every ``{doc}`` link must name a chapter file and every ``{cite}`` key
a bibliography entry. ``test_a_wrong_row_fails`` breaks rows on purpose and checks that the
checks notice.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from weightinit import isometry, lsuv, models, residual, scratch, torch_init

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
PAGE = CHAPTERS / "cheatsheet.md"

RULE, DEFAULT = "Var(w) or value", "PyTorch default, pitfall"  # that cell starts with the default
TORCH, BOTH = "torch", "torch / scratch"  # the code column: torch alone, or torch then scratch
NONE = "—"  # a code cell with nothing to run
LAYER = "layer and parameters"  # of the defaults table

# The symbols of the page, with the values the checks use.
CONSTANTS = {"a": 0.2, "H": 256, "N": 12, "L": 16, "pi": 0.01}
# Shapes a plain weight `w` is tried on: Linear(512, 256), Conv2d(32, 64, 3), Conv3d(16, 32, 3).
WEIGHT_SHAPES = ((256, 512), (64, 32, 3, 3), (32, 16, 3, 3, 3))
INPUT_SIZE = 128  # of the recurrent layers
P_MIN = 1e-3  # KS p-value below which the torch and scratch draws are declared different
GARBAGE = 7.0  # every tensor starts at this value, so a line that does nothing fails


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]


def split_cells(line: str) -> list[str]:
    """The cells of a Markdown table row; a `|` inside backticks does not split."""
    cells, current, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append(current.strip())
    return cells


def parse_tables(text: str) -> list[Table]:
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 3:
            header = tuple(split_cells(block[0]))
            rows = []
            for row_line in block[2:]:
                cells = split_cells(row_line)
                assert len(cells) == len(header), f"{len(cells)} cells, {len(header)} columns: {row_line}"
                rows.append(dict(zip(header, cells, strict=True)))
            tables.append(Table(header, tuple(rows)))
        block = []
    return tables


def code_of(cell: str) -> str | None:
    """The first backticked span of a cell, or None for an empty (—) cell."""
    if cell.strip() == NONE:
        return None
    match = re.search(r"`([^`]+)`", cell)
    assert match, f"no code in cell {cell!r}"
    return match.group(1)


def codes_of(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def rule_tables(text: str) -> list[Table]:
    return [t for t in parse_tables(text) if RULE in t.header and {TORCH, BOTH} & set(t.header)]


def code_lines(row: dict[str, str]) -> tuple[str, str | None]:
    """The row's torch line and its scratch line (None where the row has none)."""
    if TORCH in row:
        return code_of(row[TORCH]), None
    lines = codes_of(row[BOTH])
    assert 1 <= len(lines) <= 2, f"{row_id(row)!r}: expected a torch line and a scratch line"
    return lines[0], lines[1] if len(lines) == 2 else None


def defaults_table(text: str) -> Table:
    (table,) = [t for t in parse_tables(text) if "distribution" in t.header]
    return table


def rule_rows(text: str) -> list[dict[str, str]]:
    return [row for table in rule_tables(text) for row in table.rows]


def row_id(row: dict[str, str]) -> str:
    first = next(iter(row.values()))
    first = re.sub(r"\s*\(\{doc\}[^)]*\)", "", first)  # the chapter links
    first = re.sub(r"\\(mathcal|text|operatorname|pm)\b|[$`*\\{}]", "", first).replace("→", "->")
    first = re.sub(r"\s+", " ", first)
    return first[:60].strip()


# --------------------------------------------------------------------- the vocabulary


def to_python(formula: str) -> str:
    """``(5/3)²·2/(fan_in+fan_out)`` -> ``(5/3)**2*2/(fan_in+fan_out)``."""
    python = formula.replace("²", "**2").replace("·", "*").replace("−", "-").replace("π", "pi")
    python = re.sub(r"√(\w+)", r"sqrt(\1)", python)
    return python.replace("√", "sqrt")


def evaluate(formula: str, names: dict[str, float]) -> float:
    return float(eval(to_python(formula), {"__builtins__": {}}, {**names, "sqrt": math.sqrt}))


def check_variance(values: np.ndarray, expected: float, what: str) -> None:
    # A few standard errors of the sample variance, at least 2%: a wrong gain or fan is
    # off by far more (a forgotten leaky slope a = 0.2 by 4%, caught on the dense shape).
    tolerance = max(0.02, 5 * math.sqrt(2 / values.size))
    assert abs(values.var() / expected - 1) < tolerance, (
        f"{what}: Var(w) = {values.var():.4g}, the rule says {expected:.4g}"
    )
    assert abs(values.mean()) < 5 * math.sqrt(expected / values.size), f"{what}: mean {values.mean():.3g}"


def check_value(rule: str, values: np.ndarray, names: dict[str, float], what: str) -> None:
    """Assert that ``values`` (float64) satisfy ``rule``, in the page's vocabulary."""
    values = np.asarray(values, dtype=np.float64)
    rule = " ".join(rule.split())
    if rule == "all 0":
        assert np.all(values == 0), f"{what}: not all 0"
    elif rule == "all 1":
        assert np.all(values == 1), f"{what}: not all 1"
    elif rule == "orthogonal":
        matrix = values.reshape(values.shape[0], -1)
        gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
        assert np.allclose(gram, np.eye(len(gram)), atol=1e-4), f"{what}: not orthogonal"
    elif rule == "identity":
        assert np.array_equal(values, np.eye(*values.shape)), f"{what}: not the identity"
    elif rule == "delta-orthogonal":
        assert values.ndim >= 3, f"{what}: not a convolution kernel"
        centre = (slice(None), slice(None), *((k - 1) // 2 for k in values.shape[2:]))
        tap = values[centre]
        assert np.allclose(tap.T @ tap, np.eye(tap.shape[1]), atol=1e-4), f"{what}: centre not orthogonal"
        rest = values.copy()
        rest[centre] = 0
        assert np.all(rest == 0), f"{what}: a tap other than the centre is not zero"
    elif rule == "sigmoid(b) = π":
        assert np.allclose(1 / (1 + np.exp(-values)), names["pi"], rtol=1e-5), f"{what}: sigmoid(b) != pi"
    elif rule == "b_ih + b_hh: forget 1, others 0":
        hidden = values.size // 4
        expected = np.r_[np.zeros(hidden), np.ones(hidden), np.zeros(2 * hidden)]
        assert np.array_equal(values, expected), f"{what}: total bias is not 0, 1 (forget), 0, 0"
    elif rule.startswith("U(±") and rule.endswith(")"):
        bound = evaluate(rule[3:-1], names)
        assert np.abs(values).max() <= bound * (1 + 1e-6), f"{what}: |w| exceeds {bound:.4g}"
        # |w| / bound is U(0, 1): its max over n values is below 1 - 10/n with probability e^-10
        nearly = 1 - min(0.5, 10 / values.size)
        assert np.abs(values).max() > nearly * bound, f"{what}: |w| never nears {bound:.4g}"
        check_variance(values, bound**2 / 3, what)
    elif rule.startswith("N(0, ") and rule.endswith(")"):
        check_variance(values, evaluate(rule[5:-1], names), what)
        kurtosis = stats.kurtosis(values.ravel())  # 0 for a normal, -1.2 for a uniform
        assert abs(kurtosis) < 0.2, f"{what}: excess kurtosis {kurtosis:.2f}, not a normal"
    else:
        check_variance(values, evaluate(rule, names), what)


def is_formula(rule: str) -> bool:
    """True for a variance formula (the rows whose torch and scratch draws are compared)."""
    named = ("all 0", "all 1", "orthogonal", "identity", "delta-orthogonal", "sigmoid(b) = π")
    return rule not in named and ":" not in rule and "Var(" not in rule


# ------------------------------------------------------------------ running a row


class Seeded:
    """A module whose functions taking ``rng`` get ``rng=0`` unless the call gives one."""

    def __init__(self, module: object) -> None:
        self._module = module

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._module, name)
        if callable(attr) and "rng" in inspect.signature(attr).parameters:
            return functools.partial(attr, rng=0)
        return attr


def garbage(module: nn.Module) -> nn.Module:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(GARBAGE)
    return module


def namespace(weight_shape: tuple[int, ...]) -> dict[str, object]:
    """What the page's code columns may use; every tensor starts at GARBAGE."""
    torch.manual_seed(0)
    hidden = CONSTANTS["H"]
    lstm = nn.LSTM(INPUT_SIZE, hidden)  # biases keep torch's default: random, not 0
    return {
        "torch": torch,
        "nn": nn,
        "math": math,
        "np": np,
        "scratch": Seeded(scratch),
        "isometry": Seeded(isometry),
        "lsuv": lsuv,
        "residual": residual,
        "torch_init": torch_init,
        **CONSTANTS,
        "w": nn.Parameter(torch.full(weight_shape, GARBAGE)),
        "b": nn.Parameter(torch.full((256,), GARBAGE)),
        "w_ih": nn.Parameter(torch.full((hidden, INPUT_SIZE), GARBAGE)),
        "w_hh": nn.Parameter(torch.full((hidden, hidden), GARBAGE)),
        "emb": garbage(nn.Embedding(1000, 256)),
        "norm": garbage(nn.LayerNorm(256)),
        "lstm": lstm,
        "b_ih": lstm.bias_ih_l0,
        "b_hh": lstm.bias_hh_l0,
        "model": models.mlp(4, 64, activation="gelu"),  # torch's default init: Var(z) shrinks
        "x": torch.randn(256, 64, generator=torch.Generator().manual_seed(0)),
    }


# Names the torch column may initialize, most specific first.
TARGETS = ("emb.weight", "norm.weight", "norm.bias", "w_ih", "w_hh", "model", "b_ih", "w", "b")


def target_of(code: str) -> str:
    for name in TARGETS:
        if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", code):
            return name
    raise AssertionError(f"the code initializes none of {TARGETS}: {code!r}")


def shapes_for(target: str, rule: str) -> list[tuple[int, ...]]:
    if target == "w":
        return [s for s in WEIGHT_SHAPES if rule != "delta-orthogonal" or len(s) >= 3]
    return [WEIGHT_SHAPES[0]]  # the other tensors have fixed shapes; w is unused


def fans(shape: tuple[int, ...]) -> dict[str, float]:
    if len(shape) < 2:
        return {}
    fan_in, fan_out = scratch.compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out}


def check_rule_row(row: dict[str, str]) -> None:
    """Run the row's torch (and scratch) code and check both against its rule."""
    rule = " ".join(code_of(row[RULE]).split())
    torch_code, scratch_code = code_lines(row)
    target = target_of(torch_code)
    for weight_shape in shapes_for(target, rule):
        names = namespace(weight_shape)
        what = f"{row_id(row)!r} on {weight_shape if target == 'w' else target}"
        exec(torch_code, names)  # noqa: S102 - the page's own code, which is the point
        if target == "model":
            assert rule == "Var(Wx + b) = 1 per layer", f"{what}: unknown rule {rule!r}"
            variances = lsuv.output_variances(names["model"], names["x"])
            assert all(abs(v - 1) < 0.1 for v in variances), f"{what}: output variances {variances}"
            assert scratch_code is None
            continue
        if target == "b_ih":
            result = (names["b_ih"] + names["b_hh"]).detach()
        else:
            head, _, attribute = target.partition(".")
            result = names[head]
            result = (operator.attrgetter(attribute)(result) if attribute else result).detach()
        shape = tuple(result.shape)
        rule_names = {**CONSTANTS, **fans(shape)}
        check_value(rule, result.numpy(), rule_names, f"torch, {what}")
        if scratch_code is None:
            continue
        drawn = eval(scratch_code, {**names, "shape": shape})  # noqa: S307
        assert isinstance(drawn, np.ndarray) and drawn.shape == shape, f"scratch, {what}: shape"
        check_value(rule, drawn, rule_names, f"scratch, {what}")
        if is_formula(rule):  # same distribution both ways: uniform is not normal
            pvalue = stats.ks_2samp(result.numpy().ravel(), drawn.ravel()).pvalue
            assert pvalue > P_MIN, f"{what}: torch and scratch draw different distributions (p={pvalue:.2g})"


def check_default_row(row: dict[str, str]) -> None:
    """Build the row's layer and check every named parameter against its distribution."""
    torch.manual_seed(0)
    constructor, *names = codes_of(row[LAYER])  # `nn.Linear(512, 256)` `.weight`, `.bias`
    layer = eval(constructor, {"nn": nn})  # noqa: S307
    if names:
        assert all(name.startswith(".") for name in names), f"{constructor}: parameters are `.name`"
        parameters = {name: operator.attrgetter(name[1:])(layer) for name in names}
    else:
        assert "every parameter" in row[LAYER], f"{constructor}: name its parameters"
        parameters = dict(layer.named_parameters())
    weight = getattr(layer, "weight", None)
    for name, parameter in parameters.items():
        # a bias has the fans of its layer's weight (torch's rule for the bias bound)
        shape = tuple(parameter.shape) if parameter.dim() >= 2 or weight is None else tuple(weight.shape)
        rule_names = {**CONSTANTS, **fans(shape), "H": getattr(layer, "hidden_size", CONSTANTS["H"])}
        values = parameter.detach().numpy()
        for column in ("distribution", RULE):
            check_value(code_of(row[column]), values, rule_names, f"{constructor}{name} ({column})")


# -------------------------------------------------------------------------- the tests

TEXT = PAGE.read_text(encoding="utf-8")
RULE_ROWS = rule_rows(TEXT)
DEFAULT_ROWS = defaults_table(TEXT).rows


def test_the_page_has_its_tables() -> None:
    tables = rule_tables(TEXT)
    with_scratch = [row for table in tables if BOTH in table.header for row in table.rows]
    assert len(with_scratch) >= 20 and len(RULE_ROWS) >= 45 and len(DEFAULT_ROWS) >= 12
    assert all(code_lines(row)[1] for row in with_scratch if "LSUV" not in row_id(row))
    # the cases the course promises a row for, each with its rule
    required = {
        "tanh": "(5/3)² · 2/(fan_in + fan_out)",
        "ReLU → He": "2/fan_in",
        "leaky ReLU": "2/((1 + a²) · fan_in)",
        "GELU": "2/fan_in",
        "SELU": "1/fan_in",
        "logits": "1/fan_in",
        "output bias": "sigmoid(b) = π",
        "IRNN": "identity",
        "$W_{hh}$ of a tanh": "orthogonal",
        "$W_{ih}$": "2/(fan_in + fan_out)",
        "LSTM biases": "b_ih + b_hh: forget 1, others 0",
        "`nn.Embedding`": "0.02²",
        "residual projections": "0.02² / (2 · N)",
        "last layer of a residual": "all 0",
        "normalization weight": "all 1",
        "normalization bias": "all 0",
        "very deep": "delta-orthogonal",
        "LSUV": "Var(Wx + b) = 1 per layer",
    }
    for case, rule in required.items():
        rules = [code_of(row[RULE]) for row in with_scratch if case in next(iter(row.values()))]
        assert rule in rules, f"no row for {case!r} with rule {rule!r} (found {rules})"


@pytest.mark.parametrize("row", RULE_ROWS, ids=row_id)
def test_rule_row(row: dict[str, str]) -> None:
    check_rule_row(row)


@pytest.mark.parametrize("row", DEFAULT_ROWS, ids=lambda row: row[LAYER].replace("`", ""))
def test_default_row(row: dict[str, str]) -> None:
    check_default_row(row)


def check_default_column(text: str) -> None:
    """Each row's "PyTorch default" must be a distribution that the defaults table checks."""
    known = {code_of(row["distribution"]) for row in defaults_table(text).rows}
    for row in rule_rows(text):
        if DEFAULT in row:
            assert row[DEFAULT].startswith("`"), f"{row_id(row)!r}: the cell must start with the default"
            assert code_of(row[DEFAULT]) in known, (
                f"{row_id(row)!r}: default {row[DEFAULT]} is not in the defaults table"
            )


def test_default_column_matches_the_defaults_table() -> None:
    check_default_column(TEXT)


def check_links(text: str) -> None:
    targets = re.findall(r"\{doc\}`(?:[^`<]*<)?([^`<>]+)>?`", text)
    assert targets, "no {doc} link"
    for target in targets:
        assert any((CHAPTERS / f"{target}{suffix}").is_file() for suffix in (".ipynb", ".md")), (
            f"{{doc}} link to {target!r}: no chapters/{target}.ipynb or .md"
        )
    bib = (CHAPTERS / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    for group in re.findall(r"\{cite\}`([^`]+)`", text):
        for key in group.split(","):
            assert key.strip() in keys, f"{{cite}} key {key.strip()!r} is not in references.bib"


def test_every_link_names_a_chapter_and_every_citation_an_entry() -> None:
    check_links(TEXT)


# Errors a row could contain, each of which the checks above must catch: (old, new).
MUTATIONS = {
    "seed 003's Xavier bound sqrt(6/n_avg)": (
        "`nn.init.xavier_uniform_(w)`",
        "`nn.init.uniform_(w, -math.sqrt(12 / sum(w.shape)), math.sqrt(12 / sum(w.shape)))`",
    ),
    "He written as 1/fan_in": (
        '| `2/fan_in` | `nn.init.kaiming_normal_(w, nonlinearity="relu")` <br>',
        '| `1/fan_in` | `nn.init.kaiming_normal_(w, nonlinearity="relu")` <br>',
    ),
    "SELU with calculate_gain('selu')": (
        '`nn.init.kaiming_normal_(w, nonlinearity="linear")`',
        '`nn.init.kaiming_normal_(w, nonlinearity="selu")`',
    ),
    "leaky ReLU without its slope": (
        "`scratch.kaiming_normal(shape, a=a, ",
        "`scratch.kaiming_normal(shape, ",
    ),
    "LSTM forget bias counted twice": ("b_ih[H:2 * H] = 1`", "b_ih[H:2 * H] = 1; b_hh[H:2 * H] = 1`"),
    "GPT-2 projections without 1/sqrt(2N)": ("std=0.02 / math.sqrt(2 * N))`", "std=0.02)`"),
    "Xavier for W_hh": ("`nn.init.orthogonal_(w_hh)`", "`nn.init.xavier_normal_(w_hh)`"),
    "orthogonal where the row says identity": ("`nn.init.eye_(w_hh)`", "`nn.init.orthogonal_(w_hh)`"),
    "scratch draws a normal, torch a uniform": (
        "`scratch.xavier_uniform(shape)`",
        "`scratch.xavier_normal(shape)`",
    ),
    "Fixup inner layers not scaled": ("mul_(L ** -0.5)`", "mul_(1.0)`"),
    "plain orthogonal for delta-orthogonal": ("`isometry.delta_orthogonal_(w)`", "`nn.init.orthogonal_(w)`"),
    "LSUV replaced by nothing": ("`lsuv.lsuv_init_(model, x)`", "`model.eval()`"),
    "a line that does nothing": ("`nn.init.ones_(norm.weight)`", "`norm.weight.detach()`"),
    "wrong output-bias prior": (
        "`nn.init.constant_(b, -math.log((1 - pi) / pi))`",
        "`nn.init.constant_(b, math.log((1 - pi) / pi))`",
    ),
    "PyTorch's Linear default stated as He": (
        "| `U(±1/√fan_in)` | `1/(3 · fan_in)` | `kaiming_uniform_",
        "| `U(±1/√fan_in)` | `2/fan_in` | `kaiming_uniform_",
    ),
    "torch's Embedding default stated as N(0, 0.02²)": ("| `N(0, 1)` | `1` |", "| `N(0, 0.02²)` | `0.02²` |"),
    "a recurrent default that is not in the defaults table": (
        "| `U(±1/√H)`. $W_{hh}$ acts",
        "| `U(±1/H)`. $W_{hh}$ acts",
    ),
    "a torch line and a scratch line that disagree": (
        "<br> `scratch.lecun_normal(shape)`",
        "<br> `scratch.xavier_normal(shape)`",
    ),
    "a JAX port truncated at ±2 absolute": ("std=s, a=-2 * s, b=2 * s)`", "std=s)`"),
    "a link to a chapter that does not exist": ("<04_he>", "<04_kaiming>"),
    "a citation key that does not exist": ("{cite}`lin2017focal`", "{cite}`lin2017focalloss`"),
}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=str)
def test_a_wrong_row_fails(mutation: str) -> None:
    old, new = MUTATIONS[mutation]
    assert old in TEXT, f"mutation {mutation!r} no longer applies: update it"
    text = TEXT.replace(old, new, 1)
    changed_rules = [r for r in rule_rows(text) if r not in RULE_ROWS]
    changed_defaults = [r for r in defaults_table(text).rows if r not in DEFAULT_ROWS]
    with pytest.raises(AssertionError):
        for row in changed_rules:
            check_rule_row(row)
        for row in changed_defaults:
            check_default_row(row)
        check_default_column(text)
        check_links(text)
