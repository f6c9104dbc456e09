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

# Every built page in headless Chromium: requests, JavaScript errors, images and their alt
# text, maths, the Colab link, solutions opened by a click on their title and from the
# keyboard, code cut sideways (1280/1440 px) or a page that scrolls sideways (390 px),
# axe-core's accessibility rules in the light and dark themes, and the search
# (tests/test_browser.py). Screenshots, light and dark: _build/screenshots/.
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
