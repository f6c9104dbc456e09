"""A chapter gives the same numbers every time it runs.

Every chapter seeds everything (``weightinit.setup(seed=0)``), so two runs of the same
notebook must print identical numbers; a difference means an unseeded generator, a result
that depends on timing or on the order of a set, or a data race. One chapter is executed
twice, the two runs at the same time in two fresh kernels, and every number in the text
outputs (streams and ``text/plain``) is compared, cell by cell.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import nbclient
import nbformat

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "01_why_init.ipynb"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")  # object addresses, as in "<... at 0x7f3a...>"


def numbers_per_cell(notebook: nbformat.NotebookNode) -> list[tuple[int, list[str]]]:
    """(cell index, every number in its text outputs) for each code cell with output."""
    result = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        texts = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                texts.append(output.data["text/plain"])
        numbers = NUMBER.findall(ADDRESS.sub("", "\n".join(texts)))
        if numbers:
            result.append((index, numbers))
    return result


async def _run_twice(path: Path) -> list[nbformat.NotebookNode]:
    notebooks = [nbformat.read(path, as_version=4) for _ in range(2)]
    clients = [
        nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        for notebook in notebooks
    ]
    await asyncio.gather(*(client.async_execute() for client in clients))
    return notebooks


def test_two_runs_print_the_same_numbers(monkeypatch) -> None:
    # The kernels inherit the environment: no progress bars, no figure rendering.
    monkeypatch.setitem(os.environ, "WEIGHTINIT_QUIET", "1")
    monkeypatch.setitem(os.environ, "MPLBACKEND", "Agg")
    first, second = (numbers_per_cell(notebook) for notebook in asyncio.run(_run_twice(CHAPTER)))

    assert sum(len(numbers) for _, numbers in first) >= 10, "too few numbers to compare"
    assert [index for index, _ in first] == [index for index, _ in second], (
        "the two runs printed numbers in different cells"
    )
    for (index, numbers_a), (_, numbers_b) in zip(first, second, strict=True):
        assert numbers_a == numbers_b, f"{CHAPTER.name}, cell {index}: the two runs differ"


def test_numbers_are_read_from_every_text_output() -> None:
    """The comparison above sees streams and results, and ignores object addresses."""
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="loss 0.6931 after 3 steps\n"),
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": "(1e-05, -2.5, <G at 0x7f3a9c>)"}, execution_count=1
        ),
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("2.0"), cell])
    assert numbers_per_cell(notebook) == [(1, ["0.6931", "3", "1e-05", "-2.5"])]
