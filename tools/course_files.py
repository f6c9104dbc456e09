"""What the course's tools need to know about the book: its config, its chapters, its exercises.

The other tools (``colab_cell.py``, ``student_edition.py``, ``chapter_report.py``) and the
tests import this module with ``tools/`` on ``sys.path``. It reads the sources only: it
never executes a notebook.

A chapter's exercises follow the house style (STYLE.md): an ``{exercise}`` directive with
``:label: chNN-exK`` in a markdown cell, the learner's cells (a stub and a cell that calls
a checker, for a code exercise), then the solution: a markdown cell holding only the
``{solution-start} chNN-exK`` marker, the solution's cells, and a markdown cell holding
``{solution-end}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

_FENCE = r"^[ \t]*(?:`{3,}|:{3,})"
EXERCISE_RE = re.compile(_FENCE + r"\{exercise\}[ \t]*(?P<title>[^\n]*)$", re.M)
LABEL_RE = re.compile(r"^[ \t]*:label:[ \t]*(?P<label>\S+)", re.M)
SOLUTION_START_RE = re.compile(_FENCE + r"\{solution-start\}[ \t]*(?P<label>\S*)", re.M)
SOLUTION_END_RE = re.compile(_FENCE + r"\{solution-end\}", re.M)
DROPDOWN_RE = re.compile(r"^[ \t]*:class:[ \t]*.*\bdropdown\b", re.M)
#: A call to the course's feedback: ``checks.check_initializer(...)``, ``check_value(...)``,
#: ``lsuv.check_lsuv(...)``; a ``def check_...`` is a definition, not a call.
FEEDBACK_CALL_RE = re.compile(r"(?<!def )\b(?:checks\.\w+|(?:\w+\.)?check_\w+)\s*\(")
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def read_config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml`` as a dict."""
    return yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))


def read_toc(root: Path = ROOT) -> dict:
    """The book's ``_toc.yml`` as a dict."""
    return yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))


def chapter_entries(root: Path = ROOT) -> list[str]:
    """The ``file:`` entries (without extension) of the numbered parts: the chapters.

    The unnumbered parts (the cheat sheet, the glossary, this page...) are not chapters.
    """
    entries = []
    for part in read_toc(root).get("parts", []):
        if not part.get("numbered"):
            continue
        for chapter in part.get("chapters", []):
            entries.append(chapter["file"])
    return entries


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """The chapters' notebooks that exist, in the order of the table of contents."""
    paths = [Path(root) / f"{entry}.ipynb" for entry in chapter_entries(root)]
    return [path for path in paths if path.exists()]


def chapter_number(path: Path | str) -> str:
    """``"01"`` for ``chapters/01_why_init.ipynb``."""
    match = re.match(r"(\d+)_", Path(path).name)
    if not match:
        raise ValueError(f"a chapter's file name starts with its number, got {Path(path).name!r}")
    return match.group(1)


def read_notebook(path: Path | str) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def first_code_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    return next((cell for cell in nb.cells if cell.cell_type == "code"), None)


def title(nb: nbformat.NotebookNode) -> str:
    """The notebook's ``# N. Title``, without the ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#[ \t]+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return ""


def headings(nb: nbformat.NotebookNode) -> list[tuple[int, int, str]]:
    """``(cell index, level, text)`` of every markdown heading, outside code fences."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        outside_fences = re.sub(r"^(`{3,}|:{3,}).*?^\1", "", cell.source, flags=re.M | re.S)
        for match in HEADING_RE.finditer(outside_fences):
            found.append((index, len(match.group(1)), match.group(2)))
    return found


@dataclass
class Solution:
    """A solution: the cells ``start`` to ``end`` inclusive (both markers among them)."""

    label: str
    start: int
    end: int
    dropdown: bool

    @property
    def cells(self) -> range:
        return range(self.start, self.end + 1)


def solutions(nb: nbformat.NotebookNode) -> list[Solution]:
    """Every solution of the notebook, in order.

    Raises:
        ValueError: a marker that is not alone in its markdown cell, a ``solution-start``
            inside another solution, or a start without an end (or the reverse).
    """
    found: list[Solution] = []
    open_start: tuple[int, str, bool] | None = None
    for index, cell in enumerate(nb.cells):
        source = cell.source
        starts = SOLUTION_START_RE.findall(source)
        ends = SOLUTION_END_RE.findall(source)
        if not starts and not ends:
            continue
        if cell.cell_type != "markdown":
            raise ValueError(f"cell {index}: a solution marker in a {cell.cell_type} cell")
        if len(starts) + len(ends) > 1:
            raise ValueError(f"cell {index}: each solution marker must be its own markdown cell")
        if starts:
            if open_start is not None:
                raise ValueError(
                    f"cell {index}: solution-start {starts[0]!r} inside the solution "
                    f"opened in cell {open_start[0]} ({open_start[1]!r})"
                )
            open_start = (index, starts[0], bool(DROPDOWN_RE.search(source)))
        else:
            if open_start is None:
                raise ValueError(f"cell {index}: solution-end without a solution-start")
            found.append(Solution(open_start[1], open_start[0], index, open_start[2]))
            open_start = None
    if open_start is not None:
        raise ValueError(f"cell {open_start[0]}: solution-start {open_start[1]!r} without a solution-end")
    return found


def solution_cell_indices(nb: nbformat.NotebookNode) -> set[int]:
    """Indices of every cell inside a solution, markers included."""
    return {index for solution in solutions(nb) for index in solution.cells}


@dataclass
class Exercise:
    """An exercise: its directive's cell, the learner's cells after it, its solution."""

    label: str
    title: str
    cell: int
    #: code cells between the exercise and the next one, outside solutions (stubs, checks)
    learner_cells: list[int] = field(default_factory=list)
    #: those of ``learner_cells`` that call a checker
    feedback_cells: list[int] = field(default_factory=list)
    #: the checker functions called, e.g. ``["checks.check_initializer"]``
    checkers: list[str] = field(default_factory=list)
    solution: Solution | None = None

    @property
    def automatic_feedback(self) -> bool:
        return bool(self.feedback_cells)


def feedback_calls(source: str) -> list[str]:
    """Names of the checker functions ``source`` calls, in order, without repeats."""
    names = [re.sub(r"\s*\($", "", match.group(0)) for match in FEEDBACK_CALL_RE.finditer(source)]
    return list(dict.fromkeys(names))


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """Every ``{exercise}`` of the notebook with its learner cells and its solution."""
    inside = solution_cell_indices(nb)
    found: list[Exercise] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for match in EXERCISE_RE.finditer(cell.source):
                label = LABEL_RE.search(cell.source[match.end() :])
                found.append(
                    Exercise(label.group("label") if label else "", match.group("title").strip(), index)
                )
        elif found and index not in inside:
            exercise = found[-1]
            exercise.learner_cells.append(index)
            calls = feedback_calls(cell.source)
            if calls:
                exercise.feedback_cells.append(index)
                exercise.checkers += [c for c in calls if c not in exercise.checkers]
    by_label = {exercise.label: exercise for exercise in found}
    for solution in solutions(nb):
        if solution.label in by_label and by_label[solution.label].solution is None:
            by_label[solution.label].solution = solution
    return found


def feedback_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Cells outside solutions, after the first exercise, that call a checker."""
    return [index for exercise in exercises(nb) for index in exercise.feedback_cells]
