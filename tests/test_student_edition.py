"""The student edition (tools/student_edition.py): no solution survives, and it still runs.

Marked ``student``: ``make student-check`` runs it (``make test`` includes it, after the book
build, whose executed chapters it reads); ``make unit`` skips it. It writes the student
notebooks to a temporary folder, never into student/. Executing every student notebook
(``student_execute``, ``make student-execute``) is left out of ``make test``: the book build
has already run each cell that a student notebook runs, in the same order, and
``test_student_cells_run_as_in_the_book`` checks that the solutions they lose change nothing
that the remaining cells read.
"""

from __future__ import annotations

import ast
import json
import os
import time
import zipfile
from pathlib import Path

import colab_cell
import course_files
import nbformat
import pytest
import student_edition

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.student


CHAPTERS = course_files.chapter_notebooks(ROOT)
MARKER_WORDS = ("solution-start", "solution-end")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    out = tmp_path_factory.mktemp("student")
    notebooks = student_edition.write_notebooks(out, ROOT)
    return out, {path.name: path for path in notebooks}


def test_one_student_notebook_per_chapter(edition):
    _, notebooks = edition
    assert CHAPTERS, "no chapter notebooks in _toc.yml"
    assert sorted(notebooks) == sorted(path.name for path in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_no_solution_text_survives(edition, chapter):
    _, notebooks = edition
    full = course_files.read_notebook(chapter)
    raw = notebooks[chapter.name].read_text(encoding="utf-8")
    student = nbformat.reads(raw, as_version=4)
    student_text = "\n".join(cell.source for cell in student.cells)
    sources = student_edition.solution_sources(full)
    assert sources, f"{chapter.name} has no solutions to remove"
    for source in sources:
        assert source.strip() not in student_text, (
            f"{chapter.name}: this solution cell survives:\n{source[:300]}"
        )
    for word in MARKER_WORDS:
        assert word not in raw.lower(), f"{chapter.name}: {word!r} in the student notebook"
    assert course_files.solutions(student) == []
    removed = len(course_files.solution_cell_indices(full))
    assert len(student.cells) == len(full.cells) - removed


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_exercises_and_their_feedback_stay(edition, chapter):
    _, notebooks = edition
    full = course_files.read_notebook(chapter)
    student = course_files.read_notebook(notebooks[chapter.name])
    full_exercises, student_exercises = course_files.exercises(full), course_files.exercises(student)
    assert [e.label for e in student_exercises] == [e.label for e in full_exercises]
    for before, after in zip(full_exercises, student_exercises, strict=True):
        assert [full.cells[i].source for i in before.learner_cells] == [
            student.cells[i].source for i in after.learner_cells
        ]
        assert after.checkers == before.checkers and after.solution is None
    # The install cell is pinned to the release: a term's notebooks survive changes on main.
    assert course_files.first_code_cell(student).source == colab_cell.render_pinned(ROOT)
    assert f'@{colab_cell.release_tag(ROOT)}"' in course_files.first_code_cell(student).source


def test_strip_solutions_removes_exactly_the_marked_cells():
    new_md, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        new_md("```{exercise} E\n:label: ch01-ex1\n```"),
        new_code("stub = None"),
        new_code("checks.check_value('x', stub, 1)"),
        new_md("```{solution-start} ch01-ex1\n:class: dropdown\n```"),
        new_code("stub = 1"),
        new_md("Why."),
        new_md("```{solution-end}\n```"),
        new_md("After the solution."),
    ]
    student = student_edition.strip_solutions(nb)
    assert [cell.source for cell in student.cells] == [nb.cells[i].source for i in (0, 1, 2, 7)]
    assert len(nb.cells) == 8  # the original is left alone
    nb.cells.append(new_md("```{solution-start} ch01-ex2\n```"))
    with pytest.raises(ValueError, match="without a solution-end"):
        student_edition.strip_solutions(nb)


def test_zip_holds_the_student_notebooks(edition):
    out, notebooks = edition
    archive = student_edition.write_zip(list(notebooks.values()), out)
    assert archive.name == "weightinit-student-notebooks.zip"
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert sorted(names) == sorted(f"weightinit-student-notebooks/{n}" for n in notebooks)
        for name in names:
            text = zipped.read(name).decode("utf-8")
            assert not any(word in text for word in MARKER_WORDS)
            assert text == notebooks[Path(name).name].read_text(encoding="utf-8")


def test_book_copy_has_the_student_chapters_and_no_colab_button(edition):
    out, notebooks = edition
    book = student_edition.copy_book(list(notebooks.values()), out, ROOT)
    for chapter in CHAPTERS:
        copied = book / chapter.relative_to(ROOT)
        assert copied.read_bytes() == notebooks[chapter.name].read_bytes()
    for name in ("_config.yml", "_toc.yml", "intro.md", "chapters/references.bib"):
        assert (book / name).exists(), name
    assert not any((book / name).exists() for name in (".venv", ".git", "code", "tests", "student"))
    config = course_files.read_config(book)
    assert config["title"].endswith("(student edition)")
    assert not config["launch_buttons"]["colab_url"]
    theme = config["sphinx"]["config"].get("html_theme_options", {})
    assert "colab_url" not in theme.get("launch_buttons", {})


def _defined_and_used(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds (assignments, defs, imports, loop targets) and names it reads."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    tree = ast.parse(code)
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else used).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    return defined, used


def names_only_solutions_define(nb: nbformat.NotebookNode) -> list[tuple[int, set[str]]]:
    """The learner's code cells that read a name which, above them, only a solution binds.

    Such a cell behaves differently in the student edition, where the solutions are gone
    (a NameError, or a stale value). ``[(cell index, names)]``, empty when there is none.
    """
    in_solution = course_files.solution_cell_indices(nb)
    by_learner: set[str] = set()
    by_solution: set[str] = set()
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        defined, used = _defined_and_used(cell.source)
        if index in in_solution:
            by_solution |= defined
            continue
        missing = (used & by_solution) - by_learner - defined
        if missing:
            found.append((index, missing))
        by_learner |= defined
    return found


def test_the_solution_checker_finds_a_name_only_a_solution_defines():
    cells = [
        nbformat.v4.new_code_cell("import math"),
        nbformat.v4.new_markdown_cell("```{solution-start} ch01-ex1\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("helper = math.sqrt(2)"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("def stub(x):\n    return x\n\n\nprint(stub(helper))"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    assert names_only_solutions_define(nb) == [(4, {"helper"})]
    nb.cells.insert(0, nbformat.v4.new_code_cell("helper = 1.0"))  # the learner has it too
    assert names_only_solutions_define(nb) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_student_cells_run_as_in_the_book(chapter):
    """The student edition runs the book's cells in the book's order, minus the solutions.

    So a student cell can behave differently only by reading what a solution defined
    above it: no learner cell may do that. (What a solution changes in place is not
    seen here; ``make student-execute`` runs the student notebooks themselves.)
    """
    assert names_only_solutions_define(course_files.read_notebook(chapter)) == []


# The book build's executed chapters; WEIGHTINIT_EXECUTED points elsewhere (e.g. at a folder
# holding chapters/ executed by tools/claims.py) to check those instead.
EXECUTED = Path(os.environ.get("WEIGHTINIT_EXECUTED", ROOT / "_build" / "jupyter_execute")) / "chapters"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_feedback_of_an_unsolved_exercise_says_not_yet(chapter):
    """In the book build's own execution, every feedback cell runs before its solution, on
    the learner's stub: what it printed there is what a learner who has not solved the
    exercise reads. (The book build, `make book-strict`, must have run: make test orders it.)"""
    executed = EXECUTED / chapter.name
    if not executed.exists():
        pytest.fail(f"no executed chapter {executed}: run make book-strict first")
    nb = course_files.read_notebook(executed)
    for exercise in course_files.exercises(nb):
        for index in exercise.feedback_cells:
            text = student_edition.cell_text(nb.cells[index])
            assert "not yet" in text.lower(), (
                f"{chapter.name}, {exercise.label}: the feedback cell prints {text!r}, not 'not yet'"
            )


@pytest.mark.student_execute
def test_student_notebooks_execute_and_feedback_says_not_yet(edition, tmp_path, capsys):
    """Execute every student notebook (2 at a time): no error, and every feedback cell of an
    unsolved exercise reports "not yet" instead of crashing."""
    _, notebooks = edition
    start = time.perf_counter()
    runs = student_edition.execute_notebooks(list(notebooks.values()), tmp_path, workers=2)
    wall = time.perf_counter() - start
    timings = ", ".join(f"{run.notebook.stem} {run.seconds:.0f} s" for run in runs)
    with capsys.disabled():  # the times belong in the test log
        print(f"\nstudent notebooks, 2 at a time: {wall:.0f} s wall ({timings})")
    failed = {run.notebook.name: run.error[-1500:] for run in runs if not run.ok}
    assert not failed, "student notebooks that fail:\n" + json.dumps(failed, indent=1)
    for run in runs:
        executed = course_files.read_notebook(run.executed)
        for exercise in course_files.exercises(executed):
            for index in exercise.feedback_cells:
                text = student_edition.cell_text(executed.cells[index])
                assert "not yet" in text.lower(), (
                    f"{run.notebook.name}, {exercise.label}: the feedback cell prints {text!r}, not 'not yet'"
                )
