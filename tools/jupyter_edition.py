"""The Jupyter edition: the chapters in plain Jupyter Markdown, for Colab and Jupyter.

The chapters are written in MyST, which only the book's build understands: opened in
Colab or Jupyter, an exercise is a grey code block, a cross-reference reads
"{doc}`02_zero_and_random`". This tool writes, from the same sources, notebooks that any
notebook viewer renders:

- an exercise (``{exercise}`` with ``:label: chNN-exK``) becomes a heading, "Exercise N.K:
  title", and its text, maths included, a normal paragraph;
- a solution (the cells from ``{solution-start}`` to ``{solution-end}``) becomes one
  ``<details>`` block, folded, "Solution to Exercise N.K", its code as Python code blocks
  (the notebook runs from top to bottom without them, as the student edition shows);
- ``{doc}``, ``{ref}``, ``{numref}``, ``{eq}`` and ``{term}`` become links to the online
  book's pages (:func:`book_url`, from ``_config.yml``);
- ``{cite}`` becomes "(Glorot & Bengio, 2010)", linked to the book's bibliography;
- admonitions (``{note}``, ``{warning}``, ``{tip}``, ...) become quoted paragraphs, a
  ``{dropdown}`` a ``<details>`` block, ``{math}`` a ``$$`` block, ``{figure}`` an image
  and its caption, a ``(label)=`` target an HTML anchor;
- code cells keep their source; their ``hide-input``/``hide-output`` tags also fold them in
  JupyterLab (``jupyter.source_hidden``/``outputs_hidden``).

``make jupyter`` writes them to ``_build/jupyter/chapters/NN_name.ipynb`` (the chapters'
own paths, so that CI can publish the folder as the ``jupyter`` branch that the book's
Colab buttons open); ``--student`` also writes the student edition of them (solutions
removed) to ``_build/jupyter/student/``. The student edition that learners download
(``tools/student_edition.py``, ``make student``) is made of the same notebooks, their
install cell pinned to the release. Usage, from the repository root::

    .venv/bin/python tools/jupyter_edition.py [--out _build/jupyter] [--student] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import copy
import posixpath
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_files  # noqa: E402

ROOT = course_files.ROOT
#: The cell tag of a solution in the generated notebooks (the student edition drops them).
SOLUTION_TAG = "solution"

# A directive's opening fence: ```{name} argument  or  :::{name} argument
_OPEN_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}[ \t]*(?P<arg>.*)$")
_CODE_FENCE_RE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
_OPTION_RE = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
# A role: {name}`content`
_ROLE_RE = re.compile(r"\{(?P<name>[\w:.-]+)\}`(?P<content>[^`]+)`")
# A role or, left alone, a code span (scanned from the left, so a role's own backticks
# never start a code span)
_INLINE_RE = re.compile(_ROLE_RE.pattern + r"|(?P<code>``.+?``|`[^`]+`)")
_TARGET_RE = re.compile(r"^\((?P<label>[^()\s]+)\)=[ \t]*$")
_EXPLICIT_RE = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_ADMONITIONS = (
    "note",
    "warning",
    "tip",
    "hint",
    "important",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
)


# ------------------------------------------------------------------ the book around a chapter


def book_url(config: dict) -> str:
    """The online book's address, ending in ``/``.

    ``html.baseurl`` when ``_config.yml`` sets it; otherwise the GitHub Pages address of
    ``repository.url`` (``https://github.com/ORG/REPO`` -> ``https://ORG.github.io/REPO/``),
    where CI publishes the book.
    """
    base = str((config.get("html") or {}).get("baseurl") or "").strip()
    if base:
        return base.rstrip("/") + "/"
    url = str((config.get("repository") or {}).get("url", "")).rstrip("/").removesuffix(".git")
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", url)
    if not match:
        raise ValueError(
            f"repository.url must be https://github.com/ORG/REPO to derive the "
            f"book's address (or set html.baseurl), got {url!r}"
        )
    org, repo = match.groups()
    return f"https://{org.lower()}.github.io/{repo}/"


def _anchor(label: str) -> str:
    """The HTML id Sphinx gives a label (docutils' ``make_id``)."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _toc_files(toc: dict) -> list[str]:
    files = [toc["root"]] if "root" in toc else []
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", []) if "file" in entry]
    files += [entry["file"] for entry in toc.get("chapters", []) if "file" in entry]
    return files


def _source_of(root: Path, docname: str) -> Path | None:
    for suffix in (".ipynb", ".md"):
        if (root / f"{docname}{suffix}").exists():
            return root / f"{docname}{suffix}"
    return None


def _markdown_of(path: Path) -> list[str]:
    """The markdown text of a page: its markdown cells, or the file itself."""
    if path.suffix == ".ipynb":
        nb = course_files.read_notebook(path)
        return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter
    return [text]


@dataclass
class Target:
    """Where a label points: a page, an anchor on it, and the text a reference shows."""

    docname: str
    anchor: str
    text: str
    number: str = ""


@dataclass
class Book:
    """What a chapter's references need to know about the whole book."""

    url: str
    titles: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Target] = field(default_factory=dict)
    citations: dict[str, str] = field(default_factory=dict)
    bibliography: str = "chapters/bibliography"
    glossary: str = "chapters/glossary"

    def page(self, docname: str, anchor: str = "") -> str:
        return f"{self.url}{docname}.html" + (f"#{anchor}" if anchor else "")


def exercise_number(docname: str, index: int) -> str:
    """``"3.2"`` for the second exercise of ``chapters/03_xavier``."""
    return f"{int(course_files.chapter_number(docname))}.{index}"


def citation_text(entry) -> str:
    """ "Glorot & Bengio, 2010", "He et al., 2015" for a pybtex entry."""
    from pybtex.richtext import Text

    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [
        str(Text.from_latex(" ".join(person.last_names))).replace("{", "").replace("}", "")
        for person in people
    ]
    if not last:
        names = str(entry.fields.get("title", "?"))
    elif len(last) == 1:
        names = last[0]
    elif len(last) == 2:
        names = f"{last[0]} & {last[1]}"
    else:
        names = f"{last[0]} et al."
    return f"{names}, {entry.fields.get('year', 'n.d.')}"


def read_citations(bibfiles: list[Path]) -> dict[str, str]:
    """Citation key -> "Author & Author, year" for every entry of ``bibfiles``."""
    from pybtex.database import parse_file

    citations = {}
    for path in bibfiles:
        for key, entry in parse_file(str(path), bib_format="bibtex").entries.items():
            citations[key] = citation_text(entry)
    return citations


def read_book(root: Path = ROOT) -> Book:
    """The book's address, page titles, labels and citations, read from its sources."""
    root = Path(root)
    config = course_files.read_config(root)
    book = Book(url=book_url(config))
    docnames = _toc_files(course_files.read_toc(root))
    for docname in docnames:
        path = _source_of(root, docname)
        if path is None:
            continue
        if path.suffix == ".ipynb" and re.match(r"\d+_", path.name):
            nb = course_files.read_notebook(path)
            for k, exercise in enumerate(course_files.exercises(nb), start=1):
                number = exercise_number(docname, k)
                if exercise.label:
                    book.labels[exercise.label] = Target(
                        docname, _anchor(exercise.label), exercise.title or f"Exercise {number}", number
                    )
        pending: list[str] = []  # (label)= targets waiting for their heading
        for text in _markdown_of(path):
            for line in _lines_outside_code(text):
                if match := _TARGET_RE.match(line):
                    pending.append(match["label"])
                elif match := re.match(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", line):
                    heading = match[2]
                    book.titles.setdefault(docname, heading)
                    for label in pending:
                        book.labels[label] = Target(docname, _anchor(label), heading)
                    pending = []
                if match := _OPTION_RE.match(line):
                    if match["key"] == "name":
                        book.labels[match["value"].strip()] = Target(
                            docname, _anchor(match["value"].strip()), match["value"].strip()
                        )
        if path.suffix == ".md" and "{bibliography}" in path.read_text(encoding="utf-8"):
            book.bibliography = docname
        if path.suffix == ".md" and "{glossary}" in path.read_text(encoding="utf-8"):
            book.glossary = docname
    bibfiles = [root / name for name in config.get("bibtex_bibfiles", [])]
    book.citations = read_citations([path for path in bibfiles if path.exists()])
    return book


def _lines_outside_code(text: str):
    """The lines of ``text`` that are not inside a plain code fence (directives are kept)."""
    fence = None
    for line in text.splitlines():
        if fence:
            if re.match(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", line):
                fence = None
            continue
        code = _CODE_FENCE_RE.match(line)
        if code and not _OPEN_RE.match(line):
            fence = code["fence"]
            continue
        yield line


@cache
def _book(root: Path) -> Book:
    return read_book(root)


# ------------------------------------------------------------------ markdown


@dataclass
class Directive:
    name: str
    arg: str
    options: dict[str, str]
    body: str


def _parse_directive(lines: list[str], start: int) -> tuple[Directive, int]:
    """The directive opened at ``lines[start]``, and the index of the line after it."""
    match = _OPEN_RE.match(lines[start])
    fence = match["fence"]
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    inner_fence = None  # a code fence inside a colon-fenced directive
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if inner_fence:
            if re.match(rf"^[ \t]*{re.escape(inner_fence[0])}{{{len(inner_fence)},}}[ \t]*$", line):
                inner_fence = None
        elif closing.match(line):
            break
        elif fence[0] == ":" and (code := _CODE_FENCE_RE.match(line)):
            inner_fence = code["fence"]
        end += 1
    body = lines[start + 1 : end]
    options: dict[str, str] = {}
    if body and body[0].strip() == "---":  # YAML options block
        close = next((i for i in range(1, len(body)) if body[i].strip() == "---"), None)
        if close is not None:
            for option in body[1:close]:
                key, _, value = option.partition(":")
                options[key.strip()] = value.strip()
            body = body[close + 1 :]
    while body and (option := _OPTION_RE.match(body[0])):
        options[option["key"]] = option["value"].strip()
        body = body[1:]
    text = "\n".join(body).strip("\n")
    return Directive(match["name"], match["arg"].strip(), options, text), end + 1


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


@dataclass
class Chapter:
    """The conversion of one page: its docname, the book, and its exercise count."""

    docname: str
    book: Book
    exercises: int = 0
    #: exercise label -> its number, as the exercises are converted
    numbers: dict[str, str] = field(default_factory=dict)

    # ---------------------------------------------------------------- roles

    def _link(self, text: str, url: str) -> str:
        return f"[{text}]({url})"

    def _doc(self, target: str) -> str:
        target = target.removesuffix(".md").removesuffix(".ipynb")
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), target))

    def role(self, name: str, content: str) -> str:
        explicit = _EXPLICIT_RE.match(content)
        text, target = (explicit["text"], explicit["target"]) if explicit else ("", content)
        name = name.removeprefix("std:")
        if name == "doc":
            docname = self._doc(target)
            return self._link(text or self.book.titles.get(docname, docname), self.book.page(docname))
        if name in ("ref", "numref"):
            found = self.book.labels.get(target)
            if found is None:
                raise ValueError(f"{self.docname}: {{{name}}}`{content}`: no label {target!r} in the book")
            if name == "numref" or (found.number and not text):
                label_text = f"Exercise {found.number}" if found.number else found.text
                shown = (
                    text.replace("%s", found.number or "").replace("{number}", found.number)
                    if text
                    else label_text
                )
            else:
                shown = text or found.text
            return self._link(shown, self.book.page(found.docname, found.anchor))
        if name == "eq":
            equation = self.book.page(self.docname, f"equation-{_anchor(target)}")
            return self._link(text or f"({target})", equation)
        if name == "term":
            term = target
            return self._link(text or term, self.book.page(self.book.glossary, f"term-{_anchor(term)}"))
        if name.startswith("cite"):
            return self.cite(name.partition(":")[2], content)
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        if name == "download":
            return self._link(text or target, f"{self.book.url}_downloads/{posixpath.basename(target)}")
        if name.startswith("glue"):
            return f"`{target}` (its value is shown in the book)"
        # abbr, kbd, guilabel, command, file, ...: their text
        return f"`{content}`" if name in ("kbd", "command", "file", "samp", "code") else content

    def cite(self, style: str, content: str) -> str:
        keys = [key.strip() for key in content.split(",") if key.strip()]
        page = self.book.page(self.book.bibliography)
        parts = []
        for key in keys:
            if key not in self.book.citations:
                raise ValueError(f"{self.docname}: {{cite}}`{content}`: no entry {key!r} in the bibliography")
            names, _, year = self.book.citations[key].rpartition(", ")
            if style in ("t", "ts"):
                parts.append(f"[{names} ({year})]({page})")
            elif style == "author":
                parts.append(f"[{names}]({page})")
            elif style == "year":
                parts.append(f"[{year}]({page})")
            else:
                parts.append(f"[{names}, {year}]({page})")
        if style in ("t", "ts", "author", "year"):
            return "; ".join(parts)
        return "(" + "; ".join(parts) + ")"

    def inline(self, text: str) -> str:
        """``text`` with its roles replaced, leaving inline code spans alone."""

        def replace(match: re.Match) -> str:
            if match["code"]:
                return match["code"]
            return self.role(match["name"], match["content"])

        return _INLINE_RE.sub(replace, text)

    # ---------------------------------------------------------------- blocks

    def markdown(self, source: str) -> str:
        """A markdown cell's source in plain Jupyter Markdown."""
        lines = source.splitlines()
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if _OPEN_RE.match(line):
                directive, i = _parse_directive(lines, i)
                out.append(self.directive(directive))
                continue
            code = _CODE_FENCE_RE.match(line)
            if code:  # a plain code block: copied as it is
                fence = code["fence"]
                out.append(line)
                i += 1
                while i < len(lines):
                    out.append(lines[i])
                    i += 1
                    if re.match(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", out[-1]):
                        break
                continue
            if match := _TARGET_RE.match(line):
                out.append(f'<a id="{_anchor(match["label"])}"></a>')
            elif re.match(r"^%", line) or line.strip() == "+++":
                pass  # a MyST comment, a block break
            elif match := re.match(r"^(\s*\$\$.*\$\$)\s*\(([^()\s]+)\)\s*$", line):
                out.append(match[1])  # $$ ... $$ (label)
            elif match := re.match(r"^(\s*\$\$)\s*\(([^()\s]+)\)\s*$", line):
                out.append(match[1])
            else:
                out.append(self.inline(line))
            i += 1
        return "\n".join(out)

    def directive(self, d: Directive) -> str:
        body = self.markdown(d.body) if d.body else ""
        name = d.name
        if name == "exercise":
            self.exercises += 1
            number = exercise_number(self.docname, self.exercises)
            title = self.inline(d.arg)
            label = d.options.get("label", "")
            self.numbers[label] = number
            anchor = f'<a id="{_anchor(label)}"></a>' if label else ""
            heading = f"### Exercise {number}" + (f": {title}" if title else "")
            return "\n\n".join(part for part in (heading + anchor, body) if part)
        if name == "solution":
            target = self.book.labels.get(d.arg)
            return self.details(f"Solution to Exercise {target.number}" if target else "Solution", body)
        if name in ("math", "amsmath"):
            return f"$$\n{d.body.strip()}\n$$"
        if name in ("figure", "image"):
            alt = d.options.get("alt", "")
            image = f"![{alt}]({d.arg})"
            anchor = f'<a id="{_anchor(d.options["name"])}"></a>\n' if "name" in d.options else ""
            return anchor + image + (f"\n\n*{body}*" if body else "")
        if name in ("code-block", "code", "sourcecode", "code-cell"):
            return f"```{d.arg.split()[0] if d.arg else ''}\n{d.body}\n```"
        if name == "dropdown":
            return self.details(self.inline(d.arg) or "Details", body)
        if name == "bibliography":
            page = self.book.page(self.book.bibliography)
            return f"The references are listed in the [online book's bibliography]({page})."
        if name.startswith("glue"):
            return (
                f"*The figure or value `{d.arg}` is shown in the online book, "
                f"[{self.book.titles.get(self.docname, self.docname)}]({self.book.page(self.docname)}).*"
            )
        if name in ("toctree", "tableofcontents"):
            return ""
        if name == "glossary":
            return body
        if name in _ADMONITIONS or name.startswith("admonition"):
            title = self.inline(d.arg) if name == "admonition" and d.arg else name.capitalize()
            if name == "seealso":
                title = "See also"
            if "dropdown" in d.options.get("class", ""):
                return self.details(title, body)
            return _quote(f"**{title}**\n\n{body}" if body else f"**{title}**")
        # An unknown directive: its title and text, quoted
        title = self.inline(d.arg) or name
        return _quote(f"**{title}**\n\n{body}" if body else f"**{title}**")

    @staticmethod
    def details(summary: str, body: str) -> str:
        return f"<details>\n<summary><b>{summary}</b></summary>\n\n{body.strip()}\n\n</details>"


# ------------------------------------------------------------------ notebooks


def _fold_tags(cell: nbformat.NotebookNode) -> None:
    """Fold what ``hide-input``/``hide-output`` fold in the book, in JupyterLab too."""
    tags = cell.metadata.get("tags", [])
    if "hide-input" in tags or "remove-input" in tags:
        cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    if "hide-output" in tags or "remove-output" in tags:
        cell.metadata.setdefault("jupyter", {})["outputs_hidden"] = True


def convert(nb: nbformat.NotebookNode, docname: str, book: Book | None = None) -> nbformat.NotebookNode:
    """The Jupyter edition of ``nb``, the page ``docname`` (e.g. ``"chapters/03_xavier"``).

    Markdown cells are rewritten; code cells keep their source; each solution becomes one
    markdown cell tagged ``solution``.
    """
    book = book or _book(ROOT)
    chapter = Chapter(docname, book)
    solutions = {solution.start: solution for solution in course_files.solutions(nb)}
    exercises = {exercise.label: exercise for exercise in course_files.exercises(nb)}
    out = copy.deepcopy(nb)
    cells = []
    index = 0
    while index < len(nb.cells):
        cell = nb.cells[index]
        if index in solutions:
            solution = solutions[index]
            parts = []
            for inner in nb.cells[solution.start + 1 : solution.end]:
                if inner.cell_type == "code":
                    parts.append(f"```python\n{inner.source.rstrip()}\n```")
                elif inner.cell_type == "markdown":
                    parts.append(chapter.markdown(inner.source))
            exercise = exercises.get(solution.label)
            number = chapter.numbers.get(solution.label)
            summary = f"Solution to Exercise {number}" if number else "Solution"
            if exercise and exercise.title:
                summary += f" ({chapter.inline(exercise.title)})"
            new = nbformat.v4.new_markdown_cell(chapter.details(summary, "\n\n".join(parts)))
            new.metadata["tags"] = [SOLUTION_TAG]
            cells.append(new)
            index = solution.end + 1
            continue
        new = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            new.source = chapter.markdown(cell.source)
        elif cell.cell_type == "code":
            _fold_tags(new)
        cells.append(new)
        index += 1
    out.cells = cells
    return out


def docname_of(path: Path, root: Path = ROOT) -> str:
    return Path(path).resolve().relative_to(Path(root).resolve()).with_suffix("").as_posix()


def student(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A generated notebook without its solutions (the cells tagged ``solution``)."""
    out = copy.deepcopy(nb)
    out.cells = [cell for cell in out.cells if SOLUTION_TAG not in cell.metadata.get("tags", [])]
    return out


#: What only MyST understands and Jupyter shows as it is: directives, roles, directive
#: options, targets, solution markers. No markdown cell of a generated notebook holds any.
MYST_ONLY = {
    "a directive": re.compile(r"^[ \t]*(`{3,}|:{3,})[ \t]*\{[\w:.-]+\}", re.M),
    "a role": re.compile(r"\{[\w:.-]+\}`"),
    "a directive option": re.compile(r"^[ \t]*:(label|class|name|nowrap|width|align|alt):", re.M),
    "a target": re.compile(r"^\([^()\s]+\)=[ \t]*$", re.M),
    "a solution marker": re.compile(r"solution-(start|end)"),
}


def myst_left(source: str) -> list[str]:
    """What of the markdown ``source`` only MyST understands, each with its context.

    >>> myst_left("See [chapter 4](04_he.html).")
    []
    >>> myst_left("See {doc}`04_he`.")
    ["a role: 'See {doc}`04_he`.'"]
    """
    return [
        f"{what}: {source[max(0, match.start() - 60) : match.end() + 60]!r}"
        for what, pattern in MYST_ONLY.items()
        for match in pattern.finditer(source)
    ]


#: The heading :meth:`Chapter.directive` gives an exercise: ``### Exercise 3.1: Title<a id="ch03-ex1"></a>``
EXERCISE_HEADING_RE = re.compile(
    r'^#{2,6} Exercise (?P<number>\d+\.\d+)(?:: (?P<title>.*?))?(?:<a id="(?P<label>[^"]*)"></a>)?[ \t]*$',
    re.M,
)


def exercises(nb: nbformat.NotebookNode) -> list[course_files.Exercise]:
    """The exercises of a generated notebook, as ``course_files.exercises`` finds them in a chapter.

    An exercise is its heading; its learner cells are the code cells up to the next
    exercise (a generated solution is one markdown cell, so none of them is a solution's).
    ``solution`` stays None.
    """
    found: list[course_files.Exercise] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for match in EXERCISE_HEADING_RE.finditer(cell.source):
                found.append(course_files.Exercise(match["label"] or "", match["title"] or "", index))
        elif cell.cell_type == "code" and found:
            exercise = found[-1]
            exercise.learner_cells.append(index)
            calls = course_files.feedback_calls(cell.source)
            if calls:
                exercise.feedback_cells.append(index)
                exercise.checkers += [c for c in calls if c not in exercise.checkers]
    return found


def write(
    out: Path, notebooks: list[Path] | None = None, root: Path = ROOT, with_student: bool = False
) -> list[Path]:
    """Write the Jupyter edition of ``notebooks`` (default: the chapters) under ``out``.

    Each goes to its path relative to ``root`` (``out/chapters/03_xavier.ipynb``); with
    ``with_student``, its student edition to ``out/student/03_xavier.ipynb``.
    """
    book = read_book(root)
    written = []
    for path in notebooks or course_files.chapter_notebooks(root):
        docname = docname_of(path, root)
        nb = convert(course_files.read_notebook(path), docname, book)
        target = Path(out) / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
        written.append(target)
        if with_student:
            (Path(out) / "student").mkdir(parents=True, exist_ok=True)
            nbformat.write(student(nb), str(Path(out) / "student" / Path(path).name))
    return written


_LATEX_EXERCISE_REF = re.compile(
    r"\\hyperref\[\\detokenize\{[^{}:]+:(?P<label>[^{}]+)\}\]"
    r"\{(?P<before>[^{}]*?)\\ref\{\\detokenize\{[^{}:]+:(?P=label)\}\}\}"
)


def fix_latex_exercise_refs(tex: Path, root: Path = ROOT) -> int:
    """Fix what Sphinx's LaTeX file of the book gets wrong; return the references fixed.

    sphinx-exercise labels an exercise ``exercise:LABEL`` in LaTeX, but a reference from
    another page asks for ``page:LABEL``, which stays "??" in the PDF: each becomes a link
    to ``exercise:LABEL`` that reads "Exercise N.K". The intro page's sections, which LaTeX
    would number as chapters 1 to 4, become unnumbered chapters.
    """
    labels = read_book(root).labels

    def replace(match: re.Match) -> str:
        target = labels.get(match["label"])
        if target is None or not target.number:
            return match[0]
        return f"\\hyperref[exercise:{match['label']}]{{{match['before']}{target.number}}}"

    text = Path(tex).read_text(encoding="utf-8")
    fixed, count = _LATEX_EXERCISE_REF.subn(replace, text)
    # The intro page's sections come out as chapters 1 to 4, so that chapter 1 of the book
    # would read "Chapter 5": they become unnumbered chapters, still in the contents.
    first = re.search(r"\\chapter\{[^\n]*\}\n\\label[^\n]*::doc\}\}", fixed)
    if first:
        intro = re.sub(
            r"\\chapter\{([^\n]*)\}",
            r"\\chapter*{\1}\\addcontentsline{toc}{chapter}{\1}",
            fixed[: first.start()],
        )
        fixed = intro + fixed[first.start() :]
    Path(tex).write_text(fixed, encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "jupyter")
    parser.add_argument(
        "--student", action="store_true", help="also write the student edition (no solutions) to OUT/student"
    )
    parser.add_argument(
        "--fix-latex",
        type=Path,
        metavar="TEX",
        help="only resolve references to exercises in the book's LaTeX file",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: the chapters")
    args = parser.parse_args(argv)
    if args.fix_latex:
        print(f"{fix_latex_exercise_refs(args.fix_latex)} references to exercises resolved")
        return 0
    written = write(args.out, args.notebooks or None, with_student=args.student)
    print(f"{len(written)} notebooks in plain Jupyter Markdown under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
