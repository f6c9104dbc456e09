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

test: lint clean-notebooks unit notebooks book-strict

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check code tests chapters benchmarks

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

clean:
	rm -rf _build
