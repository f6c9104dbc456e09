"""Every chapter in _toc.yml follows the house style that learners and the tools rely on.

- at least three ``{exercise}`` directives, labelled ``chNN-exK`` with the chapter's NN;
- each exercise with one solution: a ``{solution-start} chNN-exK`` marker cell
  (``:class: dropdown``) and a ``{solution-end}`` marker cell, paired, not nested;
- at least one code exercise with automatic feedback: a cell outside the solutions that
  calls ``weightinit.checks`` (or another ``check_...`` function);
- the first code cell is the Colab install cell (tools/colab_cell.py);
- a ``Summary`` and an ``Exercises`` heading, in that order, before the first exercise.

It also checks the exercise tables of chapters/for_instructors.md against the chapters
(regenerate them with ``tools/chapter_report.py --write``).
"""

from __future__ import annotations

import re
from pathlib import Path

import course_files
import pytest

ROOT = Path(__file__).resolve().parents[1]


CHAPTERS = course_files.chapter_entries(ROOT)


def _notebook(entry: str):
    path = ROOT / f"{entry}.ipynb"
    if not path.exists():
        pytest.fail(f"{entry}.ipynb is in _toc.yml but does not exist (yet)")
    return path, course_files.read_notebook(path)


def test_the_book_has_chapters():
    assert len(CHAPTERS) >= 8
    assert all(re.fullmatch(r"chapters/\d\d_\w+", entry) for entry in CHAPTERS), CHAPTERS


@pytest.mark.parametrize("entry", CHAPTERS)
def test_exercises_and_solutions(entry):
    path, nb = _notebook(entry)
    number = course_files.chapter_number(path)
    solutions = course_files.solutions(nb)  # raises on unpaired or nested markers
    exercises = course_files.exercises(nb)
    labels = [exercise.label for exercise in exercises]
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises, at least 3 expected"
    bad = [label for label in labels if not re.fullmatch(rf"ch{number}-ex\d+", label)]
    assert not bad, f"{path.name}: exercise labels must be ch{number}-exK, got {bad}"
    assert len(set(labels)) == len(labels), f"{path.name}: repeated labels {labels}"
    solved = [solution.label for solution in solutions]
    assert sorted(solved) == sorted(labels), (
        f"{path.name}: one solution per exercise expected; exercises {labels}, solutions {solved}"
    )
    for exercise in exercises:
        assert exercise.solution.start > exercise.cell, f"{exercise.label}: solution before it"
    not_dropdown = [s.label for s in solutions if not s.dropdown]
    assert not not_dropdown, f"{path.name}: solution-start without :class: dropdown: {not_dropdown}"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_a_code_exercise_with_automatic_feedback(entry):
    path, nb = _notebook(entry)
    with_feedback = [e.label for e in course_files.exercises(nb) if e.automatic_feedback]
    assert with_feedback, (
        f"{path.name}: no exercise has a cell (outside the solutions) "
        "that calls weightinit.checks or a check_ function"
    )


@pytest.mark.parametrize("entry", CHAPTERS)
def test_colab_cell_summary_and_exercises_headings(entry):
    path, nb = _notebook(entry)
    import colab_cell

    first = course_files.first_code_cell(nb)
    assert first is not None and first.source == colab_cell.render(ROOT), (
        f"{path.name}: the first code cell is not the Colab cell (tools/colab_cell.py --write)"
    )
    found = {text.strip(): index for index, level, text in course_files.headings(nb) if level == 2}
    assert "Summary" in found and "Exercises" in found, (
        f"{path.name}: '## Summary' and '## Exercises' expected, found {sorted(found)}"
    )
    assert found["Summary"] < found["Exercises"], f"{path.name}: Summary after Exercises"
    exercises = course_files.exercises(nb)
    assert all(e.cell > found["Exercises"] for e in exercises), (
        f"{path.name}: an exercise before the Exercises heading"
    )


def test_instructor_page_tables_are_current():
    import chapter_report as report

    page = ROOT / "chapters" / "for_instructors.md"
    current = report.section(page.read_text(encoding="utf-8"), report.EXERCISES)
    assert current == report.exercise_tables(ROOT).strip(), (
        "the exercise tables of chapters/for_instructors.md are out of date: run "
        ".venv/bin/python tools/chapter_report.py --write"
    )


# ------------------------------------------------------------------ the checker itself


def _nb(*cells):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(s[3:]) if s.startswith("md:") else nbformat.v4.new_code_cell(s)
        for s in cells
    ]
    return nb


EXERCISE = "md:```{exercise} Write it\n:label: ch01-ex1\n\nText.\n```"
START = "md:```{solution-start} ch01-ex1\n:class: dropdown\n```"
END = "md:```{solution-end}\n```"


def test_parser_finds_exercises_feedback_and_solutions():
    nb = _nb(
        "md:## Exercises",
        EXERCISE,
        "def f(shape, rng=None):\n    return None",
        "checks.check_initializer(f, 'xavier_uniform')",
        START,
        "def f(shape, rng=None):\n    ...\nassert checks.check_initializer(f, 'x')",
        END,
    )
    (exercise,) = course_files.exercises(nb)
    assert (exercise.label, exercise.title) == ("ch01-ex1", "Write it")
    assert exercise.learner_cells == [2, 3] and exercise.feedback_cells == [3]
    assert exercise.checkers == ["checks.check_initializer"]
    assert (exercise.solution.start, exercise.solution.end) == (4, 6)


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        ((EXERCISE, START), "without a solution-end"),
        ((EXERCISE, END), "without a solution-start"),
        ((EXERCISE, START, START, END), "inside the solution"),
        ((EXERCISE, "md:```{solution-start} ch01-ex1\n```\n```{solution-end}\n```"), "its own"),
        ((EXERCISE, START, "```{solution-end}\n```"), "code cell"),
    ],
)
def test_parser_rejects_bad_markers(cells, error):
    with pytest.raises(ValueError, match=error):
        course_files.solutions(_nb(*cells))


def test_feedback_calls():
    assert course_files.feedback_calls("lsuv.check_lsuv(f)\ncheck_fixup_scale(g)") == [
        "lsuv.check_lsuv",
        "check_fixup_scale",
    ]
    assert course_files.feedback_calls("def check_mine(x):\n    return x") == []
    assert course_files.feedback_calls("checks.check_value('b', b, 0.1)") == ["checks.check_value"]
