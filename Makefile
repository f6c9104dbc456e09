# make test   lint, unit tests and doctests, clean notebooks, every notebook executed,
#             the book built with warnings as errors, and the built pages checked in a browser.
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

.PHONY: test book venv lint clean-notebooks unit notebooks book-strict clean
.PHONY: student student-check

test: lint clean-notebooks unit notebooks book-strict student-check browser

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check code tests chapters benchmarks tools

# Notebooks are stored without outputs or execution counts.
clean-notebooks: $(STAMP)
	$(BIN)/nbstripout --verify $(NOTEBOOKS)

unit: $(STAMP)
	$(BIN)/pytest -q tests code/weightinit

notebooks: $(STAMP)
	$(BIN)/pytest -q --nbval-lax chapters/

book: $(STAMP)
	$(BIN)/jupyter-book build .

# Any failing cell, broken reference or Sphinx warning fails the build.
book-strict: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Every built page in headless Chromium: requests, JavaScript errors, images, maths, the
# Colab link and the solution dropdowns (tests/test_browser.py). Screenshots: _build/screenshots/.
.PHONY: browser chromium
browser: $(STAMP) chromium
	@test -f _build/html/index.html || { echo "no built book in _build/html: run make book-strict first" >&2; exit 1; }
	$(BIN)/pytest -q -m book tests/test_browser.py

# Debian's chromium, unless a Chromium is already there (Playwright cannot download its own).
chromium:
	@if [ -n "$${CHROMIUM:-}" ] || [ -x /usr/lib/chromium/chromium ] \
	    || command -v chromium chromium-browser google-chrome >/dev/null; then :; \
	else SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; fi

# The student edition: the chapters without solutions, in student/ (notebooks, a zip of
# them, and the rendered book in student/_build/html). See chapters/for_instructors.md.
student: $(STAMP)
	$(BIN)/python tools/student_edition.py --book

# No solution text survives in the student notebooks, and they run, two at a time.
student-check: $(STAMP)
	$(BIN)/pytest -q -m student tests/test_student_edition.py

# Every chapter under other seeds (WEIGHTINIT_SEED), two at a time: a table of chapter x seed,
# pass or the failing cell and assert. `make claims SEEDS="7 11"` chooses the seeds.
SEEDS ?= 1 2 3 4 5
.PHONY: claims
claims: $(STAMP)
	$(BIN)/python tools/claims.py --seeds "$(SEEDS)"

clean:
	rm -rf _build student

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
