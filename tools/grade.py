"""Grade a folder of handed-in notebooks locally: ``make grade SUBMISSIONS=dir``.

Every ``*.ipynb`` (and any other file) in the folder gets rows in one CSV (``GRADES``,
default ``grades.csv``)::

    file, chapter, question, points, max_points, status, note

- an autograded question: the points ``otter run`` gives it against the chapter's
  ``assignments/NN_name/autograder.zip`` (built on first use), public and hidden tests;
- a manually graded question: ``points`` empty, ``status`` ``manual``: yours to fill in,
  with the rubric in ``assignments/NN_name/solution/``;
- a notebook that cannot be graded gets one row that says why (``status``): ``not a
  notebook``, ``unknown chapter``, ``other chapter`` (with ``CHAPTER=NN``, a notebook of
  another chapter), ``timeout`` (it ran past the time limit: an endless loop, say),
  ``kernel died`` (it crashed its Python), ``grader error``. A notebook whose cells raise
  is still graded (the questions it did not reach score 0) and gets a row ``error`` naming
  the first cell that raised.

A notebook's chapter is the assignment name otter writes in its metadata, or failing that
its ``# N. Title``; with ``--chapter`` every notebook must belong to that chapter.

Handed-in notebooks are untrusted code. Each one runs in a fresh temporary folder of its
own (never in the repository: ``otter run`` copies it there, and the folder is deleted
afterwards), in a process of its own with a time limit (``--timeout``, seconds per
notebook); a notebook that runs past it, or crashes its kernel, is stopped and reported,
and the others are still graded. It still runs with your user's rights: see the
instructors' page for when to grade in containers instead.

Usage, from the repository root::

    .venv/bin/python tools/grade.py SUBMISSIONS [--out grades.csv] [--chapter NN]
                                    [--timeout 300] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import assignments  # noqa: E402
import course_files  # noqa: E402

ROOT = course_files.ROOT
COLUMNS = ("file", "chapter", "question", "points", "max_points", "status", "note")


@dataclass
class Row:
    file: str
    chapter: str
    question: str = ""
    points: float | str = ""
    max_points: float | str = ""
    status: str = ""
    note: str = ""


# ------------------------------------------------------------------ which chapter


def identify(path: Path, chapters: list[Path]) -> tuple[Path | None, str]:
    """The chapter a handed-in file belongs to, or None and why not.

    Returns:
        ``(chapter, "")``, or ``(None, status)`` with status ``"not a notebook: ..."`` or
        ``"unknown chapter: ..."``.
    """
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # a learner's file may be anything
        return None, f"not a notebook: {type(error).__name__}: {str(error)[:200]}"
    name = (nb.metadata.get("otter") or {}).get("assignment_name")
    by_stem = {chapter.stem: chapter for chapter in chapters}
    if name in by_stem:
        return by_stem[name], ""
    title = course_files.title(nb)
    for chapter in chapters:
        if title and title == course_files.title(course_files.read_notebook(chapter)):
            return chapter, ""
    return None, f"unknown chapter: assignment name {name!r}, title {title!r}"


# ------------------------------------------------------------------ one notebook


def _kill_tree(pid: int) -> None:
    """Kill process ``pid``, its process group and every process below it."""
    try:
        import psutil

        children = psutil.Process(pid).children(recursive=True)
    except Exception:
        children = []
    for process in children:
        try:
            process.kill()
        except Exception:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grade_one(
    path: Path,
    chapter: Path,
    autograder: Path,
    questions: list[assignments.Question],
    *,
    timeout: float,
    threads: int | None = None,
) -> list[Row]:
    """Grade one notebook in a fresh temporary folder, in its own process, within ``timeout``."""
    file = path.name
    tmp = Path(tempfile.mkdtemp(prefix="weightinit-grade-"))
    try:
        submission = tmp / "submission" / f"{chapter.stem}.ipynb"
        submission.parent.mkdir()
        nb = nbformat.read(str(path), as_version=4)
        # otter checks the assignment name; a notebook recognised by its title may lack it.
        nb.metadata.setdefault("otter", {})["assignment_name"] = chapter.stem
        nbformat.write(nb, str(submission))
        result_path = tmp / "result.json"
        env = dict(os.environ, TMPDIR=str(tmp), WEIGHTINIT_QUIET="1", MPLBACKEND="Agg")
        env.pop("WEIGHTINIT_SEED", None)
        if threads is not None:
            for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
                env[name] = str(threads)
        process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--run-one",
                str(submission),
                str(Path(autograder).resolve()),
                str(result_path),
            ],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(process.pid)
            process.communicate()
            return [
                Row(
                    file,
                    chapter.stem,
                    status="timeout",
                    note=f"stopped after {timeout:g} s (an endless loop?); not graded",
                )
            ]
        finally:
            _kill_tree(process.pid)  # whatever the notebook left running
        if not result_path.exists():
            text = output.decode("utf-8", "replace")[-300:].strip().replace("\n", " | ")
            return [Row(file, chapter.stem, status="grader error", note=f"exit {process.returncode}: {text}")]
        result = json.loads(result_path.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if result["status"] != "graded":
        return [Row(file, chapter.stem, status=result["status"], note=result["message"])]
    rows = []
    if result["errors"]:
        rows.append(Row(file, chapter.stem, status="error", note=result["errors"][0]))
    scores = result["scores"]
    for question in questions:
        if question.manual:
            rows.append(
                Row(
                    file,
                    chapter.stem,
                    question.label,
                    "",
                    question.points,
                    "manual",
                    "grade by hand (rubric: the solution notebook)",
                )
            )
            continue
        score = scores.get(question.name)
        if score is None:
            rows.append(Row(file, chapter.stem, question.label, 0, question.points, "graded", "no result"))
            continue
        failed = [name for name, passed in score["tests"] if not passed]
        rows.append(
            Row(
                file,
                chapter.stem,
                question.label,
                _number(score["score"]),
                _number(score["possible"]),
                "graded",
                "failed: " + ", ".join(failed) if failed else "passed",
            )
        )
    return rows


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 3)


def run_one(submission: Path, autograder: Path, result_path: Path) -> int:
    """Child process: ``otter run`` on one notebook; the scores and errors as JSON."""
    from nbclient.exceptions import DeadKernelError
    from otter.run import main as otter_run

    def write(**data) -> None:
        result_path.write_text(json.dumps(data), encoding="utf-8")

    try:
        results = otter_run(str(submission), autograder=str(autograder), output_dir=None, no_logo=True)
    except DeadKernelError as error:
        write(status="kernel died", message=f"the notebook's kernel died: {str(error)[:200]}")
        return 0
    except Exception as error:
        message = f"{type(error).__name__}: {str(error)[:300]}"
        if "Received submission for assignment" in str(error):
            write(status="other chapter", message=message)
        else:
            write(status="grader error", message=message)
        return 0
    scores = {}
    for name, test_file in results.results.items():
        tests = [
            ("hidden" if r.test_case.hidden else "public", bool(r.passed))
            for r in test_file.test_case_results
        ]
        scores[name] = {"score": test_file.score, "possible": test_file.possible, "tests": tests}
    errors = []
    for cell in (results.notebook or {}).get("cells", []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = next((line for line in cell.get("source", "").splitlines() if line.strip()), "")
                errors.append(
                    f"a cell raised {output.get('ename')}: {output.get('evalue', '')[:200]} "
                    f"(the cell that starts {first[:60]!r})"
                )
    write(status="graded", scores=scores, errors=errors)
    return 0


# ------------------------------------------------------------------ a folder


def grade_folder(
    submissions: Path,
    *,
    chapter: Path | None = None,
    timeout: float = 300,
    workers: int = 2,
    out_assignments: Path | None = None,
    root: Path = ROOT,
) -> list[Row]:
    """Grade every file of ``submissions`` (sorted by name); one list of CSV rows."""
    out_assignments = Path(out_assignments or root / "assignments")
    chapters = assignments.chapters_with_exercises(root)
    files = sorted(
        path for path in Path(submissions).iterdir() if path.is_file() and not path.name.startswith(".")
    )
    jobs: dict[Path, tuple[Path, Path, list[assignments.Question]]] = {}
    early: dict[Path, list[Row]] = {}
    ready: dict[Path, tuple[Path, list[assignments.Question]]] = {}
    for path in files:
        found, why = identify(path, chapters)
        if found is None:
            status, _, note = why.partition(": ")
            early[path] = [Row(path.name, "", status=status, note=note)]
            continue
        if chapter is not None and found != chapter:
            early[path] = [
                Row(
                    path.name,
                    found.stem,
                    status="other chapter",
                    note=f"a notebook of {found.stem}, not of {chapter.stem}; not graded",
                )
            ]
            continue
        if found not in ready:
            autograder = out_assignments / found.stem / "autograder.zip"
            if not autograder.exists():
                print(f"building the assignment of {found.stem} ...", file=sys.stderr)
                assignments.build(found, out_assignments, run_tests=False, root=root)
            _, questions = assignments.master_notebook(found, root=root)
            ready[found] = (autograder, questions)
        jobs[path] = (found, *ready[found])
    threads = 1 if workers > 1 else None
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {
            path: pool.submit(grade_one, path, found, autograder, questions, timeout=timeout, threads=threads)
            for path, (found, autograder, questions) in jobs.items()
        }
    return [row for path in files for row in (early[path] if path in early else futures[path].result())]


def write_csv(rows: list[Row], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, nargs="?", help="folder of handed-in notebooks")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write")
    parser.add_argument("--chapter", help="grade only notebooks of this chapter (03, 03_xavier)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per notebook")
    parser.add_argument("--workers", type=int, default=2, help="notebooks graded at once")
    parser.add_argument(
        "--assignments",
        type=Path,
        default=ROOT / "assignments",
        help="where the assignments are (built there when missing)",
    )
    parser.add_argument("--run-one", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        return run_one(*args.run_one)
    if args.submissions is None or not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder, got {args.submissions}")
    chapter = assignments.find_chapter(args.chapter) if args.chapter else None
    start = time.perf_counter()
    rows = grade_folder(
        args.submissions,
        chapter=chapter,
        timeout=args.timeout,
        workers=args.workers,
        out_assignments=args.assignments,
    )
    write_csv(rows, args.out)
    for row in rows:
        print(
            f"{row.file:30s} {row.question:10s} {row.points!s:>5}/{row.max_points!s:<3} "
            f"{row.status:14s} {row.note[:70]}"
        )
    files = len({row.file for row in rows})
    print(f"{files} files graded into {args.out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
