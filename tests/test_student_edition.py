"""The student edition (tools/student_edition.py): no solution survives, and it still runs.

The notebooks learners get (and their zip) are the Jupyter edition without solutions: no
MyST left in a markdown cell, the exercises and the learner's and feedback cells in the
chapter's order, the install cell pinned to the release. The student book's copy of the
sources keeps the chapters in MyST, for jupyter-book, with the solutions stripped.

Marked ``student``: ``make student-check`` runs it (``make test`` includes it, after the book
build, whose executed chapters it reads); ``make unit`` skips it. It writes the student
notebooks to a temporary folder, never into student/. Executing every student notebook
(``student_execute``, ``make student-execute``) is left out of ``make test``: the book build
has already run each code cell that a student notebook runs, in the same order, and
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
import jupyter_edition
import nbformat
import pytest
import student_edition

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.student


CHAPTERS = course_files.chapter_notebooks(ROOT)
MARKER_WORDS = ("solution-start", "solution-end")
BOOK = jupyter_edition.read_book(ROOT)


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    out = tmp_path_factory.mktemp("student")
    notebooks = student_edition.write_notebooks(out, ROOT)
    return out, {path.name: path for path in notebooks}


def test_one_student_notebook_per_chapter(edition):
    _, notebooks = edition
    assert CHAPTERS, "no chapter notebooks in _toc.yml"
    assert sorted(notebooks) == sorted(path.name for path in CHAPTERS)


def _solution_texts(chapter: Path) -> list[str]:
    """Every cell of the chapter's solutions as a learner would read it: the code cells'
    source, the markdown cells' MyST source and its plain Jupyter Markdown."""
    full = course_files.read_notebook(chapter)
    converter = jupyter_edition.Chapter(jupyter_edition.docname_of(chapter, ROOT), BOOK)
    texts = []
    for index in sorted(course_files.solution_cell_indices(full)):
        cell = full.cells[index]
        if course_files.SOLUTION_START_RE.search(cell.source) or course_files.SOLUTION_END_RE.search(
            cell.source
        ):
            continue  # a marker: MARKER_WORDS covers it
        texts.append(cell.source.strip())
        if cell.cell_type == "markdown":
            texts.append(converter.markdown(cell.source).strip())
    return [text for text in texts if text]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_no_solution_text_survives(edition, chapter):
    _, notebooks = edition
    full = course_files.read_notebook(chapter)
    raw = notebooks[chapter.name].read_text(encoding="utf-8")
    student = nbformat.reads(raw, as_version=4)
    student_text = "\n".join(cell.source for cell in student.cells)
    texts = _solution_texts(chapter)
    assert texts, f"{chapter.name} has no solutions to remove"
    for text in texts:
        assert text not in student_text, f"{chapter.name}: this solution text survives:\n{text[:300]}"
    for word in MARKER_WORDS:
        assert word not in raw.lower(), f"{chapter.name}: {word!r} in the student notebook"
    assert "Solution to Exercise" not in student_text
    assert not [c for c in student.cells if jupyter_edition.SOLUTION_TAG in c.metadata.get("tags", [])]
    # One cell per cell of the chapter outside its solutions: nothing else went missing.
    removed = len(course_files.solution_cell_indices(full))
    assert len(student.cells) == len(full.cells) - removed


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_no_myst_survives_in_a_markdown_cell(edition, chapter):
    _, notebooks = edition
    student = course_files.read_notebook(notebooks[chapter.name])
    nbformat.validate(student)
    markdown = [cell.source for cell in student.cells if cell.cell_type == "markdown"]
    assert markdown
    for index, source in enumerate(markdown):
        left = jupyter_edition.myst_left(source)
        assert not left, f"{chapter.name}, markdown cell {index}: MyST survives: {left}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_exercises_and_their_feedback_stay_in_order(edition, chapter):
    _, notebooks = edition
    full = course_files.read_notebook(chapter)
    student = course_files.read_notebook(notebooks[chapter.name])
    full_exercises = course_files.exercises(full)
    student_exercises = jupyter_edition.exercises(student)
    assert full_exercises, f"{chapter.name} has no exercises"
    number = int(course_files.chapter_number(chapter))
    assert [e.label for e in student_exercises] == [e.label for e in full_exercises]
    for k, (before, after) in enumerate(zip(full_exercises, student_exercises, strict=True), start=1):
        heading = student.cells[after.cell].source
        assert f"Exercise {number}.{k}" in heading and before.title in heading, heading[:200]
        for cells in ("learner_cells", "feedback_cells"):
            assert [full.cells[i].source for i in getattr(before, cells)] == [
                student.cells[i].source for i in getattr(after, cells)
            ], f"{chapter.name}, {before.label}: {cells}"
        assert after.checkers == before.checkers
    # Every code cell of the chapter outside its solutions, in order; the install cell
    # (the first) pinned to the release, so that a term's notebooks survive changes on main.
    inside = course_files.solution_cell_indices(full)
    expected = [c.source for i, c in enumerate(full.cells) if c.cell_type == "code" and i not in inside]
    expected[0] = colab_cell.render_pinned(ROOT)
    assert [c.source for c in student.cells if c.cell_type == "code"] == expected
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


def test_book_copy_has_the_myst_chapters_without_solutions_and_no_colab_button(edition):
    out, notebooks = edition
    book = student_edition.copy_book(out, ROOT)
    for chapter in CHAPTERS:
        full = course_files.read_notebook(chapter)
        copied = course_files.read_notebook(book / chapter.relative_to(ROOT))
        # MyST, for jupyter-book: the exercise directives are there, the solutions are not.
        assert [e.label for e in course_files.exercises(copied)] == [
            e.label for e in course_files.exercises(full)
        ]
        assert course_files.solutions(copied) == []
        inside = course_files.solution_cell_indices(full)
        expected = [c.source for i, c in enumerate(full.cells) if i not in inside]
        first_code = next(i for i, c in enumerate(copied.cells) if c.cell_type == "code")
        expected[first_code] = colab_cell.render_pinned(ROOT)
        assert [c.source for c in copied.cells] == expected
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
    feedback = 0
    for run in runs:
        executed = course_files.read_notebook(run.executed)
        for exercise in jupyter_edition.exercises(executed):
            feedback += len(exercise.feedback_cells)
            for index in exercise.feedback_cells:
                text = student_edition.cell_text(executed.cells[index])
                assert "not yet" in text.lower(), (
                    f"{run.notebook.name}, {exercise.label}: the feedback cell prints {text!r}, not 'not yet'"
                )
    assert feedback, "no feedback cell found in the executed student notebooks"
