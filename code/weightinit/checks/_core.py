"""The one protocol of the course's feedback: a problem with its hint, one way to call the
learner's code, checks run in order, and one report.

A checker builds a list of :class:`Check` s, each a small function that looks at a shared
state and returns the :class:`Problem` s it finds (or none); :func:`run_checks` runs them in
order and stops after a failing *blocking* check (there is no point measuring the std of
an array that has the wrong shape). :func:`report` prints the verdict in the one style of
the course and returns True or False:

.. code-block:: text

    ✓ title: all 9 checks passed (...)
    ✗ title: the problem — its hint
    ✗ title: 2 problems
      ✗ the first problem — its hint
      ✗ the second problem — its hint

The learner's code is only ever called through :func:`call`, which never raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "Check", "call", "raised", "run_checks", "report", "verdict"]


@dataclass(frozen=True)
class Problem:
    """A mistake found in the learner's answer: what is wrong, and a hint how to fix it."""

    message: str
    hint: str = ""

    def text(self) -> str:
        return self.message + (f" — {self.hint}" if self.hint else "")


Found = Problem | Iterable[Problem] | None


@dataclass(frozen=True)
class Check:
    """One check: ``run(state)`` returns the problems it finds (a Problem, a list, or None).

    A failing *blocking* check stops the checks after it.
    """

    name: str
    run: Callable[[Any], Found]
    blocking: bool = False


def call(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, BaseException | None]:
    """``fn(*args, **kwargs)`` and the exception it raised, if any. Never raises.

    A ``fn`` that is not callable gives the ``TypeError`` that calling it raises.
    """
    try:
        return fn(*args, **kwargs), None
    except Exception as error:  # the learner's bug is reported, never raised
        return None, error


def raised(error: BaseException, where: str = "", hint: str = "") -> Problem:
    """The problem of an exception raised by the learner's code (``where``: the call)."""
    if isinstance(error, NotImplementedError):
        return Problem(
            "not yet: your function raises NotImplementedError", "replace the stub's `raise` with your code"
        )
    if isinstance(error, TypeError) and "not callable" in str(error):
        return Problem(f"expected a function: {error}", "pass the function itself, without calling it")
    place = f" ({where})" if where else ""
    return Problem(
        f"your function raised {type(error).__name__}: {error}{place}",
        hint or "call it yourself to see the traceback",
    )


def _as_list(found: Found) -> list[Problem]:
    if found is None:
        return []
    if isinstance(found, Problem):
        return [found]
    return list(found)


def run_checks(checks: Sequence[Check], state: Any) -> tuple[list[Problem], int]:
    """Run ``checks`` in order on ``state``: the problems found and how many checks ran."""
    problems: list[Problem] = []
    ran = 0
    for check in checks:
        found = _as_list(check.run(state))
        ran += 1
        problems += found
        if found and check.blocking:
            break
    return problems, ran


def report(title: str, problems: Sequence[Problem], passed: str, verbose: bool = True) -> bool:
    """Print the verdict (``✓ passed`` or the problems, each with its hint); True if none."""
    if verbose:
        if not problems:
            print(f"✓ {passed}")
        elif len(problems) == 1:
            print(f"✗ {title}: {problems[0].text()}")
        else:
            print(f"✗ {title}: {len(problems)} problems")
            for problem in problems:
                print(f"  ✗ {problem.text()}")
    return not problems


def verdict(title: str, checks: Sequence[Check], state: Any, detail: str = "", verbose: bool = True) -> bool:
    """Run ``checks`` and report: ``✓ title: all N checks passed{detail}`` or the problems."""
    problems, ran = run_checks(checks, state)
    return report(title, problems, f"{title}: all {ran} checks passed{detail}", verbose)
