"""The student edition: the chapters without their solutions.

``make student`` runs ``tools/student_edition.py --book``, which writes, under ``student/``
(gitignored):

- ``notebooks/NN_name.ipynb``: every chapter of ``_toc.yml`` with each solution removed,
  that is, the cells from a ``{solution-start}`` marker cell to the next
  ``{solution-end}`` marker cell, both markers included, and its Colab install cell
  pinned to this release (``…@v<weightinit.__version__>``, see ``colab_cell.py``). The
  exercises, the learner's stub cells and the feedback cells that call
  ``weightinit.checks`` stay, so a learner who has not solved an exercise yet reads
  "not yet" instead of an error;
- ``weightinit-student-notebooks.zip``: those notebooks, in a folder
  ``weightinit-student-notebooks/``;
- with ``--book``: ``book/``, a copy of the book's sources with the student notebooks in
  place of the chapters, and the rendered book in ``_build/html``, built by jupyter-book
  (which executes every student notebook). Its Colab buttons are switched off: they open
  the repository's notebooks, solutions included.

``--execute`` runs the student notebooks with nbclient, two at a time (``--workers``),
and reports each notebook's time; the test ``tests/test_student_edition.py`` uses the same
functions. Usage, from the repository root::

    .venv/bin/python tools/student_edition.py [--out student] [--book] [--execute]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_cell  # noqa: E402
import course_files  # noqa: E402

ROOT = course_files.ROOT
ZIP_NAME = "weightinit-student-notebooks.zip"
#: Not part of the book's sources: left out of the student book's copy.
_NOT_BOOK = (
    ".git",
    ".github",
    ".ci",
    ".venv",
    "venv",
    "_build",
    "student",
    "code",
    "tests",
    "tools",
    "benchmarks",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".jupyter_cache",
    "build",
    "dist",
)


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without the cells of its solutions (markers included).

    Raises:
        ValueError: the markers do not pair up (see :func:`course_files.solutions`).
    """
    removed = course_files.solution_cell_indices(nb)
    student = nbformat.from_dict(json.loads(json.dumps(nb)))
    student.cells = [cell for index, cell in enumerate(student.cells) if index not in removed]
    return student


def solution_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The source of every cell inside a solution, markers included."""
    return [nb.cells[index].source for index in sorted(course_files.solution_cell_indices(nb))]


def write_notebooks(out: Path, root: Path = ROOT) -> list[Path]:
    """Write the student notebook of every chapter to ``out/notebooks``; return their paths."""
    folder = Path(out) / "notebooks"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    written = []
    for source in course_files.chapter_notebooks(root):
        target = folder / source.name
        student = colab_cell.pin(strip_solutions(course_files.read_notebook(source)), root)
        nbformat.write(student, str(target))
        written.append(target)
    return written


def write_zip(notebooks: list[Path], out: Path) -> Path:
    """Zip ``notebooks`` into ``out/weightinit-student-notebooks.zip``, in one folder."""
    path = Path(out) / ZIP_NAME
    folder = ZIP_NAME.removesuffix(".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for notebook in notebooks:
            archive.write(notebook, f"{folder}/{notebook.name}")
    return path


def copy_book(notebooks: list[Path], out: Path, root: Path = ROOT) -> Path:
    """A copy of the book's sources in ``out/book``, with ``notebooks`` as its chapters."""
    book = Path(out) / "book"
    if book.exists():
        shutil.rmtree(book)
    shutil.copytree(root, book, ignore=shutil.ignore_patterns(*_NOT_BOOK), symlinks=True)
    by_name = {notebook.name: notebook for notebook in notebooks}
    for chapter in course_files.chapter_notebooks(root):
        shutil.copyfile(by_name[chapter.name], book / chapter.relative_to(root))
    config_path = book / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["title"] = f"{config.get('title', '')} (student edition)".strip()
    # Colab would open the repository's notebooks, solutions included.
    config.setdefault("launch_buttons", {})["colab_url"] = ""
    theme = config.get("sphinx", {}).get("config", {}).get("html_theme_options", {})
    theme.get("launch_buttons", {}).pop("colab_url", None)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return book


def build_book(book: Path, out: Path) -> Path:
    """Render ``book`` with jupyter-book into ``out/_build/html``."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book) if jupyter_book.exists() else "jupyter-book",
        "build",
        str(book),
        "--path-output",
        str(out),
    ]
    env = dict(os.environ, WEIGHTINIT_QUIET="1")
    env.pop("MPLBACKEND", None)  # Agg in the kernels would leave the pages without figures
    subprocess.run(command, check=True, env=env)
    return Path(out) / "_build" / "html"


# ------------------------------------------------------------------ execution


def notebook_env(threads: int | None = None) -> dict[str, str]:
    """The environment the notebooks run in: quiet, and (optionally) ``threads`` threads."""
    env = dict(os.environ, WEIGHTINIT_QUIET="1", MPLBACKEND="Agg")
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(threads)
    return env


@dataclass
class Run:
    """One notebook executed by :func:`execute_notebooks`."""

    notebook: Path
    executed: Path
    seconds: float
    error: str

    @property
    def ok(self) -> bool:
        return not self.error


def execute_one(notebook: Path, executed: Path, timeout: int = 300) -> None:
    """Execute ``notebook`` with nbclient in its own folder and write it to ``executed``.

    Raises the nbclient error of a failing cell; the executed notebook is written anyway.
    """
    from nbclient import NotebookClient

    nb = course_files.read_notebook(notebook)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(notebook).parent)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(nb, str(executed))


def _execute_in_subprocess(
    notebook: Path, executed: Path, timeout: int, threads: int | None, env: dict[str, str] | None = None
) -> Run:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--execute-one", str(notebook), str(executed), "--timeout", str(timeout)],
        capture_output=True,
        text=True,
        env={**notebook_env(threads), **(env or {})},
        check=False,
    )
    error = "" if result.returncode == 0 else (result.stderr[-3000:] or f"exit {result.returncode}")
    return Run(Path(notebook), Path(executed), time.perf_counter() - start, error)


def execute_notebooks(
    notebooks: list[Path],
    out: Path,
    *,
    workers: int = 2,
    timeout: int = 300,
    threads: int | None = None,
    env: dict[str, str] | None = None,
) -> list[Run]:
    """Execute ``notebooks``, ``workers`` at a time, each in its own process and kernel.

    The executed copies go to ``out`` (same names). The longest notebooks start first,
    guessed by file size, so that the two workers finish close together.

    Args:
        notebooks: the notebooks.
        out: folder for the executed copies.
        workers: notebooks run at the same time.
        timeout: seconds allowed for one cell.
        threads: threads per kernel for torch/BLAS (None: their default).
        env: extra environment variables for the kernels (``WEIGHTINIT_SEED``, say).

    Returns:
        one :class:`Run` per notebook, in the order given.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    order = sorted(notebooks, key=lambda path: Path(path).stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            path: pool.submit(
                _execute_in_subprocess, Path(path), out / Path(path).name, timeout, threads, env
            )
            for path in order
        }
    return [futures[path].result() for path in notebooks]


def cell_text(cell: nbformat.NotebookNode) -> str:
    """Everything an executed code cell printed or displayed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "student", help="output folder")
    parser.add_argument("--book", action="store_true", help="also render the student book")
    parser.add_argument(
        "--execute", action="store_true", help="execute the student notebooks and report their times"
    )
    parser.add_argument("--workers", type=int, default=2, help="notebooks run at once")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument(
        "--execute-one", nargs=2, type=Path, metavar=("NOTEBOOK", "EXECUTED"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.execute_one:
        execute_one(*args.execute_one, timeout=args.timeout)
        return 0
    notebooks = write_notebooks(args.out)
    archive = write_zip(notebooks, args.out)
    print(f"{len(notebooks)} student notebooks in {args.out / 'notebooks'}, zipped in {archive}")
    status = 0
    if args.execute:
        start = time.perf_counter()
        runs = execute_notebooks(
            notebooks,
            args.out / "executed",
            workers=args.workers,
            timeout=args.timeout,
            threads=1 if args.workers > 1 else None,
        )
        for run in runs:
            print(f"{run.notebook.name:32s} {run.seconds:6.1f} s  {'ok' if run.ok else 'FAILED'}")
            if not run.ok:
                print(run.error)
                status = 1
        print(f"{'all, ' + str(args.workers) + ' at a time':32s} {time.perf_counter() - start:6.1f} s")
    if args.book:
        html = build_book(copy_book(notebooks, args.out), args.out)
        print(f"student book in {html}")
    return status


if __name__ == "__main__":
    sys.exit(main())
