"""Every learner-facing checker follows the one protocol of weightinit.checks.

For each checker in ``checks.CHECKERS``: a stub that raises NotImplementedError reads
"not yet" in one ✗ line with a hint; an exception inside the learner's code never escapes;
``verbose=False`` prints nothing; the result is a bool. Plus the package-wide rules that
keep the code in one shape: no function longer than 60 lines, no checker outside
``weightinit.checks``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from weightinit import checks

PACKAGE = Path(checks.__file__).resolve().parents[1]
MAX_FUNCTION_LINES = 60

# The learner's-function argument and the required extra arguments of each checker.
EXTRA_ARGS = {
    "check_initializer": ("xavier_uniform",),
}


def _call(checker, fn, verbose: bool):
    return checker(fn, *EXTRA_ARGS.get(checker.__name__, ()), verbose=verbose)


def _not_implemented(*args, **kwargs):
    raise NotImplementedError


def _zero_division(*args, **kwargs):
    return 1 / 0


def test_every_checker_is_listed() -> None:
    names = {name for name in checks.__all__ if name.startswith("check_")}
    assert names == {checker.__name__ for checker in checks.CHECKERS}
    for path in PACKAGE.rglob("*.py"):  # no checker lives outside weightinit.checks
        if "checks" not in path.relative_to(PACKAGE).parts:
            assert "def check_" not in path.read_text(encoding="utf-8").replace("def check_int", "").replace(
                "def check_real", ""
            ).replace("def check_choice", "").replace("def check_seed", ""), path


@pytest.mark.parametrize(
    "checker", [c for c in checks.CHECKERS if c is not checks.check_value], ids=lambda c: c.__name__
)
def test_a_stub_reads_not_yet(checker, capsys: pytest.CaptureFixture[str]) -> None:
    assert _call(checker, _not_implemented, verbose=True) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ ") and out.count("\n") == 1, out
    assert "not yet" in out and " — " in out, out


@pytest.mark.parametrize(
    "checker", [c for c in checks.CHECKERS if c is not checks.check_value], ids=lambda c: c.__name__
)
def test_an_exception_is_reported_not_raised(checker, capsys: pytest.CaptureFixture[str]) -> None:
    assert _call(checker, _zero_division, verbose=True) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ ") and "ZeroDivisionError" in out, out


@pytest.mark.parametrize("checker", checks.CHECKERS, ids=lambda c: c.__name__)
def test_verbose_false_prints_nothing_and_returns_a_bool(checker, capsys: pytest.CaptureFixture[str]) -> None:
    if checker is checks.check_value:
        result = checker("x", None, 1.0, verbose=False)
    else:
        result = _call(checker, _not_implemented, verbose=False)
    assert result is False
    assert capsys.readouterr().out == ""
    assert "verbose" in inspect.signature(checker).parameters


def test_check_value_follows_the_style(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.check_value("x", 2.0, 1.0) is False
    assert capsys.readouterr().out == "✗ x: got 2 — too large by a factor 2: a factor 2 in the wrong place?\n"


def test_report_counts_only_the_checks_that_ran(capsys: pytest.CaptureFixture[str]) -> None:
    found = []
    steps = [
        checks.Check("a", lambda state: None),
        checks.Check("b", lambda state: None),
        checks.Check("stops", lambda state: checks.Problem("bad", "fix it"), blocking=True),
        checks.Check("never", lambda state: found.append(1)),
    ]
    assert checks.verdict("t", steps[:2], None) is True
    assert capsys.readouterr().out == "✓ t: all 2 checks passed\n"
    assert checks.verdict("t", steps, None) is False
    assert capsys.readouterr().out == "✗ t: bad — fix it\n"
    assert found == []  # a failing blocking check stops the ones after it


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the end, without the docstring (documentation is not length)."""
    lines = node.end_lineno - node.lineno + 1
    if ast.get_docstring(node, clean=False) is not None:
        docstring = node.body[0]
        lines -= docstring.end_lineno - docstring.lineno + 1
    return lines


def test_no_function_is_longer_than_60_lines() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            if _code_lines(node) > MAX_FUNCTION_LINES:
                too_long.append(
                    f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({_code_lines(node)} lines)"
                )
    assert not too_long, too_long


def test_the_length_rule_catches_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    node = next(_functions(ast.parse(f'def f():\n    """doc\n\n    more."""\n{body}\n')))
    assert _code_lines(node) == MAX_FUNCTION_LINES + 1
