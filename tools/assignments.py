"""Otter-grader assignments generated from the chapters: ``make assignments``.

Every chapter with exercises becomes one otter-grader assignment, generated from the
chapter's notebook and its exercise markers (``course_files.exercises``), so there is no
second copy of the exercises to keep in step:

- an exercise whose learner cells call a checker (automatic feedback) becomes an
  autograded question. Its learner cells (the stub, the feedback cell) are the question's
  prompt; its solution cells are the solution; the checker calls of its feedback cells,
  each wrapped in ``assert``, are the public test that ``grader.check`` runs; and where a
  checker can be made stricter, a hidden test runs the same checks on other shapes and
  seeds (``check_initializer``) or on another LSTM (``check_forget_bias``). The tests use
  the checkers' True/False results, never their printed text;
- an exercise without automatic feedback becomes a manually graded question whose
  solution, in the solution notebook, is the grader's rubric.

The chapter becomes otter's "master notebook" (raw ``# BEGIN QUESTION`` ... cells around
each exercise, the install cell pinned to this release), and ``otter assign`` writes, per
chapter, in ``assignments/NN_name/`` (gitignored)::

    student/NN_name.ipynb    the notebook to hand out (no solutions, public tests only)
    solution/NN_name.ipynb   the solutions and rubrics
    autograder.zip           otter's Gradescope autograder (hidden tests included);
                             ``make grade`` grades with it too
    master/NN_name.ipynb     the generated master notebook (for reference)

Usage, from the repository root::

    .venv/bin/python tools/assignments.py [CHAPTER ...] [--out assignments] [--no-run-tests]

``otter assign`` grades the solution notebook against the zip (every question full
marks, or the build fails); ``--no-run-tests`` skips that (the tests grade it themselves).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.corpus.words import generate_corpus_id

sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_cell  # noqa: E402
import course_files  # noqa: E402

ROOT = course_files.ROOT
OTTER_VERSION = "7.0.0"
#: Points of a question: an autograded one splits them between its public and hidden test.
POINTS = 2
#: The hidden tests of ``check_initializer``: shapes and seeds the public test does not use
#: (non-square, a Conv1d and a Conv3d kernel, thousands of values each).
HIDDEN_SHAPES = ((384, 160), (96, 200), (48, 24, 5), (40, 16, 3, 3, 3))
HIDDEN_SEEDS = (7, 13)


#: otter's grader, after the install cell (otter's own init cell would come first of all).
#: Where otter-grader is not installed (Colab: otter 7 needs ipywidgets 8, Colab has 7, so
#: the install cell does not add it), ``grader.check`` says so and the notebook still runs;
#: the exercise's feedback cell gives the same verdict. Grading does not use this cell.
OTTER_INIT = """\
# otter-grader: grader.check("chNN_exK") runs the public tests of a question. Without
# otter-grader (pip install otter-grader=={otter_version}), the feedback cells still work.
try:
    import otter

    grader = otter.Notebook("{notebook}")
except ImportError:

    class _NoOtter:
        def check(self, question):
            print(f"{{question}}: otter-grader is not installed; see the feedback cell above")

    grader = _NoOtter()"""


def source_notebook(chapter: Path) -> nbformat.NotebookNode:
    """The notebook an assignment is built from: the chapter itself.

    The one place to change it (to a plain-Jupyter edition of the chapter, say). The
    exercises are parsed from the chapter in any case; the notebook returned here must have
    the chapter's cells, in the same order.
    """
    return course_files.read_notebook(chapter)


def question_name(label: str) -> str:
    """otter's name of the question of exercise ``label``: ``ch03-ex1`` -> ``ch03_ex1``."""
    return label.replace("-", "_")


def label_of(name: str) -> str:
    """The exercise label of a question name: ``ch03_ex1`` -> ``ch03-ex1``."""
    return re.sub(r"^(ch\d+)_", r"\1-", name)


# ------------------------------------------------------------------ tests of a question


def chapter_imports(nb: nbformat.NotebookNode) -> str:
    """The chapter's top-level import statements, outside solutions, in order.

    The tests run them again, so that ``checks``, ``np``, ``math`` ... are the real modules
    whatever a learner's notebook rebound those names to.
    """
    inside = course_files.solution_cell_indices(nb)
    lines: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or index in inside:
            continue
        try:
            tree = ast.parse(_python_only(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                line = ast.unparse(node)
                if line not in lines:
                    lines.append(line)
    return "\n".join(lines)


def _python_only(source: str) -> str:
    """``source`` without IPython's magics and shell escapes (lines starting with % or !)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _is_checker_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    return bool(course_files.feedback_calls(ast.unparse(node.func) + "("))


def _is_stub(node: ast.stmt) -> bool:
    """``x = None`` or ``a, b = None, None``: a stub the learner replaces."""
    if not isinstance(node, ast.Assign):
        return False
    value = node.value
    values = value.elts if isinstance(value, ast.Tuple) else [value]
    return all(isinstance(v, ast.Constant) and v.value is None for v in values)


def _checker_name(call: ast.Call) -> str:
    return ast.unparse(call.func).rsplit(".", 1)[-1]


class _Stricter(ast.NodeTransformer):
    """Turns the public checker calls into stricter ones; counts those it changed."""

    def __init__(self) -> None:
        self.changed = 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = _checker_name(node)
        if name == "check_initializer":
            node.keywords = [k for k in node.keywords if k.arg not in ("shapes", "seeds")]
            node.keywords += [
                ast.keyword("shapes", ast.parse(repr(HIDDEN_SHAPES), mode="eval").body),
                ast.keyword("seeds", ast.parse(repr(HIDDEN_SEEDS), mode="eval").body),
            ]
            self.changed += 1
        elif name == "check_forget_bias":
            node.func = ast.Name("_forget_bias_on_another_lstm", ast.Load())
            self.changed += 1
        return node


#: Defined in the hidden test of an exercise that ``check_forget_bias`` checks: the same
#: requirement on a three-layer LSTM of other sizes, the torch random state left as it was.
FORGET_BIAS_HELPER = """
def _forget_bias_on_another_lstm(init_fn, forget_bias=1.0):
    import torch
    from torch import nn
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(20260)
        lstm = nn.LSTM(5, 7, num_layers=3)
        result = init_fn(lstm)
        if isinstance(result, nn.LSTM):
            lstm = result
        H = lstm.hidden_size
        for k in range(lstm.num_layers):
            total = getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}")
            if not torch.allclose(total[H:2 * H], torch.full((H,), float(forget_bias)), atol=1e-5):
                print(f"the forget gate's total bias of layer {k} of a 3-layer LSTM is not {forget_bias}")
                return False
        return True
    except Exception as error:
        print(f"on a 3-layer LSTM: {type(error).__name__}: {error}")
        return False
    finally:
        torch.random.set_rng_state(state)
"""


def feedback_code(nb: nbformat.NotebookNode, exercise: course_files.Exercise) -> str:
    """The exercise's feedback cells as a test: stubs dropped, each checker call asserted."""
    statements: list[str] = []
    for index in exercise.feedback_cells:
        tree = ast.parse(_python_only(nb.cells[index].source))
        for node in tree.body:
            if _is_stub(node):
                continue
            if isinstance(node, ast.Expr) and _is_checker_call(node.value):
                message = f"{exercise.label}: {ast.unparse(node.value.func)} returned False"
                node = ast.Assert(node.value, ast.Constant(message))
            statements.append(ast.unparse(ast.fix_missing_locations(node)))
    return "\n".join(statements)


def stricter_code(code: str) -> str | None:
    """``code`` with its checker calls made stricter; None when none of them can be."""
    stricter = _Stricter()
    tree = ast.fix_missing_locations(stricter.visit(ast.parse(code)))
    if not stricter.changed:
        return None
    helper = FORGET_BIAS_HELPER if "_forget_bias_on_another_lstm" in ast.unparse(tree) else ""
    return (helper.strip() + "\n" if helper else "") + ast.unparse(tree)


def make_test_cell(name: str, code: str, imports: str, *, points: int, hidden: bool) -> nbformat.NotebookNode:
    """An exception-based otter test: ``code`` run in a copy of the learner's namespace.

    The chapter's imports run first, so the checkers are the real ones; the learner's
    names (their functions, their numbers) come from the notebook.
    """
    kind = "hidden" if hidden else "public"
    source = "\n".join(
        [
            '""" # BEGIN TEST CONFIG',
            f"points: {points}",
            f"hidden: {'true' if hidden else 'false'}",
            '""" # END TEST CONFIG',
            f"def test_{name}_{kind}(env):",
            "    namespace = dict(env)",
            f"    source = {(imports + chr(10) + code)!r}",
            f"    exec(compile(source, {f'{name} ({kind} test)'!r}, 'exec'), namespace)",
        ]
    )
    return nbformat.v4.new_code_cell(source)


# ------------------------------------------------------------------ the master notebook


@dataclass
class Question:
    """A question of an assignment: an exercise, graded automatically or by hand."""

    label: str
    name: str
    title: str
    manual: bool
    points: int
    hidden_test: bool


def plain_statement(source: str, label: str, title: str) -> str:
    """The exercise directive as plain Markdown (Jupyter does not render MyST directives)."""
    match = course_files.EXERCISE_RE.search(source)
    if not match:
        return source
    body = source[match.end() :]
    body = re.sub(r"^\s*(:[\w-]+:[^\n]*\n)*", "", body.lstrip("\n"))
    body = re.sub(r"\n[ \t]*(`{3,}|:{3,})[ \t]*\s*$", "", body.rstrip())
    return f"### Exercise {label}: {title}\n\n{body.strip()}\n"


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def assignment_config(name: str, requirements: str) -> str:
    config = {
        "name": name,
        "requirements": requirements,
        "overwrite_requirements": False,
        "init_cell": False,  # ours comes after the install cell (see OTTER_INIT)
        "check_all_cell": False,
        "export_cell": False,
        "run_tests": True,
        "tests": {"files": False, "ok_format": False},
        "generate": {"pdf": False, "filtering": False, "show_stdout": True},
    }
    return "# ASSIGNMENT CONFIG\n" + _yaml(config)


def _yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def master_notebook(
    chapter: Path, requirements: str = "requirements.txt", root: Path = ROOT
) -> tuple[nbformat.NotebookNode, list[Question]]:
    """otter's master notebook of ``chapter``, and its questions.

    Raises:
        ValueError: an exercise without a solution, or a source notebook whose cells are not
            the chapter's.
    """
    chapter = Path(chapter)
    structure = course_files.read_notebook(chapter)
    nb = source_notebook(chapter)
    if len(nb.cells) != len(structure.cells):
        raise ValueError(
            f"{chapter.name}: the source notebook has {len(nb.cells)} cells, the "
            f"chapter {len(structure.cells)}"
        )
    exercises = course_files.exercises(structure)
    for exercise in exercises:
        if exercise.solution is None:
            raise ValueError(f"{chapter.name}: exercise {exercise.label} has no solution")
    imports = chapter_imports(structure)
    by_cell = {exercise.cell: exercise for exercise in exercises}
    questions: list[Question] = []
    cells = [_raw(assignment_config(chapter.stem, requirements))]
    current: course_files.Exercise | None = None
    in_prompt = False
    for index, cell in enumerate(nb.cells):
        if index in by_cell:
            current = by_cell[index]
            name = question_name(current.label)
            manual = not current.automatic_feedback
            public = feedback_code(structure, current) if not manual else ""
            hidden = stricter_code(public) if public else None
            questions.append(Question(current.label, name, current.title, manual, POINTS, hidden is not None))
            config = {"name": name, "points": POINTS, "manual": manual}
            cells.append(_raw("# BEGIN QUESTION\n" + _yaml(config)))
            cells.append(
                nbformat.v4.new_markdown_cell(plain_statement(cell.source, current.label, current.title))
            )
            current_tests = (public, hidden)
            in_prompt = False
            continue
        if current is None:
            cells.append(_copy(cell))
            continue
        solution = current.solution
        if index < solution.start:
            if not in_prompt:
                cells.append(_raw("# BEGIN PROMPT"))
                in_prompt = True
            cells.append(_copy(cell))
        elif index == solution.start:
            if in_prompt:
                cells.append(_raw("# END PROMPT"))
            cells.append(_raw("# BEGIN SOLUTION"))
        elif index < solution.end:
            solution_cell = _copy(cell)
            if solution_cell.cell_type == "code":
                solution_cell.source = (
                    "# BEGIN SOLUTION NO PROMPT\n" + solution_cell.source + "\n# END SOLUTION"
                )
            cells.append(solution_cell)
        else:  # the solution-end marker
            cells.append(_raw("# END SOLUTION"))
            public, hidden = current_tests
            if public:
                cells.append(_raw("# BEGIN TESTS"))
                cells.append(
                    make_test_cell(
                        question_name(current.label),
                        public,
                        imports,
                        points=POINTS - 1 if hidden else POINTS,
                        hidden=False,
                    )
                )
                if hidden:
                    cells.append(
                        make_test_cell(question_name(current.label), hidden, imports, points=1, hidden=True)
                    )
                cells.append(_raw("# END TESTS"))
            cells.append(_raw("# END QUESTION"))
            current = None
    master = nbformat.v4.new_notebook(cells=cells, metadata=json.loads(json.dumps(nb.metadata)))
    install = course_files.first_code_cell(master)
    colab_cell.pin(master, root)
    init = nbformat.v4.new_code_cell(OTTER_INIT.format(notebook=chapter.name, otter_version=OTTER_VERSION))
    master.cells.insert(master.cells.index(install) + 1, init)
    return master, questions


def _copy(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    copied = nbformat.from_dict(json.loads(json.dumps(cell)))
    copied["id"] = generate_corpus_id()
    if copied.cell_type == "code":
        copied.outputs, copied.execution_count = [], None
    return copied


# ------------------------------------------------------------------ otter assign


def requirements_text(root: Path = ROOT) -> str:
    """What Gradescope installs besides otter: ``weightinit`` from this release's tag.

    torch comes from PyTorch's CPU index (the grader needs no GPU, and its wheel is small).
    """
    config = course_files.read_config(root)
    url = colab_cell.release_url(config, colab_cell.release_tag(root))
    return f"--extra-index-url https://download.pytorch.org/whl/cpu\nweightinit @ {url}\n"


#: otter assign changes the working directory while it runs: one build at a time.
_OTTER_LOCK = threading.Lock()


@contextlib.contextmanager
def _environment(**values: str):
    """``os.environ`` with ``values`` set, as it was afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def otter_assign(master: Path, dist: Path, *, run_tests: bool) -> None:
    """``otter assign master dist`` in this process.

    Importing otter's command line takes seconds and one assignment a fraction of one, so
    the chapters are built here, one after the other, rather than one process each.

    Raises:
        RuntimeError: otter assign failed (with its output).
    """
    import otter.assign

    output = io.StringIO()
    with (
        _OTTER_LOCK,
        _environment(WEIGHTINIT_QUIET="1", MPLBACKEND="Agg"),
        contextlib.redirect_stdout(output),
        contextlib.redirect_stderr(output),
    ):
        try:
            otter.assign.main(str(master), str(dist), no_run_tests=not run_tests)
        except Exception as error:
            raise RuntimeError(
                f"otter assign failed for {master.name}: {type(error).__name__}: {error}\n"
                f"{output.getvalue()[-4000:]}"
            ) from error


@dataclass
class Built:
    """One chapter's assignment, as written by :func:`build`."""

    chapter: Path
    folder: Path
    questions: list[Question]
    seconds: float

    @property
    def student(self) -> Path:
        return self.folder / "student" / f"{self.chapter.stem}.ipynb"

    @property
    def solution(self) -> Path:
        return self.folder / "solution" / f"{self.chapter.stem}.ipynb"

    @property
    def autograder(self) -> Path:
        return self.folder / "autograder.zip"

    @property
    def master(self) -> Path:
        return self.folder / "master" / f"{self.chapter.stem}.ipynb"


def has_exercises(chapter: Path) -> bool:
    return bool(course_files.exercises(course_files.read_notebook(chapter)))


def build(chapter: Path, out: Path, *, run_tests: bool = True, root: Path = ROOT) -> Built:
    """Write ``chapter``'s assignment to ``out/NN_name/`` with ``otter assign``.

    Raises:
        RuntimeError: otter assign failed (with its output), for example because the
            solution notebook does not score full marks (``run_tests``).
    """
    chapter = Path(chapter)
    start = time.perf_counter()
    master, questions = master_notebook(chapter, root=root)
    folder = Path(out) / chapter.stem
    with tempfile.TemporaryDirectory(prefix=f"assign-{chapter.stem}-") as tmp:
        work = Path(tmp)
        (work / "requirements.txt").write_text(requirements_text(root), encoding="utf-8")
        nbformat.write(master, str(work / chapter.name))
        otter_assign(work / chapter.name, work / "dist", run_tests=run_tests)
        zips = sorted((work / "dist" / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"otter assign wrote {len(zips)} autograder zips for {chapter.name}")
        if folder.exists():
            shutil.rmtree(folder)
        for part in ("student", "solution", "master"):
            (folder / part).mkdir(parents=True)
        student = course_files.read_notebook(work / "dist" / "student" / chapter.name)
        nbformat.write(tidy_student(student), str(folder / "student" / chapter.name))
        shutil.copyfile(work / "dist" / "autograder" / chapter.name, folder / "solution" / chapter.name)
        shutil.copyfile(zips[0], folder / "autograder.zip")
        shutil.copyfile(work / chapter.name, folder / "master" / chapter.name)
    return Built(chapter, folder, questions, time.perf_counter() - start)


def tidy_student(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student notebook without the empty cells left where solution code was."""
    nb.cells = [cell for cell in nb.cells if not (cell.cell_type == "code" and not cell.source.strip())]
    return nb


def chapters_with_exercises(root: Path = ROOT) -> list[Path]:
    return [chapter for chapter in course_files.chapter_notebooks(root) if has_exercises(chapter)]


def find_chapter(name: str, root: Path = ROOT) -> Path:
    """The chapter named by ``name``: ``03``, ``3``, ``03_xavier`` or a path."""
    for chapter in course_files.chapter_notebooks(root):
        if name in (chapter.stem, chapter.name, str(chapter)) or (
            name.isdigit() and int(name) == int(course_files.chapter_number(chapter))
        ):
            return chapter
    raise ValueError(f"no chapter {name!r} in _toc.yml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapters (default: all with exercises)")
    parser.add_argument("--out", type=Path, default=ROOT / "assignments", help="output folder")
    parser.add_argument(
        "--no-run-tests", action="store_true", help="do not grade the solution notebooks while building"
    )
    args = parser.parse_args(argv)
    chapters = [find_chapter(name) for name in args.chapters] if args.chapters else chapters_with_exercises()
    start = time.perf_counter()
    for chapter in chapters:
        built = build(chapter, args.out, run_tests=not args.no_run_tests)
        auto = sum(not q.manual for q in built.questions)
        print(
            f"{chapter.stem:28s} {auto} autograded, {len(built.questions) - auto} manual "
            f"questions ({sum(q.points for q in built.questions)} points)  "
            f"{built.seconds:5.1f} s  -> {built.folder}"
        )
    print(f"{len(chapters)} assignments in {args.out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
