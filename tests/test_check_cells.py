"""Check cells read the same way in every chapter (tools/check_cells.py has the rule).

A cell of mostly asserts is folded in the book ("Show the check", its output in sight);
every other code cell is shown. `.venv/bin/python tools/check_cells.py --write` applies
the rule to the chapters.
"""

from __future__ import annotations

import json
from pathlib import Path

import check_cells
import course_files
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = course_files.chapter_notebooks(ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_check_cell_is_folded(chapter: Path) -> None:
    found = check_cells.problems(chapter)
    assert not found, (
        "check cells break the rule (run `.venv/bin/python tools/check_cells.py "
        "--write`):\n  " + "\n  ".join(found)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("assert a > 0\nassert b < 1\n{'a': a, 'b': b}", True),  # asserts, then the numbers shown
        ("x = f()\nassert x > 0", False),  # half: the computation stays shown
        ("x = f()\nfor v in x:\n    assert v > 0\nassert x[0] < 1", True),  # a loop of asserts
        ("for v in x:\n    print(v)\n    assert v > 0", False),  # a loop that does more
        ("def f():\n    return 1\nassert f() == 1\nassert f() + 1 == 2", False),  # defines f
        ("%timeit f()", False),  # a magic: not Python
        ("", False),
    ],
)
def test_the_rule(source: str, expected: bool) -> None:
    assert check_cells.is_check_cell(source) is expected


def _notebook(tmp_path: Path, *sources: str, folded: tuple[int, ...] = ()) -> Path:
    cells = []
    for index, source in enumerate(sources):
        metadata = {"tags": ["hide-input"], "mystnb": dict(check_cells.PROMPTS)} if index in folded else {}
        cells.append(
            {
                "cell_type": "code",
                "id": f"cell-{index}",
                "metadata": metadata,
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
        )
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_write_folds_check_cells_and_unfolds_others(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "x = 1", "assert x == 1", "y = 2", folded=(2,))
    assert len(check_cells.problems(path)) == 2  # cell 1 not folded, cell 2 folded wrongly
    assert check_cells.write(path) == 2
    assert check_cells.problems(path) == []
    cells = json.loads(path.read_text())["cells"]
    assert cells[1]["metadata"]["tags"] == ["hide-input"]
    assert cells[1]["metadata"]["mystnb"]["code_prompt_show"] == "Show the check"
    assert cells[0]["metadata"] == {} and cells[2]["metadata"] == {}
    assert check_cells.write(path) == 0  # idempotent


def test_write_keeps_other_tags(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "assert True")
    notebook = json.loads(path.read_text())
    notebook["cells"][0]["metadata"]["tags"] = ["raises-exception"]
    path.write_text(json.dumps(notebook))
    check_cells.write(path)
    assert json.loads(path.read_text())["cells"][0]["metadata"]["tags"] == ["raises-exception", "hide-input"]
