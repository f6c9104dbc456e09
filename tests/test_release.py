"""One version number: weightinit.__version__, pyproject.toml, CHANGELOG.md, the book and the
pinned install cell of the student edition and the assignments agree.

A release bumps ``__version__`` in ``code/weightinit/__init__.py``, adds its section to
``CHANGELOG.md`` and the release to ``_config.yml`` (the book's footer and the intro's
``{{ release }}``); the lead tags the commit ``vX.Y.Z``. Each test names what to change.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import colab_cell
import course_files
import weightinit

ROOT = Path(__file__).resolve().parents[1]
VERSION = weightinit.__version__


def test_version_is_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), VERSION


def test_pyproject_reads_the_version_from_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], "pyproject.toml must not repeat the version"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "weightinit.__version__"}


def test_the_changelog_starts_with_this_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)
    assert releases, "CHANGELOG.md has no '## [X.Y.Z]' section"
    assert releases[0] == VERSION, (
        f"CHANGELOG.md's newest release is {releases[0]}, weightinit.__version__ is {VERSION}"
    )
    numbers = [tuple(map(int, release.split("."))) for release in releases]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)


def test_the_book_names_its_release():
    config = course_files.read_config(ROOT)
    assert str(config["parse"]["myst_substitutions"]["release"]) == VERSION
    assert f"Release {VERSION} " in config["html"]["extra_footer"]
    assert "{{ release }}" in (ROOT / "intro.md").read_text(encoding="utf-8")


def test_the_pinned_install_cell_installs_this_release():
    tag = colab_cell.release_tag(ROOT)
    assert tag == f"v{VERSION}"
    cell = colab_cell.render_pinned(ROOT)
    url = course_files.read_config(ROOT)["repository"]["url"]
    assert f'"weightinit @ git+{url}@v{VERSION}"' in cell
    # Only the URL differs from the chapters' cell, which follows the branch.
    assert cell == colab_cell.render(ROOT).replace(
        colab_cell.install_url(course_files.read_config(ROOT)), f"git+{url}@v{VERSION}"
    )


def test_the_licences_are_there_and_named():
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "CC BY 4.0" in (ROOT / "LICENSE-text.md").read_text(encoding="utf-8")
    for page in ("README.md", "intro.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert "CC BY 4.0" in text and "MIT" in text, page
