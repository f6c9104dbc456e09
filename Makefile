# make test   lint, unit tests and doctests, clean notebooks, every chapter executed once per
#             seed (the book build under the chapters' own seed, `seed-run` under one other),
#             the book built with warnings as errors, and the built pages checked in a browser.
#             `make -j2 test` (what .ci/run does) runs the book build beside the rest.
# make book   the rendered book in _build/html.
# Both create .venv when it is missing, and reinstall only when the requirements change.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(wildcard chapters/*.ipynb)
# No progress bars in test logs or in the rendered book (see weightinit.session.progress).
export WEIGHTINIT_QUIET := 1

.PHONY: test book venv lint clean-notebooks unit slow seed-run notebooks book-strict clean
.PHONY: student student-check student-execute

# ---------------------------------------------------------------- the test pipeline
# Each chapter is executed once per seed: book-strict executes every chapter under its own
# seed (setup(seed=0)), seed-run under TEST_SEED, so that a claim that holds for one draw
# only fails here. The student check reads the book build's executed chapters instead of
# executing the student edition again, and browser reads the built pages: both wait for
# book-strict, everything else can run beside it (make -j2 test; book-strict comes first so
# that it starts at once).
test: book-strict lint clean-notebooks unit slow seed-run student-check assignments-check browser

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check code tests chapters benchmarks tools
	$(BIN)/ruff format --check code tests tools benchmarks

# Notebooks are stored without outputs or execution counts.
clean-notebooks: $(STAMP)
	$(BIN)/nbstripout --verify $(NOTEBOOKS)

# Fast: everything but the tests marked book, student, student_execute and slow (pyproject.toml).
unit: $(STAMP)
	$(BIN)/pytest -q tests code/weightinit

# Statistics over many seeds (tens of seconds): no false alarm from check_initializer.
slow: $(STAMP)
	$(BIN)/pytest -q -m slow tests

# Every chapter under one other seed, two at a time (tools/claims.py; `make claims` runs several).
TEST_SEED ?= 7
seed-run: $(STAMP)
	$(BIN)/python tools/claims.py --seeds "$(TEST_SEED)"

# Every chapter through nbval (not part of make test: seed-run and the book build execute them).
notebooks: $(STAMP)
	$(BIN)/pytest -q --nbval-lax chapters/

book: $(STAMP)
	$(BIN)/jupyter-book build .

# Any failing cell, broken reference or Sphinx warning fails the build.
book-strict: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Every built page in headless Chromium: requests, JavaScript errors, images and their alt
# text, maths, the Colab link, solutions opened by a click on their title and from the
# keyboard, code cut sideways (1280/1440 px) or a page that scrolls sideways (390 px),
# axe-core's accessibility rules in the light and dark themes, and the search
# (tests/test_browser.py). Screenshots, light and dark: _build/screenshots/.
.PHONY: browser chromium
browser: $(STAMP) chromium book-strict
	$(BIN)/pytest -q -m book tests/test_browser.py

# Debian's chromium, unless a Chromium is already there (Playwright cannot download its own).
chromium:
	@if [ -n "$${CHROMIUM:-}" ] || [ -x /usr/lib/chromium/chromium ] \
	    || command -v chromium chromium-browser google-chrome >/dev/null; then :; \
	else SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; fi

# The student edition: the chapters without solutions, in student/: the notebooks learners
# get (the Jupyter edition, plain Jupyter Markdown, install cell pinned to the release), a
# zip of them, and the rendered book in student/_build/html (built from the MyST chapters
# with their solutions stripped). See tools/student_edition.py, chapters/for_instructors.md.
student: $(STAMP)
	$(BIN)/python tools/student_edition.py --book

# No solution text survives in the student notebooks; no learner cell reads what only a
# solution defines; every feedback cell of the book build's run says "not yet".
student-check: $(STAMP) book-strict
	$(BIN)/pytest -q -m "student and not student_execute" tests/test_student_edition.py

# The student notebooks themselves, executed two at a time (slow; not part of make test).
student-execute: $(STAMP)
	$(BIN)/pytest -q -m student_execute tests/test_student_edition.py

# Every chapter under other seeds (WEIGHTINIT_SEED), two at a time: a table of chapter x seed,
# pass or the failing cell and assert. `make claims SEEDS="7 11"` chooses the seeds.
SEEDS ?= 1 2 3 4 5
.PHONY: claims
claims: $(STAMP)
	$(BIN)/python tools/claims.py --seeds "$(SEEDS)"

clean:
	rm -rf _build student assignments

# ------------------------------------------------------------------ assignments (otter-grader)
# `make assignments`: every chapter with exercises as an otter-grader assignment, in
# assignments/NN_name/ (student/, solution/, autograder.zip for Gradescope); otter assign
# grades each solution notebook while building (NO_RUN_TESTS=1 skips that).
# `make grade SUBMISSIONS=dir [CHAPTER=03] [GRADES=grades.csv] [TIMEOUT=300]`: grade a folder
# of handed-in notebooks locally, each in a fresh temporary folder with a time limit, into one CSV.
# `make assignments-check`: solutions score full marks, unsolved notebooks 0, known mistakes
# lose exactly their question's points, bad submissions are reported (tests/test_assignments.py).
.PHONY: assignments grade assignments-check
assignments: $(STAMP)
	$(BIN)/python tools/assignments.py $(if $(NO_RUN_TESTS),--no-run-tests)

GRADES ?= grades.csv
TIMEOUT ?= 300
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [CHAPTER=03] [GRADES=grades.csv] [TIMEOUT=300]" >&2; exit 2; }
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" --out "$(GRADES)" --timeout $(TIMEOUT) $(if $(CHAPTER),--chapter $(CHAPTER))

assignments-check: $(STAMP)
	$(BIN)/pytest -q -m assignments tests/test_assignments.py

# The Jupyter edition: the chapters in plain Jupyter Markdown (exercises as headings,
# solutions in <details>, references as links to the online book), in _build/jupyter/chapters/
# and, without solutions, _build/jupyter/student/. CI publishes the chapters to the `jupyter`
# branch, which the book's Colab buttons open. See tools/jupyter_edition.py.
.PHONY: jupyter
jupyter: $(STAMP)
	$(BIN)/python tools/jupyter_edition.py --out _build/jupyter --student
	$(BIN)/pytest -q tests/test_jupyter_edition.py

# The PDF edition: the whole book as one PDF, _build/latex/weightinit.pdf, with Jupyter Book's
# LaTeX builder (xelatex). The chapters execute as for `make book` and share its cache
# (_build/.jupyter_cache): after `make book`, `make pdf` only typesets. TeX Live comes from
# Debian's packages (installed below when missing, as the chromium target does).
# Measured on the shared 2-core machine: installing TeX Live about 1m45s, the build see the note.
PDF := _build/latex/weightinit.pdf
.PHONY: pdf pdf-check texlive
# sphinx-exercise leaves a reference to another page's exercise as "??" in LaTeX: the LaTeX
# file is fixed (tools/jupyter_edition.py --fix-latex) before latexmk typesets it.
pdf: $(STAMP) texlive
	$(BIN)/jupyter-book build . --builder latex
	$(BIN)/python tools/jupyter_edition.py --fix-latex _build/latex/weightinit.tex
	$(MAKE) -C _build/latex all-pdf LATEXMKOPTS="-quiet -interaction=nonstopmode -halt-on-error"
	@test -f $(PDF) && echo "the book as one PDF: $(PDF)"

# Reads the PDF back (pdftotext): every chapter's title, no "??", every figure, no raw TeX.
pdf-check: $(STAMP) texlive
	@test -f $(PDF) || { echo "no $(PDF): run make pdf first" >&2; exit 1; }
	$(BIN)/pytest -q -m pdf tests/test_pdf.py

TEXLIVE := texlive-xetex texlive-latex-extra texlive-fonts-recommended fonts-freefont-otf \
	fonts-dejavu-core latexmk xindy poppler-utils
texlive:
	@missing=; for command in xelatex latexmk xindy pdftotext; do \
	    command -v $$command >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends $(TEXLIVE); fi
