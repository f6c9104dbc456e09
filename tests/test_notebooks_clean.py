"""Chapter notebooks are stored clean: no outputs, no execution counts, the python3 kernel.

Outputs in git make diffs unreadable and can show results the code no longer produces;
the book and CI execute every notebook themselves. ``make clean-notebooks`` checks the
same with ``nbstripout --verify``; this test names the notebook and the cells at fault.
Clean a notebook with ``.venv/bin/nbstripout chapters/NN_name.ipynb``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))


def notebook_problems(path: Path) -> list[str]:
    """What keeps the notebook at ``path`` from being clean (an empty list if nothing)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    kernel = notebook.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernelspec name is {kernel!r}, not 'python3'")
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell['outputs'])} outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution_count {cell['execution_count']}")
    return problems


def test_there_are_chapter_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {CHAPTERS}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_is_clean(path: Path) -> None:
    problems = notebook_problems(path)
    assert not problems, f"{path.name} is not clean (run .venv/bin/nbstripout {path.name}): " + "; ".join(
        problems
    )


def test_a_dirty_notebook_is_caught(tmp_path: Path) -> None:
    """The check above can fail: outputs, counts and another kernel are each reported."""
    clean = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 0. Title"},
            {"cell_type": "code", "metadata": {}, "source": "1 + 1", "outputs": [], "execution_count": None},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "notebook.ipynb"
    path.write_text(json.dumps(clean))
    assert notebook_problems(path) == []

    dirty = json.loads(json.dumps(clean))
    dirty["cells"][1]["execution_count"] = 1
    dirty["cells"][1]["outputs"] = [
        {"output_type": "execute_result", "execution_count": 1, "data": {"text/plain": "2"}, "metadata": {}}
    ]
    dirty["metadata"]["kernelspec"]["name"] = "other-kernel"
    path.write_text(json.dumps(dirty))
    assert notebook_problems(path) == [
        "kernelspec name is 'other-kernel', not 'python3'",
        "cell 1 has 1 outputs",
        "cell 1 has execution_count 1",
    ]
