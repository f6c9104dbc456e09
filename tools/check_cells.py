"""Check cells: the cells that hold a chapter's asserts, folded in the book under "the check".

The rule, the same for every chapter: a *check cell* is a code cell whose statements are
mostly asserts (more than half of them, a loop or ``if`` that holds only asserts counting as
one, a last bare expression that shows the checked numbers not counted) and that defines no
function or class. In the book a check cell is folded: its code sits behind a "Show the check"
toggle (the ``hide-input`` tag and myst-nb's per-cell ``code_prompt_show``), its output (the
numbers the asserts checked) stays in sight. In Jupyter and Colab nothing changes: the tag is
only read by the book's build. Every other code cell is shown as it is.

Usage (from the repository root)::

    .venv/bin/python tools/check_cells.py --check   # exit 1 if a chapter breaks the rule
    .venv/bin/python tools/check_cells.py --write   # fold every check cell, unfold the others

``--write`` touches only the ``hide-input`` tag and the ``mystnb`` prompts of the cells it
folds or unfolds (it unfolds only cells that it folded before, recognized by the prompt);
sources and every other tag stay as they are.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_files  # noqa: E402

TAG = "hide-input"
PROMPTS = {"code_prompt_show": "Show the check", "code_prompt_hide": "Hide the check"}


def _is_assert(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assert):
        return True
    if isinstance(statement, (ast.For, ast.If, ast.With)):
        body = statement.body + getattr(statement, "orelse", [])
        return bool(body) and all(_is_assert(inner) for inner in body)
    return False


def is_check_cell(source: str) -> bool:
    """True for a cell of mostly asserts that defines nothing (see the module's rule).

    Examples:
        >>> is_check_cell("assert x > 0\\nassert y < 1\\n{'x': x, 'y': y}")
        True
        >>> is_check_cell("y = f(x)\\nassert y > 0")
        False
        >>> is_check_cell("y = f(x)\\nfor v in y:\\n    assert v > 0\\nassert y[0] < 1")
        True
        >>> is_check_cell("def f(x):\\n    return x\\nassert f(1) == 1\\nassert f(2) == 2")
        False
        >>> is_check_cell("%timeit f(1)")  # not Python: never a check cell
        False
    """
    try:
        statements = ast.parse(source).body
    except SyntaxError:  # IPython magics or a learner's unfinished code
        return False
    if statements and isinstance(statements[-1], ast.Expr):
        statements = statements[:-1]  # the numbers shown, not a statement of the check
    if any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for s in statements):
        return False
    asserts = sum(_is_assert(s) for s in statements)
    return asserts > len(statements) / 2


def _folded(cell) -> bool:
    return TAG in cell.metadata.get("tags", []) and cell.metadata.get("mystnb", {}) == PROMPTS


def problems(path: Path) -> list[str]:
    """The cells of the notebook at ``path`` that break the rule, one line each."""
    nb = nbformat.read(str(path), as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        check = is_check_cell(cell.source)
        first_line = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        if check and not _folded(cell):
            found.append(f"{path.name} cell {index} is a check cell but not folded: {first_line!r}")
        elif not check and _folded(cell):
            found.append(f"{path.name} cell {index} is folded as a check but is not one: {first_line!r}")
    return found


def write(path: Path) -> int:
    """Fold the check cells of the notebook at ``path``, unfold the others; the cells changed."""
    nb = nbformat.read(str(path), as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if is_check_cell(cell.source) and not _folded(cell):
            cell.metadata["tags"] = tags if TAG in tags else [*tags, TAG]
            cell.metadata["mystnb"] = {**cell.metadata.get("mystnb", {}), **PROMPTS}
            changed += 1
        elif not is_check_cell(cell.source) and _folded(cell):
            tags.remove(TAG)
            if tags:
                cell.metadata["tags"] = tags
            else:
                del cell.metadata["tags"]
            del cell.metadata["mystnb"]
            changed += 1
    if changed:
        nbformat.write(nb, str(path))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true", help="list the cells that break the rule")
    group.add_argument("--write", action="store_true", help="fold every check cell, unfold the others")
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks (default: the chapters in _toc.yml)"
    )
    args = parser.parse_args(argv)
    notebooks = args.notebooks or course_files.chapter_notebooks()
    if args.write:
        for path in notebooks:
            if changed := write(path):
                print(f"{path}: {changed} cells folded or unfolded")
        return 0
    found = [problem for path in notebooks for problem in problems(path)]
    print("\n".join(found) or f"the check cells of all {len(notebooks)} notebooks are folded")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
