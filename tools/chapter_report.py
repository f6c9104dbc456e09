"""The generated tables of chapters/for_instructors.md: exercises per chapter, run times.

The page is static Markdown; two regions of it are written by this tool, between
``<!-- exercises:start -->`` / ``<!-- exercises:end -->`` and ``<!-- run-times:start -->`` /
``<!-- run-times:end -->``. ``tests/test_chapters.py`` fails when the exercise tables no
longer match the chapters. Usage, from the repository root::

    .venv/bin/python tools/chapter_report.py            # print the exercise tables
    .venv/bin/python tools/chapter_report.py --write    # rewrite them in the page
    .venv/bin/python tools/chapter_report.py --write --time   # and re-measure the run times

``--time`` executes every chapter with nbclient, one at a time, in both editions (with and
without solutions), so that nothing else of the course competes for the CPU.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_files  # noqa: E402
import student_edition  # noqa: E402

ROOT = course_files.ROOT
PAGE = ROOT / "chapters" / "for_instructors.md"
EXERCISES = "exercises"
RUN_TIMES = "run-times"


def section(text: str, name: str) -> str:
    """The text between ``<!-- name:start -->`` and ``<!-- name:end -->`` (stripped)."""
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    if not match:
        raise ValueError(f"no region <!-- {name}:start --> ... <!-- {name}:end --> in the page")
    return match.group(1).strip()


def replace_section(text: str, name: str, body: str) -> str:
    section(text, name)  # raises when the markers are missing
    return re.sub(
        rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)",
        lambda m: f"{m.group(1)}{body.strip()}\n{m.group(2)}",
        text,
        flags=re.S,
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").strip()


def _stem(entry: str) -> str:
    return entry.split("/")[-1]


def exercise_tables(root: Path = ROOT) -> str:
    """A summary table of every chapter, then one table of exercises per chapter."""
    summary = ["| Chapter | Exercises | With automatic feedback | Checkers called |", "|---|---:|---:|---|"]
    details = []
    for entry in course_files.chapter_entries(root):
        path = Path(root) / f"{entry}.ipynb"
        if not path.exists():
            summary.append(f"| `{_stem(entry)}` | not written yet | | |")
            continue
        exercises = course_files.exercises(course_files.read_notebook(path))
        checkers = list(dict.fromkeys(c for e in exercises for c in e.checkers))
        automatic = sum(e.automatic_feedback for e in exercises)
        summary.append(
            f"| {{doc}}`{_stem(entry)}` | {len(exercises)} | {automatic} | "
            f"{', '.join(f'`{c}`' for c in checkers) or '—'} |"
        )
        rows = [
            f"**{{doc}}`{_stem(entry)}`**",
            "",
            "| Exercise | Title | Learner's code cells | Automatic feedback |",
            "|---|---|---:|---|",
        ]
        for exercise in exercises:
            feedback = (
                "yes: " + ", ".join(f"`{c}`" for c in exercise.checkers)
                if exercise.automatic_feedback
                else "no"
            )
            rows.append(
                f"| {{ref}}`{exercise.label}` | {_cell(exercise.title)} | "
                f"{len(exercise.learner_cells)} | {feedback} |"
            )
        details.append("\n".join(rows))
    return "\n".join(summary) + "\n\n" + "\n\n".join(details)


def machine() -> str:
    """A one-line description of this machine."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores of an {model}, Python {platform.python_version()}, {platform.system()}"


def time_table(root: Path = ROOT) -> str:
    """Execute every chapter (both editions), one at a time; a table of seconds.

    Raises:
        RuntimeError: a notebook failed (its time would mean nothing); names it.
    """
    notebooks = course_files.chapter_notebooks(root)
    with tempfile.TemporaryDirectory() as tmp:
        students = student_edition.write_notebooks(Path(tmp) / "student", root)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        full = student_edition.execute_notebooks(notebooks, Path(tmp) / "full", workers=1)
        student = student_edition.execute_notebooks(students, Path(tmp) / "st", workers=1)
    failed = [run for run in full + student if not run.ok]
    if failed:
        raise RuntimeError("\n".join(f"{run.notebook} failed:\n{run.error}" for run in failed))
    rows = ["| Chapter | Full edition (s) | Student edition (s) |", "|---|---:|---:|"]
    for a, b in zip(full, student, strict=True):
        rows.append(f"| {{doc}}`{a.notebook.stem}` | {a.seconds:.0f} | {b.seconds:.0f} |")
    total_full = sum(run.seconds for run in full)
    total_student = sum(run.seconds for run in student)
    rows.append(f"| all, one after the other | {total_full:.0f} | {total_student:.0f} |")
    today = datetime.date.today().isoformat()
    note = (
        f"Measured on {today} on {machine()} (load average {load:.1f} when it started), with"
        " `tools/chapter_report.py --time`: each notebook executed "
        "by nbclient in a fresh kernel, kernel start-up and imports included, with "
        "`WEIGHTINIT_QUIET=1` and `MPLBACKEND=Agg`."
    )
    return note + "\n\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the tables in {PAGE.name}")
    parser.add_argument("--time", action="store_true", help="measure the chapters' run times")
    args = parser.parse_args(argv)
    tables = exercise_tables()
    try:
        times = time_table() if args.time else None
    except RuntimeError as error:
        print(f"{error}\nthe run times were not written", file=sys.stderr)
        return 1
    if not args.write:
        print(tables)
        if times:
            print("\n" + times)
        return 0
    text = replace_section(PAGE.read_text(encoding="utf-8"), EXERCISES, tables)
    if times:
        text = replace_section(text, RUN_TIMES, times)
    PAGE.write_text(text, encoding="utf-8")
    print(f"rewrote the tables in {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
