"""The PDF edition (``make pdf``), read back as a reader would with pdftotext.

Marked ``pdf``: ``make pdf-check`` runs it after ``make pdf``; ``make unit`` skips it.
Every chapter's title is there, every exercise and its solution, no reference is left
unresolved ("??"), every figure that the LaTeX file includes is in the PDF, and no raw TeX
shows where maths should be typeset.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import course_files
import pytest

ROOT = course_files.ROOT
LATEX = ROOT / "_build" / "latex"
PDF = LATEX / "weightinit.pdf"
TEX = LATEX / "weightinit.tex"
CHAPTERS = course_files.chapter_notebooks(ROOT)
#: TeX that must never reach the reader: it means maths went through as text
RAW_TEX = re.compile(r"\\(frac|sqrt|operatorname|mathcal|mathbb|text|cdot|approx|sum|partial)\b|\$\$")

pytestmark = pytest.mark.pdf


def _words(text: str) -> str:
    """Text with hyphenation at line ends undone and all whitespace one space."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def text() -> str:
    if not PDF.exists():
        pytest.fail(f"no {PDF.relative_to(ROOT)}: run make pdf first")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: make texlive installs poppler-utils")
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_the_pdf_has_pages(text):
    pages = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True, check=True)
    count = int(re.search(r"^Pages:\s+(\d+)", pages.stdout, re.M)[1])
    assert count > 10 * len(CHAPTERS) // 2, count
    print(f"{PDF.name}: {count} pages")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_chapter_title_exercise_and_solution_is_there(text, chapter):
    words = _words(text)
    nb = course_files.read_notebook(chapter)
    title = course_files.title(nb)
    assert title and words.count(_words(title)) >= 2, f"{title!r}: not in the PDF (heading and contents)"
    for exercise in course_files.exercises(nb):
        assert _words(exercise.title) in words, f"{chapter.name}: exercise {exercise.title!r} is missing"
    number = int(course_files.chapter_number(chapter))
    solutions = len(re.findall(rf"Solution to Exercise {number}\.\d+", words))
    assert solutions >= len(course_files.solutions(nb)), f"{chapter.name}: solutions missing"


def test_no_unresolved_reference(text):
    found = [line for line in text.splitlines() if "??" in line]
    assert not found, f"unresolved references: {found[:5]}"
    log = (LATEX / "weightinit.log").read_text(encoding="utf-8", errors="replace")
    assert "undefined references" not in log and "Citation" not in re.findall(r"LaTeX Warning: (\w+)", log)


def test_every_figure_is_in_the_pdf():
    tex = TEX.read_text(encoding="utf-8")
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{?([^}]+?)\}?(\.\w+)?\}", tex)
    assert len(included) >= len(CHAPTERS), "hardly any figure in the LaTeX file"
    for name, extension in included:
        candidates = [LATEX / f"{name}{extension}"] + list(LATEX.glob(f"{name}.*"))
        assert any(path.exists() for path in candidates), f"figure {name}{extension} is missing"
    images = subprocess.run(
        ["pdfimages", "-list", str(PDF)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(images) >= len(included), (len(images), len(included))
    log = (LATEX / "weightinit.log").read_text(encoding="utf-8", errors="replace")
    assert not re.search(r"File `[^']+' not found", log)


def test_no_raw_tex_where_maths_should_be(text):
    """Raw TeX may appear only inside code that holds it (a matplotlib label, say)."""
    code = "\n".join(
        cell.source
        for path in CHAPTERS
        for cell in course_files.read_notebook(path).cells
        if cell.cell_type == "code"
    )
    code_words = _words(code)
    raw = [
        line.strip()
        for line in text.splitlines()
        if RAW_TEX.search(line) and _words(line).strip() not in code_words
    ]
    assert not raw, f"raw TeX in the PDF's text: {raw[:8]}"
