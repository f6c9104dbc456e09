"""The Jupyter edition (tools/jupyter_edition.py): the chapters in plain Jupyter Markdown.

What Colab and Jupyter cannot render must be gone from every markdown cell: MyST
directives, roles, option lines and targets (``jupyter_edition.myst_left``, which the
student edition's test uses too). Exercises keep their maths outside code
blocks, references become links to the online book's pages, solutions fold into
``<details>``, and code cells are the chapters' own.
"""

from __future__ import annotations

import re

import course_files
import jupyter_edition
import nbformat
import pytest
import yaml

ROOT = course_files.ROOT
CHAPTERS = course_files.chapter_notebooks(ROOT)
BOOK = jupyter_edition.read_book(ROOT)
URL = BOOK.url

MATH_RE = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
FENCED_RE = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$", re.M | re.S)


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    out = tmp_path_factory.mktemp("jupyter")
    written = jupyter_edition.write(out, root=ROOT, with_student=True)
    assert [path.relative_to(out) for path in written] == [
        chapter.relative_to(ROOT) for chapter in CHAPTERS
    ]  # the chapters' own paths
    return {path.name: nbformat.read(str(path), as_version=4) for path in written} | {
        f"student/{path.name}": nbformat.read(str(out / "student" / path.name), as_version=4)
        for path in written
    }


def _markdown(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_no_myst_survives(edition, chapter):
    nb = edition[chapter.name]
    nbformat.validate(nb)
    for index, source in enumerate(_markdown(nb)):
        left = jupyter_edition.myst_left(source)
        assert not left, f"{chapter.name}, markdown cell {index}: MyST survives: {left}"


def test_the_myst_check_finds_each_kind_and_passes_plain_markdown():
    myst = {
        "a directive": "```{exercise} Title\nText\n```",
        "a role": "As {cite:t}`he2015delving` show.",
        "a directive option": "Text\n:label: ch03-ex1",
        "a target": "(my-target)=\n## A section",
        "a solution marker": "the solution-start marker",
    }
    for what, source in myst.items():
        assert [found.partition(":")[0] for found in jupyter_edition.myst_left(source)] == [what]
    plain = (
        '### Exercise 3.1: Title<a id="ch03-ex1"></a>\n\nWith $b = \\sqrt{6}$, '
        "[Exercise 3.2](https://x.io/03.html#ch03-ex2), `code`, ```python\nx = {1: 2}\n``` "
        "and > **Note**."
    )
    assert jupyter_edition.myst_left(plain) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_exercises_are_headed_paragraphs_with_their_maths_outside_code(edition, chapter):
    full = course_files.read_notebook(chapter)
    nb = edition[chapter.name]
    exercises = course_files.exercises(full)
    assert exercises, f"{chapter.name} has no exercises"
    number = int(course_files.chapter_number(chapter))
    headed = [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "markdown" and re.match(rf"^#{{2,6}} Exercise {number}\.\d+", cell.source)
    ]
    assert len(headed) == len(exercises)
    # What the student edition's checks find in a generated notebook: the same exercises.
    found = jupyter_edition.exercises(nb)
    assert [(e.label, e.checkers) for e in found] == [(e.label, e.checkers) for e in exercises]
    for k, (exercise, generated) in enumerate(zip(exercises, headed, strict=True), start=1):
        heading = generated.splitlines()[0]
        assert heading.startswith(("### ", "#### ")) and f"Exercise {number}.{k}" in heading
        assert exercise.title in heading
        assert f'id="{exercise.label}"' in heading  # the anchor other notebooks' links use
        outside = FENCED_RE.sub("", generated)
        assert not re.search(r"^(    |\t)\S", outside, re.M), "an indented line is a code block"
        body = full.cells[exercise.cell].source
        maths = MATH_RE.findall(body)
        for formula in maths:
            assert formula in outside, f"{exercise.label}: {formula!r} is not rendered maths"
        for formula in MATH_RE.findall(generated):
            assert formula in outside


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_references_and_citations_become_links_to_the_book(edition, chapter):
    full = course_files.read_notebook(chapter)
    roles = [
        m
        for source in _markdown(full)
        for m in re.finditer(r"\{(doc|ref|numref|cite[:\w]*)\}`([^`]+)`", source)
    ]
    text = "\n".join(_markdown(edition[chapter.name]))
    links = re.findall(r"\]\((https?://[^)\s]+)\)", text)
    to_book = [link for link in links if link.startswith(URL)]
    cited = sum(len(m[2].split(",")) for m in roles if m[1].startswith("cite"))
    assert len(to_book) >= len(roles) - sum(1 for m in roles if m[1].startswith("cite")) + cited
    pages = {f"{URL}{docname}.html" for docname in jupyter_edition._toc_files(course_files.read_toc(ROOT))}
    anchors = {f"{URL}{t.docname}.html#{t.anchor}" for t in BOOK.labels.values()}
    for link in to_book:
        page, _, anchor = link.partition("#")
        assert page in pages, f"{link} is not a page of the book"
        assert not anchor or link in anchors or page.endswith("bibliography.html"), link
    for m in roles:
        if m[1].startswith("cite"):
            for key in m[2].split(","):
                names, _, year = BOOK.citations[key.strip()].rpartition(", ")
                assert f"[{names}, {year}]({URL}" in text or f"[{names} ({year})]({URL}" in text


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_code_cells_are_the_chapters_own_and_solutions_fold(edition, chapter):
    full = course_files.read_notebook(chapter)
    nb = edition[chapter.name]
    inside = course_files.solution_cell_indices(full)
    kept = [cell for i, cell in enumerate(full.cells) if cell.cell_type == "code" and i not in inside]
    generated = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.source for cell in generated] == [cell.source for cell in kept]
    assert [cell.metadata.get("tags") for cell in generated] == [cell.metadata.get("tags") for cell in kept]
    folded = [cell for cell in nb.cells if jupyter_edition.SOLUTION_TAG in cell.metadata.get("tags", [])]
    solutions = course_files.solutions(full)
    assert len(folded) == len(solutions)
    for solution, cell in zip(solutions, folded, strict=True):
        assert cell.cell_type == "markdown"
        assert re.match(r"<details>\n<summary><b>Solution to Exercise \d+\.\d+", cell.source)
        assert cell.source.rstrip().endswith("</details>")
        for index in solution.cells[1:-1]:
            if full.cells[index].cell_type == "code":
                assert f"```python\n{full.cells[index].source.rstrip()}\n```" in cell.source
    student = edition[f"student/{chapter.name}"]
    assert "<details>" not in "\n".join(_markdown(student))
    assert len(student.cells) == len(nb.cells) - len(folded)


def _convert(*sources: str, docname: str = "chapters/03_xavier") -> list[str]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(source) for source in sources]
    return [cell.source for cell in jupyter_edition.convert(nb, docname, BOOK).cells]


def test_roles_become_links_and_citations():
    (text,) = _convert(
        "See {doc}`04_he`, {doc}`the intro <../intro>`, {ref}`ch01-ex4`, "
        "{numref}`ch03-ex2` and `{doc}` in code. "
        "{cite}`glorot2010understanding`; {cite:t}`he2015delving`; "
        "{cite}`glorot2010understanding,lecun1998efficient`."
    )
    assert f"[He (Kaiming) initialization]({URL}chapters/04_he.html)" in text
    assert f"[the intro]({URL}intro.html)" in text
    assert f"[Exercise 1.4]({URL}chapters/01_why_init.html#ch01-ex4)" in text
    assert f"[Exercise 3.2]({URL}chapters/03_xavier.html#ch03-ex2)" in text
    assert "`{doc}` in code" in text  # a code span stays as it is
    bib = f"{URL}chapters/bibliography.html"
    assert f"([Glorot & Bengio, 2010]({bib}))" in text
    assert f"[He et al. (2015)]({bib})" in text
    assert f"([Glorot & Bengio, 2010]({bib}); [LeCun et al., 1998]({bib}))" in text


def test_admonitions_math_and_targets():
    note, math, target, dropdown = _convert(
        "```{note}\nA $x$ note with {doc}`04_he`.\n```",
        "```{math}\n:label: eq-var\n\\operatorname{Var}(z) = n v\n```",
        "(my-target)=\n## A section\n% a comment",
        ":::{admonition} Why?\n:class: dropdown\nBecause.\n:::",
    )
    assert note.startswith("> **Note**\n>\n> A $x$ note with [He (Kaiming)")
    assert math == "$$\n\\operatorname{Var}(z) = n v\n$$"
    assert target == '<a id="my-target"></a>\n## A section'
    assert dropdown == "<details>\n<summary><b>Why?</b></summary>\n\nBecause.\n\n</details>"


def test_a_broken_reference_is_an_error_not_a_silent_link():
    with pytest.raises(ValueError, match="no label 'ch99-ex1'"):
        _convert("{ref}`ch99-ex1`")
    with pytest.raises(ValueError, match="no entry 'nobody2099'"):
        _convert("{cite}`nobody2099`")


def test_the_book_url_comes_from_the_repository_settings():
    assert (
        jupyter_edition.book_url({"repository": {"url": "https://github.com/Some-Org/course"}})
        == "https://some-org.github.io/course/"
    )
    assert (
        jupyter_edition.book_url({"html": {"baseurl": "https://example.org/book"}})
        == "https://example.org/book/"
    )
    with pytest.raises(ValueError, match="repository.url"):
        jupyter_edition.book_url({"repository": {"url": "https://gitlab.com/a/b"}})
    config = course_files.read_config(ROOT)
    assert URL == jupyter_edition.book_url(config)


def test_colab_opens_the_published_jupyter_edition():
    """The book's Colab buttons open the branch that CI fills with the generated notebooks."""
    config = course_files.read_config(ROOT)
    branch = config["sphinx"]["config"]["html_theme_options"]["repository_branch"]
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["jupyter-edition"]
    steps = "\n".join(step.get("run", "") for step in job["steps"])
    assert "make jupyter" in steps
    assert f"JUPYTER_BRANCH: {branch}" in (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert branch != config["repository"]["branch"]  # not the MyST sources
