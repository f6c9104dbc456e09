"""Run every chapter under other seeds: do its asserted claims hold for any draw?

Each chapter derives every random draw from the seed it gives to ``weightinit.setup``, and
the environment variable ``WEIGHTINIT_SEED`` replaces that seed. This tool executes the
chapters once per seed (two notebooks at a time, each in a fresh kernel) and prints a table,
chapter by seed: ``pass`` with the seconds it took, or the failing cell and its error. It
exits 1 when any run fails. Usage, from the repository root::

    .venv/bin/python tools/claims.py                      # seeds 1 2 3 4 5, every chapter
    .venv/bin/python tools/claims.py --seeds "7 11" chapters/04_he.ipynb

``make claims`` runs the first (``SEEDS="..."`` chooses the seeds). The executed copies land
in ``_build/claims/seed-N/`` for a closer look at a failure.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_files  # noqa: E402
import student_edition  # noqa: E402

ROOT = course_files.ROOT
OUT = ROOT / "_build" / "claims"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failure(executed: Path) -> str:
    """``cell N: Error: message (line)`` for the first failing cell of an executed notebook."""
    if not executed.exists():
        return "did not run"
    nb = course_files.read_notebook(executed)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            traceback = [_ANSI.sub("", line) for line in output.get("traceback", [])]
            marked = [line for block in traceback for line in block.splitlines() if "---->" in line]
            where = marked[-1].split("---->", 1)[1].strip() if marked else ""
            where = re.sub(r"^\d+\s*", "", where)
            message = f"{output.ename}: {output.evalue}".strip().rstrip(":")
            return f"code cell {number}: {message}" + (f" at `{where}`" if where else "")
    return "failed outside a cell (kernel died or timed out)"


def run(notebooks: list[Path], seeds: list[int], workers: int = 2, timeout: int = 300) -> dict:
    """``{(notebook, seed): "pass (12 s)" or the failure}`` for every notebook and seed."""
    results = {}
    for seed in seeds:
        runs = student_edition.execute_notebooks(
            notebooks,
            OUT / f"seed-{seed}",
            workers=workers,
            timeout=timeout,
            env={"WEIGHTINIT_SEED": str(seed)},
        )
        for result in runs:
            verdict = f"pass ({result.seconds:.0f} s)" if result.ok else failure(result.executed)
            results[result.notebook, seed] = verdict
            print(f"seed {seed:>4}  {result.notebook.name:<34} {verdict}", flush=True)
    return results


def table(results: dict, notebooks: list[Path], seeds: list[int]) -> str:
    """A Markdown table: one row per chapter, one column per seed."""
    lines = [
        "| chapter | " + " | ".join(f"seed {seed}" for seed in seeds) + " |",
        "|---|" + "---|" * len(seeds),
    ]
    for notebook in notebooks:
        cells = [results[notebook, seed].replace("|", "\\|") for seed in seeds]
        lines.append(f"| {notebook.stem} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="chapter notebooks (default: every chapter in _toc.yml)"
    )
    parser.add_argument(
        "--seeds", default="1 2 3 4 5", help='seeds, separated by spaces or commas (default "1 2 3 4 5")'
    )
    parser.add_argument("--workers", type=int, default=2, help="notebooks at a time")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    words = args.seeds.replace(",", " ").split()
    if not words or not all(word.isdigit() for word in words):
        parser.error(f"--seeds must be non-negative integers, got {args.seeds!r}")
    args.seeds = [int(word) for word in words]
    notebooks = [path.resolve() for path in args.notebooks] or course_files.chapter_notebooks()
    results = run(notebooks, args.seeds, workers=args.workers, timeout=args.timeout)
    print()
    print(table(results, notebooks, args.seeds))
    failed = sum(not verdict.startswith("pass") for verdict in results.values())
    print(f"\n{len(results) - failed} of {len(results)} runs pass.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
