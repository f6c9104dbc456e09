"""Measure a chapter's key quantities over many seeds, to set the tolerances of its claims.

A claim in a chapter is ``assert abs(measured / predicted - 1) < tol`` with ``tol`` taken
from the spread of ``measured`` over at least 20 seeds (STYLE.md, *Claims*). This tool
executes a notebook once per seed (``WEIGHTINIT_SEED``, two kernels at a time), evaluates
the named Python expressions in each kernel at the end, and prints, per quantity, its mean,
standard deviation, minimum and maximum over the seeds, and the comment to put beside the
assert. Usage, from the repository root::

    .venv/bin/python tools/spread.py chapters/04_he.ipynb --seeds 20 \\
        --quantity 'ratio=forward["fan_in"]' --quantity 'loss=history[-1]'

``--upto TEXT`` stops after the first code cell whose source contains TEXT, so that only
the cells that compute the quantities run (much faster for a quantity early in a chapter).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_files  # noqa: E402
import student_edition  # noqa: E402

MARKER = "SPREAD-JSON:"


def probe_notebook(
    nb: nbformat.NotebookNode, quantities: dict[str, str], upto: str | None = None
) -> nbformat.NotebookNode:
    """A copy of ``nb``, cut after the cell containing ``upto``, that prints the quantities."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    if upto is not None:
        index = next(
            (i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and upto in cell.source), None
        )
        if index is None:
            raise ValueError(f"--upto must occur in a code cell of the notebook, got {upto!r}")
        nb.cells = nb.cells[: index + 1]
    expressions = ", ".join(f"{name!r}: float({expr})" for name, expr in quantities.items())
    nb.cells.append(
        nbformat.v4.new_code_cell(f"import json as _json\nprint({MARKER!r} + _json.dumps({{{expressions}}}))")
    )
    return nb


def read_values(executed: Path) -> dict[str, float] | None:
    """The quantities printed by the probe cell of an executed notebook (None if it failed)."""
    nb = course_files.read_notebook(executed)
    text = student_edition.cell_text(nb.cells[-1])
    line = next((line for line in text.splitlines() if line.startswith(MARKER)), None)
    return None if line is None else json.loads(line[len(MARKER) :])


def summary(values: list[float]) -> dict[str, float]:
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1))
    return {"mean": mean, "sd": sd, "min": min(values), "max": max(values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0 .. N-1 (default 20)")
    parser.add_argument(
        "--quantity",
        action="append",
        required=True,
        metavar="NAME=EXPR",
        help="a Python expression evaluated in the kernel at the end",
    )
    parser.add_argument("--upto", help="run only up to the first code cell containing this text")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error(f"--seeds must be at least 2, got {args.seeds}")
    quantities = {}
    for item in args.quantity:
        name, sep, expr = item.partition("=")
        if not sep or not name.strip() or not expr.strip():
            parser.error(f"--quantity must look like NAME=EXPR, got {item!r}")
        quantities[name.strip()] = expr.strip()

    probe = probe_notebook(course_files.read_notebook(args.notebook), quantities, args.upto)
    values: dict[str, list[float]] = {name: [] for name in quantities}
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(args.notebook).resolve().parent / f".spread-{Path(args.notebook).stem}.ipynb"
        nbformat.write(probe, str(source))
        try:

            def execute(seed: int) -> student_edition.Run:
                return student_edition.execute_notebooks(
                    [source], Path(tmp) / f"seed-{seed}", workers=1, env={"WEIGHTINIT_SEED": str(seed)}
                )[0]

            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                runs = list(pool.map(execute, range(args.seeds)))
            for seed, run in enumerate(runs):
                got = read_values(run.executed) if run.executed.exists() else None
                if got is None:
                    failed.append(seed)
                    continue
                for name, value in got.items():
                    values[name].append(value)
                print(f"seed {seed:>3}: " + ", ".join(f"{k}={v:.4g}" for k, v in got.items()), flush=True)
        finally:
            source.unlink(missing_ok=True)
    print()
    for name, series in values.items():
        if not series:
            continue
        s = summary(series)
        print(
            f"{name}: mean {s['mean']:.4g}, sd {s['sd']:.3g}, "
            f"# {len(series)} seeds: {s['min']:.3g}-{s['max']:.3g}"
        )
    if failed:
        print(f"\nseeds whose run failed before the quantities: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
