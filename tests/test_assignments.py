"""The otter-grader assignments (tools/assignments.py) and local grading (tools/grade.py).

Marked ``assignments``: ``make assignments-check`` runs it; ``make unit`` skips it. Everything
is built and graded in temporary folders, never in assignments/.

For every chapter with autograded questions: the solution notebook scores full marks, the
student notebook scores 0 on them and runs to the end, and a notebook with a known mistake
(seed 003's Xavier bound with twice the variance, ``fan_out`` for ``fan_in``, the forget
bias in both biases) loses exactly that question's points. A folder of bad submissions (an
endless loop, an import that fails, a crashing kernel, a file that is no notebook, another
chapter's notebook) gets one row each that says so, and the good one in it is graded.

Time (budget: 90 s on 2 cores): the assignments are built in this process (otter assign
without grading, about 3 s for all chapters). A kernel that imports torch, SciPy,
matplotlib and otter costs seconds before the first cell runs, so the score checks of
every chapter run in this process too: the assignment's notebook cut to what its
exercises need (:func:`short`: install cell, imports and ``weightinit.setup``, the
exercises, and the teaching cells that bind a name they read; ``make student-check``
runs every chapter's teaching cells with the exercises unsolved) is executed cell by cell,
and the test files of the chapter's autograder zip are run on the result with otter's own
test runner. The pipeline itself (``otter run`` in a fresh folder and kernel per notebook,
time limit, CSV) is tested end to end on a folder with a solved and an unsolved notebook,
the three known mistakes and the bad submissions, three at a time. ``make assignments``
grades every full solution notebook (otter assign's own check).
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import json
import re
import symtable
import sys
import time
import zipfile
from pathlib import Path

import assignments
import course_files
import grade
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.assignments

CHAPTERS = assignments.chapters_with_exercises(ROOT)
QUESTIONS = {chapter.stem: assignments.master_notebook(chapter, root=ROOT)[1] for chapter in CHAPTERS}
AUTOGRADED = [chapter for chapter in CHAPTERS if any(not q.manual for q in QUESTIONS[chapter.stem])]

#: One known mistake per chapter: the question, and (old, new) in its solution code.
MISTAKES = {
    "03_xavier": (
        "ch03-ex1",
        "bound = math.sqrt(6 / (fan_in + fan_out))",
        "bound = math.sqrt(6 / ((fan_in + fan_out) / 2))",
    ),  # seed 003: variance x2
    "04_he": (
        "ch04-ex1",
        '{"fan_in": fan_in, "fan_out": fan_out}[mode]',
        '{"fan_in": fan_out, "fan_out": fan_in}[mode]',
    ),
    "06_recurrent": (
        "ch06-ex1",
        'getattr(lstm, f"bias_hh_l{layer}")[H : 2 * H] = 0.0',
        'getattr(lstm, f"bias_hh_l{layer}")[H : 2 * H] = 1.0',
    ),
}
#: Seconds per notebook in the end-to-end test: a short notebook takes about 5 s alone and
#: up to 20 s on a busy machine; the endless loop is stopped after it.
TIMEOUT = 45


EXERCISE_HEADING = re.compile(r"^### Exercise (ch\d+-ex\d+):", re.M)


def _bound(node: ast.AST):
    """The names a cell binds at its top level (not the locals of its functions)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child.name
            continue
        if isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            yield child.id
        elif isinstance(child, ast.alias):
            yield (child.asname or child.name).split(".")[0]
        yield from _bound(child)


def _read(table: symtable.SymbolTable) -> set[str]:
    """The global names a scope and the scopes inside it read (not their locals)."""
    top = table.get_type() == "module"
    names = {
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_referenced() and (top or symbol.is_global())
    }
    for child in table.get_children():
        names |= _read(child)
    return names


def _names(source: str) -> tuple[set[str], set[str]]:
    """``(names bound, global names read)`` of a code cell."""
    code = assignments._python_only(source)
    return set(_bound(ast.parse(code))), _read(symtable.symtable(code, "<cell>", "exec"))


def short(nb: nbformat.NotebookNode, stem: str, questions: str = "all") -> nbformat.NotebookNode:
    """``nb`` without what its exercises do not need.

    Kept: the cells up to ``weightinit.setup`` (install cell, imports, seed); the exercise
    section's markdown; the code cells of its questions (``"all"``, or only the
    ``"autograded"`` ones: a manual question's solution is not graded, and some run studies
    of many draws); and every earlier cell that binds a name those cells read, transitively
    (a model or a dataset of the teaching sections that an exercise reuses).
    """
    cells = nb.cells
    setup = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "weightinit.setup(" in c.source)
    first = next(
        i for i, c in enumerate(cells) if c.cell_type == "markdown" and EXERCISE_HEADING.search(c.source)
    )
    manual = {q.label for q in QUESTIONS[stem] if q.manual}
    keep, label = set(range(setup + 1)), None
    for index in range(first, len(cells)):
        cell = cells[index]
        if cell.cell_type == "markdown":
            found = EXERCISE_HEADING.findall(cell.source)
            label = found[-1] if found else label
            keep.add(index)
        elif questions == "all" or label not in manual:
            keep.add(index)
    needed: set[str] = set()
    for index in range(len(cells) - 1, setup, -1):
        if cells[index].cell_type != "code":
            continue
        bound, read = _names(cells[index].source)
        if index in keep or bound & needed:
            keep.add(index)
            needed = (needed - bound) | read
    kept = nbformat.from_dict(json.loads(json.dumps(nb)))
    kept.cells = [cell for index, cell in enumerate(kept.cells) if index in keep]
    return kept


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, assignments.Built]:
    out = tmp_path_factory.mktemp("assignments")
    start = time.perf_counter()
    result = {
        chapter.stem: assignments.build(chapter, out, run_tests=False, root=ROOT) for chapter in CHAPTERS
    }
    print(f"\n{len(result)} assignments built (otter assign): {time.perf_counter() - start:.0f} s")
    return result


def test_every_chapter_with_exercises_has_an_assignment(built):
    assert CHAPTERS and AUTOGRADED
    for chapter in CHAPTERS:
        assignment = built[chapter.stem]
        for path in (assignment.student, assignment.solution, assignment.autograder):
            assert path.exists(), path
        exercises = course_files.exercises(course_files.read_notebook(chapter))
        assert [q.label for q in assignment.questions] == [e.label for e in exercises]
        assert [q.manual for q in assignment.questions] == [not e.automatic_feedback for e in exercises]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_student_notebook_has_no_solution_and_is_pinned(built, chapter):
    assignment = built[chapter.stem]
    student = course_files.read_notebook(assignment.student)
    text = "\n".join(cell.source for cell in student.cells)
    full = course_files.read_notebook(chapter)
    for index in course_files.solution_cell_indices(full):
        source = full.cells[index].source.strip()
        if full.cells[index].cell_type == "code" and source:
            assert source not in text, f"{chapter.name}: a solution cell survives:\n{source[:200]}"
    assert "BEGIN SOLUTION" not in text and "solution-start" not in text
    import colab_cell

    assert course_files.first_code_cell(student).source == colab_cell.render_pinned(ROOT)
    assert student.metadata["otter"]["assignment_name"] == chapter.stem
    # The student notebook carries the public tests only; the hidden ones are in the zip.
    assert "hidden=True" not in json.dumps(student.metadata["otter"].get("tests", {}))


def test_the_student_notebook_runs_without_otter(built, monkeypatch):
    """On Colab (no otter-grader), grader.check says so instead of raising."""
    student = course_files.read_notebook(built["03_xavier"].student)
    init = next(cell.source for cell in student.cells if "otter.Notebook(" in cell.source)
    check = next(cell.source for cell in student.cells if cell.source.startswith("grader.check("))
    monkeypatch.setitem(sys.modules, "otter", None)  # import otter raises ImportError
    namespace: dict = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(init, namespace)
        exec(check, namespace)
    assert "otter-grader is not installed" in output.getvalue()


def test_hidden_tests_are_stricter_where_the_checker_allows():
    code = "checks.check_initializer(xavier_uniform, 'xavier_uniform')"
    stricter = assignments.stricter_code(code)
    assert "shapes=((384, 160)" in stricter and "seeds=(7, 13)" in stricter
    assert "_forget_bias_on_another_lstm(f" in assignments.stricter_code(
        "checks.check_forget_bias(f, forget_bias=1.0)"
    )
    assert assignments.stricter_code("checks.check_value('x', x, 1.0)") is None


# ------------------------------------------------------------------ scores, in this process

OTTER_CELL_MARKS = ("grader = otter.Notebook(", "grader.check(")


def run_cells(nb: nbformat.NotebookNode) -> tuple[dict, list[str]]:
    """Execute ``nb``'s code cells here, in order, in a fresh namespace (otter's own cells
    left out: the zip's tests are run below instead); the namespace and the errors."""
    namespace: dict = {"__name__": "__main__"}
    errors = []
    for cell in nb.cells:
        if cell.cell_type != "code" or any(mark in cell.source for mark in OTTER_CELL_MARKS):
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, "<cell>", "exec"), namespace)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error} in\n{cell.source[:300]}")
    return namespace, errors


def zip_scores(autograder: Path, namespace: dict, tmp: Path) -> dict[str, tuple[float, float]]:
    """Run the autograder zip's test files (public and hidden) on ``namespace`` with otter's
    test runner: ``{label: (score, possible)}``."""
    from otter.test_files import ExceptionTestFile

    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(tmp)
    scores = {}
    for path in sorted((tmp / "tests").glob("*.py")):
        test_file = ExceptionTestFile.from_file(str(path))
        with contextlib.redirect_stdout(io.StringIO()):
            test_file.run(namespace)
        scores[assignments.label_of(test_file.name)] = (test_file.score, test_file.possible)
    return scores


def _grade_here(assignment: assignments.Built, nb: nbformat.NotebookNode, tmp: Path):
    """Run ``nb`` (already :func:`short`) here and grade it with the zip's tests."""
    namespace, errors = run_cells(nb)
    return zip_scores(assignment.autograder, namespace, tmp), errors


def _auto(stem: str) -> list[assignments.Question]:
    return [q for q in QUESTIONS[stem] if not q.manual]


@pytest.mark.parametrize("chapter", AUTOGRADED, ids=lambda path: path.stem)
def test_solution_scores_full_marks(built, chapter, tmp_path):
    assignment = built[chapter.stem]
    solution = short(course_files.read_notebook(assignment.solution), chapter.stem, "autograded")
    scores, _ = _grade_here(assignment, solution, tmp_path)
    assert scores == {q.label: (q.points, q.points) for q in _auto(chapter.stem)}


@pytest.mark.parametrize("chapter", AUTOGRADED, ids=lambda path: path.stem)
def test_unsolved_student_notebook_scores_zero_and_runs_to_the_end(built, chapter, tmp_path):
    assignment = built[chapter.stem]
    student = short(course_files.read_notebook(assignment.student), chapter.stem)
    scores, errors = _grade_here(assignment, student, tmp_path)
    assert errors == [], "the unsolved student notebook must run without an error"
    assert scores == {q.label: (0, q.points) for q in _auto(chapter.stem)}


def mistaken(assignment: assignments.Built, stem: str) -> nbformat.NotebookNode:
    """The solution notebook with the chapter's known mistake (see MISTAKES)."""
    _, old, new = MISTAKES[stem]
    nb = short(course_files.read_notebook(assignment.solution), stem, "autograded")
    changed = [cell for cell in nb.cells if cell.cell_type == "code" and old in cell.source]
    assert len(changed) == 1, f"{stem}: the mistake's line {old!r} is not in exactly one cell"
    changed[0].source = changed[0].source.replace(old, new)
    return nb


def _expected_with_mistake(stem: str) -> dict[str, tuple[float, float]]:
    label = MISTAKES[stem][0]
    assert label in [q.label for q in _auto(stem)]
    return {q.label: (0 if q.label == label else q.points, q.points) for q in _auto(stem)}


@pytest.mark.parametrize("stem", sorted(MISTAKES))
def test_a_known_mistake_loses_exactly_its_question(built, stem, tmp_path):
    scores, _ = _grade_here(built[stem], mistaken(built[stem], stem), tmp_path)
    assert scores == _expected_with_mistake(stem)


# ------------------------------------------------------------------ make grade, end to end


def _read_csv(path: Path) -> dict[str, list[dict]]:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == list(grade.COLUMNS)
    by_file: dict[str, list[dict]] = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    return by_file


def _graded(rows: list[dict]) -> dict[str, tuple[float, float]]:
    return {
        r["question"]: (float(r["points"]), float(r["max_points"])) for r in rows if r["status"] == "graded"
    }


def test_grading_a_folder_end_to_end(built, tmp_path):
    """otter run per notebook, in a fresh folder and process each: a solved notebook scores
    full marks, an unsolved one 0, the known mistakes lose exactly their question, and an
    endless loop, an import that fails and a crashing kernel are each reported while the
    rest is graded.

    Three at a time: the endless loop sleeps (the time limit is wall-clock time, so a loop
    that burns a core is stopped the same way, and would only take a core from the others)."""
    ch03 = built["03_xavier"]
    student = short(course_files.read_notebook(ch03.student), "03_xavier")
    folder = tmp_path / "handed-in"
    folder.mkdir()
    good = short(course_files.read_notebook(ch03.solution), "03_xavier", "autograded")
    nbformat.write(good, str(folder / "good.ipynb"))
    nbformat.write(student, str(folder / "unsolved.ipynb"))
    for stem in MISTAKES:
        nbformat.write(mistaken(built[stem], stem), str(folder / f"mistake-{stem}.ipynb"))
    for name, code in (
        ("loop.ipynb", "import time\n\nwhile True:\n    time.sleep(0.1)"),
        ("raises.ipynb", "import a_module_that_does_not_exist"),
        ("crash.ipynb", "import os\nos._exit(1)"),
    ):
        nb = nbformat.from_dict(json.loads(json.dumps(student)))
        nb.cells.insert(2, nbformat.v4.new_code_cell(code))
        nbformat.write(nb, str(folder / name))
    out = tmp_path / "grades.csv"
    start = time.perf_counter()
    assert (
        grade.main(
            [
                str(folder),
                "--out",
                str(out),
                "--timeout",
                str(TIMEOUT),
                "--workers",
                "3",
                "--assignments",
                str(ch03.folder.parent),
            ]
        )
        == 0
    )
    wall = time.perf_counter() - start
    print(f"\n{len(list(folder.iterdir()))} notebooks graded by otter run, 3 at a time: {wall:.0f} s")
    by_file = _read_csv(out)
    status = {name: [row["status"] for row in rows] for name, rows in by_file.items()}
    assert status["loop.ipynb"] == ["timeout"]
    assert status["crash.ipynb"] == ["kernel died"]
    assert status["raises.ipynb"][0] == "error"
    assert "ModuleNotFoundError" in by_file["raises.ipynb"][0]["note"]
    assert _graded(by_file["raises.ipynb"]) == {q.label: (0, q.points) for q in _auto("03_xavier")}
    assert _graded(by_file["good.ipynb"]) == {q.label: (q.points, q.points) for q in _auto("03_xavier")}
    assert set(status["unsolved.ipynb"]) == {"graded", "manual"}  # ran without an error
    assert _graded(by_file["unsolved.ipynb"]) == {q.label: (0, q.points) for q in _auto("03_xavier")}
    for stem in MISTAKES:
        assert _graded(by_file[f"mistake-{stem}.ipynb"]) == _expected_with_mistake(stem), stem
    assert wall < 3 * TIMEOUT + 60, f"grading took {wall:.0f} s: was the endless loop stopped?"


def test_files_that_are_no_notebook_or_of_another_chapter_get_a_row(built, tmp_path):
    folder = tmp_path / "handed-in"
    folder.mkdir()
    (folder / "notes.ipynb").write_text("{ this is not json", encoding="utf-8")
    (folder / "essay.txt").write_text("my answers", encoding="utf-8")
    nbformat.write(course_files.read_notebook(built["04_he"].student), str(folder / "other.ipynb"))
    nameless = course_files.read_notebook(built["04_he"].student)
    del nameless.metadata["otter"]
    title = next(cell for cell in nameless.cells if cell.cell_type == "markdown")
    title.source = re.sub(r"^# .*$", "# Some other title", title.source, count=1, flags=re.M)
    nbformat.write(nameless, str(folder / "nameless.ipynb"))
    out = tmp_path / "grades.csv"
    assert (
        grade.main(
            [
                str(folder),
                "--out",
                str(out),
                "--chapter",
                "03",
                "--assignments",
                str(built["03_xavier"].folder.parent),
            ]
        )
        == 0
    )
    by_file = _read_csv(out)
    status = {name: [row["status"] for row in rows] for name, rows in by_file.items()}
    assert status == {
        "essay.txt": ["not a notebook"],
        "notes.ipynb": ["not a notebook"],
        "other.ipynb": ["other chapter"],
        "nameless.ipynb": ["unknown chapter"],
    }
    assert "04_he" in by_file["other.ipynb"][0]["note"]


def test_a_notebook_is_recognised_by_its_title_without_otter_metadata(built):
    nb = course_files.read_notebook(built["03_xavier"].student)
    del nb.metadata["otter"]
    path = built["03_xavier"].folder / "no-metadata.ipynb"
    nbformat.write(nb, str(path))
    chapters = assignments.chapters_with_exercises(ROOT)
    assert grade.identify(path, chapters) == (next(c for c in chapters if c.stem == "03_xavier"), "")
