"""tools/claims.py and tools/spread.py: reading failures and building probes (no kernels)."""

import claims
import nbformat
import pytest
import spread


def _executed(tmp_path, outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# t"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("assert x < 0, 'x is positive'"),
    ]
    nb.cells[2].outputs = outputs
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_failure_names_the_cell_the_error_and_the_assert(tmp_path):
    error = nbformat.v4.new_output(
        "error",
        ename="AssertionError",
        evalue="x is positive",
        traceback=["\x1b[0;31m----> 1\x1b[0m \x1b[38;5;28massert\x1b[39m x < 0, 'x is positive'"],
    )
    message = claims.failure(_executed(tmp_path, [error]))
    assert message == "code cell 2: AssertionError: x is positive at `assert x < 0, 'x is positive'`"


def test_failure_outside_a_cell_and_missing_run(tmp_path):
    assert claims.failure(_executed(tmp_path, [])).startswith("failed outside a cell")
    assert claims.failure(tmp_path / "absent.ipynb") == "did not run"


def test_table_has_one_row_per_chapter_and_escapes_pipes(tmp_path):
    a, b = tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"
    results = {(a, 1): "pass (3 s)", (b, 1): "code cell 4: AssertionError: x | y"}
    lines = claims.table(results, [a, b], [1]).splitlines()
    assert lines[0] == "| chapter | seed 1 |"
    assert lines[2:] == ["| 01_a | pass (3 s) |", "| 02_b | code cell 4: AssertionError: x \\| y |"]


def test_bad_seeds_are_refused(capsys):
    with pytest.raises(SystemExit):
        claims.main(["--seeds", "1 -2"])
    assert "--seeds must be non-negative integers, got '1 -2'" in capsys.readouterr().err


def test_probe_cuts_after_the_named_cell_and_prints_the_quantities():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("a = 2"),
        nbformat.v4.new_code_cell("b = a * 3"),
        nbformat.v4.new_code_cell("c = 1 / 0"),
    ]
    probe = spread.probe_notebook(nb, {"b": "b", "half": "b / 2"}, upto="a * 3")
    assert [cell.source for cell in probe.cells[:2]] == ["a = 2", "b = a * 3"]
    namespace = {}
    for cell in probe.cells[:2]:
        exec(cell.source, namespace)
    assert "'half': float(b / 2)" in probe.cells[2].source and len(probe.cells) == 3
    assert len(nb.cells) == 3  # the original is left alone
    with pytest.raises(ValueError, match="--upto must occur in a code cell of the notebook, got 'zzz'"):
        spread.probe_notebook(nb, {"b": "b"}, upto="zzz")


def test_summary():
    assert spread.summary([1.0, 2.0, 3.0]) == {"mean": 2.0, "sd": 1.0, "min": 1.0, "max": 3.0}
