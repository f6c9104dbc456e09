"""Seconds each chapter notebook takes to execute, against the budget of 20 s on 2 cores.

    .venv/bin/python benchmarks/notebook_times.py                  # every chapters/*.ipynb
    .venv/bin/python benchmarks/notebook_times.py chapters/03_xavier.ipynb --cores 2

Each notebook runs as the book build runs it (nbclient, a fresh python3 kernel, the
notebook's folder as working directory, WEIGHTINIT_QUIET=1), one after the other, pinned
to ``--cores`` CPUs (default 2, the budget's machine; the kernels inherit the pinning).
The time includes the kernel's start. A bare kernel that only runs ``import torch`` is
timed the same way as the baseline: a chapter's ratio to it says how much the chapter
costs beyond the fixed price of any notebook. Timings on a busy machine are inflated: the
load average is printed with the table. Not a test: the exit status is 0 unless
``--strict`` is given and a chapter is over budget (or fails).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import nbclient
import nbformat

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = 20.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute(notebook: nbformat.NotebookNode, folder: Path, timeout: int) -> tuple[float, float]:
    """Wall and CPU seconds to start a kernel and run every cell of ``notebook`` in ``folder``.

    The CPU time is the kernel's (counted once the finished kernel process is reaped): on a
    busy machine it grows much less than the wall time.
    """
    start, cpu_start = time.perf_counter(), _children_cpu_s()
    client = nbclient.NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return time.perf_counter() - start, _children_cpu_s() - cpu_start


def baseline(repeats: int, timeout: int) -> float:
    """Median wall seconds of a fresh kernel that runs ``import torch``."""
    times = []
    for _ in range(repeats):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch")])
        times.append(execute(notebook, REPO, timeout)[0])
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, default=sorted((REPO / "chapters").glob("[0-9]*.ipynb"))
    )
    parser.add_argument("--cores", type=int, default=2, help="CPUs to pin the kernels to (default 2)")
    parser.add_argument("--baseline-repeats", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell before giving up")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a chapter is over budget")
    args = parser.parse_args()

    os.environ["WEIGHTINIT_QUIET"] = "1"
    available = sorted(os.sched_getaffinity(0))
    cores = available[: max(1, args.cores)]
    os.sched_setaffinity(0, cores)
    print(
        f"{len(cores)} of {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
        f"(1 min), budget {BUDGET_S:.0f} s per chapter",
        flush=True,
    )

    base = baseline(args.baseline_repeats, args.timeout)
    print(f"bare kernel + import torch: {base:.1f} s (median of {args.baseline_repeats})\n", flush=True)

    width = max([len(path.name) for path in args.notebooks] + [len("chapter")])
    print(f"{'chapter':<{width}}  {'seconds':>8}  {'cpu s':>6}  {'x bare':>7}  verdict")
    rows, failed = [], []
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        try:
            seconds, cpu = execute(notebook, path.resolve().parent, args.timeout)
        except Exception as error:  # a failing cell: report it and go on with the others
            failed.append(path.name)
            print(
                f"{path.name:<{width}}  {'-':>8}  {'-':>6}  {'-':>7}  FAILED: {type(error).__name__}",
                flush=True,
            )
            continue
        rows.append((seconds, cpu))
        verdict = "ok" if seconds <= BUDGET_S else f"OVER BUDGET by {seconds - BUDGET_S:.1f} s"
        print(
            f"{path.name:<{width}}  {seconds:8.1f}  {cpu:6.1f}  {seconds / base:7.1f}  {verdict}", flush=True
        )
    total, total_cpu = (sum(column) for column in zip(*rows, strict=True)) if rows else (0.0, 0.0)
    print(f"{'total':<{width}}  {total:8.1f}  {total_cpu:6.1f}  {total / base:7.1f}")
    over = sum(seconds > BUDGET_S for seconds, _ in rows)
    print(f"\n{len(rows)} chapters run, {over} over budget, {len(failed)} failed {failed or ''}")
    return 1 if args.strict and (over or failed) else 0


if __name__ == "__main__":
    sys.exit(main())
